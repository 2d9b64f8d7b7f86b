"""Fuzz targets for the Edge-of-Stochastic-Stability estimators (``toymodels.batch_sharpness``) and
the tiny tanh MLP (``toymodels.models.tanh_mlp``): every public callable with a small valid call
and bad values per parameter.

Valid calls use a 6-sample tanh MLP of width 2 on 2 inputs (p = 6) and batch size 2 (15 batches,
enumerated exactly), so every bad case is cheap. Picked up by
:data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator

import numpy as np
from hypothesis import strategies as st

import toymodels as tm

from . import strategies as S
from .strategies import NAN, OPAQUE, BadFn
from .targets import NOT_A_MODEL, Target, _Deferred, _fam, _fn, p

SRC = "toymodels/batch_sharpness.py"
C = "toymodels."
MOD = "tanh_mlp"
N = 6
P = 6


@functools.lru_cache(maxsize=1)
def _data() -> tuple[np.ndarray, np.ndarray]:
    from toymodels.models.tanh_mlp import mlp_data

    return mlp_data(N, 2, seed=1)


@functools.lru_cache(maxsize=1)
def _dm() -> tm.DataModel:
    from toymodels.models.tanh_mlp import tanh_mlp_on

    return tanh_mlp_on(*_data(), 2)


def _bs(name: str):
    # the module by its import path (``tm.batch_sharpness`` may be the function of that name)
    return getattr(importlib.import_module("toymodels.batch_sharpness"), name)


THETA = [0.3, -0.2, 0.5, 0.1, 0.7, -0.4]

#: a Model without data, built on use
PLAIN_MODEL = _Deferred("m2", "a Model without data ((xy − 1)²/2 + x²/10)")
MODEL_P = p(NOT_A_MODEL, [PLAIN_MODEL], names=("model",))
#: batch sizes: counts, more than n (distinct samples), absurd
BATCH = S.COUNT.plus(N + 1, 10**12, label="batch_size")
SAMPLING = S.option("independent_subsets", "with_replacement").plus(
    "without_replacement", "fixed_order", label="sampling"
)
METHOD = S.option("auto", "exact", "monte_carlo")
DRAWS = S.count(2).plus(*S.HUGE_COUNT.catalogue, label="draws")
MAX_EXACT = S.COUNT.plus(10**9, *S.HUGE_COUNT.catalogue, label="max_exact")
LOSS = S.option("batch", "full")
#: sample indices of the 6-sample model (one state)
IDX = S.kind(
    "idx",
    (
        [N],
        [-1],
        [],
        [0.5],
        "0",
        3,
        [True],
        None,
        OPAQUE,
        [[0, 1], [2, 3], [4, 5]],  # rows for 3 states, theta is one state
        np.array([1 + 0j]),
        [NAN],
        [10**30],
        [[]],
    ),
    st.lists(st.integers(max_value=-1), min_size=1, max_size=3),
    st.lists(st.integers(min_value=N, max_value=10**6), min_size=1, max_size=3),
)
NOT_MEASURES = S.kind(
    "not BatchSharpnessMeasures",
    (None, 3, "m", OPAQUE, np.ones(2), BadFn(lambda: None, "a function")),
    st.integers(),
    S.texts,
)
#: X of the MLP: an (n, d) finite array
X_BAD = S.ARRAY.plus(np.ones(3), np.zeros((0, 2)), np.zeros((3, 0)), np.ones((2, 2, 2)), label="X")
#: Y: one finite label per row of X
Y_BAD = S.ARRAY.plus(np.ones(N + 1), np.ones((N, 1)), [1.0] * (N - 1), label="Y")


def _common(extra: dict | None = None) -> dict:
    out = {
        "model": MODEL_P,
        "theta": p(S.theta(P, model=True)),
        "batch_size": p(BATCH, names=("batch_size",)),
        "sampling": p(SAMPLING),
        "method": p(METHOD),
        "draws": p(DRAWS),
        "seed": p(S.SEED),
        "max_exact": p(MAX_EXACT, names=("max_exact",)),
    }
    out.update(extra or {})
    return out


def targets() -> Iterator[Target]:
    valid = {"theta": THETA, "batch_size": 2}
    for name in (
        "batch_sharpness",
        "batch_sharpness_inside",
        "gradient_noise_interaction",
        "mini_batch_sharpness",
    ):
        yield Target(
            f"tm.{name}",
            SRC,
            C + name,
            lambda name=name: (_bs(name), {"model": _dm(), **valid}),
            _common(),
        )
    yield Target(
        "tm.batch_sharpness_measures",
        SRC,
        C + "batch_sharpness_measures",
        lambda: (_bs("batch_sharpness_measures"), {"model": _dm(), **valid, "mini": True}),
        _common({"mini": p(S.FLAG)}),
    )
    yield Target(
        "tm.batch_sharpness[monte carlo]",
        SRC,
        C + "batch_sharpness",
        lambda: (
            _bs("batch_sharpness"),
            {"model": _dm(), **valid, "method": "monte_carlo", "draws": 20},
        ),
        {"draws": p(DRAWS), "seed": p(S.SEED), "batch_size": p(BATCH)},
    )
    yield Target(
        "tm.expected_loss_change",
        SRC,
        C + "expected_loss_change",
        lambda: (_bs("expected_loss_change"), {"model": _dm(), **valid, "eta": 0.5}),
        _common({"eta": p(S.POSITIVE), "loss": p(LOSS)}),
    )
    yield Target(
        "tm.step_sharpness",
        SRC,
        C + "step_sharpness",
        lambda: (_bs("step_sharpness"), {"model": _dm(), "theta": THETA, "idx": [0, 3]}),
        {"model": MODEL_P, "theta": p(S.theta(P, model=True)), "idx": p(IDX)},
    )
    yield Target(
        "tm.second_moment_contraction",
        SRC,
        C + "second_moment_contraction",
        lambda: (
            _bs("second_moment_contraction"),
            {"model": _dm(), "theta": THETA, "batch_size": 2, "eta": 0.5},
        ),
        {
            "model": MODEL_P,
            "theta": p(S.theta(P, model=True)),
            "batch_size": p(BATCH, names=("batch_size",)),
            "eta": p(S.POSITIVE),
            "sampling": p(SAMPLING),
        },
    )

    def _measures():
        return _bs("batch_sharpness_measures")(_dm(), THETA, 2)

    yield Target(
        "tm.predicted_loss_change",
        SRC,
        C + "predicted_loss_change",
        lambda: (_bs("predicted_loss_change"), {"measures": _measures(), "eta": 0.5}),
        {"measures": p(NOT_MEASURES), "eta": p(S.POSITIVE), "loss": p(LOSS)},
    )

    # ------------------------------------------------------------------ the tanh MLP family
    CNT, SEED = S.COUNT, S.SEED
    yield _fam(
        MOD,
        "mlp_data",
        lambda: (_fn(MOD, "mlp_data"), {"n": 5, "d": 2, "seed": 0}),
        {"n": p(CNT, S.HUGE_COUNT), "d": p(CNT, S.HUGE_COUNT), "seed": p(SEED)},
    )
    yield _fam(
        MOD,
        "tanh_mlp",
        lambda: (_fn(MOD, "tanh_mlp"), {"width": 2, "d": 2, "n": 5, "seed": 0}),
        {
            "width": p(CNT, S.HUGE_COUNT, [10**4]),
            "d": p(CNT, S.HUGE_COUNT, names=("d", "width")),
            "n": p(CNT, S.HUGE_COUNT),
            "seed": p(SEED),
        },
    )
    yield _fam(
        MOD,
        "tanh_mlp_init",
        lambda: (_fn(MOD, "tanh_mlp_init"), {"width": 3, "d": 2, "scale": 0.5, "seed": 0}),
        {
            "width": p(CNT, S.HUGE_COUNT),
            "d": p(CNT, S.HUGE_COUNT, names=("d", "width")),
            "scale": p(S.POSITIVE),
            "seed": p(SEED),
        },
    )
    for name, width in (("tanh_mlp_on", 2), ("tanh_mlp_sympy", 1)):
        yield _fam(
            MOD,
            name,
            lambda name=name, width=width: (
                _fn(MOD, name),
                {"X": _data()[0], "Y": _data()[1], "width": width},
            ),
            {
                "X": p(X_BAD, names=("X", "Y")),
                "Y": p(Y_BAD, names=("Y",)),
                "width": p(CNT, S.HUGE_COUNT, [10**4]),
            },
        )
