"""Figures 4-5 data: one sweep over rho or beta, joined from its (beta, rho) points (rule cat_sweep_point)."""

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers.cattaneo2024.experiments import combine_sweep

setup(snakemake)
spec = snakemake.params.spec
points = [load_npz(path)[0] for path in snakemake.input.points]
out = combine_sweep(points, spec["grid"], spec["sweeps"])
meta = {**spec["sweeps"], **spec["grid"], "scale": spec["scale"]}
if spec["scale"] == "full":
    meta["full"] = spec["full"]
save_npz(snakemake.output[0], out, {"experiment": meta})
print(f"joined {len(points)} points into {snakemake.output[0]}")
