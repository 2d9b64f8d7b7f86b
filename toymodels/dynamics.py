"""Trajectories: gradient descent, general map iteration and gradient flow, batched.

* :func:`gd` runs θ_{t+1} = θ_t − η∇L(θ_t) for a whole grid of step sizes × initialisations in one
  vectorized loop.
* :func:`iterate` does the same for any :class:`~toymodels.maps.Map` (reduced maps, families).
* :func:`gradient_flow` integrates dθ/dt = −∇L(θ) with ``scipy.integrate.solve_ivp``.

Divergence is data: a member whose state leaves ``|θ_i| ≤ bound`` or stops being finite is marked
``diverged`` with the first step ``diverged_at`` at which that happened, and its later states are
NaN. The loop runs under ``np.errstate(all="ignore")``: no overflow warnings reach the user. The
check runs every ``check_every`` steps; when a chunk produced a divergence, that chunk is replayed
for the diverged members only, so ``diverged_at`` is exact.

Memory. Before allocating, :func:`gd`, :func:`sgd`, :func:`iterate` and :func:`gradient_flow`
estimate their peak memory and raise a ``ValueError`` naming ``steps`` / ``record_every`` (or
``n_points``) when it exceeds :data:`toymodels.limits.MEMORY_BUDGET` (default 4 GiB; env
``TOYMODELS_MEMORY_BUDGET``; ``tm.limits.memory_budget(nbytes)`` for a block of code). The
estimate, with R = number of recorded steps (``⌈T/k⌉ + 1`` for ``record_every=k ≥ 1``, 1 for
``k = 0``), B members and p coordinates, in bytes::

    8·R·B·p (states) + 8·R·B (loss; not for maps) + 8·R (step indices)
    + 8·5·B·p (working copies of the state) [+ sgd: the current sample-index blocks]

The loss of the recorded states is evaluated in blocks of records, so the peak stays at the
result size plus a few MiB. To keep summaries of a long run without its states, pass
``callback=f``: ``f(step, theta)`` is called at every recorded step and only the final state is
stored.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.integrate import BDF, LSODA, OdeSolver, Radau, solve_ivp

from . import limits
from ._validate import (
    as_float_array,
    positive_float,
    positive_int,
    positive_scalar_or_vector,
    refuse_empty,
)
from .maps import Map
from .model import Model

__all__ = ["SAMPLINGS", "Trajectory", "gd", "gradient_flow", "iterate", "sgd"]


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A recorded run, batched.

    Attributes
    ----------
    theta : (T, *batch, dim) recorded states (NaN after divergence).
    loss : (T, *batch) loss at the recorded states (None for map iterations).
    steps : (T,) step index of each record (GD / maps).
    t : (T,) times (gradient flow), else None.
    eta : step size of each member, shape ``batch`` (None for maps / flow).
    diverged : (*batch) bool.
    diverged_at : (*batch) int, first step (GD, maps) or record index (flow) at which the member
        left the bounded region; −1 where it did not diverge.
    """

    theta: np.ndarray
    loss: np.ndarray | None
    steps: np.ndarray
    diverged: np.ndarray
    diverged_at: np.ndarray
    eta: np.ndarray | None = None
    t: np.ndarray | None = None
    model: Model | None = field(default=None, repr=False)
    map: Map | None = field(default=None, repr=False)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the batch (step sizes × initialisations)."""
        return self.diverged.shape

    @property
    def final(self) -> np.ndarray:
        """Last recorded state, (*batch, dim)."""
        return self.theta[-1]

    @cached_property
    def sharpness(self) -> np.ndarray:
        """Top Hessian eigenvalue at each recorded state, (T, *batch); NaN after divergence."""
        if self.model is None:
            raise AttributeError("sharpness needs a Model (this trajectory iterated a bare Map)")
        from .spectrum import sharpness

        th = self.theta
        p = th.shape[-1]
        per_record = max(1, th[0].size // max(p, 1)) * p * p  # Hessian entries per record
        rows = max(1, _CHUNK_ELEMENTS // per_record)
        with np.errstate(all="ignore"):  # overflowing states give NaN/inf, never a warning
            if th.shape[0] <= rows:
                return sharpness(self.model, th)
            # many records: evaluate block by block (each state's value does not depend on the
            # block), so the Hessians never exist for the whole run at once
            out = np.empty(th.shape[:-1])
            for a in range(0, th.shape[0], rows):
                out[a : a + rows] = sharpness(self.model, th[a : a + rows])
            return out

    def __repr__(self) -> str:
        n_div = int(self.diverged.sum())
        return (
            f"Trajectory(records={self.theta.shape[0]}, batch={self.batch_shape}, "
            f"dim={self.theta.shape[-1]}, diverged={n_div}/{self.diverged.size})"
        )


#: elements per block when the loss / sharpness of many records is evaluated block by block
_CHUNK_ELEMENTS = 1 << 16
#: working copies of the (B, p) state the engine holds besides the records (state, chunk start,
#: gradient, scaled gradient, input broadcast)
_WORK_COPIES = 5
#: steps and record indices must fit in int64
_MAX_STEPS = 2**62


def _n_records(steps: int, record_every: int) -> int:
    """Number of recorded steps: 0, k, 2k, … and T (T alone for ``record_every=0``)."""
    if record_every == 0:
        return 1
    return steps // record_every + 1 + (steps % record_every != 0)


def _record_step(r: int, steps: int, record_every: int) -> int:
    """The step of record ``r``."""
    return steps if record_every == 0 else min(r * record_every, steps)


def _record_steps(steps: int, record_every: int) -> np.ndarray:
    if record_every == 0:
        return np.array([steps], dtype=np.int64)
    rec = np.arange(0, steps + 1, record_every, dtype=np.int64)
    if rec[-1] != steps:
        rec = np.append(rec, steps)
    return rec


def _check_run_memory(
    steps: int,
    record_every: int,
    members: int,
    dim: int,
    *,
    loss: bool,
    callback: bool,
    extra: tuple[tuple[str, float], ...] = (),
) -> None:
    """The size estimate of :func:`gd` / :func:`sgd` / :func:`iterate` (module docstring)."""
    n_rec = 1 if callback else _n_records(steps, record_every)
    per_record = 8.0 * members * dim + (8.0 * members if loss else 0.0) + 8.0
    fixed = [("working copies of the state", 8.0 * _WORK_COPIES * members * dim), *extra]
    parts = [
        (f"{n_rec} records of {members} x {dim} states", 8.0 * n_rec * members * dim),
        ("their loss", 8.0 * n_rec * members if loss else 0.0),
        ("record steps", 8.0 * n_rec),
        *fixed,
    ]
    budget = limits.MEMORY_BUDGET
    if budget is None or sum(b for _, b in parts) <= budget:
        return
    fixed_bytes = sum(b for _, b in fixed)
    if fixed_bytes + per_record > budget:
        limits.check_memory(
            f"theta0/eta: a batch of {members} members with {dim} coordinates",
            parts,
            "Run fewer members per call (split eta or theta0 into several calls).",
        )
    # the largest number of records that fits, and the record_every that achieves it
    r_max = int((budget - fixed_bytes) // per_record)
    if r_max >= 2 and steps > 0:
        k = max(1, -(-steps // max(r_max - 2, 1)))
        while _n_records(steps, k) > r_max:
            k += 1
        hint = f"record_every={k} (or larger) keeps {_n_records(steps, k)} records; "
    else:
        hint = ""
    limits.check_memory(
        f"steps={steps} with record_every={record_every}",
        parts,
        f"Record less: {hint}record_every=0 keeps the final state only; or pass "
        "callback=f, called as f(step, theta) at every recorded step, to keep summaries (e.g. "
        "the loss) instead of the states.",
    )


#: one step of the engine: (component arrays, per-member parameter, step index t) → components
Step = Callable[[list[np.ndarray], np.ndarray | None, int], list[np.ndarray]]


def _bad(comps: list[np.ndarray], bound: float) -> np.ndarray:
    """Members (axis 0) with a component above ``bound`` or not finite (NaN compares False)."""
    bad = np.zeros(comps[0].shape[0], dtype=bool)
    for c in comps:
        ok = np.abs(c) <= bound
        bad |= ~(ok if ok.ndim == 1 else np.all(ok, axis=tuple(range(1, ok.ndim))))
    return bad


def _store(records: np.ndarray, r: int, comps: list[np.ndarray]) -> None:
    if len(comps) == 1 and comps[0].ndim == 2:  # array mode: one (B, dim) block
        records[r] = comps[0]
    else:
        for i, c in enumerate(comps):
            records[r, :, i] = c


def _state(comps: list[np.ndarray]) -> np.ndarray:
    """A fresh (B, dim) array of the current state."""
    if len(comps) == 1 and comps[0].ndim == 2:
        return comps[0].copy()
    return np.stack(comps, axis=-1)


def _run(
    step: Step,
    comps: list[np.ndarray],
    param: np.ndarray | None,
    steps: int,
    record_every: int,
    bound: float,
    check_every: int,
    emit: Callable[[int, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The engine on a flat batch (B,); returns (records, rec_steps, diverged_at).

    Without ``emit`` every recorded step is stored. With ``emit``, ``emit(step, state)`` receives
    each recorded state (a fresh (B, dim) array) under the caller's floating-point error state,
    and only the final state is stored (rec_steps = [steps]); once every member has diverged the
    run stops and ``emit`` is not called again.
    """
    B = comps[0].shape[0]
    dim = comps[0].shape[1] if (len(comps) == 1 and comps[0].ndim == 2) else len(comps)
    n_rec = _n_records(steps, record_every)
    if emit is None:
        rec_steps = _record_steps(steps, record_every)
        records = np.empty((n_rec, B, dim))
    else:
        rec_steps = np.array([steps], dtype=np.int64)
        records = np.empty((1, B, dim))
    user_err = np.geterr()

    def record(r: int, t: int, comps: list[np.ndarray]) -> None:
        if emit is None:
            _store(records, r, comps)
            return
        if t == steps:
            _store(records, 0, comps)
        with np.errstate(**user_err):
            emit(t, _state(comps))

    div_at = np.full(B, -1, dtype=np.int64)
    with np.errstate(all="ignore"):
        bad0 = _bad(comps, bound)
        if bad0.any():
            div_at[bad0] = 0
            for c in comps:
                c[bad0] = np.nan
        t = 0
        r = 0
        if _record_step(0, steps, record_every) == 0:
            record(0, 0, comps)
            r = 1
        while t < steps:
            next_rec = _record_step(r, steps, record_every) if r < n_rec else steps
            stop = min(t + check_every, steps, next_rec)
            start = [c.copy() for c in comps]
            for k in range(t, stop):
                comps = step(comps, param, k)
            bad = _bad(comps, bound) & (div_at < 0)
            if bad.any():
                idx = np.nonzero(bad)[0]
                sub = [s[idx] for s in start]
                sp = None if param is None else param[idx]
                first = np.full(idx.shape, -1, dtype=np.int64)
                for k in range(t + 1, stop + 1):
                    sub = step(sub, sp, k - 1)
                    hit = _bad(sub, bound) & (first < 0)
                    first[hit] = k
                first[first < 0] = stop  # pragma: no cover - replay is deterministic
                div_at[idx] = first
                dead = div_at >= 0
                comps = [
                    np.where(dead.reshape((-1,) + (1,) * (c.ndim - 1)), np.nan, c) for c in comps
                ]
            t = stop
            if bool(np.all(div_at >= 0)):  # everyone diverged: the rest is NaN
                if emit is None:
                    records[r:] = np.nan
                else:
                    records[0] = np.nan
                break
            if r < n_rec and t == next_rec:
                record(r, t, comps)
                r += 1
    return records, rec_steps, div_at


def _steps_and_record(steps: Any, record_every: Any) -> tuple[int, int]:
    steps = positive_int(steps, "steps", allow_zero=True)
    record_every = positive_int(record_every, "record_every", allow_zero=True)
    if steps > _MAX_STEPS:
        raise ValueError(f"steps must be <= 2**62 (step indices are int64), got {steps}")
    return steps, record_every


def _flag(value: Any, name: str) -> bool:
    """A boolean switch: ``True``/``False`` (numpy booleans too), nothing that is merely truthy."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def _callback(callback: Any) -> Callable[[int, np.ndarray], Any] | None:
    if callback is not None and not callable(callback):
        raise TypeError(
            f"callback must be None or callable as callback(step, theta), got {callback!r}"
        )
    return callback


def _emitter(
    callback: Callable[[int, np.ndarray], Any] | None, batch: tuple[int, ...], dim: int
) -> Callable[[int, np.ndarray], None] | None:
    """The engine's ``emit`` for a user callback: flat (B, dim) states → (*batch, dim)."""
    if callback is None:
        return None

    def emit(t: int, state: np.ndarray) -> None:
        callback(t, state.reshape((*batch, dim)))

    return emit


def _seed(seed: Any) -> int:
    """An sgd seed: an integer >= 0 (``numpy.random.default_rng(seed)``)."""
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, float)):
        raise TypeError(f"seed must be an integer >= 0, got {seed!r}")
    return positive_int(seed, "seed", allow_zero=True)


def _step_size_batch(
    model: Model,
    theta0: Any,
    eta: Any,
    paired: bool,
    check: Callable[[int], None] | None = None,
    *,
    theta_name: str = "theta0",
) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Validate (theta0, eta) and lay out the batch shared by :func:`gd` and :func:`sgd`.

    ``check(members)`` (the memory estimate) runs before the batch is materialised.
    ``theta_name`` is the name errors use for ``theta0`` (``classify`` calls it ``state0``).
    Returns (batch shape, eta broadcast to it, flat states (M, p), flat step sizes (M,)).
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    th = _initial_theta(model, theta0, theta_name)
    e = positive_scalar_or_vector(eta, "eta")
    B = th.shape[:-1]
    if paired:
        try:
            batch = np.broadcast_shapes(e.shape, B)
        except ValueError as exc:
            raise ValueError(
                f"eta (shape {e.shape}) does not broadcast against {theta_name}'s batch {B}"
            ) from exc
        eta_b = np.broadcast_to(e, batch)
    else:
        batch = (*e.shape, *B)
        eta_b = np.broadcast_to(e.reshape(e.shape + (1,) * len(B)), batch)
    if check is not None:
        check(int(np.prod(batch, dtype=np.int64)))
    flat = np.broadcast_to(th, (*batch, model.n_params)).reshape(-1, model.n_params)
    return batch, eta_b, flat, np.ascontiguousarray(eta_b).reshape(-1)


def _per_parameter_batch(
    model: Model,
    theta0: Any,
    eta: Any,
    paired: bool,
    check: Callable[[int], None] | None = None,
) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_step_size_batch` for ``gd(..., per_parameter=True)``: ``eta`` is (p,) or (E, p).

    The batch is laid out from ``eta.shape[:-1]`` exactly as the scalar case lays it out from
    ``eta.shape``. Returns (batch shape, eta broadcast to (*batch, p), flat states (M, p), flat
    step sizes (M, p)).
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    th = _initial_theta(model, theta0, "theta0")
    p = model.n_params
    e = as_float_array(eta, "eta")
    if e.ndim not in (1, 2) or e.shape[-1] != p:
        raise ValueError(
            f"eta must have shape (p,) or (E, p) with p = model.n_params = {p} when "
            f"per_parameter=True (one step size per parameter), got shape {e.shape}"
        )
    refuse_empty(e, "eta")
    if np.any(e <= 0):
        raise ValueError(f"eta must be > 0, got min {e.min()!r}")
    lead = e.shape[:-1]
    B = th.shape[:-1]
    if paired:
        try:
            batch = np.broadcast_shapes(lead, B)
        except ValueError as exc:
            raise ValueError(
                f"eta (shape {e.shape}, step-size batch {lead}) does not broadcast against "
                f"theta0's batch {B}"
            ) from exc
        eta_b = np.broadcast_to(e, (*batch, p))  # right-aligned, as the scalar case
    else:
        batch = (*lead, *B)
        eta_b = np.broadcast_to(e.reshape((*lead, *(1,) * len(B), p)), (*batch, p))
    if check is not None:
        check(int(np.prod(batch, dtype=np.int64)))
    flat = np.broadcast_to(th, (*batch, p)).reshape(-1, p)
    return batch, eta_b, flat, np.ascontiguousarray(eta_b).reshape(-1, p)


def _per_parameter_engine(model: Model, flat: np.ndarray) -> tuple[list[np.ndarray], Step]:
    """(components, step) of :func:`gd` with an (M, p) step size per member and parameter:
    θ_i ← θ_i − η_i ∂_i L, the scalar engine's operations with η's column i on coordinate i."""
    if model._grad_components is not None:
        comps = [flat[:, i].copy() for i in range(model.n_params)]
        gc = model._grad_components

        def step(c: list[np.ndarray], eta_: np.ndarray | None, _t: int) -> list[np.ndarray]:
            assert eta_ is not None
            g = gc(*c)
            used = {id(x) for x in c}
            for i, (ci, gi) in enumerate(zip(c, g, strict=True)):
                # as the scalar engine: scale a fresh gradient array in place, else a product
                if type(gi) is np.ndarray and gi.shape == ci.shape and id(gi) not in used:
                    used.add(id(gi))
                    np.multiply(gi, eta_[:, i], out=gi)
                    ci -= gi
                else:
                    ci -= eta_[:, i] * gi
            return c

        return comps, step
    grad = model._grad

    def block_step(c: list[np.ndarray], eta_: np.ndarray | None, _t: int) -> list[np.ndarray]:
        assert eta_ is not None
        x = c[0]
        x -= eta_ * grad(x)
        return [x]

    return [flat.copy()], block_step


def _initial_theta(model: Model, theta0: Any, name: str) -> np.ndarray:
    """Starting states of a run: shape (..., p), finite, not an empty batch."""
    th = model._theta(theta0, name)
    refuse_empty(th, name)
    if not np.all(np.isfinite(th)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return th


def _recorded_loss(model: Model, theta: np.ndarray) -> np.ndarray:
    """``model.loss`` of recorded states (T, *batch, p), without warnings; many records are
    evaluated block by block so the loss's temporaries stay a few MiB."""
    members = max(1, theta[0].size // model.n_params)
    rows = max(1, _CHUNK_ELEMENTS // members)
    with np.errstate(all="ignore"):
        if theta.shape[0] <= rows:
            return model.loss(theta)
        loss = np.empty(theta.shape[:-1])
        for a in range(0, theta.shape[0], rows):
            loss[a : a + rows] = model.loss(theta[a : a + rows])
    return loss


def _model_trajectory(
    model: Model,
    records: np.ndarray,
    rec_steps: np.ndarray,
    div_at: np.ndarray,
    batch: tuple[int, ...],
    eta_b: np.ndarray,
) -> Trajectory:
    """Assemble a GD/SGD :class:`Trajectory` (loss evaluated on the recorded states)."""
    theta = records.reshape((len(rec_steps), *batch, model.n_params))
    loss = _recorded_loss(model, theta)
    return Trajectory(
        theta=theta,
        loss=loss,
        steps=rec_steps,
        diverged=(div_at >= 0).reshape(batch),
        diverged_at=div_at.reshape(batch),
        eta=np.array(eta_b),
        model=model,
    )


def gd(
    model: Model,
    theta0: Any,
    eta: Any,
    steps: int,
    record_every: int = 1,
    *,
    paired: bool = False,
    bound: float = 1e10,
    check_every: int = 64,
    backend: str = "numpy",
    callback: Callable[[int, np.ndarray], Any] | None = None,
    per_parameter: bool = False,
) -> Trajectory:
    """Gradient descent θ_{t+1} = θ_t − η∇L(θ_t), batched over step sizes and initialisations.

    Parameters
    ----------
    model : the loss.
    theta0 : (p,) or (*B, p) initialisations.
    eta : step size > 0, a scalar or a 1-D grid of E values; with ``per_parameter=True`` one step
        size per parameter: shape (p,) or a grid (E, p), p = ``model.n_params``.
    steps : number of GD steps T ≥ 0.
    record_every : keep θ at steps 0, k, 2k, … and T; 0 keeps only θ_T.
    paired : if False (default) the batch is the outer product ``eta.shape + B``; if True, ``eta``
        is broadcast against ``B`` (one step size per initialisation). With ``per_parameter``
        the same holds for the leading part ``eta.shape[:-1]`` (E, or nothing for shape (p,)).
    bound : a member diverges when some |θ_i| exceeds it or stops being finite.
    check_every : steps between divergence checks (speed knob; results do not depend on it).
    backend : ``"numpy"`` (default, the reference) or ``"numba"`` (extra ``fast``: a compiled
        per-model kernel for sympy models, run on all cores, ~10× faster per core on small
        models; agrees with numpy to rounding, and with itself bit for bit whatever the number
        of threads); ``"auto"`` picks numba when it is installed and the model is symbolic.
    callback : ``callback(step, theta)`` is called at every recorded step (0, k, 2k, …, T for
        ``record_every=k``; T alone for 0) with a fresh array ``theta`` of shape (*batch, p) (NaN
        for diverged members); the states are then *not* stored: the returned trajectory holds
        the final state only (as with ``record_every=0``). Use it to keep summaries of runs too
        long to record (e.g. ``lambda t, th: losses.append(model.loss(th))``). Once every member
        has diverged the run stops and the callback is not called again. Not with
        ``backend="numba"`` (``"auto"`` then uses numpy).
    per_parameter : if True, a diagonal preconditioner P = diag(η_1, …, η_p):
        θ_i ← θ_i − η_i ∂_i L(θ), i.e. θ ← θ − P∇L(θ) (e.g. one step size per layer, as in
        Sohl-Dickstein 2024's trainability maps over two step sizes). Every η_i is the scalar
        update's operation on coordinate i, so equal η_i reproduce the scalar run bit for bit.

    Returns
    -------
    Trajectory with ``theta`` (T', *batch, p), ``loss``, ``eta`` (batch; (*batch, p) with
    ``per_parameter``), ``diverged``, ``diverged_at`` and a lazily computed ``sharpness``.

    Raises
    ------
    ValueError
        naming ``steps`` / ``record_every`` when the run would need more memory than
        :data:`toymodels.limits.MEMORY_BUDGET` (default 4 GiB): 8·R·B·(p + 1) bytes for
        R = ⌈T/k⌉ + 1 records of B members, plus 40·B·p bytes of working copies (module
        docstring); raised before anything is allocated.
    ValueError / TypeError
        naming ``theta0`` or ``eta`` when the batch or the step-size grid is empty ("nothing to
        run"), or holds booleans, strings, complex or non-finite values; with ``per_parameter``
        naming ``eta`` and p when its last axis is not p = ``model.n_params`` long or it has
        more than 2 axes.

    Notes
    -----
    Reruns are bit-identical. Sympy models run elementwise, so a member of a batch also equals its
    own single run bit for bit; hand-written numpy models that use matrix products may round
    differently for batch size 1 and > 1 (BLAS picks different kernels), which matters only in
    chaotic regimes. The numba backend splits the batch over threads (``numba.set_num_threads``
    or ``NUMBA_NUM_THREADS``; see :mod:`toymodels._numba`); each member runs the same scalar code
    on any thread, so the result does not depend on the number of threads, bit for bit.

    Stability with per-parameter steps. Near a minimum, L ≈ ½ δᵀHδ and one step maps
    δ ← (I − PH)δ with P = diag(η). PH = P^{1/2} S P^{-1/2} is similar to the symmetric
    S = P^{1/2} H P^{1/2}, so the iteration has the real eigenvalues 1 − μ_j, μ_j those of S, and
    GD is linearly stable iff every |1 − μ_j| < 1, i.e. for H ≻ 0 iff

        λ_max(P^{1/2} H P^{1/2}) < 2

    (for H ⪰ 0 the flat directions, μ_j = 0, are neutral). This is the preconditioned form of
    η λ_max(H) < 2 (the scalar case P = ηI). Along a ray P = s·P̂ the threshold is
    s* = 2 / λ_max(P̂^{1/2} H P̂^{1/2}); neither max_i η_i · λ_max(H) nor the
    diagonal test η_i H_ii < 2 gives it in general (``tests/core/test_gd_per_parameter.py``
    checks the sign of the growth 1 % below and above s* on a coupled quadratic).

    References
    ----------
    J. Sohl-Dickstein, "The boundary of neural network trainability is fractal", arXiv:2402.06184
    (2024): GD with one step size per layer, trainability mapped over the two step sizes.
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    paired = _flag(paired, "paired")
    per_parameter = _flag(per_parameter, "per_parameter")
    steps, record_every = _steps_and_record(steps, record_every)
    bound = positive_float(bound, "bound")
    check_every = positive_int(check_every, "check_every")
    callback = _callback(callback)
    if not isinstance(backend, str) or backend not in ("numpy", "numba", "auto"):
        raise ValueError(f"backend must be 'numpy', 'numba' or 'auto', got {backend!r}")
    from . import _numba
    from .model import _SympyModel

    symbolic = isinstance(model, _SympyModel)
    if backend == "numba" and not symbolic:
        raise ValueError("backend='numba' needs a symbolic model (Model.from_sympy)")
    if backend == "numba" and not _numba.available():
        raise ValueError("backend='numba' needs numba: pip install 'eos-toymodels[fast]'")
    if backend == "numba" and callback is not None:
        raise ValueError(
            "callback is not supported with backend='numba' (the compiled loop records inside "
            "numba); use backend='numpy' or 'auto'"
        )

    def check(members: int) -> None:
        # per-parameter step sizes: the (M, p) grid and its column-major copy
        extra = (("per-parameter step sizes", 16.0 * members * model.n_params),)
        _check_run_memory(
            steps,
            record_every,
            members,
            model.n_params,
            loss=True,
            callback=callback is not None,
            extra=extra if per_parameter else (),
        )

    if per_parameter:
        batch, eta_b, flat, eta_flat = _per_parameter_batch(model, theta0, eta, paired, check)
    else:
        batch, eta_b, flat, eta_flat = _step_size_batch(model, theta0, eta, paired, check)
    use_numba = backend == "numba" or (backend == "auto" and symbolic and _numba.available())
    if use_numba and callback is None:
        rec = _record_steps(steps, record_every)
        records, div_at = _numba.run_gd(model, flat, eta_flat, steps, rec, bound)
        return _model_trajectory(model, records, rec, div_at, batch, eta_b)
    if per_parameter:
        comps, step = _per_parameter_engine(model, flat)
        # Fortran order: each parameter's step sizes are one contiguous column
        eta_flat = np.asfortranarray(eta_flat)
    elif model._grad_components is not None:
        # component mode (sympy models): p arrays of shape (B,), no stacking in the hot loop
        comps = [flat[:, i].copy() for i in range(model.n_params)]
        gc = model._grad_components

        def step(c: list[np.ndarray], eta_: np.ndarray | None, _t: int) -> list[np.ndarray]:
            g = gc(*c)
            used = {id(x) for x in c}
            for ci, gi in zip(c, g, strict=True):
                # scale a freshly allocated gradient array in place (saves one allocation per
                # component); inputs, constants and arrays shared between outputs are not touched
                if type(gi) is np.ndarray and gi.shape == ci.shape and id(gi) not in used:
                    used.add(id(gi))
                    np.multiply(gi, eta_, out=gi)
                    ci -= gi
                else:
                    ci -= eta_ * gi
            return c

    else:
        # array mode (numpy models with many parameters): one (B, p) block
        comps = [flat.copy()]
        grad = model._grad

        def step(c: list[np.ndarray], eta_: np.ndarray | None, _t: int) -> list[np.ndarray]:
            x = c[0]
            x -= eta_[:, None] * grad(x)
            return [x]

    records, rec_steps, div_at = _run(
        step,
        comps,
        eta_flat,
        steps,
        record_every,
        bound,
        check_every,
        _emitter(callback, batch, model.n_params),
    )
    return _model_trajectory(model, records, rec_steps, div_at, batch, eta_b)


def iterate(
    F: Map,
    state0: Any,
    steps: int,
    record_every: int = 1,
    *,
    bound: float = 1e10,
    check_every: int = 64,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    backend: str = "numpy",
) -> Trajectory:
    """Iterate a map x_{t+1} = F(x_t), batched over ``state0`` (*B, dim) and the map's parameter.

    The batch is ``broadcast(state0.shape[:-1], shape(F.param))``; divergence, ``callback``
    and the memory budget as in :func:`gd` (records: 8·R·B·dim bytes, no loss).
    ``backend``: ``"numpy"`` (the reference), ``"numba"`` (a kernel compiled from the map's sympy
    form, extra ``fast``: equal to numpy to rounding; a ValueError naming ``backend`` for a map
    without one or with ``callback``) or ``"auto"`` (numba when it applies, else numpy).
    """
    if not isinstance(F, Map):
        raise TypeError(f"F must be a toymodels.Map, got {type(F).__name__}")
    x = F.state(state0, "state0")
    refuse_empty(x, "state0")
    if F.param is not None and np.size(F.param) == 0:
        raise ValueError(
            f"F has an empty parameter batch (shape {np.shape(F.param)}): nothing to run"
        )
    steps, record_every = _steps_and_record(steps, record_every)
    bound = positive_float(bound, "bound")
    check_every = positive_int(check_every, "check_every")
    callback = _callback(callback)
    from ._numba_maps import check_backend

    backend = check_backend(backend)

    def check(members: int) -> None:
        _check_run_memory(
            steps, record_every, members, F.dim, loss=False, callback=callback is not None
        )

    return _iterate(
        F,
        x,
        steps,
        record_every,
        bound,
        check_every,
        callback=callback,
        check=check,
        backend=backend,
    )


def _iterate(
    F: Map,
    x: np.ndarray,
    steps: int,
    record_every: int,
    bound: float,
    check_every: int = 64,
    *,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    check: Callable[[int], None] | None = None,
    backend: str = "numpy",
) -> Trajectory:
    """:func:`iterate` without validation (states may hold NaN from earlier divergence).

    ``backend``: ``"numpy"`` (the reference engine), ``"numba"`` (the compiled kernel of a
    symbolic map, ``toymodels._numba_maps``: same conventions, results equal to rounding) or
    ``"auto"``; a ValueError names ``backend`` when numba cannot run this map.
    """
    from . import _numba_maps

    use_numba = _numba_maps.use_numba(F, backend, callback=callback is not None)
    pshape = np.shape(F.param) if F.param is not None else ()
    try:
        batch = np.broadcast_shapes(x.shape[:-1], pshape)
    except ValueError as exc:
        raise ValueError(
            f"state0 batch {x.shape[:-1]} does not broadcast against the map parameter {pshape}"
        ) from exc
    if check is not None:
        check(int(np.prod(batch, dtype=np.int64)))
    flat = np.broadcast_to(x, (*batch, F.dim)).reshape(-1, F.dim)
    param = None
    if F.param is not None:
        param = np.ascontiguousarray(np.broadcast_to(F.param, batch), dtype=float).reshape(-1)
    if use_numba:
        rec = _record_steps(steps, record_every)
        p_flat = np.zeros(flat.shape[0]) if param is None else param
        records, div_at = _numba_maps.run_iterate(F, flat, p_flat, steps, rec, bound)
        return Trajectory(
            theta=records.reshape((len(rec), *batch, F.dim)),
            loss=None,
            steps=rec,
            diverged=(div_at >= 0).reshape(batch),
            diverged_at=div_at.reshape(batch),
            map=F,
        )
    comps = [flat[:, i].copy() for i in range(F.dim)]
    fn = F.fn
    fast = F.components

    def step(c: list[np.ndarray], p: np.ndarray | None, _t: int) -> list[np.ndarray]:
        if fast is not None:
            return fast(c, p)
        y = fn(np.stack(c, axis=-1), p)
        return [y[:, i] for i in range(F.dim)]

    records, rec_steps, div_at = _run(
        step,
        comps,
        param,
        steps,
        record_every,
        bound,
        check_every,
        _emitter(callback, batch, F.dim),
    )
    return Trajectory(
        theta=records.reshape((len(rec_steps), *batch, F.dim)),
        loss=None,
        steps=rec_steps,
        diverged=(div_at >= 0).reshape(batch),
        diverged_at=div_at.reshape(batch),
        map=F,
    )


#: target size of one block of sample indices drawn by :func:`sgd` (bytes)
_INDEX_BLOCK_BYTES = 8 << 20
#: Generator.choice(n, b, replace=False) uses Floyd's algorithm (O(b) memory) when n > 10000 and
#: b <= n // 50, else a permutation of all n samples (O(n) memory per draw)
_FLOYD_MIN_N = 10000


#: marks an argument that was not given
_UNSET: Any = object()

#: the sampling schemes of :func:`sgd`
SAMPLINGS = ("with_replacement", "without_replacement", "fixed_order", "independent_subsets")


class _IndexStream:
    """The sgd index rows B_0, B_1, … of one seed, drawn block by block from one Generator.

    * ``with_replacement``: ``rng.integers(0, n, size=(steps, b))`` (i.i.d. indices);
    * ``independent_subsets``: one ``rng.choice(n, b, replace=False)`` per step (a fresh uniform
      b-subset each step, the batch sharpness papers' convention);
    * ``without_replacement``: random reshuffling, one ``rng.permutation(n)`` per epoch, batch j
      of the epoch its samples j·b … (j+1)·b − 1; an epoch has ⌊n/b⌋ steps (the last n mod b
      samples of each permutation are dropped, as ``drop_last`` data loaders do);
    * ``fixed_order``: the same order 0, 1, …, n − 1 every epoch (incremental gradient), no
      randomness.

    Drawing block after block from the same Generator gives exactly the numbers of one call for
    the whole run (numpy's bounded-integer fill keeps its spare half word in the bit generator's
    state; the other schemes draw one row or one epoch per call anyway:
    ``tests/core/test_memory_budget.py`` checks it). Only the latest two blocks are kept; the
    engine's divergence replay never reaches further back because sgd caps its check interval at
    one block.
    """

    def __init__(
        self, rng: np.random.Generator, n: int, size: int, sampling: str, steps: int, block: int
    ) -> None:
        self.rng, self.n, self.size, self.sampling = rng, n, size, sampling
        self.steps, self.block = steps, block
        self.blocks: dict[int, np.ndarray] = {}
        self.drawn = 0  # blocks drawn so far
        self.per_epoch = n // size
        self.t0 = 0  # first step of the next block
        self.perm: np.ndarray | None = None  # reshuffling: the current epoch's permutation

    def _draw(self, steps: int) -> np.ndarray:
        """The next ``steps`` rows."""
        rng, n, b = self.rng, self.n, self.size
        t0, self.t0 = self.t0, self.t0 + steps
        if self.sampling == "with_replacement":
            return rng.integers(0, n, size=(steps, b))
        if self.sampling == "independent_subsets":
            return np.stack([rng.choice(n, b, replace=False) for _ in range(steps)])
        k = self.per_epoch
        pos = (t0 + np.arange(steps)) % k  # batch position inside its epoch
        if self.sampling == "fixed_order":
            return np.arange(k * b, dtype=np.int64).reshape(k, b)[pos]
        out = np.empty((steps, b), dtype=np.int64)
        s = 0
        while s < steps:
            if pos[s] == 0 or self.perm is None:
                self.perm = rng.permutation(n)[: k * b].reshape(k, b)
            e = min(steps, s + k - int(pos[s]))
            out[s:e] = self.perm[pos[s:e]]
            s = e
        return out

    def row(self, t: int) -> np.ndarray:
        j = t // self.block
        while self.drawn <= j:
            lo = self.drawn * self.block
            self.blocks[self.drawn] = self._draw(min(self.block, self.steps - lo))
            self.blocks.pop(self.drawn - 2, None)
            self.drawn += 1
        if j not in self.blocks:  # pragma: no cover - excluded by the capped check interval
            raise RuntimeError(f"sgd index block {j} was already released")
        return self.blocks[j][t - j * self.block]


class _SeedStreams:
    """The index streams of a seed list: ``rows(t)`` is the (S, b) array of the S rows B_t.

    Each block is drawn once per seed and stacked once, so a step costs one view, not S calls.
    """

    def __init__(self, streams: list[_IndexStream]) -> None:
        self.streams = streams
        self.block = streams[0].block
        self.stacked: dict[int, np.ndarray] = {}

    def rows(self, t: int) -> np.ndarray:
        j = t // self.block
        if j not in self.stacked:
            for s in self.streams:
                s.row(t)  # draws block j of every seed
            self.stacked[j] = np.stack([s.blocks[j] for s in self.streams], axis=1)
            self.stacked.pop(j - 2, None)
        return self.stacked[j][t - j * self.block]


def _seeds(seed: Any) -> tuple[list[int], bool]:
    """(seeds, batched): an integer seed, or a non-empty 1-D sequence of them (a seed axis)."""
    if isinstance(seed, (list, tuple, np.ndarray)):
        arr = np.asarray(seed, dtype=object).ravel() if not isinstance(seed, np.ndarray) else seed
        if np.ndim(seed) != 1:
            raise ValueError(f"seed must be an integer or a 1-D sequence of integers, got {seed!r}")
        if len(arr) == 0:
            raise ValueError(
                "seed must be an integer or a non-empty sequence of integers, got an empty "
                "sequence (nothing to run)"
            )
        return [_seed(s) for s in list(arr)], True
    return [_seed(seed)], False


def _sampling(sampling: Any) -> str:
    if not isinstance(sampling, str) or sampling not in SAMPLINGS:
        raise ValueError(
            f"sampling must be one of {', '.join(map(repr, SAMPLINGS))}, got {sampling!r}"
        )
    return sampling


def sgd(
    model: Model,
    theta0: Any,
    eta: Any,
    steps: Any,
    *legacy: Any,
    batch_size: Any = _UNSET,
    sampling: Any = _UNSET,
    seed: Any = 0,
    record_every: Any = _UNSET,
    paired: bool = False,
    batch_grad: Callable[[np.ndarray, np.ndarray], Any] | None = None,
    n_samples: Any = None,
    replace: Any = _UNSET,
    bound: float = 1e10,
    check_every: int = 64,
    callback: Callable[[int, np.ndarray], Any] | None = None,
) -> Trajectory:
    """SGD θ_{t+1} = θ_t − η ∇L_{B_t}(θ_t), batched over step sizes, initialisations and seeds.

    ``sgd(model, theta0, eta, steps, batch_size=b, sampling=..., seed=0)`` on a data model
    (``Model.from_sympy(per_sample_expr, params=..., data={...})`` or
    :meth:`DataModel.from_numpy <toymodels.data_model.DataModel.from_numpy>`): the mini-batch
    gradient ∇L_B = (1/b) Σ_{i∈B} ∇ℓ_i comes from the model.

    Parameters
    ----------
    model : a :class:`~toymodels.data_model.DataModel` (or any Model with ``batch_grad=``).
    theta0 : (p,) or (*B, p) initialisations; eta : step size > 0, scalar or 1-D grid.
    steps : number of SGD steps T ≥ 0.
    batch_size : b, 1 ≤ b ≤ n (default 1).
    sampling : how B_t is drawn (:data:`SAMPLINGS`; default ``"with_replacement"``):
        ``"with_replacement"`` (b i.i.d. uniform indices per step), ``"without_replacement"``
        (random reshuffling: a fresh permutation every epoch of ⌊n/b⌋ steps, consecutive
        batches of it; the last n mod b samples of each permutation unused),
        ``"fixed_order"`` (0, 1, …, n − 1 every epoch; deterministic), ``"independent_subsets"``
        (a fresh uniform b-subset every step).
    seed : an integer ≥ 0, or a 1-D sequence of them: then the result has a leading seed axis,
        one index stream per seed (``numpy.random.default_rng(seed)``).
    record_every, paired, bound, check_every, callback : as in :func:`gd`.

    Every member of the batch with the same seed sees the same index stream, so step sizes are
    compared on the same samples; a member's trajectory is bit-identical to its run alone (the
    mini-batch means sum along a fixed axis per state, see :mod:`toymodels.data_model`), and
    reruns are bit-identical. The indices are drawn in blocks of about 8 MiB as the run
    proceeds: memory does not grow with ``steps`` (beyond the records you ask for).

    Returns
    -------
    Trajectory with ``theta`` (T', [S,] *batch, p) and the full-batch ``loss``; ``eta`` has the
    batch shape ([S,] *batch).

    Lower-level form (kept): ``sgd(model, batch_grad, theta0, eta, steps, n_samples,
    batch_size=1, record_every=1, seed=0, replace=True)``, where ``batch_grad(theta, idx)``
    returns the mini-batch gradient for states (M, p) and the index row ``idx`` (batch_size,),
    checked to have exactly shape (M, p) at every call; ``replace=False`` is
    ``sampling="independent_subsets"``.

    Raises
    ------
    ValueError / TypeError naming ``model`` (no data and no ``batch_grad``), ``batch_size``
    (> n where the scheme needs distinct samples), ``sampling``, ``seed``, ``steps`` /
    ``record_every`` (memory), ``theta0``, ``eta``, before anything runs.
    """
    from .data_model import DataModel

    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    if callable(theta0) and not isinstance(theta0, (np.ndarray, list, tuple)):
        # lower-level form: sgd(model, batch_grad, theta0, eta, steps, n_samples, batch_size,
        # record_every)
        if batch_grad is not None:
            raise TypeError("batch_grad given twice (positionally and by keyword)")
        if len(legacy) > 4:
            raise TypeError(
                "sgd(model, batch_grad, theta0, eta, steps, n_samples, batch_size, record_every) "
                f"takes at most 8 positional arguments, got {4 + len(legacy)}"
            )
        if not legacy:
            raise TypeError("sgd(model, batch_grad, theta0, eta, steps, n_samples): steps missing")
        batch_grad, theta0, eta = theta0, eta, steps
        steps = legacy[0]
        for i, (kw, val) in enumerate(
            (("n_samples", n_samples), ("batch_size", batch_size), ("record_every", record_every))
        ):
            if len(legacy) > i + 1:
                if val is not _UNSET and val is not None:
                    raise TypeError(f"sgd got multiple values for {kw}")
                if kw == "n_samples":
                    n_samples = legacy[i + 1]
                elif kw == "batch_size":
                    batch_size = legacy[i + 1]
                else:
                    record_every = legacy[i + 1]
    elif legacy:
        raise TypeError(
            "sgd(model, theta0, eta, steps, ...) takes 4 positional arguments; pass batch_size=, "
            "sampling=, seed=, record_every= by keyword"
        )
    if batch_grad is not None and not callable(batch_grad):
        raise TypeError("batch_grad must be callable (theta, idx) -> gradient")
    if batch_grad is None:
        if not isinstance(model, DataModel):
            raise TypeError(
                "model must carry data (Model.from_sympy(per_sample_expr, params, data={...}) or "
                "DataModel.from_numpy) for sgd to draw mini-batches; for a model without data "
                "pass batch_grad=(theta, idx) -> gradient and n_samples="
            )
        if n_samples is not None:
            raise ValueError(
                f"n_samples is the data model's ({model.n_samples}); do not pass it (it was "
                f"{n_samples!r})"
            )
        n_samples = model.n_samples
    else:
        if n_samples is None:
            raise TypeError("n_samples is required with batch_grad (the indices run over it)")
        n_samples = positive_int(n_samples, "n_samples")
        if n_samples >= 2**63:
            raise ValueError(f"n_samples must be < 2**63 (int64 sample indices), got {n_samples}")
    if replace is not _UNSET:
        if batch_grad is None:
            raise TypeError(
                "replace is the lower-level form's switch; with a data model use sampling= "
                f"(one of {', '.join(map(repr, SAMPLINGS))})"
            )
        replace = _flag(replace, "replace")
        if sampling is not _UNSET:
            raise TypeError("give sampling= or replace=, not both")
        sampling = "with_replacement" if replace else "independent_subsets"
    sampling = _sampling("with_replacement" if sampling is _UNSET else sampling)
    steps, record_every = _steps_and_record(steps, 1 if record_every is _UNSET else record_every)
    batch_size = positive_int(1 if batch_size is _UNSET else batch_size, "batch_size")
    if sampling != "with_replacement" and batch_size > n_samples:
        raise ValueError(
            f"batch_size must be <= n_samples ({n_samples}) for sampling={sampling!r} (a batch "
            f"holds distinct samples), got {batch_size}"
        )
    seeds, seed_axis = _seeds(seed)
    paired = _flag(paired, "paired")
    bound = positive_float(bound, "bound")
    check_every = positive_int(check_every, "check_every")
    callback = _callback(callback)
    S = len(seeds)
    block = max(1, min(max(steps, 1), _INDEX_BLOCK_BYTES // (8 * batch_size * S)))
    extra = [
        (
            f"index blocks ({batch_size} per step, {S} seed(s))",
            (2.0 if S == 1 else 4.0) * 8 * block * batch_size * S,
        )
    ]
    if sampling == "without_replacement" or (
        sampling == "independent_subsets"
        and not (n_samples > _FLOYD_MIN_N and batch_size <= n_samples // 50)
    ):
        extra.append(("a permutation of n_samples per seed", 8.0 * n_samples * S))
    limits.check_memory(
        f"batch_size={batch_size} with n_samples={n_samples} (sampling={sampling!r})",
        extra,
        "Use a smaller batch_size"
        + (
            " (<= n_samples/50 draws in O(batch_size) memory)."
            if sampling == "independent_subsets"
            else "."
        ),
    )

    def check(members: int) -> None:
        _check_run_memory(
            steps,
            record_every,
            members * S,
            model.n_params,
            loss=True,
            callback=callback is not None,
            extra=tuple(extra),
        )

    batch, eta_b, flat, eta_flat = _step_size_batch(model, theta0, eta, paired, check)
    streams = [
        _IndexStream(np.random.default_rng(s), n_samples, batch_size, sampling, steps, block)
        for s in seeds
    ]
    group = _SeedStreams(streams)
    M = flat.shape[0]
    if seed_axis:
        batch = (S, *batch)
        eta_b = np.broadcast_to(eta_b, batch)
        flat = np.tile(flat, (S, 1))
        # per member: (step size, seed number) so the divergence replay's subsets keep both
        param = np.column_stack([np.tile(eta_flat, S), np.repeat(np.arange(S), M).astype(float)])
    else:
        param = eta_flat

    if batch_grad is None:
        data_model: DataModel = model  # type: ignore[assignment]

        def grad_at(x: np.ndarray, rows: np.ndarray, sid: np.ndarray | None) -> np.ndarray:
            return data_model._batch_grad_flat(x, rows if sid is None else rows[sid])

    else:
        user = batch_grad

        def grad_at(x: np.ndarray, rows: np.ndarray, sid: np.ndarray | None) -> np.ndarray:
            if sid is None:
                g = user(x, rows)
                if type(g) is not np.ndarray or g.shape != x.shape or g.dtype.kind not in "fiu":
                    g = _checked_batch_grad(g, x.shape)
                return g
            out = np.empty_like(x)
            for s in np.unique(sid):
                sel = sid == s
                out[sel] = _checked_batch_grad(user(x[sel], rows[s]), x[sel].shape)
            return out

    def step(c: list[np.ndarray], prm: np.ndarray | None, t: int) -> list[np.ndarray]:
        x = c[0]
        assert prm is not None
        if prm.ndim == 1:
            g = grad_at(x, streams[0].row(t), None)
            x -= prm[:, None] * g
        else:
            g = grad_at(x, group.rows(t), prm[:, 1].astype(np.intp))
            x -= prm[:, 0, None] * g
        return [x]

    # the divergence replay must stay inside the two index blocks the streams keep
    records, rec_steps, div_at = _run(
        step,
        [flat.copy()],
        param,
        steps,
        record_every,
        bound,
        min(check_every, block),
        _emitter(callback, batch, model.n_params),
    )
    return _model_trajectory(model, records, rec_steps, div_at, batch, eta_b)


def _checked_batch_grad(g: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``batch_grad``'s result as a float array of exactly ``shape``, or a clear error."""
    if g is None or isinstance(g, (str, bytes)):
        raise TypeError(f"batch_grad must return an array of shape {shape}, got {g!r}")
    try:
        arr = np.asarray(g)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"batch_grad must return an array of shape {shape}, got {g!r}") from exc
    if arr.dtype.kind not in "fiu":
        raise TypeError(
            f"batch_grad must return real numbers, got dtype {arr.dtype} (shape {arr.shape})"
        )
    if arr.shape != shape:
        raise ValueError(
            f"batch_grad must return the gradient for every state: expected shape {shape} "
            f"(the shape of theta), got shape {arr.shape} (results are never broadcast)"
        )
    return arr


#: the solvers of scipy.integrate.solve_ivp, by name (case-sensitive, as scipy spells them)
IVP_METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")
#: shortest flow time accepted: below it LSODA's step-size control does not terminate
_MIN_T_END = 1e-100
#: scipy's smallest relative tolerance (it clamps smaller ones with a warning)
_MIN_RTOL = 100 * np.finfo(float).eps


def _ivp_method(method: Any) -> tuple[Any, bool]:
    """(method, implicit) for solve_ivp: a name from :data:`IVP_METHODS` or an OdeSolver class."""
    if isinstance(method, str) and method in IVP_METHODS:
        return method, method in ("Radau", "BDF", "LSODA")
    if isinstance(method, type) and issubclass(method, OdeSolver):
        return method, issubclass(method, (Radau, BDF, LSODA))
    raise ValueError(
        f"method must be one of {', '.join(repr(m) for m in IVP_METHODS)} (case-sensitive, as "
        f"scipy.integrate.solve_ivp spells them) or an OdeSolver subclass, got {method!r}"
    )


def _event_location_failed(exc: ValueError) -> bool:
    """scipy's event location (brentq on the dense output) broke down at a blow-up."""
    return "must have different signs" in str(exc)


def gradient_flow(
    model: Model,
    theta0: Any,
    t_end: float,
    *,
    n_points: int | None = None,
    t_eval: Any = None,
    method: str = "LSODA",
    rtol: float = 1e-10,
    atol: float = 1e-12,
    bound: float = 1e10,
) -> Trajectory:
    """Gradient flow dθ/dt = −∇L(θ) by ``scipy.integrate.solve_ivp`` (Jacobian −∇²L supplied).

    ``theta0`` is (p,) or (*B, p); each member is integrated separately and recorded at
    ``t_eval`` (an increasing 1-D array inside [0, t_end]) or, by default, at ``n_points``
    (default 201, at least 2) equally spaced times in [0, t_end]; give one of the two. A member
    whose state leaves ``|θ_i| ≤ bound`` (finite-time blow-up) is marked diverged; later records
    are NaN. ``method`` is one of :data:`IVP_METHODS` (case-sensitive, e.g. ``"RK45"``; the
    implicit ``"Radau"``, ``"BDF"``, ``"LSODA"`` get the Jacobian) or an ``OdeSolver`` subclass;
    anything else raises ``ValueError``. When scipy's event location fails at a blow-up (its
    root bracket on the dense output breaks down), that member is redone with Radau; every other
    solver error propagates. ``t_end`` must be >= 1e-100 and ``rtol`` >= 100·eps ≈ 2.2e-14
    (scipy's floor). Memory: 8·N·B·(p + 1) bytes for N record times of B members, plus the
    solver's 24·N·(p + 1) per member, checked against :data:`toymodels.limits.MEMORY_BUDGET`
    (``ValueError`` naming ``n_points`` / ``t_eval``) before anything is allocated.
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    th = _initial_theta(model, theta0, "theta0")
    t_end = positive_float(t_end, "t_end")
    if t_end < _MIN_T_END:
        raise ValueError(
            f"t_end must be >= {_MIN_T_END:g} (the flow does not move θ0 in double precision "
            f"before that, and the solvers' step control breaks down), got {t_end!r}"
        )
    if t_eval is None:
        n_points = 201 if n_points is None else positive_int(n_points, "n_points")
        if n_points < 2:
            raise ValueError(f"n_points must be >= 2 (the times 0 and t_end), got {n_points}")
        n_rec, size_name = n_points, f"n_points={n_points}"
    else:
        if n_points is not None:
            raise ValueError("give n_points or t_eval, not both (t_eval sets the record times)")
        t_eval = as_float_array(t_eval, "t_eval")
        if (
            t_eval.ndim != 1
            or t_eval.size == 0
            or np.any(np.diff(t_eval) <= 0)
            or t_eval[0] < 0
            or t_eval[-1] > t_end
        ):
            raise ValueError("t_eval must be increasing and inside [0, t_end]")
        n_rec, size_name = t_eval.size, f"t_eval with {t_eval.size} times"
    method, implicit = _ivp_method(method)
    rtol = positive_float(rtol, "rtol")
    if rtol < _MIN_RTOL:
        raise ValueError(
            f"rtol must be >= {_MIN_RTOL:.3g} (100 machine epsilons, scipy's floor), got {rtol!r}"
        )
    atol = positive_float(atol, "atol")
    bound = positive_float(bound, "bound")
    p = model.n_params
    members = int(np.prod(th.shape[:-1], dtype=np.int64))
    limits.check_memory(
        size_name,
        [
            (f"{n_rec} records of {members} x {p} states", 8.0 * n_rec * members * p),
            ("their loss", 8.0 * n_rec * members),
            ("solver output per member", 24.0 * n_rec * (p + 1)),
        ],
        "Record fewer times: a smaller n_points (or a shorter t_eval), or fewer members per call.",
    )
    if t_eval is None:
        t_eval = np.linspace(0.0, t_end, n_rec)
    batch = th.shape[:-1]
    flat = th.reshape(-1, model.n_params)
    out = np.full((len(t_eval), flat.shape[0], model.n_params), np.nan)
    div_at = np.full(flat.shape[0], -1, dtype=np.int64)

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        return -model._grad(y[None, :])[0]

    def jac(_t: float, y: np.ndarray) -> np.ndarray:
        return -model._hessian(y[None, :])[0]

    def escape(_t: float, y: np.ndarray) -> float:
        # non-finite states count as escaped, so the event always brackets a sign change
        m = float(np.max(np.abs(y)))
        return bound - m if np.isfinite(m) else -1.0

    escape.terminal = True  # type: ignore[attr-defined]
    # only the implicit solvers use a Jacobian (scipy warns when an explicit one is given it)
    jac_kw = {"jac": jac} if implicit else {}
    for b in range(flat.shape[0]):
        with np.errstate(all="ignore"):
            try:
                sol = solve_ivp(
                    rhs,
                    (0.0, t_end),
                    flat[b],
                    method=method,
                    t_eval=t_eval,
                    rtol=rtol,
                    atol=atol,
                    events=escape,
                    **jac_kw,
                )
                ys = sol.y
                failed = not sol.success
            except ValueError as exc:
                # the event location can break down at a finite-time blow-up (LSODA's dense
                # output returns non-finite values there); redo this member with Radau. Any
                # other error is the caller's (or the model's) and propagates.
                if not _event_location_failed(exc):
                    raise
                try:
                    sol = solve_ivp(
                        rhs,
                        (0.0, t_end),
                        flat[b],
                        method="Radau",
                        t_eval=t_eval,
                        rtol=rtol,
                        atol=atol,
                        jac=jac,
                        events=escape,
                    )
                    ys = sol.y
                    failed = not sol.success
                except ValueError as exc2:
                    if not _event_location_failed(exc2):
                        raise
                    ys = np.empty((flat.shape[1], 0))
                    failed = True
        finite = np.all(np.isfinite(ys), axis=0) & np.all(np.abs(ys) <= bound, axis=0)
        n = int(np.argmin(finite)) if not finite.all() else ys.shape[1]
        out[:n, b] = ys[:, :n].T
        if n < len(t_eval) or failed:
            div_at[b] = n
            out[n:, b] = np.nan
    theta = out.reshape((len(t_eval), *batch, model.n_params))
    loss = _recorded_loss(model, theta)
    return Trajectory(
        theta=theta,
        loss=loss,
        steps=np.arange(len(t_eval)),
        diverged=(div_at >= 0).reshape(batch),
        diverged_at=div_at.reshape(batch),
        t=np.asarray(t_eval),
        model=model,
    )
