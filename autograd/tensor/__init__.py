"""The tensor kind: ``Tensor``, an ndarray node on the same core as ``Value``.

Read in this order: ``tensor.py`` (the ``Tensor`` class), ``functions.py`` (the functions of the
tensor engine: ``where``, ``linear``, ``cross_entropy_logits``, ...), then the tensor-only ops,
each with its forward and rule side by side: ``ops.py`` (matmul, reductions, clip, casts),
``shape.py`` (reshape, transpose, indexing, joining) and ``nn_ops.py`` (linear, the softmax
family, cross-entropy); ``args.py`` holds the argument rules (axes, dtypes, index keys).
Arithmetic and the elementwise functions are the engine's (``autograd/ops.py``), shared with
``Value``.
"""

from . import args, functions, nn_ops, ops, shape, tensor  # its modules, for type checkers
from .functions import *  # noqa: F403
from .tensor import *  # noqa: F403

__all__ = [
    "concatenate", "cross_entropy_logits", "linear", "log_softmax", "logsumexp", "matmul",
    "maximum", "minimum", "softmax", "stack", "Tensor", "where",
]
