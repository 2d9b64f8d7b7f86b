"""Exact expectations of SGD over sample orders, the reshuffling drift, noise-injected GD.

For a :class:`~toymodels.data_model.DataModel` with n samples (per-sample losses ℓ_k, gradients
g_k = ∇ℓ_k, Hessians H_k; ḡ, H̄ their means), one epoch of SGD with batch size b is K = ⌊n/b⌋
steps θ ← θ − η∇L_{B_t}(θ). The batching convention is :func:`toymodels.sgd`'s:

* ``"without_replacement"`` (random reshuffling, RR): a uniform permutation of the n samples per
  epoch, batch t its consecutive b-chunk t (the last n mod b samples unused);
* ``"with_replacement"``: b i.i.d. uniform indices per step;
* ``"independent_subsets"``: a fresh uniform b-subset per step;
* ``"fixed_order"``: samples 0, 1, …, n − 1 in order every epoch (deterministic).

Functions
---------
:func:`epoch_average`
    the exact mean and covariance of θ after T steps over *all* index sequences of the scheme
    (every order of a small dataset), any data model, batched over step sizes and
    initialisations: every sequence is one member of one vectorised run.
:func:`epoch_moments`
    the same, epoch after epoch, for per-sample quadratic losses (affine SGD steps): each
    epoch's sequences give affine maps θ ↦ A_sθ + c_s and the mean and covariance follow the
    exact recursion over independent epochs; many epochs cost one epoch's enumeration.
:func:`reshuffling_drift`
    E[θ_K^RR] − θ_K^GD = −(η²/2) Σ_k (H_k − H̄)(g_k − ḡ) + O(η³) over one epoch
    (Smith, Dherin, Barrett, De 2021; Beneventano 2023), and its finite-population form for
    batch size b.
:func:`noise_trace`, :func:`noise_trace_gradient`
    N(θ) = (1/m) Σ_k ‖g_k − ḡ‖² (the trace of the gradient-noise covariance) and
    ∇N = (2/m) Σ_k (H_k − H̄)(g_k − ḡ), so that the drift is −(η²m/4)∇N: one gradient step on
    the trace of the noise covariance.
:func:`resummed_drift`
    the drift to second order in the sample noise (ΔH_k, Δg_k) and to all orders in ηH̄
    (exact at that order for quadratic samples), with or without the ΔH·ΔH·ḡ terms.
:func:`noise_injected_gd`
    GD plus Gaussian noise with the mini-batch gradient covariance at the current θ, seeded,
    batched over step sizes and seeds.

References
----------
P. Beneventano, "On the Trajectories of SGD Without Replacement", arXiv 2312.16143 (2023).
Only its abstract could be read (research brief ``sgd_and_features.md`` §0): "optimizing with
SGD without replacement is locally equivalent to making an additional step on a novel
regularizer", "regularizing the trace of the noise covariance along the flat [directions]",
"may escape saddles significantly faster". The formulas here are derived in this project (brief
§4.2) and proven in ``proofs_check.reshuffling``; the paper's own η·H = O(1) formula is unknown.

S. L. Smith, B. Dherin, D. G. T. Barrett, S. De, "On the Origin of Implicit Regularization in
Stochastic Gradient Descent", ICLR 2021: the O(η²) modified loss of random reshuffling.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import limits
from ._validate import positive_float, positive_int, positive_scalar_or_vector, refuse_empty
from .data_model import DataModel
from .dynamics import (
    SAMPLINGS,
    Trajectory,
    _callback,
    _check_run_memory,
    _emitter,
    _flag,
    _model_trajectory,
    _run,
    _seeds,
    _step_size_batch,
    _steps_and_record,
    gd,
)

__all__ = [
    "MAX_SEQUENCES",
    "EpochAverage",
    "EpochMoments",
    "epoch_average",
    "epoch_moments",
    "noise_injected_gd",
    "noise_trace",
    "noise_trace_gradient",
    "reshuffling_drift",
    "resummed_drift",
    "sequence_count",
]

#: default cap on the number of index sequences an exact average enumerates
MAX_SEQUENCES = 10**6
#: float64 entries of the states of one simulation chunk of :func:`epoch_average`
_CHUNK_ELEMENTS = 1 << 18
#: largest number of steps whose pairs the resummed drift sums (O(K²) matrix products)
_MAX_RESUMMED_STEPS = 2000
#: steps of Gaussian draws per block of :func:`noise_injected_gd` (at most)
_NOISE_BLOCK = 64


# ------------------------------------------------------------------------------------ results
@dataclass(frozen=True, eq=False)
class EpochAverage:
    """The exact distribution's first two moments of θ_T over every index sequence.

    Attributes
    ----------
    mean : (*batch, p) E[θ_T], the average over the ``n_sequences`` equally likely sequences.
    covariance : (*batch, p, p) Cov[θ_T] over the same sequences (population: divided by
        ``n_sequences``).
    gd : (*batch, p) gradient descent on the full loss after the same T steps.
    n_sequences : the number of equally likely index sequences averaged.
    n_diverged : (*batch) sequences whose θ_T is not finite (then ``mean`` is not finite).
    steps : T; ``steps_per_epoch`` K = ⌊n/b⌋.
    batch_size, sampling : the scheme; ``eta`` (batch) the step size of each member.
    """

    mean: np.ndarray
    covariance: np.ndarray
    gd: np.ndarray
    n_sequences: int
    n_diverged: np.ndarray
    steps: int
    steps_per_epoch: int
    batch_size: int
    sampling: str
    eta: np.ndarray

    @property
    def drift(self) -> np.ndarray:
        """E[θ_T] − θ_T^GD, (*batch, p)."""
        return self.mean - self.gd

    def __repr__(self) -> str:
        return (
            f"EpochAverage(sampling={self.sampling!r}, batch_size={self.batch_size}, "
            f"steps={self.steps}, n_sequences={self.n_sequences}, batch={self.eta.shape}, "
            f"diverged={int(np.count_nonzero(self.n_diverged))})"
        )


@dataclass(frozen=True, eq=False)
class EpochMoments:
    """Exact mean and covariance of θ after every epoch (per-sample quadratic losses).

    Attributes
    ----------
    mean : (epochs + 1, *batch, p) E[θ] after 0, 1, …, epochs epochs.
    covariance : (epochs + 1, *batch, p, p) Cov[θ] at the same epochs.
    gd : (epochs + 1, *batch, p) GD on the full loss after 0, K, 2K, … steps.
    epoch_matrix, epoch_offset : (*eta.shape, p, p), (*eta.shape, p) the mean epoch map
        E[A_s], E[c_s] (θ ↦ A_sθ + c_s for sequence s).
    n_sequences : equally likely index sequences of one epoch.
    affine_residual : max relative deviation of the epoch maps from affine at a test point
        (rounding only for quadratic samples; the call refuses more than ``rtol``).
    steps_per_epoch, batch_size, sampling, eta : as in :class:`EpochAverage`.
    """

    mean: np.ndarray
    covariance: np.ndarray
    gd: np.ndarray
    epoch_matrix: np.ndarray
    epoch_offset: np.ndarray
    n_sequences: int
    affine_residual: float
    steps_per_epoch: int
    batch_size: int
    sampling: str
    eta: np.ndarray

    @property
    def epochs(self) -> int:
        return self.mean.shape[0] - 1

    def __repr__(self) -> str:
        return (
            f"EpochMoments(sampling={self.sampling!r}, batch_size={self.batch_size}, "
            f"epochs={self.epochs}, n_sequences={self.n_sequences}/epoch, "
            f"batch={self.eta.shape})"
        )


# ------------------------------------------------------------------------------------ checks
def _data_model(model: Any) -> DataModel:
    if not isinstance(model, DataModel):
        raise TypeError(
            "model must be a toymodels.DataModel (Model.from_sympy(per_sample_expr, params, "
            f"data={{...}}) or DataModel.from_numpy), got {type(model).__name__}"
        )
    return model


def _scheme(sampling: Any, allowed: tuple[str, ...] = SAMPLINGS) -> str:
    if not isinstance(sampling, str) or sampling not in allowed:
        raise ValueError(
            f"sampling must be one of {', '.join(map(repr, allowed))}, got {sampling!r}"
        )
    return sampling


def _batch_size(batch_size: Any, n: int, sampling: str) -> int:
    b = positive_int(batch_size, "batch_size")
    if sampling != "with_replacement" and b > n:
        raise ValueError(
            f"batch_size must be <= n_samples ({n}) for sampling={sampling!r} (a batch holds "
            f"distinct samples), got {b}"
        )
    return b


def _limit(max_sequences: Any) -> int:
    return positive_int(max_sequences, "max_sequences")


def _eta_grid(eta: Any) -> np.ndarray:
    return positive_scalar_or_vector(eta, "eta")


def _theta_eval(model: DataModel, theta: Any) -> np.ndarray:
    return model._theta(theta, "theta")


# ------------------------------------------------------------------------------------ counting
def _segment_count(n: int, b: int, sampling: str, r: int) -> int:
    """Equally likely index sequences of r steps inside one epoch (RR) or of r steps (others)."""
    if r == 0 or sampling == "fixed_order":
        return 1
    if sampling == "with_replacement":
        return n ** (b * r)
    if sampling == "independent_subsets":
        return math.comb(n, b) ** r
    # r disjoint b-subsets in order: n! / ((b!)^r (n − rb)!) (a falling factorial: no n!)
    return math.perm(n, r * b) // math.factorial(b) ** r


def _log10_count(n: int, b: int, sampling: str, steps: int) -> float:
    """log10 of :func:`sequence_count` from log-gamma (no big integers; any n and T)."""
    if steps == 0 or sampling == "fixed_order":
        return 0.0
    ln10 = math.log(10.0)
    if sampling == "with_replacement":
        return b * steps * math.log10(n)
    if sampling == "independent_subsets":
        lc = math.lgamma(n + 1) - math.lgamma(b + 1) - math.lgamma(n - b + 1)
        return steps * lc / ln10
    K = n // b

    def seg(r: int) -> float:
        return (math.lgamma(n + 1) - r * math.lgamma(b + 1) - math.lgamma(n - r * b + 1)) / ln10

    q, r = divmod(steps, K)
    return q * seg(K) + (seg(r) if r else 0.0)


#: sequence_count refuses counts with more digits than this (the exact integer is then useless)
_MAX_COUNT_DIGITS = 100_000


def sequence_count(
    n_samples: int, steps: int, *, batch_size: int = 1, sampling: str = "without_replacement"
) -> int:
    """The number of equally likely index sequences of ``steps`` SGD steps (an exact int).

    ``"without_replacement"``: P^q · n!/((b!)^r (n − rb)!) for T = qK + r, K = ⌊n/b⌋ and
    P = n!/((b!)^K (n − Kb)!) distinct ordered batch sequences per epoch (orders inside a batch
    and of the unused samples do not change the run, and every batch sequence has the same
    number of permutations); ``"with_replacement"``: n^(bT); ``"independent_subsets"``:
    C(n, b)^T; ``"fixed_order"``: 1. Counts of more than 100 000 digits are refused
    (``ValueError`` naming the arguments).
    """
    n = positive_int(n_samples, "n_samples")
    T = positive_int(steps, "steps", allow_zero=True)
    sampling = _scheme(sampling)
    b = _batch_size(batch_size, n, sampling)
    digits = _log10_count(n, b, sampling, T)
    if digits > _MAX_COUNT_DIGITS:
        raise ValueError(
            f"steps={T} with n_samples={n}, batch_size={b}, sampling={sampling!r}: about "
            f"10^{digits:.4g} sequences, more than 10^{_MAX_COUNT_DIGITS} (too many to count "
            "exactly)"
        )
    return _exact_count(n, b, sampling, T)


def _exact_count(n: int, b: int, sampling: str, T: int) -> int:
    if sampling == "without_replacement":
        K = n // b
        q, r = divmod(T, K)
        full = _segment_count(n, b, sampling, K) ** q if q else 1
        return full * _segment_count(n, b, sampling, r)
    return _segment_count(n, b, sampling, T)


def _checked_count(n: int, b: int, sampling: str, T: int, limit: int, what: str) -> int:
    """The exact count, after refusing (from its logarithm) counts over ``limit``."""
    digits = _log10_count(n, b, sampling, T)
    if digits > math.log10(limit) + 1e-9:
        count = _exact_count(n, b, sampling, T) if digits < 30 else None
        _refuse_count(count, digits, limit, what)
    count = _exact_count(n, b, sampling, T)
    if count > limit:
        _refuse_count(count, digits, limit, what)
    return count


def _refuse_count(count: int | None, digits: float, limit: int, what: str) -> None:
    size = f"{count:,}" if count is not None else f"about 10^{digits:.4g}"
    raise ValueError(
        f"{what}: {size} index sequences to enumerate, over max_sequences={limit:,}. Use "
        "fewer epochs/steps, fewer samples or a larger batch_size, raise max_sequences, or "
        "estimate by Monte Carlo (tm.sgd with a list of seeds)"
    )


# ------------------------------------------------------------------------------------ enumeration
def _segment_table(n: int, b: int, sampling: str, r: int) -> np.ndarray:
    """All equally likely index rows of a segment: (count, r, b) int64."""
    if r == 0:
        return np.zeros((1, 0, b), dtype=np.int64)
    if sampling in ("with_replacement", "independent_subsets"):
        if sampling == "with_replacement":
            rows = np.array(list(itertools.product(range(n), repeat=b)), dtype=np.int64)
        else:
            rows = np.array(list(itertools.combinations(range(n), b)), dtype=np.int64)
        grid = np.indices((len(rows),) * r).reshape(r, -1).T  # (count, r)
        return rows[grid]
    # ordered sequences of r disjoint b-subsets (each sorted)
    seqs: list[tuple[tuple[int, ...], ...]] = [()]
    for _ in range(r):
        nxt = []
        for seq in seqs:
            used = {i for B in seq for i in B}
            rest = [i for i in range(n) if i not in used]
            nxt.extend((*seq, B) for B in itertools.combinations(rest, b))
        seqs = nxt
    return np.array(seqs, dtype=np.int64).reshape(len(seqs), r, b)


class _Sequences:
    """Every index sequence of T steps as a product of independent segments (epochs)."""

    def __init__(self, n: int, b: int, sampling: str, steps: int) -> None:
        if sampling == "without_replacement":
            K = n // b
            q, r = divmod(steps, K)
            lengths = [K] * q + ([r] if r else [])
        elif sampling == "fixed_order":
            K = n // b
            lengths = [steps]
        else:
            lengths = [1] * steps
        tables: dict[int, np.ndarray] = {}
        self.tables = []
        for r in lengths:
            if r not in tables:
                if sampling == "fixed_order":
                    pos = np.arange(r) % K
                    tables[r] = (np.arange(K * b, dtype=np.int64).reshape(K, b)[pos])[None]
                else:
                    tables[r] = _segment_table(n, b, sampling, r)
            self.tables.append(tables[r])
        self.shape = tuple(len(t) for t in self.tables)
        self.count = int(np.prod(self.shape, dtype=object)) if self.shape else 1
        self.steps = steps
        self.b = b

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Sequences start … stop − 1 as (stop − start, T, b) (the first segment varies slowest)."""
        if not self.tables:
            return np.zeros((stop - start, 0, self.b), dtype=np.int64)
        flat = np.arange(start, stop, dtype=np.int64)
        multi = np.unravel_index(flat, self.shape)
        return np.concatenate([t[i] for t, i in zip(self.tables, multi, strict=True)], axis=1)


def _run_sequences(
    model: DataModel,
    flat: np.ndarray,
    eta_flat: np.ndarray,
    seqs: _Sequences,
    out: np.ndarray,
) -> None:
    """θ_T of every (sequence, member) into ``out`` (S, M, p): SGD with the sequences' indices.

    Row s·M + j of a chunk is sequence s and member j; step t uses index row seqs[s, t] for
    every member, x ← x − η∇L_B(x) as in :func:`toymodels.sgd`.
    """
    M, p = flat.shape
    S = seqs.count
    chunk = max(1, _CHUNK_ELEMENTS // max(1, M * max(p, seqs.b)))
    with np.errstate(all="ignore"):
        for a in range(0, S, chunk):
            e = min(S, a + chunk)
            rows = seqs.rows(a, e)  # (c, T, b)
            x = np.tile(flat, (e - a, 1))
            step = np.tile(eta_flat, e - a)[:, None]
            for t in range(seqs.steps):
                idx = np.repeat(rows[:, t, :], M, axis=0)
                x -= step * model._batch_grad_flat(x, idx)
            out[a:e] = x.reshape(e - a, M, p)


def _moments(final: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean (M, p), population covariance (M, p, p), non-finite counts (M,)) over axis 0."""
    S, M, p = final.shape
    with np.errstate(all="ignore"):
        mean = final.mean(axis=0)
        cov = np.empty((M, p, p))
        rows = max(1, _CHUNK_ELEMENTS // max(1, S * p))
        for a in range(0, M, rows):
            d = final[:, a : a + rows] - mean[a : a + rows]
            cov[a : a + rows] = np.einsum("smi,smj->mij", d, d) / S
    bad = np.count_nonzero(~np.all(np.isfinite(final), axis=-1), axis=0)
    return mean, cov, bad


def epoch_average(
    model: DataModel,
    theta0: Any,
    eta: Any,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int = 1,
    sampling: str = "without_replacement",
    max_sequences: int = MAX_SEQUENCES,
) -> EpochAverage:
    """The exact mean and covariance of SGD's θ_T over all index sequences of a scheme.

    E[θ_T] = (1/S) Σ_s θ_T(s) over the S equally likely index sequences s of T steps
    (:func:`sequence_count`): every order of the samples for ``"without_replacement"`` (one
    uniform permutation per epoch, consecutive b-chunks, the convention of :func:`toymodels.sgd`;
    orders inside a batch are merged, they give the same run), every i.i.d. index sequence
    (n^(bT)) for ``"with_replacement"``, every sequence of b-subsets for
    ``"independent_subsets"``, the one sequence of ``"fixed_order"``. All S sequences run as one
    vectorised batch of states (in chunks), so no Monte Carlo error enters: the result is exact
    up to rounding, for any data model.

    Parameters
    ----------
    model : a :class:`~toymodels.data_model.DataModel`.
    theta0 : (p,) or (*B, p) initialisations; eta : a step size > 0 or a 1-D grid of them. The
        batch is ``eta.shape + B`` (as in :func:`toymodels.gd`).
    epochs, steps : run T = epochs·K steps (K = ⌊n/b⌋; default one epoch) or T = steps (not
        both); a partial last epoch of RR is the first batches of a fresh permutation.
    batch_size : b ≥ 1 (≤ n unless with replacement).
    sampling : ``"without_replacement"`` (default), ``"with_replacement"``,
        ``"independent_subsets"`` or ``"fixed_order"``.
    max_sequences : refuse (``ValueError`` naming the count) before enumerating more sequences.

    Returns
    -------
    EpochAverage with ``mean``, ``covariance``, ``gd`` (θ_T of GD, :func:`toymodels.gd`),
    ``drift`` = mean − gd, ``n_sequences`` and ``n_diverged``.

    Notes
    -----
    With replacement on quadratic samples E[θ_T] = θ_T^GD exactly (the step is affine in θ and
    the index independent of θ); without replacement E[θ_K] − θ_K^GD =
    :func:`reshuffling_drift` + O(η³) (``proofs_check.reshuffling``). Each sequence runs the
    arithmetic of :func:`toymodels.sgd` (x ← x − η∇L_B(x) on the model's mini-batch mean), so
    ``sampling="fixed_order"`` reproduces ``tm.sgd`` bit for bit.

    References: Beneventano, arXiv 2312.16143 (2023); research brief ``sgd_and_features.md``
    §4.2–§4.3 and appendix script (c).
    """
    model = _data_model(model)
    sampling = _scheme(sampling)
    n = model.n_samples
    b = _batch_size(batch_size, n, sampling)
    K = n // b
    limit = _limit(max_sequences)
    if epochs is not None and steps is not None:
        raise ValueError("give epochs or steps, not both (steps = epochs * n_samples // b)")
    if steps is None:
        ep = 1 if epochs is None else positive_int(epochs, "epochs")
        T = ep * K
        what = f"epochs={ep} (K = {K} steps each) with n_samples={n}, batch_size={b}"
    else:
        T = positive_int(steps, "steps")
        what = f"steps={T} with n_samples={n}, batch_size={b}"
    what += f", sampling={sampling!r}"
    count = _checked_count(n, b, sampling, T, limit, what)
    e = _eta_grid(eta)
    th = model._theta(theta0, "theta0")
    refuse_empty(th, "theta0")
    if not np.all(np.isfinite(th)):
        raise ValueError("theta0 must be finite (no NaN or inf)")
    members = e.size * max(1, int(np.prod(th.shape[:-1], dtype=np.int64)))
    p = model.n_params
    limits.check_memory(
        f"{what} for {members} members (eta x theta0)",
        [
            ("final states of every sequence", 8.0 * count * members * p),
            ("their moments", 8.0 * members * p * (p + 2)),
        ],
        "Use fewer step sizes or initialisations per call, or fewer sequences.",
    )
    batch, eta_b, flat, eta_flat = _step_size_batch(model, th, e, False)
    seqs = _Sequences(n, b, sampling, T)
    final = np.empty((count, flat.shape[0], p))
    _run_sequences(model, flat, eta_flat, seqs, final)
    mean, cov, bad = _moments(final)
    ref = gd(model, th, e, T, record_every=0).theta[-1]
    return EpochAverage(
        mean=mean.reshape((*batch, p)),
        covariance=cov.reshape((*batch, p, p)),
        gd=ref.reshape((*batch, p)),
        n_sequences=count,
        n_diverged=bad.reshape(batch),
        steps=T,
        steps_per_epoch=K,
        batch_size=b,
        sampling=sampling,
        eta=np.array(eta_b),
    )


def epoch_moments(
    model: DataModel,
    theta0: Any,
    eta: Any,
    epochs: int,
    *,
    batch_size: int = 1,
    sampling: str = "without_replacement",
    max_sequences: int = MAX_SEQUENCES,
    rtol: float = 1e-8,
) -> EpochMoments:
    """Exact mean and covariance of SGD after each of ``epochs`` epochs, for quadratic samples.

    With per-sample quadratic losses an SGD step is affine, so one epoch along index sequence
    s is θ ↦ A_sθ + c_s, with A_s, c_s read off by running the epoch from 0 and the unit
    vectors (one vectorised batch over all sequences and step sizes). Epochs draw independent
    sequences, hence the exact recursion

        μ' = Āμ + c̄,    Σ' = E_s[A_sΣA_sᵀ] + Cov_s(A_sμ + c_s),

    with Ā = E_s[A_s], c̄ = E_s[c_s] (centred second moments of (A_s, c_s) precomputed, so no
    cancellation). The affinity is checked at a test point: a model whose epoch map deviates by
    more than ``rtol`` (relative) is refused (``ValueError`` naming ``model``). An epoch is
    K = ⌊n/b⌋ steps for every scheme; with replacement it enumerates n^(bK) sequences.

    Parameters are those of :func:`epoch_average`; ``epochs`` ≥ 0. Returns
    :class:`EpochMoments` (mean, covariance and GD after 0 … ``epochs`` epochs).
    """
    model = _data_model(model)
    sampling = _scheme(sampling)
    n = model.n_samples
    b = _batch_size(batch_size, n, sampling)
    K = n // b
    ep = positive_int(epochs, "epochs", allow_zero=True)
    limit = _limit(max_sequences)
    rtol = positive_float(rtol, "rtol")
    what = f"one epoch (K = {K} steps) with n_samples={n}, batch_size={b}, sampling={sampling!r}"
    count = _checked_count(n, b, sampling, K, limit, what)
    e = _eta_grid(eta)
    th = model._theta(theta0, "theta0")
    refuse_empty(th, "theta0")
    if not np.all(np.isfinite(th)):
        raise ValueError("theta0 must be finite (no NaN or inf)")
    p = model.n_params
    E = e.size
    members = E * max(1, int(np.prod(th.shape[:-1], dtype=np.int64)))
    limits.check_memory(
        f"epochs={ep} for {members} members (eta x theta0) and p = {p}",
        [
            ("means, covariances and GD of every epoch", 8.0 * (ep + 1) * members * p * (p + 2)),
            ("epoch maps of every sequence", 8.0 * count * E * (p + 2) * (p + 1)),
            ("their second moments", 8.0 * 2 * E * p**4),
        ],
        "Use fewer epochs, step sizes or initialisations per call.",
    )
    # probe states: 0, e_1 … e_p, and a generic test point
    test = np.linspace(0.3, -0.7, p) if p > 1 else np.array([0.45])
    probes = np.vstack([np.zeros(p), np.eye(p), test])  # (p + 2, p)
    flat = np.repeat(probes[None], E, axis=0).reshape(-1, p)
    eta_flat = np.repeat(e.ravel(), p + 2)
    seqs = _Sequences(n, b, sampling, K)
    final = np.empty((count, flat.shape[0], p))
    _run_sequences(model, flat, eta_flat, seqs, final)
    final = final.reshape(count, E, p + 2, p)
    with np.errstate(all="ignore"):
        c = final[:, :, 0]  # (S, E, p)
        A = np.swapaxes(final[:, :, 1 : p + 1] - c[:, :, None], -1, -2)  # (S, E, p, p)
        pred = np.einsum("seij,j->sei", A, test) + c
        scale = 1.0 + np.abs(final[:, :, p + 1])
        resid = np.abs(pred - final[:, :, p + 1]) / scale
    finite = bool(np.all(np.isfinite(final)))
    residual = float(np.max(resid)) if finite else float("nan")
    if finite and residual > rtol:
        raise ValueError(
            "model: epoch_moments needs per-sample quadratic losses (affine SGD steps); an "
            f"epoch map deviates from affine by {residual:.3g} (relative) at a test point, over "
            f"rtol={rtol:g}. Use epoch_average (any model) instead"
        )
    with np.errstate(all="ignore"):
        A_bar = A.mean(axis=0)  # (E, p, p)
        c_bar = c.mean(axis=0)  # (E, p)
        dA = A - A_bar
        dc = c - c_bar
        AA = np.einsum("seij,sekl->eijkl", A, A) / count
        dAA = np.einsum("seij,sekl->eijkl", dA, dA) / count
        dAc = np.einsum("seij,sek->eijk", dA, dc) / count
        dcc = np.einsum("sei,sek->eik", dc, dc) / count
    B = th.shape[:-1]
    mu = np.broadcast_to(th, (E, *B, p)).reshape(E, -1, p).copy()
    Sig = np.zeros((E, mu.shape[1], p, p))
    means = [mu.copy()]
    covs = [Sig.copy()]
    with np.errstate(all="ignore"):
        for _ in range(ep):
            new_mu = np.einsum("eij,ebj->ebi", A_bar, mu) + c_bar[:, None]
            cross = np.einsum("eijk,ebj->ebik", dAc, mu)
            new_S = (
                np.einsum("eijkl,ebjl->ebik", AA, Sig)
                + np.einsum("eijkl,ebj,ebl->ebik", dAA, mu, mu)
                + cross
                + np.swapaxes(cross, -1, -2)
                + dcc[:, None]
            )
            mu, Sig = new_mu, 0.5 * (new_S + np.swapaxes(new_S, -1, -2))
            means.append(mu.copy())
            covs.append(Sig.copy())
    batch = (*e.shape, *B)
    ref = gd(model, th, e, K * ep, record_every=K if ep else 0).theta
    return EpochMoments(
        mean=np.stack(means).reshape((ep + 1, *batch, p)),
        covariance=np.stack(covs).reshape((ep + 1, *batch, p, p)),
        gd=ref.reshape((ep + 1, *batch, p)),
        epoch_matrix=A_bar.reshape((*e.shape, p, p)),
        epoch_offset=c_bar.reshape((*e.shape, p)),
        n_sequences=count,
        affine_residual=residual,
        steps_per_epoch=K,
        batch_size=b,
        sampling=sampling,
        eta=np.broadcast_to(e.reshape(e.shape + (1,) * len(B)), batch).copy(),
    )


# ------------------------------------------------------------------------------------ the drift
def _units(model: DataModel, theta: np.ndarray, batches: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-unit gradients (…, m, p) and Hessians (…, m, p, p) at θ: the samples, or the batches."""
    with np.errstate(all="ignore"):
        if batches is None:
            return model.sample_grad(theta), model.sample_hessian(theta), model.n_samples
    if isinstance(batches, (str, bytes)) or batches is None:
        raise TypeError(
            f"batches must be a (K, b) integer array of sample indices, got {batches!r}"
        )
    ix = model._idx(batches, "batches")
    if ix.ndim != 2:
        raise ValueError(
            f"batches must be a (K, b) integer array (K batches of b samples), got shape {ix.shape}"
        )
    K = ix.shape[0]
    lead = theta.shape[:-1]
    th = np.broadcast_to(theta[..., None, :], (*lead, K, theta.shape[-1]))
    idx = np.broadcast_to(ix, (*lead, *ix.shape))
    with np.errstate(all="ignore"):
        return model.batch_grad(th, idx), model.batch_hessian(th, idx), K


def _epoch_units(
    model: DataModel, theta: np.ndarray, batch_size: Any, batches: Any
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """(g (…, m, p), H (…, m, p, p), c, K) of one epoch of random reshuffling.

    c is the pair coefficient E[ΔX_{B_j} M ΔY_{B_i}] = −c Σ_k ΔX_k M ΔY_k (steps i ≠ j) and K the
    steps per epoch: k over the n samples with c = 1/(n(n − 1)), K = ⌊n/b⌋ (random batches of
    b), or over the m given ``batches`` with c = 1/(m(m − 1)), K = m (a fixed partition).
    """
    if batches is not None:
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, numbers.Integral)
            or batch_size != 1
        ):
            raise ValueError(
                "give batch_size (random reshuffling with batches of b) or batches (a fixed "
                f"partition in random order), not both; got batch_size={batch_size!r}"
            )
        g, H, m = _units(model, theta, batches)
        return g, H, (1.0 / (m * (m - 1)) if m > 1 else 0.0), m
    n = model.n_samples
    b = _batch_size(batch_size, n, "without_replacement")
    g, H, _ = _units(model, theta, None)
    return g, H, (1.0 / (n * (n - 1)) if n > 1 else 0.0), n // b


def _eta_outer(e: np.ndarray, value: np.ndarray, power: int) -> np.ndarray:
    """e^power ⊗ value: shape e.shape + value.shape."""
    return (e**power).reshape(e.shape + (1,) * value.ndim) * value


def reshuffling_drift(
    model: DataModel,
    theta: Any,
    eta: Any,
    *,
    batch_size: int = 1,
    batches: Any = None,
) -> np.ndarray:
    """The O(η²) drift of one epoch of random reshuffling: E[θ_K^RR] − θ_K^GD + O(η³).

    Batch size 1 (K = n steps, every order of the n samples equally likely)::

        drift = −(η²/2) Σ_k (H_k − H̄)(g_k − ḡ)

    with g_k, H_k the per-sample gradients and Hessians at θ. Random reshuffling with batch size
    b (K = ⌊n/b⌋ disjoint uniform batches, :func:`toymodels.sgd`'s convention) gives the
    finite-population form −η² K(K − 1)/(2n(n − 1)) Σ_k (H_k − H̄)(g_k − ḡ) (two disjoint
    batch means covary by −1/(n − 1) of the per-sample covariance). With ``batches`` (a (K, b)
    array: a fixed partition visited in a uniformly random order each epoch) k runs over the
    batches, g_k = ∇L_{B_k}, H_k = ∇²L_{B_k}, and GD is on the mean of the batch losses.

    The drift is one gradient step on the noise trace: drift = −(η²m/4)∇N(θ) with
    N = :func:`noise_trace` over the m units (samples or batches) for batch size 1 / fixed
    batches, and −η²K(K − 1)/(4(n − 1))·∇N for batch size b.

    Parameters
    ----------
    model : a data model; theta : (..., p) (NaN gives NaN); eta : a step size or a 1-D grid
        (the result is then ``eta.shape + theta.shape``).

    References
    ----------
    Smith, Dherin, Barrett, De, ICLR 2021 (random reshuffling's O(η²) modified loss);
    Beneventano, arXiv 2312.16143 ("an additional step on a novel regularizer"); research brief
    ``sgd_and_features.md`` §4.2 [derived], proven in ``proofs_check.reshuffling``.
    """
    model = _data_model(model)
    th = _theta_eval(model, theta)
    e = _eta_grid(eta)
    g, H, coef, K = _epoch_units(model, th, batch_size, batches)
    with np.errstate(all="ignore"):
        dg = g - g.mean(axis=-2, keepdims=True)
        dH = H - H.mean(axis=-3, keepdims=True)
        s = np.einsum("...kij,...kj->...i", dH, dg)
        value = -(K * (K - 1) / 2) * coef * s
        return _eta_outer(e, value, 2)


def noise_trace(model: DataModel, theta: Any, *, batches: Any = None) -> np.ndarray:
    """N(θ) = (1/m) Σ_k ‖g_k(θ) − ḡ(θ)‖², the trace of the gradient-noise covariance.

    k runs over the m = n samples (per-sample gradients g_k = ∇ℓ_k) or over the given
    ``batches`` ((K, b) sample indices, g_k = ∇L_{B_k}); ḡ is their mean. N is Tr Cov[g_k] of a
    uniformly drawn unit (population covariance). Shape ``theta.shape[:-1]``.
    Beneventano (arXiv 2312.16143): reshuffling regularises "the trace of the noise covariance".
    """
    model = _data_model(model)
    th = _theta_eval(model, theta)
    if batches is None:
        with np.errstate(all="ignore"):
            g = model.sample_grad(th)
    else:
        g, _, _ = _units(model, th, batches)
    with np.errstate(all="ignore"):
        dg = g - g.mean(axis=-2, keepdims=True)
        return np.einsum("...ki,...ki->...", dg, dg) / g.shape[-2]


def noise_trace_gradient(model: DataModel, theta: Any, *, batches: Any = None) -> np.ndarray:
    """∇N(θ) = (2/m) Σ_k (H_k − H̄)ᵀ(g_k − ḡ) (chain rule; :func:`noise_trace`), shape of θ.

    So :func:`reshuffling_drift` = −(η²m/4)∇N for batch size 1 or fixed batches.
    """
    model = _data_model(model)
    th = _theta_eval(model, theta)
    g, H, m = _units(model, th, batches)
    with np.errstate(all="ignore"):
        dg = g - g.mean(axis=-2, keepdims=True)
        dH = H - H.mean(axis=-3, keepdims=True)
        return 2.0 * np.einsum("...kji,...kj->...i", dH, dg) / m


def resummed_drift(
    model: DataModel,
    theta: Any,
    eta: Any,
    *,
    batch_size: int = 1,
    batches: Any = None,
    curvature_terms: bool = True,
) -> np.ndarray:
    """The reshuffling drift to second order in the sample noise, to all orders in ηH̄.

    With A = I − ηH̄, ΔH_k = H_k − H̄, Δg_k = g_k − ḡ at θ and δ_i = −ηΣ_{l<i}A^{i−1−l}ḡ (GD's
    displacement after i − 1 steps), one epoch of K steps has

        E[θ_K^RR] − θ_K^GD = −η²c Σ_{1≤i<j≤K} A^{K−j} Σ_k ΔH_k A^{j−1−i}(Δg_k + ΔH_kδ_i) + O(Δ³)

    with c = 1/(n(n − 1)) for random reshuffling with batch size b (K = ⌊n/b⌋; k over samples)
    and c = 1/(K(K − 1)) for a fixed partition ``batches`` in random order (k over batches). For
    quadratic samples the O(Δ²) term is exact; ηH̄ → 0 gives :func:`reshuffling_drift`.

    ``curvature_terms=False`` drops the ΔH·ΔH·ḡ terms and gives the research brief's resummed
    formula (§4.2), −(η²/(m(m−1)))Σ_{i<j}A^{m−j}Σ_k ΔH_kA^{j−i−1}Δg_k. At ηλ = O(1) that
    formula misses terms of the same order in the noise: its error is O(s²) in the noise scale
    s, not O(s³) (brief §4.3, checked in ``tests/stochastic`` and ``proofs_check.reshuffling``).
    This is a derivation of this project, not Beneventano's own η·H = O(1) formula (unknown).

    Returns the drift, shape ``eta.shape + theta.shape`` (K ≤ 2000 steps).
    """
    model = _data_model(model)
    th = _theta_eval(model, theta)
    e = _eta_grid(eta)
    curvature_terms = _flag(curvature_terms, "curvature_terms")
    g, H, coef, K = _epoch_units(model, th, batch_size, batches)
    if K > _MAX_RESUMMED_STEPS:
        raise ValueError(
            f"batch_size: an epoch of K = {K} steps is too long for the O(K²) pair sum "
            f"(limit {_MAX_RESUMMED_STEPS})"
        )
    p = model.n_params
    with np.errstate(all="ignore"):
        gbar = g.mean(axis=-2)  # (..., p)
        Hbar = H.mean(axis=-3)  # (..., p, p)
        dg = g - gbar[..., None, :]
        dH = H - Hbar[..., None, :, :]
        # broadcast everything over the step-size grid: leading axes e.shape
        ee = e.reshape(e.shape + (1,) * (th.ndim - 1))
        A = np.eye(p) - ee[..., None, None] * Hbar  # (E…, …, p, p)
        powers = [np.broadcast_to(np.eye(p), A.shape)]
        for _ in range(max(K, 1)):
            powers.append(powers[-1] @ A)
        # GD displacements δ_i (i = 1 … K), δ_1 = 0
        delta = [np.zeros(A.shape[:-1])]
        for _ in range(1, K):
            delta.append(np.einsum("...ab,...b->...a", A, delta[-1]) - ee[..., None] * gbar)
        total = np.zeros(A.shape[:-1])
        dHb = np.broadcast_to(dH, (*A.shape[:-2], *dH.shape[-3:]))
        for j in range(2, K + 1):
            u = np.zeros(A.shape[:-1])
            for i in range(1, j):
                v = np.broadcast_to(dg, (*A.shape[:-2], *dg.shape[-2:]))
                if curvature_terms:
                    v = v + np.einsum("...kab,...b->...ka", dHb, delta[i - 1])
                w = np.einsum("...ab,...kb->...ka", powers[j - 1 - i], v)
                u = u + np.einsum("...kab,...kb->...a", dHb, w)
            total = total + np.einsum("...ab,...b->...a", powers[K - j], u)
        return -(ee[..., None] ** 2) * coef * total


# ---------------------------------------------------------------------------- noise-injected GD
def _noise_factor(n: int, b: int, sampling: str) -> float:
    """Var of a b-batch mean over the per-sample variance: (n−b)/(b(n−1)) or 1/b."""
    if sampling == "with_replacement":
        return 1.0 / b
    if n == 1:
        return 0.0
    return (n - b) / (b * (n - 1))


class _NormalStream:
    """Standard normal rows z_t ∈ R^n of one seed, drawn in blocks from one Generator.

    Consecutive ``standard_normal`` calls continue one stream, so the numbers do not depend on
    the block size; the latest two blocks are kept for the engine's divergence replay (its check
    interval is capped at one block).
    """

    def __init__(self, seed: int, n: int, steps: int, block: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.n, self.steps, self.block = n, steps, block
        self.blocks: dict[int, np.ndarray] = {}
        self.drawn = 0

    def row(self, t: int) -> np.ndarray:
        j = t // self.block
        while self.drawn <= j:
            size = min(self.block, self.steps - self.drawn * self.block)
            self.blocks[self.drawn] = self.rng.standard_normal((size, self.n))
            self.blocks.pop(self.drawn - 2, None)
            self.drawn += 1
        return self.blocks[j][t - j * self.block]


def noise_injected_gd(
    model: DataModel,
    theta0: Any,
    eta: Any,
    steps: int,
    *,
    batch_size: int = 1,
    sampling: str = "without_replacement",
    seed: Any = 0,
    record_every: int = 1,
    paired: bool = False,
    bound: float = 1e10,
    check_every: int = 64,
    callback: Callable[[int, np.ndarray], Any] | None = None,
) -> Trajectory:
    """GD plus Gaussian noise with the mini-batch gradient covariance at the current θ.

    θ_{t+1} = θ_t − η(∇L(θ_t) + ζ_t),   ζ_t ~ N(0, f·Σ(θ_t)),   Σ = (1/n)Σ_k (g_k − ḡ)(g_k − ḡ)ᵀ

    with the per-sample gradients g_k at θ_t, so ζ_t has the covariance of the mini-batch
    gradient noise ∇L_B − ∇L of one step:

    * ``sampling="without_replacement"`` (or ``"independent_subsets"``): a uniform b-subset,
      f = (n − b)/(b(n − 1)) (the finite-population factor; 0 for b = n: plain GD);
    * ``sampling="with_replacement"``: b i.i.d. samples, f = 1/b.

    ζ_t = √(f/n) Σ_k z_{t,k}(g_k − ḡ) with z_t ~ N(0, I_n): exactly Gaussian with covariance fΣ,
    no factorisation. Every member with the same seed sees the same z_t (common random numbers,
    as :func:`toymodels.sgd` shares its index stream), so a member's run is the same alone or
    inside a grid of step sizes, and a list of seeds equals separate runs.

    On quadratic samples the mean follows GD exactly: E[θ_{t+1}] = E[θ_t] − η∇L(E[θ_t]) (the
    drift is affine and E[ζ_t | θ_t] = 0); its covariance is not SGD's (Beneventano's abstract,
    v1: the trajectory of SGD without replacement "diverges from both noise-injected GD and SGD
    with replacement").

    Parameters
    ----------
    model : a data model; theta0 : (p,) or (*B, p); eta : a step size or a 1-D grid.
    steps : T ≥ 0; batch_size : b (≤ n without replacement); seed : an integer ≥ 0 or a 1-D
        list of them (a leading seed axis). record_every, paired, bound, check_every, callback:
        as in :func:`toymodels.gd`.

    Returns
    -------
    Trajectory (``theta`` (T', [S,] *batch, p), ``loss``, ``eta``, ``diverged``).
    """
    model = _data_model(model)
    sampling = _scheme(sampling, ("without_replacement", "independent_subsets", "with_replacement"))
    n = model.n_samples
    b = _batch_size(batch_size, n, sampling)
    steps, record_every = _steps_and_record(steps, record_every)
    seeds, seed_axis = _seeds(seed)
    paired = _flag(paired, "paired")
    bound = positive_float(bound, "bound")
    check_every = positive_int(check_every, "check_every")
    callback = _callback(callback)
    S = len(seeds)
    block = max(1, min(_NOISE_BLOCK, max(steps, 1)))
    p = model.n_params

    def check(members: int) -> None:
        _check_run_memory(
            steps,
            record_every,
            members * S,
            p,
            loss=True,
            callback=callback is not None,
            extra=(
                (f"Gaussian blocks ({n} per step, {S} seed(s))", 2.0 * 8 * block * n * S),
                ("per-sample gradients", 8.0 * 3 * n * p * members * S),
            ),
        )

    batch, eta_b, flat, eta_flat = _step_size_batch(model, theta0, eta, paired, check)
    M = flat.shape[0]
    if seed_axis:
        batch = (S, *batch)
        eta_b = np.broadcast_to(eta_b, batch)
    flat = np.tile(flat, (S, 1))
    param = np.column_stack([np.tile(eta_flat, S), np.repeat(np.arange(S), M).astype(float)])
    streams = [_NormalStream(s, n, steps, block) for s in seeds]
    scale = math.sqrt(_noise_factor(n, b, sampling) / n)

    def step(c: list[np.ndarray], prm: np.ndarray | None, t: int) -> list[np.ndarray]:
        x = c[0]
        assert prm is not None
        sid = prm[:, 1].astype(np.intp)
        z = np.stack([s.row(t) for s in streams])[sid]  # (M, n)
        G = model._s_grad(x, np.arange(n, dtype=np.int64))  # (M, p, n)
        gbar = model._batch_grad_flat(x, np.arange(n, dtype=np.int64))
        zeta = scale * np.einsum("Mpn,Mn->Mp", G - gbar[:, :, None], z)
        x -= prm[:, 0, None] * (gbar + zeta)
        return [x]

    records, rec_steps, div_at = _run(
        step,
        [flat.copy()],
        param,
        steps,
        record_every,
        bound,
        min(check_every, block),
        _emitter(callback, batch, p),
    )
    return _model_trajectory(model, records, rec_steps, div_at, batch, eta_b)
