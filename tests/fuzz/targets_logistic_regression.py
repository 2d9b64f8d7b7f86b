"""Fuzz targets for ``toymodels.models.logistic_regression`` (Wu, Braverman, Lee, NeurIPS 2023):
every public callable with a small valid call and bad values per parameter.

``two_point_v_star`` and ``two_point_potential_min`` take no parameters (nothing to fuzz; the
coverage test lists parameterless callables as covered). ``MaxMargin`` and ``TwoPointAsymptotics``
are result types (built by the functions, listed in ``RESULT_TYPES``).

Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

import numpy as np

from . import strategies as S
from .targets import Target, _fam, _fn, p

MOD = "logistic_regression"

X_VALID = [[0.1, 1.0], [0.1, -2.0]]
THETA_VALID = [0.3, -0.2]
LOSS = S.option("logistic", "exponential")

#: X must be a finite (n, d) matrix with n, d ≥ 1
X_BAD = [np.ones(3), np.zeros((0, 2)), np.zeros((2, 0)), [[[1.0, 2.0]]], 2.0]
#: the sympy form also refuses a coordinate that is 0 for every point, and n·d > 4096 terms
X_BAD_SYMPY = [*X_BAD, [[1.0, 0.0], [2.0, 0.0]], np.ones((100, 50))]
#: max_margin: not separable through the origin, or too many candidate support sets
X_BAD_MARGIN = [
    *X_BAD,
    [[1.0, 0.0], [-1.0, 0.0]],
    [[0.0, 0.0]],
    [[1.0, 1.0], [-1.0, -1.0], [0.0, 1.0]],
    np.ones((400, 3)),
]


def _data_target(label: str, x_bad: list) -> Target:
    """A target ``label(X, loss)`` (the model builders)."""
    return _fam(
        MOD,
        label,
        lambda: (_fn(MOD, label), {"X": X_VALID, "loss": "logistic"}),
        {"X": p(S.ARRAY, x_bad), "loss": p(LOSS)},
    )


def _evaluation_target(label: str) -> Target:
    """A target ``label(theta, X, loss)`` (the numpy twins and the sharpness bound)."""
    th2 = S.theta(2, model=True)
    return _fam(
        MOD,
        label,
        lambda: (_fn(MOD, label), {"theta": THETA_VALID, "X": X_VALID, "loss": "logistic"}),
        {"theta": p(th2), "X": p(S.ARRAY, X_BAD), "loss": p(LOSS)},
    )


def targets() -> list[Target]:
    POS = S.POSITIVE
    th2 = S.theta(2, model=True)
    out: list[Target] = [
        _data_target("separable_model", X_BAD_SYMPY),
        _data_target("separable_model_numpy", X_BAD),
        _fam(
            MOD,
            "two_point_data",
            lambda: (_fn(MOD, "two_point_data"), {"gamma": 0.1}),
            {"gamma": p(POS)},
        ),
        _fam(
            MOD,
            "two_point_model",
            lambda: (_fn(MOD, "two_point_model"), {"gamma": 0.1, "loss": "logistic"}),
            {"gamma": p(POS), "loss": p(LOSS)},
        ),
        _fam(
            MOD,
            "separable_numpy_third",
            lambda: (
                _fn(MOD, "separable_numpy_third"),
                {"theta": THETA_VALID, "u": [1.0, 0.5], "X": X_VALID, "loss": "logistic"},
            ),
            {
                "theta": p(th2),
                "u": p(th2),
                "X": p(S.ARRAY, X_BAD),
                "loss": p(LOSS),
            },
        ),
        _fam(
            MOD,
            "max_margin",
            lambda: (_fn(MOD, "max_margin"), {"X": X_VALID}),
            {"X": p(S.ARRAY, X_BAD_MARGIN)},
        ),
        _fam(
            MOD,
            "two_point_max_margin",
            lambda: (_fn(MOD, "two_point_max_margin"), {"gamma": 0.1}),
            {"gamma": p(POS)},
        ),
        _fam(
            MOD,
            "margin_decomposition",
            lambda: (
                _fn(MOD, "margin_decomposition"),
                {"theta": THETA_VALID, "direction": [1.0, 0.0]},
            ),
            {
                # a direction of another length: "theta must have shape (..., 3) to match
                # direction" names both
                "theta": p(th2),
                # a huge finite direction is valid (it is normalised; no overflow may warn)
                "direction": p(
                    S.ARRAY,
                    [[0.0, 0.0], [[1.0, 0.0]], [], [1.0, 0.0, 0.0], 2.0, [1e300, 1e300]],
                    lenient=(S.HUGE_THETA,),
                ),
            },
        ),
        _fam(
            MOD,
            "potential",
            lambda: (_fn(MOD, "potential"), {"v": [-0.2, 0.1], "xbar": [1.0, -2.0]}),
            {
                "v": p(S.evaluation(S.ARRAY)),
                "xbar": p(S.ARRAY, [[], np.zeros((0, 1)), [[[1.0]]], 1.0]),
            },
        ),
        _fam(
            MOD,
            "two_point_potential",
            lambda: (_fn(MOD, "two_point_potential"), {"v": [-0.2, 0.1]}),
            {"v": p(S.evaluation(S.ARRAY))},
        ),
        _fam(
            MOD,
            "two_point_v_rate",
            lambda: (_fn(MOD, "two_point_v_rate"), {"gamma": 0.1}),
            # γ² ≥ 2: the constant −4/(9(2 − γ²)) has its pole at √2
            {"gamma": p(S.NONNEG, [1.5, 2.0, float(np.sqrt(2.0)) + 1e-12])},
        ),
        _fam(
            MOD,
            "two_point_asymptotics",
            lambda: (
                _fn(MOD, "two_point_asymptotics"),
                {"t": [1e3, 1e4], "eta": 5.0, "gamma": 0.1},
            ),
            {
                "t": p(S.ARRAY, [0.0, -1.0, [1.0, 0.0]], names=("t", "eta")),
                "eta": p(S.ARRAY, [0.0, -5.0, [5.0, -1.0], [1.0, 2.0, 3.0]], names=("eta", "t")),
                "gamma": p(POS, [1.5, 2.0]),
            },
        ),
    ]
    for label in ("two_point_initial_sharpness", "two_point_eos_threshold"):
        out.append(
            _fam(
                MOD,
                label,
                lambda label=label: (_fn(MOD, label), {"gamma": 0.1, "loss": "logistic"}),
                {"gamma": p(POS), "loss": p(LOSS)},
            )
        )
    for label in (
        "separable_numpy_loss",
        "separable_numpy_grad",
        "separable_numpy_hessian",
        "sharpness_bound",
    ):
        out.append(_evaluation_target(label))
    return out
