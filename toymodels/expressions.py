"""One rule for the sympy expressions of :meth:`Model.from_sympy` and :meth:`Map.from_sympy`.

An expression is accepted only if everything toymodels will later evaluate can be evaluated: the
expression itself and its first and second derivatives (loss, gradient, Hessian for a model; map,
Jacobian and ∂F/∂p for a map). Checked at construction, in this order:

1. **Static checks** (no evaluation). Refused, with a ``ValueError`` naming the expression
   argument (``expr`` / ``exprs``) and the offending sub-expression:

   * infinities / NaN (``oo``, ``zoo``, ``nan``) and the imaginary unit ``I``;
   * undefined functions ``f(x)``;
   * unevaluated ``Integral``, ``Derivative``, ``Limit``, ``Product``, ``Sum`` (call ``.doit()``);
   * functions of the variables that are not differentiable (:data:`NONSMOOTH`: ``Abs``,
     ``sign``, ``Heaviside``, ``Min``, ``Max``, ``Piecewise``, ``floor``, ``ceiling``, ``frac``,
     ``Mod``, ``arg``, ``re``, ``im``, ``conjugate``, ``DiracDelta``, ``KroneckerDelta``) unless
     ``allow_nonsmooth=True``; with it their almost-everywhere derivatives are used (the
     ``DiracDelta`` terms of the derivatives are dropped: :func:`almost_everywhere`);
   * functions whose derivative sympy leaves unevaluated (``zeta(x)``, ``Mod(x, 1)``).

2. **Compilation**: ``sympy.lambdify(..., modules=["scipy", "numpy"], cse=True)`` of each of the
   three quantities; a function that lambdify cannot translate (it prints the bare name, e.g.
   ``polylog``, ``hyper``, ``meijerg`` from the derivative of ``lowergamma``, ``DiracDelta``) is
   found by comparing the names the generated code uses with its namespace, and refused.

3. **Evaluation at probe points** (:func:`probe_points`): the compiled functions are called once
   on a batch of K = 5 generic points: coordinate i of the first point is
   c_i = 0.3 + 0.4·frac(0.1234 + (i + 1)·0.6180339887…) ∈ (0.3, 0.7) (irrational, pairwise
   distinct, so accidental singularities such as x = y or x = 1/2 are avoided), the others are
   −c, c/10, 1 + 2c and 10 + 10c. Refused: any exception (NameError, UFuncTypeError, …), a
   complex, object or string result (e.g. ``LambertW``, compiled to the complex-valued
   ``scipy.special.lambertw``), a result of the wrong size, and an expression for which no probe
   point gives finite values of all three quantities (undefined almost everywhere we look).
   Floating-point warnings during the probe are suppressed (the values there are only tested).

The error message names the argument, the quantity that failed (value / first derivative /
second derivative) and, where it can be isolated, the smallest function sub-expression that fails
on its own.
"""

from __future__ import annotations

import builtins
import dis
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "NONSMOOTH",
    "CompileError",
    "almost_everywhere",
    "check_static",
    "compile_checked",
    "probe",
    "probe_points",
]

#: lambdify namespaces: scipy first, so special functions (erf, gamma, …) compile; everything
#: elementary still prints as numpy
MODULES = ["scipy", "numpy"]

#: heads that are not differentiable everywhere in their arguments (refused unless
#: ``allow_nonsmooth=True``)
NONSMOOTH: tuple[type, ...] = (
    sp.Abs,
    sp.sign,
    sp.Heaviside,
    sp.Max,
    sp.Min,
    sp.floor,
    sp.ceiling,
    sp.frac,
    sp.Mod,
    sp.DiracDelta,
    sp.KroneckerDelta,
    sp.Piecewise,
    sp.arg,
    sp.re,
    sp.im,
    sp.conjugate,
)

#: unevaluated operators: they print as Python loops or not at all
UNEVALUATED: tuple[type, ...] = (sp.Integral, sp.Derivative, sp.Limit, sp.Product, sp.Sum)

#: number of probe points (rows of :func:`probe_points`)
N_PROBE = 5


def almost_everywhere(expr: sp.Expr) -> sp.Expr:
    """Drop DiracDelta terms: the a.e. derivative of Abs / sign / Heaviside / Max (ReLU)."""
    if expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)
    return expr


def check_static(
    exprs: Sequence[sp.Expr],
    symbols: Sequence[sp.Symbol],
    name: str,
    *,
    allow_nonsmooth: bool,
) -> None:
    """Step 1 of the module rule: refuse without evaluating anything."""
    from sympy.core.function import AppliedUndef

    syms = set(symbols)
    for e in exprs:
        if e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise ValueError(f"{name} must be a real, finite expression, got {e}")
        if e.has(sp.I):
            raise ValueError(f"{name} must be a real expression (no I), got {e}")
        for a in e.atoms(AppliedUndef):
            raise ValueError(f"{name} contains the undefined function {a}")
        for a in sp.preorder_traversal(e):
            if isinstance(a, UNEVALUATED):
                raise ValueError(
                    f"{name} contains the unevaluated {type(a).__name__} {a}; call .doit() first"
                )
        if not allow_nonsmooth:
            for a in sp.preorder_traversal(e):
                if isinstance(a, NONSMOOTH) and syms & a.free_symbols:
                    raise ValueError(
                        f"{name} is not differentiable in its variables: it contains "
                        f"{type(a).__name__} ({a}); pass allow_nonsmooth=True to use its "
                        "almost-everywhere derivative"
                    )
        for a in e.atoms(sp.Function):
            for s in syms & a.free_symbols:
                if almost_everywhere(sp.diff(a, s)).has(sp.Derivative):
                    extra = " (not even almost everywhere)" if isinstance(a, NONSMOOTH) else ""
                    raise ValueError(
                        f"{name} is not differentiable in its variables: sympy has no "
                        f"closed-form derivative of {a} in {s}{extra}"
                    )


def _missing_names(fn: Callable[..., Any]) -> list[str]:
    """Global names the lambdify-generated code uses but its namespace does not define."""
    code = getattr(fn, "__code__", None)
    if code is None:  # pragma: no cover - lambdify always returns a Python function
        return []
    glb = getattr(fn, "__globals__", {})
    names: list[str] = []
    stack = [code]
    while stack:  # generator expressions inside the code are nested code objects
        c = stack.pop()
        names.extend(
            str(ins.argval)
            for ins in dis.get_instructions(c)
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")
        )
        stack.extend(k for k in c.co_consts if hasattr(k, "co_names"))
    return sorted({n for n in names if n not in glb and not hasattr(builtins, n)})


class CompileError(ValueError):
    """lambdify cannot compile an expression (``missing``: the names it could not translate)."""

    def __init__(self, message: str, missing: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.missing = list(missing)


def compile_checked(
    args: Sequence[sp.Symbol], exprs: Any, name: str, what: str
) -> Callable[..., Any]:
    """``lambdify(args, exprs)``; refuse printer failures and names that would raise NameError."""
    try:
        fn = sp.lambdify(list(args), exprs, modules=MODULES, cse=True)
    except Exception as exc:  # printer gaps: PrintMethodNotImplementedError, …
        raise CompileError(f"{name}: its {what} cannot be compiled to numpy/scipy: {exc}") from exc
    missing = _missing_names(fn)
    if missing:
        raise CompileError(
            f"{name}: its {what} uses {', '.join(missing)}, which sympy.lambdify cannot "
            "translate to numpy/scipy (the compiled function would raise NameError)",
            missing,
        )
    return fn


def _origin(source: Sequence[sp.Expr], missing: Sequence[str]) -> sp.Expr | None:
    """The smallest function of ``source`` whose value or first two derivatives use ``missing``."""
    atoms: set[sp.Expr] = set()
    for e in source:
        atoms |= {a for a in sp.preorder_traversal(e) if isinstance(a, sp.Function)}
    for a in sorted(atoms, key=lambda a: (sp.count_ops(a), str(a))):
        todo = [a]
        for s in a.free_symbols:
            d = sp.diff(a, s)
            todo += [d, *(sp.diff(d, t) for t in a.free_symbols)]
        for d in todo:
            if any(type(f).__name__ in missing for f in d.atoms(sp.Function)):
                return a
    return None


def probe_points(n: int) -> np.ndarray:
    """The (N_PROBE, n) probe batch of the module docstring (row 0 in (0.3, 0.7)^n)."""
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    c = 0.3 + 0.4 * np.mod(0.1234 + golden * np.arange(1, n + 1), 1.0)
    return np.stack([c, -c, c / 10.0, 1.0 + 2.0 * c, 10.0 + 10.0 * c])


def _evaluate(fn: Callable[..., Any], cols: Sequence[np.ndarray], n_out: int | None) -> np.ndarray:
    """Call ``fn`` on probe columns; return finite-row mask (K,). Raises on bad result types."""
    k = len(cols[0])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*cols)
    parts = list(out) if n_out is not None else [out]
    if n_out is not None and len(parts) != n_out:  # pragma: no cover - lambdify keeps the list
        raise TypeError(f"returned {len(parts)} values, expected {n_out}")
    ok = np.ones(k, dtype=bool)
    for v in parts:
        arr = np.asarray(v)
        if arr.dtype.kind == "c":
            raise TypeError("returned complex values")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"returned a non-numeric result of dtype {arr.dtype}")
        arr = np.broadcast_to(arr, (k,))
        ok &= np.isfinite(arr)
    return ok


def _culprit(
    exprs: Iterable[sp.Expr], args: Sequence[sp.Symbol], cols: Sequence[np.ndarray]
) -> sp.Expr | None:
    """The smallest function sub-expression that fails to compile or evaluate on its own."""
    atoms: set[sp.Expr] = set()
    for e in exprs:
        atoms |= {a for a in sp.preorder_traversal(e) if isinstance(a, sp.Function)}
    for a in sorted(atoms, key=lambda a: (sp.count_ops(a), str(a))):
        try:
            fn = sp.lambdify(list(args), a, modules=MODULES)
            if _missing_names(fn):
                return a
            _evaluate(fn, cols, None)
        except Exception:
            return a
    return None


def probe(
    parts: Sequence[tuple[str, Callable[[], Callable[..., Any]], Sequence[sp.Expr]]],
    args: Sequence[sp.Symbol],
    name: str,
    source: Sequence[sp.Expr],
) -> None:
    """Steps 2 and 3 of the module rule.

    ``parts``: (what, a thunk that compiles the function, its expressions) for the value and the
    derivatives; the compiled functions return a list, one entry per expression. ``args`` are the
    compiled functions' arguments; ``source`` the user's expressions (named in the message).
    """
    src = ", ".join(str(s) for s in source)
    pts = probe_points(len(args))
    cols = [pts[:, i].copy() for i in range(len(args))]
    finite = np.ones(len(pts), dtype=bool)
    for what, compile_fn, exprs in parts:
        try:
            fn = compile_fn()
        except CompileError as exc:
            bad = _origin(source, exc.missing) if exc.missing else None
            where = f" (it comes from {bad})" if bad is not None else ""
            raise ValueError(f"{exc}{where}. Expression: {src}") from exc
        try:
            finite &= _evaluate(fn, cols, len(exprs))
        except Exception as exc:
            bad = _culprit(exprs, args, cols)
            where = f" (the failing part is {bad})" if bad is not None else ""
            raise ValueError(
                f"{name}: its {what} cannot be evaluated by the compiled numpy/scipy code"
                f"{where}: {type(exc).__name__}: {exc}. Expression: {src}"
            ) from exc
    if not finite.any():
        where = "; ".join("(" + ", ".join(f"{v:.3g}" for v in row) + ")" for row in pts)
        raise ValueError(
            f"{name}: the expression or its derivatives are not finite (NaN/inf) at every one of "
            f"the {len(pts)} probe points tried, ({', '.join(map(str, args))}) = {where}; it "
            f"seems undefined almost everywhere. Expression: {src}"
        )


# ------------------------------------------------------------------------------------------------
# small private validators shared by model.py / maps.py / spectrum.py
# ------------------------------------------------------------------------------------------------
def refuse_bool(value: Any, name: str) -> None:
    """Booleans are not numbers here: ``np.asarray(True, float)`` would silently give 1.0."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be numeric, got the boolean {value!r}")
    if isinstance(value, np.ndarray):
        if value.dtype == bool:
            raise TypeError(f"{name} must be numeric, got a boolean array")
        return
    if isinstance(value, (list, tuple)):
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError, OverflowError):
            return  # ragged: the float conversion reports it, naming the argument
        if raw.dtype == bool:
            raise TypeError(f"{name} must be numeric, got booleans {value!r}")


def check_bool(value: Any, name: str) -> bool:
    """A flag: exactly ``True`` / ``False`` (``"no"`` would be truthy)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def check_label(value: Any, name: str, *, optional: bool = True) -> str | None:
    """A text label (``name``, ``citation``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    return value


def check_names(value: Any, name: str) -> list[str]:
    """A non-empty sequence of distinct identifiers (str or sympy Symbol); one name is allowed."""
    if isinstance(value, (str, sp.Symbol)):
        value = [value]
    if value is None or isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a name or a sequence of names, got {type(value).__name__}")
    items = list(value)
    out: list[str] = []
    for v in items:
        if not isinstance(v, (str, sp.Symbol)):
            raise TypeError(f"{name}: each entry must be a name (str), got {v!r}")
        out.append(str(v))
    if not out:
        raise ValueError(f"{name} must name at least one variable, got an empty sequence")
    if len(set(out)) != len(out):
        dup = sorted({n for n in out if out.count(n) > 1})
        raise ValueError(f"{name} has duplicates: {dup} in {out}")
    for n in out:
        if not n.isidentifier():
            raise ValueError(f"{name}: {n!r} is not a valid name")
    return out
