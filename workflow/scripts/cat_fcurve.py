"""Figure 1 data: F(x) closed form over (eps, rho), and by quadrature at the check points (C3)."""

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.cattaneo2024.experiments import f_curves

setup(snakemake)
spec = snakemake.params.spec
save_npz(snakemake.output[0], f_curves(spec), {"experiment": spec})
print("wrote F curves")
