"""Fuzz targets for ``toymodels.models.self_stabilization`` (Models A, B, Z, the stage maps and
the log-cosh toy): every public callable with a small valid call and bad values per parameter.

``minimalist_model`` and ``decoupled_threshold`` take no parameters (nothing to fuzz; the
coverage test lists parameterless callables as covered).

Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

import numpy as np

from . import strategies as S
from .targets import Target, _fam, _fn, p

MOD = "self_stabilization"

K_VALID = [[0.5, 0.3], [0.3, 1.0]]
M_VALID = [22.0, 4.0]

#: K must be a symmetric positive definite 2×2 matrix
K_BAD = [
    np.eye(3),
    [1.0, 2.0],
    1.0,
    [[1.0, 2.0], [3.0, 1.0]],  # not symmetric
    [[1.0, 0.0], [0.0, -1.0]],  # indefinite
    [[0.0, 0.0], [0.0, 0.0]],  # singular
    [[-1.0, 0.0], [0.0, -1.0]],  # negative definite
    [[1.0, 2.0], [2.0, 1.0]],  # symmetric, indefinite
]
#: m must be a length-2 vector
M_BAD = [[1.0], [1.0, 2.0, 3.0], [[1.0, 2.0]], 1.0, []]


def _km(label: str, extra_eta: list | None = None) -> Target:
    params = {
        "K": p(S.ARRAY, K_BAD),
        "m": p(S.ARRAY, M_BAD),
        "eta": p(S.POSITIVE, *([extra_eta] if extra_eta else [])),
    }
    return _fam(
        MOD,
        label,
        lambda: (_fn(MOD, label), {"K": K_VALID, "m": M_VALID, "eta": 0.1}),
        params,
    )


def targets() -> list[Target]:
    R, POS = S.REAL, S.POSITIVE
    th3 = S.theta(3, model=True)
    out = [
        _fam(
            MOD,
            "width_one_net",
            lambda: (_fn(MOD, "width_one_net"), {"lam_s": 0.1, "lam_n": 100.0, "gamma": 0.05}),
            {"lam_s": p(POS), "lam_n": p(POS), "gamma": p(R)},
        ),
        _fam(
            MOD,
            "width_one_net_init",
            lambda: (_fn(MOD, "width_one_net_init"), {"gamma": 0.05}),
            {"gamma": p(R)},
        ),
        _fam(
            MOD,
            "normal_form_model",
            lambda: (_fn(MOD, "normal_form_model"), {"K": K_VALID, "m": M_VALID}),
            {"K": p(S.ARRAY, K_BAD), "m": p(S.ARRAY, M_BAD)},
        ),
        _km("constrained_minimizer"),
        _km("kkt_multiplier"),
        # 2/η ≥ m₁ = 22 (η ≥ 1/11): no EoS 2-cycle, refused naming eta
        _km("eos_two_cycle", [0.05, 0.09]),
        _km("two_step_spectral_radius", [0.05, 0.09]),
        _fam(
            MOD,
            "stage_map",
            lambda: (
                _fn(MOD, "stage_map"),
                {"alpha": 3.4, "beta": 1.0, "eta": 0.03, "kappa": 0.0},
            ),
            {"alpha": p(R), "beta": p(POS), "eta": p(POS), "kappa": p(R)},
        ),
        _fam(
            MOD,
            "lotka_volterra_invariant",
            lambda: (
                _fn(MOD, "lotka_volterra_invariant"),
                {"x": [1.0, 2.0], "y": 0.5, "alpha": 3.4, "beta": 1.0},
            ),
            {
                "x": p(S.evaluation(S.ARRAY), names=("x", "y")),
                "y": p(S.evaluation(S.ARRAY), [np.zeros(3), np.zeros((2, 3))], names=("y", "x")),
                "alpha": p(R),
                "beta": p(POS),
            },
        ),
        _fam(
            MOD,
            "log_cosh_model",
            lambda: (_fn(MOD, "log_cosh_model"), {"lam": 3.0}),
            {"lam": p(POS)},
        ),
        _fam(
            MOD,
            "log_cosh_cycle",
            lambda: (_fn(MOD, "log_cosh_cycle"), {"lam": 3.0, "eta": 1.0}),
            {
                # ηλ ≤ 2: no 2-cycle, refused naming "eta * lam"
                "lam": p(POS, [0.5, 2.0], names=("lam", "eta")),
                "eta": p(POS, [0.5, 2.0 / 3.0], names=("eta", "lam")),
            },
        ),
    ]
    for twin in ("grad", "hessian", "third"):
        name = f"width_one_net_numpy_{twin}"
        out.append(
            _fam(
                MOD,
                name,
                lambda name=name: (
                    _fn(MOD, name),
                    {"theta": [0.3, 0.3, 0.1], "lam_s": 0.1, "lam_n": 100.0, "gamma": 0.05},
                ),
                {"theta": p(th3), "lam_s": p(POS), "lam_n": p(POS), "gamma": p(R)},
            )
        )
    return out
