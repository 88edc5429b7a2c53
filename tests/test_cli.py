"""The `implicit-bias` console command (src/implicit_bias/cli.py): fit on binary and multiclass data, the one-line
errors of bad inputs, the figure/check shortcuts (Snakemake dry runs) and the `papers` listing.

The installed package points at the main checkout, so the command is run as `python -m implicit_bias.cli` or by
calling `main([...])`; a test checks that the console script is declared in pyproject.toml."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from implicit_bias import cosine, gaussian, max_margin, normalized_margin, proxy_fixed_point, train
from implicit_bias.cli import OPTIMIZERS, SAMPLINGS, TRAIN_OPTIONS, build_parser, main, snakemake_command, verdict_text
from implicit_bias.multiclass import make_multiclass
from implicit_bias.optimizers import OPTIMIZERS as TRAIN_OPTIMIZERS
from implicit_bias.optimizers import SAMPLINGS as TRAIN_SAMPLINGS

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "tests" / "smoke_config.yaml"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}


def _cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "implicit_bias.cli", *args],
        cwd=cwd,
        env=ENV,
        check=False,
        capture_output=True,
        text=True,
    )


def test_console_script_is_declared_in_pyproject():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"implicit-bias": "implicit_bias.cli:main"}


def test_fit_options_offer_every_optimizer_and_the_defaults_of_train():
    assert OPTIMIZERS == TRAIN_OPTIMIZERS and SAMPLINGS == TRAIN_SAMPLINGS
    fit = build_parser().parse_args(["fit", "data.npz"])
    defaults = inspect.signature(train).parameters
    assert set(TRAIN_OPTIONS) <= set(defaults)
    for name in set(TRAIN_OPTIONS) - {"optimizer", "steps"}:
        assert getattr(fit, name) == defaults[name].default, name


@pytest.mark.parametrize("command", [[], ["fit"], ["figure"], ["check"], ["papers"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("usage: implicit-bias")


def test_help_imports_nothing_heavy():
    probe = (
        "import sys; from implicit_bias.cli import main\n"
        "try: main(['fit', '--help'])\nexcept SystemExit: pass\n"
        "heavy = {'numpy', 'cvxpy', 'numba', 'matplotlib', 'snakemake', 'pandas'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    proc = subprocess.run([sys.executable, "-c", probe], check=False, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_fit_binary_reports_the_run_train_makes(tmp_path, capsys):
    X = gaussian(10, 20, 3)
    np.savez(tmp_path / "data.npz", X=X)
    out, png = tmp_path / "out.json", tmp_path / "out.png"
    argv = ["fit", str(tmp_path / "data.npz"), "--steps", "3000", "--batch-size", "1", "--beta2", "0.99"]
    assert main([*argv, "--json", str(out), "--plot", str(png)]) == 0
    printed, progress = capsys.readouterr()
    result = json.loads(out.read_text())
    assert png.stat().st_size > 0
    assert "5/5 done" in progress

    # the same run and references through the library
    run = train(X, optimizer="adam", steps=3000, batch_size=1, beta2=0.99)
    l2, linf, fp = max_margin(X, norm=2), max_margin(X, norm="inf"), proxy_fixed_point(X)
    assert result["settings"] == run.settings
    expected = {"w_l2": cosine(run.w_final, l2.w), "w_linf": cosine(run.w_final, linf.w)}
    expected["adam_proxy_fixed_point"] = cosine(run.w_final, fp.w)
    assert result["cosine"] == pytest.approx(expected, rel=1e-9)
    assert result["normalized_margin"]["linf"] == pytest.approx(normalized_margin(run.w_final, X, norm="inf"))
    assert result["max_margin"] == pytest.approx({"l2": l2.gamma, "linf": linf.gamma})
    assert np.array_equal(result["trajectory"]["steps"], run.steps)
    # the logged margins end at the final iterate's, norm by norm
    for key in ("l2", "linf"):
        assert result["trajectory"][f"margin_{key}"][-1] == pytest.approx(result["normalized_margin"][key])
    for name, value in expected.items():
        assert re.search(rf"{name} +{value:.6f}", printed), printed


def test_fit_reports_the_step_while_training_and_quiet_prints_nothing(tmp_path, capsys, monkeypatch):
    """While the training kernel runs, `fit` prints the step it has reached (one line per interval, here shortened
    from seconds to milliseconds), with rising steps; `--quiet` prints nothing on stderr; the results are the same."""
    from implicit_bias import cli, training

    monkeypatch.setattr(training, "POLL_SECONDS", 0.005)
    monkeypatch.setattr(cli, "PROGRESS_SECONDS", 0.01)
    np.savez(tmp_path / "data.npz", X=gaussian(10, 20, 3))
    steps = 8_000_000  # about half a second of training: dozens of polls, even on a busy machine
    argv = ["fit", str(tmp_path / "data.npz"), "--steps", str(steps), "--batch-size", "1", "--json"]
    assert main([*argv, str(tmp_path / "loud.json")]) == 0
    printed, err = capsys.readouterr()
    reached = [int(m.group(1).replace(",", "")) for m in re.finditer(rf"3/5 step ([\d,]+) of {steps:,} \(", err)]
    assert len(reached) >= 2 and reached == sorted(set(reached)) and reached[0] > 0 and reached[-1] < steps, err
    lines = err.splitlines()
    assert "training adam" in lines[3] and "margins and alignments" in lines[-2] and "\r" not in err, err
    assert all(line.startswith("[") for line in lines) and len(lines) == 6 + len(reached), err

    assert main([*argv, str(tmp_path / "quiet.json"), "--quiet"]) == 0
    quiet, err = capsys.readouterr()
    assert err == "" and quiet == printed.replace("loud.json", "quiet.json")
    assert (tmp_path / "quiet.json").read_text() == (tmp_path / "loud.json").read_text()


def test_fit_multiclass_reports_alignment_with_v2_and_vinf(tmp_path, capsys):
    H, y, _, _ = make_multiclass(k=3, d=5, per_class=6, seed=1)
    k = 3
    np.savez(tmp_path / "mc.npz", X=H, y=y)
    out = tmp_path / "mc.json"
    assert main(["fit", str(tmp_path / "mc.npz"), "--optimizer", "signgd", "--steps", "500", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())

    run = train(H, y, optimizer="signgd", steps=500)
    v2, vinf, vspec = (max_margin(H, y, norm=norm) for norm in (2, "inf", "spectral"))
    assert result["data"] == {"kind": "multiclass", "samples": H.shape[0], "features": H.shape[1], "classes": k}
    expected = {name: cosine(run.w_final, v.w) for name, v in (("V_2", v2), ("V_inf", vinf), ("V_spec", vspec))}
    assert result["cosine"] == pytest.approx(expected)
    assert "adam_proxy_fixed_point" not in result["cosine"]
    assert result["normalized_margin"]["l2"] == pytest.approx(normalized_margin(run.w_final, H, y, norm=2))
    assert result["normalized_margin"]["spectral"] == pytest.approx(normalized_margin(run.w_final, H, y, "spectral"))
    assert result["max_margin"]["spectral"] == pytest.approx(vspec.gamma, rel=1e-6)
    # no direction has a larger normalised margin than the max-margin one
    norms = ("l2", "linf", "spectral")
    assert all(result["normalized_margin"][n] <= result["max_margin"][n] * (1 + 1e-9) for n in norms)
    assert all(0 < result["margin_ratio"][n] <= 1 + 1e-9 for n in norms)
    assert "V_inf" in printed and "V_spec" in printed and f"k={k} classes" in printed
    assert len(result["trajectory"]["margin_spectral"]) == len(result["trajectory"]["steps"])


def test_fit_reports_margin_ratios_before_cosines_and_flags_non_unique_solutions(tmp_path, capsys):
    """The report leads with the margin ratios (what the theorems bound), and flags a cosine whose max-margin
    solution is not unique. On x_1 = (1, 1, -1), x_2 = (1, -1, 1) every w = (1, s, s), |s| <= 1, has the max-norm
    margin 1, so w_linf is not unique; on Gaussian data it is, and nothing is flagged (w_l2 is always unique)."""
    printed = {}
    for name, X in (("unique", gaussian(10, 20, 3)), ("face", np.array([[1.0, 1, -1], [1, -1, 1]]))):
        np.savez(tmp_path / f"{name}.npz", X=X)
        out = tmp_path / f"{name}.json"
        argv = ["fit", str(tmp_path / f"{name}.npz"), "--optimizer", "signgd", "--steps", "300", "--quiet"]
        assert main([*argv, "--json", str(out)]) == 0
        printed[name] = text = capsys.readouterr().out
        result = json.loads(out.read_text())
        ratios = {key: result["normalized_margin"][key] / result["max_margin"][key] for key in ("l2", "linf")}
        assert result["margin_ratio"] == pytest.approx(ratios)
        assert text.index("margin ratio") < text.index("normalised margin") < text.index("alignment (cosine)")
        assert re.search(r"margin ratio.* " + r" +".join(f"{ratios[k]:.6f}" for k in ("l2", "linf")), text), text
        assert result["uniqueness"]["w_l2"]["unique"] is True
    assert "not unique" not in printed["unique"]
    flagged = [line for line in printed["face"].splitlines() if "not unique" in line]
    assert len(flagged) == 1 and flagged[0].lstrip().startswith("w_linf"), printed["face"]
    assert "depends on the solver" in flagged[0]
    assert json.loads((tmp_path / "face.json").read_text())["uniqueness"]["w_linf"]["unique"] is False


def _bad_inputs() -> dict:
    """name -> (the arrays of the .npz, or None for no file; what the error says)."""
    H, y, _, _ = make_multiclass(k=3, d=5, per_class=4, seed=0)
    return {
        "missing file": (None, "no such file"),
        "no X": (dict(Z=np.ones((2, 2))), "no array 'X'"),
        "X not 2-D": (dict(X=np.ones(3)), "2-D"),
        "X empty": (dict(X=np.ones((0, 3))), "non-empty"),
        "NaN in X": (dict(X=np.array([[1.0, np.nan], [1.0, 0.0]])), "NaN"),
        "inf in X": (dict(X=np.array([[1.0, np.inf], [1.0, 0.0]])), "inf"),
        "object array": (dict(X=np.array([1, "a", None], dtype=object)), "allow_pickle"),
        "not separable": (dict(X=np.array([[1.0, 0.0], [-1.0, 0.0]])), "not linearly separable"),
        "y wrong length": (dict(X=H, y=y[:-1]), "1-D array of"),
        "y labels +-1": (dict(X=H[:8], y=np.where(y[:8] == 0, -1, 1)), "0..k-1"),
        "y misses a class": (dict(X=H, y=np.where(y == 1, 2, y)), "0..k-1"),
        "y one class": (dict(X=H, y=np.zeros(len(y), dtype=int)), "0..k-1"),
        "y fractional": (dict(X=H, y=y + 0.5), "0..k-1"),
    }


@pytest.mark.parametrize("case", list(_bad_inputs()))
def test_bad_inputs_end_with_one_line_and_status_2(case, tmp_path, capsys):
    arrays, message = _bad_inputs()[case]
    path = tmp_path / "data.npz"
    if arrays is not None:
        np.savez(path, **arrays)
    assert main(["fit", str(path), "--steps", "10", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("implicit-bias fit: error: ") and err.count("\n") == 1, err
    assert message in err


def test_a_bad_input_prints_no_traceback_from_the_command_line(tmp_path):
    proc = _cli("fit", str(tmp_path / "missing.npz"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"implicit-bias fit: error: no such file: {tmp_path / 'missing.npz'}"]


def test_ctrl_c_ends_a_long_fit_at_once_without_a_traceback(tmp_path):
    """The training kernel is one compiled call; Ctrl-C must not wait for it to return (minutes on a long run)."""
    import signal
    import time

    np.savez(tmp_path / "data.npz", X=gaussian(10, 50, 0))
    json_out = tmp_path / "fit.json"
    cmd = [sys.executable, "-m", "implicit_bias.cli", "fit", str(tmp_path / "data.npz"), "--steps", "2000000000"]
    proc = subprocess.Popen([*cmd, "--json", str(json_out)], env=ENV, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # wait until it trains
        if "training adam" in line:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    sent = time.perf_counter()
    rest = proc.stderr.read()
    proc.wait(timeout=30)
    assert time.perf_counter() - sent < 5.0  # the run itself would take minutes
    assert proc.returncode == -signal.SIGINT
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest, rest
    assert not json_out.exists()


def test_bad_settings_are_one_line_errors(tmp_path, capsys):
    np.savez(tmp_path / "data.npz", X=gaussian(4, 6, 0))
    data = str(tmp_path / "data.npz")
    cases = [
        (["--loss", "hinge"], "unknown loss 'hinge'"),
        (["--batch-size", "3"], "must divide"),
        (["--json", str(tmp_path / "no" / "out.json")], "no such directory"),
    ]
    for bad, message in cases:
        assert main(["fit", data, *bad, "--steps", "10"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("implicit-bias fit: error: ") and message in err, err


def test_figure_shortcut_runs_the_jobs_snakemake_would(tmp_path):
    """A dry run of `figure` plans the same jobs as `snakemake -n <target>`."""
    target = "results/figures/baek2025/fig2.png"
    proc = _cli("figure", "baek2025", "fig2", "--dry-run", "--configfile", str(SMOKE), cwd=ROOT / "workflow")
    assert proc.returncode == 0, proc.stderr
    direct = subprocess.run(
        [sys.executable, "-m", "snakemake", target, "-n", "--cores", "1", "--configfile", str(SMOKE)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )

    def jobs(text):
        return sorted(line.split()[0] for line in text.splitlines() if line.startswith(("baek_", "fan_", "cat_")))

    assert jobs(proc.stdout + proc.stderr) == jobs(direct.stdout + direct.stderr)
    assert "baek_figure" in jobs(proc.stdout + proc.stderr)
    assert "fan_run" not in jobs(proc.stdout + proc.stderr)


def test_check_shortcut_passes_the_options_through():
    args = build_parser().parse_args(
        ["check", "fan2025", "c3_signgd_linf", "--cores", "2", "-n", "--configfile", "c.y"]
    )
    cmd = snakemake_command("results/checks/fan2025/c3_signgd_linf.json", args)
    assert cmd[:4] == [sys.executable, "-m", "snakemake", "results/checks/fan2025/c3_signgd_linf.json"]
    assert cmd[cmd.index("--cores") + 1] == "2" and "--dry-run" in cmd
    assert cmd[cmd.index("--configfile") + 1] == str(Path("c.y").resolve())


def test_check_prints_its_verdict_in_one_line():
    claim = {"paper": "fan2025", "check": "c8_nsd", "kind": "claim", "passed": False}
    assert verdict_text({**claim, "passed": True}, {}) == "fan2025/c8_nsd (claim): reproduced"
    assert verdict_text(claim, {}) == "fan2025/c8_nsd (claim): not reproduced"
    assert verdict_text(claim, {"fan2025/c8_nsd": "rate at T"}).endswith("not reproduced (expected: rate at T)")
    assert verdict_text({**claim, "kind": "consistency"}, {}) == "fan2025/c8_nsd (consistency): fails"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["figure", "baek2025", "fig99"], "baek2025 has no figure 'fig99'"),
        (["check", "fan2025", "nope"], "fan2025 has no check 'nope'"),
        (["figure", "nopaper", "fig1"], "unknown paper 'nopaper'"),
        (["check", "baek2025", "thm_3_3", "--configfile", "missing.yaml"], "no such config file"),
    ],
)
def test_unknown_figures_and_checks_are_one_line_errors(argv, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_workflow_commands_need_a_checkout(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["papers"]) == 2
    assert "not inside a checkout" in capsys.readouterr().err


def test_papers_lists_exactly_the_figures_and_checks_the_workflow_builds(capsys, monkeypatch):
    monkeypatch.chdir(ROOT / "tests")  # the root is found from a subfolder
    assert main(["papers", "--configfile", str(SMOKE)]) == 0
    listed = {line.split()[-1] for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
    summary = subprocess.run(
        [sys.executable, "-m", "snakemake", "--summary", "--cores", "1", "--configfile", str(SMOKE)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    built = {line.split()[0] for line in summary.stdout.splitlines() if line.strip()}
    built = {
        p for p in built if p.startswith(("results/figures/", "results/checks/")) and p.endswith((".png", ".json"))
    }
    assert listed == built
    assert "results/figures/fan2025/fig_nsd.png" in listed and "results/checks/baek2025/thm_3_3.json" in listed


def test_docs_document_every_optimizer_and_command():
    api = (ROOT / "docs" / "api.md").read_text()  # the optimizer table of "On your own data"
    for name in TRAIN_OPTIMIZERS:
        assert f"\n| `{name}` |" in api, name
    cli = (ROOT / "docs" / "cli.md").read_text()
    commands = build_parser()._subparsers._group_actions[0].choices
    for command in commands:
        assert f"implicit-bias {command}" in cli, command


def test_the_run_line_names_the_settings_the_rule_reads():
    """`fit` prints Adam's β2 and ε for Adam, the momentum for the momentum rules, the orthogonalisation for Muon:
    not every optimizer's settings for every run."""
    from implicit_bias.cli import report_text
    from implicit_bias.hyperparameters import TRAIN_DEFAULTS

    def run_line(**settings):
        s = {**TRAIN_DEFAULTS, "steps": 10, "batch_size": 4, "loss": "ce", **settings}
        result = {
            "data": {"kind": "multiclass", "classes": 3, "samples": 4, "features": 2},
            "settings": s,
            "final_log_loss": -1.0,
            "max_margin": {"l2": 1.0},
            "margin_ratio": {"l2": 0.5},
            "normalized_margin": {"l2": 0.5},
            "cosine": {"V_2": 0.9},
            "uniqueness": {},
        }
        return report_text(result).splitlines()[1]

    adam = run_line(optimizer="adam")
    assert "beta2 0.95" in adam and "eps 0" in adam and "polar" not in adam
    muon = run_line(optimizer="muon", polar="newton_schulz", polar_steps=5)
    assert "beta1 0.9" in muon and "polar newton_schulz x5" in muon and "beta2" not in muon and ", eps" not in muon
    spectral = run_line(optimizer="spectral")
    assert "polar svd" in spectral and "beta1" not in spectral
    nsd = run_line(optimizer="nsd", p=3.0, norm="schatten")
    assert "p 3 (schatten)" in nsd and "polar" not in nsd
