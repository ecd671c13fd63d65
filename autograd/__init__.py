"""chainrule's autograd: reverse-mode automatic differentiation on one graph core.

The tree, read from the engine up: ``core.py`` (the node protocol, ``Function``, the walk and
the chain rule, ``backward``, ``grad``), ``modes.py`` (grad and anomaly modes), ``math.py``
(the math namespaces rules use), ``ops.py`` (the elementwise ops of both engines), ``value.py``
(``Value``, ``sum_of``, ``dot``), then the engine's tools: ``functional.py`` (function
transforms, on ``call.py``: one evaluation of ``f``, ``pytree.py``: argument structures, and
``forward.py``: forward mode) and ``check.py`` (gradient checking). Two wings stand on the
engine, which imports neither: ``tensor/`` (``Tensor``, its functions and its ops) and ``viz/``
(the teaching layer: ``draw_dot``, ``backward_steps``, the stepper, ``formula``).
``autograd.grad`` is PyTorch's (``grad(outputs, inputs)``); the transforms
(``functional.grad(f)``, ...) stay in ``autograd.functional``, with ``jacobian``, ``hessian``,
``hvp``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacrev`` and ``jacfwd`` also here.
"""

import sys

from . import check, core, functional, modes, tensor, value, viz
from .check import *  # noqa: F403
from .core import *  # noqa: F403
from .functional import hessian, hvp, jacfwd, jacobian, jacrev, jvp, value_and_grad, vjp
from .modes import *  # noqa: F403
from .tensor import *  # noqa: F403
from .value import *  # noqa: F403
from .viz import *  # noqa: F403

# Literal, so type checkers read it (a py.typed package exports what __all__ lists);
# tests/test_layout.py checks it equals the modules' own.
__all__ = [
    "analytic_jacobian", "AnomalyError", "as_latex", "backward_steps", "BackwardStep",
    "BackwardSteps", "check_graphviz", "concatenate", "cross_entropy_logits", "detect_anomaly",
    "dot", "draw_dot", "enable_grad", "Function", "functional", "grad", "gradcheck",
    "GradcheckError", "gradgradcheck", "GraphFreedError", "GraphvizNotFoundError", "hessian",
    "hvp", "is_grad_enabled", "jacfwd", "jacobian", "jacrev", "jvp", "linear", "log_softmax",
    "logsumexp", "matmul", "maximum", "minimum", "no_grad", "Node", "node_names",
    "numerical_grad", "numerical_jacobian", "save_steps_html", "softmax", "stack",
    "step_through", "sum_of", "Tensor", "Value", "value_and_grad", "vjp", "where",
]

# The modules' names before the tree was arranged by concern, kept importable so that objects
# pickled then (which name their classes' modules) still load.
for _old, _new in {
    "tensor_args": tensor.args, "tensor_ops": tensor.ops, "tensor_shape": tensor.shape,
    "tensor_nn": tensor.nn_ops, "draw": viz.draw, "draw_text": viz.names,
    "draw_groups": viz.groups, "steps": viz.steps, "stepper": viz.stepper,
}.items():
    sys.modules.setdefault(f"{__name__}.{_old}", _new)
