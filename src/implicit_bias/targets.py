"""The workflow's targets by name: every paper's figures and checks and the paths Snakemake builds them at.

The Snakefile's target lists and the `implicit-bias` command (`papers`, `figure`, `check`) read the same lists from
here, so that a figure added to a paper shows up in both. Each home declares its figures (`Paper.figures`,
papers/<paper>/__init__.py): configured (baek2025's `figures` section), fixed by the paper, or one per study.
"""

from __future__ import annotations

from .papers import PAPERS, home

__all__ = ["check_path", "checks_of_paper", "figure_path", "figures_of", "listing"]


def figures_of(paper: str, config: dict) -> list[str]:
    """The names of `paper`'s figures under the workflow configuration `config`, in the order they are drawn."""
    return list(home(paper).figures(config))


def checks_of_paper(paper: str) -> list[str]:
    """The names of `paper`'s checks (its `CHECKS` registry; imports the paper's checks module)."""
    from .checks import checks_of

    home(paper)  # an unknown paper: the registry's error
    return list(checks_of(paper))


def figure_path(paper: str, name: str) -> str:
    return f"results/figures/{paper}/{name}.png"


def check_path(paper: str, name: str) -> str:
    return f"results/checks/{paper}/{name}.json"


def listing(config: dict) -> list[tuple[str, str, str, str]]:
    """(paper, "figure" | "check", name, target path) for every figure and check of every paper."""
    rows = []
    for paper in PAPERS:
        rows += [(paper, "figure", name, figure_path(paper, name)) for name in figures_of(paper, config)]
        rows += [(paper, "check", name, check_path(paper, name)) for name in checks_of_paper(paper)]
    return rows
