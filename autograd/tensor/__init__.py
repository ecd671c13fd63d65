"""The tensor kind: ``Tensor``, an ndarray node on the same core as ``Value``.

Read in this order: ``tensor.py`` (the ``Tensor`` class), ``functions.py`` (the functions of the
tensor engine: ``where``, ``linear``, ``cross_entropy_logits``, ...), then the tensor-only ops,
each with its forward and rule side by side: ``ops.py`` (matmul, reductions, clip, casts),
``shape.py`` (reshape, transpose, indexing, joining), ``nn_ops.py`` (linear, the softmax family,
cross-entropy), ``conv.py`` (convolution) and ``pool.py`` (pooling); ``args.py`` holds the
argument rules (axes, dtypes, index keys). Arithmetic and the elementwise functions are the
engine's (``autograd/ops.py``), shared with ``Value``.
"""

from . import args, conv, functions, nn_ops, ops, pool, shape, tensor  # its modules
from .conv import *  # noqa: F403
from .functions import *  # noqa: F403
from .pool import *  # noqa: F403
from .tensor import *  # noqa: F403

__all__ = [
    "avg_pool2d", "concatenate", "conv1d", "conv2d", "cross_entropy_logits", "linear",
    "log_softmax", "logsumexp", "matmul", "max_pool2d", "maximum", "minimum", "softmax", "stack",
    "Tensor", "where",
]
