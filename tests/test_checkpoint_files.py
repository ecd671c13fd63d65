"""Checkpoint files under hostile input and hostile conditions (issue 28, items 8 and 9): a
decompression bomb is refused before it is read, foreign members are named, a saved file keeps
its mode and its symlink, killed saves leave nothing behind for long, errors name the user's
path."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile

import numpy as np
import pytest

import nn
from nn.checkpoint import TMP_MARK, read_checkpoint, remove_stale_temp_files

BIG = 200 * 2**20  # bytes of zeros in the bomb member: about 200 KB once deflated


def _bomb(path, key):
    """A checkpoint of ``nn.Linear(2, 1)`` whose member ``key`` is ``BIG`` deflated zero bytes
    (an honest header: the zip directory agrees with it)."""
    state = nn.Linear(2, 1, seed=0).state_dict()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in state.items():
            if name != key:
                with zf.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, array)
        with zf.open(f"{key}.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f8", "fortran_order": False, "shape": (BIG // 8,)}
            )
            zeros = bytes(2**22)
            for _ in range(BIG // len(zeros)):
                member.write(zeros)
    assert os.path.getsize(path) < BIG // 100


def _peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("key", ["extra", "weight"], ids=["unexpected-member", "wrong-shape"])
def test_a_decompression_bomb_is_refused_before_it_is_read(tmp_path, key):
    path = tmp_path / "bomb.npz"
    _bomb(path, key)
    model = nn.Linear(2, 1, seed=1)
    before = model.weight.data.copy()
    errors = []

    def load():
        with pytest.raises(ValueError, match=r"bomb\.npz") as info:
            model.load(path)
        errors.append(str(info.value))

    peak = _peak(load)
    assert key in errors[0]
    np.testing.assert_array_equal(model.weight.data, before)
    assert peak < 20 * 2**20, f"allocated {peak / 2**20:.0f} MB for a {BIG / 2**20:.0f} MB bomb"


def test_a_non_strict_load_skips_a_big_unexpected_member_unread(tmp_path):
    path = tmp_path / "m.npz"
    _bomb(path, "extra")
    model = nn.Linear(2, 1, seed=1)
    peak = _peak(lambda: model.load(path, strict=False))
    assert peak < 20 * 2**20
    np.testing.assert_array_equal(model.weight.data, nn.Linear(2, 1, seed=0).weight.data)


def test_a_header_that_lies_about_its_size_is_refused(tmp_path):
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open("weight.npy", "w") as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)}
            )
            member.write(bytes(16))
    with pytest.raises(nn.CheckpointError, match=r"liar\.npz.*'weight\.npy' declares shape"):
        read_checkpoint(path)


@pytest.mark.parametrize(
    ("name", "says"),
    [("notes.txt", "is not an array"), ("dir/", "is not an array"), (".npy", "is not an array")],
)
def test_a_member_that_is_not_an_array_is_named(tmp_path, name, says):
    path = tmp_path / "odd.npz"
    nn.Linear(2, 1).save(path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(name, b"hello")
    with pytest.raises(nn.CheckpointError, match=r"odd\.npz") as info:
        nn.Linear(2, 1).load(path, strict=False)
    assert repr(name) in str(info.value) and says in str(info.value)


def test_fortran_order_and_float32_members_load(tmp_path):
    path = tmp_path / "f.npz"
    w = np.asfortranarray(np.arange(6.0).reshape(3, 2))
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open("weight.npy", "w") as member:
            np.lib.format.write_array(member, w)
        with zf.open("bias.npy", "w") as member:
            np.lib.format.write_array(member, np.array([1, 2, 3], dtype=np.float32))
    m = nn.Linear(2, 3).load(path)
    np.testing.assert_array_equal(m.weight.data, w)
    np.testing.assert_array_equal(m.bias.data, [1.0, 2.0, 3.0])


# ------------------------------------------------------------------------------- saving
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_save_keeps_a_private_file_private(tmp_path):
    path = tmp_path / "private.npz"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    nn.Linear(2, 1).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    nn.Linear(2, 1).load(path)


def test_save_writes_through_a_symlink(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.npz"
    target.write_bytes(b"old")
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    m = nn.Linear(2, 1, seed=3)
    m.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(nn.Linear(2, 1).load(target).weight.data, m.weight.data)
    assert sorted(os.listdir(tmp_path / "real")) == ["model.npz"]


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temp_files_of_dead_saves_are_removed_and_nothing_else(tmp_path):
    path = tmp_path / "m.npz"
    dead = tmp_path / f"m.npz{TMP_MARK}{_dead_pid()}-0123abcd.tmp"
    alive = tmp_path / f"m.npz{TMP_MARK}{os.getpid()}-0123abcd.tmp"  # maybe another thread's
    other = tmp_path / f"other.npz{TMP_MARK}{_dead_pid()}-0123abcd.tmp"
    mine = tmp_path / "m.npz.mine.tmp"
    for f in (dead, alive, other, mine):
        f.write_bytes(b"x")
    nn.Linear(2, 1).save(path)
    assert not dead.exists()
    assert alive.exists() and other.exists() and mine.exists()
    assert remove_stale_temp_files(str(tmp_path / "other.npz")) == [str(other)]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_save_killed_mid_write_is_cleaned_by_the_next_save(tmp_path):
    path = tmp_path / "k.npz"
    script = textwrap.dedent(
        f"""
        import sys, time
        import nn, nn.checkpoint as c
        def slow(f, state):
            f.write(b"half"); f.flush(); print("writing", flush=True); time.sleep(60)
        c._write_npz = slow
        nn.Linear(2, 1).save({str(path)!r})
        """
    )
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(nn.__file__))}
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    assert p.stdout.readline() == b"writing\n"
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert len(os.listdir(tmp_path)) == 1  # the killed save's temp file
    nn.Linear(2, 1).save(path)
    assert os.listdir(tmp_path) == ["k.npz"]


def test_a_failed_save_names_the_users_path_not_the_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "full.npz"

    def no_space(src, dst):
        raise OSError(28, "No space left on device", src)

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(OSError, match=r"cannot save checkpoint to '.*full\.npz': No space") as e:
        nn.Linear(2, 1).save(path)
    assert TMP_MARK not in str(e.value) and e.value.errno == 28
    assert os.listdir(tmp_path) == []
