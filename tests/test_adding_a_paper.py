"""docs/adding-a-paper.md, followed step by step in a copy of the repository: the minimal home it builds
(`soudry2018`: one generated data set, one optimizer run, one figure, one claim check and its falsification test)
goes through the DAG (`snakemake soudry2018`), the ledger (its check's JSON verdict and its summary table) and the
report, and adding it touches fewer than four files outside its own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from implicit_bias.config import SCHEMA_DIR

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "adding-a-paper.md"
PAPER = "soudry2018"
# what the copy needs to build a home: the workflow and the package (not the tests, benchmarks, docs)
TREES = ("Snakefile", "config.yaml", ".gitignore", "src/", "workflow/")


def _git(wd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=wd, check=True, capture_output=True, text=True).stdout


def _copy_repository(dest: Path) -> None:
    """The repository's files (as the working tree has them, untracked ones too), under git in `dest`."""
    files = _git(ROOT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in files:
        if name and name.startswith(TREES) and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes((ROOT / name).read_bytes())
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "copy")


def _guide_files() -> dict[str, str]:
    """The guide's code blocks that carry a file name as their title: title -> text."""
    blocks = re.findall(r'^```\w+ title="([^"]+)"\n(.*?)^```$', GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    return dict(blocks)


def _follow_the_guide(wd: Path) -> None:
    files = _guide_files()
    assert {f"src/implicit_bias/papers/{PAPER}/{m}.py" for m in ("__init__", "experiments", "plots", "checks")} <= set(
        files
    ), sorted(files)
    schema_dir = wd / "src" / "implicit_bias" / SCHEMA_DIR.name
    for title, text in files.items():
        if title == "config.yaml (append)":
            with open(wd / "config.yaml", "a", encoding="utf-8") as fh:
                fh.write("\n" + text)
            continue
        path = schema_dir / Path(title).name if title.endswith(".schema.yaml") else wd / title
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # step 2: the home's name in the registry's list
    registry = wd / "src" / "implicit_bias" / "papers" / "__init__.py"
    text, n = re.subn(r"^(HOMES = \(.*)\)$", rf'\1, "{PAPER}")', registry.read_text(), count=1, flags=re.M)
    assert n == 1
    registry.write_text(text)


# Run in the copy, on its own package: the new home's falsification test, then the report of its verdict and
# figure, and the registry's listing of its targets.
_REPORT = r"""
import json, runpy, sys
from pathlib import Path
import yaml
from implicit_bias.papers import PAPERS
from implicit_bias.report import render, report_context, report_provenance
from implicit_bias.targets import listing

paper = sys.argv[1]
tests = runpy.run_path(f"tests/test_{paper}_falsify.py")
for name, fn in tests.items():
    if name.startswith("test_"):
        fn()
verdicts = [json.loads(p.read_text()) for p in sorted(Path(f"results/checks/{paper}").glob("*.json"))]
figures = [str(p) for p in sorted(Path(f"results/figures/{paper}").glob("*.png"))]
config = yaml.safe_load(open("config.yaml"))
context = {**report_context(verdicts, figures, {}, PAPERS), "provenance": report_provenance(config)}
html = render(context, "workflow/templates/report.html.j2")
rows = [row for row in listing(config) if row[0] == paper]
print(json.dumps({"papers": list(PAPERS), "html": html, "listing": rows, "tests": sorted(tests)}))
"""


def test_every_home_declares_itself_consistently():
    """Each name of HOMES has a declaration of that name, a distinct rule-name prefix, its rule files (or the
    generic rules), its schema file, and a CHECKS registry; an unknown name is refused with the list of homes."""
    from implicit_bias.checks import checks_of
    from implicit_bias.papers import HOMES, home

    declared = [home(name) for name in HOMES]
    assert [p.name for p in declared] == list(HOMES)
    assert len({p.prefix for p in declared}) == len(HOMES)
    schemas = {p.name for p in SCHEMA_DIR.glob("*.schema.yaml")}
    for paper in declared:
        assert all((ROOT / "workflow" / "rules" / f).is_file() for f in paper.rule_files) and (
            paper.generic or paper.rule_files
        )
        assert paper.schema is None or paper.schema in schemas
        assert checks_of(paper.name)
    with pytest.raises(ValueError, match="unknown paper 'nopaper'; expected one of baek2025"):
        home("nopaper")


@pytest.mark.pipeline
def test_a_minimal_paper_added_by_the_guide_runs_through_dag_ledger_and_report(tmp_path):
    wd = tmp_path / "repo"
    wd.mkdir()
    _copy_repository(wd)
    _follow_the_guide(wd)
    env = {**os.environ, "PYTHONPATH": str(wd / "src")}

    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", PAPER]
    proc = subprocess.run(cmd, cwd=wd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # only the new home's jobs ran, under its prefix
    ran = set(re.findall(r"Rule: (\w+)\)", proc.stderr + proc.stdout))
    assert ran and all(rule.startswith("sou_") or rule in (PAPER, "paper_summary") for rule in ran), ran

    verdict = json.loads((wd / "results" / "checks" / PAPER / "thm3_margin.json").read_text())
    assert verdict["passed"] and verdict["kind"] == "claim" and verdict["paper"] == PAPER
    summary = (wd / "results" / "checks" / PAPER / "summary.md").read_text()
    assert "1 of 1 claims reproduced" in summary and "| thm3_margin | claim |" in summary
    assert (wd / "results" / "figures" / PAPER / "fig_gap.png").stat().st_size > 0

    out = subprocess.run(
        [sys.executable, "-c", _REPORT, PAPER], cwd=wd, env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["papers"][-1] == PAPER and "test_a_plateau_a_rising_gap_or_one_stuck_seed_fails" in result["tests"]
    html = result["html"]  # the home's section, its figure and its check beside it
    assert all(f'id="{anchor}"' in html for anchor in (PAPER, f"fig-{PAPER}-fig_gap", f"check-{PAPER}-thm3_margin"))
    assert [row[1:3] for row in result["listing"]] == [["figure", "fig_gap"], ["check", "thm3_margin"]]

    # what adding the home touched outside its own files (its package, its schema, its tests)
    status = _git(wd, "status", "--porcelain", "--untracked-files=all").splitlines()
    modified = sorted(line[3:] for line in status if line[:2].strip() == "M")
    new = sorted(line[3:] for line in status if line.startswith("??"))
    assert all(PAPER in path for path in new), new
    assert modified == ["config.yaml", "src/implicit_bias/papers/__init__.py"], modified
