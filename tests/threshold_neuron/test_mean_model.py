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
from hypothesis import given
from hypothesis import strategies as st

import toymodels as tm
from toymodels.models.threshold_neuron import MeanModel

PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023)"
WHERE = "mean model ℓ_sym(a·g(b)), s = 1, a0 = 0.01, b0 = 0 (reconstruction, brief D7 / C8)"
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
@pytest.mark.claim(
    paper=PAPER,
    where="mean model ℓ_sym(a·g(b)), Hessian on a = 0 (reconstruction, brief D7; the 16π is "
    "the reconstruction's, not a constant read in the paper)",
    statement="∇²L(0, b) = diag(g(b)²/4, 0), so η*(b0) = 8/g(b0)², = 16π/s² at b0 = 0",
)
@given(b=st.floats(-3, 3), s=st.floats(0.2, 5))
def test_line_hessian_and_eta_star(claim, b, s):
    mm = MeanModel(s)
    H = mm.model.hessian([0.0, b])
    g = float(mm.g(b))
    # ℓ_sym'(0) = 0 kills every term but ℓ''(0)g² = g²/4; g(0) = s/√(2π) gives 8/g(0)² = 16π/s²
    np.testing.assert_allclose(H, [[g * g / 4, 0.0], [0.0, 0.0]], rtol=1e-14, atol=0.0)
    claim.check(
        predicted=16 * np.pi / s**2, measured=mm.eta_star(0.0), rtol=1e-14, eta_star_b=8 / g**2
    )
    assert mm.eta_star(b) == pytest.approx(8 / g**2, rel=1e-14)


# ------------------------------------------------------------------ C8: the bias transition
C8_POINTS = np.array([0.5, 0.9, 0.99, 1.01, 1.05, 1.2, 1.5])
C8_GRID = np.linspace(0.5, 2.0, 16)


@pytest.fixture(scope="module")
def mean_runs():
    """One batched GD run over C8_POINTS and C8_GRID (in units of η* = 16π), s = 1."""
    mm = MeanModel(1.0)
    es = mm.eta_star()
    ratios = np.concatenate([C8_POINTS, C8_GRID])
    tr = tm.gd(mm.model, [A0, 0.0], es * ratios, STEPS, record_every=0)
    assert not tr.diverged.any()
    assert np.all(_converged(mm.model, tr.final))
    b = tr.final[:, 1]
    edge = es * ratios * tm.sharpness(mm.model, tr.final) / 2
    k = C8_POINTS.size
    return {
        "mm": mm,
        "eta_star": es,
        "points": dict(zip(C8_POINTS.tolist(), b[:k].tolist(), strict=True)),
        "points_edge": dict(zip(C8_POINTS.tolist(), edge[:k].tolist(), strict=True)),
        "grid_b": b[k:],
        "grid_edge": edge[k:],
    }


@pytest.mark.claim(
    paper=PAPER,
    where=WHERE,
    statement="below η* no threshold neuron: |b∞| < 0.005 at η/η* ∈ {0.5, 0.9, 0.99}",
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
)
def test_c8_negative_bias_above_threshold(claim, mean_runs):
    b101, b105 = mean_runs["points"][1.01], mean_runs["points"][1.05]
    # the mirror law (brief D6 on v = g(b)) gives b∞ ≈ −0.8(η/η* − 1): −0.008 / −0.04 plus the
    # O(a0) sub-threshold drift; the brief's bounds are empirical (measured −0.0123, −0.0420)
    claim.record(predicted=[-0.01, -0.04], measured=[b101, b105], note="upper bounds")
    assert b101 < -0.01
    assert b105 < -0.04


@pytest.mark.claim(
    paper=PAPER,
    where=WHERE,
    statement="b∞(η) is non-increasing on 16 equally spaced η ∈ [0.5, 2]·η*",
)
def test_c8_bias_monotone_in_eta(claim, mean_runs):
    b = mean_runs["grid_b"]
    # larger η ⇒ larger excess r0 − 1 ⇒ deeper overshoot of g(b); empirical on this grid
    # (the largest step is −3.1e-5, between 0.5η* and 0.6η*)
    claim.record(
        predicted=0.0,
        measured=float(np.diff(b).max()),
        note="max of b∞(η_{k+1}) − b∞(η_k); must be ≤ 0",
        b_inf=b,
    )
    assert np.all(np.diff(b) <= 0)


@pytest.mark.claim(
    paper=PAPER,
    where=WHERE,
    statement="at η/η* ∈ {1.05, 1.2, 1.5}: ¼g(b∞)² ≤ 2/η, i.e. b∞ ≤ g⁻¹(√(8/η)) < 0; and "
    "ηλ∞/2 ≤ 1 on the whole [0.5, 2]η* grid",
)
def test_c8_final_sharpness_and_bias_bound(claim, mean_runs):
    mm, es = mean_runs["mm"], mean_runs["eta_star"]
    ratios = np.array([1.05, 1.2, 1.5])
    b = np.array([mean_runs["points"][r] for r in ratios])
    eta = es * ratios
    edge = eta * mm.g(b) ** 2 / 8  # η·(¼g²)/2
    bound = mm.bias_bound(eta)
    # linear stability of the limit (exact given convergence, brief D4/D7); 1e-9 is rounding
    claim.record(predicted=1.0, measured=edge, note="ηg(b∞)²/8 ≤ 1", b_inf=b, bound=bound)
    claim.record(predicted=1.0, measured=float(mean_runs["grid_edge"].max()), note="grid max")
    assert np.all(edge <= 1 + 1e-9)
    assert np.all(b <= bound) and np.all(bound < 0)
    assert np.all(mean_runs["grid_edge"] <= 1 + 1e-9)


@pytest.mark.claim(
    paper=PAPER,
    where="mean model ℓ_sym(a·g(b)), η > η* (reconstruction, brief §4.2; the mean-model form "
    "of the 'final sharpness = 2/η' reading the brief says to avoid)",
    statement="above η* the bias stops at the edge: b∞ = g⁻¹(√(8/η)) within 10% at "
    "η/η* ∈ {1.05, 1.2, 1.5}",
)
@pytest.mark.xfail(
    reason="refuted: b∞/g⁻¹(√(8/η)) = 2.17, 2.45, 3.46 at 1.05, 1.2, 1.5 η* (b∞ = −0.0420, "
    "−0.1756, −0.5399 vs bound −0.0194, −0.0716, −0.1561): the bias overshoots the edge ≈ 2×, "
    "ηλ∞/2 = 0.944, 0.759, 0.325",
    strict=True,
)
def test_refuted_bias_stops_at_edge(claim, mean_runs):
    mm, es = mean_runs["mm"], mean_runs["eta_star"]
    ratios = np.array([1.05, 1.2, 1.5])
    b = np.array([mean_runs["points"][r] for r in ratios])
    claim.check(
        predicted=1.0,
        measured=b / mm.bias_bound(es * ratios),
        rtol=0.1,
        b_inf=b,
        edge=[mean_runs["points_edge"][r] for r in ratios],
    )


# ------------------------------------------------------------------ the phase transition
@pytest.mark.claim(
    paper=PAPER,
    where="mean model ℓ_sym(a·g(b)), step-size phase transition of the bias (reconstruction, "
    "brief D7; η* = 16π is the reconstruction's constant)",
    statement="s = 1, a0 = 1e-3, b0 = 0, T = 3e4: −b_T(η) crosses 1e-3 at η* = 8/g(0)² = 16π "
    "(rtol 2e-3)",
)
def test_transition_located_at_eta_star(claim):
    mm = MeanModel(1.0)
    es = mm.eta_star()
    r = tm.locate_transition(
        lambda e: -mm.final_bias(e, 1e-3, 0.0, 30_000),
        0.9 * es,
        1.1 * es,
        level=1e-3,
        points=17,
        rounds=3,
    )
    assert r.converged
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
