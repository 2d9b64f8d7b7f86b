"""Quadratic regression at large step size: Chen et al.'s cubic map and the catapult models.

**Chen, Balasubramanian, Ghosal, Agrawalla**, "From Stability to Chaos: Analyzing Gradient Descent
Dynamics in Quadratic Regression" (TMLR 2024, arXiv 2310.01687), Thm 2.1. With orthonormal inputs
x_i (rows of X), labels y_i > 0 and the model f(x; U) = c·‖Uᵀx‖² (Model A: m = 1, c = 1, generalized
phase retrieval; Model B: c = 1/m, a two-layer net with quadratic activation and unit outer
weights), the loss L(U) = (1/2n) Σ_i (f(x_i) − y_i)² decouples per sample. With p_i = Uᵀx_i one GD
step is p_i ← (1 − (2cη/n)(f_i − y_i)) p_i, and z_i = f_i / y_i follows the cubic map

    F_a(z) = z (1 + a(1 − z))²,   a_i = 2cη y_i / n = η λ_i* / 2,   λ_i* = 4c y_i / n,

where λ_i* is the Hessian eigenvalue along sample i at every interpolant. (The exact
normalisation of the paper could not be read; the reduction above is derived and checked in
``proofs_check`` and the tests. a = ηλ*/2 is normalisation free.)

**Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari**, "The large learning rate phase of deep
learning: the catapult mechanism" (arXiv 2003.02218): for the width-n linear net f = n^{-1/2} vᵀu
on one sample with label 0, U = η²f²/n and V = ηλ (λ the NTK) follow exactly

    U' = U (1 − V + U)²,   V' = V − U (4 − V),

lazy for V0 < 2, catapult for 2 < V0 < 4, divergent for V0 > 4.

**Zhu, Liu, Radhakrishnan, Belkin**, "Quadratic models for understanding catapult dynamics of
neural networks" (ICLR 2024, arXiv 2205.11787), eqs. for the NQM on one example: with
κ = ‖x‖²/(md), u = κη²(g − y)², w = κη²(g − y)y, v = ηλ,

    u' = (1 − v + u + w)² u,   v' = v − u (4 − v) − 4w.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ..maps import Map, MapFamily
from ..model import Model
from . import _checks

__all__ = [
    "AGARWALA",
    "A_INFINITY",
    "CATAPULT_MAP_EXPRS",
    "CITATION",
    "CUBIC_MAP_EXPR",
    "NQM",
    "NQM_MAP_EXPRS",
    "NQM_RECURSION_EXPRS",
    "W_MAP_EXPR",
    "QuadraticRegression",
    "catapult_map",
    "catapult_map_exprs",
    "cubic_map",
    "cubic_map_expr",
    "cubic_map_family",
    "nqm_map",
    "nqm_map_exprs",
    "nqm_recursion_exprs",
    "orthonormal_data",
    "quadratic_regression_loss_expr",
    "second_order_coordinates",
    "second_order_map_family",
    "second_order_model",
    "two_cycle",
    "two_cycle_multiplier",
    "w_map_expr",
    "w_map_family",
]

CITATION = (
    "Chen, Balasubramanian, Ghosal, Agrawalla, 'From Stability to Chaos: Analyzing Gradient "
    "Descent Dynamics in Quadratic Regression', TMLR 2024 (arXiv 2310.01687)"
)

#: accumulation point of the period-doubling cascade of F_a (brief §2.1, derived)
A_INFINITY = 1.3022834627

# The map formulas below are the single source of truth: the builders compile these strings, and
# ``proofs_check`` parses the same strings (through the ``*_expr(s)`` accessors) and proves its
# identities about them, so a change here is seen by both.

#: F_a(z) = z(1 + a(1 − z))² in the state ``z`` and the parameter ``a`` (:func:`cubic_map_family`)
CUBIC_MAP_EXPR = "z*(1 + a*(1 - z))**2"
#: g_a(w) = (1 + a)w − a w³ in ``w`` and ``a`` (:func:`w_map_family`)
W_MAP_EXPR = "(1 + a)*w - a*w**3"
#: Lewkowycz et al.'s warm-up map (U', V') in ``U``, ``V`` (:func:`catapult_map`)
CATAPULT_MAP_EXPRS = ("U*(1 - V + U)**2", "V - U*(4 - V)")
#: Zhu et al.'s normalised NQM map (u', w', v') in ``u``, ``w``, ``v`` (:func:`nqm_map`)
NQM_MAP_EXPRS = ("(1 - v + u + w)**2*u", "(1 - v + u + w)*w", "v - u*(4 - v) - 4*w")
#: sympy twin of :meth:`NQM.recursion`: (e', λ') in the residual ``e`` = g − y, ``lam`` = λ, the
#: label ``y``, ``eta`` and ``kappa`` = κ (the numpy recursion is cross-checked against it)
NQM_RECURSION_EXPRS = (
    "(1 - eta*lam + kappa*eta**2*e*(e + y))*e",
    "lam - eta*kappa*e*(4*(e + y) - eta*lam*e)",
)


def _sympify_all(exprs: tuple[str, ...]) -> tuple[sp.Expr, ...]:
    return tuple(sp.sympify(e) for e in exprs)


def cubic_map_expr() -> sp.Expr:
    """:data:`CUBIC_MAP_EXPR` as a sympy expression (free symbols ``z``, ``a``, no assumptions)."""
    return sp.sympify(CUBIC_MAP_EXPR)


def w_map_expr() -> sp.Expr:
    """:data:`W_MAP_EXPR` as a sympy expression (free symbols ``w``, ``a``)."""
    return sp.sympify(W_MAP_EXPR)


def catapult_map_exprs() -> tuple[sp.Expr, sp.Expr]:
    """:data:`CATAPULT_MAP_EXPRS` as sympy expressions (U', V') in ``U``, ``V``."""
    return _sympify_all(CATAPULT_MAP_EXPRS)  # type: ignore[return-value]


def nqm_map_exprs() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """:data:`NQM_MAP_EXPRS` as sympy expressions (u', w', v') in ``u``, ``w``, ``v``."""
    return _sympify_all(NQM_MAP_EXPRS)  # type: ignore[return-value]


def nqm_recursion_exprs() -> tuple[sp.Expr, sp.Expr]:
    """:data:`NQM_RECURSION_EXPRS` as sympy expressions (e', λ') in e, lam, y, eta, kappa."""
    return _sympify_all(NQM_RECURSION_EXPRS)  # type: ignore[return-value]


def quadratic_regression_loss_expr(
    rows: Any, y: Any, U: sp.Matrix, c: Any, n: Any = None
) -> sp.Expr:
    """L(U) = (1/2n) Σ_i (c‖Uᵀx_i‖² − y_i)² as a sympy expression.

    ``rows`` are the data vectors x_i (sympy column matrices), ``y`` the labels, ``U`` the d×m
    parameter matrix, ``c`` the output scale; all may be symbolic. ``n`` defaults to the number
    of rows (pass a symbol to keep the normalisation free). :meth:`QuadraticRegression.symbolic`
    builds its loss with this function and ``proofs_check.chen_reduction`` proves the per-sample
    reduction on it.
    """
    rows = _checks.sequence(rows, "rows", min_length=1)
    if not isinstance(U, sp.MatrixBase):
        raise TypeError(f"U must be a sympy Matrix (d × m), got {type(U).__name__}")
    for i, x in enumerate(rows):
        if not isinstance(x, sp.MatrixBase) or x.shape != (U.shape[0], 1):
            raise ValueError(
                f"rows[{i}] must be a sympy column Matrix of shape ({U.shape[0]}, 1), got "
                f"{getattr(x, 'shape', type(x).__name__)}"
            )
    y = _checks.sequence(y, "y", length=len(rows), scalars=True)
    c = _checks.symbolic_scalar(c, "c")
    if n is not None and not isinstance(n, sp.Basic):
        n = _checks.count(n, "n")
    L = sp.Integer(0)
    for x, yi in zip(rows, y, strict=True):
        p = U.T * x
        f = c * (p.T * p)[0, 0]
        L += (f - yi) ** 2
    return L / (2 * (len(rows) if n is None else n))


def cubic_map_family() -> MapFamily:
    """The family a ↦ F_a(z) = z(1 + a(1 − z))² (Chen et al. 2024, Thm 2.1), a = ηλ*/2."""
    return Map.from_sympy(CUBIC_MAP_EXPR, state="z", param="a", name="F_a")


def cubic_map(a: float) -> Map:
    """F_a for one value (or an array of values) of a = ηλ*/2 > 0."""
    a = _checks.array(a, "a", min_size=1, positive=True)
    return cubic_map_family()(a)


def w_map_family() -> MapFamily:
    """The projected map g_a(w) = (1 + a)w − a w³ with F_a(w²) = g_a(w)² (sign-resolving form)."""
    return Map.from_sympy(W_MAP_EXPR, state="w", param="a", name="g_a")


def two_cycle(a: Any) -> tuple[np.ndarray, np.ndarray]:
    """z± = (1 + a ± √((a − 1)(a + 3)))/(2a), the 2-cycle of F_a for a > 1."""
    a = _checks.array(a, "a")
    if np.any(a <= 1):
        raise ValueError("a must be > 1 for the 2-cycle to exist")
    root = np.sqrt((a - 1) * (a + 3))
    return (1 + a + root) / (2 * a), (1 + a - root) / (2 * a)


def two_cycle_multiplier(a: Any) -> np.ndarray:
    """F_a'(z+)F_a'(z−) = 9 − 2(1 + a)²: stable for 1 < a < √5 − 1."""
    a = _checks.array(a, "a")
    return 9 - 2 * (1 + a) ** 2


def orthonormal_data(n: int, d: int, seed: int = 0) -> np.ndarray:
    """The first n rows of a Haar-random d×d orthogonal matrix (Chen et al.'s TMLR setting)."""
    n = _checks.count(n, "n")
    d = _checks.count(d, "d")
    if n > d:
        raise ValueError(f"n must be <= d for orthonormal rows, got n={n}, d={d}")
    _checks.budget(d * d, "d", f"the {d}×{d} orthogonal matrix")
    rng = np.random.default_rng(_checks.seed(seed))
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))
    return q[:n].copy()


@dataclass(frozen=True, eq=False)
class QuadraticRegression:
    """Chen et al.'s quadratic regression f(x; U) = c‖Uᵀx‖², L = (1/2n)Σ(f(x_i) − y_i)².

    Parameters θ = vec(U) (row-major, U ∈ R^{d×m}). ``c = 1`` with ``m = 1`` is Model A (phase
    retrieval), ``c = 1/m`` Model B (quadratic-activation net with unit outer weights).
    """

    X: np.ndarray
    y: np.ndarray
    m: int = 1
    c: float = 1.0

    def __post_init__(self) -> None:
        X = _checks.array(self.X, "X")
        y = _checks.array(self.y, "y")
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"X must be a non-empty 2-D array (n, d), got shape {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
        if np.any(y <= 0):
            raise ValueError("y must be > 0 (the reduction to F_a needs positive labels)")
        object.__setattr__(self, "m", _checks.count(self.m, "m"))
        _checks.n_params(X.shape[1] * self.m, "m", "d·m")
        object.__setattr__(self, "c", _checks.real(self.c, "c", positive=True))
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @classmethod
    def model_b(cls, n: int, d: int, m: int, y: Any = 1.0, seed: int = 0) -> QuadraticRegression:
        """Model B on orthonormal data: c = 1/m, labels ``y`` (scalar or (n,))."""
        m = _checks.count(m, "m")
        n = _checks.count(n, "n")
        d = _checks.count(d, "d")
        _checks.n_params(d * m, "m", "d·m")
        y = _checks.array(y, "y", ndim=(0, 1))
        if y.ndim == 1 and y.shape[0] not in (1, n):
            raise ValueError(f"y must be a scalar or have shape ({n},), got {y.shape}")
        X = orthonormal_data(n, d, seed)
        return cls(X, np.broadcast_to(y, (n,)).copy(), m, 1.0 / m)

    @property
    def n(self) -> int:
        """Number of samples."""
        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.X.shape[1]

    @property
    def lambda_star(self) -> np.ndarray:
        """λ_i* = 4c y_i / n, the Hessian eigenvalue along sample i at any interpolant."""
        return 4 * self.c * self.y / self.n

    def a(self, eta: Any) -> np.ndarray:
        """a_i = 2cη y_i / n = ηλ_i*/2 (broadcast: eta (...,) → (..., n))."""
        eta = _checks.array(eta, "eta", positive=True)
        return eta[..., None] * self.lambda_star / 2

    def eta_for(self, a: Any) -> np.ndarray:
        """The step size giving max_i a_i = a > 0."""
        return 2 * _checks.array(a, "a", positive=True) / np.max(self.lambda_star)

    def _U(self, theta: np.ndarray) -> np.ndarray:
        return theta.reshape((*theta.shape[:-1], self.d, self.m))

    def predictions(self, theta: Any) -> np.ndarray:
        """f(x_i; U) for each sample, shape (..., n) (NaN/inf for a diverged or huge θ)."""
        th = self.model._theta(theta)
        with np.errstate(all="ignore"):
            P = np.einsum("nd,...dm->...nm", self.X, self._U(th))
            return self.c * np.sum(P * P, axis=-1)

    def z(self, theta: Any) -> np.ndarray:
        """The reduced variables z_i = f(x_i)/y_i, shape (..., n)."""
        f = self.predictions(theta)
        with np.errstate(all="ignore"):
            return f / self.y

    # numeric twins -------------------------------------------------------------------------
    def _loss(self, theta: np.ndarray) -> np.ndarray:
        P = np.einsum("nd,...dm->...nm", self.X, self._U(theta))
        f = self.c * np.sum(P * P, axis=-1)
        return np.sum((f - self.y) ** 2, axis=-1) / (2 * self.n)

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        P = np.einsum("nd,...dm->...nm", self.X, self._U(theta))
        r = (self.c * np.sum(P * P, axis=-1) - self.y) / self.n
        G = np.einsum("nd,...nm->...dm", self.X, (2 * self.c) * r[..., None] * P)
        return G.reshape(theta.shape)

    def _hessian(self, theta: np.ndarray) -> np.ndarray:
        # H = (1/n) Σ_i [∇f_i ∇f_iᵀ + (f_i − y_i) ∇²f_i],  ∇f_i = 2c x_i ⊗ p_i,
        # ∇²f_i = 2c (x_i x_iᵀ) ⊗ I_m
        P = np.einsum("nd,...dm->...nm", self.X, self._U(theta))
        r = self.c * np.sum(P * P, axis=-1) - self.y
        Df = 2 * self.c * np.einsum("nd,...nm->...ndm", self.X, P)
        Df = Df.reshape((*Df.shape[:-2], self.d * self.m))
        H1 = np.einsum("...ni,...nj->...ij", Df, Df)
        XX = np.einsum("...n,nd,ne->...de", r, self.X, self.X)
        H2 = 2 * self.c * np.einsum("...de,mk->...dmek", XX, np.eye(self.m))
        H2 = H2.reshape((*H2.shape[:-4], self.d * self.m, self.d * self.m))
        return (H1 + H2) / self.n

    @cached_property
    def model(self) -> Model:
        """The loss as a :class:`Model` with hand-written numpy twins (cross-checked in tests)."""
        names = [f"U_{i}_{j}" for i in range(self.d) for j in range(self.m)]
        return Model.from_numpy(
            names,
            self._loss,
            self._grad,
            self._hessian,
            name=f"quadratic regression (n={self.n}, d={self.d}, m={self.m}, c={self.c:g})",
            citation=CITATION,
        )

    def symbolic(self) -> Model:
        """The same loss built by :meth:`Model.from_sympy` (for small n, d, m)."""
        U = sp.Matrix(self.d, self.m, lambda i, j: sp.Symbol(f"U_{i}_{j}"))
        rows = [sp.Matrix([sp.Float(v) for v in self.X[i]]) for i in range(self.n)]
        labels = [sp.Float(self.y[i]) for i in range(self.n)]
        L = quadratic_regression_loss_expr(rows, labels, U, sp.Float(self.c))
        return Model.from_sympy(L, [str(s) for s in U], name="quadratic regression (sympy)")

    def init(self, scale: float = 0.1, seed: int = 0) -> np.ndarray:
        """U0 ~ scale·N(0, 1), flattened (``scale`` > 0)."""
        scale = _checks.real(scale, "scale", positive=True)
        rng = np.random.default_rng(_checks.seed(seed))
        return scale * rng.standard_normal(self.d * self.m)


# --------------------------------------------------------------------------- catapult maps
def catapult_map() -> Map:
    """Lewkowycz et al. (2020) warm-up map for y = 0: U' = U(1 − V + U)², V' = V − U(4 − V).

    U = η²f²/n, V = ηλ. V' − 4 = (V − 4)(1 + U), so V0 < 4 keeps V < 4 and V0 > 4 diverges.
    """
    return Map.from_sympy(list(CATAPULT_MAP_EXPRS), state=["U", "V"], name="catapult (U, V)")


def nqm_map() -> Map:
    """Zhu et al. (ICLR 2024) single-example NQM map in (u, w, v); w' = w·(u'/u)^{1/2}·sign.

    u' = (1 − v + u + w)² u,  v' = v − u(4 − v) − 4w,  w' = (1 − v + u + w) w
    (w = κη²(g − y)y scales like the residual, u like its square).
    """
    return Map.from_sympy(
        list(NQM_MAP_EXPRS),
        state=["u", "w", "v"],
        name="NQM (u, w, v)",
    )


@dataclass(frozen=True, eq=False)
class NQM:
    """Zhu et al.'s neural quadratic model of a two-layer ReLU net on one example x.

    f(u, v; x) = m^{-1/2} Σ_i v_i σ(u_iᵀx/√d) with u_i ~ N(0, I_d), v_i ~ Unif{±1}; the NQM g is the
    second-order Taylor expansion at initialisation, whose only quadratic term is the cross term
    (md)^{-1/2} Σ_i (v_i − v0_i)(u_i − u0_i)ᵀx·1{u0_iᵀx ≥ 0}. Loss ½(g − y)².
    """

    x: np.ndarray
    y: float
    m: int
    seed: int = 0

    def __post_init__(self) -> None:
        x = _checks.array(self.x, "x")
        if x.ndim != 1 or x.size == 0:
            raise ValueError(f"x must be a non-empty 1-D input vector, got shape {x.shape}")
        object.__setattr__(self, "m", _checks.count(self.m, "m"))
        _checks.n_params(self.m * x.shape[0], "m", "m·d")
        object.__setattr__(self, "y", _checks.real(self.y, "y"))
        object.__setattr__(self, "seed", _checks.seed(self.seed))
        object.__setattr__(self, "x", x)
        rng = np.random.default_rng(self.seed)
        d = x.shape[0]
        u0 = rng.standard_normal((self.m, d))
        v0 = rng.choice([-1.0, 1.0], size=self.m)
        object.__setattr__(self, "u0", u0)
        object.__setattr__(self, "v0", v0)

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.x.shape[0]

    @property
    def kappa(self) -> float:
        """κ = ‖x‖²/(md)."""
        return float(self.x @ self.x) / (self.m * self.d)

    def _parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pre = self.u0 @ self.x / np.sqrt(self.d)
        act = (pre >= 0).astype(float)
        return pre, act, np.maximum(pre, 0.0)

    def g_and_grad(self, du: np.ndarray, dv: np.ndarray) -> tuple[np.ndarray, ...]:
        """g and ∇g (w.r.t. u, v) at displacement (du, dv) from init; batched (..., m, d)."""
        du = _checks.array(du, "du", allow_nan=True)
        dv = _checks.array(dv, "dv", allow_nan=True)
        if du.ndim < 2 or du.shape[-2:] != (self.m, self.d):
            raise ValueError(f"du must have shape (..., {self.m}, {self.d}), got {du.shape}")
        if dv.ndim < 1 or dv.shape[-1] != self.m:
            raise ValueError(f"dv must have shape (..., {self.m}), got {dv.shape}")
        return self._g_and_grad(du, dv)

    def _g_and_grad(self, du: np.ndarray, dv: np.ndarray) -> tuple[np.ndarray, ...]:
        _, act, sig = self._parts()
        sm, sd = np.sqrt(self.m), np.sqrt(self.d)
        f0 = float(self.v0 @ sig) / sm
        dux = du @ self.x  # (..., m)
        g = (
            f0
            + np.sum(sig * dv, axis=-1) / sm
            + np.sum(self.v0 * act * dux, axis=-1) / (sm * sd)
            + np.sum(dv * act * dux, axis=-1) / (sm * sd)
        )
        gv = (sig + act * dux / sd) / sm
        gu = ((self.v0 + dv) * act / (sm * sd))[..., None] * self.x
        return g, gu, gv

    def gd(self, eta: Any, steps: int) -> dict[str, np.ndarray]:
        """Parameter-space GD on ½(g − y)² batched over ``eta`` (a step size > 0 or a non-empty
        1-D grid); returns g_t and λ_t (NTK)."""
        eta = _checks.step_size(eta, "eta")
        steps = _checks.count(steps, "steps")
        _checks.budget((steps + 1) * eta.size, "steps", "the records (steps + 1)·len(eta)")
        _checks.budget(eta.size * self.m * self.d, "eta", "the batch of displacements")
        shape = eta.shape
        du = np.zeros((*shape, self.m, self.d))
        dv = np.zeros((*shape, self.m))
        gs = np.empty((steps + 1, *shape))
        lam = np.empty((steps + 1, *shape))
        with np.errstate(all="ignore"):
            for t in range(steps + 1):
                g, gu, gv = self._g_and_grad(du, dv)
                gs[t] = g
                lam[t] = np.sum(gu * gu, axis=(-2, -1)) + np.sum(gv * gv, axis=-1)
                if t == steps:
                    break
                e = (g - self.y)[..., None]
                du = du - (eta[..., None] * e)[..., None] * gu
                dv = dv - eta[..., None] * e * gv
        return {"g": gs, "lambda": lam}

    def lambda0(self) -> float:
        """The tangent kernel λ0 = ‖∇g(w0)‖² at initialisation."""
        _, gu, gv = self.g_and_grad(np.zeros((self.m, self.d)), np.zeros(self.m))
        return float(np.sum(gu * gu) + np.sum(gv * gv))

    def recursion(self, eta: Any, steps: int) -> dict[str, np.ndarray]:
        """Zhu et al.'s exact recursion for (g − y, λ) from the NQM's g0, λ0; batched over eta.

        g' − y = (1 − ηλ + κη²(g − y)g)(g − y),   λ' = λ − ηκ(g − y)(4g − ηλ(g − y)).
        ``eta``: a step size > 0 or a non-empty 1-D grid.
        """
        eta = _checks.step_size(eta, "eta")
        steps = _checks.count(steps, "steps")
        _checks.budget((steps + 1) * eta.size, "steps", "the records (steps + 1)·len(eta)")
        g0, _, _ = self.g_and_grad(np.zeros((self.m, self.d)), np.zeros(self.m))
        k = self.kappa
        e = np.full(eta.shape, float(g0) - self.y)
        lam = np.full(eta.shape, self.lambda0())
        es = np.empty((steps + 1, *eta.shape))
        ls = np.empty((steps + 1, *eta.shape))
        es[0], ls[0] = e, lam
        with np.errstate(all="ignore"):
            for t in range(steps):
                g = e + self.y
                e, lam = (
                    (1 - eta * lam + k * eta**2 * e * g) * e,
                    lam - eta * k * e * (4 * g - eta * lam * e),
                )
                es[t + 1], ls[t + 1] = e, lam
        return {"g": es + self.y, "lambda": ls}


# --------------------------------------------------------------------------- second-order model
AGARWALA = (
    "Agarwala, Pedregosa, Pennington, 'Second-order regression models exhibit progressive "
    "sharpening to the edge of stability', ICML 2023 (arXiv 2210.04860) [reconstruction]"
)


def second_order_map_family() -> MapFamily:
    """The exact (p, x) map of the two-parameter second-order regression model, family in p*.

    p' = p(1 − x) + p²(p − p*),   x' = x(1 + p²) − 4p(p − p*),
    with p = ηqz (scaled residual), x = ηλ (scaled NTK), p* = ηq z* (brief §1.2; the paper's own
    normalisation could not be read, so this instance is a reconstruction).
    """
    return Map.from_sympy(
        ["p*(1 - x) + p**2*(p - ps)", "x*(1 + p**2) - 4*p*(p - ps)"],
        state=["p", "x"],
        param="ps",
        name="second-order regression (p, x)",
    )


def _second_order_args(z0: Any, J0: Any, q: Any) -> tuple[float, tuple[float, float], float]:
    z0 = _checks.real(z0, "z0")
    J0 = _checks.array(J0, "J0")
    if J0.shape != (2,):
        raise ValueError(f"J0 must have two entries (J0_1, J0_2), got shape {J0.shape}")
    q = _checks.real(q, "q")
    return z0, (float(J0[0]), float(J0[1])), q


def second_order_model(z0: float, J0: tuple[float, float], q: float) -> Model:
    """L(θ) = ½ z(θ)², z(θ) = z0 + J0·θ + (q/2)(θ1² − θ2²): one datapoint, two parameters."""
    z0, J0, q = _second_order_args(z0, J0, q)
    return Model.from_sympy(
        "(z0 + j1*t1 + j2*t2 + q*(t1**2 - t2**2)/2)**2/2",
        ["t1", "t2"],
        constants={"z0": z0, "j1": J0[0], "j2": J0[1], "q": q},
        name="second-order regression",
        citation=AGARWALA,
    )


def second_order_coordinates(
    theta: Any, eta: float, z0: float, J0: tuple[float, float], q: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """(p, x, p*) of a parameter state: p = ηq z(θ), x = η‖J(θ)‖², p* = ηq z* (needs q ≠ 0)."""
    th = _checks.array(theta, "theta")
    if th.ndim == 0 or th.shape[-1] != 2 or th.size == 0:
        raise ValueError(f"theta must have shape (..., 2) with at least one state, got {th.shape}")
    eta = _checks.real(eta, "eta", positive=True)
    z0, J0, q = _second_order_args(z0, J0, q)
    if q == 0:
        raise ValueError("q must be non-zero (p* = ηq z* with z* = z0 − (J0_1² − J0_2²)/(2q))")
    t1, t2 = th[..., 0], th[..., 1]
    z = z0 + J0[0] * t1 + J0[1] * t2 + q * (t1**2 - t2**2) / 2
    J1, J2 = J0[0] + q * t1, J0[1] - q * t2
    z_star = z0 - (J0[0] ** 2 - J0[1] ** 2) / (2 * q)
    return eta * q * z, eta * (J1**2 + J2**2), eta * q * z_star
