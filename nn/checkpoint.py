"""Checkpoint files: a ``state_dict`` of NumPy arrays written to and read from an ``.npz``.

Writing never loses data: the archive goes to a temporary file in the target's folder
(``<name>.chainrule-save-<pid>-<hex>.tmp``), is flushed to disk and renamed over the target, so
a crash leaves either the old file or the new one. The target keeps its permissions, a symlink
is written through to the file it points to, and the temporary files a killed save left behind
(its process gone) are removed by the next save into the same folder. Errors name the user's
path, never the temporary one.

Reading never runs code and never allocates more than asked for: every member's name and
``.npy`` header (dtype, shape) is checked first, object arrays are refused (the same as
``allow_pickle=False``), and with ``expected`` shapes (``Module.load`` passes the model's) only
the members the model has are read, each only after its header matched. A truncated, corrupt,
oversized or foreign file raises :class:`CheckpointError` naming it. ``Module.save``/``load``
and ``nn.torch_state_dict`` go through these functions.
"""

from __future__ import annotations

import os
import re
import secrets
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

__all__ = ["CheckpointError", "read_checkpoint", "read_checkpoint_headers", "write_checkpoint"]

TMP_MARK = ".chainrule-save-"
_TMP_RE = re.compile(re.escape(TMP_MARK) + r"(\d+)-[0-9a-f]{8}\.tmp\Z")
_CHUNK = 1 << 20  # bytes read at a time from a member


class CheckpointError(ValueError):
    """A file that is not a valid checkpoint (truncated, corrupt, or not an ``.npz`` of arrays)."""


# ---------------------------------------------------------------------------------- writing
def write_checkpoint(path: str | os.PathLike, state: Mapping[str, np.ndarray]) -> None:
    """Write the arrays of ``state`` to ``path`` as an ``.npz`` (the name kept as given), under
    a temporary name first, then renamed over ``path``: an old file survives any failure. An
    existing file keeps its mode; a symlink at ``path`` keeps pointing to the new file."""
    user_path = os.fspath(path)
    target = os.path.realpath(user_path) if os.path.islink(user_path) else user_path
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"cannot save to {user_path!r}: the folder {folder!r} does not exist"
        )
    remove_stale_temp_files(target)
    try:
        mode: int | None = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    tmp = f"{target}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600 if mode is not None else 0o666)
        with os.fdopen(fd, "w+b") as f:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            _write_npz(f, state)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno is not None:
            raise type(e)(
                e.errno, f"cannot save checkpoint to {user_path!r}: {e.strerror or e}"
            ) from e
        raise


def remove_stale_temp_files(target: str) -> list[str]:
    """Remove the temporary files left next to ``target`` by saves whose process is gone (killed
    mid-write); returns their paths. Only names this module makes are touched."""
    folder = os.path.dirname(target) or "."
    prefix = os.path.basename(target) + TMP_MARK
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        match = _TMP_RE.search(name, len(prefix) - len(TMP_MARK))
        if match is None or _process_alive(int(match.group(1))):
            continue
        try:
            os.unlink(os.path.join(folder, name))
            removed.append(os.path.join(folder, name))
        except OSError:
            pass
    return removed


def _process_alive(pid: int) -> bool:
    """Whether a process with this id exists (ours counts: another thread may be saving)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a platform without signals: leave it
    return True


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


# ---------------------------------------------------------------------------------- reading
Header = tuple[tuple[int, ...], np.dtype, bool]  # shape, dtype, fortran order


def read_checkpoint_headers(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The ``{name: (shape, dtype)}`` of the checkpoint at ``path``, read from the member names
    and ``.npy`` headers only (no array data is decompressed)."""
    user_path = os.fspath(path)
    with _open_archive(user_path) as zf:
        members = _members(user_path, zf)
        return {k: _header(user_path, zf, info)[:2] for k, info in members.items()}


def read_checkpoint(
    path: str | os.PathLike, expected: Mapping[str, tuple[int, ...]] | None = None
) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` checkpoint at ``path``, read without pickle.

    ``expected`` (``{name: shape}``): only these members are read, and a member whose header
    shape differs raises :class:`CheckpointError` before its data is read; members not named
    are skipped unread. Without it every member is read, each header first checked against the
    size the zip directory declares for it.
    """
    user_path = os.fspath(path)
    with _open_archive(user_path) as zf:
        members = _members(user_path, zf)
        wanted = members if expected is None else {k: members[k] for k in expected if k in members}
        headers = {k: _header(user_path, zf, info) for k, info in wanted.items()}
        if expected is not None:
            for key, (shape, _, _) in headers.items():
                if shape != tuple(expected[key]):
                    raise CheckpointError(
                        f"checkpoint {user_path!r}: shape mismatch for {key!r}: checkpoint "
                        f"{shape}, model {tuple(expected[key])}"
                    )
        return {k: _read_member(user_path, zf, wanted[k], headers[k]) for k in wanted}


def _open_archive(path: str) -> zipfile.ZipFile:
    """The zip archive at ``path``, or the error saying why it is not a checkpoint."""
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
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise _invalid(path, e) from e


def _invalid(path: str, e: BaseException | str) -> CheckpointError:
    detail = e if isinstance(e, str) else f"{type(e).__name__}: {e}"
    return CheckpointError(f"{path!r} is not a valid checkpoint (.npz of arrays): {detail}")


def _members(path: str, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """``{key: member}`` for every ``<key>.npy`` member; any other member, or a key twice, is an
    error."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        if info.is_dir() or not name.endswith(".npy") or name == ".npy":
            raise _invalid(path, f"member {name!r} is not an array (<name>.npy)")
        key = name[: -len(".npy")]
        if key in members:
            raise _invalid(path, f"member {name!r} appears twice")
        members[key] = info
    return members


def _header(path: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Header:
    """The checked ``.npy`` header of one member: numbers only, data size as the zip declares."""
    fmt = np.lib.format
    try:
        with zf.open(info) as f:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = fmt.read_array_header_2_0(f)
            else:
                raise ValueError(f".npy format version {version} is not supported")
            offset = f.tell()
    except (ValueError, zipfile.BadZipFile, OSError, EOFError, SyntaxError) as e:
        raise _invalid(path, f"member {info.filename!r}: {type(e).__name__}: {e}") from e
    if dtype.hasobject or dtype.kind not in "biuf":
        raise _invalid(path, f"member {info.filename!r} holds {dtype} data, not numbers")
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if offset + nbytes != info.file_size:
        raise _invalid(
            path,
            f"member {info.filename!r} declares shape {shape} ({nbytes} bytes) but holds "
            f"{info.file_size - offset} bytes",
        )
    return tuple(int(n) for n in shape), dtype, bool(fortran)


def _read_member(
    path: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, header: Header
) -> np.ndarray:
    """The array of one member whose header was checked: exactly its declared size is
    allocated, read in chunks (a CRC or zlib error of a corrupt member is a CheckpointError)."""
    shape, dtype, fortran = header
    out = bytearray(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize)
    try:
        with zf.open(info) as f:
            _skip_header(f)
            done = 0
            while done < len(out):
                chunk = f.read(min(_CHUNK, len(out) - done))
                if not chunk:
                    raise EOFError(f"member {info.filename!r} ends early")
                out[done : done + len(chunk)] = chunk
                done += len(chunk)
            f.read(1)  # reach the end: zipfile checks the CRC there
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise _invalid(path, e) from e
    array = np.frombuffer(out, dtype=dtype)
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


def _skip_header(f: IO[bytes]) -> None:
    """Move past the ``.npy`` magic and header of an open member."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    (fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0)(f)
