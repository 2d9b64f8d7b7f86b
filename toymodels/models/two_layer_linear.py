"""Two-layer linear networks with one input and one output: the uv model and its width-n form.

* Scalar uv net f = uv, L(u, v) = ½(uv − y)². On the balanced line u = v = w GD is exactly

      w ↦ w(1 + η(y − w²)),

  which for y = 1 is the projected cubic map g_a of Chen et al. (TMLR 2024) with a = η, so
  z = w² follows F_η(z) = z(1 + η(1 − z))². Off the line the imbalance u² − v² is multiplied by
  (1 − η²e²) each step, e = uv − y (Lewkowycz et al. 2020; Kreisler et al. ICML 2023 for the
  general depth-D conservation law). At the minimum uv = y, the sharpness is u² + v².
* Width-n net f = n^{-1/2} vᵀu, L = ½(f − y)², with NTK λ = (‖u‖² + ‖v‖²)/n: Lewkowycz, Bahri,
  Dyer, Sohl-Dickstein, Gur-Ari, "The large learning rate phase of deep learning: the catapult
  mechanism" (arXiv 2003.02218). For y = 0 the pair (U, V) = (η²f²/n, ηλ) follows
  :func:`toymodels.models.quadratic_regression.catapult_map` exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..model import Model
from . import _checks

__all__ = [
    "CITATION",
    "UV_BALANCED_LINE_EXPR",
    "UV_LOSS_EXPR",
    "WideLinearNet",
    "balanced_line_map",
    "depth2_loss_expr",
    "uv_model",
    "wide_linear_loss_expr",
]

#: largest |y| / |Φ| of the numpy twins: the squared target (loss, sharpness) must stay finite
_MAX_TARGET = 1e150


def _target(value: Any, name: str) -> float:
    """A finite real target whose square does not overflow float64."""
    v = _checks.real(value, name)
    if abs(v) > _MAX_TARGET:
        raise ValueError(
            f"{name} must satisfy |{name}| <= {_MAX_TARGET:g} (its square enters the loss and the "
            f"sharpness and would overflow float64), got {value!r}"
        )
    return v


CITATION = (
    "Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari, 'The large learning rate phase of deep "
    "learning: the catapult mechanism', arXiv 2003.02218 (2020)"
)


#: L(u, v) = ½(uv − y)² in ``u``, ``v``, ``y``: compiled by :func:`uv_model`, proven on by
#: ``proofs_check.uv_model``
UV_LOSS_EXPR = "(u*v - y)**2/2"
#: GD on the balanced line u = v = w: w ↦ w(1 + η(y − w²)) (:func:`balanced_line_map`)
UV_BALANCED_LINE_EXPR = "w*(1 + eta*(y - w**2))"


def wide_linear_loss_expr(u: Any, v: Any, y: Any) -> sp.Expr:
    """½(n^{-1/2} vᵀu − y)² as a sympy expression for sequences ``u``, ``v`` of length n.

    Used by :meth:`WideLinearNet.symbolic` and by ``proofs_check.catapult`` (the explicit-vector
    derivation of the catapult map); entries and ``y`` may be symbolic.
    """
    u = _checks.sequence(u, "u", min_length=1, scalars=True)
    v = _checks.sequence(v, "v", length=len(u), scalars=True)
    y = _checks.symbolic_scalar(y, "y")
    f = sum(a * b for a, b in zip(u, v, strict=True)) / sp.sqrt(len(u))
    return (f - y) ** 2 / 2


def depth2_loss_expr(a: Any, b: Any, Phi: Any) -> sp.Expr:
    """(aᵀb − Φ)²/2 as a sympy expression (:meth:`Depth2Linear.symbolic`, ``proofs_check``)."""
    a = _checks.sequence(a, "a", min_length=1, scalars=True)
    b = _checks.sequence(b, "b", length=len(a), scalars=True)
    Phi = _checks.symbolic_scalar(Phi, "Phi")
    m = sum((x * z for x, z in zip(a, b, strict=True)), sp.Integer(0))
    return (m - Phi) ** 2 / 2


def uv_model(y: float = 1.0) -> Model:
    """L(u, v) = ½(uv − y)² (sympy form; exact gradient / Hessian / third derivatives)."""
    y = _checks.real(y, "y")
    return Model.from_sympy(
        UV_LOSS_EXPR, ["u", "v"], constants={"y": y}, name=f"uv (y={y:g})", citation=CITATION
    )


def balanced_line_map(y: float = 1.0):
    """GD on the balanced line u = v = w: the family η ↦ (w ↦ w(1 + η(y − w²)))."""
    from ..maps import Map

    y = _checks.real(y, "y")
    return Map.from_sympy(
        UV_BALANCED_LINE_EXPR, state="w", param="eta", constants={"y": y}, name="uv balanced"
    )


class WideLinearNet:
    """f = n^{-1/2} vᵀu on one sample (x = 1), loss ½(f − y)², parameters θ = (u, v) ∈ R^{2n}.

    Numpy twins are hand-written (the Hessian is [[e/√n·0 + vvᵀ/n, (e/√n)I + vuᵀ/n], …]); a sympy
    form is available for small n via :meth:`symbolic`.
    """

    def __init__(self, n: int, y: float = 0.0) -> None:
        self.n = _checks.count(n, "n")
        _checks.n_params(2 * self.n, "n", "2n")
        self.y = _target(y, "y")

    def __repr__(self) -> str:
        return f"WideLinearNet(n={self.n}, y={self.y:g})"

    def split(self, theta: Any) -> tuple[np.ndarray, np.ndarray]:
        """(u, v) from θ = (u, v), shape (..., 2n) → two (..., n)."""
        return self._split(self.model._theta(theta))

    def _split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return theta[..., : self.n], theta[..., self.n :]

    @_checks.quiet
    def f(self, theta: Any) -> np.ndarray:
        """Network output n^{-1/2} vᵀu."""
        u, v = self._split(self.model._theta(theta))
        return np.sum(u * v, axis=-1) / np.sqrt(self.n)

    @_checks.quiet
    def ntk(self, theta: Any) -> np.ndarray:
        """λ = (‖u‖² + ‖v‖²)/n."""
        th = self.model._theta(theta)
        return np.sum(th * th, axis=-1) / self.n

    def _loss(self, theta: np.ndarray) -> np.ndarray:
        u, v = self._split(theta)
        return 0.5 * (np.sum(u * v, axis=-1) / np.sqrt(self.n) - self.y) ** 2

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        u, v = self._split(theta)
        e = np.sum(u * v, axis=-1, keepdims=True) / np.sqrt(self.n) - self.y
        return np.concatenate([e * v, e * u], axis=-1) / np.sqrt(self.n)

    def _hessian(self, theta: np.ndarray) -> np.ndarray:
        u, v = self._split(theta)
        s = np.sqrt(self.n)
        e = np.sum(u * v, axis=-1) / s - self.y
        J = np.concatenate([v, u], axis=-1) / s
        H = J[..., :, None] * J[..., None, :]
        eye = np.eye(self.n) / s
        H[..., : self.n, self.n :] += e[..., None, None] * eye
        H[..., self.n :, : self.n] += e[..., None, None] * eye
        return H

    @property
    def model(self) -> Model:
        """The loss as a :class:`Model` (numpy twins)."""
        if not hasattr(self, "_model"):
            names = [f"u{i}" for i in range(self.n)] + [f"v{i}" for i in range(self.n)]
            self._model = Model.from_numpy(
                names,
                self._loss,
                self._grad,
                self._hessian,
                name=f"width-{self.n} linear net",
                citation=CITATION,
            )
        return self._model

    def symbolic(self) -> Model:
        """The same loss from sympy (small n)."""
        import sympy as sp

        u = sp.symbols(f"u0:{self.n}")
        v = sp.symbols(f"v0:{self.n}")
        return Model.from_sympy(
            wide_linear_loss_expr(u, v, sp.Float(self.y)), [*map(str, u), *map(str, v)]
        )

    def init(self, seed: int = 0) -> np.ndarray:
        """u, v ~ N(0, I_n) (Lewkowycz et al.'s NTK initialisation)."""
        return np.random.default_rng(_checks.seed(seed)).standard_normal(2 * self.n)

    def init_with(self, eta_lambda0: float, seed: int = 0) -> tuple[np.ndarray, float]:
        """A Gaussian init and the step size η = (ηλ0)/λ0 that gives the requested ηλ0 > 0."""
        eta_lambda0 = _checks.real(eta_lambda0, "eta_lambda0", positive=True)
        th = self.init(seed)
        lam0 = float(self.ntk(th))
        return th, eta_lambda0 / lam0


BENEVENTANO = (
    "Beneventano & Woodworth, 'Gradient descent converges linearly to flatter minima than "
    "gradient flow in shallow linear networks', arXiv 2501.09137 (2025)"
)


class Depth2Linear:
    """Depth-2 linear net with one input and one output: m = aᵀb, L(a, b) = (aᵀb − Φ)²/2.

    θ = (a, b) ∈ R^{2d}. With r = m − Φ, GD multiplies a + b by (1 − ηr) and a − b by (1 + ηr), so

    * Q = ‖a‖² − ‖b‖²:  Q' = (1 − η²r²) Q;
    * λ = ‖a‖² + ‖b‖²:  λ' = λ − 4ηrm + η²r²λ;   r' = r(1 − ηλ + η²rm);
    * K = ‖a + b‖·‖a − b‖ is conserved by gradient flow and K' = |1 − η²r²| K under GD.

    At a minimum the sharpness is λ = √(4Φ² + K²): gradient flow ends at λ_GF = √(4Φ² + K_0²), GD
    at √(4Φ² + K_∞²) ≤ λ_GF (flatter), and 2|Φ| is the flattest minimum (Beneventano & Woodworth
    2025; derivations in the brief §B and ``proofs_check``).
    """

    def __init__(self, d: int, Phi: float = 1.0) -> None:
        self.d = _checks.count(d, "d")
        _checks.n_params(2 * self.d, "d", "2d")
        self.Phi = _target(Phi, "Phi")
        names = [f"a{i}" for i in range(self.d)] + [f"b{i}" for i in range(self.d)]
        self.model = Model.from_numpy(
            names,
            self._loss,
            self._grad,
            self._hessian,
            name=f"depth-2 linear (d={self.d}, Phi={self.Phi:g})",
            citation=BENEVENTANO,
        )

    def __repr__(self) -> str:
        return f"Depth2Linear(d={self.d}, Phi={self.Phi:g})"

    def split(self, theta: Any) -> tuple[np.ndarray, np.ndarray]:
        """(a, b) from θ, shape (..., 2d) → two (..., d)."""
        return self._split(self.model._theta(theta))

    def _split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return theta[..., : self.d], theta[..., self.d :]

    def _loss(self, theta: np.ndarray) -> np.ndarray:
        a, b = self._split(theta)
        return 0.5 * (np.sum(a * b, axis=-1) - self.Phi) ** 2

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        a, b = self._split(theta)
        r = np.sum(a * b, axis=-1, keepdims=True) - self.Phi
        return np.concatenate([r * b, r * a], axis=-1)

    def _hessian(self, theta: np.ndarray) -> np.ndarray:
        a, b = self._split(theta)
        r = np.sum(a * b, axis=-1) - self.Phi
        J = np.concatenate([b, a], axis=-1)
        H = J[..., :, None] * J[..., None, :]
        eye = np.eye(self.d)
        H[..., : self.d, self.d :] += r[..., None, None] * eye
        H[..., self.d :, : self.d] += r[..., None, None] * eye
        return H

    def symbolic(self) -> Model:
        """The same loss from sympy."""
        a = sp.symbols(f"a0:{self.d}")
        b = sp.symbols(f"b0:{self.d}")
        return Model.from_sympy(
            depth2_loss_expr(a, b, sp.Float(self.Phi, 17)),
            [*map(str, a), *map(str, b)],
            name="depth-2 linear (sympy)",
        )

    # ------------------------------------------------------------------ invariants
    def _t(self, theta: Any) -> np.ndarray:
        return self.model._theta(theta)

    @_checks.quiet
    def residual(self, theta: Any) -> np.ndarray:
        """r = aᵀb − Φ."""
        a, b = self._split(self._t(theta))
        return np.sum(a * b, axis=-1) - self.Phi

    @_checks.quiet
    def imbalance(self, theta: Any) -> np.ndarray:
        """Q = ‖a‖² − ‖b‖²."""
        a, b = self._split(self._t(theta))
        return np.sum(a * a, axis=-1) - np.sum(b * b, axis=-1)

    @_checks.quiet
    def norm(self, theta: Any) -> np.ndarray:
        """λ = ‖a‖² + ‖b‖² (the sharpness at a minimum)."""
        th = self._t(theta)
        return np.sum(th * th, axis=-1)

    @_checks.quiet
    def K(self, theta: Any) -> np.ndarray:
        """K = ‖a + b‖·‖a − b‖ (gradient-flow invariant)."""
        a, b = self._split(self._t(theta))
        return np.linalg.norm(a + b, axis=-1) * np.linalg.norm(a - b, axis=-1)

    @_checks.quiet
    def gfs_sharpness(self, theta: Any) -> np.ndarray:
        """√(4Φ² + K²): the sharpness of the minimum gradient flow reaches from θ."""
        return np.sqrt(4 * self.Phi**2 + self.K(theta) ** 2)

    def flattest_sharpness(self) -> float:
        """2|Φ|: the sharpness of the balanced minimum (K = 0), the flattest one."""
        return 2 * abs(self.Phi)
