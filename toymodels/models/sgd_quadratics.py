"""Per-sample quadratic losses: the exact toys of SGD with and without replacement.

Beneventano, "On the Trajectories of SGD Without Replacement" (arXiv 2312.16143); research brief
``sgd_and_features.md`` §4.2–§4.3. Every sample k has the quadratic loss

    ℓ_k(θ) = ½ θᵀH_kθ + b_kᵀθ,        ∇ℓ_k(θ) = H_kθ + b_k,        ∇²ℓ_k = H_k

with a symmetric (possibly indefinite) H_k, so one SGD step θ ↦ (I − ηH_B)θ − ηb_B is affine and
every expectation over sample orders is a finite, exact average (``toymodels.stochastic``). The
full loss is L = (1/n)Σ_k ℓ_k with H̄ = mean H_k, b̄ = mean b_k.

Two forms of the same model, cross-checked in the tests and in ``proofs_check.reshuffling``:

* :func:`per_sample_quadratic` — ``Model.from_sympy(ℓ, params=("w0", …), data={"H": …, "b": …})``
  (the library derives ∇ℓ_k, ∇²ℓ_k symbolically); the data columns ``H0 … H{d(d+1)/2 − 1}`` are
  the upper triangle of H_k row by row (H₀₀, H₀₁, …, H₀,d−1, H₁₁, …), ``b0 … b{d−1}`` are b_k;
* :func:`per_sample_quadratic_numpy` — ``DataModel.from_numpy`` with the hand-written twins.

The toys of the brief:

* :func:`reshuffling_toy` (§4.3): d = 3, n = 4, H̄ = diag(1, 0.3, 0) exactly, the sample noise
  ΔH_k = H_k − H̄ and Δb_k = b_k − b̄ scaled by ``s``; start :data:`RESHUFFLING_THETA0`. The
  brief's own random draws are not recorded, so its table's digits are not reproduced; the
  entries here are fixed two-decimal numbers (exactly centred: Σ_k ΔH_k = 0, Σ_k Δb_k = 0).
* :func:`saddle_toy` (§4.3 "Saddle toy"): d = 2, n = 4, H̄ = diag(1, −0.1), b̄ = 0 so the full
  gradient vanishes at θ = 0 (a strict saddle); samples 0 and 1 are indefinite, 2 and 3 positive
  definite. At η = 0.1 the O(η²)
  reshuffling drift at θ = 0 is −(η²/2)Σ_k ΔH_k b_k = (−0.00155, +0.00405): random reshuffling
  drifts out along the negative-curvature axis e₂, while the mean of SGD with replacement stays
  at 0 exactly.
* :func:`random_quadratics`: seeded random (H_k, b_k), with a prescribed exact mean Hessian
  (then generically indefinite samples) or positive semi-definite samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..data_model import DataModel
from ..model import Model
from . import _checks

__all__ = [
    "CITATION_BENEVENTANO",
    "RESHUFFLING_HBAR",
    "RESHUFFLING_THETA0",
    "SADDLE_ETA",
    "SADDLE_HBAR",
    "per_sample_quadratic",
    "per_sample_quadratic_numpy",
    "random_quadratics",
    "reshuffling_toy",
    "reshuffling_toy_data",
    "saddle_toy",
    "saddle_toy_data",
]

CITATION_BENEVENTANO = (
    "Beneventano, 'On the Trajectories of SGD Without Replacement', arXiv 2312.16143 "
    "[toy: research brief sgd_and_features.md §4.3, reconstruction]"
)

#: the largest dimension / sample count the quadratic toys build (the sympy form has d(d+3)/2
#: data columns; exact expectations enumerate orders of the n samples)
MAX_DIM = 50
MAX_SAMPLES = 100_000

#: H̄ of the §4.3 toy and its starting point θ₀
RESHUFFLING_HBAR = (1.0, 0.3, 0.0)
RESHUFFLING_THETA0 = (0.5, -0.3, 0.8)
#: the saddle toy's mean Hessian and step size
SADDLE_HBAR = (1.0, -0.1)
SADDLE_ETA = 0.1

# §4.3 toy: ΔH_k (symmetric, Σ_k ΔH_k = 0), b̄ and Δb_k (Σ_k Δb_k = 0); the last sample is minus
# the sum of the others, so the centring is exact in decimal
_RESHUFFLING_DH = (
    ((-0.45, -0.34, 0.09), (-0.34, -0.26, -0.66), (0.09, -0.66, -0.32)),
    ((1.44, 0.23, -0.30), (0.23, 0.10, 0.02), (-0.30, 0.02, 0.87)),
    ((-1.08, -0.49, 0.90), (-0.49, 0.13, 0.14), (0.90, 0.14, 0.64)),
    ((0.09, 0.60, -0.69), (0.60, 0.03, 0.50), (-0.69, 0.50, -1.19)),
)
_RESHUFFLING_BBAR = (0.55, -0.21, 1.06)
_RESHUFFLING_DB = (
    (1.23, -0.93, 1.39),
    (-0.65, 0.53, 0.19),
    (-1.13, -0.27, -0.45),
    (0.55, 0.67, -1.13),
)
# saddle toy: ΔH_k = [[α_k, β_k], [β_k, γ_k]] and b_k, each summing to 0 over k
_SADDLE_ALPHA = (0.3, -0.1, -0.4, 0.2)
_SADDLE_BETA = (0.2, 0.1, -0.1, -0.2)
_SADDLE_GAMMA = (-0.3, -0.5, 0.3, 0.5)
_SADDLE_B = ((0.6, 0.5), (-0.2, 0.7), (0.3, -0.4), (-0.7, -0.8))


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _hb(H: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """(H (n, d, d) symmetric, b (n, d)) checked; messages name ``H`` / ``b``."""
    Ha = _checks.array(H, "H", ndim=3)
    n, d, d2 = Ha.shape
    if n == 0 or d == 0 or d != d2:
        raise ValueError(
            f"H must have shape (n, d, d) (one symmetric d x d matrix per sample, n, d >= 1), "
            f"got {Ha.shape}"
        )
    if d > MAX_DIM:
        raise ValueError(f"H is too large: d = {d} parameters (limit {MAX_DIM})")
    if n > MAX_SAMPLES:
        raise ValueError(f"H is too large: n = {n} samples (limit {MAX_SAMPLES})")
    asym = float(np.max(np.abs(Ha - np.swapaxes(Ha, 1, 2))))
    if asym > 1e-12 * max(1.0, float(np.max(np.abs(Ha)))):
        raise ValueError(f"H must be symmetric (H_k = H_kᵀ), max |H_k − H_kᵀ| = {asym:.3g}")
    ba = _checks.array(b, "b", ndim=2)
    if ba.shape != (n, d):
        raise ValueError(
            f"b must have shape (n, d) = ({n}, {d}) (one vector per sample, as H {Ha.shape}), "
            f"got {ba.shape}"
        )
    Ha = 0.5 * (Ha + np.swapaxes(Ha, 1, 2))
    return Ha, ba


def _name(name: Any) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"name must be a string or None, got {name!r}")
    return name


def _upper(H: np.ndarray) -> np.ndarray:
    """The upper triangles of H (n, d, d) row by row: (n, d(d+1)/2)."""
    i, j = np.triu_indices(H.shape[1])
    return np.ascontiguousarray(H[:, i, j])


# --------------------------------------------------------------------------------------------
# the two forms of one model
# --------------------------------------------------------------------------------------------
def per_sample_quadratic(H: Any, b: Any, name: str | None = None) -> DataModel:
    """ℓ_k(θ) = ½θᵀH_kθ + b_kᵀθ over n samples, as ``Model.from_sympy(..., data=...)``.

    Parameters
    ----------
    H : (n, d, d) symmetric per-sample Hessians (indefinite allowed).
    b : (n, d) per-sample gradients at θ = 0.
    name : a label (default "per-sample quadratic (n = …, d = …)").

    Returns
    -------
    A :class:`~toymodels.data_model.DataModel` with parameters ``w0 … w{d−1}`` and data
    ``{"H": upper triangles (n, d(d+1)/2), "b": b}``: L = (1/n)Σ_k ℓ_k, mini-batch and
    per-sample losses, gradients and Hessians derived by sympy. The numpy twin is
    :func:`per_sample_quadratic_numpy`.
    """
    Ha, ba = _hb(H, b)
    name = _name(name)
    n, d, _ = Ha.shape
    w = sp.symbols(f"w0:{d}", real=True)
    k = 0
    terms = []
    for i in range(d):
        for j in range(i, d):
            h = sp.Symbol(f"H{k}", real=True)
            terms.append((sp.Rational(1, 2) if i == j else 1) * h * w[i] * w[j])
            k += 1
    terms += [sp.Symbol(f"b{i}", real=True) * w[i] for i in range(d)]
    expr = sp.Add(*terms)
    return Model.from_sympy(
        expr,
        params=[s.name for s in w],
        data={"H": _upper(Ha), "b": ba},
        name=name or f"per-sample quadratic (n = {n}, d = {d})",
        citation=CITATION_BENEVENTANO,
    )


def per_sample_quadratic_numpy(H: Any, b: Any, name: str | None = None) -> DataModel:
    """The numpy twin of :func:`per_sample_quadratic` (``DataModel.from_numpy``).

    ℓ_k = ½θᵀH_kθ + b_kᵀθ, ∇ℓ_k = H_kθ + b_k, ∇²ℓ_k = H_k, written out with ``einsum`` for states
    (M, d) and index rows (m,) or (M, m). Same parameters, values and derivatives as the sympy
    form (to rounding: the sympy form sums the terms in another order).
    """
    Ha, ba = _hb(H, b)
    name = _name(name)
    n, d, _ = Ha.shape
    Ha.setflags(write=False)
    ba.setflags(write=False)

    def loss(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        Hi, bi = Ha[idx], ba[idx]
        if idx.ndim == 1:
            return 0.5 * np.einsum("Mi,mij,Mj->Mm", theta, Hi, theta) + theta @ bi.T
        return 0.5 * np.einsum("Mi,Mmij,Mj->Mm", theta, Hi, theta) + np.einsum(
            "Mi,Mmi->Mm", theta, bi
        )

    def grad(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        Hi, bi = Ha[idx], ba[idx]
        if idx.ndim == 1:
            return np.einsum("mij,Mj->Mmi", Hi, theta) + bi[None]
        return np.einsum("Mmij,Mj->Mmi", Hi, theta) + bi

    def hess(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        Hi = Ha[idx]
        if idx.ndim == 1:
            return np.broadcast_to(Hi[None], (theta.shape[0], *Hi.shape)).copy()
        return Hi.copy()

    def third(theta: np.ndarray, u: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return np.zeros((theta.shape[0], idx.shape[-1], d))

    return DataModel.from_numpy(
        [f"w{i}" for i in range(d)],
        n,
        loss,
        grad,
        hess,
        sample_third=third,
        name=name or f"per-sample quadratic, numpy (n = {n}, d = {d})",
        citation=CITATION_BENEVENTANO,
    )


def _build(H: np.ndarray, b: np.ndarray, numpy: Any, name: str) -> DataModel:
    numpy = _checks.boolean(numpy, "numpy")
    if numpy:
        return per_sample_quadratic_numpy(H, b, name=name + ", numpy")
    return per_sample_quadratic(H, b, name=name)


# --------------------------------------------------------------------------------------------
# the brief's toys
# --------------------------------------------------------------------------------------------
def reshuffling_toy_data(s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(H, b) of the §4.3 toy: H_k = H̄ + s·ΔH_k, b_k = b̄ + s·Δb_k, H̄ = diag(1, 0.3, 0).

    ``s`` ≥ 0 scales the sample noise (ΔH_k, Δb_k) and with it ΔH_k and Δg_k = ΔH_kθ + Δb_k at
    every θ (s = 0 is GD's loss on every sample). Σ_k ΔH_k = 0 and Σ_k Δb_k = 0 exactly, so
    H̄ and b̄ do not depend on ``s``.
    """
    s = _checks.real(s, "s", nonnegative=True)
    H = np.diag(RESHUFFLING_HBAR)[None] + s * np.array(_RESHUFFLING_DH)
    b = np.array(_RESHUFFLING_BBAR)[None] + s * np.array(_RESHUFFLING_DB)
    return H, b


def reshuffling_toy(s: float = 1.0, *, numpy: bool = False) -> DataModel:
    """The §4.3 toy as a data model: n = 4 quadratic samples in d = 3, H̄ = diag(1, 0.3, 0).

    Start it at :data:`RESHUFFLING_THETA0` = (0.5, −0.3, 0.8). With s = 1 and η = 0.1 … 0.0125
    the exact permutation average E[RR] − GD after one epoch is O(η²) and equals the reshuffling
    drift −(η²/2)Σ_k ΔH_kΔg_k up to O(η³) (``toymodels.stochastic.reshuffling_drift``).
    ``numpy=True`` gives the numpy twin. See :func:`reshuffling_toy_data`.
    """
    H, b = reshuffling_toy_data(s)
    return _build(H, b, numpy, f"reshuffling toy (s = {float(s):g})")


def saddle_toy_data() -> tuple[np.ndarray, np.ndarray]:
    """(H, b) of the saddle toy: H_k = diag(1, −0.1) + [[α_k, β_k], [β_k, γ_k]], b_k with Σb_k = 0.

    α = (0.3, −0.1, −0.4, 0.2), β = (0.2, 0.1, −0.1, −0.2), γ = (−0.3, −0.5, 0.3, 0.5),
    b = ((0.6, 0.5), (−0.2, 0.7), (0.3, −0.4), (−0.7, −0.8)); the full gradient H̄θ + b̄ is 0 at
    θ = 0; H_0 and H_1 are indefinite, H_2 and H_3 positive definite.
    """
    rows = zip(_SADDLE_ALPHA, _SADDLE_BETA, _SADDLE_GAMMA, strict=True)
    dH = np.array([[[a, bb], [bb, c]] for a, bb, c in rows])
    H = np.diag(SADDLE_HBAR)[None] + dH
    return H, np.array(_SADDLE_B)


def saddle_toy(*, numpy: bool = False) -> DataModel:
    """The saddle toy as a data model: n = 4 samples in d = 2, H̄ = diag(1, −0.1), ∇L(0) = 0.

    From θ = 0 with η = :data:`SADDLE_ETA` and batch size 1, SGD with replacement has mean 0 at
    every step (the steps are affine and the indices independent of θ), while random
    reshuffling drifts by ≈ (−0.0016, +0.0040) per epoch at first and then escapes along e₂
    geometrically, with a much smaller variance (research brief §4.3; Beneventano's abstract:
    "In expectation, SGD without replacement may escape saddles significantly faster and
    present a smaller variance"). ``numpy=True`` gives the numpy twin.
    """
    H, b = saddle_toy_data()
    return _build(H, b, numpy, "saddle toy")


def random_quadratics(
    n: int = 4,
    d: int = 3,
    *,
    hbar: Any = None,
    noise: float = 0.5,
    spd: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random per-sample quadratics (H (n, d, d), b (n, d)).

    * ``spd=False`` (default): H_k = diag(hbar) + noise·(S_k − S̄) with S_k symmetric standard
      Gaussian, so the mean Hessian is diag(hbar) (default 0) up to rounding and the samples
      are generically indefinite;
    * ``spd=True``: H_k = diag(hbar) + noise·M_kM_kᵀ/d with M_k standard Gaussian (d × d):
      positive semi-definite samples when hbar ≥ 0 (then ``hbar`` must be ≥ 0).

    b_k is standard Gaussian. ``numpy.random.default_rng(seed)`` draws everything.
    """
    n = _checks.count(n, "n", maximum=MAX_SAMPLES)
    d = _checks.count(d, "d", maximum=MAX_DIM)
    if hbar is None:
        hb = np.zeros(d)
    else:
        hb = _checks.array(hbar, "hbar", ndim=1)
        if hb.shape != (d,):
            raise ValueError(f"hbar must have d = {d} entries (the diagonal of H̄), got {hb.shape}")
    noise = _checks.real(noise, "noise", nonnegative=True)
    spd = _checks.boolean(spd, "spd")
    seed = _checks.seed(seed)
    if spd and np.any(hb < 0):
        raise ValueError(f"hbar must be >= 0 with spd=True (PSD samples), got {hb.tolist()}")
    rng = np.random.default_rng(seed)
    if spd:
        M = rng.standard_normal((n, d, d))
        H = np.diag(hb)[None] + noise * np.einsum("nij,nkj->nik", M, M) / d
    else:
        S = rng.standard_normal((n, d, d))
        S = 0.5 * (S + np.swapaxes(S, 1, 2))
        H = np.diag(hb)[None] + noise * (S - S.mean(axis=0))
    H = 0.5 * (H + np.swapaxes(H, 1, 2))
    b = rng.standard_normal((n, d))
    return H, b
