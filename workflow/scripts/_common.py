"""Shared by the workflow scripts: send stdout/stderr to the rule's log and fix the figure metadata epoch."""

import os
import sys


def setup(snakemake):
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    log = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115 (stays open for the whole job)
    sys.stdout = sys.stderr = log
    return log
