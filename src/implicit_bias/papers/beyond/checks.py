"""Checks of the `beyond` studies: each study module keeps its own checks next to its maths; this is the
registry the workflow and the ledger read (one `CHECKS` per home, as for the papers)."""

from __future__ import annotations

from . import eps, multiclass, phase, real_data

__all__ = ["CHECKS"]

CHECKS = {**phase.CHECKS, **multiclass.CHECKS, **eps.CHECKS, **real_data.CHECKS}
