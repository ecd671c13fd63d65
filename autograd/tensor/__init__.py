"""The tensor kind: ``Tensor``, an ndarray node on the same core as ``Value``.

Read in this order: ``tensor.py`` (the ``Tensor`` class and the functions of the tensor engine:
``matmul``, ``where``, ``linear``, ``cross_entropy_logits``, ...), then the tensor-only ops, each
with its forward and rule side by side: ``ops.py`` (matmul, reductions, clip, casts),
``shape.py`` (reshape, transpose, indexing, joining), ``nn_ops.py`` (linear, the softmax
family, cross-entropy), ``conv.py`` (convolution) and ``pool.py`` (pooling); ``args.py`` holds
the argument rules (axes, dtypes, index keys).
Arithmetic and the elementwise functions are the engine's (``autograd/ops.py``), shared with
``Value``.
"""

from . import args, conv, nn_ops, ops, pool, shape, tensor  # noqa: F401  (its modules, for type checkers)
from .conv import *  # noqa: F403
from .pool import *  # noqa: F403
from .tensor import *  # noqa: F403

__all__: list[str] = []
__all__ += tensor.__all__
__all__ += conv.__all__
__all__ += pool.__all__
