"""Validation of the pipeline's configuration: everything the Snakefile refuses before any job runs, in one place.

`validate_config` is the code the Snakefile runs (workflow/rules/common.smk) and the code the tests run on a table
of invalid configs (tests/test_config_refusals.py). A refusal is a `ConfigError` whose text is ONE line,
``config error: <paper>.<dotted.key.path>: <what is wrong>``, instead of a traceback or a dump of the schema.

Four layers, in order:

1. duplicated keys in a config file (YAML and JSON keep the last of two equal keys without a word, so a second run
   named like the first would silently replace it);
2. the JSON schemas of workflow/schemas/ (types, ranges, enums, unknown keys), with two stricter types than JSON
   Schema's: a number must be finite (NaN passes every comparison of `minimum`/`maximum`, and an infinite lr or
   beta is no setting), and an integer must be written as one (JSON Schema takes 1000.0 for an integer; the jobs
   would then get a float step count);
3. path safety: a key that names something (a data set, an experiment, a run, a figure, a grid) becomes a folder
   or file name under results/, so it must be a plain name (`NAME`: no '/', not '.' or '..'), and a path given in
   the config (`PATH_KEYS`) must stay inside the project (relative, no '..');
4. the cross-references the schemas cannot express: each paper's `check_config` (experiments.py), and the
   experiments the fixed figures and the checks read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

__all__ = [
    "NAME",
    "PATH_KEYS",
    "SCHEMAS",
    "ConfigError",
    "duplicate_keys",
    "schema_error",
    "unsafe_path",
    "validate_config",
]

# A config key used in a path (and the Snakefile's wildcard constraint for such names): starts with a letter or
# digit, so neither '.', '..' nor a hidden file; no '/', so no key can reach outside its folder.
NAME = r"[A-Za-z0-9][A-Za-z0-9_.+-]*"
# Config values that are paths read by jobs: they must stay inside the project (link outside data into it).
PATH_KEYS = ("cattaneo2024.full.data_dir",)

# Config section (None = the whole config) -> its schema in workflow/schemas/. The top-level schema checks the
# baek2025 and benchmark sections in detail; the other papers have their own.
SCHEMAS = {
    None: "config.schema.yaml",
    "fan2025": "fan2025.schema.yaml",
    "cattaneo2024": "cattaneo2024.schema.yaml",
    "beyond": "beyond.schema.yaml",
}


class ConfigError(ValueError):
    """A refused configuration; `str(err)` is the one line ``config error: <dotted key path>: <problem>``."""

    def __init__(self, where: str, problem: str) -> None:
        self.where, self.problem = where, problem
        super().__init__(f"config error: {where}: {problem}")


def _finite_number(checker, instance) -> bool:
    return isinstance(instance, int | float) and not isinstance(instance, bool) and math.isfinite(instance)


def _integer(checker, instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _validator(schema: dict):
    """The schema's JSON Schema validator with the stricter `number` (finite) and `integer` (no 1000.0) types."""
    import jsonschema

    base = jsonschema.validators.validator_for(schema)
    types = base.TYPE_CHECKER.redefine_many({"number": _finite_number, "integer": _integer})
    return jsonschema.validators.extend(base, type_checker=types)(schema)


def _problem(error) -> str:
    """jsonschema's message, except for the two stricter types, whose default message would be puzzling."""
    x, wanted = error.instance, str(error.validator_value)
    if error.validator == "type" and isinstance(x, float) and ("number" in wanted or "integer" in wanted):
        if not math.isfinite(x):
            return f"{x} is not a finite number"
        return f"{x!r} is not an integer (write it without a decimal point)"
    if error.validator in ("anyOf", "oneOf"):  # jsonschema says only "not valid under any of the given schemas"
        return f"{x!r} is none of: " + "; ".join(_describe(option) for option in error.validator_value)
    return error.message


def _describe(option: dict) -> str:
    """A short reading of a simple schema (a const, or a type with bounds), for the alternatives of an anyOf."""
    if "const" in option:
        return ".inf" if option["const"] == math.inf else repr(option["const"])  # YAML's spelling of infinity
    bounds = [
        f"{op} {option[k]}"
        for k, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="))
        if k in option
    ]
    return " ".join([str(option.get("type", "a value")), *bounds])


def schema_error(section: dict, schema: dict, prefix: str = "") -> ConfigError | None:
    """The most relevant violation of `schema` by `section` (jsonschema's best match), or None.

    An `unevaluatedProperties` error comes last: a run whose `beta1` breaks its `allOf` schema also has `beta1`
    "unevaluated", and jsonschema's best match (the shallowest error) would call a valid key unexpected."""
    import jsonschema

    errors = list(_validator(schema).iter_errors(section))
    errors = [e for e in errors if e.validator != "unevaluatedProperties"] or errors
    error = jsonschema.exceptions.best_match(errors)
    if error is None:
        return None
    keys = ([prefix] if prefix else []) + [str(key) for key in error.absolute_path]
    return ConfigError(".".join(keys) or "(top level)", _problem(error))


def duplicate_keys(path: str | Path) -> ConfigError | None:
    """The first key written twice in one mapping of the YAML (or JSON) file `path`, or None.

    The loaders keep the last of two equal keys silently; this reads the file's node tree, where both are still
    there, and names the key path of the second one and the lines of both."""
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None  # not ours to report: Snakemake's loader refuses the file with its own message
    seen_nodes = set()
    stack: list[tuple[Any, list]] = [(root, [])]
    while stack:
        node, keys = stack.pop()
        if id(node) in seen_nodes:  # an alias of an anchored node: already walked
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is not None and key != "<<":
                    line = key_node.start_mark.line + 1
                    if key in first_line:
                        return ConfigError(
                            ".".join([*keys, key]),
                            f"written twice in {path} (lines {first_line[key]} and {line}); "
                            "the second would silently replace the first: rename one",
                        )
                    first_line[key] = line
                stack.append((value_node, [*keys, str(key)]))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, [*keys, str(i)]) for i, item in enumerate(node.value))
    return None


def unsafe_path(config: dict) -> ConfigError | None:
    """The first key that is not a plain `NAME`, or path value (`PATH_KEYS`) that leaves the project, or None."""
    stack: list[tuple[Any, list]] = [(config, [])]
    while stack:
        node, keys = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if not re.fullmatch(NAME, str(key)):
                    where = ".".join(keys) or "(top level)"
                    return ConfigError(
                        where,
                        f"{str(key)!r} is not a plain name (letters, digits and _.+- , not starting with a dot, no "
                        "'/'): names become file and folder names under results/",
                    )
                stack.append((value, [*keys, str(key)]))
        elif isinstance(node, list):
            stack.extend((item, [*keys, str(i)]) for i, item in enumerate(node))
    for dotted in PATH_KEYS:
        value = config
        for key in dotted.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and (PurePath(value).is_absolute() or ".." in PurePath(value).parts):
            return ConfigError(
                dotted,
                f"{value!r} leaves the project: give a path inside it (relative, no '..'), and link outside data "
                "into it (e.g. ln -s /scratch/cifar10 data/cifar10)",
            )
    return None


def _load_schema(schema_dir: str | Path, name: str) -> dict:
    import yaml

    with open(Path(schema_dir) / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _check_labels(key: str, specs: dict[str, dict]) -> None:
    """Two runs of one experiment must not share a label (`key`: the experiment's dotted path): the figures tell
    runs apart by label, so their curves would share a colour and a legend entry."""
    run_of: dict[str, str] = {}
    for run_id, spec in specs.items():
        other = run_of.setdefault(spec["label"], run_id)
        if other != run_id:
            raise ValueError(f"{key}.runs.{run_id}.label: {spec['label']!r} is also the label of run {other!r}")


def _check_baek_figures(config: dict) -> None:
    """What a baek2025 figure's drawing keys need of its panels and runs (the experiment and run names themselves are
    checked by baek2025's `check_config`): a key that would draw nothing is refused, not ignored."""
    from .papers.baek2025.experiments import run_specs

    cfg = config["baek2025"]
    for fig, spec in cfg["figures"].items():
        key = f"baek2025.figures.{fig}"
        if spec.get("style", "curves") == "heatmap":
            unused = [k for k in ("dashed", "fall", "spread") if k in spec]
            if unused:
                raise ValueError(f"{key}: {unused} apply to curves, not to a heatmap")
            grid = spec["heatmap"]
            if grid["rows"] == grid["columns"]:
                raise ValueError(f"{key}.heatmap: rows and columns are both {grid['rows']!r}")
            specs = run_specs(cfg["experiments"][spec["experiment"]])
            cells: dict[tuple, str] = {}
            for run in spec["runs"]:
                cell = (specs[run][grid["rows"]], specs[run][grid["columns"]])
                other = cells.setdefault(cell, run)
                if other != run:
                    raise ValueError(f"{key}.runs: {other!r} and {run!r} share the heatmap cell {cell}")
            continue
        if "heatmap" in spec:
            raise ValueError(f"{key}.heatmap: only a figure with style: heatmap has a grid")
        if "spread" in spec and spec["spread"] not in spec["panels"]:
            raise ValueError(f"{key}.spread: {spec['spread']!r} is not one of the figure's panels {spec['panels']}")
        if "guide" in spec and "gap_linf" not in spec["panels"]:
            raise ValueError(f"{key}.guide: the rate is drawn on the gap_linf panel, which the figure does not have")


def _cross_references(config: dict) -> None:
    """Each paper's `check_config`, baek2025's figure keys, distinct run labels, the experiments fan2025's fixed
    figures and checks read; a ValueError whose message starts with the dotted key path."""
    from .checks import checks_of
    from .papers.baek2025 import experiments as baek
    from .papers.beyond import experiments as beyond
    from .papers.cattaneo2024 import experiments as cat
    from .papers.fan2025 import experiments as fan
    from .targets import FIXED_FIGURES

    baek.check_config(config)
    _check_baek_figures(config)
    fan.check_config(config["fan2025"])
    cat.check_config(config["cattaneo2024"])
    beyond.check_config(config["beyond"])
    for paper, module in (("baek2025", baek), ("fan2025", fan)):
        for name, exp in config[paper]["experiments"].items():
            _check_labels(f"{paper}.experiments.{name}", module.run_specs(exp))
    experiments = config["fan2025"]["experiments"]
    needs = [(f"figure {fig}", exps) for fig, exps in FIXED_FIGURES["fan2025"].items()]
    needs += [(f"check {name}", check.experiments) for name, check in checks_of("fan2025").items()]
    for who, exps in needs:
        for exp in exps:
            if exp not in experiments:
                raise ValueError(f"fan2025.experiments.{exp}: {who} needs this experiment")


def validate_config(config: dict, schema_dir: str | Path, configfiles: Iterable[str | Path] = ()) -> None:
    """Raise `ConfigError` (one line naming the dotted key path) unless `config` is a valid pipeline config.

    `config` is the merged configuration (config.yaml updated by every --configfile, as Snakemake merges them);
    `configfiles` are the files it came from, checked for duplicated keys, which the merge no longer shows."""
    for path in configfiles:
        error = duplicate_keys(path)
        if error is not None:
            raise error
    for section, name in SCHEMAS.items():
        part = config if section is None else config[section]
        error = schema_error(part, _load_schema(schema_dir, name), section or "")
        if error is not None:
            raise error
    error = unsafe_path(config)
    if error is not None:
        raise error
    try:
        _cross_references(config)
    except ValueError as err:  # check_config's messages are "<dotted key path>: <problem>"
        where, _, problem = str(err).partition(": ")
        raise ConfigError(where, problem) from None
