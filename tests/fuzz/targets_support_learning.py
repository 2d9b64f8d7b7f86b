"""Fuzz targets for ``toymodels.models.support_learning`` (the support toy of Beneventano, Pinto,
Poggio): every public callable with a small valid call and bad values per parameter.

Valid calls are tiny (n₀ = 10 samples, the 6-parameter toy), so every bad case is cheap; the
sizes guards (``n0``, ``d``, ``width`` far too large) must refuse before any allocation.

Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from . import strategies as S
from .strategies import NAN, OPAQUE
from .targets import Target, _fam, _fn, p

MOD = "support_learning"
RR = "without_replacement"
THETA6 = [0.5, -0.3, 0.2, 0.7, -0.4, 0.1]

#: the input column j of flat_part: an int in [0, d) (None is valid: every irrelevant column)
COLUMN = S.kind(
    "column",
    (-1, 2, 10**6, 2.5, NAN, "1", True, 1 + 0j, [1], np.array([1]), OPAQUE, S.IntAsFloat()),
    st.integers(max_value=-1),
    st.integers(min_value=2),
    S.non_integer_float,
    S.texts,
    lenient=(S.INT_FLOAT,),
)
#: the number of relevant inputs: 1 ≤ r < d (d = 2 in the valid calls)
RELEVANT = S.count(1).plus(2, 3, 10**6)
#: n0: ≥ 2 samples, ≥ d + 1 = 3 to decorrelate, bounded data size
N0 = S.count(2).plus(2, *S.HUGE_COUNT.catalogue)
#: d: ≥ 2 inputs (one relevant, one irrelevant); 10**12 is refused by the size guards
D = S.count(2).plus(*S.HUGE_COUNT.catalogue)
WIDTH = S.count(1).plus(*S.HUGE_COUNT.catalogue)


def _data_params(width: bool = False, extra_width: tuple = ()) -> dict:
    out = {
        "n0": p(N0, names=("n0", "d")),
        "eps": p(S.NONNEG),
        "d": p(D, names=("d", "n0", "width")),
        "seed": p(S.SEED),
        "decorrelate": p(S.FLAG),
        "relevant": p(RELEVANT),
        "input_scale": p(S.POSITIVE),
    }
    if width:
        out["width"] = p(WIDTH.plus(*extra_width), names=("width", "d"))
        out["weight_decay"] = p(S.NONNEG)
    return out


DATA_VALID = {
    "n0": 10,
    "eps": 0.2,
    "d": 2,
    "seed": 0,
    "decorrelate": True,
    "relevant": 1,
    "input_scale": 1.0,
}


def targets() -> list[Target]:
    th6 = S.theta(6, model=True)
    model_valid = {**DATA_VALID, "width": 2, "weight_decay": 0.0}
    return [
        _fam(
            MOD,
            "support_data",
            lambda: (_fn(MOD, "support_data"), dict(DATA_VALID)),
            _data_params(),
        ),
        _fam(
            MOD,
            "support_model",
            lambda: (_fn(MOD, "support_model"), dict(model_valid)),
            # width 17 at d = 2: 51 > SYMPY_MAX_PARAMS = 48 parameters
            _data_params(width=True, extra_width=(17,)),
        ),
        _fam(
            MOD,
            "support_model_numpy",
            lambda: (_fn(MOD, "support_model_numpy"), dict(model_valid)),
            # width 683 at d = 2: 2049 > NUMPY_MAX_PARAMS = 2048 parameters
            _data_params(width=True, extra_width=(683,)),
        ),
        _fam(
            MOD,
            "param_names",
            lambda: (_fn(MOD, "param_names"), {"d": 2, "width": 2}),
            {"d": p(D, names=("d", "width")), "width": p(WIDTH, names=("width", "d"))},
        ),
        _fam(
            MOD,
            "split_params",
            lambda: (_fn(MOD, "split_params"), {"theta": THETA6, "d": 2, "width": 2}),
            {
                "theta": p(th6),
                "d": p(D, [3], names=("d", "width", "theta")),
                "width": p(WIDTH, [3], names=("width", "d", "theta")),
            },
        ),
        _fam(
            MOD,
            "support_init",
            lambda: (_fn(MOD, "support_init"), {"d": 2, "width": 2, "seed": 0, "scale": 1.0}),
            {
                "d": p(D, names=("d", "width")),
                "width": p(WIDTH, names=("width", "d")),
                "seed": p(S.SEED),
                "scale": p(S.POSITIVE),
            },
        ),
        _fam(
            MOD,
            "flat_part",
            lambda: (
                _fn(MOD, "flat_part"),
                {"theta": THETA6, "d": 2, "width": 2, "column": 1, "relevant": 1},
            ),
            {
                "theta": p(th6),
                "d": p(D, [3], names=("d", "width", "theta", "column")),
                "width": p(WIDTH, [3], names=("width", "d", "theta")),
                "column": p(COLUMN),
                "relevant": p(RELEVANT),
            },
        ),
        _fam(
            MOD,
            "second_moment",
            lambda: (_fn(MOD, "second_moment"), {"X": [[1.0, 2.0], [0.5, 0.1]]}),
            {"X": p(S.ARRAY, [np.ones(3), np.zeros((0, 2)), np.zeros((2, 0)), 1.0])},
        ),
        _fam(
            MOD,
            "effective_batch_size",
            lambda: (
                _fn(MOD, "effective_batch_size"),
                {"batch_size": 5, "n_samples": 100, "sampling": RR},
            ),
            {
                # b > n with distinct-sample schemes
                "batch_size": p(S.COUNT, [101], names=("batch_size", "n_samples")),
                "n_samples": p(S.count(2), [3], names=("n_samples", "batch_size")),
                "sampling": p(
                    S.option(RR, "with_replacement", "independent_subsets"), ["fixed_order"]
                ),
            },
        ),
        _fam(
            MOD,
            "predicted_rate",
            lambda: (
                _fn(MOD, "predicted_rate"),
                {
                    "eta": 0.1,
                    "eps": 0.2,
                    "c22": 1.0,
                    "batch_size": 5,
                    "n_samples": 100,
                    "sampling": RR,
                    "weight_decay": 0.0,
                },
            ),
            {
                "eta": p(S.STEP),
                "eps": p(S.NONNEG),
                "c22": p(S.NONNEG),
                "batch_size": p(S.COUNT, [101], names=("batch_size", "n_samples")),
                "n_samples": p(S.count(2), [3], names=("n_samples", "batch_size")),
                "sampling": p(
                    S.option(RR, "with_replacement", "independent_subsets"), ["fixed_order"]
                ),
                "weight_decay": p(S.NONNEG),
            },
        ),
        _fam(
            MOD,
            "fit_rate",
            lambda: (
                _fn(MOD, "fit_rate"),
                {"flat": [1.0, 0.9, 0.8], "steps": [0, 1, 2], "t0": 0},
            ),
            {
                "flat": p(
                    S.ARRAY,
                    [[1.0, 0.5], [1.0, -0.9, 0.8], [1.0, 0.0, 0.8], 1.0, np.ones((2, 2))],
                    names=("flat", "steps"),
                ),
                "steps": p(
                    S.ARRAY,
                    [[2, 1, 0], [0, 0, 1], [[0, 1, 2]], [0, 1], 3.0],
                    names=("steps", "flat"),
                ),
                # t0 beyond the last step: fewer than 2 points to fit
                "t0": p(S.REAL, [2, 3, 1e9]),
            },
        ),
    ]
