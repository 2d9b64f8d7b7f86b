"""Claims of Wu, Braverman, Lee (NeurIPS 2023, arXiv 2305.11788) on the two-point logistic toy.

Research brief ``sgd_and_features.md`` §7: x₁ = (γ, 1), x₂ = (γ, −2) (labels absorbed), γ = 0.1,
L(w) = ½Σ_i ℓ(⟨w, x_i⟩), w₀ = 0, GD batched over η ∈ {0.5, 2, 5, 10, 20}, T = 2·10⁴ steps. The
max-margin direction is e₁, so w = (a, v) coordinatewise. Only the paper's abstract could be read
(brief §0): claims labelled ``paper`` check the abstract's statements [SRC-abs] on this toy;
``derived`` predictions (v*, G(v*), S₀, the rates) are proven in ``proofs_check`` (module
``logistic_regression``); ``reconstruction`` rows rebuild the paper's EoS setting with the brief's
thresholds.

Predictions come from the library's closed forms (``toymodels.models.logistic_regression``) and
are re-derived here where cheap (scipy minimisation of G, the closed-form Hessian at 0); the
measurements come from ``tm.gd`` on the library's models, whose trajectory is cross-checked
against the brief's hand-written GD loop (appendix) in :func:`test_library_gd_equals_hand_loop`.

Refuted, with numbers: the brief's asymptotic constant γ²ηt(v_t − v*) → −2/9 = −0.2222 is the
γ → 0 limit of the exact −4/(9(2 − γ²)) (−0.22334 at γ = 0.1, −0.25397 at γ = 0.5).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from scipy.special import expit

import toymodels as tm
from toymodels.claims import ClaimDisagreement
from toymodels.models import logistic_regression as lr

WU = "Wu, Braverman, Lee (NeurIPS 2023)"
GAMMA = 0.1
ETAS = np.array([0.5, 2.0, 5.0, 10.0, 20.0])
T = 20_000
#: the brief's asymptotic constant −[(2^{1/3} − 2^{−2/3})/3]·[2/G(v*)], written out here
BRIEF_RATE = -((2 ** (1 / 3) - 2 ** (-2 / 3)) / 3) * (2 / (2 ** (1 / 3) + 2 ** (-2 / 3)))


@functools.cache
def logistic_run(gamma: float = GAMMA, etas: tuple[float, ...] = tuple(ETAS), steps: int = T):
    """GD on the library's sympy two-point logistic model from w₀ = 0, every step recorded."""
    return tm.gd(lr.two_point_model(gamma), [0.0, 0.0], np.array(etas), steps, record_every=1)


def hand_gd(x: np.ndarray, etas: np.ndarray, steps: int) -> np.ndarray:
    """The brief's appendix loop: w ← w + η·(σ(−Xw) @ X)/n, σ = expit; returns w_T per η."""
    w = np.zeros((len(etas), x.shape[1]))
    e = etas[:, None]
    for _ in range(steps):
        s = expit(-(w @ x.T))
        w = w + e * (s @ x) / len(x)
    return w


def numeric_v_star(potential=lambda v: np.exp(-v) + np.exp(2 * v)) -> float:
    """argmin of G(v) (default e^{−v} + e^{2v}, written out here) by bounded minimisation."""
    res = minimize_scalar(
        lambda v: float(potential(v)),
        bounds=(-2, 2),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return float(res.x)


def test_library_gd_equals_hand_loop():
    """tm.gd on the sympy model reproduces the brief's hand-written loop (independent code)."""
    tr = logistic_run()
    ref = hand_gd(lr.two_point_data(GAMMA), ETAS, T)
    # 2·10⁴ contracting steps (not chaotic after t ≈ 60): rounding differences stay ~1e-12
    np.testing.assert_allclose(tr.final, ref, rtol=1e-9, atol=1e-10)
    assert not tr.diverged.any()


# ------------------------------------------------------------------ 7.6.1
@pytest.mark.claim(
    paper=WU,
    where="v_t → minimiser of a strongly convex potential [SRC-abs]; brief §7.2 v* = −ln2/3, "
    "§7.6.1; proofs_check logreg_potential_minimiser, logreg_max_margin_two_point",
    statement="two-point logistic GD, γ = 0.1, η ∈ {0.5, 2, 5, 10, 20}, T = 2·10⁴: "
    "|v_T − v*| ≤ 1/(γ²ηT) with v* = −ln2/3 = argmin e^{−v} + e^{2v} for every η (limit "
    "independent of η)",
    basis="derived",
)
def test_orthogonal_limit_is_eta_independent(claim):
    v_star = lr.two_point_v_star()
    tr = logistic_run()
    v_T = tr.final[:, 1]
    for i, eta in enumerate(ETAS):
        bound = 1.0 / (GAMMA**2 * eta * T)
        claim.check(
            predicted=bound,
            measured=abs(v_T[i] - v_star),
            relation="<=",
            eta=eta,
            ratio=abs(v_T[i] - v_star) / bound,
        )
        # and the rate itself: γ²ηT(v_T − v*) against the derived −4/(9(2 − γ²)) (5 %: the
        # 1/T transient at T = 2e4 is 1–4 %)
        claim.check(
            predicted=lr.two_point_v_rate(GAMMA),
            measured=GAMMA**2 * eta * T * (v_T[i] - v_star),
            rtol=0.05,
            eta=eta,
            what="rate constant",
        )
    # the library's closed form against a numeric minimisation of G (xatol 1e-12): G written
    # out here, and the library's potentials (the limit is the minimiser of *its* G)
    claim.check(predicted=v_star, measured=numeric_v_star(), tol=1e-8, what="v* = argmin G")
    for fn in (lr.two_point_potential, lr.potential):
        claim.check(predicted=v_star, measured=numeric_v_star(fn), tol=1e-8, what=fn.__name__)


@pytest.mark.claim(
    paper=WU,
    where="brief §7.2 asymptotics, constant corrected; proofs_check logreg_asymptotic_rates",
    statement="two-point logistic GD, γ = 0.5, η ∈ {0.5, 2, 5, 10}, T = 2·10⁴: "
    "γ²ηT(v_T − v*) = −4/(9(2 − γ²)) = −0.25397 within 0.5 %",
    basis="derived",
)
def test_orthogonal_rate_constant(claim):
    g = 0.5
    etas = (0.5, 2.0, 5.0, 10.0)  # η = 20 is still transient at T = 2·10⁴ for γ = 0.5
    tr = logistic_run(g, etas)
    rate = lr.two_point_v_rate(g)
    v_pred = lr.two_point_asymptotics(T, np.array(etas), g).v
    for i, eta in enumerate(etas):
        s = g * g * eta * T
        measured = s * (tr.final[i, 1] - lr.two_point_v_star())
        # corrections O(ln(s)/s) ≤ 0.31 % here (s ≥ 2500): rtol 0.5 %
        claim.check(predicted=rate, measured=measured, rtol=5e-3, eta=eta)
        # the same statement through the library's v_T prediction v* + rate/s
        claim.check(predicted=v_pred[i], measured=tr.final[i, 1], tol=5e-3 * abs(rate) / s)
    # the library's constant against the formula written out here
    claim.check(predicted=-4 / (9 * (2 - g * g)), measured=rate, rtol=1e-15, what="closed form")


@pytest.mark.claim(
    paper=WU,
    where="brief §7.2 [DER]: γ²ηt(v_t − v*) → −[(2^{1/3} − 2^{−2/3})/3]·[2/G(v*)] = −0.2222; "
    "proofs_check logreg_asymptotic_rates (its γ → 0 limit)",
    statement="two-point logistic GD, γ = 0.5, η ∈ {0.5, 2, 5, 10}, T = 2·10⁴: "
    "γ²ηT(v_T − v*) = −0.2222 within 5 %",
    basis="derived",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted: the brief drops the drift term γ²G(v*) of v* + c/t; the constant is "
    "−4/(9(2 − γ²)), −0.2222 only as γ → 0. Measured −0.2547 at γ = 0.5, η = 0.5 (14.6 % off; "
    "the corrected −0.25397 is within 0.3 %)",
)
def test_brief_rate_constant_refuted(claim):
    g = 0.5
    etas = (0.5, 2.0, 5.0, 10.0)
    tr = logistic_run(g, etas)
    for i, eta in enumerate(etas):
        s = g * g * eta * T
        measured = s * (tr.final[i, 1] - lr.two_point_v_star())
        claim.check(predicted=BRIEF_RATE, measured=measured, rtol=0.05, eta=eta)


def _long_rate(claim, predicted: float, rtol: float) -> None:
    steps = 2_000_000
    tr = tm.gd(lr.two_point_model(GAMMA), [0.0, 0.0], ETAS, steps, record_every=0, backend="auto")
    assert not tr.diverged.any()
    for i, eta in enumerate(ETAS):
        s = GAMMA**2 * eta * steps
        measured = s * (tr.final[i, 1] - lr.two_point_v_star())
        claim.check(predicted=predicted, measured=measured, rtol=rtol, eta=eta)


@pytest.mark.slow
@pytest.mark.claim(
    paper=WU,
    where="brief §7.2 asymptotics, constant corrected; §7.3 'measured 0.2233 at 2·10⁶'; "
    "proofs_check logreg_asymptotic_rates",
    statement="two-point logistic GD, γ = 0.1, η ∈ {0.5, …, 20}, T = 2·10⁶: γ²ηT(v_T − v*) "
    "= −4/(9(2 − γ²)) = −0.223339 within 0.2 %",
    basis="derived",
)
def test_orthogonal_rate_constant_long(claim):
    # O(ln(s)/s) corrections ≤ 0.1 % for s = γ²ηT ≥ 10⁴: rtol 0.2 %
    _long_rate(claim, lr.two_point_v_rate(GAMMA), 2e-3)


@pytest.mark.slow
@pytest.mark.claim(
    paper=WU,
    where="brief §7.2 [DER] constant −0.2222, §7.3 'measured 0.2233 (0.5 % off)'; "
    "proofs_check logreg_asymptotic_rates",
    statement="two-point logistic GD, γ = 0.1, η ∈ {0.5, …, 20}, T = 2·10⁶: γ²ηT(v_T − v*) "
    "= −0.2222 within 0.2 %",
    basis="derived",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted at the brief's own setting: measured −0.22354 … −0.22331 (η = 0.5 … 20), "
    "0.49–0.59 % off −0.2222; the exact −4/(9(2 − γ²)) = −0.223339 is within 0.09 %",
)
def test_brief_rate_constant_refuted_long(claim):
    _long_rate(claim, BRIEF_RATE, 2e-3)


# ------------------------------------------------------------------ 7.6.2
@pytest.mark.claim(
    paper=WU,
    where="loss minimised over a long time scale [SRC-abs]; brief §7.2 L ≈ 1/(γ²ηt), §7.6.2; "
    "proofs_check logreg_asymptotic_rates",
    statement="two-point logistic GD, γ = 0.1, η ∈ {0.5, 2, 5, 10, 20}, T = 2·10⁴: "
    "|T·L(w_T)·γ²η − 1| ≤ 0.05",
    basis="derived",
)
def test_loss_rate(claim):
    tr = logistic_run()
    asy = lr.two_point_asymptotics(T, ETAS, GAMMA)
    L_T = tr.loss[-1]
    # corrections O(ln(s)/s), s = γ²ηT = 100 … 4000: ≤ 4.6 % at η = 0.5
    claim.check(predicted=1.0, measured=T * L_T * GAMMA**2 * ETAS, tol=0.05)
    claim.check(predicted=asy.loss, measured=L_T, rtol=0.05)
    # the library's prediction against 1/(γ²ηT) written out here
    claim.check(predicted=1 / (GAMMA**2 * ETAS * T), measured=asy.loss, rtol=1e-15)


# ------------------------------------------------------------------ 7.6.3
@pytest.mark.claim(
    paper=WU,
    where="EoS: non-monotone loss, yet minimised [SRC-abs]; brief §7.2 S₀, §7.3 table, §7.6.3; "
    "proofs_check logreg_initial_sharpness, logreg_sharpness_bound",
    statement="two-point logistic GD, γ = 0.1, T = 2·10⁴: S₀ = 0.62525 (η·S₀ > 2 iff η > 3.1987); "
    "for η ∈ {5, 10, 20}: ≥ 10 loss increases, η·S_t > 2 at some t, and for t ≥ 200 η·S_t < 2 "
    "with L monotone; for η ∈ {0.5, 2}: L monotone from t = 0",
    basis="reconstruction",
)
def test_eos_phase_exists_and_ends(claim):
    tr = logistic_run()
    S = tr.sharpness
    # S₀: the library's closed form against the top eigenvalue of the Hessian at 0 written out
    # here, (1/8)[[2γ², −γ], [−γ, 5]], and against the sympy model's sharpness
    h0 = np.array([[2 * GAMMA**2, -GAMMA], [-GAMMA, 5.0]]) / 8
    s0 = lr.two_point_initial_sharpness(GAMMA)
    claim.check(predicted=s0, measured=float(np.linalg.eigvalsh(h0)[-1]), rtol=1e-13)
    claim.check(predicted=s0, measured=float(S[0, 0]), rtol=1e-13, what="tm.sharpness at 0")
    threshold = lr.two_point_eos_threshold(GAMMA)
    claim.check(predicted=2 / s0, measured=threshold, rtol=1e-15, what="2/S₀")
    late = slice(200, None)
    for i, eta in enumerate(ETAS):
        dL = np.diff(tr.loss[:, i])
        eos = bool(eta > threshold)
        n_up = int(np.sum(dL > 0))
        if eos:
            claim.check(predicted=10, measured=n_up, relation=">=", eta=eta, what="# increases")
            peak = float(np.max(eta * S[:, i]))
            claim.check(predicted=2.0, measured=peak, relation=">=", eta=eta, what="max η·S")
            tail = float(np.max(eta * S[late, i]))
            claim.check(predicted=2.0, measured=tail, relation="<=", eta=eta, what="η·S, t≥200")
            claim.check(predicted=0, measured=int(np.sum(dL[late] > 0)), eta=eta, what="L↑ t≥200")
        else:
            claim.check(predicted=0, measured=n_up, eta=eta, what="# increases")


@pytest.mark.claim(
    paper=WU,
    where="abstract [SRC-abs]: GD with any constant step size minimises the logistic loss over "
    "a long time scale, despite local oscillations; brief §7.3 'very large η'",
    statement="two-point logistic GD (stable numpy twin), γ = 0.1, η ∈ {0.5, …, 1000}, "
    "T = 2·10⁴: no divergence, L_T ≤ L_0/50, L monotone over the second half; the loss rises "
    "at least once for every η > 2/S₀",
    basis="paper",
)
def test_any_step_size_minimises(claim):
    etas = np.array([0.5, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 300.0, 1000.0])
    model = lr.separable_model_numpy(lr.two_point_data(GAMMA))
    tr = tm.gd(model, [0.0, 0.0], etas, T, record_every=1)
    # the stable twin retraces the sympy form's runs where both are valid (η ≤ 20)
    np.testing.assert_allclose(tr.theta[:, :5], logistic_run().theta, rtol=1e-9, atol=1e-10)
    threshold = lr.two_point_eos_threshold(GAMMA)
    for i, eta in enumerate(etas):
        L = tr.loss[:, i]
        claim.check(predicted=-1, measured=int(tr.diverged_at[i]), eta=eta, what="diverged_at")
        claim.check(predicted=L[0] / 50, measured=L[-1], relation="<=", eta=eta, what="L_T")
        up_late = int(np.sum(np.diff(L[T // 2 :]) > 0))
        claim.check(predicted=0, measured=up_late, eta=eta, what="L↑ in the second half")
        if eta > threshold:
            n_up = int(np.sum(np.diff(L) > 0))
            claim.check(predicted=1, measured=n_up, relation=">=", eta=eta, what="# increases")


# ------------------------------------------------------------------ 7.6.4
@st.composite
def separable_data(draw):
    """n ≤ 6 points in R^d (d ≤ 3), flipped by the sign of ⟨w°, x_i⟩ (labels absorbed)."""
    n = draw(st.integers(1, 6))
    d = draw(st.integers(1, 3))
    coord = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
    x = np.array(draw(st.lists(coord, min_size=n * d, max_size=n * d))).reshape(n, d)
    w0 = np.array(draw(st.lists(coord, min_size=d, max_size=d)))
    z = x @ w0
    scale = np.linalg.norm(x, axis=1) * np.linalg.norm(w0)
    assume(np.all(np.abs(z) > 1e-3 * np.maximum(scale, 1e-300)) and np.all(scale > 1e-6))
    return x * np.sign(z)[:, None], w0


@pytest.mark.claim(
    paper=WU,
    where="EoS phase ends once L < 2/(η max‖x‖²); brief §7.2 'exact inequality', §7.6.4; "
    "proofs_check logreg_sharpness_bound",
    statement="random separable data (n ≤ 6, d ≤ 3), random w, logistic and exponential loss: "
    "λ_max(∇²L(w)) ≤ max_i‖x_i‖²·L(w) (slack 1e-12 relative)",
    basis="derived",
)
@given(
    data=separable_data(),
    w=st.lists(st.floats(-5.0, 5.0, allow_nan=False), min_size=3, max_size=3),
    loss=st.sampled_from(lr.LOSSES),
)
def test_sharpness_bound(claim, data, w, loss):
    x, w0 = data
    w = np.array(w[: x.shape[1]])
    # separable indeed: the exact max-margin solver finds a margin at least w°'s
    mm = lr.max_margin(x)
    own = float(np.min(x @ w0) / np.linalg.norm(w0))
    assert mm.margin >= own * (1 - 1e-9)
    assert np.min(x @ mm.direction) >= mm.margin * (1 - 1e-9)
    # the bound, computed here: max‖x_i‖² · mean ℓ(z_i)
    z = x @ w
    ell = np.logaddexp(0.0, -z) if loss == "logistic" else np.exp(-z)
    bound = float(np.max(np.sum(x * x, axis=1)) * np.mean(ell))
    np.testing.assert_allclose(lr.sharpness_bound(w, x, loss), bound, rtol=1e-13)
    model = lr.separable_model_numpy(x, loss)
    # the library's Hessian against (1/n)Σ ℓ''(z_i) x_i x_iᵀ with ℓ'' written out here
    q = np.exp(-np.logaddexp(0.0, z) - np.logaddexp(0.0, -z)) if loss == "logistic" else ell
    h_ref = np.einsum("i,ij,ik->jk", q, x, x) / len(x)
    np.testing.assert_allclose(model.hessian(w), h_ref, rtol=1e-12, atol=1e-300)
    measured = float(tm.sharpness(model, w))
    claim.check(
        predicted=bound,
        measured=measured,
        relation="<=",
        tol=1e-12 * bound,
        loss=loss,
        n=x.shape[0],
        d=x.shape[1],
    )


def test_sharpness_bound_along_the_runs():
    """The bound holds at every recorded step of the EoS runs (brief: ratio ≤ 0.58)."""
    tr = logistic_run()
    x = lr.two_point_data(GAMMA)
    bound = lr.sharpness_bound(tr.theta, x)
    ratio = tr.sharpness / bound
    assert np.all(ratio <= 1.0)
    assert 0.5 < float(np.max(ratio)) < 0.6


# ------------------------------------------------------------------ 7.6.5
@pytest.mark.claim(
    paper=WU,
    where="a_t → ∞ along the max-margin direction [SRC-abs]; brief §7.2 e^{γa_t} ≈ "
    "γ²ηt·G(v*)/2, §7.6.5; proofs_check logreg_asymptotic_rates, logreg_potential_minimiser",
    statement="two-point logistic GD, γ = 0.1, η ∈ {0.5, 2, 5, 10, 20}, T = 2·10⁴: "
    "a_T − (1/γ)ln(γ²ηT·G(v*)/2) ∈ [−0.5, 0.5] with G(v*) = 2^{1/3} + 2^{−2/3}",
    basis="derived",
)
def test_margin_component(claim):
    tr = logistic_run()
    x = lr.two_point_data(GAMMA)
    mm = lr.max_margin(x)
    a_T, v_T = lr.margin_decomposition(tr.final, mm.direction)
    # ŵ = e₁: a = w₁, v = (0, w₂)
    np.testing.assert_allclose(v_T[:, 1], tr.final[:, 1], atol=1e-12)
    np.testing.assert_allclose(v_T[:, 0], 0.0, atol=1e-12)
    np.testing.assert_allclose(a_T, tr.final[:, 0], rtol=1e-12)
    predicted = lr.two_point_asymptotics(T, ETAS, GAMMA).a
    # O(ln(s)/s)/γ corrections and the EoS transient's offset: the brief's band ±0.5
    claim.check(predicted=predicted, measured=a_T, tol=0.5, offset=a_T - predicted)
    # G(v*): the library's closed form against the potential at the numeric minimiser
    vs = numeric_v_star()
    g_star = lr.two_point_potential_min()
    claim.check(predicted=g_star, measured=np.exp(-vs) + np.exp(2 * vs), rtol=1e-12, what="G(v*)")
    np.testing.assert_allclose(
        predicted, np.log(GAMMA**2 * ETAS * T * g_star / 2) / GAMMA, rtol=1e-14
    )
    # ŵ: the exact solver on the data against e₁ (margin γ)
    claim.check(predicted=[1.0, 0.0, GAMMA], measured=[*mm.direction, mm.margin], tol=1e-12)


# ------------------------------------------------------------------ 7.6.6
@pytest.mark.claim(
    paper=WU,
    where="abstract [SRC-abs]: with the exponential loss GD at the EoS can diverge "
    "catastrophically; brief §7.3 table, §7.6.6",
    statement="two-point set, γ = 0.1, η ∈ {2, 5, 10} (η·S₀ ≥ 5.0 for the exponential loss): "
    "GD on the exponential loss diverges at step k ≤ 5 while the logistic loss at the same η "
    "converges with |T·L_T·γ²η − 1| ≤ 0.05; at η = 0.5 (η·S₀ = 1.25) the exponential loss "
    "converges",
    basis="paper",
)
def test_exponential_loss_diverges(claim):
    etas = np.array([2.0, 5.0, 10.0, 0.5])
    x = lr.two_point_data(GAMMA)
    exp_model = lr.two_point_model(GAMMA, "exponential")
    tr = tm.gd(exp_model, [0.0, 0.0], etas, T, record_every=0)
    twin = tm.gd(lr.separable_model_numpy(x, "exponential"), [0.0, 0.0], etas, 50)
    s0 = lr.two_point_initial_sharpness(GAMMA, "exponential")
    log_run = logistic_run()
    for i, eta in enumerate(etas):
        k = int(tr.diverged_at[i])
        if eta * s0 < 2:
            claim.check(predicted=False, measured=bool(tr.diverged[i]), eta=eta, what="diverged")
            continue
        claim.check(predicted=5, measured=k, relation="<=", eta=eta, what="diverged at step k")
        claim.check(predicted=True, measured=bool(tr.diverged[i]), eta=eta, what="diverged")
        # the stable twin diverges at the same step (the blow-up is the dynamics, not lambdify)
        claim.check(predicted=k, measured=int(twin.diverged_at[i]), eta=eta, what="twin step")
        j = int(np.nonzero(ETAS == eta)[0][0])
        assert not log_run.diverged[j]
        rate = T * log_run.loss[-1, j] * GAMMA**2 * eta
        claim.check(predicted=1.0, measured=rate, tol=0.05, eta=eta, what="logistic T·L·γ²η")
    claim.check(predicted=s0, measured=float(tm.sharpness(exp_model, [0.0, 0.0])), rtol=1e-13)
