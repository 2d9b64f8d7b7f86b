"""Claims: the product model L(u, v) = ℓ(uv) of the threshold-neuron paper (reconstruction).

Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023) analyse GD on objectives ``(x, y) ↦ ℓ(xy)``
with ℓ even, convex and sub-quadratic (symmetrised logistic as the running example). The theorem
statements could not be read (research brief §0), so every claim here is the brief's reconstruction
(§1.3, D1–D6, §6 C1–C7, C10–C12): c = ℓ''(0), η* = 2/(c(v0² − u0²)); below η* GD ends near the
gradient-flow limit, above it u oscillates and v shrinks until cv² ≤ 2/η.

Refuted readings ("claims to avoid", brief §6) are strict xfails with their numbers: the final
sharpness equals 2/η only as η ↓ η*, and the overshoot law r∞ − ln r∞ = r0 − ln r0 is a
small-excess law (it degrades from r0 ≈ 1.05 on).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import toymodels as tm
from toymodels.models.threshold_neuron import LOSSES, ProductModel, overshoot_limit

PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023)"
EOS_LOSSES = ["logistic_sym", "sqrt", "logcosh"]  # ℓ'(s)/s strictly decreasing in |s|
V0 = 2.0


def _converged(model: tm.Model, theta: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Finite end states with ‖∇L‖ < tol (a GD fixed point to rounding)."""
    with np.errstate(invalid="ignore"):
        g = np.linalg.norm(model.grad(theta), axis=-1)
    return np.isfinite(g) & (g < tol)


# ------------------------------------------------------------------ sympy == numpy twins
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_symbolic_matches_numeric(loss):
    pm = ProductModel(loss)
    sym = pm.symbolic()
    rng = np.random.default_rng(7)
    th = np.concatenate(
        [
            rng.uniform(-3, 3, (200, 2)),
            rng.uniform(-10, 10, (50, 2)),
            [[0.0, 0.0], [0.0, V0], [1.5, 0.0], [0.0, -5.0], [1e-8, 2.0]],
        ]
    )
    for name in ("loss", "grad", "hessian"):
        np.testing.assert_allclose(
            getattr(pm.model, name)(th), getattr(sym, name)(th), rtol=1e-12, atol=1e-12
        )


# ------------------------------------------------------------------ C1, C2: exact algebra
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), Hessian on the minimiser line (reconstruction, brief D1 / C1)",
    statement="λ_max(∇²L(0, v)) = ℓ''(0)·v² (rtol 1e-12)",
)
@given(v=st.floats(0.1, 10), loss=st.sampled_from(sorted(LOSSES)))
def test_c1_line_sharpness(claim, v, loss):
    pm = ProductModel(loss)
    measured = float(tm.sharpness(pm.model, [0.0, v]))
    # ∇²L(0, v) = diag(c v², 0) exactly (ℓ'(0) = 0), so only eigvalsh rounding remains
    claim.check(predicted=float(pm.line_sharpness(v)), measured=measured, rtol=1e-12, v=v)


@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), one GD step (reconstruction, brief D3 / C2)",
    statement="v'² − u'² = (1 − η²ℓ'(uv)²)(v² − u²), tol 1e-9·(1 + |lhs| + |rhs|)",
)
@given(
    u=st.floats(-5, 5),
    v=st.floats(-5, 5),
    eta=st.floats(1e-3, 10),
    loss=st.sampled_from(sorted(LOSSES)),
)
def test_c2_imbalance_identity(claim, u, v, eta, loss):
    pm = ProductModel(loss)
    th1 = tm.gd(pm.model, [u, v], eta, 1, record_every=0).final
    lhs = float(pm.imbalance(th1))
    d1 = float(pm.loss.d1(np.array(u * v)))
    rhs = (1 - eta**2 * d1**2) * (v * v - u * u)
    # exact algebra ((v − ηℓ'u)² − (u − ηℓ'v)² = (1 − η²ℓ'²)(v² − u²)); only rounding of
    # O(|lhs| + |rhs|) numbers remains, far below the brief's relative 1e-9
    claim.check(predicted=rhs, measured=lhs, tol=1e-9 * (1 + abs(lhs) + abs(rhs)))


# ------------------------------------------------------------------ C3: the sharp threshold
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), linear stability of the GF limit (reconstruction, brief D2 / C3)",
    statement="v0 = 2, u0 = 1e-6, 2e4 steps: max_t |u_t| ≤ u0(1 + 1e-9) at η = (1 − 1e-3)η* "
    "and ≥ 100·u0 at η = (1 + 1e-3)η*",
)
@pytest.mark.parametrize("loss", EOS_LOSSES)
def test_c3_sharp_threshold(claim, loss):
    pm = ProductModel(loss)
    u0 = 1e-6
    es = float(pm.eta_star(u0, V0))
    tr = tm.gd(pm.model, [u0, V0], es * np.array([1 - 1e-3, 1 + 1e-3]), 20_000, record_every=1)
    growth = np.max(np.abs(tr.theta[..., 0]), axis=0) / u0
    # linearisation: u ↦ (1 − ηcv²)u, |1 − ηcv²| = 1 ∓ 2e-3 at (1 ∓ 1e-3)η*: strictly
    # contracting below (max at t = 0), and (1.002)^t passes 100 after ≈ 2300 steps above
    claim.record(predicted=[1.0, 100.0], measured=growth.tolist(), eta_over_eta_star=[0.999, 1.001])
    assert growth[0] <= 1 + 1e-9
    assert growth[1] >= 100


# ------------------------------------------------------------------ C4: no threshold below η*
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ_sym(uv), η < η* (reconstruction, brief §4.1 / C4; the paper proves "
    "an analogue [recalled])",
    statement="v0 = 2, u0 ∈ {1e-2, 1e-3}, η/η* ∈ {0.1, …, 0.9}: GD converges and "
    "|v∞ − √(v0² − u0²)| ≤ 3·u0²",
)
@pytest.mark.parametrize("u0", [1e-2, 1e-3])
def test_c4_no_threshold_below(claim, u0):
    pm = ProductModel("logistic_sym")
    es = float(pm.eta_star(u0, V0))
    ratios = np.arange(1, 10) / 10
    tr = tm.gd(pm.model, [u0, V0], es * ratios, 3000, record_every=0)
    assert np.all(_converged(pm.model, tr.final))
    err = np.abs(tr.final[:, 1] - np.sqrt(V0**2 - u0**2)) / u0**2
    # the GD shrinkage of D3 is Σ_t η²ℓ'(s_t)² ∝ u0²; it grows as η → η* (u decays slowly) and
    # the brief (and this run) measured ≤ 2.25·u0² at 0.9η*: 3·u0² leaves a 33% margin
    claim.record(predicted=0.0, measured=float(err.max()), tol=3.0, per_eta=err.tolist())
    assert np.all(err <= 3.0)


# ------------------------------------------------------------------ C5: EoS above η*
C5_WINDOW = {"logistic_sym": 2.0, "sqrt": 3.0, "logcosh": 2.0}


@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), η > η* (reconstruction, brief D4 / C5)",
    statement="u0 = 1e-3, 8 step sizes in [1.02η*, max] (max: ℓ_sym 2, √ 3, logcosh 2): GD "
    "converges, c·v∞² ≤ (2/η)(1 + 1e-9) and |v∞| < 0.99·v0",
)
@pytest.mark.parametrize("loss", EOS_LOSSES)
def test_c5_edge_of_stability_above(claim, loss):
    pm = ProductModel(loss)
    u0 = 1e-3
    es = float(pm.eta_star(u0, V0))
    eta = es * np.linspace(1.02, C5_WINDOW[loss], 8)
    tr = tm.gd(pm.model, [u0, V0], eta, 30_000, record_every=0)
    assert np.all(_converged(pm.model, tr.final))
    v_inf = tr.final[:, 1]
    edge = eta * pm.line_sharpness(v_inf) / 2
    # ≤ 1 is linear stability of the limit (D4), exact given convergence; 1e-9 absorbs rounding.
    # The v-drop is the EoS mechanism (empirical): v∞/v0 ≤ 0.981 at 1.02η* already
    claim.record(predicted=1.0, measured=float(edge.max()), v_inf=v_inf.tolist())
    assert np.all(edge <= 1 + 1e-9)
    assert np.all(np.abs(v_inf) < 0.99 * V0)


# ------------------------------------------------------------------ C6: the overshoot law
R0_VERIFIED = [1.005, 1.01, 1.02]
R0_BEYOND = [1.05, 1.1, 1.2]


@pytest.fixture(scope="module")
def overshoot_runs():
    """r∞ = ηcv∞²/2 for u0 = 1e-4, v0 = 2 and r0 = ηcv0²/2 ∈ R0_VERIFIED + R0_BEYOND, per loss."""
    r0 = np.array(R0_VERIFIED + R0_BEYOND)
    out = {}
    for loss in EOS_LOSSES:
        pm = ProductModel(loss)
        eta = 2 * r0 / (pm.c * V0**2)
        tr = tm.gd(pm.model, [1e-4, V0], eta, 20_000, record_every=0)
        assert np.all(_converged(pm.model, tr.final))
        out[loss] = eta * pm.line_sharpness(tr.final[:, 1]) / 2
    return r0, overshoot_limit(r0), out


@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), small-amplitude slow flow (reconstruction, brief D6 / C6)",
    statement="u0 = 1e-4, r0 = ηcv0²/2 ∈ {1.005, 1.01, 1.02}: |r∞ − r_LV| ≤ 2e-3, r_LV < 1 "
    "solving r − ln r = r0 − ln r0",
)
@pytest.mark.parametrize("loss", EOS_LOSSES)
def test_c6_overshoot_law(claim, overshoot_runs, loss):
    r0, r_lv, r_inf = overshoot_runs
    k = len(R0_VERIFIED)
    # leading order in (r0 − 1, u0): H = q + 2(r − 1 − ln r) is conserved by the two-step slow
    # flow; the brief measured errors ≤ 1.1e-3 (√ loss at r0 = 1.02), so 2e-3 (brief) holds
    claim.check(predicted=r_lv[:k], measured=r_inf[loss][:k], tol=2e-3, r0=r0[:k])


@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), overshoot law beyond small excess (reconstruction, brief §4.1)",
    statement="r∞ − ln r∞ = r0 − ln r0 holds to 2e-3 for all r0 ≤ 1.2 (u0 = 1e-4, v0 = 2; "
    "ℓ_sym, √(1+s²)−1, logcosh)",
)
@pytest.mark.xfail(
    reason="refuted: |r∞ − r_LV| at r0 = 1.05, 1.1, 1.2 is 3.0e-3, 1.25e-2, 5.4e-2 (ℓ_sym), "
    "5.9e-3, 1.8e-2, 4.3e-2 (√(1+s²)−1), 2.7e-3, 7.8e-3, 1.6e-2 (logcosh): a leading-order law "
    "in r0 − 1, loss-dependent beyond",
    strict=True,
)
def test_c6_refuted_up_to_r0_1_2(claim, overshoot_runs):
    r0, r_lv, r_inf = overshoot_runs
    k = len(R0_VERIFIED)
    errs = {loss: np.abs(r_inf[loss][k:] - r_lv[k:]) for loss in EOS_LOSSES}
    worst = max(float(e.max()) for e in errs.values())
    claim.check(
        predicted=0.0,
        measured=worst,
        tol=2e-3,
        r0=r0[k:],
        r_lv=r_lv[k:],
        errors={loss: e.tolist() for loss, e in errs.items()},
    )


# ------------------------------------------------------------------ C7: the frozen-v 2-cycle
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv) at frozen v (reconstruction, brief D5 / C7)",
    statement="A = ηcv²: the 2-cycle u ↔ −u, a root s > 0 of 2s = ηv²ℓ'(s) (ℓ_sym: "
    "s = A·tanh(s/2)), exists iff A > 2 (ℓ_sym; also √(1+s²)−1, logcosh)",
)
@given(A=st.floats(0.1, 10), loss=st.sampled_from(EOS_LOSSES))
@example(A=2.0, loss="logistic_sym")
@example(A=float(np.nextafter(2.0, 3.0)), loss="logistic_sym")
@example(A=float(np.nextafter(2.0, 1.0)), loss="logistic_sym")
def test_c7_two_cycle_exists_iff_above_edge(claim, A, loss):
    pm = ProductModel(loss)
    eta = A / (pm.c * V0**2)  # so that ηcv² = A at v = V0
    s = pm.two_cycle_amplitude(eta, V0)
    # ℓ'(s)/s decreases strictly from c to 0, so 2s = ηv²ℓ'(s) has a root s > 0 iff ηcv² > 2
    claim.check(predicted=A > 2, measured=s > 0, A=A, s=s)
    if s > 0:
        u = s / V0
        u1 = u - eta * float(pm.model.grad([u, V0])[0])  # one u-step with v frozen
        assert abs(u1 + u) <= 1e-12 * max(1.0, u)  # u ↦ −u: a period-2 orbit


# ------------------------------------------------------------------ C10: gradient flow
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), gradient flow (reconstruction, brief C10)",
    statement="gradient flow (RK45, rtol 1e-10) conserves v² − u² to 1e-8",
)
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_c10_gradient_flow_conserves_imbalance(claim, loss):
    pm = ProductModel(loss)
    th0 = np.array([[0.1, 2.0], [1.0, 1.5], [-0.5, 3.0], [2.0, -2.5]])
    tr = tm.gradient_flow(pm.model, th0, 50.0, method="RK45", rtol=1e-10, atol=1e-12)
    assert not tr.diverged.any()
    drift = float(np.max(np.abs(pm.imbalance(tr.theta) - pm.imbalance(th0))))
    # d/dt (v² − u²) = 2v·(−ℓ'u) − 2u·(−ℓ'v) = 0; only integrator error (rtol 1e-10) remains
    claim.check(predicted=0.0, measured=drift, tol=1e-8, t_end=50.0)


# ------------------------------------------------------------------ C11: limits are stable
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), GD limits (reconstruction, brief D4 / C11)",
    statement="every convergent run (u0 ∈ {1e-2, 1e-3}, v0 = 2, η/η* ∈ [0.1, 3.5]) ends with "
    "η·λ_max(∇²L)/2 ≤ 1, in particular ηcv∞²/2 ≤ 1",
)
@pytest.mark.parametrize("loss", EOS_LOSSES)
def test_c11_final_sharpness_below_edge(claim, loss):
    pm = ProductModel(loss)
    ratios = np.linspace(0.1, 3.5, 35)
    u0 = np.array([1e-2, 1e-3])
    th0 = np.tile(np.stack([u0, np.full_like(u0, V0)], axis=-1), (ratios.size, 1))
    eta = ratios[:, None] * pm.eta_star(u0, V0)[None, :]  # ratio-major, like th0
    tr = tm.gd(pm.model, th0, eta.ravel(), 30_000, record_every=0, paired=True)
    final = tr.final
    ok = _converged(pm.model, final)
    edge = eta.ravel()[ok] * tm.sharpness(pm.model, final[ok]) / 2
    line = eta.ravel()[ok] * pm.line_sharpness(final[ok, 1]) / 2
    # a GD fixed point with ηλ_max > 2 is linearly unstable, so no run can converge to one
    # (exact, given convergence); 1e-9 absorbs rounding
    claim.record(
        predicted=1.0,
        measured=float(edge.max()),
        converged=int(ok.sum()),
        diverged=int(tr.diverged.sum()),
        runs=int(ok.size),
    )
    assert ok.sum() >= ok.size // 2
    assert np.all(edge <= 1 + 1e-9)
    assert np.all(line <= 1 + 1e-9)


# ------------------------------------------------------------------ C12: sub-quadratic losses
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), square vs sub-quadratic loss (reconstruction, brief C12; the "
    "paper's 'sub-quadratic ℓ' contrast [recalled])",
    statement="u0 = 1e-2, v0 = 2: s²/2 diverges at η = 2η*, √(1+s²)−1 converges at 2η* and 3η*",
)
def test_c12_square_diverges_sqrt_converges(claim):
    u0 = 1e-2
    sq = ProductModel("square")
    tr_sq = tm.gd(sq.model, [u0, V0], 2 * sq.eta_star(u0, V0), 20_000, record_every=0)
    rt = ProductModel("sqrt")
    ratios = np.array([2.0, 3.0])
    tr_rt = tm.gd(rt.model, [u0, V0], ratios * rt.eta_star(u0, V0), 20_000, record_every=0)
    conv = _converged(rt.model, tr_rt.final)
    # pinned (u0, v0) from the brief; the √ loss's gradient is bounded by |v|, which caps the
    # kicks that blow the square loss up
    claim.record(
        predicted=[True, True, True],
        measured=[bool(tr_sq.diverged), *conv.tolist()],
        note="[square diverges at 2η*, √ converges at 2η*, √ converges at 3η*]",
        square_diverged_at=int(tr_sq.diverged_at),
        sqrt_limits=tr_rt.final.tolist(),
    )
    assert bool(tr_sq.diverged)
    assert np.all(conv)


# ------------------------------------------------------------------ final sharpness vs 2/η
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ_sym(uv), η ↓ η* (reconstruction, brief §4.1 / D6)",
    statement="at η = 1.01η*, u0 ∈ {1e-2, 1e-3, 1e-4}, v0 = 2: GD ends at the edge, "
    "0.98 < ηλ∞/2 ≤ 1",
)
def test_final_sharpness_at_edge_near_threshold(claim):
    pm = ProductModel("logistic_sym")
    u0 = np.array([1e-2, 1e-3, 1e-4])
    eta = 1.01 * pm.eta_star(u0, V0)
    th0 = np.stack([u0, np.full_like(u0, V0)], axis=-1)
    tr = tm.gd(pm.model, th0, eta, 20_000, record_every=0, paired=True)
    assert np.all(_converged(pm.model, tr.final))
    edge = eta * tm.sharpness(pm.model, tr.final) / 2
    # the mirror law r∞ ≈ 2 − r0 = 0.99 (D6) as u0 → 0; u0 = 1e-2 lowers it to ≈ 0.988 through
    # the initial q0 = ηcu0² in H; 1e-2 around 0.99 is the brief's (0.98, 1] window
    claim.check(predicted=0.99, measured=edge, tol=1e-2, u0=u0)
    assert np.all(edge <= 1 + 1e-9)


@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ_sym(uv), η > η* (reconstruction, brief §6 'claims to avoid')",
    statement="GD above η* ends exactly at the edge: ηλ∞/2 = 1 (within 0.02; u0 = 0.1, v0 = 2, "
    "η = 1.01η* and 1.5η*)",
)
@pytest.mark.xfail(
    reason="refuted: ℓ_sym, u0 = 0.1, v0 = 2: ηλ∞/2 = 0.926 at 1.01η*, 0.273 at 1.5η* "
    "(u0 = 1e-2: 0.988, 0.287). Only the inequality ηλ∞/2 ≤ 1 holds (C11), with equality only "
    "as η ↓ η* and u0 → 0; the brief's '0.990 at 1.01η*' is the u0 ≤ 1e-2 value",
    strict=True,
)
def test_refuted_final_sharpness_equals_two_over_eta(claim):
    pm = ProductModel("logistic_sym")
    u0 = np.array([0.1, 1e-2])
    ratios = np.array([1.01, 1.5])
    eta = ratios[:, None] * pm.eta_star(u0, V0)[None, :]
    th0 = np.tile(np.stack([u0, np.full_like(u0, V0)], axis=-1), (ratios.size, 1))
    tr = tm.gd(pm.model, th0, eta.ravel(), 30_000, record_every=0, paired=True)
    assert np.all(_converged(pm.model, tr.final))
    edge = (eta.ravel() * tm.sharpness(pm.model, tr.final) / 2).reshape(2, 2)
    claim.check(
        predicted=1.0,
        measured=edge[:, 0],
        tol=0.02,
        eta_over_eta_star=ratios,
        u0_1e_2=edge[:, 1],
    )


# ------------------------------------------------------------------ the phase transition
@pytest.mark.claim(
    paper=PAPER,
    where="product model ℓ(uv), step-size phase transition (reconstruction, brief D2)",
    statement="the imbalance drop D(η) = 1 − v_T²/(v0² − u0²) (u0 = 1e-4, v0 = 2, T = 3e4) "
    "crosses 1e-4 at η* = 2/(c(v0² − u0²)) (rtol 1e-3)",
)
@pytest.mark.parametrize("loss", EOS_LOSSES)
def test_transition_located_at_eta_star(claim, loss):
    pm = ProductModel(loss)
    u0 = 1e-4
    es = float(pm.eta_star(u0, V0))
    r = tm.locate_transition(
        lambda e: pm.imbalance_drop(e, u0, V0, 30_000),
        0.9 * es,
        1.1 * es,
        level=1e-4,
        points=17,
        rounds=3,
    )
    assert r.converged
    # above η* the mirror law gives v∞²/v0² = r∞/r0 ≈ 1 − 2(η/η* − 1), i.e. D ≈ 2(η/η* − 1)
    # (measured 2.0e-3 at 1.001η*), and the finite u0 gives D(η*) ≈ 7e-5 < 1e-4: the level is
    # crossed within level/2 = 5e-5 of η* (measured ratio 1.00002, the same for T = 1e5). The
    # per-step growth factor 1 + 2(η/η* − 1) of u makes this offset a property of (u0, level),
    # not of the grid; rtol 1e-3 is 20× the offset bound
    claim.check(
        predicted=es,
        measured=r.eta,
        rtol=1e-3,
        ratio=r.eta / es,
        bracket=r.bracket,
        values=r.values,
    )
