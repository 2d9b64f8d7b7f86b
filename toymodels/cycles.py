"""Periods and periodic orbits of any :class:`~toymodels.maps.Map`.

* :func:`period` – the period of the attractor reached from a state (after a burn-in).
* :func:`find_cycle` – a period-k orbit by Newton's method on G(z) = F^k(z) − z, with its
  multipliers (eigenvalues of DF^k), returned as a :class:`Cycle`.

Stability uses a stated margin δ = :data:`STABILITY_MARGIN` = 1e-9 (widened by the rounding
bound of DF^k; see :class:`Cycle`), marginal multipliers give ``stable=None``; the period search
costs time linear in ``max_period``. The shared rules are listed in :mod:`toymodels.orbits`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _numba_maps
from ._orbit_common import (
    _batch_shape,
    _Budget,
    _check_map,
    _check_max_seconds,
    _run_state,
    _window_guard,
)
from ._validate import positive_float, positive_int
from .dynamics import _check_run_memory, _iterate
from .maps import Map

__all__ = [
    "Cycle",
    "find_cycle",
    "period",
]


# --------------------------------------------------------------------------- result objects
#: default stability margin δ of :func:`find_cycle` and :func:`classify` (see :class:`Cycle`)
STABILITY_MARGIN = 1e-9


@dataclass(frozen=True)
class Cycle:
    """A periodic orbit found by Newton's method on F^k(z) = z.

    ``period`` is the *minimal* period of the orbit found (it may divide the requested ``k``);
    ``multipliers`` are the eigenvalues of DF^period along the orbit, ``residual`` is
    |F^k(z) − z|_∞ at the returned point.

    Stability uses a stated margin δ (``stability_margin``): with ρ = max|multiplier|,
    ``stable`` is True if ρ < 1 − δ, False if ρ > 1 + δ (or the Newton iteration did not
    converge: no cycle, nothing stable), and None (*marginal*: neutral, e.g. an elliptic
    orbit, or undecidable in float64) if |ρ − 1| ≤ δ or the multipliers are not finite.
    δ = max(1e-9, 8·k·dim·ε·∏‖DF(z_i)‖_F), ε = 2.2e-16. Justification: the computed product
    DF^k = DF(z_{k−1})⋯DF(z_0) carries a normwise rounding error ≲ k·dim·ε·∏‖DF(z_i)‖ (each
    product adds dim·ε relative error; ``eigvals`` is backward stable), and the orbit point is
    only known to the Newton tolerance (|F^k(z) − z| ≤ 1e-12·(1 + |z|) by default), which moves
    the multipliers by O(1e-12·|D²F^k|/|1 − λ|). 1e-9 keeps a factor ≳ 100 over both for
    cycles of moderate length and curvature; the second term takes over for long or
    strongly expanding cycles. A multiplier within δ of the unit circle is not resolved by
    float64 and is reported as marginal rather than guessed.
    """

    points: np.ndarray
    period: int
    multipliers: np.ndarray
    stable: bool | None
    residual: float
    converged: bool
    iterations: int
    stability_margin: float = STABILITY_MARGIN
    message: str = ""

    @property
    def multiplier(self) -> complex | float:
        """The multiplier of largest modulus."""
        m = self.multipliers[np.argmax(np.abs(self.multipliers))]
        return float(m.real) if abs(m.imag) < 1e-14 else complex(m)

    @property
    def marginal(self) -> bool:
        """True if the largest multiplier modulus is within ``stability_margin`` of 1."""
        return self.converged and self.stable is None


# ----------------------------------------------------------------------------------- period
def _period_from_window(w: np.ndarray, max_period: int, tol: float) -> np.ndarray:
    """Smallest k ≤ max_period with |w[t+k] − w[t]| ≤ tol(1 + max|w|) over the whole window.

    Exactly the minimal k with D(k) = max_t |w[t+k] − w[t]|_∞ ≤ tol·(1 + max|w|), in time linear
    in the window length W ≥ 2·max_period for ordinary orbits: a k can only qualify if the test
    holds at a few anchor times (t = 0, the middle, the last t that reaches every k, and the
    pair (W−1−k, W−1)), each an O(max_period) vector over k; the surviving candidates are
    verified in increasing order, each in blocks of t with early exit, and the first that passes
    is the answer. The comparisons are the same floating-point operations as the direct
    O(max_period·W) definition, so the results are identical.
    """
    # w: (W, B, dim) with W ≥ 2 * max_period
    W, B = w.shape[0], w.shape[1]
    per = np.zeros(B, dtype=np.int64)
    if B == 0 or W < 2:
        return per
    scale = 1.0 + np.max(np.abs(w), axis=(0, 2))
    finite = np.all(np.isfinite(w), axis=(0, 2))
    thr = tol * scale
    M = min(max_period, W - 1)
    cand = np.broadcast_to(finite, (M, B)).copy()
    for t in sorted({0, (W - 1 - M) // 2, W - 1 - M}):
        cand &= np.max(np.abs(w[t + 1 : t + M + 1] - w[t]), axis=-1) <= thr
    # end anchor: row j ↔ k = j + 1 compares w[W − 1 − k] with w[W − 1]
    cand &= np.max(np.abs(w[W - 1] - w[W - 1 - M : W - 1][::-1]), axis=-1) <= thr
    undecided = finite.copy()
    block = 4096
    for k in np.nonzero(cand.any(axis=1))[0] + 1:
        k = int(k)
        idx = np.nonzero(cand[k - 1] & undecided)[0]
        for s in range(0, W - k, block):
            if idx.size == 0:
                break
            e = min(s + block, W - k)
            d = np.max(np.abs(w[s + k : e + k, idx] - w[s:e, idx]), axis=(0, 2))
            idx = idx[d <= thr[idx]]
        if idx.size:
            per[idx] = k
            undecided[idx] = False
            if not undecided.any():
                break
    return per


def _confirmed_cycles(
    pts: np.ndarray, x: np.ndarray, z: np.ndarray, start: np.ndarray, k: int, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which Newton-polished k-cycles are accepted, and their minimal periods.

    ``pts`` (k, m, dim) are the cycle points z, F(z), …, F^{k−1}(z) of m members, ``x`` = F^k(z),
    ``start`` the states Newton started from. Accepted: F^k(z) = z to 1e-9·scale and z within
    1e-3·scale of the start (scale = 1 + max|point|). The minimal period is the smallest divisor
    d of k with |F^{i+d}(z) − F^i(z)| ≤ max(tol, 1e-9)·scale along the cycle.
    """
    scale = 1.0 + np.max(np.abs(pts), axis=(0, 2))
    res = np.max(np.abs(x - z), axis=-1)
    near = np.max(np.abs(z - start), axis=-1) <= 1e-3 * scale
    good = np.isfinite(res) & (res <= 1e-9 * scale) & near
    minimal = np.full(z.shape[0], k)
    for d in range(k - 1, 0, -1):
        if k % d:
            continue
        same = np.max(np.abs(pts[d:] - pts[:-d]), axis=(0, 2)) <= max(tol, 1e-9) * scale
        minimal = np.where(same, d, minimal)
    return good, minimal


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
        good, minimal = _confirmed_cycles(pts, x, z, last[idx], k, tol)
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
    backend: str = "numpy",
) -> int | np.ndarray:
    """Period of the attractor reached from ``state0``: the smallest k ≤ ``max_period`` with
    |x_{t+k} − x_t| ≤ tol·(1 + max|x|) for all t in a window of 2·max_period steps after
    ``burn_in`` steps. Returns an int (an int array for batched input); 0 means none found
    (aperiodic, too long, or diverged).

    Cost: burn_in + 2·max_period map steps and a period search linear in max_period (candidate
    periods are screened at a few anchor times, then verified; see ``_period_from_window``).
    The window of 2·max_period + 1 states per batch member must fit in 2 GiB, otherwise a
    ValueError names ``max_period``. Periods ≥ 2 are confirmed by Newton on F^k (k map and
    Jacobian evaluations per iteration).

    ``backend``: ``"numpy"`` (default, the reference), ``"numba"`` (the burn-in and the window
    iterated by the compiled kernel of a symbolic map, see :class:`~toymodels.maps.SymbolicMap`;
    a map of plain Python callables raises a ValueError naming ``backend``) or ``"auto"``
    (numba when installed and the map is symbolic). The window analysis and the Newton
    confirmation are the same numpy code either way. The kernel compiles once per map and
    process (about a second).
    """
    F = _check_map(F)
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    tol = positive_float(tol, "tol")
    bound = positive_float(bound, "bound")
    x = _run_state(F, state0, "state0")
    nb = int(np.prod(_batch_shape(F, x), dtype=np.int64))
    _window_guard(2 * max_period + 1, nb, F.dim, "max_period")
    backend = "numba" if _numba_maps.use_numba(F, backend) else "numpy"

    def check(members: int) -> None:
        _check_run_memory(burn_in, 0, members, F.dim, loss=False, callback=False)

    with np.errstate(all="ignore"):
        tr = _iterate(F, x, burn_in, 0, bound, check=check, backend=backend)
        window = _iterate(F, tr.final, 2 * max_period, 1, bound, backend=backend)
    batch = window.batch_shape
    w = window.theta.reshape(window.theta.shape[0], -1, F.dim)
    per = _period_from_window(w, max_period, tol)
    per[(tr.diverged | window.diverged).reshape(-1)] = 0
    pflat = None if F.param is None else np.broadcast_to(F.param, batch).reshape(-1)
    per = _polish_periods(F, w[-1], per, pflat, tol)
    per = per.reshape(batch)
    return int(per) if per.ndim == 0 else per


# ----------------------------------------------------------------------------------- cycles
def _minimal_period(points: np.ndarray, tol: float) -> int:
    k = points.shape[0]
    scale = 1.0 + np.max(np.abs(points))
    for d in range(1, k):
        if k % d == 0 and np.max(np.abs(points[d:] - points[:-d])) <= tol * scale:
            return d
    return k


def _orbit(F: Map, z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points z, F(z), …, F^{k−1}(z), DF^k(z) and F^k(z) for a single state z of shape (dim,)."""
    pts = np.empty((k, F.dim))
    J = np.eye(F.dim)
    x = z[None, :]
    for i in range(k):
        pts[i] = x[0]
        J = F.jacobian(x)[0] @ J
        x = F(x)
    return pts, J, x[0]


def _log_norm_product(F: Map, pts: np.ndarray) -> float:
    """Σ log‖DF(z_i)‖_F along the orbit points (for the rounding bound of DF^k)."""
    with np.errstate(all="ignore"):
        J = F.jacobian(pts)
        norms = np.linalg.norm(J.reshape(len(pts), -1), axis=-1)
        return float(np.sum(np.log(norms)))


def _stability(mult: np.ndarray, converged: bool, delta: float) -> bool | None:
    """True if max|μ| < 1 − δ, False if > 1 + δ or not converged, None otherwise."""
    if not converged:
        return False
    if not np.all(np.isfinite(mult)):
        return None
    rho = float(np.max(np.abs(mult))) if mult.size else 0.0
    if rho < 1.0 - delta:
        return True
    if rho > 1.0 + delta:
        return False
    return None


def _time_one_step(F: Map, z: np.ndarray) -> float:
    """Seconds for one map + Jacobian evaluation at z (best of three)."""
    best = np.inf
    x = z[None, :]
    with np.errstate(all="ignore"):
        for _ in range(3):
            t0 = time.perf_counter()
            F.jacobian(x)
            F(x)
            best = min(best, time.perf_counter() - t0)
    return float(best)


#: find_cycle refuses orbits whose points would need more memory than this (bytes)
CYCLE_BYTES = 2**30


def find_cycle(
    F: Map,
    guess: Any,
    k: int,
    *,
    tol: float = 1e-12,
    maxiter: int = 60,
    stability_margin: float = STABILITY_MARGIN,
    max_seconds: float | None = 60.0,
) -> Cycle:
    """A period-k orbit by Newton's method on G(z) = F^k(z) − z, DG = DF^k(z) − I.

    The Jacobian of F^k is the product of the Jacobians along the orbit. Converged means
    |F^k(z) − z|_∞ ≤ tol·(1 + |z|_∞). The returned :class:`Cycle` reports the minimal period,
    the multipliers (eigenvalues of DF^period) and ``stable`` ∈ {True, False, None} with the
    margin δ = max(``stability_margin``, 8·k·dim·ε·∏‖DF(z_i)‖_F) (see :class:`Cycle`).

    Cost and limits: each Newton iteration costs k map + Jacobian evaluations, and the orbit's
    k·dim points are stored. Before starting, k·dim·8 bytes must stay below 1 GiB, and (for
    k·dim ≥ 1000) one evaluation is timed: if the worst case maxiter·k evaluations is estimated
    above ``max_seconds`` the call is refused with a ValueError naming ``k`` and the estimate
    (lower ``k`` or ``maxiter``, or pass ``max_seconds=None``). If the budget runs out during
    the iteration, Newton stops and the Cycle is returned unconverged with a ``message``.
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
    stability_margin = positive_float(stability_margin, "stability_margin", allow_zero=True)
    if stability_margin >= 1:
        raise ValueError(f"stability_margin must be < 1, got {stability_margin!r}")
    max_seconds = _check_max_seconds(max_seconds)
    z = F.state(guess, "guess").reshape(-1)
    if z.shape[0] != F.dim:
        raise ValueError(
            f"guess must be one state of dimension {F.dim}, got shape {np.shape(guess)}"
        )
    need = float(k) * F.dim * 8
    if need > CYCLE_BYTES:
        raise ValueError(
            f"k={k} is too large: the orbit's {k} points of dimension {F.dim} need "
            f"{need / 2**30:.3g} GiB (limit {CYCLE_BYTES / 2**30:g} GiB); lower k"
        )
    budget = _Budget(max_seconds)
    if max_seconds is not None and k * F.dim >= 1000:
        t1 = _time_one_step(F, z)
        est = maxiter * k * t1
        if est > max_seconds:
            raise ValueError(
                f"k={k} is too expensive: Newton on F^k needs up to maxiter·k = {maxiter * k:.3g} "
                f"map + Jacobian evaluations, estimated at {est:.3g} s ({t1 * 1e6:.3g} µs each) "
                f"> max_seconds={max_seconds:g}; lower k or maxiter, or raise max_seconds "
                f"(None disables the check)"
            )
    eye = np.eye(F.dim)
    converged = False
    it = 0
    res = np.inf
    message = ""
    with np.errstate(all="ignore"):
        for it in range(1, maxiter + 1):
            _, J, fz = _orbit(F, z, k)
            G = fz - z
            res = float(np.max(np.abs(G)))
            if not np.isfinite(res):
                message = "the orbit left the finite range (overflow or NaN)"
                break
            if res <= tol * (1.0 + np.max(np.abs(z))):
                converged = True
                break
            try:
                dz = np.linalg.solve(J - eye, -G)
            except np.linalg.LinAlgError:
                message = "DF^k − I is singular at the current point"
                break
            # damp wild steps (keeps Newton inside the basin of the nearest cycle)
            step = np.max(np.abs(dz))
            lim = 0.5 * (1.0 + np.max(np.abs(z)))
            if step > lim:
                dz *= lim / step
            z = z + dz
            if budget.limit is not None and budget.elapsed() > budget.limit:
                message = f"max_seconds={budget.limit:g} ran out after {it} Newton iterations"
                break
        else:
            message = f"no convergence in maxiter={maxiter} iterations"
        pts, J, fz = _orbit(F, z, k)
        res = float(np.max(np.abs(fz - z))) if np.all(np.isfinite(fz)) else float("inf")
        if not converged and res <= tol * (1.0 + np.max(np.abs(z))):
            converged = True
            message = ""
        per = _minimal_period(pts, max(tol, 1e-10) * 10) if converged else k
        if per != k:
            pts = pts[:per]
            _, J, _ = _orbit(F, z, per)
        mult = np.linalg.eigvals(J) if np.all(np.isfinite(J)) else np.full(F.dim, np.nan)
        log_prod = _log_norm_product(F, pts) if converged else -np.inf
    mult = mult[np.argsort(-np.abs(mult))]
    if np.all(np.abs(mult.imag) < 1e-14):
        mult = mult.real
    eps = np.finfo(float).eps
    bound_err = 8.0 * per * F.dim * eps * math.exp(min(log_prod, 700.0))
    delta = float(max(stability_margin, bound_err))
    stable = _stability(mult, converged, delta)
    return Cycle(pts, int(per), mult, stable, res, converged, it, delta, message)


def _cycle(F: Map, z: Any, k: int) -> Cycle:
    """find_cycle for internal continuation steps (the caller's budget applies instead)."""
    return find_cycle(F, z, k, max_seconds=None)
