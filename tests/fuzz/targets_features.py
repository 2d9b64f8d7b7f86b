"""Fuzz targets for ``toymodels.models.single_index`` (Damian, Lee, Soltanolkotabi: one large
gradient step on a single-index target) and ``toymodels.models.homogeneous_net`` (the Taylor
harness ``directional_taylor`` and the homogeneous deep linear net of the Terjék brief): every
public callable with a small valid call and bad values per parameter.

``link_expr`` and the net's ``sympy_expr`` / ``model`` / ``sympy_model`` take no parameters
(nothing to fuzz; the coverage test lists parameterless callables as covered).
``FeatureResult`` is a result record (its constructor is not a user entry point).

Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from hypothesis import strategies as st

from . import strategies as S
from .strategies import OPAQUE
from .targets import FX, FX_MAP_PLACEHOLDER, NOT_A_MODEL, Target, _fam, _fn, p

SI = "single_index"
HN = "homogeneous_net"

#: the small net of the method targets: widths 3 → 2 → 1, n = 4 (p = 8)
NET_WIDTHS = (3, 2, 1)
P_NET = 8


@functools.cache
def _net() -> Any:
    return _fn(HN, "HomogeneousLinearNet")(NET_WIDTHS, n=4, seed=0)


@functools.cache
def _theta_net() -> np.ndarray:
    return _net().init(0)


@functools.cache
def _si_data() -> dict[str, np.ndarray]:
    mod = FX.mod(SI)
    W0, a0 = mod.symmetric_init(3, 4, seed=0)
    X, y = mod.sample(6, 3, seed=1)
    return {"W0": W0, "a0": a0, "X": X, "y": y, "u": np.eye(3)[0], "b": np.zeros(4)}


def _d(key: str) -> np.ndarray:
    return _si_data()[key]


#: a (m, d) = (4, 3) matrix: wrong shapes besides the array junk
W_BAD = S.ARRAY.plus(np.zeros(3), np.zeros((0, 3)), np.zeros((4, 3, 1)), 1.0)
#: a vector of length m = 4
A_BAD = S.ARRAY.plus(np.zeros(3), np.zeros((4, 1)), 1.0, np.zeros(0))
#: X of shape (n, 3)
X_BAD = S.ARRAY.plus(np.zeros((6, 2)), np.zeros(3), np.zeros((0, 3)), 1.0)
#: y of shape (6,)
Y_BAD = S.ARRAY.plus(np.zeros(5), np.zeros((6, 1)), 1.0)
#: a unit vector of shape (3,)
U_BAD = S.ARRAY.plus(np.zeros(3), [1.0, 1.0, 0.0], [1.0, 0.0], np.eye(3), 1.0)
NONE_DEFAULT = S.Lenient(
    lambda v: v is None,
    "None is the documented default of u (the first basis vector e₁)",
    "None (the default)",
)
U_OPT = p(U_BAD, lenient=(NONE_DEFAULT,))
#: an even width >= 2
M_BAD = S.COUNT.plus(3, 1, 5)
SIZE = S.count(1).plus(10**12, 10**18)


def _pipeline(name: str) -> Target:
    return _fam(
        SI,
        name,
        lambda: (_fn(SI, name), {"d": 3, "m": 4, "n": 10, "seed": 0, "n_test": 5}),
        {
            "d": p(S.COUNT, S.HUGE_COUNT),
            "m": p(M_BAD, S.HUGE_COUNT),
            "n": p(SIZE),
            "seed": p(S.SEED),
            "u": U_OPT,
            "ridge": p(S.POSITIVE),
            "n_test": p(SIZE),
        },
    )


def _single_index_targets() -> list[Target]:
    out = [
        _fam(
            SI,
            "link",
            lambda: (_fn(SI, "link"), {"z": [0.5, 1.0]}),
            {"z": p(S.evaluation(S.ARRAY))},
        ),
        _fam(
            SI,
            "sample",
            lambda: (_fn(SI, "sample"), {"n": 5, "d": 3, "seed": 0}),
            {
                "n": p(SIZE, names=("n",)),
                "d": p(S.COUNT, S.HUGE_COUNT),
                "seed": p(S.SEED),
                "u": U_OPT,
            },
        ),
        _fam(
            SI,
            "symmetric_init",
            lambda: (_fn(SI, "symmetric_init"), {"d": 3, "m": 4, "seed": 0}),
            {"d": p(S.COUNT, S.HUGE_COUNT), "m": p(M_BAD, S.HUGE_COUNT), "seed": p(S.SEED)},
        ),
        _fam(
            SI,
            "first_layer_gradient",
            lambda: (
                _fn(SI, "first_layer_gradient"),
                {"W": _d("W0"), "a": _d("a0"), "X": _d("X"), "y": _d("y")},
            ),
            {
                "W": p(W_BAD, names=("W", "a", "X")),
                "a": p(A_BAD),
                "X": p(X_BAD, names=("X", "y")),
                "y": p(Y_BAD),
            },
        ),
        _fam(
            SI,
            "first_step",
            lambda: (
                _fn(SI, "first_step"),
                {"W0": _d("W0"), "a0": _d("a0"), "X": _d("X"), "y": _d("y"), "eta1": 1.0},
            ),
            {
                "W0": p(W_BAD, names=("W", "a", "X")),
                "a0": p(A_BAD, names=("a",)),
                "X": p(X_BAD, names=("X", "y")),
                "y": p(Y_BAD),
                "eta1": p(S.POSITIVE),
            },
        ),
    ]
    # a defines m (here m = 2, d = 2, n = 3); m·d > 16 weights or n > 16 samples are refused
    a_bad = S.ARRAY.plus(np.ones(9), np.zeros(0), np.ones((2, 1)), 1.0)
    x_bad = X_BAD.plus(np.ones((20, 2)), np.ones((3, 9)))
    y_bad = Y_BAD.plus(np.zeros(4))
    for name, extra_a, extra_x in (
        ("first_layer_loss_expr", [], []),
        # every weight must enter the model's loss: no zero a_j, no zero column of X
        ("first_layer_model", [np.zeros(2), [0.5, 0.0]], [np.zeros((3, 2)), [[1.0, 0.0]] * 3]),
    ):
        out.append(
            _fam(
                SI,
                name,
                lambda name=name: (
                    _fn(SI, name),
                    {"a": [0.5, -0.5], "X": _d("X")[:3, :2], "y": _d("y")[:3]},
                ),
                {
                    "a": p(a_bad, *([extra_a] if extra_a else []), names=("a", "X")),
                    "X": p(x_bad, *([extra_x] if extra_x else []), names=("X", "y", "a")),
                    "y": p(y_bad),
                },
            )
        )
    out += [
        _fam(
            SI,
            "alignment",
            lambda: (_fn(SI, "alignment"), {"W": _d("W0"), "u": [1.0, 2.0, 2.0]}),
            {"W": p(W_BAD, names=("W", "u")), "u": p(S.ARRAY.plus(np.zeros(3), [1.0, 2.0]))},
        ),
        _fam(
            SI,
            "relu_features",
            lambda: (_fn(SI, "relu_features"), {"W": _d("W0"), "b": _d("b"), "X": _d("X")}),
            {
                "W": p(W_BAD, names=("W", "b", "X")),
                "b": p(A_BAD),
                "X": p(X_BAD, lenient=(S.EMPTY_BATCH,)),
            },
        ),
        _fam(
            SI,
            "ridge_fit",
            lambda: (_fn(SI, "ridge_fit"), {"Phi": np.ones((6, 2)), "y": _d("y"), "lam": 0.1}),
            {
                "Phi": p(
                    S.ARRAY.plus(np.ones(6), np.ones((0, 2)), np.ones((6, 0))), names=("Phi", "y")
                ),
                "y": p(Y_BAD),
                "lam": p(S.POSITIVE),
            },
        ),
        _fam(
            SI,
            "population_error",
            lambda: (
                _fn(SI, "population_error"),
                {"W": _d("W0"), "b": _d("b"), "a": _d("a0"), "u": _d("u"), "n_perp": 10},
            ),
            {
                "W": p(W_BAD, names=("W", "b", "a", "u")),
                "b": p(A_BAD),
                "a": p(A_BAD),
                "u": U_OPT,
                "n_perp": p(SIZE),
                "seed": p(S.SEED),
            },
        ),
        _fam(
            SI,
            "one_step_weights",
            lambda: (_fn(SI, "one_step_weights"), {"d": 3, "m": 4, "n": 10, "seed": 0}),
            {
                "d": p(S.COUNT, S.HUGE_COUNT),
                "m": p(M_BAD, S.HUGE_COUNT),
                "n": p(SIZE),
                "seed": p(S.SEED),
                "u": U_OPT,
            },
        ),
        _pipeline("one_step_features"),
        _pipeline("random_features"),
    ]
    return out


NOT_A_SEQ = S.kind(
    "widths",
    (
        None,
        3,
        "3,4,1",
        OPAQUE,
        (3,),
        (),
        (3, 4, 2),  # must end with 1
        (3, 0, 1),
        (3, -1, 1),
        (3, 2.5, 1),
        (3, None, 1),
        (3, True, 1),
        (10**6, 10**6, 1),  # 10¹² parameters
        (3, 10**18, 1),
    ),
    st.integers(),
    S.texts,
)
THETA_NET = S.theta(P_NET, model=True)
U_NET = S.theta(P_NET)


def _net_targets() -> list[Target]:
    c = "toymodels.models.homogeneous_net.HomogeneousLinearNet"
    out = [
        _fam(
            HN,
            "directional_taylor",
            lambda: (
                _fn(HN, "directional_taylor"),
                {"model": FX.m2, "theta": [0.3, 0.7], "u": [1.0, -0.5], "order": 3},
            ),
            {
                "model": p(NOT_A_MODEL, [FX_MAP_PLACEHOLDER], names=("model",)),
                "theta": p(S.state(2).plus(np.full((2, 2), 0.1))),
                "u": p(S.state(2).plus(np.full((2, 2), 0.1))),
                "order": p(S.COUNT0, [33, 10**6]),
                "method": p(S.option("auto", "exact", "numeric")),
            },
        ),
        _fam(
            HN,
            "HomogeneousLinearNet",
            lambda: (_fn(HN, "HomogeneousLinearNet"), {"widths": NET_WIDTHS, "n": 4, "seed": 0}),
            {
                "widths": p(NOT_A_SEQ, names=("widths", "widths[0]", "widths[1]", "widths[2]")),
                "n": p(SIZE),
                "seed": p(S.SEED),
            },
            covers=c,
        ),
        _fam(
            HN,
            "HomogeneousLinearNet.init",
            lambda: (_net().init, {"seed": 0, "scale": 1.0}),
            {"seed": p(S.SEED), "scale": p(S.POSITIVE)},
            covers=f"{c}.init",
        ),
    ]
    for meth in ("output", "output_grad", "loss", "grad", "hessian"):
        out.append(
            _fam(
                HN,
                f"HomogeneousLinearNet.{meth}",
                lambda meth=meth: (getattr(_net(), meth), {"theta": _theta_net()}),
                {"theta": p(THETA_NET)},
                covers=f"{c}.{meth}",
            )
        )
    out.append(
        _fam(
            HN,
            "HomogeneousLinearNet.depthwise_direction",
            lambda: (_net().depthwise_direction, {"theta": _theta_net()}),
            {"theta": p(U_NET, lenient=(S.EMPTY_BATCH,))},
            covers=f"{c}.depthwise_direction",
        )
    )
    for meth in ("third", "line_coefficients"):
        out.append(
            _fam(
                HN,
                f"HomogeneousLinearNet.{meth}",
                lambda meth=meth: (
                    getattr(_net(), meth),
                    {"theta": _theta_net(), "u": np.ones(P_NET)},
                ),
                {
                    "theta": p(THETA_NET, names=("theta", "u")),
                    "u": p(U_NET, lenient=(S.EMPTY_BATCH,)),
                },
                covers=f"{c}.{meth}",
            )
        )
    return out


def targets() -> list[Target]:
    return [*_single_index_targets(), *_net_targets()]
