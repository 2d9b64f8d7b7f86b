"""Fuzz targets for the data-carrying models and the sampling schemes of :func:`toymodels.sgd`
(issue 12): ``Model.from_sympy(..., data=...)``, the ``DataModel`` methods and constructor, and
``tm.sgd`` on a data model.

Valid calls use a 7-sample least-squares model with two parameters, so every bad case is cheap.
Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES`.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st

import toymodels as tm

from . import strategies as S
from .strategies import NAN, OPAQUE, BadFn
from .targets import CALLBACK, NOT_A_MODEL, OPTIONAL_LABEL, Target, p

C = "toymodels."
SRC_DM = "toymodels/data_model.py"
SRC_DYN = "toymodels/dynamics.py"
X = np.linspace(-1.0, 1.0, 7)
Y = np.cos(3 * X)


@functools.lru_cache(maxsize=1)
def _dm() -> tm.DataModel:
    return tm.Model.from_sympy("(a*x + b - y)**2/2", ("a", "b"), data={"x": X, "y": Y})


def _sl(th: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return (th[:, 0, None] * X[idx] + th[:, 1, None] - Y[idx]) ** 2 / 2


def _sg(th: np.ndarray, idx: np.ndarray) -> np.ndarray:
    r = th[:, 0, None] * X[idx] + th[:, 1, None] - Y[idx]
    return np.stack([r * X[idx], r], axis=-1)


def _sh(th: np.ndarray, idx: np.ndarray) -> np.ndarray:
    x = np.broadcast_to(X[idx], (th.shape[0], idx.shape[-1]))
    return np.stack([np.stack([x * x, x], -1), np.stack([x, np.ones_like(x)], -1)], -2)


def _from_numpy_and_use(**kw):
    m = tm.DataModel.from_numpy(**kw)
    th = np.full((2, 2), 0.4)  # a batch with M == p: a broadcast result would go unnoticed
    m.loss(th)
    m.grad(th)
    m.hessian(th)
    m.batch_grad(th, [0, 1])
    return m


ALL_SAMPLES = S.Lenient(
    lambda v: v is None, "None is the documented default of sample_*: every sample", "None"
)
#: sample indices of the 7-sample model
IDX = S.kind(
    "idx",
    (
        [7],
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
        S.IntAsFloat(),
    ),
    st.lists(st.integers(max_value=-1), min_size=1, max_size=3),
    st.lists(st.integers(min_value=7, max_value=10**6), min_size=1, max_size=3),
    lenient=(S.INT_FLOAT,),
)
DATA = S.kind(
    "data",
    (
        {"x": X, "y": Y[:3]},
        {"x": X, "y": Y, "z": Y},
        {"x": X, "y": np.r_[Y[:-1], NAN]},
        {"x": X, "y": np.zeros((7, 1, 1))},
        {"x": X[:0], "y": Y[:0]},
        {"x": X, "a": Y},
        {},
        {"x": X},
        [1, 2],
        {"x": "abc", "y": Y},
        {"x": X, "y": None},
        {"x": X, "y": Y + 1j},
        {"x": X, "y": [True] * 7},
        {"x y": X, "y": Y},
        {"x": np.ones((7, 2)), "y": Y},  # columns x0, x1 do not occur
        3,
        None if False else OPAQUE,
    ),
    st.dictionaries(st.text(max_size=3), st.floats(), max_size=2),
)


def _sample_fns(label_prefix: str) -> S.Kind:
    return S.bad_fns(
        ("returns shape (M,) instead of (M, m[, p...])", lambda th, idx: np.sum(th, axis=-1)),
        ("returns a scalar", lambda th, idx: 0.5),
        ("returns None", lambda th, idx: None),
        ("returns strings", lambda th, idx: np.full((th.shape[0], idx.shape[-1]), "a")),
        ("raises", lambda th, idx: 1 / 0),
    )


def targets() -> list[Target]:
    th2 = S.theta(2, model=True)
    out = [
        Target(
            "tm.Model.from_sympy[data]",
            "toymodels/model.py",
            C + "Model.from_sympy",
            lambda: (
                tm.Model.from_sympy,
                {"expr": "(a*x + b - y)**2/2", "params": ("a", "b"), "data": {"x": X, "y": Y}},
            ),
            {"data": p(DATA, names=("data", "constants"))},
        ),
        Target(
            "tm.DataModel.from_numpy",
            SRC_DM,
            C + "DataModel.from_numpy",
            lambda: (
                _from_numpy_and_use,
                {
                    "params": ("a", "b"),
                    "n_samples": 7,
                    "sample_loss": _sl,
                    "sample_grad": _sg,
                    "sample_hessian": _sh,
                },
            ),
            {
                "params": p(
                    S.kind(
                        "names", ((), ("a", "a"), None, 3, [None, "b"], ["", "b"]), st.integers()
                    )
                ),
                "n_samples": p(S.COUNT),
                "sample_loss": p(_sample_fns("sample_loss")),
                "sample_grad": p(_sample_fns("sample_grad")),
                "sample_hessian": p(_sample_fns("sample_hessian")),
                "sample_third": p([3, "f", OPAQUE, BadFn(lambda th, u, idx: None, "returns None")]),
                "name": p(OPTIONAL_LABEL),
                "citation": p(S.LABEL, [None]),
            },
        ),
    ]
    for meth in ("batch_loss", "batch_grad", "batch_hessian"):
        out.append(
            Target(
                f"tm.DataModel.{meth}",
                SRC_DM,
                C + f"DataModel.{meth}",
                lambda meth=meth: (getattr(_dm(), meth), {"theta": [0.5, 0.5], "idx": [0, 3]}),
                {"theta": p(th2), "idx": p(IDX)},
            )
        )
    for meth in ("sample_loss", "sample_grad", "sample_hessian"):
        out.append(
            Target(
                f"tm.DataModel.{meth}",
                SRC_DM,
                C + f"DataModel.{meth}",
                lambda meth=meth: (getattr(_dm(), meth), {"theta": [0.5, 0.5], "idx": [0, 3]}),
                {"theta": p(th2), "idx": p(IDX, lenient=(ALL_SAMPLES,))},
            )
        )
    out.append(
        Target(
            "tm.DataModel.subset",
            SRC_DM,
            C + "DataModel.subset",
            lambda: (_dm().subset, {"idx": [0, 3, 3]}),
            {"idx": p(IDX), "name": p(OPTIONAL_LABEL)},
        )
    )
    base = {"theta0": [0.5, 0.5], "eta": [0.1, 0.2], "steps": 3, "batch_size": 2}
    out.append(
        Target(
            "tm.sgd[data model]",
            SRC_DYN,
            C + "sgd",
            lambda: (tm.sgd, {**base, "model": _dm(), "sampling": "without_replacement"}),
            {
                "model": p(NOT_A_MODEL, names=("model",)),
                "theta0": p(S.with_huge(S.theta(2))),
                "eta": p(S.STEP),
                "steps": p(S.COUNT0, S.HUGE_COUNT, names=("steps", "record_every")),
                "batch_size": p(S.COUNT, [8, 100], names=("batch_size",)),
                "sampling": p(S.option(*tm.dynamics.SAMPLINGS)),
                "seed": p(S.SGD_SEED),
                "record_every": p(S.COUNT0),
                "paired": p(S.FLAG),
                "bound": p(S.POSITIVE),
                "check_every": p(S.COUNT),
                "callback": p(CALLBACK),
                "n_samples": p([7, 3, 0, "a"], names=("n_samples",)),
                "replace": p([True, False, None, "no"], names=("replace",)),
            },
        )
    )
    return out
