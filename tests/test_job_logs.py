"""A workflow job's output goes to its rule's log, not to the console (workflow/scripts/_common.py `setup`)."""

from __future__ import annotations

from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def test_setup_sends_python_and_file_descriptor_output_to_the_log(tmp_path, python_process):
    """Prints, warnings and what compiled code writes straight to file descriptors 1 and 2 all land in the log, in
    order; the job's own stdout and stderr (Snakemake's console) stay empty."""
    log = tmp_path / "job.log"
    code = (
        "import os, sys, types, warnings\n"
        f"sys.path.insert(0, {str(SCRIPTS)!r})\n"
        "from _common import setup\n"
        f"setup(types.SimpleNamespace(log=[{str(log)!r}]))\n"
        "print('python stdout')\n"
        "os.write(1, b'fd 1\\n')\n"
        "warnings.warn('a warning')\n"
        "os.write(2, b'fd 2\\n')\n"
    )
    proc = python_process(code)
    assert (proc.stdout, proc.stderr) == ("", "")
    lines = log.read_text().splitlines()
    assert lines[:2] == ["python stdout", "fd 1"]
    assert "UserWarning: a warning" in lines[2]
    assert lines[-1] == "fd 2"


def test_a_job_failing_on_a_corrupted_input_removes_it_for_the_rebuild(tmp_path, python_process):
    """A job that reads a damaged artifact among its inputs fails naming it, and removes it, so that the next run
    rebuilds it (Snakemake remakes a missing input); a damaged file that is not one of its inputs is left alone."""
    import numpy as np

    from implicit_bias.artifacts import save_npz

    log = tmp_path / "job.log"
    ours, other = tmp_path / "ours.npz", tmp_path / "other.npz"
    for path in (ours, other):
        save_npz(path, {"w": np.arange(1000.0)}, {})
        path.write_bytes(path.read_bytes()[:100])  # truncated
    template = (
        "import sys, types\n"
        f"sys.path.insert(0, {str(SCRIPTS)!r})\n"
        "from _common import setup\n"
        f"setup(types.SimpleNamespace(log=[{str(log)!r}], input=[{str(ours)!r}]))\n"
        "from implicit_bias.artifacts import load_npz\n"
        "load_npz({path!r})\n"
    )
    proc = python_process(template.format(path=str(other)), check=False)
    assert proc.returncode != 0 and other.exists()  # not an input of this job: not ours to remove
    proc = python_process(template.format(path=str(ours)), check=False)
    text = log.read_text()
    assert proc.returncode != 0 and not ours.exists()
    assert f"CorruptArtifactError: {ours}: corrupted or truncated artifact" in text
    assert f"removed the corrupted input {ours}: the next run rebuilds it" in text
