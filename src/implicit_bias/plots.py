"""Plotting helpers every paper's figures share: the Agg backend, one colour per algorithm, deterministic saving.

Deterministic by construction: Agg backend, no bootstrap confidence intervals (seaborn is used for styling only),
fixed metadata in the saved files. Each paper's figures are in `implicit_bias.papers.<paper>.plots`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import seaborn as sns

from .artifacts import atomic_path, provenance

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ALGORITHM_COLORS", "save_figure", "series_colors"]

# One colour per algorithm across every figure of every paper.
_PALETTE = sns.color_palette("colorblind", 10)
ALGORITHM_COLORS = {
    "Det-Adam": _PALETTE[0],
    "Inc-Adam": _PALETTE[1],
    "Adam (replacement)": _PALETTE[2],
    "Adam (reshuffle)": (0.1, 0.1, 0.1),  # not _PALETTE[3]: that vermilion is too close to Inc-Adam's orange
    "AdamProxy": _PALETTE[4],
    "GD": _PALETTE[7],
    "SignSGD": _PALETTE[5],
    "Signum (b=10)": _PALETTE[6],
}


def series_colors(labels: Iterable[str]) -> dict[str, tuple[float, float, float]]:
    """Fixed colours for known algorithms; a sequential palette, in order, for sweep values (β, b, …).

    Every label gets a distinct colour: should a fixed colour repeat one already used in the same figure, the label
    falls back to the first unused colour of a fixed list (deterministic).
    """
    labels = list(dict.fromkeys(labels))
    unknown = [lab for lab in labels if lab not in ALGORITHM_COLORS]
    seq = sns.color_palette("viridis", max(len(unknown), 1))
    colors = dict(zip(unknown, seq))
    out: dict[str, tuple[float, float, float]] = {}
    spare = [c for c in (*_PALETTE, *sns.color_palette("dark", 10)) if c not in ALGORITHM_COLORS.values()]
    for lab in labels:
        col = tuple(ALGORITHM_COLORS.get(lab, colors.get(lab)))  # type: ignore[arg-type]  # every label has one
        if col in out.values():
            col = tuple(next(c for c in spare if tuple(c) not in out.values()))
        out[lab] = col
    return out


def save_figure(
    fig: Figure, png_path: str | os.PathLike, pdf_path: str | os.PathLike | None = None, config: Any = None
) -> None:
    """Write PNG (and PDF) atomically, with the figure's provenance (`artifacts.provenance(config)`: the config
    subset it was drawn from, the commit, the versions) as JSON in the metadata, PNG text chunk `provenance`, PDF
    `Subject`, and nothing that changes from run to run (no dates, no Software/Producer line), so that the same
    inputs at the same commit give identical files."""
    record = json.dumps(provenance(config), sort_keys=True)
    with atomic_path(png_path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=150, format="png", metadata={"Software": None, "provenance": record})
    if pdf_path is not None:
        with atomic_path(pdf_path, suffix=".pdf") as tmp:
            meta = {"CreationDate": None, "ModDate": None, "Producer": None, "Subject": record}
            fig.savefig(tmp, format="pdf", metadata=meta)
    plt.close(fig)
