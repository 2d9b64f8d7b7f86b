"""Claims: the constrained trajectory θ† and the predicted dynamics on Model B (issue 11).

Damian, Nichani, Lee, "Self-Stabilization", ICLR 2023. The paper body could not be read (research
brief §0); the algorithms are the authors' code (``adamian98/EOS``, ``taylor.py``) as the brief
describes them [SRC-code], and the Model-B setting is the brief's (§3.1, §3.3), so the numbers
here are ``derived`` / ``empirical``; only statements the brief marks [SRC-code] / [SRC-abs] are
``paper``.

Every prediction is computed independently of ``toymodels.stability``: :class:`RefB` below is the
brief's §3.6 numpy script (closed-form ∇L, ∇²L, ∇³L[u, u] of Model B written out here, dense
``eigh``), so a mutated formula in the library shows up as a disagreement.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import toymodels as tm
from toymodels.claims import ClaimDisagreement
from toymodels.models.self_stabilization import MODEL_B_ETAS, width_one_net, width_one_net_init

DAMIAN = "Damian, Nichani, Lee, 'Self-Stabilization', ICLR 2023"
LS, LN, GAMMA = 0.1, 100.0, 0.05
ETA = 0.03  # the default-run step size (2/η = 66.7); the slow tests run all of MODEL_B_ETAS


# ------------------------------------------------------------------ independent reference
class RefB:
    """Model B in closed form (brief §3.1 / §3.6), numpy only, one point at a time."""

    @staticmethod
    def loss(t: np.ndarray) -> float:
        a, w1, w2 = t
        return 0.5 * LS * (a * w1 - 1) ** 2 + 0.5 * LN * (a * w2 - GAMMA) ** 2

    @staticmethod
    def grad(t: np.ndarray) -> np.ndarray:
        a, w1, w2 = t
        r1, r2 = a * w1 - 1, a * w2 - GAMMA
        return np.array([LS * r1 * w1 + LN * r2 * w2, LS * r1 * a, LN * r2 * a])

    @staticmethod
    def hess(t: np.ndarray) -> np.ndarray:
        a, w1, w2 = t
        return np.array(
            [
                [LS * w1**2 + LN * w2**2, LS * (2 * a * w1 - 1), LN * (2 * a * w2 - GAMMA)],
                [LS * (2 * a * w1 - 1), LS * a**2, 0.0],
                [LN * (2 * a * w2 - GAMMA), 0.0, LN * a**2],
            ]
        )

    @classmethod
    def top(cls, t: np.ndarray) -> tuple[float, np.ndarray]:
        w, V = np.linalg.eigh(cls.hess(t))
        return w[-1], V[:, -1]

    @staticmethod
    def grad_s(t: np.ndarray, u: np.ndarray) -> np.ndarray:
        """∇³L[u, u] from the four nonzero third derivatives (brief §3.1)."""
        a, w1, w2 = t
        ua, u1, u2 = u
        return np.array(
            [
                4 * LS * w1 * ua * u1
                + 2 * LS * a * u1**2
                + 4 * LN * w2 * ua * u2
                + 2 * LN * a * u2**2,
                2 * LS * w1 * ua**2 + 4 * LS * a * ua * u1,
                2 * LN * w2 * ua**2 + 4 * LN * a * ua * u2,
            ]
        )

    @classmethod
    def project(cls, p: np.ndarray, eta: float, k: int = 3) -> np.ndarray:
        for _ in range(k):
            S, u = cls.top(p)
            dS = cls.grad_s(p, u)
            dSp = dS - u * (u @ dS)
            p = p - max(0.0, S - 2 / eta) * dSp / (dSp @ dSp) - u * ((u @ cls.grad(p)) / S)
        return p

    @classmethod
    def gd(cls, th0: np.ndarray, eta: float, steps: int) -> np.ndarray:
        out = [np.array(th0, dtype=float)]
        for _ in range(steps):
            out.append(out[-1] - eta * cls.grad(out[-1]))
        return np.array(out)

    @classmethod
    def pgd(cls, start: np.ndarray, eta: float, n: int) -> np.ndarray:
        D = [cls.project(np.array(start, dtype=float), eta)]
        for _ in range(n - 1):
            D.append(cls.project(D[-1] - eta * cls.grad(D[-1]), eta))
        return np.array(D)


@functools.cache
def model_b() -> tm.Model:
    return width_one_net()


@functools.cache
def run(eta: float, steps: int) -> tm.ConstrainedTrajectory:
    return tm.constrained_trajectory(model_b(), width_one_net_init(), eta, steps)


def _t8_checks(claim, eta: float, steps: int) -> None:
    ct = run(eta, steps)
    # independent GD, onset and projected GD (brief §3.6)
    th = RefB.gd(width_one_net_init(), eta, steps)
    S_ref = np.array([RefB.top(q)[0] for q in th])
    t0 = int(np.argmax(S_ref > 2 / eta))
    claim.check(predicted=t0, measured=int(ct.onset), tol=0, eta=eta, what="onset t0")
    D = RefB.pgd(th[t0], eta, steps + 1 - t0)
    claim.check(
        predicted=0.0,
        measured=float(np.max(np.linalg.norm(ct.theta[t0:] - D, axis=1))),
        tol=1e-8,
        what="max ‖θ†_lib − θ†_ref‖ (projected GD, 3 linearised projections)",
    )
    # the constraint holds along θ† (sharpness by the independent Hessian)
    S_dag = np.array([RefB.top(q)[0] for q in D])
    claim.check(
        predicted=0.0, measured=float(np.max(np.abs(S_dag - 2 / eta))), tol=1e-6, what="S(θ†)"
    )
    # the claim: L(θ_t) − L(θ†_t) ≈ x_t²/η summed over the EoS window (brief T8: [0.97, 1.03])
    LD = np.array([RefB.loss(q) for q in D])
    LG = np.array([RefB.loss(q) for q in th[t0:]])
    X = np.array([RefB.top(D[i])[1] @ (th[t0 + i] - D[i]) for i in range(len(D))])
    claim.check(
        predicted=1.0,
        measured=float(np.sum(LG - LD) / np.sum(X**2 / eta)),
        tol=0.03,
        eta=eta,
        what="Σ(L_GD − L(θ†)) / Σ(x²/η)",
    )
    # the library's x and predicted loss L(θ†) + 2α/(ηβ), time-averaged (x² → 2α/β = δ²)
    # GD at EoS is chaotic: the library's GD and the reference GD differ by rounding that grows,
    # so x is checked on the library's own GD states against the reference θ† and u
    x_ref = np.array([RefB.top(D[i])[1] @ (ct.theta_gd[t0 + i] - D[i]) for i in range(len(D))])
    claim.check(predicted=x_ref**2, measured=ct.x[t0:] ** 2, tol=1e-10, what="x² (library)")
    dS = [RefB.grad_s(q, RefB.top(q)[1]) for q in D]
    u = [RefB.top(q)[1] for q in D]
    dSp = np.array([d - ui * (ui @ d) for d, ui in zip(dS, u, strict=True)])
    alpha = -np.einsum("ti,ti->t", np.array([RefB.grad(q) for q in D]), dSp)
    beta = np.einsum("ti,ti->t", dSp, dSp)
    pred_loss = LD + 2 * alpha / (eta * beta)
    claim.check(
        predicted=pred_loss, measured=ct.predicted_loss[t0:], rtol=1e-7, what="L(θ†) + 2α/(ηβ)"
    )
    # a time-average ratio: the band of T9 (brief §6, [0.95, 1.12], 2x the observed excess)
    ratio = float(np.sum(LG) / np.sum(pred_loss))
    what = "Σ L_GD / Σ(L(θ†) + 2α/(ηβ)) (time average over the EoS window)"
    claim.check(predicted=0.95, measured=ratio, relation=">=", what=what)
    claim.check(predicted=1.12, measured=ratio, relation="<=", what=what)


T8_CLAIM = {
    "paper": DAMIAN,
    "where": "T8 (brief §6); main prediction L(θ_t) ≈ L(θ†_t) + x_t²/η, constrained trajectory "
    "of the authors' code (constrained_step, 3 linear_project steps) [SRC-code]; brief §3.3",
    "statement": "on Model B, GD's loss above the constrained trajectory equals the oscillation "
    "energy: Σ(L_GD − L(θ†))/Σ(x²/η) ∈ [0.97, 1.03], max|S(θ†) − 2/η| < 1e-6, and the "
    "time-averaged GD loss over L(θ†) + 2α/(ηβ) is in [0.95, 1.12]",
    "basis": "reconstruction",
}


@pytest.mark.claim(**T8_CLAIM)
def test_t8_loss_is_constrained_loss_plus_oscillation(claim):
    _t8_checks(claim, ETA, 2000)


@pytest.mark.slow
@pytest.mark.claim(**T8_CLAIM)
@pytest.mark.parametrize("eta", MODEL_B_ETAS)
def test_t8_full_table(claim, eta):
    _t8_checks(claim, eta, 5000)


# ------------------------------------------------------------------ T2: ∇S = ∇³L[u, u]
@pytest.mark.claim(
    paper=DAMIAN,
    where="T2 (brief §6); ∇S = ∇³L[u, u] is the `dS = loss.D(p, 3, u, u)` line of the authors' "
    "code [SRC-code] (first-order eigenvalue perturbation)",
    statement="the gradient of the sharpness equals the third-derivative contraction ∇³L[u, u]: "
    "relative error < 1e-6 against central differences of λ_max (h = 1e-6) at 20 seeded Model-B "
    "points with eigengap > 1e-3",
    basis="paper",
)
def test_t2_sharpness_gradient_is_third_derivative(claim):
    rng = np.random.default_rng(0)
    pts = []
    while len(pts) < 20:
        q = rng.uniform([-1.0, -1.0, -0.5], [1.0, 1.5, 0.5])
        w = np.linalg.eigvalsh(RefB.hess(q))
        if w[-1] - w[-2] > 1e-3:
            pts.append(q)
    pts = np.array(pts)
    h = 1e-6
    fd = np.array(
        [
            [(RefB.top(q + h * e)[0] - RefB.top(q - h * e)[0]) / (2 * h) for e in np.eye(3)]
            for q in pts
        ]
    )
    lib = tm.sharpness_gradient(model_b(), pts)
    rel = np.linalg.norm(lib - fd, axis=1) / np.linalg.norm(fd, axis=1)
    claim.check(predicted=0.0, measured=float(rel.max()), tol=1e-6, what="max relative error")
    # the library's ∇S⊥ and α, β at θ† come from the same contraction: check one run's β, at
    # the θ† of the reference projection (not the library's own θ†, so a wrong projection moves
    # only the measured side; the two θ† agree to rounding at the onset)
    ct = run(ETA, 600)
    t0 = int(ct.onset)
    q = RefB.project(ct.theta_gd[t0].copy(), ETA)
    _, u = RefB.top(q)
    d = RefB.grad_s(q, u)
    dp = d - u * (u @ d)
    claim.check(predicted=float(dp @ dp), measured=float(ct.beta[t0]), rtol=1e-9, what="β = ‖∇S⊥‖²")


# ------------------------------------------------------------------ T11: predicted dynamics
def _seeded(eta: float, steps: int) -> tuple[tm.ConstrainedTrajectory, tm.PredictedDynamics]:
    """GD started on its 2-cycle at θ†_0 + δ₀u₀ (brief §3.3 "seeded run"), θ† from θ†_0."""
    first = run(eta, 600)
    t0 = int(first.onset)
    d0, u0, dag = first.delta[t0], first.u[t0], first.theta[t0]
    cs = tm.constrained_trajectory(model_b(), dag + d0 * u0, eta, steps, onset=0, dagger_start=dag)
    return cs, tm.predicted_dynamics(cs)


def _ref_predicted(cs: tm.ConstrainedTrajectory, eta: float) -> np.ndarray:
    """v⋆ by the authors' update (brief §1.5), with the reference H, u, ∇S⊥, δ at θ†."""
    v = cs.theta_gd[0] - cs.theta[0]
    out = [v]
    for t in range(len(cs.steps) - 1):
        q = cs.theta[t]
        _, u = RefB.top(q)
        d = RefB.grad_s(q, u)
        dp = d - u * (u @ d)
        d2 = 2 * (-(RefB.grad(q) @ dp)) / (dp @ dp)
        xs, ys = u @ v, dp @ v
        v = v - eta * (RefB.hess(q) @ v + 0.5 * (xs * xs - d2) * dp + xs * ys * u)
        out.append(v)
    return np.array(out)


@pytest.mark.claim(
    paper=DAMIAN,
    where="T11 (brief §6, §3.3 seeded run); predicted dynamics exactly as the authors' "
    "predicted_step [SRC-code]; tolerances: the brief's §3.3 measured 0.45% / 0.6% (issue 11)",
    statement="seeded at θ†_0 + δ₀u₀ (η = 0.03, 3000 steps), GD follows θ† + v⋆: "
    "|S_GD − (S(θ†) + ∇S·v⋆)| < 0.45% of 2/η at every step; block means of L_GD within 0.6% "
    "of L(θ†) + 2α/(ηβ) and of x² within 0.6% of 2α/β",
    basis="reconstruction",
)
def test_t11_seeded_predicted_dynamics(claim):
    eta, steps = ETA, 3000
    cs, pd = _seeded(eta, steps)
    vref = _ref_predicted(cs, eta)
    claim.check(
        predicted=0.0,
        measured=float(np.max(np.linalg.norm(pd.v - vref, axis=1))),
        tol=1e-9,
        what="max ‖v⋆_lib − v⋆_ref‖",
    )
    S_gd = np.array([RefB.top(q)[0] for q in cs.theta_gd])
    claim.check(
        predicted=0.0,
        measured=float(np.max(np.abs(S_gd - pd.sharpness)) * eta / 2),
        tol=0.0045,
        what="max |S_GD − S_pred| / (2/η)",
    )
    n = len(S_gd) // 6
    blocks = [slice(b * n, (b + 1) * n) for b in range(6)]
    L_gd = np.array([np.mean(cs.loss_gd[s]) for s in blocks])
    L_pred = np.array([np.mean(cs.predicted_loss[s]) for s in blocks])
    claim.check(predicted=L_pred, measured=L_gd, rtol=0.006, what="block means of L")
    x2 = np.array([np.mean(cs.x[s] ** 2) for s in blocks])
    d2 = np.array([np.mean(cs.delta[s] ** 2) for s in blocks])
    claim.check(predicted=d2, measured=x2, rtol=0.006, what="block means of x² vs 2α/β")


@pytest.mark.claim(
    paper=DAMIAN,
    where="T11 companion (brief §3.3 'pointwise prediction breaks at the first catapult', §7); "
    "predicted dynamics of the authors' code [SRC-code] from the unseeded onset",
    statement="unseeded (η = 0.03, v⋆ from θ_t0 − θ†_t0 with x ≈ 1e-9), the predicted dynamics "
    "track GD's sharpness within 2% of 2/η over the first 300 steps after onset",
    basis="reconstruction",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted beyond the regime: the 2% agreement breaks 96 steps after onset (t0 = 523), "
    "just before GD's first catapult (|x| > 0.1 at onset + 152, max |x| = 0.165 vs δ = 0.018); "
    "max |S_GD − S_pred| over 300 steps = 43% of 2/η",
)
def test_t11_unseeded_breaks_at_first_catapult(claim):
    eta = ETA
    ct = run(eta, 523 + 300)
    pd = tm.predicted_dynamics(ct)
    t0 = int(ct.onset)
    S_gd = np.array([RefB.top(q)[0] for q in ct.theta_gd[t0:]])
    err = np.abs(S_gd - pd.sharpness[t0:]) * eta / 2
    first = int(np.argmax(err > 0.02)) if np.any(err > 0.02) else -1
    claim.check(
        predicted=0.0,
        measured=float(err.max()),
        tol=0.02,
        first_break_after_onset=first,
        max_abs_x=float(np.nanmax(np.abs(ct.x))),
        what="max |S_GD − S_pred| / (2/η), 300 steps after onset",
    )
