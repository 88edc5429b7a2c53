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
