"""Artifact writing: atomic, and with the permissions an ordinary file write would get."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from implicit_bias.artifacts import atomic_path, load_json, load_npz, save_json, save_npz


@pytest.fixture
def umask():
    """Set the process umask for a test and restore it afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_outputs_get_the_users_umask(tmp_path, umask, mask):
    """Every writer (npz, json, any block using atomic_path) leaves 0666 less the umask, as open() would: a shared
    results folder on a cluster stays readable to the group (mkstemp's 0600 must not survive the rename)."""
    umask(mask)
    save_npz(tmp_path / "a.npz", {"x": np.arange(3)}, {"k": 1})
    save_json(tmp_path / "a.json", {"k": 1})
    with atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("hello")
    for name in ("a.npz", "a.json", "a.txt"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o666 & ~mask, (name, oct(mode), oct(mask))
    assert load_npz(tmp_path / "a.npz")[0]["x"].tolist() == [0, 1, 2]
    assert load_json(tmp_path / "a.json") == {"k": 1}


def test_a_failed_block_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "b.npz") as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_writer_killed_mid_write_leaves_only_a_hidden_temporary_which_the_next_write_removes(tmp_path):
    """A job killed while it writes (SIGKILL; Ctrl-C ends a job at once too) cannot run the block's cleanup: its
    temporary file stays, hidden and never under the artifact's name. The next write of that artifact removes it,
    and leaves the temporaries of other artifacts in the folder alone."""
    code = (
        "import os, sys; from implicit_bias.artifacts import atomic_path\n"
        f"with atomic_path({str(tmp_path / 'a.npz')!r}) as tmp:\n"
        "    tmp.write_bytes(b'partial'); os.kill(os.getpid(), 9)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    (left,) = tmp_path.iterdir()
    assert left.name.startswith(".a.npz.") and left.suffix == ".npz"
    with atomic_path(tmp_path / "ab.npz") as tmp:  # another artifact: a.npz's temporary stays
        tmp.write_bytes(b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([left.name, "ab.npz"])
    save_npz(tmp_path / "a.npz", {"x": np.arange(3)}, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "ab.npz"]
    assert load_npz(tmp_path / "a.npz")[0]["x"].tolist() == [0, 1, 2]
