"""Orbit analysis for any :class:`~toymodels.maps.Map`: periods, cycles, bifurcations, chaos.

* :func:`period` – the period of the attractor reached from a state (after a burn-in).
* :func:`find_cycle` – a period-k orbit by Newton's method on G(z) = F^k(z) − z, with its
  multipliers (eigenvalues of DF^k).
* :func:`period_doubling_points` – flip bifurcations of a parameter family, by continuation of the
  attracting cycle and root finding on its multiplier (the point where an eigenvalue of DF^k
  crosses −1), polished by Newton on {F^k(z) = z, det(DF^k(z) + I) = 0}.
* :func:`saddle_node_points` – folds: Newton on {F^k(z) = z, det(DF^k(z) − I) = 0}.
* :func:`lyapunov_exponent` – the largest exponent: ⟨log|F'(z_t)|⟩ in 1-D, Benettin's QR method
  (Benettin, Galgani, Giorgilli, Strelcyn 1980) in higher dimension.
* :func:`classify` – a :class:`Phase`: converged (monotone / oscillating), periodic k, chaotic,
  diverged or unknown.
* :func:`bifurcation_diagram` – orbit-diagram data over a parameter grid, with explicit seeding.

Rules shared by these functions: every argument is validated before any iteration (a
ValueError/TypeError naming the parameter); stability uses a stated margin δ = 1e-9 (widened by
the rounding bound of DF^k; see :class:`Cycle`), marginal multipliers give ``stable=None``; the
period search costs time linear in ``max_period``; long analyses take ``max_seconds`` (checked up
front from a timed probe where possible, otherwise while running) and say what to change;
divergence and overflow are data (NaN / ``diverged``), never a RuntimeWarning.

The reference numbers these are tested against are the cubic map of Chen, Balasubramanian,
Ghosal, Agrawalla (TMLR 2024), F_a(z) = z(1 + a(1 − z))², whose cascade is a = 1, √5 − 1,
1.288031754483, 1.299227939650, 1.301628914037, … → 1.3022834627.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ._validate import as_float_array, positive_float, positive_int, real_float, refuse_empty
from .dynamics import _iterate, _step_size_batch, iterate
from .maps import Map, MapFamily, as_family
from .model import Model

__all__ = [
    "Bifurcation",
    "BifurcationDiagram",
    "BifurcationList",
    "BifurcationPoints",
    "Cycle",
    "LyapunovResult",
    "Phase",
    "bifurcation_diagram",
    "classify",
    "find_cycle",
    "lyapunov_exponent",
    "period",
    "period_doubling_points",
    "saddle_node_points",
]


# ---------------------------------------------------------------------------- result objects
#: default stability margin δ of :func:`find_cycle` and :func:`classify` (see :class:`Cycle`)
STABILITY_MARGIN = 1e-9


@dataclass(frozen=True)
class Cycle:
    """A periodic orbit found by Newton's method on F^k(z) = z.

    ``period`` is the *minimal* period of the orbit found (it may divide the requested ``k``);
    ``multipliers`` are the eigenvalues of DF^period along the orbit, ``residual`` is
    |F^k(z) − z|_∞ at the returned point.

    Stability uses a stated margin δ (``stability_margin``): with ρ = max|multiplier|,
    ``stable`` is True if ρ < 1 − δ, False if ρ > 1 + δ (or the Newton iteration did not
    converge: no cycle, nothing stable), and None (*marginal*: neutral, e.g. an elliptic
    orbit, or undecidable in float64) if |ρ − 1| ≤ δ or the multipliers are not finite.
    δ = max(1e-9, 8·k·dim·ε·∏‖DF(z_i)‖_F), ε = 2.2e-16. Justification: the computed product
    DF^k = DF(z_{k−1})⋯DF(z_0) carries a normwise rounding error ≲ k·dim·ε·∏‖DF(z_i)‖ (each
    product adds dim·ε relative error; ``eigvals`` is backward stable), and the orbit point is
    only known to the Newton tolerance (|F^k(z) − z| ≤ 1e-12·(1 + |z|) by default), which moves
    the multipliers by O(1e-12·|D²F^k|/|1 − λ|). 1e-9 keeps a factor ≳ 100 over both for
    cycles of moderate length and curvature; the second term takes over for long or
    strongly expanding cycles. A multiplier within δ of the unit circle is not resolved by
    float64 and is reported as marginal rather than guessed.
    """

    points: np.ndarray
    period: int
    multipliers: np.ndarray
    stable: bool | None
    residual: float
    converged: bool
    iterations: int
    stability_margin: float = STABILITY_MARGIN
    message: str = ""

    @property
    def multiplier(self) -> complex | float:
        """The multiplier of largest modulus."""
        m = self.multipliers[np.argmax(np.abs(self.multipliers))]
        return float(m.real) if abs(m.imag) < 1e-14 else complex(m)

    @property
    def marginal(self) -> bool:
        """True if the largest multiplier modulus is within ``stability_margin`` of 1."""
        return self.converged and self.stable is None


@dataclass(frozen=True)
class Bifurcation:
    """A bifurcation point located by root finding on the k-step map.

    ``param`` is the polished value; ``bracket`` the parameter interval in which the test
    function changed sign; ``test_values`` the test function (multiplier ∓ 1) at its ends;
    ``residual`` the max-norm of the augmented Newton system at ``param``.
    """

    kind: str
    param: float
    period: int
    point: np.ndarray
    bracket: tuple[float, float]
    test_values: tuple[float, float]
    residual: float
    converged: bool

    def __float__(self) -> float:
        return float(self.param)


@dataclass(frozen=True)
class LyapunovResult:
    """Largest Lyapunov exponent with diagnostics (``exponent`` NaN for diverged members)."""

    exponent: np.ndarray
    steps: int
    burn_in: int
    diverged: np.ndarray
    half_difference: np.ndarray  # |λ(first half) − λ(second half)|: a convergence indicator


@dataclass(frozen=True)
class Phase:
    """What GD (or any map) does from one state.

    kind : ``converged_monotone`` (dominant multiplier at the limit in [0, 1); multipliers equal
        to 1, i.e. directions along a manifold of minima, are ignored),
        ``converged_oscillating`` (dominant multiplier in (−1, 0): residuals alternate in sign),
        ``periodic`` (an attracting cycle of ``period`` ≥ 2), ``chaotic`` (no period up to
        ``max_period`` and largest Lyapunov exponent > ``chaos_threshold``), ``diverged``, or
        ``unknown`` (aperiodic, exponent too close to 0 to decide). When a :class:`Model` is
        classified (GD with step ``eta``), converged runs whose loss rose above its initial value
        at some step are ``catapult`` (Lewkowycz et al. 2020: the loss spikes, the curvature
        drops, then GD converges); ``peak_loss_ratio`` is max_t L_t / L_0.
    stable : for a periodic limit (period ≥ 1), whether it attracts: with ρ the largest
        multiplier modulus of DF^period along the limit cycle (multipliers equal to 1 ignored,
        as for ``multiplier``), True if ρ < 1 − δ, False if ρ > 1 + δ, None if marginal
        (|ρ − 1| ≤ δ, δ = 1e-9 as in :class:`Cycle`) or not periodic. The kind is decided by
        the orbit: an orbit that lands *exactly* on an unstable fixed point (e.g. x₀ = 0 for
        the logistic map with r > 1, or GD started at a saddle) stays there, so its kind is
        ``converged_monotone`` / ``converged_oscillating`` but ``stable`` is False,
        :attr:`converged` is False (it is not converging to an attractor) and ``str()``
        says ``unstable fixed point``; likewise a ``periodic`` orbit on a repelling cycle.
    """

    kind: str
    period: int = 0
    lyapunov: float = float("nan")
    multiplier: float = float("nan")
    diverged_at: int = -1
    limit: np.ndarray | None = field(default=None, repr=False)
    peak_loss_ratio: float = float("nan")
    stable: bool | None = None

    @property
    def converged(self) -> bool:
        """True for the converged kinds (including ``catapult``, which converges), unless the
        limit is an unstable fixed point (``stable is False``)."""
        if self.stable is False:
            return False
        return self.kind.startswith("converged") or self.kind == "catapult"

    def __str__(self) -> str:
        if self.kind == "periodic":
            tail = ", unstable cycle" if self.stable is False else ""
            return f"periodic({self.period}{tail})"
        if self.kind == "diverged":
            return f"diverged(at step {self.diverged_at})"
        if self.kind.startswith("converged") and self.stable is False:
            return f"{self.kind}(unstable fixed point, multiplier {self.multiplier:.6g})"
        return self.kind


@dataclass(frozen=True)
class BifurcationDiagram:
    """Orbit-diagram data: ``points[i]`` are ``keep`` states after ``burn_in`` at ``params[i]``."""

    params: np.ndarray
    points: np.ndarray
    burn_in: int
    seeding: str
    diverged: np.ndarray


class BifurcationPoints(np.ndarray):
    """The parameter values returned by :func:`period_doubling_points` (a float ndarray).

    Besides the values it says what was searched: ``scanned`` = (start, reached) is the part of
    ``param_range`` the continuation covered, ``reason`` why the search stopped (always set, so
    an empty answer is never silent), ``complete`` whether it stopped for a regular reason
    (``max_doublings`` reached or the whole range scanned) rather than a failure or the time
    budget ``max_seconds``.
    """

    scanned: tuple[float, float]
    reason: str
    complete: bool

    def __new__(
        cls, values: Any, scanned: tuple[float, float], reason: str, complete: bool
    ) -> BifurcationPoints:
        obj = np.asarray(values, dtype=float).view(cls)
        obj.scanned = scanned
        obj.reason = reason
        obj.complete = complete
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.scanned = getattr(obj, "scanned", (float("nan"), float("nan")))
        self.reason = getattr(obj, "reason", "")
        self.complete = getattr(obj, "complete", True)

    def __reduce__(self) -> Any:
        f, args, state = super().__reduce__()
        return f, args, (state, self.scanned, self.reason, self.complete)

    def __setstate__(self, st: Any) -> None:
        state, self.scanned, self.reason, self.complete = st
        super().__setstate__(state)

    def __repr__(self) -> str:
        return (
            f"BifurcationPoints({np.asarray(self).tolist()}, scanned={self.scanned}, "
            f"reason={self.reason!r})"
        )


class BifurcationList(list):
    """A list of :class:`Bifurcation` with ``scanned``, ``reason``, ``complete`` as in
    :class:`BifurcationPoints`."""

    def __init__(
        self,
        items: Sequence[Bifurcation],
        scanned: tuple[float, float],
        reason: str,
        complete: bool,
    ) -> None:
        super().__init__(items)
        self.scanned = scanned
        self.reason = reason
        self.complete = complete

    def __repr__(self) -> str:
        return (
            f"BifurcationList({list.__repr__(self)}, scanned={self.scanned}, "
            f"reason={self.reason!r})"
        )


# ---------------------------------------------------------------------------- period
def _check_map(F: Any, name: str = "F") -> Map:
    if not isinstance(F, Map):
        raise TypeError(f"{name} must be a toymodels.Map, got {type(F).__name__}")
    if not (callable(F.fn) and callable(F.jac)):
        raise TypeError(f"{name} must have callable fn and jac (the map and its Jacobian)")
    if isinstance(F.dim, bool) or not isinstance(F.dim, int) or F.dim < 1:
        raise ValueError(f"{name}.dim must be an integer >= 1, got {F.dim!r}")
    return F


#: memory budget of the state windows kept by period detection (bytes)
WINDOW_BYTES = 2 * 2**30


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_max_seconds(value: Any) -> float | None:
    """``max_seconds``: None (no limit) or a finite number > 0."""
    if value is None:
        return None
    return positive_float(value, "max_seconds")


class _OutOfTime(Exception):
    """Internal: the ``max_seconds`` budget of an analysis ran out."""


class _Budget:
    """Wall-clock budget: ``check()`` raises :class:`_OutOfTime` once ``max_seconds`` passed."""

    def __init__(self, max_seconds: float | None) -> None:
        self.limit = max_seconds
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def check(self) -> None:
        if self.limit is not None and self.elapsed() > self.limit:
            raise _OutOfTime

    def refuse_estimate(self, estimate: float, what: str, fix: str) -> None:
        """Raise ValueError naming ``max_seconds`` if the estimated total exceeds the budget."""
        if self.limit is not None and estimate > self.limit:
            raise ValueError(
                f"max_seconds={self.limit:g} is too small for this call: {what} is estimated "
                f"at {estimate:.3g} s; {fix}, or raise max_seconds (None disables the check)"
            )


def _check_family(family: Any) -> MapFamily | Callable[[Any], Map]:
    """``family``: a MapFamily, a Model (GD in η) or a callable p ↦ Map."""
    if family is None:
        raise TypeError("family must be a MapFamily, a Model or a callable p -> Map, got None")
    try:
        fam = as_family(family)
    except TypeError as exc:
        msg = str(exc)
        raise TypeError(msg if "family" in msg else f"family: {msg}") from exc
    except Exception as exc:  # a broken Model / family object
        raise TypeError(f"family could not be used as a map family: {exc!r}") from exc
    if isinstance(fam, MapFamily) and not (callable(fam.fn) and callable(fam.jac)):
        raise TypeError("family must have callable fn and jac (the map and its Jacobian)")
    return fam


def _family_at(fam: Any, p: Any, name: str) -> Map:
    """``fam(p)`` with its failures reported against ``family`` (or ``name`` for bad values)."""
    try:
        F = fam(p)
    except (ValueError, TypeError):
        raise
    except Exception as exc:
        raise TypeError(
            f"family({name}={p!r}) raised {type(exc).__name__}: {exc} (family must map a "
            f"parameter value to a toymodels.Map)"
        ) from exc
    if not isinstance(F, Map):
        raise TypeError(f"family(p) must return a toymodels.Map, got {type(F).__name__}")
    if F.param is not None and np.ndim(F.param) != 0 and np.ndim(p) == 0:
        raise ValueError(
            f"family(p) must return a single map for a scalar p, got a parameter batch of shape "
            f"{np.shape(F.param)}"
        )
    return _check_map(F, "family(p)")


def _check_family_params(fam: Any, values: Any, name: str) -> np.ndarray:
    """Finite parameter values, checked against the family's own domain.

    A family that defines ``check_params(values, name)`` (the GD family refuses step sizes
    η ≤ 0) is asked first; a GD family without it gets the same rule here.
    """
    vals = as_float_array(values, name)
    check = getattr(fam, "check_params", None)
    if callable(check):
        vals = np.asarray(check(vals, name), dtype=float)
    elif getattr(fam, "model", None) is not None and getattr(fam, "param_name", "") == "eta":
        if np.any(vals <= 0):
            raise ValueError(
                f"{name}: the step size eta of a gradient-descent family must be > 0, "
                f"got min {float(np.min(vals))!r}"
            )
    return vals


def _window_guard(n_states: int, batch: int, dim: int, name: str) -> None:
    need = float(n_states) * batch * dim * 8
    if need > WINDOW_BYTES:
        raise ValueError(
            f"{name} is too large: the window of {n_states} states × {batch} members × {dim} "
            f"needs {need / 2**30:.3g} GiB (> {WINDOW_BYTES / 2**30:g} GiB); lower {name} or "
            f"split the batch"
        )


def _batch_shape(F: Map, x: np.ndarray) -> tuple[int, ...]:
    """Broadcast batch shape of states ``x`` (..., dim) and the map's parameter."""
    pshape = np.shape(F.param) if F.param is not None else ()
    try:
        return np.broadcast_shapes(x.shape[:-1], pshape)
    except ValueError as exc:
        raise ValueError(
            f"state0 batch {x.shape[:-1]} does not broadcast against the map parameter {pshape}"
        ) from exc


def _run_state(F: Map, x: Any, name: str) -> np.ndarray:
    """Starting states of an analysis, (..., dim): finite, and neither the batch of states nor
    the map's parameter batch empty (``Map.state`` itself, an evaluation, allows empty)."""
    z = F.state(x, name)
    refuse_empty(z, name)
    if F.param is not None and np.size(F.param) == 0:
        raise ValueError(
            f"F has an empty parameter batch (shape {np.shape(F.param)}): nothing to analyse"
        )
    return z


def _single_state(F: Map, x: Any, name: str) -> np.ndarray:
    """One state of ``F`` as a (dim,) vector; refuses batches."""
    z = F.state(x, name)
    if z.size != F.dim:
        raise ValueError(f"{name} must be one state of dimension {F.dim}, got shape {np.shape(x)}")
    return z.reshape(-1)


def _scalar_param(value: Any, name: str) -> float:
    arr = as_float_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got shape {arr.shape}")
    return float(arr)


def _period_from_window(w: np.ndarray, max_period: int, tol: float) -> np.ndarray:
    """Smallest k ≤ max_period with |w[t+k] − w[t]| ≤ tol(1 + max|w|) over the whole window.

    Exactly the minimal k with D(k) = max_t |w[t+k] − w[t]|_∞ ≤ tol·(1 + max|w|), in time linear
    in the window length W ≥ 2·max_period for ordinary orbits: a k can only qualify if the test
    holds at a few anchor times (t = 0, the middle, the last t that reaches every k, and the
    pair (W−1−k, W−1)), each an O(max_period) vector over k; the surviving candidates are
    verified in increasing order, each in blocks of t with early exit, and the first that passes
    is the answer. The comparisons are the same floating-point operations as the direct
    O(max_period·W) definition, so the results are identical.
    """
    # w: (W, B, dim) with W ≥ 2 * max_period
    W, B = w.shape[0], w.shape[1]
    per = np.zeros(B, dtype=np.int64)
    if B == 0 or W < 2:
        return per
    scale = 1.0 + np.max(np.abs(w), axis=(0, 2))
    finite = np.all(np.isfinite(w), axis=(0, 2))
    thr = tol * scale
    M = min(max_period, W - 1)
    cand = np.broadcast_to(finite, (M, B)).copy()
    for t in sorted({0, (W - 1 - M) // 2, W - 1 - M}):
        cand &= np.max(np.abs(w[t + 1 : t + M + 1] - w[t]), axis=-1) <= thr
    # end anchor: row j ↔ k = j + 1 compares w[W − 1 − k] with w[W − 1]
    cand &= np.max(np.abs(w[W - 1] - w[W - 1 - M : W - 1][::-1]), axis=-1) <= thr
    undecided = finite.copy()
    block = 4096
    for k in np.nonzero(cand.any(axis=1))[0] + 1:
        k = int(k)
        idx = np.nonzero(cand[k - 1] & undecided)[0]
        for s in range(0, W - k, block):
            if idx.size == 0:
                break
            e = min(s + block, W - k)
            d = np.max(np.abs(w[s + k : e + k, idx] - w[s:e, idx]), axis=(0, 2))
            idx = idx[d <= thr[idx]]
        if idx.size:
            per[idx] = k
            undecided[idx] = False
            if not undecided.any():
                break
    return per


def _polish_periods(
    F: Map, last: np.ndarray, per: np.ndarray, pflat: np.ndarray | None, tol: float
) -> np.ndarray:
    """Confirm window-detected periods by Newton on F^k from the window's last state.

    A slowly converging orbit can pass the window test with a multiple of its true period (a fixed
    point with multiplier μ ≈ −1 has k = 2 differences (1 − μ²) times smaller than its k = 1
    differences). Newton on G(z) = F^k(z) − z from the last state converges to the nearby cycle;
    the minimal period of that cycle is reported. Members whose Newton iteration fails, or lands
    farther than 1e-3·(1 + |z|) away, keep the window's answer.
    """
    per = per.copy()
    for k in np.unique(per[per >= 2]):
        k = int(k)
        idx = np.nonzero(per == k)[0]
        z = last[idx].copy()
        p = None if pflat is None else pflat[idx]
        eye = np.eye(F.dim)
        with np.errstate(all="ignore"):
            for _ in range(30):
                x, J = z, None
                for _ in range(k):
                    Jx = F.jac(x, p)
                    J = Jx if J is None else Jx @ J
                    x = F.fn(x, p)
                G = x - z
                A = J - eye
                # members already at round-off stop moving: on a manifold of cycles (e.g. a
                # continuum of minima, where DF^k has an eigenvalue 1) further steps only drift
                small = np.max(np.abs(G), axis=-1) <= 1e-14 * (1 + np.max(np.abs(z), axis=-1))
                if F.dim == 1:
                    dz = -G / A[..., 0]
                else:
                    # minimum-norm steps: directions along such a manifold are cut off
                    dz = -np.einsum("...ij,...j->...i", np.linalg.pinv(A, rcond=1e-6), G)
                dz = np.where(np.isfinite(dz) & ~small[..., None], dz, 0.0)
                z = z + dz
                if np.max(np.abs(dz)) < 1e-15 * (1 + np.max(np.abs(z))):
                    break
            pts = np.empty((k, *z.shape))
            x = z
            for i in range(k):
                pts[i] = x
                x = F.fn(x, p)
        scale = 1.0 + np.max(np.abs(pts), axis=(0, 2))
        res = np.max(np.abs(x - z), axis=-1)
        near = np.max(np.abs(z - last[idx]), axis=-1) <= 1e-3 * scale
        good = np.isfinite(res) & (res <= 1e-9 * scale) & near
        minimal = np.full(idx.shape, k)
        for d in range(k - 1, 0, -1):
            if k % d:
                continue
            same = np.max(np.abs(pts[d:] - pts[:-d]), axis=(0, 2)) <= max(tol, 1e-9) * scale
            minimal = np.where(same, d, minimal)
        per[idx[good]] = minimal[good]
    return per


def period(
    F: Map,
    state0: Any,
    burn_in: int = 10_000,
    max_period: int = 64,
    tol: float = 1e-8,
    *,
    bound: float = 1e10,
) -> int | np.ndarray:
    """Period of the attractor reached from ``state0``: the smallest k ≤ ``max_period`` with
    |x_{t+k} − x_t| ≤ tol·(1 + max|x|) for all t in a window of 2·max_period steps after
    ``burn_in`` steps. Returns an int (an int array for batched input); 0 means none found
    (aperiodic, too long, or diverged).

    Cost: burn_in + 2·max_period map steps and a period search linear in max_period (candidate
    periods are screened at a few anchor times, then verified; see ``_period_from_window``).
    The window of 2·max_period + 1 states per batch member must fit in 2 GiB, otherwise a
    ValueError names ``max_period``. Periods ≥ 2 are confirmed by Newton on F^k (k map and
    Jacobian evaluations per iteration).
    """
    F = _check_map(F)
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    tol = positive_float(tol, "tol")
    bound = positive_float(bound, "bound")
    x = _run_state(F, state0, "state0")
    nb = int(np.prod(_batch_shape(F, x), dtype=np.int64))
    _window_guard(2 * max_period + 1, nb, F.dim, "max_period")
    tr = iterate(F, x, burn_in, record_every=0, bound=bound)
    window = _iterate(F, tr.final, 2 * max_period, 1, bound)
    batch = window.batch_shape
    w = window.theta.reshape(window.theta.shape[0], -1, F.dim)
    per = _period_from_window(w, max_period, tol)
    per[(tr.diverged | window.diverged).reshape(-1)] = 0
    pflat = None if F.param is None else np.broadcast_to(F.param, batch).reshape(-1)
    per = _polish_periods(F, w[-1], per, pflat, tol)
    per = per.reshape(batch)
    return int(per) if per.ndim == 0 else per


# ---------------------------------------------------------------------------- cycles
def _minimal_period(points: np.ndarray, tol: float) -> int:
    k = points.shape[0]
    scale = 1.0 + np.max(np.abs(points))
    for d in range(1, k):
        if k % d == 0 and np.max(np.abs(points[d:] - points[:-d])) <= tol * scale:
            return d
    return k


def _orbit(F: Map, z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points z, F(z), …, F^{k−1}(z), DF^k(z) and F^k(z) for a single state z of shape (dim,)."""
    pts = np.empty((k, F.dim))
    J = np.eye(F.dim)
    x = z[None, :]
    for i in range(k):
        pts[i] = x[0]
        J = F.jacobian(x)[0] @ J
        x = F(x)
    return pts, J, x[0]


def _log_norm_product(F: Map, pts: np.ndarray) -> float:
    """Σ log‖DF(z_i)‖_F along the orbit points (for the rounding bound of DF^k)."""
    with np.errstate(all="ignore"):
        J = F.jacobian(pts)
        norms = np.linalg.norm(J.reshape(len(pts), -1), axis=-1)
        return float(np.sum(np.log(norms)))


def _stability(mult: np.ndarray, converged: bool, delta: float) -> bool | None:
    """True if max|μ| < 1 − δ, False if > 1 + δ or not converged, None otherwise."""
    if not converged:
        return False
    if not np.all(np.isfinite(mult)):
        return None
    rho = float(np.max(np.abs(mult))) if mult.size else 0.0
    if rho < 1.0 - delta:
        return True
    if rho > 1.0 + delta:
        return False
    return None


def _time_one_step(F: Map, z: np.ndarray) -> float:
    """Seconds for one map + Jacobian evaluation at z (best of three)."""
    best = np.inf
    x = z[None, :]
    with np.errstate(all="ignore"):
        for _ in range(3):
            t0 = time.perf_counter()
            F.jacobian(x)
            F(x)
            best = min(best, time.perf_counter() - t0)
    return float(best)


#: find_cycle refuses orbits whose points would need more memory than this (bytes)
CYCLE_BYTES = 2**30


def find_cycle(
    F: Map,
    guess: Any,
    k: int,
    *,
    tol: float = 1e-12,
    maxiter: int = 60,
    stability_margin: float = STABILITY_MARGIN,
    max_seconds: float | None = 60.0,
) -> Cycle:
    """A period-k orbit by Newton's method on G(z) = F^k(z) − z, DG = DF^k(z) − I.

    The Jacobian of F^k is the product of the Jacobians along the orbit. Converged means
    |F^k(z) − z|_∞ ≤ tol·(1 + |z|_∞). The returned :class:`Cycle` reports the minimal period,
    the multipliers (eigenvalues of DF^period) and ``stable`` ∈ {True, False, None} with the
    margin δ = max(``stability_margin``, 8·k·dim·ε·∏‖DF(z_i)‖_F) (see :class:`Cycle`).

    Cost and limits: each Newton iteration costs k map + Jacobian evaluations, and the orbit's
    k·dim points are stored. Before starting, k·dim·8 bytes must stay below 1 GiB, and (for
    k·dim ≥ 1000) one evaluation is timed: if the worst case maxiter·k evaluations is estimated
    above ``max_seconds`` the call is refused with a ValueError naming ``k`` and the estimate
    (lower ``k`` or ``maxiter``, or pass ``max_seconds=None``). If the budget runs out during
    the iteration, Newton stops and the Cycle is returned unconverged with a ``message``.
    """
    F = _check_map(F)
    if F.param is not None and np.ndim(F.param) != 0:
        raise ValueError(
            f"F must be a single map (scalar parameter), got a parameter batch of shape "
            f"{np.shape(F.param)}"
        )
    k = positive_int(k, "k")
    tol = positive_float(tol, "tol")
    maxiter = positive_int(maxiter, "maxiter")
    stability_margin = positive_float(stability_margin, "stability_margin", allow_zero=True)
    if stability_margin >= 1:
        raise ValueError(f"stability_margin must be < 1, got {stability_margin!r}")
    max_seconds = _check_max_seconds(max_seconds)
    z = F.state(guess, "guess").reshape(-1)
    if z.shape[0] != F.dim:
        raise ValueError(
            f"guess must be one state of dimension {F.dim}, got shape {np.shape(guess)}"
        )
    need = float(k) * F.dim * 8
    if need > CYCLE_BYTES:
        raise ValueError(
            f"k={k} is too large: the orbit's {k} points of dimension {F.dim} need "
            f"{need / 2**30:.3g} GiB (limit {CYCLE_BYTES / 2**30:g} GiB); lower k"
        )
    budget = _Budget(max_seconds)
    if max_seconds is not None and k * F.dim >= 1000:
        t1 = _time_one_step(F, z)
        est = maxiter * k * t1
        if est > max_seconds:
            raise ValueError(
                f"k={k} is too expensive: Newton on F^k needs up to maxiter·k = {maxiter * k:.3g} "
                f"map + Jacobian evaluations, estimated at {est:.3g} s ({t1 * 1e6:.3g} µs each) "
                f"> max_seconds={max_seconds:g}; lower k or maxiter, or raise max_seconds "
                f"(None disables the check)"
            )
    eye = np.eye(F.dim)
    converged = False
    it = 0
    res = np.inf
    message = ""
    with np.errstate(all="ignore"):
        for it in range(1, maxiter + 1):
            _, J, fz = _orbit(F, z, k)
            G = fz - z
            res = float(np.max(np.abs(G)))
            if not np.isfinite(res):
                message = "the orbit left the finite range (overflow or NaN)"
                break
            if res <= tol * (1.0 + np.max(np.abs(z))):
                converged = True
                break
            try:
                dz = np.linalg.solve(J - eye, -G)
            except np.linalg.LinAlgError:
                message = "DF^k − I is singular at the current point"
                break
            # damp wild steps (keeps Newton inside the basin of the nearest cycle)
            step = np.max(np.abs(dz))
            lim = 0.5 * (1.0 + np.max(np.abs(z)))
            if step > lim:
                dz *= lim / step
            z = z + dz
            if budget.limit is not None and budget.elapsed() > budget.limit:
                message = f"max_seconds={budget.limit:g} ran out after {it} Newton iterations"
                break
        else:
            message = f"no convergence in maxiter={maxiter} iterations"
        pts, J, fz = _orbit(F, z, k)
        res = float(np.max(np.abs(fz - z))) if np.all(np.isfinite(fz)) else float("inf")
        if not converged and res <= tol * (1.0 + np.max(np.abs(z))):
            converged = True
            message = ""
        per = _minimal_period(pts, max(tol, 1e-10) * 10) if converged else k
        if per != k:
            pts = pts[:per]
            _, J, _ = _orbit(F, z, per)
        mult = np.linalg.eigvals(J) if np.all(np.isfinite(J)) else np.full(F.dim, np.nan)
        log_prod = _log_norm_product(F, pts) if converged else -np.inf
    mult = mult[np.argsort(-np.abs(mult))]
    if np.all(np.abs(mult.imag) < 1e-14):
        mult = mult.real
    eps = np.finfo(float).eps
    bound_err = 8.0 * per * F.dim * eps * math.exp(min(log_prod, 700.0))
    delta = float(max(stability_margin, bound_err))
    stable = _stability(mult, converged, delta)
    return Cycle(pts, int(per), mult, stable, res, converged, it, delta, message)


def _cycle(F: Map, z: Any, k: int) -> Cycle:
    """find_cycle for internal continuation steps (the caller's budget applies instead)."""
    return find_cycle(F, z, k, max_seconds=None)


class _BudgetedFamily:
    """``family`` whose every evaluation first checks the analysis' time budget."""

    def __init__(self, fam: Any, budget: _Budget, name: str) -> None:
        self.fam = fam
        self.budget = budget
        self.name = name

    def __call__(self, p: Any) -> Map:
        self.budget.check()
        return _family_at(self.fam, p, self.name)


def _attractor_cycle(
    F: Map, state0: np.ndarray, burn_in: int, max_period: int, where: str = "param_range"
) -> Cycle:
    tr = iterate(F, state0, burn_in, record_every=0)
    if tr.diverged.any():
        raise ValueError(f"state0 diverges at the start of {where}; no attractor to follow")
    z = tr.final.reshape(-1)
    p = period(F, z, burn_in=0, max_period=max_period, tol=1e-7)
    if p == 0:
        raise ValueError(
            f"no periodic attractor (period ≤ max_period) at the start of {where}; "
            "start the continuation below the cascade or raise max_period"
        )
    cyc = _cycle(F, z, p)
    if not cyc.converged:
        raise ValueError(f"could not converge the attracting cycle at the start of {where}")
    return cyc


def _family_dfdp(family: Any, z: np.ndarray, p: float) -> np.ndarray:
    if isinstance(family, MapFamily):
        return family.dfdp(z[None, :], np.asarray(p))[0]
    h = 1e-6 * max(1.0, abs(p))
    return (family(p + h)(z[None, :])[0] - family(p - h)(z[None, :])[0]) / (2 * h)


def _test_fn(mults: np.ndarray, sign: float) -> float:
    """Real multiplier nearest to ``sign`` (±1), minus ``sign``; NaN if none is real."""
    m = np.asarray(mults)
    real = m[np.abs(np.imag(m)) < 1e-9].real if np.iscomplexobj(m) else m
    if real.size == 0:
        return float("nan")
    return float(real[np.argmin(np.abs(real - sign))] - sign)


def _polish(
    family: Any, z: np.ndarray, p: float, k: int, sign: float, maxiter: int = 30
) -> tuple[np.ndarray, float, float, bool]:
    """Newton on the augmented system {F_p^k(z) − z = 0, det(DF_p^k(z) − sign·I) = 0} in (z, p).

    The Jacobian of the augmented system is formed by central differences (h = 1e-7 relative);
    the residual itself is exact, so the root is as accurate as float64 allows.
    """
    dim = z.shape[0]
    eye = np.eye(dim)

    def system(x: np.ndarray) -> np.ndarray:
        zz, pp = x[:dim], float(x[dim])
        _, J, fz = _orbit(family(pp), zz, k)
        return np.concatenate([fz - zz, [np.linalg.det(J - sign * eye)]])

    x = np.concatenate([z, [p]])
    best = (x.copy(), np.inf)
    ok = False
    with np.errstate(all="ignore"):
        for _ in range(maxiter):
            r = system(x)
            nr = float(np.max(np.abs(r)))
            if not np.isfinite(nr):
                break
            if nr < best[1]:
                best = (x.copy(), nr)
            if nr < 1e-13:
                ok = True
                break
            A = np.empty((dim + 1, dim + 1))
            for j in range(dim + 1):
                h = 1e-7 * max(1.0, abs(x[j]))
                e = np.zeros(dim + 1)
                e[j] = h
                A[:, j] = (system(x + e) - system(x - e)) / (2 * h)
            try:
                dx = np.linalg.solve(A, -r)
            except np.linalg.LinAlgError:
                break
            x = x + dx
            if np.max(np.abs(dx)) < 1e-15 * (1 + np.max(np.abs(x))):
                ok = True
                best = (x.copy(), float(np.max(np.abs(system(x)))))
                break
    xb, nr = best
    return xb[:dim], float(xb[dim]), nr, ok or nr < 1e-10


def _follow(
    family: Any,
    cyc: Cycle,
    p: float,
    p_end: float,
    sign: float,
    h0: float,
    any_crossing: bool = False,
) -> tuple[Cycle, float, Cycle, float] | None:
    """Continue ``cyc`` from p towards p_end until its test multiplier crosses ``sign``.

    Returns (cycle before, p before, cycle after, p after) for the bracketing step, or None if
    p_end is reached first. Step control keeps the change of the multiplier per step below 0.1.
    The crossing is the loss of stability (g = −sign·(μ − sign) from > 0 to ≤ 0) unless
    ``any_crossing`` (either sign change: an unstable cycle regaining stability).
    """
    k = cyc.period
    direction = np.sign(p_end - p)
    h = abs(h0)
    g_prev = _test_fn(cyc.multipliers, sign) * (-sign)
    z = cyc.points[0]
    while (p_end - p) * direction > 0:
        p_new = p + direction * min(h, abs(p_end - p))
        new = _cycle(family(p_new), z, k)
        if (
            not new.converged
            or new.period != k
            or np.max(np.abs(new.points[0] - z)) > 0.25 * (1 + np.max(np.abs(z)))
        ):
            h /= 2
            if h < 1e-13:
                return None
            continue
        g_new = _test_fn(new.multipliers, sign) * (-sign)
        if np.isfinite(g_prev) and np.isfinite(g_new):
            if g_new <= 0 < g_prev or (any_crossing and g_prev <= 0 < g_new):
                return cyc, p, new, p_new
        dg = abs(g_new - g_prev) if np.isfinite(g_new) and np.isfinite(g_prev) else 0.0
        if dg > 0.2:
            h /= 2
            continue
        if dg < 0.05:
            h *= 1.5
        cyc, p, z, g_prev = new, p_new, new.points[0], g_new
    return None


def _locate(
    family: Any,
    lo: tuple[Cycle, float],
    hi: tuple[Cycle, float],
    sign: float,
    kind: str,
) -> Bifurcation:
    """Root of the test multiplier on the continued branch (brentq), then augmented Newton."""
    if lo[1] > hi[1]:  # report bracket and test values in increasing parameter order
        lo, hi = hi, lo
    c_lo, p_lo = lo
    c_hi, p_hi = hi
    k = c_lo.period
    state = {"z": c_lo.points[0]}

    def g(p: float) -> float:
        c = _cycle(family(p), state["z"], k)
        if c.converged and c.period == k:
            state["z"] = c.points[0]
        return _test_fn(c.multipliers, sign)

    g_lo, g_hi = _test_fn(c_lo.multipliers, sign), _test_fn(c_hi.multipliers, sign)
    p_root = brentq(g, p_lo, p_hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    c_root = _cycle(family(p_root), state["z"], k)
    z_pol, p_pol, res, ok = _polish(family, c_root.points[0], p_root, k, sign)
    if not ok or not (min(p_lo, p_hi) <= p_pol <= max(p_lo, p_hi)):
        z_pol, p_pol = c_root.points[0], p_root
        _, J, fz = _orbit(family(p_root), z_pol, k)
        res = float(
            max(np.max(np.abs(fz - z_pol)), abs(np.linalg.det(J - sign * np.eye(len(z_pol)))))
        )
    return Bifurcation(
        kind=kind,
        param=float(p_pol),
        period=k,
        point=np.asarray(z_pol),
        bracket=(float(min(p_lo, p_hi)), float(max(p_lo, p_hi))),
        test_values=(float(g_lo), float(g_hi)),
        residual=float(res),
        converged=bool(ok),
    )


def _seed_doubled(
    family: Any, bif: Bifurcation, p_next: float, direction: float
) -> tuple[Cycle, float] | None:
    """The period-2k cycle born at a flip: Newton on F^{2k} from z* ± c·√δ·v just past it."""
    k = bif.period
    F = family(bif.param)
    _, J, _ = _orbit(F, bif.point, k)
    w, V = np.linalg.eig(J)
    v = np.real(V[:, np.argmin(np.abs(w + 1))])
    v = v / np.max(np.abs(v))
    for frac in (1e-3, 1e-4, 1e-2, 1e-5, 3e-2):
        delta = frac * abs(p_next - bif.param) if np.isfinite(p_next) else frac
        delta = max(delta, 1e-9 * max(1.0, abs(bif.param)))
        p = bif.param + direction * delta
        Fp = family(p)
        for c in (1.0, 0.3, 3.0, 0.1, 10.0):
            for s in (1.0, -1.0):
                guess = bif.point + s * c * np.sqrt(delta) * v
                cyc = _cycle(Fp, guess, 2 * k)
                if cyc.converged and cyc.period == 2 * k:
                    return cyc, p
    return None


def _half_cycle(
    family: Any, cyc: Cycle, p: float, p_end: float, budget: _Budget
) -> tuple[Cycle, float] | None:
    """The period-k/2 cycle onto which an attracting period-k cycle collapses (k even).

    Near a supercritical flip the 2h-cycle points z_i and z_{i+h} straddle the h-cycle point,
    so Newton on F^h starts at their midpoint. Tried at p, then (continuing the k-cycle towards
    p_end, where it shrinks onto the h-cycle) at each continuation step. Returns the h-cycle if
    it is unstable through a multiplier < −1 (the flip lies between p and p_end), else None.
    """
    k = cyc.period
    if k % 2:
        return None
    h = k // 2
    direction = np.sign(p_end - p)
    step = abs(p_end - p) / 200
    z = cyc.points[0]
    for _ in range(400):
        budget.check()
        guess = 0.5 * (cyc.points[0] + cyc.points[h])
        half = _cycle(family(p), guess, h)
        if half.converged and half.period == h:
            g = _test_fn(half.multipliers, -1.0)
            if np.isfinite(g) and g < 0:
                return half, p
        p_new = p + direction * step
        if (p_end - p_new) * direction <= 0:
            return None
        new = _cycle(family(p_new), z, k)
        if not new.converged or new.period != k:
            step /= 2
            if step < 1e-13 * max(1.0, abs(p)):
                return None
            continue
        cyc, p, z = new, p_new, new.points[0]
        step *= 1.5
    return None


def period_doubling_points(
    family: Any,
    state0: Any,
    param_range: Sequence[float],
    max_doublings: int = 5,
    *,
    burn_in: int = 20_000,
    max_period: int = 64,
    return_details: bool = False,
    max_seconds: float | None = 120.0,
) -> BifurcationPoints | BifurcationList:
    """Flip (period-doubling) bifurcation points of a family between the ends of ``param_range``.

    Starting from the attractor reached from ``state0`` at ``param_range[0]``, its cycle is
    continued in the parameter (Newton on F^k at each step) until a real multiplier of DF^k
    crosses −1. That crossing is bracketed, located by Brent's method on the multiplier, and
    polished by Newton on {F^k(z) = z, det(DF^k(z) + I) = 0}. The period-2k cycle is then seeded
    at z* ± c·√δ·v (v the flip eigenvector; the branch grows like √δ past a supercritical flip),
    its minimal period is checked to be 2k, and the continuation goes on.

    Searching *down* a cascade (``param_range[0] > param_range[1]`` for a cascade that
    doubles with increasing parameter) the attracting k-cycle collapses onto the k/2-cycle at
    each flip: the k/2-cycle (multiplier < −1, found by Newton on F^{k/2} from the midpoint of
    z_i and z_{i+k/2}) is continued until its multiplier crosses −1, located and polished the
    same way, and the search goes on with the k/2-cycle. A flip is the same point whichever
    side it is approached from, so both directions return the same values (for the same
    number of flips in range).

    Parameters
    ----------
    family : a :class:`MapFamily`, a :class:`Model` (its GD family in η) or a callable p ↦ Map.
        A family with ``check_params`` (the GD family: η > 0) checks ``param_range`` up front.
    state0 : a state in the basin of the attractor at ``param_range[0]``.
    param_range : (start, stop), finite and distinct; the search runs from start towards stop
        (either direction).
    max_doublings : stop after this many flips.
    return_details : return :class:`Bifurcation` objects (bracket, test values, residual).
    max_seconds : wall-clock budget (None: unlimited). The cost of each continuation step grows
        like the period k (Newton on F^k), so deep cascades get expensive: ``max_doublings``
        = 14 means cycles of period 2^14. When the budget runs out the search stops and the
        flips found so far are returned with ``complete=False`` and a ``reason`` naming
        ``max_seconds`` / ``max_doublings``.

    Returns
    -------
    A :class:`BifurcationPoints` (an ndarray of the flip points, sorted increasingly) or, with
    ``return_details``, a :class:`BifurcationList` of Bifurcations in the same order. Both carry
    ``scanned`` (start, reached), ``reason`` (why the search stopped, e.g. "reached the end of
    param_range without a flip of the period-8 cycle") and ``complete``.

    References
    ----------
    Kuznetsov, *Elements of Applied Bifurcation Theory* (3rd ed.), §4.5 and §10.2 (flip test
    function det(A + I)); Chen et al. (TMLR 2024), Thm 2.1 for the cubic map the tests use.
    """
    fam = _check_family(family)
    max_doublings = positive_int(max_doublings, "max_doublings")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    return_details = _check_bool(return_details, "return_details")
    max_seconds = _check_max_seconds(max_seconds)
    rng = as_float_array(param_range, "param_range")
    if rng.shape != (2,) or rng[0] == rng[1]:
        raise ValueError(f"param_range must be two distinct numbers (start, stop), got {rng}")
    rng = _check_family_params(fam, rng, "param_range")
    p0, p_end = float(rng[0]), float(rng[1])
    direction = float(np.sign(p_end - p0))
    budget = _Budget(max_seconds)
    bfam = _BudgetedFamily(fam, budget, "param_range[0]")
    F0 = _family_at(fam, p0, "param_range[0]")
    x0 = _single_state(F0, state0, "state0")
    cyc = _attractor_cycle(F0, x0, burn_in, max_period)
    out: list[Bifurcation] = []
    p = p0
    reached = p0
    h = abs(p_end - p0) / 200
    reason = ""
    complete = True
    try:
        while len(out) < max_doublings:
            k = cyc.period
            half = _half_cycle(bfam, cyc, p, p_end, budget) if direction < 0 else None
            if half is not None:
                c_half, p_half = half
                found = _follow(bfam, c_half, p_half, p_end, -1.0, h, any_crossing=True)
                if found is None:
                    reached = p_end
                    reason = (
                        f"reached the end of param_range without the flip where the "
                        f"period-{k} cycle collapses onto the period-{k // 2} cycle"
                    )
                    break
                c_lo, p_lo, c_hi, p_hi = found
                bif = _locate(bfam, (c_lo, p_lo), (c_hi, p_hi), -1.0, "flip")
                out.append(bif)
                reached = p_hi
                # continue on the period-k/2 cycle just past the flip (now attracting)
                cyc, p = c_hi, p_hi
                gap = abs(bif.param - out[-2].param) if len(out) > 1 else abs(p_end - p0)
                h = max(gap / 50, 1e-12)
                continue
            found = _follow(bfam, cyc, p, p_end, -1.0, h)
            if found is None:
                reached = p_end
                reason = f"reached the end of param_range without a flip of the period-{k} cycle"
                break
            c_lo, p_lo, c_hi, p_hi = found
            bif = _locate(bfam, (c_lo, p_lo), (c_hi, p_hi), -1.0, "flip")
            out.append(bif)
            reached = p_hi
            # the next flip is (Feigenbaum) about 1/4.67 of the last interval away
            gap = abs(bif.param - out[-2].param) / 4.669 if len(out) > 1 else abs(p_end - bif.param)
            seeded = _seed_doubled(bfam, bif, bif.param + direction * gap, direction)
            if seeded is None:
                reason = (
                    f"no period-{2 * k} cycle could be seeded past the flip at "
                    f"{bif.param:.12g} (subcritical flip or a cycle outside the Newton basin)"
                )
                complete = False
                break
            cyc, p = seeded
            h = gap / 50
        else:
            reason = f"max_doublings={max_doublings} flips found"
    except _OutOfTime:
        reason = (
            f"max_seconds={max_seconds:g} ran out after {len(out)} flip(s) (the period-"
            f"{cyc.period} cycle costs ~{cyc.period} map evaluations per Newton step); raise "
            f"max_seconds or lower max_doublings"
        )
        complete = False
    out.sort(key=lambda b: b.param)
    scanned = (p0, float(reached))
    if return_details:
        return BifurcationList(out, scanned, reason, complete)
    return BifurcationPoints([b.param for b in out], scanned, reason, complete)


def saddle_node_points(
    family: Any,
    state0: Any,
    param: float,
    towards: float,
    *,
    burn_in: int = 20_000,
    max_period: int = 64,
    return_details: bool = False,
    max_seconds: float | None = 120.0,
) -> float | Bifurcation:
    """The saddle-node (fold) where the attracting cycle found at ``param`` is born or dies.

    The cycle reached from ``state0`` at ``param`` is continued towards ``towards`` until its
    multiplier nears +1, then (z, p) is solved by Newton on {F^k(z) = z, det(DF^k(z) − I) = 0}.
    Example: the period-3 window of F_a, ``saddle_node_points(F, 0.3, 1.455, 1.44)`` → 1.4504409645.

    Never a silent answer: if the polished fold does not converge (residual > 1e-10) or lies
    outside [param, towards] (up to 1e-9 relative), a ValueError naming ``towards`` reports the
    largest real multiplier reached and where; extend ``towards`` or start closer to the fold.
    ``max_seconds`` (None: unlimited) bounds the wall-clock time; when it runs out a ValueError
    names it. A GD family (``check_params``) refuses step sizes ≤ 0 for ``param``/``towards``.
    """
    fam = _check_family(family)
    p_start = _scalar_param(param, "param")
    p_to = _scalar_param(towards, "towards")
    if p_start == p_to:
        raise ValueError("towards must differ from param")
    _check_family_params(fam, np.array(p_start), "param")
    _check_family_params(fam, np.array(p_to), "towards")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    return_details = _check_bool(return_details, "return_details")
    max_seconds = _check_max_seconds(max_seconds)
    budget = _Budget(max_seconds)
    bfam = _BudgetedFamily(fam, budget, "param")
    F0 = _family_at(fam, p_start, "param")
    cyc = _attractor_cycle(
        F0, _single_state(F0, state0, "state0"), burn_in, max_period, where="param"
    )
    k = cyc.period
    direction = np.sign(p_to - p_start)
    p, h = p_start, abs(p_to - p_start) / 100
    z = cyc.points[0]
    last = (cyc, p)
    try:
        while h > 1e-14:
            p_new = p + direction * h
            if (p_to - p_new) * direction < 0:
                break
            new = _cycle(bfam(p_new), z, k)
            if not new.converged or new.period != k:
                h /= 3
                continue
            mu = _test_fn(new.multipliers, 1.0) + 1.0
            p, z, last = p_new, new.points[0], (new, p_new)
            if mu > 0.999:
                break
        c_last, p_last = last
        z_pol, p_pol, res, ok = _polish(bfam, c_last.points[0], p_last, k, 1.0)
    except _OutOfTime:
        raise ValueError(
            f"max_seconds={max_seconds:g} ran out while continuing the period-{k} cycle from "
            f"{p_start:g} (reached {p:g}); raise max_seconds or start closer to the fold"
        ) from None
    mu_last = _test_fn(c_last.multipliers, 1.0) + 1.0
    lo, hi = min(p_start, p_to), max(p_start, p_to)
    slack = 1e-9 * max(1.0, abs(lo), abs(hi))
    if not ok or not (lo - slack <= p_pol <= hi + slack):
        raise ValueError(
            f"towards: no saddle-node of the period-{k} cycle found between param={p_start:g} "
            f"and towards={p_to:g}: the continuation reached {p_last:.10g} with real multiplier "
            f"nearest +1 equal to {mu_last:.6g}, and Newton on the fold system "
            f"{'ended at ' + format(p_pol, '.10g') if ok else 'did not converge'}; extend "
            f"towards or start closer to the fold"
        )
    bif = Bifurcation(
        kind="saddle-node",
        param=float(p_pol),
        period=k,
        point=z_pol,
        bracket=(float(min(p_pol, p_last)), float(max(p_pol, p_last))),
        test_values=(0.0, float(_test_fn(c_last.multipliers, 1.0))),
        residual=res,
        converged=ok,
    )
    return bif if return_details else bif.param


# ---------------------------------------------------------------------------- Lyapunov
def lyapunov_exponent(
    F: Map,
    state0: Any,
    steps: int = 20_000,
    burn_in: int = 2_000,
    *,
    return_result: bool = False,
    bound: float = 1e10,
) -> float | np.ndarray | LyapunovResult:
    """Largest Lyapunov exponent λ = lim (1/T) Σ log‖DF(x_t) q_t‖ (q_t renormalised).

    In one dimension this is ⟨log|F'(x_t)|⟩ over the orbit; in higher dimension the tangent vector
    is renormalised every step (Benettin et al. 1980), starting from q₀ = e₁. Batched over
    ``state0`` and the map's parameter. At a stable fixed point z* of a 1-D map
    λ = log|F'(z*)| (e.g. log|1 − 2a| for F_a, a < 1); at the fully chaotic F_2 it is log 3.

    Rules: a step with DF(x_t) q_t = 0 exactly contributes log 0 = −∞, so an orbit through a
    critical point (a superstable cycle) has λ = −∞ (in dim > 1, if q_t alone is annihilated
    while DF(x_t) ≠ 0, q_t is first replaced by a fixed generic unit vector, so −∞ means that
    vector is annihilated too). Divergence is data, not an error: members that leave
    ``bound`` or overflow give NaN and ``diverged`` True (``return_result=True``), with no
    RuntimeWarning.
    """
    F = _check_map(F)
    steps = positive_int(steps, "steps")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    return_result = _check_bool(return_result, "return_result")
    bound = positive_float(bound, "bound")
    x0 = _run_state(F, state0, "state0")
    _batch_shape(F, x0)
    with np.errstate(all="ignore"):
        tr = iterate(F, x0, burn_in, record_every=0, bound=bound)
        x = tr.final
        batch = x.shape[:-1]
        param = F.param
        if param is not None:
            param = np.broadcast_to(param, batch)
        q = np.zeros(x.shape)
        q[..., 0] = 1.0
        acc = np.zeros(batch)
        acc_half = np.zeros(batch)
        dead = tr.diverged.copy() | ~np.all(np.isfinite(x), axis=-1)
        half = steps // 2
        generic = np.sqrt(np.arange(1, F.dim + 1) + 0.5) % 1.0 + 0.1
        generic = generic / np.linalg.norm(generic)
        steps_done = False
        if F.dim == 1 and F.components is not None and F.jac_components is not None:
            fast = _lyapunov_1d_fast(F, x[..., 0], param, steps, bound)
            if fast is not None:
                acc, acc_half, dead_fast = fast
                dead = dead | dead_fast
                steps_done = True
        for t in range(0 if steps_done else steps):
            J = F.jac(x, param)
            if F.dim == 1:
                g = np.abs(J[..., 0, 0])
            else:
                qn = np.einsum("...ij,...j->...i", J, q)
                g = np.linalg.norm(qn, axis=-1)
                lost = g == 0
                if np.any(lost):
                    q2 = np.einsum("...ij,j->...i", J, generic)
                    qn = np.where(lost[..., None], q2, qn)
                    g = np.where(lost, np.linalg.norm(q2, axis=-1), g)
                q = qn / np.where(g > 0, g, 1.0)[..., None]
            acc += np.log(g)
            if t + 1 == half:
                acc_half = acc.copy()
            x = F.fn(x, param)
            dead |= ~np.all(np.abs(x) <= bound, axis=-1)
        lam = acc / steps
        first = acc_half / max(half, 1)
        second = (acc - acc_half) / max(steps - half, 1)
        hd = np.where(first == second, 0.0, np.abs(first - second))
    lam = np.where(dead, np.nan, lam)
    hd = np.where(dead, np.nan, hd)
    if return_result:
        return LyapunovResult(lam, steps, burn_in, dead, hd)
    return float(lam) if lam.ndim == 0 else lam


def _lyapunov_1d_fast(
    F: Map, z: np.ndarray, param: Any, steps: int, bound: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Σ log|F'(z_t)| over the orbit with the component fast paths of a 1-D sympy map."""
    z = np.array(z, dtype=float)
    acc = np.zeros(z.shape)
    acc_half = acc
    dead = np.zeros(z.shape, dtype=bool)
    half = steps // 2
    with np.errstate(all="ignore"):
        for t in range(steps):
            d = F.jac_components([z], param)[0]
            acc = acc + np.log(np.abs(d))
            if t + 1 == half:
                acc_half = acc.copy()
            z = F.components([z], param)[0]
            if t % 64 == 63:
                dead |= ~(np.abs(z) <= bound)
        dead |= ~(np.abs(z) <= bound)
    return acc, acc_half, dead


# ---------------------------------------------------------------------------- classification
def _check_classify_args(
    burn_in: Any,
    max_period: Any,
    tol: Any,
    paired: Any,
    lyapunov_steps: Any,
    chaos_threshold: Any,
    bound: Any,
    max_seconds: Any,
) -> tuple[int, int, float, bool, int, float, float, float | None]:
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    max_period = positive_int(max_period, "max_period")
    tol = positive_float(tol, "tol")
    paired = _check_bool(paired, "paired")
    lyapunov_steps = positive_int(lyapunov_steps, "lyapunov_steps")
    chaos_threshold = real_float(chaos_threshold, "chaos_threshold")
    bound = positive_float(bound, "bound")
    max_seconds = _check_max_seconds(max_seconds)
    return (
        burn_in,
        max_period,
        tol,
        paired,
        lyapunov_steps,
        float(chaos_threshold),
        bound,
        max_seconds,
    )


def _cycle_multipliers(
    F: Map, last: np.ndarray, pflat: np.ndarray | None, per: np.ndarray, idx: np.ndarray
) -> np.ndarray:
    """Dominant multiplier modulus of DF^k along the window's last k states (per member).

    Multipliers equal to 1 (|μ − 1| < 1e-9: directions along a manifold of fixed points or
    cycles) are ignored, as in the fixed-point rule of :func:`classify`.
    """
    rho = np.full(idx.shape, np.nan)
    for k in np.unique(per[idx]):
        k = int(k)
        sel = idx[per[idx] == k]
        x = last[sel]
        p = None if pflat is None else pflat[sel]
        with np.errstate(all="ignore"):
            J = None
            for _ in range(k):
                Jx = F.jac(x, p)
                J = Jx if J is None else Jx @ J
                x = F.fn(x, p)
            ok = np.all(np.isfinite(J), axis=(-2, -1))
            ev = np.full(J.shape[:-1], np.nan, dtype=complex)
            if ok.any():
                ev[ok] = np.linalg.eigvals(J[ok])
        mag = np.where(np.abs(ev - 1.0) < 1e-9, 0.0, np.abs(ev))
        rho[np.searchsorted(idx, sel)] = np.max(mag, axis=-1)
    return rho


def classify(
    F: Map | Model,
    state0: Any,
    burn_in: int = 10_000,
    max_period: int = 64,
    tol: float = 1e-8,
    *,
    eta: Any = None,
    paired: bool = False,
    lyapunov_steps: int = 5_000,
    chaos_threshold: float = 0.01,
    bound: float = 1e10,
    max_seconds: float | None = 3600.0,
) -> Phase | np.ndarray:
    """The phase of the orbit from ``state0``: a :class:`Phase` (an object array for batches).

    Order of decisions: diverged (left ``bound`` or not finite) → period detection (as
    :func:`period`) → period 1: converged, monotone or oscillating by the sign of the dominant
    multiplier of DF at the limit → period ≥ 2: periodic → otherwise the largest Lyapunov
    exponent decides chaotic (> ``chaos_threshold``) or unknown.

    Stability of the limit (``Phase.stable``): ρ = largest multiplier modulus of DF^period along
    the limit cycle (multipliers equal to 1 ignored); stable if ρ < 1 − δ, unstable if
    ρ > 1 + δ, None in between, δ = 1e-9 (see :class:`Cycle`). An orbit that lands exactly on
    an unstable fixed point keeps its orbit kind (``converged_*``) with ``stable=False``, so
    ``Phase.converged`` is False and ``str(phase)`` says "unstable fixed point".

    ``F`` may also be a :class:`Model` with a step size ``eta`` (scalar or 1-D grid): GD is then
    classified over the batch ``eta.shape + state0.shape[:-1]`` (as :func:`~toymodels.gd`;
    ``paired=True`` broadcasts instead), the loss is tracked along the burn-in, and converged
    runs whose loss rose above L_0 are reported as ``catapult``.

    Every argument is validated before any iteration. Cost: about burn_in + 2·max_period +
    lyapunov_steps map steps per member. ``max_seconds`` (None: unlimited) is checked up front
    from a timed probe of ≤ 256 steps (and, for a Model, after every chunk of the burn-in): if
    the estimate exceeds it, a ValueError names ``max_seconds`` and says what to lower
    (``burn_in``, ``lyapunov_steps``, ``max_period`` or the batch). The window of
    2·max_period + 1 states per member must fit in 2 GiB (else a ValueError names
    ``max_period``).
    """
    (
        burn_in,
        max_period,
        tol,
        paired,
        lyapunov_steps,
        chaos_threshold,
        bound,
        max_seconds,
    ) = _check_classify_args(
        burn_in, max_period, tol, paired, lyapunov_steps, chaos_threshold, bound, max_seconds
    )
    if isinstance(F, Model):
        return _classify_gd(
            F,
            state0,
            eta,
            burn_in,
            max_period,
            tol,
            paired=paired,
            lyapunov_steps=lyapunov_steps,
            chaos_threshold=chaos_threshold,
            bound=bound,
            max_seconds=max_seconds,
        )
    if eta is not None:
        raise ValueError("eta is only used when F is a Model (GD); a Map carries its own step")
    F = _check_map(F)
    x0 = _run_state(F, state0, "state0")
    nb = int(np.prod(_batch_shape(F, x0), dtype=np.int64))
    _window_guard(2 * max_period + 1, nb, F.dim, "max_period")
    budget = _Budget(max_seconds)
    if max_seconds is not None:
        n_probe = min(256, burn_in + 2 * max_period)
        with np.errstate(all="ignore"):
            t0 = time.perf_counter()
            _iterate(F, x0, n_probe, 0, bound)
            t_step = (time.perf_counter() - t0) / max(n_probe, 1)
        total = burn_in + 2 * max_period + lyapunov_steps
        budget.refuse_estimate(
            t_step * total,
            f"classify ({total} steps × {nb} members)",
            "lower burn_in, lyapunov_steps or max_period, or split the batch",
        )
    with np.errstate(all="ignore"):
        tr = _iterate(F, x0, burn_in, 0, bound)
        window = _iterate(F, tr.final, 2 * max_period, 1, bound)
    batch = window.batch_shape
    w = window.theta.reshape(window.theta.shape[0], -1, F.dim)
    per = _period_from_window(w, max_period, tol)
    div_at = np.where(tr.diverged, tr.diverged_at, -1).reshape(-1)
    div2 = window.diverged.reshape(-1)
    div_at = np.where((div_at < 0) & div2, burn_in + window.diverged_at.reshape(-1), div_at)
    last = w[-1]
    param = F.param
    pflat = None if param is None else np.broadcast_to(param, batch).reshape(-1)
    alive = div_at < 0
    per = np.where(alive, _polish_periods(F, last, np.where(alive, per, 0), pflat, tol), per)
    lyap = np.full(last.shape[0], np.nan)
    need = (per == 0) & (div_at < 0)
    if need.any():
        sub = Map(F.fn, F.jac, F.dim, param=None if pflat is None else pflat[need])
        with np.errstate(all="ignore"):
            lyap[need] = lyapunov_exponent(
                sub, last[need], steps=lyapunov_steps, burn_in=0, bound=bound
            )
    fixed = (per == 1) & (div_at < 0)
    mult = np.full(last.shape[0], np.nan)
    if fixed.any():
        with np.errstate(all="ignore"):
            J = F.jac(last[fixed], None if pflat is None else pflat[fixed])
            ev = np.linalg.eigvals(J)
        # multipliers equal to 1 belong to directions along a manifold of fixed points (flat
        # directions of a loss with a continuum of minima); they carry no dynamics
        mag = np.where(np.abs(ev - 1.0) < 1e-9, -1.0, np.abs(ev))
        dom = np.take_along_axis(ev, np.argmax(mag, axis=-1)[:, None], axis=-1)[:, 0]
        dom = np.where(np.max(mag, axis=-1) < 0, 0.0, dom.real)
        mult[fixed] = dom
    rho = np.full(last.shape[0], np.nan)
    cyc_idx = np.nonzero((per >= 1) & (div_at < 0))[0]
    if cyc_idx.size:
        rho[cyc_idx] = _cycle_multipliers(F, last, pflat, per, cyc_idx)
    delta = STABILITY_MARGIN
    phases = np.empty(last.shape[0], dtype=object)
    for i in range(last.shape[0]):
        stable: bool | None = None
        if per[i] >= 1 and np.isfinite(rho[i]):
            stable = True if rho[i] < 1 - delta else (False if rho[i] > 1 + delta else None)
        if div_at[i] >= 0:
            phases[i] = Phase("diverged", diverged_at=int(div_at[i]))
        elif per[i] == 1:
            kind = "converged_oscillating" if mult[i] < 0 else "converged_monotone"
            phases[i] = Phase(
                kind, period=1, multiplier=float(mult[i]), limit=last[i].copy(), stable=stable
            )
        elif per[i] >= 2:
            phases[i] = Phase("periodic", period=int(per[i]), limit=last[i].copy(), stable=stable)
        else:
            kind = "chaotic" if lyap[i] > chaos_threshold else "unknown"
            phases[i] = Phase(kind, lyapunov=float(lyap[i]), limit=last[i].copy())
    if len(batch) == 0:
        return phases[0]
    return phases.reshape(batch)


def _classify_gd(
    model: Model,
    theta0: Any,
    eta: Any,
    burn_in: int,
    max_period: int,
    tol: float,
    *,
    paired: bool,
    lyapunov_steps: int,
    chaos_threshold: float,
    bound: float,
    max_seconds: float | None = None,
    chunk: int = 256,
) -> Phase | np.ndarray:
    """GD phases with the loss tracked along the burn-in (catapult detection).

    Arguments are validated by :func:`classify`. The time budget is checked after each chunk
    of the burn-in by extrapolating the time per step to the whole run.
    """
    from .dynamics import gd

    if eta is None:
        raise ValueError("eta is required when classifying gradient descent on a Model")
    # validate the states under the name the caller used (gd would call them theta0)
    _step_size_batch(
        model,
        theta0,
        eta,
        paired,
        lambda members: _window_guard(2 * max_period + 1, members, model.n_params, "max_period"),
        theta_name="state0",
    )
    budget = _Budget(max_seconds)
    first = gd(model, theta0, eta, 0, record_every=0, paired=paired, bound=bound)
    batch = first.batch_shape
    eta_b = first.eta
    theta = first.final
    with np.errstate(all="ignore"):
        L0 = model.loss(theta)
    peak = L0.copy()
    dead = np.zeros(batch, dtype=bool)
    div_at = np.full(batch, -1, dtype=np.int64)
    done = 0
    while done < burn_in and not dead.all():
        n = min(chunk, burn_in - done)
        start = np.where(dead[..., None], 0.0, theta)  # dead members run from 0, ignored
        tr = gd(
            model,
            start.reshape(-1, model.n_params),
            eta_b.reshape(-1),
            n,
            record_every=1,
            paired=True,
            bound=bound,
        )
        with np.errstate(all="ignore"):
            chunk_peak = np.nanmax(np.where(np.isnan(tr.loss[1:]), -np.inf, tr.loss[1:]), axis=0)
        peak = np.where(dead, peak, np.fmax(peak, chunk_peak.reshape(batch)))
        new_dead = tr.diverged.reshape(batch) & ~dead
        div_at = np.where(new_dead, done + tr.diverged_at.reshape(batch), div_at)
        dead |= new_dead
        theta = np.where(dead[..., None], np.nan, tr.final.reshape((*batch, model.n_params)))
        done += n
        if max_seconds is not None:
            per_step = budget.elapsed() / done
            budget.refuse_estimate(
                per_step * (burn_in + 2 * max_period + lyapunov_steps),
                f"classify of GD ({burn_in} burn-in steps, {done} done, "
                f"{int(np.prod(batch))} members)",
                "lower burn_in, lyapunov_steps or max_period, or split the eta/state0 grid",
            )
    from .maps import gd_family

    fam = gd_family(model)
    F = fam(eta_b)
    finite = np.all(np.isfinite(theta), axis=-1)
    start = np.where(finite[..., None], theta, 0.0)
    phases = classify(
        F,
        start,
        burn_in=0,
        max_period=max_period,
        tol=tol,
        lyapunov_steps=lyapunov_steps,
        chaos_threshold=chaos_threshold,
        bound=bound,
        max_seconds=None if max_seconds is None else max(max_seconds - budget.elapsed(), 1e-9),
    )
    phases = np.asarray(phases, dtype=object).reshape(batch) if batch else phases
    with np.errstate(all="ignore"):
        ratio = peak / L0
    rise = peak > L0 * (1 + 1e-12)

    def finish(ph: Phase, fin: bool, r: float, up: bool, at: int) -> Phase:
        if not fin:
            return Phase("diverged", diverged_at=at, peak_loss_ratio=float("inf"))
        if ph.kind == "diverged":
            return replace(ph, diverged_at=burn_in + ph.diverged_at, peak_loss_ratio=float(r))
        kind = "catapult" if (ph.converged and up) else ph.kind
        return replace(ph, kind=kind, peak_loss_ratio=float(r))

    if not batch:
        return finish(phases, bool(finite), float(ratio), bool(rise), int(div_at))
    out = np.empty(batch, dtype=object)
    for idx in np.ndindex(batch):
        out[idx] = finish(
            phases[idx], bool(finite[idx]), float(ratio[idx]), bool(rise[idx]), int(div_at[idx])
        )
    return out


# ---------------------------------------------------------------------------- orbit diagrams
def bifurcation_diagram(
    family: Any,
    params: Any,
    state0: Any,
    burn_in: int = 5_000,
    keep: int = 300,
    *,
    seeding: str = "fixed",
    bound: float = 1e10,
    progress: bool = False,
    max_seconds: float | None = 3600.0,
) -> BifurcationDiagram:
    """Orbit-diagram data: for each parameter value, ``keep`` states after ``burn_in`` steps.

    seeding : ``"fixed"`` starts every parameter from ``state0`` (one vectorized call for a
        :class:`MapFamily`); ``"continuation"`` seeds each parameter with the previous one's final
        state (a sequential sweep that follows one attractor; diverged seeds restart at
        ``state0``).

    Checks before any iteration: ``params`` finite, 1-D, non-empty and in the family's domain
    (a GD family refuses step sizes η ≤ 0, naming ``eta``); the result array
    len(params)·keep·dim·8 bytes must fit in 2 GiB (else a ValueError names ``keep``).
    ``max_seconds`` (None: unlimited): the vectorized path times a probe of ≤ 64 steps and
    refuses up front if burn_in + keep steps are estimated above it; the sequential path
    extrapolates after each parameter value. Either way a ValueError names ``max_seconds`` and
    what to lower (``burn_in``, ``keep``, the number of ``params``).
    """
    fam = _check_family(family)
    ps = as_float_array(params, "params")
    if ps.ndim != 1 or ps.size == 0:
        raise ValueError(f"params must be a non-empty 1-D array, got shape {ps.shape}")
    ps = _check_family_params(fam, ps, "params")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    keep = positive_int(keep, "keep")
    if not isinstance(seeding, str) or seeding not in ("fixed", "continuation"):
        raise ValueError(f"seeding must be 'fixed' or 'continuation', got {seeding!r}")
    bound = positive_float(bound, "bound")
    progress = _check_bool(progress, "progress")
    max_seconds = _check_max_seconds(max_seconds)
    first = _family_at(fam, ps[0], "params")
    x0 = _single_state(first, state0, "state0")
    dim = first.dim
    need = float(ps.size) * keep * dim * 8
    if need > WINDOW_BYTES:
        raise ValueError(
            f"keep={keep} × {ps.size} params × dim {dim} needs {need / 2**30:.3g} GiB "
            f"(> {WINDOW_BYTES / 2**30:g} GiB); lower keep or use fewer params"
        )
    budget = _Budget(max_seconds)
    fix = "lower burn_in or keep, or use fewer params"
    if seeding == "fixed" and isinstance(fam, MapFamily):
        F = fam(ps)
        x = np.broadcast_to(x0, (ps.size, dim))
        if max_seconds is not None:
            n_probe = min(64, burn_in + keep)
            with np.errstate(all="ignore"):
                t0 = time.perf_counter()
                _iterate(F, x, n_probe, 0, bound)
                t_step = (time.perf_counter() - t0) / max(n_probe, 1)
            budget.refuse_estimate(
                t_step * (burn_in + keep), f"{burn_in + keep} steps × {ps.size} params", fix
            )
        with np.errstate(all="ignore"):
            tr = _iterate(F, x, burn_in, 0, bound)
            win = _iterate(F, tr.final, keep - 1, 1, bound)
        pts = np.moveaxis(win.theta, 0, 1)
        div = tr.diverged | win.diverged
        return BifurcationDiagram(ps, pts, burn_in, seeding, div)
    pts = np.full((ps.size, keep, dim), np.nan)
    div = np.zeros(ps.size, dtype=bool)
    seed = x0
    it: Any = range(ps.size)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="orbit diagram", leave=False)
    for i in it:
        F = first if i == 0 else _family_at(fam, float(ps[i]), "params")
        if F.dim != dim:
            raise TypeError(f"family returned maps of dimension {dim} and {F.dim}")
        with np.errstate(all="ignore"):
            tr = _iterate(F, F.state(seed, "state0"), burn_in, 0, bound)
            win = _iterate(F, tr.final, keep - 1, 1, bound)
        pts[i] = win.theta.reshape(keep, dim)
        div[i] = bool(tr.diverged.any() or win.diverged.any())
        if seeding == "continuation":
            seed = x0 if div[i] else win.final.reshape(-1)
        if max_seconds is not None:
            est = budget.elapsed() / (i + 1) * ps.size
            budget.refuse_estimate(
                est, f"the sweep over {ps.size} params (after {i + 1} of them)", fix
            )
    return BifurcationDiagram(ps, pts, burn_in, seeding, div)


_ = Callable  # re-exported type for annotations in subclasses
