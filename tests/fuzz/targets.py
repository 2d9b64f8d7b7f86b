"""The registry of fuzz targets: every public callable of ``toymodels`` and ``toymodels.models``.

A :class:`Target` is a *valid* call (small and fast: tiny step counts, small grids, a small
quadratic model or the logistic map) and, per parameter, a :class:`P`: the kinds of bad values for
it (``strategies``), the names an error message may use for it (aliases), and what is lenient by
design. A case changes one argument and keeps all others valid, so an error can only come from
that argument.

``heavy=True`` targets have a deliberately *long* valid call (a burn-in of millions of steps):
their bad cases check that validation happens before the long work (issue 10: "validation after
the long work"). Their valid call is never run.

:data:`NOT_FUZZED` lists the public parameters that are deliberately not fuzzed, with the reason;
``tests/core/test_fuzz.py::test_registry_covers_public_api`` checks that every public parameter
is either fuzzed or listed there.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

import toymodels as tm

from . import strategies as S
from .strategies import NAN, OPAQUE, BadFn, Kind, Lenient

MODEL_MODULES = (
    "two_layer_linear",
    "scalar_net",
    "deep_linear",
    "diagonal_linear",
    "quadratic_regression",
    "threshold_neuron",
    "threshold_net",
    "self_stabilization",
    "logistic_regression",
    "single_index",
    "homogeneous_net",
    "sgd_quadratics",
    "support_learning",
    "tanh_mlp",
    "bifurcation",
)


# ----------------------------------------------------------------------------- registry types
@dataclass
class P:
    """A parameter's bad values: ``kinds`` (and extra catalogue values), aliases, leniency."""

    kinds: tuple[Kind, ...]
    names: tuple[str, ...] = ()
    lenient: tuple[Lenient, ...] = ()

    @property
    def catalogue(self) -> list[Any]:
        return [v for k in self.kinds for v in k.catalogue]

    @property
    def strategy(self) -> st.SearchStrategy:
        return st.one_of(*(k.strategy for k in self.kinds))


def p(*items: Any, names: tuple[str, ...] = (), lenient: tuple[Lenient, ...] = ()) -> P:
    """``items``: kinds, or lists of extra bad values."""
    kinds: list[Kind] = []
    for it in items:
        if isinstance(it, Kind):
            kinds.append(it)
        else:
            kinds.append(S.kind("extra", list(it)))
    rules = tuple(r for k in kinds for r in k.lenient) + tuple(lenient)
    return P(tuple(kinds), tuple(names), rules)


@dataclass
class Target:
    """A public callable with a valid call and bad values per parameter."""

    name: str
    source: str
    covers: str
    make: Callable[[], tuple[Callable[..., Any], dict[str, Any]]]
    params: dict[str, P] = field(default_factory=dict)
    heavy: bool = False

    def __post_init__(self) -> None:
        for pname, spec in self.params.items():
            if not spec.names:
                spec.names = (pname,)

    def valid_call(self) -> tuple[Callable[..., Any], dict[str, Any]]:
        return self.make()

    @staticmethod
    def resolve(value: Any) -> Any:
        """Bad values that are fixtures (a Map where a Model is expected) are built on use."""
        return resolve(value)


# ----------------------------------------------------------------------------- fixtures
class _Fixtures:
    """Valid objects, built once on first use (sympy compilation is the slow part)."""

    @functools.cached_property
    def m2(self) -> tm.Model:
        return tm.Model.from_sympy("(x*y - 1)**2/2 + x**2/10", params=("x", "y"))

    @functools.cached_property
    def q1(self) -> tm.Model:
        return tm.Model.from_sympy("(x**2 - 1)**2/4", params=("x",))

    @functools.cached_property
    def logistic(self) -> tm.MapFamily:
        return tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")

    @functools.cached_property
    def F32(self) -> tm.Map:
        return self.logistic(3.2)

    @functools.cached_property
    def henon(self) -> tm.Map:
        return tm.Map.from_sympy(
            ["1 - a*x**2 + y", "b*x"], state=["x", "y"], constants={"a": 1.4, "b": 0.3}
        )

    @functools.cached_property
    def gd_fam(self) -> tm.MapFamily:
        return tm.gd_family(self.m2)

    def mod(self, name: str) -> Any:
        return importlib.import_module(f"toymodels.models.{name}")

    @functools.cached_property
    def models(self) -> dict[str, Any]:
        """Model-family instances and data for the helper methods."""
        tl, sn, dl = self.mod("two_layer_linear"), self.mod("scalar_net"), self.mod("deep_linear")
        dg, qr = self.mod("diagonal_linear"), self.mod("quadratic_regression")
        tu, tn = self.mod("threshold_neuron"), self.mod("threshold_net")
        M, U = dl.symmetric_target([2.0, 1.0], seed=0)
        X, Y, _ = dg.sparse_regression(3, 5, 2, seed=0)
        data = tn.SparseCodingData(d=3)
        Xt, Yt = data.sample(6, seed=0)
        o: dict[str, Any] = {
            "SN": sn.ScalarNet(3),
            "WN": tl.WideLinearNet(3),
            "D2": tl.Depth2Linear(2),
            "M": M,
            "U": U,
            "DL": dl.DeepLinear(M, 2),
            "X_DG": X,
            "Y_DG": Y,
            "DG": dg.DiagonalLinear(X, Y),
            "QR": qr.QuadraticRegression.model_b(2, 4, 2),
            "NQ": qr.NQM(np.array([1.0, -0.5, 0.25]), 0.5, 4),
            "PM": tu.ProductModel(),
            "MM": tu.MeanModel(),
            "DATA": data,
            "X_TN": Xt,
            "Y_TN": Yt,
            "RN": tn.ReluNet(3, 2),
        }
        o["TH_RN"] = o["RN"].init(0)
        o["TH_DL"] = o["DL"].svs_init(1.0)
        o["TH_DG"] = o["DG"].init()
        o["TH_QR"] = o["QR"].init(0.1, seed=0)
        return o


FX = _Fixtures()


def _m(key: str) -> Any:
    return FX.models[key]


# ----------------------------------------------------------------------------- shared bad values
THETA2 = S.theta(2, model=True)
#: something that is not a Model
NOT_A_MODEL = S.kind(
    "not a model",
    (None, "x**2", 3, OPAQUE, np.ones(2), BadFn(lambda th: th, "a plain function")),
    st.integers(),
    S.texts,
)
NOT_A_MAP = S.kind(
    "not a map",
    (None, 3, "x", OPAQUE, BadFn(lambda x: x, "a plain function"), np.ones(2)),
    st.integers(),
    S.texts,
)
NOT_A_FAMILY = S.kind(
    "not a family",
    (
        None,
        3,
        "r*x*(1 - x)",
        OPAQUE,
        BadFn(lambda r: None, "p -> None"),
        BadFn(lambda r: 3.0, "p -> a float"),
        BadFn(lambda r: "map", "p -> a string"),
    ),
    st.integers(),
    S.texts,
)
STATE1 = S.state(1)
STATE2 = S.state(2)
ARRAY_NOT_NONE = S.kind(
    "array (None is the default)",
    [v for v in S.ARRAY.catalogue if v is not None],
    S.ARRAY.strategy.filter(lambda v: v is not None),
)
POS_ARRAY = S.ARRAY.plus(0.0, -1.0, [1.0, -1.0], label="positive array")
#: positive parameter values of any shape (a batch of step sizes): 2-D is fine, ≤ 0 is not
POS_VALUES = S.kind(
    "positive values (any shape)",
    (
        *[v for v in S.POSITIVE.catalogue if not isinstance(v, (list, np.ndarray))],
        [0.1, -0.1],
        [0.1, 0.0],
        [[0.1, NAN]],
        *S.ARRAY.catalogue,
    ),
    S.non_positive,
    S.nonfinite,
)
SEQ = S.kind("not a sequence", (None, "ab", 3, {"a": 1}, OPAQUE), st.integers())
OPTIONAL_LABEL = S.LABEL  # None is the default for names: not in LABEL


POS_NOT_NONE = S.kind(
    "positive (None is the default)",
    [v for v in S.POSITIVE.catalogue if v is not None],
    S.POSITIVE.strategy.filter(lambda v: v is not None),
)
MARGIN = S.NONNEG.plus(1.0, 2.0, label="margin in [0, 1)")
#: a run's callback(step, theta): None (the default) or a callable; anything else is refused
CALLBACK = S.kind(
    "callback (None is the default)",
    (1, 0, "a", "", [], (), {}, 2.5, True, b"f", np.ones(2), OPAQUE),
    st.integers(),
    S.texts,
    st.floats(),
)


def _broadcasting_components(v: Any) -> bool:
    arrs = [np.asarray(c) for c in v] if isinstance(v, tuple) and len(v) == 2 else []
    if not arrs or any(a.dtype.kind != "f" or not np.all(np.isfinite(a)) for a in arrs):
        return False
    try:
        np.broadcast_shapes(*(a.shape for a in arrs))
    except ValueError:
        return False
    return True


BROADCAST_COMPONENTS = Lenient(
    _broadcasting_components,
    "the p coordinate arrays of Model.grad_components broadcast against each other by numpy "
    "rules (as Model.third broadcasts theta and u); every returned component has the "
    "broadcast shape. A wrong count, non-real entries or non-broadcasting shapes are refused",
    "broadcasting coordinate arrays",
)
DIVERGED_ACCURACY = Lenient(
    S.NAN_THETA.matches,
    "threshold_net.train marks a diverged run by NaN rows of theta, and test_accuracy documents "
    "NaN accuracy for such members (the Fig. 1 sweep counts them); it is not a silent accuracy",
    "non-finite theta in test_accuracy (a diverged run)",
)
N_POINTS_DEFAULT = Lenient(
    lambda v: v is None,
    "None is the documented default of gradient_flow's n_points (201 equally spaced times)",
    "n_points=None (the default)",
)


def _maybe(fn: Callable[..., Any], **specs: P) -> dict[str, P]:
    """The ``specs`` whose parameter ``fn`` has (parameters being added while the API grows)."""
    have = inspect.signature(fn).parameters
    return {k: v for k, v in specs.items() if k in have}


# ----------------------------------------------------------------------------- helpers
def _quad_loss(th: np.ndarray) -> np.ndarray:
    th = np.asarray(th, dtype=float)
    return 0.5 * (th[..., 0] ** 2 + 2 * th[..., 1] ** 2)


def _quad_grad(th: np.ndarray) -> np.ndarray:
    th = np.asarray(th, dtype=float)
    return th * np.array([1.0, 2.0])


def _quad_hess(th: np.ndarray) -> np.ndarray:
    th = np.asarray(th, dtype=float)
    return np.broadcast_to(np.diag([1.0, 2.0]), (*th.shape[:-1], 2, 2)).copy()


def _quad_third(th: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.zeros(np.broadcast_shapes(np.shape(th), np.shape(u)))


def _from_numpy_and_use(
    params: Any,
    loss: Any,
    grad: Any,
    hessian: Any,
    third: Any = None,
    expr: Any = None,
    name: Any = None,
    citation: Any = "",
) -> tm.Model:
    """Model.from_numpy, then one use on a batch of B == p states (where a wrong-shaped user
    function would broadcast silently)."""
    m = tm.Model.from_numpy(
        params, loss, grad, hessian, third=third, expr=expr, name=name, citation=citation
    )
    th = np.array([[0.5, -0.25], [1.0, 2.0]])
    m.loss(th)
    m.grad(th)
    m.hessian(th)
    m.third(th, th)
    return m


def _sgd_grad(th: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return FX.m2.grad(th)


def _order_parameter(eta: np.ndarray) -> np.ndarray:
    return np.asarray(eta) - 0.5


# ----------------------------------------------------------------------------- core targets
#: bad continuation block sizes (None, the sequential sweep, and integers >= 2 are valid)
BLOCK_BAD = S.kind(
    "block>=2 or None",
    (1, 0, -3, 2.5, "16", True, NAN, [16], 1 + 0j, OPAQUE),
    st.integers(max_value=1),
    st.floats(allow_nan=True).filter(lambda v: not float(v).is_integer()),
    st.text(max_size=3),
)


def _core_targets() -> Iterator[Target]:
    C = "toymodels."
    model_src, maps_src = "toymodels/model.py", "toymodels/maps.py"
    dyn_src, cyc_src = "toymodels/dynamics.py", "toymodels/cycles.py"
    bif_src, phase_src = "toymodels/bifurcations.py", "toymodels/phases.py"
    lyap_src = "toymodels/lyapunov.py"
    spec_src, sweep_src = "toymodels/spectrum.py", "toymodels/sweep.py"
    model_p = p(NOT_A_MODEL, [FX_MAP_PLACEHOLDER], names=("model",))

    # -- Model.from_sympy
    yield Target(
        "tm.Model.from_sympy",
        model_src,
        C + "Model.from_sympy",
        lambda: (tm.Model.from_sympy, {"expr": "(x*y - 1)**2/2 + x**2/10", "params": ("x", "y")}),
        {
            "expr": p(S.expressions("x", "y"), names=("expr", "constants", "params")),
            "params": p(S.names_seq(("x", "y")), names=("params", "constants")),
            "name": p(OPTIONAL_LABEL),
            "allow_nonsmooth": p(S.FLAG),
            "citation": p(S.LABEL, [None]),
        },
    )
    yield Target(
        "tm.Model.from_sympy[constants]",
        model_src,
        C + "Model.from_sympy",
        lambda: (
            tm.Model.from_sympy,
            {"expr": "a*x**2 + b*x", "params": ("x",), "constants": {"a": 1.0, "b": 0.5}},
        ),
        {
            "constants": p(
                S.CONSTANTS, [{}, {"a": 1.0}, {"a": 1.0, "b": 0.5, "x": 1.0}], names=("constants",)
            )
        },
    )
    # -- Model.from_numpy (construction, then one use at a batch with B == p)
    wrong_loss = S.bad_fns(
        ("returns θ itself, shape (..., p)", lambda th: np.asarray(th)),
        ("returns a scalar for a batch", lambda th: 0.5),
        ("returns strings", lambda th: np.full(np.shape(th)[:-1], "a")),
        ("returns None", lambda th: None),
    )
    wrong_grad = S.bad_fns(
        ("returns shape (...,) instead of (..., p)", lambda th: np.sum(th, axis=-1)),
        ("returns a scalar", lambda th: 1.0),
        ("returns shape (..., p+1)", lambda th: np.concatenate([th, th[..., :1]], axis=-1)),
        ("returns shape (p,) for any batch", lambda th: np.ones(2)),
        ("returns None", lambda th: None),
    )
    wrong_hess = S.bad_fns(
        ("returns shape (..., p)", lambda th: np.asarray(th)),
        ("returns a scalar", lambda th: 1.0),
        ("returns (p, p) for any batch", lambda th: np.eye(2)),
        ("returns None", lambda th: None),
    )
    wrong_third = S.kind(
        "bad third",
        (
            3,
            "f",
            OPAQUE,
            BadFn(lambda th, u: np.sum(th, axis=-1), "returns shape (...,) instead of (..., p)"),
            BadFn(lambda th, u: 1.0, "returns a scalar"),
            BadFn(lambda th, u: np.ones(2), "returns shape (p,) for any batch"),
            BadFn(lambda th, u: None, "returns None"),
        ),
        st.integers(),
    )
    yield Target(
        "tm.Model.from_numpy",
        model_src,
        C + "Model.from_numpy",
        lambda: (
            _from_numpy_and_use,
            {
                "params": ("x", "y"),
                "loss": _quad_loss,
                "grad": _quad_grad,
                "hessian": _quad_hess,
                "third": _quad_third,
            },
        ),
        {
            "params": p(
                S.kind(
                    "names",
                    ((), ("x", "x"), None, 3, [None, "y"], [1.5, "y"], ["", "y"], ("x", "1y")),
                    st.integers(),
                )
            ),
            "loss": p(wrong_loss),
            "grad": p(wrong_grad),
            "hessian": p(wrong_hess),
            "third": p(wrong_third),
            "expr": p([3, OPAQUE, [1], "x +* y", NAN]),
            "name": p(OPTIONAL_LABEL),
            "citation": p(S.LABEL, [None]),
        },
    )
    # -- Model methods
    for meth in ("loss", "grad", "hessian"):
        yield Target(
            f"tm.Model.{meth}",
            model_src,
            C + f"Model.{meth}",
            lambda meth=meth: (getattr(FX.m2, meth), {"theta": [0.5, 0.5]}),
            {"theta": p(THETA2)},
        )
    yield Target(
        "tm.Model.third",
        model_src,
        C + "Model.third",
        lambda: (FX.m2.third, {"theta": [0.5, 0.5], "u": [1.0, 0.0]}),
        {"theta": p(THETA2), "u": p(THETA2)},
    )
    yield Target(
        "tm.Model.grad_components",
        model_src,
        C + "Model.grad_components",
        lambda: (
            lambda components: FX.m2.grad_components(*components),
            {"components": (np.array([0.5]), np.array([0.5]))},
        ),
        {
            "components": p(
                [
                    (np.array([0.5]),),
                    (np.array([0.5]),) * 3,
                    ("a", "b"),
                    (None, None),
                    (np.array([0.5]), np.array([[0.5], [0.5], [0.1]]).T),
                    (np.array([0.5]), np.array([0.5, 0.1])),
                    (np.ones(2), np.ones(3)),
                    (True, 0.5),
                    (0.5, 1 + 2j),
                    (np.array([0.5]), np.array(["0.5"])),
                    (),
                ],
                lenient=(BROADCAST_COMPONENTS,),
            )
        },
    )
    # -- Map.from_sympy
    map_params: dict[str, P] = {
        "exprs": p(S.expressions("x", "r"), names=("exprs", "constants", "param", "state")),
        "state": p(
            [None, 3, [], ["x", "x"], "1x", [None], OPAQUE, ["x", "y"], ""],
            names=("state", "exprs"),
        ),
        "param": p(["q", "x", 3, ["r"], "", OPAQUE, sp.Symbol("q")], names=("param", "constants")),
        "value": p(ARRAY_NOT_NONE, names=("value", "r")),
        "constants": p(S.CONSTANTS, [{"r": 1.0}, {"x": 1.0}]),
        "name": p(OPTIONAL_LABEL),
    }
    if "allow_nonsmooth" in inspect.signature(tm.Map.from_sympy).parameters:
        map_params["allow_nonsmooth"] = p(S.FLAG)
    yield Target(
        "tm.Map.from_sympy",
        maps_src,
        C + "Map.from_sympy",
        lambda: (
            tm.Map.from_sympy,
            {"exprs": "r*x*(1 - x)", "state": "x", "param": "r", "value": 3.2},
        ),
        map_params,
    )
    # -- Map methods (2-D Hénon map and the 1-D logistic map)
    for label, fx, st_kind, x0 in (
        ("", "henon", S.evaluation(STATE2), [0.1, 0.1]),
        ("[1-D]", "F32", S.evaluation(STATE1), 0.3),
    ):
        yield Target(
            f"tm.Map.__call__{label}",
            maps_src,
            C + "Map.__call__",
            lambda fx=fx, x0=x0: (lambda x: getattr(FX, fx)(x), {"x": x0}),
            {"x": p(st_kind, names=("x", "state"))},
        )
        yield Target(
            f"tm.Map.jacobian{label}",
            maps_src,
            C + "Map.jacobian",
            lambda fx=fx, x0=x0: (getattr(FX, fx).jacobian, {"x": x0}),
            {"x": p(st_kind, names=("x", "state"))},
        )
        yield Target(
            f"tm.Map.iterate{label}",
            maps_src,
            C + "Map.iterate",
            lambda fx=fx, x0=x0: (getattr(FX, fx).iterate, {"x": x0, "n": 3}),
            {
                "x": p(st_kind, names=("x", "state")),
                "n": p(S.COUNT0),
                "backend": p(S.option("numpy", "numba", "auto")),
            },
        )
        yield Target(
            f"tm.Map.orbit_jacobian{label}",
            maps_src,
            C + "Map.orbit_jacobian",
            lambda fx=fx, x0=x0: (getattr(FX, fx).orbit_jacobian, {"x": x0, "k": 2}),
            {"x": p(st_kind, names=("x", "state")), "k": p(S.COUNT)},
        )
        yield Target(
            f"tm.Map.state{label}",
            maps_src,
            C + "Map.state",
            lambda fx=fx, x0=x0: (getattr(FX, fx).state, {"x": x0}),
            {"x": p(st_kind, names=("x", "state"))},
        )
    # -- MapFamily
    yield Target(
        "tm.MapFamily.__call__",
        maps_src,
        C + "MapFamily.__call__",
        lambda: (lambda value: FX.logistic(value), {"value": 3.2}),
        {"value": p(S.ARRAY, names=("value", "r"))},
    )
    yield Target(
        "tm.MapFamily.dfdp",
        maps_src,
        C + "MapFamily.dfdp",
        lambda: (FX.logistic.dfdp, {"state": 0.3, "p": 3.2}),
        # a pure evaluation, like Map.__call__ (same state helper): NaN/inf and empty batches
        # of states are lenient; p is checked by the family's check_params
        {"state": p(S.evaluation(STATE1)), "p": p(S.ARRAY, names=("p", "r"))},
    )
    if hasattr(tm.MapFamily, "check_params"):
        yield Target(
            "tm.MapFamily.check_params",
            maps_src,
            C + "MapFamily.check_params",
            lambda: (FX.logistic.check_params, {"values": [3.0, 3.2]}),
            {"values": p(S.ARRAY, names=("values", "param", "r"))},
        )
        yield Target(
            "tm.MapFamily.check_params[GD family]",
            maps_src,
            C + "MapFamily.check_params",
            lambda: (FX.gd_fam.check_params, {"values": [0.1, 0.2]}),
            {"values": p(POS_VALUES, names=("values", "param", "eta"))},
        )
    yield Target(
        "tm.gd_family(model)(eta)",
        maps_src,
        C + "MapFamily.__call__",
        lambda: (lambda value: FX.gd_fam(value), {"value": 0.1}),
        {"value": p(POS_VALUES, names=("value", "eta"))},
    )
    yield Target(
        "tm.gd_map",
        maps_src,
        C + "gd_map",
        lambda: (tm.gd_map, {"model": FX.m2, "eta": 0.1}),
        {"model": model_p, "eta": p(POS_VALUES)},
    )
    yield Target(
        "tm.gd_family",
        maps_src,
        C + "gd_family",
        lambda: (tm.gd_family, {"model": FX.m2}),
        {"model": model_p},
    )
    # -- dynamics
    yield Target(
        "tm.gd",
        dyn_src,
        C + "gd",
        lambda: (tm.gd, {"model": FX.m2, "theta0": [1.0, 1.0], "eta": 0.1, "steps": 3}),
        {
            "per_parameter": p(S.FLAG),
            "model": model_p,
            "theta0": p(S.with_huge(S.theta(2))),
            "eta": p(S.STEP),
            "steps": p(S.COUNT0, S.HUGE_COUNT, names=("steps", "record_every")),
            "record_every": p(S.COUNT0),
            "paired": p(S.FLAG),
            "bound": p(S.POSITIVE),
            "check_every": p(S.COUNT),
            "backend": p(S.option("numpy", "numba", "auto")),
            "callback": p(CALLBACK),
        },
    )
    yield Target(
        "tm.gd[long run]",
        dyn_src,
        C + "gd",
        lambda: (
            tm.gd,
            {
                "model": FX.m2,
                "theta0": [1.0, 1.0],
                "eta": 0.1,
                "steps": 2_000_000,
                "record_every": 0,
            },
        ),
        {
            "bound": p(S.POSITIVE),
            "check_every": p(S.COUNT),
            "paired": p(S.FLAG),
            "backend": p(S.option("numpy", "numba", "auto")),
        },
        heavy=True,
    )
    bad_batch_grad = S.bad_fns(
        ("returns a scalar", lambda th, idx: 0.1),
        ("returns shape (M,) instead of (M, p)", lambda th, idx: np.sum(th, axis=-1)),
        ("returns shape (p,) for any batch", lambda th, idx: np.ones(2)),
        ("returns shape (M, p+1)", lambda th, idx: np.concatenate([th, th[..., :1]], -1)),
        ("returns None", lambda th, idx: None),
        ("returns strings", lambda th, idx: np.full(np.shape(th), "a")),
    )
    sgd_base = {
        "batch_grad": _sgd_grad,
        "theta0": [1.0, 1.0],
        "eta": [0.1, 0.2],
        "steps": 3,
        "n_samples": 4,
        "batch_size": 2,
    }
    yield Target(
        "tm.sgd",
        dyn_src,
        C + "sgd",
        lambda: (tm.sgd, {**sgd_base, "model": FX.m2}),
        {
            "model": model_p,
            "batch_grad": p(bad_batch_grad),
            "theta0": p(S.with_huge(S.theta(2))),
            "eta": p(S.STEP),
            "steps": p(S.COUNT0, S.HUGE_COUNT, names=("steps", "record_every")),
            "n_samples": p(S.COUNT),
            "batch_size": p(S.COUNT),
            "record_every": p(S.COUNT0),
            "seed": p(S.SGD_SEED),
            "replace": p(S.FLAG),
            "bound": p(S.POSITIVE),
            "check_every": p(S.COUNT),
            "callback": p(CALLBACK),
        },
    )
    yield Target(
        "tm.sgd[without replacement]",
        dyn_src,
        C + "sgd",
        lambda: (tm.sgd, {**sgd_base, "model": FX.m2, "replace": False}),
        {"batch_size": p([5, 100], names=("batch_size", "n_samples"))},
    )
    yield Target(
        "tm.iterate",
        dyn_src,
        C + "iterate",
        lambda: (tm.iterate, {"F": FX.henon, "state0": [0.1, 0.1], "steps": 3}),
        {
            "backend": p(S.option("numpy", "numba", "auto")),
            "F": p(NOT_A_MAP, [FX_FAMILY_PLACEHOLDER], names=("F",)),
            "state0": p(STATE2),
            "steps": p(S.COUNT0, S.HUGE_COUNT, names=("steps", "record_every")),
            "record_every": p(S.COUNT0),
            "bound": p(S.POSITIVE),
            "check_every": p(S.COUNT),
            "callback": p(CALLBACK),
        },
    )
    t_eval_bad = S.kind(
        "t_eval",
        (*[v for v in S.ARRAY.catalogue if v is not None], [], [0.5, 0.2], [0.0, 2.0], [[0.5]]),
        st.lists(st.floats(1.01, 10.0), min_size=1, max_size=3),
    )
    yield Target(
        "tm.gradient_flow",
        dyn_src,
        C + "gradient_flow",
        lambda: (
            tm.gradient_flow,
            {"model": FX.m2, "theta0": [1.0, 1.0], "t_end": 1.0, "n_points": 5},
        ),
        {
            "model": model_p,
            "theta0": p(S.with_huge(S.theta(2))),
            "t_end": p(S.POSITIVE),
            "n_points": p(S.COUNT, S.HUGE_COUNT, lenient=(N_POINTS_DEFAULT,)),
            "t_eval": p(t_eval_bad),
            "method": p(S.option("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")),
            "rtol": p(S.POSITIVE),
            "atol": p(S.POSITIVE),
            "bound": p(S.POSITIVE),
        },
    )
    # -- orbits
    map_p = p(NOT_A_MAP, [FX_FAMILY_PLACEHOLDER], names=("F",))
    yield Target(
        "tm.period",
        cyc_src,
        C + "period",
        lambda: (tm.period, {"F": FX.F32, "state0": 0.3, "burn_in": 50, "max_period": 8}),
        {
            "backend": p(S.option("numpy", "numba", "auto")),
            "F": map_p,
            "state0": p(STATE1),
            "burn_in": p(S.COUNT0),
            "max_period": p(S.COUNT, S.HUGE_COUNT),
            "tol": p(S.POSITIVE),
            "bound": p(S.POSITIVE),
        },
    )
    yield Target(
        "tm.period[long burn-in]",
        cyc_src,
        C + "period",
        lambda: (tm.period, {"F": FX.F32, "state0": 0.3, "burn_in": 3_000_000, "max_period": 8}),
        {"max_period": p(S.COUNT), "tol": p(S.POSITIVE), "bound": p(S.POSITIVE)},
        heavy=True,
    )
    yield Target(
        "tm.find_cycle",
        cyc_src,
        C + "find_cycle",
        lambda: (tm.find_cycle, {"F": FX.F32, "guess": 0.5, "k": 2}),
        {
            "F": map_p,
            "guess": p(STATE1),
            "k": p(S.COUNT, S.HUGE_COUNT),
            "tol": p(S.POSITIVE),
            "maxiter": p(S.COUNT),
            **_maybe(tm.find_cycle, max_seconds=p(POS_NOT_NONE), stability_margin=p(MARGIN)),
        },
    )
    yield Target(
        "tm.find_cycle[2-D]",
        cyc_src,
        C + "find_cycle",
        lambda: (tm.find_cycle, {"F": FX.henon, "guess": [0.6, 0.2], "k": 1}),
        {"guess": p(STATE2)},
    )
    yield Target(
        "tm.lyapunov_exponent",
        lyap_src,
        C + "lyapunov_exponent",
        lambda: (tm.lyapunov_exponent, {"F": FX.F32, "state0": 0.3, "steps": 50, "burn_in": 10}),
        {
            "backend": p(S.option("numpy", "numba", "auto")),
            "F": map_p,
            "state0": p(STATE1),
            "steps": p(S.COUNT),
            "burn_in": p(S.COUNT0),
            "return_result": p(S.FLAG),
            "bound": p(S.POSITIVE),
        },
    )
    yield Target(
        "tm.lyapunov_exponent[long burn-in]",
        lyap_src,
        C + "lyapunov_exponent",
        lambda: (
            tm.lyapunov_exponent,
            {"F": FX.F32, "state0": 0.3, "steps": 50, "burn_in": 3_000_000},
        ),
        {"steps": p(S.COUNT), "return_result": p(S.FLAG), "bound": p(S.POSITIVE)},
        heavy=True,
    )
    pdp_base = {"state0": 0.5, "param_range": (2.8, 3.5), "max_doublings": 2}
    pdp_base |= {"burn_in": 200, "max_period": 8}
    yield Target(
        "tm.period_doubling_points",
        bif_src,
        C + "period_doubling_points",
        lambda: (tm.period_doubling_points, {**pdp_base, "family": FX.logistic}),
        {
            "family": p(NOT_A_FAMILY, [FX_MAP_PLACEHOLDER], names=("family",)),
            "state0": p(STATE1),
            "param_range": p(S.RANGE2),
            "max_doublings": p(S.COUNT),
            "burn_in": p(S.COUNT0),
            "max_period": p(S.COUNT),
            "return_details": p(S.FLAG),
            **_maybe(tm.period_doubling_points, max_seconds=p(POS_NOT_NONE)),
        },
    )
    gd_range_bad = S.kind(
        "GD step-size range",
        ((-1.0, 0.5), (0.0, 0.5), (-5e15, 0.5), (0.5, -1.0), (0.5, 0.0)),
        st.tuples(st.floats(max_value=0.0, allow_nan=False), st.floats(0.1, 1.0)),
    )
    yield Target(
        "tm.period_doubling_points[GD family]",
        bif_src,
        C + "period_doubling_points",
        lambda: (
            tm.period_doubling_points,
            {**pdp_base, "family": FX.q1, "state0": 1.2, "param_range": (0.5, 0.9)},
        ),
        {"param_range": p(gd_range_bad, names=("param_range", "eta"))},
    )
    yield Target(
        "tm.saddle_node_points",
        bif_src,
        C + "saddle_node_points",
        lambda: (
            tm.saddle_node_points,
            {
                "family": FX.logistic,
                "state0": 0.5,
                "param": 3.835,
                "towards": 3.82,
                "burn_in": 500,
                "max_period": 8,
            },
        ),
        {
            "family": p(NOT_A_FAMILY, [FX_MAP_PLACEHOLDER], names=("family",)),
            "state0": p(STATE1),
            "param": p(S.REAL),
            "towards": p(S.REAL, [3.835], names=("towards", "param")),
            "burn_in": p(S.COUNT0),
            "max_period": p(S.COUNT),
            "return_details": p(S.FLAG),
            **_maybe(tm.saddle_node_points, max_seconds=p(POS_NOT_NONE)),
        },
    )
    params_bad = S.kind(
        "parameter grid",
        (
            *[v for v in S.ARRAY.catalogue],
            [],
            np.array([]),
            [[3.0, 3.1]],
            3.0,
            [3.0, NAN],
        ),
        S.ARRAY.strategy,
    )
    yield Target(
        "tm.bifurcation_diagram",
        bif_src,
        C + "bifurcation_diagram",
        lambda: (
            tm.bifurcation_diagram,
            {
                "family": FX.logistic,
                "params": [3.0, 3.2],
                "state0": 0.3,
                "burn_in": 20,
                "keep": 5,
            },
        ),
        {
            "family": p(NOT_A_FAMILY, [FX_MAP_PLACEHOLDER], names=("family",)),
            "params": p(params_bad),
            "state0": p(STATE1),
            "burn_in": p(S.COUNT0),
            "keep": p(S.COUNT, S.HUGE_COUNT),
            "seeding": p(S.option("fixed", "continuation")),
            "block": p(BLOCK_BAD),
            "backend": p(S.option("numpy", "numba", "auto")),
            "bound": p(S.POSITIVE),
            "progress": p(S.FLAG),
            **_maybe(tm.bifurcation_diagram, max_seconds=p(POS_NOT_NONE)),
        },
    )
    yield Target(
        "tm.continuation_seeds",
        bif_src,
        C + "continuation_seeds",
        lambda: (tm.continuation_seeds, {"n": 40, "block": 4}),
        {"n": p(S.COUNT, S.HUGE_COUNT), "block": p(BLOCK_BAD)},
    )
    yield Target(
        "tm.bifurcation_diagram[GD family]",
        bif_src,
        C + "bifurcation_diagram",
        lambda: (
            tm.bifurcation_diagram,
            {"family": FX.q1, "params": [0.1, 0.2], "state0": 1.2, "burn_in": 20, "keep": 5},
        ),
        {
            "params": p(
                [[-1.0, 0.0, 0.5], [0.0, 0.5], [-5e15], [0.1, -0.1]],
                names=("params", "eta"),
            )
        },
    )
    cl_base = {"state0": 0.3, "burn_in": 50, "max_period": 8, "lyapunov_steps": 50}
    yield Target(
        "tm.classify",
        phase_src,
        C + "classify",
        lambda: (tm.classify, {**cl_base, "F": FX.F32}),
        {
            "backend": p(S.option("numpy", "numba", "auto")),
            "F": p(NOT_A_MAP, [FX_FAMILY_PLACEHOLDER], names=("F",)),
            "state0": p(STATE1),
            "burn_in": p(S.COUNT0),
            "max_period": p(S.COUNT),
            "tol": p(S.POSITIVE),
            "lyapunov_steps": p(S.COUNT),
            "chaos_threshold": p(S.REAL),
            "bound": p(S.POSITIVE),
            **_maybe(tm.classify, max_seconds=p(POS_NOT_NONE)),
        },
    )
    yield Target(
        "tm.classify[GD]",
        phase_src,
        C + "classify",
        lambda: (tm.classify, {**cl_base, "F": FX.m2, "state0": [1.0, 1.0], "eta": 0.1}),
        {"state0": p(STATE2), "eta": p(S.STEP), "paired": p(S.FLAG)},
    )
    yield Target(
        "tm.classify[long burn-in]",
        phase_src,
        C + "classify",
        lambda: (tm.classify, {**cl_base, "F": FX.F32, "burn_in": 3_000_000}),
        {
            "max_period": p(S.COUNT),
            "tol": p(S.POSITIVE),
            "lyapunov_steps": p(S.COUNT),
            "chaos_threshold": p(S.REAL),
            "bound": p(S.POSITIVE),
        },
        heavy=True,
    )
    # -- spectrum
    for fn in ("sharpness", "hessian_eigenvalues", "top_eigenvector", "sharpness_gradient"):
        yield Target(
            f"tm.{fn}",
            spec_src,
            C + fn,
            lambda fn=fn: (getattr(tm, fn), {"model": FX.m2, "theta": [0.5, 0.5]}),
            {"model": model_p, "theta": p(THETA2)},
        )
    # -- sweep
    bad_op = S.bad_fns(
        ("returns a scalar", lambda eta: 0.3),
        ("returns one value too few", lambda eta: np.asarray(eta)[:-1] - 0.5),
        ("returns strings", lambda eta: np.full(np.shape(eta), "a")),
        ("returns None", lambda eta: None),
        ("returns a 2-D array", lambda eta: np.stack([eta, eta]) - 0.5),
    )
    yield Target(
        "tm.locate_transition",
        sweep_src,
        C + "locate_transition",
        lambda: (
            tm.locate_transition,
            {"order_parameter": _order_parameter, "lo": 0.1, "hi": 1.0, "points": 5, "rounds": 2},
        ),
        {
            "order_parameter": p(bad_op),
            "lo": p(S.REAL, [2.0, 1.0], names=("lo", "hi")),
            "hi": p(S.REAL, [0.1, 0.05], names=("hi", "lo")),
            "level": p(S.REAL),
            "points": p(S.COUNT, [1, 2]),
            "rounds": p(S.COUNT),
            "progress": p(S.FLAG),
            "vectorized": p(S.FLAG),
        },
    )


class _Deferred:
    """A bad value that is a fixture (a Map where a Model is expected, ...), built on use."""

    def __init__(self, attr: str, label: str) -> None:
        self.attr, self.label = attr, label

    def __repr__(self) -> str:
        return f"<{self.label}>"


# placeholders resolved by ``resolve`` when a case runs (fixtures are built lazily)
FX_MAP_PLACEHOLDER = _Deferred("F32", "a Map (logistic map at r=3.2)")
FX_FAMILY_PLACEHOLDER = _Deferred("logistic", "a MapFamily (logistic family)")


def resolve(value: Any) -> Any:
    return getattr(FX, value.attr) if isinstance(value, _Deferred) else value


# ----------------------------------------------------------------------------- model families
def _fam(
    mod: str,
    label: str,
    make: Callable[[], tuple[Callable[..., Any], dict[str, Any]]],
    params: dict[str, P],
    covers: str | None = None,
) -> Target:
    return Target(
        f"models.{mod}.{label}",
        f"toymodels/models/{mod}.py",
        covers or f"toymodels.models.{mod}.{label}",
        make,
        params,
    )


def _fn(mod: str, name: str) -> Callable[..., Any]:
    return getattr(FX.mod(mod), name)


def _meth(key: str, name: str) -> Callable[..., Any]:
    return getattr(_m(key), name)


def _family_targets() -> Iterator[Target]:
    R, POS, NN, CNT, CNT0 = S.REAL, S.POSITIVE, S.NONNEG, S.COUNT, S.COUNT0
    SEED, FLAG = S.SEED, S.FLAG
    th = S.theta  # theta(p, model=True): NaN / huge finite are lenient
    U2, V2 = sp.symbols("u0:2"), sp.symbols("v0:2")

    # ------------------------------------------------------------------ two_layer_linear
    tl = "two_layer_linear"
    yield _fam(
        tl,
        "wide_linear_loss_expr",
        lambda: (_fn(tl, "wide_linear_loss_expr"), {"u": U2, "v": V2, "y": 0}),
        {"u": p(SEQ, [[]]), "v": p(SEQ, [sp.symbols("v0:3")], names=("v", "u")), "y": p(R)},
    )
    yield _fam(
        tl,
        "depth2_loss_expr",
        lambda: (_fn(tl, "depth2_loss_expr"), {"a": U2, "b": V2, "Phi": 1}),
        {"a": p(SEQ, [[]]), "b": p(SEQ, [sp.symbols("v0:3")], names=("b", "a")), "Phi": p(R)},
    )
    yield _fam(tl, "uv_model", lambda: (_fn(tl, "uv_model"), {"y": 1.0}), {"y": p(R)})
    yield _fam(
        tl, "balanced_line_map", lambda: (_fn(tl, "balanced_line_map"), {"y": 1.0}), {"y": p(R)}
    )
    yield _fam(
        tl,
        "WideLinearNet",
        lambda: (_fn(tl, "WideLinearNet"), {"n": 3, "y": 0.0}),
        {"n": p(CNT), "y": p(R)},
    )
    for m in ("split", "f", "ntk"):
        yield _fam(
            tl,
            f"WideLinearNet.{m}",
            lambda m=m: (_meth("WN", m), {"theta": np.full(6, 0.5)}),
            {"theta": p(th(6, model=True))},
        )
    yield _fam(
        tl, "WideLinearNet.init", lambda: (_meth("WN", "init"), {"seed": 0}), {"seed": p(SEED)}
    )
    yield _fam(
        tl,
        "WideLinearNet.init_with",
        lambda: (_meth("WN", "init_with"), {"eta_lambda0": 1.5, "seed": 0}),
        {"eta_lambda0": p(POS), "seed": p(SEED)},
    )
    yield _fam(
        tl,
        "Depth2Linear",
        lambda: (_fn(tl, "Depth2Linear"), {"d": 2, "Phi": 1.0}),
        {"d": p(CNT), "Phi": p(R)},
    )
    for m in ("split", "residual", "imbalance", "norm", "K", "gfs_sharpness"):
        yield _fam(
            tl,
            f"Depth2Linear.{m}",
            lambda m=m: (_meth("D2", m), {"theta": np.full(4, 0.5)}),
            {"theta": p(th(4, model=True))},
        )
    # ------------------------------------------------------------------ scalar_net
    sn = "scalar_net"
    yield _fam(
        sn,
        "scalar_net_loss_expr",
        lambda: (_fn(sn, "scalar_net_loss_expr"), {"w": sp.symbols("w0:3"), "y": 1}),
        {"w": p(SEQ, [[]]), "y": p(R)},
    )
    yield _fam(
        sn,
        "ScalarNet",
        lambda: (_fn(sn, "ScalarNet"), {"depth": 3, "y": 1.0}),
        {"depth": p(CNT, [1]), "y": p(R, [0.0])},
    )
    for m in ("residual", "balances", "minimum_sharpness", "gf_shift", "gf_solution"):
        yield _fam(
            sn,
            f"ScalarNet.{m}",
            lambda m=m: (_meth("SN", m), {"w": [1.0, 2.0, 0.5]}),
            {"w": p(th(3, model=True))},
        )
    yield _fam(
        sn,
        "ScalarNet.gfs_sharpness",
        lambda: (_meth("SN", "gfs_sharpness"), {"w": [1.0, 2.0, 0.5]}),
        {"w": p(th(3, model=True))},
    )
    # ------------------------------------------------------------------ deep_linear
    dl = "deep_linear"
    # singular values: a zero or an unsorted order is valid (a low-rank target, brief §D.4;
    # column i of U belongs to s_i), a negative value or a matrix is not
    sv_bad = S.ARRAY.plus([[1, 2], [3, 4]], [], [-1.0, 2.0], 3.0)
    yield _fam(
        dl,
        "symmetric_target",
        lambda: (_fn(dl, "symmetric_target"), {"s": [2.0, 1.0], "seed": 0}),
        {"s": p(sv_bad), "seed": p(SEED)},
    )
    yield _fam(
        dl,
        "balanced_line_expr",
        lambda: (_fn(dl, "balanced_line_expr"), {"depth": 3}),
        {"depth": p(CNT)},
    )
    yield _fam(
        dl,
        "balanced_line_family",
        lambda: (_fn(dl, "balanced_line_family"), {"depth": 3}),
        {"depth": p(CNT)},
    )
    yield _fam(
        dl,
        "balanced_minimum_eigenvalue_exprs",
        lambda: (_fn(dl, "balanced_minimum_eigenvalue_exprs"), {"s": [2.0, 1.0], "depth": 3}),
        {
            "s": p(SEQ, [[], [-1.0], [NAN], ["a"], [sp.Integer(-2)], [sp.I]]),
            "depth": p(CNT),
        },
    )
    W_MATS = [sp.Matrix(2, 2, lambda a, b, l=l: sp.Symbol(f"W{l}_{a}_{b}")) for l in range(2)]
    yield _fam(
        dl,
        "deep_linear_loss_expr",
        lambda: (_fn(dl, "deep_linear_loss_expr"), {"layers": W_MATS, "target": sp.eye(2)}),
        {
            "layers": p(SEQ, [[], [[1, 2]], [W_MATS[0], sp.eye(3)], [sp.Matrix([[1, 2]])]]),
            "target": p([sp.eye(3), "a", None, [[NAN, 0], [0, 1]], [1.0, 2.0], OPAQUE]),
        },
    )
    yield _fam(
        dl,
        "balanced_minimum_spectrum",
        lambda: (_fn(dl, "balanced_minimum_spectrum"), {"s": [2.0, 1.0], "depth": 2}),
        {"s": p(sv_bad), "depth": p(CNT)},
    )
    yield _fam(
        dl,
        "DeepLinear",
        lambda: (_fn(dl, "DeepLinear"), {"target": _m("M"), "depth": 2}),
        {
            "target": p(
                # any square target is valid (deep matrix factorisation; only the balanced-
                # minimum formulas need a symmetric one): non-square, empty and 1-D are not
                S.ARRAY,
                [[[1.0, 2.0]], [], np.zeros((0, 0)), [1.0, 2.0]],
            ),
            "depth": p(CNT),
        },
    )
    for m in ("layers", "product", "singular_values"):
        yield _fam(
            dl,
            f"DeepLinear.{m}",
            lambda m=m: (_meth("DL", m), {"theta": _m("TH_DL")}),
            {"theta": p(th(8, model=True))},
        )
    yield _fam(
        dl,
        "DeepLinear.flatten",
        lambda: (_meth("DL", "flatten"), {"W": np.zeros((2, 2, 2))}),
        {"W": p(S.ARRAY, [np.zeros((2, 2)), np.zeros((3, 2, 2)), np.zeros(8)])},
    )
    yield _fam(
        dl,
        "DeepLinear.svs_init",
        lambda: (_meth("DL", "svs_init"), {"scales": 1.0}),
        {"scales": p(S.ARRAY, [[1.0, 2.0, 3.0], np.ones((2, 2))])},
    )
    for m in ("rotated_layers", "off_diagonal", "direction_weights", "balance_gaps"):
        yield _fam(
            dl,
            f"DeepLinear.{m}",
            lambda m=m: (_meth("DL", m), {"theta": _m("TH_DL"), "U": _m("U")}),
            {
                "theta": p(th(8, model=True)),
                "U": p(S.ARRAY, [np.eye(3), np.ones(2), np.ones((2, 2, 2))]),
            },
        )
    # ------------------------------------------------------------------ diagonal_linear
    dg = "diagonal_linear"
    yield _fam(
        dg,
        "diagonal_linear_loss_expr",
        lambda: (
            _fn(dg, "diagonal_linear_loss_expr"),
            {"X": sp.eye(2), "y": [1, 2], "u": U2, "v": V2},
        ),
        {
            "X": p([sp.eye(3), "a", None, [1.0, 2.0], [[NAN, 0.0], [0.0, 1.0]], OPAQUE]),
            "y": p(SEQ, [[]]),
            "u": p(SEQ, [[]]),
            "v": p(SEQ, [sp.symbols("v0:3")], names=("v", "u")),
        },
    )
    yield _fam(
        dg,
        "closed_form_expr",
        lambda: (_fn(dg, "closed_form_expr"), {"xs": [0.1, -0.2], "alpha": 0.5}),
        {"xs": p(SEQ, [[1.0], [-1], [NAN], ["a"], [True]]), "alpha": p(POS)},
    )
    yield _fam(
        dg,
        "sparse_regression",
        lambda: (_fn(dg, "sparse_regression"), {"n": 3, "d": 5, "s": 2, "seed": 0}),
        {"n": p(CNT), "d": p(CNT, names=("d", "s")), "s": p(CNT, [6]), "seed": p(SEED)},
    )
    yield _fam(
        dg,
        "hypentropy_interpolator",
        lambda: (
            _fn(dg, "hypentropy_interpolator"),
            {"X": _m("X_DG"), "y": _m("Y_DG"), "alpha2": 0.01},
        ),
        {
            "X": p(S.ARRAY, [np.ones(5), np.zeros((0, 5)), np.zeros((3, 5))]),
            "y": p(S.ARRAY, [np.ones(2), np.ones((3, 1))]),
            "alpha2": p(POS_ARRAY, [np.ones(4), np.ones((5, 5))]),
        },
    )
    yield _fam(
        dg,
        "DiagonalLinear",
        lambda: (_fn(dg, "DiagonalLinear"), {"X": _m("X_DG"), "y": _m("Y_DG"), "alpha": 0.1}),
        {
            "X": p(S.ARRAY, [np.ones(5), np.zeros((0, 5)), np.zeros((3, 0))]),
            "y": p(S.ARRAY, [np.ones(2)]),
            "alpha": p(POS),
        },
    )
    for m in ("split", "beta", "effective_alpha2"):
        yield _fam(
            dg,
            f"DiagonalLinear.{m}",
            lambda m=m: (_meth("DG", m), {"theta": _m("TH_DG")}),
            {"theta": p(th(10, model=True))},
        )
    idx_bad = ["a", True, [0.5], [-1], [3], [], [[0, 1]], np.array([0.0, 1.0]), OPAQUE]
    yield _fam(
        dg,
        "DiagonalLinear.beta_gradient",
        lambda: (_meth("DG", "beta_gradient"), {"theta": _m("TH_DG"), "idx": np.array([0, 2])}),
        {"theta": p(th(10, model=True)), "idx": p(idx_bad)},
    )
    yield _fam(
        dg,
        "DiagonalLinear.batch_grad",
        lambda: (_meth("DG", "batch_grad"), {"theta": _m("TH_DG"), "idx": np.array([0, 2])}),
        {"theta": p(th(10, model=True)), "idx": p([*idx_bad, None])},
    )
    yield _fam(
        dg,
        "DiagonalLinear.closed_form",
        lambda: (_meth("DG", "closed_form"), {"gammas_g": np.full((2, 5), 0.1)}),
        {"gammas_g": p(S.ARRAY, [np.full((2, 4), 0.1), np.full((1, 5), 1.0), np.zeros((1, 1, 5))])},
    )
    yield _fam(
        dg,
        "DiagonalLinear.interpolator_sharpness",
        lambda: (_meth("DG", "interpolator_sharpness"), {"beta": np.zeros(5), "alpha2": 0.01}),
        {
            "beta": p(S.ARRAY, [np.zeros(4), 0.0]),
            "alpha2": p(S.ARRAY, [np.ones(4), np.ones((5, 2))]),
        },
    )
    # ------------------------------------------------------------------ quadratic_regression
    qr = "quadratic_regression"
    ROWS = [sp.Matrix([1, 0]), sp.Matrix([0, 1])]
    U_QR = sp.Matrix(2, 1, lambda i, j: sp.Symbol(f"U_{i}_{j}"))
    yield _fam(
        qr,
        "quadratic_regression_loss_expr",
        lambda: (
            _fn(qr, "quadratic_regression_loss_expr"),
            {"rows": ROWS, "y": [1, 2], "U": U_QR, "c": 1},
        ),
        {
            "rows": p(SEQ, [[], [sp.Matrix([1, 0, 0])] * 2, [[1, 0], [0, 1]]]),
            "y": p(SEQ, [[1]]),
            "U": p(["a", None, [[1.0], [2.0]], OPAQUE]),
            "c": p(R),
            "n": p(
                S.kind(
                    "count (None is the default)",
                    [c for c in CNT.catalogue if c is not None],
                    lenient=(S.INT_FLOAT,),
                )
            ),
        },
    )
    yield _fam(
        qr, "cubic_map", lambda: (_fn(qr, "cubic_map"), {"a": 0.5}), {"a": p(POS_ARRAY, [[]])}
    )
    yield _fam(
        qr,
        "two_cycle",
        lambda: (_fn(qr, "two_cycle"), {"a": 1.5}),
        {"a": p(S.ARRAY, [1.0, 0.5, [2.0, 0.9]])},
    )
    yield _fam(
        qr,
        "two_cycle_multiplier",
        lambda: (_fn(qr, "two_cycle_multiplier"), {"a": 1.5}),
        {"a": p(S.ARRAY)},
    )
    yield _fam(
        qr,
        "orthonormal_data",
        lambda: (_fn(qr, "orthonormal_data"), {"n": 2, "d": 4, "seed": 0}),
        {"n": p(CNT, [5], names=("n", "d")), "d": p(CNT, [1], names=("d", "n")), "seed": p(SEED)},
    )
    yield _fam(
        qr,
        "QuadraticRegression",
        lambda: (_fn(qr, "QuadraticRegression"), {"X": np.eye(2), "y": np.ones(2), "m": 1}),
        {
            "X": p(S.ARRAY, [np.ones(2), np.zeros((0, 2))]),
            "y": p(S.ARRAY, [np.ones(3), [1.0, 0.0], [1.0, -1.0]]),
            "m": p(CNT),
            "c": p(POS),
        },
    )
    yield _fam(
        qr,
        "QuadraticRegression.model_b",
        lambda: (
            _fn(qr, "QuadraticRegression").model_b,
            {"n": 2, "d": 4, "m": 2, "y": 1.0, "seed": 0},
        ),
        {
            "n": p(CNT, [5], names=("n", "d")),
            "d": p(CNT, [1], names=("d", "n")),
            "m": p(CNT),
            "y": p(POS_ARRAY, [[1.0, 2.0, 3.0], np.ones((2, 2))]),
            "seed": p(SEED),
        },
    )
    yield _fam(
        qr,
        "QuadraticRegression.a",
        lambda: (_meth("QR", "a"), {"eta": 0.5}),
        {"eta": p(POS_VALUES)},
    )
    yield _fam(
        qr,
        "QuadraticRegression.eta_for",
        lambda: (_meth("QR", "eta_for"), {"a": 0.5}),
        {"a": p(POS_ARRAY)},
    )
    for m in ("predictions", "z"):
        yield _fam(
            qr,
            f"QuadraticRegression.{m}",
            lambda m=m: (_meth("QR", m), {"theta": _m("TH_QR")}),
            {"theta": p(th(8, model=True))},
        )
    yield _fam(
        qr,
        "QuadraticRegression.init",
        lambda: (_meth("QR", "init"), {"scale": 0.1, "seed": 0}),
        {"scale": p(POS), "seed": p(SEED)},
    )
    yield _fam(
        qr,
        "NQM",
        lambda: (_fn(qr, "NQM"), {"x": [1.0, 2.0], "y": 0.5, "m": 3, "seed": 0}),
        {
            "x": p(S.ARRAY, [[], [[1.0, 2.0]], 1.0]),
            "y": p(R),
            "m": p(CNT),
            "seed": p(SEED),
        },
    )
    yield _fam(
        qr,
        "NQM.g_and_grad",
        lambda: (_meth("NQ", "g_and_grad"), {"du": np.zeros((4, 3)), "dv": np.zeros(4)}),
        {
            "du": p(S.ARRAY, [np.zeros((3, 4)), np.zeros(12)]),
            "dv": p(S.ARRAY, [np.zeros(3), 0.0]),
        },
    )
    for m in ("gd", "recursion"):
        yield _fam(
            qr,
            f"NQM.{m}",
            lambda m=m: (_meth("NQ", m), {"eta": [0.1, 0.2], "steps": 3}),
            {"eta": p(S.STEP), "steps": p(CNT)},
        )
    yield _fam(
        qr,
        "second_order_model",
        lambda: (_fn(qr, "second_order_model"), {"z0": 1.0, "J0": (1.0, 0.5), "q": 1.0}),
        {
            "z0": p(R),
            "J0": p(S.ARRAY, [(1.0,), (1.0, 2.0, 3.0), 1.0, np.ones((2, 2))]),
            "q": p(R),
        },
    )
    yield _fam(
        qr,
        "second_order_coordinates",
        lambda: (
            _fn(qr, "second_order_coordinates"),
            {"theta": [0.1, 0.2], "eta": 0.1, "z0": 1.0, "J0": (1.0, 0.5), "q": 1.0},
        ),
        {
            "theta": p(S.theta(2)),
            "eta": p(POS),
            "z0": p(R),
            "J0": p(S.ARRAY, [(1.0,), (1.0, 2.0, 3.0)]),
            "q": p(R, [0.0]),
        },
    )
    # ------------------------------------------------------------------ threshold_net
    tn = "threshold_net"
    P_RN = 10
    opt = S.option
    yield _fam(
        tn,
        "SparseCodingData",
        lambda: (_fn(tn, "SparseCodingData"), {"d": 3, "lam": 3.0, "noise": 1.0}),
        {"d": p(CNT), "lam": p(R), "noise": p(NN)},
    )
    yield _fam(
        tn,
        "SparseCodingData.sample",
        lambda: (_meth("DATA", "sample"), {"n": 4, "seed": 0}),
        {"n": p(CNT), "seed": p(SEED)},
    )
    yield _fam(
        tn,
        "ReluNet",
        lambda: (_fn(tn, "ReluNet"), {"d": 3, "m": 2, "variant": "plain"}),
        {
            "d": p(CNT),
            "m": p(CNT),
            "variant": p(opt("plain", "odd")),
            "second_layer": p(opt("trained", "frozen", "tied")),
            "train_w": p(FLAG),
            "biases": p(opt("trained", "tied")),
        },
    )
    yield _fam(
        tn,
        "ReluNet.split",
        lambda: (_meth("RN", "split"), {"theta": _m("TH_RN")}),
        {"theta": p(th(P_RN, model=True))},
    )
    yield _fam(
        tn,
        "ReluNet.join",
        lambda: (_meth("RN", "join"), {"W": np.zeros((2, 3)), "b": np.zeros(2), "a": np.ones(2)}),
        {
            "W": p(S.ARRAY, [np.zeros((3, 2)), np.zeros(6)]),
            "b": p(S.ARRAY, [np.zeros(3), 0.0]),
            "a": p(S.ARRAY, [np.zeros(3), [[1.0, 1.0, 1.0]]]),
        },
    )
    yield _fam(
        tn,
        "ReluNet.init",
        lambda: (_meth("RN", "init"), {"seed": 0}),
        {
            "seed": p(SEED),
            "w_scale": p(S.kind("nonneg, None ok", [v for v in NN.catalogue if v is not None])),
            "a_scale": p(S.kind("nonneg, None ok", [v for v in NN.catalogue if v is not None])),
            "bias": p(R),
            "a_signs": p(opt("random", "balanced", "positive", "paired")),
            "w_init": p(opt("gaussian", "identity")),
        },
    )
    X_bad = S.ARRAY.plus(np.zeros((4, 2)), np.zeros(3), np.zeros((0, 3)))
    for m in ("features", "output", "mean_direction", "mean_activation"):
        yield _fam(
            tn,
            f"ReluNet.{m}",
            lambda m=m: (_meth("RN", m), {"theta": _m("TH_RN"), "X": _m("X_TN")}),
            {"theta": p(th(P_RN, model=True)), "X": p(X_bad)},
        )
    y_bad = S.ARRAY.plus(np.ones(5), np.ones((6, 2)))
    Xy_bad = S.ARRAY.plus(np.zeros((6, 2)), np.zeros((0, 3)), np.zeros((5, 3)))
    for m in ("loss", "grad", "rayleigh_mean", "dense_hessian"):
        extra = {"eps": p(POS)} if m in ("rayleigh_mean", "dense_hessian") else {}
        yield _fam(
            tn,
            f"ReluNet.{m}",
            lambda m=m: (
                _meth("RN", m),
                {"theta": _m("TH_RN"), "X": _m("X_TN"), "y": _m("Y_TN")},
            ),
            {
                "theta": p(th(P_RN, model=True)),
                "X": p(Xy_bad, names=("X", "y")),
                "y": p(y_bad, names=("y", "X")),
                **extra,
            },
        )
    for m in ("hvp", "effective_hvp"):
        yield _fam(
            tn,
            f"ReluNet.{m}",
            lambda m=m: (
                _meth("RN", m),
                {"theta": _m("TH_RN"), "v": np.ones(P_RN), "X": _m("X_TN"), "y": _m("Y_TN")},
            ),
            {
                "theta": p(th(P_RN, model=True)),
                "v": p(S.theta(P_RN)),
                "X": p(Xy_bad, names=("X", "y")),
                "y": p(y_bad, names=("y", "X")),
                "eps": p(POS),
            },
        )
    yield _fam(
        tn,
        "ReluNet.top_eigenvalue",
        lambda: (
            _meth("RN", "top_eigenvalue"),
            {"theta": _m("TH_RN"), "X": _m("X_TN"), "y": _m("Y_TN"), "iters": 5},
        ),
        {
            "theta": p(S.theta(P_RN), [np.zeros((2, P_RN))]),
            "X": p(Xy_bad, names=("X", "y")),
            "y": p(y_bad, names=("y", "X")),
            "iters": p(CNT),
            "seed": p(SEED),
            "eps": p(POS),
        },
    )
    yield _fam(
        tn,
        "ReluNet.model",
        lambda: (_meth("RN", "model"), {"X": _m("X_TN"), "y": _m("Y_TN")}),
        {"X": p(Xy_bad, names=("X", "y")), "y": p(y_bad, names=("y", "X"))},
    )
    not_net = S.kind(
        "not a ReluNet", (None, "a", 3, OPAQUE, _Deferred("m2", "a Model")), st.integers()
    )
    yield _fam(
        tn,
        "train",
        lambda: (
            _fn(tn, "train"),
            {
                "net": _m("RN"),
                "X": _m("X_TN"),
                "y": _m("Y_TN"),
                "eta": [0.1],
                "steps": 2,
                "theta0": _m("TH_RN"),
            },
        ),
        {
            "net": p(not_net),
            "X": p(Xy_bad, names=("X", "y")),
            "y": p(y_bad, names=("y", "X")),
            "eta": p(S.STEP),
            "steps": p(CNT0, S.HUGE_COUNT, names=("steps", "record_every")),
            "theta0": p(S.theta(P_RN), [np.zeros((2, P_RN))]),
            "record_every": p(CNT),
            "bound": p(POS),
            "test": p(["a", 3, OPAQUE, (np.zeros((2, 3)),), (1, 2, 3)], names=("test", "X", "y")),
            "track_sharpness": p(FLAG),
        },
    )
    yield _fam(
        tn,
        "test_accuracy",
        lambda: (
            _fn(tn, "test_accuracy"),
            {"net": _m("RN"), "theta": _m("TH_RN"), "data": _m("DATA"), "n_test": 10, "seed": 1},
        ),
        {
            "net": p(not_net),
            "theta": p(S.theta(P_RN), lenient=(DIVERGED_ACCURACY,)),
            "data": p(["a", None, 3, OPAQUE, (np.zeros((2, 3)), np.zeros(2))]),
            "n_test": p(CNT),
            "seed": p(SEED),
        },
    )
    yield _fam(
        tn,
        "predicted_threshold",
        lambda: (
            _fn(tn, "predicted_threshold"),
            {
                "net": _m("RN"),
                "theta0": _m("TH_RN"),
                "X": _m("X_TN"),
                "y": _m("Y_TN"),
                "lanczos_iters": 3,
            },
        ),
        {
            "net": p(not_net),
            "theta0": p(S.theta(P_RN), [np.zeros((2, P_RN))]),
            "X": p(Xy_bad, names=("X", "y")),
            "y": p(y_bad, names=("y", "X")),
            "lanczos_iters": p(CNT0),
        },
    )
    yield _fam(
        tn,
        "fig1_setting",
        lambda: (_fn(tn, "fig1_setting"), {"seed": 0, "d": 4, "n": 10, "lam": 3.0}),
        {"seed": p(SEED), "d": p(CNT), "n": p(CNT), "lam": p(R)},
    )
    # ------------------------------------------------------------------ threshold_neuron
    tu = "threshold_neuron"
    yield _fam(
        tu,
        "overshoot_limit",
        lambda: (_fn(tu, "overshoot_limit"), {"r0": 1.5}),
        {"r0": p(S.ARRAY, [1.0, 0.5])},
    )
    yield _fam(
        tu,
        "ProductModel",
        lambda: (_fn(tu, "ProductModel"), {"loss": "square"}),
        {"loss": p(opt("logistic_sym", "square", "logcosh", "sqrt"))},
    )
    yield _fam(
        tu,
        "Loss.sympy",
        lambda: (_fn(tu, "LOSSES")["square"].sympy, {}),
        {"t": p(["t", 1.0, sp.Integer(2), OPAQUE, sp.Symbol("x") + 1])},
    )
    yield _fam(
        tu,
        "ProductModel.eta_star",
        lambda: (_meth("PM", "eta_star"), {"u0": 0.1, "v0": 1.0}),
        {"u0": p(S.ARRAY, [2.0], names=("u0", "v0")), "v0": p(S.ARRAY, [0.1, -0.05])},
    )
    yield _fam(
        tu,
        "ProductModel.imbalance",
        lambda: (_meth("PM", "imbalance"), {"theta": [0.1, 1.0]}),
        {"theta": p(th(2, model=True))},
    )
    yield _fam(
        tu,
        "ProductModel.line_sharpness",
        lambda: (_meth("PM", "line_sharpness"), {"v": 1.0}),
        {"v": p(S.ARRAY)},
    )
    yield _fam(
        tu,
        "ProductModel.imbalance_drop",
        lambda: (_meth("PM", "imbalance_drop"), {"eta": [1.0], "u0": 0.1, "v0": 1.0, "steps": 5}),
        {
            "eta": p(S.STEP, [np.ones((2, 2, 2))]),
            "u0": p(R, [1.0], names=("u0", "v0")),
            "v0": p(R, [0.1], names=("v0", "u0")),
            "steps": p(CNT),
        },
    )
    yield _fam(
        tu,
        "ProductModel.two_cycle_amplitude",
        lambda: (_meth("PM", "two_cycle_amplitude"), {"eta": 10.0, "v": 1.0}),
        {"eta": p(POS), "v": p(R)},
    )
    yield _fam(
        tu,
        "g_mean",
        lambda: (_fn(tu, "g_mean"), {"b": 0.0, "s": 1.0}),
        {"b": p(["a", None, 1j, ["0"], OPAQUE, [[1.0], [1.0, 2.0]]]), "s": p(POS)},
    )
    yield _fam(
        tu,
        "g_mean_expr",
        lambda: (_fn(tu, "g_mean_expr"), {"b": sp.Symbol("b"), "s": 1}),
        {"b": p(["a", None, NAN, 1j, OPAQUE]), "s": p(["a", None, NAN, 0, -1.0, True, OPAQUE])},
    )
    yield _fam(
        tu,
        "mean_model_loss_expr",
        lambda: (
            _fn(tu, "mean_model_loss_expr"),
            {"a": sp.Symbol("a"), "b": sp.Symbol("b"), "s": 1},
        ),
        {
            "a": p(["a", None, S.INF, OPAQUE]),
            "b": p(["a", None, NAN, OPAQUE]),
            "s": p(["a", None, NAN, 0, -1.0, OPAQUE]),
        },
    )
    yield _fam(tu, "MeanModel", lambda: (_fn(tu, "MeanModel"), {"s": 1.0}), {"s": p(POS)})
    yield _fam(
        tu,
        "MeanModel.g",
        lambda: (_meth("MM", "g"), {"b": 0.0}),
        {"b": p(["a", None, 1j, ["0"], OPAQUE])},
    )
    yield _fam(
        tu,
        "MeanModel.eta_star",
        lambda: (_meth("MM", "eta_star"), {"b0": 0.0}),
        {"b0": p(R, [-1e6])},
    )
    yield _fam(
        tu,
        "MeanModel.final_bias",
        lambda: (_meth("MM", "final_bias"), {"eta": [1.0], "a0": 0.01, "b0": 0.0, "steps": 5}),
        {
            "eta": p(S.STEP),
            "a0": p(R),
            "b0": p(R),
            "steps": p(CNT),
        },
    )
    yield _fam(
        tu,
        "MeanModel.bias_bound",
        lambda: (_meth("MM", "bias_bound"), {"eta": [10.0, 100.0]}),
        {"eta": p(POS_ARRAY)},
    )


#: further target modules: each ``tests/fuzz/<name>.py`` defines ``targets() -> Iterable[Target]``
#: (built with the helpers of this module: ``p``, ``_fam``, ``Target``, the shared kinds)
EXTRA_TARGET_MODULES = (
    "targets_stabilization",
    "targets_self_stabilization_models",
    "targets_data_model",
    "targets_logistic_regression",
    "targets_features",
    "targets_stochastic",
    "targets_support_learning",
    "targets_batch_sharpness",
    "targets_certificates",
    "targets_lyapunov",
    "targets_bifurcation",
    "targets_trainability",
)


def _extra_targets() -> list[Target]:
    out: list[Target] = []
    for name in EXTRA_TARGET_MODULES:
        try:
            mod = importlib.import_module(f"tests.fuzz.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.fuzz.{name}":
                raise
            continue
        out.extend(mod.targets())
    return out


@functools.cache
def all_targets() -> tuple[Target, ...]:
    targets = (*_core_targets(), *_family_targets(), *_extra_targets())
    names = [t.name for t in targets]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"duplicate target names {dupes}"
    return targets


def target(name: str) -> Target:
    for t in all_targets():
        if t.name == name:
            return t
    raise KeyError(name)


# ----------------------------------------------------------------------------- coverage
#: public parameters deliberately not fuzzed: (callable, parameter) → reason
NOT_FUZZED: dict[tuple[str, str], str] = {
    ("toymodels.Map.state", "name"): "the label the error message uses for x, not data",
    ("toymodels.MapFamily.check_params", "name"): "the label the error message uses, not data",
}

#: public callables without parameters or that are not functions of user input
_NO_PARAMS_OK = "no parameters to fuzz"


def public_api() -> dict[str, list[str]]:
    """Every public callable of ``toymodels`` (``__all__``) and ``toymodels.models.*`` (defined
    in the module, not re-exported) → its parameter names (self / *args / **kwargs dropped)."""
    api: dict[str, list[str]] = {}

    def params_of(obj: Any) -> list[str] | None:
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            return None
        return [
            n
            for n, par in sig.parameters.items()
            if n not in ("self", "cls")
            and par.kind not in (par.VAR_KEYWORD,)
            and not (par.kind == par.VAR_POSITIONAL and n != "components")
        ]

    def add_class(prefix: str, cls: type) -> None:
        if not _is_dataclass_result(cls):
            ps = params_of(cls)
            if ps is not None and cls.__init__ is not object.__init__:
                api[prefix] = ps
        for k, v in vars(cls).items():
            if k.startswith("_") and k != "__call__":
                continue
            f = v.__func__ if isinstance(v, (classmethod, staticmethod)) else v
            if isinstance(v, property) or not callable(f):
                continue
            ps = params_of(f)
            if ps is not None:
                api[f"{prefix}.{k}"] = ps

    for n in tm.__all__:
        obj = getattr(tm, n)
        if inspect.isclass(obj):
            add_class(f"toymodels.{n}", obj)
            api.pop(f"toymodels.{n}", None)  # result types and Map/Model: built by functions
        elif callable(obj):
            api[f"toymodels.{n}"] = params_of(obj) or []
    for modname in MODEL_MODULES:
        try:
            mod = FX.mod(modname)
        except ModuleNotFoundError as exc:  # a family module still being written
            if exc.name != f"toymodels.models.{modname}":
                raise
            continue
        for n, obj in vars(mod).items():
            if n.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
                continue
            prefix = f"toymodels.models.{modname}.{n}"
            if inspect.isclass(obj):
                add_class(prefix, obj)
            elif callable(obj):
                api[prefix] = params_of(obj) or []
    return api


#: result records and data holders: their constructors are not user entry points
RESULT_TYPES = {
    "Bifurcation",
    "BifurcationDiagram",
    "Cycle",
    "LyapunovResult",
    "Phase",
    "Trajectory",
    "Transition",
    "ThresholdPrediction",
    "Loss",
    "MaxMargin",
    "TwoPointAsymptotics",
    "FeatureResult",
    "EpochAverage",
    "EpochMoments",
    "BatchEstimate",
    "BatchSharpnessMeasures",
    "CycleCertificate",
    "BifurcationCertificate",
    "LyapunovSpectrum",
    "FlipCriterion",
}


def _is_dataclass_result(cls: type) -> bool:
    return cls.__name__ in RESULT_TYPES


def coverage_gaps() -> list[str]:
    """Public (callable, parameter) pairs neither fuzzed nor listed in :data:`NOT_FUZZED`."""
    covered: dict[str, set[str]] = {}
    for t in all_targets():
        covered.setdefault(t.covers, set()).update(t.params)
        covered[t.covers].add("")  # the callable itself is a target
    gaps = []
    for qual, params in sorted(public_api().items()):
        # map a models-module class name to how targets name it
        key = qual
        have = covered.get(key)
        if have is None:
            if params:
                gaps.append(f"{qual}: not a fuzz target (parameters {params})")
            continue
        for prm in params:
            if prm not in have and (key, prm) not in NOT_FUZZED and (qual, prm) not in NOT_FUZZED:
                gaps.append(f"{qual}: parameter {prm!r} not fuzzed")
    return gaps
