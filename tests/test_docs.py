"""The documentation site (mkdocs.yml, docs/): it builds with `mkdocs build --strict`, so a broken link or anchor, a
page left out of the nav or a docstring mkdocstrings cannot render fails here; every paper has its page naming each
figure and check target; the command-line page shows the commands' current `--help`; the README's links resolve.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from implicit_bias.cli import build_parser
from implicit_bias.targets import PAPERS, listing

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_the_site_builds_strict_without_a_warning(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about its successor, not a build warning
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the log is the assertion's message
    )
    log = build.stdout + build.stderr
    assert build.returncode == 0, log
    assert not re.search(r"^(WARNING|ERROR)\b", log, re.M), log
    assert (tmp_path / "site" / "papers" / "baek2025.html").is_file()
    api = (tmp_path / "site" / "api.html").read_text()
    assert 'id="implicit_bias.training.train"' in api  # mkdocstrings rendered the docstrings, not an empty page


def test_every_page_is_in_the_nav():
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]

    def pages(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from pages(item)
        elif isinstance(node, dict):
            for value in node.values():
                yield from pages(value)

    assert set(pages(nav)) == {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}


@pytest.mark.parametrize("paper", PAPERS)
def test_each_paper_page_names_every_figure_and_check_target(paper):
    page = (DOCS / "papers" / f"{paper}.md").read_text()
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    rows = [row for row in listing(config) if row[0] == paper]
    assert rows
    for _, kind, name, path in rows:
        assert (path if kind == "figure" else f"`{name}`") in page, (kind, name)
    assert f"snakemake --cores all {paper}" in page


def test_the_cli_page_shows_each_commands_current_help(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # the width the page was written at (argparse reads it)
    page = (DOCS / "cli.md").read_text()
    parser = build_parser()
    assert parser.format_help().rstrip() in page
    for command, sub in parser._subparsers._group_actions[0].choices.items():
        assert sub.format_help().rstrip() in page, f"docs/cli.md: `implicit-bias {command} --help` changed"


def test_the_readme_is_a_first_day_page_whose_links_resolve():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert "docs/papers/baek2025.md" in links
    missing = [link for link in links if not link.startswith("http") and not (ROOT / link).exists()]
    assert not missing, missing


def test_the_api_page_documents_every_public_module():
    api = (DOCS / "api.md").read_text()
    modules = sorted(p.stem for p in (ROOT / "src" / "implicit_bias").glob("*.py") if not p.stem.startswith("_"))
    missing = [m for m in modules if f"\n::: implicit_bias.{m}\n" not in api]
    assert not missing, f"docs/api.md lacks a `::: implicit_bias.<module>` line for {missing}"
