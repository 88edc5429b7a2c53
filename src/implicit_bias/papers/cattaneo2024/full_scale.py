"""cattaneo2024's `scale: full` sweep: full-batch Adam on ResNet / CIFAR-10 through PyTorch (`implicit_bias.torch_full`
holds the data loader, the model and the Adam loop), recording the arrays of `experiments.adam_sweep`, so the figures
and checks read either scale. PyTorch is imported when a sweep runs (`pip install '.[full]'`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ...torch_full import full_batch_adam, load_cifar10, resnet, torch_module
from .experiments import PER_VALUE, sweep_points, sweep_summaries

__all__ = ["torch_sweep"]


def torch_sweep(cfg: dict, sweep: dict, full: dict, log: Callable[[str], object] = print) -> dict:
    """The `scale: full` analogue of `cattaneo2024.experiments.adam_sweep` (same arrays): one run per (value, seed)."""
    torch = torch_module()
    data = load_cifar10(full["data_dir"], full.get("limit_train"), full.get("limit_test"))
    seeds = list(cfg["seeds"])
    values = np.asarray(sweep["values"], float)
    steps = cfg["steps"]
    out: dict[str, Any] = dict(values=values, seeds=np.asarray(seeds))
    for v, (beta, rho) in enumerate(sweep_points(sweep)):
        runs = []
        for s in seeds:
            started = time.perf_counter()
            torch.manual_seed(s)
            model = resnet(tuple(full["blocks"]), full["width"])
            runs.append(
                full_batch_adam(
                    model,
                    data,
                    h=cfg["h"],
                    beta=beta,
                    rho=rho,
                    eps=cfg["eps"],
                    steps=steps,
                    eval_every=cfg["eval_every"],
                    physical_batch=full["physical_batch"],
                    device=full["device"],
                )
            )
            log(f"beta={beta} rho={rho} seed={s}: [{time.perf_counter() - started:.1f} s]")
        for key in PER_VALUE:
            out[f"{key}_{v}"] = np.stack([r[key] for r in runs], axis=1)
        out["eval_steps"] = runs[0]["eval_steps"]
    out.update(sweep_summaries(out, cfg))
    out.update(num_params=np.int64(runs[0]["theta"].size), n_test=np.int64(len(data[3])))
    return out
