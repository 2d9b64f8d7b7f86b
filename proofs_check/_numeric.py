"""Numeric agreement of the library's compiled maps and losses with the proven expressions.

Every check module ends with one check that evaluates the library's numeric objects (compiled
maps, numpy losses, gradients, Hessians and closed forms) at a few seeded random points and
compares them with the sympy expression the module proved its identities on, lambdified. A
mutation of a library formula therefore either breaks an exact identity (when the library
expression itself is the one proven) or this numeric agreement (when the library evaluates a
hand-written numpy twin).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["TOL", "agree", "combine", "lambdify", "model_agrees", "rng"]

#: relative tolerance max |numeric - exact| / max(1, |exact|)
TOL = 1e-12


def rng(seed: int = 20240531) -> np.random.Generator:
    """The seeded generator of the random evaluation points."""
    return np.random.default_rng(seed)


def lambdify(args: Sequence[sp.Symbol], expr: Any) -> Callable[..., Any]:
    """Lambdify to numpy (scipy for erf), with common subexpressions eliminated."""
    return sp.lambdify(list(args), expr, modules=["scipy", "numpy"], cse=True)


def agree(
    label: str,
    numeric: Callable[[np.ndarray], Any],
    exact: Callable[[np.ndarray], Any],
    points: Iterable[np.ndarray],
    tol: float = TOL,
) -> tuple[bool, str]:
    """Compare ``numeric(p)`` with ``exact(p)`` at every point: max relative error <= ``tol``."""
    worst, count = 0.0, 0
    for p in points:
        got = np.asarray(numeric(p), dtype=float)
        want = np.asarray(exact(p), dtype=float)
        if got.shape != want.shape:
            return False, f"{label}: shape {got.shape} != proven {want.shape}"
        if not (np.all(np.isfinite(got)) and np.all(np.isfinite(want))):
            return False, f"{label}: non-finite value at {p}"
        err = float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)), initial=0.0))
        worst = max(worst, err)
        count += 1
    ok = count > 0 and worst <= tol
    return ok, f"{label}: max rel err {worst:.1e} at {count} points" + ("" if ok else " FAIL")


def combine(results: Iterable[tuple[bool, str]]) -> tuple[bool, str]:
    """AND of several ``(ok, detail)`` pairs, details joined with '; '."""
    results = list(results)
    return all(ok for ok, _ in results), "; ".join(d for _, d in results)


def model_agrees(
    label: str, model: Any, expr: sp.Expr, params: Sequence[sp.Symbol], points: Sequence[Any]
) -> list[tuple[bool, str]]:
    """A library :class:`~toymodels.model.Model`'s loss, gradient and Hessian against ``expr``."""
    f = lambdify(params, expr)
    g = lambdify(params, [sp.diff(expr, p) for p in params])
    h = lambdify(params, sp.hessian(expr, params))
    return [
        agree(f"{label} loss", model.loss, lambda p: f(*p), points),
        agree(f"{label} grad", model.grad, lambda p: np.array(g(*p), dtype=float), points),
        agree(f"{label} Hessian", model.hessian, lambda p: np.array(h(*p), dtype=float), points),
    ]
