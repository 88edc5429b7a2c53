"""Shared by the workflow scripts: let Ctrl-C end a job at once, send the job's output to the rule's log, fix the
figure metadata epoch, and remove an input found corrupted so that the next run rebuilds it."""

import os
import signal
import sys


def die_on_interrupt():
    """Give SIGINT (Ctrl-C) and SIGTERM their default action: end the process at once, whatever it is doing.

    Python's own SIGINT handler only sets a flag that the interpreter turns into KeyboardInterrupt between two
    bytecodes, so a job inside one long compiled call (a HiGHS or Clarabel solve, a numba kernel) went on for as
    long as the call took (36 s seen for a HiGHS job), and Snakemake, which waits for its running jobs before it
    exits, waited with it; then the job printed a KeyboardInterrupt traceback. Killed by the signal instead, the job
    ends within milliseconds and Snakemake reports it as killed. Nothing is lost: every artifact is written to a
    temporary file and renamed into place (implicit_bias.artifacts.atomic_path), so a killed job leaves no partial
    file under an output's name, and Snakemake deletes the outputs of an interrupted job before it runs it again."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# At import, not in `setup`: every script imports this module before its heavy imports (numpy, numba, cvxpy),
# during which a Ctrl-C would otherwise print an import traceback to the console.
die_on_interrupt()


def setup(snakemake):
    """Point the job's stdout and stderr at its log: Python's (prints, warnings, tracebacks) and the process's file
    descriptors 1 and 2, which compiled libraries (solvers, numba, BLAS) write to directly. The console then shows
    Snakemake's own lines only; whatever a job says is in its log."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    log = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115 (stays open for the whole job)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    drop_corrupt_inputs(getattr(snakemake, "input", ()))
    return log


def drop_corrupt_inputs(inputs):
    """If the job fails on an input that cannot be read back whole (`CorruptArtifactError`: truncated, damaged),
    remove that input, so that the next run rebuilds it instead of failing on it again; the job still fails, and its
    log names the file. Only the job's own inputs, which Snakemake knows how to make, are ever removed."""
    ours = {os.path.abspath(p) for p in inputs}
    previous = sys.excepthook

    def hook(kind, exc, tb):
        # the class from the loaded module (a CorruptArtifactError was raised, so it is loaded): no import here
        artifacts = sys.modules.get("implicit_bias.artifacts")
        if artifacts and isinstance(exc, artifacts.CorruptArtifactError) and os.path.abspath(exc.path) in ours:
            os.remove(exc.path)
            print(f"removed the corrupted input {exc.path}: the next run rebuilds it", file=sys.stderr)
        previous(kind, exc, tb)

    sys.excepthook = hook
