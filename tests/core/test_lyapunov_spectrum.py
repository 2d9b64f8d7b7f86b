"""Issue 13, item 2: ``lyapunov_spectrum`` — all exponents by QR (Benettin et al. 1980), batched.

References computed independently of the library: the Hénon map's exponents from Sprott's
catalogue, the identity λ₁ + λ₂ = ln|det DF| = ln b, the logistic map at r = 4 (ln 2), linear
maps (log-moduli of the eigenvalues), a superstable orbit (−∞), and per-parameter calls against
one batched call.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import toymodels as tm
from toymodels.lyapunov import LyapunovSpectrum, lyapunov_spectrum

SPROTT = "Sprott, Chaos and Time-Series Analysis (Oxford University Press, 2003)"
#: Sprott (2003), Appendix A (the catalogue of chaotic maps), Hénon map with a = 1.4, b = 0.3:
#: λ = 0.41922, −1.62319
HENON_LAMBDA = (0.41922, -1.62319)


@pytest.fixture(scope="module")
def henon() -> tm.Map:
    return tm.Map.from_sympy(
        ["1 - a*x**2 + y", "b*x"], state=["x", "y"], constants={"a": 1.4, "b": 0.3}
    )


@pytest.fixture(scope="module")
def henon_family() -> tm.MapFamily:
    return tm.Map.from_sympy(
        ["1 - a*x**2 + y", "b*x"], state=["x", "y"], param="a", constants={"b": 0.3}
    )


@pytest.fixture(scope="module")
def logistic() -> tm.MapFamily:
    return tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")


def linear_map(A: np.ndarray) -> tm.Map:
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    return tm.Map(
        lambda x, p: x @ A.T,
        lambda x, p: np.broadcast_to(A, (*x.shape[:-1], n, n)),
        n,
        name="linear",
    )


@pytest.fixture(scope="module")
def henon_run(henon) -> LyapunovSpectrum:
    """16 starts near (0.1, 0.1), 2·10⁴ measured steps each, 20 blocks of 10³ steps."""
    x0 = 0.1 + 0.01 * np.random.default_rng(1).standard_normal((16, 2))
    return lyapunov_spectrum(henon, x0, steps=20_000, burn_in=1_000, blocks=20)


# ----------------------------------------------------------------------------- Hénon
@pytest.mark.claim(
    paper=SPROTT,
    where="Appendix A, Hénon map (a = 1.4, b = 0.3): λ = 0.41922, −1.62319",
    statement="the Hénon map's Lyapunov exponents are 0.41922 and −1.62319, and their sum is "
    "ln|det DF| = ln 0.3 exactly",
    basis="paper",
)
def test_henon_spectrum_matches_sprott(claim, henon_run):
    """The mean over 16 independent orbits, with the combined batch-means error
    √(Σ se²)/16 (~7e-4); the prediction must lie within 4 of those errors. The sum
    λ₁ + λ₂ is Σ log R_ii / T = ⟨log|det DF|⟩ = ln 0.3 on every member up to rounding
    (≈1e-14 observed), checked to 1e-10."""
    res = henon_run
    assert res.exponents.shape == (16, 2) and res.stderr.shape == (16, 2)
    assert not res.diverged.any() and not res.superstable.any()
    assert res.steps == 20_000 and res.burn_in == 1_000 and res.blocks == 20
    mean = res.exponents.mean(axis=0)
    se = np.sqrt(np.sum(res.stderr**2, axis=0)) / res.exponents.shape[0]
    assert np.all(se > 0) and np.all(se < 1e-3)  # observed 6.9e-4: 4·se stays below 4e-3
    for i, lit in enumerate(HENON_LAMBDA):
        claim.check(predicted=lit, measured=float(mean[i]), tol=float(4 * se[i]), what=f"λ{i + 1}")
    worst = float(np.max(np.abs(res.exponents.sum(axis=-1) - math.log(0.3))))
    claim.check(predicted=0.0, measured=worst, tol=1e-10, what="max |λ1 + λ2 − ln 0.3|")


def test_henon_stderr_agrees_with_the_scatter_between_orbits(henon_run):
    """The batch-means error of one orbit estimates the spread of independent estimates: the
    standard deviation of λ₁ over the 16 orbits and the rms stderr agree within a factor 2."""
    scatter = henon_run.exponents.std(axis=0, ddof=1)
    rms = np.sqrt(np.mean(henon_run.stderr**2, axis=0))
    assert np.all(rms / scatter < 2) and np.all(scatter / rms < 2)


def test_largest_exponent_equals_lyapunov_exponent(henon):
    """Same orbit, same q₀ = e₁: the first QR slot is the renormalised tangent vector."""
    x0 = [[0.1, 0.1], [0.3, -0.1], [-0.2, 0.2]]
    spec = lyapunov_spectrum(henon, x0, steps=3000, burn_in=500)
    lam = tm.lyapunov_exponent(henon, x0, steps=3000, burn_in=500)
    np.testing.assert_allclose(spec.exponents[:, 0], lam, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(spec.largest, spec.exponents[..., 0])


def test_logistic_r4_is_log2(logistic):
    """1-D: ⟨log|F'|⟩ = ln 2 at r = 4 (the orbit is conjugate to the tent map); 2·10⁴ steps from
    8 starts, each within 4 of its own standard errors, the mean within 4 combined errors."""
    x0 = np.random.default_rng(0).uniform(0.05, 0.95, 8)
    res = lyapunov_spectrum(logistic(4.0), x0, steps=20_000, burn_in=100)
    assert res.exponents.shape == (8, 1)
    assert np.all(np.abs(res.exponents[:, 0] - math.log(2)) <= 4 * res.stderr[:, 0])
    se = np.sqrt(np.sum(res.stderr**2)) / 8
    assert abs(res.exponents.mean() - math.log(2)) <= 4 * se
    lam = tm.lyapunov_exponent(logistic(4.0), x0, steps=20_000, burn_in=100)
    np.testing.assert_allclose(res.exponents[:, 0], lam, rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- exact cases
@pytest.mark.parametrize(
    ("A", "expected"),
    [
        (np.diag([2.0, 0.5]), [math.log(2), -math.log(2)]),
        (np.diag([0.5, 2.0]), [math.log(2), -math.log(2)]),  # sorted at the end
        (np.array([[0.0, -1.0], [1.0, 0.0]]) * 0.9, [math.log(0.9), math.log(0.9)]),  # rotation
        (np.diag([3.0, -0.25, 0.1]), [math.log(3), math.log(0.25), math.log(0.1)]),
    ],
)
def test_linear_map_gives_log_moduli_of_eigenvalues(A, expected):
    """At the fixed point 0 of x ↦ Ax, DF = A at every step. For diagonal A the frame Q = I
    is invariant (R = |A| every step, in whichever slot order), for the scaled rotation every R
    is 0.9·I: the exponents are exact up to rounding (1e-12)."""
    res = lyapunov_spectrum(linear_map(A), np.zeros(len(A)), steps=2000, burn_in=0)
    np.testing.assert_allclose(res.exponents, expected, rtol=0, atol=1e-12)
    assert np.all(np.diff(res.exponents) <= 0)  # sorted descending


def test_default_blocks_follow_short_runs(henon):
    """blocks=None is min(20, steps); a one-step run has no error estimate (stderr NaN)."""
    assert lyapunov_spectrum(henon, [0.1, 0.1], steps=7, burn_in=0).blocks == 7
    one = lyapunov_spectrum(henon, [0.1, 0.1], steps=1, burn_in=0)
    assert one.blocks == 1 and np.isnan(one.stderr).all() and np.isfinite(one.exponents).all()


def test_diag_2_half_exact():
    res = lyapunov_spectrum(linear_map(np.diag([2.0, 0.5])), [0.0, 0.0], steps=100, burn_in=0)
    np.testing.assert_allclose(res.exponents, [math.log(2), -math.log(2)], rtol=0, atol=1e-12)
    assert np.all(res.stderr < 1e-12)


def test_superstable_orbits_give_minus_inf(logistic):
    """Logistic r = 2 from x = 0.5: F'(1/2) = 0 at every step, λ = −∞ exactly (not log 1e-300).
    2-D: (x, y) ↦ (2x(1 − x), y/2) at (1/2, 0): DF = diag(0, 1/2), spectrum (−ln 2, −∞); and a
    batch where only one member is superstable."""
    res = lyapunov_spectrum(logistic(2.0), 0.5, steps=100, burn_in=0)
    assert res.exponents.tolist() == [-math.inf] and res.superstable.tolist() == [True]
    assert res.stderr.tolist() == [0.0] and not res.diverged
    S = tm.Map.from_sympy(["2*x*(1 - x)", "y/2"], state=["x", "y"])
    res2 = lyapunov_spectrum(S, [[0.5, 0.0], [0.3, 0.0]], steps=400, burn_in=0)
    assert res2.exponents[0, 0] == pytest.approx(-math.log(2), abs=1e-12)
    assert res2.exponents[0, 1] == -math.inf
    assert res2.superstable.tolist() == [[False, True], [False, False]]
    # the member from 0.3 converges to 1/2 super-exponentially: finite but very negative
    assert np.all(np.isfinite(res2.exponents[1])) and res2.exponents[1, 0] < 0
    both = lyapunov_spectrum(logistic(np.array([2.0, 2.5])), 0.5, steps=100, burn_in=100)
    assert both.exponents[0, 0] == -math.inf
    assert both.exponents[1, 0] == pytest.approx(math.log(0.5), abs=1e-9)


def test_rank_one_linear_part_keeps_the_live_exponent():
    """A = [[0, 1], [0, 0.5]]: rank 1 from the first step, eigenvalues 0 and 0.5. The first
    column of A·I is 0, so slot 1 dies at once; the live slot must still measure ln 0.5."""
    A = np.array([[0.0, 1.0], [0.0, 0.5]])
    res = lyapunov_spectrum(linear_map(A), [0.0, 0.0], steps=500, burn_in=0)
    assert res.exponents[1] == -math.inf and res.superstable.tolist() == [False, True]
    assert res.exponents[0] == pytest.approx(math.log(0.5), abs=2e-3)  # transient ln2/500


def test_rank_drop_on_a_nonlinear_orbit_keeps_the_largest_exponent():
    """(x, y) ↦ (1 − 1.4x² + y, 0.3x³) from x = 0: DF = [[0, 1], [0, 0]] at the first step (its
    first column, the image of e₁, is 0), then det DF = −0.9x² ≠ 0. The tangent product has rank
    1 for ever: exactly one exponent is −∞, and the other is the growth of a generic vector,
    which :func:`tm.lyapunov_exponent` measures (it replaces the annihilated e₁ by a fixed generic
    vector: the two differ only by the O(1/T) transient, ~3e-5 at T = 4000)."""
    G = tm.Map.from_sympy(["1 - 1.4*x**2 + y", "0.3*x**3"], state=["x", "y"])
    x0 = [[0.0, 0.1], [0.0, 0.2]]
    res = lyapunov_spectrum(G, x0, steps=4000, burn_in=0)
    lam = tm.lyapunov_exponent(G, x0, steps=4000, burn_in=0)
    assert res.superstable.tolist() == [[False, True], [False, True]]
    assert np.all(res.exponents[:, 1] == -math.inf)
    np.testing.assert_allclose(res.exponents[:, 0], lam, rtol=0, atol=1e-4)


def test_diverging_member_is_nan_with_a_reason(logistic):
    """r = 4.5 leaves [0, 1] and overflows; its exponents are NaN with a reason, the other
    member is untouched, and nothing warns (pyproject makes RuntimeWarning an error; checked
    here explicitly too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = lyapunov_spectrum(logistic(np.array([2.5, 4.5])), 0.3, steps=100, burn_in=1000)
        ex = lyapunov_spectrum(tm.Map.from_sympy("exp(z)", state="z"), [0.5, 10.0], steps=50)
    assert res.diverged.tolist() == [False, True]
    assert np.isnan(res.exponents[1, 0]) and np.isnan(res.stderr[1, 0])
    assert res.exponents[0, 0] == pytest.approx(math.log(0.5), abs=1e-9)
    assert res.reason[0] == "" and "bound" in res.reason[1]
    assert res.diverged_at[0] == -1 and 0 < res.diverged_at[1] <= 100
    assert ex.diverged.all() and np.isnan(ex.exponents).all()
    assert all("burn-in" in r for r in ex.reason)


def test_2d_divergence_during_measurement(henon_family):
    """Hénon at a = 2 escapes after a few steps (no burn-in): NaN, reason and step."""
    res = lyapunov_spectrum(henon_family(np.array([1.4, 2.0])), [0.1, 0.1], steps=200, burn_in=0)
    assert res.diverged.tolist() == [False, True]
    assert np.isnan(res.exponents[1]).all() and np.isfinite(res.exponents[0]).all()
    assert "step" in res.reason[1] and res.diverged_at[1] > 0


# ----------------------------------------------------------------------------- batching
@pytest.fixture(scope="module")
def batched(henon_family):
    a = np.linspace(1.0, 1.4, 4000)
    return a, lyapunov_spectrum(henon_family(a), [0.1, 0.1], steps=400, burn_in=200)


def _check_members(henon_family, a, res, idx):
    for i in idx:
        one = lyapunov_spectrum(henon_family(float(a[i])), [0.1, 0.1], steps=400, burn_in=200)
        np.testing.assert_allclose(one.exponents, res.exponents[i], rtol=0, atol=1e-12)
        np.testing.assert_allclose(one.stderr, res.stderr[i], rtol=0, atol=1e-12)
        assert one.diverged == res.diverged[i]
        assert one.superstable.tolist() == res.superstable[i].tolist()


def test_batched_over_4000_parameters_equals_per_parameter_calls(henon_family, batched):
    """One call over 4000 values of a ∈ [1, 1.4] (periodic windows and chaos) against separate
    calls at every 100th value (all 4000 in the slow test)."""
    a, res = batched
    assert res.exponents.shape == (4000, 2) and res.diverged.shape == (4000,)
    assert np.any(res.exponents[:, 0] > 0.2) and np.any(res.exponents[:, 0] < 0)
    _check_members(henon_family, a, res, range(0, 4000, 100))


@pytest.mark.slow
def test_batched_over_4000_parameters_all_members(henon_family, batched):
    a, res = batched
    _check_members(henon_family, a, res, range(4000))


def test_batch_shapes_broadcast(henon_family):
    """A (3,) parameter array against a (2, 1, 2) batch of states gives (2, 3, 2)."""
    x0 = np.array([[[0.1, 0.1]], [[0.2, 0.0]]])
    res = lyapunov_spectrum(henon_family(np.array([1.2, 1.3, 1.4])), x0, steps=50, burn_in=10)
    assert res.exponents.shape == (2, 3, 2) and res.diverged.shape == (2, 3)
    assert res.reason.shape == (2, 3) and res.superstable.shape == (2, 3, 2)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"F": None}, TypeError, "F"),
        ({"F": "henon"}, TypeError, "F"),
        ({"state0": "a"}, TypeError, "state0"),
        ({"state0": [np.nan, 0.1]}, ValueError, "state0"),
        ({"state0": [0.1, 0.2, 0.3]}, ValueError, "state0"),
        ({"state0": np.empty((0, 2))}, ValueError, "state0"),
        ({"steps": 0}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"steps": True}, TypeError, "steps"),
        ({"burn_in": -1}, ValueError, "burn_in"),
        ({"blocks": 1}, ValueError, "blocks"),
        ({"blocks": 101}, ValueError, "blocks"),
        ({"blocks": 0}, ValueError, "blocks"),
        ({"blocks": "3"}, TypeError, "blocks"),
        ({"bound": 0.0}, ValueError, "bound"),
        ({"bound": np.nan}, ValueError, "bound"),
        ({"max_seconds": -1.0}, ValueError, "max_seconds"),
        ({"max_seconds": "1"}, TypeError, "max_seconds"),
    ],
)
def test_invalid_arguments_name_the_parameter(henon, kwargs, exc, name):
    call = {"F": henon, "state0": [0.1, 0.1], "steps": 100, "burn_in": 10} | kwargs
    with pytest.raises(exc, match=rf"(?<![\w.]){name}(?!\w)"):
        lyapunov_spectrum(**call)


def test_refuses_too_long_runs_up_front(henon):
    """A timed probe refuses 10¹² steps within milliseconds, naming steps and max_seconds."""
    import time

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"max_seconds=1 .*steps=1000000000000"):
        lyapunov_spectrum(henon, [0.1, 0.1], steps=10**12, max_seconds=1.0)
    with pytest.raises(ValueError, match=r"burn_in=1000000000000"):
        lyapunov_spectrum(henon, [0.1, 0.1], steps=10, burn_in=10**12, max_seconds=1.0)
    assert time.perf_counter() - t0 < 1.0


def test_refuses_batches_over_the_memory_budget(henon):
    with tm.limits.memory_budget("1MiB"), pytest.raises(ValueError, match=r"state0"):
        lyapunov_spectrum(henon, np.full((20_000, 2), 0.1), steps=10)
