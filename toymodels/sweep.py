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

from ._validate import as_float_array, positive_int

__all__ = ["Transition", "locate_transition"]


@dataclass(frozen=True)
class Transition:
    """A located transition: ``eta`` with its final ``bracket`` and the values at its ends."""

    eta: float
    bracket: tuple[float, float]
    values: tuple[float, float]
    level: float
    evaluations: int
    converged: bool


def locate_transition(
    order_parameter: Callable[[np.ndarray], np.ndarray],
    lo: float,
    hi: float,
    level: float = 0.0,
    *,
    points: int = 33,
    rounds: int = 3,
    progress: bool = False,
) -> Transition:
    """The η in [lo, hi] where ``order_parameter(η) − level`` changes sign (first crossing).

    ``order_parameter`` takes a 1-D array of step sizes and returns the order parameter for each
    (NaN for runs that did not finish: those are skipped when bracketing).
    """
    lo_f = float(as_float_array(lo, "lo"))
    hi_f = float(as_float_array(hi, "hi"))
    if not lo_f < hi_f:
        raise ValueError(f"lo must be < hi, got lo={lo_f}, hi={hi_f}")
    points = positive_int(points, "points")
    rounds = positive_int(rounds, "rounds")
    if points < 3:
        raise ValueError("points must be >= 3")
    level = float(level)
    evals = 0
    a, b = lo_f, hi_f
    fa = fb = float("nan")
    found = False
    it: Any = range(rounds)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="locate transition", leave=False)
    for _ in it:
        grid = np.linspace(a, b, points)
        vals = np.asarray(order_parameter(grid), dtype=float) - level
        evals += points
        ok = np.isfinite(vals)
        g, v = grid[ok], vals[ok]
        sign = np.sign(v)
        change = np.nonzero(sign[1:] * sign[:-1] <= 0)[0]
        if change.size == 0:
            break
        k = int(change[0])
        a, b, fa, fb = float(g[k]), float(g[k + 1]), float(v[k]), float(v[k + 1])
        found = True
        if fa == 0.0:
            b, fb = a, fa
            break
    if not found:
        return Transition(
            float("nan"), (lo_f, hi_f), (float("nan"), float("nan")), level, evals, False
        )
    eta = a if fa == fb else a + (b - a) * (0 - fa) / (fb - fa)
    return Transition(float(eta), (a, b), (fa + level, fb + level), level, evals, True)
