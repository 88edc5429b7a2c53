"""Validation of the pipeline's configuration: everything the Snakefile refuses before any job runs, in one place.

`validate_config` is the code the Snakefile runs (workflow/rules/common.smk) and the code the tests run on a table
of invalid configs (tests/test_config_refusals.py). A refusal is a `ConfigError` whose text is ONE line,
``config error: <paper>.<dotted.key.path>: <what is wrong>``, instead of a traceback or a dump of the schema.

Four layers, in order:

1. duplicated keys in a config file (YAML and JSON keep the last of two equal keys without a word, so a second run
   named like the first would silently replace it);
2. the JSON schemas shipped in the package (implicit_bias/schemas/; types, ranges, enums, unknown keys; the bounds
   many keys share written once in defs.schema.yaml), with two stricter types than JSON
   Schema's: a number must be finite (NaN passes every comparison of `minimum`/`maximum`, and an infinite lr or
   beta is no setting), and an integer must be written as one (JSON Schema takes 1000.0 for an integer; the jobs
   would then get a float step count);
3. path safety: a key that names something (a data set, an experiment, a run, a figure, a grid) becomes a folder
   or file name under results/, so it must be a plain name (`NAME`: no '/', not '.' or '..'), and a path given in
   the config (`path_keys`, as each home declares them) must stay inside the project (relative, no '..');
4. the cross-references the schemas cannot express: each home's `cross_references` (its
   experiments.py: its section's `check_config`, and what its figures and checks read).

Then the schemas' `default`s are filled in (`fill_defaults`), so every caller (the Snakefile, the CLI, a study run
in a notebook through `check_section`) gets the same filled config.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

__all__ = [
    "NAME",
    "SCHEMAS",
    "SCHEMA_DIR",
    "ConfigError",
    "check_section",
    "duplicate_keys",
    "fill_defaults",
    "path_keys",
    "schema_error",
    "schemas",
    "unsafe_path",
    "validate_config",
]

# A config key used in a path (and the Snakefile's wildcard constraint for such names): starts with a letter or
# digit, so neither '.', '..' nor a hidden file; no '/', so no key can reach outside its folder.
NAME = r"[A-Za-z0-9][A-Za-z0-9_.+-]*"


# The schemas, package data (pyproject.toml), so an installed package validates without a checkout.
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# The top-level schema (section None = the whole config); each home adds its own section's (`schemas`).
SCHEMAS: dict[str | None, str] = {None: "config.schema.yaml"}


def schemas() -> dict[str | None, str]:
    """Config section (None = the whole config) -> its schema in SCHEMA_DIR: the top-level schema, which checks the
    sections of the homes that declare no schema of their own (baek2025) and the benchmark section, then each home's
    own schema (its declaration's `schema`), in the registry's order."""
    from .papers import PAPERS, home

    own: dict[str | None, str] = {paper: schema for paper in PAPERS if (schema := home(paper).schema) is not None}
    return {**SCHEMAS, **own}


class ConfigError(ValueError):
    """A refused configuration; `str(err)` is the one line ``config error: <dotted key path>: <problem>``."""

    def __init__(self, where: str, problem: str) -> None:
        self.where, self.problem = where, problem
        super().__init__(f"config error: {where}: {problem}")


def _finite_number(checker, instance) -> bool:
    return isinstance(instance, int | float) and not isinstance(instance, bool) and math.isfinite(instance)


def _integer(checker, instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def _registry():
    """Every schema of SCHEMA_DIR under its file URI, so that `$ref: "defs.schema.yaml#/$defs/beta"` resolves."""
    import yaml
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.yaml")):
        schema = yaml.safe_load(path.read_text(encoding="utf-8"))
        schema["$id"] = path.as_uri()
        if path.name == SCHEMAS[None]:
            _require_home_sections(schema)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def _require_home_sections(top: dict) -> None:
    """The top-level schema requires the section of every home with a schema of its own (validated in detail by it,
    `schemas`), read from the registry: a new home is not listed by hand here too."""
    from .papers import PAPERS, home

    for paper in PAPERS:
        own = home(paper).schema
        if own is not None:
            top["properties"].setdefault(paper, {"type": "object", "description": f"validated in detail by {own}"})
            if paper not in top["required"]:
                top["required"].append(paper)


def _schema(name: str) -> dict:
    """The schema file `name` of SCHEMA_DIR (with its `$id`, as registered)."""
    return _registry()[(SCHEMA_DIR / name).as_uri()].contents


def _validator(schema: dict, fill: bool = False):
    """The schema's JSON Schema validator with the stricter `number` (finite) and `integer` (no 1000.0) types;
    with `fill`, one that also sets each absent property that has a `default` (as Snakemake's `validate` does)."""
    import jsonschema

    base = jsonschema.validators.validator_for(schema)
    types = base.TYPE_CHECKER.redefine_many({"number": _finite_number, "integer": _integer})
    validators = {}
    if fill:
        properties = base.VALIDATORS["properties"]

        def set_defaults(validator, props, instance, subschema):
            if isinstance(instance, dict):
                for key, sub in props.items():
                    if "default" in sub:
                        instance.setdefault(key, copy.deepcopy(sub["default"]))
            yield from properties(validator, props, instance, subschema)

        validators["properties"] = set_defaults
    cls = jsonschema.validators.extend(base, validators=validators, type_checker=types)
    return cls(schema, registry=_registry())


def _problem(error) -> str:
    """jsonschema's message, except for the two stricter types, whose default message would be puzzling."""
    x, wanted = error.instance, str(error.validator_value)
    if error.validator == "type" and isinstance(x, float) and ("number" in wanted or "integer" in wanted):
        if not math.isfinite(x):
            return f"{x} is not a finite number"
        return f"{x!r} is not an integer (write it without a decimal point)"
    if error.validator == "contains":  # jsonschema says only "does not contain items matching the given schema"
        return f"{x!r} has no item {_describe(error.validator_value)}"
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


def path_keys() -> list[str]:
    """The config values that are paths read by jobs (dotted, each home's declared `path_keys`): they must stay
    inside the project (link outside data into it)."""
    from .papers import PAPERS, home

    return [f"{paper}.{key}" for paper in PAPERS for key in home(paper).path_keys]


def unsafe_path(config: dict) -> ConfigError | None:
    """The first key that is not a plain `NAME`, or path value (`path_keys`) that leaves the project, or None."""
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
    for dotted in path_keys():
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


def _cross_references(config: dict) -> None:
    """Each home's `cross_references` (its declaration in papers/<paper>/__init__.py), in the registry's order; a
    ValueError whose message starts with the dotted key path."""
    from .papers import PAPERS, home

    for paper in PAPERS:
        home(paper).cross_references(config)


def fill_defaults(config: dict) -> dict:
    """Set, in place, every absent key whose schema has a `default` (the schemas' `properties` walk, as Snakemake's
    `validate` fills them); returns `config`. Run on a validated config."""
    for section, name in schemas().items():
        part = config if section is None else config[section]
        for _ in _validator(_schema(name), fill=True).iter_errors(part):
            pass
    return config


def validate_config(config: dict, configfiles: Iterable[str | Path] = ()) -> dict:
    """Raise `ConfigError` (one line naming the dotted key path) unless `config` is a valid pipeline config; then
    fill in the schemas' defaults (in place) and return it.

    `config` is the merged configuration (config.yaml updated by every --configfile, as Snakemake merges them);
    `configfiles` are the files it came from, checked for duplicated keys, which the merged dict cannot show. The
    defaults are filled last: the cross-references refuse keys a figure would not draw, which a default is not."""
    for path in configfiles:
        error = duplicate_keys(path)
        if error is not None:
            raise error
    for section, name in schemas().items():
        part = config if section is None else config[section]
        error = schema_error(part, _schema(name), section or "")
        if error is not None:
            raise error
    error = unsafe_path(config)
    if error is not None:
        raise error
    try:
        _cross_references(config)
    except ValueError as err:  # the cross-references' messages are "<dotted key path>: <problem>"
        raise _as_config_error(err) from None
    return fill_defaults(config)


def _as_config_error(err: ValueError) -> ConfigError:
    where, _, problem = str(err).partition(": ")
    return ConfigError(where, problem)


def check_section(dotted: str, section: dict) -> None:
    """Refuse one section of the config on its own (`dotted`, e.g. "beyond.eps": a study run without Snakemake):
    its part of the schema, then its study's `check_config`; a `ConfigError` naming the dotted key path."""
    paper, _, rest = dotted.partition(".")
    known = schemas()
    if paper in known:
        name, keys = known[paper], rest.split(".") if rest else []
    else:
        name, keys = known[None], dotted.split(".")
    pointer = "".join(f"/properties/{key}" for key in keys)
    schema = {"$ref": f"{(SCHEMA_DIR / name).as_uri()}#{pointer}"}
    error = schema_error(section, schema, dotted)
    if error is not None:
        raise error
    if paper == "beyond" and len(keys) == 1:
        try:
            from .papers.beyond import check_study

            check_study(keys[0], section)
        except ValueError as err:
            raise _as_config_error(err) from None
