"""Diagonal linear networks β = u ⊙ v: step-size-dependent implicit bias and the edge of stability.

Even, Pesme, Gunasekar, Flammarion, "(S)GD over Diagonal Linear Networks: Implicit
Regularisation, Large Stepsizes and Edge of Stability" (NeurIPS 2023, arXiv 2302.08982).

Loss L(u, v) = ‖X(u ⊙ v) − y‖²/(2n), initialisation u0 = √2 α, v0 = 0. With g_k = ∇_β L(β_k) =
Xᵀ(Xβ_k − y)/n, one GD step with step size γ is (u + v) ← (1 − γg) ⊙ (u + v),
(u − v) ← (1 + γg) ⊙ (u − v), which integrates exactly to (while |γ g_j| < 1)

    β_k = −α_k² ⊙ sinh(2 Σ_{j<k} artanh(γ g_j)),   α_k² = α² exp(−Gain_k),
    Gain_k = Σ_{j<k} q(γ g_j),   q(x) = −log|1 − x²|

(derived in the brief §C.1 and ``proofs_check``). If artanh(x) ≈ x the limit minimises the
hyperbolic-entropy ("hypentropy") potential with the *effective* initialisation α_∞ under Xβ = y:

    β_∞ = argmin_{Xβ = y} Σ_i [β_i asinh(β_i/α_∞,i²) − √(β_i² + α_∞,i⁴)],

whose stationarity condition asinh(β/α²) ∈ span(Xᵀ) gives β = α² ⊙ sinh(Xᵀλ) with X β = y solved
for λ ∈ R^n (:func:`hypentropy_interpolator`). At an interpolator the sharpness is
λ_max((2/n) X diag(√(β² + α_k⁴)) Xᵀ).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import root

from ..model import Model
from . import _checks

__all__ = [
    "CITATION",
    "DiagonalLinear",
    "closed_form_expr",
    "diagonal_linear_loss_expr",
    "hypentropy_interpolator",
    "sparse_regression",
]

CITATION = (
    "Even, Pesme, Gunasekar, Flammarion, '(S)GD over Diagonal Linear Networks: Implicit "
    "Regularisation, Large Stepsizes and Edge of Stability', NeurIPS 2023 (arXiv 2302.08982)"
)


def diagonal_linear_loss_expr(X: Any, y: Any, u: Any, v: Any) -> sp.Expr:
    """L(u, v) = ‖X(u ⊙ v) − y‖²/(2n) as a sympy expression (entries may be symbolic).

    ``X`` is indexable as ``X[i, j]`` (n × d), ``y`` has n entries, ``u``, ``v`` have d.
    :meth:`DiagonalLinear.symbolic` builds its loss with it; ``proofs_check.diagonal_linear``
    proves the GD-step identities on it.
    """
    y = _checks.sequence(y, "y", min_length=1, scalars=True)
    u = _checks.sequence(u, "u", min_length=1, scalars=True)
    v = _checks.sequence(v, "v", length=len(u), scalars=True)
    n, d = len(y), len(u)
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2:
        try:
            X = sp.Matrix(_checks.array(X, "X", ndim=2))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"X must be a 2-D (n, d) matrix or array: {exc}") from exc
    if tuple(X.shape) != (n, d):
        raise ValueError(f"X must have shape (len(y), len(u)) = ({n}, {d}), got {X.shape}")
    L = sp.Integer(0)
    for i in range(n):
        r = sum(X[i, j] * u[j] * v[j] for j in range(d))
        L += (r - y[i]) ** 2
    return L / (2 * n)


def closed_form_expr(xs: Any, alpha: Any) -> tuple[sp.Expr, sp.Expr]:
    """Sympy twin of :meth:`DiagonalLinear.closed_form` for one coordinate: (β_k, α_k²).

    With x_j = γ g_j the scaled β-gradients (``xs``, symbols or numbers) and init scale α:
    α_k² = α² Π_j |1 − x_j²| and β_k = −α_k² sinh(Σ_j log|(1 + x_j)/(1 − x_j)|). The numpy
    closed form is cross-checked against this expression (``proofs_check``).
    """
    xs = _checks.sequence(xs, "xs", scalars=True)
    for i, x in enumerate(xs):
        if x.is_number and (abs(x) - 1).is_zero:
            raise ValueError(f"xs[{i}] must not be ±1 (|γ g_j| = 1 zeroes α_k²), got {x}")
    alpha = _checks.symbolic_scalar(alpha, "alpha", positive=True)
    gain = -sum((sp.log(sp.Abs(1 - x * x)) for x in xs), sp.Integer(0))
    phase = sum((sp.log(sp.Abs((1 + x) / (1 - x))) for x in xs), sp.Integer(0))
    a2 = alpha**2 * sp.exp(-gain)
    return -a2 * sp.sinh(phase), a2


def sparse_regression(
    n: int = 20, d: int = 30, s: int = 3, seed: int = 1234
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, β*): Gaussian X (n×d), β* with s N(0,1) entries then zeros, y = Xβ* (brief §C.3)."""
    n = _checks.count(n, "n")
    d = _checks.count(d, "d")
    s = _checks.count(s, "s")
    if s > d:
        raise ValueError(f"s must be <= d, got s={s}, d={d}")
    _checks.budget(n * d, "n" if n >= d else "d", f"X (n × d = {n} × {d})")
    rng = np.random.default_rng(_checks.seed(seed))
    beta = np.zeros(d)
    beta[:s] = rng.standard_normal(s)
    X = rng.standard_normal((n, d))
    return X, X @ beta, beta


def hypentropy_interpolator(X: Any, y: Any, alpha2: Any) -> np.ndarray:
    """argmin_{Xβ = y} Σ_i [β_i asinh(β_i/α_i²) − √(β_i² + α_i⁴)] for per-coordinate α_i² > 0.

    Solved through the dual: β = α² ⊙ sinh(Xᵀλ) with X(α² ⊙ sinh(Xᵀλ)) = y, a smooth system in
    λ ∈ R^n (scipy.optimize.root, 'hybr', with its exact Jacobian X diag(α² cosh(Xᵀλ)) Xᵀ).
    """
    X, y = _data(X, y)
    a2 = _checks.array(alpha2, "alpha2", ndim=(0, 1))
    if a2.ndim == 1 and a2.shape[0] not in (1, X.shape[1]):
        raise ValueError(f"alpha2 must be a scalar or have shape ({X.shape[1]},), got {a2.shape}")
    a2 = np.broadcast_to(a2, (X.shape[1],)).astype(float)
    if np.any(a2 <= 0):
        raise ValueError("alpha2 must be > 0")

    def F(lam: np.ndarray) -> np.ndarray:
        return X @ (a2 * np.sinh(X.T @ lam)) - y

    def J(lam: np.ndarray) -> np.ndarray:
        return (X * (a2 * np.cosh(X.T @ lam))) @ X.T

    # start from the least-squares solution of the linearised system sinh(z) ≈ z
    try:
        lam0 = np.linalg.solve((X * a2) @ X.T, y)
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            f"X must have full row rank (n = {X.shape[0]} independent rows; the dual system "
            f"X diag(alpha2) Xᵀ is singular): {exc}"
        ) from exc
    tol = 1e-9 * (1 + np.max(np.abs(y)))
    with np.errstate(all="ignore"):
        sol = root(F, lam0, jac=J, method="hybr", options={"xtol": 1e-14})
        if not sol.success or np.max(np.abs(F(sol.x))) > tol:
            sol = root(F, np.zeros_like(lam0), jac=J, method="lm", options={"xtol": 1e-15})
        beta = a2 * np.sinh(X.T @ sol.x)
        err = np.max(np.abs(X @ beta - y))
    # never return a β that does not interpolate: for tiny α² the dual variable needs
    # sinh(Xᵀλ) beyond float64 (the interpolator tends to the minimum-ℓ1 one as α → 0)
    if not np.all(np.isfinite(beta)) or not err <= 1e3 * tol:
        raise ValueError(
            f"alpha2 is out of range for the dual solve: X(alpha2 ⊙ sinh(Xᵀλ)) = y was not "
            f"solved in float64 (max |Xβ − y| = {err:.3g}, min alpha2 = {a2.min():.3g}); "
            f"use a larger alpha2 (or better-conditioned X)"
        )
    return beta


def _data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = _checks.array(X, "X")
    y = _checks.array(y, "y")
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must be a non-empty 2-D array (n, d), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    return X, y


class DiagonalLinear:
    """β = u ⊙ v on data (X, y); L = ‖Xβ − y‖²/(2n); θ = (u, v) ∈ R^{2d}."""

    def __init__(self, X: Any, y: Any, alpha: float = 0.1) -> None:
        X, y = _data(X, y)
        self.X, self.y = X, y
        self.n, self.d = X.shape
        self.alpha = _checks.real(alpha, "alpha", positive=True)
        names = [f"u{i}" for i in range(self.d)] + [f"v{i}" for i in range(self.d)]
        self.model = Model.from_numpy(
            names,
            self._loss,
            self._grad,
            self._hessian,
            name=f"diagonal linear net (n={self.n}, d={self.d}, alpha={self.alpha:g})",
            citation=CITATION,
        )

    def __repr__(self) -> str:
        return f"DiagonalLinear(n={self.n}, d={self.d}, alpha={self.alpha:g})"

    # ------------------------------------------------------------------ numpy twins
    def split(self, theta: Any) -> tuple[np.ndarray, np.ndarray]:
        """(u, v) from θ, shape (..., 2d) → two (..., d)."""
        return self._split(self.model._theta(theta))

    def _split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return theta[..., : self.d], theta[..., self.d :]

    @_checks.quiet
    def beta(self, theta: Any) -> np.ndarray:
        """β = u ⊙ v."""
        u, v = self._split(self.model._theta(theta))
        return u * v

    def _residual(self, theta: np.ndarray) -> np.ndarray:
        u, v = self._split(theta)
        return (u * v) @ self.X.T - self.y

    def _loss(self, theta: np.ndarray) -> np.ndarray:
        r = self._residual(theta)
        return np.sum(r * r, axis=-1) / (2 * self.n)

    @_checks.quiet
    def beta_gradient(self, theta: Any, idx: Any = None) -> np.ndarray:
        """g = ∇_β L = Xᵀ(Xβ − y)/n (or the mini-batch version over rows ``idx``)."""
        th = self.model._theta(theta)
        if idx is None:
            return self._residual(th) @ self.X / self.n
        idx = self._idx(idx)
        Xb = self.X[idx]
        u, v = self._split(th)
        r = (u * v) @ Xb.T - self.y[idx]
        return r @ Xb / len(idx)

    def _idx(self, idx: Any) -> np.ndarray:
        """Row indices of a mini-batch: a non-empty 1-D integer array with entries in [0, n)."""
        if isinstance(idx, (bool, np.bool_, str, bytes)):
            raise TypeError(f"idx must be an array of row indices, got {idx!r}")
        try:
            arr = np.asarray(idx)
        except ValueError as exc:  # ragged
            raise ValueError(f"idx must be a 1-D array of row indices: {exc}") from exc
        if arr.dtype.kind not in "iu":
            raise TypeError(f"idx must be an array of integer row indices, got dtype {arr.dtype}")
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"idx must be a non-empty 1-D array of row indices, got {arr.shape}")
        if arr.min() < 0 or arr.max() >= self.n:
            raise ValueError(
                f"idx must lie in [0, {self.n}), got min {arr.min()} and max {arr.max()}"
            )
        return arr

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        u, v = self._split(theta)
        g = self._residual(theta) @ self.X / self.n
        return np.concatenate([g * v, g * u], axis=-1)

    @_checks.quiet
    def batch_grad(self, theta: Any, idx: Any) -> np.ndarray:
        """∇ of the mini-batch loss ‖X_B β − y_B‖²/(2|B|) (for :func:`toymodels.sgd`)."""
        th = self.model._theta(theta)
        if idx is None:
            raise TypeError("idx must be an array of row indices (the mini-batch), got None")
        u, v = self._split(th)
        g = self.beta_gradient(th, idx)
        return np.concatenate([g * v, g * u], axis=-1)

    def _hessian(self, theta: np.ndarray) -> np.ndarray:
        u, v = self._split(theta)
        d = self.d
        C = self.X.T @ self.X / self.n  # (d, d)
        g = self._residual(theta) @ self.X / self.n
        # H = (∂β/∂θ)ᵀ C (∂β/∂θ) + g-weighted cross terms ∂²β_i/∂u_i∂v_i = 1
        H = np.empty((*theta.shape[:-1], 2 * d, 2 * d))
        H[..., :d, :d] = C * (v[..., :, None] * v[..., None, :])
        H[..., :d, d:] = C * (v[..., :, None] * u[..., None, :])
        H[..., d:, :d] = C * (u[..., :, None] * v[..., None, :])
        H[..., d:, d:] = C * (u[..., :, None] * u[..., None, :])
        idx = np.arange(d)
        H[..., idx, d + idx] += g
        H[..., d + idx, idx] += g
        return H

    def symbolic(self) -> Model:
        """The same loss from sympy (small n, d)."""
        import sympy as sp

        u = sp.symbols(f"u0:{self.d}")
        v = sp.symbols(f"v0:{self.d}")
        X = sp.Matrix(self.n, self.d, lambda i, j: sp.Float(self.X[i, j], 17))
        y = [sp.Float(self.y[i], 17) for i in range(self.n)]
        return Model.from_sympy(
            diagonal_linear_loss_expr(X, y, u, v),
            [*map(str, u), *map(str, v)],
            name="diagonal linear (sympy)",
        )

    # ------------------------------------------------------------------ closed forms
    def init(self) -> np.ndarray:
        """u0 = √2 α·1, v0 = 0 (β0 = 0)."""
        return np.concatenate([np.full(self.d, np.sqrt(2) * self.alpha), np.zeros(self.d)])

    def closed_form(self, gammas_g: Any) -> tuple[np.ndarray, np.ndarray]:
        """(β_k, α_k²) from the history x_j = γ g_j (shape (k, d)) of scaled β-gradients.

        β_k = −α_k² sinh(Σ_j log((1 + x_j)/(1 − x_j))), α_k² = α² Π_j |1 − x_j²|: exact for any
        |x_j| ≠ 1 (2 artanh(x) = log((1 + x)/(1 − x)) for |x| < 1).
        """
        x = _checks.array(gammas_g, "gammas_g", ndim=(1, 2))
        if x.ndim == 1:
            x = x[None]
        if x.shape[-1] != self.d:
            raise ValueError(f"gammas_g must have shape (k, {self.d}), got {x.shape}")
        if np.any(np.abs(x) == 1):
            raise ValueError("gammas_g must not contain ±1 (|γ g_j| = 1 sends α_k² to 0)")
        with np.errstate(all="ignore"):
            gain = -np.sum(np.log(np.abs(1 - x * x)), axis=0)
            phase = np.sum(np.log(np.abs((1 + x) / (1 - x))), axis=0)
            a2 = self.alpha**2 * np.exp(-gain)
            beta = -a2 * np.sinh(phase)
        if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(a2))):
            raise ValueError(
                "gammas_g is too large: the closed form β_k = −α_k² sinh(·), "
                "α_k² = α² Π|1 − x_j²| overflows float64"
            )
        return beta, a2

    @_checks.quiet
    def effective_alpha2(self, theta: Any) -> np.ndarray:
        """The *signed* (u² − v²)/2 = α² Π_j (1 − γ²g_j²) from the state alone.

        It equals α_k² of :meth:`closed_form` (= α² Π|1 − γ²g_j²|) up to sign; the sign flips after
        each step with |γ g_j| > 1, and in the edge-of-stability window (Gain ≳ 35) the value is
        below rounding: use the closed form on the gradient history there.
        """
        u, v = self._split(self.model._theta(theta))
        return (u * u - v * v) / 2

    def interpolator_sharpness(self, beta: Any, alpha2: Any) -> np.ndarray:
        """λ_max((2/n) X diag(√(β² + α⁴)) Xᵀ): the sharpness at an interpolator."""
        beta = _checks.array(beta, "beta")
        if beta.ndim == 0 or beta.shape[-1] != self.d:
            raise ValueError(f"beta must have shape (..., {self.d}), got {beta.shape}")
        a2 = _checks.array(alpha2, "alpha2")  # enters as α⁴: any sign, 0 after underflow
        try:
            np.broadcast_shapes(beta.shape, a2.shape)
        except ValueError as exc:
            raise ValueError(
                f"alpha2 must broadcast against beta {beta.shape}, got {a2.shape}"
            ) from exc
        with np.errstate(all="ignore"):
            w = 2 * np.sqrt(beta * beta + a2 * a2) / self.n
            M = np.einsum("ij,...j,kj->...ik", self.X, w, self.X)
        if not np.all(np.isfinite(M)):
            raise ValueError(
                "beta and alpha2 are too large: (2/n) X diag(√(β² + α⁴)) Xᵀ overflows float64"
            )
        return np.linalg.eigvalsh(M)[..., -1]
