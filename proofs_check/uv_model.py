"""Exact checks for the scalar uv model at the edge of stability.

f = u v, label y = 1, loss (u v - 1)^2 / 2 (research brief §2.2, "universality": the balanced
line of this two-parameter net carries the Chen et al. cubic map with a = eta; cf. Chen,
Balasubramanian, Ghosal, Agrawalla 2023 and the uv / two-layer linear models of Lewkowycz et al.
2020 and Zhu et al. 2024). The GD step is derived by differentiating the loss with sympy.

The loss and the balanced-line map are the library's
(:data:`toymodels.models.two_layer_linear.UV_LOSS_EXPR`, ``UV_BALANCED_LINE_EXPR``) and F_eta is
the library's cubic map; :func:`uv_library_numeric` checks the compiled model and map.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from toymodels.models.two_layer_linear import (
    UV_BALANCED_LINE_EXPR,
    UV_LOSS_EXPR,
    balanced_line_map,
    uv_model,
)

from ._exact import is_zero
from ._numeric import agree, combine, lambdify, model_agrees, rng
from .cubic_map import F as cubic_F
from .registry import proof

PAPER = "scalar uv model (brief §2.2; Chen et al. 2023 universality)"


@proof(
    paper=PAPER,
    where="brief §2.2 (scalar uv at EoS)",
    statement="GD on (uv-1)^2/2: balanced line u = v = w maps by w(1 + eta(1 - w^2)); "
    "u^2 - v^2 is multiplied by (1 - eta^2 e^2), e = uv - 1",
)
def uv_balanced_line() -> tuple[bool, str]:
    """u' = u - eta e v, v' = v - eta e u with e = u v - 1 (gradient by sympy);
    at u = v = w: u' = v' = w (1 + eta (1 - w^2)) = g_eta(w);
    u'^2 - v'^2 = (1 - eta^2 e^2)(u^2 - v^2); and f = w^2 follows
    F_eta(f) = f (1 + eta(1 - f))^2."""
    u, v, w, y = sp.symbols("u v w y", real=True)
    eta = sp.Symbol("eta", positive=True)
    loss_y = _library(UV_LOSS_EXPR, {"u": u, "v": v, "y": y})
    g_eta_y = _library(UV_BALANCED_LINE_EXPR, {"w": w, "eta": eta, "y": y})
    loss, g_eta = loss_y.subs(y, 1), g_eta_y.subs(y, 1)
    e = u * v - 1
    ok0, r0 = is_zero(loss - e**2 / 2)
    u1 = u - eta * sp.diff(loss, u)
    v1 = v - eta * sp.diff(loss, v)
    bal = {u: w, v: w}
    ok1, r1 = is_zero(u1.subs(bal) - g_eta)
    ok2, r2 = is_zero(v1.subs(bal) - g_eta)
    # any label y: the library's balanced-line map is the GD step on the line
    ok_y, r_y = is_zero((u - eta * sp.diff(loss_y, u)).subs(bal) - g_eta_y)
    ok3, r3 = is_zero(u1**2 - v1**2 - (1 - eta**2 * e**2) * (u**2 - v**2))
    factored = sp.factor(u1**2 - v1**2)
    f = w**2
    ok4, r4 = is_zero((u1 * v1).subs(bal) - cubic_F(f, eta))
    detail = (
        f"loss - (uv-1)^2/2: {r0}; u' on balanced line - g_eta: {r1}; v': {r2}; any y: {r_y}; "
        f"u'^2 - v'^2 = {factored} (residual {r3}); f' - F_eta(f) (library cubic map): {r4}"
    )
    return ok0 and ok1 and ok2 and ok_y and ok3 and ok4, detail


def _library(text: str, names: dict[str, sp.Expr]) -> sp.Expr:
    """Parse a library expression string and substitute symbols by name (all must be mapped)."""
    expr = sp.sympify(text)
    extra = {s.name for s in expr.free_symbols} - set(names)
    if extra:
        raise ValueError(f"library expression {text!r} has unexpected free symbols {extra}")
    return expr.xreplace({s: names[s.name] for s in expr.free_symbols})


@proof(
    paper=PAPER,
    where="library cross-check (toymodels.models.two_layer_linear)",
    statement="uv_model(y) (loss, gradient, Hessian) and balanced_line_map(y) equal the proven "
    "expressions at random points to 1e-12",
)
def uv_library_numeric() -> tuple[bool, str]:
    """uv_model(y) for y = 1, -0.6 at 5 random (u, v) against the lambdified UV_LOSS_EXPR and its
    sympy derivatives; balanced_line_map(y)(eta)(w) against the lambdified UV_BALANCED_LINE_EXPR
    at 6 random (w, eta)."""
    gen = rng(7)
    u, v, w, eta = sp.symbols("u v w eta")
    out = []
    for yv in (1.0, -0.6):
        expr = _library(UV_LOSS_EXPR, {"u": u, "v": v, "y": sp.Float(yv, 17)})
        pts = [gen.normal(0, 1.2, 2) for _ in range(5)]
        out += model_agrees(f"uv_model(y={yv:g})", uv_model(yv), expr, [u, v], pts)
        line = lambdify([w, eta], _library(UV_BALANCED_LINE_EXPR, {"w": w, "eta": eta, "y": yv}))
        fam = balanced_line_map(yv)
        pts = [np.array([gen.uniform(-1.5, 1.5), gen.uniform(0.05, 2)]) for _ in range(6)]
        out.append(
            agree(
                f"balanced_line_map(y={yv:g})",
                lambda p, fam=fam: fam(p[1])(np.array([p[0]]))[0],
                lambda p, line=line: line(*p),
                pts,
            )
        )
    return combine(out)
