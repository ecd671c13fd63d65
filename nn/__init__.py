"""chainrule's neural-network library, for both engines.

``Module`` and the scalar ``Neuron``/``Layer``/``MLP`` (micrograd's), the tensor layers
(``Linear``, ``Sequential``, activations, ``Dropout``, ``Flatten``), losses, optimizers and
learning-rate schedules, data helpers and datasets, the training loop (``fit``), plots
(matplotlib, imported only when a plot is drawn) and the bridge to PyTorch (``to_torch``,
``from_torch``; torch imported only when they are called).
"""

import importlib
import sys

from . import (
    compile,
    datasets,
    layers,
    losses,
    metrics,
    module,
    optim,
    plots,
    scalar,
    schedules,
    torch_bridge,
    training,
)
from .compile import compile_step
from .layers import *  # noqa: F403
from .losses import *  # noqa: F403
from .metrics import *  # noqa: F403
from .module import *  # noqa: F403
from .optim import *  # noqa: F403
from .plots import *  # noqa: F403
from .scalar import *  # noqa: F403
from .schedules import *  # noqa: F403
from .torch_bridge import *  # noqa: F403
from .training import callbacks, data, history, search
from .training.callbacks import *  # noqa: F403
from .training.data import *  # noqa: F403
from .training.fit import *  # noqa: F403
from .training.predict import *  # noqa: F403
from .training.search import *  # noqa: F403

# Literal, so type checkers read it; tests/test_layout.py checks it equals the modules' own.
__all__ = [
    "accuracy", "Adam", "AdamW", "animate_decision_boundary", "animate_descent",
    "animation_html", "batches", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "BoundaryRecorder", "Callback", "CheckpointError", "compile_step", "cross_entropy",
    "datasets", "DivergenceError", "Dropout", "EarlyStopping", "evaluate", "ExponentialLR",
    "fit", "Flatten", "from_torch", "get_metric", "gradient_descent_path", "grid_search",
    "hinge_loss", "History", "IncompatibleKeys", "l2_penalty", "LambdaLR", "Layer", "Linear",
    "LRScheduler", "mae", "manual_seed", "MLP", "Module", "mse", "mse_loss", "Neuron",
    "num_batches", "Optimizer", "plot_decision_boundary", "plot_history", "plot_loss_surface",
    "predict", "random_search", "ReLU", "RMSprop", "SearchResult", "Sequential", "SGD",
    "Sigmoid", "StepLR", "Tanh", "to_torch", "torch_state_dict", "train_test_split",
    "train_val_test_split",
]

# The modules' names before the tree was arranged by concern, kept importable so that objects
# pickled then (which name their classes' modules) still load.
for _old, _new in {
    "train": "training.fit", "data": "training.data", "history": "training.history",
    "callbacks": "training.callbacks", "search": "training.search",
    "compile_record": "compile.record", "compile_lower": "compile.lower",
    "animate": "plots.animate", "plot_common": "plots.common",
}.items():
    sys.modules.setdefault(f"{__name__}.{_old}", importlib.import_module(f"{__name__}.{_new}"))
