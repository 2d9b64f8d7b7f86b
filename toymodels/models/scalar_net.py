"""Scalar networks f(w) = Π_{i=1}^D w_i with the squared loss, and their GFS-sharpness.

Kreisler, Nacson, Soudry, Carmon, "Gradient descent monotonically decreases the sharpness of
gradient flow solutions in scalar networks and beyond" (ICML 2023, arXiv 2305.13064).

Loss L(w) = (Π_i w_i − y)²/2 on one datum x = 1, residual r = Πw − y.

* Gradient ∂L/∂w_i = r g_i with g_i = Π_{j≠i} w_j; Hessian H_ij = g_i g_j + r Π_{k≠i,j} w_k (i ≠ j),
  H_ii = g_i². At a minimum H = g gᵀ, so the sharpness there is S = Σ_i g_i² = y² Σ_i 1/w_i²,
  minimal (= D|y|^{2−2/D}) at the balanced minimum |w_i| = |y|^{1/D} (AM–GM).
* Gradient flow conserves the balances w_i² − w_j²; one GD step multiplies them by
  (1 − η²r² Π_{k≠i,j} w_k²).
* GFS-sharpness φ(w): the sharpness of the minimum that gradient flow reaches from w. With
  c_i = w_i² − min_j w_j² conserved, the GF solution is |w_i^∞| = √(s + c_i) where s is the root of
  Π_i (s + c_i) = y², so φ(w) = y² Σ_i 1/(s + c_i). For D = 2: φ = √((w_1² − w_2²)² + 4y²).

The paper proves that φ decreases monotonically along GD (under conditions on η and the start that
could not be read here; see the tests for the measured region where it holds and where it fails).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..model import Model
from . import _checks

__all__ = ["CITATION", "ScalarNet", "scalar_net_loss_expr"]

#: largest |y|: y² (loss, sharpness, the GF-shift equation) must stay finite in float64
_MAX_TARGET = 1e150

CITATION = (
    "Kreisler, Nacson, Soudry, Carmon, 'Gradient descent monotonically decreases the sharpness "
    "of gradient flow solutions in scalar networks and beyond', ICML 2023 (arXiv 2305.13064)"
)


def scalar_net_loss_expr(w: Any, y: Any) -> sp.Expr:
    """L(w) = (Π_i w_i − y)²/2 as a sympy expression (``w`` a sequence of symbols, ``y`` any).

    :meth:`ScalarNet.symbolic` builds its loss with this function and ``proofs_check.scalar_net``
    proves its identities about it (the numpy twins of :class:`ScalarNet` are checked against it).
    """
    w = _checks.sequence(w, "w", min_length=1, scalars=True)
    y = _checks.symbolic_scalar(y, "y")
    return (sp.Mul(*w) - y) ** 2 / 2


class ScalarNet:
    """The depth-D scalar network L(w) = (Π w_i − y)²/2 with closed-form sharpness quantities.

    ``model`` is the hand-written numpy twin (batched; any D); ``symbolic()`` the sympy form used
    to cross-check it.
    """

    def __init__(self, depth: int, y: float = 1.0) -> None:
        self.depth = _checks.count(depth, "depth", minimum=2, maximum=_checks.MAX_DEPTH)
        y_val = _checks.real(y, "y")
        if y_val == 0:
            raise ValueError("y must be non-zero (the GFS-sharpness is undefined for y = 0)")
        if abs(y_val) > _MAX_TARGET:
            raise ValueError(
                f"y must satisfy |y| <= {_MAX_TARGET:g} (y² enters the loss and the sharpness "
                f"and would overflow float64), got {y!r}"
            )
        self.y = y_val
        self.params = tuple(f"w{i}" for i in range(self.depth))
        self.model = Model.from_numpy(
            self.params,
            self._loss,
            self._grad,
            self._hessian,
            name=f"scalar net (D={self.depth}, y={self.y:g})",
            citation=CITATION,
        )

    def __repr__(self) -> str:
        return f"ScalarNet(depth={self.depth}, y={self.y:g})"

    # ------------------------------------------------------------------ numpy twins
    def _others(self, w: np.ndarray) -> np.ndarray:
        """g_i = Π_{j≠i} w_j, computed without division (exact at w_i = 0)."""
        D = self.depth
        g = np.ones_like(w)
        for i in range(D):
            for j in range(D):
                if j != i:
                    g[..., i] = g[..., i] * w[..., j]
        return g

    def _loss(self, w: np.ndarray) -> np.ndarray:
        return 0.5 * (np.prod(w, axis=-1) - self.y) ** 2

    def _grad(self, w: np.ndarray) -> np.ndarray:
        r = np.prod(w, axis=-1, keepdims=True) - self.y
        return r * self._others(w)

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        D = self.depth
        g = self._others(w)
        r = np.prod(w, axis=-1) - self.y
        H = g[..., :, None] * g[..., None, :]
        for i in range(D):
            for j in range(D):
                if i != j:
                    pij = np.ones(w.shape[:-1])
                    for k in range(D):
                        if k not in (i, j):
                            pij = pij * w[..., k]
                    H[..., i, j] += r * pij
        return H

    def symbolic(self) -> Model:
        """The same loss from sympy."""
        w = sp.symbols(f"w0:{self.depth}")
        return Model.from_sympy(
            scalar_net_loss_expr(w, sp.Float(self.y, 17)),
            [str(s) for s in w],
            name="scalar net (sympy)",
        )

    # ------------------------------------------------------------------ closed forms
    def _w(self, w: Any) -> np.ndarray:
        return self.model._theta(w, "w")

    @_checks.quiet
    def residual(self, w: Any) -> np.ndarray:
        """r = Π w_i − y."""
        return np.prod(self._w(w), axis=-1) - self.y

    @_checks.quiet
    def balances(self, w: Any) -> np.ndarray:
        """w_i² − w_0² for i = 1 … D−1 (conserved by gradient flow)."""
        w2 = self._w(w) ** 2
        return w2[..., 1:] - w2[..., :1]

    @_checks.quiet
    def minimum_sharpness(self, w: Any) -> np.ndarray:
        """y² Σ 1/w_i²: the sharpness at a minimiser w (Π w = y); +inf where some w_i = 0."""
        w = self._w(w)
        with np.errstate(divide="ignore"):
            return self.y**2 * np.sum(1.0 / w**2, axis=-1)

    def balanced_sharpness(self) -> float:
        """D|y|^{2−2/D}: the smallest sharpness on the minimiser manifold."""
        return self.depth * abs(self.y) ** (2 - 2 / self.depth)

    @_checks.quiet
    def gf_shift(self, w: Any) -> np.ndarray:
        """δ ≥ −min w_i² solving Π_i (w_i² + δ) = y², so that |w_i^GF| = √(w_i² + δ).

        Σ log(w_i² + δ) is increasing and concave in δ, so Newton's method started to the right
        of the root (δ0 = |y|^{2/D} − min w_i², where every factor is ≥ |y|^{2/D}) converges
        monotonically; 100 iterations or |Δδ| ≤ 4ε(1 + |δ|).
        """
        t = self._w(w) ** 2
        target = np.log(self.y**2)
        lo = -np.min(t, axis=-1)
        delta = np.maximum(abs(self.y) ** (2 / self.depth) + lo, 0.0)
        with np.errstate(all="ignore"):
            for _ in range(100):
                s = t + delta[..., None]
                g = np.sum(np.log(s), axis=-1) - target
                dg = np.sum(1.0 / s, axis=-1)
                step = g / dg
                new = np.maximum(delta - step, lo + (delta - lo) * 1e-3)  # stay inside domain
                done = np.abs(new - delta) <= 4 * np.finfo(float).eps * (1 + np.abs(delta))
                delta = np.where(np.isfinite(new), new, delta)
                if np.all(done | ~np.isfinite(new)):
                    break
        return delta

    @_checks.quiet
    def gf_solution(self, w: Any) -> np.ndarray:
        """The minimum gradient flow reaches from w: w_i^∞ = sign(w_i)√(w_i² + δ).

        Valid when sign(Π w) = sign(y) (GF then keeps every sign); NaN otherwise.
        """
        w = self._w(w)
        delta = self.gf_shift(w)
        out = np.sign(w) * np.sqrt(w**2 + delta[..., None])
        ok = np.sign(np.prod(w, axis=-1)) == np.sign(self.y)
        return np.where(ok[..., None], out, np.nan)

    @_checks.quiet
    def gfs_sharpness(self, w: Any) -> np.ndarray:
        """φ(w) = y² Σ_i 1/(w_i² + δ): sharpness of the gradient-flow solution from w.

        Kreisler et al. (ICML 2023) call this the GFS sharpness and prove it decreases along GD.
        It depends on w only through the balances, so it is sign-independent.
        """
        w = self._w(w)
        delta = self.gf_shift(w)
        return self.y**2 * np.sum(1.0 / (w**2 + delta[..., None]), axis=-1)
