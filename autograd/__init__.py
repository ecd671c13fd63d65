"""chainrule's autograd: reverse-mode automatic differentiation on one graph core.

``Value`` is a scalar node (for seeing backprop happen), ``Tensor`` an ndarray node (for speed);
both use the same walk (``graph.py``) and the same derivative rules. Each module lists its public
names in ``__all__``; this file gathers them. ``autograd.grad`` is PyTorch's
(``grad(outputs, inputs)``); the function transforms (``functional.grad(f)``, ...) stay in
``autograd.functional``, with ``jacobian``, ``hessian``, ``hvp`` and ``value_and_grad`` also here.
"""

from . import check, draw, function, functional, graph, modes, steps, tensor, value
from .check import *  # noqa: F403
from .draw import *  # noqa: F403
from .function import *  # noqa: F403
from .functional import hessian, hvp, jacobian, value_and_grad
from .graph import *  # noqa: F403
from .modes import *  # noqa: F403
from .steps import *  # noqa: F403
from .tensor import *  # noqa: F403
from .value import *  # noqa: F403

__all__ = [
    *graph.__all__,
    *function.__all__,
    *modes.__all__,
    *value.__all__,
    *tensor.__all__,
    *check.__all__,
    *draw.__all__,
    *steps.__all__,
    "functional",
    "hessian",
    "hvp",
    "jacobian",
    "value_and_grad",
]
