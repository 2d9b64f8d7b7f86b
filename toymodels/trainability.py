"""Trainability maps: the phase of gradient descent over a grid of step sizes × initialisations.

* :func:`phase_diagram` – for every cell (i, j) GD on a :class:`~toymodels.Model` with step size
  ``eta_grid[i]`` from ``init_grid[j]`` for ``steps`` steps, then the phase at the end of the
  run: converged, periodic (with its period), chaotic, diverged (with the step) or unknown, the
  final loss and a Lyapunov exponent. Returns a :class:`PhaseDiagram`.
* :func:`step_size_pairs` – the per-parameter step-size grid of a 2-D (η₁, η₂) map, the
  two-step-size setting of Sohl-Dickstein (2024).

Per cell, θ_{t+1} = θ_t − η ⊙ ∇L(θ_t) (η one number, or with ``per_parameter=True`` one number
per parameter: θ_k ← θ_k − η_k ∂_k L), t = 0 … T − 1 (T = ``steps``), and the end of the run is
classified with the rules of :func:`toymodels.classify` (read there) applied to the same states:

1. **diverged** if some |θ_k| > ``bound`` or is not finite at some step t ≤ T (``diverged_at`` =
   the first such t, counted as in :func:`toymodels.gd`; the state is NaN from then on);
2. otherwise the period of the last W = min(2·``max_period``, T) + 1 states θ_{T−W+1} … θ_T:
   the smallest k ≤ ``max_period`` with |θ_{t+k} − θ_t|_∞ ≤ ``tol``·(1 + max|θ|) over the whole
   window (exactly ``toymodels.cycles._period_from_window``), confirmed as in ``classify`` by
   Newton's method on θ ↦ F^k(θ) − θ from θ_T, which may lower it to the minimal period of
   the cycle found (a slowly converging orbit that passed with a multiple of its period);
   period 1 is **converged**, period k ≥ 2 **periodic**;
3. otherwise the largest Lyapunov exponent λ over the last L = min(``lyapunov_steps``, T)
   steps decides: **chaotic** if λ > ``chaos_threshold``, else **unknown**.

``classify`` on a Model (``classify(model, init, burn_in=T − 2·max_period, max_period, tol,
eta=eta)``) sees the same window; its ``catapult`` kind (converged after a loss spike) and both
``converged_*`` kinds are ``"converged"`` here (period 1; like ``classify``'s kind, this includes
an orbit that sits exactly on an unstable fixed point). Its Lyapunov exponent is measured over
the L steps *after* the window, ours over the last L steps of the run; both decide chaotic vs
unknown only for aperiodic orbits, so the two agree except where the exponent is within its
sampling error of ``chaos_threshold``.

Lyapunov exponent (how it is computed). The tangent vector starts at q = e₁ at step T − L and is
carried by the GD Jacobian, q ← (I − diag(η) ∇²L(θ_t)) q, t = T − L … T − 1; then
λ = (1/L) log‖q‖₂. This is Benettin's estimate of the largest exponent (as in
:func:`toymodels.lyapunov_exponent`, which renormalises q every step); here q is rescaled only
when max|q_k| leaves [2⁻¹⁰⁰, 2¹⁰⁰], by an exact power of two whose exponent is accumulated, so no
logarithm is taken inside the loop and the value equals the product of the step norms up to
rounding. If J q is exactly 0 the fixed generic unit vector of ``lyapunov_exponent`` is used
instead; λ = −∞ if that is annihilated too (a superstable orbit). ``lyapunov`` is NaN where it
is not computed: diverged cells and cells with a period (a period is a stronger answer).

Execution. Cells are processed in chunks of ``chunk`` cells, one task per chunk; the result of a
cell does not depend on the chunk it falls in or on where the chunk runs, so every executor and
chunk size give bit-identical arrays. Backends:

* ``"numba"`` (extra ``fast``; the default for sympy models when numba is installed): one fused
  kernel per model, generated from the sympy gradient, Hessian and loss (printed as
  ``lambdify(..., cse=True)`` prints the numpy twins: same parameter names, same common
  subexpressions, ``math`` functions) and compiled once per model; the generated module is
  written to ``$TOYMODELS_CACHE_DIR/phase_kernels`` (default ``~/.cache/toymodels``) so numba
  caches its machine code on disk (in memory only when that directory is not writable). The
  kernel runs blocks of 16 cells in lock-step (time outside, cells inside, so the compiler keeps
  several cells in flight) with the divergence check inline, the last W states in a per-block
  window, the period search per cell, and, for the aperiodic cells only, a replay of the last L
  steps from the state saved at step T − L carrying the tangent vector (the same operations, so
  the same states). Windows that repeat exactly need no Newton step (it would not move them), so
  their minimal period is read from the window in the kernel; the other periods k ≥ 2 go
  through the numpy Newton confirmation below. Early stop: every 64 + K steps before the window
  the block compares its state with the state K steps earlier (K = the largest of 24, 12, 6,
  4, 2, 1 that is ≤ ``max_period``); when every live cell repeats bit for bit (a floating-point
  fixed point or K-periodic cycle) or has diverged, every later state is known, so the block
  stops without changing any result (such cells have a period ≤ K, so need no exponent).
  ``executor=None`` runs the blocks of a chunk over all cores (Python threads running the
  ``nogil`` kernel on ranges of blocks, not ``prange``: an OpenMP runtime in the parent breaks
  forked workers that use it; dynamic balancing); tasks sent to an executor run the same
  block function on one thread (it releases the GIL). Cells never interact, so the result is
  bit-identical to one thread.
* ``"numpy"`` (any :class:`~toymodels.Model`): the same rules on whole chunks with batched numpy
  (the model's ``grad`` / ``hessian`` / ``loss``; sympy models step by components like
  :func:`toymodels.gd`, so the run is bit-identical to ``gd`` and to ``classify``'s); a chunk
  stops early once all its live cells are fixed bit for bit.

Both backends confirm periods k ≥ 2 with the same numpy Newton iteration (each cell stopping on
its own test, so that no cell depends on its chunk) and compute λ from ‖q‖² and the accumulated
power of two with ``math.log`` per cell. For sympy losses built from + − × / and integer
powers the two backends perform the same floating-point operations and agree bit for bit;
elementary functions (sin, exp, …) come from libm in the kernel and from numpy's ufuncs
otherwise, which may differ in the last bit: periods and outcomes then agree and final losses
agree to 1e-12 on non-chaotic cells, while chaotic cells (and when a chaotic transient escapes)
may differ.

References
----------
J. Sohl-Dickstein, "The boundary of neural network trainability is fractal", arXiv 2402.06184
(2024): trainability over a 2-D grid of the step sizes of the two layers of a network.
G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, Meccanica 15 (1980): the tangent-vector
estimate of the largest Lyapunov exponent.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import keyword
import math
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from . import limits
from ._orbit_common import _check_bool, _check_max_seconds
from ._validate import as_float_array, positive_float, positive_int, real_float, refuse_empty
from .cycles import _confirmed_cycles
from .model import Model, _SympyModel, lower_triangle

__all__ = [
    "OUTCOMES",
    "OUTCOME_CODES",
    "PhaseDiagram",
    "phase_diagram",
    "step_size_pairs",
]

#: the outcome labels, in the order of their codes (``code == OUTCOMES.index(outcome)``)
OUTCOMES: tuple[str, ...] = ("converged", "periodic", "chaotic", "unknown", "diverged")
#: outcome label → small integer code (``PhaseDiagram.code``), for plotting with a colormap
OUTCOME_CODES: dict[str, int] = {name: i for i, name in enumerate(OUTCOMES)}

#: cells per block of the compiled kernel (cells advance in lock-step inside a block)
_BLOCK = 16
#: plain steps between two checks for an exact cycle of a whole block (kernel early stop)
_BURST = 64
#: default cells per chunk (task): compiled kernel / numpy engine
_CHUNK_NUMBA = 16_384
_CHUNK_NUMPY = 4_096
#: Newton iterations of the period confirmation (as ``toymodels.cycles._polish_periods``)
_POLISH_ITERATIONS = 30
#: exact power-of-two rescaling of the tangent vector outside [2^-100, 2^100]
_RESCALE_HI = 2.0**100
_RESCALE_LO = 2.0**-100
#: steps of the probe that estimates the run time (``max_seconds``)
_PROBE_STEPS = 256


# --------------------------------------------------------------------------- result object
@dataclass(frozen=True, eq=False)
class PhaseDiagram:
    """The phase of GD in every cell (i, j) = (step size ``eta_grid[i]``, start ``init_grid[j]``).

    Every per-cell field has shape (E, I) = (len(eta_grid), len(init_grid)).

    Attributes
    ----------
    outcome : str array, one of :data:`OUTCOMES`: ``"converged"`` (period 1), ``"periodic"``
        (period k ≥ 2), ``"chaotic"`` (aperiodic, λ > chaos_threshold), ``"unknown"`` (aperiodic,
        λ ≤ chaos_threshold), ``"diverged"``.
    code : int8 array, :data:`OUTCOME_CODES`: 0 converged, 1 periodic, 2 chaotic, 3 unknown,
        4 diverged.
    period : int64 array, 1 for converged, k ≥ 2 for periodic, 0 otherwise.
    diverged_at : int64 array, the step at which the run left ``bound`` (0 if the start is
        outside it), −1 if it did not.
    loss : float64 array, L(θ_T); +inf for diverged cells (never NaN: a NaN loss at a finite
        final state is also reported as +inf).
    lyapunov : float64 array, the largest Lyapunov exponent over the last ``lyapunov_steps``
        steps (module docstring: tangent vector from e₁, Benettin); NaN where not computed
        (diverged or periodic cells); may be −∞ (superstable).
    eta_grid : (E,) or, with ``per_parameter``, (E, p) step sizes; ``init_grid`` : (I, p) starts.
    steps : T.
    settings : the rules used (max_period, tol, window, lyapunov_steps actually used,
        chaos_threshold, bound, per_parameter, backend, chunk).
    """

    outcome: np.ndarray
    code: np.ndarray
    period: np.ndarray
    diverged_at: np.ndarray
    loss: np.ndarray
    lyapunov: np.ndarray
    eta_grid: np.ndarray = field(repr=False)
    init_grid: np.ndarray = field(repr=False)
    steps: int = 0
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(E, I)."""
        return tuple(self.outcome.shape)  # type: ignore[return-value]

    def counts(self) -> dict[str, int]:
        """Number of cells per outcome (every label of :data:`OUTCOMES`, zeros included)."""
        c = np.bincount(self.code.reshape(-1), minlength=len(OUTCOMES))
        return {name: int(c[i]) for i, name in enumerate(OUTCOMES)}

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items() if v)
        return f"PhaseDiagram(shape={self.shape}, steps={self.steps}, {counts})"


def step_size_pairs(eta_1: Any, eta_2: Any, groups: Any = (0, 1)) -> np.ndarray:
    """Per-parameter step sizes of a 2-D (η₁, η₂) map, for ``phase_diagram(per_parameter=True)``.

    Row r = a·len(eta_2) + b holds η₁ = ``eta_1[a]`` on the parameters of group 0 and
    η₂ = ``eta_2[b]`` on those of group 1; ``groups[k]`` ∈ {0, 1} is the group of parameter k
    (default (0, 1): a model with two parameters, e.g. the two layers of the scalar net
    L(u, v) = (uv − 1)²/2). Any (E, I) field of the result then reshapes to the map with
    ``field.reshape(len(eta_1), len(eta_2), I)``.

    Returns an array of shape (len(eta_1)·len(eta_2), len(groups)).
    """
    e1 = _positive_grid(eta_1, "eta_1")
    e2 = _positive_grid(eta_2, "eta_2")
    g = np.asarray(groups)
    if g.ndim != 1 or g.size == 0 or g.dtype.kind not in "iub" or not np.all((g == 0) | (g == 1)):
        raise ValueError(f"groups must be a non-empty 1-D sequence of 0 and 1, got {groups!r}")
    a, b = np.meshgrid(e1, e2, indexing="ij")
    pairs = np.stack([a.reshape(-1), b.reshape(-1)], axis=-1)
    return np.ascontiguousarray(pairs[:, g.astype(np.int64)])


def _positive_grid(value: Any, name: str) -> np.ndarray:
    arr = as_float_array(value, name)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if np.any(arr <= 0):
        raise ValueError(f"{name}: step sizes must be > 0, got min {float(arr.min())!r}")
    return arr


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class _Rules:
    """What a task needs besides the model and its cells (picklable)."""

    steps: int
    window: int  # W states
    lyap: int  # L steps
    max_period: int
    tol: float
    bound: float
    #: stop a block early once all its cells repeat exactly with a period dividing ``cycle``
    #: (0: never, the time probe; the numpy engine only stops at cycle 1, a frozen chunk)
    cycle: int = 1


# --------------------------------------------------------------------------- numpy engine
def _generic_vector(p: int) -> np.ndarray:
    """The fixed generic unit vector of :func:`toymodels.lyapunov_exponent`."""
    v = np.sqrt(np.arange(1, p + 1) + 0.5) % 1.0 + 0.1
    return v / np.linalg.norm(v)


def _numpy_gradient(model: Model) -> Callable[[list[np.ndarray]], list[Any]]:
    """∇L on a list of p component arrays (component mode for sympy models, as ``gd``)."""
    gc = model._grad_components
    p = model.n_params
    if gc is not None:
        return lambda comps: list(gc(*comps))
    grad = model._grad

    def by_array(comps: list[np.ndarray]) -> list[Any]:
        g = grad(np.stack(comps, axis=-1))
        return [g[:, k] for k in range(p)]

    return by_array


def _tangent_numpy(
    H: np.ndarray, q: list[np.ndarray], e: list[np.ndarray], generic: np.ndarray
) -> list[np.ndarray]:
    """q ← (I − diag(η) H) q, component by component in a fixed order (as the kernel)."""
    p = len(q)

    def apply(v: list[Any]) -> list[np.ndarray]:
        out = []
        for i in range(p):
            hq = H[:, i, 0] * v[0]
            for j in range(1, p):
                hq = hq + H[:, i, j] * v[j]
            out.append(v[i] - e[i] * hq)
        return out

    r = apply(q)
    m = np.abs(r[0])
    for k in range(1, p):
        m = np.maximum(m, np.abs(r[k]))
    lost = m == 0
    if lost.any():
        r2 = apply([np.full(m.shape, generic[k]) for k in range(p)])
        r = [np.where(lost, r2[k], r[k]) for k in range(p)]
    return r


def _rescale(q: list[np.ndarray], qs: np.ndarray) -> list[np.ndarray]:
    """Divide q by an exact power of two where max|q_k| left [2^-100, 2^100]; add it to qs."""
    m = np.abs(q[0])
    for k in range(1, len(q)):
        m = np.maximum(m, np.abs(q[k]))
    need = (m > _RESCALE_HI) | ((m < _RESCALE_LO) & (m > 0))
    if not need.any():
        return q
    ex = np.where(need & np.isfinite(m), np.frexp(np.where(need, m, 1.0))[1], 0)
    qs += ex
    return [np.ldexp(c, -ex) for c in q]


def _norm2(q: np.ndarray) -> np.ndarray:
    """‖q‖₂², summed in the order of the parameters (as the kernel)."""
    s = q[..., 0] * q[..., 0]
    for k in range(1, q.shape[-1]):
        s = s + q[..., k] * q[..., k]
    return s


def _lyap_value(s2: np.ndarray, qs: np.ndarray, L: int) -> np.ndarray:
    """λ = (log √s2 + qs·log 2) / L, with ``math`` per cell (one libm for both engines)."""
    ln2 = math.log(2.0)

    def one(v: float, e: int) -> float:
        if not v > 0:  # 0: the tangent vector was annihilated (−∞); NaN stays NaN
            return -math.inf if v == 0 else math.nan
        return math.log(math.sqrt(v)) + e * ln2

    vals = [one(float(v), int(e)) for v, e in zip(s2, qs, strict=True)]
    return np.array(vals, dtype=np.float64).reshape(np.shape(s2)) / L


def _polish_numpy(
    step: Callable[[np.ndarray, np.ndarray], np.ndarray],
    jac: Callable[[np.ndarray, np.ndarray], np.ndarray],
    last: np.ndarray,
    eta: np.ndarray,
    per: np.ndarray,
    tol: float,
) -> np.ndarray:
    """``classify``'s period confirmation (Newton on F^k(z) − z from the window's last state).

    As ``toymodels.cycles._polish_periods``, except that each member stops on its own
    convergence test, so a member's answer does not depend on the other members of its chunk.
    """
    per = per.copy()
    p = last.shape[-1]
    eye = np.eye(p)
    for k in np.unique(per[per >= 2]):
        k = int(k)
        idx = np.nonzero(per == k)[0]
        z = last[idx].copy()
        e = eta[idx]
        active = np.ones(idx.size, dtype=bool)
        for _ in range(_POLISH_ITERATIONS):
            if not active.any():
                break
            a = np.nonzero(active)[0]
            za, ea = z[a], e[a]
            x = za
            for _ in range(k):
                x = step(x, ea)
            G = x - za
            small = np.max(np.abs(G), axis=-1) <= 1e-14 * (1 + np.max(np.abs(za), axis=-1))
            todo = ~small & np.all(np.isfinite(G), axis=-1)
            dz = np.zeros_like(za)
            if todo.any():
                t = np.nonzero(todo)[0]
                xt, J = za[t], None
                for _ in range(k):
                    Jx = jac(xt, ea[t])
                    J = Jx if J is None else Jx @ J
                    xt = step(xt, ea[t])
                A = J - eye
                ok = np.all(np.isfinite(A), axis=(-2, -1))
                d = np.zeros((t.size, p))
                if ok.any():
                    if p == 1:
                        d[ok] = -G[t[ok]] / A[ok][:, :, 0]
                    else:
                        d[ok] = -np.einsum(
                            "...ij,...j->...i", np.linalg.pinv(A[ok], rcond=1e-6), G[t[ok]]
                        )
                dz[t] = np.where(np.isfinite(d), d, 0.0)
            za = za + dz
            z[a] = za
            done = np.max(np.abs(dz), axis=-1) < 1e-15 * (1 + np.max(np.abs(za), axis=-1))
            active[a[done]] = False
        pts = np.empty((k, *z.shape))
        x = z
        for i in range(k):
            pts[i] = x
            x = step(x, e)
        good, minimal = _confirmed_cycles(pts, x, z, last[idx], k, tol)
        per[idx[good]] = minimal[good]
    return per


def _confirm_periods(
    model: Model, last: np.ndarray, eta: np.ndarray, per: np.ndarray, tol: float
) -> np.ndarray:
    """Periods k ≥ 2 of the window confirmed (possibly lowered) by Newton, as ``classify``."""
    if not np.any(per >= 2):
        return per
    p = model.n_params
    grad = _numpy_gradient(model)

    def step(z: np.ndarray, ez: np.ndarray) -> np.ndarray:
        gz = grad([np.ascontiguousarray(z[:, k]) for k in range(p)])
        return np.stack([z[:, k] - ez[:, k] * gz[k] for k in range(p)], axis=-1)

    def jac(z: np.ndarray, ez: np.ndarray) -> np.ndarray:
        return np.eye(p) - ez[:, :, None] * model._hessian(z)

    with np.errstate(all="ignore"):
        return _polish_numpy(step, jac, last, np.asarray(eta, dtype=np.float64), per, tol)


def _chunk_numpy(model: Model, th0: np.ndarray, eta: np.ndarray, rules: _Rules) -> dict:
    """One chunk with batched numpy: (C, p) starts, (C, p) step sizes → per-cell results."""
    from .cycles import _period_from_window

    C, p = th0.shape
    T, W, L = rules.steps, rules.window, rules.lyap
    bound = rules.bound
    grad = _numpy_gradient(model)
    e = [np.ascontiguousarray(eta[:, k]) for k in range(p)]
    x = [np.array(th0[:, k], dtype=np.float64) for k in range(p)]
    div = np.full(C, -1, dtype=np.int64)
    win = np.empty((W, C, p))
    generic = _generic_vector(p)
    q: list[np.ndarray] = []
    qs = np.zeros(C, dtype=np.int64)
    t_win, t_ly = T - (W - 1), T - L
    t_tail = min(t_win, t_ly)
    with np.errstate(all="ignore"):
        ok = np.ones(C, dtype=bool)
        for c in x:
            ok &= np.abs(c) <= bound
        if not ok.all():
            div[~ok] = 0
            x = [np.where(ok, c, np.nan) for c in x]
        t = 0
        frozen = False
        while t < T:
            if t >= t_win:
                for k in range(p):
                    win[t - t_win, :, k] = x[k]
            if t == t_ly:
                q = [np.full(C, 1.0 if k == 0 else 0.0) for k in range(p)]
            if t >= t_ly:
                H = model._hessian(np.stack(x, axis=-1))
                q = _rescale(_tangent_numpy(H, q, e, generic), qs)
            g = grad(x)
            y = [x[k] - e[k] * g[k] for k in range(p)]
            ok = np.ones(C, dtype=bool)
            for c in y:
                ok &= np.abs(c) <= bound
            new = ~ok & (div < 0)
            div[new] = t + 1
            if t < t_tail and rules.cycle > 0:
                moved = np.zeros(C, dtype=bool)
                for k in range(p):
                    moved |= (y[k] != x[k]) | (np.signbit(y[k]) != np.signbit(x[k]))
                frozen = not np.any(moved & ok)
            x = [np.where(ok, c, np.nan) for c in y]
            t += 1
            if frozen:
                break
        state = np.stack(x, axis=-1)
        if frozen:  # every later state equals this one
            lo = max(t - t_win, 0)
            win[lo:] = state
        else:
            win[W - 1] = state
        alive = div < 0
        per = _period_from_window(win, rules.max_period, rules.tol)
        per = _confirm_periods(model, state, eta, np.where(alive, per, 0), rules.tol)
        lyap = np.full(C, np.nan)
        need = alive & (per == 0) & (L > 0)
        if need.any() and q:
            Q = np.stack(q, axis=-1)
            lyap[need] = _lyap_value(_norm2(Q[need]), qs[need], L)
        loss = np.asarray(model.loss(np.where(alive[:, None], state, 0.0)), dtype=np.float64)
    loss = np.where(alive & ~np.isnan(loss), loss, np.inf)
    return {"period": per, "diverged_at": div, "loss": loss, "lyapunov": lyap}


# --------------------------------------------------------------------------- numba engine
_KERNEL_TEMPLATE = """
import math
import numpy as np
from numba import njit

P = {p}
BK = {bk}
BURST = {burst}
NAN = math.nan
HI = {hi!r}
LO = {lo!r}
GENERIC = np.array({generic!r})


@njit(nogil=True, cache={cache})
def grad_at({args}):
{grad_body}


@njit(nogil=True, cache={cache})
def hess_at({args}):
{hess_body}


@njit(nogil=True, cache={cache})
def loss_at({args}):
{loss_body}


@njit(nogil=True, cache={cache})
def period_of(win, b, W, M, tol):
    # toymodels.cycles._period_from_window for one cell: the smallest k <= M with
    # |w[t + k] - w[t]| <= tol (1 + max|w|) over the whole window
    sc = 0.0
    for t in range(W):
        for d in range(P):
            v = win[t, d, b]
            if not math.isfinite(v):
                return 0
            a = abs(v)
            if a > sc:
                sc = a
    thr = tol * (1.0 + sc)
    for k in range(1, min(M, W - 1) + 1):
        ok = True
        for t in range(W - k):
            for d in range(P):
                if not (abs(win[t + k, d, b] - win[t, d, b]) <= thr):
                    ok = False
                    break
            if not ok:
                break
        if ok:
            return k
    return 0


@njit(nogil=True, cache={cache})
def exact_cycle(win, b, W, k):
    # True if the window repeats with period k exactly: then Newton on F^k(z) - z from the last
    # state (toymodels.cycles._polish_periods) does not move it, G = 0
    for t in range(W - k):
        for d in range(P):
            if win[t + k, d, b] != win[t, d, b]:
                return False
    return True


@njit(nogil=True, cache={cache})
def minimal_period(win, b, W, k, tol):
    # the rest of _polish_periods for an exact cycle: the orbit of the last state is
    # pts[i] = win[W - 1 - k + i]; the smallest divisor d of k with |pts[i + d] - pts[i]| <=
    # max(tol, 1e-9) (1 + max|pts|) is the minimal period
    sc = 0.0
    for i in range(k):
        for d in range(P):
            sc = max(sc, abs(win[W - 1 - k + i, d, b]))
    thr = max(tol, 1e-9) * (1.0 + sc)
    minimal = k
    for dd in range(k - 1, 0, -1):
        if k % dd:
            continue
        same = True
        for i in range(k - dd):
            for d in range(P):
                if not (abs(win[W - 1 - k + i + dd, d, b] - win[W - 1 - k + i, d, b]) <= thr):
                    same = False
        if same:
            minimal = dd
    return minimal


@njit(nogil=True, cache={cache})
def block(
    th0, eta, c0, T, W, L, M, tol, bound, cycle,
    fin, per_out, exact_out, div_out, loss_out, lyap_out, qs_out
):
    X = np.empty((P, BK))
    E = np.empty((P, BK))
    Q = np.zeros((P, BK))
    QS = np.zeros(BK, dtype=np.int64)
    div = np.full(BK, -1, dtype=np.int64)
    win = np.empty((W, P, BK))
    for b in range(BK):
        ok0 = True
        for k in range(P):
            X[k, b] = th0[c0 + b, k]
            E[k, b] = eta[c0 + b, k]
            if not (abs(X[k, b]) <= bound):
                ok0 = False
        if not ok0:
            div[b] = 0
            for k in range(P):
                X[k, b] = NAN
    t_win = T - (W - 1)
    t_ly = T - L
    save = np.empty((P, BK))
    t = 0
    frozen = False
    # early stop: ring[s % K] = state at step s over the K steps before each check (every
    # BURST + K steps, before the window); once every live cell has state(t) == state(t - K) bit
    # for bit, state(s) = ring[s % K] for every later s (the map is deterministic)
    K = max(cycle, 1)
    ring = np.empty((K, P, BK))
    check = BURST + K if cycle > 0 else T + 1
    while t < T:
        if t == check:
            check += BURST + K
            slot = t % K
            same = True
            for b in range(BK):
                if div[b] >= 0:
                    continue
                for k in range(P):
                    x = X[k, b]
                    r = ring[slot, k, b]
                    if x != r or math.copysign(1.0, x) != math.copysign(1.0, r):
                        same = False
            if same and t <= t_win:
                frozen = True
                break
        if t == t_ly:
            for k in range(P):
                for b in range(BK):
                    save[k, b] = X[k, b]
        if t >= t_win:
            for k in range(P):
                for b in range(BK):
                    win[t - t_win, k, b] = X[k, b]
        elif t >= check - K:
            slot = t % K
            for k in range(P):
                for b in range(BK):
                    ring[slot, k, b] = X[k, b]
        for b in range(BK):
{plain_step}
        t += 1
    if frozen:
        for r in range(W):
            s = (t_win + r) % K
            for k in range(P):
                for b in range(BK):
                    win[r, k, b] = ring[s, k, b]
        s = T % K
        for k in range(P):
            for b in range(BK):
                X[k, b] = ring[s, k, b]
    else:
        for k in range(P):
            for b in range(BK):
                win[W - 1, k, b] = X[k, b]
    last = np.empty(P)
    need = np.zeros(BK, dtype=np.int64)
    nn = 0
    for b in range(BK):
        c = c0 + b
        div_out[c] = div[b]
        lyap_out[c] = NAN
        exact_out[c] = 0
        for k in range(P):
            last[k] = X[k, b]
            fin[c, k] = X[k, b]
        if div[b] >= 0:
            per_out[c] = 0
            loss_out[c] = math.inf
            continue
        per = period_of(win, b, W, M, tol)
        if per >= 2 and exact_cycle(win, b, W, per):
            per = minimal_period(win, b, W, per, tol)
            exact_out[c] = 1
        per_out[c] = per
        if per == 0 and L > 0:
            need[nn] = b
            nn += 1
        v = loss_at({last_args})
        loss_out[c] = math.inf if math.isnan(v) else v
    if nn == 0:
        return
    # aperiodic cells: replay their last L steps from the saved state (the same operations, so
    # the same states) carrying the tangent vector q <- (I - diag(eta) H) q from e1
    XS = np.empty((P, nn))
    QQ = np.zeros((P, nn))
    QSS = np.zeros(nn, dtype=np.int64)
    for j in range(nn):
        QQ[0, j] = 1.0
        for k in range(P):
            XS[k, j] = save[k, need[j]]
    for _t in range(L):
        for j in range(nn):
            b = need[j]
{tangent_step}
    for j in range(nn):
        s2 = 0.0
        for k in range(P):
            s2 += QQ[k, j] * QQ[k, j]
        lyap_out[c0 + need[j]] = s2
        qs_out[c0 + need[j]] = QSS[j]


@njit(nogil=True, cache={cache})
def run_serial(
    th0, eta, T, W, L, M, tol, bound, cycle,
    fin, per_out, exact_out, div_out, loss_out, lyap_out, qs_out
):
    for blk in range(th0.shape[0] // BK):
        block(th0, eta, blk * BK, T, W, L, M, tol, bound, cycle,
              fin, per_out, exact_out, div_out, loss_out, lyap_out, qs_out)


@njit(nogil=True, cache={cache})
def run_range(
    th0, eta, T, W, L, M, tol, bound, cycle,
    fin, per_out, exact_out, div_out, loss_out, lyap_out, qs_out, b0, b1
):
    for blk in range(b0, b1):
        block(th0, eta, blk * BK, T, W, L, M, tol, bound, cycle,
              fin, per_out, exact_out, div_out, loss_out, lyap_out, qs_out)
"""


def _indent(lines: list[str], n: int) -> str:
    return "\n".join(" " * n + ln for ln in lines)


def _kernel_source(model: _SympyModel, cache: bool) -> str:
    """The kernel module's source for ``model`` (gradient / Hessian / loss printed by the
    :class:`toymodels._numba._Printer`, each with its own common subexpressions, like the
    lambdified numpy twins, so the GD step performs the same operations as ``gd``)."""
    from ._numba import _Printer

    p = model.n_params
    xs = [f"x{i}" for i in range(p)]
    # the model functions keep the parameter names and sympy's default CSE symbols, as
    # lambdify(..., cse=True) does for the numpy twins: the printed products and sums then have
    # the same order, hence the same rounding (parameters whose names cannot be Python
    # arguments here are renamed, which may only change that order)
    names = [s_.name for s_ in model.symbols]
    if not all(n.isidentifier() and not keyword.iskeyword(n) and n != "math" for n in names):
        names = [f"p{i}_" for i in range(p)]
    syms = [sp.Symbol(n, real=True) for n in names]
    sub = dict(zip(model.symbols, syms, strict=True))
    pr = _Printer({"fully_qualified_modules": True})

    def body(exprs: list[sp.Expr], single: bool = False) -> str:
        repl, reduced = sp.cse([ex.xreplace(sub) for ex in exprs])
        lines = [f"{s_} = {pr.doprint(ex)}" for s_, ex in repl]
        vals = [pr.doprint(ex) for ex in reduced]
        ret = vals[0] if single else "(" + "".join(v + ", " for v in vals) + ")"
        return _indent([*lines, f"return {ret}"], 4)

    args = ", ".join(names)
    grad_body = body(list(model.grad_expr))
    hess_body = body(lower_triangle(model.hessian_expr))
    loss_body = body([model.expr], single=True)
    grad = ["(" + "".join(f"g{i}, " for i in range(p)) + f") = grad_at({', '.join(xs)})"]
    hess_pairs = [(i, j) for i in range(p) for j in range(i + 1)]
    hess = ["(" + "".join(f"h{i}_{j}, " for i, j in hess_pairs) + f") = hess_at({', '.join(xs)})"]

    def h(i: int, j: int) -> str:
        return f"h{i}_{j}" if j <= i else f"h{j}_{i}"

    load = [f"{x} = X[{i}, b]" for i, x in enumerate(xs)]
    update = [f"y{i} = {x} - E[{i}, b] * g{i}" for i, x in enumerate(xs)]
    ok = " & ".join(f"(abs(y{i}) <= bound)" for i in range(p))
    check = [
        f"ok = {ok}",
        "if not ok:",
        "    if div[b] < 0:",
        "        div[b] = t + 1",
    ]
    check += [f"    y{i} = NAN" for i in range(p)]
    store = [f"X[{i}, b] = y{i}" for i in range(p)]
    plain = load + grad + update + check + store
    load_j = [f"{x} = XS[{i}, j]" for i, x in enumerate(xs)]
    tang = load_j + hess + [f"q{i} = QQ[{i}, j]" for i in range(p)]
    for i in range(p):
        hq = " + ".join(f"{h(i, j)} * q{j}" for j in range(p))
        tang.append(f"r{i} = q{i} - E[{i}, b] * ({hq})")
    mx = "max(" + ", ".join(f"abs(r{i})" for i in range(p)) + ")" if p > 1 else "abs(r0)"
    tang.append(f"m = {mx}")
    tang.append("if m == 0.0:")
    for i in range(p):
        hq = " + ".join(f"{h(i, j)} * GENERIC[{j}]" for j in range(p))
        tang.append(f"    r{i} = GENERIC[{i}] - E[{i}, b] * ({hq})")
    tang.append(f"    m = {mx}")
    tang += [
        "if (m > HI or (m < LO and m > 0.0)) and math.isfinite(m):",
        "    ex = math.frexp(m)[1]",
        "    QSS[j] += ex",
    ]
    tang += [f"    r{i} = math.ldexp(r{i}, -ex)" for i in range(p)]
    tang += [f"QQ[{i}, j] = r{i}" for i in range(p)]
    tang += grad + update + [f"XS[{i}, j] = y{i}" for i in range(p)]

    return _KERNEL_TEMPLATE.format(
        p=p,
        bk=_BLOCK,
        hi=_RESCALE_HI,
        lo=_RESCALE_LO,
        generic=[float(v) for v in _generic_vector(p)],
        cache=cache,
        args=args,
        grad_body=grad_body,
        hess_body=hess_body,
        loss_body=loss_body,
        last_args=", ".join(f"last[{i}]" for i in range(p)),
        burst=_BURST,
        plain_step=_indent(plain, 12),
        tangent_step=_indent(tang, 12),
    )


_KERNELS: dict[str, Any] = {}
_KERNEL_LOCK = threading.Lock()


def _model_key(model: _SympyModel) -> str:
    key = getattr(model, "_phase_key", None)
    if key is None:
        text = sp.srepr(model.expr) + "|" + ",".join(model.params)
        key = hashlib.sha256(text.encode()).hexdigest()[:32]
        model._phase_key = key  # type: ignore[attr-defined]
    return key


def _kernel(model: _SympyModel) -> Any:
    """The compiled kernel module of ``model`` (one per expression and process)."""
    key = _model_key(model)
    mod = _KERNELS.get(key)
    if mod is not None:
        return mod
    with _KERNEL_LOCK:
        mod = _KERNELS.get(key)
        if mod is None:
            mod = _build_kernel(model, key)
            _KERNELS[key] = mod
    return mod


def _cache_dir() -> str | None:
    """Where kernel modules are written so numba can cache their machine code on disk:
    ``$TOYMODELS_CACHE_DIR/phase_kernels`` or ``~/.cache/toymodels/phase_kernels``; None when
    it cannot be created or written (the kernel is then compiled in memory, every process)."""
    root = os.environ.get("TOYMODELS_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "toymodels"
    )
    path = os.path.join(root, "phase_kernels")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def _build_kernel(model: _SympyModel, key: str) -> Any:
    """Generate, write and import the kernel module (numba ``cache=True`` when it is a file)."""
    import importlib.util
    import types

    where = _cache_dir()
    if where is not None:
        src = _kernel_source(model, cache=True)
        digest = hashlib.sha256(src.encode()).hexdigest()[:24]
        name = f"toymodels_phase_kernel_{digest}"
        path = os.path.join(where, name + ".py")
        try:
            if not os.path.exists(path):
                tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.write(src)
                os.replace(tmp, path)
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is not None and spec.loader is not None:
                mod = importlib.util.module_from_spec(spec)
                # numba's disk cache re-imports the module by name when it loads machine code
                sys.modules[name] = mod
                try:
                    spec.loader.exec_module(mod)
                except BaseException:
                    sys.modules.pop(name, None)
                    raise
                mod.source = src  # type: ignore[attr-defined]
                return mod
        except OSError:
            pass
    src = _kernel_source(model, cache=False)
    mod = types.ModuleType(f"toymodels_phase_kernel_{key}")
    exec(compile(src, f"<toymodels phase kernel: {model.name}>", "exec"), mod.__dict__)
    mod.source = src  # type: ignore[attr-defined]
    return mod


def _chunk_numba(
    model: _SympyModel, th0: np.ndarray, eta: np.ndarray, rules: _Rules, parallel: bool
) -> dict:
    """One chunk with the compiled kernel (cells padded to whole blocks with the last cell)."""
    kern = _kernel(model)
    C = th0.shape[0]
    n = -(-C // _BLOCK) * _BLOCK
    if n != C:
        pad = np.repeat(np.arange(C - 1, C), n - C)
        th0 = np.concatenate([th0, th0[pad]])
        eta = np.concatenate([eta, eta[pad]])
    th0 = np.ascontiguousarray(th0, dtype=np.float64)
    eta = np.ascontiguousarray(eta, dtype=np.float64)
    fin = np.empty((n, th0.shape[1]))
    per = np.empty(n, dtype=np.int64)
    exact = np.empty(n, dtype=np.int8)
    div = np.empty(n, dtype=np.int64)
    loss = np.empty(n)
    lyap = np.empty(n)
    qs = np.zeros(n, dtype=np.int64)
    args = (
        th0,
        eta,
        rules.steps,
        rules.window,
        rules.lyap,
        rules.max_period,
        rules.tol,
        rules.bound,
        rules.cycle,
        fin,
        per,
        exact,
        div,
        loss,
        lyap,
        qs,
    )
    if parallel and _threads() > 1:
        _run_threaded(kern, args, th0.shape[0] // _BLOCK)
    else:
        kern.run_serial(*args)
    # the kernel leaves ‖q‖² and the power-of-two exponent of aperiodic cells
    lyap = lyap[:C]
    known = ~np.isnan(lyap)
    if known.any():
        lyap[known] = _lyap_value(lyap[known], qs[:C][known], rules.lyap)
    # windows that repeat exactly were confirmed in the kernel; Newton for the others
    per = per[:C]
    todo = (per >= 2) & (exact[:C] == 0)
    if todo.any():
        per[todo] = _confirm_periods(model, fin[:C][todo], eta[:C][todo], per[todo], rules.tol)
    return {"period": per, "diverged_at": div[:C], "loss": loss[:C], "lyapunov": lyap}


# --------------------------------------------------------------------------- tasks
def _task(model: Model, backend: str, th0: np.ndarray, eta: np.ndarray, rules: _Rules) -> dict:
    """One chunk, in whatever thread or process the executor runs it (single-threaded)."""
    if backend == "numba":
        return _chunk_numba(model, th0, eta, rules, parallel=False)  # type: ignore[arg-type]
    return _chunk_numpy(model, th0, eta, rules)


def _cells(
    eta_rows: np.ndarray, init_grid: np.ndarray, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and step sizes of the flat cells lo … hi − 1 (cell c = i·I + j)."""
    n_init = init_grid.shape[0]
    c = np.arange(lo, hi)
    return (
        np.ascontiguousarray(init_grid[c % n_init]),
        np.ascontiguousarray(eta_rows[c // n_init]),
    )


def _merge(out: dict[str, np.ndarray], lo: int, res: dict) -> None:
    hi = lo + len(res["period"])
    for key, val in res.items():
        out[key][lo:hi] = val


def _check_picklable(model: Model, executor: cf.Executor) -> None:
    """Process-based executors pickle each task: refuse a model that cannot travel."""
    if isinstance(executor, cf.ThreadPoolExecutor):
        return
    try:
        pickle.dumps(model)
        return
    except Exception as exc:  # any pickling failure (lambdas, closures, open handles)
        err: Exception = exc
    if not isinstance(executor, cf.ProcessPoolExecutor):
        try:  # dask and other cluster executors serialise with cloudpickle
            import cloudpickle

            cloudpickle.dumps(model)
            return
        except Exception as exc:  # report the first failure below
            err = exc
    raise TypeError(
        f"executor: {type(executor).__name__} runs tasks in other processes and this model "
        f"({model.name!r}, {type(model).__name__}) cannot be pickled "
        f"({type(err).__name__}: {err}). Use executor=None or a ThreadPoolExecutor, or build "
        "the model with Model.from_sympy (sympy models pickle)"
    ) from err


def _threads() -> int:
    """Threads for ``executor=None``: numba's thread count, read without starting numba's
    threading layer (an OpenMP runtime in the parent breaks forked workers that use it)."""
    import numba

    return max(1, int(numba.config.NUMBA_NUM_THREADS))


def _run_threaded(kern: Any, args: tuple, n_blocks: int) -> None:
    """Blocks of a chunk over Python threads running the ``nogil`` kernel on ranges of blocks
    taken in turn (:func:`toymodels._numba.run_tasks`; dynamic balancing: block costs differ a
    lot). Cells never interact, so the result equals one thread bit for bit."""
    from ._numba import run_tasks

    workers = min(_threads(), n_blocks)
    step = max(1, min(8, n_blocks // (4 * workers)))
    ranges = ((b0, min(b0 + step, n_blocks)) for b0 in range(0, n_blocks, step))
    run_tasks(lambda r: kern.run_range(*args, r[0], r[1]), ranges, workers)


def _workers(executor: cf.Executor | None, backend: str) -> int:
    """Tasks that run at once, for the time estimate (1 when the executor does not say)."""
    if executor is None:
        if backend == "numba":
            return _threads()
        return 1
    n = getattr(executor, "_max_workers", None)
    return n if isinstance(n, int) and n > 0 else 1


def _check_executor(executor: Any) -> cf.Executor | None:
    if executor is None or isinstance(executor, cf.Executor):
        return executor
    raise TypeError(
        "executor must be None or a concurrent.futures.Executor (a ProcessPoolExecutor, a "
        "ThreadPoolExecutor, dask.distributed's Client.get_executor(), ...), got "
        f"{type(executor).__name__}"
    )


def _check_grids(
    model: Model, eta_grid: Any, init_grid: Any, per_parameter: bool
) -> tuple[np.ndarray, np.ndarray]:
    p = model.n_params
    eta = as_float_array(eta_grid, "eta_grid")
    refuse_empty(eta, "eta_grid")
    if per_parameter:
        if eta.ndim != 2 or eta.shape[1] != p:
            raise ValueError(
                f"eta_grid must have shape (E, {p}) with per_parameter=True (one step size per "
                f"parameter {model.params}), got shape {eta.shape}"
            )
    elif eta.ndim != 1:
        raise ValueError(
            f"eta_grid must be a 1-D array of E step sizes, got shape {eta.shape} (pass "
            "per_parameter=True for an (E, p) grid of per-parameter step sizes)"
        )
    if np.any(eta <= 0):
        raise ValueError(f"eta_grid: step sizes must be > 0, got min {float(eta.min())!r}")
    init = as_float_array(init_grid, "init_grid")
    if init.ndim == 1 and p == 1:
        init = init[:, None]
    if init.ndim != 2 or init.shape[1] != p:
        raise ValueError(
            f"init_grid must have shape (I, {p}) for params {model.params}"
            + (" (or (I,) for one parameter)" if p == 1 else "")
            + f", got shape {init.shape}"
        )
    refuse_empty(init, "init_grid")
    return np.array(eta), np.ascontiguousarray(init)


def _resolve_backend(backend: Any, model: Model) -> str:
    if not isinstance(backend, str) or backend not in ("auto", "numba", "numpy"):
        raise ValueError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
    from . import _numba

    symbolic = type(model) is _SympyModel
    if backend == "numba":
        if not symbolic:
            raise ValueError(
                "backend='numba' needs a symbolic model (Model.from_sympy without data=); "
                "use backend='numpy' or 'auto'"
            )
        if not _numba.available():
            raise ValueError("backend='numba' needs numba: pip install 'eos-toymodels[fast]'")
        return "numba"
    if backend == "auto" and symbolic and _numba.available():
        return "numba"
    return "numpy"


def _warm_up(model: _SympyModel, rules: _Rules, strict: bool, parallel: bool) -> bool:
    """Compile (or load from the disk cache) the kernel now, in this process: the one-thread
    driver (tasks, the time probe) and, for ``executor=None``, the parallel one. False if the
    model cannot be compiled (an expression the printer or numba does not handle)."""
    th = np.zeros((1, model.n_params)) + 0.5
    small = _Rules(1, 2, 1, 1, rules.tol, rules.bound, 1)
    try:
        _chunk_numba(model, th, np.full_like(th, 1e-3), small, parallel=False)
        if parallel:
            _chunk_numba(model, th, np.full_like(th, 1e-3), small, parallel=True)
    except Exception as exc:  # the printer or numba cannot handle this expression
        if strict:
            raise ValueError(
                f"backend='numba' cannot compile this model ({type(exc).__name__}: {exc}); use "
                "backend='numpy'"
            ) from exc
        return False
    return True


def _memory_check(
    n_cells: int, chunk: int, p: int, W: int, backend: str, inflight: int, threads: int
) -> None:
    """Refuse up front when the result arrays or the chunks in flight exceed the budget."""
    result = 8.0 * n_cells * 5 + 4.0 * 9 * n_cells + 1.0 * n_cells
    io = 8.0 * chunk * (2 * p + 4) * 2
    if backend == "numba":
        work = io + 8.0 * _BLOCK * (W * p + 3 * p + 3) * threads
    else:
        work = io + 8.0 * chunk * (W * p + 3 * p * p + 12 * p + 8)
    per_chunk = [("one chunk's working arrays", work)]
    limits.check_memory(
        f"chunk={chunk} (cells per task, window of {W} states × {p} parameters)",
        per_chunk,
        "Lower chunk (or max_period, which sets the window).",
    )
    limits.check_memory(
        f"the grid of {n_cells} cells ({inflight} chunks of {chunk} cells in flight)",
        [("result arrays", result), ("chunks in flight", work * inflight)],
        "Split eta_grid or init_grid into several calls, or lower chunk.",
    )


def phase_diagram(
    model: Model,
    eta_grid: Any,
    init_grid: Any,
    steps: int,
    executor: cf.Executor | None = None,
    chunk: int | None = None,
    *,
    per_parameter: bool = False,
    max_period: int = 64,
    tol: float = 1e-8,
    lyapunov_steps: int = 1000,
    chaos_threshold: float = 0.01,
    bound: float = 1e10,
    backend: str = "auto",
    progress: bool = False,
    max_seconds: float | None = 3600.0,
) -> PhaseDiagram:
    """The phase of GD in every cell of a step-size × initialisation grid (a trainability map).

    Cell (i, j) runs θ_{t+1} = θ_t − η ⊙ ∇L(θ_t) for ``steps`` steps from ``init_grid[j]`` with
    η = ``eta_grid[i]`` and classifies the end of the run with the rules of
    :func:`toymodels.classify` (module docstring: diverged → period of the last
    2·max_period + 1 states, confirmed by Newton → chaotic / unknown by the largest Lyapunov
    exponent over the last ``lyapunov_steps`` steps).

    Parameters
    ----------
    model : a :class:`~toymodels.Model` (sympy models use the compiled kernel; any model with
        loss / grad / hessian runs with numpy).
    eta_grid : (E,) step sizes > 0; with ``per_parameter=True`` an (E, p) array, one step size
        per parameter (θ_k ← θ_k − η_k ∂_k L). A 2-D (η₁, η₂) map: ``step_size_pairs``.
    init_grid : (I, p) initialisations ((I,) when p = 1), finite.
    steps : T ≥ 0 GD steps per cell.
    executor : None (in-process: the kernel's blocks over all cores with numba; with numpy a
        local process pool when the model pickles and the job is estimated above 2 s, else
        in-process), or any ``concurrent.futures.Executor`` (``ProcessPoolExecutor``,
        ``ThreadPoolExecutor``, ``dask.distributed.Client.get_executor()``), which runs one task
        per chunk; at most 2 × its workers + 1 chunks are in flight. Process-based executors
        need a picklable model (sympy models pickle; a TypeError naming ``executor`` otherwise).
    chunk : cells per task (None: 16,384 with numba, 4,096 with numpy, smaller so that an
        executor gets at least 4 tasks per worker). Results do not depend on it.
    per_parameter : see ``eta_grid``.
    max_period, tol : the period search (as :func:`toymodels.period`); the window holds
        min(2·max_period, steps) + 1 states.
    lyapunov_steps : L; the exponent uses the last min(L, steps) steps.
    chaos_threshold : aperiodic cells with λ > it are chaotic, the others unknown.
    bound : a cell diverges when some |θ_k| exceeds it or is not finite.
    backend : ``"auto"`` (numba for sympy models when installed and compilable, else numpy),
        ``"numba"`` or ``"numpy"``.
    progress : show a tqdm bar over cells (updated per chunk).
    max_seconds : None, or a limit: a timed probe (a few cells, ≤ 256 steps, no early stop)
        estimates the run, cells × steps × time per cell-step ÷ workers (an upper bound: blocks
        that stop early cost less); over the limit a ValueError names ``max_seconds`` before
        any work; the run is also stopped (ValueError) once the limit has passed.

    Returns
    -------
    PhaseDiagram with ``outcome``, ``code``, ``period``, ``diverged_at``, ``loss``,
    ``lyapunov`` of shape (E, I).

    Raises
    ------
    ValueError / TypeError naming the parameter: ``model`` not a Model; ``eta_grid`` empty,
    not finite, ≤ 0, or of the wrong shape; ``init_grid`` of the wrong shape, empty or not
    finite; ``steps`` < 0; ``executor`` not an Executor (or a process executor with a model
    that does not pickle); ``chunk``, ``max_period``, ``lyapunov_steps`` < 1; ``tol``,
    ``bound`` ≤ 0; ``backend`` unknown or unusable; ``chunk`` / the grid over the memory budget
    (:mod:`toymodels.limits`); ``max_seconds`` too small for the estimated run.

    Examples
    --------
    >>> m = tm.Model.from_sympy("(u*v - 1)**2/2", ["u", "v"])
    >>> pd = tm.phase_diagram(m, np.linspace(0.05, 1.5, 200), [[2.0, 0.3], [0.5, 1.0]], 2000)
    >>> pd.outcome.shape
    (200, 2)
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    per_parameter = _check_bool(per_parameter, "per_parameter")
    eta, init = _check_grids(model, eta_grid, init_grid, per_parameter)
    steps = positive_int(steps, "steps", allow_zero=True)
    executor = _check_executor(executor)
    if chunk is not None:
        chunk = positive_int(chunk, "chunk")
    max_period = positive_int(max_period, "max_period")
    tol = positive_float(tol, "tol")
    lyapunov_steps = positive_int(lyapunov_steps, "lyapunov_steps")
    chaos_threshold = float(real_float(chaos_threshold, "chaos_threshold"))
    bound = positive_float(bound, "bound")
    progress = _check_bool(progress, "progress")
    max_seconds = _check_max_seconds(max_seconds)
    engine = _resolve_backend(backend, model)
    if executor is not None:
        _check_picklable(model, executor)

    p = model.n_params
    E, I = eta.shape[0], init.shape[0]
    n_cells = E * I
    W = min(2 * max_period, steps) + 1
    L = min(lyapunov_steps, steps)
    rules = _Rules(steps, W, L, max_period, tol, bound, _cycle_for(max_period))
    strict = backend == "numba"
    if engine == "numba" and not _warm_up(model, rules, strict, parallel=executor is None):
        engine = "numpy"
    workers = _workers(executor, engine)
    if chunk is None:
        chunk = _CHUNK_NUMBA if engine == "numba" else _CHUNK_NUMPY
        if engine == "numpy":
            chunk = max(1, min(chunk, 2**25 // (8 * W * p)))
        if executor is not None:
            chunk = max(_BLOCK, min(chunk, -(-n_cells // (4 * workers))))
    chunk = min(chunk, n_cells)
    inflight = 1 if executor is None else 2 * workers + 1
    threads = _workers(None, engine)
    _memory_check(n_cells, chunk, p, W, engine, inflight, threads)
    eta_rows = eta if per_parameter else np.repeat(eta[:, None], p, axis=1)
    eta_rows = np.ascontiguousarray(eta_rows, dtype=np.float64)

    estimate = None
    if max_seconds is not None or (executor is None and engine == "numpy"):
        estimate = _probe(model, engine, eta_rows, init, rules, chunk, n_cells)
        if max_seconds is not None and estimate / workers > max_seconds:
            raise ValueError(
                f"max_seconds={max_seconds:g} is too small for this call: {n_cells} cells × "
                f"{steps} steps are estimated at up to {estimate / workers:.3g} s on {workers} "
                f"worker(s) (a timed probe; blocks that stop early cost less); lower steps, "
                f"split the grid, pass an executor with more workers, or raise max_seconds "
                f"(None disables the check)"
            )
    bounds = [(lo, min(lo + chunk, n_cells)) for lo in range(0, n_cells, chunk)]
    out = {
        "period": np.empty(n_cells, dtype=np.int64),
        "diverged_at": np.empty(n_cells, dtype=np.int64),
        "loss": np.empty(n_cells),
        "lyapunov": np.empty(n_cells),
    }
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_cells, desc="phase diagram", unit="cell", leave=False)

    def account(lo: int, res: dict) -> None:
        _merge(out, lo, res)
        if bar is not None:
            bar.update(len(res["period"]))
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            raise ValueError(
                f"max_seconds={max_seconds:g} ran out after {time.perf_counter() - t0:.3g} s "
                "(the probe's estimate was too low); raise max_seconds or split the grid"
            )

    try:
        if executor is not None:
            _dispatch(executor, model, engine, eta_rows, init, rules, bounds, inflight, account)
        elif engine == "numba":
            for lo, hi in bounds:
                th, et = _cells(eta_rows, init, lo, hi)
                account(lo, _chunk_numba(model, th, et, rules, parallel=True))  # type: ignore[arg-type]
        elif _local_pool_worth_it(model, estimate, len(bounds)):
            workers_local = os.cpu_count() or 1
            with cf.ProcessPoolExecutor(max_workers=workers_local) as pool:
                _dispatch(
                    pool,
                    model,
                    engine,
                    eta_rows,
                    init,
                    rules,
                    bounds,
                    2 * workers_local + 1,
                    account,
                )
        else:
            for lo, hi in bounds:
                th, et = _cells(eta_rows, init, lo, hi)
                account(lo, _task(model, engine, th, et, rules))
    finally:
        if bar is not None:
            bar.close()
    return _assemble(
        out,
        eta,
        init,
        steps,
        E,
        I,
        chaos_threshold,
        {
            "per_parameter": per_parameter,
            "max_period": max_period,
            "tol": tol,
            "window": W,
            "lyapunov_steps": L,
            "chaos_threshold": chaos_threshold,
            "bound": bound,
            "backend": engine,
            "chunk": chunk,
        },
    )


def _cycle_for(max_period: int) -> int:
    """The early-stop period K of the kernel: the largest of 24, 12, 6, 4, 2, 1 that is
    ≤ max_period (an exact K-cycle must be found by the window's period search)."""
    return next(k for k in (24, 12, 6, 4, 2, 1) if k <= max_period)


def _local_pool_worth_it(model: Model, estimate: float | None, n_chunks: int) -> bool:
    """A local process pool for the numpy engine: several cores, several chunks, a job the
    probe estimates above 2 s, and a model that pickles."""
    if (os.cpu_count() or 1) < 2 or n_chunks < 2 or estimate is None or estimate < 2.0:
        return False
    try:
        pickle.dumps(model)
    except Exception:  # not picklable: run in-process
        return False
    return True


def _probe(
    model: Model,
    engine: str,
    eta_rows: np.ndarray,
    init: np.ndarray,
    rules: _Rules,
    chunk: int,
    n_cells: int,
) -> float:
    """Estimated single-worker seconds for the whole grid, from a timed short run (no early
    stop) on cells spread over the grid: numba 64 cells × ≤ 256 steps, numpy one chunk × ≤ 32
    steps (its cost per step is mostly per call)."""
    n = min(n_cells, 4 * _BLOCK if engine == "numba" else chunk)
    s = min(rules.steps, _PROBE_STEPS if engine == "numba" else 32)
    cells = np.unique(np.linspace(0, n_cells - 1, n).astype(np.int64))
    n_init = init.shape[0]
    th = np.ascontiguousarray(init[cells % n_init])
    et = np.ascontiguousarray(eta_rows[cells // n_init])
    probe_rules = _Rules(
        s,
        min(rules.window, s + 1),
        min(rules.lyap, s),
        rules.max_period,
        rules.tol,
        rules.bound,
        cycle=0,
    )
    t0 = time.perf_counter()
    _task(model, engine, th, et, probe_rules)
    dt = time.perf_counter() - t0
    return dt * (n_cells / len(cells)) * (max(rules.steps, 1) / max(s, 1))


def _dispatch(
    executor: cf.Executor,
    model: Model,
    engine: str,
    eta_rows: np.ndarray,
    init: np.ndarray,
    rules: _Rules,
    bounds: list[tuple[int, int]],
    inflight: int,
    account: Callable[[int, dict], None],
) -> None:
    """Submit one task per chunk, at most ``inflight`` at a time; merge results as they come."""
    todo: Iterator[tuple[int, int]] = iter(bounds)
    pending: dict[cf.Future, int] = {}

    def submit() -> bool:
        nxt = next(todo, None)
        if nxt is None:
            return False
        th, et = _cells(eta_rows, init, *nxt)
        pending[executor.submit(_task, model, engine, th, et, rules)] = nxt[0]
        return True

    try:
        while len(pending) < inflight and submit():
            pass
        while pending:
            done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            for fut in done:
                lo = pending.pop(fut)
                account(lo, fut.result())
                submit()
    finally:
        for fut in pending:
            fut.cancel()


def _assemble(
    out: dict[str, np.ndarray],
    eta: np.ndarray,
    init: np.ndarray,
    steps: int,
    E: int,
    I: int,
    chaos_threshold: float,
    settings: dict[str, Any],
) -> PhaseDiagram:
    per, div, lyap = out["period"], out["diverged_at"], out["lyapunov"]
    code = np.where(
        div >= 0,
        OUTCOME_CODES["diverged"],
        np.where(
            per == 1,
            OUTCOME_CODES["converged"],
            np.where(
                per >= 2,
                OUTCOME_CODES["periodic"],
                np.where(
                    lyap > chaos_threshold, OUTCOME_CODES["chaotic"], OUTCOME_CODES["unknown"]
                ),
            ),
        ),
    ).astype(np.int8)
    outcome = np.array(OUTCOMES)[code]
    shape = (E, I)
    return PhaseDiagram(
        outcome=outcome.reshape(shape),
        code=code.reshape(shape),
        period=per.reshape(shape),
        diverged_at=div.reshape(shape),
        loss=out["loss"].reshape(shape),
        lyapunov=lyap.reshape(shape),
        eta_grid=eta,
        init_grid=init,
        steps=steps,
        settings=settings,
    )
