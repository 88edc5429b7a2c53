"""cattaneo2024 `scale: full` code path (PyTorch ResNet/CIFAR-10) on a tiny generated CIFAR-shaped data set."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from implicit_bias.papers.cattaneo2024.full_scale import torch_sweep  # noqa: E402
from implicit_bias.torch_full import full_batch_adam, load_cifar10, resnet, write_fake_cifar10  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The models here are tiny: one thread is as fast, and torch's thread pool spinning against the other xdist
    worker and the smoke reproduction's jobs (2 cores) made one test 50x slower (1 s alone, 56 s in the suite)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_fake_cifar10(tmp_path_factory.mktemp("cifar"), n_train=12, n_test=6)


def test_loader_shapes_and_normalisation(data_dir):
    Xtr, ytr, Xte, _yte = load_cifar10(data_dir)
    assert Xtr.shape == (12, 3, 32, 32) and Xte.shape == (6, 3, 32, 32)
    np.testing.assert_allclose(Xtr.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)
    assert ytr.dtype == np.int64 and set(ytr) <= set(range(10))


def test_missing_data_names_the_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        load_cifar10(tmp_path)


def test_resnet50_layout():
    model = resnet((3, 4, 6, 3), 64)
    n = sum(p.numel() for p in model.parameters())
    assert 23_000_000 < n < 24_000_000  # CIFAR ResNet-50: 23.5M parameters
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_first_step_is_perturbed_signgd_and_norm_matches(data_dir):
    """Bias-corrected Adam's first step is −h·g/sqrt(g²+ε), with g the full-batch mean gradient.

    BatchNorm in train mode makes the gradient depend on the physical batch, so one physical batch of all 12 samples
    is compared with one independent pass."""
    data = load_cifar10(data_dir)
    torch.manual_seed(0)
    model = resnet((1, 1), 4)
    params = list(model.parameters())
    theta0 = torch.nn.utils.parameters_to_vector(params).detach().double().numpy().copy()
    # full-batch mean gradient computed independently in one pass
    X, y = (torch.as_tensor(a) for a in data[:2])
    model.train()
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(X), y).backward()
    g = torch.cat([p.grad.reshape(-1) for p in params]).double().numpy()
    eps, h = 1e-8, 1e-3
    res = full_batch_adam(model, data, h=h, beta=0.9, rho=0.999, eps=eps, steps=1, eval_every=1, physical_batch=12)
    expected = theta0 - h * g / np.sqrt(g * g + eps)
    np.testing.assert_allclose(res["theta"], expected, rtol=1e-5, atol=1e-6)
    assert res["norm"][0] == pytest.approx(np.sum(np.sqrt(g * g + eps)), rel=1e-4)


def test_torch_sweep_arrays(data_dir):
    cfg = dict(seeds=[0, 1], h=1e-3, eps=1e-8, steps=3, eval_every=1, matched_losses=[1e3, 1e-300])
    full = dict(data_dir=str(data_dir), blocks=[1, 1], width=4, physical_batch=6, device="cpu")
    out = torch_sweep(cfg, dict(vary="rho", beta=0.9, values=[0.99, 0.999]), full, log=lambda *a: None)
    # every loss is below 1e3 at step 0 and none below 1e-300: one level reached at once, one never
    assert out["matched_norm"].shape == (2, 2, 2) and np.all(out["matched_step"][:, 0] == 0)
    assert np.all(np.isfinite(out["matched_norm"][:, 0])) and np.all(np.isnan(out["matched_norm"][:, 1]))
    assert out["num_params"] == sum(p.numel() for p in resnet((1, 1), 4).parameters())
    assert out["norm_1"].shape == (3, 2) and out["test_acc_0"].shape == (4, 2)
