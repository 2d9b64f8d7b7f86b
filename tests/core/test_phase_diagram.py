"""phase_diagram: GD phases over a step-size × initialisation grid (trainability maps).

Truths the code cannot fit to: the quadratic's closed form (converged iff η < 2/λ, divergence
at the first t with |x₀|·|1 − ηλ|^t > bound, an exact 2-cycle at η = 2/λ), the flip of the
double well ¼(x² − 1)² at ηf''(1) = 2 and its next doubling located by a second method
(``period_doubling_points``: continuation + Newton), its chaotic regime checked against
``lyapunov_exponent``, ``classify`` run on the same states, and a hand-written loop for
per-parameter step sizes. Executors and chunk sizes must not change a single bit.
"""

from __future__ import annotations

import concurrent.futures as cf
import inspect
import math
import os
import pickle

import numpy as np
import pytest

import toymodels as tm
from toymodels import _numba, limits
from toymodels.trainability import (
    OUTCOME_CODES,
    OUTCOMES,
    PhaseDiagram,
    phase_diagram,
    step_size_pairs,
)

HAS_NUMBA = _numba.available()
NEEDS_NUMBA = pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed (extra 'fast')")
BACKENDS = ["numpy", pytest.param("numba", marks=NEEDS_NUMBA)]
FIELDS = ("outcome", "code", "period", "diverged_at", "loss", "lyapunov")

UV = "(u*v - 1)**2/2"


@pytest.fixture(scope="module")
def uv() -> tm.Model:
    return tm.Model.from_sympy(UV, ["u", "v"])


@pytest.fixture(scope="module")
def well() -> tm.Model:
    # double well ¼(x² − 1)²: f' = x³ − x, f''(±1) = 2
    return tm.Model.from_sympy("(x**2 - 1)**2/4", ["x"])


@pytest.fixture(scope="module")
def uv_grid() -> tuple[np.ndarray, np.ndarray]:
    eta = np.linspace(0.05, 1.6, 24)
    init = np.random.default_rng(7).uniform(0.1, 2.5, (15, 2))
    return eta, init


def assert_same(a: PhaseDiagram, b: PhaseDiagram) -> None:
    """Bit-for-bit equality of every per-cell field (NaN where NaN)."""
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert x.shape == y.shape, f
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f


def classify_outcomes(model, init, eta, steps, max_period=64, lyapunov_steps=1000):
    """(outcome, period, diverged_at, lyapunov) of tm.classify on the same run (kinds mapped)."""
    ph = tm.classify(
        model,
        init,
        burn_in=steps - 2 * max_period,
        max_period=max_period,
        eta=eta,
        lyapunov_steps=lyapunov_steps,
    )
    ph = np.asarray(ph, dtype=object)
    merge = {"catapult": "converged", "converged_monotone": "converged"}
    merge["converged_oscillating"] = "converged"
    kind = np.vectorize(lambda p: merge.get(p.kind, p.kind), otypes=[object])(ph).astype(str)
    per = np.vectorize(lambda p: p.period, otypes=[np.int64])(ph)
    div = np.vectorize(lambda p: p.diverged_at, otypes=[np.int64])(ph)
    lyap = np.vectorize(lambda p: p.lyapunov, otypes=[float])(ph)
    return kind, per, div, lyap


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"eta_grid": [0.1, 0.0]}, ValueError, "eta_grid"),
        ({"eta_grid": [0.1, -0.2]}, ValueError, "eta_grid"),
        ({"eta_grid": [0.1, np.nan]}, ValueError, "eta_grid"),
        ({"eta_grid": [0.1, np.inf]}, ValueError, "eta_grid"),
        ({"eta_grid": []}, ValueError, "eta_grid"),
        ({"eta_grid": [[0.1, 0.2]]}, ValueError, "eta_grid"),
        ({"eta_grid": 0.1}, ValueError, "eta_grid"),
        ({"eta_grid": [0.1, 0.2], "per_parameter": True}, ValueError, "eta_grid"),
        ({"eta_grid": [[0.1, 0.2, 0.3]], "per_parameter": True}, ValueError, "eta_grid"),
        ({"eta_grid": ["0.1"]}, TypeError, "eta_grid"),
        ({"init_grid": [1.0, 2.0]}, ValueError, "init_grid"),
        ({"init_grid": [[1.0, 2.0, 3.0]]}, ValueError, "init_grid"),
        ({"init_grid": [[1.0, np.nan]]}, ValueError, "init_grid"),
        ({"init_grid": np.empty((0, 2))}, ValueError, "init_grid"),
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"executor": "processes"}, TypeError, "executor"),
        ({"executor": 4}, TypeError, "executor"),
        ({"chunk": 0}, ValueError, "chunk"),
        ({"max_period": 0}, ValueError, "max_period"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"lyapunov_steps": 0}, ValueError, "lyapunov_steps"),
        ({"bound": -1.0}, ValueError, "bound"),
        ({"backend": "cuda"}, ValueError, "backend"),
        ({"progress": 1}, TypeError, "progress"),
        ({"per_parameter": "yes"}, TypeError, "per_parameter"),
        ({"max_seconds": 0.0}, ValueError, "max_seconds"),
        ({"chaos_threshold": np.nan}, ValueError, "chaos_threshold"),
    ],
)
def test_invalid_arguments_name_the_parameter(uv, kwargs, exc, name):
    args = {"eta_grid": [0.1, 0.2], "init_grid": [[1.0, 0.5]], "steps": 10}
    args.update(kwargs)
    with pytest.raises(exc, match=name):
        phase_diagram(uv, args.pop("eta_grid"), args.pop("init_grid"), args.pop("steps"), **args)


def test_model_must_be_a_model():
    with pytest.raises(TypeError, match="model"):
        phase_diagram(lambda x: x, [0.1], [[1.0]], 10)


def test_numba_backend_needs_a_sympy_model():
    m = tm.Model.from_numpy(
        ["x"], lambda t: t[..., 0] ** 2 / 2, lambda t: t.copy(), lambda t: np.ones((*t.shape, 1))
    )
    with pytest.raises(ValueError, match="backend"):
        phase_diagram(m, [0.1], [[1.0]], 10, backend="numba")


def test_unpicklable_model_refused_by_a_process_pool_naming_executor():
    # a hand-written numpy model holds lambdas: it cannot travel to another process
    m = tm.Model.from_numpy(
        ["x"], lambda t: t[..., 0] ** 2 / 2, lambda t: t.copy(), lambda t: np.ones((*t.shape, 1))
    )
    with cf.ProcessPoolExecutor(1) as ex, pytest.raises(TypeError, match="executor"):
        phase_diagram(m, [0.1], [[1.0]], 10, executor=ex)
    # threads share the process: fine, and equal to the serial run
    with cf.ThreadPoolExecutor(2) as ex:
        a = phase_diagram(m, [0.1, 0.5, 2.5], [[1.0], [-2.0]], 500, executor=ex, chunk=1)
    assert_same(a, phase_diagram(m, [0.1, 0.5, 2.5], [[1.0], [-2.0]], 500))
    assert list(a.outcome[:, 0]) == ["converged", "converged", "diverged"]


def test_memory_and_time_budgets_refuse_up_front(uv):
    with limits.memory_budget(10_000), pytest.raises(ValueError, match="chunk"):
        phase_diagram(uv, np.linspace(0.1, 1, 50), np.ones((50, 2)), 10, chunk=2000)
    with pytest.raises(ValueError, match="max_seconds"):
        phase_diagram(uv, np.linspace(0.1, 1, 200), np.ones((200, 2)), 10**7, max_seconds=0.5)


# --------------------------------------------------------------------------- known answers
@pytest.fixture(scope="module")
def quad() -> tm.Model:
    # L = λx²/2 with λ = 2: x ↦ (1 − 2η) x
    return tm.Model.from_sympy("lam*x**2/2", ["x"], constants={"lam": 2.0})


@pytest.mark.parametrize("backend", BACKENDS)
def test_quadratic_converges_iff_eta_below_two_over_lambda(quad, backend):
    lam = 2.0
    m = quad
    # |1 − ηλ| ≤ 0.9 below the threshold (converged well within the run), ≥ 1.1 above it
    eta = np.array([0.05, 0.25, 0.5, 0.75, 0.95, 1.05, 1.2, 1.5, 2.0])
    x0 = np.array([0.3, -1.7, 2.5])
    pd = phase_diagram(m, eta, x0, 3000, backend=backend)
    below = eta < 2 / lam
    assert np.all(pd.outcome[below] == "converged") and np.all(pd.period[below] == 1)
    assert np.all(pd.outcome[~below] == "diverged") and np.all(pd.period[~below] == 0)
    assert np.all(pd.loss[~below] == np.inf) and np.all(np.isnan(pd.lyapunov))
    # closed form: x_t = (1 − ηλ)^t x₀, first t with |x_t| > 1e10
    r = np.abs(1 - eta[~below] * lam)[:, None]
    exact = np.log(1e10 / np.abs(x0)[None, :]) / np.log(r)
    # the crossing is not within rounding of an integer step (else the test would be ambiguous)
    assert np.all(np.abs(exact - np.round(exact)) > 1e-6)
    np.testing.assert_array_equal(pd.diverged_at[~below], np.floor(exact).astype(int) + 1)
    np.testing.assert_array_equal(pd.diverged_at[below], -1)
    np.testing.assert_array_equal(pd.code, np.vectorize(OUTCOME_CODES.get)(pd.outcome))


@pytest.mark.parametrize("backend", BACKENDS)
def test_quadratic_at_the_threshold_is_an_exact_two_cycle(quad, backend):
    # η = 2/λ = 1: x ↦ x − 2x = −x exactly, a neutral 2-cycle (period 2, not converged)
    pd = phase_diagram(quad, [1.0], [0.75, -1.25], 500, backend=backend)
    assert list(pd.outcome[0]) == ["periodic", "periodic"] and list(pd.period[0]) == [2, 2]
    np.testing.assert_array_equal(pd.loss[0], np.array([0.75, 1.25]) ** 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_double_well_flip_and_next_doubling(well, backend):
    # flip where η f''(1) = 2, i.e. η₁ = 1; the next doubling from an independent method
    doublings = tm.period_doubling_points(well, [1.05], (0.5, 1.9), max_doublings=3)
    eta1, eta2, eta3 = (float(v) for v in doublings[:3])
    assert eta1 == pytest.approx(1.0, abs=1e-9)
    # distance 0.02 from each bifurcation: multipliers ≤ 1 − O(0.04), converged in 20,000 steps
    grid = np.array(
        [0.6, 0.9, eta1 - 0.02, eta1 + 0.02, 0.5 * (eta1 + eta2), eta2 - 0.02, eta2 + 0.01]
    )
    assert eta2 + 0.01 < eta3 - 0.01
    x0 = np.array([0.8, 1.1, -0.9])
    pd = phase_diagram(well, grid, x0, 20_000, backend=backend)
    np.testing.assert_array_equal(pd.period[:3], 1)
    np.testing.assert_array_equal(pd.period[3:6], 2)
    np.testing.assert_array_equal(pd.period[6], 4)
    assert np.all(pd.outcome[:3] == "converged") and np.all(pd.outcome[3:] == "periodic")
    assert np.all(pd.loss[:3] < 1e-20)  # at the minima x = ±1


@pytest.mark.parametrize("backend", BACKENDS)
def test_double_well_chaotic_cell_and_its_lyapunov_exponent(well, backend):
    # η = 1.95 lies past the doubling cascade (accumulation ≈ 1.30228) and keeps the orbit
    # bounded; the exponent over the last L = 10⁴ steps is compared with lyapunov_exponent over
    # 10⁵ steps, within 5 standard errors of an L-step estimate (batch means of
    # lyapunov_spectrum, ≈ 0.002)
    eta, L = 1.95, 10_000
    x0 = [0.3, -0.7, 0.55]
    pd = phase_diagram(well, [eta], x0, 20_000, lyapunov_steps=L, backend=backend)
    assert set(pd.outcome[0]) == {"chaotic"} and set(pd.period[0]) == {0}
    F = tm.gd_map(well, eta)
    ref = float(tm.lyapunov_exponent(F, [0.3], steps=100_000, burn_in=100))
    se = float(tm.lyapunov_spectrum(F, [0.3], steps=L, burn_in=100).stderr[0])
    assert 0 < se < 0.01
    assert np.all(np.abs(pd.lyapunov[0] - ref) < 5 * se)
    assert np.all(np.isfinite(pd.loss[0]))


# --------------------------------------------------------------------------- classify
CLASSIFY_MODELS = {
    "uv": (UV, ["u", "v"], np.linspace(0.05, 1.6, 16), (0.1, 2.5)),
    "well": ("(x**2 - 1)**2/4", ["x"], np.linspace(0.5, 2.0, 24), (-1.4, 1.4)),
    "depth3": ("(a*b*c - 1)**2/2", ["a", "b", "c"], np.linspace(0.05, 0.9, 12), (0.3, 1.6)),
    "sine": ("(sin(u)*v - 0.5)**2/2", ["u", "v"], np.linspace(0.1, 6.0, 14), (-2.0, 2.0)),
}
#: models whose kernel the default run compiles (the others only in the slow run)
DEFAULT_NUMBA = {"uv", "well"}


def numba_cases():
    for name in sorted(CLASSIFY_MODELS):
        marks = [NEEDS_NUMBA] + ([] if name in DEFAULT_NUMBA else [pytest.mark.slow])
        yield pytest.param(name, "numba", marks=marks, id=f"{name}-numba")


CLASSIFY_CASES = [pytest.param(n, "numpy", id=f"{n}-numpy") for n in sorted(CLASSIFY_MODELS)]
# sin from libm (numba) and from numpy may differ in the last bit, and chaotic transients
# amplify that into different escape times: compared with classify (numpy) on polynomials only
CLASSIFY_CASES += [c for c in numba_cases() if c.values[0] != "sine"]


@pytest.mark.parametrize(("name", "backend"), CLASSIFY_CASES)
def test_agrees_with_classify_on_the_same_runs(name, backend):
    expr, params, eta, (lo, hi) = CLASSIFY_MODELS[name]
    m = tm.Model.from_sympy(expr, params)
    init = np.random.default_rng(3).uniform(lo, hi, (16, len(params)))
    steps = 1500
    pd = phase_diagram(m, eta, init, steps, backend=backend)
    kind, per, div, lyap = classify_outcomes(m, init, eta, steps)
    assert pd.outcome.size >= 190
    np.testing.assert_array_equal(pd.period, per)
    np.testing.assert_array_equal(pd.diverged_at, div)
    # classify measures the exponent over the 1000 steps after the window, phase_diagram over
    # the last 1000 steps of the run: only aperiodic cells whose exponents straddle the chaos
    # threshold (0.01) within their sampling error (≲ 0.05 over 1000 steps) may be called
    # chaotic by one and unknown by the other
    differ = pd.outcome != kind
    border = (per == 0) & (div < 0)
    border &= np.minimum(np.abs(lyap - 0.01), np.abs(pd.lyapunov - 0.01)) < 0.05
    assert np.all(border[differ]), list(zip(pd.outcome[differ], kind[differ], strict=True))
    assert differ.sum() <= 0.03 * differ.size
    assert len(set(pd.outcome.ravel())) >= 3  # the grid covers several phases


@pytest.mark.parametrize(("name", "backend"), list(numba_cases()))
def test_numba_and_numpy_paths_agree(name, backend):
    expr, params, eta, (lo, hi) = CLASSIFY_MODELS[name]
    m = tm.Model.from_sympy(expr, params)
    init = np.random.default_rng(5).uniform(lo, hi, (12, len(params)))
    a = phase_diagram(m, eta, init, 1200, backend=backend)
    b = phase_diagram(m, eta, init, 1200, backend="numpy")
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    np.testing.assert_array_equal(a.period, b.period)
    np.testing.assert_array_equal(a.outcome, b.outcome)
    calm = (a.outcome == "converged") | (a.outcome == "periodic") | (a.outcome == "diverged")
    # sin from libm and from numpy may differ in the last bit; on non-chaotic cells that stays
    # at rounding level
    np.testing.assert_allclose(a.loss[calm], b.loss[calm], rtol=1e-12, atol=1e-12)
    assert np.all(np.isnan(a.lyapunov[calm])) and np.all(np.isnan(b.lyapunov[calm]))
    if "sin" not in expr:  # + − × and integer powers: the same floating-point operations
        assert_same(a, b)


# --------------------------------------------------------------------------- per parameter
def test_per_parameter_equal_steps_is_the_scalar_run(uv, uv_grid):
    eta, init = uv_grid
    a = phase_diagram(uv, eta, init, 800)
    b = phase_diagram(uv, np.repeat(eta[:, None], 2, axis=1), init, 800, per_parameter=True)
    assert_same(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_per_parameter_steps_match_a_hand_written_loop(uv, backend):
    # θ_k ← θ_k − η_k ∂_k L with two step sizes (one per layer), written out directly
    pairs = step_size_pairs([0.1, 0.4, 0.9], [0.05, 0.6])
    assert pairs.shape == (6, 2)
    np.testing.assert_array_equal(pairs[1], [0.1, 0.6])
    np.testing.assert_array_equal(pairs[4], [0.9, 0.05])
    init = np.array([[1.8, 0.4], [0.3, 2.2], [3.0, 3.0]])
    steps = 400
    pd = phase_diagram(uv, pairs, init, steps, per_parameter=True, backend=backend)
    for i, (e_u, e_v) in enumerate(pairs):
        for j, (u, v) in enumerate(init):
            at = -1
            for t in range(steps):
                r = u * v - 1.0
                u, v = u - e_u * (r * v), v - e_v * (r * u)
                if not (abs(u) <= 1e10 and abs(v) <= 1e10):
                    at = t + 1
                    break
            assert pd.diverged_at[i, j] == at
            if at < 0:
                assert pd.loss[i, j] == (u * v - 1.0) ** 2 / 2
    assert {"converged", "diverged"} <= set(pd.outcome.ravel())


def test_per_parameter_matches_gd_per_parameter(uv):
    # the same update in tm.gd (when this version of gd has per_parameter)
    if "per_parameter" not in inspect.signature(tm.gd).parameters:
        pytest.skip("tm.gd has no per_parameter option in this version")
    pairs = step_size_pairs(np.linspace(0.05, 1.2, 7), np.linspace(0.05, 1.2, 6))
    init = np.random.default_rng(11).uniform(0.1, 2.0, (5, 2))
    pd = phase_diagram(uv, pairs, init, 700, per_parameter=True, backend="numpy")
    tr = tm.gd(uv, init, pairs, 700, record_every=0, per_parameter=True)
    np.testing.assert_array_equal(pd.diverged_at, tr.diverged_at)
    alive = pd.diverged_at < 0
    np.testing.assert_array_equal(pd.loss[alive], tr.loss[-1][alive])
    assert alive.any() and (~alive).any()


def test_step_size_pairs_groups_and_validation():
    g = step_size_pairs([0.1, 0.2], [0.3], groups=[0, 0, 1])
    np.testing.assert_array_equal(g, [[0.1, 0.1, 0.3], [0.2, 0.2, 0.3]])
    with pytest.raises(ValueError, match="eta_2"):
        step_size_pairs([0.1], [-0.3])
    with pytest.raises(ValueError, match="groups"):
        step_size_pairs([0.1], [0.3], groups=[0, 2])


# --------------------------------------------------------------------------- executors
@pytest.mark.parametrize("backend", BACKENDS)
def test_bit_identical_across_executors_and_chunk_sizes(uv, uv_grid, backend):
    eta, init = uv_grid
    steps = 1500 if backend == "numba" else 600  # numpy: many small chunks are slow
    ref = phase_diagram(uv, eta, init, steps, backend=backend)
    assert {"converged", "periodic", "chaotic", "diverged"} <= set(ref.outcome.ravel())
    for chunk in (1, 17, 100, 10_000) if backend == "numba" else (7, 100):
        assert_same(ref, phase_diagram(uv, eta, init, steps, chunk=chunk, backend=backend))
    with cf.ThreadPoolExecutor(2) as ex:
        assert_same(ref, phase_diagram(uv, eta, init, steps, ex, chunk=23, backend=backend))
    with cf.ProcessPoolExecutor(2) as ex:
        assert_same(ref, phase_diagram(uv, eta, init, steps, ex, chunk=50, backend=backend))
        assert_same(ref, phase_diagram(uv, eta, init, steps, ex, backend=backend))


@NEEDS_NUMBA
def test_parallel_kernel_equals_one_thread(uv, uv_grid):
    import numba

    eta, init = uv_grid
    ref = phase_diagram(uv, eta, init, 1500)
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one = phase_diagram(uv, eta, init, 1500)
    finally:
        numba.set_num_threads(old)
    assert_same(ref, one)


def test_numpy_engine_uses_a_local_pool_only_when_it_pays(uv):
    from toymodels.trainability import _local_pool_worth_it

    many_cores = (os.cpu_count() or 1) >= 2
    assert _local_pool_worth_it(uv, 5.0, 3) == many_cores
    assert not _local_pool_worth_it(uv, 1.0, 3)  # short jobs stay in-process
    assert not _local_pool_worth_it(uv, 5.0, 1)  # one chunk: nothing to share
    lam = tm.Model.from_numpy(["x"], lambda t: t[..., 0], lambda t: t, lambda t: t[..., None])
    assert not _local_pool_worth_it(lam, 5.0, 3)  # lambdas do not pickle


def test_dask_executor_equals_serial(uv, uv_grid):
    distributed = pytest.importorskip(
        "dask.distributed", reason="dask.distributed is not installed (extra 'dask')"
    )
    eta, init = uv_grid
    ref = phase_diagram(uv, eta, init, 600)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        got = phase_diagram(uv, eta, init, 600, executor=client.get_executor(), chunk=41)
    assert_same(ref, got)


def test_progress_bar_smoke(uv, uv_grid, capsys):
    eta, init = uv_grid
    pd = phase_diagram(uv, eta, init, 200, progress=True, chunk=64)
    err = capsys.readouterr().err
    assert "phase diagram" in err
    assert pd.outcome.shape == (len(eta), len(init))


# --------------------------------------------------------------------------- result object
def test_result_fields_shapes_and_codes(uv, uv_grid):
    eta, init = uv_grid
    pd = phase_diagram(uv, eta, init, 1000)
    E, I = len(eta), len(init)
    for f in FIELDS:
        assert getattr(pd, f).shape == (E, I)
    assert pd.code.dtype == np.int8 and pd.period.dtype == np.int64
    np.testing.assert_array_equal(np.array(OUTCOMES)[pd.code], pd.outcome)
    assert not np.any(np.isnan(pd.loss))
    assert np.all((pd.diverged_at >= 0) == (pd.outcome == "diverged"))
    assert np.all((pd.period == 1) == (pd.outcome == "converged"))
    assert np.all((pd.period >= 2) == (pd.outcome == "periodic"))
    lyap_known = ~np.isnan(pd.lyapunov)
    np.testing.assert_array_equal(lyap_known, np.isin(pd.outcome, ["chaotic", "unknown"]))
    assert np.all(pd.lyapunov[pd.outcome == "chaotic"] > 0.01)
    assert sum(pd.counts().values()) == E * I
    assert pd.settings["window"] == 129 and pd.steps == 1000
    assert "PhaseDiagram" in repr(pd)


def test_zero_steps_and_starts_outside_the_bound(uv):
    pd = phase_diagram(uv, [0.1], [[0.5, 0.5], [2e10, 0.0]], 0)
    assert list(pd.outcome[0]) == ["unknown", "diverged"]
    assert list(pd.diverged_at[0]) == [-1, 0]
    assert pd.loss[0, 0] == (0.25 - 1) ** 2 / 2 and pd.loss[0, 1] == np.inf


def test_sympy_models_pickle_by_value():
    m = tm.Model.from_sympy("(u*v - y)**2/2 + 0.1*sin(u)", ["u", "v"], constants={"y": 1.5})
    m.grad(np.zeros(2))  # compiled twins are not part of the pickle
    m2 = pickle.loads(pickle.dumps(m))
    assert m2.params == m.params and m2.name == m.name and m2.expr == m.expr
    th = np.random.default_rng(0).normal(size=(4, 2))
    for fn in ("loss", "grad", "hessian"):
        np.testing.assert_array_equal(getattr(m, fn)(th), getattr(m2, fn)(th))


def test_data_models_run_with_numpy(uv):
    rng = np.random.default_rng(1)
    x = rng.normal(size=8)
    dm = tm.Model.from_sympy("(w*x - y)**2/2", ["w"], data={"x": x, "y": 2 * x})
    pd = phase_diagram(dm, [0.1, 5.0], [[0.0], [1.0]], 3000)
    assert pd.settings["backend"] == "numpy"
    assert list(pd.outcome[0]) == ["converged", "converged"]
    assert list(pd.outcome[1]) == ["diverged", "diverged"]
    np.testing.assert_allclose(pd.loss[0], 0.0, atol=1e-20)


# --------------------------------------------------------------------------- slow
@pytest.mark.slow
@NEEDS_NUMBA
def test_large_grid_numba_numpy_classify_and_processes(uv):
    eta = np.linspace(0.05, 1.6, 120)
    init = np.stack([np.linspace(0.05, 2.5, 100), np.full(100, 0.5)], axis=-1)
    steps = 5000
    a = phase_diagram(uv, eta, init, steps)
    b = phase_diagram(uv, eta, init, steps, backend="numpy")
    assert_same(a, b)  # (uv − 1)²/2: the same operations on both paths
    with cf.ProcessPoolExecutor(2) as ex:
        assert_same(a, phase_diagram(uv, eta, init, steps, ex, chunk=999))
    _, per, div, _ = classify_outcomes(uv, init[::7], eta[::5], steps)
    np.testing.assert_array_equal(a.period[::5, ::7], per)
    np.testing.assert_array_equal(a.diverged_at[::5, ::7], div)
    assert math.isfinite(float(np.nanmax(a.lyapunov)))
