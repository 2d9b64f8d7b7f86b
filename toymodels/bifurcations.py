"""Bifurcation points and orbit diagrams of a parameter family of maps.

* :func:`period_doubling_points` – flip bifurcations of a parameter family, by continuation of the
  attracting cycle and root finding on its multiplier (the point where an eigenvalue of DF^k
  crosses −1), polished by Newton on {F^k(z) = z, det(DF^k(z) + I) = 0}.
* :func:`saddle_node_points` – folds: Newton on {F^k(z) = z, det(DF^k(z) − I) = 0}.
* :func:`bifurcation_diagram` – orbit-diagram data over a parameter grid, with explicit seeding.

The cycles come from :mod:`toymodels.cycles`; the shared rules are listed in
:mod:`toymodels.orbits`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ._orbit_common import (
    WINDOW_BYTES,
    _Budget,
    _check_bool,
    _check_family,
    _check_family_params,
    _check_max_seconds,
    _family_at,
    _OutOfTime,
    _scalar_param,
    _single_state,
)
from ._validate import as_float_array, positive_float, positive_int
from .cycles import Cycle, _cycle, _orbit, period
from .dynamics import _iterate, iterate
from .maps import Map, MapFamily

__all__ = [
    "Bifurcation",
    "BifurcationDiagram",
    "BifurcationList",
    "BifurcationPoints",
    "bifurcation_diagram",
    "continuation_seeds",
    "period_doubling_points",
    "saddle_node_points",
]


# --------------------------------------------------------------------------- result objects
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
class BifurcationDiagram:
    """Orbit-diagram data: ``points[i]`` are ``keep`` states after ``burn_in`` at ``params[i]``.

    ``seeded_from[i]`` is the index of the parameter whose final state seeded parameter i (−1:
    ``state0``; a seed whose run diverged was replaced by ``state0``), ``block`` the
    continuation's block size (:func:`continuation_seeds`; None: sequential).
    """

    params: np.ndarray
    points: np.ndarray
    burn_in: int
    seeding: str
    diverged: np.ndarray
    seeded_from: np.ndarray | None = None
    block: int | None = None


class BifurcationPoints(np.ndarray):
    """The parameter values returned by :func:`period_doubling_points` (a float ndarray).

    Besides the values it says what was searched: ``scanned`` = (start, reached) is the part of
    ``param_range`` the continuation covered, ``reason`` why the search stopped (always set, so
    an empty answer is never silent), ``complete`` whether it stopped for a regular reason
    (``max_doublings`` reached or the whole range scanned) rather than a failure or the time
    budget ``max_seconds``. ``bracket`` is where an early stop left the search: the parameter
    interval that holds what could not be resolved (past a flip with no period-2k cycle found:
    from the flip to the farthest parameter tried; out of time: from the last continued
    parameter to the end of ``param_range``); (nan, nan) when ``complete``.
    """

    scanned: tuple[float, float]
    reason: str
    complete: bool
    bracket: tuple[float, float]

    def __new__(
        cls,
        values: Any,
        scanned: tuple[float, float],
        reason: str,
        complete: bool,
        bracket: tuple[float, float] = (float("nan"), float("nan")),
    ) -> BifurcationPoints:
        obj = np.asarray(values, dtype=float).view(cls)
        obj.scanned = scanned
        obj.reason = reason
        obj.complete = complete
        obj.bracket = bracket
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.scanned = getattr(obj, "scanned", (float("nan"), float("nan")))
        self.reason = getattr(obj, "reason", "")
        self.complete = getattr(obj, "complete", True)
        self.bracket = getattr(obj, "bracket", (float("nan"), float("nan")))

    def __reduce__(self) -> Any:
        f, args, state = super().__reduce__()
        return f, args, (state, self.scanned, self.reason, self.complete, self.bracket)

    def __setstate__(self, st: Any) -> None:
        state, self.scanned, self.reason, self.complete, self.bracket = st
        super().__setstate__(state)

    def __repr__(self) -> str:
        tail = "" if self.complete else f", bracket={self.bracket}"
        return (
            f"BifurcationPoints({np.asarray(self).tolist()}, scanned={self.scanned}, "
            f"reason={self.reason!r}{tail})"
        )


class BifurcationList(list):
    """A list of :class:`Bifurcation` with ``scanned``, ``reason``, ``complete``, ``bracket`` as
    in :class:`BifurcationPoints`."""

    def __init__(
        self,
        items: Sequence[Bifurcation],
        scanned: tuple[float, float],
        reason: str,
        complete: bool,
        bracket: tuple[float, float] = (float("nan"), float("nan")),
    ) -> None:
        super().__init__(items)
        self.scanned = scanned
        self.reason = reason
        self.complete = complete
        self.bracket = bracket

    def __repr__(self) -> str:
        return (
            f"BifurcationList({list.__repr__(self)}, scanned={self.scanned}, "
            f"reason={self.reason!r})"
        )


# ----------------------------------------------------------------------- bifurcation points
class _BudgetedFamily:
    """``family`` whose every evaluation first checks the analysis' time budget."""

    def __init__(self, fam: Any, budget: _Budget, name: str) -> None:
        self.fam = fam
        self.budget = budget
        self.name = name

    def __call__(self, p: Any) -> Map:
        self.budget.check()
        return _family_at(self.fam, p, self.name)


def _attractor_cycle(
    F: Map, state0: np.ndarray, burn_in: int, max_period: int, where: str = "param_range"
) -> Cycle:
    tr = iterate(F, state0, burn_in, record_every=0)
    if tr.diverged.any():
        raise ValueError(f"state0 diverges at the start of {where}; no attractor to follow")
    z = tr.final.reshape(-1)
    p = period(F, z, burn_in=0, max_period=max_period, tol=1e-7)
    if p == 0:
        raise ValueError(
            f"no periodic attractor (period ≤ max_period) at the start of {where}; "
            "start the continuation below the cascade or raise max_period"
        )
    cyc = _cycle(F, z, p)
    if not cyc.converged:
        raise ValueError(f"could not converge the attracting cycle at the start of {where}")
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
    any_crossing: bool = False,
) -> tuple[Cycle, float, Cycle, float] | None:
    """Continue ``cyc`` from p towards p_end until its test multiplier crosses ``sign``.

    Returns (cycle before, p before, cycle after, p after) for the bracketing step, or None if
    p_end is reached first. Step control keeps the change of the multiplier per step below 0.1.
    The crossing is the loss of stability (g = −sign·(μ − sign) from > 0 to ≤ 0) unless
    ``any_crossing`` (either sign change: an unstable cycle regaining stability).
    """
    k = cyc.period
    direction = np.sign(p_end - p)
    h = abs(h0)
    g_prev = _test_fn(cyc.multipliers, sign) * (-sign)
    z = cyc.points[0]
    while (p_end - p) * direction > 0:
        p_new = p + direction * min(h, abs(p_end - p))
        new = _cycle(family(p_new), z, k)
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
        if np.isfinite(g_prev) and np.isfinite(g_new):
            if g_new <= 0 < g_prev or (any_crossing and g_prev <= 0 < g_new):
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
    if lo[1] > hi[1]:  # report bracket and test values in increasing parameter order
        lo, hi = hi, lo
    c_lo, p_lo = lo
    c_hi, p_hi = hi
    k = c_lo.period
    state = {"z": c_lo.points[0]}

    def g(p: float) -> float:
        c = _cycle(family(p), state["z"], k)
        if c.converged and c.period == k:
            state["z"] = c.points[0]
        return _test_fn(c.multipliers, sign)

    g_lo, g_hi = _test_fn(c_lo.multipliers, sign), _test_fn(c_hi.multipliers, sign)
    p_root = brentq(g, p_lo, p_hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    c_root = _cycle(family(p_root), state["z"], k)
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


#: distances past a flip (fractions of the expected gap to the next one) at which the doubled
#: cycle is sought; the largest is the far end of the bracket reported when none is found
_SEED_FRACTIONS = (1e-3, 1e-4, 1e-2, 1e-5, 3e-2)


def _leaving_orbit(family: Any, bif: Bifurcation, p: float, burn_in: int, max_period: int) -> str:
    """What the orbit does from just off the cycle past a flip where no doubled cycle was found."""
    F = family(p)
    _, J, _ = _orbit(F, bif.point, bif.period)
    w, V = np.linalg.eig(J)
    v = np.real(V[:, np.argmin(np.abs(w + 1))])
    z = bif.point + 1e-6 * (1 + np.max(np.abs(bif.point))) * v / np.max(np.abs(v))
    steps = max(burn_in, 1000)
    with np.errstate(all="ignore"):
        tr = _iterate(F, z[None, :], steps, 0, 1e10)
    if tr.diverged.any():
        return (
            f"at {p:.12g} the orbit started 1e-6 off the period-{bif.period} cycle along the "
            f"flip direction diverges (step {int(tr.diverged_at.reshape(-1)[0])}): a subcritical "
            "flip, or a degenerate one with no period-doubled branch (a linear family)"
        )
    per = period(F, tr.final.reshape(-1), burn_in=0, max_period=max_period, tol=1e-7)
    if per == 0:
        return (
            f"at {p:.12g} the orbit started 1e-6 off the cycle reaches no period ≤ "
            f"max_period={max_period} in {steps} steps (a distant or chaotic attractor)"
        )
    return (
        f"at {p:.12g} the orbit started 1e-6 off the cycle goes to a period-{per} attractor "
        f"not born at this flip (the flip is subcritical, or the doubled cycle lies outside "
        "Newton's reach)"
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
    for frac in _SEED_FRACTIONS:
        delta = frac * abs(p_next - bif.param) if np.isfinite(p_next) else frac
        delta = max(delta, 1e-9 * max(1.0, abs(bif.param)))
        p = bif.param + direction * delta
        Fp = family(p)
        for c in (1.0, 0.3, 3.0, 0.1, 10.0):
            for s in (1.0, -1.0):
                guess = bif.point + s * c * np.sqrt(delta) * v
                cyc = _cycle(Fp, guess, 2 * k)
                if cyc.converged and cyc.period == 2 * k and cyc.stable is True:
                    # F^{2k}(z) = z also holds on the k-cycle itself: Newton can stop within
                    # its tolerance of it (points ~tol/|μ² − 1| apart, a "2k-cycle" with the
                    # k-cycle's multiplier μ² > 1). The branch born at a supercritical flip is
                    # attracting and its two halves separate like √δ.
                    sep = np.max(np.abs(cyc.points[:k] - cyc.points[k:]))
                    if sep > 1e-7 * (1 + np.max(np.abs(cyc.points))):
                        return cyc, p
    return None


def _half_cycle(
    family: Any, cyc: Cycle, p: float, p_end: float, budget: _Budget
) -> tuple[Cycle, float] | None:
    """The period-k/2 cycle onto which an attracting period-k cycle collapses (k even).

    Near a supercritical flip the 2h-cycle points z_i and z_{i+h} straddle the h-cycle point,
    so Newton on F^h starts at their midpoint. Tried at p, then (continuing the k-cycle towards
    p_end, where it shrinks onto the h-cycle) at each continuation step. Returns the h-cycle if
    it is unstable through a multiplier < −1 (the flip lies between p and p_end), else None.
    """
    k = cyc.period
    if k % 2:
        return None
    h = k // 2
    direction = np.sign(p_end - p)
    step = abs(p_end - p) / 200
    z = cyc.points[0]
    for _ in range(400):
        budget.check()
        guess = 0.5 * (cyc.points[0] + cyc.points[h])
        half = _cycle(family(p), guess, h)
        if half.converged and half.period == h:
            g = _test_fn(half.multipliers, -1.0)
            if np.isfinite(g) and g < 0:
                return half, p
        p_new = p + direction * step
        if (p_end - p_new) * direction <= 0:
            return None
        new = _cycle(family(p_new), z, k)
        if not new.converged or new.period != k:
            step /= 2
            if step < 1e-13 * max(1.0, abs(p)):
                return None
            continue
        cyc, p, z = new, p_new, new.points[0]
        step *= 1.5
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
    max_seconds: float | None = 120.0,
) -> BifurcationPoints | BifurcationList:
    """Flip (period-doubling) bifurcation points of a family between the ends of ``param_range``.

    Starting from the attractor reached from ``state0`` at ``param_range[0]``, its cycle is
    continued in the parameter (Newton on F^k at each step) until a real multiplier of DF^k
    crosses −1. That crossing is bracketed, located by Brent's method on the multiplier, and
    polished by Newton on {F^k(z) = z, det(DF^k(z) + I) = 0}. The period-2k cycle is then seeded
    at z* ± c·√δ·v (v the flip eigenvector; the branch grows like √δ past a supercritical flip),
    its minimal period is checked to be 2k, and the continuation goes on.

    Searching *down* a cascade (``param_range[0] > param_range[1]`` for a cascade that
    doubles with increasing parameter) the attracting k-cycle collapses onto the k/2-cycle at
    each flip: the k/2-cycle (multiplier < −1, found by Newton on F^{k/2} from the midpoint of
    z_i and z_{i+k/2}) is continued until its multiplier crosses −1, located and polished the
    same way, and the search goes on with the k/2-cycle. A flip is the same point whichever
    side it is approached from, so both directions return the same values (for the same
    number of flips in range).

    Parameters
    ----------
    family : a :class:`MapFamily`, a :class:`Model` (its GD family in η) or a callable p ↦ Map.
        A family with ``check_params`` (the GD family: η > 0) checks ``param_range`` up front.
    state0 : a state in the basin of the attractor at ``param_range[0]``.
    param_range : (start, stop), finite and distinct; the search runs from start towards stop
        (either direction).
    max_doublings : stop after this many flips.
    return_details : return :class:`Bifurcation` objects (bracket, test values, residual).
    max_seconds : wall-clock budget (None: unlimited). The cost of each continuation step grows
        like the period k (Newton on F^k), so deep cascades get expensive: ``max_doublings``
        = 14 means cycles of period 2^14. When the budget runs out the search stops and the
        flips found so far are returned with ``complete=False`` and a ``reason`` naming
        ``max_seconds`` / ``max_doublings``.

    Returns
    -------
    A :class:`BifurcationPoints` (an ndarray of the flip points, sorted increasingly) or, with
    ``return_details``, a :class:`BifurcationList` of Bifurcations in the same order. Both carry
    ``scanned`` (start, reached), ``reason`` (why the search stopped, e.g. "reached the end of
    param_range without a flip of the period-8 cycle") and ``complete``.

    References
    ----------
    Kuznetsov, *Elements of Applied Bifurcation Theory* (3rd ed.), §4.5 and §10.2 (flip test
    function det(A + I)); Chen et al. (TMLR 2024), Thm 2.1 for the cubic map the tests use.
    """
    fam = _check_family(family)
    max_doublings = positive_int(max_doublings, "max_doublings")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    return_details = _check_bool(return_details, "return_details")
    max_seconds = _check_max_seconds(max_seconds)
    rng = as_float_array(param_range, "param_range")
    if rng.shape != (2,) or rng[0] == rng[1]:
        raise ValueError(f"param_range must be two distinct numbers (start, stop), got {rng}")
    rng = _check_family_params(fam, rng, "param_range")
    p0, p_end = float(rng[0]), float(rng[1])
    direction = float(np.sign(p_end - p0))
    budget = _Budget(max_seconds)
    bfam = _BudgetedFamily(fam, budget, "param_range[0]")
    F0 = _family_at(fam, p0, "param_range[0]")
    x0 = _single_state(F0, state0, "state0")
    cyc = _attractor_cycle(F0, x0, burn_in, max_period)
    out: list[Bifurcation] = []
    p = p0
    reached = p0
    h = abs(p_end - p0) / 200
    reason = ""
    complete = True
    bracket = (float("nan"), float("nan"))
    try:
        while len(out) < max_doublings:
            k = cyc.period
            half = _half_cycle(bfam, cyc, p, p_end, budget) if direction < 0 else None
            if half is not None:
                c_half, p_half = half
                found = _follow(bfam, c_half, p_half, p_end, -1.0, h, any_crossing=True)
                if found is None:
                    reached = p_end
                    reason = (
                        f"reached the end of param_range without the flip where the "
                        f"period-{k} cycle collapses onto the period-{k // 2} cycle"
                    )
                    break
                c_lo, p_lo, c_hi, p_hi = found
                bif = _locate(bfam, (c_lo, p_lo), (c_hi, p_hi), -1.0, "flip")
                out.append(bif)
                reached = p_hi
                # continue on the period-k/2 cycle just past the flip (now attracting)
                cyc, p = c_hi, p_hi
                gap = abs(bif.param - out[-2].param) if len(out) > 1 else abs(p_end - p0)
                h = max(gap / 50, 1e-12)
                continue
            found = _follow(bfam, cyc, p, p_end, -1.0, h)
            if found is None:
                reached = p_end
                reason = f"reached the end of param_range without a flip of the period-{k} cycle"
                break
            c_lo, p_lo, c_hi, p_hi = found
            bif = _locate(bfam, (c_lo, p_lo), (c_hi, p_hi), -1.0, "flip")
            out.append(bif)
            reached = p_hi
            # the next flip is (Feigenbaum) about 1/4.67 of the last interval away
            gap = abs(bif.param - out[-2].param) / 4.669 if len(out) > 1 else abs(p_end - bif.param)
            seeded = _seed_doubled(bfam, bif, bif.param + direction * gap, direction)
            if seeded is None:
                p_far = bif.param + direction * max(
                    _SEED_FRACTIONS[-1] * gap, 1e-9 * max(1.0, abs(bif.param))
                )
                bracket = (float(min(bif.param, p_far)), float(max(bif.param, p_far)))
                reason = (
                    f"no period-{2 * k} cycle could be seeded past the flip at "
                    f"{bif.param:.12g} (Newton on F^{2 * k} from the flip eigenvector, up to "
                    f"{p_far:.12g}): {_leaving_orbit(bfam, bif, p_far, burn_in, max_period)}"
                )
                complete = False
                break
            cyc, p = seeded
            h = gap / 50
        else:
            reason = f"max_doublings={max_doublings} flips found"
    except _OutOfTime:
        reason = (
            f"max_seconds={max_seconds:g} ran out after {len(out)} flip(s) (the period-"
            f"{cyc.period} cycle costs ~{cyc.period} map evaluations per Newton step); raise "
            f"max_seconds or lower max_doublings"
        )
        complete = False
        bracket = (float(min(reached, p_end)), float(max(reached, p_end)))
    out.sort(key=lambda b: b.param)
    scanned = (p0, float(reached))
    if complete:
        bracket = (float("nan"), float("nan"))
    if return_details:
        return BifurcationList(out, scanned, reason, complete, bracket)
    return BifurcationPoints([b.param for b in out], scanned, reason, complete, bracket)


def saddle_node_points(
    family: Any,
    state0: Any,
    param: float,
    towards: float,
    *,
    burn_in: int = 20_000,
    max_period: int = 64,
    return_details: bool = False,
    max_seconds: float | None = 120.0,
) -> float | Bifurcation:
    """The saddle-node (fold) where the attracting cycle found at ``param`` is born or dies.

    The cycle reached from ``state0`` at ``param`` is continued towards ``towards`` until its
    multiplier nears +1, then (z, p) is solved by Newton on {F^k(z) = z, det(DF^k(z) − I) = 0}.
    Example: the period-3 window of F_a, ``saddle_node_points(F, 0.3, 1.455, 1.44)`` → 1.4504409645.

    Never a silent answer: if the polished fold does not converge (residual > 1e-10) or lies
    outside [param, towards] (up to 1e-9 relative), a ValueError naming ``towards`` reports the
    largest real multiplier reached and where; extend ``towards`` or start closer to the fold.
    ``max_seconds`` (None: unlimited) bounds the wall-clock time; when it runs out a ValueError
    names it. A GD family (``check_params``) refuses step sizes ≤ 0 for ``param``/``towards``.
    """
    fam = _check_family(family)
    p_start = _scalar_param(param, "param")
    p_to = _scalar_param(towards, "towards")
    if p_start == p_to:
        raise ValueError("towards must differ from param")
    _check_family_params(fam, np.array(p_start), "param")
    _check_family_params(fam, np.array(p_to), "towards")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    return_details = _check_bool(return_details, "return_details")
    max_seconds = _check_max_seconds(max_seconds)
    budget = _Budget(max_seconds)
    bfam = _BudgetedFamily(fam, budget, "param")
    F0 = _family_at(fam, p_start, "param")
    cyc = _attractor_cycle(
        F0, _single_state(F0, state0, "state0"), burn_in, max_period, where="param"
    )
    k = cyc.period
    direction = np.sign(p_to - p_start)
    p, h = p_start, abs(p_to - p_start) / 100
    z = cyc.points[0]
    last = (cyc, p)
    try:
        while h > 1e-14:
            p_new = p + direction * h
            if (p_to - p_new) * direction < 0:
                break
            new = _cycle(bfam(p_new), z, k)
            if not new.converged or new.period != k:
                h /= 3
                continue
            mu = _test_fn(new.multipliers, 1.0) + 1.0
            p, z, last = p_new, new.points[0], (new, p_new)
            if mu > 0.999:
                break
        c_last, p_last = last
        z_pol, p_pol, res, ok = _polish(bfam, c_last.points[0], p_last, k, 1.0)
    except _OutOfTime:
        raise ValueError(
            f"max_seconds={max_seconds:g} ran out while continuing the period-{k} cycle from "
            f"{p_start:g} (reached {p:g}); raise max_seconds or start closer to the fold"
        ) from None
    mu_last = _test_fn(c_last.multipliers, 1.0) + 1.0
    lo, hi = min(p_start, p_to), max(p_start, p_to)
    slack = 1e-9 * max(1.0, abs(lo), abs(hi))
    if not ok or not (lo - slack <= p_pol <= hi + slack):
        raise ValueError(
            f"towards: no saddle-node of the period-{k} cycle found between param={p_start:g} "
            f"and towards={p_to:g}: the continuation reached {p_last:.10g} with real multiplier "
            f"nearest +1 equal to {mu_last:.6g}, and Newton on the fold system "
            f"{'ended at ' + format(p_pol, '.10g') if ok else 'did not converge'}; extend "
            f"towards or start closer to the fold"
        )
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


# --------------------------------------------------------------------------- orbit diagrams
def continuation_seeds(n: int, block: int | None) -> np.ndarray:
    """The seeding rule of ``bifurcation_diagram(..., seeding="continuation", block=s)``.

    ``seeds[i]`` is the index of the parameter whose final state seeds parameter i (−1: seeded
    with ``state0``). Parameter i is seeded by i − 1 unless i is a multiple of s; a multiple of
    s is seeded by the previous multiple of s, unless it is a multiple of s², which is seeded by
    the previous multiple of s², and so on; parameter 0 is seeded with state0. Equivalently,
    with ℓ the largest power such that s^ℓ divides i (ℓ = 0 when s ∤ i), seeds[i] = i − s^ℓ, and
    the top level (the multiples of s^L with s^{L+1} ≥ n) is a plain chain from state0.
    ``block=None`` (or s ≥ n) gives seeds[i] = i − 1: the sequential sweep.
    """
    n = positive_int(n, "n")
    if block is not None:
        block = positive_int(block, "block")
        if block < 2:
            raise ValueError(f"block must be ≥ 2 (or None for the sequential sweep), got {block}")
    if n * 8 > WINDOW_BYTES:
        raise ValueError(
            f"n={n} parameters need {n * 8 / 2**30:.3g} GiB of seed indices "
            f"(> {WINDOW_BYTES / 2**30:g} GiB); use fewer parameters"
        )
    i = np.arange(n, dtype=np.int64)
    if block is None or block >= n:
        return i - 1
    s = block
    levels = 0  # coarse levels: the top one (multiples of s^levels) holds at most s parameters
    while s ** (levels + 1) < n:
        levels += 1
    step = np.ones(n, dtype=np.int64)
    for _ in range(levels):
        up = (i % (step * s) == 0) & (step * s <= s**levels)
        step = np.where(up, step * s, step)
    seeds = i - step
    seeds[0] = -1
    return seeds


def _levels(n: int, s: int) -> list[np.ndarray]:
    """Rounds of the blocked continuation: lists of parameter indices that can run together.

    Every index appears once, after the index that seeds it (:func:`continuation_seeds`).
    """
    idx = np.arange(n)
    stack: list[np.ndarray] = []
    while idx.size > s:
        stack.append(idx)
        idx = idx[::s]
    rounds: list[np.ndarray] = [idx[j : j + 1] for j in range(idx.size)]  # top level: a chain
    for level in reversed(stack):
        nb = -(-level.size // s)
        for r in range(1, s):
            pos = np.arange(nb) * s + r
            pos = pos[pos < level.size]
            if pos.size:
                rounds.append(level[pos])
    return rounds


def bifurcation_diagram(
    family: Any,
    params: Any,
    state0: Any,
    burn_in: int = 5_000,
    keep: int = 300,
    *,
    seeding: str = "fixed",
    block: int | None = 16,
    bound: float = 1e10,
    progress: bool = False,
    max_seconds: float | None = 3600.0,
    backend: str = "numpy",
) -> BifurcationDiagram:
    """Orbit-diagram data: for each parameter value, ``keep`` states after ``burn_in`` steps.

    seeding : ``"fixed"`` starts every parameter from ``state0`` (one vectorized call for a
        :class:`MapFamily`). ``"continuation"`` seeds a parameter with the final state (after
        burn_in + keep − 1 steps) of an earlier one, so that the diagram follows one attractor
        through a region where several coexist (hysteresis: sweep ``params`` upwards, then
        downwards); a seed whose run diverged is replaced by ``state0``.
    block : the seeding rule of ``"continuation"`` (:func:`continuation_seeds`, recorded in
        ``result.seeded_from``): parameter i is seeded by i − 1 except every ``block``-th one,
        which is seeded by the previous multiple of ``block`` (recursively with block², …).
        Within a block the sweep is sequential; the blocks themselves run side by side, so a
        :class:`MapFamily` needs about block·log_block(len(params)) batched rounds of
        burn_in + keep steps instead of len(params) sequential ones (4,000 logistic-map
        parameters, block 16: 46 rounds). ``block=None`` (or ≥ len(params)) is the plain
        sequential sweep, i − 1 → i throughout. The coarse links (every block-th parameter seeded
        from block parameters back) are continuation with a larger step: they follow an
        attractor as long as it persists over that step, and near a fold the diagram may switch
        branch up to block^ℓ parameters early on level ℓ.

    backend : ``"numpy"`` (the reference), ``"numba"`` or ``"auto"`` (a :class:`MapFamily` built
        from sympy, extra ``fast``: compiled iteration, equal to numpy to rounding; the
        sequential sweep ``block=None`` then runs as one compiled chain).

    Checks before any iteration: ``params`` finite, 1-D, non-empty and in the family's domain
    (a GD family refuses step sizes η ≤ 0, naming ``eta``); the result array
    len(params)·keep·dim·8 bytes must fit in 2 GiB (else a ValueError names ``keep``).
    ``max_seconds`` (None: unlimited): batched paths time a probe of ≤ 64 steps and refuse up
    front if the whole run is estimated above it; the per-parameter path (a callable family)
    extrapolates after each parameter value. Either way a ValueError names ``max_seconds`` and
    what to lower (``burn_in``, ``keep``, the number of ``params``).
    """
    fam = _check_family(family)
    ps = as_float_array(params, "params")
    if ps.ndim != 1 or ps.size == 0:
        raise ValueError(f"params must be a non-empty 1-D array, got shape {ps.shape}")
    ps = _check_family_params(fam, ps, "params")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    keep = positive_int(keep, "keep")
    if not isinstance(seeding, str) or seeding not in ("fixed", "continuation"):
        raise ValueError(f"seeding must be 'fixed' or 'continuation', got {seeding!r}")
    if block is not None:
        block = positive_int(block, "block")
        if block < 2:
            raise ValueError(f"block must be ≥ 2 (or None for the sequential sweep), got {block}")
    bound = positive_float(bound, "bound")
    progress = _check_bool(progress, "progress")
    max_seconds = _check_max_seconds(max_seconds)
    from . import _numba_maps

    backend = _numba_maps.check_backend(backend)
    if backend != "numpy" and not isinstance(fam, MapFamily):
        if backend == "numba":
            raise ValueError(
                "backend='numba' needs a MapFamily built from sympy (Map.from_sympy with a "
                "param, or gd_family of a sympy Model); use backend='numpy' or 'auto'"
            )
        backend = "numpy"
    compiled = backend != "numpy" and _numba_maps.use_numba(fam, backend)
    run_backend = "numba" if compiled else "numpy"
    first = _family_at(fam, ps[0], "params")
    x0 = _single_state(first, state0, "state0")
    dim = first.dim
    n = ps.size
    need = float(n) * keep * dim * 8
    if need > WINDOW_BYTES:
        raise ValueError(
            f"keep={keep} × {n} params × dim {dim} needs {need / 2**30:.3g} GiB "
            f"(> {WINDOW_BYTES / 2**30:g} GiB); lower keep or use fewer params"
        )
    budget = _Budget(max_seconds)
    fix = "lower burn_in or keep, or use fewer params"
    if seeding == "fixed":
        seeds = np.full(n, -1, dtype=np.int64)
        rounds = [np.arange(n)]
    else:
        seeds = continuation_seeds(n, block)
        rounds = (
            [np.arange(i, i + 1) for i in range(n)]
            if block is None or block >= n
            else _levels(n, block)
        )
    pts = np.full((n, keep, dim), np.nan)
    div = np.zeros(n, dtype=bool)
    final = np.full((n, dim), np.nan)

    def run(F: Map, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with np.errstate(all="ignore"):
            tr = _iterate(F, x, burn_in, 0, bound, backend=run_backend)
            win = _iterate(F, tr.final, keep - 1, 1, bound, backend=run_backend)
        d = np.asarray(tr.diverged | win.diverged).reshape(-1)
        return np.moveaxis(win.theta, 0, 1).reshape(-1, keep, dim), d, win.final.reshape(-1, dim)

    batched = isinstance(fam, MapFamily)
    if compiled and seeding == "continuation" and (block is None or block >= n):
        # the sequential sweep as one compiled chain (same seeding rule, restart after divergence)
        pts, div = _numba_maps.continuation_chain(fam, ps, x0, burn_in, keep, bound)
        return BifurcationDiagram(ps, pts, burn_in, seeding, div, seeds, block)
    if compiled:
        _numba_maps.warm_up(fam(ps[:1]))
    if batched and max_seconds is not None:
        n_probe = min(64, burn_in + keep)
        with np.errstate(all="ignore"):
            t0 = time.perf_counter()
            _iterate(fam(ps), np.broadcast_to(x0, (n, dim)), n_probe, 0, bound, backend=run_backend)
            t_step = (time.perf_counter() - t0) / max(n_probe, 1)
        budget.refuse_estimate(
            t_step * (burn_in + keep) * len(rounds),
            f"{len(rounds)} round(s) of {burn_in + keep} steps over ≤ {n} params",
            fix,
        )
    it: Any = rounds
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(rounds, desc="orbit diagram", leave=False, unit="round")
    done = 0
    for members in it:
        src = seeds[members]
        start = np.where(
            ((src < 0) | div[np.maximum(src, 0)])[:, None], x0, final[np.maximum(src, 0)]
        )
        if batched:
            F = fam(ps[members])
            p_, d_, f_ = run(F, start)
        else:
            outs = []
            for i, z in zip(members, start, strict=True):
                F = first if i == 0 else _family_at(fam, float(ps[i]), "params")
                if F.dim != dim:
                    raise TypeError(f"family returned maps of dimension {dim} and {F.dim}")
                outs.append(run(F, F.state(z, "state0")))
                if max_seconds is not None:
                    est = budget.elapsed() / (done + len(outs)) * n
                    budget.refuse_estimate(
                        est, f"the sweep over {n} params (after {done + len(outs)} of them)", fix
                    )
            p_ = np.concatenate([o[0] for o in outs])
            d_ = np.concatenate([o[1] for o in outs])
            f_ = np.concatenate([o[2] for o in outs])
        pts[members] = p_
        div[members] = d_
        final[members] = f_
        done += members.size
    return BifurcationDiagram(
        ps, pts, burn_in, seeding, div, seeds, block if seeding == "continuation" else None
    )
