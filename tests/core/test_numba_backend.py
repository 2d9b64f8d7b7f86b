"""The optional numba backend of gd (extra ``fast``) against the numpy reference path."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toymodels as tm

pytest.importorskip("numba")

LOSSES = [
    "(x*y - 1)**2/2",
    "log(cosh(x*y/2)) + 0.1*sin(x)**2",
    "(x**2 + y**2 - 1)**2/4 + 0.3*x*y",
    "exp(-x**2) * y**2 + x**4/4",
]


@functools.cache
def model(expr: str) -> tm.Model:
    # one model (and so one numba compilation) per loss for all hypothesis examples
    return tm.Model.from_sympy(expr, ["x", "y"])


@pytest.mark.parametrize("expr", LOSSES)
@given(seed=st.integers(0, 2**31 - 1))
def test_numba_agrees_with_numpy(expr, seed):
    m = model(expr)
    rng = np.random.default_rng(seed)
    theta0 = rng.uniform(-1.5, 1.5, (3, 2))
    eta = np.array([0.05, 0.3, 0.9])
    a = tm.gd(m, theta0, eta, 60, record_every=6)
    b = tm.gd(m, theta0, eta, 60, record_every=6, backend="numba")
    # same divergence pattern; finite states agree to rounding, amplified at most by the
    # 60-step Jacobian product (the runs here are not chaotic at that horizon)
    np.testing.assert_array_equal(a.diverged, b.diverged)
    both = np.isfinite(a.theta) & np.isfinite(b.theta)
    scale = 1 + np.abs(a.theta[both])
    assert np.all(np.abs(a.theta[both] - b.theta[both]) <= 1e-9 * scale)


def test_polynomial_loss_is_bit_identical_with_exact_divergence_steps():
    # for L = (xy − 1)²/2 both paths perform the same float operations in the same order
    m = tm.Model.from_sympy("(x*y - 1)**2/2", ["x", "y"])
    eta = 0.05 + np.arange(512) / 512
    a = tm.gd(m, [2.0, 0.3], eta, 3000, record_every=250)
    b = tm.gd(m, [2.0, 0.3], eta, 3000, record_every=250, backend="numba")
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    assert a.diverged.sum() > 0


def test_auto_uses_numba_for_symbolic_models():
    m = tm.Model.from_sympy("(x*y - 1)**2/2", ["x", "y"])
    tm.gd(m, [0.5, 0.5], 0.1, 5, backend="auto")
    assert hasattr(m, "_numba_kernel")


def test_backend_errors_name_the_parameter():
    m = tm.Model.from_sympy("x**2", ["x"])
    with pytest.raises(ValueError, match="backend"):
        tm.gd(m, [1.0], 0.1, 5, backend="fortran")
    numpy_model = tm.Model.from_numpy(
        ["x"], lambda t: t[..., 0] ** 2, lambda t: 2 * t, lambda t: 2 * np.ones((*t.shape, 1))
    )
    with pytest.raises(ValueError, match="backend"):
        tm.gd(numpy_model, [1.0], 0.1, 5, backend="numba")


# ----------------------------------------------------------------------------- threads
# The parallel backend splits the batch into tasks (member ranges) that threads take in turn, and
# each task into chunks; every member runs the same scalar code, so neither the thread count nor
# which thread ran which task may change a single bit.
# The batches below are large enough to be split (>= 64 members and >= 2e5 updates per thread).
THREAD_LOSSES = [
    "(x*y - 1)**2/2",
    "(x*y - 1)**2/2 + 0.1*sin(x)**2 + log(cosh(y))",
    "exp(-x**2) * y**2 + x**4/4",
]


def _same(a: tm.Trajectory, b: tm.Trajectory) -> None:
    assert np.array_equal(a.theta, b.theta, equal_nan=True)
    assert np.array_equal(a.diverged, b.diverged)
    assert np.array_equal(a.diverged_at, b.diverged_at)
    assert np.array_equal(a.steps, b.steps)


def _grid(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.5, 1.5, (n, 2)), rng.uniform(0.05, 1.6, n)


@pytest.mark.parametrize("expr", THREAD_LOSSES)
def test_thread_count_does_not_change_a_bit(expr, monkeypatch):
    from toymodels import _numba

    m = model(expr)
    theta0, eta = _grid(1500, 7)
    runs = {}
    for k in (1, 2, 3):
        workers, tasks = _numba._plan(len(eta), 700, k, _numba.chunk_size(2))
        assert workers == k and len(tasks) >= k  # the split really happens
        monkeypatch.setattr(_numba, "num_threads", lambda k=k: k)
        runs[k] = tm.gd(m, theta0, eta, 700, record_every=35, paired=True, backend="numba")
    assert 0 < runs[1].diverged.sum() < len(eta)  # divergence bookkeeping is exercised
    _same(runs[1], runs[2])
    _same(runs[1], runs[3])


def test_member_alone_equals_itself_in_the_parallel_grid():
    m = model("(x*y - 1)**2/2 + 0.1*sin(x)**2 + log(cosh(y))")
    theta0, eta = _grid(1500, 3)
    grid = tm.gd(m, theta0, eta, 500, record_every=50, paired=True, backend="numba")
    for i in (0, 511, 512, 749, 750, 1499):  # chunk and thread-range boundaries
        alone = tm.gd(m, theta0[i], eta[i], 500, record_every=50, backend="numba")
        assert np.array_equal(alone.theta, grid.theta[:, i], equal_nan=True)
        assert alone.diverged_at == grid.diverged_at[i]


def test_set_num_threads_is_honoured_and_fork_children_run(tmp_path):
    """In a fresh interpreter (numba's threading layer would otherwise start in the test
    process): ``numba.set_num_threads(1)`` vs all threads give identical arrays, and a ``fork``
    child of a process that started numba's threading layer still runs the backend (numba's GNU
    OpenMP layer aborts such children in ``prange`` code; the backend uses its own threads)."""
    import multiprocessing
    import subprocess
    import sys
    import textwrap

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork start method on this platform")
    script = textwrap.dedent(
        """
        import multiprocessing, numba, numpy as np, toymodels as tm
        from toymodels import _numba

        m = tm.Model.from_sympy("(x*y - 1)**2/2 + 0.1*sin(x)**2 + log(cosh(y))", ["x", "y"])
        rng = np.random.default_rng(5)
        th, eta = rng.uniform(-1.5, 1.5, (1200, 2)), rng.uniform(0.05, 1.6, 1200)

        def run():
            return tm.gd(m, th, eta, 800, record_every=40, paired=True, backend="numba")

        numba.set_num_threads(1)
        assert _numba.num_threads() == 1
        one = run()
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        assert _numba.num_threads() == numba.config.NUMBA_NUM_THREADS
        assert _numba._plan(1200, 800, numba.config.NUMBA_NUM_THREADS, 512)[0] == min(
            numba.config.NUMBA_NUM_THREADS, 4)
        many = run()
        for a, b in [(one.theta, many.theta), (one.diverged_at, many.diverged_at)]:
            assert np.array_equal(a, b, equal_nan=True)
        assert 0 < one.diverged.sum() < 1200

        def child(q):
            q.put(np.array_equal(run().theta, one.theta, equal_nan=True))

        ctx = multiprocessing.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=child, args=(q,))
        p.start()
        p.join(120)
        assert p.exitcode == 0, p.exitcode
        assert q.get(timeout=5) is True
        print("OK", numba.config.NUMBA_NUM_THREADS)
        """
    )
    path = tmp_path / "threads.py"
    path.write_text(script)
    proc = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("OK")


def test_whole_chunks_that_diverge_stop_early_with_the_numpy_records():
    # every member diverges within ~40 steps: each chunk stops and fills its records with NaN;
    # the polynomial loss makes the numba and numpy paths bit-identical
    m = model("(x*y - 1)**2/2")
    eta = np.linspace(1.2, 3.0, 700)
    a = tm.gd(m, [2.0, 0.3], eta, 5000, record_every=7)
    b = tm.gd(m, [2.0, 0.3], eta, 5000, record_every=7, backend="numba")
    assert a.diverged.all() and a.diverged_at.max() < 100
    _same(a, b)
    assert np.isnan(b.theta[-1]).all()


def test_start_outside_the_bound_diverges_at_step_0_as_in_numpy():
    m = model("(x*y - 1)**2/2")
    theta0 = [[2.0, 0.3], [50.0, 0.01], [0.5, -0.5]]
    a = tm.gd(m, theta0, 0.1, 30, record_every=10, bound=20.0)
    b = tm.gd(m, theta0, 0.1, 30, record_every=10, bound=20.0, backend="numba")
    _same(a, b)
    np.testing.assert_array_equal(b.diverged_at, [-1, 0, -1])
    assert np.isnan(b.theta[:, 1]).all()
