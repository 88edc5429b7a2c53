"""The `beyond` studies as a whole: their data-set names, one study end to end in one process.

The workflow's generic rules (workflow/rules/beyond.smk) call each study's `experiments` module
(`implicit_bias.papers.beyond.<study>.experiments`, the interface is in the package's docstring) by name. Those
modules import their heavy dependencies inside their functions, so this module stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ...config import check_section
from . import STUDIES, check_study, study_module

__all__ = ["check_config", "cross_references", "datasets", "fan2025_dataset", "run_study"]


def check_config(config: dict) -> None:
    """The cross-references of the `beyond` section the schema cannot express (each study's `check_config`, whose
    messages start with "<study>.<key>"); raised as "beyond.<study>.<key>: <problem>"."""
    for study in STUDIES:
        check_study(study, config[study])


def fan2025_dataset(cfg: dict, name: str, study: str) -> dict[str, Any]:
    """The data set `name` ("s<seed>", one per seed of `cfg["seeds"]`) of a multiclass study (`cfg` its section):
    fan2025's data for that seed (spec §3: `cfg["data"]` holds classes, dim, per_class, sigma), with the max-norm LP
    that certifies separability (V_∞, γ_∞); a failure names `study`."""
    from ...multiclass import make_multiclass

    names = [f"s{seed}" for seed in cfg["seeds"]]
    if name not in names:
        raise ValueError(f"{study}: unknown data set {name!r}; expected one of {names}")
    seed, data = int(name[1:]), cfg["data"]
    try:
        H, y, tries, sol = make_multiclass(data["classes"], data["dim"], data["per_class"], data["sigma"], seed)
    except ValueError as exc:
        raise ValueError(f"{study}.data: {exc}") from exc
    return {"H": H, "y": y, "seed": np.int64(seed), "tries": np.int64(tries), "V_inf": sol.w, "gamma_inf": sol.gamma}


def datasets(config: dict, study: str) -> list[str]:
    """The data-set names of one study (`config`: the `beyond` section)."""
    return study_module(study, "experiments").datasets(config[study])


def run_study(
    study: str, cfg: dict, log: Callable[[str], object] = print
) -> tuple[dict[str, tuple[dict, dict, dict]], pd.DataFrame]:
    """One study end to end in this process, without Snakemake (a notebook, a test): every data set's (data,
    references, runs) and the metric table; `cfg` is the study's own section, refused first as the Snakefile
    refuses it (`implicit_bias.config.check_section`: its schema, then the study's `check_config`)."""
    module = study_module(study, "experiments")
    check_section(f"beyond.{study}", cfg)
    inputs = {}
    for name in module.datasets(cfg):
        data = module.make_dataset(cfg, name)
        inputs[name] = (data, module.references(cfg, name, data), module.run(cfg, name, data, log))
    return inputs, module.metrics(cfg, inputs)


def cross_references(config: dict) -> None:
    check_config(config["beyond"])
