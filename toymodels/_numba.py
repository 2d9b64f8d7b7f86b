"""Optional numba backend for gradient descent on sympy models (extra ``fast``).

The numpy path evaluates one ufunc per operation over the whole batch; this backend instead
generates, per model, a scalar kernel from the sympy gradient (common subexpressions shared, the
``math`` module for elementary functions), compiles it with ``numba.njit`` and loops
member-by-member, step-by-step, with the divergence check inline (so ``diverged_at`` needs no
replay). Results agree with the numpy path to rounding (libm vs numpy's ufunc loops differ in
the last bits of some functions); the numpy path stays the default and the reference.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

if TYPE_CHECKING:
    from .model import _SympyModel

__all__ = ["available", "gd_kernel"]


def available() -> bool:
    """True if numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


class _Printer(PythonCodePrinter):
    """Python code with ``math.`` functions and full-precision float literals."""

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))


def _source(model: _SympyModel) -> str:
    p = model.n_params
    xs = [f"x{i}" for i in range(p)]
    sub = {s: sp.Symbol(n) for s, n in zip(model.symbols, xs, strict=True)}
    exprs = [g.xreplace(sub) for g in model.grad_expr]
    repl, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("c"))
    pr = _Printer({"fully_qualified_modules": True})
    # time steps outside, members inside: members are independent, so the inner loop has no
    # dependency chain (members outside would be latency-bound, no faster than numpy)
    lines = [
        "def kernel(theta, eta, steps, rec_steps, bound, records, div_at):",
        "    B = theta.shape[0]",
        "    R = rec_steps.shape[0]",
    ]
    lines += [f"    X{i} = theta[:, {i}].copy()" for i in range(p)]
    lines += [
        "    r = 0",
        "    if R > 0 and rec_steps[0] == 0:",
    ]
    lines += [f"        records[0, :, {i}] = X{i}" for i in range(p)]
    lines += [
        "        r = 1",
        "    for t in range(steps):",
        "        for b in range(B):",
        "            e = eta[b]",
    ]
    lines += [f"            {x} = X{i}[b]" for i, x in enumerate(xs)]
    for s_, ex in repl:
        lines.append(f"            {s_} = {pr.doprint(ex)}")
    for i, g in enumerate(reduced):
        lines.append(f"            g{i} = {pr.doprint(g)}")
    for i, x in enumerate(xs):
        lines.append(f"            {x} = {x} - e * g{i}")
    ok = " and ".join(f"abs({x}) <= bound" for x in xs)
    lines += [
        f"            if not ({ok}):",
        "                if div_at[b] < 0:",
        "                    div_at[b] = t + 1",
    ]
    lines += [f"                {x} = math.nan" for x in xs]
    lines += [f"            X{i}[b] = {x}" for i, x in enumerate(xs)]
    lines += [
        "        if r < R and rec_steps[r] == t + 1:",
    ]
    lines += [f"            records[r, :, {i}] = X{i}" for i in range(p)]
    lines += ["            r += 1"]
    return "\n".join(lines) + "\n"


def gd_kernel(model: _SympyModel) -> Any:
    """The compiled kernel for ``model`` (cached on the model)."""
    cached = getattr(model, "_numba_kernel", None)
    if cached is not None:
        return cached
    import numba

    src = _source(model)
    namespace: dict[str, Any] = {"math": math}
    exec(compile(src, f"<toymodels numba kernel: {model.name}>", "exec"), namespace)
    kern = numba.njit(cache=False, fastmath=False)(namespace["kernel"])
    model._numba_kernel = kern  # type: ignore[attr-defined]
    model._numba_source = src  # type: ignore[attr-defined]
    return kern


def run_gd(
    model: _SympyModel,
    flat: np.ndarray,
    eta: np.ndarray,
    steps: int,
    rec_steps: np.ndarray,
    bound: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(records (R, B, p), diverged_at (B,)) with the same conventions as the numpy engine."""
    kern = gd_kernel(model)
    B, p = flat.shape
    records = np.empty((len(rec_steps), B, p))
    div_at = np.full(B, -1, dtype=np.int64)
    start = np.ascontiguousarray(flat, dtype=np.float64)
    bad0 = ~np.all(np.abs(start) <= bound, axis=-1)
    kern(
        start,
        np.ascontiguousarray(eta, dtype=np.float64),
        int(steps),
        np.ascontiguousarray(rec_steps, dtype=np.int64),
        float(bound),
        records,
        div_at,
    )
    if bad0.any():
        div_at[bad0] = 0
        records[:, bad0] = np.nan
    return records, div_at
