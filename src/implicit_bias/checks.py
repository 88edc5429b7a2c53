"""Theorem checks: each reads pipeline artifacts, measures, and compares with criteria kept in its paper's module.

A check never passes by construction: every verdict is `measured <op> threshold` on numbers read from the run,
reference and metric artifacts of the pipeline. Each paper's `implicit_bias.papers.<paper>.checks` defines `CHECKS`,
a dict name -> `Check`; `evaluate` runs one and returns its JSON verdict, `summary_table` gathers verdicts.

The verdict model. A check is of one `kind`: "claim" (a statement of the paper, reproduced by running its
experiment) or "consistency" (an identity or implementation property, evidence about this code rather than about the
paper). Its function returns the measured values and its `Criterion`s; each criterion names a measured key, an
operator, a threshold and the reason for that threshold (the theory's rate or limit, the paper's number), and the
verdict is computed from them here, so the threshold shown is the threshold applied. A criterion on a list of values
(one per data seed, say) with `each=True` holds when it holds for every element, and the fraction that holds is
reported.
"""

from __future__ import annotations

import importlib
import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .artifacts import load_csv, load_npz, load_record
from .papers import PAPERS, home
from .sources import Source, render_sources, source_record

__all__ = [
    "ALL_EXPERIMENTS",
    "PAPERS",
    "Artifacts",
    "Check",
    "Criterion",
    "Source",
    "Verdict",
    "checks_module",
    "checks_of",
    "direction_rate",
    "direction_rate_reason",
    "evaluate",
    "expected_failures",
    "format_pair",
    "format_value",
    "reconcile",
    "summary_table",
    "verdict_line",
    "verdict_of",
    "why_failed",
]

ALL_EXPERIMENTS = "*"  # a check that reads every configured experiment of its paper
KINDS = ("claim", "consistency")
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def direction_rate(decay: float) -> float:
    """The least fall per decade of 1 − cos(w_t, ŵ) asserted for a run converging in direction to ŵ, η_t ∝ t^(−a).

    The iterates grow like Σ_s η_s ∝ t^(1−a) (every update of Adam, SignGD and their variants is a normalised step
    of size ~η_t), while what separates w_t/‖w_t‖ from its limit is the transient plus the O(η_t) deviations
    (baek2025 Props. 2.4/2.5), O(Σ η_s²): O(log t) at a = 1/2, O(1) above, O(t^(1−2a)) below. So the angle
    falls like t^(−min(a, 1−a)) up to log factors and 1 − cos, quadratic in the angle, by 10^(2·min(a, 1−a)) per
    decade. Asserted: the square root of that, 10^min(a, 1−a) (√10 at a = 1/2), as slack for the log factors. A run
    settled at another point falls by about 1. At a = 1 (or a = 0) no power of t separates the two, so the rule
    refuses it.
    """
    if not 0.0 < decay < 1.0:
        raise ValueError(f"direction_rate: a = {decay} gives no power-law rate (0 < a < 1 needed)")
    return float(10.0 ** min(decay, 1.0 - decay))


def direction_rate_reason(decay: float) -> str:
    """The reason string of a criterion asserting `direction_rate(decay)`."""
    return (
        f"a run converging in direction falls by 10^(2 min(a, 1-a)) per decade to leading order (norm ~ t^(1-a), "
        f"deviations O(sum eta^2)); asserted: its square root {direction_rate(decay):.3g} at a = {decay:g}, slack for "
        "log factors; a plateau falls by ~1. A pass resolves the limit to within 1 - cos at T"
    )


@dataclass(frozen=True)
class Criterion:
    """`measured[key] <op> threshold`, and why the threshold is what it is.

    `each`: the measured value is a list (per seed, per run, …) and the criterion must hold for every element.
    """

    key: str
    op: str
    threshold: Any
    reason: str
    each: bool = False

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(
                f"criterion on {self.key!r}: unknown operator {self.op!r}; expected one of {list(OPERATORS)}"
            )
        if not self.reason.strip():
            raise ValueError(f"criterion on {self.key!r}: a threshold needs its reason")

    def evaluate(self, measured: dict) -> dict:
        """This criterion's record in a verdict: the value it read, whether it holds (and on what fraction)."""
        if self.key not in measured:
            raise KeyError(f"criterion on {self.key!r}: no such measured value (have {sorted(measured)})")
        value = measured[self.key]
        compare = OPERATORS[self.op]
        record = {"key": self.key, "op": self.op, "threshold": self.threshold, "reason": self.reason}
        if self.each:
            values = list(value)
            holds = [_holds(compare, v, self.threshold) for v in values]
            record["holds_on"] = f"{sum(holds)} of {len(holds)}"
            record["passed"] = bool(holds) and all(holds)
        else:
            record["passed"] = _holds(compare, value, self.threshold)
        return record


def _holds(compare: Callable, value: Any, threshold: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False  # a NaN measurement never satisfies a criterion
    return bool(compare(value, threshold))


# What a check function returns: the measured values and the criteria that decide the verdict.
Verdict = tuple[dict, list[Criterion]]


@dataclass(frozen=True)
class Check:
    claim: str
    experiments: tuple | str  # or ALL_EXPERIMENTS
    datasets: tuple
    func: Callable[[Artifacts], Verdict]
    kind: str = "claim"
    sources: tuple[Source, ...] = ()  # where the claim is: the paper's figures, theorems, lemmas (or "derived")
    drawn_by: str | None = None  # the name of the paper's pipeline figure that draws the claim, if one does

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"check kind must be one of {KINDS}; got {self.kind!r}")
        if not isinstance(self.sources, tuple) or not all(isinstance(s, Source) for s in self.sources):
            raise TypeError(f"check sources must be a tuple of Source; got {self.sources!r}")


class Artifacts:
    """Lazy access to the artifacts a check declared (paths come from the Snakemake rule).

    Run settings and data-set parameters are read from the artifacts' own records, not from the config, so a
    verdict always describes the numbers it was computed from.
    """

    def __init__(self, runs: dict, metrics: dict, data: dict, refs: dict) -> None:
        self._paths = dict(runs=runs, metrics=metrics, data=data, refs=refs)
        self._cache: dict[tuple[str, str], Any] = {}

    def _load(self, kind: str, name: str) -> tuple:
        key = (kind, name)
        if key not in self._cache:
            try:
                path = self._paths[kind][name]
            except KeyError:
                raise KeyError(f"this check did not declare the {kind} artifact {name!r}") from None
            self._cache[key] = load_csv(path) if kind == "metrics" else load_npz(path)
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

    def config(self) -> dict:
        """The config subset the verdict comes from: the settings recorded in each run and data-set artifact the
        check declared (read without their arrays)."""
        return {
            kind: {name: load_record(path).get("meta") for name, path in self._paths[kind].items()}
            for kind in ("runs", "data")
        }

    def experiment(self, exp: str) -> dict:
        """The experiment's configuration, as recorded in its run artifact."""
        return self._load("runs", exp)[1]["meta"]["experiment"]

    def run_settings(self, exp: str, run: str) -> dict:
        return self._load("runs", exp)[1]["meta"]["runs"][run]

    def dataset_spec(self, ds: str) -> dict:
        return self._load("data", ds)[1]["meta"]["dataset"]


def checks_module(paper: str) -> str:
    """Name of the module that holds one paper's `CHECKS` (imported by name, so the workflow declares it)."""
    return home(paper).checks_module


def checks_of(paper: str) -> dict:
    """The `CHECKS` registry of one paper."""
    return importlib.import_module(checks_module(paper)).CHECKS


def evaluate(paper: str, name: str, art: Artifacts) -> dict:
    """Run one check of `paper` and return its JSON verdict (passed iff every criterion holds)."""
    return verdict_of(checks_of(paper)[name], art, paper, name)


def verdict_of(check: Check, art: Artifacts, paper: str, name: str) -> dict:
    """The JSON verdict of `check` on the artifacts `art`."""
    measured, criteria = check.func(art)
    verdict: dict[str, Any] = {
        "paper": paper,
        "check": name,
        "kind": check.kind,
        "claim": check.claim,
        "source": render_sources(check.sources),
        "sources": [source_record(s) for s in check.sources],
        "drawn_by": check.drawn_by,
    }
    if not criteria:
        raise ValueError(f"check {paper}/{name} states no criteria: it could never fail")
    records = [c.evaluate(measured) for c in criteria]
    verdict.update(
        measured=measured,
        criteria=records,
        threshold={f"{c['key']} {c['op']}": c["threshold"] for c in records},
        passed=all(c["passed"] for c in records),
    )
    return verdict


def expected_failures(entries: Iterable[dict]) -> dict[str, str]:
    """config `expected_failures` ([{check: "<paper>/<check>", reason}]) as {"<paper>/<check>": reason}; an unknown
    paper or check is an error naming the entry."""
    out = {}
    for i, entry in enumerate(entries):
        key = f"expected_failures[{i}].check"
        paper, _, name = str(entry["check"]).partition("/")
        if paper not in PAPERS:
            raise ValueError(f"{key}: unknown paper {paper!r}; expected one of {PAPERS}")
        if name not in checks_of(paper):
            raise ValueError(f"{key}: {paper} has no check {name!r}; its checks: {sorted(checks_of(paper))}")
        if entry["check"] in out:
            raise ValueError(f"{key}: {entry['check']} is listed twice")
        out[entry["check"]] = str(entry["reason"]).strip()
    return out


def reconcile(verdicts: Iterable[dict], expected: dict[str, str]) -> tuple[list[str], list[str]]:
    """(unexpected failures, unexpected passes) of `verdicts` against the expected failures (strict, like pytest's
    xfail(strict=True): a check expected to fail that passes is a finding too)."""
    unexpected_fail, unexpected_pass = [], []
    for v in verdicts:
        name = f"{v['paper']}/{v['check']}"
        if not v["passed"] and name not in expected:
            unexpected_fail.append(name)
        elif v["passed"] and name in expected:
            unexpected_pass.append(name)
    return unexpected_fail, unexpected_pass


def verdict_line(verdicts: Iterable[dict], expected: dict[str, str]) -> str:
    """The one-line verdict summary printed on the console: passed of all, the failures, which of them expected."""
    verdicts = list(verdicts)
    failed = [f"{v['paper']}/{v['check']}" for v in verdicts if not v["passed"]]
    unexpected_fail, unexpected_pass = reconcile(verdicts, expected)
    line = f"theorem checks: {len(verdicts) - len(failed)} of {len(verdicts)} passed"
    line += f"; FAILED: {', '.join(failed)}" if failed else ""
    as_expected = [name for name in failed if name not in unexpected_fail]
    line += f" ({len(as_expected)} expected: {', '.join(as_expected)})" if as_expected else ""
    line += f"; UNEXPECTED PASS: {', '.join(unexpected_pass)}" if unexpected_pass else ""
    return line


def format_value(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v, digits) for v in value) + "]"
    return str(value)


def format_pair(value: Any, threshold: Any) -> tuple[str, str]:
    """value and threshold with enough digits that the printed comparison reads as the one applied."""
    for digits in (4, 6, 8, 12, 17):
        a, b = format_value(value, digits), format_value(threshold, digits)
        if a != b or value == threshold:
            return a, b
    return format_value(value, 17), format_value(threshold, 17)


def _cell(text: str) -> str:
    """Markdown-table-safe text: a `|` inside a cell would end it."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _criteria_text(v: dict) -> str:
    """Each criterion as the comparison it applied, `key = value op threshold`, then its reason."""
    parts = []
    for c in v["criteria"]:
        value, thr = format_pair(v["measured"][c["key"]], c["threshold"])
        each = f", on each: {c['holds_on']}" if "holds_on" in c else ""
        mark = "" if c["passed"] else "✗ "
        if c["op"] == "==" and isinstance(c["threshold"], bool):  # a yes/no property: "= True == True" reads badly
            comparison = f"{c['key']}: {value}" + ("" if c["passed"] else f", needs {thr}")
        else:
            comparison = f"{c['key']} = {value} {c['op']} {thr}"
        parts.append(f"{mark}{comparison}{each} ({c['reason']})")
    return "<br>".join(parts)


def _reported_text(v: dict) -> str:
    """Measured values that no criterion decides on: context for the reader, not part of the verdict."""
    decided = {c["key"] for c in v["criteria"]}
    return "<br>".join(f"{k}: {format_value(x)}" for k, x in v["measured"].items() if k not in decided)


def why_failed(v: dict) -> str:
    """One line on why a check failed: its first failing criterion, with the measured value."""
    for c in v.get("criteria", []):
        if not c["passed"]:
            value, thr = format_pair(v["measured"][c["key"]], c["threshold"])
            each = f" (holds on {c['holds_on']})" if "holds_on" in c else ""
            return f"{c['key']} = {value}, needs {c['op']} {thr}{each}"
    return ""


def _row(v: dict, expected: dict[str, str]) -> str:
    reason = expected.get(f"{v['paper']}/{v['check']}")
    if v["passed"]:
        verdict = "PASS" if reason is None else f"**PASS, expected to fail** ({reason})"
    else:
        why = why_failed(v)
        verdict = "**FAIL**" + (f": {why}" if why else "")
        verdict += f" (expected: {reason})" if reason is not None else ""
    kind, source = v.get("kind", "claim"), v.get("source") or ""
    source += f" — drawn in {v['drawn_by']}" if v.get("drawn_by") else ""
    cells = [v["check"], kind, source, v["claim"], _criteria_text(v), _reported_text(v), verdict]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def summary_table(
    verdicts: Iterable[dict], title: str = "Theorem checks", expected: dict[str, str] | None = None
) -> str:
    """The ledger, in Markdown: per paper a headline (claims reproduced, consistency checks passed), then one row
    per check, failures first, claims before consistency checks; `expected` failures are marked with their reason.
    Under the headline, the commit(s) the verdicts record (more than one when some were built at another commit)."""
    verdicts = list(verdicts)
    expected = expected or {}
    n_pass = sum(v["passed"] for v in verdicts)
    bad_fail, bad_pass = reconcile(verdicts, expected)
    n_expected = sum(not v["passed"] for v in verdicts) - len(bad_fail)
    head = f"{n_pass} of {len(verdicts)} checks passed"
    if n_expected:
        head += f"; {n_expected} failure(s) expected (config `expected_failures`)"
    if bad_fail or bad_pass:
        head += f"; UNEXPECTED: {', '.join(bad_fail + bad_pass)}"
    commits = sorted({v.get("commit", "unknown") for v in verdicts})
    lines = [f"# {title}", "", head + ".", "", f"Commit: {', '.join(commits)}.", ""]
    papers = list(dict.fromkeys(v["paper"] for v in verdicts))
    for paper in papers:
        rows = [v for v in verdicts if v["paper"] == paper]
        claims = [v for v in rows if v.get("kind", "claim") == "claim"]
        other = [v for v in rows if v.get("kind", "claim") != "claim"]
        lines += [
            f"## {paper}",
            "",
            f"{sum(v['passed'] for v in claims)} of {len(claims)} claims reproduced; "
            f"{sum(v['passed'] for v in other)} of {len(other)} consistency checks pass.",
            "",
            "| check | kind | source | claim | criteria: measured op threshold (reason) | also measured | verdict |",
            "|---|---|---|---|---|---|---|",
        ]

        def order(v: dict) -> tuple:
            surprise = (f"{v['paper']}/{v['check']}" in expected) == v["passed"]
            return (v["passed"] and not surprise, not surprise, v.get("kind", "claim") != "claim", v["check"])

        lines += [_row(v, expected) for v in sorted(rows, key=order)]
        lines.append("")
    return "\n".join(lines)
