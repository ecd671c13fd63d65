"""``compile_step``: one training step traced once and replayed on new batches.

``step.py`` (``compile_step``, ``CompiledStep``: the call, its modes and the replay; what a trace
freezes), ``guard.py`` (the snapshot of the state a trace depended on, checked at every call),
``record.py`` (the trace: a ``Record`` of the ops of one step) and ``lower.py`` (the lowered
replay of a plain network: preallocated buffers, no graph).
"""

from .record import CompileError
from .step import CompiledStep, compile_step

__all__ = ["CompileError", "CompiledStep", "compile_step"]
