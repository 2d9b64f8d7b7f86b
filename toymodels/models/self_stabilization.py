"""Self-stabilization toys: Model B (width-one net), Model Z (minimalist), Model A (normal form).

Damian, Nichani, Lee, "Self-Stabilization: The Implicit Bias of Gradient Descent at the Edge of
Stability" (ICLR 2023, arXiv 2209.15594); Cohen, Kaur, Li, Kolter, Talwalkar, "Gradient Descent on
Neural Networks Typically Occurs at the Edge of Stability" (ICLR 2021, arXiv 2103.00065); Cohen,
Damian, Talwalkar, Kolter, Lee, "Understanding Optimization in Deep Learning with Central Flows"
(ICLR 2025, arXiv 2410.24206); Zhu, Wang, Wang, Zhou, Ge, "Understanding Edge-of-Stability Training
Dynamics with a Minimalist Example" (ICLR 2023); Liu, Zhang, Du, Zhao (arXiv 2503.02809).

Three models, each with a sympy loss (the library derives ∇L, ∇²L, ∇³L) and a numpy closed form
written out by hand (cross-checked in the tests and in ``proofs_check.self_stabilization``):

* **Model B** (:func:`width_one_net`), the width-one two-layer linear net of Liu et al. with a
  relevant low-variance feature and an irrelevant high-variance one:
  L_B(a, w1, w2) = ½λ_s(a·w1 − 1)² + ½λ_n(a·w2 − γ)². It shows progressive sharpening, the edge of
  stability and self-stabilization (research brief §3.1, §3.3; reconstruction of Liu et al.).
* **Model Z** (:func:`minimalist_model`), L = ¼(x²y² − 1)²: Zhu et al.'s minimalist example; GD
  converges at sharpness just below 2/η with x² − y² = √(η⁻² − 4) (brief §1.8, §3.4).
* **Model A** (:func:`normal_form_model`), L_A(x, z1, z2) = ½(z − m)ᵀK(z − m) + ½z₁x²: the normal
  form of Damian et al.'s four stages; GD on it *is* the 2-D map (M0) exactly, and in the
  decoupled case (K₁₂ = 0) the damped map (M1) (brief §1.4, §3.1; derived here and checked
  exactly in ``proofs_check``). Its closed forms: :func:`constrained_minimizer`,
  :func:`kkt_multiplier`, :func:`eos_two_cycle`, :func:`two_step_spectral_radius`,
  :func:`decoupled_threshold`.

Also the reduced 2-D maps (M0)/(M1) (:func:`stage_map`), their continuous-time invariant
(:func:`lotka_volterra_invariant`), and the sub-quadratic 1-D toy λ·log cosh x
(:func:`log_cosh_model`, :func:`log_cosh_cycle`; Ma, Kunin, Wu, Ying 2022's mechanism).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import brentq

from ..maps import Map
from ..model import Model
from . import _checks

__all__ = [
    "CITATION_COHEN",
    "CITATION_DAMIAN",
    "CITATION_LIU",
    "CITATION_ZHU",
    "MODEL_B_ETAS",
    "MODEL_Z_INIT",
    "constrained_minimizer",
    "decoupled_threshold",
    "eos_two_cycle",
    "kkt_multiplier",
    "log_cosh_cycle",
    "log_cosh_model",
    "lotka_volterra_invariant",
    "minimalist_model",
    "normal_form_model",
    "stage_map",
    "two_step_spectral_radius",
    "width_one_net",
    "width_one_net_init",
    "width_one_net_numpy_grad",
    "width_one_net_numpy_hessian",
    "width_one_net_numpy_third",
]

CITATION_DAMIAN = (
    "Damian, Nichani, Lee, 'Self-Stabilization: The Implicit Bias of Gradient Descent at the "
    "Edge of Stability', ICLR 2023 (arXiv 2209.15594)"
)
CITATION_COHEN = (
    "Cohen, Kaur, Li, Kolter, Talwalkar, 'Gradient Descent on Neural Networks Typically Occurs "
    "at the Edge of Stability', ICLR 2021 (arXiv 2103.00065)"
)
CITATION_LIU = (
    "Liu, Zhang, Du, Zhao, arXiv 2503.02809 (width-one linear net with a relevant low-variance "
    "and an irrelevant high-variance feature) [Model B: reconstruction, research brief §3.1]"
)
CITATION_ZHU = (
    "Zhu, Wang, Wang, Zhou, Ge, 'Understanding Edge-of-Stability Training Dynamics with a "
    "Minimalist Example', ICLR 2023"
)

#: the step sizes of the Model-B table (brief §3.3): 2/η = 80, 66.7, 57.1, all below the
#: gradient-flow limit sharpness 99.0, so all three enter the edge of stability
MODEL_B_ETAS = (0.025, 0.03, 0.035)
#: Model Z's initialisation (brief §3.1): the gradient-flow limit is (2.529, 0.395), S = 13.105
MODEL_Z_INIT = (2.5, 0.1)


# --------------------------------------------------------------------------------------------
# Model B: width-one net
# --------------------------------------------------------------------------------------------


def _model_b_constants(lam_s: Any, lam_n: Any, gamma: Any) -> tuple[float, float, float]:
    return (
        _checks.real(lam_s, "lam_s", positive=True),
        _checks.real(lam_n, "lam_n", positive=True),
        _checks.real(gamma, "gamma"),
    )


def width_one_net(lam_s: float = 0.1, lam_n: float = 100.0, gamma: float = 0.05) -> Model:
    """Model B: L_B(a, w1, w2) = ½λ_s(a·w1 − 1)² + ½λ_n(a·w2 − γ)², parameters ("a", "w1", "w2").

    The population square loss of f(x) = a(w1·x1 + w2·x2) with independent features,
    E x1² = λ_s (relevant, low variance), E x2² = λ_n (irrelevant, high variance) and teacher
    y = x1 + γx2 (research brief §3.1; the width-one model of Liu, Zhang, Du, Zhao,
    arXiv 2503.02809, whose exact normalization is not verified: a reconstruction). Near the
    valley floor u ≈ e_w2 and S ≈ λ_n(a² + w2²): progressive sharpening comes from |a| growing
    while a·w1 → 1, self-stabilization from the x² term of ∂L/∂a (brief §3.1 "Mechanism").
    With the defaults the gradient-flow limit has sharpness 99.0, so every η in
    :data:`MODEL_B_ETAS` enters the edge of stability (Cohen et al. ICLR 2021; Damian et al.
    ICLR 2023).

    Built with :meth:`Model.from_sympy` (the library derives ∇L, ∇²L, ∇³L); the hand-written
    closed forms are :func:`width_one_net_numpy_grad` / ``_hessian`` / ``_third``.

    Parameters
    ----------
    lam_s, lam_n : the feature variances λ_s, λ_n (> 0).
    gamma : the teacher weight γ on the noisy feature (real; γ > 0 keeps reseeding the
        oscillation, brief §3.1 "Why γ > 0").
    """
    ls, ln, g = _model_b_constants(lam_s, lam_n, gamma)
    a, w1, w2 = sp.symbols("a w1 w2", real=True)
    expr = (
        sp.Rational(1, 2) * sp.Float(ls) * (a * w1 - 1) ** 2
        + sp.Rational(1, 2) * sp.Float(ln) * (a * w2 - sp.Float(g)) ** 2
    )
    return Model.from_sympy(
        expr,
        params=(a, w1, w2),
        name=f"width-one net (λ_s={ls:g}, λ_n={ln:g}, γ={g:g})",
        citation=CITATION_LIU,
    )


def width_one_net_init(gamma: float = 0.05) -> np.ndarray:
    """Model B's initialisation θ₀ = (a, w1, w2) = (0.3, 0.3, γ/0.3): on the valley floor
    a·w2 = γ, with sharpness S₀ = 11.78 for the default λ's (research brief §3.1)."""
    g = _checks.real(gamma, "gamma")
    return np.array([0.3, 0.3, g / 0.3])


def _theta3(theta: Any) -> np.ndarray:
    th = _checks.array(theta, "theta", allow_nan=True)
    if th.ndim == 0 or th.shape[-1] != 3:
        raise ValueError(f"theta must have shape (..., 3) = (a, w1, w2), got shape {th.shape}")
    return th


@_checks.quiet
def width_one_net_numpy_grad(
    theta: Any, lam_s: float = 0.1, lam_n: float = 100.0, gamma: float = 0.05
) -> np.ndarray:
    """Closed-form ∇L_B (brief §3.1): with r1 = a·w1 − 1, r2 = a·w2 − γ,
    ∇L = (λ_s r1 w1 + λ_n r2 w2, λ_s r1 a, λ_n r2 a). ``theta``: (..., 3) → (..., 3)."""
    ls, ln, g = _model_b_constants(lam_s, lam_n, gamma)
    th = _theta3(theta)
    a, w1, w2 = th[..., 0], th[..., 1], th[..., 2]
    r1, r2 = a * w1 - 1, a * w2 - g
    return np.stack([ls * r1 * w1 + ln * r2 * w2, ls * r1 * a, ln * r2 * a], axis=-1)


@_checks.quiet
def width_one_net_numpy_hessian(
    theta: Any, lam_s: float = 0.1, lam_n: float = 100.0, gamma: float = 0.05
) -> np.ndarray:
    """Closed-form ∇²L_B (brief §3.1), order (a, w1, w2):
    H = [[λ_s w1² + λ_n w2², λ_s(2a·w1 − 1), λ_n(2a·w2 − γ)], [·, λ_s a², 0], [·, 0, λ_n a²]]
    (symmetric). ``theta``: (..., 3) → (..., 3, 3)."""
    ls, ln, g = _model_b_constants(lam_s, lam_n, gamma)
    th = _theta3(theta)
    a, w1, w2 = th[..., 0], th[..., 1], th[..., 2]
    h = np.zeros((*th.shape, 3))
    h[..., 0, 0] = ls * w1**2 + ln * w2**2
    h[..., 0, 1] = h[..., 1, 0] = ls * (2 * a * w1 - 1)
    h[..., 0, 2] = h[..., 2, 0] = ln * (2 * a * w2 - g)
    h[..., 1, 1] = ls * a**2
    h[..., 2, 2] = ln * a**2
    return h


@_checks.quiet
def width_one_net_numpy_third(
    theta: Any, lam_s: float = 0.1, lam_n: float = 100.0, gamma: float = 0.05
) -> np.ndarray:
    """Closed-form ∇³L_B (brief §3.1) as the full symmetric tensor T_ijk, order (a, w1, w2).

    The only nonzero entries (and their permutations): ∂_{a a w1} = 2λ_s w1, ∂_{a w1 w1} = 2λ_s a,
    ∂_{a a w2} = 2λ_n w2, ∂_{a w2 w2} = 2λ_n a. Contracting twice with a unit top eigenvector u
    gives the sharpness gradient ∇S = T[u, u] (Damian et al. ICLR 2023, first-order eigenvalue
    perturbation). γ does not enter (it is validated for symmetry with the other twins).
    ``theta``: (..., 3) → (..., 3, 3, 3).
    """
    ls, ln, _g = _model_b_constants(lam_s, lam_n, gamma)
    th = _theta3(theta)
    a, w1, w2 = th[..., 0], th[..., 1], th[..., 2]
    t = np.zeros((*th.shape, 3, 3))
    for i, j, k in ((0, 0, 1), (0, 1, 0), (1, 0, 0)):
        t[..., i, j, k] = 2 * ls * w1
    for i, j, k in ((0, 1, 1), (1, 0, 1), (1, 1, 0)):
        t[..., i, j, k] = 2 * ls * a
    for i, j, k in ((0, 0, 2), (0, 2, 0), (2, 0, 0)):
        t[..., i, j, k] = 2 * ln * w2
    for i, j, k in ((0, 2, 2), (2, 0, 2), (2, 2, 0)):
        t[..., i, j, k] = 2 * ln * a
    return t


# --------------------------------------------------------------------------------------------
# Model Z: the minimalist example
# --------------------------------------------------------------------------------------------


def minimalist_model() -> Model:
    """Model Z: L(x, y) = ¼(x²y² − 1)², parameters ("x", "y") (Zhu, Wang, Wang, Zhou, Ge,
    ICLR 2023, the "minimalist example"; the loss form matches their η-EoS minimum
    (c, d) = ((η⁻² − 4)^{1/4}, 1) up to the brief's rescaling, research brief §1.8).

    On the minimiser set xy = 1 the Hessian is 2(y, x)(y, x)ᵀ, so the sharpness is 2(x² + y²);
    gradient flow conserves x² − y², and at sharpness exactly 2/η one has
    x² − y² = √(η⁻² − 4) (derived; ``proofs_check.self_stabilization``). From
    :data:`MODEL_Z_INIT` = (2.5, 0.1) the gradient-flow limit is (2.529, 0.395) with S = 13.105,
    so GD with η ≥ 0.153 must end at a flatter minimum, just below 2/η (brief §3.4).
    """
    x, y = sp.symbols("x y", real=True)
    expr = sp.Rational(1, 4) * (x**2 * y**2 - 1) ** 2
    return Model.from_sympy(
        expr, params=(x, y), name="minimalist ¼(x²y² − 1)²", citation=CITATION_ZHU
    )


# --------------------------------------------------------------------------------------------
# Model A: the normal form and its closed forms
# --------------------------------------------------------------------------------------------


def _km(K: Any, m: Any) -> tuple[np.ndarray, np.ndarray]:
    """K: a symmetric positive definite 2×2 matrix; m: a length-2 vector."""
    k = _checks.array(K, "K", ndim=2)
    if k.shape != (2, 2):
        raise ValueError(f"K must be a 2x2 matrix, got shape {k.shape}")
    if not np.allclose(k, k.T, rtol=1e-12, atol=0.0):
        raise ValueError(f"K must be symmetric, got K12 = {k[0, 1]!r} != K21 = {k[1, 0]!r}")
    k = 0.5 * (k + k.T)
    if not (k[0, 0] > 0 and k[0, 0] * k[1, 1] - k[0, 1] ** 2 > 0):
        raise ValueError(f"K must be positive definite, got {k.tolist()!r}")
    mm = _checks.array(m, "m", ndim=1)
    if mm.shape != (2,):
        raise ValueError(f"m must have 2 entries (m1, m2), got shape {mm.shape}")
    return k, mm


def _eta(eta: Any) -> float:
    return _checks.real(eta, "eta", positive=True)


def normal_form_model(K: Any, m: Any) -> Model:
    """Model A: L_A(x, z1, z2) = ½(z − m)ᵀK(z − m) + ½z₁x², parameters ("x", "z1", "z2").

    The normal form of the four stages of Damian, Nichani, Lee (ICLR 2023): z₁ plays the sharpness
    (h(z) = z₁, ∇h = e₁, β = 1) and GD is exactly x' = (1 − ηz₁)x, z' = z − ηK(z − m) − (η/2)x²e₁.
    With y = z₁ − 2/η and α(z) = −e₁ᵀK(z − m) this is the map (M0) of :func:`stage_map` with
    z-dependent α, and for K₁₂ = 0 the damped map (M1) with κ = K₁₁,
    α_c = K₁₁(m₁ − 2/η) (research brief §1.4, §3.1; derived, checked exactly in
    ``proofs_check.self_stabilization``). ∇L_A = (z₁x, K(z − m) + ½x²e₁);
    H_A = [[z₁, x, 0], [x, K₁₁, K₁₂], [0, K₁₂, K₂₂]]; the only nonzero third derivative is
    ∂_{z₁xx} = 1. Stable set (for ηλ_max(K) < 2): {x = 0, z₁ ≤ 2/η}.

    Caveat (brief §3.1): h = z₁ is unbounded below; a catapult that makes z₁ < 0 diverges.

    Parameters
    ----------
    K : symmetric positive definite 2×2 matrix.
    m : the unconstrained minimiser (m₁, m₂) of the z-part; EoS needs m₁ > 2/η.
    """
    k, mm = _km(K, m)
    x, z1, z2 = sp.symbols("x z1 z2", real=True)
    d1, d2 = z1 - sp.Float(mm[0]), z2 - sp.Float(mm[1])
    expr = (
        sp.Rational(1, 2)
        * (sp.Float(k[0, 0]) * d1**2 + 2 * sp.Float(k[0, 1]) * d1 * d2 + sp.Float(k[1, 1]) * d2**2)
        + sp.Rational(1, 2) * z1 * x**2
    )
    return Model.from_sympy(
        expr,
        params=(x, z1, z2),
        name=f"normal form (K={k.tolist()}, m={mm.tolist()})",
        citation=CITATION_DAMIAN + " [normal form: derived, research brief §3.1]",
    )


def _alpha_c(k: np.ndarray, mm: np.ndarray, eta: float) -> float:
    return float((mm[0] - 2.0 / eta) * (k[0, 0] - k[0, 1] ** 2 / k[1, 1]))


def constrained_minimizer(K: Any, m: Any, eta: Any) -> np.ndarray:
    """The minimiser z_c of Model A's loss on the stable set {x = 0, z₁ ≤ 2/η}.

    When the constraint is active (m₁ > 2/η): z_c = (2/η, m₂ − (K₁₂/K₂₂)(2/η − m₁)); otherwise
    z_c = m (research brief §3.1; derived, KKT checked exactly in ``proofs_check``). This is the
    endpoint of Damian et al.'s constrained trajectory θ† and the stationary point of the central
    flow (Cohen, Damian et al. ICLR 2025), and the centre of the EoS 2-cycle
    (:func:`eos_two_cycle`). Returns (z₁, z₂).
    """
    k, mm = _km(K, m)
    eta = _eta(eta)
    if mm[0] <= 2.0 / eta:
        return mm.copy()
    z1 = 2.0 / eta
    return np.array([z1, mm[1] - (k[0, 1] / k[1, 1]) * (z1 - mm[0])])


def kkt_multiplier(K: Any, m: Any, eta: Any) -> float:
    """The KKT multiplier μ of min ½(z − m)ᵀK(z − m) s.t. z₁ ≤ 2/η (Model A on x = 0).

    μ = α_c = (m₁ − 2/η)(K₁₁ − K₁₂²/K₂₂) when m₁ > 2/η, else 0 (the constraint is inactive)
    (research brief §3.1; stationarity K(z_c − m) + μe₁ = 0 checked exactly in ``proofs_check``).
    It equals the progressive-sharpening rate α(z_c) = −e₁ᵀK(z_c − m) at the constrained
    minimiser, so the EoS oscillation has δ² = 2α_c/β with β = 1 (Damian, Nichani, Lee ICLR 2023,
    equilibrium amplitude).
    """
    k, mm = _km(K, m)
    return max(0.0, _alpha_c(k, mm, _eta(eta)))


def eos_two_cycle(K: Any, m: Any, eta: Any) -> np.ndarray:
    """The EoS 2-cycle of GD on Model A: the two points (±√(2α_c), z_c), shape (2, 3).

    GD maps (δ, z_c) ↦ (−δ, z_c) ↦ (δ, z_c) exactly with δ = √(2α_c) (research brief §3.2;
    derived, G∘G fixed point checked exactly in ``proofs_check``): the oscillation is centred on
    the constrained minimiser, the time-averaged loss is L(z_c) + 2α_c/η and the sharpness at the
    midpoint is exactly 2/η (Damian, Nichani, Lee ICLR 2023; Cohen, Damian et al. ICLR 2025
    σ² = 2α/β). Whether GD converges to it is :func:`two_step_spectral_radius`.

    Raises ValueError naming ``eta`` when m₁ ≤ 2/η (α_c ≤ 0: no EoS, GD converges to m).
    """
    k, mm = _km(K, m)
    eta = _eta(eta)
    a = _alpha_c(k, mm, eta)
    if not a > 0:
        raise ValueError(
            f"eta = {eta!r} gives 2/eta = {2 / eta!r} >= m1 = {mm[0]!r}: no edge-of-stability "
            "2-cycle (alpha_c <= 0)"
        )
    zc = constrained_minimizer(k, mm, eta)
    d = np.sqrt(2.0 * a)
    return np.array([[d, zc[0], zc[1]], [-d, zc[0], zc[1]]])


def two_step_spectral_radius(K: Any, m: Any, eta: Any) -> float:
    """ρ₂ = 1 − ηK₁₁ + 2η²α_c: the 2-step spectral radius of the EoS 2-cycle in the (x, z₁) plane.

    Exact in the decoupled case K₁₂ = 0 (κ = K₁₁) when the eigenvalues are a complex pair,
    κ² < 8α_c: then det DG² = (1 − ηκ + 2η²α_c)² and both multipliers have modulus ρ₂ (research
    brief §1.4(2); derived, checked exactly in ``proofs_check``). The z₂ mode then contributes
    (1 − ηK₂₂)², smaller for ηK₂₂ small. For K₁₂ ≠ 0 it is the reduced criterion
    (stable iff K₁₁ > 2ηα_c), an approximation (brief §3.2: 0.9664 vs the exact 0.96999 at
    η = 0.1, K = [[0.5, 0.3], [0.3, 1]]). Requires m₁ > 2/η (else ValueError naming ``eta``).
    """
    k, mm = _km(K, m)
    eta = _eta(eta)
    a = _alpha_c(k, mm, eta)
    if not a > 0:
        raise ValueError(
            f"eta = {eta!r} gives 2/eta = {2 / eta!r} >= m1 = {mm[0]!r}: no edge-of-stability "
            "2-cycle (alpha_c <= 0)"
        )
    return float(1.0 - eta * k[0, 0] + 2.0 * eta**2 * a)


def decoupled_threshold() -> float:
    """r* = 5/4: the decoupled EoS 2-cycle (K₁₂ = 0) is stable iff r = ηm₁/2 < 5/4.

    Derivation (checked with sympy in ``proofs_check.self_stabilization``): with κ = K₁₁,
    α_c = κ(m₁ − 2/η) = (2κ/η)(r − 1), so ρ₂ = 1 − ηκ + 2η²α_c = 1 + ηκ(4r − 5), and
    ρ₂ < 1 ⇔ r < 5/4. The threshold is universal: independent of κ, η and K₂₂. det DG² = ρ₂²
    always, so r > 5/4 is unstable for any κ; r < 5/4 is stable when the pair is complex
    (κ² < 8α_c) and ηκ < 2 (research brief §3.2 quotes 1.25 for K = diag(0.5, 1), η = 0.1;
    Damian, Nichani, Lee ICLR 2023 self-stabilization, normal form derived here).
    """
    return 1.25


# --------------------------------------------------------------------------------------------
# The reduced 2-D maps (M0)/(M1) and their invariant
# --------------------------------------------------------------------------------------------


def stage_map(alpha: Any, beta: Any, eta: Any, kappa: Any = 0.0) -> Map:
    """The 2-D map of Damian et al.'s four stages on the state (x, y):

      x' = −(1 + ηy)x,   y' = (1 − ηκ)y + η(α − βx²/2).

    κ = 0 is the paper's stage equations (M0), κ > 0 the damped map (M1) (research brief §1.3,
    §1.4; Damian, Nichani, Lee ICLR 2023). Here x is the displacement along the top eigenvector,
    y = S − 2/η, α the progressive-sharpening rate, β = ‖∇S⊥‖² the self-stabilization strength,
    κ the curvature along ∇S⊥. Both maps have the 2-cycle (±√(2α/β), 0); its 2-step spectral
    radius is 1 − ηκ + 2η²α when κ² < 8α, so (M0) expands area and (M1) is stable iff κ > 2ηα.
    A :class:`toymodels.Map` with its exact Jacobian.
    """
    a = _checks.real(alpha, "alpha")
    b = _checks.real(beta, "beta", positive=True)
    e = _eta(eta)
    k = _checks.real(kappa, "kappa")
    x, y = sp.symbols("x y", real=True)
    A, B, E, Kp = (sp.Float(v) for v in (a, b, e, k))
    exprs = [-(1 + E * y) * x, (1 - E * Kp) * y + E * (A - B * x**2 / 2)]
    label = "(M0)" if k == 0 else "(M1)"
    return Map.from_sympy(
        exprs,
        state=(x, y),
        name=f"stage map {label} (α={a:g}, β={b:g}, η={e:g}, κ={k:g})",
    )


@_checks.quiet
def lotka_volterra_invariant(x: Any, y: Any, alpha: Any, beta: Any) -> np.ndarray:
    """H(x, y) = y²/2 + βx²/4 − (α/2)·ln x², conserved by the continuous-time limit of (M0):
    d ln|x|/dt = ηy, dy/dt = η(α − βx²/2) (research brief §1.4(3); derived, dH/dt = 0 checked
    exactly in ``proofs_check``; the stage equations of Damian, Nichani, Lee ICLR 2023). Its level
    sets are closed curves around (x² = 2α/β, y = 0); the discrete map (M0) makes H grow.
    x and y broadcast; H = +inf at x = 0 for α > 0.
    """
    xa = _checks.array(x, "x", allow_nan=True)
    ya = _checks.array(y, "y", allow_nan=True)
    try:
        np.broadcast_shapes(xa.shape, ya.shape)
    except ValueError as exc:
        raise ValueError(f"y (shape {ya.shape}) does not broadcast against x ({xa.shape})") from exc
    a = _checks.real(alpha, "alpha")
    b = _checks.real(beta, "beta", positive=True)
    x2 = xa * xa
    return ya * ya / 2 + b * x2 / 4 - (a / 2) * np.log(x2)


# --------------------------------------------------------------------------------------------
# The sub-quadratic 1-D toy λ log cosh x
# --------------------------------------------------------------------------------------------


def log_cosh_model(lam: Any) -> Model:
    """f(x) = λ·log cosh x, parameter ("x",): a loss that grows sub-quadratically (linearly) away
    from its minimum, the mechanism by which Ma, Kunin, Wu, Ying (J. Mach. Learn. 2022,
    arXiv 2204.11326) explain bounded GD at the edge of stability. Sharpness at 0 is λ; for
    ηλ > 2 GD converges to the 2-cycle ±x⋆ with 2x⋆ = ηλ·tanh x⋆ (:func:`log_cosh_cycle`),
    stable iff ηf''(x⋆) = ηλ·sech²x⋆ ∈ (0, 2) (research brief §1.8; derived here, not the
    paper's own toy, which could not be read).
    """
    lam_ = _checks.real(lam, "lam", positive=True)
    x = sp.Symbol("x", real=True)
    return Model.from_sympy(
        sp.Float(lam_) * sp.log(sp.cosh(x)),
        params=(x,),
        name=f"λ log cosh x (λ={lam_:g})",
        citation="Ma, Kunin, Wu, Ying, JML 2022 (arXiv 2204.11326) [1-D toy: derived]",
    )


def log_cosh_cycle(lam: Any, eta: Any) -> float:
    """x⋆ > 0 with 2x⋆ = ηλ·tanh x⋆: the amplitude of GD's 2-cycle ±x⋆ on λ·log cosh x.

    GD maps x ↦ x − ηλ tanh x, so x ↦ −x iff 2x = ηλ tanh x; a positive root exists iff ηλ > 2
    (research brief §1.8; Ma, Kunin, Wu, Ying 2022 sub-quadratic growth). Solved by bracketing
    (brentq on [tiny, ηλ/2], xtol 1e-15). Raises ValueError naming ``eta`` when ηλ ≤ 2.
    """
    lam_ = _checks.real(lam, "lam", positive=True)
    e = _eta(eta)
    c = e * lam_
    if not c > 2:
        raise ValueError(f"eta * lam = {c!r} must be > 2 for a 2-cycle (no edge of stability)")

    def f(x: float) -> float:
        return 2 * x - c * np.tanh(x)

    hi = c / 2
    # f < 0 near 0⁺ (slope 2 − c < 0) and f(c/2) = c(1 − tanh(c/2)) > 0
    lo = min(1e-8, hi / 2)
    while f(lo) >= 0:  # c barely above 2: the root is tiny
        lo /= 2
        if lo < 1e-300:
            return 0.0
    return float(brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))
