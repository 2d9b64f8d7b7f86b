"""Orbit analysis for any :class:`~toymodels.maps.Map`: periods, cycles, bifurcations, chaos.

* :func:`period` – the period of the attractor reached from a state (after a burn-in).
* :func:`find_cycle` – a period-k orbit by Newton's method on G(z) = F^k(z) − z, with its
  multipliers (eigenvalues of DF^k).
* :func:`period_doubling_points` – flip bifurcations of a parameter family, by continuation of the
  attracting cycle and root finding on its multiplier (the point where an eigenvalue of DF^k
  crosses −1), polished by Newton on {F^k(z) = z, det(DF^k(z) + I) = 0}.
* :func:`saddle_node_points` – folds: Newton on {F^k(z) = z, det(DF^k(z) − I) = 0}.
* :func:`lyapunov_exponent` – the largest exponent: ⟨log|F'(z_t)|⟩ in 1-D, Benettin's QR method
  (Benettin, Galgani, Giorgilli, Strelcyn 1980) in higher dimension.
* :func:`classify` – a :class:`Phase`: converged (monotone / oscillating), periodic k, chaotic,
  diverged or unknown.
* :func:`bifurcation_diagram` – orbit-diagram data over a parameter grid, with explicit seeding.

The reference numbers these are tested against are the cubic map of Chen, Balasubramanian,
Ghosal, Agrawalla (TMLR 2024), F_a(z) = z(1 + a(1 − z))², whose cascade is a = 1, √5 − 1,
1.288031754483, 1.299227939650, 1.301628914037, … → 1.3022834627.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ._validate import as_float_array, positive_float, positive_int
from .dynamics import _iterate, iterate
from .maps import Map, MapFamily, as_family
from .model import Model

__all__ = [
    "Bifurcation",
    "BifurcationDiagram",
    "Cycle",
    "LyapunovResult",
    "Phase",
    "bifurcation_diagram",
    "classify",
    "find_cycle",
    "lyapunov_exponent",
    "period",
    "period_doubling_points",
    "saddle_node_points",
]


# ---------------------------------------------------------------------------- result objects
@dataclass(frozen=True)
class Cycle:
    """A periodic orbit found by Newton's method on F^k(z) = z.

    ``period`` is the *minimal* period of the orbit found (it may divide the requested ``k``);
    ``multipliers`` are the eigenvalues of DF^period along the orbit, ``stable`` means all have
    modulus < 1, ``residual`` is |F^k(z) − z|_∞ at the returned point.
    """

    points: np.ndarray
    period: int
    multipliers: np.ndarray
    stable: bool
    residual: float
    converged: bool
    iterations: int

    @property
    def multiplier(self) -> complex | float:
        """The multiplier of largest modulus."""
        m = self.multipliers[np.argmax(np.abs(self.multipliers))]
        return float(m.real) if abs(m.imag) < 1e-14 else complex(m)


@dataclass(frozen=True)
class Bifurcation:
    """A bifurcation point located by root finding on the k-step map.

    ``param`` is the polished value; ``bracket`` the parameter interval in which the test
    function changed sign; ``test_values`` the test function (multiplier ∓ 1) at its ends;
    ``residual`` the max-norm of the augmented Newton system at ``param``.
    """

    kind: str
    param: float
    period: int
    point: np.ndarray
    bracket: tuple[float, float]
    test_values: tuple[float, float]
    residual: float
    converged: bool

    def __float__(self) -> float:
        return float(self.param)


@dataclass(frozen=True)
class LyapunovResult:
    """Largest Lyapunov exponent with diagnostics (``exponent`` NaN for diverged members)."""

    exponent: np.ndarray
    steps: int
    burn_in: int
    diverged: np.ndarray
    half_difference: np.ndarray  # |λ(first half) − λ(second half)|: a convergence indicator


@dataclass(frozen=True)
class Phase:
    """What GD (or any map) does from one state.

    kind : ``converged_monotone`` (dominant multiplier at the limit in [0, 1); multipliers equal
        to 1, i.e. directions along a manifold of minima, are ignored),
        ``converged_oscillating`` (dominant multiplier in (−1, 0): residuals alternate in sign),
        ``periodic`` (an attracting cycle of ``period`` ≥ 2), ``chaotic`` (no period up to
        ``max_period`` and largest Lyapunov exponent > ``chaos_threshold``), ``diverged``, or
        ``unknown`` (aperiodic, exponent too close to 0 to decide). When a :class:`Model` is
        classified (GD with step ``eta``), converged runs whose loss rose above its initial value
        at some step are ``catapult`` (Lewkowycz et al. 2020: the loss spikes, the curvature
        drops, then GD converges); ``peak_loss_ratio`` is max_t L_t / L_0.
    """

    kind: str
    period: int = 0
    lyapunov: float = float("nan")
    multiplier: float = float("nan")
    diverged_at: int = -1
    limit: np.ndarray | None = field(default=None, repr=False)
    peak_loss_ratio: float = float("nan")

    @property
    def converged(self) -> bool:
        """True for the converged kinds (including ``catapult``, which converges)."""
        return self.kind.startswith("converged") or self.kind == "catapult"

    def __str__(self) -> str:
        if self.kind == "periodic":
            return f"periodic({self.period})"
        if self.kind == "diverged":
            return f"diverged(at step {self.diverged_at})"
        return self.kind


@dataclass(frozen=True)
class BifurcationDiagram:
    """Orbit-diagram data: ``points[i]`` are ``keep`` states after ``burn_in`` at ``params[i]``."""

    params: np.ndarray
    points: np.ndarray
    burn_in: int
    seeding: str
    diverged: np.ndarray


# ---------------------------------------------------------------------------- period
def _check_map(F: Any) -> Map:
    if not isinstance(F, Map):
        raise TypeError(f"F must be a toymodels.Map, got {type(F).__name__}")
    return F


def _single_state(F: Map, x: Any, name: str) -> np.ndarray:
    """One state of ``F`` as a (dim,) vector; refuses batches."""
    z = F.state(x, name)
    if z.size != F.dim:
        raise ValueError(f"{name} must be one state of dimension {F.dim}, got shape {np.shape(x)}")
    return z.reshape(-1)


def _scalar_param(value: Any, name: str) -> float:
    arr = as_float_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got shape {arr.shape}")
    return float(arr)


def _period_from_window(w: np.ndarray, max_period: int, tol: float) -> np.ndarray:
    """Smallest k ≤ max_period with |w[t+k] − w[t]| ≤ tol(1 + |w[t]|) over the whole window."""
    # w: (W, B, dim) with W ≥ 2 * max_period
    W = w.shape[0]
    B = w.shape[1]
    per = np.zeros(B, dtype=np.int64)
    scale = 1.0 + np.max(np.abs(w), axis=(0, 2))
    finite = np.all(np.isfinite(w), axis=(0, 2))
    for k in range(1, max_period + 1):
        undecided = (per == 0) & finite
        if not undecided.any():
            break
        d = np.max(np.abs(w[k:] - w[: W - k]), axis=(0, 2))
        per[undecided & (d <= tol * scale)] = k
    return per


def _polish_periods(
    F: Map, last: np.ndarray, per: np.ndarray, pflat: np.ndarray | None, tol: float
) -> np.ndarray:
    """Confirm window-detected periods by Newton on F^k from the window's last state.

    A slowly converging orbit can pass the window test with a multiple of its true period (a fixed
    point with multiplier μ ≈ −1 has k = 2 differences (1 − μ²) times smaller than its k = 1
    differences). Newton on G(z) = F^k(z) − z from the last state converges to the nearby cycle;
    the minimal period of that cycle is reported. Members whose Newton iteration fails, or lands
    farther than 1e-3·(1 + |z|) away, keep the window's answer.
    """
    per = per.copy()
    for k in np.unique(per[per >= 2]):
        k = int(k)
        idx = np.nonzero(per == k)[0]
        z = last[idx].copy()
        p = None if pflat is None else pflat[idx]
        eye = np.eye(F.dim)
        with np.errstate(all="ignore"):
            for _ in range(30):
                x, J = z, None
                for _ in range(k):
                    Jx = F.jac(x, p)
                    J = Jx if J is None else Jx @ J
                    x = F.fn(x, p)
                G = x - z
                A = J - eye
                # members already at round-off stop moving: on a manifold of cycles (e.g. a
                # continuum of minima, where DF^k has an eigenvalue 1) further steps only drift
                small = np.max(np.abs(G), axis=-1) <= 1e-14 * (1 + np.max(np.abs(z), axis=-1))
                if F.dim == 1:
                    dz = -G / A[..., 0]
                else:
                    # minimum-norm steps: directions along such a manifold are cut off
                    dz = -np.einsum("...ij,...j->...i", np.linalg.pinv(A, rcond=1e-6), G)
                dz = np.where(np.isfinite(dz) & ~small[..., None], dz, 0.0)
                z = z + dz
                if np.max(np.abs(dz)) < 1e-15 * (1 + np.max(np.abs(z))):
                    break
            pts = np.empty((k, *z.shape))
            x = z
            for i in range(k):
                pts[i] = x
                x = F.fn(x, p)
        scale = 1.0 + np.max(np.abs(pts), axis=(0, 2))
        res = np.max(np.abs(x - z), axis=-1)
        near = np.max(np.abs(z - last[idx]), axis=-1) <= 1e-3 * scale
        good = np.isfinite(res) & (res <= 1e-9 * scale) & near
        minimal = np.full(idx.shape, k)
        for d in range(k - 1, 0, -1):
            if k % d:
                continue
            same = np.max(np.abs(pts[d:] - pts[:-d]), axis=(0, 2)) <= max(tol, 1e-9) * scale
            minimal = np.where(same, d, minimal)
        per[idx[good]] = minimal[good]
    return per


def period(
    F: Map,
    state0: Any,
    burn_in: int = 10_000,
    max_period: int = 64,
    tol: float = 1e-8,
    *,
    bound: float = 1e10,
) -> int | np.ndarray:
    """Period of the attractor reached from ``state0``: the smallest k ≤ ``max_period`` with
    |x_{t+k} − x_t| ≤ tol·(1 + max|x|) for all t in a window of 2·max_period steps after
    ``burn_in`` steps. Returns an int (an int array for batched input); 0 means none found
    (aperiodic, too long, or diverged).
    """
    F = _check_map(F)
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    tol = positive_float(tol, "tol")
    tr = iterate(F, state0, burn_in, record_every=0, bound=bound)
    window = _iterate(F, tr.final, 2 * max_period, 1, bound)
    batch = window.batch_shape
    w = window.theta.reshape(window.theta.shape[0], -1, F.dim)
    per = _period_from_window(w, max_period, tol)
    per[(tr.diverged | window.diverged).reshape(-1)] = 0
    pflat = None if F.param is None else np.broadcast_to(F.param, batch).reshape(-1)
    per = _polish_periods(F, w[-1], per, pflat, tol)
    per = per.reshape(batch)
    return int(per) if per.ndim == 0 else per


# ---------------------------------------------------------------------------- cycles
def _minimal_period(points: np.ndarray, tol: float) -> int:
    k = points.shape[0]
    scale = 1.0 + np.max(np.abs(points))
    for d in range(1, k):
        if k % d == 0 and np.max(np.abs(points[d:] - points[:-d])) <= tol * scale:
            return d
    return k


def _orbit(F: Map, z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Points z, F(z), …, F^{k−1}(z) and DF^k(z) for a single state z of shape (dim,)."""
    pts = np.empty((k, F.dim))
    J = np.eye(F.dim)
    x = z[None, :]
    for i in range(k):
        pts[i] = x[0]
        J = F.jacobian(x)[0] @ J
        x = F(x)
    return pts, J, x[0]


def find_cycle(
    F: Map,
    guess: Any,
    k: int,
    *,
    tol: float = 1e-12,
    maxiter: int = 60,
) -> Cycle:
    """A period-k orbit by Newton's method on G(z) = F^k(z) − z, DG = DF^k(z) − I.

    The Jacobian of F^k is the product of the Jacobians along the orbit. Converged means
    |F^k(z) − z|_∞ ≤ tol·(1 + |z|_∞). The returned :class:`Cycle` reports the minimal period.
    """
    F = _check_map(F)
    if F.param is not None and np.ndim(F.param) != 0:
        raise ValueError(
            f"F must be a single map (scalar parameter), got a parameter batch of shape "
            f"{np.shape(F.param)}"
        )
    k = positive_int(k, "k")
    tol = positive_float(tol, "tol")
    maxiter = positive_int(maxiter, "maxiter")
    z = F.state(guess, "guess").reshape(-1)
    if z.shape[0] != F.dim:
        raise ValueError(
            f"guess must be one state of dimension {F.dim}, got shape {np.shape(guess)}"
        )
    eye = np.eye(F.dim)
    converged = False
    it = 0
    res = np.inf
    with np.errstate(all="ignore"):
        for it in range(1, maxiter + 1):  # noqa: B007
            _, J, fz = _orbit(F, z, k)
            G = fz - z
            res = float(np.max(np.abs(G)))
            if not np.isfinite(res):
                break
            if res <= tol * (1.0 + np.max(np.abs(z))):
                converged = True
                break
            try:
                dz = np.linalg.solve(J - eye, -G)
            except np.linalg.LinAlgError:
                break
            # damp wild steps (keeps Newton inside the basin of the nearest cycle)
            step = np.max(np.abs(dz))
            lim = 0.5 * (1.0 + np.max(np.abs(z)))
            if step > lim:
                dz *= lim / step
            z = z + dz
        pts, J, fz = _orbit(F, z, k)
    res = float(np.max(np.abs(fz - z))) if np.all(np.isfinite(fz)) else float("inf")
    if not converged and res <= tol * (1.0 + np.max(np.abs(z))):
        converged = True
    per = _minimal_period(pts, max(tol, 1e-10) * 10) if converged else k
    if per != k:
        pts = pts[:per]
        _, J, _ = _orbit(F, z, per)
    mult = np.linalg.eigvals(J) if np.all(np.isfinite(J)) else np.full(F.dim, np.nan)
    mult = mult[np.argsort(-np.abs(mult))]
    if np.all(np.abs(mult.imag) < 1e-14):
        mult = mult.real
    stable = bool(converged and np.all(np.abs(mult) < 1))
    return Cycle(pts, int(per), mult, stable, res, converged, it)


def _attractor_cycle(F: Map, state0: np.ndarray, burn_in: int, max_period: int) -> Cycle:
    tr = iterate(F, state0, burn_in, record_every=0)
    if tr.diverged.any():
        raise ValueError("state0 diverges at the start of param_range; no attractor to follow")
    z = tr.final.reshape(-1)
    p = period(F, z, burn_in=0, max_period=max_period, tol=1e-7)
    if p == 0:
        raise ValueError(
            "no periodic attractor (period ≤ max_period) at the start of param_range; "
            "start the continuation below the cascade"
        )
    cyc = find_cycle(F, z, p)
    if not cyc.converged:
        raise ValueError("could not converge the attracting cycle at the start of param_range")
    return cyc


def _family_dfdp(family: Any, z: np.ndarray, p: float) -> np.ndarray:
    if isinstance(family, MapFamily):
        return family.dfdp(z[None, :], np.asarray(p))[0]
    h = 1e-6 * max(1.0, abs(p))
    return (family(p + h)(z[None, :])[0] - family(p - h)(z[None, :])[0]) / (2 * h)


def _test_fn(mults: np.ndarray, sign: float) -> float:
    """Real multiplier nearest to ``sign`` (±1), minus ``sign``; NaN if none is real."""
    m = np.asarray(mults)
    real = m[np.abs(np.imag(m)) < 1e-9].real if np.iscomplexobj(m) else m
    if real.size == 0:
        return float("nan")
    return float(real[np.argmin(np.abs(real - sign))] - sign)


def _polish(
    family: Any, z: np.ndarray, p: float, k: int, sign: float, maxiter: int = 30
) -> tuple[np.ndarray, float, float, bool]:
    """Newton on the augmented system {F_p^k(z) − z = 0, det(DF_p^k(z) − sign·I) = 0} in (z, p).

    The Jacobian of the augmented system is formed by central differences (h = 1e-7 relative);
    the residual itself is exact, so the root is as accurate as float64 allows.
    """
    dim = z.shape[0]
    eye = np.eye(dim)

    def system(x: np.ndarray) -> np.ndarray:
        zz, pp = x[:dim], float(x[dim])
        _, J, fz = _orbit(family(pp), zz, k)
        return np.concatenate([fz - zz, [np.linalg.det(J - sign * eye)]])

    x = np.concatenate([z, [p]])
    best = (x.copy(), np.inf)
    ok = False
    with np.errstate(all="ignore"):
        for _ in range(maxiter):
            r = system(x)
            nr = float(np.max(np.abs(r)))
            if not np.isfinite(nr):
                break
            if nr < best[1]:
                best = (x.copy(), nr)
            if nr < 1e-13:
                ok = True
                break
            A = np.empty((dim + 1, dim + 1))
            for j in range(dim + 1):
                h = 1e-7 * max(1.0, abs(x[j]))
                e = np.zeros(dim + 1)
                e[j] = h
                A[:, j] = (system(x + e) - system(x - e)) / (2 * h)
            try:
                dx = np.linalg.solve(A, -r)
            except np.linalg.LinAlgError:
                break
            x = x + dx
            if np.max(np.abs(dx)) < 1e-15 * (1 + np.max(np.abs(x))):
                ok = True
                best = (x.copy(), float(np.max(np.abs(system(x)))))
                break
    xb, nr = best
    return xb[:dim], float(xb[dim]), nr, ok or nr < 1e-10


def _follow(
    family: Any,
    cyc: Cycle,
    p: float,
    p_end: float,
    sign: float,
    h0: float,
) -> tuple[Cycle, float, Cycle, float] | None:
    """Continue ``cyc`` from p towards p_end until its test multiplier crosses ``sign``.

    Returns (cycle before, p before, cycle after, p after) for the bracketing step, or None if
    p_end is reached first. Step control keeps the change of the multiplier per step below 0.1.
    """
    k = cyc.period
    direction = np.sign(p_end - p)
    h = abs(h0)
    g_prev = _test_fn(cyc.multipliers, sign) * (-sign)
    z = cyc.points[0]
    while (p_end - p) * direction > 0:
        p_new = p + direction * min(h, abs(p_end - p))
        new = find_cycle(family(p_new), z, k)
        if (
            not new.converged
            or new.period != k
            or np.max(np.abs(new.points[0] - z)) > 0.25 * (1 + np.max(np.abs(z)))
        ):
            h /= 2
            if h < 1e-13:
                return None
            continue
        g_new = _test_fn(new.multipliers, sign) * (-sign)
        if np.isfinite(g_prev) and np.isfinite(g_new) and g_new <= 0 < g_prev:
            return cyc, p, new, p_new
        dg = abs(g_new - g_prev) if np.isfinite(g_new) and np.isfinite(g_prev) else 0.0
        if dg > 0.2:
            h /= 2
            continue
        if dg < 0.05:
            h *= 1.5
        cyc, p, z, g_prev = new, p_new, new.points[0], g_new
    return None


def _locate(
    family: Any,
    lo: tuple[Cycle, float],
    hi: tuple[Cycle, float],
    sign: float,
    kind: str,
) -> Bifurcation:
    """Root of the test multiplier on the continued branch (brentq), then augmented Newton."""
    c_lo, p_lo = lo
    c_hi, p_hi = hi
    k = c_lo.period
    state = {"z": c_lo.points[0]}

    def g(p: float) -> float:
        c = find_cycle(family(p), state["z"], k)
        if c.converged and c.period == k:
            state["z"] = c.points[0]
        return _test_fn(c.multipliers, sign)

    g_lo, g_hi = _test_fn(c_lo.multipliers, sign), _test_fn(c_hi.multipliers, sign)
    p_root = brentq(g, p_lo, p_hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    c_root = find_cycle(family(p_root), state["z"], k)
    z_pol, p_pol, res, ok = _polish(family, c_root.points[0], p_root, k, sign)
    if not ok or not (min(p_lo, p_hi) <= p_pol <= max(p_lo, p_hi)):
        z_pol, p_pol = c_root.points[0], p_root
        _, J, fz = _orbit(family(p_root), z_pol, k)
        res = float(
            max(np.max(np.abs(fz - z_pol)), abs(np.linalg.det(J - sign * np.eye(len(z_pol)))))
        )
    return Bifurcation(
        kind=kind,
        param=float(p_pol),
        period=k,
        point=np.asarray(z_pol),
        bracket=(float(min(p_lo, p_hi)), float(max(p_lo, p_hi))),
        test_values=(float(g_lo), float(g_hi)),
        residual=float(res),
        converged=bool(ok),
    )


def _seed_doubled(
    family: Any, bif: Bifurcation, p_next: float, direction: float
) -> tuple[Cycle, float] | None:
    """The period-2k cycle born at a flip: Newton on F^{2k} from z* ± c·√δ·v just past it."""
    k = bif.period
    F = family(bif.param)
    _, J, _ = _orbit(F, bif.point, k)
    w, V = np.linalg.eig(J)
    v = np.real(V[:, np.argmin(np.abs(w + 1))])
    v = v / np.max(np.abs(v))
    for frac in (1e-3, 1e-4, 1e-2, 1e-5, 3e-2):
        delta = frac * abs(p_next - bif.param) if np.isfinite(p_next) else frac
        delta = max(delta, 1e-9 * max(1.0, abs(bif.param)))
        p = bif.param + direction * delta
        Fp = family(p)
        for c in (1.0, 0.3, 3.0, 0.1, 10.0):
            for s in (1.0, -1.0):
                guess = bif.point + s * c * np.sqrt(delta) * v
                cyc = find_cycle(Fp, guess, 2 * k)
                if cyc.converged and cyc.period == 2 * k:
                    return cyc, p
    return None


def period_doubling_points(
    family: Any,
    state0: Any,
    param_range: Sequence[float],
    max_doublings: int = 5,
    *,
    burn_in: int = 20_000,
    max_period: int = 64,
    return_details: bool = False,
) -> np.ndarray | list[Bifurcation]:
    """Flip (period-doubling) bifurcation points of a family, in order along ``param_range``.

    Starting from the attractor reached from ``state0`` at ``param_range[0]``, its cycle is
    continued in the parameter (Newton on F^k at each step) until a real multiplier of DF^k
    crosses −1. That crossing is bracketed, located by Brent's method on the multiplier, and
    polished by Newton on {F^k(z) = z, det(DF^k(z) + I) = 0}. The period-2k cycle is then seeded
    at z* ± c·√δ·v (v the flip eigenvector; the branch grows like √δ past a supercritical flip),
    its minimal period is checked to be 2k, and the continuation goes on.

    Parameters
    ----------
    family : a :class:`MapFamily`, a :class:`Model` (its GD family in η) or a callable p ↦ Map.
    state0 : a state in the basin of the attractor at ``param_range[0]``.
    param_range : (start, stop); the search runs from start towards stop (either direction).
    max_doublings : stop after this many flips.
    return_details : return :class:`Bifurcation` objects (bracket, test values, residual).

    Returns
    -------
    The flip points (sorted along the search direction), or the Bifurcation list.

    References
    ----------
    Kuznetsov, *Elements of Applied Bifurcation Theory* (3rd ed.), §4.5 and §10.2 (flip test
    function det(A + I)); Chen et al. (TMLR 2024), Thm 2.1 for the cubic map the tests use.
    """
    fam = as_family(family)
    max_doublings = positive_int(max_doublings, "max_doublings")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    rng = as_float_array(param_range, "param_range")
    if rng.shape != (2,) or rng[0] == rng[1]:
        raise ValueError(f"param_range must be two distinct numbers (start, stop), got {rng}")
    p0, p_end = float(rng[0]), float(rng[1])
    direction = float(np.sign(p_end - p0))
    F0 = fam(p0)
    if not isinstance(F0, Map):
        raise TypeError("family(p) must return a toymodels.Map")
    cyc = _attractor_cycle(F0, _single_state(F0, state0, "state0"), burn_in, max_period)
    out: list[Bifurcation] = []
    p = p0
    h = abs(p_end - p0) / 200
    while len(out) < max_doublings:
        found = _follow(fam, cyc, p, p_end, -1.0, h)
        if found is None:
            break
        c_lo, p_lo, c_hi, p_hi = found
        bif = _locate(fam, (c_lo, p_lo), (c_hi, p_hi), -1.0, "flip")
        out.append(bif)
        # the next flip is (Feigenbaum) about 1/4.67 of the last interval away
        gap = abs(bif.param - out[-2].param) / 4.669 if len(out) > 1 else abs(p_end - bif.param)
        seeded = _seed_doubled(fam, bif, bif.param + direction * gap, direction)
        if seeded is None:
            break
        cyc, p = seeded
        h = gap / 50
    if return_details:
        return out
    return np.array([b.param for b in out])


def saddle_node_points(
    family: Any,
    state0: Any,
    param: float,
    towards: float,
    *,
    burn_in: int = 20_000,
    max_period: int = 64,
    return_details: bool = False,
) -> float | Bifurcation:
    """The saddle-node (fold) where the attracting cycle found at ``param`` is born or dies.

    The cycle reached from ``state0`` at ``param`` is continued towards ``towards`` until its
    multiplier nears +1, then (z, p) is solved by Newton on {F^k(z) = z, det(DF^k(z) − I) = 0}.
    Example: the period-3 window of F_a, ``saddle_node_points(F, 0.3, 1.455, 1.44)`` → 1.4504409645.
    """
    fam = as_family(family)
    p_start = _scalar_param(param, "param")
    p_to = _scalar_param(towards, "towards")
    if p_start == p_to:
        raise ValueError("towards must differ from param")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    F0 = fam(p_start)
    if not isinstance(F0, Map):
        raise TypeError("family(p) must return a toymodels.Map")
    cyc = _attractor_cycle(F0, _single_state(F0, state0, "state0"), burn_in, max_period)
    k = cyc.period
    direction = np.sign(p_to - p_start)
    p, h = p_start, abs(p_to - p_start) / 100
    z = cyc.points[0]
    last = (cyc, p)
    while h > 1e-14:
        p_new = p + direction * h
        if (p_to - p_new) * direction < 0:
            break
        new = find_cycle(fam(p_new), z, k)
        if not new.converged or new.period != k:
            h /= 3
            continue
        mu = _test_fn(new.multipliers, 1.0) + 1.0
        p, z, last = p_new, new.points[0], (new, p_new)
        if mu > 0.999:
            break
    c_last, p_last = last
    z_pol, p_pol, res, ok = _polish(fam, c_last.points[0], p_last, k, 1.0)
    bif = Bifurcation(
        kind="saddle-node",
        param=float(p_pol),
        period=k,
        point=z_pol,
        bracket=(float(min(p_pol, p_last)), float(max(p_pol, p_last))),
        test_values=(0.0, float(_test_fn(c_last.multipliers, 1.0))),
        residual=res,
        converged=ok,
    )
    return bif if return_details else bif.param


# ---------------------------------------------------------------------------- Lyapunov
def lyapunov_exponent(
    F: Map,
    state0: Any,
    steps: int = 20_000,
    burn_in: int = 2_000,
    *,
    return_result: bool = False,
    bound: float = 1e10,
) -> float | np.ndarray | LyapunovResult:
    """Largest Lyapunov exponent λ = lim (1/T) Σ log‖DF(x_t) q_t‖ (q_t renormalised).

    In one dimension this is ⟨log|F'(x_t)|⟩ over the orbit; in higher dimension the tangent vector
    is renormalised every step (Benettin et al. 1980). Batched over ``state0`` and the map's
    parameter; diverged members give NaN. At a stable fixed point z* of a 1-D map λ = log|F'(z*)|
    (e.g. log|1 − 2a| for F_a, a < 1); at the fully chaotic F_2 it is log 3.
    """
    F = _check_map(F)
    steps = positive_int(steps, "steps")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    tr = iterate(F, state0, burn_in, record_every=0, bound=bound)
    x = tr.final
    batch = x.shape[:-1]
    param = F.param
    if param is not None:
        param = np.broadcast_to(param, batch)
    q = np.zeros(x.shape)
    q[..., 0] = 1.0
    acc = np.zeros(batch)
    acc_half = np.zeros(batch)
    dead = tr.diverged.copy()
    tiny = np.finfo(float).tiny
    half = steps // 2
    if F.dim == 1 and F.components is not None and F.jac_components is not None:
        fast = _lyapunov_1d_fast(F, x[..., 0], param, steps, bound)
        if fast is not None:
            acc, acc_half, dead_fast = fast
            dead = dead | dead_fast
            steps_done = True
        else:
            steps_done = False
    else:
        steps_done = False
    with np.errstate(all="ignore"):
        for t in range(0 if steps_done else steps):
            J = F.jac(x, param)
            if F.dim == 1:
                g = np.abs(J[..., 0, 0])
            else:
                q = np.einsum("...ij,...j->...i", J, q)
                g = np.linalg.norm(q, axis=-1)
                q = q / np.where(g > 0, g, 1.0)[..., None]
            acc += np.log(np.maximum(g, tiny))
            if t + 1 == half:
                acc_half = acc.copy()
            x = F.fn(x, param)
            dead |= ~np.all(np.abs(x) <= bound, axis=-1)
    lam = acc / steps
    first = acc_half / max(half, 1)
    second = (acc - acc_half) / max(steps - half, 1)
    lam = np.where(dead, np.nan, lam)
    if return_result:
        return LyapunovResult(lam, steps, burn_in, dead, np.abs(first - second))
    return float(lam) if lam.ndim == 0 else lam


def _lyapunov_1d_fast(
    F: Map, z: np.ndarray, param: Any, steps: int, bound: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Σ log|F'(z_t)| over the orbit with the component fast paths of a 1-D sympy map."""
    tiny = np.finfo(float).tiny
    z = np.array(z, dtype=float)
    acc = np.zeros(z.shape)
    acc_half = acc
    dead = np.zeros(z.shape, dtype=bool)
    half = steps // 2
    with np.errstate(all="ignore"):
        for t in range(steps):
            d = F.jac_components([z], param)[0]
            acc = acc + np.log(np.maximum(np.abs(d), tiny))
            if t + 1 == half:
                acc_half = acc.copy()
            z = F.components([z], param)[0]
            if t % 64 == 63:
                dead |= ~(np.abs(z) <= bound)
    dead |= ~(np.abs(z) <= bound)
    return acc, acc_half, dead


# ---------------------------------------------------------------------------- classification
def classify(
    F: Map | Model,
    state0: Any,
    burn_in: int = 10_000,
    max_period: int = 64,
    tol: float = 1e-8,
    *,
    eta: Any = None,
    paired: bool = False,
    lyapunov_steps: int = 5_000,
    chaos_threshold: float = 0.01,
    bound: float = 1e10,
) -> Phase | np.ndarray:
    """The phase of the orbit from ``state0``: a :class:`Phase` (an object array for batches).

    Order of decisions: diverged (left ``bound`` or not finite) → period detection (as
    :func:`period`) → period 1: converged, monotone or oscillating by the sign of the dominant
    multiplier of DF at the limit → period ≥ 2: periodic → otherwise the largest Lyapunov
    exponent decides chaotic (> ``chaos_threshold``) or unknown.

    ``F`` may also be a :class:`Model` with a step size ``eta`` (scalar or 1-D grid): GD is then
    classified over the batch ``eta.shape + state0.shape[:-1]`` (as :func:`~toymodels.gd`;
    ``paired=True`` broadcasts instead), the loss is tracked along the burn-in, and converged
    runs whose loss rose above L_0 are reported as ``catapult``.
    """
    if isinstance(F, Model):
        return _classify_gd(
            F,
            state0,
            eta,
            burn_in,
            max_period,
            tol,
            paired=paired,
            lyapunov_steps=lyapunov_steps,
            chaos_threshold=chaos_threshold,
            bound=bound,
        )
    if eta is not None:
        raise ValueError("eta is only used when F is a Model (GD); a Map carries its own step")
    F = _check_map(F)
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    tol = positive_float(tol, "tol")
    lyapunov_steps = positive_int(lyapunov_steps, "lyapunov_steps")
    if isinstance(chaos_threshold, (str, bytes, bool)) or not isinstance(
        chaos_threshold, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"chaos_threshold must be a real number, got {chaos_threshold!r}")
    if not np.isfinite(chaos_threshold):
        raise ValueError(f"chaos_threshold must be finite, got {chaos_threshold!r}")
    tr = iterate(F, state0, burn_in, record_every=0, bound=bound)
    window = _iterate(F, tr.final, 2 * max_period, 1, bound)
    batch = window.batch_shape
    w = window.theta.reshape(window.theta.shape[0], -1, F.dim)
    per = _period_from_window(w, max_period, tol)
    div_at = np.where(tr.diverged, tr.diverged_at, -1).reshape(-1)
    div2 = window.diverged.reshape(-1)
    div_at = np.where((div_at < 0) & div2, burn_in + window.diverged_at.reshape(-1), div_at)
    last = w[-1]
    param = F.param
    pflat = None if param is None else np.broadcast_to(param, batch).reshape(-1)
    alive = div_at < 0
    per = np.where(alive, _polish_periods(F, last, np.where(alive, per, 0), pflat, tol), per)
    lyap = np.full(last.shape[0], np.nan)
    need = (per == 0) & (div_at < 0)
    if need.any():
        sub = Map(F.fn, F.jac, F.dim, param=None if pflat is None else pflat[need])
        lyap[need] = lyapunov_exponent(
            sub, last[need], steps=lyapunov_steps, burn_in=0, bound=bound
        )
    fixed = (per == 1) & (div_at < 0)
    mult = np.full(last.shape[0], np.nan)
    if fixed.any():
        with np.errstate(all="ignore"):
            J = F.jac(last[fixed], None if pflat is None else pflat[fixed])
            ev = np.linalg.eigvals(J)
        # multipliers equal to 1 belong to directions along a manifold of fixed points (flat
        # directions of a loss with a continuum of minima); they carry no dynamics
        mag = np.where(np.abs(ev - 1.0) < 1e-9, -1.0, np.abs(ev))
        dom = np.take_along_axis(ev, np.argmax(mag, axis=-1)[:, None], axis=-1)[:, 0]
        dom = np.where(np.max(mag, axis=-1) < 0, 0.0, dom.real)
        mult[fixed] = dom
    phases = np.empty(last.shape[0], dtype=object)
    for i in range(last.shape[0]):
        if div_at[i] >= 0:
            phases[i] = Phase("diverged", diverged_at=int(div_at[i]))
        elif per[i] == 1:
            kind = "converged_oscillating" if mult[i] < 0 else "converged_monotone"
            phases[i] = Phase(kind, period=1, multiplier=float(mult[i]), limit=last[i].copy())
        elif per[i] >= 2:
            phases[i] = Phase("periodic", period=int(per[i]), limit=last[i].copy())
        else:
            kind = "chaotic" if lyap[i] > chaos_threshold else "unknown"
            phases[i] = Phase(kind, lyapunov=float(lyap[i]), limit=last[i].copy())
    if len(batch) == 0:
        return phases[0]
    return phases.reshape(batch)


def _classify_gd(
    model: Model,
    theta0: Any,
    eta: Any,
    burn_in: int,
    max_period: int,
    tol: float,
    *,
    paired: bool,
    lyapunov_steps: int,
    chaos_threshold: float,
    bound: float,
    chunk: int = 256,
) -> Phase | np.ndarray:
    """GD phases with the loss tracked along the burn-in (catapult detection)."""
    from .dynamics import gd

    if eta is None:
        raise ValueError("eta is required when classifying gradient descent on a Model")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    first = gd(model, theta0, eta, 0, record_every=0, paired=paired, bound=bound)
    batch = first.batch_shape
    eta_b = first.eta
    theta = first.final
    with np.errstate(all="ignore"):
        L0 = model.loss(theta)
    peak = L0.copy()
    dead = np.zeros(batch, dtype=bool)
    div_at = np.full(batch, -1, dtype=np.int64)
    done = 0
    while done < burn_in and not dead.all():
        n = min(chunk, burn_in - done)
        start = np.where(dead[..., None], 0.0, theta)  # dead members run from 0, ignored
        tr = gd(
            model,
            start.reshape(-1, model.n_params),
            eta_b.reshape(-1),
            n,
            record_every=1,
            paired=True,
            bound=bound,
        )
        with np.errstate(all="ignore"):
            chunk_peak = np.nanmax(np.where(np.isnan(tr.loss[1:]), -np.inf, tr.loss[1:]), axis=0)
        peak = np.where(dead, peak, np.fmax(peak, chunk_peak.reshape(batch)))
        new_dead = tr.diverged.reshape(batch) & ~dead
        div_at = np.where(new_dead, done + tr.diverged_at.reshape(batch), div_at)
        dead |= new_dead
        theta = np.where(dead[..., None], np.nan, tr.final.reshape((*batch, model.n_params)))
        done += n
    from .maps import gd_family

    fam = gd_family(model)
    F = fam(eta_b)
    finite = np.all(np.isfinite(theta), axis=-1)
    start = np.where(finite[..., None], theta, 0.0)
    phases = classify(
        F,
        start,
        burn_in=0,
        max_period=max_period,
        tol=tol,
        lyapunov_steps=lyapunov_steps,
        chaos_threshold=chaos_threshold,
        bound=bound,
    )
    phases = np.asarray(phases, dtype=object).reshape(batch) if batch else phases
    with np.errstate(all="ignore"):
        ratio = peak / L0
    rise = peak > L0 * (1 + 1e-12)

    def finish(ph: Phase, fin: bool, r: float, up: bool, at: int) -> Phase:
        if not fin:
            return Phase("diverged", diverged_at=at, peak_loss_ratio=float("inf"))
        if ph.kind == "diverged":
            return replace(ph, diverged_at=burn_in + ph.diverged_at, peak_loss_ratio=float(r))
        kind = "catapult" if (ph.converged and up) else ph.kind
        return replace(ph, kind=kind, peak_loss_ratio=float(r))

    if not batch:
        return finish(phases, bool(finite), float(ratio), bool(rise), int(div_at))
    out = np.empty(batch, dtype=object)
    for idx in np.ndindex(batch):
        out[idx] = finish(
            phases[idx], bool(finite[idx]), float(ratio[idx]), bool(rise[idx]), int(div_at[idx])
        )
    return out


# ---------------------------------------------------------------------------- orbit diagrams
def bifurcation_diagram(
    family: Any,
    params: Any,
    state0: Any,
    burn_in: int = 5_000,
    keep: int = 300,
    *,
    seeding: str = "fixed",
    bound: float = 1e10,
    progress: bool = False,
) -> BifurcationDiagram:
    """Orbit-diagram data: for each parameter value, ``keep`` states after ``burn_in`` steps.

    seeding : ``"fixed"`` starts every parameter from ``state0`` (one vectorized call for a
        :class:`MapFamily`); ``"continuation"`` seeds each parameter with the previous one's final
        state (a sequential sweep that follows one attractor; diverged seeds restart at
        ``state0``).
    """
    fam = as_family(family)
    ps = as_float_array(params, "params")
    if ps.ndim != 1 or ps.size == 0:
        raise ValueError(f"params must be a non-empty 1-D array, got shape {ps.shape}")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    keep = positive_int(keep, "keep")
    if seeding not in ("fixed", "continuation"):
        raise ValueError(f"seeding must be 'fixed' or 'continuation', got {seeding!r}")
    first = fam(ps[0])
    if not isinstance(first, Map):
        raise TypeError("family(p) must return a toymodels.Map")
    x0 = _single_state(first, state0, "state0")
    dim = first.dim
    if seeding == "fixed" and isinstance(fam, MapFamily):
        F = fam(ps)
        tr = iterate(F, np.broadcast_to(x0, (ps.size, dim)), burn_in, record_every=0, bound=bound)
        win = _iterate(F, tr.final, keep - 1, 1, bound)
        pts = np.moveaxis(win.theta, 0, 1)
        div = tr.diverged | win.diverged
        return BifurcationDiagram(ps, pts, burn_in, seeding, div)
    pts = np.full((ps.size, keep, dim), np.nan)
    div = np.zeros(ps.size, dtype=bool)
    seed = x0
    it: Any = range(ps.size)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="orbit diagram", leave=False)
    for i in it:
        F = fam(float(ps[i]))
        tr = iterate(F, seed, burn_in, record_every=0, bound=bound)
        win = _iterate(F, tr.final, keep - 1, 1, bound)
        pts[i] = win.theta
        div[i] = bool(tr.diverged.any() or win.diverged.any())
        if seeding == "continuation":
            seed = x0 if div[i] else win.final.reshape(-1)
    return BifurcationDiagram(ps, pts, burn_in, seeding, div)


_ = Callable  # re-exported type for annotations in subclasses
