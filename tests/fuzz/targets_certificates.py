"""Fuzz targets for ``toymodels.certificates`` (interval certificates of cycles and bifurcations):
every public callable with a small valid call and bad values per parameter.

``CycleCertificate`` and ``BifurcationCertificate`` are result types (built by the functions,
listed in ``RESULT_TYPES``).

Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

import numpy as np

import toymodels.certificates as cert

from . import strategies as S
from .targets import (
    FX,
    FX_FAMILY_PLACEHOLDER,
    FX_MAP_PLACEHOLDER,
    NOT_A_FAMILY,
    NOT_A_MAP,
    POS_NOT_NONE,
    STATE1,
    Target,
    p,
)

SRC = "toymodels/certificates.py"


def _numpy_map():
    """A Map without sympy form (numpy functions only): refused naming F."""
    import toymodels as tm

    return tm.Map(lambda x, q: x / 2, lambda x, q: np.full((*x.shape, 1), 0.5), 1)


def _numpy_family():
    """A MapFamily without sympy form: refused naming family."""
    import toymodels as tm

    return tm.MapFamily(
        lambda x, q: q * x, lambda x, q: np.asarray(q)[..., None, None] * np.ones((*x.shape, 1)), 1
    )


INTERVAL_BAD = S.kind(
    "interval (lo, hi)",
    (
        None,
        1.0,
        "ab",
        (1.0,),
        (1.0, 2.0, 3.0),
        (2.0, 1.0),
        (float("nan"), 1.0),
        (0.0, float("inf")),
        (True, 2.0),
        ("a", "b"),
        (None, 1.0),
        (10**400, 1.0),
    ),
)
VALUE_BAD = S.kind(
    "real or constant sympy number",
    (None, "x", float("nan"), float("inf"), True, [1.0], 10**400, S.OPAQUE),
)


def targets() -> list[Target]:
    return [
        Target(
            "certificates.certify_cycle",
            SRC,
            "toymodels.certify_cycle",
            lambda: (cert.certify_cycle, {"F": FX.F32, "guess": 0.5, "k": 2}),
            {
                "F": p(NOT_A_MAP, [FX_FAMILY_PLACEHOLDER, _numpy_map()], names=("F",)),
                "guess": p(STATE1),
                "k": p(S.COUNT, S.HUGE_COUNT, [513]),
                "radius": p(POS_NOT_NONE),
                "refine": p(S.FLAG),
            },
        ),
        Target(
            "certificates.certify_cycle[2-D]",
            SRC,
            "toymodels.certify_cycle",
            lambda: (cert.certify_cycle, {"F": FX.henon, "guess": [0.6, 0.2], "k": 1}),
            {"guess": p(S.state(2))},
        ),
        Target(
            "certificates.certify_bifurcation",
            SRC,
            "toymodels.certify_bifurcation",
            lambda: (
                cert.certify_bifurcation,
                {"family": FX.logistic, "guess_state": 0.66, "guess_param": 3.0, "k": 1},
            ),
            {
                "family": p(NOT_A_FAMILY, [FX_MAP_PLACEHOLDER, _numpy_family()], names=("family",)),
                "guess_state": p(STATE1),
                "guess_param": p(S.REAL),
                "k": p(S.COUNT, S.HUGE_COUNT, [513]),
                "kind": p(S.option("flip", "fold")),
                "radius": p(POS_NOT_NONE),
                "maxiter": p(S.COUNT),
            },
        ),
        Target(
            "certificates.interval_contains",
            SRC,
            "toymodels.certificates.interval_contains",
            lambda: (cert.interval_contains, {"interval": (1.0, 2.0), "value": 1.5}),
            {"interval": p(INTERVAL_BAD), "value": p(VALUE_BAD)},
        ),
    ]
