"""Issue 10 for the orbit tools: no silent wrong answers, no unbounded cost, validation first.

Each test pins one rule of ``toymodels.orbits`` (see the docstrings there):

* period search linear in ``max_period`` and exact (the same minimal k as the O(max_period²)
  definition); ``find_cycle`` refuses a k it cannot afford, naming ``k`` and the estimate;
* stability with a stated margin δ (marginal multipliers give ``stable=None``), λ = −∞ on a
  superstable orbit, an orbit sitting on an unstable fixed point is reported as such;
* every argument validated before any iteration, errors naming the parameter;
* GD families refuse step sizes ≤ 0 (``MapFamily.check_params`` when the family has it);
* ``period_doubling_points`` works in both directions and never returns a bare empty list;
* ``max_seconds`` budgets; divergence of a map that overflows is data, without warnings.
"""

from __future__ import annotations

import math
import pickle
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import toymodels as tm

SQ6 = 1 + math.sqrt(6)
R3 = 3.5440903595519  # third flip of the logistic map (4 → 8), Feigenbaum's table


@pytest.fixture(scope="module")
def logistic() -> tm.MapFamily:
    return tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")


@pytest.fixture(scope="module")
def uv() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2", params=("x", "y"))


def raises_naming(fn, *names: str, within: float = 2.0) -> str:
    """``fn()`` raises ValueError/TypeError naming one of ``names`` within ``within`` seconds."""
    t0 = time.perf_counter()
    with pytest.raises((ValueError, TypeError)) as info:
        fn()
    elapsed = time.perf_counter() - t0
    msg = str(info.value)
    assert any(n in msg for n in names), f"message {msg!r} names none of {names}"
    assert elapsed < within, f"raised only after {elapsed:.2f} s: {msg}"
    return msg


def rotation(c: float, angle: float = 1.0) -> tm.Map:
    """z ↦ c·R(angle)·z: fixed point 0 with multipliers c·e^{±i·angle} (elliptic for c = 1)."""
    return tm.Map.from_sympy(
        ["c*(cos(t)*x - sin(t)*y)", "c*(sin(t)*x + cos(t)*y)"],
        state=["x", "y"],
        constants={"c": c, "t": angle},
    )


# ----------------------------------------------------------------------------- 1. linear cost
def _period_reference(w: np.ndarray, max_period: int, tol: float) -> np.ndarray:
    """The definition, O(max_period · W): smallest k with max_t |w[t+k] − w[t]| ≤ tol·scale."""
    W, B = w.shape[:2]
    per = np.zeros(B, dtype=np.int64)
    scale = 1.0 + np.max(np.abs(w), axis=(0, 2))
    finite = np.all(np.isfinite(w), axis=(0, 2))
    for k in range(1, max_period + 1):
        d = np.max(np.abs(w[k:] - w[: W - k]), axis=(0, 2))
        per[(per == 0) & finite & (d <= tol * scale)] = k
    return per


@settings(deadline=None, max_examples=60)
@given(
    st.integers(1, 9),
    st.integers(1, 24),
    st.integers(0, 2**31 - 1),
    st.sampled_from([1e-8, 1e-3, 0.05, 0.3]),
)
def test_period_search_equals_the_definition(true_period, max_period, seed, tol):
    """The screened search returns exactly the minimal k of the direct definition, on noisy
    periodic windows (some periods above max_period, some noise above tol) and random walks."""
    from toymodels.orbits import _period_from_window

    rng = np.random.default_rng(seed)
    W = 2 * max_period + 1
    cyc = rng.uniform(-1, 1, (true_period, 6, 2))
    w = cyc[np.arange(W) % true_period] + rng.choice([0, 1e-9, 1e-2], 6)[None, :, None] * (
        rng.standard_normal((W, 6, 2))
    )
    w[:, 5] = np.cumsum(rng.standard_normal((W, 2)), axis=0)  # aperiodic member
    np.testing.assert_array_equal(
        _period_from_window(w, max_period, tol), _period_reference(w, max_period, tol)
    )


def test_period_with_huge_max_period_is_linear(logistic):
    """max_period = 1e5: the old all-k comparison took 65 s on a chaotic orbit (2·10¹⁰
    differences); the screened search needs a few passes over the 2·10⁵-state window."""
    t0 = time.perf_counter()
    assert tm.period(logistic(3.9), 0.3, burn_in=1000, max_period=10**5) == 0
    assert time.perf_counter() - t0 < 20
    assert tm.period(logistic(3.835), 0.5, burn_in=1000, max_period=2 * 10**4) == 3


def test_period_window_memory_is_guarded(logistic):
    r = np.linspace(3.0, 4.0, 10_000)
    raises_naming(lambda: tm.period(logistic(r), 0.3, burn_in=0, max_period=10**7), "max_period")


def test_find_cycle_refuses_unaffordable_k_up_front(logistic):
    """k = 10⁶: up to maxiter·k = 6·10⁷ map + Jacobian evaluations; refused at once, naming k
    and the estimate; k = 10⁹ would need 7.5 GiB for the orbit's points."""
    msg = raises_naming(lambda: tm.find_cycle(logistic(3.2), 0.5, 10**6), "k=")
    assert "estimated" in msg and "max_seconds" in msg
    raises_naming(lambda: tm.find_cycle(logistic(3.2), 0.5, 10**9), "k=")
    # an affordable long k is still solved (2000 = 1000 turns of the 2-cycle)
    cyc = tm.find_cycle(logistic(3.2), 0.5, 2000)
    assert cyc.converged and cyc.period == 2 and cyc.stable is True


# ----------------------------------------------------------------------------- 2. stability
def test_elliptic_fixed_point_is_marginal_not_stable():
    """|λ| = 1 − 1e-16 is not resolved by float64 (δ = 1e-9): stable is None, not True."""
    cyc = tm.find_cycle(rotation(1 - 1e-16), [0.1, 0.2], 1)
    assert cyc.converged and cyc.period == 1
    assert abs(abs(cyc.multiplier) - 1) < 1e-15
    assert cyc.stable is None and cyc.marginal
    assert cyc.stability_margin >= 1e-9
    assert tm.find_cycle(rotation(1.0), [0.1, 0.2], 1).stable is None
    assert tm.find_cycle(rotation(0.999), [0.1, 0.2], 1).stable is True
    assert tm.find_cycle(rotation(1.001), [0.1, 0.2], 1).stable is False


def test_superstable_lyapunov_is_minus_inf(logistic):
    """r = 2: x* = 1/2 with F'(x*) = 0, so Σ log|F'| = −∞ (the old floor gave −708.4)."""
    assert tm.lyapunov_exponent(logistic(2.0), 0.5, steps=100) == -math.inf
    both = tm.Map.from_sympy(["2*x*(1 - x)", "2*y*(1 - y)"], state=["x", "y"])
    assert tm.lyapunov_exponent(both, [0.5, 0.5], steps=100) == -math.inf
    # only e₁ is killed (DF = diag(0, 1/2)): the largest exponent is log(1/2), not −∞
    half = tm.Map.from_sympy(["2*x*(1 - x)", "y/2"], state=["x", "y"])
    lam = tm.lyapunov_exponent(half, [0.5, 0.3], steps=1000, burn_in=0)
    assert abs(lam - math.log(0.5)) < 0.01


def test_classify_reports_an_unstable_fixed_point(logistic):
    """x₀ = 0 is the fixed point of every logistic map, with multiplier r = 3.2 > 1: the orbit
    stays there, but that is not convergence to an attractor."""
    ph = tm.classify(logistic(3.2), 0.0)
    assert ph.kind == "converged_monotone" and ph.period == 1
    assert ph.stable is False and not ph.converged
    assert abs(ph.multiplier - 3.2) < 1e-12
    assert "unstable fixed point" in str(ph)
    good = tm.classify(logistic(2.5), 0.3)
    assert good.stable is True and good.converged
    assert tm.classify(logistic(3.2), 0.3).stable is True  # the attracting 2-cycle


# ----------------------------------------------------------------------------- 3. validate first
@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"max_period": -1}, "max_period"),
        ({"tol": -1}, "tol"),
        ({"lyapunov_steps": 0}, "lyapunov_steps"),
        ({"chaos_threshold": "x"}, "chaos_threshold"),
        ({"paired": "no"}, "paired"),
    ],
)
def test_classify_gd_validates_before_the_burn_in(uv, kw, name):
    """Formerly checked only after 200 000 burn-in steps of GD (4–7.5 s)."""
    raises_naming(
        lambda: tm.classify(uv, [0.3, 0.2], eta=0.5, burn_in=200_000, **kw), name, within=1.0
    )


def _hostile_calls(lg, F):
    boom = lambda p: 1 / 0  # noqa: E731
    # objects whose map function went missing after construction (constructors refuse None)
    no_fn = tm.MapFamily(lg.fn, lg.jac, 1)
    no_fn.fn = None
    no_map = tm.Map(F.fn, F.jac, 1, param=F.param)
    no_map.jac = None
    pdp, snp, bd = tm.period_doubling_points, tm.saddle_node_points, tm.bifurcation_diagram
    return [
        (lambda: tm.lyapunov_exponent(F, 0.3, return_result="yes"), "return_result"),
        (lambda: tm.lyapunov_exponent(no_map, 0.3), "F"),
        (lambda: tm.period(no_map, 0.3), "F"),
        (lambda: tm.classify(no_map, 0.3), "F"),
        (lambda: tm.find_cycle(no_map, 0.3, 1), "F"),
        (lambda: tm.classify(F, 0.3, paired="no"), "paired"),
        (lambda: tm.classify(F, 0.3, max_seconds=0), "max_seconds"),
        (lambda: tm.find_cycle(F, 0.5, 2, stability_margin=-1.0), "stability_margin"),
        (lambda: tm.find_cycle(F, 0.5, 2, stability_margin=2.0), "stability_margin"),
        (lambda: tm.find_cycle(F, 0.5, 2, max_seconds="1"), "max_seconds"),
        (lambda: pdp(lg, 0.5, (2.8, 3.5), return_details="yes"), "return_details"),
        (lambda: pdp(lg, 0.5, (2.8, 3.5), max_seconds=-1), "max_seconds"),
        (lambda: pdp(boom, 0.5, (2.8, 3.5)), "family"),
        (lambda: pdp(no_fn, 0.5, (2.8, 3.5)), "family"),
        (lambda: snp(lg, 0.5, 3.835, 3.82, return_details="x"), "return_details"),
        (lambda: snp(boom, 0.5, 3.835, 3.82), "family"),
        (lambda: snp(no_fn, 0.5, 3.835, 3.82), "family"),
        (lambda: snp(lg, 0.5, 3.835, 3.82, max_seconds=math.nan), "max_seconds"),
        (lambda: bd(lg, [3.0], 0.3, progress="no"), "progress"),
        (lambda: bd(boom, [3.0], 0.3), "family"),
        (lambda: bd(no_fn, [3.0], 0.3), "family"),
        (lambda: bd(lg, [3.0], 0.3, max_seconds=[1.0]), "max_seconds"),
        (lambda: bd(lambda p: lg(p) if p < 3.5 else rotation(1.0), [3.0, 3.6], 0.3), "family"),
    ]


def test_hostile_arguments_name_the_parameter(logistic):
    for call, name in _hostile_calls(logistic, logistic(3.2)):
        raises_naming(call, name)


# ----------------------------------------------------------------------------- 4. step size > 0
@pytest.mark.parametrize("as_family", [lambda m: m, tm.gd_family], ids=["model", "gd_family"])
def test_gd_families_refuse_nonpositive_step_sizes(uv, as_family):
    """η ≤ 0 is not gradient descent: refused up front, naming eta (via
    ``MapFamily.check_params`` when maps.py provides it, else the same rule in orbits.py)."""
    fam = as_family(uv)
    x0 = [0.3, 0.2]
    raises_naming(lambda: tm.bifurcation_diagram(fam, [-1.0, 0.0, 0.5], x0, 10, 5), "eta")
    raises_naming(lambda: tm.bifurcation_diagram(fam, [0.0], x0, 10, 5), "eta")
    raises_naming(lambda: tm.period_doubling_points(fam, x0, (-1.0, 0.5)), "eta")
    raises_naming(lambda: tm.period_doubling_points(fam, x0, (0.5, 0.0)), "eta")
    raises_naming(lambda: tm.saddle_node_points(fam, x0, 0.5, -0.1), "eta")


# ----------------------------------------------------------------------------- 5. directions
def test_period_doubling_points_in_both_directions(logistic):
    """(3.56, 2.9) used to return []: searching down the cascade, each attracting 2k-cycle
    collapses onto the k-cycle, whose multiplier crosses −1 at the same flip."""
    up = tm.period_doubling_points(logistic, 0.5, (2.9, 3.56))
    down = tm.period_doubling_points(logistic, 0.5, (3.56, 2.9))
    np.testing.assert_allclose(up, [3.0, SQ6, R3], rtol=0, atol=1e-12)
    np.testing.assert_allclose(down, up, rtol=0, atol=1e-12)
    details = tm.period_doubling_points(logistic, 0.5, (3.56, 2.9), return_details=True)
    assert [b.period for b in details] == [1, 2, 4]
    for b in details:
        assert b.kind == "flip" and b.converged and b.residual < 1e-9
        assert b.bracket[0] <= b.param <= b.bracket[1]
        assert b.test_values[0] > 0 > b.test_values[1]  # μ + 1 at the lower / upper end


def test_empty_period_doubling_result_says_why(logistic):
    """No flip of the fixed point on (2.0, 2.9): an empty answer that states the range scanned
    and the reason, still an ndarray (or a list with return_details)."""
    pts = tm.period_doubling_points(logistic, 0.5, (2.0, 2.9))
    assert len(pts) == 0 and isinstance(pts, np.ndarray)
    assert pts.scanned == (2.0, 2.9) and pts.complete
    assert "without a flip of the period-1 cycle" in pts.reason
    assert "period-1" in repr(pts)
    back = pickle.loads(pickle.dumps(pts))  # survives executors / caches
    assert back.reason == pts.reason and back.scanned == pts.scanned
    det = tm.period_doubling_points(logistic, 0.5, (2.0, 2.9), return_details=True)
    assert det == [] and isinstance(det, list)
    assert det.scanned == (2.0, 2.9) and "period-1" in repr(det)
    full = tm.period_doubling_points(logistic, 0.5, (2.8, 3.5), max_doublings=2)
    assert "max_doublings=2" in full.reason and full.complete


def test_saddle_node_outside_the_range_is_an_error(logistic):
    """Continuing the period-3 cycle *up* from 3.835 meets no fold before 3.84; the old code
    polished to the fold at 1 + √8 = 3.828 (outside the range) and returned it silently."""
    msg = raises_naming(lambda: tm.saddle_node_points(logistic, 0.5, 3.835, 3.84), "towards")
    assert "period-3" in msg


# ----------------------------------------------------------------------------- 6. budgets
def test_period_doubling_budget_returns_partial_result(logistic):
    """max_doublings = 14 means cycles of period 2¹³: far beyond 2 s. The search stops, keeps
    the flips found, and says which parameter to change."""
    t0 = time.perf_counter()
    pts = tm.period_doubling_points(
        logistic, 0.5, (2.8, 3.5699456), max_doublings=14, max_seconds=2.0
    )
    elapsed = time.perf_counter() - t0
    assert elapsed < 30
    if len(pts) < 14:
        assert not pts.complete
        assert "max_seconds" in pts.reason and "max_doublings" in pts.reason
    if len(pts) >= 3:
        np.testing.assert_allclose(pts[:3], [3.0, SQ6, R3], rtol=0, atol=1e-9)


def test_saddle_node_budget_names_max_seconds(logistic):
    msg = raises_naming(
        lambda: tm.saddle_node_points(logistic, 0.5, 3.835, 3.82, max_seconds=1e-9),
        "max_seconds",
    )
    assert "ran out" in msg


def test_classify_budget_is_checked_up_front(logistic, uv):
    msg = raises_naming(
        lambda: tm.classify(logistic(3.9), 0.3, burn_in=10**9, max_seconds=5), "max_seconds"
    )
    assert "estimated" in msg and "burn_in" in msg
    msg = raises_naming(
        lambda: tm.classify(uv, [0.3, 0.2], eta=0.5, burn_in=10**9, max_seconds=5),
        "max_seconds",
    )
    assert "estimated" in msg and "burn_in" in msg


def test_bifurcation_diagram_budgets(logistic):
    r = np.linspace(2.8, 4.0, 1000)
    msg = raises_naming(
        lambda: tm.bifurcation_diagram(logistic, r, 0.3, burn_in=10**9, max_seconds=5),
        "max_seconds",
    )
    assert "estimated" in msg
    msg = raises_naming(
        lambda: tm.bifurcation_diagram(
            logistic, r[:50], 0.3, burn_in=200_000, seeding="continuation", max_seconds=0.2
        ),
        "max_seconds",
        within=10.0,
    )
    assert "estimated" in msg and "round(s)" in msg  # the batched continuation: refused up front
    # a callable family runs parameter by parameter: refused after the first one
    msg = raises_naming(
        lambda: tm.bifurcation_diagram(
            lambda p: logistic(p),
            r[:50],
            0.3,
            burn_in=200_000,
            seeding="continuation",
            max_seconds=0.2,
        ),
        "max_seconds",
        within=10.0,
    )
    assert "after 1 of them" in msg
    raises_naming(lambda: tm.bifurcation_diagram(logistic, r, 0.3, keep=10**6), "keep")


# ----------------------------------------------------------------------------- 7. warnings
@pytest.mark.parametrize("state0", [0.5, 10.0, [0.5, 1.0], 700.0])
def test_overflowing_map_is_diverged_data(state0):
    """exp(z) leaves every bound: NaN with ``diverged`` True, no RuntimeWarning (pyproject
    makes RuntimeWarning an error), with or without burn-in."""
    ex = tm.Map.from_sympy("exp(z)", state="z")
    for burn_in in (0, 100):
        res = tm.lyapunov_exponent(ex, state0, steps=200, burn_in=burn_in, return_result=True)
        assert np.all(res.diverged) and np.all(np.isnan(res.exponent))


# ------------------------------------------------------------------- empties, names, bools
@pytest.mark.parametrize("state0", [[], np.empty(0), np.empty((0, 1))])
def test_analyses_refuse_an_empty_batch_of_states(logistic, state0):
    F = logistic(3.2)
    msg = r"^state0 is empty \(shape \(0, 1\)\): nothing to run"
    with pytest.raises(ValueError, match=msg):
        tm.period(F, state0, burn_in=10)
    with pytest.raises(ValueError, match=msg):
        tm.lyapunov_exponent(F, state0, steps=10, burn_in=0)
    with pytest.raises(ValueError, match=msg):
        tm.classify(F, state0, burn_in=10, lyapunov_steps=10)


@pytest.mark.parametrize(
    ("state0", "exc"),
    [
        ("a", TypeError),
        (None, TypeError),
        ([1j, 0.0], TypeError),
        ([np.nan, 1.0], ValueError),
        ([0.1, 0.2, 0.3], ValueError),
        (np.empty((0, 2)), ValueError),
    ],
)
def test_classify_gd_names_state0_not_theta0(uv, state0, exc):
    with pytest.raises(exc, match=r"^state0 ") as info:
        tm.classify(uv, state0, eta=0.1, burn_in=10, lyapunov_steps=10)
    assert "theta0" not in str(info.value)


@pytest.mark.parametrize(
    ("eta", "exc", "match"),
    [(True, TypeError, "must be a real number"), ([], ValueError, "is empty")],
)
def test_classify_gd_refuses_boolean_and_empty_step_sizes(uv, eta, exc, match):
    with pytest.raises(exc, match=rf"^eta {match}"):
        tm.classify(uv, [0.3, 0.2], eta=eta, burn_in=10, lyapunov_steps=10)


@pytest.mark.parametrize(
    ("value", "exc"), [(10**400, ValueError), (np.True_, TypeError), (np.ones(2), ValueError)]
)
def test_chaos_threshold_is_a_finite_real_scalar(logistic, value, exc):
    with pytest.raises(exc, match=r"^chaos_threshold must be"):
        tm.classify(logistic(3.2), 0.3, burn_in=10, chaos_threshold=value)


@pytest.mark.parametrize(
    ("kw", "name"), [({"param": False}, "param"), ({"towards": True}, "towards")]
)
def test_saddle_node_points_refuses_boolean_parameters(logistic, kw, name):
    args = {"param": 3.835, "towards": 3.82, **kw}
    with pytest.raises(TypeError, match=rf"^{name} must be a real number, got the boolean"):
        tm.saddle_node_points(logistic, 0.5, **args, burn_in=10, max_period=8)
