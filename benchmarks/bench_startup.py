"""Start-up cost of the pipeline's processes: what each job and each Snakemake call pays before it computes.

Every job is a fresh Python process that imports its script's modules, and every `snakemake` call imports what the
Snakefile needs to build the DAG. This times, interleaved (one repeat of every case, then the next), best of
`--repeats`, the wall time of a fresh process that

    python               does nothing (the interpreter's floor)
    snakefile imports    imports what Snakefile and workflow/rules/*.smk import from the package, and every
                         paper's CHECKS registry (as `checks_of` does when the DAG is built)
    <script>             imports what workflow/scripts/<script>.py imports from the package (not its work)

and the wall time of `snakemake -n` on an empty Snakefile (Snakemake's own floor) and on this workflow, and reports
each as seconds and as a ratio to its floor. It also lists which of cvxpy, numba, matplotlib, seaborn each process
loaded. Writes `benchmarks/startup.json`.

    python benchmarks/bench_startup.py [--repeats 5]

Run from the repository's root with the package importable (installed, or PYTHONPATH=src). The workflow's dry run
times whatever state results/ is in: up to date, it is the time of a no-op `snakemake` as well.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("cvxpy", "numba", "matplotlib", "seaborn")

# Imports the `implicit_bias` modules a file imports at its top level (and, for the Snakefile, every paper's
# CHECKS registry), then prints which heavy libraries are loaded.
_PROBE = r"""
import importlib, json, re, sys
heavy, papers, files = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3:]
pattern = r"^[ \t]*from[ \t]+(implicit_bias[\w.]*)[ \t]+import[ \t]+(\([\w\s,]+\)|[\w \t,]+)"
for path in files:
    for m in re.finditer(pattern, open(path).read(), re.M):
        mod = importlib.import_module(m[1])
        for name in (n.strip().split(" as ")[0] for n in m[2].strip("()").split(",") if n.strip()):
            if not hasattr(mod, name):  # `from package import submodule`
                importlib.import_module(f"{m[1]}.{name}")
for paper in papers:
    importlib.import_module("implicit_bias.checks").checks_of(paper)
print(json.dumps([m for m in heavy if m in sys.modules]))
"""


def _run(cmd: list[str], cwd: Path = ROOT) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, proc.stdout


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "startup.json")
    args = parser.parse_args(argv)

    papers = ["baek2025", "fan2025", "cattaneo2024"]
    smk = [str(ROOT / "Snakefile"), *map(str, sorted((ROOT / "workflow" / "rules").glob("*.smk")))]
    scripts = sorted(p for p in (ROOT / "workflow" / "scripts").glob("*.py") if not p.name.startswith("_"))
    probe = [sys.executable, "-c", _PROBE, json.dumps(HEAVY)]
    empty = Path(tempfile.mkdtemp()) / "Snakefile"
    empty.write_text("rule all:\n    input: []\n")
    cases = {
        "python": [sys.executable, "-c", "pass"],
        "snakefile imports": [*probe, json.dumps(papers), *smk],
        **{p.stem: [*probe, "[]", str(p)] for p in scripts},
        "snakemake -n (empty Snakefile)": [
            "snakemake",
            "-n",
            "--cores",
            "1",
            "-s",
            str(empty),
            "-d",
            str(empty.parent),
        ],
        "snakemake -n (this workflow)": ["snakemake", "-n", "--cores", "1"],
    }
    best = dict.fromkeys(cases, float("inf"))
    loaded = {}
    for _ in range(args.repeats):
        for name, cmd in cases.items():
            seconds, out = _run(cmd)
            best[name] = min(best[name], seconds)
            if cmd[:3] == probe[:3]:
                loaded[name] = json.loads(out.strip().splitlines()[-1])
    floor = {
        name: best["snakemake -n (empty Snakefile)"] if name.startswith("snakemake") else best["python"]
        for name in cases
    }
    rows = {
        name: dict(seconds=best[name], ratio_to_floor=best[name] / floor[name], loads=loaded.get(name))
        for name in cases
    }
    result = dict(
        repeats=args.repeats,
        machine=dict(system=platform.system(), machine=platform.machine(), python=platform.python_version()),
        cases=rows,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    width = max(map(len, rows))
    for name, row in rows.items():
        extra = f"  loads {', '.join(row['loads']) or 'none of ' + '/'.join(HEAVY)}" if row["loads"] is not None else ""
        print(f"{name:{width}}  {row['seconds']:6.2f} s  {row['ratio_to_floor']:5.2f}x floor{extra}")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
