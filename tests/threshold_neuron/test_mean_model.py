"""Claims: the 2-D mean model ℓ_sym(a·g(b)) of the threshold-neuron paper (reconstruction).

Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023) prove a sharp step-size phase transition
below which the network fails to learn a threshold neuron (non-zero first-layer bias). Their mean
model could not be read (research brief §0, §2); this is the brief's reconstruction (§1.3 (B),
D7, §4.2, C8): g(b) = E relu(sZ + b) = bΦ(b/s) + sφ(b/s), the Hessian on a = 0 is
diag(g(b)²/4, 0), so η* = 8/g(b0)² = 16π/s² at b0 = 0, and above η* the bias must fall until
g(b)² ≤ 8/η.

The 16π is a constant of this reconstruction only: no π-constant threshold is attributed to the
paper (brief §6, "claims to avoid").
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

import toymodels as tm
from toymodels.claims import ClaimDisagreement
from toymodels.models.threshold_neuron import MeanModel

PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023)"
WHERE = (
    "mean model ℓ_sym(a·g(b)), s = 1, a0 = 0.01, b0 = 0 (the brief's reconstruction of the "
    "paper's mean model, D7 / C8; the numbers are the brief's measured bounds)"
)
ETA_STAR = 16 * np.pi  # 8/g(0)² with g(0) = 1/√(2π) (s = 1), closed form, not the library's


def g_indep(b, s: float = 1.0) -> np.ndarray:
    """g(b) = E relu(sZ + b) = bΦ(b/s) + sφ(b/s) via scipy.stats.norm (the library uses ndtr
    and its own φ): the independent reference of every closed form below."""
    b = np.asarray(b, dtype=float)
    return b * norm.cdf(b / s) + s * norm.pdf(b / s)


def bias_bound_indep(eta: float, s: float = 1.0) -> float:
    """Largest b with g(b)² ≤ 8/η (0 below η*), by brentq on :func:`g_indep`."""
    target = np.sqrt(8.0 / eta)
    if target >= g_indep(0.0, s):
        return 0.0
    return brentq(lambda b: float(g_indep(b, s)) - target, -50 * s, 0.0, xtol=1e-15)


A0 = 0.01
STEPS = 20_000  # every run below is a GD fixed point (‖∇L‖ < 1e-12) well before 2e4 steps


def _converged(model: tm.Model, theta: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        g = np.linalg.norm(model.grad(theta), axis=-1)
    return np.isfinite(g) & (g < tol)


# ------------------------------------------------------------------ sympy == numpy twins
@pytest.mark.parametrize("s", [0.5, 1.0, 2.0])
def test_symbolic_matches_numeric(s):
    mm = MeanModel(s)
    sym = mm.symbolic()
    rng = np.random.default_rng(11)
    th = np.concatenate(
        [
            rng.uniform(-3, 3, (200, 2)),
            np.column_stack([rng.uniform(-20, 20, 50), rng.uniform(-5, 2, 50)]),
            [[0.0, 0.0], [A0, 0.0], [0.0, -1.0], [5.0, -0.5]],
        ]
    )
    for name in ("loss", "grad", "hessian"):
        np.testing.assert_allclose(
            getattr(mm.model, name)(th), getattr(sym, name)(th), rtol=1e-12, atol=1e-12
        )


# ------------------------------------------------------------------ the line a = 0
LINE_B = np.linspace(-3.0, 3.0, 25)
LINE_S = np.geomspace(0.2, 5.0, 9)


@pytest.mark.claim(
    paper=PAPER,
    where="mean model ℓ_sym(a·g(b)), Hessian on a = 0 (the brief's reconstruction of the "
    "paper's mean model, D7; proofs_check threshold_mean_model; the 16π is the "
    "reconstruction's, not a constant read in the paper)",
    statement="∇²L(0, b) = diag(g(b)²/4, 0), so η*(b0) = 8/g(b0)², = 16π/s² at b0 = 0 "
    "(worst relative error over the grid b ∈ [−3, 3] (25) × s ∈ [0.2, 5] (9, geometric))",
    basis="derived",
)
def test_line_hessian_and_eta_star(claim):
    # a fixed grid, not hypothesis: the recorded numbers are the worst case over all points and
    # name where it occurs, so two runs report the same row
    bb, ss = np.meshgrid(LINE_B, LINE_S, indexing="ij")
    h_err, e_err, e0_err = [], [], []
    for b, s in zip(bb.ravel(), ss.ravel(), strict=True):
        mm = MeanModel(s)
        g = float(g_indep(b, s))
        H = mm.model.hessian([0.0, b])
        ref = np.array([[g * g / 4, 0.0], [0.0, 0.0]])
        h_err.append(float(np.max(np.abs(H - ref)) / (g * g / 4)))
        e_err.append(abs(float(mm.eta_star(b)) / (8 / g**2) - 1))
        e0_err.append(abs(float(mm.eta_star(0.0)) / (16 * np.pi / s**2) - 1))
    h_err, e_err, e0_err = map(np.array, (h_err, e_err, e0_err))

    def worst(err: np.ndarray) -> dict:
        k = int(np.argmax(err))
        return {"worst_at_b": float(bb.ravel()[k]), "worst_at_s": float(ss.ravel()[k])}

    # ℓ_sym'(0) = 0 kills every term but ℓ''(0)g² = g²/4, so H − diag(g²/4, 0) is rounding of
    # g²/4 (library g via ndtr vs scipy.stats.norm: ≤ a few ulp, 1e-15 relative; for b = −3,
    # s = 0.2 g ≈ 1e-80 but both sides are relative): 1e-13 leaves 100× room
    claim.check(predicted=0.0, measured=float(h_err.max()), tol=1e-13, **worst(h_err))
    # η*(b) = 8/g(b)²: the same rounding
    claim.check(predicted=0.0, measured=float(e_err.max()), tol=1e-13, **worst(e_err))
    # g(0) = s/√(2π) gives 8/g(0)² = 16π/s²: rounding only
    claim.check(predicted=0.0, measured=float(e0_err.max()), tol=1e-14, **worst(e0_err))


# ------------------------------------------------------------------ C8: the bias transition
C8_POINTS = np.array([0.5, 0.9, 0.99, 1.01, 1.05, 1.2, 1.5])
C8_GRID = np.linspace(0.5, 2.0, 16)


@pytest.fixture(scope="module")
def mean_runs():
    """One batched GD run over C8_POINTS and C8_GRID (in units of η* = 16π), s = 1."""
    mm = MeanModel(1.0)
    es = ETA_STAR
    ratios = np.concatenate([C8_POINTS, C8_GRID])
    tr = tm.gd(mm.model, [A0, 0.0], es * ratios, STEPS, record_every=0)
    assert not tr.diverged.any()  # precondition
    assert np.all(_converged(mm.model, tr.final))  # precondition
    b = tr.final[:, 1]
    sharp = tm.sharpness(mm.model, tr.final)
    # independent sharpness at the limits: the Hessian of ℓ_sym(a g(b)) is diag(g²/4, 0) + O(a)
    # terms (ℓ''·a·g·g' and ℓ'·g'), |a∞| < 1e-11 (‖∇L‖ < 1e-12, ∂L/∂a ≈ a g²/4)
    sharp_ref = g_indep(b) ** 2 / 4
    k = C8_POINTS.size
    return {
        "mm": mm,
        "eta_star": es,
        "ratios": ratios,
        "final": tr.final,
        "sharp": sharp,
        "sharp_ref": sharp_ref,
        "points": dict(zip(C8_POINTS.tolist(), b[:k].tolist(), strict=True)),
        "points_edge": dict(
            zip(C8_POINTS.tolist(), (es * ratios * sharp_ref / 2)[:k].tolist(), strict=True)
        ),
        "grid_b": b[k:],
        "grid_edge": (es * ratios * sharp / 2)[k:],
    }


@pytest.mark.claim(
    paper=PAPER,
    where=WHERE,
    statement="below η* no threshold neuron: |b∞| < 0.005 at η/η* ∈ {0.5, 0.9, 0.99}",
    basis="empirical",
)
def test_c8_no_bias_below_threshold(claim, mean_runs):
    b = [mean_runs["points"][r] for r in (0.5, 0.9, 0.99)]
    # below η* the a-oscillation decays, so b only moves by the GF-like O(a0²) drift plus the
    # slow decay near η* (brief: −4.2e-3 at 0.99η*); 0.005 is the brief's bound
    claim.check(predicted=0.0, measured=b, tol=0.005, eta_over_eta_star=[0.5, 0.9, 0.99])


@pytest.mark.claim(
    paper=PAPER,
    where=WHERE,
    statement="above η* a threshold neuron: b∞ < −0.01 at 1.01η* and b∞ < −0.04 at 1.05η*",
    basis="empirical",
)
def test_c8_negative_bias_above_threshold(claim, mean_runs):
    b101, b105 = mean_runs["points"][1.01], mean_runs["points"][1.05]
    # the mirror law (brief D6 on v = g(b)) gives b∞ ≈ −0.8(η/η* − 1): −0.008 / −0.04 plus the
    # O(a0) sub-threshold drift; the brief's bounds are empirical (measured −0.0123, −0.0420)
    claim.check(
        predicted=[-0.01, -0.04],
        measured=[b101, b105],
        relation="<=",
        eta_over_eta_star=[1.01, 1.05],
    )


@pytest.mark.claim(
    paper=PAPER,
    where=WHERE,
    statement="b∞(η) is non-increasing on 16 equally spaced η ∈ [0.5, 2]·η*",
    basis="empirical",
)
def test_c8_bias_monotone_in_eta(claim, mean_runs):
    b = mean_runs["grid_b"]
    # larger η ⇒ larger excess r0 − 1 ⇒ deeper overshoot of g(b); empirical on this grid
    # (the largest step is −3.1e-5, between 0.5η* and 0.6η*)
    claim.check(
        predicted=0.0,
        measured=float(np.diff(b).max()),
        relation="<=",
        note="max of b∞(η_{k+1}) − b∞(η_k)",
        b_inf=b,
    )


@pytest.mark.claim(
    paper=PAPER,
    where="mean model ℓ_sym(a·g(b)), s = 1, a0 = 0.01, b0 = 0 (the brief's reconstruction of "
    "the paper's mean model, D4 / D7; proofs_check threshold_mean_model: the GD Jacobian at "
    "a = 0 is diag(1 − ηg²/4, 1))",
    statement="at η/η* ∈ {1.05, 1.2, 1.5}: ¼g(b∞)² ≤ 2/η, i.e. b∞ ≤ g⁻¹(√(8/η)) < 0; and "
    "ηλ∞/2 ≤ 1 on the whole [0.5, 2]η* grid, λ∞ checked two-sided against g(b∞)²/4",
    basis="derived",
)
def test_c8_final_sharpness_and_bias_bound(claim, mean_runs):
    mm, es = mean_runs["mm"], mean_runs["eta_star"]
    # the sharpness itself, two-sided, on all 23 limits: vs g(b∞)²/4 with scipy's g; the O(a∞)
    # Hessian terms are < 1e-11 (fixture doc), so 1e-9
    claim.check(predicted=mean_runs["sharp_ref"], measured=mean_runs["sharp"], tol=1e-9, note="λ∞")
    ratios = np.array([1.05, 1.2, 1.5])
    b = np.array([mean_runs["points"][r] for r in ratios])
    eta = es * ratios
    bound_ref = np.array([bias_bound_indep(e) for e in eta])
    # the library's bias bound vs brentq on scipy's g (both xtol 1e-15): 1e-12
    claim.check(predicted=bound_ref, measured=mm.bias_bound(eta), tol=1e-12, note="g⁻¹(√(8/η))")
    # linear stability of the limit (exact given convergence, brief D4/D7); 1e-9 is rounding
    claim.check(
        predicted=1.0,
        measured=eta * g_indep(b) ** 2 / 8,
        tol=1e-9,
        relation="<=",
        note="ηg(b∞)²/8 ≤ 1",
        b_inf=b,
    )
    claim.check(predicted=bound_ref, measured=b, relation="<=", note="b∞ ≤ g⁻¹(√(8/η))")
    claim.check(predicted=0.0, measured=bound_ref, relation="<=", note="the bound is < 0")
    claim.check(
        predicted=1.0,
        measured=float(mean_runs["grid_edge"].max()),
        tol=1e-9,
        relation="<=",
        note="grid max of ηλ∞/2",
    )


@pytest.mark.claim(
    paper=PAPER,
    where="mean model ℓ_sym(a·g(b)), η > η* (brief §4.2; the mean-model form of the 'final "
    "sharpness = 2/η' reading of the paper's EoS theorem [recalled, not read] that the brief "
    "says to avoid)",
    statement="above η* the bias stops at the edge: b∞ = g⁻¹(√(8/η)) within 10% at "
    "η/η* ∈ {1.05, 1.2, 1.5}",
    basis="reconstruction",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted: b∞/g⁻¹(√(8/η)) = 2.17, 2.45, 3.46 at 1.05, 1.2, 1.5 η* (b∞ = −0.0420, "
    "−0.1756, −0.5399 vs bound −0.0194, −0.0716, −0.1561): the bias overshoots the edge ≈ 2×, "
    "ηλ∞/2 = 0.944, 0.759, 0.325",
)
def test_refuted_bias_stops_at_edge(claim, mean_runs):
    es = mean_runs["eta_star"]
    ratios = np.array([1.05, 1.2, 1.5])
    b = np.array([mean_runs["points"][r] for r in ratios])
    bound = np.array([bias_bound_indep(e) for e in es * ratios])  # independent of the library
    claim.check(
        predicted=1.0,
        measured=b / bound,
        rtol=0.1,  # "at the edge" read generously: a 10% band around the bound
        b_inf=b,
        edge=[mean_runs["points_edge"][r] for r in ratios],
    )


# ------------------------------------------------------------------ the phase transition
@pytest.mark.claim(
    paper=PAPER,
    where="mean model ℓ_sym(a·g(b)), step-size phase transition of the bias (the brief's "
    "reconstruction of the paper's mean model, D7; proofs_check threshold_mean_model; η* = 16π "
    "is the reconstruction's constant)",
    statement="s = 1, a0 = 1e-3, b0 = 0, T = 3e4: −b_T(η) crosses 1e-3 at η* = 8/g(0)² = 16π "
    "(rtol 2e-3)",
    basis="derived",
)
def test_transition_located_at_eta_star(claim):
    mm = MeanModel(1.0)
    es = ETA_STAR
    r = tm.locate_transition(
        lambda e: -mm.final_bias(e, 1e-3, 0.0, 30_000),
        0.9 * es,
        1.1 * es,
        level=1e-3,
        points=17,
        rounds=3,
    )
    assert r.converged  # precondition
    # above η* the mirror law shrinks g(b)² by ≈ 2(η/η* − 1), i.e. b∞ ≈ −0.8(η/η* − 1)
    # (g' = Φ(0) = ½, g(0) = 0.399); with the sub-threshold drift (b_T = −7e-4 at η*) the level
    # 1e-3 is crossed within 1e-3/0.8 = 1.25e-3 of η* (measured 1.0006, unchanged for T = 1e4
    # and 1e5), so rtol 2e-3 bounds the level-induced offset, not the grid
    claim.check(
        predicted=es,
        measured=r.eta,
        rtol=2e-3,
        ratio=r.eta / es,
        bracket=r.bracket,
        values=r.values,
    )
