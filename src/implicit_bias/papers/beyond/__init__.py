"""Beyond the papers: questions the three papers raise together and none of them answers.

A fourth home next to the papers, built the same way (config section `beyond`, rules in workflow/rules/beyond.smk,
checks in the same ledger and report), made of five *studies*, one subpackage each, laid out as a paper's home:

* `phase`       binary Adam over batch size × β1 × β2 × sampling, and the batch analogue of P(c) (its fixed point);
* `multiclass`  per-sample Adam on fan2025's multiclass data, and the multiclass fixed point;
* `eps`         ε in per-sample Adam: when the iterates leave the fixed point for ℓ2;
* `real_data`   scikit-learn's digits: the predictions of the three papers where nobody built the data;
* `newton_schulz` Muon as practised (Newton-Schulz orthogonalisation) vs the exact polar factor fan2025 analyse.

Every study exposes the same small interface, which the workflow's generic rules call (cfg is the study's section of
the config, `config["beyond"][<study>]`; a data-set name is a plain file name, e.g. "s0"), one layer per module, so
that a job imports the layer it runs and declares only that layer's files as inputs (a figure job its study's plots
and what they read, no solver and no kernel; a check job the studies' checks, not their experiments):

* the study's package, `beyond.<study>` (light): ``STUDY``, its name; ``FIGURE``, its figure's name
  (results/figures/beyond/<FIGURE>.png); and the names its layers share;
* `beyond.<study>.experiments`:
  ``check_config(cfg)``: what the schema cannot check, before any job runs (a ValueError "<study>.<key>: <problem>");
  ``datasets(cfg) -> list[str]``: the data sets the study runs on;
  ``make_dataset(cfg, name) -> dict[str, np.ndarray]``: one data set (deterministic in `cfg` and `name`);
  ``references(cfg, name, data) -> dict[str, np.ndarray]``: max-margin directions, fixed points (the references the
  runs are compared with);
  ``run(cfg, name, data, log) -> dict[str, np.ndarray]``: the optimizer runs on one data set (trajectories on a log
  grid; the expensive step; `log` is a print-like callable for progress lines);
  ``metrics(cfg, inputs) -> pandas.DataFrame``: one long table for the study, from ``inputs = {name: (data, refs,
  runs)}`` (every data set's arrays);
* `beyond.<study>.checks`: ``CHECKS``, name -> `implicit_bias.checks.Check` with ``experiments=(<study>,)``; a check
  reads ``art.metrics(<study>)`` (and ``art.runs/refs/data(f"{<study>}/{name}")`` when it needs arrays);
* `beyond.<study>.plots`: ``figure(df, cfg) -> matplotlib.figure.Figure``: the study's figure from its metric table
  alone (it may read its checks' tables and thresholds, never its experiments).

`study_module(study, layer)` imports one of them by name.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .. import Paper

__all__ = ["LAYERS", "PAPER", "STUDIES", "check_study", "figure_studies", "study_module", "study_module_name"]

STUDIES = ("phase", "multiclass", "eps", "real_data", "newton_schulz")
LAYERS = ("experiments", "checks", "plots")


def study_module_name(study: str, layer: str | None = None) -> str:
    """The dotted name of a study's package (`layer` None) or of one of its modules, `layer` one of LAYERS."""
    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; expected one of {', '.join(STUDIES)}")
    if layer is not None and layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r} of a study; expected one of {', '.join(LAYERS)}")
    return f"{__name__}.{study}" + ("" if layer is None else f".{layer}")


def study_module(study: str, layer: str | None = None) -> ModuleType:
    """A study's package (`layer` None: its declaration, `FIGURE`) or one of its modules (`layer` "experiments",
    "checks" or "plots"), imported by name, so a workflow rule declares only the layer of the study it runs."""
    return importlib.import_module(study_module_name(study, layer))


def check_study(study: str, cfg: dict) -> None:
    """A study's `check_config` (the rules its schema cannot say) on its section `cfg`; its messages
    "<study>.<key>: <problem>" raised as "beyond.<study>.<key>: <problem>"."""
    try:
        study_module(study, "experiments").check_config(cfg)
    except ValueError as err:
        raise ValueError(f"beyond.{err}") from None


def figure_studies() -> dict[str, list[str]]:
    """Figure -> [the study that draws it] (each study draws one figure, its ``FIGURE``)."""
    return {study_module(study).FIGURE: [study] for study in STUDIES}


def figures(config: dict) -> list[str]:
    return list(figure_studies())


PAPER = Paper(
    name="beyond",
    prefix="bey",
    title="Beyond the papers: questions the three papers raise together",
    figures=figures,
    schema="beyond.schema.yaml",
)
