"""Shared by the generic step scripts (workflow/rules/generic.smk): the job's home, its experiments module and
settings, and its inputs as `Artifact`s (the experiment level's functions receive them so)."""

from importlib import import_module
from pathlib import Path


def step(snakemake):
    """(home, its experiments module, whether it is at the experiment level, the job's settings): the settings are
    the job's params at the experiment level (its `PARAMS`), else the home's config section."""
    from implicit_bias.papers import home_of_rule

    paper = home_of_rule(snakemake.rule)
    module = import_module(paper.experiments_module)
    level = hasattr(module, "experiments")
    settings = dict(snakemake.params.items()) if level else snakemake.params.config
    return paper, module, level, settings


def npz_artifact(path):
    """An .npz as an `Artifact`: its arrays and the settings it recorded (`meta`)."""
    from implicit_bias.artifacts import load_npz
    from implicit_bias.papers import Artifact

    arrays, record = load_npz(path)
    return Artifact(arrays, record["meta"])


def csv_artifact(path):
    """A metric table as an `Artifact`: the table and the settings it recorded (`config`)."""
    from implicit_bias.artifacts import load_csv
    from implicit_bias.papers import Artifact

    df, record = load_csv(path)
    return Artifact(df, record.get("config"))


def stem(path):
    """The data set or experiment a path holds (its file name less the suffix)."""
    return Path(path).stem
