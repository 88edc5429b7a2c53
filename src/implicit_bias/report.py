"""The replication report: one self-contained HTML page built from the checks' JSON verdicts and the figures.

Grouped by paper: a headline (claims reproduced, consistency checks passed), then each figure with the claims whose
source it is beside it (each claim: its criteria as measured, operator, threshold and reason, and its verdict), the
claims that have no figure (a theorem, a lemma), the consistency checks in their own section, and a provenance
footer. It reads the verdict model of `implicit_bias.checks` (kind, criteria, measured, verdict, source), never the
Markdown ledger, and re-runs nothing. Figures are embedded as data URIs so the file opens anywhere, offline.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from .artifacts import git_commit, versions
from .checks import format_pair, format_value, reconcile, verdict_line, why_failed

__all__ = [
    "config_hash",
    "data_uri",
    "docs_page",
    "figure_name",
    "paper_section",
    "render",
    "report_context",
    "report_provenance",
    "report_status",
    "show_status_at_exit",
]

# libraries the report's provenance lists beside the ones every artifact records
_WORKFLOW_PACKAGES = ("pandas", "snakemake", "jinja2")


def docs_page(paper: str) -> str:
    """The link from results/report.html to `paper`'s page in the checkout (docs/papers/<paper>.md: its figures,
    how to build them, and the notes on each check). Relative, so it works offline in any clone, like the report."""
    return f"../docs/papers/{paper}.md"


def figure_name(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(paper, figure) of a figure path results/figures/<paper>/<figure>.png."""
    p = Path(path)
    return p.parent.name, p.stem


def _drawn_in(v: dict, figures: dict[str, str]) -> str | None:
    """The figure of `figures` that draws the check with verdict `v`, or None (a theorem, a lemma, a figure this
    configuration does not build)."""
    name = v.get("drawn_by")
    return name if name in figures else None


#: Width in pixels of a figure as the report embeds it, about the widest the page draws one: beside its claims a
#: figure's column is ~740 px of the 1400-px page; below the 964 px that column and the claims' need, they stack and
#: the figure spans the page. The full-resolution PNG (150 dpi) and the PDF are linked beside it.
DISPLAY_WIDTH = 900
#: Colours of the embedded PNG's palette: the figures are line plots and heat maps of a few dozen colours plus their
#: anti-aliasing ramps, which 128 entries hold without visible banding. With the width, the default target's 30
#: figures take 1.5 MB instead of their files' 11 MB, and the report about 2.4 MB.
DISPLAY_COLOURS = 128


def display_png(path: str | os.PathLike[str], width: int = DISPLAY_WIDTH) -> bytes:
    """The figure at `path` as a PNG for the page: at most `width` pixels wide (Lanczos, aspect kept; a narrower
    figure keeps its size) with a `DISPLAY_COLOURS` palette. Deterministic: the same file gives the same bytes."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
    if rgb.width > width:
        rgb = rgb.resize((width, max(1, round(rgb.height * width / rgb.width))), Image.Resampling.LANCZOS)
    palette = rgb.quantize(colors=DISPLAY_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def data_uri(path: str | os.PathLike[str]) -> str:
    """The figure at `path` as a data URI at display size (`display_png`): the report embeds its figures (no file
    beside it, no request) and stays a few megabytes."""
    return "data:image/png;base64," + base64.b64encode(display_png(path)).decode("ascii")


def _criterion_row(c: dict, measured: dict) -> dict:
    value, threshold = format_pair(measured[c["key"]], c["threshold"])
    return {
        "key": c["key"],
        "measured": value,
        "op": c["op"],
        "threshold": threshold,
        "reason": c["reason"],
        "holds_on": c.get("holds_on"),
        "passed": c["passed"],
    }


def _check_row(v: dict, expected: dict[str, str], figure: str | None) -> dict:
    """One check as the report shows it: its claim, source, criteria, other measured values and verdict."""
    name = f"{v['paper']}/{v['check']}"
    reason = expected.get(name)
    if v["passed"]:
        verdict, status = ("PASS", "pass") if reason is None else ("PASS, expected to fail", "surprise")
    else:
        verdict, status = ("FAIL", "fail") if reason is None else ("FAIL, as expected", "expected")
    decided = {c["key"] for c in v["criteria"]}
    return {
        "id": f"{v['paper']}-{v['check']}",
        "name": v["check"],
        "kind": v.get("kind", "claim"),
        "claim": v["claim"],
        "source": v.get("source") or "",
        "figure": figure,
        "criteria": [_criterion_row(c, v["measured"]) for c in v["criteria"]],
        "also": [{"key": k, "value": format_value(x)} for k, x in v["measured"].items() if k not in decided],
        "passed": v["passed"],
        "verdict": verdict,
        "status": status,
        "why": why_failed(v),
        "expected_reason": reason,
    }


def paper_section(paper: str, verdicts: list[dict], figures: dict[str, str], expected: dict[str, str]) -> dict:
    """One paper's part of the report. `figures`: figure name -> PNG path, in the order the paper declares them
    (the workflow passes them so); each figure carries the claims it draws; claims with no figure and the
    consistency checks are listed apart. A check sits beside the figure its verdict says draws it (`drawn_by`) when
    that figure is among `figures`."""
    names = list(figures)
    rows = [_check_row(v, expected, _drawn_in(v, figures)) for v in verdicts]
    rows.sort(key=lambda r: r["name"])
    claims = [r for r in rows if r["kind"] == "claim"]
    consistency = [r for r in rows if r["kind"] != "claim"]
    cards = [
        {
            "name": name,
            "id": f"{paper}-{name}",
            "uri": data_uri(figures[name]),
            "claims": [r for r in claims if r["figure"] == name],
            "consistency": [r["name"] for r in consistency if r["figure"] == name],
        }
        for name in names
    ]
    return {
        "paper": paper,
        "n_claims": len(claims),
        "n_claims_passed": sum(r["passed"] for r in claims),
        "n_consistency": len(consistency),
        "n_consistency_passed": sum(r["passed"] for r in consistency),
        "figures": cards,
        "unfigured": [r for r in claims if r["figure"] is None],
        "consistency": consistency,
    }


def config_hash(config: dict) -> str:
    """A short hash of the run's configuration (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def report_provenance(config: dict, root: str | os.PathLike[str] = ".") -> dict:
    """The report's footer: commit (`artifacts.git_commit`: the one every artifact of the run records, with a dirty
    mark), config hash and library versions. Where `artifacts.provenance` stores an artifact's config subset itself,
    the footer shows a hash of the whole run's config, and the workflow's libraries beside the numerical ones. No
    build date: two runs at one commit give the same page."""
    return {
        "commit": git_commit(root),
        "config_hash": config_hash(config),
        "versions": versions(_WORKFLOW_PACKAGES),
    }


def report_context(
    verdicts: Iterable[dict], figure_paths: Iterable[str], expected: dict[str, str], papers: Iterable[str]
) -> dict:
    """Everything the template shows but the provenance: the overall headline and one section per paper."""
    verdicts = list(verdicts)
    figures: dict[str, dict[str, str]] = {}
    for path in figure_paths:
        paper, name = figure_name(path)
        figures.setdefault(paper, {})[name] = str(path)
    sections = [
        paper_section(p, [v for v in verdicts if v["paper"] == p], figures.get(p, {}), expected) for p in papers
    ]
    unexpected_fail, unexpected_pass = reconcile(verdicts, expected)
    return {
        "headline": verdict_line(verdicts, expected),
        "n_claims": sum(s["n_claims"] for s in sections),
        "n_claims_passed": sum(s["n_claims_passed"] for s in sections),
        "unexpected": unexpected_fail + unexpected_pass,
        "papers": sections,
    }


def render(context: dict, template: str | os.PathLike[str]) -> str:
    """The report's HTML: `context` rendered with the Jinja2 template at `template` (autoescaped)."""
    import jinja2  # only the report job needs it

    path = Path(template)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(path.parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["docs_page"] = docs_page
    return env.get_template(path.name).render(**context)


def report_status(check_paths: Iterable[str], report: str, expected: dict[str, str]) -> list[str]:
    """The console's closing lines (Snakefile `onsuccess`): the verdict summary and where the report is. Empty
    when some check has not been built (a partial target); the report is named only if it is up to date."""
    paths = [Path(p) for p in check_paths]
    if not paths or not all(p.exists() for p in paths):
        return []
    lines = [verdict_line([json.loads(p.read_text()) for p in paths], expected)]
    out = Path(report)
    newest = max(p.stat().st_mtime for p in paths)
    if out.exists() and out.stat().st_mtime >= newest:
        lines.append(f"report: {out.resolve()}")
    else:
        lines.append(f"report: not built yet (snakemake --cores all report -> {report})")
    return lines


def show_status_at_exit(check_paths: Iterable[str], report: str, expected: dict[str, str]) -> None:
    """Print `report_status` when the process exits: Snakemake logs the log file's path and the elapsed time after
    `onsuccess` runs, and these lines should be the last a user sees."""
    import atexit

    lines = report_status(check_paths, report, expected)

    def show() -> None:
        for line in lines:
            print(line, file=sys.stderr, flush=True)

    atexit.register(show)
