"""Kalra, He, Barkeshli's uv model in the single variable Y = ηy‖x‖/√n (brief §1.3, §2.3; claims
14–16).

f = vᵀUx/√n on one example (x, y), loss ½(f − y)², U ∈ ℝ^{n×k}, v ∈ ℝ^n. The brief derives (and
``proofs_check`` ``bifurcation_uv_reduction`` proves) that GD closes on F = √c·ηf, Λ = ηλ
(c = ‖x‖²/n, λ the NTK) as the 2-D map of :func:`toymodels.models.bifurcation.uv_reduced_map`,
with the one parameter Y; on the balanced aligned set Λ = 2F and w = √(F/Y) follows the cubic map
C_Y (the library's ``w_map_family``, whose cascade ``tests/quadratic_regression/test_cubic_map.py``
verifies for F_a: not repeated here). So the EoS onset is Y = 1 (η_c = √n/(y‖x‖)), the 2 → 4 flip
is at Y = √5 − 1 and divergence at Y = 2.

Full GD is the library's ``tm.gd`` on a ``tm.Model.from_sympy`` loss with 16 parameters (n = 4,
k = 3); the reduced orbits are the library's ``tm.iterate`` on the compiled map; their
coordinates are computed from (U, v) by :func:`uv_reduce`. Basis: ``derived`` for the exact
reduction and the closed-form flips; ``empirical`` for the brief's cascade scan values;
``reconstruction`` for η_c, since Kalra et al.'s own normalisation of η_c could not be read
(brief §0: only the abstract).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import toymodels as tm
from toymodels.models import bifurcation as bf
from toymodels.models.quadratic_regression import w_map_family

KALRA = "Kalra, He, Barkeshli (arXiv 2311.02076)"
ABSTRACT = "abstract: 'UV model trained on a single training example', 'period-doubling route"
N, K = 4, 3
X = np.random.default_rng(1).normal(size=K)
Y_LABEL = 1.0
CUBIC_FLIPS = [math.sqrt(5) - 1, 1.288031754483, 1.299227939650]  # brief §2.1


@pytest.fixture(scope="module")
def uv_flips() -> np.ndarray:
    """The first three flips of the reduced uv map in Y found by the library (from Y = 1.1)."""
    return np.asarray(
        tm.period_doubling_points(bf.uv_reduced_map(), [1.15, 2.35], (1.1, 1.3), max_doublings=3)
    )


@pytest.fixture(scope="module")
def uv() -> tm.Model:
    us = sp.symbols(f"u0:{N * K}")
    vs = sp.symbols(f"v0:{N}")
    f = (sp.Matrix(vs).T * sp.Matrix(N, K, us) * sp.Matrix(X.tolist()))[0] / sp.sqrt(N)
    return tm.Model.from_sympy((f - Y_LABEL) ** 2 / 2, params=us + vs, name="uv model")


def _eta(Y: float) -> float:
    return Y * math.sqrt(N) / (Y_LABEL * float(np.linalg.norm(X)))


def _reduce(theta: np.ndarray, eta: float) -> dict[str, float]:
    return bf.uv_reduce(theta[: N * K].reshape(N, K), theta[N * K :], X, Y_LABEL, eta)


@pytest.mark.claim(
    paper=KALRA,
    where=f"{ABSTRACT}' [SRC-abs]; brief §1.3, claim 14; proofs_check bifurcation_uv_reduction",
    statement="GD on the uv model (n = 4, k = 3, random init) is the 2-D map (F, Λ) ↦ "
    "(F − ΛD + D²F, Λ + D(ΛD − 4F)) in Y = ηy‖x‖/√n: 100 steps agree to 1e-12 (rel.); the "
    "imbalance follows Q' = (1 − D²)Q to 1e-12; Y ∈ {0.5, 1.15}",
    basis="derived",
)
@pytest.mark.parametrize("Y", [0.5, 1.15])
def test_reduction_exact(claim, uv, Y):
    eta = _eta(Y)
    claim.check(predicted=Y, measured=bf.uv_variable(eta, Y_LABEL, X, N), tol=1e-14, what="Y")
    rng = np.random.default_rng(7)
    th0 = 0.3 * rng.normal(size=N * K + N)
    tr = tm.gd(uv, th0, eta, 100, record_every=1)
    assert not tr.diverged
    red = [_reduce(th, eta) for th in tr.theta]
    full = np.array([[r["F"], r["Lam"]] for r in red])
    reduced = tm.iterate(bf.uv_reduced_map()(Y), full[0], 100, record_every=1).theta
    scale = np.maximum(1.0, np.abs(reduced))
    claim.check(predicted=0.0, measured=float(np.max(np.abs(full - reduced) / scale)), tol=1e-12)
    q = np.array([r["Q"] for r in red])
    d = full[:, 0] - Y
    qerr = np.abs(q[1:] - (1 - d[:-1] ** 2) * q[:-1]) / np.maximum(1.0, np.abs(q[:-1]))
    claim.check(predicted=0.0, measured=float(qerr.max()), tol=1e-12, what="Q' = (1 − D²)Q")


@pytest.mark.claim(
    paper=KALRA,
    where=f"{ABSTRACT}' [SRC-abs]; brief §1.3, claim 15; proofs_check bifurcation_uv_reduction",
    statement="from a balanced aligned init (U = v xᵀ/‖x‖), GD keeps Λ = 2F (1e-12) and "
    "w = √(F/Y) follows the cubic map C_Y = w_map_family (1e-12 over 100 steps, Y = 1.2)",
    basis="derived",
)
def test_balanced_set_is_the_cubic_map(claim, uv):
    Y = 1.2
    eta = _eta(Y)
    v = 0.5 * np.random.default_rng(3).normal(size=N)
    th0 = np.concatenate([np.outer(v, X).ravel() / np.linalg.norm(X), v])
    tr = tm.gd(uv, th0, eta, 100, record_every=1)
    red = [_reduce(th, eta) for th in tr.theta]
    F = np.array([r["F"] for r in red])
    L = np.array([r["Lam"] for r in red])
    claim.check(predicted=0.0, measured=float(np.max(np.abs(L - 2 * F))), tol=1e-12, what="Λ−2F")
    w = np.sqrt(F / Y)
    w_cubic = tm.iterate(w_map_family()(Y), [w[0]], 100, record_every=1).theta[:, 0]
    claim.check(predicted=0.0, measured=float(np.max(np.abs(np.abs(w_cubic) - w))), tol=1e-12)


@pytest.mark.claim(
    paper=KALRA,
    where="'period-doubling route to chaos' [SRC-abs]; brief §2.3; proofs_check "
    "bifurcation_uv_reduction (fixed point (Y, 2Y): multipliers 1, 1 − 2Y), "
    "cubic_two_cycle_multiplier (9 − 2(1 + a)² = −1 at √5 − 1)",
    statement="the reduced uv map in Y: the balanced fixed point (Y, 2Y) is stable below Y = 1 "
    "(tm.find_cycle at Y = 0.95) and flips there (unstable at 1.05, a stable 2-cycle instead); "
    "tm.period_doubling_points finds the 2 → 4 flip at Y = √5 − 1 (1e-10)",
    basis="derived",
)
def test_uv_flips_closed_form(claim, uv_flips):
    G = bf.uv_reduced_map()
    below = tm.find_cycle(G(0.95), [0.95, 1.9], 1)
    above = tm.find_cycle(G(1.05), [1.05, 2.1], 1)
    claim.check(predicted=1 - 2 * 0.95, measured=float(np.min(below.multipliers.real)), tol=1e-12)
    claim.check(predicted=1 - 2 * 1.05, measured=float(np.min(above.multipliers.real)), tol=1e-12)
    claim.check(predicted=2, measured=tm.period(G(1.05), [1.1, 2.3], burn_in=20_000), what="Y=1.05")
    claim.check(predicted=CUBIC_FLIPS[0], measured=float(uv_flips[0]), tol=1e-10, what="√5 − 1")


@pytest.mark.claim(
    paper=KALRA,
    where="'period-doubling route to chaos on the edge of stability manifold' [SRC-abs]; brief "
    "§1.3 scan (uv3.py), claim 16; cubic flips of §2.1",
    statement="the reduced uv map from (Y + 0.05, 2.5), 5000 burn-in: flips 4 → 8 and 8 → 16 "
    "at the cubic map's 1.288031754483, 1.299227939650 (1e-9); periods 1, 2, 4, 8 at "
    "Y = 0.9, 1.1, 1.26, 1.295; chaos at Y = 1.35 (Lyapunov > 0.02; brief 0.277); bounded at "
    "1.95, divergence at 2.05",
    basis="empirical",
)
def test_uv_cascade_scan(claim, uv_flips):
    G = bf.uv_reduced_map()
    # tol 1e-9: the library's flip tolerance (tests/quadratic_regression: test_cascade_flip_points)
    claim.check(predicted=CUBIC_FLIPS[1:], measured=uv_flips[1:], tol=1e-9)
    for Y, p in [(0.9, 1), (1.1, 2), (1.26, 4), (1.295, 8)]:
        got = tm.period(G(Y), [Y + 0.05, 2.5], burn_in=5_000, tol=1e-8)
        claim.check(predicted=p, measured=got, Y=Y)
    ys = np.array([1.35, 1.95])
    lam = tm.lyapunov_exponent(G(ys), np.array([[1.4, 2.5], [2.0, 2.5]]), steps=5_000)
    claim.check(predicted=0.02, measured=float(lam[0]), relation=">=", Y=1.35)
    claim.check(predicted=0.277, measured=float(lam[0]), tol=0.02, Y=1.35, what="brief λ")
    # bounded at 1.95: the orbit stays in a box for 5000 steps (not read off the sign of λ)
    tr195 = tm.iterate(G(1.95), [2.0, 2.5], 5_000)
    claim.check(predicted=False, measured=bool(tr195.diverged), Y=1.95, what="bounded")
    claim.check(predicted=10.0, measured=float(np.max(np.abs(tr195.theta))), relation="<=", Y=1.95)
    tr = tm.iterate(G(2.05), [2.1, 2.5], 2_000, record_every=0)
    claim.check(predicted=True, measured=bool(tr.diverged), Y=2.05)


@pytest.mark.claim(
    paper=KALRA,
    where="'critical learning rate η_c' [SRC-abs]; brief §1.3 (η_c = √n/(y‖x‖), its "
    "normalisation [RECALLED])",
    statement="full GD on the uv model (n = 4, k = 3, random init, 4000 steps): at η = 0.9η_c "
    "it converges with ηλ ≤ 2; at 1.1η_c it ends on a 2-cycle (tm.period); at 2.1η_c it diverges",
    basis="reconstruction",
)
def test_critical_learning_rate(claim, uv):
    rng = np.random.default_rng(11)
    th0 = 0.3 * rng.normal(size=N * K + N)
    etas = np.array([0.9, 1.1, 2.1]) * _eta(1.0)
    tr = tm.gd(uv, th0, etas, 4_000, record_every=0)
    claim.check(predicted=[False, False, True], measured=np.asarray(tr.diverged, float), tol=0)
    final = tr.final
    lam = float(tm.sharpness(uv, final[0]))
    claim.check(predicted=1e-20, measured=float(tr.loss[-1, 0]), relation="<=", what="converged")
    claim.check(predicted=2.0, measured=etas[0] * lam, relation="<=", what="ηλ")
    got = tm.period(tm.gd_map(uv, etas[1]), final[1], burn_in=0, tol=1e-8)
    claim.check(predicted=2, measured=got, what="period at 1.1η_c")


def test_uv_validation():
    with pytest.raises(ValueError, match="U"):
        bf.uv_reduce(np.ones((2, 2)), np.ones(3), np.ones(2), 1.0, 0.1)
    with pytest.raises(ValueError, match="x"):
        bf.uv_reduce(np.ones((2, 2)), np.ones(2), np.zeros(2), 1.0, 0.1)
    with pytest.raises(ValueError, match="eta"):
        bf.uv_variable(0.0, 1.0, [1.0], 1)
    with pytest.raises(ValueError, match="n"):
        bf.uv_variable(0.1, 1.0, [1.0], 0)
