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

from .._validate import as_float_array, positive_int
from ..model import Model

__all__ = ["CITATION", "WideLinearNet", "balanced_line_map", "uv_model"]

CITATION = (
    "Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari, 'The large learning rate phase of deep "
    "learning: the catapult mechanism', arXiv 2003.02218 (2020)"
)


def uv_model(y: float = 1.0) -> Model:
    """L(u, v) = ½(uv − y)² (sympy form; exact gradient / Hessian / third derivatives)."""
    return Model.from_sympy(
        "(u*v - y)**2/2", ["u", "v"], constants={"y": y}, name=f"uv (y={y:g})", citation=CITATION
    )


def balanced_line_map(y: float = 1.0):
    """GD on the balanced line u = v = w: the family η ↦ (w ↦ w(1 + η(y − w²)))."""
    from ..maps import Map

    return Map.from_sympy(
        "w*(1 + eta*(y - w**2))", state="w", param="eta", constants={"y": y}, name="uv balanced"
    )


class WideLinearNet:
    """f = n^{-1/2} vᵀu on one sample (x = 1), loss ½(f − y)², parameters θ = (u, v) ∈ R^{2n}.

    Numpy twins are hand-written (the Hessian is [[e/√n·0 + vvᵀ/n, (e/√n)I + vuᵀ/n], …]); a sympy
    form is available for small n via :meth:`symbolic`.
    """

    def __init__(self, n: int, y: float = 0.0) -> None:
        self.n = positive_int(n, "n")
        self.y = float(as_float_array(y, "y"))

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(u, v) from θ = (u, v)."""
        return theta[..., : self.n], theta[..., self.n :]

    def f(self, theta: Any) -> np.ndarray:
        """Network output n^{-1/2} vᵀu."""
        u, v = self.split(self.model._theta(theta))
        return np.sum(u * v, axis=-1) / np.sqrt(self.n)

    def ntk(self, theta: Any) -> np.ndarray:
        """λ = (‖u‖² + ‖v‖²)/n."""
        th = self.model._theta(theta)
        return np.sum(th * th, axis=-1) / self.n

    def _loss(self, theta: np.ndarray) -> np.ndarray:
        u, v = self.split(theta)
        return 0.5 * (np.sum(u * v, axis=-1) / np.sqrt(self.n) - self.y) ** 2

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        u, v = self.split(theta)
        e = np.sum(u * v, axis=-1, keepdims=True) / np.sqrt(self.n) - self.y
        return np.concatenate([e * v, e * u], axis=-1) / np.sqrt(self.n)

    def _hessian(self, theta: np.ndarray) -> np.ndarray:
        u, v = self.split(theta)
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
        f = sum(a * b for a, b in zip(u, v, strict=True)) / sp.sqrt(self.n)
        return Model.from_sympy((f - sp.Float(self.y)) ** 2 / 2, [*map(str, u), *map(str, v)])

    def init(self, seed: int = 0) -> np.ndarray:
        """u, v ~ N(0, I_n) (Lewkowycz et al.'s NTK initialisation)."""
        return np.random.default_rng(seed).standard_normal(2 * self.n)

    def init_with(self, eta_lambda0: float, seed: int = 0) -> tuple[np.ndarray, float]:
        """A Gaussian init and the step size η = (ηλ0)/λ0 that gives the requested ηλ0."""
        th = self.init(seed)
        lam0 = float(self.ntk(th))
        return th, float(eta_lambda0) / lam0
