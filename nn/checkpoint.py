"""Checkpoint files: a ``state_dict`` of NumPy arrays written to and read from an ``.npz``.

Writing never loses data: the archive goes to a temporary file in the target's folder, is
flushed to disk and renamed over the target, so a crash leaves either the old file or the new
one. Reading never runs code: the archive is read with ``allow_pickle=False``, and a truncated,
corrupt or foreign file raises :class:`CheckpointError` naming it. ``Module.save``/``load`` and
``nn.torch_state_dict`` go through these two functions.
"""

from __future__ import annotations

import os
import secrets
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["CheckpointError", "read_checkpoint", "write_checkpoint"]


class CheckpointError(ValueError):
    """A file that is not a valid checkpoint (truncated, corrupt, or not an ``.npz`` of arrays)."""


def write_checkpoint(path: str | os.PathLike, state: Mapping[str, np.ndarray]) -> None:
    """Write the arrays of ``state`` to ``path`` as an ``.npz`` (the name kept as given), under a
    temporary name first, then renamed over ``path``: an old file survives any failure."""
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path!r}: the folder {folder!r} does not exist")
    tmp = f"{path}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "x+b") as f:
            _write_npz(f, state)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_checkpoint(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` checkpoint at ``path``, read without pickle."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    with open(path, "rb") as f:
        magic = f.read(6)
    if not magic.startswith(b"PK"):  # an .npz is a zip archive; numpy would try pickle
        what = {b"": "the file is empty", b"\x93NUMPY": "it holds a single array (.npy)"}
        raise CheckpointError(
            f"{path!r} is not a valid checkpoint: "
            f"{what.get(magic, 'it is not an .npz archive (a zip of arrays)')}"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except Exception as e:  # zip, CRC and zlib errors of a truncated or corrupt file
        raise CheckpointError(
            f"{path!r} is not a valid checkpoint (.npz of arrays): {type(e).__name__}: {e}"
        ) from e


def _write_npz(file: Any, state: Mapping[str, np.ndarray]) -> None:
    """Write ``state`` to the open binary ``file`` (read-write) as an ``.npz``, one
    ``<name>.npy`` member per array. ``np.savez`` writes the empty archive, and each array is
    then added to it with ``np.lib.format.write_array``: the names are never passed to
    ``np.savez`` as keyword arguments, so a parameter called ``file`` or ``allow_pickle`` is
    stored like any other."""
    np.savez(file)
    file.seek(0)
    with zipfile.ZipFile(file, mode="a", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in state.items():
            with zf.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
