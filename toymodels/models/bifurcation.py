"""Bifurcations of gradient descent on toy losses: the flip-direction criterion and two reductions.

Research brief ``bifurcation.md`` (§1, §2, §5). Four papers, whose theorem statements could not be
read (only their abstracts); every formula here is derived in the brief and proved exactly in
``proofs_check.bifurcation``:

* **Flip direction** (:func:`flip_criterion`), after Chen & Bruna, "Beyond the Edge of Stability
  via Two-step Gradient Updates" (ICML 2023, arXiv 2206.04172), whose abstract names "a local
  condition involving third-order derivatives" for the existence of and convergence to period-2
  orbits. For GD x ↦ g(x) = x − ηf'(x) on a 1-D loss f with minimiser x*, the multiplier
  g'(x*) = 1 − ηf''(x*) crosses −1 at η₀ = 2/f''. The flip normal-form coefficient is

      c = (g''/2)² + g'''/6 = η²f'''²/4 − ηf''''/6,   at η₀:  c = (3f'''² − f''f'''')/(3f''²),

  so the flip is **supercritical** (a small stable 2-cycle for η slightly above η₀) iff
  3f'''² − f''f'''' > 0 and **subcritical** (an unstable 2-cycle for η slightly below η₀, none
  above: GD leaves the neighbourhood) iff it is < 0 (Kuznetsov, *Elements of Applied Bifurcation
  Theory*, 3rd ed., Thm 4.3). The 2-cycle's half-amplitude is h ≈ √(((1 + μ)² − 1)/(2c)),
  μ = ηf'' − 2.
* **Kalra, He, Barkeshli's uv model** ("Universal sharpness dynamics in neural network training",
  arXiv 2311.02076): f = vᵀUx/√n on one example (x, y), loss ½(f − y)². With c = ‖x‖²/n the
  rescaled F = √c·η·f, Λ = ηλ (λ the NTK (‖x‖²‖v‖² + ‖Ux‖²)/n) and the single parameter
  **Y = ηy‖x‖/√n** (:func:`uv_variable`) follow the 2-D map (:func:`uv_reduced_map`)
  F' = F − ΛD + D²F, Λ' = Λ + D(ΛD − 4F), D = F − Y; on the balanced aligned set Λ = 2F and
  w = √(F/Y) follows the cubic map C_Y(w) = w − Y w(w² − 1) (brief §1.3, §2.3): flips at Y = 1,
  √5 − 1, …, divergence at Y = 2.
* **Zhu, Wang, Wang, Zhou, Ge's minimalist example** ¼(x²y² − 1)² (ICLR 2023; the model is
  :func:`toymodels.models.self_stabilization.minimalist_model`): with A = ηx², d = xy the GD map
  is exactly the 2-D map (:func:`zhu_reduced_map`) d' = d(1 − rA)(1 − rB), A' = A(1 − rB)²,
  r = d² − 1, B = η²d²/A (brief §1.1).
* The **period-2 curve** of C_a (:func:`period_two_curve`): d lies on a 2-cycle of C_a iff
  1/a = (d² ± d√(4 − 3d²))/2; the Zhu trajectories align on it (a Song & Yun, NeurIPS 2023,
  "trajectory alignment" analogue; their definitions could not be read).

Cubic-map constants (C_a is the library's
:func:`~toymodels.models.quadratic_regression.w_map_family` g_a(w) = (1 + a)w − a w³):
:data:`A_MERGING_CRISIS` = 3√3/2 − 1, where the ± attractors merge
(g_a(g_a(w_c)) = 0 at the critical point w_c = √((1 + a)/(3a))), and :data:`A_DIVERGENCE` = 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..expressions import check_static
from ..maps import Map, MapFamily
from . import _checks

__all__ = [
    "A_DIVERGENCE",
    "A_MERGING_CRISIS",
    "CITATION_CHEN_BRUNA",
    "CITATION_KALRA",
    "CITATION_SONG_YUN",
    "CITATION_ZHU",
    "UV_REDUCED_MAP_EXPRS",
    "ZHU_REDUCED_MAP_EXPRS",
    "FlipCriterion",
    "flip_criterion",
    "period_two_curve",
    "period_two_distance",
    "uv_reduce",
    "uv_reduced_map",
    "uv_variable",
    "zhu_reduce",
    "zhu_reduced_map",
]

CITATION_CHEN_BRUNA = "Chen, Bruna, ICML 2023 (arXiv 2206.04172) [criterion: derived]"
CITATION_KALRA = "Kalra, He, Barkeshli, arXiv 2311.02076 [uv reduction: derived]"
CITATION_ZHU = "Zhu, Wang, Wang, Zhou, Ge, ICLR 2023 (arXiv 2210.03294) [reduction: derived]"
CITATION_SONG_YUN = "Song, Yun, NeurIPS 2023 (arXiv 2307.04204) [alignment analogue: derived]"

#: the symmetry-merging crisis of C_a: a = 3√3/2 − 1 (proofs_check ``bifurcation_crisis``)
A_MERGING_CRISIS = 3 * math.sqrt(3) / 2 - 1
#: the boundary crisis of C_a (divergence for a > 2; proofs_check ``cubic_divergence``)
A_DIVERGENCE = 2.0

#: Kalra's reduced uv map (F', Λ') in ``F``, ``Lam`` with parameter ``Y`` (D = F − Y)
UV_REDUCED_MAP_EXPRS = ("F - Lam*(F - Y) + (F - Y)**2*F", "Lam + (F - Y)*(Lam*(F - Y) - 4*F)")
#: Zhu's reduced map (A', d') in ``A``, ``d`` with parameter ``eta`` (r = d² − 1, B = η²d²/A)
ZHU_REDUCED_MAP_EXPRS = (
    "A*(1 - (d**2 - 1)*eta**2*d**2/A)**2",
    "d*(1 - (d**2 - 1)*A)*(1 - (d**2 - 1)*eta**2*d**2/A)",
)


# --------------------------------------------------------------------------------------------
# The flip-direction criterion
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FlipCriterion:
    """The flip of GD x ↦ x − ηf'(x) at a minimiser x* of a 1-D loss f (exact sympy values).

    ``f2``, ``f3``, ``f4`` are f'', f''', f'''' at ``at``; ``value`` = 3f'''² − f''f'''';
    ``coefficient`` = value/(3f''²), the normal-form coefficient at η₀; ``eta0`` = 2/f''.
    ``kind`` is "supercritical" (value > 0: a stable 2-cycle for η slightly above η₀),
    "subcritical" (value < 0: an unstable 2-cycle for η slightly below η₀ and none above) or
    "degenerate" (value = 0: higher-order terms decide).
    """

    loss: sp.Expr
    var: sp.Symbol
    at: sp.Expr
    f2: sp.Expr
    f3: sp.Expr
    f4: sp.Expr
    value: sp.Expr
    coefficient: sp.Expr
    eta0: sp.Expr
    kind: str

    def coefficient_at(self, eta: Any) -> float:
        """c(η) = η²f'''²/4 − ηf''''/6, the cubic coefficient of the second iterate at step η."""
        e = _checks.real(eta, "eta", positive=True)
        return e * e * float(self.f3) ** 2 / 4 - e * float(self.f4) / 6

    def half_amplitude(self, eta: Any) -> float:
        """Leading-order half-amplitude h = √(((1 + μ)² − 1)/(2c(η))), μ = ηf'' − 2, of the
        2-cycle born at η₀: stable past a supercritical flip (η > η₀), unstable before a
        subcritical one (η < η₀). Raises ValueError naming ``eta`` on the side without a cycle."""
        e = _checks.real(eta, "eta", positive=True)
        mu = e * float(self.f2) - 2
        c = self.coefficient_at(e)
        num = (1 + mu) ** 2 - 1
        if c == 0 or num == 0 or (num > 0) != (c > 0):
            side = "above" if self.kind == "supercritical" else "below"
            raise ValueError(
                f"eta = {e!r}: no small 2-cycle on this side of eta0 = {float(self.eta0)!r} "
                f"({self.kind} flip: the cycle exists for eta {side} eta0)"
            )
        return math.sqrt(num / (2 * c))


def _loss_and_var(loss: Any, var: Any) -> tuple[sp.Expr, sp.Symbol]:
    if isinstance(loss, (bool, np.bool_)) or loss is None:
        raise TypeError(f"loss must be a sympy expression or a string, got {loss!r}")
    if isinstance(loss, str):
        try:
            expr = sp.sympify(loss)
        except Exception as exc:  # sympify raises many types on garbage (SyntaxError, ...)
            raise ValueError(f"loss could not be parsed: {loss!r} ({exc})") from exc
    elif isinstance(loss, sp.Basic):
        expr = loss
    else:
        raise TypeError(f"loss must be a sympy expression or a string, got {type(loss).__name__}")
    if not isinstance(expr, sp.Expr) or isinstance(expr, sp.MatrixBase):
        raise ValueError(f"loss must be a scalar expression, got {type(expr).__name__} {expr}")
    free = sorted(expr.free_symbols, key=lambda s: s.name)
    if var is None:
        if len(free) != 1:
            raise ValueError(
                "loss must have exactly one free symbol (or pass var), got "
                f"{[s.name for s in free]}"
            )
        sym = free[0]
    elif isinstance(var, str):
        names = {s.name: s for s in free}
        if var not in names:
            raise ValueError(f"var {var!r} is not a free symbol of loss {expr}")
        sym = names[var]
    elif isinstance(var, sp.Symbol):
        sym = var
    else:
        raise TypeError(f"var must be a string or a sympy Symbol, got {var!r}")
    if set(free) != {sym}:
        raise ValueError(f"loss must depend on var {sym} only, got free symbols {free}")
    # the library's expression rule (Model.from_sympy): real, finite, smooth, no undefined f(x)
    check_static([expr], [sym], "loss", allow_nonsmooth=False)
    return expr, sym


def _is_real_number(v: sp.Expr) -> bool:
    return bool(v.is_number) and v.is_real is not False and bool(v.is_finite is not False)


def flip_criterion(loss: Any, at: Any = None, var: Any = None) -> FlipCriterion:
    """The direction of the flip of GD on a 1-D loss at its minimiser, exactly.

    GD g(x) = x − ηf'(x) flips at η₀ = 2/f''(x*). Its flip is supercritical (a stable 2-cycle
    of half-amplitude ≈ √((ηf'' − 2)/c) for η slightly above η₀) iff

        3f'''(x*)² − f''(x*)·f''''(x*) > 0,

    and subcritical (GD leaves the neighbourhood for η > η₀) iff < 0: the flip normal-form
    coefficient of g at η₀ is (g''/2)² + g'''/6 = (3f'''² − f''f'''')/(3f''²) (Kuznetsov,
    *Elements of Applied Bifurcation Theory*, Thm 4.3). Chen & Bruna (ICML 2023, arXiv
    2206.04172) state "a local condition involving third-order derivatives" for period-2 orbits
    of GD; this is its 1-D form as derived in the research brief (§1.2; their exact statement
    could not be read). Proved in ``proofs_check.bifurcation`` (``flip_criterion_derivation``).

    Parameters
    ----------
    loss : a sympy expression or string in one variable (e.g. ``"(x**2 - 1)**2/4"``).
    at : the minimiser x* (a number or sympy expression). If None, the real critical points
        of f are solved for and the unique one with f'' > 0 is used (ValueError naming ``at``
        if there is not exactly one).
    var : the variable (name or Symbol); defaults to the loss's only free symbol.

    Raises ValueError when f'(at) ≠ 0 or f''(at) ≤ 0 (the flip needs a strict minimum).
    """
    expr, x = _loss_and_var(loss, var)
    d1 = sp.diff(expr, x)
    d2 = sp.diff(d1, x)
    if at is None:
        try:
            roots = sp.solveset(d1, x, domain=sp.S.Reals)
        except (NotImplementedError, ValueError) as exc:
            raise ValueError(f"could not solve f'(x) = 0 for loss {expr}: pass at ({exc})") from exc
        if not isinstance(roots, sp.FiniteSet):
            raise ValueError(f"the critical points of {expr} are not a finite set: pass at")
        minima = [r for r in roots if _is_real_number(r) and bool(d2.subs(x, r) > 0)]
        if len(minima) != 1:
            raise ValueError(
                f"loss {expr} has {len(minima)} strict minimisers {minima}: pass at to pick one"
            )
        x0 = minima[0]
    else:
        if isinstance(at, (bool, np.bool_)):
            raise TypeError(f"at must be a real number, got the boolean {at!r}")
        if isinstance(at, sp.Basic):
            x0 = at
        else:
            x0 = sp.nsimplify(_checks.real(at, "at"), rational=False)
        if not (_is_real_number(sp.sympify(x0)) and x0.is_real and x0.is_finite):
            raise ValueError(f"at must be a finite real number, got {at!r}")
    try:
        derivs = [sp.simplify(d.subs(x, x0)) for d in (d1, d2, sp.diff(d2, x), sp.diff(d2, x, 2))]
    except (RecursionError, TypeError, ValueError, AttributeError, NotImplementedError) as exc:
        raise ValueError(f"loss {expr}: its derivatives at at = {x0} failed ({exc})") from exc
    for k, dv in enumerate(derivs, 1):
        if not (_is_real_number(dv) and dv.is_real and dv.is_finite):
            raise ValueError(
                f"loss {expr}: its derivative of order {k} at at = {x0} is not a finite real "
                f"number ({dv})"
            )
    slope, f2, f3, f4 = derivs
    if not (slope.is_zero or abs(float(sp.N(slope, 30))) < 1e-25):
        raise ValueError(f"at = {x0} is not a critical point of loss {expr}: f'(at) = {slope}")
    if not bool(f2 > 0):
        raise ValueError(f"at = {x0}: f''(at) = {f2} must be > 0 (a strict minimum of loss)")
    value = sp.simplify(3 * f3**2 - f2 * f4)
    if value.is_zero or value == 0:
        kind = "degenerate"
    elif bool(value > 0):
        kind = "supercritical"
    else:
        kind = "subcritical"
    return FlipCriterion(
        loss=expr,
        var=x,
        at=sp.sympify(x0),
        f2=f2,
        f3=f3,
        f4=f4,
        value=value,
        coefficient=sp.simplify(value / (3 * f2**2)),
        eta0=sp.simplify(2 / f2),
        kind=kind,
    )


# --------------------------------------------------------------------------------------------
# Kalra, He, Barkeshli: the uv model in the variable Y
# --------------------------------------------------------------------------------------------
@_checks.quiet
def uv_variable(eta: Any, y: Any, x: Any, n: Any) -> float:
    """Kalra's single parameter Y = η·y·‖x‖/√n of the uv model f = vᵀUx/√n (n the hidden width,
    (x, y) the one training example): the reduced map :func:`uv_reduced_map` depends on η, y,
    x and n only through Y (brief §1.3); the edge of stability is Y = 1, divergence Y = 2."""
    e = _checks.real(eta, "eta", positive=True)
    yy = _checks.real(y, "y")
    xx = _checks.array(x, "x", ndim=1, min_size=1)
    nn = _checks.count(n, "n")
    return float(e * yy * np.linalg.norm(xx) / math.sqrt(nn))


def _uv_arrays(U: Any, v: Any, x: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    U_ = _checks.array(U, "U", ndim=2, min_size=1)
    v_ = _checks.array(v, "v", ndim=1, min_size=1)
    x_ = _checks.array(x, "x", ndim=1, min_size=1)
    if U_.shape != (v_.shape[0], x_.shape[0]):
        raise ValueError(
            f"U must have shape (len(v), len(x)) = {(v_.shape[0], x_.shape[0])}, got {U_.shape}"
        )
    if not np.any(x_):
        raise ValueError("x must be non-zero")
    return U_, v_, x_


@_checks.quiet
def uv_reduce(U: Any, v: Any, x: Any, y: Any, eta: Any) -> dict[str, float]:
    """The reduced coordinates of Kalra's uv model f = vᵀUx/√n (n = len(v)), loss ½(f − y)².

    Returns ``{"F", "Lam", "Y", "Q"}``: F = √c·η·f, Λ = ηλ with the NTK
    λ = (‖x‖²‖v‖² + ‖Ux‖²)/n, Y = √c·η·y = ηy‖x‖/√n (c = ‖x‖²/n), and the imbalance
    Q = ‖x‖²‖v‖² − ‖Ux‖², which GD multiplies by (1 − D²), D = F − Y (brief §1.3).
    """
    U_, v_, x_ = _uv_arrays(U, v, x)
    yy = _checks.real(y, "y")
    e = _checks.real(eta, "eta", positive=True)
    n = v_.shape[0]
    nx2 = float(x_ @ x_)
    sc = math.sqrt(nx2 / n)
    ux = U_ @ x_
    f = float(v_ @ ux) / math.sqrt(n)
    lam = (nx2 * float(v_ @ v_) + float(ux @ ux)) / n
    return {
        "F": sc * e * f,
        "Lam": e * lam,
        "Y": sc * e * yy,
        "Q": nx2 * float(v_ @ v_) - float(ux @ ux),
    }


def uv_reduced_map() -> MapFamily:
    """Kalra's uv model as the 2-D map (F, Λ) ↦ (F − ΛD + D²F, Λ + D(ΛD − 4F)), D = F − Y, a
    family in Y = ηy‖x‖/√n (:data:`UV_REDUCED_MAP_EXPRS`; exact, brief §1.3, proofs_check
    ``bifurcation_uv_reduction``). Its fixed points are the line D = 0 with multipliers 1 and
    1 − Λ; on Λ = 2F it is the cubic map C_Y in w = √(F/Y)."""
    return Map.from_sympy(
        list(UV_REDUCED_MAP_EXPRS), state=("F", "Lam"), param="Y", name="Kalra uv map (F, Λ)"
    )


# --------------------------------------------------------------------------------------------
# Zhu et al.: the exact 2-D reduction of GD on ¼(x²y² − 1)²
# --------------------------------------------------------------------------------------------
def zhu_reduced_map() -> MapFamily:
    """GD on Model Z, ¼(x²y² − 1)², in A = ηx², d = xy: (A, d) ↦ (A(1 − rB)², d(1 − rA)(1 − rB)),
    r = d² − 1, B = ηy² = η²d²/A; a family in η (:data:`ZHU_REDUCED_MAP_EXPRS`; exact for x ≠ 0,
    brief §1.1, proofs_check ``bifurcation_zhu_reduction``). As η → 0, A freezes and d follows
    the cubic map C_A."""
    return Map.from_sympy(
        list(ZHU_REDUCED_MAP_EXPRS), state=("A", "d"), param="eta", name="Zhu (A, d) map"
    )


@_checks.quiet
def zhu_reduce(theta: Any, eta: Any) -> np.ndarray:
    """(A, d) = (ηx², xy) for states θ = (x, y) of shape (..., 2)."""
    th = _checks.array(theta, "theta", min_size=2)
    if th.shape[-1] != 2:
        raise ValueError(f"theta must have last dimension 2 (x, y), got shape {th.shape}")
    e = _checks.real(eta, "eta", positive=True)
    return np.stack([e * th[..., 0] ** 2, th[..., 0] * th[..., 1]], axis=-1)


# --------------------------------------------------------------------------------------------
# The period-2 curve of C_a (alignment)
# --------------------------------------------------------------------------------------------
@_checks.quiet
def period_two_curve(d: Any) -> tuple[np.ndarray, np.ndarray]:
    """The two branches u± = 1/a = (d² ± d√(4 − 3d²))/2 of the period-2 curve of
    C_a(d) = d − a d(d² − 1): d > 0 is a point of a 2-cycle (or a fixed point, u = 1 at d = 1)
    of C_a iff 1/a is one of them (brief §1.4; proofs_check ``bifurcation_period_two_curve``).
    Defined for 0 < d ≤ 2/√3; NaN outside."""
    dd = _checks.array(d, "d")
    root = np.sqrt(np.where((dd > 0) & (3 * dd * dd <= 4), 4 - 3 * dd * dd, np.nan))
    return (dd * dd + dd * root) / 2, (dd * dd - dd * root) / 2


@_checks.quiet
def period_two_distance(A: Any, d: Any) -> np.ndarray:
    """min± |1 − A·u±(d)|: the relative distance in a of the point (a = A, d) from the period-2
    curve of C_a (:func:`period_two_curve`); NaN where d is outside (0, 2/√3]."""
    AA = _checks.array(A, "A")
    dd = _checks.array(d, "d")
    try:
        np.broadcast_shapes(AA.shape, dd.shape)
    except ValueError as exc:
        raise ValueError(f"A and d must broadcast, got shapes {AA.shape} and {dd.shape}") from exc
    up, um = period_two_curve(dd)
    return np.fmin(np.abs(1 - AA * up), np.abs(1 - AA * um))
