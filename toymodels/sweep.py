"""Step-size sweeps: locating a phase transition by vectorized root finding.

A phase transition in η (a learned bias switching on, a limit losing stability) is the root of an
order parameter D(η) − level. :func:`locate_transition` brackets it on a grid evaluated in one
vectorized call, then shrinks the bracket by multisection (each round evaluates ``points`` values
inside the current bracket at once) and finishes with linear interpolation inside the last
bracket. Every evaluation is one batched GD run, so a few rounds cost a few batched runs instead of
the dozens of sequential runs bisection would need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import limits
from ._validate import as_float_array, positive_int

__all__ = ["Transition", "locate_transition"]


@dataclass(frozen=True)
class Transition:
    """A located transition: ``eta`` with its final ``bracket`` and the values at its ends.

    ``converged`` is False (and ``eta`` NaN, ``bracket`` = (lo, hi)) when the first scan found
    no crossing of ``level``; ``message`` always says what was found, or why nothing was.
    """

    eta: float
    bracket: tuple[float, float]
    values: tuple[float, float]
    level: float
    evaluations: int
    converged: bool
    message: str = ""


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def _real_scalar(value: Any, name: str) -> float:
    arr = as_float_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
    return float(arr)


def _values(raw: Any, shape: tuple[int, ...], how: str) -> np.ndarray:
    """The order parameter's result as a float array of ``shape``, or a clear error."""
    if raw is None or isinstance(raw, (str, bytes)):
        raise TypeError(f"order_parameter must return real numbers, got {raw!r} ({how})")
    try:
        arr = np.asarray(raw)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"order_parameter must return real numbers, got {raw!r} ({how})") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"order_parameter must return real numbers, got dtype {arr.dtype} ({how})")
    if arr.shape != shape:
        if shape and arr.ndim == 0:
            raise ValueError(
                f"order_parameter must return one value per step size: {how} it returned a "
                "scalar. Make it vectorized (numpy operations over the array of step sizes) "
                "or pass vectorized=False to call it once per step size"
            )
        raise ValueError(
            f"order_parameter must return an array of shape {shape}, got shape {arr.shape} ({how})"
        )
    return arr.astype(np.float64)


def _crossing(g: np.ndarray, v: np.ndarray, confirm: bool) -> tuple[int, int] | str:
    """(i, j): the bracket [g[i], g[j]] of the first crossing of 0 by ``v`` (finite values), or
    the reason there is none.

    The side is the sign of the first nonzero value; the crossing is the first later point that
    is 0 or on the other side (``i`` is the point before it). With ``confirm`` (the first scan), a
    point exactly at 0 counts only if some later value is on the other side: touching the level
    is not crossing it.
    """
    if v.size == 0:
        return "order_parameter returned no finite value"
    nz = np.nonzero(v != 0)[0]
    if nz.size == 0:
        return "order_parameter equals level at every finite grid point"
    i0 = int(nz[0])
    s0 = np.sign(v[i0])
    # candidates: later points at level or on the other side; the first one is the crossing
    change = i0 + 1 + np.nonzero((v[i0 + 1 :] == 0) | (np.sign(v[i0 + 1 :]) == -s0))[0]
    side = "above" if s0 > 0 else "below"
    if change.size == 0:
        if i0 > 0:
            return (
                f"order_parameter equals level at the first {i0} finite grid points (up to "
                f"eta={float(g[i0 - 1])!r}) and stays {side} it after: leaving the level is not "
                "a crossing (to find where it switches on, put level between its off value and "
                "its on values, e.g. level=1e-6 for an order parameter that is 0 when off)"
            )
        return (
            f"order_parameter stays {side} level at all {v.size} finite grid points "
            f"(values {float(v.min()):.6g} .. {float(v.max()):.6g} relative to level)"
        )
    k = int(change[0])
    if confirm and v[k] == 0 and not np.any(np.sign(v[k:]) == -s0):
        return (
            f"order_parameter touches level but stays {side} it at all {v.size} finite grid "
            "points (no sign change)"
        )
    return k - 1, k


def locate_transition(
    order_parameter: Callable[[np.ndarray], np.ndarray],
    lo: float,
    hi: float,
    level: float = 0.0,
    *,
    points: int = 33,
    rounds: int = 3,
    progress: bool = False,
    vectorized: bool = True,
) -> Transition:
    """The η in [lo, hi] where ``order_parameter(η) − level`` changes sign (first crossing).

    ``order_parameter`` takes a 1-D array of ``points`` step sizes and returns one real value
    for each, an array of that same shape (a scalar, a shorter or a 2-D result raises
    ``ValueError`` naming it; booleans count as 0/1). With ``vectorized=False`` it is called
    once per step size with a float and must return a scalar. Non-finite values (NaN, ±inf:
    runs that did not finish) are skipped when bracketing.

    The rule: D(η) − level has a side, the sign of its first nonzero value on the grid; the
    crossing is the first grid point after it where D − level is 0 or on the other side, and a
    point exactly at ``level`` counts only when D later passes to the other side (touching the
    level is not a crossing). Each round re-grids the bracket with ``points`` values; the
    estimate interpolates linearly between the ends of the last bracket, whose width is at most
    (hi − lo)/(points − 1)^rounds. Rounds stop early once the bracket's ends are adjacent
    floats. ``Transition.message`` says what was found or, for ``converged=False``, why nothing
    was.

    ``lo < hi`` and ``level`` must be finite reals, ``points >= 3`` and ``rounds >= 1``
    integers; all are checked before the first call of ``order_parameter``.
    """
    if not callable(order_parameter):
        raise TypeError(
            "order_parameter must be callable (a function of a 1-D array of step sizes), "
            f"got {order_parameter!r}"
        )
    lo_f = _real_scalar(lo, "lo")
    hi_f = _real_scalar(hi, "hi")
    if not lo_f < hi_f:
        raise ValueError(f"lo must be < hi, got lo={lo_f}, hi={hi_f}")
    if not np.isfinite(hi_f - lo_f):
        raise ValueError(f"hi - lo must be finite (float64), got lo={lo_f}, hi={hi_f}")
    level = _real_scalar(level, "level")
    points = positive_int(points, "points")
    rounds = positive_int(rounds, "rounds")
    if points < 3:
        raise ValueError("points must be >= 3")
    progress = _flag(progress, "progress")
    vectorized = _flag(vectorized, "vectorized")
    limits.check_memory(
        f"points={points}",
        [("grid and values", 8.0 * 4 * points)],
        "Use fewer points per round (and more rounds): the bracket shrinks by (points - 1) "
        "per round.",
    )

    def evaluate(grid: np.ndarray) -> np.ndarray:
        if vectorized:
            return _values(
                order_parameter(grid), grid.shape, f"called with an array of shape {grid.shape}"
            )
        return np.array(
            [_values(order_parameter(float(e)), (), f"called with eta={float(e)!r}") for e in grid]
        )

    evals = 0
    a, b = lo_f, hi_f
    fa = fb = float("nan")
    found = False
    note = ""
    done = 0
    it: Any = range(rounds)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="locate transition", leave=False)
    for rnd in it:
        grid = np.linspace(a, b, points)
        vals = evaluate(grid)
        evals += points
        with np.errstate(all="ignore"):
            vals = vals - level
        ok = np.isfinite(vals)
        g, v = grid[ok], vals[ok]
        res = _crossing(g, v, confirm=not found)
        if isinstance(res, str):
            if not found:
                skipped = int(points - ok.sum())
                note = (
                    f"no transition: {res} in [{lo_f!r}, {hi_f!r}] ({points} points"
                    + (f", {skipped} non-finite skipped" if skipped else "")
                    + "); the crossing may lie outside [lo, hi], or D may cross level twice "
                    "between grid points (use more points)"
                )
            else:
                note = (
                    f"round {rnd + 1} found no crossing inside the bracket ({res}); kept the "
                    "bracket of the previous round (is order_parameter deterministic?)"
                )
            break
        i, j = res
        a, b, fa, fb = float(g[i]), float(g[j]), float(v[i]), float(v[j])
        found = True
        done = rnd + 1
        if b <= np.nextafter(a, np.inf):
            note = "the bracket's ends are adjacent floats; "
            break
    if not found:
        return Transition(
            float("nan"), (lo_f, hi_f), (float("nan"), float("nan")), level, evals, False, note
        )
    # fa != 0 and fb is 0 or of the other sign, so fb - fa != 0 and the interpolant lies in
    # (a, b]; Python floats give inf/nan (no exception, no warning) if |fa|, |fb| are huge
    eta = a if fa == fb else a + (b - a) * (0 - fa) / (fb - fa)
    if not np.isfinite(eta):  # |fa|, |fb| near the float64 limit
        eta = a + (b - a) / 2
    eta = min(max(eta, a), b)
    msg = (
        f"first crossing of level bracketed in [{a!r}, {b!r}] (width {b - a:.3g}) after "
        f"{done} round(s); eta interpolates linearly inside it"
    )
    if note:
        msg = note + msg if note.endswith("; ") else msg + "; " + note
    return Transition(float(eta), (a, b), (fa + level, fb + level), level, evals, True, msg)
