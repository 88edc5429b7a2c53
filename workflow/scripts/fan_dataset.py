"""Draw one fan2025 data set (spec §3), resampled until separable; store it with its max-norm LP solution."""

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.multiclass import data_bound
from implicit_bias.papers.fan2025.experiments import draw_dataset

setup(snakemake)
spec = snakemake.params.spec
H, y, tries, sol = draw_dataset(spec, sparse_lp=snakemake.params.sparse_lp)
print(f"k={spec['classes']} seed={spec['seed']}: separable after {tries} draw(s); gamma_inf = {sol.gamma:.6g}")
arrays = dict(H=H, y=y, V_inf=sol.w, gamma_inf=sol.gamma, B=data_bound(H))
save_npz(snakemake.output[0], arrays, {"dataset": spec, "tries": tries, "solver": sol.solver})
