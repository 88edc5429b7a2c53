"""l2 / linf max-margin solutions (Clarabel / HiGHS) and the AdamProxy fixed point (Alg. 3), per seed."""

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers.baek2025.experiments import reference_solutions

setup(snakemake)
arrays, record = load_npz(snakemake.input.data)
fp = snakemake.params.fixed_point
refs = reference_solutions(arrays["X"], fp_tol=fp["tol"], fp_max_iter=fp["max_iter"])
for s, (g2, gi, it) in enumerate(zip(refs["gamma_l2"], refs["gamma_linf"], refs["fp_iterations"])):
    print(f"seed {arrays['seeds'][s]}: gamma_2 = {g2:.4f}, gamma_inf = {gi:.4f}, fixed point in {it} iterations")
save_npz(snakemake.output[0], {**refs, "seeds": arrays["seeds"]}, {**record["meta"], "fixed_point": fp})
