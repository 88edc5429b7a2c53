"""baek2025's figure functions on small synthetic metrics tables: curves with their annotations, and the heatmap."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from implicit_bias.papers.baek2025 import plots
from implicit_bias.plots import save_figure

STEPS = np.unique(np.round(np.logspace(0, 4, 60)).astype(int))
SEEDS = (0, 1, 2)
GUIDE = {"slope": -0.5, "label": "Thm 5.1 rate"}


def _table(runs: dict[str, tuple[str, float, float]]) -> pd.DataFrame:
    """Per run (label, gap exponent, 1 − cos plateau): gap ∝ t^exponent, 1 − cos = plateau + t^(-1), per seed."""
    rows = []
    for run, (label, exponent, plateau) in runs.items():
        for seed in SEEDS:
            scale = 1.0 + 0.1 * seed
            for step in STEPS:
                one_minus = plateau * scale + 0.5 / step
                rows.append(
                    {
                        "run": run,
                        "label": label,
                        "seed": seed,
                        "step": int(step),
                        "log_loss": -np.log(step),
                        "cos_l2": 1 - 2 * one_minus,
                        "cos_linf": 1 - one_minus,
                        "cos_fp": 1 - one_minus / 2,
                        "margin_l2": 0.1,
                        "margin_linf": 0.1,
                        "gap_linf": scale * float(step) ** exponent,
                    }
                )
    return pd.DataFrame(rows)


GRID = {
    "b1_lo": ("b=1, beta=0.9", -0.05, 1e-2),  # stalls
    "b1_hi": ("b=1, beta=0.99", -0.5, 0.0),
    "b10_lo": ("b=10, beta=0.9", -0.5, 0.0),
    "b10_hi": ("b=10, beta=0.99", -0.5, 0.0),
}
SETTINGS = {
    "dataset": {"dataset": {"kind": "gaussian", "n": 10}},
    "runs": {
        "b1_lo": {"batch_size": 1, "beta1": 0.9},
        "b1_hi": {"batch_size": 1, "beta1": 0.99},
        "b10_lo": {"batch_size": None, "beta1": 0.9},
        "b10_hi": {"batch_size": None, "beta1": 0.99},
    },
}


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [fig.get_supxlabel()]


def test_decade_fall_reads_the_rate_and_each_seed():
    df = _table({"r": ("r", -0.5, 0.0)})
    table = df[df["run"] == "r"].pivot_table(index="step", columns="seed", values="gap_linf")
    mean, per_seed = plots.decade_fall(table)
    early = STEPS[np.argmin(np.abs(STEPS - 0.1 * STEPS.max()))]
    assert mean == pytest.approx((STEPS.max() / early) ** 0.5)
    assert per_seed.shape == (len(SEEDS),) and np.allclose(per_seed, mean)


def test_the_spread_bound_holds_for_any_three_directions():
    """The bound drawn on fig7 is ≥ the true largest 1 − cos between two runs (triangle inequality on angles)."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        ref, *ws = (v / np.linalg.norm(v) for v in rng.normal(size=(4, 5)))
        cos_ref = [pd.DataFrame([[float(w @ ref)]]) for w in ws]
        bound = float(plots._angle_spread(cos_ref).iloc[0, 0])
        true = max(1 - float(a @ b) for i, a in enumerate(ws) for b in ws[i + 1 :])
        assert true <= bound + 1e-12


def test_curves_with_every_annotation():
    df = _table({"slow": ("slow", -0.5, 1e-2), "fast": ("fast", -0.5, 0.0)})
    fig = plots.plot_curves(
        df, ["slow", "fast"], ["cos_linf", "gap_linf"], "test", fall=True, guide=GUIDE, spread="cos_linf", note="n"
    )
    gap, slope = fig.axes[1], fig.axes[3]  # row-major: the gap panel, and the slot below it
    texts = "\n".join(_texts(fig))
    assert "fall over the last decade" in texts and "bound, any two runs" in texts
    assert slope.axison and slope.get_ylabel().startswith(r"$d\,\log")
    # the local slope of t^(-1/2) is -1/2 wherever it is drawn; the guide sits at the same slope
    assert np.allclose(slope.lines[0].get_ydata(), -0.5)
    assert any(line.get_label().startswith(r"$\propto t^{-1/2}$") for line in gap.lines)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:2] == ["slow", "fast"] and any("Thm 5.1" in t for t in legend) and any("bound" in t for t in legend)
    assert "n" in fig.get_supxlabel()


def test_curves_without_annotations_draw_as_before():
    """No annotation key: no boxes, no guide, the slot below a non-cosine panel empty, one entry per run."""
    df = _table({"a": ("a", -0.5, 0.0), "b": ("b", -0.5, 0.0)})
    fig = plots.plot_curves(df, ["a", "b"], ["cos_l2", "gap_linf"], "test")
    assert not [t for ax in fig.axes for t in ax.texts]
    assert not fig.axes[3].axison
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b"]


def test_heatmap_places_runs_by_their_settings_and_marks_stalls():
    df = _table(GRID)
    fig = plots.plot_heatmap(df, list(GRID), "gap_linf", SETTINGS, "batch_size", "beta1", "test", guide=GUIDE)
    level, fall = fig.axes[:2]
    assert len(fig.axes) == 4  # two maps, two colour bars
    assert [t.get_text() for t in level.get_yticklabels()] == ["1", "10 (full)"]
    assert [t.get_text() for t in level.get_xticklabels()] == ["0.9", "0.99"]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in fall.texts}
    assert "stalls on 3/3 seeds" in cells[(0, 0)]  # b = 1, beta = 0.9
    assert not any("stalls" in cells[c] for c in cells if c != (0, 0))
    assert cells[(1, 1)].startswith("3.")  # the rate's fall over one decade, about sqrt(10)
    assert fall.images[0].norm.vcenter == pytest.approx(np.sqrt(10))
    assert "2.53" in fig.get_supxlabel()


def test_heatmap_refuses_two_runs_in_one_cell():
    settings = {**SETTINGS, "runs": {**SETTINGS["runs"], "b1_lo": {"batch_size": 1, "beta1": 0.99}}}
    with pytest.raises(ValueError, match="share one"):
        plots.plot_heatmap(_table(GRID), list(GRID), "gap_linf", settings, "batch_size", "beta1", "test")


@pytest.mark.parametrize(
    "spec",
    [
        {"runs": list(GRID), "panels": ["gap_linf"], "style": "heatmap", "guide": GUIDE,
         "heatmap": {"rows": "batch_size", "columns": "beta1"}},
        {"runs": ["b1_lo", "b1_hi"], "panels": ["cos_linf", "gap_linf"], "fall": True, "guide": GUIDE},
    ],
    ids=["heatmap", "curves"],
)  # fmt: skip
def test_plot_figure_is_deterministic(spec, tmp_path):
    digests = []
    for i in range(2):
        fig = plots.plot_figure(_table(GRID), spec, "test", SETTINGS)
        save_figure(fig, tmp_path / f"{i}.png", config={"figure": spec})
        digests.append(hashlib.sha256((tmp_path / f"{i}.png").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_notes_wrap_outside_math_only():
    text = "aaaa $x y$ bbbb $p q r$ cc"
    assert plots._wrap(text, 6).split("\n") == ["aaaa", "$x y$", "bbbb", "$p q r$", "cc"]
    assert plots._wrap("one\ntwo three", 5) == "one\ntwo\nthree"
