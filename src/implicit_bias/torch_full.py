"""`scale: full` of cattaneo2024: the paper's ResNet-50 / CIFAR-10 full-batch Adam sweeps through PyTorch (optional).

Install with `pip install .[full]`; torch is imported lazily, so the default (CPU substitute) pipeline never needs it.

* Data: CIFAR-10 in its python format (`<data_dir>/cifar-10-batches-py/data_batch_{1..5}`, `test_batch`), read
  without torchvision; per-channel normalisation with the training-set statistics; no augmentation (the repo's
  default), so the full-batch gradient is the same function of θ at every epoch.
* Model: CIFAR ResNet (torchvision Bottleneck layout, 3×3 stride-1 stem, no max-pool, BatchNorm, Kaiming-normal
  init); `blocks = [3, 4, 6, 3]`, `width = 64` is ResNet-50.
* Optimizer: full-batch Adam, one step per epoch. The gradient is the mean over the whole training set, accumulated
  over physical batches (CrossEntropy(sum)/N, as in the paper's repo). The update is the package's one Adam rule
  (`optimizers.step_direction` on the flattened float64 gradient, ε inside the root, bias-corrected); one transfer
  per epoch, which is negligible next to the forward/backward passes.
* The sweep over (β, ρ) built from these pieces, with the arrays of `cattaneo2024.experiments.adam_sweep`, is the
  paper's (`papers.cattaneo2024.full_scale.torch_sweep`): this module imports no paper.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .backward_error import perturbed_one_norm
from .optimizers import UpdateRule, init_state, step_direction

if TYPE_CHECKING:
    import torch

__all__ = ["full_batch_adam", "load_cifar10", "resnet", "torch_module", "write_fake_cifar10"]


def torch_module() -> Any:
    """PyTorch, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("cattaneo2024 scale: full needs PyTorch: pip install '.[full]'") from err
    return torch


def load_cifar10(
    data_dir: str | os.PathLike[str], limit_train: int | None = None, limit_test: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test) as float32 NCHW arrays normalised per channel, and int64 labels."""
    root = Path(data_dir) / "cifar-10-batches-py"
    if not root.is_dir():
        raise FileNotFoundError(
            f"{root} not found: download CIFAR-10 (python version) from https://www.cs.toronto.edu/~kriz/cifar.html"
            " and extract it there (cattaneo2024.full.data_dir)"
        )

    def read(name):
        with open(root / name, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        return np.asarray(d[b"data"], np.uint8).reshape(-1, 3, 32, 32), np.asarray(d[b"labels"], np.int64)

    parts = [read(f"data_batch_{i}") for i in range(1, 6) if (root / f"data_batch_{i}").exists()]
    Xtr = np.concatenate([p[0] for p in parts])[:limit_train].astype(np.float32) / 255.0
    ytr = np.concatenate([p[1] for p in parts])[:limit_train]
    Xte, yte = read("test_batch")
    Xte, yte = Xte[:limit_test].astype(np.float32) / 255.0, yte[:limit_test]
    mu = Xtr.mean(axis=(0, 2, 3), keepdims=True)
    sd = Xtr.std(axis=(0, 2, 3), keepdims=True)
    return (Xtr - mu) / sd, ytr, (Xte - mu) / sd, yte


def write_fake_cifar10(data_dir: str | os.PathLike[str], n_train: int = 20, n_test: int = 10, seed: int = 0) -> Path:
    """A tiny random data set in CIFAR-10's python format (tests; no download)."""
    rng = np.random.default_rng(seed)
    root = Path(data_dir) / "cifar-10-batches-py"
    root.mkdir(parents=True, exist_ok=True)
    for name, n in (("data_batch_1", n_train), ("test_batch", n_test)):
        d = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": rng.integers(0, 10, n).tolist()}
        with open(root / name, "wb") as f:
            pickle.dump(d, f)
    return Path(data_dir)


def resnet(blocks: Sequence[int] = (3, 4, 6, 3), width: int = 64, classes: int = 10) -> torch.nn.Sequential:
    """CIFAR ResNet with Bottleneck blocks (expansion 4); blocks (3, 4, 6, 3) and width 64 is ResNet-50."""
    torch = torch_module()
    nn = torch.nn

    class Bottleneck(nn.Module):  # type: ignore[name-defined]  # torch is imported lazily (torch_module)
        expansion = 4

        def __init__(self, cin, planes, stride):
            super().__init__()
            cout = planes * self.expansion
            self.body = nn.Sequential(
                nn.Conv2d(cin, planes, 1, bias=False),
                nn.BatchNorm2d(planes),
                nn.ReLU(inplace=True),
                nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(planes),
                nn.ReLU(inplace=True),
                nn.Conv2d(planes, cout, 1, bias=False),
                nn.BatchNorm2d(cout),
            )
            self.short = nn.Sequential()
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            return torch.relu(self.body(x) + self.short(x))

    layers = [nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
    cin = width
    for i, n in enumerate(blocks):
        planes = width * 2**i
        for j in range(n):
            layers.append(Bottleneck(cin, planes, 2 if (j == 0 and i > 0) else 1))
            cin = planes * Bottleneck.expansion
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return model


def full_batch_adam(
    model: torch.nn.Module,
    data: Sequence[Any],
    *,
    h: float,
    beta: float,
    rho: float,
    eps: float,
    steps: int,
    eval_every: int,
    physical_batch: int,
    device: str | torch.device = "cpu",
) -> dict[str, np.ndarray]:
    """Full-batch Adam on `model`; returns per-step loss and ‖∇E‖_{1,ε} (before the step), accuracies every
    `eval_every` steps. BatchNorm stays in train mode while the gradient is accumulated (as in the paper's repo)."""
    torch = torch_module()
    Xtr, ytr, Xte, yte = (torch.as_tensor(a) for a in data)
    n = len(ytr)
    model = model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    rule = UpdateRule(name="adam", beta1=beta, beta2=rho, eps=eps, eps_inside=True, bias_correction=True)
    theta = torch.nn.utils.parameters_to_vector(params).detach().cpu().double().numpy()
    state = init_state(rule, theta.shape)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")

    def accuracy(X, y):
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(y), physical_batch):
                out = model(X[i : i + physical_batch].to(device))
                correct += int((out.argmax(1).cpu() == y[i : i + physical_batch]).sum())
        model.train()
        return correct / len(y)

    ev = np.arange(0, steps + 1, eval_every)
    loss, norm = np.empty(steps), np.empty(steps)
    test_acc, train_acc = np.empty(len(ev)), np.empty(len(ev))
    k = 0
    model.train()
    for step in range(steps + 1):
        if k < len(ev) and ev[k] == step:
            test_acc[k], train_acc[k] = accuracy(Xte, yte), accuracy(Xtr, ytr)
            k += 1
        if step == steps:
            break
        model.zero_grad(set_to_none=True)
        total = 0.0
        for i in range(0, n, physical_batch):
            out = model(Xtr[i : i + physical_batch].to(device))
            batch_loss = loss_fn(out, ytr[i : i + physical_batch].to(device)) / n
            batch_loss.backward()
            total += float(batch_loss.detach())
        g = torch.cat([p.grad.reshape(-1) for p in params]).detach().cpu().double().numpy()  # type: ignore[union-attr]
        loss[step], norm[step] = total, perturbed_one_norm(g, eps)
        d, state = step_direction(rule, state, step, 0.0, g)
        theta = theta - h * d
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(f"Adam (beta={beta}, rho={rho}) diverged at step {step + 1}")
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(torch.as_tensor(theta, dtype=params[0].dtype, device=device), params)
    return dict(loss=loss, norm=norm, eval_steps=ev, test_acc=test_acc, train_acc=train_acc, theta=theta)
