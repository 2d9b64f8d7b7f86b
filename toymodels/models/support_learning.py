"""Support learning by SGD: the flat part of the irrelevant first-layer weights decays at rate κ.

Beneventano, Pinto, Poggio, "How Neural Networks Learn the Support is an Implicit Regularization
Effect of SGD" (arXiv 2406.11110). Abstract [SRC-abs]: mini-batch SGD learns the support of the
target in the first layer by shrinking the weights of irrelevant input coordinates; GD fits the
target too but needs explicit regularisation (weight decay) for this; the effect is a second-order
implicit regularisation proportional to η/b. The paper's body could not be read (research brief
``sgd_and_features.md`` §0): the model, the rate constant and its derivation below are the brief's
(§3.2 [DER]), re-derived here and checked exactly in ``proofs_check.support_learning``.

The model (brief §3.2): a two-layer linear network f(x) = aᵀWx, a ∈ R^r, W ∈ R^{r×d} (width r;
the smallest toy r = d = 2 has 6 parameters), on n = 2n₀ samples: n₀ Gaussian inputs, each
duplicated with the labels βᵀx ± ε (β = e₁: x₁ relevant, x₂ … x_d irrelevant; ``relevant = r``
gives β = (1, …, 1, 0, …)/√r, the figure's d = 15, r = 5), and the per-sample
loss ℓ = ½(aᵀWx − y)² (+ (λ/2)‖θ‖² with weight decay λ). Every global minimum has aᵀW = βᵀ and
per-sample residuals exactly ∓ε. The irrelevant column c = We₂ is free subject to aᵀc = 0: its
*flat part* ‖(I − ââᵀ)We₂‖ (:func:`flat_part`) is a valley coordinate that GD never moves
(κ = 0), SGD shrinks at the rate (:func:`predicted_rate`)

    κ = η²ε²Ĉ₂₂ / (2b′)  per step,    Ĉ = XᵀX/n,

and GD + weight decay at κ = ηλ.

Derivation (brief §3.2, re-derived; each step is proven in ``proofs_check.support_learning``):

1. tr∇²ℓ = ‖Wx‖² + ‖a‖²‖x‖² for every θ (the residual term r∇²f is traceless), so
   tr∇²L = tr(WĈWᵀ) + ‖a‖² trĈ and ∂tr∇²L/∂W = 2WĈ.
2. On the valley the ±ε pairs make ∇²L = G = E[∇f∇fᵀ] (the r∇²f terms cancel pairwise) and the
   per-sample gradient covariance exactly ε²∇²L; a mini-batch of b samples has noise covariance
   (ε²/b′)∇²L with b′ the effective batch size (:func:`effective_batch_size`).
3. For i.i.d. batches the linearised fluctuation δ_{t+1} = (I − ηH)δ_t − ηξ_t has stationary
   variance ηε²/(b′(2 − ηλ_k)) along each Hessian eigenvector: S ≈ (ηε²/(2b′))·P_range(H).
4. The cubic term gives the mean drift −(η/2)∇³L[S] = −(η²ε²/(4b′))∇tr∇²L (tangent part; the
   normal part is cancelled by the restoring force).
5. The tangent projection only adds multiples of a to the columns of W, so the component of
   We₂ orthogonal to a moves by −(η²ε²/(2b′))(I − ââᵀ)WĈe₂, i.e. at rate η²ε²Ĉ₂₂/(2b′) when
   Ĉ₁₂ = 0. :func:`support_data` makes the irrelevant columns centred and orthogonal to x₁ (and to
   each other) in the sample, so Ĉ₁ⱼ = 0 exactly. With a correlated draw the flat part of We₁
   feeds in through Ĉ₁₂ (default draw without decorrelation: Ĉ₁₂ = 0.157, and the η → 0 ratio
   below drops to 0.97–0.98); the brief's table was made without decorrelating, which may explain
   part of its low ratios 0.86–0.96 at η = 0.02.

Next order: the measured κ exceeds the formula by O(η), growing with η and 1/b (independent
subsets: +2.5 % at η = 0.05, b = 10; +23 % at η = 0.1, b = 1). The (2 − ηλ_k)⁻¹ factors of step 3
account for only +2–4 % of it and do not depend on b. The η → 0 extrapolation 2κ(η/2) − κ(η)
agrees with the formula within 2 % for b ≤ 10 (``tests/support_learning``).

Public: :func:`support_data`, :func:`support_model` (sympy), :func:`support_model_numpy` (the
hand-written numpy twin, a :class:`~toymodels.data_model.DataModel` from numpy, for wide
nets), :func:`support_init`, :func:`param_names`, :func:`split_params`, :func:`flat_part`,
:func:`second_moment`, :func:`effective_batch_size`, :func:`predicted_rate`, :func:`fit_rate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..data_model import DataModel
from ..model import Model
from . import _checks

__all__ = [
    "CITATION",
    "NUMPY_MAX_PARAMS",
    "RATE_SAMPLINGS",
    "SYMPY_MAX_PARAMS",
    "effective_batch_size",
    "fit_rate",
    "flat_part",
    "param_names",
    "predicted_rate",
    "second_moment",
    "split_params",
    "support_data",
    "support_init",
    "support_model",
    "support_model_numpy",
]

CITATION = (
    "Beneventano, Pinto, Poggio, 'How Neural Networks Learn the Support is an Implicit "
    "Regularization Effect of SGD', arXiv 2406.11110 [toy model and rate: research brief "
    "sgd_and_features.md §3.2, derived]"
)

#: the sampling schemes of :func:`toymodels.sgd` for which :func:`effective_batch_size` gives b′
#: (``"fixed_order"`` has no noise covariance: the formula does not apply)
RATE_SAMPLINGS = ("with_replacement", "independent_subsets", "without_replacement")

#: largest parameter count r(d + 1) of the sympy model (its Hessian has p(p + 1)/2 compiled
#: entries); use :func:`support_model_numpy` beyond
SYMPY_MAX_PARAMS = 48

#: largest parameter count r(d + 1) of the numpy twin (its per-sample Hessians are dense p × p:
#: 32 MiB per sample at the limit)
NUMPY_MAX_PARAMS = 2048

#: largest number of float64 values the data of :func:`support_data` may hold
_MAX_DATA = 50_000_000


# --------------------------------------------------------------------------------------------
# data and parameters
# --------------------------------------------------------------------------------------------


def _shape_args(d: Any, width: Any) -> tuple[int, int]:
    dd = _checks.count(d, "d", minimum=2)
    rr = _checks.count(width, "width", minimum=1)
    _checks.n_params(rr * (dd + 1), "width", "width * (d + 1)")
    return dd, rr


def _relevant(relevant: Any, d: int) -> int:
    return _checks.count(relevant, "relevant", minimum=1, maximum=d - 1)


def support_data(
    n0: int = 50,
    eps: float = 0.2,
    d: int = 2,
    seed: int = 0,
    decorrelate: bool = True,
    relevant: int = 1,
    input_scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The brief's dataset (§3.2): n₀ Gaussian inputs, each twice, labels βᵀx ± ε; (X, Y).

    X₀ ~ N(0, s²I_d) with s = ``input_scale`` (n₀ rows, ``numpy.random.default_rng(seed)``;
    s = 1/√d keeps ‖x‖ ≈ 1 for wide inputs, so larger step sizes stay stable); the first r =
    ``relevant``
    inputs are relevant, β = (1, …, 1, 0, …, 0)/√r (r = 1: β = e₁, labels x₁ ± ε, the brief's
    toy); the irrelevant columns x_{r+1} … x_d are centred. With ``decorrelate`` (default) they
    are made orthogonal, in the sample, to the constant, to the relevant columns and to each other
    (QR of [1, relevant, irrelevant]; each is then rescaled to its centred norm), so Ĉ = XᵀX/n
    has Ĉⱼₖ = 0 for every irrelevant j ≠ k and each irrelevant flat part decays at its own rate
    η²ε²Ĉⱼⱼ/(2b′) (module docstring, step 5). Then X = [X₀; X₀] (shape (2n₀, d)) and
    Y = [X₀β + ε; X₀β − ε]: sample i and i + n₀ are a pair. The least-squares end-to-end
    solution is exactly β and every global minimum of the squared loss has residuals ∓ε.

    Raises ValueError / TypeError naming ``n0`` (≥ 2, and ≥ d + 1 with ``decorrelate``), ``eps``
    (finite, ≥ 0), ``d`` (≥ 2), ``seed`` (integer ≥ 0), ``decorrelate`` (a bool) or
    ``relevant`` (1 ≤ r < d) or ``input_scale`` (> 0).
    """
    n0_ = _checks.count(n0, "n0", minimum=2)
    e = _checks.real(eps, "eps", nonnegative=True)
    dd = _checks.count(d, "d", minimum=2)
    s = _checks.seed(seed)
    dec = _checks.boolean(decorrelate, "decorrelate")
    r = _relevant(relevant, dd)
    scale = _checks.real(input_scale, "input_scale", positive=True)
    if dec and n0_ < dd + 1:
        raise ValueError(
            f"n0 must be >= d + 1 = {dd + 1} to decorrelate the {dd - r} irrelevant column(s) "
            f"from the constant and the relevant ones, got n0 = {n0_}"
        )
    if 2 * n0_ * (dd + 1) > _MAX_DATA:
        raise ValueError(
            f"n0 is too large: the data would hold 2 n0 (d + 1) = {2 * n0_ * (dd + 1)} values "
            f"(limit {_MAX_DATA:_})"
        )
    rng = np.random.default_rng(s)
    x0 = rng.standard_normal((n0_, dd))
    if scale != 1.0:
        x0 *= scale
    x0[:, r:] -= x0[:, r:].mean(axis=0)
    if dec:
        norms = np.linalg.norm(x0[:, r:], axis=0)
        q, rmat = np.linalg.qr(np.column_stack([np.ones(n0_), x0]))
        if np.min(np.abs(np.diag(rmat))) <= 1e-10 * np.max(np.abs(np.diag(rmat))):
            raise ValueError(  # pragma: no cover - a Gaussian draw is full rank almost surely
                f"seed = {s} drew degenerate inputs (rank-deficient); use another seed"
            )
        x0[:, r:] = q[:, 1 + r :] * norms
    target = x0[:, 0] if r == 1 else x0[:, :r].sum(axis=1) / np.sqrt(r)
    X = np.vstack([x0, x0])
    Y = np.concatenate([target + e, target - e])
    return X, Y


def param_names(d: int = 2, width: int = 2) -> tuple[str, ...]:
    """Parameter names in θ order: a0 … a{r−1}, then W row by row, w{k}_{j} = W[k, j]."""
    dd, rr = _shape_args(d, width)
    return tuple([f"a{k}" for k in range(rr)] + [f"w{k}_{j}" for k in range(rr) for j in range(dd)])


def _theta(theta: Any, d: int, width: int) -> np.ndarray:
    th = _checks.array(theta, "theta", allow_nan=True)
    p = width * (d + 1)
    if th.ndim == 0 or th.shape[-1] != p:
        raise ValueError(
            f"theta must have shape (..., {p}) = (a (width {width}), W (width x d = {width}x{d})), "
            f"got shape {th.shape}"
        )
    return th


def split_params(theta: Any, d: int = 2, width: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(a, W) of θ: a of shape (..., r), W of shape (..., r, d) (θ = (a, W row by row))."""
    dd, rr = _shape_args(d, width)
    th = _theta(theta, dd, rr)
    return th[..., :rr], th[..., rr:].reshape(*th.shape[:-1], rr, dd)


def support_init(d: int = 2, width: int = 2, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """A seeded initialisation θ₀ ~ scale·N(0, I_p), p = width·(d + 1) (``default_rng(seed)``).

    Raises ValueError / TypeError naming ``d``, ``width``, ``seed`` or ``scale`` (> 0).
    """
    dd, rr = _shape_args(d, width)
    s = _checks.seed(seed)
    sc = _checks.real(scale, "scale", positive=True)
    return sc * np.random.default_rng(s).standard_normal(rr * (dd + 1))


@_checks.quiet
def flat_part(
    theta: Any, d: int = 2, width: int = 2, column: int | None = 1, relevant: int = 1
) -> np.ndarray:
    """‖(I − ââᵀ)We_j‖: the part of the input column W e_j orthogonal to a (brief §3.2).

    On the valley aᵀW = βᵀ every column is W e_j = a β_j/‖a‖² + (I − ââᵀ)We_j and the second part
    is free: a flat (valley) coordinate. For an irrelevant input (β_j = 0) it is all that is
    left of the column; the part along a is stiff and fluctuates under SGD (brief §3.3: test the
    flat component, not ‖We_j‖). ``column`` is the 0-based input index j (default 1, x₂), or
    ``None`` for the Frobenius norm over every irrelevant column j = ``relevant`` … d − 1.
    ``theta``: (..., p) → (...). A state with a = 0 gives NaN (â is undefined); NaN in, NaN out.

    Raises ValueError / TypeError naming ``theta``, ``d``, ``width``, ``column``
    (0 ≤ column < d) or ``relevant`` (1 ≤ relevant < d).
    """
    dd, rr = _shape_args(d, width)
    if column is not None:
        col = _checks.count(column, "column", minimum=0, maximum=dd - 1)
    r = _relevant(relevant, dd)
    a, W = split_params(theta, dd, rr)
    c = W[..., :, r:] if column is None else W[..., :, col : col + 1]  # (..., width, k)
    na = np.sqrt(np.sum(a * a, axis=-1))
    ah = a / na[..., None]
    along = np.einsum("...r,...rk->...k", ah, c)
    perp = c - ah[..., :, None] * along[..., None, :]
    return np.sqrt(np.sum(perp * perp, axis=(-2, -1)))


def second_moment(X: Any) -> np.ndarray:
    """Ĉ = XᵀX/n, the uncentred second-moment matrix of the inputs (n, d) → (d, d).

    Ĉ₂₂ (``second_moment(X)[1, 1]``) sets the rate of the first irrelevant column (brief §3.2).
    Raises ValueError / TypeError naming ``X`` (a finite 2-D array with at least one row).
    """
    x = _checks.array(X, "X", ndim=2)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"X must have at least one sample and one column, got shape {x.shape}")
    return x.T @ x / x.shape[0]


# --------------------------------------------------------------------------------------------
# the rate
# --------------------------------------------------------------------------------------------


def effective_batch_size(batch_size: int, n_samples: int, sampling: str) -> float:
    """b′ with mini-batch noise covariance Cov(∇L_B) = Cov_i(∇ℓ_i)/b′ at a fixed θ.

    * ``"with_replacement"`` (b i.i.d. indices): b′ = b, also for b ≥ n.
    * ``"independent_subsets"`` (a uniform b-subset per step) and ``"without_replacement"``
      (random reshuffling: each batch is marginally a uniform b-subset): the finite-population
      correction b′ = b(n − 1)/(n − b) (Cochran, *Sampling Techniques*, Thm 2.2;
      ``proofs_check`` enumerates every subset). b = n (GD) gives b′ = inf (no noise).

    Which applies (derived here, brief §8): the rate derivation (step 3 of the module docstring)
    needs noise independent across steps, true for the first two. Random reshuffling has the same
    per-step covariance, but the batches of one epoch are anti-correlated (covariance
    −(Var/b′)/(m − 1), m = n/b: the epoch's noise sums to zero), which the derivation ignores;
    measured, its rates are 2–4 % above the i.i.d.-subset ones at η = 0.05–0.2, an O(η) difference:
    both extrapolate to the formula within 2 % as η → 0 (``tests/support_learning``).
    ``"fixed_order"`` is deterministic (no noise covariance): refused.

    Raises ValueError / TypeError naming ``batch_size`` (1 ≤ b, and b ≤ n unless with
    replacement), ``n_samples`` (≥ 2) or ``sampling``.
    """
    n = _checks.count(n_samples, "n_samples", minimum=2)
    b = _checks.count(batch_size, "batch_size", minimum=1)
    if isinstance(sampling, str) and sampling == "fixed_order":
        raise ValueError(
            "sampling = 'fixed_order' is a deterministic cycle with no mini-batch noise "
            f"covariance: no b' (the rate formula covers {RATE_SAMPLINGS})"
        )
    smp = _checks.option(sampling, "sampling", RATE_SAMPLINGS)
    if smp == "with_replacement":
        return float(b)
    if b > n:
        raise ValueError(f"batch_size must be <= n_samples = {n} for sampling = {smp!r}, got {b}")
    if b == n:
        return float("inf")
    return b * (n - 1) / (n - b)


def predicted_rate(
    eta: Any,
    eps: float,
    c22: float,
    batch_size: int,
    n_samples: int,
    sampling: str = "without_replacement",
    weight_decay: float = 0.0,
) -> np.ndarray:
    """κ = η²ε²Ĉ₂₂/(2b′) + ηλ: the predicted decay rate per step of :func:`flat_part`.

    The SGD part is the brief's [DER] rate (§3.2, re-derived in the module docstring and proven
    step by step in ``proofs_check.support_learning``), leading order in η; b′ from
    :func:`effective_batch_size` (GD, b = n without replacement: b′ = inf, κ = 0). The weight-decay
    part ηλ is the GD + weight-decay rate (the flat direction is a null direction of ∇²L, so
    (λ/2)‖θ‖² contracts it by 1 − ηλ per step; the exact −log(1 − ηλ) differs at O(η²λ²)).
    The two add at leading order. ``c22`` is Ĉ₂₂ = (XᵀX/n)₂₂ of the column (:func:`second_moment`).
    ``eta`` a scalar or a 1-D grid; returns an array of its shape (0-d for a scalar).

    Raises ValueError / TypeError naming ``eta`` (> 0), ``eps`` (≥ 0), ``c22`` (≥ 0),
    ``weight_decay`` (≥ 0) or, through :func:`effective_batch_size`, ``batch_size``,
    ``n_samples``, ``sampling``.
    """
    et = _checks.step_size(eta, "eta")
    e = _checks.real(eps, "eps", nonnegative=True)
    c = _checks.real(c22, "c22", nonnegative=True)
    lam = _checks.real(weight_decay, "weight_decay", nonnegative=True)
    bp = effective_batch_size(batch_size, n_samples, sampling)
    noise = 0.0 if bp == float("inf") else e * e * c / (2.0 * bp)
    return et * et * noise + et * lam


def fit_rate(flat: Any, steps: Any, t0: float = 0.0) -> np.ndarray:
    """κ fitted from a trajectory: −(least-squares slope of log flat against t) over t ≥ t0.

    ``flat``: the flat part at the recorded steps, shape (T, ...) (record axis first, as in a
    :class:`~toymodels.Trajectory`); ``steps``: the T step numbers. Each trailing member is
    fitted separately; returns shape ``flat.shape[1:]``. A positive κ is a decay.

    Raises ValueError / TypeError naming ``flat`` (finite and > 0 on the window), ``steps``
    (1-D, length T, increasing) or ``t0`` (leaves at least 2 points).
    """
    t = _checks.array(steps, "steps", ndim=1)
    if t.size >= 2 and np.any(np.diff(t) <= 0):
        raise ValueError("steps must be strictly increasing")
    f = _checks.array(flat, "flat", allow_nan=True)
    if f.ndim == 0 or f.shape[0] != t.size:
        raise ValueError(
            f"flat must have shape (T, ...) with T = len(steps) = {t.size}, got shape {f.shape}"
        )
    start = _checks.real(t0, "t0")
    sel = t >= start
    if int(sel.sum()) < 2:
        raise ValueError(
            f"t0 = {start!r} leaves {int(sel.sum())} recorded step(s) to fit (need >= 2)"
        )
    y = f[sel]
    if not (np.all(np.isfinite(y)) and np.all(y > 0)):
        raise ValueError("flat must be finite and > 0 on the fitted window t >= t0")
    ts = t[sel] - t[sel].mean()
    ly = np.log(y)
    ly = ly - ly.mean(axis=0)
    slope = np.tensordot(ts, ly, axes=(0, 0)) / np.dot(ts, ts)
    return -np.asarray(slope, dtype=float)


# --------------------------------------------------------------------------------------------
# the models
# --------------------------------------------------------------------------------------------


def _model_args(
    n0: Any,
    eps: Any,
    d: Any,
    width: Any,
    weight_decay: Any,
    seed: Any,
    decorrelate: Any,
    relevant: Any,
    input_scale: Any,
) -> tuple[np.ndarray, np.ndarray, int, int, float, float]:
    dd, rr = _shape_args(d, width)
    lam = _checks.real(weight_decay, "weight_decay", nonnegative=True)
    e = _checks.real(eps, "eps", nonnegative=True)
    X, Y = support_data(n0, e, dd, seed, decorrelate, relevant, input_scale)
    return X, Y, dd, rr, lam, e


def _name(n: int, eps: float, d: int, width: int, lam: float) -> str:
    wd = f", weight decay {lam:g}" if lam else ""
    return f"support toy aᵀWx (d={d}, width={width}, n={n}, ε={eps:g}{wd})"


def support_model(
    n0: int = 50,
    eps: float = 0.2,
    d: int = 2,
    width: int = 2,
    weight_decay: float = 0.0,
    seed: int = 0,
    decorrelate: bool = True,
    relevant: int = 1,
    input_scale: float = 1.0,
) -> DataModel:
    """The brief's toy (§3.2) as a sympy data model: ℓ = ½(aᵀWx − y)² + (λ/2)‖θ‖².

    ``Model.from_sympy(per_sample_expr, params=param_names(d, width), data={"x": X, "y": Y})``
    with (X, Y) = :func:`support_data` ``(n0, eps, d, seed, decorrelate, relevant,
    input_scale)``; the library derives
    ∇ℓ, ∇²ℓ, ∇³ℓ. L(θ) is the mean over n = 2n₀ samples, mini-batches come free
    (``batch_grad``, :func:`toymodels.sgd`). Defaults: the 6-parameter toy (d = width = 2,
    n₀ = 50, ε = 0.2). Weight decay λ is a term of every per-sample loss, so the mean is
    L + (λ/2)‖θ‖² and every mini-batch loss carries it too (GD + weight decay: :func:`toymodels.gd`
    on this model). The numpy twin is :func:`support_model_numpy`.

    Raises ValueError / TypeError naming ``n0``, ``eps``, ``d``, ``width`` (width·(d + 1) ≤
    :data:`SYMPY_MAX_PARAMS`; use the numpy twin beyond), ``weight_decay`` (≥ 0), ``seed``,
    ``decorrelate``, ``relevant`` or ``input_scale``.
    """
    dd, rr = _shape_args(d, width)
    if rr * (dd + 1) > SYMPY_MAX_PARAMS:
        raise ValueError(
            f"width * (d + 1) = {rr * (dd + 1)} parameters exceeds SYMPY_MAX_PARAMS = "
            f"{SYMPY_MAX_PARAMS} for the sympy model (its Hessian compiles p(p+1)/2 entries); "
            "use support_model_numpy"
        )
    X, Y, dd, rr, lam, e = _model_args(
        n0, eps, d, width, weight_decay, seed, decorrelate, relevant, input_scale
    )
    names = param_names(dd, rr)
    syms = sp.symbols(names, real=True)
    a, w = syms[:rr], syms[rr:]
    xs = sp.symbols(f"x0:{dd}", real=True)
    y = sp.Symbol("y", real=True)
    f = sum(
        (a[k] * sum((w[k * dd + j] * xs[j] for j in range(dd)), sp.Integer(0)) for k in range(rr)),
        sp.Integer(0),
    )
    expr = sp.Rational(1, 2) * (f - y) ** 2
    if lam:
        expr = expr + sp.Rational(1, 2) * sp.Float(lam) * sum((s**2 for s in syms), sp.Integer(0))
    return Model.from_sympy(  # type: ignore[return-value]
        expr,
        params=syms,
        data={"x": X, "y": Y},
        name=_name(len(Y), e, dd, rr, lam),
        citation=CITATION,
    )


def support_model_numpy(
    n0: int = 50,
    eps: float = 0.2,
    d: int = 2,
    width: int = 2,
    weight_decay: float = 0.0,
    seed: int = 0,
    decorrelate: bool = True,
    relevant: int = 1,
    input_scale: float = 1.0,
) -> DataModel:
    """The numpy twin of :func:`support_model` (same data, same θ order), any width and d.

    Hand-written per-sample closed forms, with r = aᵀWx − y, ∇f = (Wx, a ⊗ x):
    ∇ℓ = r∇f + λθ; ∇²ℓ = ∇f∇fᵀ + r∇²f + λI, where ∇²f has only the blocks
    ∂²f/∂a_k∂W_kj = x_j; ∇³ℓ[u, u] = 2(∇fᵀu)∇²f u + (uᵀ∇²f u)∇f (f is bilinear, ∇²f constant).
    A :meth:`DataModel.from_numpy <toymodels.data_model.DataModel.from_numpy>` for nets too wide
    to compile with sympy (the figure's d = 15, width 15: 240 parameters); on the 6-parameter toy
    it runs SGD at the sympy model's speed. Cross-checked against the sympy model (and, for
    width 3, against finite differences) in ``tests/support_learning``.

    Raises ValueError / TypeError as :func:`support_model`, with the size limit
    width·(d + 1) ≤ :data:`NUMPY_MAX_PARAMS` (the per-sample Hessians are dense).
    """
    dd, rr = _shape_args(d, width)
    p = rr * (dd + 1)
    if p > NUMPY_MAX_PARAMS:
        raise ValueError(
            f"width * (d + 1) = {p} parameters exceeds NUMPY_MAX_PARAMS = {NUMPY_MAX_PARAMS} (the "
            "per-sample Hessians are dense p x p); use a smaller width or d"
        )
    X, Y, dd, rr, lam, e = _model_args(
        n0, eps, d, width, weight_decay, seed, decorrelate, relevant, input_scale
    )
    Xc = np.ascontiguousarray(X)
    Yc = np.ascontiguousarray(Y)

    def parts(theta: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, ...]:
        a = theta[:, :rr]
        W = theta[:, rr:].reshape(-1, rr, dd)
        xb = Xc[idx]  # (m, d) or (M, m, d)
        if xb.ndim == 2:
            xb = np.broadcast_to(xb, (theta.shape[0], *xb.shape))
        h = np.einsum("kmd,krd->kmr", xb, W)  # Wx: (M, m, r)
        res = np.einsum("kmr,kr->km", h, a) - Yc[idx]
        return a, W, xb, h, res

    def jac(a: np.ndarray, xb: np.ndarray, h: np.ndarray) -> np.ndarray:
        ja = a[:, None, :, None] * xb[:, :, None, :]  # (M, m, r, d)
        return np.concatenate([h, ja.reshape(*ja.shape[:2], rr * dd)], axis=-1)

    def sample_loss(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        _a, _W, _x, _h, res = parts(theta, idx)
        out = 0.5 * res * res
        if lam:
            out = out + 0.5 * lam * np.sum(theta * theta, axis=-1)[:, None]
        return out

    def sample_grad(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        a, _W, xb, h, res = parts(theta, idx)
        g = res[..., None] * jac(a, xb, h)
        if lam:
            g = g + lam * theta[:, None, :]
        return g

    def d2f(xb: np.ndarray) -> np.ndarray:
        """∇²f per sample (M, m, p, p): ∂²f/∂a_k∂W_kj = x_j."""
        M, m = xb.shape[:2]
        out = np.zeros((M, m, p, p))
        for k in range(rr):
            cols = rr + k * dd + np.arange(dd)
            out[:, :, k, cols] = xb
            out[:, :, cols, k] = xb
        return out

    def sample_hessian(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        a, _W, xb, h, res = parts(theta, idx)
        j = jac(a, xb, h)
        hess = j[..., :, None] * j[..., None, :] + res[..., None, None] * d2f(xb)
        if lam:
            hess = hess + lam * np.eye(p)
        return hess

    def sample_third(theta: np.ndarray, u: np.ndarray, idx: np.ndarray) -> np.ndarray:
        a, _W, xb, h, _res = parts(theta, idx)
        j = jac(a, xb, h)
        ua = u[:, :rr]
        uW = u[:, rr:].reshape(-1, rr, dd)
        # (∇²f u)_a = U_W x, (∇²f u)_W = u_a ⊗ x; uᵀ∇²f u = 2 u_aᵀ U_W x
        hu_a = np.einsum("krd,kmd->kmr", uW, xb)
        hu_w = (ua[:, None, :, None] * xb[:, :, None, :]).reshape(*xb.shape[:2], rr * dd)
        hu = np.concatenate([hu_a, hu_w], axis=-1)
        quad = 2.0 * np.einsum("kr,kmr->km", ua, hu_a)
        ju = np.einsum("kmp,kp->km", j, u)
        return 2.0 * ju[..., None] * hu + quad[..., None] * j

    model = DataModel.from_numpy(
        param_names(dd, rr),
        len(Yc),
        sample_loss,
        sample_grad,
        sample_hessian,
        sample_third=sample_third,
        name=_name(len(Yc), e, dd, rr, lam) + " [numpy]",
        citation=CITATION,
    )
    for key, arr in (("x", X), ("y", Y)):  # the same read-only data record as the sympy model
        arr = np.array(arr, dtype=np.float64)
        arr.setflags(write=False)
        model.data[key] = arr
    return model
