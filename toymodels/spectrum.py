"""Hessian spectra: sharpness S(θ) = λ_max(∇²L(θ)), its eigenvector and its gradient.

The edge-of-stability literature (Cohen, Kaur, Li, Kolter, Talwalkar 2021, "Gradient descent on
neural networks typically occurs at the edge of stability", ICLR) measures S(θ_t) against 2/η: the
GD map θ ↦ θ − η∇L has Jacobian I − η∇²L, so a minimum is linearly stable iff ηS < 2.
Toy models have few parameters, so the spectra here are dense float64 ``eigh``.

Non-finite input and overflow (the rule of every function here):

* θ that is not finite (NaN/inf: diverged runs) gives NaN for that member, never an error;
* θ finite but ∇²L(θ) not finite (the loss overflows there, e.g. θ = 1e200 for a quartic loss):
  for a **single point** (``theta`` of shape (p,)) a ``ValueError`` naming ``theta`` ("the Hessian
  is not finite at theta = …"); in a **batch** (``theta`` of shape (..., p) with at least one
  leading axis) NaN for those members, so a trajectory or a sweep keeps its other members;
* no RuntimeWarning is emitted in either case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .model import Model

__all__ = ["hessian_eigenvalues", "sharpness", "sharpness_gradient", "top_eigenvector"]


def _finite_rows(model: Model, theta: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from .model import Model

    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    th = model._theta(theta)
    flat = th.reshape(-1, model.n_params)
    ok = np.all(np.isfinite(flat), axis=-1)
    return th, flat, ok


def _hessians(model: Model, th: np.ndarray, flat: np.ndarray, ok: np.ndarray) -> tuple[Any, Any]:
    """∇²L at the finite rows and the mask of rows where it is finite (see the module rule)."""
    H = model.hessian(flat[ok])
    good = np.all(np.isfinite(H), axis=(-2, -1))
    if th.ndim == 1 and not good.all():
        raise ValueError(
            f"theta: the Hessian is not finite at theta = {th.tolist()} (the loss or its "
            "derivatives overflow float64 there); the spectrum is undefined at that point"
        )
    return H, good


def hessian_eigenvalues(model: Model, theta: Any) -> np.ndarray:
    """All Hessian eigenvalues in ascending order, shape (..., p).

    NaN where θ is not finite, and for batch members where ∇²L is not finite; a single finite
    point with a non-finite Hessian raises ValueError naming ``theta`` (module docstring).
    """
    th, flat, ok = _finite_rows(model, theta)
    out = np.full(flat.shape, np.nan)
    if ok.any():
        H, good = _hessians(model, th, flat, ok)
        vals = np.full((H.shape[0], model.n_params), np.nan)
        if good.any():
            with np.errstate(all="ignore"):
                vals[good] = np.linalg.eigvalsh(H[good])
        out[ok] = vals
    return out.reshape(th.shape)


def sharpness(model: Model, theta: Any) -> np.ndarray:
    """S(θ) = λ_max(∇²L(θ)), shape ``theta.shape[:-1]`` (NaN rule: module docstring).

    Linear stability of a minimum under GD with step η holds iff ηS < 2 (Cohen et al. 2021, §2).
    """
    return hessian_eigenvalues(model, theta)[..., -1]


def top_eigenvector(model: Model, theta: Any) -> tuple[np.ndarray, np.ndarray]:
    """(S(θ), v(θ)): the top Hessian eigenvalue and a unit eigenvector (sign: largest entry > 0).

    NaN rule and the single-point error: module docstring.
    """
    th, flat, ok = _finite_rows(model, theta)
    vals = np.full(flat.shape[0], np.nan)
    vecs = np.full(flat.shape, np.nan)
    if ok.any():
        H, good = _hessians(model, th, flat, ok)
        w = np.full(H.shape[0], np.nan)
        v = np.full((H.shape[0], model.n_params), np.nan)
        if good.any():
            with np.errstate(all="ignore"):
                ww, vv = np.linalg.eigh(H[good])
            top = vv[..., -1]
            idx = np.argmax(np.abs(top), axis=-1)
            sgn = np.sign(np.take_along_axis(top, idx[:, None], axis=-1))
            sgn[sgn == 0] = 1.0
            w[good] = ww[..., -1]
            v[good] = top * sgn
        vals[ok] = w
        vecs[ok] = v
    return vals.reshape(th.shape[:-1]), vecs.reshape(th.shape)


def sharpness_gradient(model: Model, theta: Any) -> np.ndarray:
    """∇S(θ) = ∇³L(θ)[v, v] for a simple top eigenvalue with unit eigenvector v.

    This is the direction Damian, Nichani, Lee (ICLR 2023, "Self-stabilization") use for the
    sharpness-reduction term of their cubic Taylor expansion. NaN rule and the single-point
    error: module docstring.
    """
    _, v = top_eigenvector(model, theta)
    th = model._theta(theta)
    return model.third(th, v)
