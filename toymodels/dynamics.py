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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ._validate import as_float_array, positive_float, positive_int
from .maps import Map
from .model import Model

__all__ = ["Trajectory", "gd", "gradient_flow", "iterate", "sgd"]


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

        return sharpness(self.model, self.theta)

    def __repr__(self) -> str:
        n_div = int(self.diverged.sum())
        return (
            f"Trajectory(records={self.theta.shape[0]}, batch={self.batch_shape}, "
            f"dim={self.theta.shape[-1]}, diverged={n_div}/{self.diverged.size})"
        )


def _record_steps(steps: int, record_every: int) -> np.ndarray:
    if record_every == 0:
        return np.array([steps], dtype=np.int64)
    rec = np.arange(0, steps + 1, record_every, dtype=np.int64)
    if rec[-1] != steps:
        rec = np.append(rec, steps)
    return rec


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


def _run(
    step: Step,
    comps: list[np.ndarray],
    param: np.ndarray | None,
    steps: int,
    record_every: int,
    bound: float,
    check_every: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The engine on a flat batch (B,); returns (records, rec_steps, diverged_at)."""
    B = comps[0].shape[0]
    dim = comps[0].shape[1] if (len(comps) == 1 and comps[0].ndim == 2) else len(comps)
    rec_steps = _record_steps(steps, record_every)
    records = np.empty((len(rec_steps), B, dim))
    div_at = np.full(B, -1, dtype=np.int64)
    with np.errstate(all="ignore"):
        bad0 = _bad(comps, bound)
        if bad0.any():
            div_at[bad0] = 0
            for c in comps:
                c[bad0] = np.nan
        t = 0
        r = 0
        if rec_steps[0] == 0:
            _store(records, 0, comps)
            r = 1
        while t < steps:
            stop = min(t + check_every, steps, int(rec_steps[r]) if r < len(rec_steps) else steps)
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
                records[r:] = np.nan
                break
            if r < len(rec_steps) and t == rec_steps[r]:
                _store(records, r, comps)
                r += 1
    return records, rec_steps, div_at


def _steps_and_record(steps: Any, record_every: Any) -> tuple[int, int]:
    steps = positive_int(steps, "steps", allow_zero=True)
    record_every = positive_int(record_every, "record_every", allow_zero=True)
    return steps, record_every


def _step_size_batch(
    model: Model, theta0: Any, eta: Any, paired: bool
) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Validate (theta0, eta) and lay out the batch shared by :func:`gd` and :func:`sgd`.

    Returns (batch shape, eta broadcast to it, flat states (M, p), flat step sizes (M,)).
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    th = model._theta(theta0, "theta0")
    if not np.all(np.isfinite(th)):
        raise ValueError("theta0 must be finite (no NaN or inf)")
    e = as_float_array(eta, "eta")
    if e.ndim > 1:
        raise ValueError(f"eta must be a scalar or a 1-D array, got shape {e.shape}")
    if np.any(e <= 0):
        raise ValueError(f"eta must be > 0, got min {e.min()!r}")
    B = th.shape[:-1]
    if paired:
        try:
            batch = np.broadcast_shapes(e.shape, B)
        except ValueError as exc:
            raise ValueError(
                f"eta (shape {e.shape}) does not broadcast against theta0's batch {B}"
            ) from exc
        eta_b = np.broadcast_to(e, batch)
    else:
        batch = (*e.shape, *B)
        eta_b = np.broadcast_to(e.reshape(e.shape + (1,) * len(B)), batch)
    flat = np.broadcast_to(th, (*batch, model.n_params)).reshape(-1, model.n_params)
    return batch, eta_b, flat, np.ascontiguousarray(eta_b).reshape(-1)


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
    with np.errstate(all="ignore"):
        loss = model.loss(theta)
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
) -> Trajectory:
    """Gradient descent θ_{t+1} = θ_t − η∇L(θ_t), batched over step sizes and initialisations.

    Parameters
    ----------
    model : the loss.
    theta0 : (p,) or (*B, p) initialisations.
    eta : step size > 0, a scalar or a 1-D grid of E values.
    steps : number of GD steps T ≥ 0.
    record_every : keep θ at steps 0, k, 2k, … and T; 0 keeps only θ_T.
    paired : if False (default) the batch is the outer product ``eta.shape + B``; if True, ``eta``
        is broadcast against ``B`` (one step size per initialisation).
    bound : a member diverges when some |θ_i| exceeds it or stops being finite.
    check_every : steps between divergence checks (speed knob; results do not depend on it).
    backend : ``"numpy"`` (default, the reference) or ``"numba"`` (extra ``fast``: a compiled
        per-model kernel for sympy models, ~10× faster on small models; agrees with numpy to
        rounding); ``"auto"`` picks numba when it is installed and the model is symbolic.

    Returns
    -------
    Trajectory with ``theta`` (T', *batch, p), ``loss``, ``eta`` (batch), ``diverged``,
    ``diverged_at`` and a lazily computed ``sharpness``.

    Notes
    -----
    Reruns are bit-identical. Sympy models run elementwise, so a member of a batch also equals its
    own single run bit for bit; hand-written numpy models that use matrix products may round
    differently for batch size 1 and > 1 (BLAS picks different kernels), which matters only in
    chaotic regimes.
    """
    batch, eta_b, flat, eta_flat = _step_size_batch(model, theta0, eta, paired)
    steps, record_every = _steps_and_record(steps, record_every)
    bound = positive_float(bound, "bound")
    check_every = positive_int(check_every, "check_every")
    if backend not in ("numpy", "numba", "auto"):
        raise ValueError(f"backend must be 'numpy', 'numba' or 'auto', got {backend!r}")
    from . import _numba
    from .model import _SympyModel

    symbolic = isinstance(model, _SympyModel)
    if backend == "numba" and not symbolic:
        raise ValueError("backend='numba' needs a symbolic model (Model.from_sympy)")
    if backend == "numba" and not _numba.available():
        raise ValueError("backend='numba' needs numba: pip install 'eos-toymodels[fast]'")
    if backend == "numba" or (backend == "auto" and symbolic and _numba.available()):
        rec = _record_steps(steps, record_every)
        records, div_at = _numba.run_gd(model, flat, eta_flat, steps, rec, bound)
        return _model_trajectory(model, records, rec, div_at, batch, eta_b)
    if model._grad_components is not None:
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
        step, comps, eta_flat, steps, record_every, bound, check_every
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
) -> Trajectory:
    """Iterate a map x_{t+1} = F(x_t), batched over ``state0`` (*B, dim) and the map's parameter.

    The batch is ``broadcast(state0.shape[:-1], shape(F.param))``; divergence as in :func:`gd`.
    """
    if not isinstance(F, Map):
        raise TypeError(f"F must be a toymodels.Map, got {type(F).__name__}")
    x = F.state(state0, "state0")
    steps, record_every = _steps_and_record(steps, record_every)
    bound = positive_float(bound, "bound")
    check_every = positive_int(check_every, "check_every")
    return _iterate(F, x, steps, record_every, bound, check_every)


def _iterate(
    F: Map, x: np.ndarray, steps: int, record_every: int, bound: float, check_every: int = 64
) -> Trajectory:
    """:func:`iterate` without validation (states may hold NaN from earlier divergence)."""
    pshape = np.shape(F.param) if F.param is not None else ()
    try:
        batch = np.broadcast_shapes(x.shape[:-1], pshape)
    except ValueError as exc:
        raise ValueError(
            f"state0 batch {x.shape[:-1]} does not broadcast against the map parameter {pshape}"
        ) from exc
    flat = np.broadcast_to(x, (*batch, F.dim)).reshape(-1, F.dim)
    param = None
    if F.param is not None:
        param = np.ascontiguousarray(np.broadcast_to(F.param, batch), dtype=float).reshape(-1)
    comps = [flat[:, i].copy() for i in range(F.dim)]
    fn = F.fn
    fast = F.components

    def step(c: list[np.ndarray], p: np.ndarray | None, _t: int) -> list[np.ndarray]:
        if fast is not None:
            return fast(c, p)
        y = fn(np.stack(c, axis=-1), p)
        return [y[:, i] for i in range(F.dim)]

    records, rec_steps, div_at = _run(step, comps, param, steps, record_every, bound, check_every)
    return Trajectory(
        theta=records.reshape((len(rec_steps), *batch, F.dim)),
        loss=None,
        steps=rec_steps,
        diverged=(div_at >= 0).reshape(batch),
        diverged_at=div_at.reshape(batch),
        map=F,
    )


def sgd(
    model: Model,
    batch_grad: Callable[[np.ndarray, np.ndarray], np.ndarray],
    theta0: Any,
    eta: Any,
    steps: int,
    n_samples: int,
    batch_size: int = 1,
    record_every: int = 1,
    *,
    seed: int = 0,
    replace: bool = True,
    bound: float = 1e10,
    check_every: int = 64,
) -> Trajectory:
    """Stochastic gradient descent θ_{t+1} = θ_t − η ∇L_{B_t}(θ_t), batched over step sizes.

    ``batch_grad(theta, idx)`` returns the gradient of the mini-batch loss on the sample indices
    ``idx`` (shape (batch_size,)) for a batch of states θ of shape (M, p). The index sequence
    B_0, B_1, … is drawn once from ``numpy.random.default_rng(seed)`` (with or without
    replacement inside a batch) and shared by every member of the batch: step sizes are compared
    on the same samples, and reruns are bit-identical. Batch shape, recording and divergence
    bookkeeping as in :func:`gd`; ``loss`` is the full-batch loss ``model.loss``.
    """
    if not callable(batch_grad):
        raise TypeError("batch_grad must be callable (theta, idx) -> gradient")
    batch, eta_b, flat, eta_flat = _step_size_batch(model, theta0, eta, paired=False)
    steps, record_every = _steps_and_record(steps, record_every)
    n_samples = positive_int(n_samples, "n_samples")
    batch_size = positive_int(batch_size, "batch_size")
    if not replace and batch_size > n_samples:
        raise ValueError("batch_size must be <= n_samples when sampling without replacement")
    bound = positive_float(bound, "bound")
    check_every = positive_int(check_every, "check_every")
    rng = np.random.default_rng(seed)
    if replace:
        batches = rng.integers(0, n_samples, size=(steps, batch_size))
    else:
        batches = (
            np.stack([rng.choice(n_samples, batch_size, replace=False) for _ in range(steps)])
            if steps
            else np.empty((0, batch_size), int)
        )

    def step(c: list[np.ndarray], eta_: np.ndarray | None, t: int) -> list[np.ndarray]:
        x = c[0]
        x -= eta_[:, None] * batch_grad(x, batches[t])
        return [x]

    records, rec_steps, div_at = _run(
        step, [flat.copy()], eta_flat, steps, record_every, bound, check_every
    )
    return _model_trajectory(model, records, rec_steps, div_at, batch, eta_b)


def gradient_flow(
    model: Model,
    theta0: Any,
    t_end: float,
    *,
    n_points: int = 201,
    t_eval: Any = None,
    method: str = "LSODA",
    rtol: float = 1e-10,
    atol: float = 1e-12,
    bound: float = 1e10,
) -> Trajectory:
    """Gradient flow dθ/dt = −∇L(θ) by ``scipy.integrate.solve_ivp`` (Jacobian −∇²L supplied).

    ``theta0`` is (p,) or (*B, p); each member is integrated separately and recorded at
    ``t_eval`` (default ``n_points`` equally spaced times in [0, t_end]). A member whose state
    leaves ``|θ_i| ≤ bound`` (finite-time blow-up) is marked diverged; later records are NaN.
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a toymodels.Model, got {type(model).__name__}")
    th = model._theta(theta0, "theta0")
    if not np.all(np.isfinite(th)):
        raise ValueError("theta0 must be finite (no NaN or inf)")
    t_end = positive_float(t_end, "t_end")
    if t_eval is None:
        n_points = positive_int(n_points, "n_points")
        t_eval = np.linspace(0.0, t_end, max(n_points, 2))
    else:
        t_eval = as_float_array(t_eval, "t_eval")
        if (
            t_eval.ndim != 1
            or t_eval.size == 0
            or np.any(np.diff(t_eval) <= 0)
            or t_eval[0] < 0
            or t_eval[-1] > t_end
        ):
            raise ValueError("t_eval must be increasing and inside [0, t_end]")
    rtol = positive_float(rtol, "rtol")
    atol = positive_float(atol, "atol")
    bound = positive_float(bound, "bound")
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
    jac_kw = {"jac": jac} if method in ("Radau", "BDF", "LSODA") else {}
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
            except ValueError:
                # LSODA's event location can break down at a finite-time blow-up (its dense
                # output returns non-finite values); redo this member with Radau
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
                except ValueError:
                    ys = np.empty((flat.shape[1], 0))
                    failed = True
        finite = np.all(np.isfinite(ys), axis=0) & np.all(np.abs(ys) <= bound, axis=0)
        n = int(np.argmin(finite)) if not finite.all() else ys.shape[1]
        out[:n, b] = ys[:, :n].T
        if n < len(t_eval) or failed:
            div_at[b] = n
            out[n:, b] = np.nan
    theta = out.reshape((len(t_eval), *batch, model.n_params))
    with np.errstate(all="ignore"):
        loss = model.loss(theta)
    return Trajectory(
        theta=theta,
        loss=loss,
        steps=np.arange(len(t_eval)),
        diverged=(div_at >= 0).reshape(batch),
        diverged_at=div_at.reshape(batch),
        t=np.asarray(t_eval),
        model=model,
    )
