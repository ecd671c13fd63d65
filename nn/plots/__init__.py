"""Plots and animations of training, with matplotlib (an optional dependency, ``pip install
chainrule[plots]``, imported only when a picture is made).

``figures.py`` (loss curves, decision boundaries, loss surfaces with descent paths),
``animate.py`` (gradient descent step by step, a decision boundary over epochs, the player's
HTML), ``conv.py`` (a conv layer's filters, feature maps, the sliding-kernel animation) and
``common.py`` (what both share: matplotlib on demand, closed figures, grids of model
outputs).
"""

from . import animate, conv, figures
from .animate import *  # noqa: F403
from .conv import *  # noqa: F403
from .figures import *  # noqa: F403

# Literal, so type checkers read it; tests/test_layout.py checks it equals the modules' own.
__all__ = [
    "animate_convolution", "animate_decision_boundary", "animate_descent", "animation_html",
    "BoundaryRecorder", "gradient_descent_path", "plot_decision_boundary", "plot_feature_maps",
    "plot_filters", "plot_history", "plot_loss_surface",
]
