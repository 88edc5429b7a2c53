"""Shared by the workflow scripts: send the job's output to the rule's log and fix the figure metadata epoch."""

import os
import sys


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
    return log
