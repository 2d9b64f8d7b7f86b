"""Bad input to every public constructor, method and helper of the model families.

Issue 10 ("no silent wrong answers") for ``toymodels.models.*``: every argument of every public
callable gets at least one bad value (wrong type, bool, string, None, complex, NaN/inf, zero or
negative size, wrong shape or length, unknown option, bad seed) with every other argument valid,
and must raise a ValueError/TypeError whose message *starts with* the parameter's name (the
convention of ``toymodels._validate``), quickly (before any sympy build or GD run) and without
any warning. The table ``SPECS`` lists (callable, valid keyword arguments, {parameter: kind or
bad values}); ``test_base_call_is_valid`` checks that the valid arguments really are valid, so a
failure can only come from the one bad value. The hypothesis tests draw further bad numbers for
the numeric arguments of each kind.

Deliberately lenient (not tested as errors): integer-valued floats for counts (``depth=3.0``, as
``toymodels._validate.positive_int`` everywhere in the library), numpy booleans for flags, NaN
inside θ (NaN marks a diverged member; ``Model`` accepts it too).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from toymodels.models import (
    deep_linear as dl,
)
from toymodels.models import (
    diagonal_linear as dg,
)
from toymodels.models import (
    quadratic_regression as qr,
)
from toymodels.models import (
    scalar_net as sn,
)
from toymodels.models import (
    threshold_net as tn,
)
from toymodels.models import (
    threshold_neuron as tu,
)
from toymodels.models import (
    two_layer_linear as tl,
)

NAN, INF = math.nan, math.inf
#: a bad call must fail fast: well below any sympy build or GD run of the valid call
MAX_SECONDS = 5.0

# ----------------------------------------------------------------------------- bad values by kind
REAL = ["a", None, True, NAN, INF, -INF, 1 + 2j, [1.0, 2.0], object()]
POS = [*REAL, 0, 0.0, -1.0]
NONNEG = [*REAL, -1.0, -1e-300]
NONNEG_OR_NONE = [v for v in NONNEG if v is not None]
COUNT = [0, -1, 2.5, "3", None, True, NAN, INF, [2], 1 + 0j]
COUNT0 = [-1, 2.5, "3", None, True, NAN]
SEED = [-1, 2.5, "0", None, True, NAN, [0]]
BOOL = ["no", "yes", "False", 1, 0, None, 1.0]
OPTION = ["bogus", "", 3, None, ["trained"], b"odd"]
ARRAY = ["a", None, NAN, [1.0, NAN], [INF], 1 + 2j, [1j, 2.0], ["0.1"], [[1.0], [1.0, 2.0]]]
POS_ARRAY = [*ARRAY, 0.0, -1.0, [1.0, -1.0]]
#: not sequences of scalars (symbolic helpers): nested, non-finite, string and bool entries too
SEQ = [None, "ab", 3, {"a": 1}, np.float64(1.0), [[1.0], [1.0, 2.0]], [NAN], ["x"], [True]]
HUGE = 10**30  # a size no machine holds: refused up front, never a MemoryError

KINDS: dict[str, list[Any]] = {
    "real": REAL,
    "pos": POS,
    "nonneg": NONNEG,
    "nonneg_or_none": NONNEG_OR_NONE,
    "count": COUNT,
    "count0": COUNT0,
    "seed": SEED,
    "bool": BOOL,
    "option": OPTION,
    "array": ARRAY,
    "pos_array": POS_ARRAY,
    "seq": SEQ,
}


@dataclass
class Spec:
    """One public callable: valid keyword arguments and, per argument, its bad values.

    ``params`` maps an argument name to a kind (a key of :data:`KINDS`), a list of extra bad
    values, or a tuple (kind, [extra values]). ``names`` overrides the expected leading name.
    """

    label: str
    fn: Any
    base: dict[str, Any]
    params: dict[str, Any]
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def bad_values(self, param: str) -> list[Any]:
        spec = self.params[param]
        if isinstance(spec, str):
            return list(KINDS[spec])
        if isinstance(spec, tuple):
            kind, extra = spec
            return [*KINDS[kind], *extra]
        return list(spec)

    def kind(self, param: str) -> str | None:
        spec = self.params[param]
        if isinstance(spec, str):
            return spec
        if isinstance(spec, tuple):
            return spec[0]
        return None

    def expected(self, param: str) -> tuple[str, ...]:
        return self.names.get(param, (param,))


def _call_bad(fn, kwargs: dict[str, Any], names: tuple[str, ...]) -> None:
    """``fn(**kwargs)`` raises ValueError/TypeError starting with one of ``names``, fast and
    without any warning."""
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, TypeError)) as info:
            fn(**kwargs)
    dt = time.perf_counter() - t0
    exc = info.value
    # numpy / scipy subclasses of ValueError (LinAlgError, ...) would name no parameter
    assert type(exc).__module__ == "builtins", f"{type(exc).__name__}: {exc}"
    msg = str(exc)
    assert msg.startswith(names), f"message {msg!r} does not start with {names}"
    assert dt < MAX_SECONDS, f"took {dt:.1f} s before refusing"


# ----------------------------------------------------------------------------- instances
SN = sn.ScalarNet(3)
WN = tl.WideLinearNet(3)
D2 = tl.Depth2Linear(2)
M_TARGET, U_TARGET = dl.symmetric_target([2.0, 1.0], seed=0)
DL = dl.DeepLinear(M_TARGET, 2)
X_DG, Y_DG, _ = dg.sparse_regression(3, 5, 2, seed=0)
DG = dg.DiagonalLinear(X_DG, Y_DG)
QR = qr.QuadraticRegression.model_b(2, 4, 2)
NQ = qr.NQM(np.array([1.0, -0.5, 0.25]), 0.5, 4)
PM = tu.ProductModel()
MM = tu.MeanModel()
DATA = tn.SparseCodingData(d=3)
X_TN, Y_TN = DATA.sample(6, seed=0)
RN = tn.ReluNet(3, 2)
TH_RN = RN.init(0)
P_RN = RN.n_params
U_SYM = sp.symbols("u0:2")
V_SYM = sp.symbols("v0:2")
W_MATS = [sp.Matrix(2, 2, lambda a, b, l=l: sp.Symbol(f"W{l}_{a}_{b}")) for l in range(2)]
ROWS_QR = [sp.Matrix([1, 0]), sp.Matrix([0, 1])]
U_QR = sp.Matrix(2, 1, lambda i, j: sp.Symbol(f"U_{i}_{j}"))

TH_WN = np.full(6, 0.5)
TH_D2 = np.full(4, 0.5)
TH_DL = DL.svs_init(1.0)
TH_DG = DG.init()
TH_QR = QR.init(0.1, seed=0)
BAD_THETA = ["a", None, [1.0], np.zeros((2, 1)), 1 + 2j, [[1.0], [1.0, 2.0]]]
SHAPE_ONLY = [[1.0], np.zeros((2, 1)), "a", None]

# ----------------------------------------------------------------------------- the table
SPECS: list[Spec] = [
    # ------------------------------------------------------------------ two_layer_linear
    Spec(
        "wide_linear_loss_expr",
        tl.wide_linear_loss_expr,
        {"u": U_SYM, "v": V_SYM, "y": 0},
        {"u": ("seq", [[]]), "v": ("seq", [sp.symbols("v0:3")]), "y": REAL[:-2]},
    ),
    Spec(
        "depth2_loss_expr",
        tl.depth2_loss_expr,
        {"a": U_SYM, "b": V_SYM, "Phi": 1},
        {"a": ("seq", [[]]), "b": ("seq", [sp.symbols("v0:3")]), "Phi": REAL[:-2]},
    ),
    Spec("uv_model", tl.uv_model, {"y": 1.0}, {"y": "real"}),
    Spec("balanced_line_map", tl.balanced_line_map, {"y": 1.0}, {"y": "real"}),
    Spec(
        "WideLinearNet",
        tl.WideLinearNet,
        {"n": 3, "y": 0.0},
        {"n": ("count", [HUGE, 1e300]), "y": "real"},
    ),
    Spec("WideLinearNet.split", WN.split, {"theta": TH_WN}, {"theta": BAD_THETA}),
    Spec("WideLinearNet.f", WN.f, {"theta": TH_WN}, {"theta": BAD_THETA}),
    Spec("WideLinearNet.ntk", WN.ntk, {"theta": TH_WN}, {"theta": BAD_THETA}),
    Spec("WideLinearNet.init", WN.init, {"seed": 0}, {"seed": "seed"}),
    Spec(
        "WideLinearNet.init_with",
        WN.init_with,
        {"eta_lambda0": 1.5, "seed": 0},
        {"eta_lambda0": "pos", "seed": "seed"},
    ),
    Spec(
        "Depth2Linear",
        tl.Depth2Linear,
        {"d": 2, "Phi": 1.0},
        {"d": ("count", [HUGE, 10**8]), "Phi": "real"},
    ),
    *[
        Spec(f"Depth2Linear.{m}", getattr(D2, m), {"theta": TH_D2}, {"theta": BAD_THETA})
        for m in ("split", "residual", "imbalance", "norm", "K", "gfs_sharpness")
    ],
    # ------------------------------------------------------------------ scalar_net
    Spec(
        "scalar_net_loss_expr",
        sn.scalar_net_loss_expr,
        {"w": sp.symbols("w0:3"), "y": 1},
        {"w": ("seq", [[]]), "y": REAL[:-2]},
    ),
    Spec(
        "ScalarNet",
        sn.ScalarNet,
        {"depth": 3, "y": 1.0},
        {"depth": ("count", [1, HUGE, 10**4]), "y": ("real", [0.0])},
    ),
    *[
        Spec(f"ScalarNet.{m}", getattr(SN, m), {"w": [1.0, 2.0, 0.5]}, {"w": BAD_THETA})
        for m in (
            "residual",
            "balances",
            "minimum_sharpness",
            "gf_shift",
            "gf_solution",
            "gfs_sharpness",
        )
    ],
    # ------------------------------------------------------------------ deep_linear
    Spec(
        "symmetric_target",
        dl.symmetric_target,
        {"s": [2.0, 1.0], "seed": 0},
        {"s": ("array", [[[1, 2], [3, 4]], [], [-1.0, 2.0], 3.0, np.ones(10**5)]), "seed": "seed"},
    ),
    Spec("balanced_line_expr", dl.balanced_line_expr, {"depth": 3}, {"depth": "count"}),
    Spec("balanced_line_family", dl.balanced_line_family, {"depth": 3}, {"depth": "count"}),
    Spec(
        "balanced_minimum_eigenvalue_exprs",
        dl.balanced_minimum_eigenvalue_exprs,
        {"s": [2.0, 1.0], "depth": 3},
        {
            "s": ("seq", [[], [-1.0], [NAN], ["a"], [sp.Integer(-2)], [sp.I]]),
            "depth": ("count", [HUGE]),
        },
    ),
    Spec(
        "deep_linear_loss_expr",
        dl.deep_linear_loss_expr,
        {"layers": W_MATS, "target": sp.eye(2)},
        {
            "layers": ("seq", [[], [[1, 2]], [W_MATS[0], sp.eye(3)], [sp.Matrix([[1, 2]])]]),
            "target": [sp.eye(3), "a", None, [[NAN, 0], [0, 1]], [1.0, 2.0]],
        },
    ),
    Spec(
        "balanced_minimum_spectrum",
        dl.balanced_minimum_spectrum,
        {"s": [2.0, 1.0], "depth": 2},
        {"s": ("array", [[[1, 2], [3, 4]], [], [-1.0, 2.0], 3.0]), "depth": "count"},
    ),
    Spec(
        "DeepLinear",
        dl.DeepLinear,
        {"target": M_TARGET, "depth": 2},
        {
            "target": ("array", [[[1.0, 2.0]], [], np.zeros((0, 0)), [1.0, 2.0]]),
            "depth": ("count", [HUGE, 10**4]),
        },
    ),
    *[
        Spec(f"DeepLinear.{m}", getattr(DL, m), {"theta": TH_DL}, {"theta": BAD_THETA})
        for m in ("layers", "product", "singular_values")
    ],
    Spec(
        "DeepLinear.flatten",
        DL.flatten,
        {"W": np.zeros((2, 2, 2))},
        {"W": ["a", None, np.zeros((2, 2)), np.zeros((3, 2, 2)), np.zeros(8)]},
    ),
    Spec(
        "DeepLinear.svs_init",
        DL.svs_init,
        {"scales": 1.0},
        {"scales": ("array", [[1.0, 2.0, 3.0], np.ones((2, 2))])},
    ),
    *[
        Spec(
            f"DeepLinear.{m}",
            getattr(DL, m),
            {"theta": TH_DL, "U": U_TARGET},
            {"theta": BAD_THETA, "U": ("array", [np.eye(3), np.ones(2), np.ones((2, 2, 2))])},
        )
        for m in ("rotated_layers", "off_diagonal", "direction_weights", "balance_gaps")
    ],
    # ------------------------------------------------------------------ diagonal_linear
    Spec(
        "diagonal_linear_loss_expr",
        dg.diagonal_linear_loss_expr,
        {"X": sp.eye(2), "y": [1, 2], "u": U_SYM, "v": V_SYM},
        {
            "X": [sp.eye(3), "a", None, [1.0, 2.0], [[NAN, 0.0], [0.0, 1.0]]],
            "y": ("seq", [[]]),
            "u": ("seq", [[]]),
            "v": ("seq", [sp.symbols("v0:3")]),
        },
    ),
    Spec(
        "closed_form_expr",
        dg.closed_form_expr,
        {"xs": [0.1, -0.2], "alpha": 0.5},
        {"xs": ("seq", [[1.0], [-1], [NAN], ["a"], [True]]), "alpha": "pos"},
    ),
    Spec(
        "sparse_regression",
        dg.sparse_regression,
        {"n": 3, "d": 5, "s": 2, "seed": 0},
        {"n": ("count", [HUGE]), "d": ("count", [HUGE]), "s": ("count", [6]), "seed": "seed"},
    ),
    Spec(
        "hypentropy_interpolator",
        dg.hypentropy_interpolator,
        {"X": X_DG, "y": Y_DG, "alpha2": 0.01},
        {
            "X": ("array", [np.ones(5), np.zeros((0, 5)), np.zeros((3, 5))]),
            "y": ("array", [np.ones(2), np.ones((3, 1))]),
            "alpha2": ("pos_array", [np.ones(4), np.ones((5, 5))]),
        },
    ),
    Spec(
        "DiagonalLinear",
        dg.DiagonalLinear,
        {"X": X_DG, "y": Y_DG, "alpha": 0.1},
        {
            "X": ("array", [np.ones(5), np.zeros((0, 5)), np.zeros((3, 0))]),
            "y": ("array", [np.ones(2)]),
            "alpha": "pos",
        },
    ),
    *[
        Spec(f"DiagonalLinear.{m}", getattr(DG, m), {"theta": TH_DG}, {"theta": BAD_THETA})
        for m in ("split", "beta", "effective_alpha2", "beta_gradient")
    ],
    *[
        Spec(
            f"DiagonalLinear.{m}",
            getattr(DG, m),
            {"theta": TH_DG, "idx": np.array([0, 2])},
            {
                "idx": [
                    *("a", True, [0.5], [-1], [3], [], [[0, 1]], [[0], [0, 1]]),
                    *(np.array([0.0, 1.0]), *extra),
                ],
                "theta": BAD_THETA,
            },
        )
        for m, extra in (("beta_gradient", []), ("batch_grad", [None]))
    ],
    Spec(
        "DiagonalLinear.closed_form",
        DG.closed_form,
        {"gammas_g": np.full((2, 5), 0.1)},
        {"gammas_g": ("array", [np.full((2, 4), 0.1), np.full((1, 5), 1.0), np.zeros((1, 1, 5))])},
    ),
    Spec(
        "DiagonalLinear.interpolator_sharpness",
        DG.interpolator_sharpness,
        {"beta": np.zeros(5), "alpha2": 0.01},
        {
            "beta": ("array", [np.zeros(4), 0.0]),
            "alpha2": ("array", [np.ones(4), np.ones((5, 2))]),
        },
    ),
    # ------------------------------------------------------------------ quadratic_regression
    Spec(
        "quadratic_regression_loss_expr",
        qr.quadratic_regression_loss_expr,
        {"rows": ROWS_QR, "y": [1, 2], "U": U_QR, "c": 1},
        {
            "rows": ("seq", [[], [sp.Matrix([1, 0, 0])] * 2, [[1, 0], [0, 1]]]),
            "y": ("seq", [[1]]),
            "U": ["a", None, [[1.0], [2.0]]],
            "c": REAL[:-2],
            "n": [c for c in COUNT if c is not None],
        },
    ),
    Spec("cubic_map", qr.cubic_map, {"a": 0.5}, {"a": ("pos_array", [[]])}),
    Spec("two_cycle", qr.two_cycle, {"a": 1.5}, {"a": ("array", [1.0, 0.5, [2.0, 0.9]])}),
    Spec("two_cycle_multiplier", qr.two_cycle_multiplier, {"a": 1.5}, {"a": "array"}),
    Spec(
        "orthonormal_data",
        qr.orthonormal_data,
        {"n": 2, "d": 4, "seed": 0},
        {"n": ("count", [5]), "d": ("count", [1, 10**6, HUGE]), "seed": "seed"},
        names={"d": ("d", "n must be <= d")},
    ),
    Spec(
        "QuadraticRegression",
        qr.QuadraticRegression,
        {"X": np.eye(2), "y": np.ones(2), "m": 1, "c": 1.0},
        {
            "X": ("array", [np.ones(2), np.zeros((0, 2))]),
            "y": ("array", [np.ones(3), [1.0, 0.0], [1.0, -1.0]]),
            "m": "count",
            "c": "pos",
        },
    ),
    Spec(
        "QuadraticRegression.model_b",
        qr.QuadraticRegression.model_b,
        {"n": 2, "d": 4, "m": 2, "y": 1.0, "seed": 0},
        {
            "n": ("count", [5]),
            "d": ("count", [1]),
            "m": ("count", [HUGE]),
            "y": ("pos_array", [[1.0, 2.0, 3.0], np.ones((2, 2))]),
            "seed": "seed",
        },
        names={"d": ("d", "n must be <= d")},
    ),
    Spec("QuadraticRegression.a", QR.a, {"eta": 0.5}, {"eta": "pos_array"}),
    Spec("QuadraticRegression.eta_for", QR.eta_for, {"a": 0.5}, {"a": "pos_array"}),
    *[
        Spec(f"QuadraticRegression.{m}", getattr(QR, m), {"theta": TH_QR}, {"theta": BAD_THETA})
        for m in ("predictions", "z")
    ],
    Spec(
        "QuadraticRegression.init",
        QR.init,
        {"scale": 0.1, "seed": 0},
        {"scale": "pos", "seed": "seed"},
    ),
    Spec(
        "NQM",
        qr.NQM,
        {"x": [1.0, 2.0], "y": 0.5, "m": 3, "seed": 0},
        {
            "x": ("array", [[], [[1.0, 2.0]], 1.0]),
            "y": "real",
            "m": "count",
            "seed": "seed",
        },
    ),
    Spec(
        "NQM.g_and_grad",
        NQ.g_and_grad,
        {"du": np.zeros((4, 3)), "dv": np.zeros(4)},
        {
            "du": ["a", None, np.zeros((3, 4)), np.zeros(12)],
            "dv": ["a", None, np.zeros(3), 0.0],
        },
    ),
    *[
        Spec(
            f"NQM.{m}",
            getattr(NQ, m),
            {"eta": [0.1, 0.2], "steps": 3},
            {"eta": "pos_array", "steps": ("count", [10**12, HUGE])},
        )
        for m in ("gd", "recursion")
    ],
    Spec(
        "second_order_model",
        qr.second_order_model,
        {"z0": 1.0, "J0": (1.0, 0.5), "q": 1.0},
        {
            "z0": "real",
            "J0": ("array", [(1.0,), (1.0, 2.0, 3.0), 1.0, np.ones((2, 2))]),
            "q": "real",
        },
    ),
    Spec(
        "second_order_coordinates",
        qr.second_order_coordinates,
        {"theta": [0.1, 0.2], "eta": 0.1, "z0": 1.0, "J0": (1.0, 0.5), "q": 1.0},
        {
            "theta": ["a", None, [0.1], [0.1, 0.2, 0.3], 0.1, [NAN, 0.0]],
            "eta": "pos",
            "z0": "real",
            "J0": ("array", [(1.0,), (1.0, 2.0, 3.0)]),
            "q": ("real", [0.0]),
        },
    ),
    # ------------------------------------------------------------------ threshold_net
    Spec(
        "SparseCodingData",
        tn.SparseCodingData,
        {"d": 3, "lam": 3.0, "noise": 1.0},
        {"d": ("count", [HUGE]), "lam": "real", "noise": "nonneg"},
    ),
    Spec(
        "SparseCodingData.sample",
        DATA.sample,
        {"n": 4, "seed": 0},
        {"n": ("count", [10**12]), "seed": "seed"},
    ),
    Spec(
        "ReluNet",
        tn.ReluNet,
        {"d": 3, "m": 2, "variant": "plain"},
        {
            "d": ("count", [HUGE]),
            "m": ("count", [HUGE]),
            "variant": "option",
            "second_layer": "option",
            "train_w": "bool",
            "biases": "option",
        },
    ),
    Spec("ReluNet.split", RN.split, {"theta": TH_RN}, {"theta": [*BAD_THETA, np.zeros(P_RN + 1)]}),
    Spec(
        "ReluNet.join",
        RN.join,
        {"W": np.zeros((2, 3)), "b": np.zeros(2), "a": np.ones(2)},
        {
            "W": ["a", None, np.zeros((3, 2)), np.zeros(6)],
            "b": ["a", None, np.zeros(3), 0.0],
            "a": ["a", None, np.zeros(3), [[1.0, 1.0, 1.0]]],
        },
    ),
    Spec(
        "ReluNet.init",
        RN.init,
        {"seed": 0},
        {
            "seed": "seed",
            "w_scale": "nonneg_or_none",
            "a_scale": "nonneg_or_none",
            "bias": "real",
            "a_signs": "option",
            "w_init": "option",
        },
    ),
    *[
        Spec(
            f"ReluNet.{m}",
            getattr(RN, m),
            {"theta": TH_RN, "X": X_TN},
            {"theta": BAD_THETA, "X": ("array", [np.zeros((4, 2)), np.zeros(3)])},
        )
        for m in ("features", "output", "mean_direction", "mean_activation")
    ],
    *[
        Spec(
            f"ReluNet.{m}",
            getattr(RN, m),
            {"theta": TH_RN, "X": X_TN, "y": Y_TN},
            {
                "theta": BAD_THETA,
                "X": ("array", [np.zeros((6, 2)), np.zeros((0, 3))]),
                "y": ("array", [np.ones(5)]),
            },
        )
        for m in ("loss", "grad")
    ],
    *[
        Spec(
            f"ReluNet.{m}",
            getattr(RN, m),
            {"theta": TH_RN, "v": np.ones(P_RN), "X": X_TN, "y": Y_TN},
            {
                "theta": BAD_THETA,
                "v": ["a", None, np.ones(P_RN - 1), np.ones((3, P_RN + 1)), [np.inf] * P_RN],
                "X": ("array", [np.zeros((6, 2))]),
                "y": ("array", [np.ones(5)]),
                "eps": "pos",
            },
        )
        for m in ("hvp", "effective_hvp")
    ],
    *[
        Spec(
            f"ReluNet.{m}",
            getattr(RN, m),
            {"theta": TH_RN, "X": X_TN, "y": Y_TN},
            {
                "theta": BAD_THETA,
                "X": ("array", [np.zeros((6, 2))]),
                "y": ("array", [np.ones(5)]),
                "eps": "pos",
            },
        )
        for m in ("rayleigh_mean", "dense_hessian")
    ],
    Spec(
        "ReluNet.top_eigenvalue",
        RN.top_eigenvalue,
        {"theta": TH_RN, "X": X_TN, "y": Y_TN, "iters": 5},
        {
            "theta": [*BAD_THETA, np.zeros((2, P_RN))],
            "X": ("array", [np.zeros((6, 2))]),
            "y": ("array", [np.ones(5)]),
            "iters": "count",
            "seed": "seed",
            "eps": "pos",
        },
    ),
    Spec(
        "ReluNet.model",
        RN.model,
        {"X": X_TN, "y": Y_TN},
        {"X": ("array", [np.zeros((6, 2))]), "y": ("array", [np.ones(5)])},
    ),
    Spec(
        "train",
        tn.train,
        {"net": RN, "X": X_TN, "y": Y_TN, "eta": [0.1], "steps": 2, "theta0": TH_RN},
        {
            "net": ["a", None, PM],
            "X": ("array", [np.zeros((6, 2))]),
            "y": ("array", [np.ones(5)]),
            "eta": ("pos_array", [[], [[0.1]], 0.1]),
            "steps": ("count0", [10**15, HUGE]),
            "theta0": ["a", None, np.zeros(P_RN - 1), np.zeros((2, P_RN)), np.full(P_RN, NAN)],
            "record_every": "count",
            "bound": "pos",
            "test": ["a", 3, (X_TN,), (X_TN, Y_TN, Y_TN)],
            "track_sharpness": "bool",
        },
        names={"test": ("test", "X", "y")},
    ),
    Spec(
        "test_accuracy",
        tn.test_accuracy,
        {"net": RN, "theta": TH_RN, "data": DATA, "n_test": 10, "seed": 1},
        {
            "net": ["a", None, PM],
            "theta": BAD_THETA,
            "data": ["a", None, (X_TN, Y_TN), tn.SparseCodingData(d=4)],
            "n_test": ("count", [10**12]),
            "seed": "seed",
        },
    ),
    Spec(
        "predicted_threshold",
        tn.predicted_threshold,
        {"net": RN, "theta0": TH_RN, "X": X_TN, "y": Y_TN, "lanczos_iters": 3},
        {
            "net": ["a", None, PM],
            "theta0": [*BAD_THETA, np.zeros((2, P_RN))],
            "X": ("array", [np.zeros((6, 2))]),
            "y": ("array", [np.ones(5)]),
            "lanczos_iters": "count0",
        },
    ),
    Spec(
        "fig1_setting",
        tn.fig1_setting,
        {"seed": 0, "d": 4, "n": 10, "lam": 3.0},
        {"seed": "seed", "d": "count", "n": "count", "lam": "real"},
    ),
    # ------------------------------------------------------------------ threshold_neuron
    Spec("overshoot_limit", tu.overshoot_limit, {"r0": 1.5}, {"r0": ("array", [1.0, 0.5])}),
    Spec("ProductModel", tu.ProductModel, {"loss": "square"}, {"loss": "option"}),
    Spec("Loss.sympy", tu.LOSSES["square"].sympy, {}, {"t": ["t", 1.0, sp.Integer(2)]}),
    Spec(
        "ProductModel.eta_star",
        PM.eta_star,
        {"u0": 0.1, "v0": 1.0},
        {"u0": ("array", [2.0]), "v0": ("array", [0.1, -0.05])},
        names={"u0": ("u0", "v0")},
    ),
    Spec("ProductModel.imbalance", PM.imbalance, {"theta": [0.1, 1.0]}, {"theta": BAD_THETA}),
    Spec("ProductModel.line_sharpness", PM.line_sharpness, {"v": 1.0}, {"v": "array"}),
    Spec(
        "ProductModel.imbalance_drop",
        PM.imbalance_drop,
        {"eta": [1.0], "u0": 0.1, "v0": 1.0, "steps": 5},
        {
            "eta": ("pos_array", [np.ones((2, 2, 2))]),
            "u0": ("real", [1.0]),
            "v0": ("real", [0.1]),
            "steps": "count",
        },
        names={"u0": ("u0", "v0"), "eta": ("eta", "eta must")},
    ),
    Spec(
        "ProductModel.two_cycle_amplitude",
        PM.two_cycle_amplitude,
        {"eta": 10.0, "v": 1.0},
        {"eta": "pos", "v": "real"},
    ),
    Spec(
        "g_mean",
        tu.g_mean,
        {"b": 0.0, "s": 1.0},
        {"b": ["a", None, 1j, ["0"], -INF, [0.0, INF]], "s": "pos"},
    ),
    Spec(
        "g_mean_expr",
        tu.g_mean_expr,
        {"b": sp.Symbol("b"), "s": 1},
        {"b": ["a", None, NAN, 1j], "s": ["a", None, NAN, 0, -1.0, True]},
    ),
    Spec(
        "mean_model_loss_expr",
        tu.mean_model_loss_expr,
        {"a": sp.Symbol("a"), "b": sp.Symbol("b"), "s": 1},
        {"a": ["a", None, INF], "b": ["a", None, NAN], "s": ["a", None, NAN, 0, -1.0]},
    ),
    Spec("MeanModel", tu.MeanModel, {"s": 1.0}, {"s": "pos"}),
    Spec("MeanModel.g", MM.g, {"b": 0.0}, {"b": ["a", None, 1j, ["0"]]}),
    Spec("MeanModel.eta_star", MM.eta_star, {"b0": 0.0}, {"b0": ("real", [-1e6])}),
    Spec(
        "MeanModel.final_bias",
        MM.final_bias,
        {"eta": [1.0], "a0": 0.01, "b0": 0.0, "steps": 5},
        {"eta": "pos_array", "a0": "real", "b0": "real", "steps": "count"},
    ),
    Spec("MeanModel.bias_bound", MM.bias_bound, {"eta": [10.0, 100.0]}, {"eta": "pos_array"}),
]

CASES = [
    pytest.param(spec, param, bad, id=f"{spec.label}-{param}-{i}")
    for spec in SPECS
    for param in spec.params
    for i, bad in enumerate(spec.bad_values(param))
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.label for s in SPECS])
def test_base_call_is_valid(spec: Spec) -> None:
    """The table's valid arguments are valid (so a refusal below is due to the one bad value)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        spec.fn(**spec.base)


@pytest.mark.parametrize(("spec", "param", "bad"), CASES)
def test_bad_argument_is_named(spec: Spec, param: str, bad: Any) -> None:
    _call_bad(spec.fn, {**spec.base, param: bad}, spec.expected(param))


def test_every_public_callable_is_in_the_table() -> None:
    """Every public function / class / method of the family modules has a row (or is argless)."""
    import inspect

    covered = {s.label.split(".")[0] for s in SPECS} | {s.label for s in SPECS}
    missing = []
    for mod in (dl, dg, qr, sn, tn, tu, tl):
        for name in dir(mod):
            obj = getattr(mod, name)
            if name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
                continue
            if inspect.isfunction(obj):
                params = inspect.signature(obj).parameters
                if params and name not in covered:
                    missing.append(f"{mod.__name__}.{name}")
            elif inspect.isclass(obj) and not name.startswith("Threshold"):
                for meth, fn in vars(obj).items():
                    if meth.startswith("_") and meth != "__init__":
                        continue
                    if isinstance(fn, classmethod):
                        fn = fn.__func__
                    if not inspect.isfunction(fn):
                        continue
                    args = [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]
                    label = name if meth == "__init__" else f"{name}.{meth}"
                    if args and label not in covered and (name, meth) not in _ARGLESS_OK:
                        missing.append(f"{mod.__name__}.{label}")
    assert not missing, f"no bad-input row for: {missing}"


def test_every_argument_has_bad_values() -> None:
    """Every argument of every callable in the table gets at least one bad value."""
    import inspect

    covered: dict[str, set[str]] = {}
    for s in SPECS:
        covered.setdefault(s.label, set()).update(s.params)
    missing = []
    for s in SPECS:
        names = [p for p in inspect.signature(s.fn).parameters if p not in ("self", "cls")]
        missing += [f"{s.label}({p})" for p in names if p not in covered[s.label]]
    assert not missing, f"arguments without a bad value: {sorted(set(missing))}"


#: (class, method) pairs whose arguments are checked elsewhere: the Loss dataclass is built from
#: the module's own table, never by users
_ARGLESS_OK = {("Loss", "__init__")}


# ----------------------------------------------------------------------------- the issue's cases
def test_issue_silent_acceptances() -> None:
    """The four silent acceptances of issue 10 now raise, naming the parameter."""
    _call_bad(lambda: tl.WideLinearNet(4).init_with(-1.0), {}, ("eta_lambda0",))
    _call_bad(lambda: tl.WideLinearNet(4).init_with(NAN), {}, ("eta_lambda0",))
    _call_bad(lambda: tn.ReluNet(3, 2).init(0, w_scale=NAN), {}, ("w_scale",))
    _call_bad(lambda: tn.ReluNet(3, 2, train_w="no"), {}, ("train_w",))
    _call_bad(lambda: dl.balanced_minimum_spectrum([[1, 2], [3, 4]], 2), {}, ("s",))


def test_issue_unclear_errors() -> None:
    _call_bad(lambda: tl.uv_model("a"), {}, ("y",))
    _call_bad(lambda: qr.QuadraticRegression.model_b(2, 4, 0), {}, ("m",))
    _call_bad(lambda: qr.second_order_model(1, (1.0,), 1), {}, ("J0",))


def test_numpy_bools_and_integral_floats_are_accepted() -> None:
    """Lenient by design: numpy booleans for flags and integer-valued floats for counts."""
    assert tn.ReluNet(3, 2, train_w=np.bool_(False)).train_w is False
    assert sn.ScalarNet(3.0).depth == 3
    assert dl.balanced_minimum_spectrum(np.array([2.0, 1.0]), np.int64(2)).shape == (4,)


def test_overshoot_limit_beyond_the_bracket() -> None:
    """r0 - ln r0 > 691: r∞ < 1e-300 is exp(−(r0 − ln r0)) (was a brentq sign error)."""
    r0 = np.array([800.0, 1e4])
    out = tu.overshoot_limit(r0)
    np.testing.assert_allclose(out, np.exp(-(r0 - np.log(r0))), rtol=0, atol=0)
    assert np.all(out < 1e-300)


def test_minimum_sharpness_at_a_zero_weight_is_inf() -> None:
    """A zero weight is no minimiser: the sharpness formula gives +inf, without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert SN.minimum_sharpness([0.0, 1.0, 1.0]) == np.inf


# ----------------------------------------------------------------------------- hypothesis
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
not_a_number = st.one_of(
    st.sampled_from([NAN, INF, -INF, np.float64("nan"), np.float64("-inf")]),
    st.text(max_size=4),
    st.none(),
    st.booleans(),
    st.complex_numbers(allow_nan=False, allow_infinity=False, max_magnitude=1e6).filter(
        lambda z: z.imag != 0
    ),
)
STRATEGIES: dict[str, st.SearchStrategy] = {
    "real": st.one_of(not_a_number, st.lists(finite, min_size=2, max_size=3)),
    "pos": st.one_of(
        not_a_number,
        st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
        st.integers(max_value=0),
    ),
    "nonneg": st.one_of(
        not_a_number,
        st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
        st.integers(max_value=-1),
    ),
    "nonneg_or_none": st.one_of(
        not_a_number.filter(lambda v: v is not None),
        st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
    ),
    "count": st.one_of(
        st.integers(max_value=0),
        st.floats().filter(lambda f: not (math.isfinite(f) and f.is_integer())),
        st.text(max_size=3),
        st.none(),
        st.booleans(),
    ),
    "seed": st.one_of(
        st.integers(max_value=-1),
        st.floats(),
        st.text(max_size=3),
        st.none(),
        st.booleans(),
    ),
    "bool": st.one_of(st.text(max_size=5), st.integers(), st.floats(), st.none()),
    "option": st.one_of(
        st.text(max_size=8).filter(lambda s: s not in _ALL_OPTIONS),
        st.integers(),
        st.none(),
    ),
    "pos_array": st.one_of(
        not_a_number,
        st.lists(
            st.one_of(finite, st.sampled_from([NAN, INF, -INF, 0.0, -1.0])), min_size=1
        ).filter(lambda xs: not all(math.isfinite(x) and x > 0 for x in xs)),
    ),
    "array": st.one_of(
        st.sampled_from([NAN, INF, -INF]),
        st.text(min_size=1, max_size=4),
        st.none(),
        st.complex_numbers(allow_nan=False, allow_infinity=False, max_magnitude=1e6).filter(
            lambda z: z.imag != 0
        ),
        st.lists(st.sampled_from([NAN, INF, -INF]), min_size=1, max_size=3),
    ),
}
_ALL_OPTIONS = {
    *tn.ReluNet.VARIANTS,
    *tn.ReluNet.SECOND_LAYER,
    "tied",
    "random",
    "balanced",
    "positive",
    "paired",
    "gaussian",
    "identity",
    *tu.LOSSES,
}
#: kinds whose every value of the strategy is bad for every argument of that kind
_BY_KIND: dict[str, list[tuple[Spec, str]]] = {
    kind: [(s, p) for s in SPECS for p in s.params if s.kind(p) == kind] for kind in STRATEGIES
}


@pytest.mark.parametrize("kind", sorted(STRATEGIES))
@given(data=st.data())
def test_bad_numbers_hypothesis(kind: str, data: st.DataObject) -> None:
    """Hypothesis-drawn bad values for the numeric (and flag / option) arguments of each kind."""
    spec, param = data.draw(st.sampled_from(_BY_KIND[kind]), label="argument")
    bad = data.draw(STRATEGIES[kind], label=f"{spec.label}({param}=...)")
    _call_bad(spec.fn, {**spec.base, param: bad}, spec.expected(param))


# ----------------------------------------------------------------------------- fuzz findings
# (threshold_net, threshold_neuron, quadratic_regression; tests/fuzz report, issue 10)
_BOOL_CALLS = {
    "ProductModel.eta_star(v0)": (lambda b: PM.eta_star(0.1, b), "v0"),
    "ProductModel.line_sharpness(v)": (lambda b: PM.line_sharpness(b), "v"),
    "ProductModel.imbalance_drop(eta)": (lambda b: PM.imbalance_drop(b, 0.1, 1.0, 5), "eta"),
    "MeanModel.final_bias(eta)": (lambda b: MM.final_bias(b, steps=5), "eta"),
    "MeanModel.bias_bound(eta)": (lambda b: MM.bias_bound(b), "eta"),
    "cubic_map(a)": (lambda b: qr.cubic_map(b), "a"),
    "two_cycle_multiplier(a)": (lambda b: qr.two_cycle_multiplier(b), "a"),
    "QuadraticRegression.model_b(y)": (
        lambda b: qr.QuadraticRegression.model_b(2, 4, 2, y=b),
        "y",
    ),
    "QuadraticRegression.a(eta)": (lambda b: QR.a(b), "eta"),
    "QuadraticRegression.eta_for(a)": (lambda b: QR.eta_for(b), "a"),
    "NQM.gd(eta)": (lambda b: NQ.gd(b, 3), "eta"),
    "NQM.recursion(eta)": (lambda b: NQ.recursion(b, 3), "eta"),
}


@pytest.mark.parametrize("bad", [True, np.bool_(True), [True, False], np.array([True])])
@pytest.mark.parametrize("label", sorted(_BOOL_CALLS))
def test_booleans_are_not_numbers(label: str, bad: Any) -> None:
    """``True`` used to be read as 1.0 (``np.asarray(True, float)``)."""
    fn, name = _BOOL_CALLS[label]
    _call_bad(lambda: fn(bad), {}, (name,))
    with pytest.raises(TypeError, match=rf"^{name} must .*boolean"):
        fn(bad)


_ETA_GRIDS = {
    "ProductModel.imbalance_drop": lambda e: PM.imbalance_drop(e, 0.1, 1.0, 5),
    "MeanModel.final_bias": lambda e: MM.final_bias(e, steps=5),
    "NQM.gd": lambda e: NQ.gd(e, 3),
    "NQM.recursion": lambda e: NQ.recursion(e, 3),
}


@pytest.mark.parametrize(
    "bad", [[], np.array([]), [[0.1]], np.full((2, 2), 0.1), np.array([[0.5, 0.05]])]
)
@pytest.mark.parametrize("label", sorted(_ETA_GRIDS))
def test_eta_grid_is_a_non_empty_scalar_or_1d(label: str, bad: Any) -> None:
    """Empty grids returned empty results and 2-D grids ran silently (NQM)."""
    _call_bad(lambda: _ETA_GRIDS[label](bad), {}, ("eta",))
    assert _ETA_GRIDS[label](np.array([0.1, 0.2])) is not None  # a 1-D grid still runs


def test_relu_net_join_refuses_non_finite_pieces() -> None:
    W, b, a = np.zeros((2, 3)), np.zeros(2), np.ones(2)
    _call_bad(lambda: RN.join(W, [1.0, NAN], a), {}, ("b",))
    _call_bad(lambda: RN.join(W, b, [INF, 1.0]), {}, ("a",))
    _call_bad(lambda: RN.join(np.full((2, 3), -INF), b, a), {}, ("W",))
    assert RN.split(np.full(P_RN, NAN))[1].shape == (2,)  # split still takes a diverged θ apart


@pytest.mark.parametrize("method", ["features", "output", "mean_direction", "mean_activation"])
def test_relu_net_refuses_empty_data(method: str) -> None:
    """X (0, d) returned empty features silently or warned "Mean of empty slice"."""
    _call_bad(lambda: getattr(RN, method)(TH_RN, np.zeros((0, 3))), {}, ("X",))


@pytest.mark.parametrize("method", ["hvp", "effective_hvp"])
def test_relu_net_refuses_an_empty_direction(method: str) -> None:
    """v is a direction the caller builds (NaN in v is refused too), not a batch of states."""
    _call_bad(lambda: getattr(RN, method)(TH_RN, np.zeros((0, P_RN)), X_TN, Y_TN), {}, ("v",))


@pytest.mark.parametrize("bad", [[NAN] * P_RN, [INF] * P_RN, [0.1] * (P_RN - 1) + [-INF]])
def test_relu_net_spectra_refuse_non_finite_theta(bad: list[float]) -> None:
    """Lanczos on a non-finite Hessian warned, then raised LinAlgError."""
    _call_bad(lambda: RN.top_eigenvalue(bad, X_TN, Y_TN, iters=3), {}, ("theta",))
    _call_bad(lambda: tn.predicted_threshold(RN, bad, X_TN, Y_TN, lanczos_iters=3), {}, ("theta0",))


def test_relu_net_top_eigenvalue_at_a_huge_theta_is_nan() -> None:
    """A finite θ whose HVPs overflow is valid input: (NaN, NaN), no warning, no LinAlgError."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = np.array([0.5] * (P_RN - 2) + [1e300, -1e300])  # the FD gradients overflow
        lam, res = RN.top_eigenvalue(huge, X_TN, Y_TN, iters=3)
    assert np.isnan(lam) and np.isnan(res)


def test_test_accuracy_batches() -> None:
    """An empty batch is refused; a diverged (NaN) member scores NaN, as documented."""
    _call_bad(lambda: tn.test_accuracy(RN, np.zeros((0, P_RN)), DATA, 10, 1), {}, ("theta",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        acc = tn.test_accuracy(RN, np.stack([TH_RN, np.full(P_RN, NAN)]), DATA, 10, 1)
    assert np.isfinite(acc[0]) and np.isnan(acc[1])


_WILD = [NAN, INF, -INF, 1e200, -1e200]


def _no_warning(fn) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


@pytest.mark.parametrize("value", _WILD)
def test_pure_evaluations_at_wild_theta_do_not_warn(value: float) -> None:
    """NaN/inf/huge θ (a diverged member) give NaN/inf answers but no RuntimeWarning."""
    th = np.full(P_RN, value)
    v = np.ones(P_RN)
    for m in ("features", "output", "mean_direction", "mean_activation"):
        _no_warning(lambda m=m: getattr(RN, m)(th, X_TN))
    for m in ("loss", "grad", "rayleigh_mean", "dense_hessian"):
        _no_warning(lambda m=m: getattr(RN, m)(th, X_TN, Y_TN))
    for m in ("hvp", "effective_hvp"):
        _no_warning(lambda m=m: getattr(RN, m)(th, v, X_TN, Y_TN))
    _no_warning(lambda: PM.imbalance([value, value]))
    _no_warning(lambda: QR.predictions(np.full(TH_QR.shape, value)))
    _no_warning(lambda: QR.z(np.array([value, *TH_QR[1:]])))


def test_second_order_coordinates_refuses_an_empty_batch() -> None:
    """Like NaN θ, an empty θ batch is refused (it returned empty coordinates silently)."""
    _call_bad(
        lambda: qr.second_order_coordinates(np.zeros((0, 2)), 0.1, 1.0, (1.0, 0.5), 1.0),
        {},
        ("theta",),
    )
