"""Checks of the `beyond` studies: each study keeps its own checks in its `checks` module, next to the tables they
read; this is the registry the workflow and the ledger read (one `CHECKS` per home, as for the papers)."""

from __future__ import annotations

from .eps import checks as eps
from .multiclass import checks as multiclass
from .newton_schulz import checks as newton_schulz
from .phase import checks as phase
from .real_data import checks as real_data

__all__ = ["CHECKS"]

CHECKS = {**phase.CHECKS, **multiclass.CHECKS, **eps.CHECKS, **real_data.CHECKS, **newton_schulz.CHECKS}
