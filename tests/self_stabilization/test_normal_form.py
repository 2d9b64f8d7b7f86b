"""Claims T3–T6 on Model A, the normal form of self-stabilization, plus the brief's extras.

Model A (research brief self_stabilization.md §3.1): L_A(x, z1, z2) = ½(z − m)ᵀK(z − m) + ½z₁x².
GD on it is exactly the 2-D map of Damian, Nichani, Lee's four stages (ICLR 2023), so the
self-stabilization predictions become exact statements: the EoS 2-cycle (±√(2α_c), z_c) centred on
the constrained minimiser, the time-average identity mean x² = 2·mean α − 2Δy/(ηT) (the central-flow
σ² of Cohen, Damian et al. ICLR 2025), and the stability threshold r = ηm₁/2 < 5/4 of the
decoupled orbit. The body of Damian et al. could not be read (brief §0): these facts are the
brief's derivations, proven symbolically in ``proofs_check.self_stabilization`` (basis
``derived``); the GD runs are the library's.

Every prediction is computed here from the formulas (α_c, z_c, ρ₂ written out in this file, the
GD map written out for T3), never read back from ``toymodels.models.self_stabilization``.

Refuted beyond the regime (strict xfails, brief §3.2, §7): past the threshold (η = 0.12, coupled
K) GD does not settle on the 2-cycle, and both the time-averaged loss L(z_c) + 2α_c/η and the
centre z₁ = 2/η fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

import toymodels as tm
from toymodels.claims import ClaimDisagreement
from toymodels.models import self_stabilization as ss

DAMIAN = "Damian, Nichani, Lee (ICLR 2023)"
CENTRAL = "Cohen, Damian, Talwalkar, Kolter, Lee (ICLR 2025)"
MA = "Ma, Kunin, Wu, Ying (JML 2022)"
EPS = np.finfo(float).eps

K = np.array([[0.5, 0.3], [0.3, 1.0]])
M = np.array([22.0, 4.0])
THETA0 = np.array([1e-3, 0.0, 0.0])
T_LONG = 20_000
ETAS_T5 = np.array([0.10, 0.11, 0.115])
ETA_DEEP = 0.12  # past the stability threshold (brief §3.2)


# ------------------------------------------------------------------ independent references
def alpha_c(k: np.ndarray, m: np.ndarray, eta: float) -> float:
    """α_c = (m₁ − 2/η)(K₁₁ − K₁₂²/K₂₂) (brief §3.1)."""
    return (m[0] - 2 / eta) * (k[0, 0] - k[0, 1] ** 2 / k[1, 1])


def z_c(k: np.ndarray, m: np.ndarray, eta: float) -> np.ndarray:
    """z_c = (2/η, m₂ − (K₁₂/K₂₂)(2/η − m₁)) (brief §3.1)."""
    return np.array([2 / eta, m[1] - k[0, 1] / k[1, 1] * (2 / eta - m[0])])


def loss_a(k: np.ndarray, m: np.ndarray, th: np.ndarray) -> np.ndarray:
    d = th[..., 1:] - m
    return 0.5 * np.einsum("...i,ij,...j->...", d, k, d) + 0.5 * th[..., 1] * th[..., 0] ** 2


def hessian_a(k: np.ndarray, th: np.ndarray) -> np.ndarray:
    """H_A = [[z₁, x, 0], [x, K₁₁, K₁₂], [0, K₁₂, K₂₂]] (brief §3.1)."""
    th = np.atleast_2d(th)
    h = np.zeros((len(th), 3, 3))
    h[:, 0, 0] = th[:, 1]
    h[:, 0, 1] = h[:, 1, 0] = th[:, 0]
    h[:, 1:, 1:] = k
    return h


def rho2_formula(kappa: float, eta: float, ac: float) -> float:
    """ρ₂ = 1 − ηκ + 2η²α_c (brief §1.4(2), decoupled, κ² < 8α_c)."""
    return 1 - eta * kappa + 2 * eta**2 * ac


@pytest.fixture(scope="module")
def model_a() -> tm.Model:
    return ss.normal_form_model(K, M)


@pytest.fixture(scope="module")
def table(model_a):
    """One batched GD run over η ∈ {0.10, 0.11, 0.115, 0.12}, 20000 steps (brief §3.2)."""
    etas = np.append(ETAS_T5, ETA_DEEP)
    tr = tm.gd(model_a, THETA0, etas, T_LONG)
    assert not np.any(tr.diverged)
    return etas, tr


# ------------------------------------------------------------------ T3
@pytest.mark.claim(
    paper=DAMIAN,
    where="four stages, Fig. 2 'simple loss function' (App. B, unread); brief §1.4 (M0), §3.1, "
    "claim T3; proofs_check selfstab_normal_form_is_stage_map",
    statement="GD on Model A (K = [[.5, .3], [.3, 1]], m = (22, 4), η = 0.11, 20000 steps) is "
    "exactly x' = −(1 + ηy)x, y' = y + η(α(z) − x²/2), y = z₁ − 2/η, α(z) = −e₁ᵀK(z − m) "
    "(max residual ≤ 1e-12)",
    basis="derived",
)
def test_t3_gd_is_the_stage_map(claim, table):
    etas, tr = table
    i = 1
    eta = etas[i]
    th = tr.theta[:, i]
    x, z = th[:, 0], th[:, 1:]
    y = z[:, 0] - 2 / eta
    alpha = -((z - M) @ K[0])
    x_pred = -(1 + eta * y[:-1]) * x[:-1]
    y_pred = y[:-1] + eta * (alpha[:-1] - x[:-1] ** 2 / 2)
    # rounding only: ≈ 10 operations on numbers ≤ |z| ≈ 25 per step, i.e. ≲ 10·25·ε ≈ 6e-14;
    # a 1% error in the ½z₁x² coupling would give η·0.01·x²/2 ≈ 3e-3
    scale = float(np.max(np.abs(th)))
    tol = 200 * scale * EPS
    claim.check(predicted=0.0, measured=float(np.max(np.abs(x[1:] - x_pred))), tol=tol, what="x")
    claim.check(predicted=0.0, measured=float(np.max(np.abs(y[1:] - y_pred))), tol=tol, what="y")
    # decoupled: exactly (M1) with κ = K₁₁, α_c = K₁₁(m₁ − 2/η), β = 1
    kd, md, ed = np.diag([0.5, 1.0]), np.array([25.0, 3.0]), 0.1
    trd = tm.gd(ss.normal_form_model(kd, md), [1e-2, 10.0, 0.0], ed, 2000)
    xd, yd = trd.theta[:, 0], trd.theta[:, 1] - 2 / ed
    acd = 0.5 * (25.0 - 2 / ed)
    yd_pred = (1 - ed * 0.5) * yd[:-1] + ed * (acd - xd[:-1] ** 2 / 2)
    tol_d = 200 * float(np.max(np.abs(trd.theta))) * EPS
    claim.check(predicted=0.0, measured=float(np.max(np.abs(yd[1:] - yd_pred))), tol=tol_d)


# ------------------------------------------------------------------ T4
@pytest.mark.claim(
    paper=CENTRAL,
    where="central flow σ² = 2⟨−∇L, ∇S⟩/‖∇S‖² [SRC-web]; Damian δ² = 2α/β; brief §1.4(4), "
    "claim T4; proofs_check selfstab_normal_form_is_stage_map",
    statement="Model A, 20000 steps, η ∈ {0.10, 0.11, 0.115, 0.12}: mean x² = 2·mean α − "
    "2(y_T − y_0)/(ηT) (rtol 1e-11), also past the stability threshold",
    basis="derived",
)
def test_t4_time_average_identity(claim, table):
    etas, tr = table
    for i, eta in enumerate(etas):
        th = tr.theta[:, i]
        x, z = th[:, 0], th[:, 1:]
        y = z[:, 0] - 2 / eta
        alpha = -((z - M) @ K[0])
        T = len(th) - 1
        predicted = 2 * np.mean(alpha[:-1]) - 2 * (y[-1] - y[0]) / (eta * T)
        measured = np.mean(x[:-1] ** 2)
        # summing T3 over T steps: per-step rounding ≲ 1e-13 in y, divided by η and averaged,
        # ≲ 2e-12 absolute against mean x² ≈ 1.6…4.4: rtol 1e-11
        claim.check(predicted=predicted, measured=measured, rtol=1e-11, eta=eta)


# ------------------------------------------------------------------ T5
@pytest.mark.claim(
    paper=DAMIAN,
    where="constrained trajectory θ† (PGD onto S ≤ 2/η) and δ² = 2α/β [SRC-code]; Cohen et al. "
    "2021 'hovers just above 2/η'; brief §3.2, claim T5; proofs_check selfstab_two_cycle, "
    "selfstab_kkt_multiplier",
    statement="Model A, η ∈ {0.10, 0.11, 0.115}: G∘G(±√(2α_c), z_c) = (±√(2α_c), z_c) (1e-12); "
    "GD from (1e-3, 0, 0) ends at |x_T| = √(2α_c) and z_T = z_c (1e-10); the time-averaged "
    "loss is L(z_c) + 2α_c/η (rtol 1e-10); S at the midpoint = 2/η (1e-9) and S at the iterates "
    "> 2/η",
    basis="derived",
)
def test_t5_two_cycle_centred_on_constrained_minimizer(claim, model_a, table):
    _, tr = table
    for i, eta in enumerate(ETAS_T5):
        ac, zc = alpha_c(K, M, eta), z_c(K, M, eta)
        d = np.sqrt(2 * ac)
        cyc = np.array([[d, *zc], [-d, *zc]])
        G = tm.gd_map(model_a, eta)
        # two GD steps on numbers ≤ 25: rounding ≲ 1e-14
        res = float(np.max(np.abs(G(G(cyc)) - cyc)))
        claim.check(predicted=0.0, measured=res, tol=1e-12, eta=eta, what="G∘G residual")
        # the orbit attracts at rate ρ₂ ≤ 0.994 per two steps; the last transient error > 1e-6
        # is gone by step ~5400, so after 20000 steps only the rounding floor
        # ε·|θ|/(1 − ρ₂) ≈ 1e-12 remains
        end = tr.theta[-1, i]
        claim.check(predicted=d, measured=abs(end[0]), tol=1e-10, eta=eta, what="|x_T|")
        claim.check(predicted=zc, measured=end[1:], tol=1e-10, eta=eta, what="z_T")
        lz = float(loss_a(K, M, np.array([0.0, *zc])))
        pred_loss = lz + 2 * ac / eta
        mean_loss = float(np.mean(tr.loss[-2:, i]))
        claim.check(predicted=pred_loss, measured=mean_loss, rtol=1e-10, eta=eta, what="loss")
        mid = 0.5 * (tr.theta[-1, i] + tr.theta[-2, i])
        s_mid = float(tm.sharpness(model_a, mid))
        claim.check(predicted=2 / eta, measured=s_mid, tol=1e-9, eta=eta, what="S(midpoint)")
        s_it = float(tm.sharpness(model_a, tr.theta[-1, i]))
        s_ref = float(np.linalg.eigvalsh(hessian_a(K, tr.theta[-1, i]))[0, -1])
        claim.check(
            predicted=2 / eta,
            measured=s_it,
            relation=">=",
            eta=eta,
            ratio=s_it * eta / 2,
            what="S(iterate) above 2/η",
        )
        claim.check(predicted=s_ref, measured=s_it, rtol=1e-12, eta=eta, what="S(iterate)")


# ------------------------------------------------------------------ refuted past the threshold
def _deep_window(table):
    etas, tr = table
    i = len(etas) - 1
    return etas[i], tr.theta[-4000:, i], tr.loss[-4000:, i]


@pytest.mark.claim(
    paper=CENTRAL,
    where="E[L] = L(w) + tr Σ/η at the central-flow stationary point [SRC-web]; brief §3.2 "
    "row η = 0.120, §7 'deep EoS'",
    statement="Model A, η = 0.12 (ρ₂ > 1): the mean loss over the last 4000 of 20000 steps "
    "equals L(z_c) + 2α_c/η = 42.28 (rtol 1e-2)",
    basis="derived",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted beyond regime: past the threshold GD runs relaxation cycles; mean L_GD over "
    "the last 4000 steps 30.82 vs predicted 42.28 (brief: 31.29 vs 42.28)",
)
def test_t5_refuted_past_threshold_loss(claim, table):
    eta, _, loss = _deep_window(table)
    ac, zc = alpha_c(K, M, eta), z_c(K, M, eta)
    pred = float(loss_a(K, M, np.array([0.0, *zc]))) + 2 * ac / eta
    claim.check(predicted=pred, measured=float(np.mean(loss)), rtol=1e-2, eta=eta)


@pytest.mark.claim(
    paper=DAMIAN,
    where="GD follows the constrained trajectory θ† [SRC-abs]; brief §7 'deep EoS breaks "
    "centre = θ†'",
    statement="Model A, η = 0.12: GD's time-averaged z₁ over the last 4000 of 20000 steps "
    "equals the constrained minimiser's z₁ = 2/η = 16.67 (rtol 1e-2)",
    basis="derived",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted beyond regime: mean z₁ = 18.17 vs 2/η = 16.67 (+9%; brief: 18.15)",
)
def test_t5_refuted_past_threshold_centre(claim, table):
    eta, th, _ = _deep_window(table)
    claim.check(predicted=2 / eta, measured=float(np.mean(th[:, 1])), rtol=1e-2, eta=eta)


# ------------------------------------------------------------------ T6
KD = np.diag([0.5, 1.0])
ETA_D = 0.1


def _decoupled_rho(r: float, kappa: float = 0.5, eta: float = ETA_D) -> tuple[float, tm.Cycle]:
    """max |multiplier| of the 2-cycle of the library's GD map (Newton + Jacobian product)."""
    k = np.diag([kappa, 1.0])
    m = np.array([2 * r / eta, 0.0])
    G = tm.gd_map(ss.normal_form_model(k, m), eta)
    ac = kappa * (m[0] - 2 / eta)
    cyc = tm.find_cycle(G, [np.sqrt(2 * ac), 2 / eta, 0.0], 2)
    assert cyc.converged and cyc.period == 2
    return float(np.max(np.abs(cyc.multipliers))), cyc


@pytest.mark.claim(
    paper=DAMIAN,
    where="self-stabilization 2-cycle; brief §1.4(2), §3.2, claim T6; proofs_check "
    "selfstab_two_step_radius",
    statement="decoupled Model A, K = diag(0.5, 1), η = 0.1, m₁ = 2r/η: the 2-cycle's 2-step "
    "spectral radius is 1 − ηK₁₁ + 2η²α_c (tol 1e-12): 0.97, 0.99 (< 1) at r = 1.1, 1.2 and "
    "1.01, 1.03 (> 1) at r = 1.3, 1.4; ρ₂ = 1 exactly at r = 5/4, for any κ, η",
    basis="derived",
)
def test_t6_stability_threshold(claim):
    for r in (1.1, 1.2, 1.3, 1.4):
        rho, cyc = _decoupled_rho(r)
        ac = 0.5 * (2 * r / ETA_D - 2 / ETA_D)
        pred = rho2_formula(0.5, ETA_D, ac)
        # multipliers of a product of two 3×3 Jacobians with entries ≤ 1.5: rounding ≲ 1e-15
        claim.check(predicted=pred, measured=rho, tol=1e-12, r=r)
        rel = "<=" if r < 1.25 else ">="
        claim.check(predicted=1.0, measured=rho, relation=rel, r=r, stable=cyc.stable)
        assert cyc.stable is (r < 1.25)
    # the threshold itself, located on the library's multipliers (dρ₂/dr = 4ηκ), and its
    # universality (derived: ρ₂ − 1 = ηκ(4r − 5)) at a second (κ, η)
    for kappa, eta in ((0.5, 0.1), (0.2, 0.05)):
        r_star = brentq(
            lambda r, k=kappa, e=eta: _decoupled_rho(r, k, e)[0] - 1, 1.1, 1.4, xtol=1e-14
        )
        # |Δρ₂| ≲ 1e-15 moves the root by 1e-15/(4ηκ) ≤ 1e-14
        claim.check(predicted=1.25, measured=r_star, tol=1e-10, kappa=kappa, eta=eta)
    claim.check(predicted=1.25, measured=ss.decoupled_threshold(), tol=0.0, what="library r*")
    # the library's closed form ρ₂ against the measured multipliers (K₁₁ ≠ K₂₂, so a swapped
    # diagonal entry shows)
    for r in (1.1, 1.3):
        rho, _ = _decoupled_rho(r)
        lib = ss.two_step_spectral_radius(np.diag([0.5, 1.0]), [2 * r / ETA_D, 0.0], ETA_D)
        claim.check(predicted=rho, measured=lib, tol=1e-12, r=r, what="library rho2")


# ------------------------------------------------------------------ extra: overshoot law
OVERSHOOT_SEEDS = 5 * 10.0 ** -np.arange(3, 16, 2)  # x_c = 5e-3 … 5e-15


def _first_peaks(eta: float, steps: int, kappa: float = 0.01, alpha: float = 0.8):
    """Decoupled Model A with α_c = α from (x_c, 2/η, 0): the first peak of y = z₁ − 2/η."""
    m1 = 2 / eta + alpha / kappa
    A = ss.normal_form_model(np.diag([kappa, 1.0]), [m1, 0.0])
    th0 = np.column_stack([OVERSHOOT_SEEDS, np.full(7, 2 / eta), np.zeros(7)])
    tr = tm.gd(A, th0, eta, steps)
    y = tr.theta[..., 1] - 2 / eta
    peaks = []
    for i in range(len(OVERSHOOT_SEEDS)):
        t_end = 1 + int(np.argmax(y[1:, i] < 0))
        assert t_end > 1 and not np.any(np.isnan(y[:t_end, i]))  # the first peak is complete
        peaks.append(float(np.max(y[:t_end, i])))
    return np.array(peaks)


@pytest.mark.claim(
    paper=DAMIAN,
    where="stage 2 blow-up and stage 3 self-stabilization; brief §1.4(5), §3.2 overshoot law "
    "(level-set algebra: proofs_check selfstab_lotka_volterra; the bands are measured)",
    statement="decoupled Model A (K₁₁ = 0.01, α_c = 0.8), GD from (x_c, 2/η, 0), "
    "x_c = 5e-3 … 5e-15: the first peak y_max of S − 2/η matches the invariant's "
    "√(α(ln(2α/(βx_c²)) − 1) + βx_c²/2) within 10% at η = 0.1 (brief's setting) and within 1% "
    "at η = 0.02",
    basis="empirical",
)
def test_overshoot_law(claim):
    alpha = 0.8
    pred = np.sqrt(alpha * (np.log(2 * alpha / OVERSHOOT_SEEDS**2) - 1) + OVERSHOOT_SEEDS**2 / 2)
    # η = 0.1: after the first peak (ends by step 109) the catapult drives z₁ < 0 and GD
    # diverges (brief §3.1 caveat) from step ≈ 116 on, so stop at 112. The invariant is exact
    # for the continuous limit only: the discrete multiplier 1 + ηy grows slower than e^{ηy},
    # which lengthens stage 2; at ηy_max = 0.30 … 0.78 the peak is 6–8.5% higher (brief: 10% band)
    peaks = _first_peaks(0.1, 112)
    claim.check(predicted=pred, measured=peaks, rtol=0.1, eta=0.1, ratio=(peaks / pred).tolist())
    assert np.all(np.diff(peaks / pred) > 0)  # the excess grows with the overshoot
    # η = 0.02 (ηy_max ≤ 0.16): within 0.7% measured; the "− 1" of the law is a 1.5–4.5% effect
    peaks = _first_peaks(0.02, 600)
    claim.check(predicted=pred, measured=peaks, rtol=0.01, eta=0.02, ratio=(peaks / pred).tolist())


# ------------------------------------------------------------------ extra: log cosh
@pytest.mark.claim(
    paper=MA,
    where="sub-quadratic growth keeps GD bounded at EoS [SRC-abs]; brief §1.8 1-D toy "
    "λ log cosh x; proofs_check selfstab_log_cosh_cycle",
    statement="GD on λ log cosh x (λ = 1) from x₀ = 0.5 ends on the 2-cycle ±x⋆, "
    "2x⋆ = ηλ tanh x⋆, for ηλ ∈ {2.5, 3, 4} (tol 1e-12): 0.888015, 1.287839, 1.915008",
    basis="derived",
)
def test_log_cosh_two_cycle(claim):
    etas = np.array([2.5, 3.0, 4.0])
    tr = tm.gd(ss.log_cosh_model(1.0), [0.5], etas, 400, record_every=0)
    for i, c in enumerate(etas):
        x = 1.0
        for _ in range(60):  # Newton on 2x − c tanh x (x = 1 is right of the inflection)
            x -= (2 * x - c * np.tanh(x)) / (2 - c / np.cosh(x) ** 2)
        # 2-step multiplier (1 − c sech²x⋆)² ≤ 0.06: the 400-step transient is far below
        # rounding (1e-16)
        claim.check(predicted=x, measured=abs(float(tr.final[i, 0])), tol=1e-12, eta_lambda=c)
        claim.check(predicted=x, measured=ss.log_cosh_cycle(1.0, c), tol=1e-14, what="library")


# ------------------------------------------------------------------ extra: (M0) and (M1)
ALPHA0, BETA0, ETA0 = 3.4, 1.0, 0.03


@pytest.mark.claim(
    paper=DAMIAN,
    where="stage equations (M0) and damped (M1); brief §1.4(2)-(4), §6 extras, §7 '(M0) is not "
    "a faithful long-run model'; proofs_check selfstab_two_step_radius, selfstab_lotka_volterra",
    statement="(M0) α = 3.4, β = 1, η = 0.03: the 2-cycle (±√(2α/β), 0) has ρ₂ = 1 + 2η²α "
    "(unstable, area-expanding) and (M1) with κ = 3.4 has ρ₂ = 1 − ηκ + 2η²α (tol 1e-12); "
    "from (2, 0) the invariant H grows at every up-crossing of y over 10 cycles, while the "
    "whole-cycle mean x²/(2α/β) stays within 1/T of 1",
    basis="derived",
)
def test_m0_area_expansion_and_time_average(claim):
    d = np.sqrt(2 * ALPHA0 / BETA0)
    for kappa in (0.0, 3.4):
        cyc = tm.find_cycle(ss.stage_map(ALPHA0, BETA0, ETA0, kappa), [d, 0.0], 2)
        rho = float(np.max(np.abs(cyc.multipliers)))
        claim.check(
            predicted=rho2_formula(kappa, ETA0, ALPHA0), measured=rho, tol=1e-12, kappa=kappa
        )
    # the orbit spirals out and diverges (|x| > 1e10) after ≈ 11–12 cycles: keep what precedes it
    tr = tm.iterate(ss.stage_map(ALPHA0, BETA0, ETA0), [2.0, 0.0], 2000)
    n = int(tr.diverged_at) if tr.diverged else len(tr.theta)
    x, y = tr.theta[:n, 0], tr.theta[:n, 1]
    up = np.nonzero((y[:-1] < 0) & (y[1:] >= 0))[0] + 1
    assert len(up) >= 11
    up = up[:11]
    h = ss.lotka_volterra_invariant(x[up], y[up], ALPHA0, BETA0)
    claim.check(predicted=0.0, measured=float(np.min(np.diff(h))), relation=">=", H=h.tolist())
    # Σ x² = (2/β)(Tα − (y_b − y_a)/η) over [a, b); at up-crossings 0 ≤ y < ηα, so
    # |mean x²/(2α/β) − 1| < 1/T
    a, b = up[0], up[-1]
    ratio = float(np.mean(x[a:b] ** 2) / (2 * ALPHA0 / BETA0))
    claim.check(predicted=1.0, measured=ratio, tol=1.0 / (b - a), steps=int(b - a))
