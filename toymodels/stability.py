"""Self-stabilization and central flows: the stable set, the constrained trajectory, the predicted
dynamics, the central flow and a measurement of progressive sharpening, for **any** Model.

Sources:

* Damian, Nichani, Lee, "Self-Stabilization: The Implicit Bias of Gradient Descent at the Edge of
  Stability", ICLR 2023 (arXiv 2209.15594), and the authors' code ``adamian98/EOS`` (``taylor.py``:
  ``linear_project``, ``constrained_step``, ``predicted_step``, ``find_instability``);
* Cohen, Damian, Talwalkar, Kolter, Lee, "Understanding Optimization in Deep Learning with Central
  Flows", ICLR 2025 (arXiv 2410.24206) and its companion site / code (Euler discretisation with
  4 substeps, "critical" threshold 1.95/η, SDCP for σ²);
* Cohen, Kaur, Li, Kolter, Talwalkar, "Gradient Descent on Neural Networks Typically Occurs at the
  Edge of Stability", ICLR 2021 (progressive sharpening; the 2/η criterion).

Notation (all evaluated at the point named): S = λ_max(∇²L), u a unit top eigenvector,
∇S = ∇³L[u, u] (needs a simple top eigenvalue), ∇S⊥ = ∇S − (u·∇S)u, α = −∇L·∇S⊥ (progressive
sharpening), β = ‖∇S⊥‖² (self-stabilization strength), δ = √(2α/β) (equilibrium amplitude).

Non-finite input follows :mod:`toymodels.spectrum`: a diverged (NaN/inf) member gives NaN, a
single point at which the Hessian overflows raises ``ValueError`` naming ``theta``. No
RuntimeWarning escapes; divergence and failure are data (flags and a ``message``).

Eigengap guard. ∇S is undefined where the top eigenvalue is not simple. A member whose gap
λ₁ − λ₂ is below ``min_gap·max(1, |λ₁|)`` while the sharpness has to be pushed down (S > 2/η) is
*never* given a silent answer: in a batch it is NaN with ``status`` "degenerate" (and the
``message`` says so); for a single point the projection raises ``ValueError``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from . import limits
from ._validate import as_float_array, positive_float, positive_int
from .dynamics import Trajectory, gd
from .model import Model

__all__ = [
    "CentralFlow",
    "ConstrainedTrajectory",
    "PredictedDynamics",
    "ProgressiveSharpening",
    "ProjectionResult",
    "central_flow",
    "constrained_trajectory",
    "predicted_dynamics",
    "progressive_sharpening",
    "stable_set_projection",
]

#: status codes of a projected member (``ProjectionResult.status``)
STATUS = {
    0: "ok",
    1: "nonfinite",  # θ not finite, or ∇²L not finite there
    2: "degenerate",  # top eigenvalue not simple while S > 2/η: ∇S undefined
    3: "no_descent",  # ∇S⊥ = 0 while S > 2/η: the sharpness cannot be lowered to first order
    4: "nonpositive_curvature",  # S ≤ 0 with u·∇L ≠ 0: the Newton step along u is undefined
}
_OK, _NONFINITE, _DEGENERATE, _NODESCENT, _NONPOS = 0, 1, 2, 3, 4


# ----------------------------------------------------------------------------- validation
def _model(model: Any) -> Model:
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    return model


def _eta(eta: Any, *, max_ndim: int | None = None) -> np.ndarray:
    e = as_float_array(eta, "eta")
    if e.size == 0:
        raise ValueError(f"eta is empty (shape {e.shape}): nothing to run")
    if max_ndim is not None and e.ndim > max_ndim:
        raise ValueError(f"eta must be a scalar or a 1-D array, got shape {e.shape}")
    if np.any(e <= 0):
        raise ValueError(f"eta must be > 0, got min {float(e.min())!r}")
    return e


def _theta0(model: Model, theta0: Any, name: str = "theta0") -> np.ndarray:
    th = model._theta(theta0, name)
    if th.ndim != 1:
        raise ValueError(
            f"{name} must be a single point of shape ({model.n_params},) (batch over eta "
            f"instead), got shape {th.shape}"
        )
    if not np.all(np.isfinite(th)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return th


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def _min_gap(value: Any) -> float:
    return positive_float(value, "min_gap")


def _tol(value: Any, name: str = "tol") -> float:
    return positive_float(value, name)


# ----------------------------------------------------------------------------- geometry
@dataclass
class _Geo:
    """Spectral geometry of a flat batch of points (N, p); NaN rows where not finite."""

    S: np.ndarray  # (N,) top eigenvalue
    lam2: np.ndarray  # (N,) second eigenvalue (−inf for p = 1)
    gap: np.ndarray  # (N,)
    u: np.ndarray  # (N, p)
    g: np.ndarray  # (N, p) ∇L
    dS: np.ndarray  # (N, p) ∇³L[u, u]
    dSp: np.ndarray  # (N, p) ∇S⊥
    w: np.ndarray  # (N, p) all eigenvalues
    V: np.ndarray  # (N, p, p) eigenvectors (columns)
    ok: np.ndarray  # (N,) finite
    H: np.ndarray  # (N, p, p)


def _geometry(model: Model, th: np.ndarray, u_prev: np.ndarray | None = None) -> _Geo:
    N, p = th.shape
    with np.errstate(all="ignore"):
        ok = np.all(np.isfinite(th), axis=-1)
        H = np.full((N, p, p), np.nan)
        if ok.any():
            H[ok] = model._hessian(th[ok])
        ok &= np.all(np.isfinite(H), axis=(-2, -1))
        w = np.full((N, p), np.nan)
        V = np.full((N, p, p), np.nan)
        if ok.any():
            w[ok], V[ok] = np.linalg.eigh(H[ok])
        u = V[:, :, -1].copy()
        if u_prev is not None:
            sgn = np.sign(np.einsum("ij,ij->i", u, u_prev))
            sgn[~np.isfinite(sgn) | (sgn == 0)] = 1.0
            u *= sgn[:, None]
        else:  # spectrum's convention: the largest entry positive
            idx = np.argmax(np.abs(np.nan_to_num(u)), axis=-1)
            sgn = np.sign(np.take_along_axis(u, idx[:, None], axis=-1))
            sgn[~np.isfinite(sgn) | (sgn == 0)] = 1.0
            u *= sgn
        S = w[:, -1]
        lam2 = w[:, -2] if p > 1 else np.full(N, -np.inf)
        gap = S - lam2
        g = np.full((N, p), np.nan)
        dS = np.full((N, p), np.nan)
        if ok.any():
            g[ok] = model._grad(th[ok])
            dS[ok] = model.third(th[ok], u[ok])
        ok &= np.all(np.isfinite(g), axis=-1) & np.all(np.isfinite(dS), axis=-1)
        dSp = dS - np.einsum("ij,ij->i", u, dS)[:, None] * u
    return _Geo(S, lam2, gap, u, g, dS, dSp, w, V, ok, H)


def _degenerate(geo: _Geo, min_gap: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return geo.gap < min_gap * np.maximum(1.0, np.abs(geo.S))


def _newton_along_top(geo: _Geo, min_gap: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Newton step Σ_i (v_i·∇L/λ_i)v_i over the top cluster (λ_i within the gap threshold of
    λ₁; the single top eigenvector when λ₁ is simple), its residual ‖P_top∇L‖ and the members
    where a cluster eigenvalue is ≤ 0 while its component of ∇L is not zero."""
    with np.errstate(all="ignore"):
        thr = geo.S - min_gap * np.maximum(1.0, np.abs(geo.S))
        in_top = geo.w >= thr[:, None]
        in_top[:, -1] = True
        coef = np.einsum("nij,ni->nj", geo.V, geo.g)  # components of ∇L on the eigenvectors
        coef = np.where(in_top, coef, 0.0)
        resid = np.sqrt(np.sum(coef * coef, axis=-1))
        bad = np.any(in_top & (geo.w <= 0) & (coef != 0), axis=-1)
        ratio = np.where(in_top & (geo.w > 0), coef / geo.w, 0.0)
        step = np.einsum("nij,nj->ni", geo.V, ratio)
    return step, resid, bad


def _project_flat(
    model: Model, z: np.ndarray, eta: np.ndarray, steps: int, min_gap: float, tol: float
) -> tuple[np.ndarray, np.ndarray, _Geo, np.ndarray, np.ndarray]:
    """Linearised projection of the flat batch z (N, p) with step sizes eta (N,).

    Returns (points, status, geometry at the points, u·∇L residual, converged).
    """
    p = z.copy()
    status = np.zeros(z.shape[0], dtype=np.int64)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            geo = _geometry(model, p)
            status[~geo.ok & (status == 0)] = _NONFINITE
            live = status == 0
            excess = geo.S - 2.0 / eta
            need = excess > 0
            degen = _degenerate(geo, min_gap)
            beta = np.einsum("ij,ij->i", geo.dSp, geo.dSp)
            status[live & need & degen] = _DEGENERATE
            status[live & need & ~degen & ~(beta > 0)] = _NODESCENT
            newton, _, bad = _newton_along_top(geo, min_gap)
            status[(status == 0) & bad] = _NONPOS
            live = status == 0
            shift = np.where(need & live, excess / beta, 0.0)[:, None] * geo.dSp
            p = np.where(live[:, None], p - np.where(need[:, None], shift, 0.0) - newton, np.nan)
        geo = _geometry(model, p)
        status[~geo.ok & (status == 0)] = _NONFINITE
        excess = geo.S - 2.0 / eta
        beta = np.einsum("ij,ij->i", geo.dSp, geo.dSp)
        newton, resid, bad = _newton_along_top(geo, min_gap)
        need = excess > 0
        degen = _degenerate(geo, min_gap)
        # the length of the next linearised correction: the distance to M to first order
        corr = np.sqrt(np.where(need, excess**2 / beta, 0.0) + np.sum(newton * newton, axis=-1))
        converged = (
            (status == 0)
            & ~(need & degen)
            & np.isfinite(corr)
            & (corr <= tol * (1.0 + np.linalg.norm(np.nan_to_num(p), axis=-1)))
        )
        p[status != 0] = np.nan
    return p, status, geo, resid, converged


def _status_message(status: np.ndarray, what: str) -> str:
    parts = []
    for code, name in STATUS.items():
        if code == 0:
            continue
        n = int(np.sum(status == code))
        if n:
            parts.append(f"{n} {name}")
    if not parts:
        return f"{what}: all members ok"
    return (
        f"{what}: " + ", ".join(parts) + " (NaN for those members; degenerate = top Hessian "
        "eigenvalue not simple while S > 2/eta, so grad S is undefined; no_descent = grad S_perp "
        "= 0 while S > 2/eta, the stable set is not reachable to first order; "
        "nonpositive_curvature = S <= 0 with u.grad L != 0)"
    )


# ----------------------------------------------------------------------------- projection
@dataclass(frozen=True, eq=False)
class ProjectionResult:
    """The nearest point of the stable set M = {S ≤ 2/η, ∇L·u = 0} (linearised projection).

    Attributes (batch = broadcast(theta.shape[:-1], eta.shape))
    ----------
    theta : (*batch, p) the projected point (NaN where the projection failed).
    sharpness : (*batch) S at the point.
    sharpness_excess : (*batch) S − 2/η at the point (≤ 0 up to rounding when converged).
    residual : (*batch) |u·∇L| at the point (the norm of ∇L on the top eigenspace).
    eigengap : (*batch) λ₁ − λ₂ at the point (inf for one parameter).
    converged : (*batch) bool: the next linearised correction is ≤ tol·(1 + ‖θ‖).
    status : (*batch) int code, see :data:`STATUS` (0 ok).
    message : a one-line summary of failed members.
    """

    theta: np.ndarray
    sharpness: np.ndarray
    sharpness_excess: np.ndarray
    residual: np.ndarray
    eigengap: np.ndarray
    converged: np.ndarray
    status: np.ndarray
    message: str


def stable_set_projection(
    model: Model,
    theta: Any,
    eta: Any,
    *,
    steps: int = 3,
    tol: float = 1e-8,
    min_gap: float = 1e-6,
) -> ProjectionResult:
    """Project θ onto the stable set M = {θ : S(θ) ≤ 2/η, ∇L(θ)·u(θ) = 0} (Damian et al. 2023).

    The authors' linearised projection (``linear_project`` in their code, brief §1.5), repeated
    ``steps`` times with S, u, ∇S⊥ and ∇L recomputed each time::

        p ← p − max(0, S − 2/η)·∇S⊥/‖∇S⊥‖² − (u·∇L/S)·u

    The second term is a Newton step along u that zeroes u·∇L; the first pushes S down to 2/η
    along ∇S⊥. When the top eigenvalue is degenerate but S ≤ 2/η, the Newton term is taken over
    the whole top eigenspace (the condition ∇L·u = 0 for every u in it); when S > 2/η there, ∇S
    is undefined and the member fails (``status`` "degenerate"; a single point raises).

    Parameters
    ----------
    model : the loss.
    theta : (..., p) points; NaN rows give NaN (divergence is data).
    eta : step size(s) > 0, broadcast against ``theta.shape[:-1]``.
    steps : number of linearised steps (the authors use 3); all are always taken.
    tol : ``converged`` means the next linearised correction has length ≤ tol·(1 + ‖θ‖).
    min_gap : the eigengap guard: the top eigenvalue counts as degenerate when
        λ₁ − λ₂ < min_gap·max(1, |λ₁|).

    Raises
    ------
    ValueError naming ``theta`` for a single point (theta of shape (p,) and scalar eta) whose
    projection fails (degenerate top eigenvalue or no descent direction while S > 2/η, S ≤ 0,
    or a Hessian that overflows there); ValueError / TypeError naming any invalid argument.
    """
    model = _model(model)
    th = model._theta(theta)
    e = _eta(eta)
    steps = positive_int(steps, "steps", allow_zero=True)
    if steps > 10_000:
        raise ValueError(f"steps must be <= 10000 (the authors use 3), got {steps}")
    tol = _tol(tol)
    min_gap = _min_gap(min_gap)
    try:
        batch = np.broadcast_shapes(th.shape[:-1], e.shape)
    except ValueError as exc:
        raise ValueError(
            f"eta (shape {e.shape}) does not broadcast against theta's batch {th.shape[:-1]}"
        ) from exc
    n = int(np.prod(batch, dtype=np.int64))
    p_dim = model.n_params
    limits.check_memory(
        f"theta/eta: a batch of {n} points",
        [("Hessians and eigenvectors", 8.0 * n * (3 * p_dim * p_dim + 8 * p_dim))],
        "Project fewer points per call.",
    )
    z = np.broadcast_to(th, (*batch, p_dim)).reshape(-1, p_dim).copy()
    ef = np.broadcast_to(e, batch).reshape(-1).astype(float)
    single = th.ndim == 1 and e.ndim == 0
    if single and np.all(np.isfinite(z)):
        with np.errstate(all="ignore"):
            H0 = model._hessian(z)
        if not np.all(np.isfinite(H0)):
            raise ValueError(
                f"theta: the Hessian is not finite at theta = {th.tolist()} (the loss or its "
                "derivatives overflow float64 there); the projection is undefined at that point"
            )
    pts, status, geo, resid, conv = _project_flat(model, z, ef, steps, min_gap, tol)
    if single and status[0] in (_DEGENERATE, _NODESCENT, _NONPOS) and np.all(np.isfinite(z)):
        reason = {
            _DEGENERATE: "the top Hessian eigenvalue is not simple (eigengap below min_gap) "
            "while S > 2/eta, so the sharpness gradient is undefined",
            _NODESCENT: "the sharpness gradient (orthogonal to u) vanishes while S > 2/eta, so "
            "the stable set {S <= 2/eta} cannot be reached by the linearised projection (it "
            "may be empty near theta, e.g. a quadratic with S > 2/eta)",
            _NONPOS: "the top Hessian eigenvalue is <= 0 while u.grad L != 0, so the Newton "
            "step along u is undefined",
        }[int(status[0])]
        raise ValueError(f"theta: cannot project {th.tolist()} at eta = {float(e)}: {reason}")
    with np.errstate(all="ignore"):
        excess = geo.S - 2.0 / ef
        gap = np.where(status == 0, geo.gap, np.nan)
    bad = status != 0

    def shape(a: np.ndarray) -> np.ndarray:
        a = np.where(bad, np.nan, a) if a.dtype.kind == "f" else a
        return a.reshape(batch)

    return ProjectionResult(
        theta=pts.reshape((*batch, p_dim)),
        sharpness=shape(geo.S),
        sharpness_excess=shape(excess),
        residual=shape(resid),
        eigengap=shape(gap),
        converged=conv.reshape(batch),
        status=status.reshape(batch),
        message=_status_message(status, "stable_set_projection"),
    )


# ----------------------------------------------------------------------------- constrained traj.
@dataclass(frozen=True, eq=False)
class ConstrainedTrajectory:
    """GD and the constrained trajectory θ† it is predicted to follow (Damian et al. 2023).

    Arrays are over (step, *batch) with batch = eta.shape (() or (E,)); step = 0…T. Entries
    before a member's onset (and after a failure) are NaN.

    Attributes
    ----------
    steps : (T + 1,) step indices.
    eta : (*batch) step sizes.
    onset : the onset step t0 (int; None when GD never became unstable); a tuple over eta for a
        grid.
    theta : θ†_t, (T + 1, *batch, p).
    loss : L(θ†_t).
    predicted_loss : L(θ†) + 2α/(ηβ) (the time-averaged GD loss; 2α/β clipped at 0).
    alpha, beta, delta : α = −∇L·∇S⊥, β = ‖∇S⊥‖², δ = √(max(0, 2α/β)) at θ†.
    sharpness : S(θ†) (2/η while the constraint is active).
    eigengap : λ₁ − λ₂ at θ†.
    u : the top eigenvector at θ†, sign-aligned step to step (u_t·u_{t−1} > 0).
    x : u_t·(θ_GD,t − θ†_t), the oscillation coordinate.
    theta_gd, loss_gd, sharpness_gd : the GD run θ_0…θ_T it was started from.
    gd_diverged : (*batch) bool; x is NaN after divergence.
    status : (*batch) int (:data:`STATUS` of the projection that stopped the member; 0 ok).
    message : what happened (onsets, divergence, failures).
    """

    steps: np.ndarray
    eta: np.ndarray
    onset: Any
    theta: np.ndarray
    loss: np.ndarray
    predicted_loss: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    delta: np.ndarray
    sharpness: np.ndarray
    eigengap: np.ndarray
    u: np.ndarray
    x: np.ndarray
    theta_gd: np.ndarray
    loss_gd: np.ndarray
    sharpness_gd: np.ndarray
    gd_diverged: np.ndarray
    status: np.ndarray
    message: str
    model: Model | None = field(default=None, repr=False)
    min_gap: float = 1e-6


_ONSETS = ("iterate", "midpoint")


def _onset_rule(onset: Any) -> str | int:
    if isinstance(onset, str):
        if onset in _ONSETS:
            return onset
        raise ValueError(f"onset must be 'iterate', 'midpoint' or a step index >= 0, got {onset!r}")
    if isinstance(onset, (bool, np.bool_)) or not isinstance(onset, (numbers.Integral, float)):
        raise TypeError(f"onset must be 'iterate', 'midpoint' or a step index >= 0, got {onset!r}")
    return positive_int(onset, "onset", allow_zero=True)


def constrained_trajectory(
    model: Model,
    theta0: Any,
    eta: Any,
    steps: int,
    *,
    onset: str | int = "iterate",
    dagger_start: Any = None,
    proj_steps: int = 3,
    min_gap: float = 1e-6,
) -> ConstrainedTrajectory:
    """Run GD from θ0 and the constrained trajectory θ† (projected GD onto the stable set).

    Damian, Nichani, Lee (ICLR 2023), authors' ``constrained_step`` (brief §1.5):

    * onset t0: ``"iterate"`` the first t with S(θ_t) > 2/η; ``"midpoint"`` the first t with
      S((θ_t + θ_{t+1})/2) ≥ 2/η (the authors' ``find_instability``); or a given step index;
    * θ†_{t0} = proj(θ_{t0}),  θ†_{t+1} = proj(θ†_t − η∇L(θ†_t)), ``proj`` =
      :func:`stable_set_projection` with ``proj_steps`` linearised steps;
    * α = −∇L·∇S⊥, β = ‖∇S⊥‖², δ = √(2α/β) at θ†; predicted loss L(θ†) + 2α/(ηβ);
    * x_t = u_t·(θ_t − θ†_t) with u sign-aligned from step to step (brief §2.1).

    ``dagger_start`` (optional, (p,) or (E, p)) replaces θ_{t0} as the point projected at the
    onset: θ†_{t0} = proj(dagger_start). With ``theta0 = θ† + δu``, ``onset=0`` and
    ``dagger_start = θ†`` this is the seeded run of brief §3.3 (GD started on its 2-cycle, θ†
    from θ†; the default v⋆_0 of :func:`predicted_dynamics` is then δu).

    ``eta`` is a scalar or a 1-D grid (one GD call for the grid; the projections are vectorised
    over it); ``theta0`` is a single point (p,). ``steps`` is the number of GD steps T (records
    0…T). GD that never becomes unstable gives ``onset`` None and NaN θ†; divergence of GD is
    data (``gd_diverged``, x NaN afterwards); a projection failure stops that member (``status``,
    ``message``).
    """
    model = _model(model)
    th0 = _theta0(model, theta0)
    e = _eta(eta, max_ndim=1)
    steps = positive_int(steps, "steps")
    rule = _onset_rule(onset)
    if isinstance(rule, int) and rule > steps:
        raise ValueError(f"onset must be <= steps ({steps}), got {rule}")
    proj_steps = positive_int(proj_steps, "proj_steps", allow_zero=True)
    if proj_steps > 10_000:
        raise ValueError(f"proj_steps must be <= 10000 (the authors use 3), got {proj_steps}")
    min_gap = _min_gap(min_gap)
    E = int(e.size)
    p = model.n_params
    if dagger_start is not None:
        ds = model._theta(dagger_start, "dagger_start")
        if ds.shape not in ((p,), (E, p)) or not np.all(np.isfinite(ds)):
            raise ValueError(
                f"dagger_start must be a finite point of shape ({p},) or ({E}, {p}), got shape "
                f"{ds.shape}"
            )
        ds = np.broadcast_to(ds, (E, p))
    T1 = steps + 1
    limits.check_memory(
        f"steps={steps}",
        [(f"{T1} records of {E} members (GD, theta dagger, u)", 8.0 * T1 * E * (4 * p + 12))],
        "Use fewer steps or fewer step sizes per call.",
    )
    ef = e.reshape(-1)
    tr = gd(model, th0, ef, steps)
    th_gd = tr.theta  # (T1, E, p)
    with np.errstate(all="ignore"):
        s_gd = tr.sharpness  # (T1, E)
        if rule == "iterate":
            hit = s_gd > 2.0 / ef
        elif rule == "midpoint":
            mid = 0.5 * (th_gd[:-1] + th_gd[1:])
            s_mid = np.full(mid.shape[:-1], np.nan)
            okm = np.all(np.isfinite(mid), axis=-1)
            if okm.any():
                from .spectrum import sharpness as _sharp

                s_mid[okm] = _sharp(model, mid[okm])
            hit = np.concatenate([s_mid >= 2.0 / ef, np.zeros((1, E), dtype=bool)])
        else:
            hit = np.zeros((T1, E), dtype=bool)
            hit[rule] = True
    has = hit.any(axis=0)
    t0 = np.where(has, np.argmax(hit, axis=0), -1)

    theta = np.full((T1, E, p), np.nan)
    u_all = np.full((T1, E, p), np.nan)
    S_all = np.full((T1, E), np.nan)
    gap_all = np.full((T1, E), np.nan)
    alpha = np.full((T1, E), np.nan)
    beta = np.full((T1, E), np.nan)
    loss = np.full((T1, E), np.nan)
    status = np.zeros(E, dtype=np.int64)
    prev = np.full((E, p), np.nan)
    prev_g = np.full((E, p), np.nan)
    prev_u = np.full((E, p), np.nan)
    start = int(t0[has].min()) if has.any() else T1
    for t in range(start, T1):
        first = t0 == t
        cont = has & (t0 < t) & (status == 0)
        act = first | cont
        if not act.any():
            continue
        start_pt = th_gd[t] if dagger_start is None else ds
        z = np.where(first[:, None], start_pt, prev - ef[:, None] * prev_g)
        idx = np.nonzero(act)[0]
        pts, st, geo, _, _ = _project_flat(model, z[idx], ef[idx], proj_steps, min_gap, np.inf)
        status[idx] = np.where(status[idx] == 0, st, status[idx])
        good = st == 0
        gi = idx[good]
        u = geo.u[good]
        pu = prev_u[gi]
        with np.errstate(all="ignore"):
            sgn = np.sign(np.einsum("ij,ij->i", u, pu))
        sgn[~np.isfinite(sgn) | (sgn == 0)] = 1.0
        u = u * sgn[:, None]
        theta[t, gi] = pts[good]
        u_all[t, gi] = u
        S_all[t, gi] = geo.S[good]
        gap_all[t, gi] = geo.gap[good]
        with np.errstate(all="ignore"):
            alpha[t, gi] = -np.einsum("ij,ij->i", geo.g[good], geo.dSp[good])
            beta[t, gi] = np.einsum("ij,ij->i", geo.dSp[good], geo.dSp[good])
        prev[gi] = pts[good]
        prev_g[gi] = geo.g[good]
        prev_u[gi] = u
    with np.errstate(all="ignore"):
        ok_rows = np.all(np.isfinite(theta), axis=-1)
        if ok_rows.any():
            loss[ok_rows] = model.loss(theta[ok_rows])
        ratio = np.maximum(0.0, 2.0 * alpha / beta)
        ratio = np.where(np.isfinite(alpha) & np.isfinite(beta), ratio, np.nan)
        delta = np.sqrt(ratio)
        predicted = loss + ratio / ef
        x = np.einsum("tep,tep->te", u_all, th_gd - theta)
    msgs = []
    for i in range(E):
        tag = f"eta={ef[i]:g}: "
        if not has[i]:
            msgs.append(tag + f"GD never reached S > 2/eta in {steps} steps (onset None)")
            continue
        m = tag + f"onset t0={int(t0[i])}"
        if tr.diverged[i]:
            m += f"; GD diverged at step {int(tr.diverged_at[i])} (x is NaN afterwards)"
        if status[i] != 0:
            stop = int(np.argmax(~np.isfinite(theta[:, i, 0]) & (np.arange(T1) >= t0[i])))
            m += f"; projection failed ({STATUS[int(status[i])]}) at step {stop}"
        msgs.append(m)
    scalar = e.ndim == 0

    def sq(a: np.ndarray) -> np.ndarray:
        return a[:, 0] if scalar else a

    onset_out: Any = tuple(int(v) if v >= 0 else None for v in t0)
    if scalar:
        onset_out = onset_out[0]
    return ConstrainedTrajectory(
        steps=np.arange(T1),
        eta=np.array(e),
        onset=onset_out,
        theta=sq(theta),
        loss=sq(loss),
        predicted_loss=sq(predicted),
        alpha=sq(alpha),
        beta=sq(beta),
        delta=sq(delta),
        sharpness=sq(S_all),
        eigengap=sq(gap_all),
        u=sq(u_all),
        x=sq(x),
        theta_gd=sq(th_gd),
        loss_gd=sq(tr.loss),
        sharpness_gd=sq(s_gd),
        gd_diverged=tr.diverged[0] if scalar else tr.diverged,
        status=status[0] if scalar else status,
        message="; ".join(msgs),
        model=model,
        min_gap=min_gap,
    )


# ----------------------------------------------------------------------------- predicted dynamics
@dataclass(frozen=True, eq=False)
class PredictedDynamics:
    """The authors' predicted dynamics v⋆ around θ† (Damian et al. 2023, ``predicted_step``).

    Arrays over (step, *batch) aligned with the :class:`ConstrainedTrajectory` (NaN before onset).

    Attributes
    ----------
    v : v⋆_t, the predicted displacement θ_t − θ†_t.
    theta : θ†_t + v⋆_t, the predicted GD iterate.
    loss : L(θ† + v⋆).
    sharpness : S(θ†) + ∇S·v⋆ (the authors' ``S_taylor``).
    x : u_t·v⋆_t;  y : ∇S⊥_t·v⋆_t.
    """

    steps: np.ndarray
    v: np.ndarray
    theta: np.ndarray
    loss: np.ndarray
    sharpness: np.ndarray
    x: np.ndarray
    y: np.ndarray


def predicted_dynamics(constrained: ConstrainedTrajectory, v0: Any = None) -> PredictedDynamics:
    """Iterate the predicted displacement v⋆ along a constrained trajectory (Damian et al. 2023).

    v⋆_{t+1} = v⋆_t − η[ H(θ†_t)v⋆_t + ½(x⋆_t² − δ_t²)∇S⊥_t + x⋆_t y⋆_t u_t ],
    x⋆ = u·v⋆, y⋆ = ∇S⊥·v⋆, δ² = 2α/β, all at θ†_t (authors' ``predicted_step``, brief §1.5),
    from v⋆_{t0} = θ_{t0} − θ†_{t0} or a user seed ``v0`` ((p,) or (*batch, p)). Predictions:
    θ ≈ θ† + v⋆, L(θ) ≈ L(θ† + v⋆), S(θ) ≈ S(θ†) + ∇S·v⋆.
    """
    if not isinstance(constrained, ConstrainedTrajectory) or constrained.model is None:
        raise TypeError(
            "constrained must be the result of tm.constrained_trajectory, got "
            f"{type(constrained).__name__}"
        )
    ct = constrained
    model = ct.model
    p = model.n_params
    scalar = ct.eta.ndim == 0
    theta = ct.theta if not scalar else ct.theta[:, None]
    th_gd = ct.theta_gd if not scalar else ct.theta_gd[:, None]
    T1, E = theta.shape[:2]
    ef = ct.eta.reshape(-1)
    onsets = (ct.onset,) if scalar else ct.onset
    if v0 is not None:
        v0a = as_float_array(v0, "v0")
        if v0a.shape not in ((p,), (E, p)) and not (scalar and v0a.shape == (1, p)):
            raise ValueError(
                f"v0 must have shape ({p},) or ({E}, {p}) (one seed per step size), got shape "
                f"{v0a.shape}"
            )
        v0a = np.broadcast_to(v0a.reshape(-1, p), (E, p))
    # geometry along θ†, vectorised over all steps
    flat = theta.reshape(-1, p)
    ok = np.all(np.isfinite(flat), axis=-1)
    geo = _geometry(model, np.where(ok[:, None], flat, 0.0))
    with np.errstate(all="ignore"):
        H = geo.H.reshape(T1, E, p, p)
        U = geo.u.reshape(T1, E, p)
        dSp = geo.dSp.reshape(T1, E, p)
        dS = geo.dS.reshape(T1, E, p)
        beta = np.einsum("tei,tei->te", dSp, dSp)
        alpha = -np.einsum("tei,tei->te", geo.g.reshape(T1, E, p), dSp)
        d2 = 2.0 * alpha / beta
    ok = ok.reshape(T1, E)
    V = np.full((T1, E, p), np.nan)
    for i in range(E):
        t0 = onsets[i]
        if t0 is None:
            continue
        v = (th_gd[t0, i] - theta[t0, i]) if v0 is None else v0a[i].copy()
        eta = ef[i]
        with np.errstate(all="ignore"):
            for t in range(t0, T1):
                if not ok[t, i] or not np.all(np.isfinite(v)):
                    break
                V[t, i] = v
                if t + 1 == T1:
                    break
                xs = U[t, i] @ v
                ys = dSp[t, i] @ v
                v = v - eta * (
                    H[t, i] @ v + 0.5 * (xs * xs - d2[t, i]) * dSp[t, i] + xs * ys * U[t, i]
                )
    with np.errstate(all="ignore"):
        pred = theta + V
        good = np.all(np.isfinite(pred), axis=-1)
        L = np.full((T1, E), np.nan)
        if good.any():
            L[good] = model.loss(pred[good])
        Sp = geo.S.reshape(T1, E) + np.einsum("tei,tei->te", dS, V)
        x = np.einsum("tei,tei->te", U, V)
        y = np.einsum("tei,tei->te", dSp, V)
        Sp = np.where(ok, Sp, np.nan)

    def sq(a: np.ndarray) -> np.ndarray:
        return a[:, 0] if scalar else a

    return PredictedDynamics(
        steps=ct.steps, v=sq(V), theta=sq(pred), loss=sq(L), sharpness=sq(Sp), x=sq(x), y=sq(y)
    )


# ----------------------------------------------------------------------------- central flow
@dataclass(frozen=True, eq=False)
class CentralFlow:
    """The central flow w(t) of Cohen, Damian et al. (ICLR 2025), time t in GD steps.

    Arrays over (record, *batch) with batch = eta.shape.

    Attributes
    ----------
    t : (N,) record times (GD steps).
    theta : w(t), (N, *batch, p).
    sigma2 : σ²(t), the predicted variance of the oscillation along u.
    loss : L(w);  predicted_loss : L(w) + σ²/η (time-averaged GD loss).
    grad_norm2 : ‖∇L(w)‖²;  predicted_grad_norm2 : ‖∇L(w)‖² + (2/η)²σ².
    sharpness : S(w);  lambda2 : the second Hessian eigenvalue at w.
    entry_time : (*batch) first time σ² > 0 (NaN when the flow never reaches 2/η).
    multiple_unstable : (*batch) bool: λ₂(w) ≥ 1.95/η at some record (the scalar σ² model no
        longer applies: the SDCP for several eigenvalues is not implemented).
    diverged : (*batch) bool (state left ``bound`` or stopped at a degenerate eigenvalue).
    method : "solve_ivp" or "euler";  message : what happened.
    """

    t: np.ndarray
    eta: np.ndarray
    theta: np.ndarray
    sigma2: np.ndarray
    loss: np.ndarray
    predicted_loss: np.ndarray
    grad_norm2: np.ndarray
    predicted_grad_norm2: np.ndarray
    sharpness: np.ndarray
    lambda2: np.ndarray
    entry_time: np.ndarray
    multiple_unstable: np.ndarray
    diverged: np.ndarray
    method: str
    message: str


_CF_METHODS = ("solve_ivp", "euler")
#: the authors' "critical" eigenvalue threshold (×1/η) of the Euler discretisation
CRITICAL = 1.95


def _record_times(t_end: float) -> np.ndarray:
    n = math.floor(t_end)
    t = np.arange(n + 1, dtype=float)
    if t_end - n > 1e-12:
        t = np.append(t, t_end)
    return t


def _cf_euler(
    model: Model,
    th0: np.ndarray,
    ef: np.ndarray,
    times: np.ndarray,
    substeps: int,
    bound: float,
    min_gap: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Euler with dt = 1/substeps per GD step and the scalar SDCP (authors' ``minimal.py``)."""
    E, p = ef.size, th0.size
    w = np.broadcast_to(th0, (E, p)).copy()
    W = np.full((times.size, E, p), np.nan)
    X_rec = np.full((times.size, E), np.nan)
    entry = np.full(E, np.nan)
    dead = np.zeros(E, dtype=bool)
    t = 0.0

    def substep(dt: float, record: int | None) -> None:
        nonlocal w
        geo = _geometry(model, w)
        with np.errstate(all="ignore"):
            crit = geo.S > CRITICAL / ef
            at = -np.einsum("ij,ij->i", geo.dS, geo.g)  # α̃ = −∇S·∇L
            bt = np.einsum("ij,ij->i", geo.dS, geo.dS)  # β = ‖∇S‖²
            X = np.where(
                crit, np.maximum(0.0, (geo.S - 2.0 / ef + dt * ef * at) / (dt * ef * bt / 2)), 0.0
            )
            X = np.where(crit & ~(bt > 0), 0.0, X)
            degen = crit & (X > 0) & _degenerate(geo, min_gap)
            newly = (X > 0) & np.isnan(entry) & ~dead
            entry[newly] = t
            if record is not None:
                W[record] = np.where(dead[:, None], np.nan, w)
                X_rec[record] = np.where(dead, np.nan, X)
            w = w - dt * ef[:, None] * (geo.g + 0.5 * X[:, None] * geo.dS)
            bad = ~geo.ok | degen | ~np.all(np.abs(w) <= bound, axis=-1)
            dead[bad] = True
            w[dead] = np.nan

    k = 0
    for r in range(times.size):
        target = times[r]
        # substeps up to the record time, then record (at the start of the next substep)
        while target - t > 1e-12:
            span = min(1.0, target - t)
            n = max(1, math.ceil(span * substeps - 1e-9))
            dt = span / n
            for _ in range(n):
                substep(dt, None)
                t += dt
                k += 1
            t = round(t, 9) if abs(t - round(t)) < 1e-9 else t
        # record at time t (the state before the next substep, with its σ²)
        geo = _geometry(model, w)
        with np.errstate(all="ignore"):
            dt = 1.0 / substeps
            crit = geo.S > CRITICAL / ef
            at = -np.einsum("ij,ij->i", geo.dS, geo.g)
            bt = np.einsum("ij,ij->i", geo.dS, geo.dS)
            X = np.where(
                crit, np.maximum(0.0, (geo.S - 2.0 / ef + dt * ef * at) / (dt * ef * bt / 2)), 0.0
            )
            X = np.where(crit & ~(bt > 0), 0.0, X)
        W[r] = np.where(dead[:, None], np.nan, w)
        X_rec[r] = np.where(dead, np.nan, X)
        newly = (X > 0) & np.isnan(entry) & ~dead
        entry[newly] = t
    return W, X_rec, entry, dead


def _cf_ivp(
    model: Model,
    th0: np.ndarray,
    eta: float,
    times: np.ndarray,
    rtol: float,
    atol: float,
    bound: float,
    gamma: float,
    min_gap: float,
) -> tuple[np.ndarray, np.ndarray, float, bool, str]:
    """One member: gradient flow until S = 2/η (event), then the stabilised projected flow while
    σ² > 0 (event σ² = 0 ends it), and so on."""
    p = th0.size
    crit = 2.0 / eta

    def geo1(w: np.ndarray) -> _Geo:
        return _geometry(model, w[None, :])

    def sigma2(g: _Geo) -> float:
        at = -float(g.dS[0] @ g.g[0])
        bt = float(g.dS[0] @ g.dS[0])
        return (2.0 * at + 2.0 * gamma * (g.S[0] - crit) / eta) / bt if bt > 0 else 0.0

    def rhs_gf(_t: float, w: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return -eta * model._grad(w[None, :])[0]

    def rhs_cf(_t: float, w: np.ndarray) -> np.ndarray:
        g = geo1(w)
        with np.errstate(all="ignore"):
            s2 = sigma2(g)
            return -eta * (g.g[0] + 0.5 * s2 * g.dS[0])

    def ev_enter(_t: float, w: np.ndarray) -> float:
        g = geo1(w)
        return float(g.S[0] - crit) if g.ok[0] else 1.0

    ev_enter.terminal = True  # type: ignore[attr-defined]
    ev_enter.direction = 1  # type: ignore[attr-defined]

    def ev_leave(_t: float, w: np.ndarray) -> float:
        g = geo1(w)
        return sigma2(g) if g.ok[0] else -1.0

    ev_leave.terminal = True  # type: ignore[attr-defined]
    ev_leave.direction = -1  # type: ignore[attr-defined]

    def ev_escape(_t: float, w: np.ndarray) -> float:
        m = float(np.max(np.abs(w)))
        return bound - m if np.isfinite(m) else -1.0

    ev_escape.terminal = True  # type: ignore[attr-defined]

    W = np.full((times.size, p), np.nan)
    phase = np.zeros(times.size, dtype=bool)
    w = th0.copy()
    t = 0.0
    t_end = float(times[-1])
    g0 = geo1(w)
    constrained = bool(g0.S[0] >= crit and sigma2(g0) > 0)
    entry = 0.0 if constrained else math.nan
    W[0] = w
    phase[0] = constrained
    switches = 0
    msg = ""
    failed = False
    while t < t_end:
        sel = times > t + 1e-12
        te = times[sel]
        if te.size == 0:
            break
        rhs = rhs_cf if constrained else rhs_gf
        events = [ev_leave if constrained else ev_enter, ev_escape]
        with np.errstate(all="ignore"):
            sol = solve_ivp(
                rhs, (t, t_end), w, method="RK45", t_eval=te, rtol=rtol, atol=atol, events=events
            )
        ys = np.asarray(sol.y, dtype=float).reshape(p, -1)
        n = ys.shape[1]
        idx = np.nonzero(sel)[0][:n]
        W[idx] = ys.T
        phase[idx] = constrained
        if sol.status == -1:
            failed, msg = True, f"solve_ivp failed at t={sol.t[-1]:.6g}: {sol.message}"
            break
        if sol.status == 0:
            break
        if sol.t_events[1].size:
            failed, msg = True, f"left |w_i| <= bound at t={sol.t_events[1][0]:.6g}"
            break
        t = float(sol.t_events[0][0])
        w = sol.y_events[0][0].copy()
        constrained = not constrained
        if constrained and math.isnan(entry):
            entry = t
        if constrained:
            g = geo1(w)
            if _degenerate(g, min_gap)[0]:
                failed = True
                msg = f"top eigenvalue not simple at t={t:.6g} (grad S undefined); stopped"
                break
        switches += 1
        if switches > 100_000:
            failed, msg = True, "more than 100000 switches (chattering); stopped"
            break
    return W, phase, entry, failed, msg


def central_flow(
    model: Model,
    theta0: Any,
    eta: Any,
    t_end: float,
    *,
    method: str = "solve_ivp",
    substeps: int = 4,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    stabilization: float = 1.0,
    bound: float = 1e10,
    min_gap: float = 1e-6,
) -> CentralFlow:
    """The central flow of gradient descent (Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025).

    With time t in GD steps and one unstable eigenvalue::

        dw/dt = −η[∇L(w) + ½σ²∇S(w)],  σ² = max(0, 2⟨−∇L, ∇S⟩/‖∇S‖²) once S has reached 2/η,

    i.e. gradient flow while S < 2/η and, after S reaches 2/η, the projected gradient flow
    dw/dt = −η(I − ∇S∇Sᵀ/‖∇S‖²)∇L on the surface {S = 2/η} while −∇L·∇S > 0 (the flow would
    otherwise leave the stable region). σ² is the predicted time-averaged x² of GD, so the
    time-averaged GD loss is predicted as L(w) + σ²/η and ‖∇L‖² as ‖∇L(w)‖² + (2/η)²σ².

    Methods
    -------
    ``"solve_ivp"`` (default): RK45 (``rtol``, ``atol``) with events. Gradient flow until the
    event S = 2/η (upward); then the constrained phase, integrated with a Baumgarte-stabilised
    σ² = 2(α̃ + γ(S − 2/η)/η)/‖∇S‖² (α̃ = −∇S·∇L, γ = ``stabilization`` per GD step), so that
    dS/dt = −γ(S − 2/η) along the flow and integration error cannot drift S off 2/η; the
    constrained phase ends at the event σ² = 0 (downward) and gradient flow resumes. An initial
    point with S ≥ 2/η and σ² > 0 starts constrained. σ² is reported (stabilised form) at the
    records.
    ``"euler"``: the authors' discretisation: Euler substeps dt = 1/``substeps``, the scalar SDCP
    on the next-substep residual X = max(0, (S − 2/η + dt·ηα̃)/(dt·ηβ/2)), β = ‖∇S‖², applied
    only when S > 1.95/η ("critical"), w ← w − dt·η(∇L + ½X∇S). Batched over ``eta``.

    Records at t = 0, 1, …, ⌊t_end⌋ (and t_end). ``eta``: scalar or 1-D grid (solve_ivp
    integrates each member separately). Several unstable eigenvalues: detected (λ₂ ≥ 1.95/η at a
    record → ``multiple_unstable`` and the message); the SDCP for k ≥ 2 is not implemented and
    the scalar σ² is used (documented limitation). A degenerate top eigenvalue while constrained
    stops the member (NaN afterwards, ``diverged``).
    """
    model = _model(model)
    th0 = _theta0(model, theta0)
    e = _eta(eta, max_ndim=1)
    t_end = positive_float(t_end, "t_end")
    if not isinstance(method, str) or method not in _CF_METHODS:
        raise ValueError(f"method must be 'solve_ivp' or 'euler', got {method!r}")
    substeps = positive_int(substeps, "substeps")
    rtol = positive_float(rtol, "rtol")
    if rtol < 100 * np.finfo(float).eps:
        raise ValueError(f"rtol must be >= {100 * np.finfo(float).eps:.3g}, got {rtol!r}")
    atol = positive_float(atol, "atol")
    gamma = positive_float(stabilization, "stabilization", allow_zero=True)
    bound = positive_float(bound, "bound")
    min_gap = _min_gap(min_gap)
    E = int(e.size)
    p = model.n_params
    n_rec = math.floor(t_end) + 2
    work = 8.0 * n_rec * E * (p + 8)
    if method == "euler":
        work_steps = t_end * substeps * E
        if work_steps > 1e9:
            raise ValueError(
                f"t_end: {t_end:g} steps x {substeps} substeps x {E} members is too long a run "
                "(more than 1e9 substeps)"
            )
    limits.check_memory(
        f"t_end={t_end:g}",
        [(f"{n_rec} records of {E} members", work)],
        "Use a shorter t_end or fewer step sizes per call.",
    )
    if t_end > 1e8:
        raise ValueError(f"t_end must be <= 1e8 GD steps, got {t_end!r}")
    times = _record_times(t_end)
    ef = e.reshape(-1)
    msgs: list[str] = []
    if method == "euler":
        W, X, entry, dead = _cf_euler(model, th0, ef, times, substeps, bound, min_gap)
        for i in range(E):
            if dead[i]:
                msgs.append(f"eta={ef[i]:g}: stopped (diverged or degenerate top eigenvalue)")
    else:
        W = np.full((times.size, E, p), np.nan)
        phase = np.zeros((times.size, E), dtype=bool)
        entry = np.full(E, np.nan)
        dead = np.zeros(E, dtype=bool)
        for i in range(E):
            Wi, ph, ent, failed, msg = _cf_ivp(
                model, th0, float(ef[i]), times, rtol, atol, bound, gamma, min_gap
            )
            W[:, i] = Wi
            phase[:, i] = ph
            entry[i] = ent
            dead[i] = failed
            if msg:
                msgs.append(f"eta={ef[i]:g}: {msg}")
        X = None
    flat = W.reshape(-1, p)
    ok = np.all(np.isfinite(flat), axis=-1)
    geo = _geometry(model, np.where(ok[:, None], flat, 0.0))
    with np.errstate(all="ignore"):
        nan = np.where(ok, 0.0, np.nan)
        S = (geo.S + nan).reshape(times.size, E)
        lam2 = (geo.lam2 + nan).reshape(times.size, E)
        g = geo.g.reshape(times.size, E, p)
        L = np.full(flat.shape[0], np.nan)
        if ok.any():
            L[ok] = model.loss(flat[ok])
        L = L.reshape(times.size, E)
        if X is None:
            at = -np.einsum("ij,ij->i", geo.dS, geo.g).reshape(times.size, E)
            bt = np.einsum("ij,ij->i", geo.dS, geo.dS).reshape(times.size, E)
            s2 = 2.0 * (at + gamma * (S - 2.0 / ef) / ef) / bt
            X = np.where(phase, np.maximum(0.0, s2), 0.0) + nan.reshape(times.size, E)
        gn2 = np.einsum("tei,tei->te", g, g)
        pred_loss = L + X / ef
        pred_g = gn2 + (2.0 / ef) ** 2 * X
        multi = np.any(lam2 >= CRITICAL / ef, axis=0)
    for i in range(E):
        if multi[i]:
            t_m = float(times[np.argmax(lam2[:, i] >= CRITICAL / ef[i])])
            msgs.append(
                f"eta={ef[i]:g}: a second eigenvalue reached 1.95/eta at t={t_m:g}; the scalar "
                "sigma^2 model is used beyond it (the SDCP for several unstable eigenvalues is "
                "not implemented)"
            )
        if np.isnan(entry[i]):
            msgs.append(f"eta={ef[i]:g}: the flow never reached S = 2/eta (sigma^2 = 0 throughout)")
    scalar = e.ndim == 0

    def sq(a: np.ndarray) -> np.ndarray:
        return a[:, 0] if scalar else a

    return CentralFlow(
        t=times,
        eta=np.array(e),
        theta=sq(W),
        sigma2=sq(X),
        loss=sq(L),
        predicted_loss=sq(pred_loss),
        grad_norm2=sq(gn2),
        predicted_grad_norm2=sq(pred_g),
        sharpness=sq(S),
        lambda2=sq(lam2),
        entry_time=entry[0] if scalar else entry,
        multiple_unstable=multi[0] if scalar else multi,
        diverged=dead[0] if scalar else dead,
        method=method,
        message="; ".join(msgs) if msgs else "ok",
    )


# ----------------------------------------------------------------------------- prog. sharpening
@dataclass(frozen=True, eq=False)
class ProgressiveSharpening:
    """Progressive sharpening and edge-of-stability hovering, measured per member (Cohen et al.
    2021, §3: "so long as the sharpness is less than 2/η, it tends to continually rise"; then it
    "hovers just above 2/η").

    Arrays of the trajectory's batch shape.

    Attributes
    ----------
    eta : step sizes.
    initial_ratio : S_0·η/2.
    rose_from_below : S_0 < (1 − eps)·2/η and S later reached (1 − eps)·2/η.
    reach_step : first step with S ≥ (1 − eps)·2/η (−1: never).
    onset : first step with S > 2/η (−1: never).
    monotone_before : S strictly increasing over the steps 0…reach_step (False if never reached).
    loss_monotone_before : L strictly decreasing over the steps 0…reach_step.
    band_quantiles : (*batch, 3) quantiles 5%, 50%, 95% of S·η/2 over the steps from onset on.
    fraction_in_band : fraction of those steps with |S·η/2 − 1| < band.
    max_ratio : max S·η/2 from onset on;  final_ratio : S·η/2 at the last step.
    eps, band : the thresholds used.
    """

    eta: np.ndarray
    initial_ratio: np.ndarray
    rose_from_below: np.ndarray
    reach_step: np.ndarray
    onset: np.ndarray
    monotone_before: np.ndarray
    loss_monotone_before: np.ndarray
    band_quantiles: np.ndarray
    fraction_in_band: np.ndarray
    max_ratio: np.ndarray
    final_ratio: np.ndarray
    eps: float
    band: float


def progressive_sharpening(
    source: Trajectory | Model,
    theta0: Any = None,
    eta: Any = None,
    steps: int | None = None,
    *,
    eps: float = 0.05,
    band: float = 0.1,
) -> ProgressiveSharpening:
    """Measure progressive sharpening then EoS hovering on GD trajectories (batched over η).

    ``source`` is a GD :class:`~toymodels.Trajectory` (``tm.gd``; its recorded sharpness is
    used) or a Model, in which case ``tm.gd(model, theta0, eta, steps)`` is run first. Reports,
    per member: whether S rose from below (1 − eps)·2/η to it, the first such step, whether S
    rose (and L fell) monotonically until then, the onset (first S > 2/η) and the hovering band
    after it (quantiles of S·η/2, the fraction of steps within ±``band``, max and final ratio).
    """
    if isinstance(source, Model):
        if theta0 is None or eta is None or steps is None:
            raise TypeError("theta0, eta and steps are required when source is a Model")
        tr = gd(source, theta0, eta, steps)
        if tr.theta.shape[0] < 2:
            raise ValueError(
                f"steps must be >= 1 (a trajectory of at least two steps), got {steps}"
            )
    elif isinstance(source, Trajectory):
        for name, val in (("theta0", theta0), ("eta", eta), ("steps", steps)):
            if val is not None:
                raise ValueError(f"{name} must be None when source is a Trajectory")
        tr = source
        if tr.model is None or tr.eta is None or tr.t is not None:
            raise ValueError(
                "source must be a GD trajectory (tm.gd) with a model and step sizes, not a map "
                "iteration or a gradient flow"
            )
        if tr.theta.shape[0] < 2:
            raise ValueError("source must record at least two steps (record_every >= 1)")
    else:
        raise TypeError(
            f"source must be a toymodels.Trajectory or a toymodels.Model, got "
            f"{type(source).__name__}"
        )
    eps = positive_float(eps, "eps")
    if eps >= 1:
        raise ValueError(f"eps must be in (0, 1), got {eps!r}")
    band = positive_float(band, "band")
    with np.errstate(all="ignore"):
        S = tr.sharpness
        L = tr.loss
        crit = 2.0 / tr.eta
        ratio = S / crit
        steps_arr = tr.steps
        reach = ratio >= 1 - eps
        has_reach = reach.any(axis=0)
        reach_i = np.where(has_reach, np.argmax(reach, axis=0), -1)
        above = ratio > 1
        has_on = above.any(axis=0)
        on_i = np.where(has_on, np.argmax(above, axis=0), -1)
        T = S.shape[0]
        idx = np.arange(T).reshape((T,) + (1,) * (S.ndim - 1))
        dS = np.diff(S, axis=0)
        dL = np.diff(L, axis=0)
        before = idx[1:] <= reach_i  # increments up to the reach step
        mono = np.all(np.where(before, dS > 0, True), axis=0) & has_reach
        lmono = np.all(np.where(before, dL < 0, True), axis=0) & has_reach
        after = (idx >= on_i) & has_on
        r_after = np.where(after, ratio, np.nan)
        n_after = np.sum(after & np.isfinite(ratio), axis=0)
        inb = np.sum(after & (np.abs(ratio - 1) < band), axis=0)
        frac = np.where(n_after > 0, inb / np.maximum(n_after, 1), np.nan)
        q = np.full((*S.shape[1:], 3), np.nan)
        mx = np.full(S.shape[1:], np.nan)
        flat_r = r_after.reshape(T, -1)
        qf = q.reshape(-1, 3)
        mf = mx.reshape(-1)
        for j in range(flat_r.shape[1]):
            col = flat_r[:, j]
            col = col[np.isfinite(col)]
            if col.size:
                qf[j] = np.quantile(col, [0.05, 0.5, 0.95])
                mf[j] = col.max()
        init = ratio[0]
        rose = (init < 1 - eps) & has_reach
    return ProgressiveSharpening(
        eta=np.array(tr.eta),
        initial_ratio=init,
        rose_from_below=rose,
        reach_step=np.where(reach_i >= 0, steps_arr[np.maximum(reach_i, 0)], -1),
        onset=np.where(on_i >= 0, steps_arr[np.maximum(on_i, 0)], -1),
        monotone_before=mono,
        loss_monotone_before=lmono,
        band_quantiles=qf.reshape(q.shape),
        fraction_in_band=frac,
        max_ratio=mf.reshape(mx.shape),
        final_ratio=ratio[-1],
        eps=eps,
        band=band,
    )
