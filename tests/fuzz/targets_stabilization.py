"""Fuzz targets for ``toymodels.stability`` (issue 11): the stable-set projection, the constrained
trajectory, the predicted dynamics, the central flow and the progressive-sharpening measurement.

Valid calls use the core fixture ``FX.m2`` (L = (xy − 1)²/2 + x²/10) with a few steps, so every
bad case is cheap. Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
from hypothesis import strategies as st

import toymodels as tm

from . import strategies as S
from .strategies import NAN, OPAQUE, BadFn
from .targets import FX, FX_MAP_PLACEHOLDER, NOT_A_MODEL, THETA2, Target, p

SRC = "toymodels/stability.py"
NONE_DEFAULT = S.Lenient(
    lambda v: v is None,
    "None is the documented default (dagger_start: project θ_t0; v0: v⋆_0 = θ_t0 − θ†_t0)",
    "None (the default)",
)
C = "toymodels."
THETA0 = [0.2, 3.0]  # S(θ0) ≈ 9.2: unstable at eta = 0.5 from the start, stable at eta = 0.05
MODEL_P = p(NOT_A_MODEL, [FX_MAP_PLACEHOLDER], names=("model",))
#: a single starting point (p,) of a 2-parameter model: batches are refused (batch over eta)
THETA0_BAD = S.state(2).plus(np.full((2, 2), 0.1), np.full((1, 2), 0.1), label="theta0 (2,)")
#: eta of constrained_trajectory / central_flow: a scalar or a 1-D grid
STEP = S.STEP
#: eta of stable_set_projection: any shape broadcasting against theta's batch
ETA_BROADCAST = S.kind(
    "eta (broadcast)",
    (
        *[v for v in S.POSITIVE.catalogue if not isinstance(v, (list, np.ndarray))],
        [],
        [0.1, -0.1],
        [0.1, NAN],
        "a",
        None,
        OPAQUE,
        1 + 2j,
        ["0.1"],
    ),
    st.floats(max_value=0.0),
    S.nonfinite,
)
ONSET = S.kind(
    "onset",
    ("bogus", "Iterate", "", None, -1, 2.5, True, [0], OPAQUE, 1 + 0j, 10**6, S.IntAsFloat()),
    st.integers(max_value=-1),
    st.text(max_size=6).filter(lambda s: s not in ("iterate", "midpoint")),
    lenient=(S.INT_FLOAT,),
)


@functools.cache
def _ct_small() -> tm.ConstrainedTrajectory:
    return tm.constrained_trajectory(FX.m2, THETA0, 0.5, 4)


@functools.cache
def _gd_small() -> tm.Trajectory:
    return tm.gd(FX.m2, [0.3, 2.0], [0.2, 0.3], 20)


NOT_A_CT = S.kind(
    "not a constrained trajectory",
    (None, 3, "ct", OPAQUE, np.ones(2), BadFn(lambda: None, "a function")),
    st.integers(),
    S.texts,
)
NOT_A_SOURCE = S.kind(
    "not a trajectory or model",
    (None, 3, "gd", OPAQUE, np.ones((3, 2)), BadFn(lambda: None, "a function")),
    st.integers(),
    S.texts,
)
V0_BAD = S.kind(
    "v0",
    (
        "a",
        True,
        OPAQUE,
        [NAN, 0.0],
        [0.1],
        [0.1, 0.2, 0.3],
        np.zeros((3, 2)),
        [["0.1", "0.2"]],
        1 + 2j,
        {},
    ),
    S.state(2).strategy,
)


def targets() -> Iterator[Target]:
    yield Target(
        "tm.stable_set_projection",
        SRC,
        C + "stable_set_projection",
        lambda: (tm.stable_set_projection, {"model": FX.m2, "theta": [1.0, 1.0], "eta": 0.1}),
        {
            "model": MODEL_P,
            "theta": p(THETA2),
            "eta": p(ETA_BROADCAST, names=("eta", "theta")),
            "steps": p(S.COUNT0, [10**6, 10**12]),
            "tol": p(S.POSITIVE),
            "min_gap": p(S.POSITIVE),
        },
    )
    yield Target(
        "tm.constrained_trajectory",
        SRC,
        C + "constrained_trajectory",
        lambda: (
            tm.constrained_trajectory,
            {"model": FX.m2, "theta0": THETA0, "eta": [0.05, 0.5], "steps": 4},
        ),
        {
            "model": MODEL_P,
            "theta0": p(THETA0_BAD),
            "eta": p(STEP),
            "steps": p(S.COUNT, S.HUGE_COUNT),
            "onset": p(ONSET, names=("onset",)),
            "dagger_start": p(
                S.state(2).plus(np.zeros((3, 2)), label="dagger_start"),
                names=("dagger_start",),
                lenient=(NONE_DEFAULT,),
            ),
            "proj_steps": p(S.COUNT0, [10**6]),
            "min_gap": p(S.POSITIVE),
        },
    )
    yield Target(
        "tm.predicted_dynamics",
        SRC,
        C + "predicted_dynamics",
        lambda: (tm.predicted_dynamics, {"constrained": _ct_small()}),
        {"constrained": p(NOT_A_CT), "v0": p(V0_BAD, lenient=(NONE_DEFAULT,))},
    )
    yield Target(
        "tm.central_flow",
        SRC,
        C + "central_flow",
        lambda: (tm.central_flow, {"model": FX.m2, "theta0": THETA0, "eta": 0.5, "t_end": 3.0}),
        {
            "model": MODEL_P,
            "theta0": p(THETA0_BAD),
            "eta": p(STEP),
            "t_end": p(S.POSITIVE, [1e12, 1e300]),
            "method": p(S.option("solve_ivp", "euler")),
            "substeps": p(S.COUNT),
            "rtol": p(S.POSITIVE, [1e-20]),
            "atol": p(S.POSITIVE),
            "stabilization": p(S.NONNEG),
            "bound": p(S.POSITIVE),
            "min_gap": p(S.POSITIVE),
        },
    )
    yield Target(
        "tm.central_flow[euler]",
        SRC,
        C + "central_flow",
        lambda: (
            tm.central_flow,
            {"model": FX.m2, "theta0": THETA0, "eta": [0.05, 0.5], "t_end": 3.0, "method": "euler"},
        ),
        {
            "eta": p(STEP),
            "t_end": p(S.POSITIVE, [1e12]),
            "substeps": p(S.COUNT, [10**9]),
            "bound": p(S.POSITIVE),
        },
    )
    yield Target(
        "tm.progressive_sharpening",
        SRC,
        C + "progressive_sharpening",
        lambda: (tm.progressive_sharpening, {"source": _gd_small()}),
        {
            "source": p(NOT_A_SOURCE, names=("source",)),
            "theta0": p([[0.3, 2.0], 1.0, "a"], names=("theta0",)),
            "eta": p([0.2, [0.1]], names=("eta",)),
            "steps": p([5, 1], names=("steps",)),
            "eps": p(S.POSITIVE, [1.0, 2.0]),
            "band": p(S.POSITIVE),
        },
    )
    yield Target(
        "tm.progressive_sharpening[model]",
        SRC,
        C + "progressive_sharpening",
        lambda: (
            tm.progressive_sharpening,
            {"source": FX.m2, "theta0": [0.3, 2.0], "eta": [0.2, 0.3], "steps": 20},
        ),
        {
            "theta0": p(S.with_huge(S.theta(2)), names=("theta0",)),
            "eta": p(STEP),
            "steps": p(S.COUNT0, S.HUGE_COUNT, names=("steps", "record_every")),
            "eps": p(S.POSITIVE),
        },
    )
