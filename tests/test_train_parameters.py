"""`train`'s parameters are declared once (`implicit_bias.hyperparameters.TRAIN_PARAMETERS`): `train`'s signature,
the CLI's `fit` options and the config schemas' run keys agree with the table (same names, defaults and bounds)."""

from __future__ import annotations

import inspect

import pytest
import yaml

from implicit_bias.cli import TRAIN_OPTIONS, build_parser
from implicit_bias.config import SCHEMA_DIR
from implicit_bias.hyperparameters import REQUIRED, TRAIN_DEFAULTS, TRAIN_PARAMETERS
from implicit_bias.optimizers import OPTIMIZERS, SAMPLINGS, UpdateRule
from implicit_bias.training import train

SCHEMAS = {path.name: yaml.safe_load(path.read_text()) for path in SCHEMA_DIR.glob("*.schema.yaml")}
# run keys of the schemas that are not `train`'s settings: what the papers' code reads itself
PAPER_KEYS = {"label", "loss", "log_epochs", "trace", "moments"}
JSON_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string"}
BOUNDS = {"minimum": "minimum", "exclusiveMinimum": "exclusive_minimum", "exclusiveMaximum": "exclusive_maximum"}


def _resolve(node: dict, file: str) -> tuple[dict, str]:
    """`node` with its `$ref` followed (in `file`, or the file the reference names), merged under its own keys."""
    while "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        file = target or file
        found = SCHEMAS[file]
        for part in pointer.strip("/").split("/"):
            found = found[part]
        node = {**found, **{k: v for k, v in node.items() if k != "$ref"}}
    return node, file


def _walk(node, pointer: str):
    for part in pointer.strip("/").split("/"):
        node = node[part]
    return node


# (schema file, JSON pointer to an object whose `properties` are run keys)
RUN_KEY_SCHEMAS = [
    ("config.schema.yaml", "/$defs/run_keys"),
    ("fan2025.schema.yaml", "/$defs/run_keys"),
    ("beyond.schema.yaml", "/$defs/real_data_run"),
    ("beyond.schema.yaml", "/properties/multiclass/properties/adam"),
    ("beyond.schema.yaml", "/properties/multiclass/properties/runs/additionalProperties"),
    ("beyond.schema.yaml", "/properties/eps"),
    ("beyond.schema.yaml", "/properties/phase"),
]


def test_train_takes_its_defaults_from_the_table():
    signature = inspect.signature(train).parameters
    for name, parameter in TRAIN_PARAMETERS.items():
        default = signature[name].default
        if parameter.default is REQUIRED:
            assert default is inspect.Parameter.empty, name
        else:
            assert default == parameter.default and type(default) is type(parameter.default), name
    rule = UpdateRule("adam")
    assert all(getattr(rule, k) == TRAIN_DEFAULTS[k] for k in ("beta1", "beta2", "eps", "eps_inside", "p"))
    assert TRAIN_PARAMETERS["optimizer"].choices == OPTIMIZERS and TRAIN_PARAMETERS["sampling"].choices == SAMPLINGS


def test_the_cli_offers_the_table():
    """`fit`'s options: every train parameter, the table's choices, the table's defaults (the CLI picks its own
    optimizer and step count, which `train` requires)."""
    parser = build_parser()
    fit = parser.parse_args(["fit", "data.npz"])
    assert set(TRAIN_PARAMETERS) <= set(TRAIN_OPTIONS)
    sub = next(a for a in parser._subparsers._group_actions[0].choices.values() if a.prog.endswith(" fit"))
    actions = {a.dest: a for a in sub._actions}
    for name, parameter in TRAIN_PARAMETERS.items():
        if parameter.choices:
            assert tuple(actions[name].choices) == parameter.choices, name
        if parameter.default is not REQUIRED:
            assert getattr(fit, name) == parameter.default, name


@pytest.mark.parametrize("file, pointer", RUN_KEY_SCHEMAS, ids=[f"{f}{p}" for f, p in RUN_KEY_SCHEMAS])
def test_schema_run_keys_match_the_table(file, pointer):
    """Each run key of a schema is a `train` parameter (or a paper's own key) with the table's type, bounds,
    default and a subset of its choices (a paper may offer fewer optimizers); a list of values (a study's grid)
    has the table's bounds on its items."""
    section, where = _resolve(_walk(SCHEMAS[file], pointer), file)
    checked = 0
    for name, node in section["properties"].items():
        if name not in TRAIN_PARAMETERS:
            assert name in PAPER_KEYS or pointer.startswith("/properties/"), f"{file}{pointer}: {name}"
            continue
        parameter = TRAIN_PARAMETERS[name]
        node, _ = _resolve(node, where)
        options = [_resolve(o, where)[0] for o in node.get("anyOf", [node])]
        nulls = [o for o in options if o.get("type") == "null" or o.get("type") == ["integer", "null"]]
        assert not nulls or parameter.nullable, f"{name}: null allowed in {file} but not by train"
        typed = [o for o in options if o.get("type") not in (None, "null")] or options
        spec = typed[0]
        if spec.get("type") == "array":  # a study's grid of values (beyond.phase.beta1, beyond.eps.eps): its items
            spec = _resolve(spec["items"], where)[0]
        if parameter.choices:
            assert set(spec["enum"]) <= set(parameter.choices), name
        else:
            types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
            assert JSON_TYPES[parameter.type] in types, name
            for key, attribute in BOUNDS.items():
                assert spec.get(key) == getattr(parameter, attribute), f"{file}{pointer}: {name}.{key}"
        if "default" in node:
            assert node["default"] == parameter.default, name
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize(
    ("key", "inside", "outside"),
    [("beta1", 0.0, 1.0), ("beta1", 0.999, -0.1), ("beta2", 0.0, 1.0), ("eps", 0.0, -1e-12), ("p", 1.0, 0.99)],
)
def test_update_rule_refuses_exactly_outside_the_tables_bounds(key, inside, outside):
    """UpdateRule (what train and train_many build) applies the table's bounds, the ones the schemas apply."""
    UpdateRule("adam" if key != "p" else "nsd", **{key: inside})
    with pytest.raises(ValueError, match=rf"^{key} must "):
        UpdateRule("adam" if key != "p" else "nsd", **{key: outside})
    with pytest.raises(ValueError, match=rf"^{key} must "):
        UpdateRule("adam" if key != "p" else "nsd", **{key: float("nan")})
