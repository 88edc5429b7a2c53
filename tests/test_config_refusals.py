"""Invalid configs are refused before any job runs, in one line naming the dotted key path.

The table goes through `implicit_bias.config.validate_config`, the function the Snakefile runs on its merged
config (workflow/rules/common.smk), in-process: each row is config.yaml merged with one override by Snakemake's own
`update_config`, as `--configfile` merges it. Three rows also run through `snakemake -n` end to end, which shows
the wiring (the config files Snakemake read, the one-line exit, nothing written to results/).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from implicit_bias.config import ConfigError, validate_config

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text())


def at(path: str, value) -> dict:
    """The nested override {"a": {"b": value}} of the dotted path "a.b"."""
    for key in reversed(path.split(".")):
        value = {key: value}
    return value


def merged(*overrides: dict) -> dict:
    """config.yaml updated by each override, as Snakemake merges --configfile files (a list replaces a list)."""
    config = copy.deepcopy(DEFAULT)
    for override in overrides:
        update_config(config, copy.deepcopy(override))
    return config


BAEK_RUN = "baek2025.experiments.gaussian_adam.runs.det_adam"
FAN_MAIN = "fan2025.experiments.main"
NAN, INF = float("nan"), float("inf")

# (the key to set, its value, the dotted path the one-line refusal must name, a fragment of the problem)
CASES = [
    # unknown keys, at every level of each paper
    ("baek2026", {"seeds": [0]}, "(top level)", "'baek2026' was unexpected"),
    ("baek2025.seed", [0], "baek2025", "'seed' was unexpected"),
    ("baek2025.datasets.gaussian.sigma", 1.0, "baek2025.datasets.gaussian", "'sigma' was unexpected"),
    ("baek2025.experiments.gr_adam.step", 10, "baek2025.experiments.gr_adam", "'step' was unexpected"),
    (f"{BAEK_RUN}.betta1", 0.5, BAEK_RUN, "'betta1' was unexpected"),
    ("baek2025.figures.fig1.colour", "red", "baek2025.figures.fig1", "'colour' was unexpected"),
    ("fan2025.data.class", 3, "fan2025.data", "'class' was unexpected"),
    (f"{FAN_MAIN}.runs.ngd.betta2", 0.9, f"{FAN_MAIN}.runs.ngd", "'betta2' was unexpected"),
    ("cattaneo2024.sweeps.stepz", 10, "cattaneo2024.sweeps", "'stepz' was unexpected"),
    ("cattaneo2024.sweeps.grids.rho.gamma", 0.5, "cattaneo2024.sweeps.grids.rho", "'gamma' was unexpected"),
    # wrong types
    ("baek2025.experiments.gr_adam.steps", "1000", "baek2025.experiments.gr_adam.steps", "not of type 'integer'"),
    ("baek2025.experiments.gr_adam.steps", 1000.0, "baek2025.experiments.gr_adam.steps", "not an integer"),
    ("fan2025.num_log", "60", "fan2025.num_log", "not of type 'integer'"),
    ("cattaneo2024.sweeps.eval_every", 10.0, "cattaneo2024.sweeps.eval_every", "not an integer"),
    ("fan2025", [1, 2], "fan2025", "not of type 'object'"),
    # beta outside [0, 1), NaN and infinity included (NaN passes every minimum/maximum of JSON Schema)
    (f"{BAEK_RUN}.beta1", 1.0, f"{BAEK_RUN}.beta1", "greater than or equal to the maximum of 1"),
    (f"{BAEK_RUN}.beta2", -0.1, f"{BAEK_RUN}.beta2", "less than the minimum of 0"),
    (f"{BAEK_RUN}.beta1", NAN, f"{BAEK_RUN}.beta1", "not a finite number"),
    (f"{FAN_MAIN}.beta2", 1.5, f"{FAN_MAIN}.beta2", "maximum of 1"),
    ("cattaneo2024.fig1.rho", [0.9, 1.0], "cattaneo2024.fig1.rho.1", "maximum of 1"),
    ("cattaneo2024.sweeps.grids.beta.values", [0.5, 0.8, INF], "cattaneo2024.sweeps.grids.beta.values.2", "finite"),
    # beta1 > beta2 where Adam's theory requires beta1 <= beta2 (0.81 < 0.85: a beta1^2 < beta2 rule would let it pass)
    (BAEK_RUN, {"beta1": 0.9, "beta2": 0.85}, BAEK_RUN, "beta1 <= beta2"),
    (f"{FAN_MAIN}.runs.adam_eps0", {"beta1": 0.95, "beta2": 0.92}, f"{FAN_MAIN}.runs.adam_eps0", "beta1 <= beta2"),
    # zero or negative steps
    ("baek2025.experiments.gr_adam.steps", 0, "baek2025.experiments.gr_adam.steps", "minimum of 1"),
    (f"{FAN_MAIN}.runs.ngd.steps", -5, f"{FAN_MAIN}.runs.ngd.steps", "minimum of 1"),
    ("cattaneo2024.sweeps.steps", 0, "cattaneo2024.sweeps.steps", "minimum of 10"),
    # lr <= 0 (or infinite); cattaneo2024's step size is h
    (f"{BAEK_RUN}.lr", 0, f"{BAEK_RUN}.lr", "less than or equal to the minimum of 0"),
    (f"{FAN_MAIN}.lr", -0.1, f"{FAN_MAIN}.lr", "minimum of 0"),
    (f"{BAEK_RUN}.lr", INF, f"{BAEK_RUN}.lr", "not a finite number"),
    ("cattaneo2024.sweeps.h", 0.0, "cattaneo2024.sweeps.h", "minimum of 0"),
    # a batch size that does not divide N (cyclic batches), a class count that does not divide n
    (
        "baek2025.experiments.gaussian_adam.runs.inc_adam.batch_size",
        3,
        "baek2025.experiments.gaussian_adam.runs.inc_adam.batch_size",
        "must divide the 10 samples",
    ),
    (
        "fan2025.experiments.classes.classes",
        [2, 3],
        "fan2025.experiments.classes.classes",
        "do not divide the n = 500 samples",
    ),
    # unknown optimizer / loss / norm / scale / problem
    (f"{BAEK_RUN}.optimizer", "adamw", f"{BAEK_RUN}.optimizer", "is not one of"),
    (f"{FAN_MAIN}.loss", "hinge", f"{FAN_MAIN}.loss", "is not one of"),
    (f"{BAEK_RUN}.loss", "ce", f"{BAEK_RUN}.loss", "is not one of"),
    ("fan2025.norms", [1, 2, "max"], "fan2025.norms.2", "none of: number >= 1"),
    ("fan2025.experiments.nsd.runs.p1.p", 0.5, "fan2025.experiments.nsd.runs.p1.p", "less than the minimum of 1"),
    # the two-layer network (v4 Fig. 3): its keys, a digit count the data cannot give, a rule without its eta_0, and a
    # linear experiment taking the network's name
    ("fan2025.net.optimizer", "muon", "fan2025.net", "'optimizer' was unexpected"),
    ("fan2025.net.per_class", 200, "fan2025.net.per_class", "greater than the maximum of 174"),
    ("fan2025.net.width", 0, "fan2025.net.width", "less than the minimum of 1"),
    ("fan2025.net.lr.muon", 0.0, "fan2025.net.lr.muon", "less than or equal to the minimum of 0"),
    ("fan2025.net.lr.adam", 0.1, "fan2025.net.lr", "'adam' was unexpected"),
    (
        "fan2025.experiments.net",
        {"steps": 10, "runs": {"ngd": {"optimizer": "ngd"}}},
        "fan2025.experiments.net",
        "the two-layer network's",
    ),
    ("cattaneo2024.scale", "gpu", "cattaneo2024.scale", "is not one of"),
    ("cattaneo2024.order.toy.problem", "quadratic", "cattaneo2024.order.toy.problem", "is not one of"),
    # an experiment naming a missing data set, a figure naming a missing run or experiment
    ("baek2025.experiments.gr_adam.dataset", "grr", "baek2025.experiments.gr_adam.dataset", "unknown dataset"),
    ("baek2025.figures.fig2.runs", ["det_adam", "sgd"], "baek2025.figures.fig2.runs", "are not runs of"),
    ("baek2025.figures.fig2.experiment", "gr", "baek2025.figures.fig2.experiment", "unknown experiment"),
    # a figure's drawing keys that would draw nothing: a spread bound off the figure's panels, a rate guide
    # without the gap panel, a heatmap without its grid, or whose grid puts two runs in one cell
    ("baek2025.figures.fig7.spread", "cos_linf", "baek2025.figures.fig7.spread", "not one of the figure's panels"),
    ("baek2025.figures.fig2.guide", {"slope": -0.5, "label": "x"}, "baek2025.figures.fig2.guide", "gap_linf"),
    ("baek2025.figures.fig5.guide", {"slope": 0.5, "label": "x"}, "baek2025.figures.fig5.guide.slope", "maximum"),
    ("baek2025.figures.fig2.style", "heatmap", "baek2025.figures.fig2", "'heatmap' is a required property"),
    (
        "baek2025.figures.fig10.heatmap",
        {"rows": "batch_size", "columns": "beta2"},
        "baek2025.figures.fig10.runs",
        "share the heatmap cell",
    ),
    # empty (or repeated) seed lists
    ("baek2025.seeds", [], "baek2025.seeds", "should be non-empty"),
    ("fan2025.seeds", [], "fan2025.seeds", "should be non-empty"),
    (f"{FAN_MAIN}.seeds", [], f"{FAN_MAIN}.seeds", "should be non-empty"),
    ("cattaneo2024.sweeps.seeds", [], "cattaneo2024.sweeps.seeds", "is too short"),
    ("cattaneo2024.sweeps.seeds", [0, 1, 1], "cattaneo2024.sweeps.seeds", "non-unique"),
    # duplicated run names: two runs of one experiment with one label (the figures tell runs apart by label), a
    # figure listing a run twice (duplicated keys in a file: `test_duplicated_run_key_in_a_config_file`)
    (
        "baek2025.experiments.gr_adam.runs.inc_adam.label",
        "Det-Adam",
        "baek2025.experiments.gr_adam.runs.inc_adam.label",
        "also the label of run 'det_adam'",
    ),
    (f"{FAN_MAIN}.runs.signgd.label", "NGD", f"{FAN_MAIN}.runs.signgd.label", "also the label of run 'ngd'"),
    ("baek2025.figures.fig2.runs", ["det_adam", "det_adam"], "baek2025.figures.fig2.runs", "non-unique"),
    # path safety: names become file and folder names under results/, config paths stay inside the project
    (
        "baek2025.experiments.gr_adam.runs",
        {"../../escape": {"label": "x"}},
        "baek2025.experiments.gr_adam.runs",
        "'../../escape' is not a plain name",
    ),
    ("baek2025.datasets", {".hidden": {"kind": "gr"}}, "baek2025.datasets", "'.hidden' is not a plain name"),
    ("cattaneo2024.full.data_dir", "/etc", "cattaneo2024.full.data_dir", "leaves the project"),
    ("cattaneo2024.full.data_dir", "data/../../cifar", "cattaneo2024.full.data_dir", "leaves the project"),
    # beyond: the schema, then each study's own cross-references
    ("beyond.phase.stepz", 10, "beyond.phase", "'stepz' was unexpected"),
    ("beyond.phase.seeds", [], "beyond.phase.seeds", "should be non-empty"),
    ("beyond.phase.batch_sizes", [1, 3], "beyond.phase.batch_sizes", "3 must divide data.n = 10"),
    ("beyond.eps.eps", [0.0, 1.0e-8, 1.0e-8], "beyond.eps.eps", "non-unique"),
    (
        "beyond.multiclass.runs.b10_cyclic.batch_size",
        7,
        "beyond.multiclass.runs.b10_cyclic.batch_size",
        "must divide the number of samples",
    ),
    ("beyond.real_data.pairs", [[6, 6]], "beyond.real_data.pairs", "not a pair of two different digits"),
    # beyond: the schema's bounds (the cross-field rules are the studies' check_config)
    ("beyond.eps.colour", "red", "beyond.eps", "'colour' was unexpected"),
    ("beyond.eps.eps", [1.0e-12, 1.0e-8, 1.0e-4], "beyond.eps.eps", "has no item 0"),
    ("beyond.eps.eps", [0.0, NAN, 1.0e-4], "beyond.eps.eps.1", "not a finite number"),
    ("beyond.eps.departure_fraction", 1.0, "beyond.eps.departure_fraction", "maximum of 1"),
    ("beyond.eps.fixed_point", {"tolerance": 1e-6}, "beyond.eps.fixed_point", "'tolerance' was unexpected"),
    ("beyond.eps.batch_size", 10, "beyond.eps.batch_size", "must be below eps.n = 10"),
    ("beyond.eps.beta2", -0.1, "beyond.eps.beta2", "less than the minimum of 0"),
    (
        "beyond.multiclass.runs.b10_cyclic.sampling",
        "replacement",
        "beyond.multiclass.runs.b10_cyclic.sampling",
        "is not one of",
    ),
    ("beyond.multiclass.adam.momentum", 0.9, "beyond.multiclass.adam", "'momentum' was unexpected"),
    ("beyond.multiclass.fixed_point.tol", 1.0, "beyond.multiclass.fixed_point.tol", "maximum of 1"),
    ("beyond.multiclass.data.sigma", -1.0, "beyond.multiclass.data.sigma", "minimum of 0"),
    ("beyond.multiclass.runs.full.beta1", 0.995, "beyond.multiclass.runs.full", "beta1 <= beta2"),
    ("beyond.real_data.pairs", [[3, 8], [8, 3]], "beyond.real_data.pairs", "listed twice"),
    ("beyond.real_data.pairs", [[3, 11]], "beyond.real_data.pairs.0.1", "maximum of 9"),
    ("beyond.real_data.per_class", 0, "beyond.real_data.per_class", "less than the minimum of 1"),
    ("beyond.real_data.binary_runs.adam.momentum", 0.9, "beyond.real_data.binary_runs.adam", "'momentum' was"),
    (
        "beyond.real_data.binary_runs.adam_b1.batch_size",
        2,
        "beyond.real_data.binary_runs.adam_b1",
        "is checked as adam with batch_size 1",
    ),
    ("beyond.real_data.binary_runs.ngd.steps", 10.5, "beyond.real_data.binary_runs.ngd.steps", "not an integer"),
]


def _id(case):
    key, value, _, _ = case
    return f"{key}={value!r}"


def test_the_valid_configs_pass():
    """The default config, the smoke config and the large one pass: the refusals below are not vacuous."""
    smoke = yaml.safe_load((ROOT / "tests" / "smoke_config.yaml").read_text())
    large = yaml.safe_load((ROOT / "config" / "large.yaml").read_text())
    files = [ROOT / "config.yaml", ROOT / "tests" / "smoke_config.yaml", ROOT / "config" / "large.yaml"]
    for config in (merged(), merged(smoke), merged(large)):
        validate_config(config, configfiles=files)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_invalid_config_is_refused_in_one_line_naming_the_key(case):
    key, value, where, says = case
    with pytest.raises(ConfigError) as info:
        validate_config(merged(at(key, value)))
    line = str(info.value)
    assert "\n" not in line and line.startswith(f"config error: {where}: "), line
    assert info.value.where == where and says in info.value.problem, line


def test_the_table_covers_the_issue():
    """At least 20 invalid configs, across the three papers and beyond."""
    assert len(CASES) >= 20
    assert {case[2].split(".")[0] for case in CASES} >= {"baek2025", "fan2025", "cattaneo2024", "beyond"}


@pytest.mark.parametrize("paper", ["fan2025", "cattaneo2024", "beyond", "baek2025"])
def test_every_homes_section_is_required(paper):
    """The top-level schema requires each home's section, a home with its own schema included (its requirement
    comes from the registry, not from a list in the schema)."""
    config = merged()
    del config[paper]
    with pytest.raises(ConfigError, match=rf"^config error: \(top level\): '{paper}' is a required property"):
        validate_config(config)


def test_an_experiment_a_figure_or_check_reads_is_required():
    """fan2025's figures and checks read fixed experiments: a config without one is refused (no merge deletes a
    key, so the config is edited here)."""
    config = merged()
    del config["fan2025"]["experiments"]["nsd"]
    with pytest.raises(ConfigError) as info:
        validate_config(config)
    assert str(info.value).startswith("config error: fan2025.experiments.nsd: figure "), info.value


DUPLICATED_RUN = """
baek2025:
  experiments:
    gr_adam:
      runs:
        det_adam: {label: Det-Adam}
        inc_adam: {label: Inc-Adam, batch_size: 1}
        det_adam: {label: Det-Adam (b=2), batch_size: 2}
"""


def test_duplicated_run_key_in_a_config_file(tmp_path):
    """YAML keeps the last of two equal keys without a word: the file itself is read for them."""
    path = tmp_path / "dup.yaml"
    path.write_text(DUPLICATED_RUN)
    config = merged(yaml.safe_load(DUPLICATED_RUN))
    validate_config(config)  # the merged config alone cannot show it: one det_adam is gone
    with pytest.raises(ConfigError) as info:
        validate_config(config, configfiles=[ROOT / "config.yaml", path])
    assert info.value.where == "baek2025.experiments.gr_adam.runs.det_adam"
    assert "lines 6 and 8" in info.value.problem


# Through Snakemake: the config files it read, its exit in one line, no results/.
END_TO_END = [
    ("dup.yaml", DUPLICATED_RUN, "baek2025.experiments.gr_adam.runs.det_adam"),
    (
        "beta.yaml",
        yaml.safe_dump(at(f"{FAN_MAIN}.runs.adam_eps0", {"beta1": 0.95, "beta2": 0.92})),
        f"{FAN_MAIN}.runs.adam_eps0",
    ),
    ("nan.yaml", "cattaneo2024:\n  fig1:\n    beta: .nan\n", "cattaneo2024.fig1.beta"),
]


@pytest.mark.pipeline
@pytest.mark.parametrize("name, text, where", END_TO_END, ids=[c[0] for c in END_TO_END])
def test_snakemake_refuses_before_any_job_in_one_line(workflow_copy, snakemake, name, text, where):
    wd = workflow_copy
    (wd / name).write_text(text)
    proc = snakemake(wd, "-n", check=False, configfile=name)
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode != 0, out
    lines = [line for line in out.splitlines() if "config error" in line]
    assert len(lines) == 1 and lines[0].startswith(f"config error: {where}: "), out
    assert out.splitlines()[-1] == lines[0] and "Traceback" not in out and 'File "' not in out, out
    assert not (wd / "results").exists()


# ------------------------------------------------------------------------------ schemas: shipped, shared, filling
def test_defaults_are_filled_after_validation():
    """The schemas' defaults reach the jobs (a figure's style and fall, expected_failures), set by
    `validate_config` itself, after the cross-references (which refuse a key a heatmap would not draw)."""
    config = merged()
    config.pop("expected_failures", None)
    spec = config["baek2025"]["figures"]["fig1"]
    spec.pop("style", None), spec.pop("fall", None)
    assert validate_config(config) is config
    assert config["expected_failures"] == [] and spec["style"] == "curves" and spec["fall"] is False


def test_shared_bounds_are_written_once():
    """A beta's [0, 1) and a learning rate's > 0 live in defs.schema.yaml; the other schemas refer to them."""
    from implicit_bias.config import SCHEMA_DIR

    for path in SCHEMA_DIR.glob("*.schema.yaml"):
        text = path.read_text()
        once = path.name == "defs.schema.yaml"
        assert ("minimum: 0\n    exclusiveMaximum: 1" in text) == once, path.name
        assert ("minimum: 0, exclusiveMaximum: 1" in text) is False, path.name
        assert ("lr: {type: number" in text) == once, path.name


def test_an_installed_package_validates_with_its_own_schemas(tmp_path):
    """The schemas are package data: a wheel built from the project holds them, and the package installed from it
    (no checkout on its path) refuses a bad config and passes config.yaml."""
    import shutil
    import subprocess
    import sys
    import zipfile

    project = tmp_path / "project"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, project / name)
    pip = [sys.executable, "-m", "pip"]
    # with build isolation: the build backend pyproject.toml asks for (setuptools>=68), not the environment's own
    subprocess.run([*pip, "wheel", str(project), "--no-deps", "-q", "-w", str(tmp_path)],
                   check=True, capture_output=True, cwd=tmp_path)  # fmt: skip
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"implicit_bias/schemas/{p.name}" for p in (ROOT / "src/implicit_bias/schemas").glob("*.yaml")} <= names
    target = tmp_path / "site"
    subprocess.run([*pip, "install", str(wheel), "--no-deps", "-q", "--target", str(target)], check=True,
                   capture_output=True)  # fmt: skip
    probe = (
        "import sys, yaml, implicit_bias.config as c; assert c.__file__.startswith(sys.argv[1]), c.__file__; "
        "cfg = yaml.safe_load(open(sys.argv[2])); c.validate_config(cfg); cfg['fan2025']['num_log'] = 1.5\n"
        "try: c.validate_config(cfg)\nexcept c.ConfigError as e: print(e)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(target), str(ROOT / "config.yaml")],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    refusal = "config error: fan2025.num_log: 1.5 is not an integer (write it without a decimal point)"
    assert proc.stdout.strip() == refusal
