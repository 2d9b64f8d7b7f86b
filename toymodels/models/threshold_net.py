"""Two-layer ReLU nets on the sparse-coding task of Ahn et al. ("threshold neurons").

Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of stability",
NeurIPS 2023 (arXiv 2212.07469). Only the abstract and the first lines of the Fig. 1 caption could
be read (d = 200, n = 300, λ = 3, GD with the logistic loss on "a ReLU network (2)" for the task
(1)); the network form, the initialisation, the width and the iteration count are reconstructions
(see the research brief ``threshold_neurons.md`` §1 and the module tests).

Data (task (1), reconstructed): x = λ·y·e_j + ξ, y ~ Unif{±1}, j ~ Unif{0..d−1}, ξ ~ N(0, σ²I).

Networks (θ = (W flattened row-major (m·d), b (m), a (m)), P = m·d + 2m):

* ``variant="plain"``: f(x) = Σ_i a_i relu(⟨w_i, x⟩ + b_i)
* ``variant="odd"``:   f(x) = Σ_i a_i [relu(⟨w_i, x⟩ + b_i) − relu(−⟨w_i, x⟩ + b_i)]
  (for b_i < 0 the unit soft-thresholds ⟨w_i, x⟩ at |b_i|; for b_i = 0 it is linear)

Loss: L(θ) = mean_k ℓ(y_k f(x_k)), ℓ(t) = log(1 + e^{−t}) (``np.logaddexp``). Loss and gradient
are hand-written and batched over the leading axes of θ, so a whole grid of step sizes runs as one
(E, P) array. ReLU is differentiated almost everywhere (1{z > 0}).

Curvature. The net is piecewise smooth: its Hessian jumps where a unit switches on a sample. This
module therefore offers curvature only through central differences of gradients:

* :meth:`ReluNet.hvp` — (∇L(θ + εv) − ∇L(θ − εv)) / 2ε;
* :meth:`ReluNet.rayleigh_mean` — vᵀHv along the *mean direction* v ∝ (0, 0, Ḡ),
  Ḡ_i = mean_x φ_i(x) (φ_i the unit's activation). f is linear in a, so along this direction the
  difference quotient is exact up to rounding (no kink is crossed) — the robust quantity;
* :meth:`ReluNet.top_eigenvalue` — Lanczos on FD-HVPs: FRAGILE at kinks (a kink inside ±εv makes
  the FD operator non-symmetric and can produce spurious eigenvalues, brief §4.3 saw −20 once),
  so it returns the residual ‖Hv − λv‖ with the estimate;
* the ``hessian`` of :meth:`ReluNet.model` is the dense FD Hessian (P gradient pairs, symmetrised);
  it refuses P > 5000.

The mean-model prediction of the critical step size is η_mean = 2 / rayleigh_mean (brief §1.3 B:
the mean output Σ a_i Ḡ_i sees the symmetrised logistic loss, whose curvature ¼Σ_iḠ_i² sets the
edge; [DERIVED] in the brief, not read in the paper).

Measured (d = 200, n = 300, λ = 3, 5000 fresh test samples; tests/threshold_neuron):

* generic net (plain or odd, Gaussian W, free a and b; m ∈ {50, 200, 1000}, a = ±1/√m, ±1/m
  frozen or 1/m, w ~ N(0, I/d) or N(0, I), T ∈ {200, 1000, 5000}): test accuracy 0.50–0.53 at
  every η in [0.25, 4]·η_mean (n = 3000: ≤ 0.534) although b̄ turns negative above ≈ η_mean —
  the net memorises. The b̄ = 0 crossing after 50 steps (m = 50) sits at 1.05–1.15·η_mean.
* the Fig. 1 message appears with the mean-model structure: ``variant="odd"``, m = d,
  ``w_init="identity"`` (W trained), ``second_layer="tied"``, ``biases="tied"``, a0 = +1/√m:
  test accuracy 0.53–0.55 for η ≤ η_mean (shared bias β ≈ −0.2…−0.3) vs 0.64–0.70 at
  3.5–4·η_mean (β ≈ −1.8…−2.0), 3 data seeds; the net dies (β → −4…−8) from ≈ 4–5·η_mean.
  The bias drop happens in the first ~5 steps (catapult-like sign flips of α), then W memorises.
  Untying a or b, or a Gaussian W, loses the effect (≤ 0.52 at n = 300).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from ..model import Model
from . import _checks

__all__ = [
    "CITATION",
    "MAX_DENSE_PARAMS",
    "ReluNet",
    "SparseCodingData",
    "ThresholdPrediction",
    "predicted_threshold",
    "test_accuracy",
    "train",
]

CITATION = (
    "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, 'Learning threshold neurons via the edge of "
    "stability', NeurIPS 2023 (arXiv 2212.07469)"
)

#: largest parameter count for which :meth:`ReluNet.model` builds a dense FD Hessian
MAX_DENSE_PARAMS = 5000


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


class SparseCodingData:
    """The 1-sparse-plus-noise task x = λ·y·e_j + ξ (Ahn et al. eq. (1), reconstructed)."""

    def __init__(self, d: int = 200, lam: float = 3.0, noise: float = 1.0) -> None:
        self.d = _checks.count(d, "d", maximum=_checks.MAX_PARAMS)
        self.lam = _checks.real(lam, "lam")
        self.noise = _checks.real(noise, "noise", nonnegative=True)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(X (n, d), y (n,)) from ``numpy.random.default_rng(seed)``."""
        n = _checks.count(n, "n")
        seed = _checks.seed(seed)
        _checks.budget(n * self.d, "n", f"X ({n}×{self.d})")
        rng = np.random.default_rng(seed)
        y = rng.choice(np.array([-1.0, 1.0]), size=n)
        j = rng.integers(0, self.d, size=n)
        X = self.noise * rng.standard_normal((n, self.d))
        X[np.arange(n), j] += self.lam * y
        return X, y

    def __repr__(self) -> str:
        return f"SparseCodingData(d={self.d}, lam={self.lam}, noise={self.noise})"


def _data(X: Any, y: Any, d: int) -> tuple[np.ndarray, np.ndarray]:
    X = _checks.array(X, "X")
    y = _checks.array(y, "y")
    if X.ndim != 2 or X.shape[1] != d or X.shape[0] == 0:
        raise ValueError(f"X must have shape (n, {d}) with n >= 1, got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    return X, y


# --------------------------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------------------------


class ReluNet:
    """Two-layer ReLU net f(x) = Σ_i a_i φ_i(x) on R^d, θ = (W, b, a) flattened (module doc).

    Which blocks GD moves is set by ``second_layer`` and ``train_w``; :meth:`grad`, :meth:`hvp`
    and :meth:`model` always describe the *unconstrained* loss L(θ), and :func:`train` steps along
    the masked direction M∇L with M = diag(M_W, I_b, M_a):

    * ``second_layer="trained"``: M_a = I (every a_i free);
    * ``"frozen"``: M_a = 0 (a stays at its initial value);
    * ``"tied"``: M_a = ssᵀ with s = sign(a) — from a start a = α s this is exactly GD on the
      shared scalar α (∂L/∂α = Σ_i s_i ∂L/∂a_i), i.e. f = α Σ_i s_i φ_i(x);
    * ``train_w=False``: M_W = 0 (first-layer weights frozen; the biases still train);
    * ``biases="tied"``: M_b = 11ᵀ — from b = β1, GD on one shared bias β.

    GD with M is stable along v when λ_max(M^{1/2} H M^{1/2}) < 2/η, so the curvature helpers
    (:meth:`rayleigh_mean`, :meth:`top_eigenvalue`) use that effective operator; for the default
    (everything trained) it is the Hessian itself.
    """

    VARIANTS = ("plain", "odd")

    SECOND_LAYER = ("trained", "frozen", "tied")

    def __init__(
        self,
        d: int,
        m: int,
        variant: str = "plain",
        *,
        second_layer: str = "trained",
        train_w: bool = True,
        biases: str = "trained",
    ) -> None:
        self.d = _checks.count(d, "d")
        self.m = _checks.count(m, "m")
        _checks.n_params(self.m * self.d + 2 * self.m, "m" if self.m >= self.d else "d", "m·d + 2m")
        self.variant = _checks.option(variant, "variant", self.VARIANTS)
        self.second_layer = _checks.option(second_layer, "second_layer", self.SECOND_LAYER)
        self.biases = _checks.option(biases, "biases", ("trained", "tied"))
        self.train_w = _checks.boolean(train_w, "train_w")
        self.n_params = self.m * self.d + 2 * self.m

    def __repr__(self) -> str:
        return (
            f"ReluNet(d={self.d}, m={self.m}, variant={self.variant!r}, "
            f"second_layer={self.second_layer!r}, train_w={self.train_w}, biases={self.biases!r})"
        )

    # ---------------------------------------------------------------- parameters
    def split(self, theta: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views (W (..., m, d), b (..., m), a (..., m)) of θ (..., P)."""
        return self._split(self._theta(theta))

    def _split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        md = self.m * self.d
        W = theta[..., :md].reshape((*theta.shape[:-1], self.m, self.d))
        return W, theta[..., md : md + self.m], theta[..., md + self.m :]

    def join(self, W: Any, b: Any, a: Any) -> np.ndarray:
        """θ (..., P) from W (..., m, d), b (..., m), a (..., m); every entry finite.

        ``join`` assembles a parameter vector (an input to training or evaluation), so NaN / inf
        pieces are refused; :meth:`split` still takes a diverged (NaN) θ apart.
        """
        W = _checks.array(W, "W")
        b = _checks.array(b, "b")
        a = _checks.array(a, "a")
        if W.ndim < 2 or W.shape[-2:] != (self.m, self.d):
            raise ValueError(f"W must have shape (..., {self.m}, {self.d}), got {W.shape}")
        for name, arr in (("b", b), ("a", a)):
            if arr.ndim < 1 or arr.shape[-1] != self.m:
                raise ValueError(f"{name} must have shape (..., {self.m}), got {arr.shape}")
        try:
            lead = np.broadcast_shapes(W.shape[:-2], b.shape[:-1], a.shape[:-1])
        except ValueError as exc:
            raise ValueError(
                f"W, b and a must have broadcastable leading shapes, got {W.shape[:-2]}, "
                f"{b.shape[:-1]} and {a.shape[:-1]}"
            ) from exc
        W = np.broadcast_to(W, (*lead, self.m, self.d)).reshape((*lead, -1))
        b = np.broadcast_to(b, (*lead, self.m))
        a = np.broadcast_to(a, (*lead, self.m))
        return np.concatenate([W, b, a], axis=-1)

    def init(
        self,
        seed: int,
        w_scale: float | None = None,
        a_scale: float | None = None,
        bias: float = 0.0,
        *,
        a_signs: str = "random",
        w_init: str = "gaussian",
    ) -> np.ndarray:
        """θ_0 (P,): w_i ~ N(0, w_scale² I) (default 1/√d), a_i = ±a_scale (default 1/√m), b = bias.

        ``a_signs``: "random" (Rademacher), "balanced" (first half +, second half −),
        "positive" (all +) or "paired" (the sign of the matching "identity" row).
        ``w_init``: "gaussian", or "identity" (w_i = ±w_scale·√d·e_{i mod d}, sign (−1)^⌊i/d⌋; a
        diagnostic init that hands the net the sparse-coding basis, with the norm of an average
        Gaussian row; for m = 2d the plain net then holds the pairs ±e_k).
        """
        seed = _checks.seed(seed)
        if w_scale is not None:
            w_scale = _checks.real(w_scale, "w_scale", nonnegative=True)
        if a_scale is not None:
            a_scale = _checks.real(a_scale, "a_scale", nonnegative=True)
        bias = _checks.real(bias, "bias")
        a_signs = _checks.option(a_signs, "a_signs", ("random", "balanced", "positive", "paired"))
        w_init = _checks.option(w_init, "w_init", ("gaussian", "identity"))
        rng = np.random.default_rng(seed)
        ws = 1.0 / np.sqrt(self.d) if w_scale is None else w_scale
        as_ = 1.0 / np.sqrt(self.m) if a_scale is None else a_scale
        if w_init == "gaussian":
            W = ws * rng.standard_normal((self.m, self.d))
        elif w_init == "identity":
            W = np.zeros((self.m, self.d))
            i = np.arange(self.m)
            W[i, i % self.d] = ws * np.sqrt(self.d) * np.where((i // self.d) % 2 == 0, 1.0, -1.0)
        else:
            raise ValueError(f"w_init must be 'gaussian' or 'identity', got {w_init!r}")
        if a_signs == "random":
            s = rng.choice(np.array([-1.0, 1.0]), size=self.m)
        elif a_signs == "balanced":
            s = np.where(np.arange(self.m) < (self.m + 1) // 2, 1.0, -1.0)
        elif a_signs == "positive":
            s = np.ones(self.m)
        elif a_signs == "paired":
            s = np.where((np.arange(self.m) // self.d) % 2 == 0, 1.0, -1.0)
        else:
            raise ValueError(
                f"a_signs must be 'random', 'balanced', 'positive' or 'paired', got {a_signs!r}"
            )
        return self.join(W, np.full(self.m, bias), as_ * s)

    # ---------------------------------------------------------------- forward / backward
    def _theta(self, theta: Any, name: str = "theta", allow_nan: bool = True) -> np.ndarray:
        th = _checks.array(theta, name, allow_nan=allow_nan)
        if th.ndim == 0 or th.shape[-1] != self.n_params:
            raise ValueError(f"{name} must have shape (..., {self.n_params}), got {th.shape}")
        return th

    def _pre(self, th: np.ndarray, X: np.ndarray) -> np.ndarray:
        """h = ⟨w_i, x⟩, shape (E, n, m) for th (E, P)."""
        W = self._split(th)[0]
        return np.matmul(X, np.swapaxes(W, -1, -2))

    def _X(self, X: Any) -> np.ndarray:
        X = _checks.array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.d or X.shape[0] == 0:
            raise ValueError(f"X must have shape (n, {self.d}) with n >= 1, got {X.shape}")
        return X

    @_checks.quiet
    def features(self, theta: Any, X: Any) -> np.ndarray:
        """φ_i(x) for θ (..., P) and X (n, d), n >= 1: shape (..., n, m)."""
        th = self._theta(theta)
        X = self._X(X)
        lead = th.shape[:-1]
        th2 = th.reshape(-1, self.n_params)
        b = self._split(th2)[1]
        h = self._pre(th2, X)
        phi = self._phi(h, b[:, None, :])
        return phi.reshape((*lead, *phi.shape[1:]))

    def _phi(self, h: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.variant == "plain":
            return np.maximum(h + b, 0.0)
        return np.maximum(h + b, 0.0) - np.maximum(b - h, 0.0)

    @_checks.quiet
    def output(self, theta: Any, X: Any) -> np.ndarray:
        """f(x) for θ (..., P), X (n, d): shape (..., n)."""
        th = self._theta(theta)
        X = self._X(X)
        a = self._split(th)[2]
        phi = self.features(th, X)
        return np.matmul(phi, a[..., :, None])[..., 0]

    def _forward(
        self, th: np.ndarray, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(h, z+ mask, φ, f) for th (E, P)."""
        _, b, a = self._split(th)
        h = self._pre(th, X)
        bb = b[:, None, :]
        zp = h + bb
        if self.variant == "plain":
            phi = np.maximum(zp, 0.0)
        else:
            phi = np.maximum(zp, 0.0) - np.maximum(bb - h, 0.0)
        f = np.matmul(phi, a[:, :, None])[:, :, 0]
        return h, zp, phi, f

    def _loss_grad(
        self, th: np.ndarray, X: np.ndarray, y: np.ndarray, need_grad: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """(loss (E,), grad (E, P) or None, f (E, n)) for th (E, P)."""
        n = X.shape[0]
        _, b, a = self._split(th)
        h, zp, phi, f = self._forward(th, X)
        s = y * f
        loss = np.mean(np.logaddexp(0.0, -s), axis=-1)
        if not need_grad:
            return loss, None, f
        r = -(y * expit(-s)) / n  # dL/df, (E, n)
        g = np.empty_like(th)
        gW, gb, ga = self._split(g)
        ga[...] = np.matmul(r[:, None, :], phi)[:, 0, :]
        dphi = r[:, :, None] * a[:, None, :]  # (E, n, m)
        on_p = zp > 0
        if self.variant == "plain":
            dz = np.where(on_p, dphi, 0.0)
            gb[...] = np.sum(dz, axis=1)
            gW[...] = np.matmul(np.swapaxes(dz, -1, -2), X)
        else:
            on_m = (b[:, None, :] - h) > 0
            dh = dphi * (on_p.astype(float) + on_m.astype(float))
            db = dphi * (on_p.astype(float) - on_m.astype(float))
            gb[...] = np.sum(db, axis=1)
            gW[...] = np.matmul(np.swapaxes(dh, -1, -2), X)
        return loss, g, f

    def _apply_M(self, g: np.ndarray, theta: np.ndarray, half: bool = False) -> np.ndarray:
        """M g (``half``: M^{1/2} g) for the block mask M at θ (class doc); a new array."""
        out = np.array(g, dtype=float, copy=True)
        W, b, a = self._split(out)
        root = np.sqrt(self.m) if half else 1.0
        if not self.train_w:
            W[...] = 0.0
        if self.biases == "tied":
            b[...] = np.sum(b, axis=-1, keepdims=True) / root
        if self.second_layer == "frozen":
            a[...] = 0.0
        elif self.second_layer == "tied":
            sgn = np.where(self._split(theta)[2] < 0, -1.0, 1.0)
            a[...] = sgn * np.sum(sgn * a, axis=-1, keepdims=True) / root
        return out

    @property
    def constrained(self) -> bool:
        """True if some block is frozen or tied (M ≠ I)."""
        return self.second_layer != "trained" or not self.train_w or self.biases != "trained"

    def _batched(self, fn, theta: Any, X: Any, y: Any):
        th = self._theta(theta)
        X, y = _data(X, y, self.d)
        lead = th.shape[:-1]
        out = fn(th.reshape(-1, self.n_params), X, y)
        return out, lead

    @_checks.quiet
    def loss(self, theta: Any, X: Any, y: Any) -> np.ndarray:
        """Mean logistic loss, shape ``theta.shape[:-1]``."""
        (lo, _, _), lead = self._batched(
            lambda t, X_, y_: self._loss_grad(t, X_, y_, False), theta, X, y
        )
        return lo.reshape(lead)

    @_checks.quiet
    def grad(self, theta: Any, X: Any, y: Any) -> np.ndarray:
        """∇L (a.e.), shape ``theta.shape``."""
        (_, g, _), lead = self._batched(self._loss_grad, theta, X, y)
        return g.reshape((*lead, self.n_params))

    # ---------------------------------------------------------------- curvature
    @_checks.quiet
    def hvp(self, theta: Any, v: Any, X: Any, y: Any, eps: float = 1e-4) -> np.ndarray:
        """Central-difference Hessian-vector product (∇L(θ+εv) − ∇L(θ−εv)) / 2ε (batched)."""
        th, v = self._theta_v(theta, v)
        eps = _checks.real(eps, "eps", positive=True)
        X, y = _data(X, y, self.d)
        return self._hvp(th, v, X, y, eps)

    def _hvp(self, th: np.ndarray, v: np.ndarray, X: Any, y: Any, eps: float) -> np.ndarray:
        return (self.grad(th + eps * v, X, y) - self.grad(th - eps * v, X, y)) / (2 * eps)

    def _theta_v(self, theta: Any, v: Any) -> tuple[np.ndarray, np.ndarray]:
        th = self._theta(theta)
        v = self._theta(v, "v", allow_nan=False)
        if v.size == 0:
            raise ValueError(f"v must hold at least one direction, got shape {v.shape}")
        try:
            np.broadcast_shapes(th.shape, v.shape)
        except ValueError as exc:
            raise ValueError(f"v must broadcast against theta {th.shape}, got {v.shape}") from exc
        return th, v

    @_checks.quiet
    def effective_hvp(self, theta: Any, v: Any, X: Any, y: Any, eps: float = 1e-4) -> np.ndarray:
        """M^{1/2} H M^{1/2} v (class doc): the curvature GD with frozen / tied blocks sees."""
        th, v = self._theta_v(theta, v)
        eps = _checks.real(eps, "eps", positive=True)
        X, y = _data(X, y, self.d)
        return self._effective_hvp(th, v, X, y, eps)

    def _effective_hvp(
        self, th: np.ndarray, v: np.ndarray, X: Any, y: Any, eps: float
    ) -> np.ndarray:
        if not self.constrained:
            return self._hvp(th, v, X, y, eps)
        Mv = self._apply_M(v, th, half=True)
        return self._apply_M(self._hvp(th, Mv, X, y, eps), th, half=True)

    @_checks.quiet
    def mean_direction(self, theta: Any, X: Any) -> np.ndarray:
        """Unit vector (..., P) along a ∝ Ḡ, Ḡ_i = mean_x φ_i(x), zero in the W and b blocks.

        With a tied second layer it is projected on the tied direction (a ∝ s = sign(a)); with a
        frozen one it is zero (no mean-model mode). For the odd variant Ḡ ≈ 0 (φ is odd in the
        noise): the direction is then mostly noise and the mean-model mechanism does not apply.
        """
        th = self._theta(theta)
        X = self._X(X)
        G = np.mean(self.features(th, X), axis=-2)
        if self.second_layer == "tied":
            s = np.where(self._split(th)[2] < 0, -1.0, 1.0)
            sgn = np.where(np.sum(s * G, axis=-1, keepdims=True) < 0, -1.0, 1.0)
            G = sgn * s
        elif self.second_layer == "frozen":
            G = np.zeros_like(G)
        v = np.zeros_like(th)
        norm = np.linalg.norm(G, axis=-1, keepdims=True)
        self._split(v)[2][...] = G / np.where(norm > 0, norm, 1.0)
        return v

    @_checks.quiet
    def mean_activation(self, theta: Any, X: Any) -> np.ndarray:
        """Ḡ (..., m), the empirical mean activation of each unit."""
        return np.mean(self.features(theta, X), axis=-2)

    @_checks.quiet
    def rayleigh_mean(self, theta: Any, X: Any, y: Any, eps: float = 1e-4) -> np.ndarray:
        """vᵀ H v along :meth:`mean_direction` (FD-HVP; exact there up to rounding, f is linear in
        a). For a tied second layer it is the curvature ∂²L/∂α² of the shared weight; for a frozen
        one it is 0."""
        th = self._theta(theta)
        eps = _checks.real(eps, "eps", positive=True)
        X, y = _data(X, y, self.d)
        v = self.mean_direction(th, X)
        return np.sum(v * self._effective_hvp(th, v, X, y, eps), axis=-1)

    @_checks.quiet
    def top_eigenvalue(
        self,
        theta: Any,
        X: Any,
        y: Any,
        iters: int = 100,
        seed: int = 0,
        eps: float = 1e-6,
    ) -> tuple[float, float]:
        """(λ, ‖Hv − λv‖): Lanczos (full reorthogonalisation) on FD-HVPs at one θ (P,).

        Uses :meth:`effective_hvp` (the Hessian itself when nothing is frozen or tied). λ is the
        Rayleigh quotient of the Ritz vector of the largest algebraic Ritz value; the residual is
        measured with one more HVP. FRAGILE at ReLU kinks (module doc): a kink inside ±εv makes
        the FD operator non-symmetric; trust λ only when the residual is small compared with λ.
        The default ε = 1e-6 (smaller than :meth:`hvp`'s) makes crossing a kink less likely: at
        ε = 1e-4 a plain net with a = ±1/m gave λ = −1.22 (residual 2.1), at 1e-6 λ = 0.0055
        (residual 2e-11).

        θ must be finite (an eigenvalue of a non-finite Hessian means nothing: ``ValueError``); a
        finite θ so large that the HVPs overflow gives (NaN, NaN).
        """
        th = self._theta(theta, allow_nan=False)
        if th.ndim != 1:
            raise ValueError(
                f"theta must be a single θ of shape ({self.n_params},) for top_eigenvalue, "
                f"got {th.shape}"
            )
        iters = _checks.count(iters, "iters")
        seed = _checks.seed(seed)
        eps = _checks.real(eps, "eps", positive=True)
        X, y = _data(X, y, self.d)
        k = min(iters, self.n_params)
        rng = np.random.default_rng(seed)
        Q = np.zeros((k + 1, self.n_params))
        q = self._apply_M(rng.standard_normal(self.n_params), th, half=True)
        Q[0] = q / np.linalg.norm(q)
        alpha = np.zeros(k)
        beta = np.zeros(k)
        used = k
        for j in range(k):
            w = self._effective_hvp(th, Q[j], X, y, eps)
            if not np.all(np.isfinite(w)):  # overflow at a huge θ: no eigenvalue to report
                return float("nan"), float("nan")
            alpha[j] = Q[j] @ w
            w = w - Q[: j + 1].T @ (Q[: j + 1] @ w)
            w = w - Q[: j + 1].T @ (Q[: j + 1] @ w)
            beta[j] = np.linalg.norm(w)
            if beta[j] < 1e-10 * max(1.0, abs(alpha[j])):
                used = j + 1
                break
            Q[j + 1] = w / beta[j]
        T = np.diag(alpha[:used]) + np.diag(beta[: used - 1], 1) + np.diag(beta[: used - 1], -1)
        _, vecs = np.linalg.eigh(T)
        v = Q[:used].T @ vecs[:, -1]
        v /= np.linalg.norm(v)
        Hv = self._effective_hvp(th, v, X, y, eps)
        if not np.all(np.isfinite(Hv)):
            return float("nan"), float("nan")
        lam = float(v @ Hv)
        return lam, float(np.linalg.norm(Hv - lam * v))

    @_checks.quiet
    def dense_hessian(self, theta: Any, X: Any, y: Any, eps: float = 1e-4) -> np.ndarray:
        """Dense FD Hessian (..., P, P), symmetrised; only for P <= MAX_DENSE_PARAMS."""
        if self.n_params > MAX_DENSE_PARAMS:
            raise ValueError(
                f"dense Hessian needs P <= {MAX_DENSE_PARAMS} parameters, this net has "
                f"P = m*d + 2m = {self.n_params}; use hvp / rayleigh_mean / top_eigenvalue"
            )
        th = self._theta(theta)
        eps = _checks.real(eps, "eps", positive=True)
        X, y = _data(X, y, self.d)
        lead = th.shape[:-1]
        th2 = th.reshape(-1, self.n_params)
        H = np.empty((th2.shape[0], self.n_params, self.n_params))
        eye = np.eye(self.n_params)
        for k in range(self.n_params):
            H[:, :, k] = self._hvp(th2, np.broadcast_to(eye[k], th2.shape), X, y, eps)
        H = 0.5 * (H + np.swapaxes(H, -1, -2))
        return H.reshape((*lead, self.n_params, self.n_params))

    # ---------------------------------------------------------------- toymodels.Model
    def param_names(self) -> list[str]:
        names = [f"w{i}_{k}" for i in range(self.m) for k in range(self.d)]
        return names + [f"b{i}" for i in range(self.m)] + [f"a{i}" for i in range(self.m)]

    def model(self, X: Any, y: Any) -> Model:
        """A :class:`toymodels.Model` of L(θ) on the data (X, y) (numpy twins).

        ``hessian`` is the dense FD Hessian (:meth:`dense_hessian`): it raises ``ValueError`` when
        P > MAX_DENSE_PARAMS.
        """
        X, y = _data(X, y, self.d)
        return Model.from_numpy(
            self.param_names(),
            lambda th: self.loss(th, X, y),
            lambda th: self.grad(th, X, y),
            lambda th: self.dense_hessian(th, X, y),
            name=f"threshold_net({self.variant}, d={self.d}, m={self.m})",
            citation=CITATION,
        )


# --------------------------------------------------------------------------------------------
# training and evaluation
# --------------------------------------------------------------------------------------------


def _accuracy(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Mean of 1{y f > 0}, ties f = 0 counting ½ (a dead net, f ≡ 0, scores chance, not 0)."""
    s = y * f
    return np.mean((s > 0) + 0.5 * (s == 0), axis=-1)


def train(
    net: ReluNet,
    X: Any,
    y: Any,
    eta: Any,
    steps: int,
    theta0: Any,
    record_every: int = 10,
    *,
    bound: float = 1e6,
    test: tuple[Any, Any] | None = None,
    track_sharpness: bool = False,
) -> dict[str, np.ndarray]:
    """Full-batch GD θ ← θ − ηM∇L(θ) for a grid of step sizes at once (θ (E, P)).

    M masks frozen blocks / sums a tied second layer (:class:`ReluNet`); M = I by default.

    ``eta`` is a 1-D grid (E,); ``theta0`` is (P,) (shared) or (E, P). Records every
    ``record_every`` steps (and the last step) — arrays of shape (R, E): ``loss``, ``train_acc``,
    ``bias_mean`` (b̄), ``bias_min``, ``mean_output`` (mean_x f(x)); with ``test=(Xt, yt)`` also
    ``test_acc``. Also ``steps`` (R,), ``theta`` (E, P) final, ``eta``, ``diverged`` (E,) and
    ``diverged_at`` (E,; −1 if not). Divergence (non-finite loss or max|θ| > ``bound``) is data:
    the member is frozen at NaN from that step on; no floating-point warnings are emitted.
    With ``track_sharpness=True`` also ``sharpness_mean`` (R, E): the curvature vᵀHv along the
    mean output direction (:meth:`ReluNet.rayleigh_mean`), which carries the edge-of-stability
    dynamics of the bias (brief §4.3); compare it with 2/η.
    """
    if not isinstance(net, ReluNet):
        raise TypeError(f"net must be a ReluNet, got {type(net).__name__}")
    X, y = _data(X, y, net.d)
    eta = _checks.array(eta, "eta")
    if eta.ndim != 1 or eta.size == 0 or np.any(eta <= 0):
        raise ValueError(f"eta must be a non-empty 1-D array of positive step sizes, got {eta}")
    steps = _checks.count(steps, "steps", minimum=0)
    record_every = _checks.count(record_every, "record_every")
    bound = _checks.real(bound, "bound", positive=True)
    track_sharpness = _checks.boolean(track_sharpness, "track_sharpness")
    E = eta.size
    n_rec = steps // record_every + 2
    _checks.budget(n_rec * E, "steps", f"each record ({n_rec} records × {E} step sizes)")
    _checks.budget(E * net.n_params, "eta", f"the batch θ ({E} × {net.n_params})")
    th0 = _checks.array(theta0, "theta0")
    if th0.shape == (net.n_params,):
        th0 = np.broadcast_to(th0, (E, net.n_params))
    if th0.shape != (E, net.n_params):
        raise ValueError(f"theta0 must have shape ({net.n_params},) or ({E}, {net.n_params})")
    if test is not None:
        if not isinstance(test, (tuple, list)) or len(test) != 2:
            raise TypeError(
                f"test must be a pair (X_test, y_test) or None, got {type(test).__name__}"
            )
        Xt, yt = _data(test[0], test[1], net.d)
    rec = np.arange(0, steps + 1, record_every)
    if rec[-1] != steps:
        rec = np.append(rec, steps)
    R = rec.size
    out = {k: np.full((R, E), np.nan) for k in ("loss", "train_acc", "bias_mean", "bias_min")}
    out["mean_output"] = np.full((R, E), np.nan)
    if test is not None:
        out["test_acc"] = np.full((R, E), np.nan)
    if track_sharpness:
        out["sharpness_mean"] = np.full((R, E), np.nan)
    div_at = np.full(E, -1, dtype=np.int64)
    alive = np.arange(E)
    th = np.array(th0, dtype=float, order="C")
    et = eta[:, None].copy()
    r = 0
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            need_grad = t < steps
            loss, g, f = net._loss_grad(th, X, y, need_grad)
            bad = ~np.isfinite(loss) | ~(np.max(np.abs(th), axis=1) <= bound)
            if bad.any():
                div_at[alive[bad]] = t
                keep = ~bad
                alive, th, et = alive[keep], th[keep], et[keep]
                loss, f = loss[keep], f[keep]
                g = g[keep] if g is not None else None
            if r < R and rec[r] == t:
                if alive.size:
                    b = net._split(th)[1]
                    out["loss"][r, alive] = loss
                    out["train_acc"][r, alive] = _accuracy(y, f)
                    out["bias_mean"][r, alive] = np.mean(b, axis=-1)
                    out["bias_min"][r, alive] = np.min(b, axis=-1)
                    out["mean_output"][r, alive] = np.mean(f, axis=-1)
                    if test is not None:
                        ft = net.output(th, Xt)
                        out["test_acc"][r, alive] = _accuracy(yt, ft)
                    if track_sharpness:
                        out["sharpness_mean"][r, alive] = net.rayleigh_mean(th, X, y)
                r += 1
            if not need_grad or alive.size == 0:
                break
            if net.constrained:
                g = net._apply_M(g, th)
            th -= et * g
    final = np.full((E, net.n_params), np.nan)
    final[alive] = th
    out.update(
        steps=rec,
        theta=final,
        eta=eta.copy(),
        diverged=div_at >= 0,
        diverged_at=div_at,
    )
    return out


def test_accuracy(
    net: ReluNet, theta: Any, data: SparseCodingData, n_test: int = 5000, seed: int = 12345
) -> np.ndarray:
    """Accuracy of sign f(x) on ``n_test`` FRESH samples ``data.sample(n_test, seed)``.

    Ties f(x) = 0 count ½ (a dead net scores chance).
    Shape ``theta.shape[:-1]``; NaN for diverged (non-finite) members (the NaN rows of
    :func:`train`'s ``theta``). An empty batch is refused. Use a seed different from the training
    seed.
    """
    if not isinstance(net, ReluNet):
        raise TypeError(f"net must be a ReluNet, got {type(net).__name__}")
    if not isinstance(data, SparseCodingData):
        raise TypeError(f"data must be a SparseCodingData, got {type(data).__name__}")
    if data.d != net.d:
        raise ValueError(f"data must have the net's input dimension d = {net.d}, got {data.d}")
    th = net._theta(theta)
    if th.size == 0:
        raise ValueError(f"theta must hold at least one θ, got shape {th.shape}")
    n_test = _checks.count(n_test, "n_test")
    _checks.budget(n_test * data.d, "n_test", f"the test set ({n_test} × {data.d})")
    Xt, yt = data.sample(n_test, seed)
    with np.errstate(all="ignore"):
        f = net.output(th, Xt)
        acc = _accuracy(yt, f)
    return np.where(np.all(np.isfinite(th), axis=-1), acc, np.nan)


test_accuracy.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


@dataclass(frozen=True)
class ThresholdPrediction:
    """Predicted critical step sizes at θ_0.

    ``eta_mean`` = 2 / ``rayleigh`` (curvature along the mean direction, the mean-model edge);
    ``eta_top`` = 2 / ``top`` (Lanczos λ_max estimate; fragile, see ``top_residual``).
    ``mean_model`` = ¼ Σ_i Ḡ_i², the mean-model curvature (brief §1.3 B, [DERIVED]).
    """

    eta_mean: float
    eta_top: float
    rayleigh: float
    top: float
    top_residual: float
    mean_model: float


@_checks.quiet
def predicted_threshold(
    net: ReluNet, theta0: Any, X: Any, y: Any, *, lanczos_iters: int = 60
) -> ThresholdPrediction:
    """The mean-model prediction η_mean = 2 / rayleigh_mean(θ_0) (and 2/top_eigenvalue).

    NaN where the curvature is not positive (e.g. ``eta_mean`` with a frozen second layer);
    ``lanczos_iters=0`` skips the Lanczos estimate (``top`` and ``eta_top`` are then NaN).
    ``theta0`` must be finite (``ValueError``): no threshold is predicted from a diverged state.
    """
    if not isinstance(net, ReluNet):
        raise TypeError(f"net must be a ReluNet, got {type(net).__name__}")
    th = net._theta(theta0, "theta0", allow_nan=False)
    if th.ndim != 1:
        raise ValueError(f"theta0 must be a single θ_0 of shape ({net.n_params},), got {th.shape}")
    lanczos_iters = _checks.count(lanczos_iters, "lanczos_iters", minimum=0)
    X, y = _data(X, y, net.d)
    rq = float(net.rayleigh_mean(th, X, y))
    if lanczos_iters > 0:
        top, res = net.top_eigenvalue(th, X, y, iters=lanczos_iters)
    else:
        top, res = float("nan"), float("nan")
    G = net.mean_activation(th, X)
    return ThresholdPrediction(
        eta_mean=2.0 / rq if rq > 0 else float("nan"),
        eta_top=2.0 / top if top > 0 else float("nan"),  # NaN > 0 is False
        rayleigh=rq,
        top=top,
        top_residual=res,
        mean_model=0.25 * float(np.sum(G * G)),
    )


#: the one setting found in which the large-step runs learn thresholds *and* generalise
FIG1_SETTING = (
    "odd net f = α Σ_i [relu(⟨w_i,x⟩+β) − relu(−⟨w_i,x⟩+β)], m = d = 200, w_i = e_i at init "
    "(W trained), α0 = 1/√m shared (tied), β0 = 0 shared (tied), n = 300, λ = 3, full-batch GD, "
    "fresh test samples"
)


def fig1_setting(
    seed: int = 0, d: int = 200, n: int = 300, lam: float = 3.0
) -> tuple[SparseCodingData, np.ndarray, np.ndarray, ReluNet, np.ndarray]:
    """(data, X, y, net, θ0) of :data:`FIG1_SETTING` (the Fig. 1 analogue of Ahn et al. 2023).

    The generic net (plain ReLU, Gaussian first layer, free a and b) memorises the n = 300 samples
    and stays at chance for every η; this reconstruction, shaped like the paper's mean model,
    is the setting where test accuracy rises above the threshold (see the tests for numbers).
    """
    data = SparseCodingData(d=d, lam=lam, noise=1.0)
    X, y = data.sample(n, seed)
    net = ReluNet(d, d, "odd", second_layer="tied", biases="tied")
    theta0 = net.init(seed, w_init="identity", a_signs="positive")
    return data, X, y, net, theta0
