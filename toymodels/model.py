"""Losses: a sympy expression over named parameters, compiled once into batched numpy twins.

A :class:`Model` holds a loss L(θ) with θ ∈ R^p and provides, batched over any leading axes,

* ``loss(theta)``      : (..., p) → (...)
* ``grad(theta)``      : (..., p) → (..., p),        ∇L
* ``hessian(theta)``   : (..., p) → (..., p, p),     ∇²L
* ``third(theta, u)``  : (..., p), (..., p) → (..., p),  ∇³L[u, u]_i = Σ_jk ∂³L/∂θ_i∂θ_j∂θ_k u_j u_k

Symbolic → numeric uses ``sympy.lambdify(..., cse=True)``, compiled lazily on first use and cached
on the instance. Models too large for symbolic Hessians (many parameters, data matrices) may pass
hand-written numpy functions through :meth:`Model.from_numpy`; the test-suite cross-checks every
such twin against its sympy form on a small instance.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ._validate import as_float_array
from .expressions import almost_everywhere as _almost_everywhere
from .expressions import (
    check_bool,
    check_label,
    check_names,
    check_static,
    compile_checked,
    probe,
    probe_points,
    refuse_bool,
)

__all__ = ["Model"]


def _broadcast_stack(values: Sequence[Any], shape: tuple[int, ...]) -> np.ndarray:
    """Stack lambdify outputs (arrays or constant scalars) along a new last axis."""
    out = np.empty((*shape, len(values)), dtype=np.float64)
    for i, v in enumerate(values):
        out[..., i] = v
    return out


def _parse_expr(expr: Any, name: str = "expr") -> sp.Expr:
    if isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, str):
        try:
            parsed = sp.sympify(expr)
        except Exception as exc:  # sympify evaluates the string: any failure is a parse failure
            raise ValueError(f"{name}: cannot parse {expr!r} as a sympy expression") from exc
        if not isinstance(parsed, sp.Expr):
            raise TypeError(f"{name} must be a scalar expression, got {type(parsed).__name__}")
        return parsed
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        return sp.Float(expr)
    raise TypeError(f"{name} must be a sympy expression or a string, got {type(expr).__name__}")


def _full_precision(expr: sp.Expr) -> sp.Expr:
    """Re-create every Float with 17 significant digits so lambdify prints it round-trip exact.

    sympy prints a 53-bit Float with 15 digits (-1.4382138568759326 → -1.43821385687593); the
    compiled twins would then use a constant off by up to 5e-15 relative.
    """
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    return expr.xreplace({f: sp.Float(float(f), 17) for f in floats})


#: ``from_numpy`` probes ``hessian`` at construction only up to this many parameters
_PROBE_HESSIAN_MAX = 100


def symbolic_gradient(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """[∂L/∂θ_i] with almost-everywhere derivatives (shared by the sympy and data models)."""
    return [_almost_everywhere(sp.diff(expr, s)) for s in symbols]


def symbolic_hessian(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> sp.Matrix:
    """∇²L with almost-everywhere derivatives."""
    return sp.hessian(expr, symbols).applyfunc(_almost_everywhere)


def lower_triangle(hessian: sp.Matrix) -> list[sp.Expr]:
    """The entries H_ij, j ≤ i, row by row (what the compiled Hessians evaluate)."""
    p = hessian.shape[0]
    return [hessian[i, j] for i in range(p) for j in range(i + 1)]


def third_contraction(
    hessian: sp.Matrix, symbols: Sequence[sp.Symbol]
) -> tuple[list[sp.Symbol], list[sp.Expr]]:
    """(u, ∇³L[u, u]) with ∇³L[u, u]_i = ∂_i (uᵀ∇²L u), u fresh dummy symbols."""
    p = len(symbols)
    u = [sp.Dummy(f"u{i}") for i in range(p)]
    quad = sum((hessian[i, j] * u[i] * u[j] for i in range(p) for j in range(p)), sp.Integer(0))
    return u, [_almost_everywhere(sp.diff(quad, s)) for s in symbols]


class _ShapeError(ValueError):
    """A user callable returned the wrong shape (a ValueError naming the callable)."""


class _ResultTypeError(TypeError):
    """A user callable returned complex / non-numeric values (a TypeError naming the callable)."""


def _check_result(out: Any, fn_name: str, expected: tuple[int, ...], theta_shape: Any) -> Any:
    shape = np.shape(out)
    if shape != expected:
        raise _ShapeError(
            f"{fn_name} returned shape {shape} for theta of shape {theta_shape}; expected shape "
            f"{expected} (loss: theta.shape[:-1], grad: theta.shape, hessian: theta.shape + (p,), "
            "third: broadcast(theta, u).shape); results are never broadcast"
        )
    kind = getattr(out, "dtype", np.asarray(out).dtype).kind
    if kind not in "iuf":
        what = "complex" if kind == "c" else f"dtype {getattr(out, 'dtype', type(out).__name__)}"
        raise _ResultTypeError(f"{fn_name} must return real floats, got {what}")
    return out


def _shape_checked(
    fn: Callable[[np.ndarray], Any], fn_name: str, p: int
) -> Callable[[np.ndarray], Any]:
    """Wrap a user ``loss`` / ``grad`` / ``hessian`` with the exact-shape check of from_numpy."""

    def checked(theta: np.ndarray) -> Any:
        shape = np.shape(theta)
        lead = shape[:-1]
        expected = lead if fn_name == "loss" else shape if fn_name == "grad" else (*shape, p)
        return _check_result(fn(theta), fn_name, expected, shape)

    checked.__wrapped__ = fn  # type: ignore[attr-defined]
    return checked


def _shape_checked_third(
    fn: Callable[[np.ndarray, np.ndarray], Any], p: int
) -> Callable[[np.ndarray, np.ndarray], Any]:
    def checked(theta: np.ndarray, u: np.ndarray) -> Any:
        expected = np.broadcast_shapes(np.shape(theta), np.shape(u))
        return _check_result(fn(theta, u), "third", expected, np.shape(theta))

    checked.__wrapped__ = fn  # type: ignore[attr-defined]
    return checked


class Model:
    """A loss over named parameters with batched numpy loss / gradient / Hessian.

    Build one with :meth:`from_sympy` (symbolic; derivatives are exact) or :meth:`from_numpy`
    (hand-written twins for large models). ``theta`` arrays have the parameters on the last axis
    in the order of :attr:`params`.
    """

    def __init__(
        self,
        params: Sequence[str],
        *,
        loss: Callable[[np.ndarray], np.ndarray],
        grad: Callable[[np.ndarray], np.ndarray],
        hessian: Callable[[np.ndarray], np.ndarray],
        third: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        grad_components: Callable[..., Sequence[Any]] | None = None,
        expr: sp.Expr | None = None,
        name: str | None = None,
        citation: str = "",
    ) -> None:
        self.params: tuple[str, ...] = tuple(params)
        self._loss = loss
        self._grad = grad
        self._hessian = hessian
        self._third = third
        self._grad_components = grad_components
        self.expr = expr
        self.name = name or "model"
        self.citation = citation

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_sympy(
        cls,
        expr: sp.Expr | str,
        params: Sequence[str | sp.Symbol],
        constants: Mapping[str | sp.Symbol, float] | None = None,
        name: str | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        allow_nonsmooth: bool = False,
        citation: str = "",
    ) -> Model:
        """Compile a scalar sympy loss ``expr`` over ``params`` into batched numpy functions.

        Parameters
        ----------
        expr : sympy expression or string, e.g. ``"(x*y - 1)**2/2"``.
        params : names (or symbols) of the trainable parameters, in the order of ``theta``.
        constants : values substituted for the remaining free symbols (targets, widths).
        name : a label used in figures and reports.
        data : a dataset ``{"x": X, "y": Y}``: ``expr`` is then the *per-sample* loss ℓ(θ; d)
            and the model is a :class:`~toymodels.data_model.DataModel` whose loss is the mean
            L(θ) = (1/n) Σ_i ℓ(θ; d_i), with mini-batch and per-sample loss / gradient /
            Hessian (``batch_grad(theta, idx)``, ``sample_hessian``, ``subset``, …) for
            :func:`toymodels.sgd`. Each value is an array of n rows: shape (n,) binds the symbol
            of that name, shape (n, k) binds the columns to ``x0 … x{k-1}`` (or ``x_0 …``).
        allow_nonsmooth : accept Abs / sign / Heaviside / Min / Max / Piecewise / floor / arg /
            re / im / Mod … (a.e. derivatives, e.g. ReLU: the DiracDelta terms of their derivatives
            are dropped); ``True`` or ``False`` only.

        Notes
        -----
        Strings are parsed by ``sympy.sympify``, which evaluates Python: do not pass untrusted
        strings. Parameters are declared real; every Float is kept at full float64 precision.

        The expression rule (shared with :meth:`Map.from_sympy`, see :mod:`toymodels.expressions`)
        is checked here, at construction: L, ∇L and ∇²L are compiled and evaluated once on a batch
        of generic probe points (the first in (0.3, 0.7)^p), so an expression that would fail on
        first use (a function lambdify cannot translate, such as ``polylog`` or the ``meijerg`` in
        the derivative of ``lowergamma``; a complex-valued one such as ``LambertW``; a ``Sum``) is
        refused now, as is one whose value or derivatives are NaN/inf at every probe point.

        Raises
        ------
        ValueError / TypeError naming ``expr``, ``params``, ``constants``, ``name``,
        ``allow_nonsmooth`` or ``citation`` when the expression does not parse, a parameter does
        not occur in it, a free symbol is left without a value, a constant is not finite, the loss
        is not differentiable in its parameters, or the expression rule above refuses it.
        """
        allow_nonsmooth = check_bool(allow_nonsmooth, "allow_nonsmooth")
        name = check_label(name, "name")
        citation = check_label(citation, "citation", optional=False)
        e = _parse_expr(expr)
        if e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise ValueError(f"expr must be a real, finite expression, got {e}")
        if constants is not None and not isinstance(constants, Mapping):
            raise TypeError(
                f"constants must be a mapping name -> value, got {type(constants).__name__}"
            )
        names = check_names(params, "params")
        free = {s.name: s for s in e.free_symbols if isinstance(s, sp.Symbol)}
        missing = [n for n in names if n not in free]
        if missing:
            raise ValueError(
                f"params: {missing} do not occur in the loss {e} (free symbols: {sorted(free)})"
            )
        subs: dict[sp.Symbol, sp.Expr] = {}
        for key, val in (constants or {}).items():
            k = str(key)
            if k in names:
                raise ValueError(f"constants: {k!r} is also listed in params")
            if k not in free:
                raise ValueError(f"constants: {k!r} does not occur in the loss {e}")
            if isinstance(val, (str, bytes, bool, complex, np.complexfloating)):
                raise TypeError(f"constants[{k!r}] must be a real number, got {val!r}")
            try:
                v = float(val)
            except OverflowError as exc:
                raise ValueError(f"constants[{k!r}] must be finite, got {val!r}") from exc
            except (TypeError, ValueError) as exc:
                raise TypeError(f"constants[{k!r}] must be a number, got {val!r}") from exc
            if not np.isfinite(v):
                raise ValueError(f"constants[{k!r}] must be finite, got {val!r}")
            subs[free[k]] = sp.nsimplify(val) if isinstance(val, int) else sp.Float(v)
        e = e.xreplace(subs)
        if data is not None:
            from .data_model import data_model_from_sympy

            def prepare(ex: sp.Expr) -> sp.Expr:
                real = {
                    s: sp.Symbol(s.name, real=True)
                    for s in ex.free_symbols
                    if isinstance(s, sp.Symbol)
                }
                return _full_precision(ex.xreplace(real))

            if e.has(sp.I) or e.has(sp.zoo) or e.has(sp.nan) or e.has(sp.oo, -sp.oo):
                raise ValueError(f"expr must be a real, finite expression, got {e}")
            return data_model_from_sympy(
                e,
                names,
                {s.name: s for s in e.free_symbols if isinstance(s, sp.Symbol)},
                data,
                name=name,
                citation=citation,
                source=[expr if isinstance(expr, sp.Basic) else e],
                check_static=lambda ex, syms: check_static(
                    [ex], syms, "expr", allow_nonsmooth=allow_nonsmooth
                ),
                prepare=prepare,
            )
        left = sorted(s.name for s in e.free_symbols if s.name not in names)
        if left:
            raise ValueError(f"constants: no value given for the free symbol(s) {left}")
        if e.has(sp.I) or e.has(sp.zoo) or e.has(sp.nan) or e.has(sp.oo, -sp.oo):
            raise ValueError(f"expr must be a real, finite expression, got {e}")
        # parameters are real: this lets sympy differentiate Abs / sign / Max (ReLU) a.e.
        real = {s: sp.Symbol(s.name, real=True) for s in e.free_symbols if isinstance(s, sp.Symbol)}
        e = _full_precision(e.xreplace(real))
        syms = [real[free[n]] for n in names]
        check_static([e], syms, "expr", allow_nonsmooth=allow_nonsmooth)
        model = _SympyModel(e, syms, name=name, citation=citation)
        model._check_compiled(source=[expr if isinstance(expr, sp.Basic) else e])
        return model

    @classmethod
    def from_numpy(
        cls,
        params: Sequence[str],
        loss: Callable[[np.ndarray], np.ndarray],
        grad: Callable[[np.ndarray], np.ndarray],
        hessian: Callable[[np.ndarray], np.ndarray],
        *,
        third: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        expr: sp.Expr | None = None,
        name: str | None = None,
        citation: str = "",
    ) -> Model:
        """A model from hand-written batched numpy functions (see the module docstring).

        ``loss``, ``grad`` and ``hessian`` take θ of shape (..., p) (p = ``len(params)``) and must
        return exactly the shapes (...), (..., p) and (..., p, p); ``third(theta, u)`` (optional,
        ∇³L[u, u]) returns ``broadcast(theta, u).shape``. Results are never broadcast: a grad
        returning (B,) for a batch of shape (B, p) is refused even when B == p.

        Shape checks. Every call (public methods and the internal ones used by ``gd``, the GD
        maps and the spectra) compares the returned shape with the expected one and raises a
        ``ValueError`` naming the callable with both shapes; a complex, string or object result
        raises ``TypeError``. The check is one ``np.shape`` comparison per call.

        Construction probe. The functions need no data from toymodels, so they are called once
        here on a batch of two generic points (shape (2, p), entries in (0.3, 0.7)) and their
        shapes checked; an exception raised by the callable there is reported as a ``ValueError``
        naming it. The values are not required to be finite (a loss may be undefined there).
        ``hessian`` is probed only for p <= 100 (dense Hessians of large models may be costly or
        deliberately unavailable); it is shape-checked at its first call.

        Raises
        ------
        ValueError / TypeError naming ``params`` (not a non-empty sequence of distinct names),
        ``loss`` / ``grad`` / ``hessian`` / ``third`` (not callable, wrong result shape or type),
        ``expr``, ``name`` or ``citation``.
        """
        names = check_names(params, "params")
        for fn_name, fn in (("loss", loss), ("grad", grad), ("hessian", hessian)):
            if not callable(fn):
                raise TypeError(f"{fn_name} must be callable, got {type(fn).__name__}")
        if third is not None and not callable(third):
            raise TypeError(f"third must be callable or None, got {type(third).__name__}")
        if expr is not None and not isinstance(expr, sp.Basic):
            raise TypeError(f"expr must be a sympy expression or None, got {type(expr).__name__}")
        name = check_label(name, "name")
        citation = check_label(citation, "citation", optional=False)
        p = len(names)
        model = cls(
            names,
            loss=_shape_checked(loss, "loss", p),
            grad=_shape_checked(grad, "grad", p),
            hessian=_shape_checked(hessian, "hessian", p),
            third=None if third is None else _shape_checked_third(third, p),
            expr=expr,
            name=name,
            citation=citation,
        )
        pts = probe_points(p)[:2]
        probes = [("loss", model._loss), ("grad", model._grad)]
        if p <= _PROBE_HESSIAN_MAX:
            probes.append(("hessian", model._hessian))
        for fn_name, fn in probes:
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fn(pts)
            except (_ShapeError, _ResultTypeError):
                raise
            except Exception as exc:
                raise ValueError(
                    f"{fn_name} raised {type(exc).__name__} when called at the probe point "
                    f"theta of shape {pts.shape} (entries in (0.3, 0.7)): {exc}"
                ) from exc
        return model

    # ------------------------------------------------------------------ evaluation
    @property
    def n_params(self) -> int:
        """Number of parameters p."""
        return len(self.params)

    def _theta(self, theta: Any, name: str = "theta") -> np.ndarray:
        refuse_bool(theta, name)
        arr = as_float_array(theta, name, allow_nan=True)
        if arr.ndim == 0 or arr.shape[-1] != self.n_params:
            raise ValueError(
                f"{name} must have shape (..., {self.n_params}) for params {self.params}, "
                f"got shape {arr.shape}"
            )
        return arr

    @staticmethod
    def _batched(fn: Callable[[np.ndarray], Any], th: np.ndarray) -> np.ndarray:
        # a single point is evaluated as a batch of one, so that it runs through the same array
        # ufuncs as a batch (numpy scalar ** differs from the array ufunc in the last ulp);
        # overflow / invalid operations are data (inf / NaN out), not warnings
        with np.errstate(all="ignore"):
            if th.ndim == 1:
                return np.asarray(fn(th[None]), dtype=np.float64)[0]
            return np.asarray(fn(th), dtype=np.float64)

    def loss(self, theta: Any) -> np.ndarray:
        """L(θ), shape ``theta.shape[:-1]``.

        θ may hold NaN/inf (diverged runs) and L may overflow: the result is then inf/NaN, without
        a RuntimeWarning (divergence is data). The same holds for :meth:`grad`, :meth:`hessian`
        and :meth:`third`.
        """
        return self._batched(self._loss, self._theta(theta))

    def grad(self, theta: Any) -> np.ndarray:
        """∇L(θ), shape ``theta.shape`` (inf/NaN where it overflows, no warning)."""
        return self._batched(self._grad, self._theta(theta))

    def hessian(self, theta: Any) -> np.ndarray:
        """∇²L(θ), shape ``theta.shape + (p,)`` (inf/NaN where it overflows, no warning)."""
        return self._batched(self._hessian, self._theta(theta))

    def third(self, theta: Any, u: Any) -> np.ndarray:
        """The contraction ∇³L(θ)[u, u] (a vector), shape ``broadcast(theta, u).shape``.

        Without a symbolic form it is the central difference of ∇²L(θ ± hu)u / (2h), h ~ 1e-4.
        """
        th = self._theta(theta)
        uu = self._theta(u, "u")
        try:
            np.broadcast_shapes(th.shape, uu.shape)
        except ValueError as exc:
            raise ValueError(
                f"u (shape {uu.shape}) does not broadcast against theta (shape {th.shape})"
            ) from exc
        with np.errstate(all="ignore"):
            if self._third is not None:
                return np.asarray(self._third(th, uu), dtype=np.float64)
            h = 1e-4
            hp = self._hessian(th + h * uu)
            hm = self._hessian(th - h * uu)
            return np.einsum("...ij,...j->...i", (hp - hm) / (2 * h), uu)

    def grad_components(self, *components: Any) -> list[np.ndarray]:
        """∇L as a list of p arrays from the p coordinate arrays θ_1, …, θ_p.

        ``components`` are exactly ``n_params`` real arrays (or scalars), one per parameter in
        the order of :attr:`params`, that broadcast against each other (numpy rules); each
        returned component is a float array of that broadcast shape. A pure evaluation, like
        :meth:`grad`: NaN/inf give NaN/inf, without a warning. A wrong count, non-numeric,
        boolean or complex entries, or shapes that do not broadcast raise ``TypeError`` /
        ``ValueError`` naming ``components``. (The GD loops use the unchecked private twin.)
        """
        if len(components) != self.n_params:
            raise TypeError(
                f"components must be exactly {self.n_params} arrays, one per parameter "
                f"{self.params}, got {len(components)}"
            )
        arrs = [
            as_float_array(c, f"components[{i}]", allow_nan=True) for i, c in enumerate(components)
        ]
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrs))
        except ValueError as exc:
            raise ValueError(
                "components must broadcast against each other, got shapes "
                f"{[a.shape for a in arrs]}"
            ) from exc
        with np.errstate(all="ignore"):
            if self._grad_components is not None:
                g = self._grad_components(*arrs)
                return [np.array(np.broadcast_to(gi, shape), dtype=np.float64) for gi in g]
            th = np.stack(np.broadcast_arrays(*arrs), axis=-1)
            g = self._grad(th[None] if th.ndim == 1 else th)
            g = g[0] if th.ndim == 1 else g
            return [np.array(g[..., i], dtype=np.float64) for i in range(self.n_params)]

    def __repr__(self) -> str:
        body = f"L = {self.expr}" if self.expr is not None else "numpy"
        return f"Model({self.name!r}, params={self.params}, {body})"


class _SympyModel(Model):
    """A :class:`Model` whose numeric twins are lambdified from one sympy expression."""

    def __init__(
        self, expr: sp.Expr, symbols: list[sp.Symbol], name: str | None, citation: str
    ) -> None:
        self.symbols = symbols
        super().__init__(
            [s.name for s in symbols],
            loss=self._loss_impl,
            grad=self._grad_impl,
            hessian=self._hess_impl,
            third=self._third_impl,
            grad_components=self._grad_comp_impl,
            expr=expr,
            name=name or str(expr),
            citation=citation,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by value: the expression, its (real) symbols, the name and the citation.

        The unpickled model is rebuilt from them (the expression was checked when this one
        was built); the compiled numpy twins and kernels are recompiled lazily on first use,
        so a pickle holds no compiled code. This lets process pools and dask workers receive
        sympy models (``toymodels.phase_diagram(..., executor=...)``).
        """
        return (type(self), (self.expr, list(self.symbols), self.name, self.citation))

    # symbolic derivatives, computed once
    @cached_property
    def grad_expr(self) -> list[sp.Expr]:
        """The symbolic gradient [∂L/∂θ_i]."""
        return symbolic_gradient(self.expr, self.symbols)

    @cached_property
    def hessian_expr(self) -> sp.Matrix:
        """The symbolic Hessian."""
        return symbolic_hessian(self.expr, self.symbols)

    @cached_property
    def _f_loss(self) -> Callable[..., Any]:
        return compile_checked(self.symbols, self.expr, "expr", "value")

    @cached_property
    def _f_grad(self) -> Callable[..., Any]:
        return compile_checked(self.symbols, self.grad_expr, "expr", "gradient")

    @cached_property
    def _hess_flat(self) -> list[sp.Expr]:
        return lower_triangle(self.hessian_expr)

    @cached_property
    def _f_hess(self) -> Callable[..., Any]:
        return compile_checked(self.symbols, self._hess_flat, "expr", "Hessian")

    def _check_compiled(self, source: Sequence[sp.Expr]) -> None:
        """Compile L, ∇L, ∇²L now and evaluate them at the probe points (the expression rule)."""

        def f_loss() -> Callable[..., Any]:
            f = self._f_loss
            return lambda *a: [f(*a)]

        probe(
            [
                ("value", f_loss, [self.expr]),
                ("gradient", lambda: self._f_grad, self.grad_expr),
                ("Hessian", lambda: self._f_hess, self._hess_flat),
            ],
            self.symbols,
            "expr",
            source,
        )

    @cached_property
    def _f_third(self) -> Callable[..., Any]:
        u, vec = third_contraction(self.hessian_expr, self.symbols)
        return compile_checked([*self.symbols, *u], vec, "expr", "third derivative")

    def _split(self, theta: np.ndarray) -> list[np.ndarray]:
        return [theta[..., i] for i in range(self.n_params)]

    def _loss_impl(self, theta: np.ndarray) -> np.ndarray:
        out = np.empty(theta.shape[:-1])
        out[...] = self._f_loss(*self._split(theta))
        return out

    def _grad_impl(self, theta: np.ndarray) -> np.ndarray:
        return _broadcast_stack(self._f_grad(*self._split(theta)), theta.shape[:-1])

    def _grad_comp_impl(self, *components: np.ndarray) -> Sequence[Any]:
        return self._f_grad(*components)

    def _hess_impl(self, theta: np.ndarray) -> np.ndarray:
        p = self.n_params
        flat = self._f_hess(*self._split(theta))
        out = np.empty((*theta.shape[:-1], p, p))
        k = 0
        for i in range(p):
            for j in range(i + 1):
                out[..., i, j] = flat[k]
                out[..., j, i] = flat[k]
                k += 1
        return out

    def _third_impl(self, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(theta.shape, u.shape)
        theta = np.broadcast_to(theta, shape)
        u = np.broadcast_to(u, shape)
        vals = self._f_third(*self._split(theta), *self._split(u))
        return _broadcast_stack(vals, shape[:-1])
