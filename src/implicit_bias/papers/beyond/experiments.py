"""Config → data sets, references, runs and metric tables of the `beyond` studies (issue 13).

The workflow's generic rules (workflow/rules/beyond.smk) call these with a study's name; each study module
(`implicit_bias.papers.beyond.<study>`) does the work (the interface is in the package's docstring). The study modules
import their heavy dependencies inside their functions, so this module and the checks registry stay light.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from . import STUDIES, study_module

__all__ = [
    "check_config",
    "datasets",
    "figure_of",
    "make_dataset",
    "metrics",
    "references",
    "run",
    "run_study",
    "study_of_figure",
]


def _section(config: dict, study: str) -> dict:
    study_module(study)  # refuses an unknown study by name
    return config[study]


def check_config(config: dict) -> None:
    """The cross-references of the `beyond` section the schema cannot express (each study's `check_config`, whose
    messages start with "<study>.<key>"); raised as "beyond.<study>.<key>: <problem>"."""
    for study in STUDIES:
        check = getattr(study_module(study), "check_config", None)
        if check is not None and study in config:
            try:
                check(config[study])
            except ValueError as err:
                raise ValueError(f"beyond.{err}") from None


def datasets(config: dict, study: str) -> list[str]:
    return study_module(study).datasets(_section(config, study))


def make_dataset(config: dict, study: str, name: str) -> dict[str, np.ndarray]:
    return study_module(study).make_dataset(_section(config, study), name)


def references(config: dict, study: str, name: str, data: dict) -> dict[str, np.ndarray]:
    return study_module(study).references(_section(config, study), name, data)


def run(config: dict, study: str, name: str, data: dict, log: Callable[[str], object] = print) -> dict[str, np.ndarray]:
    return study_module(study).run(_section(config, study), name, data, log)


def metrics(config: dict, study: str, inputs: dict[str, tuple[dict, dict, dict]]) -> pd.DataFrame:
    return study_module(study).metrics(_section(config, study), inputs)


def run_study(
    study: str, cfg: dict, log: Callable[[str], object] = print
) -> tuple[dict[str, tuple[dict, dict, dict]], pd.DataFrame]:
    """One study end to end in this process, without Snakemake (a notebook, a test): every data set's (data,
    references, runs) and the metric table; `cfg` is the study's own section."""
    module = study_module(study)
    inputs = {}
    for name in module.datasets(cfg):
        data = module.make_dataset(cfg, name)
        inputs[name] = (data, module.references(cfg, name, data), module.run(cfg, name, data, log))
    return inputs, module.metrics(cfg, inputs)


def figure_of(study: str) -> str:
    return study_module(study).FIGURE


def study_of_figure(figure: str) -> str:
    """The study that draws `figure` (each study draws one)."""
    for study in STUDIES:
        if figure_of(study) == figure:
            return study
    raise ValueError(f"no beyond study draws a figure {figure!r}")
