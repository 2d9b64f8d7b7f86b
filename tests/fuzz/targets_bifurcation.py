"""Fuzz targets for ``toymodels.models.bifurcation`` (the flip-direction criterion, Kalra's uv
reduction, Zhu's (A, d) reduction, the period-2 curve): every public callable with a small valid
call and bad values per parameter.

``uv_reduced_map`` and ``zhu_reduced_map`` take no parameters (nothing to fuzz; the coverage test
lists parameterless callables as covered). :class:`FlipCriterion` is a result type (built by
:func:`flip_criterion`); its methods ``coefficient_at`` and ``half_amplitude`` are fuzzed.

Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import strategies as S
from .targets import Target, _fam, _fn, p

MOD = "bifurcation"
C = f"toymodels.models.{MOD}"

#: losses in the one variable x that are no valid input: garbage, non-smooth at the minimiser,
#: complex, non-finite, several variables, no strict minimum at the given point
LOSS_BAD = [
    "x**2/2 + y",
    "I*x**2",
    "zoo*x**2",
    "nan*x**2",
    "oo*x**2",
    "Abs(x)**3 + x**2",
    "f(x)**2",
    "x**2 == 1",
    "x**2 < 1",
    "(x**2 - 1)**2",  # f'(0) = 0 but f''(0) < 0: a maximum
    "x**3",  # f''(0) = 0
    "-x**2",
    "x + x**2",  # not critical at 0
    sp.Eq(sp.Symbol("x"), 1),
    sp.Matrix([1, 2]),
]
#: bad minimisers for ½x² + x³ (critical points 0, −1/3; only 0 is a minimum)
AT_BAD = [sp.nan, sp.zoo, sp.I, sp.Symbol("z"), -sp.Rational(1, 3), 0.5]
#: the catalogue's Piecewise((x, x > 0), (x, True))**2 (a = b = x) evaluates to x**2: smooth
PIECEWISE_SMOOTH = S.Lenient(
    lambda v: isinstance(v, str) and sp.sympify(v) == sp.Symbol("x") ** 2,
    "sympy evaluates Piecewise((x, x > 0), (x, True))**2 to x**2, a smooth valid loss",
    "loss",
)
#: at=None is valid: the minimiser is then solved for (½x² + x³ has the single minimum 0)
AT_NONE = S.Lenient(lambda v: v is None, "at=None solves f'(x) = 0 for the unique minimiser", "at")
VAR_BAD = [3, 1.5, ["x"], b"x", S.OPAQUE, True, "y", sp.Symbol("y")]


def _crit():
    from toymodels.models.bifurcation import flip_criterion

    return flip_criterion("(x**2 - 1)**2/4", at=1)


def targets() -> list[Target]:
    R, POS = S.REAL, S.POSITIVE
    arr = S.ARRAY
    out = [
        _fam(
            MOD,
            "flip_criterion",
            lambda: (_fn(MOD, "flip_criterion"), {"loss": "x**2/2 + x**3", "at": 0, "var": "x"}),
            {
                "loss": p(
                    S.expressions("x", "x"),
                    LOSS_BAD,
                    names=("loss", "at", "var"),
                    lenient=(PIECEWISE_SMOOTH,),
                ),
                "at": p(R, AT_BAD, names=("at",), lenient=(AT_NONE,)),
                "var": p(S.LABEL, VAR_BAD, names=("var", "loss")),
            },
        ),
        _fam(
            MOD,
            "FlipCriterion.coefficient_at",
            lambda: (_crit().coefficient_at, {"eta": 1.01}),
            {"eta": p(POS)},
            covers=f"{C}.FlipCriterion.coefficient_at",
        ),
        _fam(
            MOD,
            "FlipCriterion.half_amplitude",
            lambda: (_crit().half_amplitude, {"eta": 1.01}),
            # at or below η₀ = 1 the supercritical flip has no 2-cycle: refused naming eta
            {"eta": p(POS, [1.0, 0.99, 0.5])},
            covers=f"{C}.FlipCriterion.half_amplitude",
        ),
        _fam(
            MOD,
            "uv_variable",
            lambda: (_fn(MOD, "uv_variable"), {"eta": 0.5, "y": 1.0, "x": [1.0, 2.0], "n": 4}),
            {
                "eta": p(POS),
                "y": p(R),
                "x": p(arr, [np.zeros((2, 2)), [], np.zeros(0)]),
                "n": p(S.COUNT),
            },
        ),
        _fam(
            MOD,
            "uv_reduce",
            lambda: (
                _fn(MOD, "uv_reduce"),
                {
                    "U": np.ones((3, 2)),
                    "v": [0.1, 0.2, 0.3],
                    "x": [1.0, 0.5],
                    "y": 1.0,
                    "eta": 0.5,
                },
            ),
            {
                "U": p(arr, [np.ones((2, 2)), np.ones(3), np.ones((3, 2, 1))], names=("U",)),
                "v": p(arr, [np.ones(2), np.ones((3, 1))], names=("v", "U")),
                "x": p(arr, [np.ones(3), np.zeros(2), np.ones((2, 1))], names=("x", "U")),
                "y": p(R),
                "eta": p(POS),
            },
        ),
        _fam(
            MOD,
            "zhu_reduce",
            lambda: (_fn(MOD, "zhu_reduce"), {"theta": [[2.0, 0.5], [1.0, 1.0]], "eta": 0.1}),
            {"theta": p(S.evaluation(S.state(2))), "eta": p(POS)},
        ),
        _fam(
            MOD,
            "period_two_curve",
            lambda: (_fn(MOD, "period_two_curve"), {"d": [0.5, 1.0]}),
            {"d": p(S.evaluation(arr))},
        ),
        _fam(
            MOD,
            "period_two_distance",
            lambda: (_fn(MOD, "period_two_distance"), {"A": [1.2, 1.3], "d": [0.5, 1.0]}),
            {
                "A": p(S.evaluation(arr), [np.ones(3)], names=("A", "d")),
                "d": p(S.evaluation(arr), [np.ones(3)], names=("d", "A")),
            },
        ),
    ]
    return out
