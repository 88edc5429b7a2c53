"""Max-margin references V_p, gamma_p of one fan2025 data set (entry-wise norms; LP for 1 and inf)."""

from types import SimpleNamespace

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers.fan2025.experiments import reference_solutions

setup(snakemake)
data, record = load_npz(snakemake.input.data)
known = {"inf": SimpleNamespace(w=data["V_inf"], gamma=float(data["gamma_inf"]))}
refs = reference_solutions(data["H"], data["y"], snakemake.params.norms, known=known)
print({k: v for k, v in refs.items() if not k.startswith("V_")})
save_npz(snakemake.output[0], refs, {"dataset": record["meta"]["dataset"], "norms": snakemake.params.norms})
