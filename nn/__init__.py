"""chainrule's neural-network library, for both engines.

``Module`` and the scalar ``Neuron``/``Layer``/``MLP`` (micrograd's), the tensor layers
(``Linear``, ``Sequential``, activations, ``Dropout``, ``Flatten``; ``Conv2d``,
``MaxPool2d``, ``AvgPool2d``), losses, optimizers and
learning-rate schedules, data helpers and datasets, the training loop (``fit``), plots
(matplotlib, imported only when a plot is drawn) and the bridge to PyTorch (``to_torch``,
``from_torch``; torch imported only when they are called).
"""

import sys

from . import (
    compile,
    conv,
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
from .conv import *  # noqa: F403
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

__all__ = [
    *module.__all__,
    *scalar.__all__,
    *layers.__all__,
    *conv.__all__,
    *losses.__all__,
    *optim.__all__,
    *schedules.__all__,
    *data.__all__,
    *metrics.__all__,
    *training.fit.__all__,
    *training.predict.__all__,
    *callbacks.__all__,
    *plots.__all__,
    *search.__all__,
    *torch_bridge.__all__,
    "compile_step",
    "datasets",
]

# The modules' names before the tree was arranged by concern, kept importable so that objects
# pickled then (which name their classes' modules) still load.
for _old, _new in {
    "train": training.fit, "data": data, "history": history, "callbacks": callbacks,
    "search": search, "compile_record": compile.record, "compile_lower": compile.lower,
    "animate": plots.animate, "plot_common": plots.common,
}.items():
    sys.modules.setdefault(f"{__name__}.{_old}", _new)
