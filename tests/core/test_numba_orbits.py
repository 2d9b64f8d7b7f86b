"""Issue 14, item 2: compiled orbits (``backend="numba"``) against the numpy reference path.

The numpy path is the reference. On regular (non-chaotic) orbits the compiled kernels must give
the same numbers to 1e-12 (relative, ``1e-12·(1 + |value|)``): the same formulas evaluated by
libm instead of numpy's ufunc loops differ by a few units of the last place per step, and a
regular orbit does not amplify them. The cases are every map and GD family of
``toymodels.models`` (``gd_family`` of each sympy model) plus textbook maps (logistic, Hénon,
the cubic map z(1 + a(1 − z))²), at parameters whose numpy orbit is periodic (checked: numpy's
``period`` ≥ 1, or a negative exponent). On chaotic orbits rounding differences grow, so only the
statistics are compared: the two exponents must agree within 4 combined standard errors of the
batch-means estimate of :func:`lyapunov_spectrum` (two independent estimates of one number).

Invariance: a member alone and inside a batch are bit-identical, and so are one thread and
member ranges on several threads. The sequential continuation chain equals, bit for bit, a
Python loop over the compiled iteration. A map of plain Python callables refuses ``backend="numba"``
with an error naming ``backend``, and ``"auto"`` then gives the numpy numbers exactly.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import toymodels as tm

pytest.importorskip("numba")

from toymodels import _numba_maps
from toymodels.cycles import period
from toymodels.dynamics import _iterate
from toymodels.lyapunov import lyapunov_exponent, lyapunov_spectrum
from toymodels.models import bifurcation as bf
from toymodels.models import deep_linear as dl
from toymodels.models import diagonal_linear as dg
from toymodels.models import homogeneous_net as hn
from toymodels.models import logistic_regression as lr
from toymodels.models import quadratic_regression as qr
from toymodels.models import scalar_net as sn
from toymodels.models import self_stabilization as ss
from toymodels.models import single_index as si
from toymodels.models import threshold_neuron as tu
from toymodels.models import two_layer_linear as tl
from toymodels.phases import classify

# ~100 s of numba compilation per process (a kernel per map family): the numba equality checks
# run in the slow set and in CI's numba step (.ci/run), not in the default pytest
pytestmark = pytest.mark.slow

#: relative agreement of the two paths on regular orbits
RTOL = 1e-12


def close(a, b, rtol: float = RTOL) -> bool:
    """Same NaN pattern, and |a − b| ≤ rtol·(1 + |a|) elsewhere (±inf must match exactly)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    fin = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(a[~fin & ~np.isnan(a)], b[~fin & ~np.isnan(b)]):
        return False
    return bool(np.all(np.abs(a[fin] - b[fin]) <= rtol * (1 + np.abs(a[fin]))))


# ------------------------------------------------------------------------------ the maps
@functools.cache
def logistic() -> tm.MapFamily:
    return tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")


@functools.cache
def henon() -> tm.MapFamily:
    return tm.Map.from_sympy(
        ["1 - a*x**2 + y", "b*x"], state=["x", "y"], param="a", constants={"b": 0.3}
    )


@functools.cache
def cubic() -> tm.MapFamily:
    return tm.Map.from_sympy("z*(1 + a*(1 - z))**2", state="z", param="a")


@functools.cache
def ricker() -> tm.MapFamily:
    return tm.Map.from_sympy("x*exp(r*(1 - x))", state="x", param="r")


def _batch(fam, params, state) -> tuple[tm.Map, np.ndarray]:
    ps = np.asarray(params, float)
    x0 = np.asarray(state, float)
    if x0.ndim < 2:
        x0 = np.broadcast_to(x0.reshape(-1), (ps.size, fam.dim))
    return fam(ps), np.ascontiguousarray(x0)


#: map families at parameters with periodic attractors (periods 1, 2, 4, 3 …; numpy checked)
MAP_CASES = {
    "logistic": lambda: _batch(logistic(), [2.5, 3.2, 3.5, 3.83], [0.3]),
    "henon": lambda: _batch(henon(), [0.2, 0.9, 1.0], [0.1, 0.1]),
    "cubic": lambda: _batch(cubic(), [0.5, 1.1, 1.25], [0.4]),
    "quadratic_regression.cubic_map_family": lambda: _batch(
        qr.cubic_map_family(), [0.7, 1.1, 1.25], [0.5]
    ),
    "quadratic_regression.w_map_family": lambda: _batch(qr.w_map_family(), [0.5, 0.9, 1.15], [0.6]),
    "quadratic_regression.second_order_map_family": lambda: _batch(
        qr.second_order_map_family(), [0.5, -0.3, 0.9], [[0.55, 0.5], [-0.25, 0.5], [0.95, 0.5]]
    ),
    "quadratic_regression.catapult_map": lambda: (
        qr.catapult_map(),
        np.array([[1e-9, 0.5], [1e-6, 1.5], [1e-4, 2.5], [1e-3, 3.0]]),
    ),
    "quadratic_regression.nqm_map": lambda: (
        qr.nqm_map(),
        np.array([[1e-6, 1e-4, 0.5], [1e-4, -1e-3, 1.5], [1e-3, 1e-3, 2.5]]),
    ),
    "bifurcation.uv_reduced_map": lambda: _batch(
        bf.uv_reduced_map(), [0.9, 1.1, 1.26], [[0.95, 2.5], [1.15, 2.5], [1.31, 2.5]]
    ),
    "bifurcation.zhu_reduced_map": lambda: _batch(
        bf.zhu_reduced_map(), [0.1, 0.2, 0.4], [1.1, 0.6]
    ),
    "deep_linear.balanced_line_family": lambda: _batch(
        dl.balanced_line_family(3), [1.9, 2.2, 2.55], [0.3]
    ),
    "two_layer_linear.balanced_line_map": lambda: _batch(
        tl.balanced_line_map(), [0.1, 0.3, 0.45], [0.8]
    ),
    "self_stabilization.stage_map": lambda: (
        ss.stage_map(3.4, 1.5, 0.03, 0.7),
        np.array([[0.1, 0.2], [0.5, -0.3]]),
    ),
}


@functools.cache
def _sympy_models() -> dict[str, tm.Model]:
    M, _ = dl.symmetric_target([2.0, 1.0], seed=0)
    X, Y, _ = dg.sparse_regression(3, 5, 2, seed=0)
    Xs, ys = si.sample(8, 2, 0)
    return {
        "scalar_net.ScalarNet": sn.ScalarNet(3).symbolic(),
        "two_layer_linear.uv_model": tl.uv_model(),
        "two_layer_linear.WideLinearNet": tl.WideLinearNet(3).symbolic(),
        "two_layer_linear.Depth2Linear": tl.Depth2Linear(2).symbolic(),
        "deep_linear.DeepLinear": dl.DeepLinear(M, 2).symbolic(),
        "diagonal_linear.DiagonalLinear": dg.DiagonalLinear(X, Y).symbolic(),
        "quadratic_regression.QuadraticRegression": qr.QuadraticRegression.model_b(
            2, 4, 2
        ).symbolic(),
        "quadratic_regression.second_order_model": qr.second_order_model(0.5, (1.0, 0.5), 0.3),
        "self_stabilization.width_one_net": ss.width_one_net(),
        "self_stabilization.minimalist_model": ss.minimalist_model(),
        "self_stabilization.normal_form_model": ss.normal_form_model(
            [[0.5, 0.3], [0.3, 1.0]], [22.0, 4.0]
        ),
        "self_stabilization.log_cosh_model": ss.log_cosh_model(1.0),
        "logistic_regression.two_point_model": lr.two_point_model(),
        "threshold_neuron.ProductModel": tu.ProductModel().symbolic(),
        "threshold_neuron.MeanModel": tu.MeanModel().symbolic(),
        "homogeneous_net.HomogeneousLinearNet": hn.HomogeneousLinearNet(
            (2, 2, 1), n=4
        ).sympy_model(),
        "single_index.first_layer_model": si.first_layer_model(np.full(2, 0.5), Xs, ys),
    }


@functools.cache
def gd_case(name: str) -> tuple[tm.Map, np.ndarray]:
    """gd_family(model) at η = 0.1 / max(S(θ₀), 1) per member (GD converges: a regular orbit)."""
    m = _sympy_models()[name]
    th = 0.5 * np.random.default_rng(1).standard_normal((4, m.n_params)) + 0.3
    eta = 0.1 / np.maximum(tm.sharpness(m, th), 1.0)
    return tm.gd_family(m)(eta), th


GD_CASES = list(_sympy_models())


@functools.cache
def map_case(name: str) -> tuple[tm.Map, np.ndarray]:
    return MAP_CASES[name]()


def regular_case(kind: str, name: str) -> tuple[tm.Map, np.ndarray]:
    return map_case(name) if kind == "map" else gd_case(name)


#: GD families in the default run; the others (larger models: each costs several seconds of
#: numba compilation) run with ``-m slow``
GD_DEFAULT = (
    "two_layer_linear.uv_model",
    "scalar_net.ScalarNet",
    "self_stabilization.normal_form_model",
    "self_stabilization.log_cosh_model",
)
REGULAR = [pytest.param("map", k, id=f"map:{k}") for k in MAP_CASES] + [
    pytest.param("gd", k, id=f"gd:{k}", marks=() if k in GD_DEFAULT else pytest.mark.slow)
    for k in GD_CASES
]


# ------------------------------------------------------------------- regular orbits: 1e-12
@pytest.mark.parametrize(("kind", "name"), REGULAR)
def test_regular_orbits_agree_to_1e12(kind, name):
    """Iteration (records every 7 steps, divergence flags), the largest Lyapunov exponent with
    its half-difference, and the period: compiled == numpy to 1e-12 on every family."""
    F, x0 = regular_case(kind, name)
    a = _iterate(F, x0, 600, 7, 1e10)
    b = _iterate(F, x0, 600, 7, 1e10, backend="numba")
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    assert not a.diverged.any(), "a regular case must not diverge"
    assert close(a.theta, b.theta), np.nanmax(np.abs(a.theta - b.theta))
    ra = lyapunov_exponent(F, x0, steps=1500, burn_in=300, return_result=True)
    rb = lyapunov_exponent(F, x0, steps=1500, burn_in=300, return_result=True, backend="numba")
    # a regular orbit: the exponent is ≤ 0 up to the slow approach of a neutral direction
    assert np.all(ra.exponent < 1e-2), ra.exponent
    np.testing.assert_array_equal(ra.diverged, rb.diverged)
    assert close(ra.exponent, rb.exponent), (ra.exponent, rb.exponent)
    assert close(ra.half_difference, rb.half_difference)  # NaN where λ = −∞ (−∞ − (−∞))
    pa = period(F, x0, burn_in=2000, max_period=16)
    pb = period(F, x0, burn_in=2000, max_period=16, backend="numba")
    np.testing.assert_array_equal(pa, pb)


SLOW = pytest.mark.slow
SPECTRUM_CASES = [
    pytest.param("map", "henon", id="henon"),
    pytest.param("map", "logistic", id="logistic", marks=SLOW),
    pytest.param("map", "cubic", id="cubic"),
    pytest.param("map", "bifurcation.uv_reduced_map", id="uv", marks=SLOW),
    pytest.param("map", "bifurcation.zhu_reduced_map", id="zhu", marks=SLOW),
    pytest.param("map", "quadratic_regression.nqm_map", id="nqm"),
    pytest.param("map", "self_stabilization.stage_map", id="stage", marks=SLOW),
    pytest.param("gd", "scalar_net.ScalarNet", id="gd:ScalarNet"),
    pytest.param("gd", "deep_linear.DeepLinear", id="gd:DeepLinear", marks=SLOW),
]


@pytest.mark.parametrize(("kind", "name"), SPECTRUM_CASES)
def test_regular_spectra_agree_to_1e12(kind, name):
    """All exponents (QR), their batch-means errors and the −∞ flags: compiled == numpy."""
    F, x0 = regular_case(kind, name)
    a = lyapunov_spectrum(F, x0, steps=1000, burn_in=300)
    b = lyapunov_spectrum(F, x0, steps=1000, burn_in=300, backend="numba")
    np.testing.assert_array_equal(a.diverged, b.diverged)
    np.testing.assert_array_equal(a.superstable, b.superstable)
    assert close(a.exponents, b.exponents), (a.exponents, b.exponents)
    assert np.all(np.abs(a.stderr - b.stderr) <= RTOL * (1 + np.abs(a.exponents)))


def test_superstable_orbits_are_minus_infinity_in_both():
    """Orbits through a critical point: F_a at a = 0.5 (F'(1) = 1 − 2a = 0), the logistic map
    at r = 2 (F'(1/2) = 0), GD on x²/2 at η = 1 (x ↦ 0, DF = 0): λ = −∞ on both paths."""
    F, x0 = _batch(cubic(), [0.5], [0.4])
    G, y0 = _batch(logistic(), [2.0], [0.25])  # 1/2 − 2^-(2^t+1): lands on 1/2 exactly
    gd1 = tm.gd_map(tm.Model.from_sympy("x**2/2", ["x"]), 1.0)
    for M, s in ((F, x0), (G, y0), (gd1, np.array([0.7]))):
        for backend in ("numpy", "numba"):
            assert lyapunov_exponent(M, s, steps=200, burn_in=50, backend=backend) == -np.inf
            sp_ = lyapunov_spectrum(M, s, steps=200, burn_in=50, backend=backend)
            assert np.all(sp_.exponents == -np.inf) and np.all(sp_.superstable)


def test_rank_drop_in_two_dimensions_matches_numpy():
    """A 2-D map whose Jacobian is singular everywhere (y' = 0·…): one exponent −∞, the slot
    moved behind the live one, exactly as the numpy rank-drop rule does."""
    fam = tm.Map.from_sympy(["a*x*(1 - x) + 0*y", "x**2"], state=["x", "y"], param="a")
    F, x0 = _batch(fam, [2.5, 3.2], [0.3, 0.1])
    a = lyapunov_spectrum(F, x0, steps=500, burn_in=100)
    b = lyapunov_spectrum(F, x0, steps=500, burn_in=100, backend="numba")
    assert np.all(a.exponents[:, 1] == -np.inf)
    np.testing.assert_array_equal(a.superstable, b.superstable)
    assert close(a.exponents, b.exponents)


# --------------------------------------------------------------------------- divergence
def test_divergence_steps_and_nan_records_are_identical():
    """Members that leave |x| ≤ bound, start outside it, or start at NaN: same ``diverged_at``
    and the same NaN records (from the divergence step on) on both paths."""
    F, _ = _batch(logistic(), [2.9, 4.2, 4.5, 3.3, 3.6], [0.3])
    x0 = np.array([[0.3], [0.3], [0.3], [2e10], [np.nan]])
    for rec in (0, 1, 5):
        a = _iterate(F, x0, 120, rec, 1e10)
        b = _iterate(F, x0, 120, rec, 1e10, backend="numba")
        np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
        np.testing.assert_array_equal(np.isnan(a.theta), np.isnan(b.theta))
        assert close(a.theta, b.theta)
    assert list(a.diverged_at[:3]) == [-1, a.diverged_at[1], a.diverged_at[2]]
    assert a.diverged_at[1] > 0 and a.diverged_at[2] > 0 and list(a.diverged_at[3:]) == [0, 0]
    # zero steps: the start alone
    a = _iterate(F, x0, 0, 1, 1e10)
    b = _iterate(F, x0, 0, 1, 1e10, backend="numba")
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)


def test_compiled_iterate_is_the_engine():
    """``compiled_iterate`` (for bifurcation diagrams) == ``_iterate(backend="numba")``."""
    F, _ = _batch(logistic(), [2.9, 3.9, 4.5], [0.3])
    for rec in (0, 3):
        states, div, at = _numba_maps.compiled_iterate(F, 0.3, 50, 1e10, rec)
        tr = _iterate(F, F.state(0.3), 50, rec, 1e10, backend="numba")
        np.testing.assert_array_equal(states, tr.theta)
        np.testing.assert_array_equal(div, tr.diverged)
        np.testing.assert_array_equal(at, tr.diverged_at)
    assert list(div) == [False, False, True]


def test_map_iterate_without_bookkeeping_agrees():
    """``Map.iterate`` has no bound: overflow to ±inf and NaN propagate on both paths."""
    F, _ = _batch(logistic(), [2.9, 4.5], [0.3])
    for n in (0, 1, 40, 400):
        a = F.iterate(np.array([[0.3], [0.3]]), n)
        b = F.iterate(np.array([[0.3], [0.3]]), n, backend="numba")
        assert close(a, b), (n, a, b)
    a = F.iterate(np.array([[0.3], [0.3]]), 400)
    assert not np.isfinite(a[1, 0])


def test_lyapunov_divergence_is_nan_on_both_paths():
    F, x0 = _batch(logistic(), [3.5, 4.3], [0.3])
    for backend in ("numpy", "numba"):
        r = lyapunov_exponent(F, x0, steps=500, burn_in=10, return_result=True, backend=backend)
        assert list(r.diverged) == [False, True] and np.isnan(r.exponent[1])
        s = lyapunov_spectrum(F, x0, steps=500, burn_in=10, backend=backend)
        assert list(s.diverged) == [False, True] and s.reason[1]
    a = lyapunov_spectrum(F, x0, steps=500, burn_in=0)
    b = lyapunov_spectrum(F, x0, steps=500, burn_in=0, backend="numba")
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    np.testing.assert_array_equal(a.reason, b.reason)


# ------------------------------------------------------------------------ chaotic orbits
CHAOTIC = {
    # (family, parameters, starts): 16 members each
    "henon a=1.4": (henon, [1.4], 0.1 + 0.01 * np.random.default_rng(1).standard_normal((16, 2))),
    "logistic r=3.9": (logistic, [3.9], np.linspace(0.1, 0.9, 16)[:, None]),
    "cubic a=1.9": (cubic, [1.9], np.linspace(0.2, 1.2, 16)[:, None]),
    # exp: libm and numpy's SIMD exp differ in the last bit, the orbits part after 5–30 steps
    "ricker r=3": (ricker, [3.0], np.linspace(0.2, 1.8, 16)[:, None]),
}


@pytest.mark.parametrize("name", list(CHAOTIC))
def test_chaotic_exponents_agree_within_their_error(name):
    """λ₁ (and the whole spectrum) from the compiled path and from numpy: two estimates of
    the same number, whose difference must stay within 4 combined batch-means standard errors.
    The polynomial maps happen to give bit-identical orbits on both paths; the Ricker map's exp
    does not, its orbits decorrelate within 30 steps, and the comparison is statistical."""
    fam, p, starts = CHAOTIC[name]
    F = fam()(np.full(len(starts), p[0]))
    a = lyapunov_spectrum(F, starts, steps=20_000, burn_in=1_000)
    b = lyapunov_spectrum(F, starts, steps=20_000, burn_in=1_000, backend="numba")
    assert not (a.diverged.any() or b.diverged.any())
    # pooled over the 16 members: mean exponent and its standard error
    la, lb = a.exponents.mean(axis=0), b.exponents.mean(axis=0)
    se = np.sqrt((a.stderr**2).sum(axis=0) + (b.stderr**2).sum(axis=0)) / len(starts)
    assert np.all(np.abs(la - lb) <= 4 * se), (la, lb, se)
    assert la[0] > 0.1  # chaotic indeed
    ea = lyapunov_exponent(F, starts, steps=20_000, burn_in=1_000)
    eb = lyapunov_exponent(F, starts, steps=20_000, burn_in=1_000, backend="numba")
    assert abs(ea.mean() - eb.mean()) <= 4 * se[0], (ea.mean(), eb.mean(), se[0])
    # λ₁ by the tangent vector and by QR on the compiled path: the same orbit, so equal to
    # rounding (the tangent vector is the first QR column)
    assert np.all(np.abs(eb - b.exponents[:, 0]) <= 1e-9)


def test_chaotic_references():
    """Closed form and catalogue values on the compiled path: the logistic map at r = 4 has
    λ = ln 2; Hénon (1.4, 0.3) has λ = (0.41922, −1.62319) (Sprott 2003, App. A); each within
    4 standard errors plus the catalogue's rounding (5e-6)."""
    F, x0 = _batch(logistic(), [4.0] * 8, np.linspace(0.11, 0.87, 8)[:, None])
    s = lyapunov_spectrum(F, x0, steps=40_000, burn_in=500, backend="numba")
    se = np.sqrt((s.stderr[:, 0] ** 2).sum()) / 8
    assert abs(s.exponents[:, 0].mean() - math.log(2)) <= 4 * se
    G, y0 = _batch(
        henon(), [1.4] * 8, 0.1 + 0.01 * np.random.default_rng(2).standard_normal((8, 2))
    )
    s = lyapunov_spectrum(G, y0, steps=40_000, burn_in=1_000, backend="numba")
    se = np.sqrt((s.stderr**2).sum(axis=0)) / 8
    assert np.all(np.abs(s.exponents.mean(axis=0) - (0.41922, -1.62319)) <= 4 * se + 5e-6)


# ------------------------------------------------------------------------------ invariance
def _member_runs(F: tm.Map, x0: np.ndarray):
    tr = _iterate(F, x0, 500, 50, 1e10, backend="numba")
    le = lyapunov_exponent(F, x0, steps=800, burn_in=100, return_result=True, backend="numba")
    sp_ = lyapunov_spectrum(F, x0, steps=800, burn_in=100, backend="numba")
    return tr.theta, tr.diverged_at, le.exponent, le.half_difference, sp_.exponents, sp_.stderr


@pytest.mark.parametrize("fam", [logistic, henon], ids=["logistic", "henon"])
def test_member_alone_equals_member_in_batch_bit_for_bit(fam):
    """Chaotic and diverging members included: member 17 of a 40-member batch equals its own
    run, bit for bit, for iteration, λ₁ and the spectrum."""
    if fam is logistic:
        p = np.linspace(3.4, 4.1, 40)
        x0 = np.full((40, 1), 0.3)
    else:
        p = np.linspace(1.0, 1.45, 40)
        x0 = np.tile([0.1, 0.1], (40, 1))
    batch = _member_runs(fam()(p), x0)
    for i in (0, 17, 39):
        alone = _member_runs(fam()(p[i : i + 1]), x0[i : i + 1])
        for big, one in zip(batch, alone, strict=True):
            np.testing.assert_array_equal(
                big[..., i : i + 1, :] if big.ndim == 3 else big[i : i + 1], one
            )


def test_parallel_equals_one_thread_bit_for_bit(monkeypatch):
    """Member ranges on two threads against one thread: identical records, divergence steps,
    exponents and spectra (diverging and chaotic members included)."""
    G = henon()(np.linspace(1.0, 1.45, 300))
    y0 = np.tile([0.1, 0.1], (300, 1))
    monkeypatch.setattr(_numba_maps, "MIN_MEMBERS_PER_THREAD", 16)
    monkeypatch.setattr(_numba_maps, "MIN_UPDATES_PER_THREAD", 1000)
    monkeypatch.setattr(_numba_maps, "THREADS", 1)
    assert _numba_maps._plan(300, 500)[0] == 1
    one = _member_runs(G, y0)
    monkeypatch.setattr(_numba_maps, "THREADS", 2)
    workers, tasks = _numba_maps._plan(300, 500)
    assert workers == 2 and len(tasks) == 8  # two threads take eight member ranges in turn
    par = _member_runs(G, y0)
    assert np.isnan(one[0]).any() and np.isfinite(one[0]).any()
    for a, b in zip(one, par, strict=True):
        np.testing.assert_array_equal(a, b)


def test_continuation_chain_equals_python_loop_bit_for_bit():
    """The compiled sequential sweep against a Python loop over the compiled iteration: each
    parameter seeded with the previous final state, restarted from state0 after divergence
    (r > 4 diverges here, so restarts happen)."""
    for fam, ps, s0 in (
        (logistic(), np.linspace(2.8, 4.1, 60), np.array([0.3])),
        (henon(), np.linspace(0.3, 1.5, 40), np.array([0.1, 0.1])),
    ):
        pts, div = _numba_maps.continuation_chain(fam, ps, s0, 200, 30, 1e10)
        ref = np.empty_like(pts)
        ref_div = np.zeros(ps.size, dtype=bool)
        seed = s0
        for i, p in enumerate(ps):
            F = fam(float(p))
            tr = _iterate(F, seed, 200, 0, 1e10, backend="numba")
            win = _iterate(F, tr.final, 29, 1, 1e10, backend="numba")
            ref[i] = win.theta.reshape(30, fam.dim)
            ref_div[i] = bool(tr.diverged.any() or win.diverged.any())
            seed = s0 if ref_div[i] else win.final.reshape(-1)
        np.testing.assert_array_equal(div, ref_div)
        np.testing.assert_array_equal(pts, ref)
        assert div.any() and not div.all()
        # in chunks (a caller checking its time budget between them), seeded explicitly
        seed, parts = s0, []
        for lo in range(0, ps.size, 7):
            p_, d_ = _numba_maps.continuation_chain(fam, ps[lo : lo + 7], s0, 200, 30, seed=seed)
            parts.append((p_, d_))
            seed = s0 if d_[-1] else p_[-1, -1]
        np.testing.assert_array_equal(np.concatenate([p for p, _ in parts]), pts)
        np.testing.assert_array_equal(np.concatenate([d for _, d in parts]), div)
        # and the numpy path gives the same diagram (to rounding) up to the first divergence
        first = int(np.argmax(div))
        seed, npy = s0, []
        for p in ps[:first]:
            F = fam(float(p))
            tr = _iterate(F, seed, 200, 0, 1e10)
            win = _iterate(F, tr.final, 29, 1, 1e10)
            npy.append(win.theta.reshape(30, fam.dim))
            seed = win.final.reshape(-1)
        # chaos decorrelates the seeds: compare the prefix of periodic parameters
        k = 0
        while k < first and period(fam(float(ps[k])), s0, burn_in=2000) > 0:
            k += 1
        assert k >= 5
        assert close(np.array(npy)[:k], pts[:k], rtol=1e-9)


# ------------------------------------------------------------------ period and classify
def test_classify_agrees_on_a_parameter_grid():
    """Kinds, periods and stability of the phases of F_a over a grid through the cascade into
    chaos and divergence; Lyapunov exponents of the chaotic members agree statistically."""
    F, x0 = _batch(cubic(), np.linspace(0.3, 2.3, 41), [0.5])
    a = classify(F, x0, burn_in=3000, lyapunov_steps=4000)
    b = classify(F, x0, burn_in=3000, lyapunov_steps=4000, backend="numba")
    kinds = {p.kind for p in a}
    assert {"converged_monotone", "periodic", "chaotic", "diverged"} <= kinds
    for pa, pb in zip(a, b, strict=True):
        assert (pa.kind, pa.period, pa.stable, pa.diverged_at) == (
            pb.kind,
            pb.period,
            pb.stable,
            pb.diverged_at,
        )
        if pa.kind.startswith("converged"):
            assert abs(pa.multiplier - pb.multiplier) <= 1e-9
        if pa.kind == "chaotic":
            assert abs(pa.lyapunov - pb.lyapunov) <= 0.05


def test_classify_gd_on_a_model():
    m = tm.Model.from_sympy("(x*y - 1)**2/2", ["x", "y"])
    eta = np.array([0.1, 0.5, 0.9, 1.2])
    a = classify(m, [2.0, 0.3], eta=eta, burn_in=2000)
    b = classify(m, [2.0, 0.3], eta=eta, burn_in=2000, backend="numba")
    assert [str(p) for p in a] == [str(p) for p in b]
    assert [p.peak_loss_ratio for p in a] == pytest.approx([p.peak_loss_ratio for p in b])


def test_lyapunov_spectrum_time_budget_with_numba():
    F, x0 = _batch(henon(), [1.4], [0.1, 0.1])
    with pytest.raises(ValueError, match="max_seconds"):
        lyapunov_spectrum(F, x0, steps=10**12, burn_in=0, max_seconds=1.0, backend="numba")


# ------------------------------------------------------------------------- backend choice
def _plain_logistic(r: float) -> tm.Map:
    return tm.Map(
        lambda x, p: r * x * (1 - x),
        lambda x, p: (r * (1 - 2 * x))[..., None],
        1,
        name="plain logistic",
    )


CALLS = {
    "_iterate": lambda F, be: _iterate(F, np.array([[0.3]]), 50, 1, 1e10, backend=be).theta,
    "Map.iterate": lambda F, be: F.iterate(0.3, 50, backend=be),
    "lyapunov_exponent": lambda F, be: lyapunov_exponent(F, 0.3, 300, 50, backend=be),
    "lyapunov_spectrum": lambda F, be: lyapunov_spectrum(F, 0.3, 300, 50, backend=be).exponents,
    "period": lambda F, be: period(F, 0.3, burn_in=300, backend=be),
    "classify": lambda F, be: str(classify(F, 0.3, burn_in=300, backend=be)),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_plain_callable_maps_refuse_numba_and_auto_falls_back(call):
    F = _plain_logistic(3.5)
    with pytest.raises(ValueError, match=r"^backend"):
        CALLS[call](F, "numba")
    ref = CALLS[call](F, "numpy")
    got = CALLS[call](F, "auto")
    if isinstance(ref, str):
        assert got == ref
    else:
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("bad", ["fortran", "", None, 3, ["numba"], "NUMBA"])
def test_bad_backend_values_name_the_parameter(call, bad):
    with pytest.raises(ValueError, match=r"^backend"):
        CALLS[call](logistic()(3.5), bad)


def test_auto_uses_numba_for_symbolic_maps_and_numpy_for_the_rest():
    F = logistic()(3.5)
    assert _numba_maps.use_numba(F, "auto")
    assert not _numba_maps.use_numba(_plain_logistic(3.5), "auto")
    assert not _numba_maps.use_numba(F, "numpy")


def test_functions_numba_cannot_translate_fall_back_or_name_backend():
    """besselj has a numpy/scipy twin but no numba translation: "numba" names ``backend``,
    "auto" gives the numpy numbers."""
    fam = tm.Map.from_sympy("a*besselj(0, x)", state="x", param="a")
    F = fam(1.2)
    with pytest.raises(ValueError, match=r"^backend=.numba. cannot compile"):
        lyapunov_exponent(F, 0.3, 100, 10, backend="numba")
    assert lyapunov_exponent(F, 0.3, 100, 10, backend="auto") == lyapunov_exponent(F, 0.3, 100, 10)


def test_data_models_have_no_compiled_map():
    """A model over data (a mean over samples) has no scalar kernel: numba names ``backend``."""
    m = tm.Model.from_sympy("(w*x - y)**2/2", ["w"], data={"x": [1.0, 2.0], "y": [0.5, 1.0]})
    F = tm.gd_map(m, 0.1)
    with pytest.raises(ValueError, match=r"^backend"):
        period(F, 0.3, burn_in=10, backend="numba")
    assert period(F, 0.3, burn_in=100, backend="auto") == period(F, 0.3, burn_in=100)


def test_callback_with_numba_names_backend():
    F = logistic()(3.5)
    with pytest.raises(ValueError, match=r"^callback"):
        _iterate(F, np.array([[0.3]]), 5, 1, 1e10, callback=lambda t, x: None, backend="numba")
    tr = _iterate(F, np.array([[0.3]]), 5, 1, 1e10, callback=lambda t, x: None, backend="auto")
    assert tr.theta.shape == (1, 1, 1)


def test_kernels_are_cached_per_expression_set():
    """Two families with the same expressions share one compiled kernel set."""
    a = tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")
    b = tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")
    _iterate(a(3.0), np.array([[0.3]]), 3, 1, 1e10, backend="numba")
    _iterate(b(3.0), np.array([[0.3]]), 3, 1, 1e10, backend="numba")
    assert a.symbolic.cache["kernels"] is b.symbolic.cache["kernels"]
    m = tm.Model.from_sympy("(x*y - 1)**2/2", ["x", "y"])
    assert tm.gd_family(m).symbolic is tm.gd_map(m, 0.1).symbolic
