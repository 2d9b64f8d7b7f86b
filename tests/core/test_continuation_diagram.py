"""Orbit diagrams by continuation: the blocked seeding rule, its exactness, and hysteresis.

``bifurcation_diagram(..., seeding="continuation", block=s)`` seeds parameter i with the final
state of parameter i − 1, except every s-th parameter, which is seeded s parameters back
(recursively s², …); the blocks run side by side. These tests pin the rule against an
independent statement of it, the results against a plain per-parameter loop bit for bit, and the
point of continuation (following one attractor through a bistable region) against the closed-form
folds of the tilted double well.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toymodels as tm


@pytest.fixture(scope="module")
def logistic() -> tm.MapFamily:
    return tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")


def seed_rule(i: int, n: int, s: int | None) -> int:
    """The documented rule, stated independently of the library: the index seeding i."""
    if i == 0:
        return -1
    if s is None or s >= n:
        return i - 1
    levels = 0  # the number of coarse levels: the top level holds at most s parameters
    while s ** (levels + 1) < n:
        levels += 1
    step = 1
    for _ in range(levels):
        if i % (step * s):
            break
        step *= s
    return i - step


@given(n=st.integers(1, 300), s=st.one_of(st.none(), st.integers(2, 40)))
def test_seed_rule(n, s):
    seeds = tm.continuation_seeds(n, s)
    assert seeds.tolist() == [seed_rule(i, n, s) for i in range(n)]
    assert np.all(seeds < np.arange(n))  # seeded by an earlier parameter: a forward sweep


def hand_sweep(fam, params, x0, burn_in, keep, block):
    """A plain loop over the parameters in order, with the seeding rule above."""
    n = len(params)
    pts = np.full((n, keep, 1), np.nan)
    final: dict[int, np.ndarray] = {}
    dead = np.zeros(n, dtype=bool)
    for i, p in enumerate(params):
        j = seed_rule(i, n, block)
        z = np.array([x0]) if j < 0 or dead[j] else final[j]
        tr = tm.iterate(fam(float(p)), z, burn_in + keep - 1)
        pts[i] = tr.theta[burn_in:]
        dead[i] = bool(tr.diverged.any())
        final[i] = tr.theta[-1]
    return pts, dead


@pytest.mark.parametrize("block", [None, 2, 3, 7, 200])
def test_continuation_equals_loop(logistic, block):
    """Bit for bit against the loop, for the MapFamily (batched) and the callable (per-parameter)
    paths, with diverged parameters (r > 4) restarting from state0."""
    r = np.concatenate([np.linspace(2.8, 4.0, 40), [4.3, 3.5, 3.83, 4.6, 3.2]])
    pts, dead = hand_sweep(logistic, r, 0.3, 150, 12, block)
    bd = tm.bifurcation_diagram(
        logistic, r, 0.3, burn_in=150, keep=12, seeding="continuation", block=block
    )
    np.testing.assert_array_equal(bd.points, pts)
    np.testing.assert_array_equal(bd.diverged, dead)
    assert dead.sum() == 2 and bd.block == block
    assert bd.seeded_from.tolist() == [seed_rule(i, len(r), block) for i in range(len(r))]
    bd2 = tm.bifurcation_diagram(
        lambda p: logistic(p), r, 0.3, burn_in=150, keep=12, seeding="continuation", block=block
    )
    np.testing.assert_array_equal(bd2.points, pts)


def test_fixed_seeding_records_its_rule(logistic):
    bd = tm.bifurcation_diagram(logistic, [3.1, 3.2], 0.3, burn_in=10, keep=2)
    assert bd.seeded_from.tolist() == [-1, -1] and bd.block is None


def test_block_validation(logistic):
    for bad in (1, 0, -3, 2.5, "x"):
        with pytest.raises((ValueError, TypeError), match="block"):
            tm.bifurcation_diagram(logistic, [3.1, 3.2], 0.3, seeding="continuation", block=bad)


# ----------------------------------------------------------------------------- hysteresis
#: GD with step h = 0.2 on the tilted double well V(x) = x⁴/4 − x²/2 − p·x: x ↦ x − h(x³ − x − p).
#: Its fixed points solve x³ − x = p; two stable ones coexist for |p| < p* = 2/(3√3), where a
#: branch ends in a fold (V'' = 3x² − 1 = 0 at x = ∓1/√3). A sweep up follows the lower branch
#: to +p*, a sweep down the upper one to −p* (Strogatz, Nonlinear Dynamics and Chaos, §3.6).
P_FOLD = 2 / (3 * math.sqrt(3))


@pytest.fixture(scope="module")
def tilted_well() -> tm.MapFamily:
    return tm.Map.from_sympy("x - h*(x**3 - x - p)", state="x", param="p", constants={"h": 0.2})


def jump(params: np.ndarray, on_upper: np.ndarray) -> tuple[float, float]:
    """The grid interval in which the swept state changes branch (exactly one change)."""
    change = np.flatnonzero(on_upper[1:] != on_upper[:-1])
    assert change.size == 1, change
    k = int(change[0])
    return float(min(params[k], params[k + 1])), float(max(params[k], params[k + 1]))


@pytest.mark.claim(
    paper="Strogatz, Nonlinear Dynamics and Chaos (2nd ed.)",
    where="§3.6 (imperfect bifurcation, hysteresis)",
    statement="a continuation sweep of GD on x⁴/4 − x²/2 − p·x follows the lower branch up to "
    "the fold p = 2/(3√3) and the upper branch down to −2/(3√3); fixed seeding from x = 0 "
    "switches at p = 0 instead",
    basis="derived",
)
# block=None is the sequential sweep: 18x slower (13.6 s vs 0.76 s here), so it runs in the slow set
@pytest.mark.parametrize("block", [pytest.param(None, marks=pytest.mark.slow), 16, 4])
def test_hysteresis_folds(claim, tilted_well, block):
    # spacing 2e-3; the folds are not grid points. Past a fold the state crosses the bottleneck
    # in about π/√(√3·δ) time units (δ = p − p*, normal form x' = δ + √3 x²): 72 at the first
    # grid point past p* (δ = 1.1e-3), i.e. 360 steps of h = 0.2 < burn_in
    up = np.linspace(-0.6, 0.6, 601)
    kw = {"burn_in": 1500, "keep": 4, "seeding": "continuation", "block": block}
    bd_up = tm.bifurcation_diagram(tilted_well, up, -1.5, **kw)
    bd_dn = tm.bifurcation_diagram(tilted_well, up[::-1], 1.5, **kw)
    lo, hi = jump(up, bd_up.points[:, -1, 0] > 0)
    claim.check(predicted=P_FOLD, measured=hi, relation=">=", sweep="up", bracket=(lo, hi))
    claim.check(predicted=P_FOLD, measured=lo, relation="<=", sweep="up", bracket=(lo, hi))
    lo, hi = jump(up[::-1], bd_dn.points[:, -1, 0] > 0)
    claim.check(predicted=-P_FOLD, measured=lo, relation="<=", sweep="down", bracket=(lo, hi))
    claim.check(predicted=-P_FOLD, measured=hi, relation=">=", sweep="down", bracket=(lo, hi))
    # the same grid from x = 0 at every p (fixed seeding) has no memory: it switches at p = 0,
    # the sign of V'(0) = −p; the test above would fail for it
    fx = tm.bifurcation_diagram(tilted_well, up, 0.0, burn_in=1500, keep=4)
    lo, hi = jump(up, fx.points[:, -1, 0] > 0)
    claim.check(predicted=0.0, measured=hi, relation=">=", seeding="fixed")
    claim.check(predicted=0.0, measured=lo, relation="<=", seeding="fixed")


def test_batched_continuation_rounds(logistic):
    """4,000 parameters in block·log_block(N) batched rounds: the diagram over the logistic map's
    cascade has the period-2 branch where the sweep reaches r ∈ (3, 1 + √6)."""
    r = np.linspace(2.8, 4.0, 4000)
    bd = tm.bifurcation_diagram(logistic, r, 0.3, burn_in=2000, keep=8, seeding="continuation")
    assert bd.block == 16 and not bd.diverged.any()
    sel = (r > 3.05) & (r < 3.4)
    spread = np.ptp(bd.points[sel, :, 0], axis=1)
    # on the 2-cycle the window alternates between the two cycle points: spread = their gap
    gap = np.sqrt((r[sel] + 1) * (r[sel] - 3)) / r[sel]
    np.testing.assert_allclose(spread, gap, rtol=1e-6)


@pytest.mark.parametrize("block", [None, 4])
def test_compiled_backend_equals_numpy(logistic, block):
    """backend="numba": the batched rounds and the sequential sweep (one compiled chain) give
    the numpy result; the logistic map is a polynomial, so bit for bit here."""
    pytest.importorskip("numba")
    r = np.concatenate([np.linspace(2.8, 4.0, 40), [4.3, 3.5, 3.83, 4.6, 3.2]])
    kw = {"burn_in": 150, "keep": 12, "seeding": "continuation", "block": block}
    a = tm.bifurcation_diagram(logistic, r, 0.3, **kw)
    b = tm.bifurcation_diagram(logistic, r, 0.3, backend="numba", **kw)
    np.testing.assert_array_equal(a.diverged, b.diverged)
    np.testing.assert_array_equal(a.points, b.points)
    assert b.seeded_from.tolist() == a.seeded_from.tolist()


def test_numba_backend_needs_a_symbolic_family(logistic):
    with pytest.raises(ValueError, match="backend"):
        tm.bifurcation_diagram(lambda p: logistic(p), [3.1], 0.3, backend="numba")
    with pytest.raises(ValueError, match="backend"):
        tm.bifurcation_diagram(logistic, [3.1], 0.3, backend="fast")
    bd = tm.bifurcation_diagram(
        lambda p: logistic(p), [3.1], 0.3, burn_in=10, keep=2, backend="auto"
    )
    assert bd.points.shape == (1, 2, 1)
