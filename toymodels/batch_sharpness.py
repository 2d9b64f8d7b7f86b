"""Batch sharpness and the other mini-batch curvature estimators of the Edge of Stochastic
Stability.

Andreyev & Beneventano, "Edge of Stochastic Stability: Revisiting the Edge of Stability for SGD",
arXiv 2412.20553. The definitions follow the authors' code, ``arseniqum/edge-of-stochastic-
stability``, ``utils/measure.py`` (read, not copied; function names below): with g_B = ∇L_B(θ),
H_B = ∇²L_B(θ), H = ∇²L(θ) the full-batch Hessian and ∇L the full-batch gradient,

* :func:`step_sharpness`: q(B) = g_BᵀH_Bg_B / ‖g_B‖² on one batch (``compute_grad_H_grad``);
* :func:`batch_sharpness`: **BS = E_B[q(B)]**, a mean of ratios
  (``calculate_averaged_grad_H_grad``, the default ``expectation_inside=False``);
* :func:`batch_sharpness_inside`: **BS_in = E_B[g_BᵀH_Bg_B] / E_B‖g_B‖²**, a ratio of means
  (the same function with ``expectation_inside=True``);
* :func:`gradient_noise_interaction`: **GNI = E_B[g_BᵀHg_B] / ‖∇L‖²** (``calculate_gni``);
* :func:`mini_batch_sharpness`: **MiniBS = E_B λ_max(H_B)**, v1's quantity
  (``calculate_averaged_lambdamax``);
* :func:`second_moment_contraction`: λ_max(E_B[(I − ηH_B)²])
  (``calculate_second_moment_contraction``, which returns this minus 1);
* :func:`expected_loss_change`: E_B[L_B(θ − ηg_B) − L_B(θ)] or E_B[L(θ − ηg_B)] − L(θ)
  (``calculate_expected_one_step_batch_loss_change`` / ``..._full_loss_change``);
* :func:`batch_sharpness_measures`: all of them from one pass over the samples.

v1 of the paper claims MiniBS hovers at 2/η; v3 and later say Batch Sharpness does (abstract v3:
"the expected directional curvature of mini-batch Hessians along their corresponding stochastic
gradients"). The research brief (``research/sgd_and_features.md`` §2.1–§2.3) adds BS_in, the
variant tied to an exact identity below.

The batch B. ``sampling="independent_subsets"`` (default, the authors' convention): B is a
uniform b-subset of the n samples (no repeats inside a batch; batches drawn independently: the
first b entries of a fresh ``randperm(n)`` in the authors' code). ``sampling="with_replacement"``:
b i.i.d. uniform indices (repeats count twice), the authors' ``with_replacement=True``. Both
names are those of :func:`toymodels.sgd`. The expectation E_B is over that distribution.

How E_B is computed (``method``):

* ``"exact"``: BS_in, GNI, E‖g_B‖², E[g_BᵀH_Bg_B] and E[H_B²] are polynomials of degree ≤ 3 in the
  per-sample quantities, so their expectations have closed forms through the inclusion
  probabilities π₁ = b/n, π₂ = b(b−1)/(n(n−1)), π₃ = b(b−1)(b−2)/(n(n−1)(n−2)) of one, two, three
  distinct samples (with replacement: the coincidence counts of b positions). With T_ijk =
  g_iᵀH_jg_k and sums S over index patterns, b³·E[g_BᵀH_Bg_B] =
  π₁S_iii + π₂(S_iik + S_iji + S_ijj − 3S_iii) + π₃(S_all − S_iik − S_iji − S_ijj + 2S_iii)
  (``method="moments"`` in the result; any n, one pass over the samples). BS and MiniBS are not
  polynomials: they are averaged over the full list of C(n, b) subsets (n^b ordered tuples with
  replacement) when that count is at most ``max_exact`` (``method="enumeration"``).
* ``"monte_carlo"``: the mean over ``draws`` batches drawn from ``numpy.random.default_rng(seed)``
  (the same batches for every θ of a batch of states), with the standard error: s/√K for a mean
  of ratios, the delta method for a ratio of means (as the authors' code).
* ``"auto"`` (default): exact when it is (moments always; enumeration when the count is at most
  ``max_exact``, default 20 000), else Monte Carlo.

Exact identities (derived in the brief §2.2, checked in ``tests/batch_sharpness``): for uniform
b-subsets E_B H_B = H, so MiniBS ≥ λ_max(H) (Jensen) and MiniBS is non-increasing in b with
MiniBS(n) = λ_max; for quadratic per-sample losses
E_B[L_B(θ − ηg_B) − L_B(θ)] = −η E‖g_B‖² (1 − (η/2) BS_in) and
E_B[L(θ − ηg_B)] − L(θ) = −η‖∇L‖² (1 − (η/2) GNI) (to O(η³) for any smooth loss):
:func:`predicted_loss_change` evaluates the right-hand sides.

All estimators take ``theta`` of shape (..., p) (a batch of states, evaluated on common batches)
and return arrays of shape ``theta.shape[:-1]``. Pure evaluations: NaN/inf θ (a diverged member)
gives NaN, an empty batch of states an empty result, and no RuntimeWarning escapes; a zero batch
gradient makes q(B) undefined (NaN). Inputs are validated before any work (``ValueError`` /
``TypeError`` naming the parameter) and the memory a request needs is checked up front against
:data:`toymodels.limits.MEMORY_BUDGET`.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import limits
from ._validate import positive_float, positive_int
from .data_model import DataModel
from .expressions import refuse_bool

__all__ = [
    "BATCH_SAMPLINGS",
    "MAX_EXACT",
    "BatchEstimate",
    "BatchSharpnessMeasures",
    "batch_sharpness",
    "batch_sharpness_inside",
    "batch_sharpness_measures",
    "expected_loss_change",
    "gradient_noise_interaction",
    "mini_batch_sharpness",
    "predicted_loss_change",
    "second_moment_contraction",
    "step_sharpness",
]

#: the batch distributions (names as in :func:`toymodels.sgd`)
BATCH_SAMPLINGS = ("independent_subsets", "with_replacement")
#: how expectations are computed
METHODS = ("auto", "exact", "monte_carlo")
#: default largest number of batches enumerated exactly
MAX_EXACT = 20_000
#: hard cap on ``max_exact`` (the index table alone would be large beyond it)
_MAX_EXACT_CAP = 10_000_000
#: hard cap on ``draws``
_MAX_DRAWS = 100_000_000
#: float64 entries of one working block (per-sample Hessians of a chunk): ~64 MiB
_BLOCK_ENTRIES = 1 << 23


# ---------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class BatchEstimate:
    """An expectation over batches: ``value`` ± ``stderr`` (shape ``theta.shape[:-1]``).

    ``exact``: no sampling error (``stderr`` is 0); ``draws``: the number of batches averaged
    (C(n, b) or n^b when enumerated, the Monte Carlo draws, 0 for the closed-form moments);
    ``method``: "moments", "enumeration" or "monte_carlo"; ``batch_size`` and ``sampling``: the
    batch distribution.
    """

    value: Any
    stderr: Any
    exact: bool
    draws: int
    method: str
    batch_size: int
    sampling: str

    def __float__(self) -> float:
        return float(np.asarray(self.value))


@dataclass(frozen=True)
class BatchSharpnessMeasures:
    """Every estimator at the same θ and batch distribution (one pass over the samples).

    ``bs`` (Batch Sharpness, mean of ratios), ``bs_in`` (ratio of means), ``gni``, ``mini_bs``
    (None unless asked for), ``grad_sq`` = E‖g_B‖², ``ghg`` = E[g_BᵀH_Bg_B], ``ghg_full`` =
    E[g_BᵀHg_B] (all :class:`BatchEstimate`), and the full-batch ``lambda_max`` = λ_max(H) and
    ``full_grad_sq`` = ‖∇L‖² (arrays).
    """

    bs: BatchEstimate
    bs_in: BatchEstimate
    gni: BatchEstimate
    mini_bs: BatchEstimate | None
    grad_sq: BatchEstimate
    ghg: BatchEstimate
    ghg_full: BatchEstimate
    lambda_max: Any
    full_grad_sq: Any


# ---------------------------------------------------------------------------------- validation
def _model(model: Any) -> DataModel:
    if not isinstance(model, DataModel):
        raise TypeError(
            "model must be a toymodels.DataModel (a loss averaged over samples: "
            "Model.from_sympy(..., data=...) or DataModel.from_numpy), got "
            f"{type(model).__name__}"
        )
    return model


def _sampling(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"sampling must be one of {BATCH_SAMPLINGS} (a string), got {value!r}")
    if value not in BATCH_SAMPLINGS:
        extra = (
            " (epoch-based schemes have no single batch distribution)"
            if value in ("without_replacement", "fixed_order")
            else ""
        )
        raise ValueError(f"sampling must be one of {BATCH_SAMPLINGS}, got {value!r}{extra}")
    return value


def _method(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"method must be one of {METHODS} (a string), got {value!r}")
    if value not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {value!r}")
    return value


def _count(value: Any, name: str, minimum: int = 1) -> int:
    refuse_bool(value, name)
    v = positive_int(value, name, allow_zero=minimum <= 0)
    if v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    return v


def _batch_size(value: Any, n: int, sampling: str) -> int:
    b = _count(value, "batch_size")
    if sampling == "independent_subsets" and b > n:
        raise ValueError(
            f"batch_size must be <= n_samples ({n}) for sampling='independent_subsets' (a batch "
            f"holds distinct samples), got {b}"
        )
    return b


def _seed(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer() and value >= 0:
            return int(value)
        raise TypeError(f"seed must be a non-negative integer (results are seeded), got {value!r}")
    if int(value) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {int(value)}")
    return int(value)


def _eta(value: Any) -> float:
    return positive_float(value, "eta")


def _n_batches(n: int, b: int, sampling: str) -> float:
    """C(n, b) distinct subsets, or n^b ordered tuples with replacement; inf when astronomically
    many (estimated through log-gamma first, so a huge b never builds a huge integer)."""
    if sampling == "independent_subsets":
        log_count = math.lgamma(n + 1) - math.lgamma(b + 1) - math.lgamma(n - b + 1)
    else:
        log_count = b * math.log(n)
    if log_count > math.log(_MAX_EXACT_CAP) + 2:
        return math.inf
    return float(math.comb(n, b) if sampling == "independent_subsets" else n**b)


@dataclass(frozen=True)
class _Plan:
    sampling: str
    b: int
    exact: bool  # enumerate (for the per-batch estimators)
    count: int  # batches averaged
    seed: int


def _plan(
    n: int,
    b: int,
    sampling: str,
    method: str,
    draws: int,
    seed: int,
    max_exact: int,
    batches: bool = True,
) -> _Plan:
    """How the per-batch estimators average (``batches``: whether any is asked for; the
    closed-form moments never need the list of batches)."""
    total = _n_batches(n, b, sampling)
    if batches and method == "exact" and total > max_exact:
        many = "astronomically many" if math.isinf(total) else f"all {int(total)}"
        raise ValueError(
            f"max_exact: method='exact' needs {many} batches (batch_size={b}, n_samples={n}, "
            f"sampling={sampling!r}), more than max_exact={max_exact}; raise max_exact (<= "
            f"{_MAX_EXACT_CAP}) or use method='monte_carlo'"
        )
    exact = method != "monte_carlo" and total <= max_exact
    return _Plan(sampling, b, exact, int(total) if exact else draws, seed)


def _common(
    model: Any,
    theta: Any,
    batch_size: Any,
    sampling: Any,
    method: Any,
    draws: Any,
    seed: Any,
    max_exact: Any,
    batches: bool = True,
) -> tuple[DataModel, np.ndarray, _Plan, str]:
    m = _model(model)
    th = m._theta(theta)
    smp = _sampling(sampling)
    b = _batch_size(batch_size, m.n_samples, smp)
    meth = _method(method)
    k = _count(draws, "draws", minimum=2)
    if k > _MAX_DRAWS:
        raise ValueError(f"draws must be <= {_MAX_DRAWS} (Monte Carlo batches), got {k}")
    s = _seed(seed)
    mx = _count(max_exact, "max_exact")
    if mx > _MAX_EXACT_CAP:
        raise ValueError(f"max_exact must be <= {_MAX_EXACT_CAP}, got {mx}")
    plan = _plan(m.n_samples, b, smp, meth, k, s, mx, batches or meth == "monte_carlo")
    return m, th, plan, meth


# ---------------------------------------------------------------------------------- memory
def _check_memory(model: DataModel, n_states: int, plan: _Plan | None, hessians: bool) -> None:
    p = model.n_params
    parts: list[tuple[str, float]] = [
        ("results", 8.0 * 16 * n_states),
        ("moment sums of one state", 8.0 * 4 * p * p),
        ("per-sample Hessian of one sample", 8.0 * p * p * (2 if hessians else 0)),
    ]
    what = f"model with p={p} parameters"
    if plan is not None:
        parts.append(("batch index table", 8.0 * plan.count * plan.b))
        if hessians:
            parts.append(("Hessians of one batch", 8.0 * 3 * plan.b * p * p))
        what = (
            f"batch_size={plan.b} with {'all ' if plan.exact else ''}{plan.count} batches "
            f"({'max_exact' if plan.exact else 'draws'}) on a model with p={p} parameters"
        )
    limits.check_memory(
        what,
        parts,
        "Use fewer draws (or a smaller max_exact / batch_size).",
    )


# ---------------------------------------------------------------------------------- batches
def _batches(n: int, plan: _Plan) -> Iterator[np.ndarray]:
    """Blocks (K_c, b) of batch indices: every batch once (exact) or ``count`` seeded draws."""
    b = plan.b
    chunk = max(1, min(plan.count, 4096))
    if plan.exact:
        gen: Iterator[tuple[int, ...]]
        if plan.sampling == "independent_subsets":
            gen = itertools.combinations(range(n), b)
        else:
            gen = itertools.product(range(n), repeat=b)
        while True:
            rows = list(itertools.islice(gen, chunk))
            if not rows:
                return
            yield np.array(rows, dtype=np.int64).reshape(len(rows), b)
    rng = np.random.default_rng(plan.seed)
    left = plan.count
    while left > 0:
        k = min(chunk, left)
        if plan.sampling == "with_replacement":
            block = rng.integers(0, n, size=(k, b), dtype=np.int64)
        else:
            block = np.empty((k, b), dtype=np.int64)
            for i in range(k):
                block[i] = rng.choice(n, size=b, replace=False)
        left -= k
        yield block


def _state_chunks(M: int, per_state: int) -> list[slice]:
    rows = max(1, _BLOCK_ENTRIES // max(1, per_state))
    return [slice(a, min(a + rows, M)) for a in range(0, M, rows)]


def _finite_rows(flat: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(flat), axis=-1)


def _top_eig(A: np.ndarray) -> np.ndarray:
    """λ_max of symmetric matrices (..., p, p); NaN where an entry is not finite."""
    out = np.full(A.shape[:-2], np.nan)
    ok = np.all(np.isfinite(A), axis=(-2, -1))
    if ok.any():
        out[ok] = np.linalg.eigvalsh(A[ok])[..., -1]
    return out


# ---------------------------------------------------------------------------------- moments
@dataclass
class _Sums:
    n: int
    G: np.ndarray  # Σ g_i (M, p)
    q: np.ndarray  # Σ ‖g_i‖² (M,)
    C: np.ndarray  # Σ g_i g_iᵀ (M, p, p)
    Hs: np.ndarray  # Σ H_i (M, p, p)
    v: np.ndarray  # Σ H_i g_i (M, p)
    s3: np.ndarray  # Σ g_iᵀH_ig_i (M,)
    Hsq: np.ndarray | None  # Σ H_i² (M, p, p)

    def add(self, g: np.ndarray, H: np.ndarray) -> None:
        """Add the samples of one block: g (M, m, p), H (M, m, p, p)."""
        self.G += g.sum(axis=1)
        self.q += np.einsum("Mip,Mip->M", g, g)
        self.C += np.matmul(g.transpose(0, 2, 1), g)
        self.Hs += H.sum(axis=1)
        Hg = np.matmul(H, g[..., None])[..., 0]  # (M, m, p)
        self.v += Hg.sum(axis=1)
        self.s3 += np.einsum("Mip,Mip->M", g, Hg)
        if self.Hsq is not None:
            self.Hsq += np.matmul(H, H).sum(axis=1)


def _empty_sums(M: int, p: int, n: int, squares: bool) -> _Sums:
    return _Sums(
        n,
        np.zeros((M, p)),
        np.zeros(M),
        np.zeros((M, p, p)),
        np.zeros((M, p, p)),
        np.zeros((M, p)),
        np.zeros(M),
        np.zeros((M, p, p)) if squares else None,
    )


def _moment_sums(model: DataModel, flat: np.ndarray, squares: bool) -> _Sums:
    """One streamed pass over the samples (blocks) for the finite states ``flat`` (M, p)."""
    M, p = flat.shape
    n = model.n_samples
    S = _empty_sums(M, p, n, squares)
    for sl in _state_chunks(M, 4 * p * p):
        th = flat[sl]
        part = _empty_sums(th.shape[0], p, n, squares)
        m_blk = max(1, _BLOCK_ENTRIES // max(1, 3 * th.shape[0] * p * p))
        for a in range(0, n, m_blk):
            idx = np.arange(a, min(a + m_blk, n), dtype=np.int64)
            part.add(model.sample_grad(th, idx), model.sample_hessian(th, idx))
        for f in ("G", "q", "C", "Hs", "v", "s3", "Hsq"):
            if getattr(S, f) is not None:
                getattr(S, f)[sl] = getattr(part, f)
    return S


def _weights(n: int, b: int, sampling: str) -> tuple[tuple[float, float], tuple[float, ...]]:
    """Coefficients of E_B over b-batches of Σ_{i,k∈B} Q_ik and Σ_{i,j,k∈B} T_ijk (÷ b², b³ later).

    Quadratic: E Σ_{i,k∈B} Q_ik = d₁ Σ_i Q_ii + d₂ Σ_{i,k} Q_ik. Cubic: E Σ_{i,j,k∈B} T_ijk =
    a₁ S_iii + a₂ (S_iik + S_iji + S_ijj) + a₃ S_all (pattern sums over all index triples).
    Subsets, with the inclusion probabilities π₁, π₂, π₃ of 1, 2, 3 distinct samples:
    d = (π₁ − π₂, π₂), a = (π₁ − 3π₂ + 2π₃, π₂ − π₃, π₃). With replacement the sums run over b
    positions of i.i.d. indices: d = (b/n, b(b−1)/n²), a = (b/n, b(b−1)/n², b(b−1)(b−2)/n³).
    """
    if sampling == "independent_subsets":
        p1 = b / n
        p2 = b * (b - 1) / (n * (n - 1)) if n > 1 else 0.0
        p3 = b * (b - 1) * (b - 2) / (n * (n - 1) * (n - 2)) if n > 2 else 0.0
        return (p1 - p2, p2), (p1 - 3 * p2 + 2 * p3, p2 - p3, p3)
    c1, c2, c3 = b / n, b * (b - 1) / n**2, b * (b - 1) * (b - 2) / n**3
    return (c1, c2), (c1, c2, c3)


def _quad(all_: Any, diag: Any, n: int, b: int, sampling: str) -> Any:
    """E_B[(1/b²) Σ_{i,k∈B} Q_ik] from Σ_{i,k} Q_ik and Σ_i Q_ii."""
    (d1, d2), _ = _weights(n, b, sampling)
    return (d1 * diag + d2 * all_) / (b * b)


def _cubic(s_all: Any, s_iik: Any, s_iji: Any, s_ijj: Any, s_iii: Any, n: int, b: int, smp: str):
    """E_B[(1/b³) Σ_{i,j,k∈B} T_ijk] from the pattern sums of T."""
    _, (a1, a2, a3) = _weights(n, b, smp)
    return (a1 * s_iii + a2 * (s_iik + s_iji + s_ijj) + a3 * s_all) / b**3


def _moment_stats(S: _Sums, b: int, sampling: str) -> dict[str, np.ndarray]:
    n = S.n
    H = S.Hs / n
    gg_all = np.einsum("Mp,Mp->M", S.G, S.G)
    grad_sq = _quad(gg_all, S.q, n, b, sampling)
    # T_ijk = g_iᵀ H_j g_k: S_all = GᵀΣH G, S_iik = S_ijj = Σ_i g_iᵀH_i G, S_iji = ⟨ΣH, Σ g gᵀ⟩
    s_all = np.einsum("Mp,Mpq,Mq->M", S.G, S.Hs, S.G)
    s_iik = np.einsum("Mp,Mp->M", S.v, S.G)
    s_iji = np.einsum("Mpq,Mpq->M", S.Hs, S.C)
    ghg = _cubic(s_all, s_iik, s_iji, s_iik, S.s3, n, b, sampling)
    # Q_ik = g_iᵀ H g_k
    ghg_full = _quad(
        np.einsum("Mp,Mpq,Mq->M", S.G, H, S.G), np.einsum("Mpq,Mpq->M", H, S.C), n, b, sampling
    )
    full_grad_sq = gg_all / n**2
    out = {
        "grad_sq": grad_sq,
        "ghg": ghg,
        "ghg_full": ghg_full,
        "full_grad_sq": full_grad_sq,
        "bs_in": ghg / grad_sq,
        "gni": ghg_full / full_grad_sq,
        "lambda_max": _top_eig(H),
        "H": H,
    }
    if S.Hsq is not None:
        out["h2"] = _quad(S.Hs @ S.Hs, S.Hsq, n, b, sampling)  # E[H_B²]
    return out


# ---------------------------------------------------------------------------------- per batch
def _tensor_fits(n: int, p: int) -> bool:
    return n**3 + n * n * p <= _BLOCK_ENTRIES


def _per_batch(
    model: DataModel,
    th: np.ndarray,
    idx: np.ndarray,
    H_full: np.ndarray,
    mini: bool,
    per_sample: tuple[np.ndarray, np.ndarray] | None,
) -> dict[str, np.ndarray]:
    """Per-batch g_BᵀH_Bg_B, ‖g_B‖², g_BᵀHg_B, q(B) and λ_max(H_B) for the states ``th``.

    ``idx`` (K, b): the batches (the same for every state); returns arrays (M, K).
    ``per_sample``: every per-sample (g_i, H_i) of these states, when they fit a working block;
    then a batch costs O(b³) through the tensors T_ijk = g_iᵀH_jg_k, Q_ik = g_iᵀg_k,
    R_ik = g_iᵀHg_k (when n³ fits too) and H_B = Σ z_i H_i is one matrix product (MiniBS).
    Otherwise each batch's samples are evaluated directly (O(b·p²) per batch).
    """
    Mc, p = th.shape
    n = model.n_samples
    K, b = idx.shape
    out = {k: np.full((Mc, K), np.nan) for k in ("ghg", "gg", "ghg_full", "mini")}
    tensor = per_sample is not None and _tensor_fits(n, p)
    if per_sample is not None:
        g_all, H_all = per_sample
    if tensor:
        # P[j, q, k] = (H_j g_k)_q ; T[i, j, k] = g_iᵀ H_j g_k
        P = np.matmul(H_all.reshape(Mc, n * p, p), g_all.transpose(0, 2, 1))
        P = P.reshape(Mc, n, p, n).transpose(0, 2, 1, 3).reshape(Mc, p, n * n)
        T = np.matmul(g_all, P).reshape(Mc, n, n, n)
        Q = np.matmul(g_all, g_all.transpose(0, 2, 1))
        R = np.matmul(np.matmul(g_all, H_full), g_all.transpose(0, 2, 1))
        for kk in _state_chunks(K, Mc * b**3):
            sub = idx[kk]
            i3 = (slice(None), sub[:, :, None, None], sub[:, None, :, None], sub[:, None, None, :])
            i2 = (slice(None), sub[:, :, None], sub[:, None, :])
            out["ghg"][:, kk] = T[i3].sum(axis=(2, 3, 4)) / b**3
            out["gg"][:, kk] = Q[i2].sum(axis=(2, 3)) / b**2
            out["ghg_full"][:, kk] = R[i2].sum(axis=(2, 3)) / b**2
    if mini and per_sample is not None:
        Hf = H_all.reshape(Mc, n, p * p)
        for kk in _state_chunks(K, Mc * (n + p * p)):
            sub = idx[kk]
            Kc = sub.shape[0]
            z = np.zeros((Kc, n))
            np.add.at(z, (np.arange(Kc)[:, None], sub), 1.0 / b)
            out["mini"][:, kk] = _top_eig(np.matmul(z, Hf).reshape(Mc, Kc, p, p))
    if tensor:
        return _with_q(out)
    for kk in _state_chunks(K, Mc * b * p * p):
        sub = idx[kk]
        Kc = sub.shape[0]
        if per_sample is not None:
            gb = g_all[:, sub]  # (Mc, Kc, b, p)
            Hb = H_all[:, sub]  # (Mc, Kc, b, p, p)
        else:
            flat_idx = sub.reshape(-1)
            gb = model.sample_grad(th, flat_idx).reshape(Mc, Kc, b, p)
            Hb = model.sample_hessian(th, flat_idx).reshape(Mc, Kc, b, p, p)
        g = gb.mean(axis=2)  # (Mc, Kc, p)
        Hg = np.matmul(Hb, g[:, :, None, :, None])[..., 0].sum(axis=2) / b
        out["ghg"][:, kk] = np.einsum("MKp,MKp->MK", g, Hg)
        out["gg"][:, kk] = np.einsum("MKp,MKp->MK", g, g)
        gH = np.matmul(g, H_full)
        out["ghg_full"][:, kk] = np.einsum("MKp,MKp->MK", gH, g)
        if mini and per_sample is None:
            out["mini"][:, kk] = _top_eig(Hb.mean(axis=2))
    return _with_q(out)


def _with_q(out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out["q"] = out["ghg"] / out["gg"]
    return out


def _mean_se(x: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    K = x.shape[-1]
    mean = x.mean(axis=-1)
    if exact or K < 2:
        return mean, np.zeros_like(mean)
    return mean, x.std(axis=-1, ddof=1) / np.sqrt(K)


def _ratio_se(x: np.ndarray, y: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """mean(x)/mean(y) and its delta-method standard error (the authors' formula)."""
    K = x.shape[-1]
    mx, my = x.mean(axis=-1), y.mean(axis=-1)
    r = mx / my
    if exact or K < 2:
        return r, np.zeros_like(r)
    vx, vy = x.var(axis=-1, ddof=1), y.var(axis=-1, ddof=1)
    cxy = ((x - mx[..., None]) * (y - my[..., None])).sum(axis=-1) / (K - 1)
    var = (vx / my**2 - 2 * cxy * mx / my**3 + vy * mx**2 / my**4) / K
    return r, np.sqrt(np.maximum(var, 0.0))


# ---------------------------------------------------------------------------------- the engine
def _scalarise(a: np.ndarray, shape: tuple[int, ...]) -> Any:
    a = np.asarray(a, dtype=np.float64).reshape(shape)
    return a[()] if a.ndim == 0 else a


_KEYS = ("bs", "bs_in", "gni", "mini_bs", "grad_sq", "ghg", "ghg_full")


def _measure(
    model: DataModel,
    th: np.ndarray,
    plan: _Plan,
    meth: str,
    want: set[str],
) -> dict[str, Any]:
    """The estimators at the states ``th`` (..., p) as :class:`BatchEstimate` s (and λ_max)."""
    shape = th.shape[:-1]
    n, p = model.n_samples, model.n_params
    flat = th.reshape(-1, p)
    M = flat.shape[0]
    mc = meth == "monte_carlo"
    per_batch = bool(want & {"bs", "mini_bs"}) or mc
    _check_memory(model, M, plan if per_batch else None, hessians=True)
    ok = np.flatnonzero(_finite_rows(flat))
    val = {k: np.full(M, np.nan) for k in _KEYS}
    se = {k: np.full(M, np.nan) for k in _KEYS}
    lam = np.full(M, np.nan)
    fgs = np.full(M, np.nan)
    if ok.size:
        idx = np.concatenate(list(_batches(n, plan)), axis=0) if per_batch else None
        pre = 2 * n * p * p <= _BLOCK_ENTRIES
        per_state = 2 * n * p * p + (n**3 + n * n * p if _tensor_fits(n, p) else 0)
        with np.errstate(all="ignore"):
            for sl in _state_chunks(ok.size, per_state if pre else 4 * p * p):
                rows = ok[sl]
                f = flat[rows]
                per_sample = None
                if pre:
                    per_sample = (model.sample_grad(f), model.sample_hessian(f))
                    S = _empty_sums(f.shape[0], p, n, False)
                    S.add(*per_sample)
                else:
                    S = _moment_sums(model, f, squares=False)
                mom = _moment_stats(S, plan.b, plan.sampling)
                lam[rows] = mom["lambda_max"]
                fgs[rows] = mom["full_grad_sq"]
                if not mc:
                    for k in ("bs_in", "gni", "grad_sq", "ghg", "ghg_full"):
                        val[k][rows], se[k][rows] = mom[k], 0.0
                if not per_batch:
                    continue
                assert idx is not None
                pb = _per_batch(model, f, idx, mom["H"], "mini_bs" in want, per_sample)
                pairs = [("bs", "q"), ("mini_bs", "mini")]
                if mc:
                    pairs += [("grad_sq", "gg"), ("ghg", "ghg"), ("ghg_full", "ghg_full")]
                for k, src in pairs:
                    if k == "mini_bs" and k not in want:
                        continue
                    val[k][rows], se[k][rows] = _mean_se(pb[src], plan.exact)
                if mc:
                    val["bs_in"][rows], se["bs_in"][rows] = _ratio_se(
                        pb["ghg"], pb["gg"], plan.exact
                    )
                    val["gni"][rows] = val["ghg_full"][rows] / mom["full_grad_sq"]
                    se["gni"][rows] = se["ghg_full"][rows] / mom["full_grad_sq"]
    out: dict[str, Any] = {
        "lambda_max": _scalarise(lam, shape),
        "full_grad_sq": _scalarise(fgs, shape),
    }
    for k in _KEYS:
        v, s = _scalarise(val[k], shape), _scalarise(se[k], shape)
        if k in ("bs", "mini_bs") or mc:
            method = "enumeration" if plan.exact else "monte_carlo"
            out[k] = BatchEstimate(v, s, plan.exact, plan.count, method, plan.b, plan.sampling)
        else:
            out[k] = BatchEstimate(v, s, True, 0, "moments", plan.b, plan.sampling)
    return out


_DOC_PARAMS = """
    Parameters
    ----------
    model : a :class:`~toymodels.DataModel` (the loss a mean over n samples).
    theta : states (..., p); the result has shape ``theta.shape[:-1]``.
    batch_size : b ≥ 1 (≤ n for ``"independent_subsets"``).
    sampling : "independent_subsets" (a uniform b-subset, the authors' convention) or
        "with_replacement" (b i.i.d. uniform indices).
    method : "auto" (exact when possible), "exact" or "monte_carlo" (module docstring).
    draws : Monte Carlo batches (≥ 2; default 500).
    seed : the Monte Carlo seed (``numpy.random.default_rng(seed)``; an integer ≥ 0).
    max_exact : enumerate all batches when there are at most this many (default 20 000).
"""


def batch_sharpness(
    model: DataModel,
    theta: Any,
    batch_size: int,
    *,
    sampling: str = "independent_subsets",
    method: str = "auto",
    draws: int = 500,
    seed: int = 0,
    max_exact: int = MAX_EXACT,
) -> BatchEstimate:
    """Batch Sharpness BS = E_B[g_BᵀH_Bg_B / ‖g_B‖²], the mean over batches of the step sharpness.

    Andreyev & Beneventano (arXiv 2412.20553, v3+): "the expected directional curvature of
    mini-batch Hessians along their corresponding stochastic gradients"; the authors' code
    ``utils/measure.py::calculate_averaged_grad_H_grad`` (default ``expectation_inside=False``).
    Exact by enumeration of all C(n, b) batches when there are at most ``max_exact``, else Monte
    Carlo with the standard error s/√K.
    """
    m, th, plan, meth = _common(model, theta, batch_size, sampling, method, draws, seed, max_exact)
    return _measure(m, th, plan, meth, {"bs"})["bs"]


batch_sharpness.__doc__ = (batch_sharpness.__doc__ or "") + _DOC_PARAMS


def batch_sharpness_inside(
    model: DataModel,
    theta: Any,
    batch_size: int,
    *,
    sampling: str = "independent_subsets",
    method: str = "auto",
    draws: int = 500,
    seed: int = 0,
    max_exact: int = MAX_EXACT,
) -> BatchEstimate:
    """BS_in = E_B[g_BᵀH_Bg_B] / E_B‖g_B‖², Batch Sharpness with the expectation inside.

    The authors' ``calculate_averaged_grad_H_grad(..., expectation_inside=True)`` ("exploratory").
    Exact in closed form for every n (module docstring: ``method="moments"``); Monte Carlo on
    request, with the delta-method standard error. For a quadratic loss
    E_B[L_B(θ − ηg_B) − L_B(θ)] = −η E‖g_B‖² (1 − (η/2) BS_in): BS_in = 2/η is where the sampled
    batch's own loss stops decreasing in expectation (brief §2.2.3).
    """
    m, th, plan, meth = _common(
        model, theta, batch_size, sampling, method, draws, seed, max_exact, batches=False
    )
    return _measure(m, th, plan, meth, {"bs_in"})["bs_in"]


batch_sharpness_inside.__doc__ = (batch_sharpness_inside.__doc__ or "") + _DOC_PARAMS


def gradient_noise_interaction(
    model: DataModel,
    theta: Any,
    batch_size: int,
    *,
    sampling: str = "independent_subsets",
    method: str = "auto",
    draws: int = 500,
    seed: int = 0,
    max_exact: int = MAX_EXACT,
) -> BatchEstimate:
    """GNI = E_B[g_BᵀHg_B] / ‖∇L‖², with the full-batch Hessian H (authors' ``calculate_gni``).

    Exact in closed form (``method="moments"``) or Monte Carlo. For a quadratic loss
    E_B[L(θ − ηg_B)] − L(θ) = −η‖∇L‖² (1 − (η/2) GNI): GNI = 2/η is where the full loss stops
    decreasing in expectation (brief §2.2.3). NaN where ∇L = 0.
    """
    m, th, plan, meth = _common(
        model, theta, batch_size, sampling, method, draws, seed, max_exact, batches=False
    )
    return _measure(m, th, plan, meth, {"gni"})["gni"]


gradient_noise_interaction.__doc__ = (gradient_noise_interaction.__doc__ or "") + _DOC_PARAMS


def mini_batch_sharpness(
    model: DataModel,
    theta: Any,
    batch_size: int,
    *,
    sampling: str = "independent_subsets",
    method: str = "auto",
    draws: int = 500,
    seed: int = 0,
    max_exact: int = MAX_EXACT,
) -> BatchEstimate:
    """MiniBS = E_B λ_max(H_B), the v1 quantity (authors' ``calculate_averaged_lambdamax``).

    For uniform b-subsets E_B H_B = H, so MiniBS ≥ λ_max(H) (Jensen), MiniBS is non-increasing in
    b and MiniBS(n) = λ_max(H) (brief §2.2.1–2). Enumeration or Monte Carlo, as
    :func:`batch_sharpness`; one dense ``eigvalsh`` per batch.
    """
    m, th, plan, meth = _common(model, theta, batch_size, sampling, method, draws, seed, max_exact)
    return _measure(m, th, plan, meth, {"mini_bs"})["mini_bs"]


mini_batch_sharpness.__doc__ = (mini_batch_sharpness.__doc__ or "") + _DOC_PARAMS


def batch_sharpness_measures(
    model: DataModel,
    theta: Any,
    batch_size: int,
    *,
    mini: bool = False,
    sampling: str = "independent_subsets",
    method: str = "auto",
    draws: int = 500,
    seed: int = 0,
    max_exact: int = MAX_EXACT,
) -> BatchSharpnessMeasures:
    """BS, BS_in, GNI, (MiniBS when ``mini=True``), λ_max and the moments, from one pass.

    The same batches serve every estimator (common random numbers), so differences between them
    carry less noise than separate calls. See :class:`BatchSharpnessMeasures`.
    """
    m, th, plan, meth = _common(model, theta, batch_size, sampling, method, draws, seed, max_exact)
    if not isinstance(mini, (bool, np.bool_)):
        raise TypeError(f"mini must be True or False, got {mini!r}")
    want = {"bs", "bs_in", "gni"} | ({"mini_bs"} if mini else set())
    r = _measure(m, th, plan, meth, want)
    return BatchSharpnessMeasures(
        bs=r["bs"],
        bs_in=r["bs_in"],
        gni=r["gni"],
        mini_bs=r["mini_bs"] if mini else None,
        grad_sq=r["grad_sq"],
        ghg=r["ghg"],
        ghg_full=r["ghg_full"],
        lambda_max=r["lambda_max"],
        full_grad_sq=r["full_grad_sq"],
    )


batch_sharpness_measures.__doc__ = (batch_sharpness_measures.__doc__ or "") + _DOC_PARAMS


def step_sharpness(model: DataModel, theta: Any, idx: Any) -> Any:
    """q(B) = g_BᵀH_Bg_B / ‖g_B‖² on the given batch (the authors' ``compute_grad_H_grad``).

    ``idx``: sample indices (m,) shared by every state, or (*batch, m), one batch per state (as
    :meth:`DataModel.batch_grad`; repeats count). Shape ``theta.shape[:-1]``; NaN where g_B = 0
    or θ is not finite.
    """
    m = _model(model)
    th = m._theta(theta)
    g = m.batch_grad(th, idx)
    H = m.batch_hessian(th, idx)
    with np.errstate(all="ignore"):
        q = np.einsum("...p,...pq,...q->...", g, H, g) / np.einsum("...p,...p->...", g, g)
    return q[()] if np.ndim(q) == 0 else q


def second_moment_contraction(
    model: DataModel,
    theta: Any,
    batch_size: int,
    eta: float,
    *,
    sampling: str = "independent_subsets",
) -> BatchEstimate:
    """λ_max(E_B[(I − ηH_B)²]) = λ_max(I − 2ηH + η² E_B[H_B²]), exactly (closed-form moments).

    The mean-square contraction factor of linearised SGD along its worst direction (authors'
    ``calculate_second_moment_contraction``, which Monte-Carlo-estimates the same operator minus
    the identity, with with-replacement batches). E_B[H_B²] = (π₁ΣH_i² + π₂(ΣΣ_{i≠j}H_iH_j))/b²
    (module docstring). A value > 1 means the second moment of a perturbation grows along
    some direction. ``eta`` > 0 (a scalar).
    """
    m = _model(model)
    th = m._theta(theta)
    smp = _sampling(sampling)
    b = _batch_size(batch_size, m.n_samples, smp)
    e = _eta(eta)
    _check_memory(m, int(np.prod(th.shape[:-1], dtype=np.int64)), None, hessians=True)
    shape = th.shape[:-1]
    flat = th.reshape(-1, m.n_params)
    out = np.full(flat.shape[0], np.nan)
    ok = _finite_rows(flat)
    if ok.any():
        with np.errstate(all="ignore"):
            S = _moment_sums(m, flat[ok], squares=True)
            mom = _moment_stats(S, b, smp)
            p = m.n_params
            A = np.eye(p) - 2 * e * S.Hs / S.n + e * e * mom["h2"]
            out[ok] = _top_eig(A)
    return BatchEstimate(
        _scalarise(out, shape), _scalarise(np.zeros_like(out), shape), True, 0, "moments", b, smp
    )


def predicted_loss_change(measures: BatchSharpnessMeasures, eta: float, loss: str = "batch") -> Any:
    """The second-order prediction of the expected one-step loss change (brief §2.2.3).

    ``loss="batch"``: −η E‖g_B‖² (1 − (η/2) BS_in) for E_B[L_B(θ − ηg_B) − L_B(θ)];
    ``loss="full"``: −η ‖∇L‖² (1 − (η/2) GNI) for E_B[L(θ − ηg_B)] − L(θ). Exact for quadratic
    per-sample losses, O(η³) otherwise. ``measures`` from :func:`batch_sharpness_measures`.
    """
    if not isinstance(measures, BatchSharpnessMeasures):
        raise TypeError(
            f"measures must be a BatchSharpnessMeasures (from batch_sharpness_measures), got "
            f"{type(measures).__name__}"
        )
    e = _eta(eta)
    lo = _loss_kind(loss)
    with np.errstate(all="ignore"):
        if lo == "batch":
            gs = np.asarray(measures.grad_sq.value)
            out = -e * gs * (1 - 0.5 * e * np.asarray(measures.bs_in.value))
        else:
            gs = np.asarray(measures.full_grad_sq)
            out = -e * gs * (1 - 0.5 * e * np.asarray(measures.gni.value))
    return out[()] if np.ndim(out) == 0 else out


def _loss_kind(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"loss must be 'batch' or 'full' (a string), got {value!r}")
    if value not in ("batch", "full"):
        raise ValueError(f"loss must be 'batch' or 'full', got {value!r}")
    return value


def expected_loss_change(
    model: DataModel,
    theta: Any,
    eta: float,
    batch_size: int,
    *,
    loss: str = "batch",
    sampling: str = "independent_subsets",
    method: str = "auto",
    draws: int = 500,
    seed: int = 0,
    max_exact: int = MAX_EXACT,
) -> BatchEstimate:
    """The expected change of the loss after one SGD step θ ↦ θ − ηg_B.

    ``loss="batch"``: E_B[L_B(θ − ηg_B) − L_B(θ)] (the sampled batch's own loss; authors'
    ``calculate_expected_one_step_batch_loss_change``); ``loss="full"``: E_B[L(θ − ηg_B)] − L(θ)
    (``calculate_expected_one_step_full_loss_change``, which also divides by η‖∇L‖²; not here).
    Enumerated exactly when there are at most ``max_exact`` batches, else Monte Carlo (no
    closed form: the loss after the step is not a polynomial of the samples in general). No
    Hessians are evaluated. Compare with :func:`predicted_loss_change`.
    """
    m, th, plan, _ = _common(model, theta, batch_size, sampling, method, draws, seed, max_exact)
    e = _eta(eta)
    lo = _loss_kind(loss)
    _check_memory(m, int(np.prod(th.shape[:-1], dtype=np.int64)), plan, hessians=False)
    shape = th.shape[:-1]
    flat = th.reshape(-1, m.n_params)
    M, p = flat.shape
    n = m.n_samples
    ok = _finite_rows(flat)
    val = np.full(M, np.nan)
    se = np.full(M, np.nan)
    if ok.any():
        f = flat[ok]
        Mo = f.shape[0]
        idx = np.concatenate(list(_batches(n, plan)), axis=0)  # (K, b)
        K, b = idx.shape
        x = np.empty((Mo, K))
        per = (n if lo == "full" else b) * p + b * p
        with np.errstate(all="ignore"):
            L0 = m.loss(f) if lo == "full" else None
            for kk in _state_chunks(K, per):
                sub = idx[kk]
                Kc = sub.shape[0]
                rows = np.broadcast_to(sub, (Mo, Kc, b))
                states = np.broadcast_to(f[:, None, :], (Mo, Kc, p))
                g = m.batch_grad(states, rows)  # (Mo, Kc, p)
                new = states - e * g
                if lo == "batch":
                    x[:, kk] = m.batch_loss(new, rows) - m.batch_loss(states, rows)
                else:
                    assert L0 is not None
                    x[:, kk] = m.loss(new) - L0[:, None]
            mu, s = _mean_se(x, plan.exact)
        val[ok], se[ok] = mu, s
    return BatchEstimate(
        _scalarise(val, shape),
        _scalarise(se, shape),
        plan.exact,
        plan.count,
        "enumeration" if plan.exact else "monte_carlo",
        plan.b,
        plan.sampling,
    )
