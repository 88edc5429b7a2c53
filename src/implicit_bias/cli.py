"""The `implicit-bias` console command: fit your own data, rebuild one figure or check, list what the papers hold.

    implicit-bias fit DATA.npz [--optimizer adam] [--batch-size 1] [--steps N] ... [--plot out.png] [--json out.json]
    implicit-bias figure PAPER NAME [--cores 1] [--dry-run] [--configfile FILE]
    implicit-bias check PAPER NAME  [--cores 1] [--dry-run] [--configfile FILE]
    implicit-bias papers [--configfile FILE]

Everything heavy (numpy, cvxpy, numba, matplotlib, Snakemake) is imported by the command that needs it, so that
`--help` answers at once. A bad input ends the command with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .hyperparameters import NORMS, OPTIMIZERS, POLARS, SAMPLINGS, TRAIN_DEFAULTS

if TYPE_CHECKING:
    import numpy as np

__all__ = ["CLIError", "main"]

# the `fit` options passed to `train` as they are
TRAIN_OPTIONS: tuple[str, ...]
TRAIN_OPTIONS = ("optimizer", "steps", "lr", "decay", "beta1", "beta2", "eps", "eps_inside", "bias_correction")
TRAIN_OPTIONS += ("batch_size", "sampling", "seed", "loss", "p", "norm", "polar", "polar_steps")
EXIT_USAGE = 2  # bad input, as argparse's own usage errors


class CLIError(Exception):
    """A bad input: printed as one line (`implicit-bias <command>: <message>`), exit status 2."""


# --------------------------------------------------------------------------------------------------------- progress
# while training, a line at most this often: a job log stays short, and a long run still shows how far it has got
PROGRESS_SECONDS = 5.0


class Progress:
    """A plain-text progress bar on stderr over the stages of a fit: `[####------] 2/5 <stage> (elapsed)`.

    One line per stage and, while the training stage runs, one every `PROGRESS_SECONDS` with the step it has
    reached (`train`'s `progress` callback); no carriage returns, so a log file reads as well as a terminal.
    """

    def __init__(self, stages: int, enabled: bool = True, width: int = 20) -> None:
        self.total, self.enabled, self.width = stages, enabled, width
        self.done = 0
        self.start = time.perf_counter()

    def stage(self, text: str) -> None:
        self.done += 1
        self._line(self.done - 1, text)

    def steps(self, total: int) -> Callable[[int], None] | None:
        """`train`'s `progress` callback for the current stage, a run of `total` steps (None when disabled): the
        bar moves on within the stage, and the line gives the step, the share done and an estimate of the rest."""
        if not self.enabled:
            return None
        begun = last = time.perf_counter()

        def report(done: int) -> None:
            nonlocal last
            now = time.perf_counter()
            if now - last < PROGRESS_SECONDS or not 0 < done < total:  # the next stage's line follows the end
                return
            last = now
            share = done / total
            left = (now - begun) * (1 - share) / share
            self._line(self.done - 1, f"step {done:,} of {total:,} ({share:.0%}, about {left:.0f} s left)", share)

        return report

    def finish(self) -> None:
        self._line(self.total, "done")

    def _line(self, done: int, text: str, part: float = 0.0) -> None:
        """The bar after `done` stages and `part` of the next one."""
        if not self.enabled:
            return
        filled = round(self.width * (done + part) / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        print(f"[{bar}] {done}/{self.total} {text} ({elapsed:.1f} s)", file=sys.stderr, flush=True)


# -------------------------------------------------------------------------------------------------------------- fit
def load_data(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(X, y or None) from an .npz holding `X` (binary: label-absorbed rows y_i·x_i) and, for multiclass data, `y`
    (the labels 0..k−1, every class present); a CLIError that says what is wrong otherwise."""
    import numpy as np

    from .data import as_design_matrix

    file = Path(path)
    if not file.is_file():
        raise CLIError(f"no such file: {path}")
    try:
        with np.load(file, allow_pickle=False) as npz:
            names = list(npz.files)
            arrays = {name: npz[name] for name in ("X", "y") if name in names}
    except (OSError, ValueError, EOFError) as exc:  # not an .npz, or an object array (pickles are refused)
        raise CLIError(f"cannot read {path} as an .npz of numeric arrays: {exc}") from None
    if "X" not in arrays:
        raise CLIError(f"{path} has no array 'X' (it holds: {', '.join(names) or 'nothing'})")
    try:
        X = as_design_matrix(arrays["X"], "X")
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if "y" not in arrays:
        return X, None
    return X, _labels(arrays["y"], X.shape[0])


def _labels(y: np.ndarray, n: int) -> np.ndarray:
    """`margins.as_labels`'s check (labels 0..k-1, k >= 2, every class present), its refusal as one CLI line."""
    from .margins import as_labels

    try:
        return as_labels(y, n, None)[0]
    except ValueError as exc:
        raise CLIError(f"y must be a 1-D array of {n} class labels 0..k-1, one per row of X: {exc}") from None


def fit(X: np.ndarray, y: np.ndarray | None, args: argparse.Namespace, progress: Progress) -> dict:
    """Train on (X, y), compare the final direction with the max-margin references; the JSON-ready result.

    For each norm (l2, linf and, for multiclass data, spectral; fan2025 v4 §3) the margin ratio, the normalised
    margin of W_T over the max margin gamma, comes first: the theorems bound the margin gap, and a max-margin
    solution can be non-unique (V_inf on an LP face, V_spec with a flat spectrum), so that a cosine with "the"
    solution depends on the solver. `margins.margin_solution_spread` says which norms' solutions are unique."""

    from .margins import cosine, margin_solution_spread, max_margin, normalized_margin
    from .training import train

    multiclass = y is not None
    settings = {name: getattr(args, name) for name in TRAIN_OPTIONS}
    try:  # a bad setting (loss, batch size, p, ...) fails here, before the reference solves: one numpy step
        train(X, y, **{**settings, "steps": 1}, backend="numpy")
    except (ValueError, FloatingPointError) as exc:
        raise CLIError(str(exc)) from None
    norms: dict[str, int | str] = {"l2": 2, "linf": "inf"}
    if multiclass:
        norms["spectral"] = "spectral"
    references: dict[str, Any] = {}
    spreads: dict[str, Any] = {}  # a SolutionSpread, or the reason it could not be certified
    for key in norms:
        progress.stage(f"max-margin {key} solution and its uniqueness")
        try:
            references[key] = max_margin(X, y, norm=norms[key])
        except ValueError as exc:  # non-separable data, degenerate labels
            raise CLIError(str(exc)) from None
        try:
            spreads[key] = margin_solution_spread(X, y, norms[key], solution=references[key])
        except RuntimeError as exc:  # the second solve could not be certified: say so, the fit still stands
            spreads[key] = str(exc)
    fixed = None
    if not multiclass:
        from .fixed_point import proxy_fixed_point

        progress.stage("AdamProxy fixed point (Algorithm 3)")
        fixed = proxy_fixed_point(X, solver="active_set")  # certified, Clarabel where a solve is not
    batch = "full batch" if args.batch_size is None else f"batch size {args.batch_size}, {args.sampling}"
    progress.stage(f"training {args.optimizer} for {args.steps:,} steps ({batch})")
    try:
        traj = train(X, y, **settings, progress=progress.steps(args.steps))
    except (ValueError, FloatingPointError) as exc:  # a bad setting, or a run that overflowed
        raise CLIError(str(exc)) from None
    progress.stage("margins and alignments")
    W = traj.w_final
    if multiclass:
        names = {"l2": "V_2", "linf": "V_inf", "spectral": "V_spec"}
    else:
        names = {"l2": "w_l2", "linf": "w_linf"}
    margins = {key: float(normalized_margin(W, X, y, norm=norm)) for key, norm in norms.items()}
    result: dict[str, Any] = {
        "data": {"kind": "multiclass" if multiclass else "binary", "samples": X.shape[0], "features": X.shape[1]},
        "settings": traj.settings,
        "final_log_loss": float(traj.log_loss[-1]),
        "margin_ratio": {key: margins[key] / float(references[key].gamma) for key in norms},
        "normalized_margin": margins,
        "max_margin": {key: float(references[key].gamma) for key in norms},
        "cosine": {names[key]: float(cosine(W, references[key].w)) for key in norms},
        "uniqueness": {names[key]: _uniqueness(spreads[key], W) for key in norms},
        "trajectory": {
            "steps": traj.steps.tolist(),
            "log_loss": traj.log_loss.tolist(),
            **{f"cosine_{names[key]}": cosine(traj.w, references[key].w).tolist() for key in norms},  # type: ignore[union-attr]
            **{f"margin_{key}": normalized_margin(traj.w, X, y, norm=norm).tolist() for key, norm in norms.items()},  # type: ignore[union-attr]
        },
    }
    if multiclass:
        result["data"]["classes"] = int(W.shape[0])
    else:
        assert fixed is not None  # binary data: solved above
        result["cosine"]["adam_proxy_fixed_point"] = float(cosine(W, fixed.w))
        result["trajectory"]["cosine_adam_proxy_fixed_point"] = cosine(traj.w, fixed.w).tolist()  # type: ignore[union-attr]
        result["fixed_point"] = {"converged": bool(fixed.converged), "iterations": int(fixed.iterations)}
    # NaN (the zero iterate w_0 has no direction) is written as JSON null
    result["trajectory"] = {k: [None if v != v else v for v in vals] for k, vals in result["trajectory"].items()}
    return result


def _uniqueness(spread: Any, W: np.ndarray) -> dict:
    """A max-margin solution's uniqueness for the JSON: `unique` (None when the second solve could not be certified,
    with its `error`), the cosine between the reference and the farthest other solution, and W_T's cosine with
    that other solution (how far the reported cosine moves with the solver)."""
    from .margins import cosine

    if isinstance(spread, str):
        return {"unique": None, "error": spread}
    return {
        "unique": spread.unique,
        "cosine_between_solutions": spread.cosine,
        "cosine_with_other_solution": float(cosine(W, spread.farthest)),
    }


def report_text(result: dict) -> str:
    """The fit's summary as printed: first the margin ratios (normalised margin of W_T over the max margin, the
    quantity the theorems bound), then the alignments, each flagged when its max-margin solution is not unique."""
    data, s = result["data"], result["settings"]
    kind = f"multiclass, k={data['classes']} classes" if data["kind"] == "multiclass" else "binary (label-absorbed X)"
    keys = list(result["max_margin"])
    lines = [
        f"data: {data['samples']} samples x {data['features']} features, {kind}",
        f"run: {s['optimizer']}, {s['steps']:,} steps, batch size {s['batch_size']} ({s['sampling']}), "
        f"lr {s['lr']:g}*(t+2)^-{s['decay']:g}, "
        + "".join(f"{part}, " for part in _rule_settings(s))
        + f"loss {s['loss']}",
        f"final log-loss: {result['final_log_loss']:.6g}",
        "",
        "margins of the final iterate W_T in each norm:",
        f"{'':30s}" + "".join(f"{key:>12s}" for key in keys),
        f"{'margin ratio (margin / gamma)':30s}" + "".join(f"{result['margin_ratio'][k]:12.6f}" for k in keys),
        f"{'normalised margin of W_T':30s}" + "".join(f"{result['normalized_margin'][k]:12.6f}" for k in keys),
        f"{'max margin (gamma)':30s}" + "".join(f"{result['max_margin'][k]:12.6f}" for k in keys),
        "",
        "alignment (cosine) of the final direction with:",
    ]
    width = max(len(name) for name in result["cosine"])
    for name, value in result["cosine"].items():
        note = _uniqueness_note(name, result["uniqueness"].get(name))
        lines.append(f"  {name:{width}s}  {value:.6f}" + (f"  {note}" if note else ""))
    if "fixed_point" in result and not result["fixed_point"]["converged"]:
        lines.append(f"  (the fixed-point iteration did not converge in {result['fixed_point']['iterations']} steps)")
    return "\n".join(lines)


def _rule_settings(s: dict) -> list[str]:
    """The settings the run's update rule reads, as printed ("beta1 0.9", "polar svd"): Adam's moments and ε for
    Adam only, the momentum for the momentum rules, the norm for NSD and NMD, the orthogonalisation for Spectral-GD
    and Muon."""
    opt, parts = s["optimizer"], []
    if opt in ("adam", "signum", "nmd", "muon"):
        parts.append(f"beta1 {s['beta1']:g}")
    if opt == "adam":
        parts += [f"beta2 {s['beta2']:g}", f"eps {s['eps']:g}" + (" (inside the root)" if s["eps_inside"] else "")]
        parts += ["bias-corrected"] if s["bias_correction"] else []
    if opt in ("nsd", "nmd"):
        parts.append(f"p {s['p']:g} ({s.get('norm', 'entrywise')})")
    if opt in ("spectral", "muon") or (
        opt in ("nsd", "nmd") and s.get("norm") == "schatten" and s["p"] == float("inf")
    ):
        polar = s.get("polar", "svd")
        parts.append(f"polar {polar}" + ("" if polar == "svd" else f" x{s.get('polar_steps')}"))
    return parts


def _uniqueness_note(name: str, uniqueness: dict | None) -> str:
    """The flag after a cosine whose max-margin solution is not unique (or not known to be)."""
    if uniqueness is None or uniqueness["unique"]:
        return ""
    if uniqueness["unique"] is None:
        return f"(uniqueness of {name} not determined: {uniqueness['error']})"
    return (
        f"(not unique: another max-margin solution has cosine {uniqueness['cosine_between_solutions']:.3f} with "
        f"{name} and {uniqueness['cosine_with_other_solution']:.3f} with W_T, so this cosine depends on the solver)"
    )


def plot(result: dict, path: str) -> None:
    """Cosines with the references and normalised margins against the step (log axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    tr = result["trajectory"]
    steps = np.asarray(tr["steps"], dtype=float) + 1  # step 0 on a log axis
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for key, values in tr.items():
        if key.startswith("cosine_"):
            axes[0].plot(steps, np.array(values, dtype=float), label=key.removeprefix("cosine_"))
        elif key.startswith("margin_"):
            norm = key.removeprefix("margin_")
            line = axes[1].plot(steps, np.array(values, dtype=float), label=f"margin ({norm})")[0]
            axes[1].axhline(result["max_margin"][norm], ls="--", color=line.get_color(), lw=1)
    axes[0].set(xscale="log", xlabel="step t + 1", ylabel="cosine with reference", title="alignment")
    axes[1].set(xscale="log", xlabel="step t + 1", ylabel="normalised margin", title="margins (dashed: max)")
    for ax in axes:
        ax.legend()
    fig.suptitle(f"{result['settings']['optimizer']} on {result['data']['kind']} data")
    fig.savefig(path, dpi=120)
    plt.close(fig)


@contextmanager
def _die_on_interrupt() -> Iterator[None]:
    """While the block runs, Ctrl-C ends the process at once, without a traceback: the training kernel is one
    compiled call, and Python's own handler would only raise KeyboardInterrupt once it returned (minutes, on a long
    run). Nothing is written until the run is over, so nothing is left half-done."""
    import signal

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_fit(args: argparse.Namespace) -> int:
    """Load, check, fit and report; the JSON's `trajectory` holds the logged steps' cosines and normalised margins
    (`margin_l2`, `margin_linf` and, multiclass, `margin_spectral`)."""
    for out in (args.json, args.plot):  # found out before the fit, not after it
        if out and not Path(out).resolve().parent.is_dir():
            raise CLIError(f"cannot write {out}: no such directory {Path(out).parent}")
    X, y = load_data(args.data)
    stages = 5  # three references (multiclass) or two and the fixed point (binary); training; metrics
    progress = Progress(stages, enabled=not args.quiet)
    with _die_on_interrupt():
        result = fit(X, y, args, progress)
    progress.finish()
    print(report_text(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.json}")
    if args.plot:
        plot(result, args.plot)
        print(f"wrote {args.plot}")
    return 0


# ---------------------------------------------------------------------------------------------- workflow commands
def find_root(start: Path | None = None) -> Path:
    """The checkout holding the workflow: `start` (default: the current directory) or its nearest parent with a
    Snakefile and workflow/rules/."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "Snakefile").is_file() and (folder / "workflow" / "rules").is_dir():
            return folder
    raise CLIError(
        f"not inside a checkout of the implicit-bias repository: no Snakefile with workflow/rules/ in {start} or "
        "its parents (cd into the repository first)"
    )


def load_config(root: Path, configfile: str | None) -> dict:
    """The workflow's configuration as Snakemake sees it: config.yaml with `configfile` merged over it, validated
    and with the schemas' defaults filled in by the Snakefile's own function (`implicit_bias.config`)."""
    import yaml

    from .config import ConfigError, validate_config

    files = [root / "config.yaml"]
    config = yaml.safe_load(files[0].read_text())
    if configfile:
        extra = Path(configfile)
        if not extra.is_file():
            raise CLIError(f"no such config file: {configfile}")
        _merge(config, yaml.safe_load(extra.read_text()) or {})
        files.append(extra)
    try:
        return validate_config(config, configfiles=files)
    except ConfigError as err:
        raise CLIError(str(err)) from None


def _merge(base: dict, extra: dict) -> None:
    """Snakemake's merge of a --configfile over the config: nested dicts merge, anything else is replaced."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def target_of(kind: str, paper: str, name: str, config: dict) -> str:
    """The path Snakemake builds figure/check `name` of `paper` at; a CLIError listing the choices otherwise."""
    from . import targets

    try:
        names = targets.figures_of(paper, config) if kind == "figure" else targets.checks_of_paper(paper)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if name not in names:
        raise CLIError(f"{paper} has no {kind} {name!r}; its {kind}s: {', '.join(names)}")
    return (targets.figure_path if kind == "figure" else targets.check_path)(paper, name)


def snakemake_command(target: str, args: argparse.Namespace) -> list[str]:
    """`python -m snakemake` for one target, with the passthrough options: the jobs `snakemake <target>` runs."""
    # the target first: --configfile takes several values and would swallow a target after it
    cmd = [sys.executable, "-m", "snakemake", target, "--cores", str(args.cores)]
    if args.configfile:
        cmd += ["--configfile", str(Path(args.configfile).resolve())]
    if args.dry_run:
        cmd.append("--dry-run")
    return cmd


def verdict_text(verdict: dict, expected: dict[str, str]) -> str:
    """One check's verdict in one line: "fan2025/c9_rates (claim): reproduced", with the reason when a failure is
    an expected one (config `expected_failures`)."""
    name = f"{verdict['paper']}/{verdict['check']}"
    held, failed = ("reproduced", "not reproduced") if verdict["kind"] == "claim" else ("holds", "fails")
    text = f"{name} ({verdict['kind']}): {held if verdict['passed'] else failed}"
    if not verdict["passed"] and name in expected:
        text += f" (expected: {expected[name]})"
    return text


def cmd_build(args: argparse.Namespace) -> int:
    root = find_root()
    config = load_config(root, args.configfile)
    target = target_of(args.command, args.paper, args.name, config)
    cmd = snakemake_command(target, args)
    print(f"implicit-bias: building {target} in {root}", file=sys.stderr, flush=True)
    status = subprocess.run(cmd, cwd=root, check=False).returncode
    if status == 0 and not args.dry_run:
        if args.command == "check":  # the verdict is in the JSON (the job's own line went to its log)
            from .artifacts import load_json
            from .checks import expected_failures

            expected = expected_failures(config.get("expected_failures", []))
            print(verdict_text(load_json(root / target), expected), file=sys.stderr)
        print(root / target)
    return status


def cmd_papers(args: argparse.Namespace) -> int:
    from .targets import listing

    rows = listing(load_config(find_root(), args.configfile))
    width = max(len(name) for _, _, name, _ in rows)
    paper = None
    for p, kind, name, path in rows:
        if p != paper:
            print(("\n" if paper else "") + p)
            paper = p
        print(f"  {kind:6s}  {name:{width}s}  {path}")
    return 0


# ------------------------------------------------------------------------------------------------------------ parser
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .papers import PAPERS  # the registry: light, no paper module

    parser = argparse.ArgumentParser(
        prog="implicit-bias",
        description="The implicit bias of Adam, Signum and SignGD: fit your own data, or rebuild one figure or "
        "check of the replicated papers and the studies beyond them (`implicit-bias papers` lists them).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    f = sub.add_parser(
        "fit",
        help="train a linear classifier on DATA.npz and compare its direction with the max-margin solutions",
        description="Train on DATA.npz (read with allow_pickle=False) and print, for the l2, l-infinity and "
        "(multiclass) spectral norms, the normalised margin of the final iterate as a share of the max margin, then "
        "its alignment (cosine) with each max-margin solution, flagged when that solution is not unique (the "
        "cosine then depends on the solver), and with the AdamProxy fixed point (binary). Binary data: an array "
        "X (N, d) of label-absorbed rows y_i*x_i. Multiclass data: features X (n, d) and labels y (n,) in 0..k-1.",
    )
    f.add_argument("data", metavar="DATA.npz", help="arrays X and, for multiclass data, y")
    f.add_argument("--optimizer", default="adam", choices=OPTIMIZERS, help="update rule (default: adam)")
    f.add_argument(
        "--batch-size",
        type=_positive_int,
        default=TRAIN_DEFAULTS["batch_size"],
        help="samples per step (default: full batch)",
    )
    f.add_argument(
        "--sampling", default=TRAIN_DEFAULTS["sampling"], choices=SAMPLINGS, help="mini-batch order (default: cyclic)"
    )
    f.add_argument("--steps", type=_positive_int, default=100_000, help="number of steps (default: 100000)")
    f.add_argument(
        "--lr", type=float, default=TRAIN_DEFAULTS["lr"], help="eta_t = lr*(t+2)^-decay (default: %(default)s)"
    )
    f.add_argument(
        "--decay",
        type=float,
        default=TRAIN_DEFAULTS["decay"],
        help="learning-rate decay exponent (default: %(default)s)",
    )
    f.add_argument(
        "--beta1",
        type=float,
        default=TRAIN_DEFAULTS["beta1"],
        help="first-moment / Signum momentum (default: %(default)s)",
    )
    f.add_argument(
        "--beta2", type=float, default=TRAIN_DEFAULTS["beta2"], help="second-moment EMA of Adam (default: %(default)s)"
    )
    f.add_argument(
        "--eps", type=float, default=TRAIN_DEFAULTS["eps"], help="Adam's epsilon (default: 0, as in baek2025)"
    )
    f.add_argument("--eps-inside", action="store_true", help="add eps inside the square root")
    f.add_argument("--bias-correction", action="store_true", help="Adam's bias correction (default: off)")
    f.add_argument("--p", type=float, default=TRAIN_DEFAULTS["p"], help="the norm of nsd and nmd (default: 2)")
    f.add_argument(
        "--norm",
        default=TRAIN_DEFAULTS["norm"],
        choices=NORMS,
        help="nsd/nmd's norm family: entry-wise, or schatten (singular values; multiclass) (default: entrywise)",
    )
    f.add_argument(
        "--polar",
        default=TRAIN_DEFAULTS["polar"],
        choices=POLARS,
        help="spectral/muon's orthogonalisation: exact svd, Muon's newton_schulz, or cubic (default: svd)",
    )
    f.add_argument(
        "--polar-steps",
        type=_positive_int,
        default=TRAIN_DEFAULTS["polar_steps"],
        help="iterations of newton_schulz or cubic (default: 5)",
    )
    f.add_argument(
        "--loss", default=None, help="binary: exp (default) or logistic; multiclass: ce (default), exp or pairlog"
    )
    f.add_argument(
        "--seed", type=int, default=TRAIN_DEFAULTS["seed"], help="seed of the mini-batch sampling (default: 0)"
    )
    f.add_argument("--plot", metavar="OUT.png", help="draw the alignments and margins against the step")
    f.add_argument("--json", metavar="OUT.json", help="write the results (and the logged trajectory) as JSON")
    f.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    f.set_defaults(func=cmd_fit)

    for kind, path in (("figure", "results/figures/PAPER/NAME.png"), ("check", "results/checks/PAPER/NAME.json")):
        b = sub.add_parser(
            kind,
            help=f"rebuild one {kind} through Snakemake ({path})",
            description=f"Rebuild {path} through Snakemake, run in the repository's root (found from the current "
            f"directory): the jobs `snakemake {path}` runs. `implicit-bias papers` lists the names.",
        )
        b.add_argument("paper", metavar="PAPER", help=f"one of {', '.join(PAPERS)}")
        b.add_argument("name", metavar="NAME", help=f"the {kind}'s name, e.g. fig1")
        b.add_argument("--cores", default="1", help="Snakemake's --cores (a number or 'all'; default: 1)")
        b.add_argument("--dry-run", "-n", action="store_true", help="list the jobs without running them")
        b.add_argument("--configfile", metavar="FILE", help="a config merged over config.yaml (Snakemake's)")
        b.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "papers",
        help="list every paper's figures and checks with their target paths",
        description="List every paper, figure and check with the path Snakemake builds it at.",
    )
    p.add_argument("--configfile", metavar="FILE", help="a config merged over config.yaml (Snakemake's)")
    p.set_defaults(func=cmd_papers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"implicit-bias {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
