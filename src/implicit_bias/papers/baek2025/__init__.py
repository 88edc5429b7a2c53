"""baek2025: the implicit bias of per-sample Adam (experiments, theorem checks, figures)."""

from __future__ import annotations

from .. import Paper

__all__ = ["PAPER"]


def figures(config: dict) -> list[str]:
    """The configured figures (config `baek2025.figures`), in the config's order."""
    return list(config["baek2025"]["figures"])


PAPER = Paper(
    name="baek2025",
    prefix="baek",
    title="The implicit bias of per-sample Adam",
    figures=figures,
    schema=None,  # the top-level schema checks the baek2025 section
    generic=True,  # at the experiment level (experiments.PARAMS, experiments.experiments)
    resources={"reference": {"runtime": 30, "mem_mb": 2000}, "run": {"runtime": 60, "mem_mb": 2000}},
)
