"""Taylor coefficients of the loss along an update, and a homogeneous deep linear net (Terjék).

Terjék, "Feature Learning Beyond the Edge of Stability" (arXiv 2502.13110; v1 titled "MLPs at the
EOC: Dynamics of Feature Learning"). Only the abstract could be read (research brief
``sgd_and_features.md`` §0, §5): the paper gives formulas for the first three Taylor coefficients
of the minibatch loss along the update, for homogeneous MLPs with polynomial width patterns. Those
formulas, its soft rank and its gradient-scaling rule are unknown here, so this module holds only
a **harness** for them and the **generic identities** any such formula must satisfy (brief §5.2,
§5.3; derived, no constant attributed to the paper):

* :func:`directional_taylor` — the coefficients c_k of φ(η) = L(θ + ηu) = Σ_k c_k η^k for any
  :class:`~toymodels.Model`: exactly (sympy, exact rational arithmetic) when the model carries a
  symbolic loss, and numerically from the model's own derivatives, c₀ = L, c₁ = ∇L·u,
  c₂ = ½uᵀ∇²L u, c₃ = ∇³L[u, u]·u/6;
* :class:`HomogeneousLinearNet` — the bias-free deep linear net f(x) = w_Lᵀ W_{L−1} ⋯ W₁ x
  (homogeneous of degree 1 in each layer and of degree L in θ), square loss
  L = ½ mean_i (f(x_i) − y_i)² on n Gaussian inputs with random Gaussian labels; defaults
  widths 3 → 4 → 9 → 1 (hidden widths 2², 3²: the quadratic pattern), n = 8 (brief §5.3).
  Along any direction u, L(θ + ηu) is a polynomial of degree 2L in η; Euler's identity
  ⟨θ_k, ∇_{θ_k} f⟩ = f holds for every layer k.

The net has hand-written batched numpy forms (loss, gradient, exact Hessian, exact ∇³L[u, u],
the exact line polynomial) and a sympy form (:meth:`HomogeneousLinearNet.sympy_expr`). Compiling
the symbolic Hessian of the 57-parameter default takes about 90 s, so
:meth:`~HomogeneousLinearNet.model` is built from the numpy forms and carries the sympy loss as
``expr`` (for the exact path of :func:`directional_taylor`), and
:meth:`~HomogeneousLinearNet.sympy_model` compiles tiny instances only. The tests cross-check
the two.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from ..model import Model
from . import _checks

__all__ = [
    "CITATION",
    "DEFAULT_WIDTHS",
    "MAX_SYMBOLIC_PARAMS",
    "MAX_SYMBOLIC_SIZE",
    "MAX_TAYLOR_ORDER",
    "HomogeneousLinearNet",
    "directional_taylor",
]

CITATION = (
    "Terjék, 'Feature Learning Beyond the Edge of Stability', arXiv 2502.13110 [harness and "
    "generic identities only: derived, research brief §5.2–§5.4; no formula of the paper]"
)

#: widths d₀ → d₁ → … → 1 of the brief's §5.3 net (hidden widths 2², 3²)
DEFAULT_WIDTHS = (3, 4, 9, 1)
#: largest order of :func:`directional_taylor` with the exact method
MAX_TAYLOR_ORDER = 32
#: largest n·p for which the net builds its sympy loss (one nested term per weight and sample)
MAX_SYMBOLIC_SIZE = 200_000
#: largest parameter count for which :meth:`HomogeneousLinearNet.sympy_model` compiles
MAX_SYMBOLIC_PARAMS = 24
_METHODS = ("auto", "exact", "numeric")


# --------------------------------------------------------------------------------------------
# the Taylor harness
# --------------------------------------------------------------------------------------------


def _vector(value: Any, name: str, p: int) -> np.ndarray:
    arr = _checks.array(value, name, ndim=1)
    if arr.shape != (p,):
        raise ValueError(
            f"{name} must have shape ({p},) (one entry per parameter), got {arr.shape}"
        )
    return arr


def directional_taylor(
    model: Model, theta: Any, u: Any, order: int = 3, method: str = "auto"
) -> np.ndarray:
    """Coefficients (c₀, …, c_order) of φ(η) = L(θ + ηu) = Σ_k c_k η^k + O(η^{order+1}).

    Parameters
    ----------
    model : a :class:`~toymodels.Model`.
    theta, u : one point and one direction, shape (p,), finite.
    order : highest coefficient, an integer >= 0; at most 3 for ``method="numeric"``, at most
        :data:`MAX_TAYLOR_ORDER` for ``"exact"``.
    method : ``"exact"``: from the model's sympy loss ``model.expr`` (every parameter must be a
        free symbol of it, named as in ``model.params``, and no other symbol may remain). Floats
        in the expression, θ and u enter as their exact binary rationals; a polynomial loss is
        then expanded in exact rational arithmetic (truncated at η^order), any other loss is
        differentiated symbolically in η, c_k = φ^{(k)}(0)/k! (a.e. for non-smooth losses),
        evaluated to 30 digits. ``"numeric"``: c₀ = L(θ), c₁ = ∇L·u, c₂ = ½uᵀ∇²L u,
        c₃ = ∇³L[u, u]·u/6 from ``model.loss`` / ``grad`` / ``hessian`` / ``third`` (any model;
        ``third`` is a central difference for numpy models without one). ``"auto"``: exact when
        ``model.expr`` is set, numeric otherwise.

    Returns
    -------
    ndarray of shape (order + 1,).
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels Model, got {type(model).__name__}")
    p = model.n_params
    th = _vector(theta, "theta", p)
    uu = _vector(u, "u", p)
    method = _checks.option(method, "method", _METHODS)
    if method == "auto":
        method = "exact" if model.expr is not None else "numeric"
    limit = 3 if method == "numeric" else MAX_TAYLOR_ORDER
    order = _checks.count(order, "order", minimum=0, maximum=limit)
    if method == "numeric":
        return _numeric_taylor(model, th, uu, order)
    if model.expr is None:
        raise ValueError(
            "method='exact' needs a symbolic loss, but model.expr is None (a numpy model); "
            "use method='numeric'"
        )
    return _exact_taylor(model, th, uu, order)


def _numeric_taylor(model: Model, th: np.ndarray, u: np.ndarray, order: int) -> np.ndarray:
    out = [float(model.loss(th))]
    if order >= 1:
        out.append(float(model.grad(th) @ u))
    if order >= 2:
        out.append(0.5 * float(u @ model.hessian(th) @ u))
    if order >= 3:
        out.append(float(model.third(th, u) @ u) / 6.0)
    return np.array(out, dtype=np.float64)


def _symbols_of(model: Model) -> list[sp.Symbol]:
    expr = model.expr
    by_name: dict[str, sp.Symbol] = {}
    for s in expr.free_symbols:
        if isinstance(s, sp.Symbol):
            by_name[s.name] = s
    missing = [n for n in model.params if n not in by_name]
    if missing:
        raise ValueError(f"model: the parameters {missing} are not free symbols of model.expr")
    extra = sorted(set(by_name) - set(model.params))
    if extra:
        raise ValueError(f"model: model.expr has free symbols {extra} that are not parameters")
    return [by_name[n] for n in model.params]


def _rational(x: float) -> sp.Rational:
    return sp.Rational(float(x))


class _NotPolynomial(Exception):
    """The expression leaves the polynomial ring (a function, a negative or fractional power)."""


def _exact_taylor(model: Model, th: np.ndarray, u: np.ndarray, order: int) -> np.ndarray:
    syms = _symbols_of(model)
    expr = model.expr.xreplace({f: _rational(f) for f in model.expr.atoms(sp.Float)})
    ring, eta = sp.ring("eta", sp.QQ)
    qq = sp.QQ
    env = {
        s: ring(qq(_rational(a).p, _rational(a).q)) + eta * qq(_rational(b).p, _rational(b).q)
        for s, a, b in zip(syms, th, u, strict=True)
    }
    try:
        poly = _eval_poly(expr, env, ring, order, {})
    except _NotPolynomial:
        return _series_taylor(expr, syms, th, u, order)
    coeffs = np.zeros(order + 1)
    for (k,), c in poly.terms():
        if k <= order:
            coeffs[k] = float(c)
    return coeffs


def _truncate(p: Any, ring: Any, order: int) -> Any:
    if p.degree() <= order:
        return p
    return ring.from_dict({m: c for m, c in p.items() if m[0] <= order})


def _eval_poly(e: sp.Expr, env: dict, ring: Any, order: int, memo: dict) -> Any:
    """e as a polynomial in η over QQ, truncated at η^order (raises _NotPolynomial)."""
    if e in env:
        return env[e]
    hit = memo.get(e)
    if hit is not None:
        return hit
    if e.is_Rational:
        out = ring(sp.QQ(e.p, e.q))
    elif e.is_Add:
        out = ring(0)
        for a in e.args:
            out = out + _eval_poly(a, env, ring, order, memo)
    elif e.is_Mul:
        out = ring(1)
        for a in e.args:
            out = _truncate(out * _eval_poly(a, env, ring, order, memo), ring, order)
    elif e.is_Pow and e.exp.is_Integer and int(e.exp) >= 0:
        base = _eval_poly(e.base, env, ring, order, memo)
        k = int(e.exp)
        out = ring(1)
        while k:
            if k & 1:
                out = _truncate(out * base, ring, order)
            k >>= 1
            if k:
                base = _truncate(base * base, ring, order)
    else:
        raise _NotPolynomial(e)
    memo[e] = out
    return out


def _series_taylor(
    expr: sp.Expr, syms: list[sp.Symbol], th: np.ndarray, u: np.ndarray, order: int
) -> np.ndarray:
    from ..expressions import almost_everywhere

    eta = sp.Dummy("eta", real=True)
    phi = expr.xreplace(
        {s: _rational(a) + eta * _rational(b) for s, a, b in zip(syms, th, u, strict=True)}
    )
    out = np.zeros(order + 1)
    cur = phi
    for k in range(order + 1):
        if k:
            cur = almost_everywhere(sp.diff(cur, eta))
        val = complex(sp.N(cur.subs(eta, 0), 30)) / math.factorial(k)
        if abs(val.imag) > 1e-12 * max(1.0, abs(val.real)):
            raise ValueError(f"model: the loss is not real at theta (coefficient {k} = {val})")
        out[k] = val.real
    return out


# --------------------------------------------------------------------------------------------
# the homogeneous deep linear net
# --------------------------------------------------------------------------------------------


def _widths(widths: Any) -> tuple[int, ...]:
    seq = _checks.sequence(widths, "widths", min_length=2)
    out = tuple(_checks.count(w, f"widths[{i}]") for i, w in enumerate(seq))
    if out[-1] != 1:
        raise ValueError(f"widths must end with 1 (a scalar output), got {out}")
    if len(out) - 1 > _checks.MAX_DEPTH:
        raise ValueError(f"widths: depth {len(out) - 1} exceeds {_checks.MAX_DEPTH}")
    return out


def _pmul(A: np.ndarray, B: np.ndarray, op: Callable, K: int) -> np.ndarray:
    """Coefficients 0..K of the product of two polynomials in η (coefficient axis first), the
    product of coefficients taken with the bilinear ``op``."""
    K = min(K, A.shape[0] + B.shape[0] - 2)
    first = op(A[0], B[0])
    out = np.zeros((K + 1, *first.shape))
    for s in range(A.shape[0]):
        for t in range(B.shape[0]):
            if s + t <= K:
                out[s + t] += first if s == t == 0 else op(A[s], B[t])
    return out


class HomogeneousLinearNet:
    """f(x) = w_Lᵀ W_{L−1} ⋯ W₁ x with square loss L(θ) = ½ mean_i (f(x_i) − y_i)² (module doc).

    θ stacks W₁ (d₁ × d₀), …, W_L (1 × d_{L−1}) row-major; parameter k of layer l is named
    ``W{l}_{i}_{j}``. The data are drawn from ``default_rng(seed)``: X (n, d₀) ~ N(0, I) first,
    then random labels y (n,) ~ N(0, 1).

    Parameters
    ----------
    widths : (d₀, d₁, …, d_{L−1}, 1), integers >= 1, ending with 1; L = len(widths) − 1 >= 1.
    n : number of samples >= 1.
    seed : data seed (an integer >= 0).
    """

    def __init__(self, widths: Any = DEFAULT_WIDTHS, n: int = 8, seed: int = 0) -> None:
        self.widths = _widths(widths)
        self.n = _checks.count(n, "n")
        self.seed = _checks.seed(seed)
        self.depth = len(self.widths) - 1
        sizes = [self.widths[k + 1] * self.widths[k] for k in range(self.depth)]
        self.n_params = _checks.n_params(sum(sizes), "widths", "Σ d_k·d_{k−1}")
        _checks.budget(self.n * max(self.widths), "n", f"the data ({self.n}×{max(self.widths)})")
        stops = np.cumsum([0, *sizes])
        self.layer_slices: tuple[slice, ...] = tuple(
            slice(int(a), int(b)) for a, b in itertools.pairwise(stops)
        )
        self.params: tuple[str, ...] = tuple(
            f"W{k + 1}_{i}_{j}"
            for k in range(self.depth)
            for i in range(self.widths[k + 1])
            for j in range(self.widths[k])
        )
        rng = np.random.default_rng(self.seed)
        self.X = rng.standard_normal((self.n, self.widths[0]))
        self.y = rng.standard_normal(self.n)

    def __repr__(self) -> str:
        return f"HomogeneousLinearNet(widths={self.widths}, n={self.n}, seed={self.seed})"

    # ---------------------------------------------------------------- parameters
    def init(self, seed: int, scale: float = 1.0) -> np.ndarray:
        """θ (p,): W_k ~ N(0, scale²/d_{k−1}) entrywise, from ``default_rng(seed)``."""
        seed = _checks.seed(seed)
        scale = _checks.real(scale, "scale", positive=True)
        rng = np.random.default_rng(seed)
        parts = [
            rng.standard_normal(self.widths[k + 1] * self.widths[k])
            * scale
            / np.sqrt(self.widths[k])
            for k in range(self.depth)
        ]
        return np.concatenate(parts)

    def _theta(self, theta: Any, name: str = "theta", allow_nan: bool = True) -> np.ndarray:
        th = _checks.array(theta, name, allow_nan=allow_nan)
        if th.ndim == 0 or th.shape[-1] != self.n_params:
            raise ValueError(
                f"{name} must have shape (..., {self.n_params}) for widths {self.widths}, "
                f"got {th.shape}"
            )
        _checks.budget(
            th.size // self.n_params * self.n * max(self.widths) * 4, name, "the forward pass"
        )
        return th

    def _layers(self, th: np.ndarray) -> list[np.ndarray]:
        lead = th.shape[:-1]
        return [
            th[..., s].reshape((*lead, self.widths[k + 1], self.widths[k]))
            for k, s in enumerate(self.layer_slices)
        ]

    # ---------------------------------------------------------------- forward / backward
    def _forward(self, Ws: list[np.ndarray]) -> list[np.ndarray]:
        """h_0 = X, h_k = h_{k−1} W_kᵀ: list of (..., n, d_k)."""
        hs = [np.broadcast_to(self.X, (*Ws[0].shape[:-2], *self.X.shape))]
        for W in Ws:
            hs.append(np.matmul(hs[-1], np.swapaxes(W, -1, -2)))
        return hs

    def _backs(self, Ws: list[np.ndarray]) -> list[np.ndarray]:
        """back_k = W_L ⋯ W_{k+1} as a row, (..., d_k), for k = 1..L (back_L = 1)."""
        lead = Ws[0].shape[:-2]
        backs = [np.ones((*lead, 1))]
        for W in reversed(Ws[1:]):
            backs.append(np.matmul(backs[-1][..., None, :], W)[..., 0, :])
        return backs[::-1]

    @_checks.quiet
    def output(self, theta: Any) -> np.ndarray:
        """f(x_i) for θ (..., p): shape (..., n)."""
        th = self._theta(theta)
        return self._forward(self._layers(th))[-1][..., 0]

    @_checks.quiet
    def output_grad(self, theta: Any) -> np.ndarray:
        """∇_θ f(x_i), shape (..., n, p): block k is back_k ⊗ h_{k−1}(x_i)."""
        th = self._theta(theta)
        _checks.budget(th.size * self.n, "theta", "the per-sample gradients")
        return self._output_grad(th)

    def _output_grad(self, th: np.ndarray) -> np.ndarray:
        Ws = self._layers(th)
        hs = self._forward(Ws)
        backs = self._backs(Ws)
        lead = th.shape[:-1]
        out = np.empty((*lead, self.n, self.n_params))
        for k, s in enumerate(self.layer_slices):
            blk = backs[k][..., None, :, None] * hs[k][..., :, None, :]
            out[..., s] = blk.reshape((*lead, self.n, s.stop - s.start))
        return out

    @_checks.quiet
    def loss(self, theta: Any) -> np.ndarray:
        """L(θ) = ½ mean_i (f(x_i) − y_i)², shape ``theta.shape[:-1]``."""
        r = self.output(theta) - self.y
        return 0.5 * np.mean(r * r, axis=-1)

    @_checks.quiet
    def grad(self, theta: Any) -> np.ndarray:
        """∇L(θ) = mean_i r_i ∇f(x_i), shape ``theta.shape``."""
        th = self._theta(theta)
        return self._grad(th)

    def _grad(self, th: np.ndarray) -> np.ndarray:
        Ws = self._layers(th)
        hs = self._forward(Ws)
        backs = self._backs(Ws)
        r = (hs[-1][..., 0] - self.y) / self.n
        lead = th.shape[:-1]
        out = np.empty(th.shape)
        for k, s in enumerate(self.layer_slices):
            sk = np.matmul(r[..., None, :], hs[k])[..., 0, :]  # Σ_i r_i h_{k−1}(x_i)/n
            out[..., s] = (backs[k][..., :, None] * sk[..., None, :]).reshape(
                (*lead, s.stop - s.start)
            )
        return out

    @_checks.quiet
    def hessian(self, theta: Any) -> np.ndarray:
        """∇²L(θ) exactly: mean_i ∇f_i∇f_iᵀ + mean_i r_i ∇²f_i, shape ``theta.shape + (p,)``.

        ∇²f is zero within a layer; between layers k < l its block is
        ∂²f/∂W_k[a,b]∂W_l[c,e] = back_l[c]·(W_{l−1}⋯W_{k+1})[e,a]·h_{k−1}[b].
        """
        th = self._theta(theta)
        _checks.budget(th.size * (self.n_params + self.n), "theta", "the Hessian")
        return self._hessian(th)

    def _hessian(self, th: np.ndarray) -> np.ndarray:
        lead = th.shape[:-1]
        J = self._output_grad(th)
        H = np.matmul(np.swapaxes(J, -1, -2), J) / self.n
        Ws = self._layers(th)
        hs = self._forward(Ws)
        backs = self._backs(Ws)
        r = (hs[-1][..., 0] - self.y) / self.n
        for k in range(self.depth):
            sk = np.matmul(r[..., None, :], hs[k])[..., 0, :]  # (..., d_{k−1})
            dk = self.widths[k + 1]
            mid = np.broadcast_to(np.eye(dk), (*lead, dk, dk))  # W_{l−1}⋯W_{k+1}, (d_{l−1}, d_k)
            for l_ in range(k + 1, self.depth):
                sk_, sl_ = self.layer_slices[k], self.layer_slices[l_]
                blk = np.einsum("...c,...ea,...b->...abce", backs[l_], mid, sk)
                blk = blk.reshape((*lead, sk_.stop - sk_.start, sl_.stop - sl_.start))
                H[..., sk_, sl_] += blk
                H[..., sl_, sk_] += np.swapaxes(blk, -1, -2)
                mid = np.matmul(Ws[l_], mid)
        return H

    def _poly_forward(self, th: np.ndarray, u: np.ndarray, K: int) -> list[np.ndarray]:
        """h_k(η) for θ + ηu as coefficient stacks (deg+1, ..., n, d_k), truncated at η^K."""
        Ws = self._layers(th)
        Us = self._layers(u)
        Ws = [np.broadcast_arrays(W, U) for W, U in zip(Ws, Us, strict=True)]
        lead = Ws[0][0].shape[:-2]
        hs = [np.broadcast_to(self.X, (1, *lead, *self.X.shape))]
        for W, U in Ws:
            Wp = np.stack([W, U])

            def op(h: np.ndarray, w: np.ndarray) -> np.ndarray:
                return np.matmul(h, np.swapaxes(w, -1, -2))

            hs.append(_pmul(hs[-1], Wp, op, K))
        return hs

    def _theta_u(self, theta: Any, u: Any) -> tuple[np.ndarray, np.ndarray]:
        th = self._theta(theta)
        uu = self._theta(u, "u", allow_nan=False)
        try:
            shape = np.broadcast_shapes(th.shape, uu.shape)
        except ValueError as exc:
            raise ValueError(
                f"u (shape {uu.shape}) must broadcast against theta {th.shape}"
            ) from exc
        _checks.budget(
            math.prod(shape) // self.n_params * self.n * max(self.widths) * (2 * self.depth + 2),
            "u",
            "the polynomial forward pass",
        )
        return th, uu

    @_checks.quiet
    def line_coefficients(self, theta: Any, u: Any) -> np.ndarray:
        """The exact polynomial L(θ + ηu) = Σ_{k=0}^{2L} c_k η^k: coefficients (..., 2L + 1),
        from a forward pass in polynomial arithmetic (f(θ + ηu) has degree L in η)."""
        th, uu = self._theta_u(theta, u)
        hs = self._poly_forward(th, uu, self.depth)
        r = hs[-1][..., 0].copy()  # (L+1, ..., n)
        r[0] = r[0] - self.y
        sq = _pmul(r, r, lambda a, b: np.mean(a * b, axis=-1), 2 * self.depth)
        return 0.5 * np.moveaxis(sq, 0, -1)

    @_checks.quiet
    def third(self, theta: Any, u: Any) -> np.ndarray:
        """∇³L(θ)[u, u] exactly, shape ``broadcast(theta, u).shape``: twice the η² coefficient of
        ∇L(θ + ηu), computed in polynomial arithmetic."""
        th, uu = self._theta_u(theta, u)
        return self._third(th, uu)

    def _third(self, th: np.ndarray, uu: np.ndarray) -> np.ndarray:
        th, uu = np.broadcast_arrays(th, uu)
        K = 2
        hs = self._poly_forward(th, uu, K)
        Ws = [np.stack([W, U]) for W, U in zip(self._layers(th), self._layers(uu), strict=True)]
        lead = th.shape[:-1]
        # back_k(η) = W_L(η) ⋯ W_{k+1}(η) as rows, coefficient axis first
        backs = [np.ones((1, *lead, 1))]
        for Wp in reversed(Ws[1:]):
            backs.append(
                _pmul(backs[-1], Wp, lambda b, w: np.matmul(b[..., None, :], w)[..., 0, :], K)
            )
        backs = backs[::-1]
        r = hs[-1][..., 0].copy()
        r[0] = r[0] - self.y
        r = r / self.n
        out = np.zeros(th.shape)
        for k, s in enumerate(self.layer_slices):
            sk = _pmul(r, hs[k], lambda a, h: np.matmul(a[..., None, :], h)[..., 0, :], K)
            g = _pmul(backs[k], sk, lambda b, v: b[..., :, None] * v[..., None, :], K)
            if g.shape[0] > 2:
                out[..., s] = 2.0 * g[2].reshape((*lead, s.stop - s.start))
        return out

    def depthwise_direction(self, theta: Any) -> np.ndarray:
        """u = −(g_k/‖g_k‖)_k with g_k = ∇_{θ_k}L (a layer with g_k = 0 gets 0): the brief's §5.3
        depthwise-normalised update (an arbitrary scaling, not the paper's ξ rule). θ finite."""
        th = self._theta(theta, allow_nan=False)
        g = self._grad(th)
        out = np.zeros_like(g)
        for s in self.layer_slices:
            nk = np.linalg.norm(g[..., s], axis=-1, keepdims=True)
            out[..., s] = -g[..., s] / np.where(nk > 0, nk, 1.0)
        return out

    # ---------------------------------------------------------------- sympy and Model forms
    def sympy_expr(self) -> tuple[sp.Expr, list[sp.Symbol]]:
        """(L, symbols): the loss ½ mean_i (w_Lᵀ ⋯ W₁ x_i − y_i)² over real symbols named as
        :attr:`params`, nested (not expanded), the data as exact binary rationals. Refused when
        n·p > :data:`MAX_SYMBOLIC_SIZE`."""
        if self.n * self.n_params > MAX_SYMBOLIC_SIZE:
            raise ValueError(
                f"n is too large for the sympy form: n·p = {self.n}·{self.n_params} > "
                f"{MAX_SYMBOLIC_SIZE}"
            )
        syms = [sp.Symbol(nm, real=True) for nm in self.params]
        mats = [
            sp.Matrix(self.widths[k + 1], self.widths[k], syms[s])
            for k, s in enumerate(self.layer_slices)
        ]
        total = sp.Integer(0)
        for i in range(self.n):
            h = sp.Matrix([_rational(v) for v in self.X[i]])
            for M in mats:
                h = M * h
            total += (h[0] - _rational(self.y[i])) ** 2
        return total / (2 * self.n), syms

    def model(self) -> Model:
        """The net as a :class:`~toymodels.Model` from the numpy forms (loss, gradient, exact
        Hessian, exact ∇³L[u, u]), with :meth:`sympy_expr` as ``expr`` when n·p <=
        :data:`MAX_SYMBOLIC_SIZE` (else ``expr`` is None and :func:`directional_taylor` falls
        back to the numeric method)."""
        expr = self.sympy_expr()[0] if self.n * self.n_params <= MAX_SYMBOLIC_SIZE else None
        return Model.from_numpy(
            self.params,
            loss=lambda th: (
                0.5 * np.mean((self._forward(self._layers(th))[-1][..., 0] - self.y) ** 2, axis=-1)
            ),
            grad=self._grad,
            hessian=self._hessian,
            third=self._third,
            expr=expr,
            name=f"homogeneous linear net {self.widths}, n={self.n}",
            citation=CITATION,
        )

    def sympy_model(self) -> Model:
        """:meth:`sympy_expr` compiled by :meth:`Model.from_sympy` (exact symbolic ∇L, ∇²L,
        ∇³L); only for p <= :data:`MAX_SYMBOLIC_PARAMS` (compiling the symbolic Hessian grows
        fast: about 90 s at p = 57)."""
        if self.n_params > MAX_SYMBOLIC_PARAMS:
            raise ValueError(
                f"widths give p = {self.n_params} parameters; the compiled sympy model is for "
                f"p <= {MAX_SYMBOLIC_PARAMS} (use model())"
            )
        expr, syms = self.sympy_expr()
        return Model.from_sympy(
            expr,
            params=syms,
            name=f"homogeneous linear net {self.widths}, n={self.n} (sympy)",
            citation=CITATION,
        )
