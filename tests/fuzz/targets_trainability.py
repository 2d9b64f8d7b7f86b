"""Fuzz targets of the trainability maps (``tm.phase_diagram``, ``tm.step_size_pairs``) and the
box-counting estimator (``tm.box_counting_dimension``, ``tm.boundary_cells``).

Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import toymodels as tm

from . import strategies as S
from .targets import FX, NAN, OPAQUE, POS_NOT_NONE, Target, p

SRC = "toymodels/trainability.py"
FSRC = "toymodels/fractal.py"

#: masks: not 2-D boolean, or without a boundary
MASK_BAD = S.kind(
    "boolean 2-D mask with a boundary",
    (
        None,
        OPAQUE,
        np.zeros((8, 8), dtype=bool),
        np.ones((8, 8), dtype=bool),
        np.zeros((0, 8), dtype=bool),
        np.zeros(8, dtype=bool),
        np.zeros((8, 8)),
        "mask",
    ),
    st.integers(1, 12).map(lambda n: np.ones((n, n), dtype=bool)),
)
EXECUTOR_BAD = S.kind("executor", ("pool", 3, OPAQUE, [None]), st.text(max_size=3))
GRID_BAD = S.kind(
    "positive step-size grid",
    ([], [0.0], [-0.1], [NAN], [np.inf], "x", None, [[0.1]], OPAQUE),
    st.lists(st.floats(max_value=0.0), min_size=1, max_size=3),
)


def _mask() -> np.ndarray:
    m = np.zeros((16, 16), dtype=bool)
    m[:, :7] = True
    return m


def targets() -> list[Target]:
    base = {"model": FX.q1, "eta_grid": [0.1, 0.5], "init_grid": [[1.2], [0.5]], "steps": 20}
    return [
        Target(
            "tm.phase_diagram",
            SRC,
            "toymodels.phase_diagram",
            lambda: (tm.phase_diagram, {**base, "backend": "numpy"}),
            {
                "model": p([None, OPAQUE, "x**2", FX.logistic], names=("model",)),
                "eta_grid": p(GRID_BAD, names=("eta_grid", "eta")),
                "init_grid": p(
                    [None, [], [[np.nan]], [[np.inf]], "x", OPAQUE, [[1.0, 2.0, 3.0]]],
                    names=("init_grid",),
                ),
                "steps": p(S.COUNT0, S.HUGE_COUNT, names=("steps", "max_seconds")),
                "executor": p(EXECUTOR_BAD),
                "chunk": p([0, -1, 2.5, "x", OPAQUE], names=("chunk",)),
                "per_parameter": p(S.FLAG),
                "max_period": p(S.COUNT),
                "tol": p(S.POSITIVE),
                "lyapunov_steps": p(S.COUNT0),
                "chaos_threshold": p([NAN, "x", None, OPAQUE], names=("chaos_threshold",)),
                "bound": p(S.POSITIVE),
                "backend": p(S.option("numpy", "numba", "auto")),
                "progress": p(S.FLAG),
                "max_seconds": p(POS_NOT_NONE),
            },
        ),
        Target(
            "tm.step_size_pairs",
            SRC,
            "toymodels.step_size_pairs",
            lambda: (tm.step_size_pairs, {"eta_1": [0.1, 0.2], "eta_2": [0.3]}),
            {
                "eta_1": p(GRID_BAD),
                "eta_2": p(GRID_BAD),
                "groups": p([None, [], [2], [0.5], "01", OPAQUE, [[0, 1]]], names=("groups",)),
            },
        ),
        Target(
            "tm.box_counting_dimension",
            FSRC,
            "toymodels.box_counting_dimension",
            lambda: (tm.box_counting_dimension, {"mask": _mask(), "fit_range": (1, 4)}),
            {
                "mask": p(MASK_BAD),
                "extent": p([(0, 1), (1, 0, 0, 1), (0, NAN, 0, 1), "x", OPAQUE], names=("extent",)),
                "scales": p([[], [0], [-1, 2], [1.5], "x", OPAQUE], names=("scales",)),
                "fit_range": p([(4, 1), (0, 4), (NAN, 4), "x", OPAQUE], names=("fit_range",)),
                "offsets": p(S.COUNT),
            },
        ),
        Target(
            "tm.boundary_cells",
            FSRC,
            "toymodels.boundary_cells",
            lambda: (tm.boundary_cells, {"mask": _mask()}),
            {
                "mask": p(
                    [None, OPAQUE, np.zeros(8, dtype=bool), np.zeros((8, 8)), "x"], names=("mask",)
                )
            },
        ),
    ]
