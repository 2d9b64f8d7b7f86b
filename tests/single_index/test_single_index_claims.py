"""Claims §6.5.1–§6.5.4 of the research brief on Damian, Lee, Soltanolkotabi (COLT 2022).

The paper's body could not be read (brief §0): its claims are sample-complexity orders
(n ≍ d²r + dr^p for GD against n ≍ d^p for kernels) [SRC-abs], and the algorithm tested here is
the brief's §6.1 list, marked [RECALLED] (symmetric initialisation, one large first-layer step
with η₁λ₁ = 1, re-randomised biases, ridge on the second layer). So every claim is a
``reconstruction`` with thresholds from the brief (§6.5), calibrated here by measuring first where
the brief had not run them; none is a constant of the paper.

Independent computations. The library supplies the trained weights
(``single_index.one_step_weights`` / ``one_step_features`` / ``random_features``); the measured
numbers are computed here: the eigen-decomposition of W₁ᵀW₁, the cosines of the rows with u, and
the test error on a test sample drawn here with the target written as a Hermite_e series (not
the library's ``link``).

Measured (seeds 0..7, width m = 400; d = 20 unless stated):

* §6.5.1 spike at n = 8d²: median |cos(v₁, u)| = 0.965 (per seed 0.934–0.987), median
  λ₁/λ₂ = 4.44 (3.77–5.85): the brief's "gap ≥ 5×" fails (kept as a strict xfail); at
  n = 32d²: cos 0.993–0.994, gap 13.5–16.3 (3 seeds).
* §6.5.2 collapse: median alignment at n = 8d² is 0.724 / 0.659 / 0.660 for d = 10 / 20 / 40
  (spread 0.065 < 0.1); at n = d²/2 the medians are 0.295 / 0.450 / 0.363 ≤ 0.5, but single
  seeds reach 0.663 (d = 10) and 0.671 (d = 20): "all values ≤ 0.5" per seed is refuted.
* §6.5.3/4 at n = 8000 (3 seeds): one-step test error ≈ 0.10–0.25, random features ≈ 0.6–0.9
  (population errors E(f − y)²/E y², estimated by quadrature: see :func:`relative_error`).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial import hermite_e
from scipy.special import roots_hermitenorm

from toymodels.claims import ClaimDisagreement
from toymodels.models import single_index as si

DLS = "Damian, Lee, Soltanolkotabi (COLT 2022)"
RECALLED = "algorithm: brief §6.1 [RECALLED], not read in the paper; reconstruction"
WIDTH = 400
G_HERME = [0.0, 0.0, 1 / np.sqrt(2), 0.0, 1 / np.sqrt(24)]
TEST_SEED = 2_022_06_15
N_PERP = 1000


def spike(W1: np.ndarray, u: np.ndarray) -> tuple[float, float]:
    """(|cos(v₁, u)|, λ₁/λ₂) of the Gram matrix W₁ᵀW₁ (computed here)."""
    ev, V = np.linalg.eigh(W1.T @ W1)
    return float(abs(V[:, -1] @ u)), float(ev[-1] / ev[-2])


def mean_abs_cos(W: np.ndarray, u: np.ndarray) -> float:
    return float(np.mean(np.abs(W @ u) / np.linalg.norm(W, axis=1)))


def relative_error(res: si.FeatureResult) -> float:
    """E(f − y)²/E y² (E y² = 2), computed here: the error is dominated by the quartic tail of y
    (a plain test sample of 10⁴ points scatters by ±50 %), so z = u·x is integrated by
    Gauss–Hermite quadrature (scipy's ``roots_hermitenorm``, 48 nodes) and the orthogonal part
    by Monte Carlo (N_PERP points of a generator seeded here), with the target as a Hermite_e
    series (not the library's ``link`` or ``population_error``)."""
    z, w = roots_hermitenorm(48)
    w = w / w.sum()
    rng = np.random.default_rng(TEST_SEED)
    xi = rng.standard_normal((N_PERP, res.d))
    xi -= np.outer(xi @ res.u, res.u)
    pre, rho = xi @ res.W.T + res.b, res.W @ res.u
    g = hermite_e.hermeval(z, G_HERME)
    per_node = [
        np.mean((np.maximum(pre + zq * rho, 0.0) @ res.a - gq) ** 2)
        for zq, gq in zip(z, g, strict=True)
    ]
    return float(np.dot(w, per_node) / 2.0)


# ------------------------------------------------------------------ §6.5.1 spike
def _spikes(d: int, ratio: float, seeds: range) -> np.ndarray:
    u = np.eye(d)[0]
    return np.array(
        [spike(si.one_step_weights(d, WIDTH, int(ratio * d * d), s)[2], u) for s in seeds]
    )


@pytest.mark.claim(
    paper=DLS,
    where=f"brief §6.5.1 'spike' (thresholds calibrated here: the brief had not run it); "
    f"{RECALLED}",
    statement="d = 20, m = 400, one step W₁ = −∇_W L(θ₀): at n = 8d² the top eigenvector of "
    "W₁ᵀW₁ has median |cos(v₁, u)| ≥ 0.95 and median eigen-gap λ₁/λ₂ ≥ 3 over 8 seeds; at "
    "n = 32d² every seed (3) has |cos| ≥ 0.99 and λ₁/λ₂ ≥ 5",
    basis="reconstruction",
)
def test_spike_calibrated(claim):
    s8 = _spikes(20, 8, range(8))
    claim.check(predicted=0.95, measured=float(np.median(s8[:, 0])), relation=">=", n_over_d2=8)
    claim.check(predicted=3.0, measured=float(np.median(s8[:, 1])), relation=">=", n_over_d2=8)
    s32 = _spikes(20, 32, range(3))
    claim.check(predicted=0.99, measured=s32[:, 0].tolist(), relation=">=", n_over_d2=32)
    claim.check(predicted=5.0, measured=s32[:, 1].tolist(), relation=">=", n_over_d2=32)


@pytest.mark.claim(
    paper=DLS,
    where=f"brief §6.5.1 'spike', the brief's thresholds (not run in the brief); {RECALLED}",
    statement="d = 20, n = 8d², m = 400: the top eigenvector of W₁ᵀW₁ has |cos| with u ≥ 0.95 "
    "and its eigen-gap to the next eigenvalue is ≥ 5× (median over 8 seeds)",
    basis="reconstruction",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted at n = 8d²: median λ₁/λ₂ = 4.44 < 5 (per seed 3.77–5.85, 2 of 8 seeds ≥ 5); "
    "the cosine holds (median 0.965; per seed 0.934–0.987). The gap is noise-limited and grows "
    "with n: 13.5–16.3 at n = 32d²",
)
def test_spike_brief_threshold(claim):
    s8 = _spikes(20, 8, range(8))
    claim.check(predicted=0.95, measured=float(np.median(s8[:, 0])), relation=">=", what="cos")
    claim.check(
        predicted=5.0,
        measured=float(np.median(s8[:, 1])),
        relation=">=",
        per_seed=s8[:, 1].round(3).tolist(),
        what="λ₁/λ₂",
    )


# ------------------------------------------------------------------ §6.5.2 d² collapse
DIMS = (10, 20, 40)
SEEDS = range(8)


@pytest.fixture(scope="module")
def alignments() -> dict[float, np.ndarray]:
    """ratio → (len(DIMS), len(SEEDS)) mean |cos(w_j, e₁)| of the first-step rows."""
    out = {}
    for ratio in (0.5, 8.0):
        out[ratio] = np.array(
            [
                [
                    mean_abs_cos(
                        si.one_step_weights(d, WIDTH, int(ratio * d * d), s)[2], np.eye(d)[0]
                    )
                    for s in SEEDS
                ]
                for d in DIMS
            ]
        )
    return out


@pytest.mark.claim(
    paper=DLS,
    where=f"brief §6.5.2 'd² collapse' (median over 8 seeds); {RECALLED}",
    statement="m = 400, d ∈ {10, 20, 40}: at n = 8d² the median (over 8 seeds) first-step "
    "alignment mean_j |cos(w_j, u)| varies by less than 0.1 across d; at n = d²/2 every median "
    "is ≤ 0.5",
    basis="reconstruction",
)
def test_d2_collapse(claim, alignments):
    med8 = np.median(alignments[8.0], axis=1)
    claim.check(
        predicted=0.1,
        measured=float(med8.max() - med8.min()),
        relation="<=",
        medians=med8.round(4).tolist(),
        what="spread across d at n = 8d²",
    )
    med_half = np.median(alignments[0.5], axis=1)
    claim.check(predicted=0.5, measured=med_half.tolist(), relation="<=", what="n = d²/2")
    # the alignment is learned, not the chance level E|cos| ≈ √(2/(πd)) of random rows
    chance = np.sqrt(2 / (np.pi * np.array(DIMS)))
    claim.check(predicted=(chance + 0.3).tolist(), measured=med8.tolist(), relation=">=")


@pytest.mark.claim(
    paper=DLS,
    where=f"brief §6.5.2 'd² collapse', 'at n = d²/2 all values are ≤ 0.5', per seed; {RECALLED}",
    statement="m = 400, n = d²/2, d ∈ {10, 20, 40}: the first-step alignment is ≤ 0.5 for each "
    "of 8 seeds",
    basis="reconstruction",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted per seed: at n = d²/2 single seeds reach 0.663 (d = 10, n = 50) and 0.671 "
    "(d = 20, n = 200); the medians 0.295 / 0.450 / 0.363 do satisfy the bound (the brief's "
    "table, one seed per cell, gave 0.468 / 0.447 / 0.402)",
)
def test_d2_half_per_seed(claim, alignments):
    claim.check(
        predicted=0.5,
        measured=alignments[0.5].max(axis=1).tolist(),
        relation="<=",
        what="max over seeds, per d",
    )


# ------------------------------------------------------------------ §6.5.3/4 against the kernel
D, N = 20, 8000
MSE_SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def errors() -> dict[str, np.ndarray]:
    """Test errors (computed here) of one-step and random features, d = 20, n = 8000."""
    out: dict[str, list[float]] = {"one_step": [], "random": [], "lib_one_step": []}
    for s in MSE_SEEDS:
        one = si.one_step_features(D, WIDTH, N, s, n_test=200)
        rf = si.random_features(D, WIDTH, N, s, n_test=200)
        out["one_step"].append(relative_error(one))
        out["random"].append(relative_error(rf))
        out["lib_one_step"].append(one.test_mse)
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.claim(
    paper=DLS,
    where=f"brief §6.5.3 'beats the kernel'; abstract: GD n ≍ d²r + dr^p vs kernels n ≍ d^p "
    f"[SRC-abs]; {RECALLED}",
    statement="d = 20, n = 8000, m = 400, ridge 1e-3: the test error of one-step features is "
    "≤ 0.5 × that of random features (same width, ridge, biases, ridge sample), median of 3 seeds",
    basis="reconstruction",
)
def test_beats_random_features(claim, errors):
    one, rf = np.median(errors["one_step"]), np.median(errors["random"])
    claim.check(
        predicted=0.5 * rf,
        measured=float(one),
        relation="<=",
        one_step=errors["one_step"].round(4).tolist(),
        random=errors["random"].round(4).tolist(),
    )
    # the library's own estimate (another orthogonal sample, 200 points) agrees with this one
    np.testing.assert_allclose(errors["lib_one_step"], errors["one_step"], rtol=0.1)


@pytest.mark.claim(
    paper=DLS,
    where=f"brief §6.5.4 'kernel plateau' (He₄ share of E y² = 0.5; He₄ needs n ~ d⁴ = "
    f"1.6·10⁵); {RECALLED}",
    statement="random features at d = 20, m = 400, n = 8000 (the largest n of the claim) have "
    "test error ≥ 0.5 for each of 3 seeds",
    basis="reconstruction",
)
def test_kernel_plateau(claim, errors):
    claim.check(predicted=0.5, measured=errors["random"].tolist(), relation=">=", n=N)


@pytest.mark.slow
@pytest.mark.claim(
    paper=DLS,
    where=f"brief §6.5.3–4 over the brief's n grid, and against random features with 2n points "
    f"(the one-step net's total); {RECALLED}",
    statement="d = 20, m = 400, 3 seeds: random features stay ≥ 0.5 for n ∈ {500, …, 8000}; "
    "at n = 8000 one-step features are ≤ 0.5 × random features fitted on 2n = 16000 points",
    basis="reconstruction",
)
def test_kernel_plateau_grid(claim):
    for n in (500, 1000, 2000, 4000, 8000):
        rf = [relative_error(si.random_features(D, WIDTH, n, s, n_test=200)) for s in MSE_SEEDS]
        claim.check(predicted=0.5, measured=rf, relation=">=", n=n)
    one = [relative_error(si.one_step_features(D, WIDTH, N, s, n_test=200)) for s in MSE_SEEDS]
    rf2 = [relative_error(si.random_features(D, WIDTH, 2 * N, s, n_test=200)) for s in MSE_SEEDS]
    claim.check(
        predicted=0.5 * float(np.median(rf2)), measured=float(np.median(one)), relation="<="
    )
