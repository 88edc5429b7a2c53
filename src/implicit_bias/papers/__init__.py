"""One home per paper: `papers/<paper>/` holds everything that is specific to one paper's reproduction.

* `__init__.py`     the home's declaration, ``PAPER = Paper(...)``: the one place the pipeline learns of it;
* `experiments.py`  config → runs, references, metric tables, and `cross_references` (what the schemas cannot say);
* `checks.py`       its theorem checks, `CHECKS` (name → `implicit_bias.checks.Check`);
* `plots.py`        its figures.

The maths the papers share (data, losses, optimizers, training, margins, fixed points, backward error analysis,
networks) lives in the package's concept modules, the generic check framework in `implicit_bias.checks`, the
generic plotting helpers in `implicit_bias.plots`. This module holds what the papers' orchestration shares: the
registry (`HOMES`, `PAPERS`, `home`, `home_of_rule`), the declaration (`Paper`) and the interfaces a home's modules
provide (`PaperChecks`, `PaperExperiments`, `GenericExperiments`/`GenericPlots` and their experiment level
`GenericExperimentLevel`/`GenericExperimentPlots`, whose steps return an `Artifact`). docs/adding-a-paper.md walks
through adding a home.

Everything that lists the papers (config validation, the Snakefile's includes, rule-name prefixes, target lists,
the check rules, the ledger, the report, the command line) reads this registry. Importing it, or a home's
`__init__`, loads no paper module: `home` imports the home's package by name, and a declaration imports its
`experiments`/`checks` modules inside the functions that need them, so a dry run and a figure job stay light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "HOMES",
    "PAPERS",
    "STEPS",
    "Artifact",
    "GenericExperimentLevel",
    "GenericExperimentPlots",
    "GenericExperiments",
    "GenericPlots",
    "Paper",
    "PaperChecks",
    "PaperExperiments",
    "check_run_labels",
    "home",
    "home_of_rule",
    "run_specs",
]

# The homes, in the order the summary tables and the report list them: the three papers, and `beyond` (questions
# they raise together), a fourth home built the same way. A new home is one more name here and its package.
HOMES = ("baek2025", "fan2025", "cattaneo2024", "beyond")
PAPERS = HOMES
# the steps of the generic rule set, each a rule `<prefix>_<step>` (workflow/rules/generic.smk)
STEPS = ("dataset", "reference", "run", "metrics", "figure")


@dataclass(frozen=True)
class Paper:
    """A home's declaration: what the workflow, the config validation, the ledger and the CLI need to know of it.

    name      the package folder, config section, results/<kind>/<name>/ folder and `snakemake <name>` target;
    prefix    the prefix of its rule names (`<prefix>_run`, `<prefix>_check`): short, so a job table stays narrow;
    title     one line on what the home reproduces;
    figures   config -> the names of its figures (results/figures/<name>/<figure>.png), in drawing order;
    schema    its config section's JSON schema (a file name in the schema folder), or None when the top-level schema
              checks the section;
    generic   True: the workflow builds the home with the generic rule set (workflow/rules/generic.smk, data set ->
              references -> run -> metrics -> figure) from the modules of `GenericExperiments`/`GenericPlots`
              (or, at the experiment level, `GenericExperimentLevel`/`GenericExperimentPlots`);
              False: the home brings its own rules, workflow/rules/<name>_common.smk and <name>.smk;
    resources step -> the Snakemake resources of a generic home's `<prefix>_<step>` jobs (runtime in minutes,
              mem_mb), which a cluster profile schedules by; scheduling only, never science.
    """

    name: str
    prefix: str
    title: str
    figures: Callable[[dict], list[str]]
    schema: str | None = None
    generic: bool = False
    resources: dict[str, dict[str, int]] = field(default_factory=dict)
    # keys of its section (dotted, below the section) whose values are paths a job reads: they must stay inside the
    # project (implicit_bias.config.unsafe_path)
    path_keys: tuple[str, ...] = ()

    def cross_references(self, config: dict) -> None:
        """The home's cross-references the schema cannot express (its experiments' `cross_references`, imported
        by name here: a job that reads the declaration does not load the experiments)."""
        importlib.import_module(self.experiments_module).cross_references(config)

    @property
    def module(self) -> str:
        """The home's package (`implicit_bias.papers.<name>`)."""
        return f"{__name__}.{self.name}"

    @property
    def checks_module(self) -> str:
        """The module that holds its `CHECKS` (imported by name, so a check rule declares it as an input)."""
        return f"{self.module}.checks"

    @property
    def experiments_module(self) -> str:
        return f"{self.module}.experiments"

    @property
    def plots_module(self) -> str:
        return f"{self.module}.plots"

    @property
    def rule_files(self) -> tuple[str, ...]:
        """Its own rule files under workflow/rules/ (helpers first, then rules); none for a generic home."""
        return () if self.generic else (f"{self.name}_common.smk", f"{self.name}.smk")


class PaperChecks(Protocol):
    """`papers/<name>/checks.py`: the home's theorem checks, name -> `implicit_bias.checks.Check` (light at import:
    the Snakefile reads it to plan the check jobs)."""

    CHECKS: dict[str, Any]


class PaperExperiments(Protocol):
    """`papers/<name>/experiments.py`: config -> runs, references and metric tables, and the config's
    cross-references, which the config validation calls (through `Paper.cross_references`) before any job runs."""

    def cross_references(self, config: dict) -> None:
        """What the schema cannot express, on the whole `config` (the home's section, and what its figures and
        checks read); a ValueError whose text starts with the dotted key path, ``<name>.<key>: <problem>``."""
        ...


class GenericExperiments(PaperExperiments, Protocol):
    """`experiments.py` of a generic home (`Paper.generic`), which the generic rules call; `cfg` is the home's config
    section, a data-set name a plain file name. Heavy libraries (numba, cvxpy) are imported inside the functions."""

    def datasets(self, cfg: dict) -> list[str]:
        """The data sets (results/data/<name>/<data set>.npz), deterministic in `cfg`."""
        ...

    def make_dataset(self, cfg: dict, name: str) -> dict[str, np.ndarray]: ...

    def references(self, cfg: dict, name: str, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """What the runs are compared with (max-margin directions, fixed points)."""
        ...

    def run(self, cfg: dict, name: str, data: dict[str, np.ndarray], log: Callable[[str], object]) -> dict:
        """The optimizer runs on one data set (the expensive step; `log` prints progress lines)."""
        ...

    def metrics(self, cfg: dict, inputs: dict[str, tuple[dict, dict, dict]]) -> pd.DataFrame:
        """One long table from every data set's (data, references, runs) (results/metrics/<name>/metrics.csv)."""
        ...


class GenericPlots(Protocol):
    """`plots.py` of a generic home: one figure from the metric table alone (imports no solver and no kernel)."""

    def figure(self, name: str, df: pd.DataFrame, cfg: dict) -> Any: ...


@dataclass(frozen=True)
class Artifact:
    """One step's product with the record saved beside it: `content` is a step's arrays (an .npz), its metric table
    (a CSV) or its figure; `record` the settings it came from (the .npz's `meta`, the CSV's and the figure's
    `config`), which the checks and the report read. The experiment level's steps return one and receive their
    inputs as ones."""

    content: Any
    record: Any


class GenericExperimentLevel(PaperExperiments, Protocol):
    """`experiments.py` of a generic home whose runs group data sets into experiments: the rules run one job per
    experiment (all its data sets at once) and write one metric table per experiment,

        results/data/<name>/<data set>.npz          make_dataset(s, data set)
        results/references/<name>/<data set>.npz    references(s, data set, data)  (data sets with `has_reference`)
        results/runs/<name>/<experiment>.npz        run(s, experiment, {data set: data}, log)
        results/metrics/<name>/<experiment>.csv     metrics(s, experiment, {data set: data}, {data set: refs}, runs)

    and its figures read the tables of `figure_inputs`. A home is at this level when its experiments module has
    `experiments`. `s` is the job's settings, its rule's params (`PARAMS`): a step reads nothing else, so editing the
    config re-runs exactly the jobs whose settings changed. Inputs and results are `Artifact`s.
    """

    PARAMS: dict[str, dict[str, Callable[[dict, str], Any]]]
    """step -> {param: (the home's config section, the job's data set, experiment or figure) -> its value}."""

    def datasets(self, cfg: dict) -> list[str]:
        """Every data set an experiment or a check reads, in the order the checks list them."""
        ...

    def experiments(self, cfg: dict) -> dict[str, list[str]]:
        """experiment -> the data sets it runs on, in the order of its runs' arrays."""
        ...

    def has_reference(self, cfg: dict, name: str) -> bool:
        """False: the data set's own file holds what its metrics need of a reference (no reference job)."""
        ...

    def figure_inputs(self, cfg: dict, fig: str) -> list[str]:
        """The experiments whose metric tables figure `fig` draws."""
        ...

    def make_dataset(self, s: dict, name: str) -> Artifact: ...

    def references(self, s: dict, name: str, data: Artifact) -> Artifact: ...

    def run(self, s: dict, experiment: str, data: dict[str, Artifact], log: Callable[[str], object]) -> Artifact: ...

    def metrics(
        self, s: dict, experiment: str, data: dict[str, Artifact], refs: dict[str, Artifact], runs: Artifact
    ) -> Artifact: ...


class GenericExperimentPlots(Protocol):
    """`plots.py` of a generic home at the experiment level: one figure (`Artifact(figure, record)`) from the metric
    tables it reads ({experiment: Artifact(table, record)}); `s` is its job's settings (`PARAMS["figure"]`)."""

    def figure(self, s: dict, name: str, tables: dict[str, Artifact]) -> Artifact: ...


def home(name: str) -> Paper:
    """The declaration of home `name` (its package's `PAPER`)."""
    if name not in HOMES:
        raise ValueError(f"unknown paper {name!r}; expected one of {', '.join(HOMES)}")
    paper = importlib.import_module(f"{__name__}.{name}").PAPER
    if paper.name != name:
        raise ValueError(f"papers/{name}/__init__.py declares the paper {paper.name!r}")
    return paper


def home_of_rule(rule: str) -> Paper:
    """The home whose rule `rule` is (`<prefix>_<step>`): a generic step script learns its home from its rule's name,
    so that its params hold the job's settings and nothing else."""
    prefix = rule.rsplit("_", 1)[0]
    for name in HOMES:
        paper = home(name)
        if paper.prefix == prefix:
            return paper
    raise ValueError(f"rule {rule!r}: no home has the prefix {prefix!r}")


def run_specs(experiment: dict, defaults: dict, structural: Iterable[str] = ("runs", "dataset")) -> dict[str, dict]:
    """Each run's full settings: `defaults` < the experiment's keys (less its `structural` ones) < the run's keys."""
    shared = {k: v for k, v in experiment.items() if k not in structural}
    specs = {}
    for run_id, run in experiment["runs"].items():
        spec = {**defaults, **shared, **run}
        spec.setdefault("label", run_id)
        specs[run_id] = spec
    return specs


def check_run_labels(key: str, specs: dict[str, dict]) -> None:
    """Two runs of one experiment must not share a label (`key`: the experiment's dotted path): the figures tell
    runs apart by label, so their curves would share a colour and a legend entry."""
    run_of: dict[str, str] = {}
    for run_id, spec in specs.items():
        other = run_of.setdefault(spec["label"], run_id)
        if other != run_id:
            raise ValueError(f"{key}.runs.{run_id}.label: {spec['label']!r} is also the label of run {other!r}")
