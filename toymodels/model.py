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

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ._validate import as_float_array

__all__ = ["Model"]

#: lambdify namespaces: scipy first, so special functions (erf, gamma, …) compile; everything
#: elementary still prints as numpy
_MODULES = ["scipy", "numpy"]

_NONSMOOTH = (
    sp.Abs,
    sp.sign,
    sp.Heaviside,
    sp.Max,
    sp.Min,
    sp.floor,
    sp.ceiling,
    sp.DiracDelta,
    sp.Piecewise,
)


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


_UNEVALUATED = (sp.Integral, sp.Derivative, sp.Limit, sp.Product)


def _check_compilable(expr: sp.Expr, symbols: Iterable[sp.Symbol], name: str) -> None:
    """Refuse what lambdify cannot compile or sympy cannot differentiate in closed form.

    Undefined functions (``f(x)``), unevaluated integrals/derivatives/limits/products, infinities,
    and functions of the parameters whose derivative sympy leaves unevaluated (``re(x)``) would
    otherwise fail only at the first call (NameError / PrintMethodNotImplementedError) or give
    silent inf/NaN.
    """
    from sympy.core.function import AppliedUndef

    if expr.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise ValueError(f"{name} must be a real, finite expression, got {expr}")
    syms = set(symbols)
    for a in expr.atoms(AppliedUndef):
        raise ValueError(f"{name} contains the undefined function {a}")
    for a in expr.atoms(*_UNEVALUATED):
        raise ValueError(
            f"{name} contains the unevaluated {type(a).__name__} {a}; call .doit() first"
        )
    for a in expr.atoms(sp.Function):
        if isinstance(a, _NONSMOOTH):
            continue
        for s in syms & a.free_symbols:
            if sp.diff(a, s).has(sp.Derivative):
                raise ValueError(
                    f"{name} is not differentiable in its parameters: sympy has no "
                    f"closed-form derivative of {a} in {s}"
                )


def _full_precision(expr: sp.Expr) -> sp.Expr:
    """Re-create every Float with 17 significant digits so lambdify prints it round-trip exact.

    sympy prints a 53-bit Float with 15 digits (-1.4382138568759326 → -1.43821385687593); the
    compiled twins would then use a constant off by up to 5e-15 relative.
    """
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    return expr.xreplace({f: sp.Float(float(f), 17) for f in floats})


def _almost_everywhere(expr: sp.Expr) -> sp.Expr:
    """Drop DiracDelta terms: the a.e. derivative of Abs / sign / Heaviside / Max (ReLU)."""
    if expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)
    return expr


def _check_smooth(expr: sp.Expr, symbols: Iterable[sp.Symbol], name: str) -> None:
    bad = [a for a in sp.preorder_traversal(expr) if isinstance(a, _NONSMOOTH)]
    touching = [a for a in bad if any(s in a.free_symbols for s in symbols)]
    if touching:
        raise ValueError(
            f"{name} is not differentiable in its parameters: it contains {touching[0]}; "
            "pass allow_nonsmooth=True to use its almost-everywhere derivative"
        )


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
        allow_nonsmooth: bool = False,
        citation: str = "",
    ) -> Model:
        """Compile a scalar sympy loss ``expr`` over ``params`` into batched numpy functions.

        Parameters
        ----------
        expr : sympy expression or string, e.g. ``"(x*y - 1)**2/2"``.
        params : names (or symbols) of the trainable parameters, in the order of ``theta``.
        constants : values substituted for the remaining free symbols (data, targets, widths).
        name : a label used in figures and reports.
        allow_nonsmooth : accept Abs / Heaviside / Max / Piecewise (a.e. derivatives, e.g. ReLU:
            the DiracDelta terms of their derivatives are dropped).

        Notes
        -----
        Strings are parsed by ``sympy.sympify``, which evaluates Python: do not pass untrusted
        strings. Parameters are declared real; every Float is kept at full float64 precision.

        Raises
        ------
        ValueError / TypeError naming ``expr``, ``params`` or ``constants`` when the expression does
        not parse, a parameter does not occur in it, a free symbol is left without a value, a
        constant is not finite, or the loss is not differentiable in its parameters.
        """
        e = _parse_expr(expr)
        if e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise ValueError(f"expr must be a real, finite expression, got {e}")
        if constants is not None and not isinstance(constants, Mapping):
            raise TypeError(
                f"constants must be a mapping name -> value, got {type(constants).__name__}"
            )
        if isinstance(params, (str, sp.Symbol)):
            params = [params]
        try:
            names = [str(p) for p in params]
        except TypeError as exc:
            raise TypeError("params must be a sequence of parameter names") from exc
        if not names:
            raise ValueError("params must name at least one parameter")
        if len(set(names)) != len(names):
            raise ValueError(f"params has duplicates: {names}")
        for n in names:
            if not n.isidentifier():
                raise ValueError(f"params: {n!r} is not a valid parameter name")
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
        left = sorted(s.name for s in e.free_symbols if s.name not in names)
        if left:
            raise ValueError(f"constants: no value given for the free symbol(s) {left}")
        if e.has(sp.I) or e.has(sp.zoo) or e.has(sp.nan) or e.has(sp.oo, -sp.oo):
            raise ValueError(f"expr must be a real, finite expression, got {e}")
        # parameters are real: this lets sympy differentiate Abs / sign / Max (ReLU) a.e.
        real = {s: sp.Symbol(s.name, real=True) for s in e.free_symbols if isinstance(s, sp.Symbol)}
        e = _full_precision(e.xreplace(real))
        syms = [real[free[n]] for n in names]
        if not allow_nonsmooth:
            _check_smooth(e, syms, "expr")
        _check_compilable(e, syms, "expr")
        return _SympyModel(e, syms, name=name, citation=citation)

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
        """A model from hand-written batched numpy functions (see the module docstring)."""
        for fn_name, fn in (("loss", loss), ("grad", grad), ("hessian", hessian)):
            if not callable(fn):
                raise TypeError(f"{fn_name} must be callable")
        return cls(
            params,
            loss=loss,
            grad=grad,
            hessian=hessian,
            third=third,
            expr=expr,
            name=name,
            citation=citation,
        )

    # ------------------------------------------------------------------ evaluation
    @property
    def n_params(self) -> int:
        """Number of parameters p."""
        return len(self.params)

    def _theta(self, theta: Any, name: str = "theta") -> np.ndarray:
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
        # ufuncs as a batch (numpy scalar ** differs from the array ufunc in the last ulp)
        if th.ndim == 1:
            return np.asarray(fn(th[None]), dtype=np.float64)[0]
        return np.asarray(fn(th), dtype=np.float64)

    def loss(self, theta: Any) -> np.ndarray:
        """L(θ), shape ``theta.shape[:-1]``."""
        return self._batched(self._loss, self._theta(theta))

    def grad(self, theta: Any) -> np.ndarray:
        """∇L(θ), shape ``theta.shape``."""
        return self._batched(self._grad, self._theta(theta))

    def hessian(self, theta: Any) -> np.ndarray:
        """∇²L(θ), shape ``theta.shape + (p,)``."""
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
        if self._third is not None:
            return np.asarray(self._third(th, uu), dtype=np.float64)
        h = 1e-4
        hp = self._hessian(th + h * uu)
        hm = self._hessian(th - h * uu)
        return np.einsum("...ij,...j->...i", (hp - hm) / (2 * h), uu)

    def grad_components(self, *components: np.ndarray) -> Sequence[Any]:
        """∇L as a tuple of p arrays from the p component arrays (fast path for GD loops)."""
        if self._grad_components is not None:
            return self._grad_components(*components)
        g = self._grad(np.stack(np.broadcast_arrays(*components), axis=-1))
        return [g[..., i] for i in range(self.n_params)]

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

    # symbolic derivatives, computed once
    @cached_property
    def grad_expr(self) -> list[sp.Expr]:
        """The symbolic gradient [∂L/∂θ_i]."""
        return [_almost_everywhere(sp.diff(self.expr, s)) for s in self.symbols]

    @cached_property
    def hessian_expr(self) -> sp.Matrix:
        """The symbolic Hessian."""
        return sp.hessian(self.expr, self.symbols).applyfunc(_almost_everywhere)

    @cached_property
    def _u_symbols(self) -> list[sp.Symbol]:
        return [sp.Dummy(f"u{i}") for i in range(len(self.symbols))]

    @cached_property
    def _f_loss(self) -> Callable[..., Any]:
        return sp.lambdify(self.symbols, self.expr, modules=_MODULES, cse=True)

    @cached_property
    def _f_grad(self) -> Callable[..., Any]:
        return sp.lambdify(self.symbols, self.grad_expr, modules=_MODULES, cse=True)

    @cached_property
    def _f_hess(self) -> Callable[..., Any]:
        flat = [self.hessian_expr[i, j] for i in range(self.n_params) for j in range(i + 1)]
        return sp.lambdify(self.symbols, flat, modules=_MODULES, cse=True)

    @cached_property
    def _f_third(self) -> Callable[..., Any]:
        u = self._u_symbols
        quad = sum(
            (
                self.hessian_expr[i, j] * u[i] * u[j]
                for i in range(self.n_params)
                for j in range(self.n_params)
            ),
            sp.Integer(0),
        )
        vec = [_almost_everywhere(sp.diff(quad, s)) for s in self.symbols]
        return sp.lambdify([*self.symbols, *u], vec, modules=_MODULES, cse=True)

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
