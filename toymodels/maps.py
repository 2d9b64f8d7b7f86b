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

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from ._validate import as_float_array

if TYPE_CHECKING:
    from .model import Model

__all__ = ["Map", "MapFamily", "as_family", "gd_family", "gd_map"]

#: lambdify namespaces: scipy first, so special functions (erf, gamma, …) compile; everything
#: elementary still prints as numpy
_MODULES = ["scipy", "numpy"]

StateFn = Callable[[np.ndarray, Any], np.ndarray]


class MapFamily:
    """A one-parameter family p ↦ F_p of maps on R^dim.

    ``family(p)`` returns the :class:`Map` at parameter value ``p`` (a scalar or an array that
    broadcasts against state batches). ``dfdp(state, p)`` is ∂F_p/∂p, exact where the family knows
    it (GD: −∇L; sympy maps: symbolic), otherwise a central difference.
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
    ) -> None:
        self.fn = fn
        self.jac = jac
        self.dim = int(dim)
        self._dfdp = dfdp
        self.name = name
        self.param_name = param_name
        self.expr = expr
        #: optional fast path: (list of component arrays, p) → list of component arrays
        self.components: Callable[[list[np.ndarray], Any], list[np.ndarray]] | None = None
        #: optional fast path: (components, p) → the dim² Jacobian entries, row-major
        self.jac_components: Callable[[list[np.ndarray], Any], list[Any]] | None = None

    def __call__(self, value: Any) -> Map:
        p = as_float_array(value, self.param_name)
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
        return F

    def dfdp(self, state: np.ndarray, p: Any) -> np.ndarray:
        """∂F_p(state)/∂p, shape (..., dim)."""
        if self._dfdp is not None:
            return np.asarray(self._dfdp(state, p))
        p = np.asarray(p, dtype=float)
        h = 1e-6 * np.maximum(1.0, np.abs(p))
        return (self.fn(state, p + h) - self.fn(state, p - h)) / (2 * h)[..., None]

    def __repr__(self) -> str:
        return f"MapFamily({self.name!r}, dim={self.dim}, param={self.param_name!r})"


def _fmt(p: np.ndarray) -> str:
    return f"{float(p):.6g}" if p.ndim == 0 else f"array{p.shape}"


class Map:
    """A map F: R^dim → R^dim with Jacobian DF, batched over leading axes.

    Call it on a state array of shape (..., dim) (1-D maps also take shape (...)); ``jacobian``
    returns (..., dim, dim).
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

    # ------------------------------------------------------------------ construction
    @staticmethod
    def from_sympy(
        exprs: Any,
        state: Sequence[str | sp.Symbol] | str,
        param: str | sp.Symbol | None = None,
        value: Any = None,
        constants: Mapping[str | sp.Symbol, float] | None = None,
        name: str | None = None,
    ) -> Map | MapFamily:
        """A map from sympy expressions (one per state variable), with exact Jacobian.

        ``Map.from_sympy("z*(1 + a*(1 - z))**2", state="z", param="a")`` is the family
        a ↦ F_a (Chen et al. 2023, Thm 2.1); pass ``value=1.2`` to get the single map F_1.2.
        """
        from .model import _check_compilable, _parse_expr

        if isinstance(exprs, (str, sp.Basic)):
            exprs = [exprs]
        try:
            exprs = [_parse_expr(e, "exprs") for e in exprs]
        except TypeError as exc:
            raise TypeError(f"exprs must be expressions or strings: {exc}") from exc
        if not exprs:
            raise ValueError("exprs must give at least one expression")
        if isinstance(state, (str, sp.Symbol)):
            state = [state]
        try:
            names = [str(s) for s in state]
        except TypeError as exc:
            raise TypeError(
                f"state must be a name or a sequence of names, got {type(state).__name__}"
            ) from exc
        if not names:
            raise ValueError("state must name at least one variable")
        if len(set(names)) != len(names):
            raise ValueError(f"state has duplicates: {names}")
        for n in names:
            if not n.isidentifier():
                raise ValueError(f"state: {n!r} is not a valid variable name")
        if constants is not None and not isinstance(constants, Mapping):
            raise TypeError(
                f"constants must be a mapping name -> value, got {type(constants).__name__}"
            )
        if param is not None and str(param) in names:
            raise ValueError(f"param: {str(param)!r} is also a state variable")
        if len(names) != len(exprs):
            raise ValueError(
                f"state names {len(names)} variables but exprs gives {len(exprs)} expressions"
            )
        free: dict[str, sp.Symbol] = {}
        for e in exprs:
            free.update({s.name: s for s in e.free_symbols})
        syms = [free.get(n, sp.Symbol(n)) for n in names]
        subs = {}
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
        from .model import _full_precision

        exprs = [_full_precision(e.xreplace(subs)) for e in exprs]
        pname = None if param is None else str(param)
        psym = free.get(pname, sp.Symbol(pname)) if pname is not None else sp.Dummy("p")
        if pname is not None and pname not in free:
            raise ValueError(f"param: {pname!r} does not occur in the map")
        allowed = {*names, *([pname] if pname else [])}
        left = sorted({s.name for e in exprs for s in e.free_symbols} - allowed)
        if left:
            raise ValueError(f"constants: no value given for the free symbol(s) {left}")
        for e in exprs:
            if e.has(sp.I):
                raise ValueError(f"exprs must be real, finite expressions, got {e}")
            _check_compilable(e, [*syms, psym], "exprs")
        if value is not None:
            as_float_array(value, "value")
        dim = len(exprs)
        jac_m = sp.Matrix(exprs).jacobian(syms)
        dp = [sp.diff(e, psym) for e in exprs]
        if jac_m.has(sp.Derivative) or any(d.has(sp.Derivative) for d in dp):
            raise ValueError(
                "exprs is not differentiable in the state variables / parameter "
                "(sympy leaves the derivative unevaluated)"
            )
        try:
            f_fn = sp.lambdify([*syms, psym], exprs, modules=_MODULES, cse=True)
            j_fn = sp.lambdify([*syms, psym], list(jac_m), modules=_MODULES, cse=True)
            d_fn = sp.lambdify([*syms, psym], dp, modules=_MODULES, cse=True)
        except Exception as exc:  # printer gaps (e.g. unsupported functions)
            raise ValueError(f"exprs cannot be compiled to numpy: {exc}") from exc

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
        fam = MapFamily(fn, jac, dim, dfdp=dfdp, name=label, param_name=pname or "p", expr=exprs)
        fam.components = components
        fam.jac_components = lambda comps, p: j_fn(*comps, p)
        if pname is None:
            return fam(0.0)
        if value is None:
            return fam
        return fam(value)

    # ------------------------------------------------------------------ evaluation
    def state(self, x: Any, name: str = "state") -> np.ndarray:
        """Validate and shape a state: (..., dim); 1-D maps accept (...)."""
        arr = as_float_array(x, name)
        if self.dim == 1 and (arr.ndim == 0 or arr.shape[-1] != 1):
            return arr[..., None]
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(f"{name} must have shape (..., {self.dim}), got shape {arr.shape}")
        return arr

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """F(x), shape (..., dim)."""
        return self.fn(x, self.param)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """DF(x), shape (..., dim, dim)."""
        return self.jac(x, self.param)

    def iterate(self, x: np.ndarray, n: int) -> np.ndarray:
        """F^n(x) without bookkeeping (use :func:`toymodels.iterate` for trajectories)."""
        for _ in range(n):
            x = self.fn(x, self.param)
        return x

    def orbit_jacobian(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(F^k(x), DF^k(x)) with DF^k = DF(x_{k-1}) ··· DF(x_0)."""
        J = None
        for _ in range(k):
            Jx = self.jac(x, self.param)
            J = Jx if J is None else Jx @ J
            x = self.fn(x, self.param)
        return x, J

    def __repr__(self) -> str:
        return f"Map({self.name!r}, dim={self.dim})"


def gd_family(model: Model) -> MapFamily:
    """The gradient-descent family η ↦ (θ ↦ θ − η∇L(θ)), with ∂/∂η = −∇L(θ) exactly."""

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

    fam = MapFamily(fn, jac, model.n_params, dfdp=dfdp, name=f"GD[{model.name}]", param_name="eta")
    fam.model = model  # type: ignore[attr-defined]
    return fam


def gd_map(model: Model, eta: Any) -> Map:
    """The GD map θ ↦ θ − η∇L(θ), Jacobian I − η∇²L(θ); ``eta`` > 0 (scalar or batch array)."""
    from ._validate import as_float_array as _arr
    from .model import Model

    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    e = _arr(eta, "eta")
    if np.any(e <= 0):
        raise ValueError(f"eta must be > 0, got min {e.min()!r}")
    return gd_family(model)(e)


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
