"""chainrule's autograd: reverse-mode automatic differentiation on one graph core.

Where each idea lives: ``core.py`` (the node protocol, ``Function``, grad and anomaly modes, the
walk and the chain rule, ``backward``, ``grad``), ``math.py`` (the math namespaces rules use),
``ops.py`` (the elementwise ops of both engines), ``value.py`` (``Value``, ``sum_of``, ``dot``),
``tensor.py`` (``Tensor`` and its functions; its ops in ``tensor_ops.py``, ``tensor_shape.py``,
``tensor_nn.py``), ``check.py`` (gradient checking), ``functional.py`` (function transforms),
``steps.py`` (``backward_steps``) and ``draw.py`` (``draw_dot``). ``autograd.grad`` is
PyTorch's (``grad(outputs, inputs)``); the transforms (``functional.grad(f)``, ...) stay in
``autograd.functional``, with ``jacobian``, ``hessian``, ``hvp`` and ``value_and_grad`` also here.
"""

from . import check, core, draw, functional, stepper, steps, tensor, value
from .check import *  # noqa: F403
from .core import *  # noqa: F403
from .draw import *  # noqa: F403
from .functional import hessian, hvp, jacobian, value_and_grad
from .stepper import *  # noqa: F403
from .steps import *  # noqa: F403
from .tensor import *  # noqa: F403
from .value import *  # noqa: F403

__all__ = [
    *core.__all__,
    *value.__all__,
    *tensor.__all__,
    *check.__all__,
    *draw.__all__,
    *steps.__all__,
    *stepper.__all__,
    "functional",
    "hessian",
    "hvp",
    "jacobian",
    "value_and_grad",
]
