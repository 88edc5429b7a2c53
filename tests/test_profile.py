"""The per-rule profile of the reproduction (implicit_bias.profile) from Snakemake's `benchmark:` records."""

from __future__ import annotations

import os

import pytest

from implicit_bias.profile import job_records, markdown_profile, rule_profile, run_span

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def record(root, relative, rows, end):
    """A record as Snakemake writes it: one row per repeat; `end` its modification time."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(f"{s}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n" for s, cpu, rss in rows))
    os.utime(path, (end, end))
    return path


@pytest.fixture
def records(tmp_path):
    record(tmp_path, "fan_run/classes.tsv", [(10.0, 9.5, 300.0)], end=1000.0)
    record(tmp_path, "fan_run/spectral.tsv", [(30.0, 29.0, 500.0)], end=1040.0)
    record(tmp_path, "summary.tsv", [(1.0, "NA", 100.0)], end=1041.0)
    record(tmp_path, "cat_sweep_point/beta0.9_rho0.99.tsv", [(4.0, 3.0, 200.0), (6.0, 5.0, 250.0)], end=1020.0)
    return tmp_path


def test_rules_are_named_by_the_first_path_component_and_summed(records):
    profile = {p.rule: p for p in rule_profile(job_records(records))}
    assert set(profile) == {"fan_run", "summary", "cat_sweep_point"}
    fan = profile["fan_run"]
    assert (fan.jobs, fan.wall, fan.cpu, fan.longest, fan.max_rss_mb) == (2, 40.0, 38.5, 30.0, 500.0)
    # repeats are averaged, peak memory is the largest; "NA" (psutil measured nothing) counts as zero
    assert (profile["cat_sweep_point"].wall, profile["cat_sweep_point"].cpu) == (5.0, 4.0)
    assert profile["cat_sweep_point"].max_rss_mb == 250.0
    assert profile["summary"].cpu == 0.0
    assert [p.rule for p in rule_profile(job_records(records))] == ["fan_run", "cat_sweep_point", "summary"]


def test_span_runs_from_the_first_start_to_the_last_end(records):
    # first start: classes ended at 1000 after 10 s -> 990; last end: summary at 1041
    assert run_span(job_records(records)) == pytest.approx(51.0)
    assert run_span([]) == 0.0


def test_table_has_every_rule_by_wall_time_the_totals_and_the_busy_span(records):
    table = markdown_profile(job_records(records), cores=2)
    rows = table.splitlines()
    assert rows[2].startswith("| fan_run | 2 | 40.0 | 87% | 30.0 | 38.5 | 500 |")
    assert [r.split(" | ")[0] for r in rows[2:5]] == ["| fan_run", "| cat_sweep_point", "| summary"]
    assert "| **total** | 4 | 46.0 | 100% | | 42.5 | |" in table
    assert "Span of the records (first job's start to last job's end): 51.0 s" in table
    assert (
        "The jobs' wall times summed over 2 cores: 23.0 s, the span if no core ever idled; the span is 2.22× that."
        in table
    )
    with pytest.raises(ValueError, match="cores must be a positive integer"):
        markdown_profile(job_records(records), cores=0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty benchmark record"),
        ("s\tother\n1.0\t2\n", "no column 'cpu_time'"),
        (HEADER + "nan\t0\t1\t1\t1\t1\t0\t0\t50\t1\n", "column 's' is 'nan'"),
        (HEADER + "1\t0\t1\t1\t1\t1\t0\t0\t50\t-2\n", "column 'cpu_time' is '-2'"),
    ],
)
def test_a_damaged_record_is_refused_naming_its_file(tmp_path, text, message):
    path = tmp_path / "rule" / "job.tsv"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        job_records(tmp_path)
    assert str(path) in str(err.value)
