"""fan2025 v4 Fig. 3: the two-layer network f(h) = W σ(V h) trained per layer by the six NSD/NMD rules
(config `fan2025.net`; the maths is `implicit_bias.two_layer`).

The paper trains on 100 MNIST images per class; MNIST cannot be downloaded here, so scikit-learn's bundled 8×8
digits (64 pixels, 100 per class, pixels in [0, 1]) stand in for it, one subset per data seed (data sets named
`digits_s<seed>`, no max-margin reference). The paper gives no learning rates, β_1, initialisation or step count
for the network: η_0 of the linear experiments (0.1; 0.05 for Spectral-GD and Muon), β_1 = 0.9, no biases,
V_0 ~ N(0, 1/64), W_0 ~ N(0, 1/100) and T (the figure's axis reaches 10⁴) are reconstructed (spec §5 E4).

Runs: every rule of `NET_RULES` in both modes (a: V trained, W fixed; b: V and W jointly), all from the seed's
(V_0, W_0), in one batched `train_batch` call per data set.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ...optimizers import UpdateRule
from ...two_layer import MODES, TwoLayerRun, digits_pixels, init_layers, log_grid, train_batch
from .. import Artifact

__all__ = [
    "NET",
    "NET_FIELDS",
    "NET_LABELS",
    "NET_RULES",
    "PANELS",
    "is_net_dataset",
    "make_net_dataset",
    "net_dataset_name",
    "net_dataset_seed",
    "net_dataset_spec",
    "net_datasets",
    "net_metrics",
    "net_runs",
    "run_net",
]

# the six rules of Fig. 3 (spec §2 table): panel (a)/(c) the NSD family, (b)/(d) the NMD family with momentum β_1
NET_RULES: dict[str, dict[str, Any]] = {
    "signgd": dict(name="signgd"),
    "ngd": dict(name="ngd"),
    "spectral": dict(name="spectral"),
    "signum": dict(name="signum"),
    "nmd": dict(name="nmd", p=2.0),
    "muon": dict(name="muon"),
}
NET_LABELS = {
    "signgd": "SignGD",
    "ngd": "NGD",
    "spectral": "Spectral-GD",
    "signum": "Signum",
    "nmd": "NMD-GD",
    "muon": "Muon",
}
# panel family -> (its three runs, the spectral-norm method of the family)
PANELS = {"nsd": (("signgd", "ngd", "spectral"), "spectral"), "nmd": (("signum", "nmd", "muon"), "muon")}
NET = "net"  # the experiment's name (its config section is fan2025.net)
NET_FIELDS = ("numerator", "spec_v", "spec_w", "log_loss")
CLASSES = 10  # the ten digits
PIXELS = 64


def net_dataset_name(seed: int) -> str:
    return f"digits_s{seed}"


def is_net_dataset(name: str) -> bool:
    return re.fullmatch(r"digits_s\d+", name) is not None


def net_dataset_seed(name: str) -> int:
    match = re.fullmatch(r"digits_s(\d+)", name)
    if match is None:
        raise ValueError(f"fan2025 network data set {name!r}: expected digits_s<seed>")
    return int(match[1])


def net_datasets(net: dict) -> list[str]:
    """The network's data sets, one per seed."""
    return [net_dataset_name(seed) for seed in net["seeds"]]


def net_dataset_spec(net: dict, name: str) -> dict:
    return {
        "source": "sklearn digits (8x8, pixels / 16)",
        "per_class": net["per_class"],
        "seed": net_dataset_seed(name),
    }


def make_net_dataset(spec: dict) -> Artifact:
    """The seed's `per_class` digits of each class, pixels in [0, 1]."""
    H, y = digits_pixels(spec["per_class"], spec["seed"])
    return Artifact({"H": H, "y": y}, {"dataset": spec})


def net_runs(net: dict) -> list[tuple[str, str, TwoLayerRun]]:
    """(mode, run label, run) for every mode and rule, in the figure's order."""
    out = []
    for mode in MODES:
        for label, kw in NET_RULES.items():
            rule = UpdateRule(**kw, beta1=net["beta1"]) if kw["name"] in ("signum", "nmd", "muon") else UpdateRule(**kw)
            out.append((mode, label, TwoLayerRun(rule, float(net["lr"][label]), mode, decay=float(net["decay"]))))
    return out


def run_net(net: dict, data: dict[str, Artifact], log: Callable[[str], object]) -> Artifact:
    """Every run of `net_runs` on each data set: per data set an array (modes·runs, recorded steps, NET_FIELDS)."""
    runs = net_runs(net)
    record = log_grid(int(net["steps"]), int(net["num_log"]))
    arrays: dict[str, np.ndarray] = {"t": record}
    cpu = {}
    for name, art in data.items():
        seed = net_dataset_seed(name)
        H, y = art.content["H"], art.content["y"]
        V0, W0 = init_layers(H.shape[1], int(net["width"]), CLASSES, seed)
        start = time.process_time()
        traces = train_batch(H, y, V0, W0, [run for _, _, run in runs], int(net["steps"]), record)
        cpu[name] = time.process_time() - start
        log(f"  {name}: {len(runs)} runs x {net['steps']} steps in {cpu[name]:.1f} s CPU")
        arrays[name] = np.stack([np.stack([getattr(tr, f) for f in NET_FIELDS], axis=1) for tr in traces])
    meta = {
        "net": net,
        "datasets": list(data),
        "runs": [[mode, label] for mode, label, _ in runs],
        "fields": list(NET_FIELDS),
        "cpu_seconds": cpu,
    }
    return Artifact(arrays, meta)


def net_metrics(runs: Artifact) -> Artifact:
    """The long table: one row per (data set, mode, run, recorded step) with the margin numerator, |||V|||_∞,
    |||W|||_∞, log L and the mode's normalised margin (γ_a = numerator/|||V|||_∞, γ_b = numerator/max(|||V|||_∞,
    |||W|||_∞))."""
    meta = runs.record
    t = runs.content["t"]
    frames = []
    for name in meta["datasets"]:
        block = runs.content[name]
        for (mode, label), values in zip(meta["runs"], block):
            cols = dict(zip(meta["fields"], values.T))
            scale = cols["spec_v"] if mode == "a" else np.maximum(cols["spec_v"], cols["spec_w"])
            frames.append(
                pd.DataFrame(
                    {
                        "dataset": name,
                        "seed": net_dataset_seed(name),
                        "mode": mode,
                        "run": label,
                        "label": NET_LABELS[label],
                        "step": t,
                        **cols,
                        "margin": cols["numerator"] / scale,
                    }
                )
            )
    return Artifact(pd.concat(frames, ignore_index=True), meta)
