"""The tiny tanh MLP of the Edge-of-Stochastic-Stability brief: f(x) = aᵀtanh(Wx), MSE loss.

Andreyev & Beneventano, "Edge of Stochastic Stability: Revisiting the Edge of Stability for SGD",
arXiv 2412.20553. The paper trains MLPs and CNNs on CIFAR-10 subsets with the MSE loss and a small
initialisation (authors' README: MLP, batch 16, η = 0.01, init-scale 0.2). This module is the
smallest faithful stand-in the research brief found (``research/sgd_and_features.md`` §2.3, a
reconstruction, not the paper's setting):

* model f(x) = aᵀ tanh(Wx), W ∈ R^{k×d}, a ∈ R^k, no biases (k = 20, d = 5: p = k·d + k = 120);
* data n = 32 inputs x ~ N(0, I_d), random labels y ~ N(0, 1), both drawn from
  ``numpy.random.default_rng(seed)`` (seed 0: first X (n, d), then Y (n,));
* per-sample loss ℓ_i(θ) = ½(f(x_i) − y_i)², so L = ½·mean_i (f(x_i) − y_i)²;
* the "small init": W ~ N(0, 1/d)·s, a ~ N(0, 1/k)·s with s = 0.5 (:func:`tanh_mlp_init`).

θ is (W flattened row-major, then a): θ = (W_0_0, …, W_0_{d−1}, W_1_0, …, a_0, …, a_{k−1}).

Closed forms (written out here; :func:`tanh_mlp_sympy` is the symbolic twin, cross-checked in
``tests/batch_sharpness/test_tanh_mlp.py``). With h = Wx, s = tanh h, s' = 1 − s²,
s'' = −2 s s', s''' = −2 s'² + 4 s² s', r = f − y:

* ∇f: ∂f/∂a_k = s_k, ∂f/∂W_kl = a_k s'_k x_l;  ∇ℓ = r ∇f;
* ∇²f: (a_k, W_kl) = s'_k x_l, (W_kl, W_km) = a_k s''_k x_l x_m (block diagonal in k),
  (a, a) = 0;  ∇²ℓ = ∇f ∇fᵀ + r ∇²f (Gauss–Newton part plus residual part);
* ∇³ℓ[u, u] = 2(∇f·u)(∇²f u) + (uᵀ∇²f u)∇f + r ∇³f[u, u], with, for u = (U, v) and c_k = U_k·x,
  ∇³f[u, u]: a_k ↦ s''_k c_k², W_kl ↦ (a_k s'''_k c_k² + 2 v_k s''_k c_k) x_l.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from .. import limits
from ..data_model import SAMPLE_BLOCK, DataModel
from ..model import Model
from . import _checks

__all__ = [
    "CITATION",
    "SMALL_INIT_SCALE",
    "mlp_data",
    "tanh_mlp",
    "tanh_mlp_init",
    "tanh_mlp_on",
    "tanh_mlp_sympy",
]

CITATION = (
    "Andreyev, Beneventano, 'Edge of Stochastic Stability: Revisiting the Edge of Stability for "
    "SGD', arXiv 2412.20553 [toy: research brief sgd_and_features.md §2.3, a reconstruction]"
)
#: the brief's "small init" multiplier s: W ~ N(0, 1/d)·s, a ~ N(0, 1/k)·s
SMALL_INIT_SCALE = 0.5
#: largest k·d + k the symbolic twin builds (its Hessian has p² sympy entries)
MAX_SYMPY_PARAMS = 24
#: largest width·d + width accepted (memory guard, checked up front)
_MAX_P = 100_000


def _width_d(width: Any, d: Any) -> tuple[int, int]:
    k = _checks.count(width, "width")
    dd = _checks.count(d, "d")
    _checks.n_params(k * dd + k, "width", "width·d + width")
    if k * dd + k > _MAX_P:
        raise ValueError(
            f"width is too large: width·d + width = {k * dd + k} parameters (the per-sample "
            f"Hessians are dense, limit {_MAX_P})"
        )
    return k, dd


def _hessian_memory(k: int, d: int, n: int) -> None:
    """The dense per-sample Hessians of a full-batch mean are evaluated SAMPLE_BLOCK at a time:
    refuse, naming ``width``, a model whose block of Hessians exceeds the memory budget."""
    p = k * d + k
    m = min(n, SAMPLE_BLOCK)
    limits.check_memory(
        f"width={k} with d={d} (p = {p} parameters)",
        [(f"a block of {m} dense per-sample Hessians", 8.0 * m * p * p)],
        "Use a smaller width (the Hessians are dense p×p per sample).",
    )


def mlp_data(n: int = 32, d: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The brief's data: X (n, d) with rows x ~ N(0, I_d), random labels Y (n,) ~ N(0, 1).

    Drawn from ``numpy.random.default_rng(seed)``: first X (``standard_normal((n, d))``), then Y
    (``standard_normal(n)``). Raises ValueError / TypeError naming ``n``, ``d`` or ``seed``.
    """
    nn = _checks.count(n, "n")
    dd = _checks.count(d, "d")
    s = _checks.seed(seed)
    _checks.budget(nn * (dd + 1), "n or d", f"data of n = {nn} samples in d = {dd} dimensions")
    rng = np.random.default_rng(s)
    X = rng.standard_normal((nn, dd))
    Y = rng.standard_normal(nn)
    return X, Y


def tanh_mlp_init(
    width: int = 20, d: int = 5, scale: float = SMALL_INIT_SCALE, seed: int = 0
) -> np.ndarray:
    """θ₀ = (W, a) with W ~ N(0, 1/d)·scale, a ~ N(0, 1/width)·scale (the brief's small init).

    ``numpy.random.default_rng(seed)`` draws W (width, d) first, then a (width,). Returns the flat
    θ₀ of shape (width·d + width,). Raises ValueError / TypeError naming ``width``, ``d``,
    ``scale`` or ``seed``.
    """
    k, dd = _width_d(width, d)
    sc = _checks.real(scale, "scale", positive=True)
    s = _checks.seed(seed)
    rng = np.random.default_rng(s)
    W = rng.standard_normal((k, dd)) * np.sqrt(1.0 / dd) * sc
    a = rng.standard_normal(k) * np.sqrt(1.0 / k) * sc
    return np.concatenate([W.ravel(), a])


def _param_names(k: int, d: int) -> list[str]:
    return [f"W_{i}_{j}" for i in range(k) for j in range(d)] + [f"a_{i}" for i in range(k)]


def _data(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    x = _checks.array(X, "X", ndim=2)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"X must have shape (n, d) with n, d >= 1, got shape {x.shape}")
    y = _checks.array(Y, "Y", ndim=1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"Y must have one label per row of X: X has {x.shape[0]} rows, Y has shape {y.shape}"
        )
    return np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)


class _Net:
    """The per-sample closed forms of ℓ_i = ½(aᵀtanh(Wx_i) − y_i)² (module docstring)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, k: int) -> None:
        self.X = X
        self.Y = Y
        self.k = k
        self.d = X.shape[1]
        self.kd = k * self.d
        self.p = self.kd + k
        kk, ll, mm = np.meshgrid(np.arange(k), np.arange(self.d), np.arange(self.d), indexing="ij")
        self._ww_r = kk * self.d + ll  # (k, d, d) rows of the W–W blocks
        self._ww_c = kk * self.d + mm
        k2, l2 = np.meshgrid(np.arange(k), np.arange(self.d), indexing="ij")
        self._aw_r = self.kd + k2  # (k, d): row a_k
        self._aw_c = k2 * self.d + l2  # column W_kl

    def _forward(self, theta: np.ndarray, idx: np.ndarray) -> dict[str, np.ndarray]:
        M = theta.shape[0]
        W = theta[:, : self.kd].reshape(M, self.k, self.d)
        a = theta[:, self.kd :]
        x = self.X[idx]  # (m, d) or (M, m, d)
        y = self.Y[idx]  # (m,) or (M, m)
        if x.ndim == 2:
            h = np.einsum("Mkd,md->Mmk", W, x)
            x = np.broadcast_to(x, (M, *x.shape))
        else:
            h = np.einsum("Mkd,Mmd->Mmk", W, x)
        s = np.tanh(h)
        s1 = 1.0 - s * s
        f = np.einsum("Mmk,Mk->Mm", s, a)
        r = f - y
        return {"W": W, "a": a, "x": x, "s": s, "s1": s1, "r": r}

    def _jac(self, v: dict[str, np.ndarray]) -> np.ndarray:
        a, s, s1, x = v["a"], v["s"], v["s1"], v["x"]
        M, m = s.shape[:2]
        dW = (a[:, None, :] * s1)[..., None] * x[:, :, None, :]  # (M, m, k, d)
        return np.concatenate([dW.reshape(M, m, self.kd), s], axis=-1)

    def loss(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        r = self._forward(theta, idx)["r"]
        return 0.5 * r * r

    def grad(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        v = self._forward(theta, idx)
        return v["r"][..., None] * self._jac(v)

    def hessian(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        v = self._forward(theta, idx)
        J = self._jac(v)
        H = J[..., :, None] * J[..., None, :]
        r, a, s, s1, x = v["r"], v["a"], v["s"], v["s1"], v["x"]
        s2 = -2.0 * s * s1
        # W–W blocks: r · a_k s''_k x_l x_m
        ww = (r[..., None] * a[:, None, :] * s2)[..., None, None] * (
            x[:, :, None, :, None] * x[:, :, None, None, :]
        )
        H[..., self._ww_r, self._ww_c] += ww
        # a–W blocks: r · s'_k x_l (both triangles)
        aw = (r[..., None] * s1)[..., None] * x[:, :, None, :]
        H[..., self._aw_r, self._aw_c] += aw
        H[..., self._aw_c, self._aw_r] += aw
        return H

    def third(self, theta: np.ndarray, u: np.ndarray, idx: np.ndarray) -> np.ndarray:
        v = self._forward(theta, idx)
        J = self._jac(v)
        M = theta.shape[0]
        r, a, s, s1, x = v["r"], v["a"], v["s"], v["s1"], v["x"]
        s2 = -2.0 * s * s1
        s3 = -2.0 * s1 * s1 + 4.0 * s * s * s1
        U = u[:, : self.kd].reshape(M, self.k, self.d)
        vv = u[:, self.kd :]
        c = np.einsum("Mkd,Mmd->Mmk", U, x)  # (M, m, k)
        A = a[:, None, :]
        V = vv[:, None, :]
        # ∇²f u
        d2u_a = s1 * c
        d2u_w = (A * s2 * c + V * s1)[..., None] * x[:, :, None, :]
        d2u = np.concatenate([d2u_w.reshape(*c.shape[:2], self.kd), d2u_a], axis=-1)
        # uᵀ∇²f u and ∇³f[u, u]
        quad = np.sum(A * s2 * c * c + 2.0 * V * s1 * c, axis=-1)
        d3_a = s2 * c * c
        d3_w = (A * s3 * c * c + 2.0 * V * s2 * c)[..., None] * x[:, :, None, :]
        d3 = np.concatenate([d3_w.reshape(*c.shape[:2], self.kd), d3_a], axis=-1)
        Ju = np.einsum("Mmp,Mp->Mm", J, u)
        return 2.0 * Ju[..., None] * d2u + quad[..., None] * J + r[..., None] * d3


def tanh_mlp_on(X: Any, Y: Any, width: int = 20) -> DataModel:
    """The tanh MLP ℓ_i = ½(aᵀtanh(Wx_i) − y_i)² on the data (X (n, d), Y (n,)), numpy form.

    A :class:`~toymodels.DataModel` built with :meth:`DataModel.from_numpy` from the closed forms
    of the module docstring (per-sample loss, gradient, Hessian JᵀJ + r∇²f and third derivative).
    Parameters "W_i_j" (row-major), then "a_i". Raises ValueError / TypeError naming ``X``,
    ``Y`` or ``width``.
    """
    x, y = _data(X, Y)
    k, d = _width_d(width, x.shape[1])
    n = x.shape[0]
    _hessian_memory(k, d, n)
    net = _Net(x, y, k)
    return DataModel.from_numpy(
        _param_names(k, d),
        n,
        net.loss,
        net.grad,
        net.hessian,
        sample_third=net.third,
        name=f"tanh MLP (width {k}, d {d}, n {n})",
        citation=CITATION,
    )


def tanh_mlp(width: int = 20, d: int = 5, n: int = 32, seed: int = 0) -> DataModel:
    """The brief's toy: :func:`tanh_mlp_on` on :func:`mlp_data` (n, d, seed); defaults k = 20,
    d = 5, n = 32, seed 0 (p = 120). Raises ValueError / TypeError naming ``width``, ``d``, ``n``
    or ``seed``."""
    k, dd = _width_d(width, d)
    nn = _checks.count(n, "n")
    _hessian_memory(k, dd, nn)
    X, Y = mlp_data(nn, dd, seed)
    return tanh_mlp_on(X, Y, width)


def tanh_mlp_sympy(X: Any, Y: Any, width: int = 2) -> DataModel:
    """The symbolic twin of :func:`tanh_mlp_on`: ``Model.from_sympy`` of the per-sample loss
    ½(Σ_i a_i tanh(Σ_j W_i_j x_j) − y)² with ``data={"x": X, "y": Y}`` (every derivative by
    sympy). Same parameter order as the numpy form. For small instances only: width·d + width
    ≤ 24 (the symbolic Hessian has p² entries). Raises ValueError / TypeError naming ``X``,
    ``Y`` or ``width``.
    """
    x, y = _data(X, Y)
    k, d = _width_d(width, x.shape[1])
    if k * d + k > MAX_SYMPY_PARAMS:
        raise ValueError(
            f"width is too large for the symbolic form: width·d + width = {k * d + k} > "
            f"{MAX_SYMPY_PARAMS} (use tanh_mlp_on, the closed-form twin)"
        )
    names = _param_names(k, d)
    syms = {nm: sp.Symbol(nm, real=True) for nm in names}
    xs = [sp.Symbol(f"x{j}", real=True) for j in range(d)]
    ys = sp.Symbol("y", real=True)
    f = sum(
        (syms[f"a_{i}"] * sp.tanh(sum((syms[f"W_{i}_{j}"] * xs[j] for j in range(d)), sp.S(0))))
        for i in range(k)
    )
    expr = sp.Rational(1, 2) * (f - ys) ** 2
    model = Model.from_sympy(
        expr,
        params=[syms[nm] for nm in names],
        data={"x": x, "y": y},
        name=f"tanh MLP, symbolic (width {k}, d {d}, n {x.shape[0]})",
        citation=CITATION,
    )
    assert isinstance(model, DataModel)
    return model
