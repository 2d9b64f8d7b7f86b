"""Logistic (and exponential) regression on separable data at large step sizes.

Wu, Braverman, Lee, "Implicit Bias of Gradient Descent for Logistic Regression at the Edge of
Stability" (NeurIPS 2023, arXiv 2305.11788). Their abstract [SRC-abs]: on linearly separable
data GD with *any* constant step size minimises the logistic loss over a long time scale, despite
local oscillations (a non-monotone loss: the edge of stability); with w = a·ŵ + v, ŵ the unit
hard-margin SVM direction and v ⊥ ŵ, the margin component a_t → ∞ and v_t converges to the
minimiser of a strongly convex potential; with the exponential loss, GD at the edge of stability
can diverge catastrophically. The body of the paper could not be read (research brief
``sgd_and_features.md`` §0, §7): the toy, the potential and the asymptotic constants below are the
brief's and this module's derivations, proven in ``proofs_check.logistic_regression``.

The model (brief §7.2): n points x_i ∈ R^d with the labels absorbed (y_i x_i → x_i) and

    L(w) = (1/n) Σ_i ℓ(⟨w, x_i⟩),  ℓ(z) = log(1 + e^{−z}) (logistic) or e^{−z} (exponential).

The two-point set of the brief is x₁ = (γ, 1), x₂ = (γ, −2) (γ = 0.1), where ŵ = e₁, the margin
is γ, w = (a, v) coordinatewise and L = ½Σ_i ℓ(⟨w, x_i⟩).

Two numeric forms of every model:

* :func:`separable_model` / :func:`two_point_model`: ``Model.from_sympy`` on the explicit sum
  over the points (the library derives ∇L, ∇²L, ∇³L; the numba backend applies). lambdify
  compiles ℓ(z) = log(1 + e^{−z}) literally, as ``log(exp(-z) + 1)``, and ∇L with
  ``exp(-z)/(exp(-z) + 1)``: for large positive margins (z = 1e3) the loss rounds to 0 and the
  gradient to −0.0 (harmless: the true values are below 1e-400), but for margins below −709
  (z = −1e3) e^{−z} overflows and the compiled loss is ``inf``, the gradient and Hessian ``NaN``.
  The loss also loses relative accuracy once e^{−z} < 1e-16 (it is exactly 0 beyond z ≈ 37).
* :func:`separable_model_numpy`: ``Model.from_numpy`` on the stable twins
  :func:`separable_numpy_loss` (``np.logaddexp(0, −z)``), :func:`separable_numpy_grad`
  (``scipy.special.expit(−z)``), :func:`separable_numpy_hessian` (σ(z)σ(−z)) and
  :func:`separable_numpy_third`: finite and relatively accurate at every finite margin.
  The test-suite cross-checks the two forms (values, and whole GD runs).

Closed forms of the two-point set (derived; proven exactly in ``proofs_check``):
:func:`two_point_max_margin` (ŵ = e₁, margin γ, dual α = (2/3, 1/3)/γ²),
:func:`two_point_potential` G(v) = e^{−v} + e^{2v}, :func:`two_point_v_star` v* = −ln2/3,
:func:`two_point_potential_min` G(v*) = 2^{1/3} + 2^{−2/3}, :func:`two_point_initial_sharpness`
(S₀ = 0.62525 for γ = 0.1), :func:`two_point_eos_threshold` (2/S₀ = 3.1987),
:func:`two_point_v_rate` (γ²ηt(v_t − v*) → −4/(9(2 − γ²)); the brief's −0.2222 = −2/9 is its
γ → 0 limit) and :func:`two_point_asymptotics`. For any data: :func:`max_margin` (exact
hard-margin SVM through the origin), :func:`margin_decomposition` (w = aŵ + v),
:func:`potential` and :func:`sharpness_bound` (λ_max(∇²L) ≤ max_i‖x_i‖²·L(w)).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from scipy.special import expit

from ..model import Model
from . import _checks

__all__ = [
    "CITATION_WU",
    "ETAS",
    "GAMMA",
    "LOSSES",
    "MaxMargin",
    "TwoPointAsymptotics",
    "margin_decomposition",
    "max_margin",
    "potential",
    "separable_model",
    "separable_model_numpy",
    "separable_numpy_grad",
    "separable_numpy_hessian",
    "separable_numpy_loss",
    "separable_numpy_third",
    "sharpness_bound",
    "two_point_asymptotics",
    "two_point_data",
    "two_point_eos_threshold",
    "two_point_initial_sharpness",
    "two_point_max_margin",
    "two_point_model",
    "two_point_potential",
    "two_point_potential_min",
    "two_point_v_rate",
    "two_point_v_star",
]

CITATION_WU = (
    "Wu, Braverman, Lee, 'Implicit Bias of Gradient Descent for Logistic Regression at the Edge "
    "of Stability', NeurIPS 2023 (arXiv 2305.11788)"
)

#: the brief's margin γ of the two-point set x₁ = (γ, 1), x₂ = (γ, −2) (research brief §7.2)
GAMMA = 0.1
#: the step sizes of the brief's table and claims (§7.3, §7.6): η·S₀ = 0.31, 1.25 (stable) and
#: 3.13, 6.25, 12.5 (edge of stability) for γ = 0.1
ETAS = (0.5, 2.0, 5.0, 10.0, 20.0)
#: the per-sample losses: ℓ(z) = log(1 + e^{−z}) and ℓ(z) = e^{−z}
LOSSES = ("logistic", "exponential")

#: the sympy form is an explicit sum of n·d products; beyond this many terms its compilation
#: takes minutes (use :func:`separable_model_numpy`)
MAX_SYMPY_TERMS = 4096
#: :func:`max_margin` enumerates candidate support sets; beyond this many it refuses
MAX_SUBSETS = 200_000

#: x̄ of the two-point set: the coordinates of x₁, x₂ in ŵ^⊥ = span(e₂)
_TWO_POINT_XBAR = (1.0, -2.0)


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _data(X: Any, name: str = "X") -> np.ndarray:
    """A finite (n, d) data matrix with n, d ≥ 1 (rows: the points, labels absorbed)."""
    x = _checks.array(X, name, ndim=2)
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} must have at least one point and one coordinate, got {x.shape}")
    _checks.budget(x.size, name, "the data matrix")
    return x


def _loss_kind(loss: Any) -> str:
    return _checks.option(loss, "loss", LOSSES)


def _gamma(gamma: Any) -> float:
    return _checks.real(gamma, "gamma", positive=True)


def _theta(theta: Any, d: int, name: str = "theta") -> np.ndarray:
    th = _checks.array(theta, name, allow_nan=True)
    if th.ndim == 0 or th.shape[-1] != d:
        raise ValueError(
            f"{name} must have shape (..., {d}) (one weight per coordinate of X), "
            f"got shape {th.shape}"
        )
    return th


# --------------------------------------------------------------------------------------------
# the models
# --------------------------------------------------------------------------------------------


def _param_names(d: int) -> tuple[str, ...]:
    return tuple(f"w{j + 1}" for j in range(d))


def separable_model(X: Any, loss: str = "logistic") -> Model:
    """L(w) = (1/n)Σ_i ℓ(⟨w, x_i⟩) on the points ``X`` (n, d) (labels absorbed), as a sympy model.

    ℓ(z) = log(1 + e^{−z}) for ``loss="logistic"``, e^{−z} for ``"exponential"`` (Wu, Braverman,
    Lee, NeurIPS 2023; research brief §7.1-7.2). Parameters ("w1", …, "wd"). Built with
    :meth:`Model.from_sympy` on the explicit sum over the points, so the library derives ∇L,
    ∇²L, ∇³L exactly and the numba backend applies. The compiled loss is the literal
    ``log(exp(-z) + 1)``: it overflows to inf (gradient NaN) for a margin z < −709 and is exactly
    0 for z > 37 (module docstring); :func:`separable_model_numpy` is the stable twin.

    Raises ValueError / TypeError naming ``X`` (not a finite (n, d) array with n, d ≥ 1, or more
    than 4096 entries: use the numpy twin) or ``loss``.
    """
    kind = _loss_kind(loss)
    x = _data(X)
    n, d = x.shape
    if x.size > MAX_SYMPY_TERMS:
        raise ValueError(
            f"X is too large for the sympy form: n·d = {x.size} > {MAX_SYMPY_TERMS} terms "
            "(compilation would take minutes); use separable_model_numpy(X, loss)"
        )
    unused = [j + 1 for j in range(d) if not np.any(x[:, j] != 0.0)]
    if unused:
        raise ValueError(
            f"X: coordinate(s) {unused} are 0 for every point, so the weight(s) do not enter the "
            "loss of the sympy form; drop them or use separable_model_numpy(X, loss)"
        )
    ws = sp.symbols(" ".join(_param_names(d)), real=True)
    ws = ws if isinstance(ws, tuple) else (ws,)
    terms = []
    for i in range(n):
        z = sp.Add(*(sp.Float(float(x[i, j])) * ws[j] for j in range(d) if x[i, j] != 0.0))
        terms.append(sp.log(1 + sp.exp(-z)) if kind == "logistic" else sp.exp(-z))
    expr = sp.Add(*terms) / n
    return Model.from_sympy(
        expr,
        params=ws,
        name=f"{kind} loss on {n} separable points in R^{d}",
        citation=CITATION_WU,
    )


def two_point_data(gamma: float = GAMMA) -> np.ndarray:
    """The brief's two points with labels absorbed: x₁ = (γ, 1), x₂ = (γ, −2), shape (2, 2).

    Research brief §7.2 (a reconstruction of the smallest separable set on which the claims of
    Wu, Braverman, Lee, NeurIPS 2023, show; the paper's own experiments could not be read).
    The max-margin direction is e₁ with margin γ, both points are support vectors and their
    components in ŵ^⊥ are x̄ = (1, −2) (:func:`two_point_max_margin`).
    """
    g = _gamma(gamma)
    return np.array([[g, 1.0], [g, -2.0]])


def two_point_model(gamma: float = GAMMA, loss: str = "logistic") -> Model:
    """L(w) = ½[ℓ(γw₁ + w₂) + ℓ(γw₁ − 2w₂)], parameters ("w1", "w2") = (a, v).

    :func:`separable_model` on :func:`two_point_data` (research brief §7.2; Wu, Braverman, Lee,
    NeurIPS 2023). Since ŵ = e₁, w₁ is the margin component a and w₂ the orthogonal component v.
    From w₀ = 0 the sharpness is :func:`two_point_initial_sharpness` (0.62525 for γ = 0.1), so
    GD runs at the edge of stability for η > 3.1987 (:func:`two_point_eos_threshold`).
    """
    return separable_model(two_point_data(gamma), loss)


# --------------------------------------------------------------------------------------------
# the stable numpy twins
# --------------------------------------------------------------------------------------------


def _margins(th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """z_i = ⟨θ, x_i⟩, shape (..., n): an elementwise product summed over the coordinates (no
    BLAS), so a batch member gives the same bits as its own single evaluation."""
    return (th[..., None, :] * x).sum(axis=-1)


def _ell(z: np.ndarray, kind: str) -> np.ndarray:
    return np.logaddexp(0.0, -z) if kind == "logistic" else np.exp(-z)


def _minus_dell(z: np.ndarray, kind: str) -> np.ndarray:
    """−ℓ'(z): σ(−z) (logistic) or e^{−z}."""
    return expit(-z) if kind == "logistic" else np.exp(-z)


def _d2ell(z: np.ndarray, kind: str) -> np.ndarray:
    """ℓ''(z): σ(z)σ(−z) (logistic) or e^{−z}."""
    return expit(z) * expit(-z) if kind == "logistic" else np.exp(-z)


def _d3ell(z: np.ndarray, kind: str) -> np.ndarray:
    """Third derivative of ℓ: σ(z)σ(−z)(σ(−z) − σ(z)) (logistic) or −e^{−z}."""
    if kind == "logistic":
        s, sb = expit(z), expit(-z)
        return s * sb * (sb - s)
    return -np.exp(-z)


def _loss_raw(th: np.ndarray, x: np.ndarray, kind: str) -> np.ndarray:
    return _ell(_margins(th, x), kind).sum(axis=-1) / x.shape[0]


def _grad_raw(th: np.ndarray, x: np.ndarray, kind: str) -> np.ndarray:
    s = _minus_dell(_margins(th, x), kind)  # (..., n)
    return -(s[..., None] * x).sum(axis=-2) / x.shape[0]


def _hess_raw(th: np.ndarray, x: np.ndarray, kind: str) -> np.ndarray:
    q = _d2ell(_margins(th, x), kind)
    outer = x[:, :, None] * x[:, None, :]  # (n, d, d)
    return (q[..., None, None] * outer).sum(axis=-3) / x.shape[0]


def _third_raw(th: np.ndarray, u: np.ndarray, x: np.ndarray, kind: str) -> np.ndarray:
    c = _d3ell(_margins(th, x), kind) * _margins(u, x) ** 2
    return (c[..., None] * x).sum(axis=-2) / x.shape[0]


@_checks.quiet
def separable_numpy_loss(theta: Any, X: Any, loss: str = "logistic") -> np.ndarray:
    """L(θ) = (1/n)Σ_i ℓ(⟨θ, x_i⟩) with ℓ(z) = ``np.logaddexp(0, −z)`` (logistic) or e^{−z}.

    The stable twin of :func:`separable_model`'s loss (Wu, Braverman, Lee, NeurIPS 2023; brief
    §7.2): finite and relatively accurate at every finite margin (the exponential loss overflows
    to inf only where e^{−z} does). ``theta``: (..., d) → (...). NaN θ gives NaN, no warning.
    """
    kind = _loss_kind(loss)
    x = _data(X)
    return _loss_raw(_theta(theta, x.shape[1]), x, kind)


@_checks.quiet
def separable_numpy_grad(theta: Any, X: Any, loss: str = "logistic") -> np.ndarray:
    """∇L(θ) = −(1/n)Σ_i s_i x_i with s_i = −ℓ'(z_i) = ``expit(−z_i)`` (logistic) or e^{−z_i}.

    Stable twin of the sympy gradient (brief §7.2): 0 < s_i < 1 for the logistic loss at every
    finite margin. ``theta``: (..., d) → (..., d).
    """
    kind = _loss_kind(loss)
    x = _data(X)
    return _grad_raw(_theta(theta, x.shape[1]), x, kind)


@_checks.quiet
def separable_numpy_hessian(theta: Any, X: Any, loss: str = "logistic") -> np.ndarray:
    """∇²L(θ) = (1/n)Σ_i ℓ''(z_i) x_i x_iᵀ, ℓ'' = σ(z)σ(−z) (logistic, σ = expit) or e^{−z}.

    Stable twin of the sympy Hessian (brief §7.2). Since ℓ'' ≤ ℓ (proven in ``proofs_check``),
    λ_max ≤ tr ≤ max_i‖x_i‖²·L(θ) (:func:`sharpness_bound`). ``theta``: (..., d) → (..., d, d).
    """
    kind = _loss_kind(loss)
    x = _data(X)
    return _hess_raw(_theta(theta, x.shape[1]), x, kind)


@_checks.quiet
def separable_numpy_third(theta: Any, u: Any, X: Any, loss: str = "logistic") -> np.ndarray:
    """∇³L(θ)[u, u] = (1/n)Σ_i ℓ'''(z_i)⟨x_i, u⟩² x_i, ℓ''' = σ(z)σ(−z)(σ(−z) − σ(z)) or −e^{−z}.

    Stable twin of the sympy third-derivative contraction (brief §7.2). ``theta`` and ``u``:
    (..., d), broadcast against each other → the broadcast shape.
    """
    kind = _loss_kind(loss)
    x = _data(X)
    d = x.shape[1]
    th = _theta(theta, d)
    uu = _theta(u, d, "u")
    try:
        shape = np.broadcast_shapes(th.shape, uu.shape)
    except ValueError as exc:
        raise ValueError(
            f"u (shape {uu.shape}) does not broadcast against theta ({th.shape})"
        ) from exc
    return _third_raw(np.broadcast_to(th, shape), np.broadcast_to(uu, shape), x, kind)


def separable_model_numpy(X: Any, loss: str = "logistic") -> Model:
    """The stable numpy twin of :func:`separable_model`: ``Model.from_numpy`` on
    :func:`separable_numpy_loss` / ``_grad`` / ``_hessian`` / ``_third``, parameters
    ("w1", …, "wd") (Wu, Braverman, Lee, NeurIPS 2023; brief §7.2, §8 "divergence is a result").

    Use it for margins below −709 (where the sympy form gives inf/NaN) or for data too large for
    the sympy form. GD runs on it agree with the sympy form to rounding (checked in the tests).
    """
    kind = _loss_kind(loss)
    x = _data(X).copy()
    x.setflags(write=False)
    n, d = x.shape
    return Model.from_numpy(
        _param_names(d),
        loss=lambda th: _loss_raw(th, x, kind),
        grad=lambda th: _grad_raw(th, x, kind),
        hessian=lambda th: _hess_raw(th, x, kind),
        third=lambda th, u: _third_raw(th, u, x, kind),
        name=f"{kind} loss on {n} separable points in R^{d} (numpy)",
        citation=CITATION_WU,
    )


# --------------------------------------------------------------------------------------------
# max margin, decomposition, potential, sharpness bound
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MaxMargin:
    """The hard-margin SVM through the origin, min ½‖w‖² s.t. ⟨w, x_i⟩ ≥ 1 for all i.

    Attributes
    ----------
    direction : (d,) the unit max-margin direction ŵ = w*/‖w*‖.
    margin : γ = 1/‖w*‖ = min_i ⟨ŵ, x_i⟩.
    support : indices of the support vectors (⟨ŵ, x_i⟩ = γ to 1e-9 relative).
    dual : (n,) a dual solution α ≥ 0 with w* = Σ_i α_i x_i (zero off the support).
    """

    direction: np.ndarray
    margin: float
    support: tuple[int, ...]
    dual: np.ndarray


def max_margin(X: Any) -> MaxMargin:
    """The max-margin (hard-margin SVM) direction of the points ``X`` (n, d), labels absorbed.

    Solves min ½‖w‖² s.t. Xw ≥ 1 exactly by enumeration: by the conic Carathéodory theorem the
    optimum is w* = X_Sᵀα_S with α_S = (X_S X_Sᵀ)⁻¹1 ≥ 0 for a linearly independent set S of
    |S| ≤ d active points, and any such S with Xw ≥ 1 satisfies the KKT conditions. Every set of
    up to min(n, d) points is tried; the feasible candidate of least norm is returned. This is
    the ŵ of the decomposition w = aŵ + v of Wu, Braverman, Lee (NeurIPS 2023) [SRC-abs].

    Raises ValueError naming ``X`` when the points are not linearly separable through the origin
    (no w with ⟨w, x_i⟩ > 0 for all i) or when more than 200000 sets would be enumerated.
    """
    x = _data(X)
    n, d = x.shape
    k_max = min(n, d)
    total = sum(math.comb(n, k) for k in range(1, k_max + 1))
    if total > MAX_SUBSETS:
        raise ValueError(
            f"X is too large for the exact enumeration: {total} candidate support sets "
            f"(n = {n}, d = {d}; limit {MAX_SUBSETS})"
        )
    scale = float(np.max(np.abs(x)))
    if scale == 0.0:
        raise ValueError("X is not linearly separable through the origin: every point is 0")
    xs = x / scale  # the margin scales with X; work at unit scale
    best: tuple[float, np.ndarray, tuple[int, ...], np.ndarray] | None = None
    ones = np.ones(k_max)
    with np.errstate(all="ignore"):
        for k in range(1, k_max + 1):
            for S in itertools.combinations(range(n), k):
                sub = xs[list(S)]
                if np.linalg.matrix_rank(sub) < k:
                    continue
                # w: the least-norm solution of X_S w = 1 (QR-based, conditioned as X_S, not as
                # its Gram matrix); α: its coefficients, X_Sᵀα = w
                w = np.linalg.lstsq(sub, ones[:k], rcond=None)[0]
                alpha = np.linalg.lstsq(sub.T, w, rcond=None)[0]
                if not np.all(np.isfinite(alpha)) or np.any(alpha < -1e-12 * np.max(alpha)):
                    continue
                if np.min(xs @ w) < 1.0 - 1e-9:
                    continue
                norm = float(np.linalg.norm(w))
                if best is None or norm < best[0]:
                    best = (norm, w, S, alpha)
    if best is None:
        raise ValueError(
            "X is not linearly separable through the origin: no w has <w, x_i> > 0 for all "
            "points (flip the rows by their labels first)"
        )
    norm, w, S, alpha = best
    direction = w / norm
    margin = scale / norm
    margins = x @ direction
    support = tuple(int(i) for i in np.nonzero(margins <= margin * (1 + 1e-9))[0])
    dual = np.zeros(n)
    dual[list(S)] = np.maximum(alpha, 0.0) / scale**2
    return MaxMargin(direction=direction, margin=float(margin), support=support, dual=dual)


def two_point_max_margin(gamma: float = GAMMA) -> MaxMargin:
    """The max-margin solution of the two-point set, in closed form: ŵ = e₁, margin γ, both
    points support vectors, dual α = (2/3, 1/3)/γ² (so w* = Σα_i x_i = e₁/γ).

    KKT (proven in ``proofs_check``): α₁ − 2α₂ = 0 (the second coordinate of Σα_i x_i vanishes)
    and γ(α₁ + α₂) = 1/γ (first coordinate), α ≥ 0, both margins ⟨e₁/γ, x_i⟩ = 1. Research brief
    §7.2; the decomposition of Wu, Braverman, Lee (NeurIPS 2023) [SRC-abs].
    """
    g = _gamma(gamma)
    return MaxMargin(
        direction=np.array([1.0, 0.0]),
        margin=g,
        support=(0, 1),
        dual=np.array([2.0 / 3.0, 1.0 / 3.0]) / g**2,
    )


def margin_decomposition(theta: Any, direction: Any) -> tuple[np.ndarray, np.ndarray]:
    """w = a·ŵ + v with ŵ = direction/‖direction‖: returns (a, v), a = ⟨w, ŵ⟩ (...) and
    v = w − aŵ (..., d) ⊥ ŵ (Wu, Braverman, Lee, NeurIPS 2023 [SRC-abs]: a_t → ∞ and v_t
    converges). ``theta``: (..., d); ``direction``: a non-zero (d,) vector (e.g.
    ``max_margin(X).direction``). For the two-point set a = w₁ and v = (0, w₂).
    """
    dvec = _checks.array(direction, "direction", ndim=1, min_size=1)
    big = float(np.max(np.abs(dvec)))
    if not big > 0:
        raise ValueError(f"direction must be a non-zero vector, got {dvec.tolist()!r}")
    u = dvec / big  # scaled first: the norm of a huge direction does not overflow
    u = u / np.linalg.norm(u)
    th = _checks.array(theta, "theta", allow_nan=True)
    if th.ndim == 0 or th.shape[-1] != u.size:
        raise ValueError(
            f"theta must have shape (..., {u.size}) to match direction (length {u.size}), "
            f"got shape {th.shape}"
        )
    with np.errstate(all="ignore"):
        a = np.sum(th * u, axis=-1)
        v = th - a[..., None] * u
    return a, v


@_checks.quiet
def potential(v: Any, xbar: Any = _TWO_POINT_XBAR) -> np.ndarray:
    """G(v) = Σ_{i ∈ S} exp(−⟨x̄_i, v⟩), the strongly convex potential whose minimiser is the
    limit of the orthogonal component v_t (research brief §7.1 [DER]; Wu, Braverman, Lee,
    NeurIPS 2023 [SRC-abs] "v_t converges to the minimiser of a strongly convex potential").

    ``xbar``: the support vectors' components in ŵ^⊥, in coordinates of an orthonormal basis of
    ŵ^⊥: shape (m, k), or (m,) for k = 1 (default: the two-point set's x̄ = (1, −2)).
    ``v``: (..., k), or (...) when ``xbar`` is 1-D. Returns shape (...). Overflows to inf (no
    warning) where an exponent does.
    """
    xb = _checks.array(xbar, "xbar", ndim=(1, 2), min_size=1)
    if xb.ndim == 1:
        vv = _checks.array(v, "v", allow_nan=True)
        return np.sum(np.exp(-vv[..., None] * xb), axis=-1)
    vv = _checks.array(v, "v", allow_nan=True)
    if vv.ndim == 0 or vv.shape[-1] != xb.shape[1]:
        raise ValueError(
            f"v must have shape (..., {xb.shape[1]}) to match xbar {xb.shape}, got shape {vv.shape}"
        )
    z = vv[..., None, 0] * xb[:, 0]
    for j in range(1, xb.shape[1]):
        z = z + vv[..., None, j] * xb[:, j]
    return np.sum(np.exp(-z), axis=-1)


@_checks.quiet
def sharpness_bound(theta: Any, X: Any, loss: str = "logistic") -> np.ndarray:
    """max_i‖x_i‖²·L(θ): an upper bound on λ_max(∇²L(θ)) at every θ (research brief §7.2 [DER]).

    ∇²L = (1/n)Σ_i ℓ''(z_i)x_i x_iᵀ with ℓ'' ≥ 0, so λ_max ≤ tr ∇²L = (1/n)Σ_i ℓ''(z_i)‖x_i‖²
    ≤ max‖x_i‖²·(1/n)Σ_i ℓ(z_i), using ℓ'' ≤ ℓ (logistic: ln(1 + u) ≥ u/(1 + u)² for u = e^{−z}
    > 0; exponential: ℓ'' = ℓ), proven in ``proofs_check``. Hence once L < 2/(η max‖x_i‖²),
    GD is locally stable (η·λ_max < 2): the edge-of-stability phase of Wu, Braverman, Lee
    (NeurIPS 2023) must end as the loss decreases. ``theta``: (..., d) → (...), computed with
    the stable :func:`separable_numpy_loss`.
    """
    kind = _loss_kind(loss)
    x = _data(X)
    th = _theta(theta, x.shape[1])
    return float(np.max(np.sum(x * x, axis=1))) * _loss_raw(th, x, kind)


# --------------------------------------------------------------------------------------------
# closed forms of the two-point set
# --------------------------------------------------------------------------------------------


@_checks.quiet
def two_point_potential(v: Any) -> np.ndarray:
    """G(v) = e^{−v} + e^{2v}: :func:`potential` of the two-point set (x̄ = (1, −2); brief §7.2).

    Strictly convex (G'' = e^{−v} + 4e^{2v} > 0), minimised at v* = −ln2/3
    (:func:`two_point_v_star`) with G(v*) = 2^{1/3} + 2^{−2/3} (:func:`two_point_potential_min`).
    Independent of γ and η. ``v``: any shape → the same shape.
    """
    vv = _checks.array(v, "v", allow_nan=True)
    return np.exp(-vv) + np.exp(2.0 * vv)


def two_point_v_star() -> float:
    """v* = −ln(2)/3 = −0.2310491: the minimiser of G(v) = e^{−v} + e^{2v} and the limit of the
    orthogonal component v_t = w₂ of GD on the two-point set, for every step size η.

    G'(v) = −e^{−v} + 2e^{2v} = 0 ⇔ e^{3v} = 1/2 (research brief §7.2 [DER]; checked exactly in
    ``proofs_check``). Equivalently e^{−x̄_i v*} ∝ α_i (2 : 1), the small-step limit of Soudry
    et al. (JMLR 2018) projected onto ŵ^⊥: the limit of Wu, Braverman, Lee (NeurIPS 2023)
    [SRC-abs] is independent of η.
    """
    return -math.log(2.0) / 3.0


def two_point_potential_min() -> float:
    """G(v*) = 2^{1/3} + 2^{−2/3} = 3·2^{−2/3} = 1.8898816: the minimum of the two-point
    potential (research brief §7.2 [DER]; ``proofs_check``). It sets the asymptotic margin
    e^{γa_t} ≈ γ²ηt·G(v*)/2 (:func:`two_point_asymptotics`)."""
    return 2.0 ** (1.0 / 3.0) + 2.0 ** (-2.0 / 3.0)


def _ell2_at_zero(kind: str) -> float:
    return 0.25 if kind == "logistic" else 1.0


def two_point_initial_sharpness(gamma: float = GAMMA, loss: str = "logistic") -> float:
    """S₀ = λ_max(∇²L(0)) = c·(5 + 2γ² + √((5 − 2γ²)² + 4γ²))/4, c = ℓ''(0) = 1/4 (logistic)
    or 1 (exponential).

    ∇²L(0) = (c/2)Σ_i x_i x_iᵀ = (c/2)[[2γ², −γ], [−γ, 5]] (research brief §7.2; proven in
    ``proofs_check``). For γ = 0.1: 0.6252509 (logistic; the brief rounds it to 0.6250, its
    γ → 0 limit 5/8) and 2.5010036 (exponential). GD from w₀ = 0 starts at the edge of stability
    iff η·S₀ > 2 (:func:`two_point_eos_threshold`).
    """
    g = _gamma(gamma)
    c = _ell2_at_zero(_loss_kind(loss))
    return c * (5.0 + 2.0 * g * g + math.sqrt((5.0 - 2.0 * g * g) ** 2 + 4.0 * g * g)) / 4.0


def two_point_eos_threshold(gamma: float = GAMMA, loss: str = "logistic") -> float:
    """2/S₀: GD from w₀ = 0 starts at the edge of stability (η·λ_max(∇²L(w₀)) > 2) iff η exceeds
    it. 3.1987 for γ = 0.1 and the logistic loss (the brief's "η > 3.2", §7.2), 0.79968 for the
    exponential loss. See :func:`two_point_initial_sharpness`."""
    return 2.0 / two_point_initial_sharpness(gamma, loss)


def two_point_v_rate(gamma: float = GAMMA) -> float:
    """lim_{t→∞} γ²ηt·(v_t − v*) = −4/(9(2 − γ²)) for GD on the two-point logistic loss.

    Derivation (proven in ``proofs_check``; research brief §7.2 sketch, corrected): with
    ε = e^{−γa}, v = v* + δ and −ℓ'(z) = e^{−z} − e^{−2z} + O(e^{−3z}), matching
    e^{γa_t} = κt and δ_t = c/t in the GD map gives κ = γ²ηG(v*)/2 and
    c·(G''(v*) − γ²G(v*)) = −2^{−1/3}/κ, with G(v*) = 3·2^{−2/3}, G''(v*) = 3·2^{1/3}. Hence
    γ²ηc = −4/(9(2 − γ²)): −0.2233389 at γ = 0.1 (measured 0.2233 at t = 2·10⁶ in brief §7.3),
    −0.2539683 at γ = 0.5. The brief's −[(2^{1/3} − 2^{−2/3})/3]·[2/G(v*)] = −2/9 = −0.2222 drops
    the γ²G(v*) term (the drift of v* + c/t itself): it is the γ → 0 limit (``gamma=0``).
    Independent of η. Valid for 0 ≤ γ < √2.
    """
    g = _checks.real(gamma, "gamma", nonnegative=True)
    if not g * g < 2.0:
        raise ValueError(
            f"gamma must satisfy gamma^2 < 2 (the constant -4/(9(2 - gamma^2)) "
            f"has a pole at sqrt(2)), got {gamma!r}"
        )
    return -4.0 / (9.0 * (2.0 - g * g))


@dataclass(frozen=True, eq=False)
class TwoPointAsymptotics:
    """Predicted large-t state of GD on the two-point logistic loss (arrays broadcast over t, η).

    Attributes
    ----------
    loss : 1/(γ²ηt), so that L(w_t)·γ²ηt → 1.
    a : (1/γ)·ln(γ²ηt·G(v*)/2), with a_t − a → 0.
    v : v* + two_point_v_rate(γ)/(γ²ηt), with γ²ηt(v_t − v) → 0.
    """

    loss: np.ndarray
    a: np.ndarray
    v: np.ndarray


def two_point_asymptotics(t: Any, eta: Any, gamma: float = GAMMA) -> TwoPointAsymptotics:
    """The large-t predictions for GD w_{t+1} = w_t − η∇L(w_t) on the two-point logistic loss.

    e^{γa_t} ≈ γ²ηt·G(v*)/2, L(w_t) ≈ ½e^{−γa_t}G(v*) = 1/(γ²ηt) and
    v_t ≈ v* − 4/(9(2 − γ²))/(γ²ηt) (research brief §7.2 [DER], constant corrected in
    :func:`two_point_v_rate`; proven in ``proofs_check``). Corrections are O(log t/t) relative;
    the EoS transient of Wu, Braverman, Lee (NeurIPS 2023) enters only through them.
    ``t`` (> 0) and ``eta`` (> 0) broadcast.
    """
    tt = _checks.array(t, "t", positive=True)
    ee = _checks.array(eta, "eta", positive=True)
    try:
        np.broadcast_shapes(tt.shape, ee.shape)
    except ValueError as exc:
        raise ValueError(
            f"eta (shape {ee.shape}) does not broadcast against t ({tt.shape})"
        ) from exc
    g = _gamma(gamma)
    rate = two_point_v_rate(g)
    with np.errstate(all="ignore"):
        s = g * g * ee * tt
        return TwoPointAsymptotics(
            loss=1.0 / s,
            a=np.log(s * two_point_potential_min() / 2.0) / g,
            v=two_point_v_star() + rate / s,
        )
