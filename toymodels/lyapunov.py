"""Lyapunov exponents of a :class:`~toymodels.maps.Map`: the largest one, and the full spectrum.

* :func:`lyapunov_exponent` – the largest exponent: ⟨log|F'(z)|⟩ in 1-D, Benettin's QR method
  (Benettin, Galgani, Giorgilli, Strelcyn 1980) in higher dimension (a :class:`LyapunovResult`
  with ``return_result=True``).
* :func:`lyapunov_spectrum` – all exponents, with a sampling-error estimate (below).

:func:`lyapunov_spectrum` computes all n exponents λ₁ ≥ … ≥ λ_n by the QR method of Benettin,
Galgani, Giorgilli, Strelcyn (Meccanica 15, 1980) as described by Eckmann & Ruelle (Rev. Mod.
Phys. 57, 1985, §III.B): an orthonormal frame Q_t is carried along the orbit, DF(x_t) Q_t =
Q_{t+1} R_t with R_t upper triangular and diag(R_t) ≥ 0, and λ_i = lim (1/T) Σ_t log R_t[i, i].
Batched, like :func:`toymodels.lyapunov_exponent`, over the states ``state0`` (..., n) and the
parameter array of a family member ``family(np.array([...]))``: one call for 10⁴ parameters.

The rules shared with :func:`lyapunov_exponent` and the rest of the orbit analysis (whose
private helpers, in ``toymodels._orbit_common``, this module uses) hold: arguments are validated
before any iteration; divergence is data (NaN, a flag and a reason), never a RuntimeWarning; an
exact rank drop of the tangent map is −∞, not the log of a floor; large requests are refused up
front (memory against :data:`toymodels.limits.MEMORY_BUDGET`, time against ``max_seconds`` from
a timed probe).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _numba_maps, limits
from ._orbit_common import (
    _batch_shape,
    _Budget,
    _check_bool,
    _check_map,
    _check_max_seconds,
    _OutOfTime,
    _run_state,
)
from ._validate import positive_float, positive_int
from .dynamics import _check_run_memory, _iterate
from .maps import Map

__all__ = ["LyapunovResult", "LyapunovSpectrum", "lyapunov_exponent", "lyapunov_spectrum"]

#: working arrays per member of one QR step, in units of n² float64 (J, M, Q, R, copies)
_WORK_MATRICES = 8


@dataclass(frozen=True)
class LyapunovSpectrum:
    """All Lyapunov exponents of a batch of orbits, with their sampling errors.

    Attributes
    ----------
    exponents : (..., n) array, sorted descending along the last axis. NaN for a diverged member;
        −∞ for an exponent whose direction the tangent map annihilated exactly (see
        ``superstable``).
    stderr : (..., n) array, the batch-means standard error of each exponent: the ``steps`` are
        cut into ``blocks`` consecutive blocks (lengths differing by at most one), the exponent is
        estimated on each block, and ``stderr`` = sample standard deviation (ddof = 1) of the block
        estimates / √blocks. NaN for a diverged member and when there is a single block
        (``steps`` = 1); 0 for a −∞ exponent (exact, no sampling).
    steps, burn_in, blocks : the iteration counts used (exponents average over ``steps`` steps
        after ``burn_in`` steps that are not counted).
    diverged : (...) bool, True where the orbit left ``|x_i| ≤ bound``, overflowed, or met a
        non-finite Jacobian (during the burn-in or the measured steps).
    diverged_at : (...) int, the step (counted from the start of the burn-in) at which that was
        detected, −1 where it was not.
    reason : (...) object array of str, why a member is NaN ("" where it is not).
    superstable : (..., n) bool, True where the exponent is −∞ because a diagonal entry of R was
        exactly 0 (a superstable orbit through a critical point, or a singular linear part).
    """

    exponents: np.ndarray
    stderr: np.ndarray
    steps: int
    burn_in: int
    blocks: int
    diverged: np.ndarray
    diverged_at: np.ndarray
    reason: np.ndarray
    superstable: np.ndarray

    @property
    def largest(self) -> np.ndarray:
        """λ₁, shape (...)."""
        return self.exponents[..., 0]

    @property
    def sum(self) -> np.ndarray:
        """λ₁ + … + λ_n = ⟨log|det DF|⟩ along the orbit, shape (...)."""
        return np.sum(self.exponents, axis=-1)


def _check_blocks(value: Any, steps: int) -> int:
    if value is None:
        return min(20, steps)
    blocks = positive_int(value, "blocks")
    if blocks < 2:
        raise ValueError(f"blocks must be >= 2 (a standard error needs two blocks), got {blocks}")
    if blocks > steps:
        raise ValueError(
            f"blocks={blocks} must be <= steps={steps} (each block needs at least one step)"
        )
    return blocks


def _rank_drop_step(
    M: np.ndarray, acc_dead: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Q, diag R and the new slot order for members whose tangent image lost rank.

    Per member (a rare path): Gram–Schmidt (twice) over the columns of M (n, n) in slot order,
    skipping the slots that are already −∞ (``acc_dead``) and those whose column lies exactly in
    the span of the live columns before it (a zero diagonal of R); the live slots keep their
    order at the front, the dead ones go behind them (stable), with R_ii = 0 and an orthonormal
    completion of the frame. Each live slot thus measures the growth of its direction orthogonal
    to the live directions before it, as in Benettin's method, and the number of −∞ exponents
    is the rank lost by the tangent product.
    """
    B, n, _ = M.shape
    Q = np.empty_like(M)
    g = np.zeros((B, n))
    order = np.empty((B, n), dtype=np.int64)
    for b in range(B):
        basis: list[np.ndarray] = []
        norms: list[float] = []
        live: list[int] = []
        for k in range(n):
            if acc_dead[b, k]:
                continue
            v = M[b, :, k]
            for _ in range(2):
                for q in basis:
                    v = v - (q @ v) * q
            r = float(np.sqrt(v @ v))
            if r > 0:
                basis.append(v / r)
                norms.append(r)
                live.append(k)
        dead = [k for k in range(n) if k not in live]
        order[b] = live + dead
        g[b, : len(live)] = norms
        Qb = np.column_stack(basis) if basis else np.zeros((n, 0))
        if len(basis) < n:  # complete the frame: QR of [basis | I], columns past the basis
            full = np.linalg.qr(np.column_stack([Qb, np.eye(n)]))[0]
            Qb = np.column_stack([Qb, full[:, len(basis) : n]])
        Q[b] = Qb
    return Q, g, order


#: largest dimension handled by Gram–Schmidt (twice) in numpy; larger ones use LAPACK's QR
_GS_MAX_DIM = 8


def _frame_step(
    M: np.ndarray, acc_dead: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Q, diag R (≥ 0) of ``M`` (B, n, n) = Q R, and the slot order when it changed (else None).

    Classical Gram–Schmidt applied twice ("twice is enough", Giraud et al. 2005) for n ≤ 8: the
    first column is exactly the renormalised tangent vector J q / ‖J q‖ of
    :func:`toymodels.lyapunov_exponent`; larger n use numpy's batched Householder QR. Members
    with an exactly zero diagonal go through :func:`_rank_drop_step` (dead slots, including
    those already −∞ in ``acc_dead``, moved behind the live ones).
    """
    B, n, _ = M.shape
    if n > _GS_MAX_DIM:
        Q, R = np.linalg.qr(M)
        d = np.diagonal(R, axis1=-2, axis2=-1)
        Q = Q * np.where(d < 0, -1.0, 1.0)[:, None, :]
        g = np.abs(d)
    else:
        Q = np.empty_like(M)
        g = np.empty((B, n))
        for k in range(n):
            v = M[:, :, k]
            if k:
                P = Q[:, :, :k]
                for _ in range(2):
                    v = v - np.einsum("bik,bk->bi", P, np.einsum("bik,bi->bk", P, v))
            r = np.sqrt(np.einsum("bi,bi->b", v, v))
            g[:, k] = r
            Q[:, :, k] = v / np.where(r > 0, r, 1.0)[:, None]
    special = np.any(g == 0, axis=-1)
    if not special.any():
        return Q, g, None
    dead = np.zeros((int(special.sum()), n), bool) if acc_dead is None else acc_dead[special]
    Qs, gs, order_s = _rank_drop_step(M[special], dead)
    Q[special] = Qs
    g[special] = gs
    order = np.broadcast_to(np.arange(n), (B, n)).copy()
    order[special] = order_s
    return Q, g, (order if np.any(order != np.arange(n)) else None)


def lyapunov_spectrum(
    F: Map,
    state0: Any,
    steps: int = 10_000,
    burn_in: int = 1_000,
    *,
    blocks: int | None = None,
    bound: float = 1e10,
    max_seconds: float | None = None,
    backend: str = "numpy",
) -> LyapunovSpectrum:
    """All Lyapunov exponents λ₁ ≥ … ≥ λ_n of the orbits of ``F`` from ``state0``, by QR.

    Parameters
    ----------
    F : Map
        The map; its parameter may be an array (a family evaluated at many parameter values),
        which broadcasts against the batch of ``state0``.
    state0 : array (..., n) (a 1-D map also takes (...))
        Starting states, finite.
    steps : int ≥ 1
        Steps averaged over (after the burn-in).
    burn_in : int ≥ 0
        Steps iterated first and not counted (the orbit settles on its attractor).
    blocks : int with 2 ≤ blocks ≤ steps, or None
        Number of consecutive blocks of the batch-means error estimate (``stderr``); None
        means min(20, steps) (a one-step run then has one block and ``stderr`` NaN).
    bound : float > 0
        A member whose state leaves ``|x_i| ≤ bound`` (or overflows) is diverged: NaN.
    max_seconds : float > 0 or None
        Refuse up front (ValueError) when a timed probe of the batch estimates the whole call
        above it, and stop with a ValueError if the run exceeds it anyway.
    backend : ``"numpy"`` (default, the reference), ``"numba"`` or ``"auto"``
        ``"numba"`` runs burn-in and QR steps in a compiled kernel generated from the map's
        sympy form (:class:`~toymodels.maps.SymbolicMap`; a map of plain Python callables
        raises a ValueError naming ``backend``), members in parallel for large batches;
        ``"auto"`` uses it when numba is installed and the map is symbolic. Same rules and
        result fields; Gram–Schmidt twice for every dimension (numpy switches to Householder
        QR above n = 8), so the exponents agree with numpy to rounding on regular orbits and
        within ``stderr`` on chaotic ones. The kernels compile once per map and process
        (about a second each): worth it for long runs and large batches.

    Returns
    -------
    LyapunovSpectrum
        ``exponents`` (..., n) sorted descending, ``stderr`` (batch means over ``blocks``
        blocks), ``diverged`` / ``diverged_at`` / ``reason``, ``superstable``.

    Method. Q₀ = I; each step M = DF(x_t) Q_t = Q_{t+1} R_t (numpy's batched Householder QR,
    signs fixed so that diag R ≥ 0), and slot i accumulates log R_t[i, i]. The first slot is the
    renormalised tangent vector of :func:`toymodels.lyapunov_exponent` (same orbit, same q₀ = e₁),
    and Σ_i log R_t[i, i] = log|det DF(x_t)|, so λ₁ + … + λ_n = ⟨log|det DF|⟩ up to rounding.
    An exactly zero R_t[i, i] means the tangent product lost rank: that exponent is −∞ (and
    ``superstable`` True), the slot is moved to the end and the remaining slots continue. In
    1-D this is ⟨log|F'(x_t)|⟩ with the same fast path as :func:`toymodels.lyapunov_exponent`.

    Memory: 8 B × members × (n² × 8 + n × (blocks + 2)), checked against
    :data:`toymodels.limits.MEMORY_BUDGET` before any work.
    """
    F = _check_map(F)
    steps = positive_int(steps, "steps")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    blocks = _check_blocks(blocks, steps)
    bound = positive_float(bound, "bound")
    max_seconds = _check_max_seconds(max_seconds)
    x0 = _run_state(F, state0, "state0")
    batch = _batch_shape(F, x0)
    compiled = _numba_maps.use_numba(F, backend)
    n = F.dim
    nb = int(np.prod(batch, dtype=np.int64))
    limits.check_memory(
        f"state0/F: a batch of {nb} members of a {n}-D map",
        [
            (
                f"tangent frames and QR work ({_WORK_MATRICES} x {nb} x {n}x{n})",
                8.0 * _WORK_MATRICES * nb * n * n,
            ),
            (f"block sums ({blocks} x {nb} x {n})", 8.0 * (blocks + 2) * nb * n),
        ],
        "Split the batch (fewer parameter values or states per call), or lower blocks.",
    )
    budget = _Budget(max_seconds)
    param = None if F.param is None else np.broadcast_to(F.param, batch).reshape(-1)
    with np.errstate(all="ignore"):
        x = np.broadcast_to(x0, (*batch, n)).reshape(-1, n).copy()
        if max_seconds is not None:
            t_step = _probe_compiled(F, x, param, bound) if compiled else _probe(F, x, param)
            budget.refuse_estimate(
                t_step * (steps + burn_in),
                f"steps={steps} + burn_in={burn_in} tangent steps × {nb} members",
                "lower steps or burn_in, or split the batch",
            )
        try:
            run = _run_compiled if compiled else _run
            return run(F, x, param, batch, steps, burn_in, blocks, bound, budget)
        except _OutOfTime:
            raise ValueError(
                f"max_seconds={max_seconds:g} ran out during lyapunov_spectrum (steps={steps}, "
                f"burn_in={burn_in}, {nb} members); lower steps or burn_in, split the batch, or "
                f"raise max_seconds"
            ) from None


def _probe(F: Map, x: np.ndarray, param: Any) -> float:
    """Seconds per tangent step of the whole batch (best of three)."""
    best = np.inf
    eye = np.broadcast_to(np.eye(F.dim), (x.shape[0], F.dim, F.dim))
    for _ in range(3):
        t0 = time.perf_counter()
        J = np.asarray(F.jac(x, param), dtype=float).reshape(-1, F.dim, F.dim)
        if F.dim > 1:
            np.linalg.qr(np.where(np.isfinite(J), J, 0.0) @ eye)
        F.fn(x, param)
        best = min(best, time.perf_counter() - t0)
    return float(best)


def _probe_compiled(F: Map, x: np.ndarray, param: Any, bound: float) -> float:
    """Seconds per tangent step of the whole batch with the compiled kernel (compiled first,
    then the best of three runs of a few steps)."""
    B = x.shape[0]
    p = np.zeros(B) if param is None else np.asarray(param, dtype=float)
    edges = np.array([0, 8], dtype=np.int64)
    dead = np.zeros(B, dtype=bool)
    _numba_maps.spectrum_run(F, x, p, dead, 1, 0, edges, bound)  # compile (serial/parallel)
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        _numba_maps.spectrum_run(F, x, p, dead, 8, 0, edges, bound)
        best = min(best, (time.perf_counter() - t0) / 8)
    return float(best)


def _burn_in(
    F: Map, x: np.ndarray, param: Any, burn_in: int, bound: float, backend: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """States after the burn-in (B, n), diverged (B,), diverged_at (B,) (flat batch)."""
    n = F.dim
    G = F if param is None else F._with_param(param)

    def check(members: int) -> None:
        _check_run_memory(burn_in, 0, members, n, loss=False, callback=False)

    tr = _iterate(G, x, burn_in, 0, bound, check=check, backend=backend)
    return (
        np.array(tr.final, dtype=float).reshape(-1, n),
        np.asarray(tr.diverged).reshape(-1),
        np.asarray(tr.diverged_at).reshape(-1),
    )


def _run_compiled(
    F: Map,
    x: np.ndarray,
    param: Any,
    batch: tuple[int, ...],
    steps: int,
    burn_in: int,
    blocks: int,
    bound: float,
    budget: _Budget,
) -> LyapunovSpectrum:
    """:func:`_run` with the compiled kernel (``toymodels._numba_maps.spectrum_run``)."""
    B = x.shape[0]
    dead = np.zeros(B, dtype=bool)
    dead_at = np.full(B, -1, dtype=np.int64)
    why = np.full(B, "", dtype=object)
    if burn_in:
        x, bad, at = _burn_in(F, x, param, burn_in, bound, "numba")
        dead[bad] = True
        dead_at[bad] = at[bad]
        why[bad] = "left |x| <= bound or overflowed during the burn-in"
    nonfinite = ~np.all(np.isfinite(x), axis=-1) & ~dead
    dead[nonfinite] = True
    dead_at[nonfinite] = burn_in
    why[nonfinite] = "non-finite state after the burn-in"
    edges = (np.arange(blocks + 1, dtype=np.int64) * steps) // blocks
    p = np.zeros(B) if param is None else np.asarray(param, dtype=float)
    acc, sums, superstable, dead2, at2, code = _numba_maps.spectrum_run(
        F, x, p, dead, steps, burn_in, edges, bound, budget.check
    )
    for i in np.nonzero(code)[0]:
        why[i] = _numba_maps.REASONS[int(code[i])].format(at=int(at2[i]))
        dead_at[i] = at2[i]
    dead = dead | dead2
    return _finish(acc, sums, edges, superstable, dead, dead_at, why, batch, steps, burn_in)


def _run(
    F: Map,
    x: np.ndarray,
    param: Any,
    batch: tuple[int, ...],
    steps: int,
    burn_in: int,
    blocks: int,
    bound: float,
    budget: _Budget,
) -> LyapunovSpectrum:
    n = F.dim
    B = x.shape[0]
    dead = np.zeros(B, dtype=bool)
    dead_at = np.full(B, -1, dtype=np.int64)
    why = np.full(B, "", dtype=object)

    def mark(bad: np.ndarray, t: int, text: str) -> None:
        new = bad & ~dead
        if np.any(new):
            dead_at[new] = t
            why[new] = text
            dead[new] = True

    if burn_in:
        x, bad, at = _burn_in(F, x, param, burn_in, bound, "numpy")
        mark(bad, 0, "left |x| <= bound or overflowed during the burn-in")
        dead_at[dead] = at[dead]
    mark(~np.all(np.isfinite(x), axis=-1), burn_in, "non-finite state after the burn-in")
    edges = (np.arange(blocks + 1, dtype=np.int64) * steps) // blocks
    sums = np.zeros((blocks, B, n))
    superstable = np.zeros((B, n), dtype=bool)
    acc = np.zeros((B, n))
    Q = np.broadcast_to(np.eye(n), (B, n, n)).copy()
    eye = np.eye(n)
    fast = n == 1 and F.components is not None and F.jac_components is not None
    any_dead_slot = False
    b = 0
    for t in range(steps):
        if t == edges[b + 1]:
            b += 1
        if t % 256 == 255:
            budget.check()
        step_no = burn_in + t
        if fast:
            d = np.asarray(F.jac_components([x[:, 0]], param)[0], dtype=float)
            J = np.broadcast_to(d, (B,)).reshape(B, 1, 1)
        else:
            J = np.asarray(F.jac(x, param), dtype=float).reshape(B, n, n)
        if not np.isfinite(J).all():
            mark(
                ~np.all(np.isfinite(J), axis=(-2, -1)),
                step_no,
                f"non-finite Jacobian at step {step_no}",
            )
        if n == 1:
            g = np.abs(J[:, :, 0])
            if dead.any():
                g = np.where(dead[:, None], 1.0, g)
        else:
            M = J @ Q
            if dead.any():
                M = np.where(dead[:, None, None], eye, M)
            Q, g, order = _frame_step(M, acc == -np.inf if any_dead_slot else None)
            if order is not None:
                acc = np.take_along_axis(acc, order, axis=-1)
                superstable = np.take_along_axis(superstable, order, axis=-1)
                sums = np.take_along_axis(sums, np.broadcast_to(order, sums.shape), axis=-1)
        lg = np.log(g)
        zero = g == 0
        if zero.any():
            superstable |= zero & ~dead[:, None]
            any_dead_slot = True
        acc += lg
        sums[b] += lg
        if fast:
            x = np.asarray(F.components([x[:, 0]], param)[0], dtype=float).reshape(B, 1)
        else:
            x = np.asarray(F.fn(x, param), dtype=float).reshape(B, n)
        out = ~(np.abs(x) <= bound).all(axis=-1)  # NaN fails <=: covers overflow too
        if (out & ~dead).any():
            over = ~np.all(np.isfinite(x), axis=-1)
            mark(over, step_no + 1, f"overflow (non-finite state) at step {step_no + 1}")
            mark(out, step_no + 1, f"left |x| <= bound at step {step_no + 1}")
    return _finish(acc, sums, edges, superstable, dead, dead_at, why, batch, steps, burn_in)


def _finish(
    acc: np.ndarray,
    sums: np.ndarray,
    edges: np.ndarray,
    superstable: np.ndarray,
    dead: np.ndarray,
    dead_at: np.ndarray,
    why: np.ndarray,
    batch: tuple[int, ...],
    steps: int,
    burn_in: int,
) -> LyapunovSpectrum:
    n = acc.shape[-1]
    blocks = sums.shape[0]
    lam = acc / steps
    lengths = np.diff(edges).astype(float)[:, None, None]
    means = sums / lengths
    ninf = superstable | (lam == -np.inf)
    finite_means = np.where(ninf[None], 0.0, means)
    if blocks > 1:
        # the sample standard deviation over the blocks, summed block by block: elementwise
        # over the members, so a member's value does not depend on the batch it is in (a numpy
        # reduction along the block axis sums pairwise or sequentially depending on the layout)
        mean = finite_means[0].copy()
        for k in range(1, blocks):
            mean += finite_means[k]
        mean /= blocks
        ss = np.zeros_like(mean)
        for k in range(blocks):
            d = finite_means[k] - mean
            ss += d * d
        se = np.sqrt(ss / (blocks - 1)) / np.sqrt(blocks)
    else:
        se = np.full(lam.shape, np.nan)
    lam = np.where(ninf, -np.inf, lam)
    se = np.where(ninf, 0.0, se)
    # sort descending (−∞ last); a stable order keeps the QR slots where they already are
    order = np.argsort(-lam, axis=-1, kind="stable")
    lam = np.take_along_axis(lam, order, axis=-1)
    se = np.take_along_axis(se, order, axis=-1)
    sup = np.take_along_axis(ninf, order, axis=-1)
    lam = np.where(dead[:, None], np.nan, lam)
    se = np.where(dead[:, None], np.nan, se)
    sup = sup & ~dead[:, None]
    return LyapunovSpectrum(
        exponents=lam.reshape(*batch, n),
        stderr=se.reshape(*batch, n),
        steps=steps,
        burn_in=burn_in,
        blocks=blocks,
        diverged=dead.reshape(batch),
        diverged_at=dead_at.reshape(batch),
        reason=why.reshape(batch),
        superstable=sup.reshape(*batch, n),
    )


# ------------------------------------------------------------------------- largest exponent
@dataclass(frozen=True)
class LyapunovResult:
    """Largest Lyapunov exponent with diagnostics (``exponent`` NaN for diverged members)."""

    exponent: np.ndarray
    steps: int
    burn_in: int
    diverged: np.ndarray
    half_difference: np.ndarray  # |λ(first half) − λ(second half)|: a convergence indicator


def lyapunov_exponent(
    F: Map,
    state0: Any,
    steps: int = 20_000,
    burn_in: int = 2_000,
    *,
    return_result: bool = False,
    bound: float = 1e10,
    backend: str = "numpy",
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

    ``backend``: ``"numpy"`` (default, the reference), ``"numba"`` (burn-in and tangent steps
    in a compiled kernel generated from the map's sympy form, see
    :class:`~toymodels.maps.SymbolicMap`; members in parallel for large batches; a map of
    plain Python callables raises a ValueError naming ``backend``) or ``"auto"`` (numba when
    installed and the map is symbolic, else numpy). The rules above are the same; the bound
    is checked after every step. Results agree with numpy to rounding on regular orbits and
    within ``half_difference`` on chaotic ones; a member alone and inside a batch are
    bit-identical. The kernels compile once per map and process (about a second each).
    """
    F = _check_map(F)
    steps = positive_int(steps, "steps")
    burn_in = positive_int(burn_in, "burn_in", allow_zero=True)
    return_result = _check_bool(return_result, "return_result")
    bound = positive_float(bound, "bound")
    x0 = _run_state(F, state0, "state0")
    _batch_shape(F, x0)
    compiled = _numba_maps.use_numba(F, backend)

    def check(members: int) -> None:
        _check_run_memory(burn_in, 0, members, F.dim, loss=False, callback=False)

    with np.errstate(all="ignore"):
        tr = _iterate(F, x0, burn_in, 0, bound, check=check, backend=backend)
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
        if compiled:
            B = int(np.prod(batch, dtype=np.int64))
            pflat = np.zeros(B) if param is None else np.asarray(param, float).reshape(-1)
            a, ah, dead_c = _numba_maps.lyapunov_sums(
                F, x.reshape(-1, F.dim), pflat, dead.reshape(-1), steps, half, bound, generic
            )
            acc, acc_half = a.reshape(batch), ah.reshape(batch)
            dead = dead | dead_c.reshape(batch)
            steps_done = True
        elif F.dim == 1 and F.components is not None and F.jac_components is not None:
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
