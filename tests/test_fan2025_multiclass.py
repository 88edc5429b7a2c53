"""fan2025 maths: multiclass losses in log-scale form, the lemmas of §5 (C1), NSD closed forms, the multiclass
training loop (numba fast path vs numpy reference vs a naive float64 oracle), underflow, and max_margin."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.special import logsumexp

from implicit_bias import max_margin, normalized_margin, train
from implicit_bias import multiclass as mc
from implicit_bias.margins import pair_matrix
from implicit_bias.optimizers import UpdateRule, init_state, nsd_direction, step_direction


@pytest.fixture(scope="module")
def small():
    """k = 4, d = 6, 12 per class: separable, small enough for cvxpy cross-checks."""
    H, y, _, sol = mc.make_multiclass(k=4, d=6, per_class=12, sigma=0.1, seed=3)
    return H, y, sol


@pytest.fixture(scope="module")
def paper():
    """The spec §3 data set (k = 10, d = 25, n = 500), seed 0."""
    H, y, _, sol = mc.make_multiclass(seed=0)
    return H, y, sol


def naive_ce(W, H, y):
    """Plain softmax cross-entropy and its gradient (P − Y)ᵀH/n, no log-scale tricks (valid at moderate scale)."""
    Z = H @ W.T
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    n = H.shape[0]
    Y = np.eye(W.shape[0])[y]
    loss = -np.mean(np.log(P[np.arange(n), y]))
    return loss, (P - Y).T @ H / n, np.mean(1 - P[np.arange(n), y])


def naive_pair(W, H, y, loss):
    M = mc.pairwise_margins(W, H, y)
    mask = np.ones_like(M, dtype=bool)
    mask[np.arange(H.shape[0]), y] = False
    if loss == "exp":
        w = np.exp(-M) * mask
        ell = w.sum(axis=1)
    else:
        w = (1 / (1 + np.exp(M))) * mask
        ell = (np.log1p(np.exp(-M)) * mask).sum(axis=1)
    n = H.shape[0]
    G = np.zeros_like(W)
    for i in range(n):
        for c in range(W.shape[0]):
            if c != y[i]:
                G[c] += w[i, c] * H[i] / n
                G[y[i]] -= w[i, c] * H[i] / n
    return ell.mean(), G


# ------------------------------------------------------------------------------------------------ data
def test_make_multiclass_is_reproducible_separable_and_sorted():
    H1, y1, tries, sol = mc.make_multiclass(k=3, d=5, per_class=7, seed=11)
    H2, _y2, _, _ = mc.make_multiclass(k=3, d=5, per_class=7, seed=11)
    np.testing.assert_array_equal(H1, H2)
    assert H1.shape == (21, 5) and np.all(np.bincount(y1) == 7) and tries >= 1
    assert sol.gamma > 0 and normalized_margin(sol.w, H1, y1, "inf") == pytest.approx(sol.gamma, rel=1e-6)


# ------------------------------------------------------------------------------------------------ losses
@settings(deadline=None, max_examples=25)
@given(scale=st.floats(1e-3, 5.0), seed=st.integers(0, 10_000))
def test_log_scale_losses_match_naive_formulas(small, scale, seed):
    H, y, _ = small
    W = scale * np.random.default_rng(seed).standard_normal((4, 6))
    L, G, Gp = naive_ce(W, H, y)
    assert np.exp(mc.log_loss(W, H, y, "ce")) == pytest.approx(L, rel=1e-10)
    assert np.exp(mc.log_proxy(W, H, y, "ce")) == pytest.approx(Gp, rel=1e-10)
    np.testing.assert_allclose(mc.gradient(W, H, y, "ce"), G, rtol=1e-9, atol=1e-13)
    for loss in ("exp", "pairlog"):
        Ln, Gn = naive_pair(W, H, y, loss)
        assert np.exp(mc.log_loss(W, H, y, loss)) == pytest.approx(Ln, rel=1e-10)
        np.testing.assert_allclose(mc.gradient(W, H, y, loss), Gn, rtol=1e-9, atol=1e-13)


def test_log_scale_gradient_is_finite_where_the_naive_one_underflows(small):
    H, y, sol = small
    W = 1e4 * sol.w  # margins ≈ 1e4·γ: every weight e^{−m} underflows
    with np.errstate(all="ignore"):
        _, G, _ = naive_ce(W, H, y)
    assert np.all(G == 0)
    for loss in mc.MC_LOSSES:
        C, ghat = mc.scaled_gradient(W, H, y, loss)
        assert np.isfinite(C) and C < -745 and np.max(np.abs(ghat)) > 1e-3
        assert np.isfinite(mc.log_loss(W, H, y, loss)) and mc.log_loss(W, H, y, loss) < -745
        np.testing.assert_allclose(ghat.sum(axis=0), 0.0, atol=1e-12)  # Σ_c ∇L[c, :] = 0 (shift invariance)


# ------------------------------------------------------------------------------------------------ lemmas (C1)
@settings(deadline=None, max_examples=40)
@given(
    log_scale=st.floats(np.log(1e-3), np.log(30.0)),
    seed=st.integers(0, 10_000),
    near=st.booleans(),
    loss=st.sampled_from(mc.MC_LOSSES),
)
def test_lemmas_4_1_4_3_b4(paper, log_scale, seed, near, loss):
    H, y, sol = paper
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((10, 25))
    W = sol.w + 0.05 * Z if near else Z
    W = np.exp(log_scale) * W / np.abs(W).max()
    n, B, gamma = H.shape[0], mc.data_bound(H), sol.gamma
    C, ghat = mc.scaled_gradient(W, H, y, loss)
    log_sum = C + np.log(np.abs(ghat).sum())
    log_G, log_L = mc.log_proxy(W, H, y, loss), mc.log_loss(W, H, y, loss)
    assert log_sum >= np.log(gamma) + log_G - 1e-9  # Lemma 4.1
    assert log_sum <= np.log(2 * B) + log_G + 1e-9  # Lemma 4.3 (i)
    if log_L < np.log(np.log(2) / n):  # Lemma B.4
        assert mc.min_margin(W, H, y) > 0
    if loss == "ce":  # Lemma 4.3 (ii), (iii)
        L, ratio = np.exp(log_L), np.exp(log_G - log_L)
        assert ratio <= 1 + 1e-12 and ratio >= 1 - n * L / 2 - 1e-12
        if np.log(2) / n >= L:
            assert log_L <= np.log(2) + log_G + 1e-12


@settings(deadline=None, max_examples=40)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 12), spread=st.floats(0.1, 30.0))
def test_lemma_4_2(seed, k, spread):
    rng = np.random.default_rng(seed)
    z = spread * rng.standard_normal(k)
    s = np.exp(z - logsumexp(z))
    v = rng.standard_normal(k)
    lhs = v @ (np.diag(s) - np.outer(s, s)) @ v
    for c in range(k):
        assert lhs <= 4 * np.sum(np.delete(s, c)) * np.max(np.abs(v)) ** 2 * (1 + 1e-12) + 1e-300


def test_class_proxies_split_g(paper):
    H, y, sol = paper
    W = 0.3 * sol.w
    Gc, Qc = mc.class_proxies(W, H, y, "ce")
    G = np.exp(mc.log_proxy(W, H, y, "ce"))
    assert Gc.sum() == pytest.approx(G, rel=1e-12) and Qc.sum() == pytest.approx(G, rel=1e-12)
    grad = mc.gradient(W, H, y, "ce")  # |∇L[c, j]| ≤ B (G_c + Q_c)
    assert np.all(np.abs(grad) <= mc.data_bound(H) * (Gc + Qc)[:, None] * (1 + 1e-12))


# ------------------------------------------------------------------------------------------------ NSD
def _generic_steepest(g, p):
    x = cp.Variable(g.size)
    prob = cp.Problem(cp.Maximize(g.ravel() @ x), [cp.norm(x, p if np.isfinite(p) else "inf") <= 1])
    prob.solve(solver=cp.CLARABEL)
    return prob.value


@settings(deadline=None, max_examples=20)
@given(seed=st.integers(0, 10_000), p=st.sampled_from([1.0, 1.5, 2.0, 3.0, 4.5, np.inf]))
def test_nsd_closed_forms_maximise_over_the_unit_ball(seed, p):
    g = np.random.default_rng(seed).standard_normal((3, 4))
    delta = nsd_direction(g, p)
    norm = np.max(np.abs(delta)) if np.isinf(p) else np.sum(np.abs(delta) ** p) ** (1 / p)
    assert norm == pytest.approx(1.0, rel=1e-9)
    q = 1.0 if np.isinf(p) else (np.inf if p == 1 else p / (p - 1))
    dual = np.max(np.abs(g)) if np.isinf(q) else np.sum(np.abs(g) ** q) ** (1 / q)
    assert np.sum(g * delta) == pytest.approx(dual, rel=1e-9)
    assert np.sum(g * delta) == pytest.approx(_generic_steepest(g, p), rel=1e-6)


def test_nsd_special_cases():
    g = np.array([[0.3, -2.0], [1.0, 0.0]])
    np.testing.assert_array_equal(nsd_direction(g, np.inf), np.sign(g))
    np.testing.assert_allclose(nsd_direction(g, 2), g / np.linalg.norm(g))
    np.testing.assert_array_equal(nsd_direction(g, 1), [[0.0, -1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(nsd_direction(np.zeros(3), 3), np.zeros(3))
    with pytest.raises(ValueError, match="p must be >= 1"):
        UpdateRule("nsd", p=0.5)


def test_nsd_rule_matches_signgd_and_ngd_rules():
    g = np.random.default_rng(0).standard_normal(12)
    for p, name in ((np.inf, "signgd"), (2.0, "ngd")):
        a, _ = step_direction(UpdateRule("nsd", p=p), init_state(UpdateRule("nsd"), 12), 0, 0.0, g)
        b, _ = step_direction(UpdateRule(name), init_state(UpdateRule(name), 12), 0, 0.0, g)
        np.testing.assert_allclose(a, b, rtol=1e-15)


# ------------------------------------------------------------------------------------------------ training
CASES = [
    dict(optimizer="signgd"),
    dict(optimizer="ngd"),
    dict(optimizer="gd", lr=1.0, decay=0.0),
    dict(optimizer="nsd", p=1.0),
    dict(optimizer="nsd", p=3.0),
    dict(optimizer="adam", beta1=0.9, beta2=0.99, decay=2 / 3),
    dict(optimizer="adam", beta1=0.9, beta2=0.99, decay=2 / 3, eps=1e-8),
    dict(optimizer="signum", beta1=0.9),
]


@pytest.mark.parametrize("loss", mc.MC_LOSSES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['optimizer']}-{c.get('p', c.get('eps', ''))}")
def test_fast_path_matches_numpy_reference(paper, case, loss):
    H, y, _ = paper
    a = train(H, y, steps=400, loss=loss, num_log=30, **case)
    b = train(H, y, steps=400, loss=loss, num_log=30, backend="numpy", **case)
    scale = np.max(np.abs(b.w), axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(a.w / np.where(scale > 0, scale, 1), b.w / np.where(scale > 0, scale, 1), atol=1e-10)
    np.testing.assert_allclose(a.log_loss, b.log_loss, rtol=1e-10, atol=1e-10)
    assert a.w.shape == (a.steps.size, 10, 25) and a.w_final.shape == (10, 25)
    assert a.settings["loss"] == loss and a.settings["p"] == float(case.get("p", 2.0))


def naive_train_mc(H, y, optimizer, steps, lr=0.1, decay=0.5, beta1=0.9, beta2=0.99, eps=0.0):
    """Plain float64 CE training (softmax probabilities, no log-scale); valid while the loss is representable."""
    W = np.zeros((int(y.max()) + 1, H.shape[1]))
    m = np.zeros_like(W)
    v = np.zeros_like(W)
    for t in range(steps):
        _, g, _ = naive_ce(W, H, y)
        if optimizer == "signgd":
            d = np.sign(g)
        elif optimizer == "ngd":
            d = g / np.linalg.norm(g)
        else:
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            d = m / (np.sqrt(v) + eps)
        W = W - lr * (t + 2.0) ** (-decay) * d
    return W


@pytest.mark.parametrize(
    "case", [dict(optimizer="signgd"), dict(optimizer="ngd"), dict(optimizer="adam", decay=2 / 3, eps=1e-8)]
)
def test_fast_path_matches_naive_float64_oracle(paper, case):
    H, y, _ = paper
    steps = 60
    a = train(H, y, steps=steps, beta2=0.99, num_log=5, **case)
    W = naive_train_mc(H, y, steps=steps, **case)
    np.testing.assert_allclose(a.w_final, W, rtol=0, atol=1e-9 * np.abs(W).max())


def test_kernel_exp_matches_numpy_exp():
    """The kernel's branch-free exp (what lets its loops vectorise) against np.exp: ≤ 1.5 ulp on normal results,
    gradual underflow to the same subnormals (to one subnormal step), 0 at −inf and below −745.2, inf above 709.8,
    NaN kept."""
    from implicit_bias._fast_multiclass import _exp

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-1, 1, 4000), rng.uniform(-745.2, 709.7, 8000), rng.uniform(-745.2, -708, 2000)])
    got = np.array([_exp(v) for v in x])
    ref = np.exp(x)
    normal = ref >= np.finfo(float).tiny
    assert normal.sum() > 10_000 and (~normal).sum() > 1000
    np.testing.assert_allclose(got[normal], ref[normal], rtol=1.5 * np.finfo(float).eps, atol=0)
    np.testing.assert_allclose(got[~normal], ref[~normal], rtol=0, atol=2 * np.finfo(float).smallest_subnormal)
    special = [-np.inf, -1e4, -745.2, 0.0, 709.8, 710.0, 1e4, np.inf]
    assert [_exp(v) for v in special] == [0.0, 0.0, 0.0, 1.0, np.exp(709.8), np.inf, np.inf, np.inf]
    assert np.isnan(_exp(np.nan))


def _separating_at_margin(H, y, W, margin):
    """W rescaled so that its minimum pairwise margin is `margin` (W must separate the data)."""
    m = mc.min_margin(W, H, y)
    assert m > 0
    return W * (margin / m)


@pytest.mark.parametrize("loss", mc.MC_LOSSES)
@pytest.mark.parametrize("margin", [1e3, 3e4])
@pytest.mark.parametrize("start", ["max_margin", "signgd"])
def test_fast_gradient_matches_the_log_scale_reference_at_large_margins(paper, loss, margin, start):
    """At margins ≥ 1e3 the textbook softmax gradient (P − Y)ᵀH/n is exactly 0 (p_iy rounds to 1, so the true-class
    term 1 − p_iy is lost), while the kernel's vectorised log-scale weights keep every term: its (C, ĝ) must equal
    the numpy reference's to rounding (of the logits), true-class rows included (Σ_c ĝ[c, :] = 0), with the same
    signs for SignGD. Two directions: the max-margin W (many tied support pairs) and a SignGD iterate (spread-out
    margins)."""
    from implicit_bias import _fast_multiclass as fm

    H, y, sol = paper
    W = sol.w if start == "max_margin" else train(H, y, optimizer="signgd", steps=3000, num_log=2).w_final
    W = _separating_at_margin(H, y, W, margin)
    with np.errstate(all="ignore"):
        _, G_naive, _ = naive_ce(W, H, y)
    assert np.all(G_naive == 0)
    c_ref, g_ref = mc.scaled_gradient(W, H, y, loss)
    k, d = W.shape
    n = H.shape[0]
    G = np.full((k, d), np.nan)
    work = (np.empty((k, n)), np.empty((k, n)), G, np.empty(n), np.empty(n), np.empty(n))
    c_fast = fm.scaled_gradient(np.ascontiguousarray(H.T), y, W, fm.LOSS_CODES[loss], *work)
    assert c_fast < -0.9 * margin
    assert c_fast == pytest.approx(c_ref, rel=1e-13)
    scale = np.abs(g_ref).max()
    assert scale > 1e-3
    # logits of size ~margin carry a rounding error ~margin·eps, which e^δ turns into a relative error of the weights
    tol = 1e-15 * margin * scale
    np.testing.assert_allclose(G, g_ref, rtol=0, atol=tol)
    np.testing.assert_allclose(G.sum(axis=0), 0.0, atol=tol)
    clear = np.abs(g_ref) > 1e-9 * scale
    np.testing.assert_array_equal(np.sign(G[clear]), np.sign(g_ref[clear]))


@pytest.mark.parametrize("case", [dict(optimizer="signgd"), dict(optimizer="adam", beta2=0.99, decay=2 / 3)])
def test_fast_path_matches_numpy_reference_from_large_margins(paper, case):
    """Training from a SignGD direction scaled to margin 1e3 (where a textbook softmax has no gradient at all): the
    fast path follows the log-scale reference within the tolerances of test_fast_path_matches_numpy_reference."""
    H, y, _ = paper
    W0 = _separating_at_margin(H, y, train(H, y, optimizer="signgd", steps=3000, num_log=2).w_final, 1e3)
    a = train(H, y, steps=300, w0=W0, num_log=20, **case)
    b = train(H, y, steps=300, w0=W0, num_log=20, backend="numpy", **case)
    scale = np.max(np.abs(b.w), axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(a.w / scale, b.w / scale, atol=1e-10)
    np.testing.assert_allclose(a.log_loss, b.log_loss, rtol=1e-10, atol=1e-10)
    assert np.all(b.log_loss < -745)  # every logged loss below float64's e^{−745}: only the log scale sees it
    assert np.any(np.abs(a.w[-1] - W0) > 0)  # and the run moves


def test_adam_with_zero_betas_is_signgd_exactly(paper):
    H, y, _ = paper
    for backend in ("numba", "numpy"):
        a = train(H, y, optimizer="adam", beta1=0.0, beta2=0.0, steps=500, num_log=40, backend=backend)
        b = train(H, y, optimizer="signgd", steps=500, num_log=40, backend=backend)
        np.testing.assert_array_equal(a.w, b.w)


@pytest.mark.parametrize("optimizer,lr", [("signgd", 1.0), ("ngd", 10.0), ("adam", 2.0)])
def test_training_continues_after_the_loss_underflows(paper, optimizer, lr):
    """With a large lr the margins pass 745 (float64 e^{−m} = 0) within 6000 steps: the run must keep improving.

    Adam uses short memories (β = (0.5, 0.6)): with β2 = 0.99 and a large lr it legitimately stalls for ~10⁴ steps
    (v_t remembers gradients e^{50} times larger than the current one, spec §2), which would not reach 745."""
    H, y, _sol = paper
    kw = dict(beta1=0.5, beta2=0.6) if optimizer == "adam" else {}
    tr = train(H, y, optimizer=optimizer, steps=6000, lr=lr, num_log=50, **kw)
    assert np.all(np.isfinite(tr.log_loss)) and tr.log_loss[-1] < -800
    assert mc.min_margin(tr.w_final, H, y) > 745
    norm = "inf" if optimizer != "ngd" else 2
    margins = normalized_margin(tr.w, H, y, norm)
    late = np.nonzero(tr.log_loss < -745)[0]
    assert late.size > 3 and margins[late[-1]] > margins[late[0]]  # still moving towards the max margin


def test_train_multiclass_argument_errors(paper):
    H, y, _ = paper
    with pytest.raises(ValueError, match="multiclass loss"):
        train(H, y, optimizer="signgd", steps=2, loss="logistic")
    with pytest.raises(ValueError, match="binary data only"):
        train(H, y, optimizer="adam_proxy", steps=2)
    with pytest.raises(ValueError, match="must divide"):
        train(H, y, optimizer="signgd", steps=2, batch_size=7)
    with pytest.raises(ValueError, match="no samples"):
        train(H[:50], y[:50], optimizer="signgd", steps=2, num_classes=3)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_binary_nsd_with_p_inf_is_signgd(X, backend):
    a = train(X, optimizer="nsd", p=np.inf, steps=200, backend=backend)
    b = train(X, optimizer="signgd", steps=200, backend=backend)
    np.testing.assert_array_equal(a.w, b.w)


# ------------------------------------------------------------------------------------------------ max_margin
def test_max_margin_inf_matches_an_independent_lp(small):
    """max τ s.t. A v ≥ τ·1, −1 ≤ v ≤ 1 (spec §1's equivalent LP), with scipy's linprog."""
    H, y, sol = small
    A = pair_matrix(H, y)
    m, dim = A.shape
    c = np.zeros(dim + 1)
    c[-1] = -1.0
    res = linprog(
        c,
        A_ub=np.hstack([-A, np.ones((m, 1))]),
        b_ub=np.zeros(m),
        bounds=[(-1, 1)] * dim + [(None, None)],
        method="highs",
    )
    assert res.status == 0
    assert sol.gamma == pytest.approx(-res.fun, rel=1e-7)
    assert np.max(np.abs(sol.w)) == pytest.approx(1.0)


def test_max_margin_l2_matches_an_independent_socp(small):
    """max τ s.t. A v ≥ τ·1, ‖v‖₂ ≤ 1 (the margin form instead of the min-norm form); the ℓ2 solution is unique."""
    H, y, _ = small
    sol = max_margin(H, y, 2)
    A = pair_matrix(H, y)
    v, tau = cp.Variable(A.shape[1]), cp.Variable()
    prob = cp.Problem(cp.Maximize(tau), [A @ v >= tau, cp.norm(v, 2) <= 1])
    prob.solve(solver=cp.CLARABEL)
    assert sol.gamma == pytest.approx(prob.value, rel=1e-6)
    np.testing.assert_allclose(sol.w.ravel(), v.value, atol=1e-5)


def test_reference_solutions_record_how_they_were_solved(small, monkeypatch):
    """Every reference says how it was obtained; a general-p solve that came back inaccurate at the default
    tolerance falls back to the looser one and says so (the ledger shows it), instead of only warning in a log."""
    from implicit_bias.papers.fan2025 import experiments

    H, y, _ = small
    refs = experiments.reference_solutions(H, y, ["inf", 2, 3])
    assert {refs[f"solver_{p}"] for p in ("inf", "2", "3")} == {"optimal"}

    def inaccurate(*args, **kwargs):
        raise RuntimeError("solver CLARABEL returned status 'optimal_inaccurate'")

    monkeypatch.setattr(experiments, "max_margin", inaccurate)
    loose = experiments.reference_solutions(H, y, [3])
    assert (
        loose["solver_3"].startswith("optimal at Clarabel tolerance 1e-9") and "optimal_inaccurate" in loose["solver_3"]
    )
    assert loose["gamma_3"] == pytest.approx(refs["gamma_3"], rel=1e-6)
    with pytest.raises(RuntimeError, match="optimal_inaccurate"):  # no fallback for the LP/QP references
        experiments.reference_solutions(H, y, [2])


# ------------------------------------------------------------------------------------------------ the sparse LP
def test_sparse_pair_matrix_equals_the_dense_one(small):
    from implicit_bias.margins import sparse_pair_matrix

    H, y, _ = small
    np.testing.assert_array_equal(sparse_pair_matrix(H, y).toarray(), pair_matrix(H, y))


@pytest.mark.parametrize("seed", [0, 3])
def test_sparse_max_norm_lp_matches_max_margin_and_the_same_draws(seed):
    """draw_dataset(sparse_lp=True) draws make_multiclass's data sets and finds the same γ_∞ (its direction may be
    another optimum: the LP face need not be a point), with a direction that attains it."""
    from implicit_bias.papers.fan2025.experiments import draw_dataset

    spec = dict(classes=5, dim=6, per_class=8, sigma=0.1, seed=seed)
    H, y, tries, sol = draw_dataset(spec, sparse_lp=True)
    H0, y0, tries0, sol0 = draw_dataset(spec, sparse_lp=False)
    np.testing.assert_array_equal(H, H0)
    np.testing.assert_array_equal(y, y0)
    assert tries == tries0
    assert sol.gamma == pytest.approx(sol0.gamma, rel=1e-7)
    assert np.max(np.abs(sol.w)) == pytest.approx(1.0)
    assert normalized_margin(sol.w, H, y, "inf") == pytest.approx(sol.gamma, rel=1e-12)


def test_sparse_max_norm_lp_rejects_inseparable_data():
    from implicit_bias.margins import max_norm_margin_sparse

    H = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # samples 0 and 1 coincide with different labels
    with pytest.raises(ValueError, match="separable"):
        max_norm_margin_sparse(H, np.array([0, 1, 1]))


# ------------------------------------------------------------------------------------------------ check thresholds
def test_theory_allowances_of_the_checks():
    """The slopes the criteria allow: ln t over a decade flattens t^(-r) by 1/ln t at most."""
    from implicit_bias.papers.fan2025.rules import log_factor_slope

    t = np.geomspace(1e4, 1e5, 200)
    assert log_factor_slope(1e4, 1e5) == pytest.approx(np.polyfit(np.log(t), np.log(np.log(t)), 1)[0], rel=1e-2)
    assert 1 / np.log(1e5) < log_factor_slope(1e4, 1e5) < 1 / np.log(1e4)


def test_signgd_gap_bound_extrapolation_matches_the_bound_of_a_longer_run():
    """Thm 5.3's bound at a later step, continued by integrals from T, equals the bound computed on a run to that
    step (the loss term held fixed: the loss is ~0 by then); it starts at the first step after which L <= log2/n."""
    from implicit_bias.papers.fan2025.checks import signgd_gap_bound

    def run(T):
        steps = np.unique(np.geomspace(1, T, 200).astype(int)).astype(float)
        return steps, np.log(np.log(2) / 500) + 3.0 - steps  # L <= log2/n from t = 3 on

    args = (0.1, 0.5, 500, 29.0, 15.0)
    bound, later, t_sep = signgd_gap_bound(*run(10_000), *args, horizon=[100_000])
    direct, _, t_sep2 = signgd_gap_bound(*run(100_000), *args)
    assert t_sep == t_sep2 == 3 and bound > direct
    assert later[0] == pytest.approx(direct, rel=1e-4)
    steps, log_loss = run(10_000)
    assert signgd_gap_bound(steps, np.zeros_like(log_loss), *args)[0] == np.inf  # L = 1: never separates
