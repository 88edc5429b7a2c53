"""Theorem checks: each reads pipeline artifacts, measures, and compares with a threshold kept in its paper's module.

A check never passes by construction: every verdict is `measured <op> threshold` on numbers read from the run,
reference and metric artifacts of the pipeline. Each paper's `implicit_bias.papers.<paper>.checks` defines `CHECKS`,
a dict name -> `Check`; `evaluate` runs one and returns its JSON verdict, `summary_table` gathers verdicts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from .artifacts import load_npz
from .papers import PAPERS

__all__ = [
    "ALL_EXPERIMENTS",
    "PAPERS",
    "Artifacts",
    "Check",
    "Verdict",
    "checks_module",
    "checks_of",
    "evaluate",
    "summary_table",
]

ALL_EXPERIMENTS = "*"  # a check that reads every configured experiment of its paper
Verdict = tuple[dict, dict, bool]  # what a check function returns: (measured, threshold, passed)


@dataclass(frozen=True)
class Check:
    claim: str
    experiments: tuple
    datasets: tuple
    func: Callable[[Artifacts], Verdict]


class Artifacts:
    """Lazy access to the artifacts a check declared (paths come from the Snakemake rule).

    Run settings and data-set parameters are read from the artifacts' own records, not from the config, so a
    verdict always describes the numbers it was computed from.
    """

    def __init__(self, runs: dict, metrics: dict, data: dict, refs: dict) -> None:
        self._paths = dict(runs=runs, metrics=metrics, data=data, refs=refs)
        self._cache = {}

    def _load(self, kind: str, name: str) -> tuple:
        key = (kind, name)
        if key not in self._cache:
            try:
                path = self._paths[kind][name]
            except KeyError:
                raise KeyError(f"this check did not declare the {kind} artifact {name!r}") from None
            self._cache[key] = (pd.read_csv(path), {}) if kind == "metrics" else load_npz(path)
        return self._cache[key]

    def record(self, kind: str, name: str) -> dict:
        """The settings record stored with artifact `name` of `kind` ('runs', 'data' or 'refs')."""
        return self._load(kind, name)[1]

    @property
    def experiments(self) -> list[str]:
        return list(self._paths["runs"])

    def runs(self, exp: str) -> dict:
        return self._load("runs", exp)[0]

    def metrics(self, exp: str) -> pd.DataFrame:
        return self._load("metrics", exp)[0]

    def data(self, ds: str) -> dict:
        return self._load("data", ds)[0]

    def refs(self, ds: str) -> dict:
        return self._load("refs", ds)[0]

    def experiment(self, exp: str) -> dict:
        """The experiment's configuration, as recorded in its run artifact."""
        return self._load("runs", exp)[1]["meta"]["experiment"]

    def run_settings(self, exp: str, run: str) -> dict:
        return self._load("runs", exp)[1]["meta"]["runs"][run]

    def dataset_spec(self, ds: str) -> dict:
        return self._load("data", ds)[1]["meta"]["dataset"]


def checks_module(paper: str) -> str:
    """Name of the module that holds one paper's `CHECKS` (imported by name, so the workflow declares it)."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; expected one of {PAPERS}")
    return f"{__package__}.papers.{paper}.checks"


def checks_of(paper: str) -> dict:
    """The `CHECKS` registry of one paper."""
    return importlib.import_module(checks_module(paper)).CHECKS


def evaluate(paper: str, name: str, art: Artifacts) -> dict:
    """Run one check of `paper` and return its JSON verdict."""
    check = checks_of(paper)[name]
    measured, threshold, passed = check.func(art)
    return {
        "paper": paper,
        "check": name,
        "claim": check.claim,
        "measured": measured,
        "threshold": threshold,
        "passed": bool(passed),
    }


def _fmt(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def summary_table(verdicts: Iterable[dict], title: str = "Theorem checks") -> str:
    """Markdown table of verdicts: paper, check, claim, measured, threshold, verdict."""
    lines = [
        f"# {title}",
        "",
        f"{sum(v['passed'] for v in verdicts)} of {len(verdicts)} checks passed.",
        "",
        "| paper | check | claim | measured | threshold | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        measured = "<br>".join(f"{k}: {_fmt(x)}" for k, x in v["measured"].items())
        threshold = "<br>".join(f"{k} {_fmt(x)}" for k, x in v["threshold"].items())
        verdict = "PASS" if v["passed"] else "**FAIL**"
        lines.append(f"| {v['paper']} | {v['check']} | {v['claim']} | {measured} | {threshold} | {verdict} |")
    return "\n".join(lines) + "\n"
