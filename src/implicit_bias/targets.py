"""The workflow's targets by name: every paper's figures and checks and the paths Snakemake builds them at.

The Snakefile's target lists and the `implicit-bias` command (`papers`, `figure`, `check`) read the same lists from
here, so that a figure added to a paper shows up in both. baek2025's figures are configured (config
`baek2025.figures`); fan2025's and cattaneo2024's are fixed by the papers, each with what it reads; beyond's are one
per study.
"""

from __future__ import annotations

from .papers import PAPERS
from .papers.beyond import STUDIES, study_module

__all__ = ["FIXED_FIGURES", "check_path", "checks_of_paper", "figure_path", "figures_of", "listing"]

# figure -> the experiments (fan2025) or run artifacts (cattaneo2024) it reads
FIXED_FIGURES = {
    "fan2025": {
        "fig1": ["main"],
        "fig1_gaps": ["main", "long"],
        "fig_nsd": ["nsd"],
        "fig_losses": ["losses", "long"],
    },
    "cattaneo2024": {
        "fig1": ["fcurve"],
        "fig2": ["toy"],
        "fig3": ["order_mlp", "order_toy"],
        "fig4": ["sweep_rho"],
        "fig5": ["sweep_beta"],
        "mech_lambda": ["mech_lambda"],
        "mech_validity": ["mech_validity"],
        "mech_hscale": ["mech_hscale"],
    },
    # beyond: figure -> the study that draws it
    "beyond": {study_module(study).FIGURE: [study] for study in STUDIES},
}


def _known(paper: str) -> str:
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; expected one of {', '.join(PAPERS)}")
    return paper


def figures_of(paper: str, config: dict) -> list[str]:
    """The names of `paper`'s figures under the workflow configuration `config`, in the order they are drawn."""
    if _known(paper) in FIXED_FIGURES:
        return list(FIXED_FIGURES[paper])
    return list(config[paper]["figures"])


def checks_of_paper(paper: str) -> list[str]:
    """The names of `paper`'s checks (its `CHECKS` registry; imports the paper's checks module)."""
    from .checks import checks_of

    return list(checks_of(_known(paper)))


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
