"""Claims of Beneventano, Pinto, Poggio (arXiv 2406.11110) on the 6-parameter support toy.

f(x) = aᵀWx, a ∈ R², W ∈ R^{2×2}; n₀ = 50 Gaussian inputs (x₂ centred and orthogonal to x₁ in
the sample), each with the labels x₁ ± ε, ε = 0.2, n = 100 (``support_learning.support_data``,
seed 0; research brief sgd_and_features.md §3.2). The flat part φ = ‖(I − ââᵀ)We₂‖ of the
irrelevant column is a valley coordinate: GD leaves it, SGD shrinks it at the derived rate

    κ = η²ε²Ĉ₂₂/(2b′),  b′ = b(n − 1)/(n − b) for subsets / random reshuffling, b′ = b with
    replacement (brief §3.2 [DER], re-derived in ``toymodels.models.support_learning`` and proven
    step by step in ``proofs_check.support_learning``),

and GD + weight decay λ at κ = ηλ. Claims (brief §3.6): 1 GD leaves φ frozen; 2 SGD shrinks it;
3 κ/κ_pred ∈ [0.85, 1.2]; 4 κ/η ∝ η/b; 5 weight decay κ = ηλ. Added here: the η → 0 limit of
κ/κ_pred is 1 (Richardson 2r(η/2) − r(η), which removes the O(η) excess), the finite-population
factor (with / without replacement rates in the ratio (n − 1)/(n − b)), the exactness of the
leading-order drift, and the brief's explanation of the excess (refuted).

Independence: the predictions are computed here from the data (Ĉ₂₂ = mean x₂², b′, κ written
out); the measurements are the library's SGD / GD runs on the sympy model, with φ and the fitted
log-slope computed here in numpy (``np.polyfit`` of log φ on t ≥ 2000). The library's own closed
forms are checked against these formulas in ``test_support_model.py``.

Sampling: the brief's runs are random reshuffling (``"without_replacement"``); its per-step noise
covariance has the subset factor b′, but batches of one epoch are anti-correlated, which the
derivation ignores; ``"independent_subsets"`` is the scheme the derivation covers exactly.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import toymodels as tm
from toymodels.claims import ClaimDisagreement
from toymodels.models import support_learning as sl

BPP = "Beneventano, Pinto, Poggio (arXiv 2406.11110)"
N, EPS = 100, 0.2
X, Y = sl.support_data()
C22 = float(np.mean(X[:, 1] ** 2))  # Ĉ₂₂ = 0.974 on this draw
THETA0 = sl.support_init(seed=0)
SEEDS = (0, 1, 2, 3)
T0 = 2000  # fit window t ≥ T0 (the fit phase is over after ~100 steps)
RR, SUB, WR = "without_replacement", "independent_subsets", "with_replacement"


def b_prime(b: int, sampling: str) -> float:
    """The effective batch size: b with replacement, b(n − 1)/(n − b) for b-subsets."""
    return float(b) if sampling == WR else b * (N - 1) / (N - b)


def kappa_pred(eta, b: int, sampling: str):
    """κ = η²ε²Ĉ₂₂/(2b′) (brief §3.2 [DER])."""
    return np.asarray(eta) ** 2 * EPS**2 * C22 / (2 * b_prime(b, sampling))


def flat(theta: np.ndarray) -> np.ndarray:
    """‖(I − ââᵀ)We₂‖ for θ = (a0, a1, w00, w01, w10, w11), any leading shape."""
    a = theta[..., :2]
    c = theta[..., [3, 5]]  # W e₂
    ah = a / np.linalg.norm(a, axis=-1, keepdims=True)
    perp = c - ah * np.sum(ah * c, axis=-1, keepdims=True)
    return np.linalg.norm(perp, axis=-1)


def fitted_rate(phi: np.ndarray, steps: np.ndarray, t0: int = T0) -> np.ndarray:
    """−slope of the least-squares line through log φ(t), t ≥ t0; φ of shape (T, ...)."""
    sel = steps >= t0
    y = np.log(phi[sel]).reshape(int(sel.sum()), -1)
    slope = np.polyfit(steps[sel].astype(float), y, 1)[0]
    return -slope.reshape(phi.shape[1:])


@functools.cache
def model(weight_decay: float = 0.0) -> tm.DataModel:
    return sl.support_model(weight_decay=weight_decay)


@functools.cache
def sgd_run(
    etas: tuple[float, ...], b: int, sampling: str, steps: int, record: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(recorded steps, φ of shape (T, seeds, len(etas)), θ) of one batched tm.sgd call."""
    tr = tm.sgd(
        model(),
        THETA0,
        np.array(etas),
        steps,
        batch_size=b,
        sampling=sampling,
        seed=list(SEEDS),
        record_every=record,
    )
    assert not np.any(tr.diverged)
    t = np.arange(tr.theta.shape[0]) * record
    return t, flat(tr.theta), tr.theta


def _valley_point(theta: np.ndarray) -> np.ndarray:
    """The point of aᵀW = e₁ᵀ with the same a and flat parts: W = a e₁ᵀ/‖a‖² + (I − ââᵀ)W."""
    a = theta[:2]
    W = theta[2:].reshape(2, 2)
    ah = a / np.linalg.norm(a)
    Wv = np.outer(a, [1.0, 0.0]) / (a @ a) + W - np.outer(ah, ah @ W)
    return np.concatenate([a, Wv.ravel()])


def _drift_rate(theta: np.ndarray, eta: float, b: int, sampling: str, refined: bool) -> float:
    """Decay rate of φ under the drift −(η/2)Σ_k s_k∇³L[u_k, u_k] at a valley point, with the
    library's Hessian eigenpairs (λ_k, u_k) and third derivative; s_k = ηε²/(b′(2 − ηλ_k))
    (refined, the stationary variance) or ηε²/(2b′) (leading order)."""
    m = model()
    lam, U = np.linalg.eigh(m.hessian(theta))
    drift = np.zeros(6)
    for k in np.flatnonzero(lam > 1e-9 * lam.max()):
        s = eta * EPS**2 / (b_prime(b, sampling) * (2 - eta * lam[k] if refined else 2.0))
        drift += -(eta / 2) * s * m.third(theta, U[:, k])
    a = theta[:2]
    ap = np.array([-a[1], a[0]]) / np.linalg.norm(a)
    c_perp = ap @ theta[[3, 5]]  # signed flat part
    return float(-(ap @ drift[[3, 5]]) / c_perp)


# ---------------------------------------------------------------------------------- defaults
@pytest.mark.claim(
    paper=BPP,
    where="abstract (GD fits but needs explicit regularisation to learn the support); brief "
    "§3.6.1; GD κ = 0 derived (proofs_check support_flat_drift)",
    statement="GD (η = 0.05, b = n) from the seeded init: after the fit (t = 2000) the flat part "
    "of the irrelevant column changes by < 1e-8 (relative) over the next 10⁴ steps",
    basis="derived",
)
def test_gd_leaves_flat_part_frozen(claim):
    tr = tm.gd(model(), THETA0, 0.05, 12_000, record_every=2000)
    phi = flat(tr.theta)
    change = abs(phi[-1] - phi[1]) / phi[1]
    claim.check(predicted=1e-8, measured=float(change), relation="<=", what="relative change")
    # it did fit: the loss is at the noise floor ε²/2 (every residual ∓ε)
    claim.check(predicted=EPS**2 / 2, measured=float(tr.loss[-1]), rtol=1e-12, what="L = ε²/2")
    claim.check(predicted=0.1, measured=float(phi[-1]), relation=">=", what="φ stays O(1)")


@pytest.mark.claim(
    paper=BPP,
    where="abstract (mini-batch SGD shrinks the weights of irrelevant inputs); brief §3.6.2",
    statement="random-reshuffling SGD, η = 0.1, b = 5, 3·10⁴ steps, seeds 0–3: the flat part "
    "ends below 0.5 × its value at t = 2000 for every seed (leading-order prediction "
    "exp(−κ·28000) = 0.35; the brief: 4·10⁴ steps, 0.21)",
    basis="paper",
)
def test_sgd_shrinks_flat_part(claim):
    t, phi, _ = sgd_run((0.1,), 5, RR, 30_000, 100)
    ratio = phi[-1, :, 0] / phi[t == T0][0, :, 0]
    factor = float(np.exp(-kappa_pred(0.1, 5, RR) * 28_000))
    claim.note(f"predicted factor exp(-kappa 28000) = {factor:.3f}")
    claim.check(predicted=0.5, measured=ratio.tolist(), relation="<=", what="φ(30000)/φ(2000)")


@pytest.mark.claim(
    paper=BPP,
    where="brief §3.2 [DER], §3.6.3 (one (η, b) of the grid); proofs_check support_*",
    statement="random-reshuffling SGD, η = 0.1, b = 5, seeds 0–3: the fitted decay rate of the "
    "flat part over t ∈ [2000, 30000] is κ_pred = η²ε²Ĉ₂₂/(2b′) = 3.74e-5 within the brief's band "
    "κ/κ_pred ∈ [0.85, 1.2] (seed mean)",
    basis="derived",
)
def test_rate_constant_one_point(claim):
    t, phi, _ = sgd_run((0.1,), 5, RR, 30_000, 100)
    ratio = float(np.mean(fitted_rate(phi, t)[:, 0]) / kappa_pred(0.1, 5, RR))
    claim.check(predicted=0.85, measured=ratio, relation=">=", what="κ/κ_pred")
    claim.check(predicted=1.2, measured=ratio, relation="<=", what="κ/κ_pred")


@pytest.mark.claim(
    paper=BPP,
    where="brief §3.2 [DER] (leading order in η); derived here: Richardson extrapolation",
    statement="random-reshuffling SGD, b = 1, seeds 0–3: the η → 0 limit of κ/κ_pred, "
    "2r(0.05) − r(0.1) with r = κ_fit/κ_pred, is 1 within 3 % (the O(η) excess cancels)",
    basis="derived",
)
def test_leading_order_constant(claim):
    k05 = float(kappa_pred(0.05, 1, RR))
    t, phi, _ = sgd_run((0.05, 0.1), 1, RR, int(0.5 / k05) + T0, 50)
    r = np.mean(fitted_rate(phi, t), axis=0) / kappa_pred(np.array([0.05, 0.1]), 1, RR)
    claim.note(f"r(0.05) = {r[0]:.4f}, r(0.1) = {r[1]:.4f}")
    claim.check(predicted=1.0, measured=float(2 * r[0] - r[1]), tol=0.03, what="η → 0 limit")
    claim.check(predicted=1.0, measured=float(r[0]), relation=">=", what="excess > 0 at η = 0.05")


def _finite_population_runs() -> dict[str, np.ndarray]:
    out = {}
    for sampling in (WR, SUB):
        t, phi, theta = sgd_run((0.2,), 25, sampling, 6000 + T0, 50)
        out[sampling] = fitted_rate(phi, t)[:, 0]
        out[sampling + "_theta"] = theta
    return out


@pytest.mark.claim(
    paper=BPP,
    where="brief §3.2, §8 [DER] (finite-population factor b′ = b(n − 1)/(n − b)); "
    "proofs_check support_finite_population",
    statement="SGD, η = 0.2, b = 25, seeds 0–3, t ∈ [2000, 8000]: κ(with replacement) / "
    "κ(independent b-subsets) = b′/b = (n − 1)/(n − b) = 1.32 within 3 % (a rate with b in "
    "place of b′ would give 1)",
    basis="derived",
)
def test_finite_population_factor(claim):
    runs = _finite_population_runs()
    ratio = float(np.mean(runs[WR]) / np.mean(runs[SUB]))
    claim.check(predicted=b_prime(25, SUB) / 25, measured=ratio, rtol=0.03, what="κ_wr/κ_sub")


@pytest.mark.claim(
    paper=BPP,
    where="brief §3.2 [DER] steps 1–5 (drift −(η/2)∇³L[S], S = (ηε²/(2b′))P_range∇²L, projected "
    "on the flat part); proofs_check support_flat_drift",
    statement="at the valley points of the b = 25 subset run (every 2000 steps, 4 seeds), the "
    "leading-order drift computed from the library's Hessian eigenpairs and ∇³L moves the flat "
    "part at exactly κ = η²ε²Ĉ₂₂/(2b′) (relative 1e-9)",
    basis="derived",
)
def test_leading_order_drift_is_kappa(claim):
    theta = _finite_population_runs()[SUB + "_theta"][::40, :, 0]
    pts = [_valley_point(th) for th in theta.reshape(-1, 6)]
    rates = [_drift_rate(p, 0.2, 25, SUB, refined=False) for p in pts]
    claim.check(predicted=float(kappa_pred(0.2, 25, SUB)), measured=rates, rtol=1e-9)


@pytest.mark.claim(
    paper=BPP,
    where="brief §3.3 [DER, numerical]: 'the residual deviation grows with η and 1/b, which fits "
    "the O(η·λ) correction S ∝ (2 − ηH)⁻¹ that the leading-order formula drops'",
    statement="SGD with independent subsets, η = 0.1, b = 1, seeds 0–3, t ∈ [2000, 4600]: the "
    "measured κ equals the drift with the stationary variances ηε²/(b′(2 − ηλ_k)) "
    "(eigen-resolved, at the run's valley points) within 3 %",
    basis="derived",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted: the (2 − ηλ_k)⁻¹ factors give κ/κ_pred = 1.03 here, the measured ratio is "
    "1.23; that factor does not depend on b, while the excess does (subsets at η = 0.1: 1.13, "
    "1.07, 1.05 for b = 2, 5, 10 against 1.03): a 1/b term (multiplicative noise (H_B − H)δ) "
    "dominates it",
)
def test_excess_is_not_the_two_minus_eta_h_factor(claim):
    steps = int(0.5 / float(kappa_pred(0.1, 1, SUB))) + T0
    t, phi, theta = sgd_run((0.1,), 1, SUB, steps, 25)
    pts = [_valley_point(th) for th in theta[t >= T0][::20, :, 0].reshape(-1, 6)]
    pred = float(kappa_pred(0.1, 1, SUB))
    refined = float(np.mean([_drift_rate(p, 0.1, 1, SUB, refined=True) for p in pts]))
    measured = float(np.mean(fitted_rate(phi, t)))
    claim.note(
        f"kappa_pred = {pred:.4g}; refined = {refined:.4g} (ratio {refined / pred:.3f}); "
        f"measured = {measured:.4g} (ratio {measured / pred:.3f})"
    )
    claim.check(predicted=refined, measured=measured, rtol=0.03, what="κ vs refined κ")


@pytest.mark.claim(
    paper=BPP,
    where="brief §3.2 (GD + weight decay κ = ηλ), §3.6.5; proofs_check support_flat_drift",
    statement="GD on L + (λ/2)‖θ‖², λ = 1e-3, η = 0.1, t ∈ [2000, 12000]: the flat part decays at "
    "κ = ηλ = 1e-4 within 0.1 % (the brief's band is 2 %), and at the exact per-step factor "
    "1 − ηλ (κ = −log(1 − ηλ)) within 1e-5",
    basis="derived",
)
def test_weight_decay_rate(claim):
    lam, eta = 1e-3, 0.1
    tr = tm.gd(model(lam), THETA0, eta, 12_000, record_every=100)
    t = np.arange(tr.theta.shape[0]) * 100
    kap = float(fitted_rate(flat(tr.theta), t))
    claim.check(predicted=eta * lam, measured=kap, rtol=1e-3, what="κ = ηλ")
    claim.check(predicted=-np.log1p(-eta * lam), measured=kap, rtol=1e-5, what="κ = −log(1 − ηλ)")


# ---------------------------------------------------------------------------------- the grid
GRID_ETAS = (0.05, 0.1)
GRID_B = (2, 5, 10)


def _grid(sampling: str) -> np.ndarray:
    """κ_fit/κ_pred, shape (len(GRID_B), seeds, len(GRID_ETAS)); one call per b (η batched),
    t ∈ [2000, 2000 + 0.5/κ_pred(0.05)] (half an e-fold at the smaller η)."""
    out = []
    for b in GRID_B:
        steps = int(0.5 / float(kappa_pred(0.05, b, sampling))) + T0
        t, phi, _ = sgd_run(GRID_ETAS, b, sampling, steps, 100)
        out.append(fitted_rate(phi, t) / kappa_pred(np.array(GRID_ETAS), b, sampling))
    return np.array(out)


@pytest.mark.slow
@pytest.mark.claim(
    paper=BPP,
    where="brief §3.2 [DER], §3.6.3; proofs_check support_*",
    statement="random-reshuffling SGD, η ∈ {0.05, 0.1}, b ∈ {2, 5, 10}, seeds 0–3: "
    "κ/κ_pred ∈ [0.85, 1.2] (seed mean) at every grid point",
    basis="derived",
)
def test_rate_constant_grid(claim):
    r = _grid(RR).mean(axis=1)  # (b, η)
    for i, b in enumerate(GRID_B):
        for j, eta in enumerate(GRID_ETAS):
            claim.check(predicted=0.85, measured=float(r[i, j]), relation=">=", b=b, eta=eta)
            claim.check(predicted=1.2, measured=float(r[i, j]), relation="<=", b=b, eta=eta)


@pytest.mark.slow
@pytest.mark.claim(
    paper=BPP,
    where="abstract ('a second-order implicit regularisation proportional to η/b'); brief §3.6.4",
    statement="random-reshuffling SGD on the grid η ∈ {0.05, 0.1} × b ∈ {2, 5, 10}: the rate per "
    "unit time κ/η against η/b on log-log axes has least-squares slope in [0.9, 1.1] (against "
    "η/b′: the brief's form)",
    basis="paper",
)
def test_eta_over_b_scaling(claim):
    r = _grid(RR).mean(axis=1)
    kap = r * np.array([[kappa_pred(e, b, RR) for e in GRID_ETAS] for b in GRID_B])
    etas = np.array(GRID_ETAS)[None, :] * np.ones((len(GRID_B), 1))
    bs = np.array(GRID_B, dtype=float)[:, None] * np.ones((1, len(GRID_ETAS)))
    bps = np.array([b_prime(b, RR) for b in GRID_B])[:, None] * np.ones((1, len(GRID_ETAS)))
    for label, x in (("eta/b", etas / bs), ("eta/b'", etas / bps)):
        slope = float(np.polyfit(np.log(x).ravel(), np.log(kap / etas).ravel(), 1)[0])
        claim.check(predicted=0.9, measured=slope, relation=">=", what=label)
        claim.check(predicted=1.1, measured=slope, relation="<=", what=label)


@pytest.mark.slow
@pytest.mark.parametrize("sampling", [SUB, RR])
@pytest.mark.claim(
    paper=BPP,
    where="brief §3.2 [DER] (leading order in η); derived here: Richardson extrapolation",
    statement="SGD (independent subsets; random reshuffling), b ∈ {2, 5, 10}, seeds 0–3: the η → 0 "
    "limit 2r(0.05) − r(0.1) of r = κ_fit/κ_pred is 1 within 3 % at every b (pins the constant "
    "η²ε²Ĉ₂₂/2 and the factor b′ = b(n − 1)/(n − b): b in place of b′ would give 0.91 at b = 10)",
    basis="derived",
)
def test_leading_order_constant_grid(claim, sampling):
    r = _grid(sampling).mean(axis=1)
    for i, b in enumerate(GRID_B):
        rich = float(2 * r[i, 0] - r[i, 1])
        claim.check(predicted=1.0, measured=rich, tol=0.03, b=b, sampling=sampling)
