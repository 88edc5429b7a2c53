"""The verdict model of the checks ledger: criteria decide the verdict, the ledger prints what was applied."""

from __future__ import annotations

import math

import pytest

from implicit_bias.checks import (
    Artifacts,
    Check,
    Criterion,
    Source,
    checks_of,
    expected_failures,
    reconcile,
    summary_table,
    verdict_of,
)
from implicit_bias.sources import render_sources

NO_ARTIFACTS = Artifacts(runs={}, metrics={}, data={}, refs={})


def _check(measured, criteria, kind="claim"):
    return Check(claim="a claim", experiments=(), datasets=(), func=lambda art: (measured, criteria), kind=kind)


def _verdict(measured, criteria, kind="claim"):
    return verdict_of(_check(measured, criteria, kind), NO_ARTIFACTS, "paper", "name")


def test_a_failing_criterion_fails_the_check():
    ok = Criterion("gap", "<", 0.05, "the O(eta) rate")
    bad = Criterion("cos", ">", 0.99, "the paper's 0.99")
    assert _verdict({"gap": 0.01, "cos": 0.999}, [ok, bad])["passed"] is True
    v = _verdict({"gap": 0.01, "cos": 0.98}, [ok, bad])
    assert v["passed"] is False
    assert [c["passed"] for c in v["criteria"]] == [True, False]
    assert v["threshold"] == {"gap <": 0.05, "cos >": 0.99}


@pytest.mark.parametrize("op,value,passed", [("<", 1, False), ("<=", 1, True), (">", 1, False), (">=", 1, True)])
def test_operators_at_the_boundary(op, value, passed):
    assert _verdict({"x": value}, [Criterion("x", op, 1, "r")])["passed"] is passed


def test_each_criterion_holds_on_every_element_and_reports_the_fraction():
    crit = Criterion("per seed", "<", 0.05, "the theorem is about every run", each=True)
    v = _verdict({"per seed": [0.01, 0.0509, 0.02]}, [crit])
    assert v["passed"] is False and v["criteria"][0]["holds_on"] == "2 of 3"
    assert _verdict({"per seed": [0.01, 0.02]}, [crit])["passed"] is True
    assert _verdict({"per seed": []}, [crit])["passed"] is False  # nothing measured is not a pass


def test_nan_never_passes():
    assert _verdict({"x": math.nan}, [Criterion("x", "<", 1.0, "r")])["passed"] is False


def test_criteria_are_required_and_need_reasons_and_known_keys():
    with pytest.raises(ValueError, match="no criteria"):
        _verdict({"x": 1}, [])
    with pytest.raises(ValueError, match="reason"):
        Criterion("x", "<", 1, " ")
    with pytest.raises(ValueError, match="operator"):
        Criterion("x", "=<", 1, "r")
    with pytest.raises(KeyError, match="no such measured value"):
        _verdict({"x": 1}, [Criterion("y", "<", 1, "r")])
    with pytest.raises(ValueError, match="kind"):
        _check({}, [], kind="identity")


def test_ledger_escapes_pipes_groups_by_paper_and_puts_failures_first():
    crit = [Criterion("|c - e0|_1", "<", 1e-6, "solver tolerance")]
    passing = _verdict({"|c - e0|_1": 1e-9}, crit)
    failing = {**_verdict({"|c - e0|_1": 1e-3}, crit), "check": "zz_fails"}
    consistency = {**_verdict({"|c - e0|_1": 1e-9}, crit, kind="consistency"), "check": "aa_identity"}
    table = summary_table([consistency, passing, failing])
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| check")]
    assert [r.split(" | ")[0] for r in rows] == ["| zz_fails", "| name", "| aa_identity"]
    for row in rows:  # 7 cells: every | inside a cell is escaped
        assert row.replace("\\|", "").count("|") == 8, row
    assert "1 of 2 claims reproduced; 1 of 1 consistency checks pass." in table
    assert "needs < 1e-06" in table


def test_ledger_prints_enough_digits_to_show_the_comparison():
    v = _verdict({"cos": 0.99999999}, [Criterion("cos", ">=", 1.0, "identity")])
    assert v["passed"] is False
    assert "cos = 0.99999999, needs >= 1" in summary_table([v])


def test_expected_failures_are_strict_like_xfail():
    fails = {**_verdict({"x": 2}, [Criterion("x", "<", 1, "r")]), "check": "a"}
    passes = {**_verdict({"x": 0}, [Criterion("x", "<", 1, "r")]), "check": "b"}
    assert reconcile([fails, passes], {}) == (["paper/a"], [])
    assert reconcile([fails, passes], {"paper/a": "CPU substitute"}) == ([], [])
    assert reconcile([fails, passes], {"paper/a": "why", "paper/b": "why"}) == ([], ["paper/b"])
    table = summary_table([passes, fails], expected={"paper/a": "CPU substitute"})
    assert "1 failure(s) expected" in table and "(expected: CPU substitute)" in table


def test_expected_failures_config_names_the_bad_entry():
    name = next(iter(checks_of("baek2025")))
    ok = expected_failures([{"check": f"baek2025/{name}", "reason": "because"}])
    assert ok == {f"baek2025/{name}": "because"}
    with pytest.raises(ValueError, match=r"expected_failures\[1\]\.check: baek2025 has no check 'nope'"):
        expected_failures([{"check": f"baek2025/{name}", "reason": "r"}, {"check": "baek2025/nope", "reason": "r"}])
    with pytest.raises(ValueError, match=r"expected_failures\[0\]\.check: unknown paper"):
        expected_failures([{"check": "zhang2024/x", "reason": "r"}])


def test_ledger_shows_each_comparison_applied_and_marks_the_failing_one():
    crits = [Criterion("gap", "<=", 0.02, "eq. 7"), Criterion("decreasing", "==", True, "a limit")]
    v = _verdict({"gap": 0.03, "decreasing": True, "context": 1.5}, crits)
    table = summary_table([v])
    assert "✗ gap = 0.03 <= 0.02 (eq. 7)" in table
    assert "decreasing: True (a limit)" in table and "✗ decreasing" not in table
    assert "context: 1.5" in table  # a value no criterion decides on is still shown, in its own column


# ------------------------------------------------------------------------------------------------ sources
@pytest.mark.parametrize(
    "sources,text",
    [
        ((Source("theorem", "5.3"), Source("corollary", "5.4")), "Thm 5.3, Cor. 5.4"),
        ((Source("theorem", "5.3"), Source("theorem", "6.3")), "Thms 5.3, 6.3"),
        ((Source("lemma", "4.1-4.3"), Source("lemma", "B.4")), "Lemmas 4.1-4.3, B.4"),
        ((Source("lemma", "6.1", "D.2"),), "Lemma 6.1 (D.2)"),
        ((Source("lemma", "5.2", "C.2"), Source("equation", "9")), "Lemma 5.2 (C.2), eq. (9)"),
        ((Source("figure", "1a-b"),), "Fig. 1a-b"),
        ((Source("derived"), Source("spec", "2.4(b)")), "derived, spec §2.4(b)"),
        (
            (Source("beyond"), Source("figure", "1", paper="fan2025"), Source("theorem", "5.3", paper="fan2025")),
            "beyond the papers; fan2025 Fig. 1, Thm 5.3",
        ),
    ],
)
def test_sources_render_as_a_paper_cites_them(sources, text):
    assert render_sources(sources) == text


@pytest.mark.parametrize(
    "args,match",
    [
        (("fig", "1"), "not one of"),
        (("figure", "Fig. 1"), "not a paper's number"),
        (("figure", "1, 3"), "not a paper's number"),
        (("theorem", ""), "not a paper's number"),
        (("derived", "2.4"), "cites no numbered item"),
        (("lemma", "6.1", " D.2"), "stray whitespace"),
    ],
)
def test_a_malformed_source_is_refused(args, match):
    with pytest.raises(ValueError, match=match):
        Source(*args)


def test_the_verdict_records_its_sources_as_data_and_the_ledger_shows_their_text():
    check = Check(
        "a claim",
        (),
        (),
        lambda art: ({"x": 1}, [Criterion("x", "==", 1, "r")]),
        sources=(Source("theorem", "5.3"), Source("corollary", "5.4", "a != 1/2")),
        drawn_by="fig1",
    )
    v = verdict_of(check, NO_ARTIFACTS, "paper", "name")
    assert v["sources"] == [
        {"kind": "theorem", "label": "5.3"},
        {"kind": "corollary", "label": "5.4", "note": "a != 1/2"},
    ]
    assert v["source"] == "Thm 5.3, Cor. 5.4 (a != 1/2)" and v["drawn_by"] == "fig1"
    assert "| name | claim | Thm 5.3, Cor. 5.4 (a != 1/2) — drawn in fig1 | a claim |" in summary_table([v])
    with pytest.raises(TypeError, match="tuple of Source"):
        Check("a claim", (), (), check.func, sources=("Thm 5.3",))
