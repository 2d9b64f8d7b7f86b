"""Fuzz targets for ``toymodels.stochastic`` (exact averages over sample orders, the reshuffling
drift, the noise trace, noise-injected GD) and ``toymodels.models.sgd_quadratics`` (the
per-sample quadratic toys): every public callable with a small valid call and bad values per
parameter.

``saddle_toy_data`` takes no parameters (nothing to fuzz). Valid calls use the §4.3 toy's numpy
twin (n = 4 samples, d = 3): an exact average is 24 sequences. Picked up by
:data:`tests.fuzz.targets.EXTRA_TARGET_MODULES`.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st

import toymodels as tm
from toymodels import stochastic as stoch
from toymodels.models import sgd_quadratics as q

from . import strategies as S
from .strategies import NAN, OPAQUE
from .targets import CALLBACK, FX, NOT_A_MODEL, OPTIONAL_LABEL, Target, _fam, _fn, p

SRC = "toymodels/stochastic.py"
MOD = "sgd_quadratics"
TH0 = list(q.RESHUFFLING_THETA0)


def _cover(name: str) -> str:
    """The public name: ``toymodels.<name>`` once re-exported, else the module path."""
    return (
        f"toymodels.{name}"
        if name in getattr(tm, "__all__", ())
        else f"toymodels.stochastic.{name}"
    )


@functools.lru_cache(maxsize=1)
def _toy() -> tm.DataModel:
    return q.reshuffling_toy(numpy=True)


NONE_DEFAULT = S.Lenient(lambda v: v is None, "None is the documented default", "None (default)")
#: a DataModel is required: plain models (no data) and non-models are refused naming model
MODEL_P = p(NOT_A_MODEL, [FX.m2], names=("model",))
#: batches: a (K, b) integer array of sample indices of the 4-sample toy
BATCHES = S.kind(
    "batches",
    (
        [[0, 4]],
        [[-1, 0]],
        [0, 1],
        [[0.5, 1.0]],
        [[True, False]],
        "ab",
        3,
        OPAQUE,
        [[]],
        [[0, 1], [2]],
        np.array([[1 + 0j, 0]]),
        [[NAN, 0.0]],
        np.zeros((2, 2, 2), dtype=int),
    ),
    st.lists(
        st.lists(st.integers(min_value=4, max_value=10**6), min_size=1, max_size=2),
        min_size=1,
        max_size=2,
    ),
)
#: batch_size with batches given (the valid call of the batches targets): only 1 is accepted
ETA_DRIFT = S.STEP
THETA3 = S.theta(3, model=True)
RUN_THETA3 = S.with_huge(S.theta(3))
HUGE_LENIENT = S.Lenient(
    lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 10**6,
    "a huge max_sequences is valid: the enumeration is bounded by the data, not by the cap",
    "huge cap",
)
#: H (n, d, d) symmetric, b (n, d)
H_BAD = S.ARRAY.plus(
    np.ones((2, 2)),
    np.ones((2, 2, 3)),
    np.zeros((0, 2, 2)),
    np.array([[[1.0, 2.0], [0.0, 1.0]]]),  # not symmetric
    np.ones((1, 60, 60)),  # d over the limit
    label="H",
)
B_BAD = S.ARRAY.plus(np.ones(2), np.ones((1, 3)), np.ones((2, 2)), np.ones((1, 2, 1)), label="b")


def targets() -> list[Target]:
    NN, CNT, CNT0 = S.NONNEG, S.COUNT, S.COUNT0
    toy = _toy
    out = [
        Target(
            "stochastic.sequence_count",
            SRC,
            _cover("sequence_count"),
            lambda: (stoch.sequence_count, {"n_samples": 4, "steps": 8}),
            {
                "n_samples": p(CNT, names=("n_samples",)),
                "steps": p(CNT0, S.HUGE_COUNT, names=("steps",)),
                "batch_size": p(CNT, [5, 100], names=("batch_size",)),
                "sampling": p(S.option(*tm.dynamics.SAMPLINGS)),
            },
        ),
        Target(
            "stochastic.epoch_average",
            SRC,
            _cover("epoch_average"),
            lambda: (stoch.epoch_average, {"model": toy(), "theta0": TH0, "eta": [0.1, 0.2]}),
            {
                "model": MODEL_P,
                "theta0": p(RUN_THETA3),
                "eta": p(S.STEP),
                "epochs": p(CNT, S.HUGE_COUNT, [8], names=("epochs",), lenient=(NONE_DEFAULT,)),
                "steps": p(CNT, S.HUGE_COUNT, [30], names=("steps",), lenient=(NONE_DEFAULT,)),
                "batch_size": p(CNT, [5, 100], names=("batch_size",)),
                "sampling": p(S.option(*tm.dynamics.SAMPLINGS)),
                "max_sequences": p(CNT, [1, 23], names=("max_sequences",), lenient=(HUGE_LENIENT,)),
            },
        ),
        Target(
            "stochastic.epoch_moments",
            SRC,
            _cover("epoch_moments"),
            lambda: (stoch.epoch_moments, {"model": toy(), "theta0": TH0, "eta": 0.1, "epochs": 3}),
            {
                "model": MODEL_P,
                "theta0": p(RUN_THETA3),
                "eta": p(S.STEP),
                "epochs": p(CNT0, S.HUGE_COUNT, names=("epochs",)),
                "batch_size": p(CNT, [5, 100], names=("batch_size",)),
                "sampling": p(S.option(*tm.dynamics.SAMPLINGS)),
                "max_sequences": p(CNT, [1, 23], names=("max_sequences",), lenient=(HUGE_LENIENT,)),
                "rtol": p(S.POSITIVE),
            },
        ),
    ]
    drift_params = {
        "model": MODEL_P,
        "theta": p(THETA3),
        "eta": p(ETA_DRIFT),
        "batch_size": p(CNT, [5, 100], names=("batch_size",)),
        "batches": p(BATCHES, names=("batches",), lenient=(NONE_DEFAULT,)),
    }
    out.append(
        Target(
            "stochastic.reshuffling_drift",
            SRC,
            _cover("reshuffling_drift"),
            lambda: (stoch.reshuffling_drift, {"model": toy(), "theta": TH0, "eta": [0.1, 0.2]}),
            drift_params,
        )
    )
    out.append(
        Target(
            "stochastic.reshuffling_drift[batches]",
            SRC,
            _cover("reshuffling_drift"),
            lambda: (
                stoch.reshuffling_drift,
                {"model": toy(), "theta": TH0, "eta": 0.1, "batches": [[0, 1], [2, 3]]},
            ),
            # with batches, batch_size must stay 1
            {"batch_size": p([2, 4, 1.5, "1", None], names=("batch_size", "batches"))},
        )
    )
    out.append(
        Target(
            "stochastic.resummed_drift",
            SRC,
            _cover("resummed_drift"),
            lambda: (stoch.resummed_drift, {"model": toy(), "theta": TH0, "eta": [0.1, 1.0]}),
            {**drift_params, "curvature_terms": p(S.FLAG)},
        )
    )
    for name in ("noise_trace", "noise_trace_gradient"):
        out.append(
            Target(
                f"stochastic.{name}",
                SRC,
                _cover(name),
                lambda name=name: (getattr(stoch, name), {"model": toy(), "theta": TH0}),
                {
                    "model": MODEL_P,
                    "theta": p(THETA3),
                    "batches": p(BATCHES, names=("batches",), lenient=(NONE_DEFAULT,)),
                },
            )
        )
    nigd_sampling = S.option("without_replacement", "with_replacement", "independent_subsets").plus(
        "fixed_order"
    )
    out.append(
        Target(
            "stochastic.noise_injected_gd",
            SRC,
            _cover("noise_injected_gd"),
            lambda: (
                stoch.noise_injected_gd,
                {"model": toy(), "theta0": TH0, "eta": [0.1, 0.2], "steps": 3, "batch_size": 2},
            ),
            {
                "model": MODEL_P,
                "theta0": p(RUN_THETA3),
                "eta": p(S.STEP),
                "steps": p(CNT0, S.HUGE_COUNT, names=("steps", "record_every")),
                "batch_size": p(CNT, [5, 100], names=("batch_size",)),
                "sampling": p(nigd_sampling),
                "seed": p(S.SGD_SEED),
                "record_every": p(CNT0),
                "paired": p(S.FLAG),
                "bound": p(S.POSITIVE),
                "check_every": p(CNT),
                "callback": p(CALLBACK),
            },
        )
    )
    # ------------------------------------------------------------------ the model module
    H3, b3 = q.reshuffling_toy_data()
    for name in ("per_sample_quadratic", "per_sample_quadratic_numpy"):
        out.append(
            _fam(
                MOD,
                name,
                lambda name=name: (_fn(MOD, name), {"H": H3, "b": b3}),
                {"H": p(H_BAD), "b": p(B_BAD), "name": p(OPTIONAL_LABEL)},
            )
        )
    out += [
        _fam(
            MOD,
            "random_quadratics",
            lambda: (_fn(MOD, "random_quadratics"), {"n": 4, "d": 3}),
            {
                "n": p(CNT, S.HUGE_COUNT),
                "d": p(CNT, [51, 10**6]),
                "hbar": p(S.ARRAY, [[1.0, 2.0], [[1.0, 2.0, 3.0]]], lenient=(NONE_DEFAULT,)),
                "noise": p(NN),
                "spd": p(S.FLAG),
                "seed": p(S.SEED),
            },
        ),
        _fam(
            MOD,
            "random_quadratics[spd]",
            lambda: (_fn(MOD, "random_quadratics"), {"n": 4, "d": 2, "spd": True}),
            {"hbar": p([[1.0, -1.0], [-0.5, 0.0]], names=("hbar",))},
            covers=f"toymodels.models.{MOD}.random_quadratics",
        ),
        _fam(
            MOD,
            "reshuffling_toy",
            lambda: (_fn(MOD, "reshuffling_toy"), {"s": 0.5}),
            {"s": p(NN), "numpy": p(S.FLAG)},
        ),
        _fam(
            MOD,
            "reshuffling_toy_data",
            lambda: (_fn(MOD, "reshuffling_toy_data"), {"s": 0.5}),
            {"s": p(NN)},
        ),
        _fam(
            MOD,
            "saddle_toy",
            lambda: (_fn(MOD, "saddle_toy"), {}),
            {"numpy": p(S.FLAG)},
        ),
    ]
    return out
