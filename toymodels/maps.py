"""Discrete maps: a state update with its Jacobian, optionally one member of a parameter family.

Gradient descent with step size η is the map θ ↦ θ − η∇L(θ) with Jacobian I − η∇²L(θ)
(:func:`gd_map`). Reduced maps such as Chen et al.'s cubic map F_a(z) = z(1 + a(1 − z))² come from
:meth:`Map.from_sympy`. Every orbit analysis (``period``, ``find_cycle``, ``lyapunov_exponent``,
``period_doubling_points``, ``classify``) takes a :class:`Map`.

Batching. States have shape (..., dim). The parameter value of a map may be an array that
broadcasts against the batch shape ``state.shape[:-1]``: ``MapFamily(...)(np.linspace(1, 2, 4000))``
with a state of shape (4000, dim) iterates 4000 parameter values in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from ._validate import as_float_array, positive_int
from .expressions import (
    almost_everywhere,
    check_bool,
    check_label,
    check_names,
    check_static,
    compile_checked,
    probe,
    refuse_bool,
)

if TYPE_CHECKING:
    from .model import Model

__all__ = ["Map", "MapFamily", "SymbolicMap", "as_family", "gd_family", "gd_map"]

StateFn = Callable[[np.ndarray, Any], np.ndarray]


class SymbolicMap:
    """The sympy form of a map family, from which the compiled backend generates its kernels.

    Two kinds, over the state symbols ``state`` (x_0, …, x_{dim−1}) and the parameter ``param``:

    * ``kind="map"`` (:meth:`Map.from_sympy`): x_i ↦ ``exprs[i]``, Jacobian entries ``jac``
      (∂F_i/∂x_j, row-major, almost-everywhere derivatives);
    * ``kind="gd"`` (:func:`gd_family` of a sympy :class:`~toymodels.Model`): x_i ↦ x_i − p·g_i
      with g = ∇L, Jacobian δ_ij − p·H_ij with H = ∇²L (the expressions of the model, read when
      a kernel is first generated), the same floating-point operations as the numpy twin.

    ``toymodels._numba_maps`` turns it into numba kernels (``backend="numba"`` / ``"auto"`` of
    :func:`toymodels.iterate`, :meth:`Map.iterate`, :func:`toymodels.lyapunov_exponent`,
    :func:`toymodels.lyapunov_spectrum`, :func:`toymodels.period`, :func:`toymodels.classify`)
    and caches them here (``cache``) and per expression set.
    """

    def __init__(
        self,
        kind: str,
        dim: int,
        *,
        state: Sequence[sp.Symbol] = (),
        param: sp.Symbol | None = None,
        exprs: Sequence[sp.Expr] = (),
        jac: Sequence[sp.Expr] = (),
        model: Any = None,
    ) -> None:
        if kind not in ("map", "gd"):
            raise ValueError(f"kind must be 'map' or 'gd', got {kind!r}")
        self.kind = kind
        self.dim = int(dim)
        self.state = tuple(state)
        self.param = param
        self.exprs = tuple(exprs)
        self.jac = tuple(jac)
        self.model = model
        #: filled by toymodels._numba_maps: generated source, compiled kernels, or the reason
        #: why this map cannot be compiled
        self.cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"SymbolicMap(kind={self.kind!r}, dim={self.dim})"


class MapFamily:
    """A one-parameter family p ↦ F_p of maps on R^dim.

    ``family(p)`` returns the :class:`Map` at parameter value ``p`` (a scalar or an array that
    broadcasts against state batches); ``p`` is validated by :meth:`check_params`. ``dfdp(state,
    p)`` is ∂F_p/∂p, exact where the family knows it (GD: −∇L; sympy maps: symbolic), otherwise a
    central difference.

    Parameter domain: every value must be a finite real; with ``param_positive=True`` (the GD
    families of :func:`gd_family`, whose parameter is the step size η) it must also be > 0.
    """

    def __init__(
        self,
        fn: StateFn,
        jac: StateFn,
        dim: int,
        *,
        dfdp: StateFn | None = None,
        name: str = "map",
        param_name: str = "p",
        expr: Any = None,
        param_positive: bool = False,
    ) -> None:
        _check_map_parts(fn, jac, dim)
        if dfdp is not None and not callable(dfdp):
            raise TypeError(f"dfdp must be callable or None, got {type(dfdp).__name__}")
        self.fn = fn
        self.jac = jac
        self.dim = int(dim)
        self._dfdp = dfdp
        self.name = str(name)
        self.param_name = str(param_name)
        self.expr = expr
        self.param_positive = check_bool(param_positive, "param_positive")
        #: optional fast path: (list of component arrays, p) → list of component arrays
        self.components: Callable[[list[np.ndarray], Any], list[np.ndarray]] | None = None
        #: optional fast path: (components, p) → the dim² Jacobian entries, row-major
        self.jac_components: Callable[[list[np.ndarray], Any], list[Any]] | None = None
        #: the sympy form (Map.from_sympy, gd_family of a sympy Model) for the compiled
        #: backend, or None (a map of plain Python callables: numpy only)
        self.symbolic: SymbolicMap | None = None

    def check_params(self, values: Any, name: str = "param") -> np.ndarray:
        """Validate parameter values of this family; return them as a float64 array.

        ``values`` may have any shape (a scalar, a grid, a batch). Each must be a finite real
        number (no bool, complex, string, None, NaN, inf) and, for a family with
        ``param_positive`` (GD: the step size η), > 0. Errors are ``TypeError`` / ``ValueError``
        whose message starts with ``name`` (and names the family's parameter, e.g. ``eta``, when
        ``name`` is something else, such as ``param_range``).
        """
        refuse_bool(values, name)
        arr = as_float_array(values, name)
        if self.param_positive and arr.size and np.any(arr <= 0):
            who = (
                name
                if name == self.param_name
                else f"{name}: the parameter {self.param_name} of {self.name}"
            )
            raise ValueError(f"{who} must be > 0, got min {arr.min()!r}")
        return arr

    def __call__(self, value: Any) -> Map:
        p = self.check_params(value, self.param_name)
        F = Map(
            self.fn,
            self.jac,
            self.dim,
            param=p,
            family=self,
            name=f"{self.name}[{self.param_name}={_fmt(p)}]",
        )
        F.components = self.components
        F.jac_components = self.jac_components
        F.symbolic = self.symbolic
        return F

    def dfdp(self, state: Any, p: Any) -> np.ndarray:
        """∂F_p(state)/∂p, shape (*batch, dim) with batch = broadcast(state batch, shape(p)).

        ``state`` is validated as the ``x`` of :meth:`Map.__call__` (shape (..., dim); a 1-D
        family also takes (...); NaN/inf allowed, giving NaN/inf without a warning; an empty
        batch gives an empty result) and ``p`` by :meth:`check_params`. Errors are
        ``TypeError`` / ``ValueError`` naming ``state`` or ``p``.
        """
        x = _eval_state(state, self.dim, "state")
        pv = self.check_params(p, "p")
        try:
            np.broadcast_shapes(x.shape[:-1], pv.shape)
        except ValueError as exc:
            raise ValueError(
                f"state: the batch shape {x.shape[:-1]} (of state with shape {x.shape}) does "
                f"not broadcast against the shape {pv.shape} of p"
            ) from exc
        with np.errstate(all="ignore"):
            if self._dfdp is not None:
                return np.asarray(self._dfdp(x, pv))
            h = 1e-6 * np.maximum(1.0, np.abs(pv))
            return (self.fn(x, pv + h) - self.fn(x, pv - h)) / (2 * h)[..., None]

    def __repr__(self) -> str:
        return f"MapFamily({self.name!r}, dim={self.dim}, param={self.param_name!r})"


def _check_map_parts(fn: Any, jac: Any, dim: Any) -> None:
    if not callable(fn):
        raise TypeError(f"fn must be callable (state, param) -> state, got {type(fn).__name__}")
    if not callable(jac):
        raise TypeError(
            f"jac must be callable (state, param) -> Jacobian, got {type(jac).__name__}"
        )
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim!r}")


def _eval_state(x: Any, dim: int, name: str) -> np.ndarray:
    """A state argument of an evaluation, shape (..., dim) (1-D maps also take (...)); NaN/inf
    and empty batches allowed; strings, None, booleans, complex, ragged input refused."""
    refuse_bool(x, name)
    arr = as_float_array(x, name, allow_nan=True)
    if dim == 1 and (arr.ndim == 0 or arr.shape[-1] != 1):
        return arr[..., None]
    if arr.ndim == 0 or arr.shape[-1] != dim:
        raise ValueError(
            f"{name} must have shape (..., {dim}) for this {dim}-D map, got shape {arr.shape}"
        )
    return arr


def _fmt(p: np.ndarray) -> str:
    return f"{float(p):.6g}" if p.ndim == 0 else f"array{p.shape}"


class Map:
    """A map F: R^dim → R^dim with Jacobian DF, batched over leading axes.

    States. ``F(x)``, ``F.jacobian(x)``, ``F.iterate(x, n)`` and ``F.orbit_jacobian(x, k)`` take
    ``x`` of shape (..., dim), where the leading axes are a batch that must broadcast against the
    shape of the map's parameter. A 1-D map (dim = 1) also takes a Python float, a list, or an
    array of shape (...) whose last axis is not 1: each entry is one state, so ``x`` of shape (B,)
    is read as (B, 1) — the convention of :func:`toymodels.iterate` and :meth:`state`. A 1-D
    state of shape (1,) is one state. Results: ``F(x)`` has shape (*batch, dim) with
    batch = broadcast(x.shape[:-1], shape(param)) (so ``F(0.3)`` has shape (1,) and
    ``F(np.array([0.3, 0.5]))`` shape (2, 1)); ``jacobian`` (*batch, dim, dim).

    ``x`` may hold NaN/inf (diverged states): the result is then NaN/inf, without a warning. A
    wrong trailing size, strings, None, booleans, complex or ragged input raise ValueError /
    TypeError naming ``x``.
    """

    def __init__(
        self,
        fn: StateFn,
        jac: StateFn,
        dim: int,
        *,
        param: Any = None,
        family: MapFamily | None = None,
        name: str = "map",
    ) -> None:
        _check_map_parts(fn, jac, dim)
        self.fn = fn
        self.jac = jac
        self.dim = int(dim)
        self.param = param
        self.family = family
        self.name = name
        #: optional fast path used by the iteration engine (see MapFamily.components)
        self.components: Callable[[list[np.ndarray], Any], list[np.ndarray]] | None = None
        #: optional fast path: (components, p) → the dim² Jacobian entries, row-major
        self.jac_components: Callable[[list[np.ndarray], Any], list[Any]] | None = None
        #: the sympy form used by ``backend="numba"`` (see :class:`SymbolicMap`), or None
        self.symbolic: SymbolicMap | None = None

    def _with_param(self, param: Any) -> Map:
        """The same map (fast paths and symbolic form included) at another parameter value."""
        G = Map(self.fn, self.jac, self.dim, param=param, family=self.family, name=self.name)
        G.components = self.components
        G.jac_components = self.jac_components
        G.symbolic = self.symbolic
        return G

    # ------------------------------------------------------------------ construction
    @staticmethod
    def from_sympy(
        exprs: Any,
        state: Sequence[str | sp.Symbol] | str,
        param: str | sp.Symbol | None = None,
        value: Any = None,
        constants: Mapping[str | sp.Symbol, float] | None = None,
        name: str | None = None,
        *,
        allow_nonsmooth: bool = False,
    ) -> Map | MapFamily:
        """A map from sympy expressions (one per state variable), with exact Jacobian.

        ``Map.from_sympy("z*(1 + a*(1 - z))**2", state="z", param="a")`` is the family
        a ↦ F_a (Chen et al. 2023, Thm 2.1); pass ``value=1.2`` to get the single map F_1.2.

        Parameters
        ----------
        exprs : one expression (sympy or string) per state variable: x_i ↦ exprs[i](x, p).
        state : the state variable names, in order (one name for a 1-D map).
        param : the family parameter's name, or None for a single map.
        value : a parameter value (scalar or batch): returns the Map F_value instead of the family.
        constants : values for the remaining free symbols.
        name : a label.
        allow_nonsmooth : accept Abs / sign / Heaviside / Min / Max / Piecewise / floor / arg /
            re / im / Mod …; their almost-everywhere derivatives are used in the Jacobian and
            ∂F/∂p (DiracDelta terms dropped). ``True`` or ``False`` only.

        The expression rule is the one of :meth:`Model.from_sympy` (see
        :mod:`toymodels.expressions`), applied to F, its Jacobian DF = ∂F_i/∂x_j and ∂F/∂p:
        compiled and evaluated once at construction on generic probe points (state and parameter
        coordinates in (0.3, 0.7), then a few others), so a map that would fail on first use
        (``NameError: DiracDelta`` from a Heaviside map, a complex-valued function, an
        untranslatable special function) is refused here with a ValueError naming ``exprs``.

        Raises
        ------
        ValueError / TypeError naming ``exprs``, ``state``, ``param``, ``value``, ``constants``,
        ``name`` or ``allow_nonsmooth``.
        """
        from .model import _full_precision, _parse_expr

        allow_nonsmooth = check_bool(allow_nonsmooth, "allow_nonsmooth")
        name = check_label(name, "name")
        if isinstance(exprs, (str, sp.Basic)):
            exprs = [exprs]
        if exprs is None or isinstance(exprs, (bytes, Mapping)) or not isinstance(exprs, Iterable):
            raise TypeError(
                "exprs must be an expression (sympy or string) or a sequence of them, got "
                f"{type(exprs).__name__}"
            )
        try:
            exprs = [_parse_expr(e, "exprs") for e in exprs]
        except TypeError as exc:
            raise TypeError(f"exprs must be expressions or strings: {exc}") from exc
        if not exprs:
            raise ValueError("exprs must give at least one expression")
        names = check_names(state, "state")
        if constants is not None and not isinstance(constants, Mapping):
            raise TypeError(
                f"constants must be a mapping name -> value, got {type(constants).__name__}"
            )
        if param is not None:
            if not isinstance(param, (str, sp.Symbol)):
                raise TypeError(f"param must be a name (str) or None, got {type(param).__name__}")
            if not str(param).isidentifier():
                raise ValueError(f"param: {str(param)!r} is not a valid name")
        if param is not None and str(param) in names:
            raise ValueError(f"param: {str(param)!r} is also a state variable")
        if len(names) != len(exprs):
            raise ValueError(
                f"state names {len(names)} variables but exprs gives {len(exprs)} expressions"
            )
        if value is not None:
            if param is None:
                raise ValueError("value: given, but the map has no param to set")
            refuse_bool(value, "value")
            as_float_array(value, "value")
        source = list(exprs)
        free: dict[str, sp.Symbol] = {}
        for e in exprs:
            free.update({s.name: s for s in e.free_symbols if isinstance(s, sp.Symbol)})
        subs: dict[sp.Symbol, sp.Expr] = {}
        for k, v in (constants or {}).items():
            k = str(k)
            if k not in free:
                raise ValueError(f"constants: {k!r} does not occur in the map")
            if k in names or (param is not None and k == str(param)):
                raise ValueError(f"constants: {k!r} is a state variable or the parameter")
            if isinstance(v, (str, bytes, bool, complex, np.complexfloating)):
                raise TypeError(f"constants[{k!r}] must be a real number, got {v!r}")
            try:
                fv = float(v)
            except OverflowError as exc:
                raise ValueError(f"constants[{k!r}] must be finite, got {v!r}") from exc
            except (TypeError, ValueError) as exc:
                raise TypeError(f"constants[{k!r}] must be a number, got {v!r}") from exc
            if not np.isfinite(fv):
                raise ValueError(f"constants[{k!r}] must be finite, got {v!r}")
            subs[free[k]] = sp.Float(fv)
        pname = None if param is None else str(param)
        if pname is not None and pname not in free:
            raise ValueError(f"param: {pname!r} does not occur in the map")
        allowed = {*names, *([pname] if pname else [])}
        left = sorted(
            {s.name for e in exprs for s in e.free_symbols}
            - allowed
            - {str(k) for k in (constants or {})}
        )
        if left:
            raise ValueError(f"constants: no value given for the free symbol(s) {left}")
        # state and parameter are real (as the parameters of a Model): sympy then differentiates
        # Abs / sign / Max a.e. and simplifies re(x) = x
        real = {n: sp.Symbol(n, real=True) for n in allowed}
        rsub = {**subs, **{free[n]: real[n] for n in allowed if n in free}}
        exprs = [_full_precision(e.xreplace(rsub)) for e in exprs]
        syms = [real[n] for n in names]
        psym = real[pname] if pname is not None else sp.Dummy("p", real=True)
        check_static(exprs, [*syms, psym], "exprs", allow_nonsmooth=allow_nonsmooth)
        dim = len(exprs)
        jac_m = sp.Matrix(exprs).jacobian(syms)
        jac_m = jac_m.applyfunc(almost_everywhere)
        dp = [almost_everywhere(sp.diff(e, psym)) for e in exprs]
        if jac_m.has(sp.Derivative) or any(d.has(sp.Derivative) for d in dp):
            raise ValueError(
                "exprs is not differentiable in the state variables / parameter "
                "(sympy leaves the derivative unevaluated)"
            )
        args = [*syms, psym]
        compiled: dict[str, Callable[..., Any]] = {}

        def compiler(key: str, what: str, es: list[sp.Expr]) -> Callable[[], Callable[..., Any]]:
            def run() -> Callable[..., Any]:
                compiled[key] = compile_checked(args, es, "exprs", what)
                return compiled[key]

            return run

        probe(
            [
                ("map", compiler("f", "map", exprs), exprs),
                ("Jacobian", compiler("j", "Jacobian", list(jac_m)), list(jac_m)),
                ("parameter derivative", compiler("d", "parameter derivative", dp), dp),
            ],
            args,
            "exprs",
            source,
        )
        f_fn, j_fn, d_fn = compiled["f"], compiled["j"], compiled["d"]

        def fn(x: np.ndarray, p: Any) -> np.ndarray:
            shape = np.broadcast_shapes(x.shape[:-1], np.shape(p))
            out = np.empty((*shape, dim))
            for i, v in enumerate(f_fn(*(x[..., i] for i in range(dim)), p)):
                out[..., i] = v
            return out

        def jac(x: np.ndarray, p: Any) -> np.ndarray:
            shape = np.broadcast_shapes(x.shape[:-1], np.shape(p))
            out = np.empty((*shape, dim * dim))
            for i, v in enumerate(j_fn(*(x[..., i] for i in range(dim)), p)):
                out[..., i] = v
            return out.reshape((*shape, dim, dim))

        def dfdp(x: np.ndarray, p: Any) -> np.ndarray:
            shape = np.broadcast_shapes(x.shape[:-1], np.shape(p))
            out = np.empty((*shape, dim))
            for i, v in enumerate(d_fn(*(x[..., i] for i in range(dim)), p)):
                out[..., i] = v
            return out

        def components(comps: list[np.ndarray], p: Any) -> list[np.ndarray]:
            out = f_fn(*comps, p)
            shape = np.broadcast_shapes(comps[0].shape, np.shape(p))
            return [
                o if isinstance(o, np.ndarray) and o.shape == shape else np.broadcast_to(o, shape)
                for o in out
            ]

        label = name or ", ".join(str(e) for e in exprs)
        # the family's ``expr`` is stated over plain symbols, as the caller wrote them (the
        # real-declared twins above only steer sympy's differentiation)
        plain = {real[n]: sp.Symbol(n) for n in allowed}
        shown = [e.xreplace(plain) for e in exprs]
        fam = MapFamily(fn, jac, dim, dfdp=dfdp, name=label, param_name=pname or "p", expr=shown)
        fam.components = components
        fam.jac_components = lambda comps, p: j_fn(*comps, p)
        fam.symbolic = SymbolicMap("map", dim, state=syms, param=psym, exprs=exprs, jac=list(jac_m))
        if pname is None:
            return fam(0.0)
        if value is None:
            return fam
        return fam(value)

    # ------------------------------------------------------------------ evaluation
    def state(self, x: Any, name: str = "state") -> np.ndarray:
        """Validate and shape a state: (..., dim); 1-D maps accept (...) (see the class docs).

        Refuses non-finite values (starting states must be finite); :meth:`__call__` accepts them.
        """
        refuse_bool(x, name)
        arr = as_float_array(x, name)
        return self._shape_state(arr, name)

    def _shape_state(self, arr: np.ndarray, name: str) -> np.ndarray:
        if self.dim == 1 and (arr.ndim == 0 or arr.shape[-1] != 1):
            return arr[..., None]
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(
                f"{name} must have shape (..., {self.dim}) for this {self.dim}-D map, "
                f"got shape {arr.shape}"
            )
        return arr

    def _x(self, x: Any, name: str = "x") -> np.ndarray:
        """A state argument of the evaluation methods: any batch, NaN/inf allowed."""
        arr = _eval_state(x, self.dim, name)
        if self.param is not None:
            pshape = np.shape(self.param)
            try:
                np.broadcast_shapes(arr.shape[:-1], pshape)
            except ValueError as exc:
                raise ValueError(
                    f"{name}: the batch shape {arr.shape[:-1]} (of x with shape {arr.shape}) "
                    f"does not broadcast against the map parameter's shape {pshape}"
                ) from exc
        return arr

    def __call__(self, x: Any) -> np.ndarray:
        """F(x), shape (*batch, dim) (see the class docstring for the accepted shapes)."""
        arr = self._x(x)
        with np.errstate(all="ignore"):
            return self.fn(arr, self.param)

    def jacobian(self, x: Any) -> np.ndarray:
        """DF(x), shape (*batch, dim, dim)."""
        arr = self._x(x)
        with np.errstate(all="ignore"):
            return self.jac(arr, self.param)

    def iterate(self, x: Any, n: int, *, backend: str = "numpy") -> np.ndarray:
        """F^n(x) without bookkeeping (use :func:`toymodels.iterate` for trajectories); n >= 0.

        ``backend``: ``"numpy"`` (default, the reference), ``"numba"`` (a compiled kernel for a
        symbolic map, see :class:`SymbolicMap`; a map of plain Python callables raises a
        ValueError naming ``backend``) or ``"auto"`` (numba when it is installed and the map is
        symbolic, else numpy). The two agree to rounding (libm vs numpy's loops).
        """
        from . import _numba_maps

        x = self._x(x)
        n = positive_int(n, "n", allow_zero=True)
        if _numba_maps.use_numba(self, backend):
            return _numba_maps.iterate_unchecked(self, x, n)
        with np.errstate(all="ignore"):
            for _ in range(n):
                x = self.fn(x, self.param)
        return x

    def orbit_jacobian(self, x: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(F^k(x), DF^k(x)) with DF^k = DF(x_{k-1}) ··· DF(x_0); k >= 1."""
        x = self._x(x)
        k = positive_int(k, "k")
        J = None
        with np.errstate(all="ignore"):
            for _ in range(k):
                Jx = self.jac(x, self.param)
                J = Jx if J is None else Jx @ J
                x = self.fn(x, self.param)
        return x, J

    def __repr__(self) -> str:
        return f"Map({self.name!r}, dim={self.dim})"


def _require_model(model: Any) -> None:
    from .model import Model

    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")


def gd_family(model: Model) -> MapFamily:
    """The gradient-descent family η ↦ (θ ↦ θ − η∇L(θ)), with ∂/∂η = −∇L(θ) exactly.

    Its parameter is the step size ``eta``, which must be > 0: ``gd_family(m)(0.0)`` and
    ``family.check_params(grid, "param_range")`` raise a ValueError naming it.
    """
    _require_model(model)

    def fn(theta: np.ndarray, eta: Any) -> np.ndarray:
        return theta - np.asarray(eta)[..., None] * model._grad(theta)

    def jac(theta: np.ndarray, eta: Any) -> np.ndarray:
        H = model._hessian(theta)
        eye = np.eye(model.n_params)
        return eye - np.asarray(eta)[..., None, None] * H

    def dfdp(theta: np.ndarray, eta: Any) -> np.ndarray:
        return -np.broadcast_to(
            model._grad(theta), np.broadcast_shapes(theta.shape, (*np.shape(eta), 1))
        )

    fam = MapFamily(
        fn,
        jac,
        model.n_params,
        dfdp=dfdp,
        name=f"GD[{model.name}]",
        param_name="eta",
        param_positive=True,
    )
    fam.model = model  # type: ignore[attr-defined]
    fam.symbolic = _gd_symbolic(model)
    return fam


def _gd_symbolic(model: Model) -> SymbolicMap | None:
    """The sympy form of GD on a sympy Model (one per model: its kernels are shared)."""
    from .model import _SympyModel

    if not isinstance(model, _SympyModel):
        return None
    spec = getattr(model, "_gd_symbolic", None)
    if spec is None:
        spec = SymbolicMap("gd", model.n_params, state=model.symbols, model=model)
        model._gd_symbolic = spec  # type: ignore[attr-defined]
    return spec


def gd_map(model: Model, eta: Any) -> Map:
    """The GD map θ ↦ θ − η∇L(θ), Jacobian I − η∇²L(θ); ``eta`` > 0 (scalar or batch array)."""
    _require_model(model)
    return gd_family(model)(eta)


def as_family(family: Any) -> MapFamily | Callable[[Any], Map]:
    """Accept a MapFamily, a Model (its GD family in η) or a callable p ↦ Map."""
    from .model import Model

    if isinstance(family, MapFamily):
        return family
    if isinstance(family, Model):
        return gd_family(family)
    if isinstance(family, Map):
        raise TypeError("family must be a parameter family (p ↦ Map), got a single Map")
    if callable(family):
        return family
    raise TypeError(f"family must be a MapFamily, a Model or a callable, got {type(family)!r}")
