"""Phase classification of the orbits of a :class:`~toymodels.maps.Map` or of GD on a Model.

* :func:`classify` – a :class:`Phase`: converged (monotone / oscillating), periodic k, chaotic,
  diverged or unknown.

It combines the period search of :mod:`toymodels.cycles` with :func:`toymodels.lyapunov_exponent`
(:mod:`toymodels.lyapunov`); the shared rules are listed in :mod:`toymodels.orbits`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import _numba_maps
from ._orbit_common import (
    _batch_shape,
    _Budget,
    _check_bool,
    _check_map,
    _check_max_seconds,
    _run_state,
    _window_guard,
)
from ._validate import positive_float, positive_int, real_float
from .cycles import STABILITY_MARGIN, _period_from_window, _polish_periods
from .dynamics import _iterate, _step_size_batch
from .lyapunov import lyapunov_exponent
from .maps import Map
from .model import Model

__all__ = [
    "Phase",
    "classify",
]


# --------------------------------------------------------------------------- result objects
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


# --------------------------------------------------------------------------- classification
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
    backend: str = "numpy",
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

    ``backend``: ``"numpy"`` (default, the reference), ``"numba"`` or ``"auto"``. With
    ``"numba"`` the burn-in, the window and the Lyapunov exponent run in the compiled kernels
    of a symbolic map (:class:`~toymodels.maps.SymbolicMap`; for a Model, GD's own numba path
    and the kernels of its GD map); a map of plain Python callables raises a ValueError naming
    ``backend``; ``"auto"`` uses numba when installed and the map is symbolic. The period
    search, Newton confirmation and multipliers are the same numpy code either way. The
    kernels compile once per map and process (about a second each).
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
    backend = _numba_maps.check_backend(backend)
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
            backend=backend,
        )
    if eta is not None:
        raise ValueError("eta is only used when F is a Model (GD); a Map carries its own step")
    F = _check_map(F)
    x0 = _run_state(F, state0, "state0")
    nb = int(np.prod(_batch_shape(F, x0), dtype=np.int64))
    _window_guard(2 * max_period + 1, nb, F.dim, "max_period")
    backend = "numba" if _numba_maps.use_numba(F, backend) else "numpy"
    budget = _Budget(max_seconds)
    if max_seconds is not None:
        n_probe = min(256, burn_in + 2 * max_period)
        if backend == "numba":
            _numba_maps.warm_up(F)  # compile first: the probe times the run, not numba
        with np.errstate(all="ignore"):
            t0 = time.perf_counter()
            _iterate(F, x0, n_probe, 0, bound, backend=backend)
            t_step = (time.perf_counter() - t0) / max(n_probe, 1)
        total = burn_in + 2 * max_period + lyapunov_steps
        budget.refuse_estimate(
            t_step * total,
            f"classify ({total} steps × {nb} members)",
            "lower burn_in, lyapunov_steps or max_period, or split the batch",
        )
    with np.errstate(all="ignore"):
        tr = _iterate(F, x0, burn_in, 0, bound, backend=backend)
        window = _iterate(F, tr.final, 2 * max_period, 1, bound, backend=backend)
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
        sub = F._with_param(None if pflat is None else pflat[need])
        with np.errstate(all="ignore"):
            lyap[need] = lyapunov_exponent(
                sub, last[need], steps=lyapunov_steps, burn_in=0, bound=bound, backend=backend
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
    backend: str = "numpy",
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
    first = gd(model, theta0, eta, 0, record_every=0, paired=paired, bound=bound, backend=backend)
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
            backend=backend,
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
        backend=backend,
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
