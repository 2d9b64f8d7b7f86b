"""The memory budget (toymodels.limits), streamed runs, callbacks and the sgd index stream."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import toymodels as tm
import toymodels.dynamics as dyn
from toymodels import limits

MiB = 1024**2


@pytest.fixture(scope="module")
def m2() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2 + 0.1*sin(x)**2", ["x", "y"])


def _grad_of(m: tm.Model):
    def batch_grad(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return m._grad(theta)

    return batch_grad


# ----------------------------------------------------------------------------- the budget
def test_issue_reproduction_is_refused_up_front_with_the_fix(m2):
    # issue 10: 1,000 members × 10⁷ recorded steps died with "Unable to allocate 149 GiB"
    with limits.memory_budget(limits.DEFAULT_MEMORY_BUDGET):
        with pytest.raises(ValueError) as info:
            tm.gd(m2, np.ones((1000, 2)), 0.1, 10**7, record_every=1)
    msg = str(info.value)
    assert msg.startswith("steps=10000000 with record_every=1")
    assert "149.0 GiB" in msg  # the states alone, as numpy reported
    assert "4.0 GiB" in msg  # the budget
    assert "record_every=0" in msg and "callback=f" in msg and "memory_budget(" in msg
    # the suggested record_every fits the budget
    k = int(re.search(r"record_every=(\d+) \(or larger\)", msg).group(1))
    n_rec = 10**7 // k + 1 + (10**7 % k != 0)
    assert n_rec * 1000 * 3 * 8 <= limits.DEFAULT_MEMORY_BUDGET
    assert (10**7 // (k - 1) + 2) * 1000 * 3 * 8 > limits.DEFAULT_MEMORY_BUDGET - 1e6


def test_suggested_record_every_runs_within_the_budget(m2):
    th = np.full((4, 2), 0.9)
    with limits.memory_budget(MiB):
        with pytest.raises(ValueError, match=r"steps=40000 with record_every=1") as info:
            tm.gd(m2, th, 0.1, 40_000)
        k = int(re.search(r"record_every=(\d+) \(or larger\)", str(info.value)).group(1))
        tr = tm.gd(m2, th, 0.1, 40_000, record_every=k)
    assert tr.theta.nbytes + tr.loss.nbytes <= MiB
    ref = tm.gd(m2, th, 0.1, 40_000, record_every=k)
    np.testing.assert_array_equal(tr.theta, ref.theta)


@pytest.mark.parametrize("fn", ["gd", "sgd", "iterate"])
def test_every_engine_checks_the_budget_before_running(m2, fn):
    th = np.full((8, 2), 0.9)
    calls = []

    def counting_grad(theta, idx):
        calls.append(1)
        return m2._grad(theta)

    run = {
        "gd": lambda: tm.gd(m2, th, 0.1, 10**5),
        "sgd": lambda: tm.sgd(m2, counting_grad, th, 0.1, 10**5, 4),
        "iterate": lambda: tm.iterate(tm.gd_map(m2, 0.1), th, 10**5),
    }[fn]
    with limits.memory_budget("2MiB"):
        with pytest.raises(ValueError, match=r"^steps=100000 with record_every=1 needs about"):
            run()
    assert calls == []


def test_batch_too_large_names_theta0_and_eta(m2):
    with pytest.raises(ValueError, match=r"^theta0/eta: a batch of 10000000000 members"):
        tm.gd(m2, np.ones((10**5, 2)), np.linspace(0.01, 1, 10**5), 3, record_every=0)


def test_sgd_sampling_memory_names_batch_size(m2):
    # without replacement, numpy draws a permutation of all samples when batch_size > n/50
    with pytest.raises(ValueError, match=r"^batch_size=100000000 with n_samples=1000000000"):
        tm.sgd(m2, _grad_of(m2), [1.0, 1.0], 0.1, 3, 10**9, 10**8, 0, replace=False)


def test_gradient_flow_budget_names_n_points_and_t_eval(m2):
    with pytest.raises(ValueError, match=r"^n_points=1000000000000 needs about"):
        tm.gradient_flow(m2, [1.0, 1.0], 1.0, n_points=10**12)
    with limits.memory_budget(64 * 1024):
        with pytest.raises(ValueError, match=r"^t_eval with 5000 times needs about"):
            tm.gradient_flow(m2, [1.0, 1.0], 1.0, t_eval=np.linspace(0, 1, 5000))


def test_budget_setters_and_context_manager():
    old = limits.get_memory_budget()
    with limits.memory_budget("512 MiB") as b:
        assert b == limits.MEMORY_BUDGET == 512 * MiB
        with limits.memory_budget(None):
            assert limits.get_memory_budget() is None
        assert limits.get_memory_budget() == 512 * MiB
    assert limits.get_memory_budget() == old
    prev = limits.set_memory_budget(2e9)
    try:
        assert prev == old and limits.MEMORY_BUDGET == 2_000_000_000
    finally:
        limits.set_memory_budget(prev)
    for text, value in [("8GiB", 8 * 1024**3), ("2GB", 2 * 10**9), ("1.5e3", 1500), ("inf", None)]:
        assert limits._parse(text, "x") == value
    for bad in (0, -1, float("nan"), "lots", "8 parsecs", True, [1]):
        with pytest.raises((ValueError, TypeError), match="nbytes"):
            limits.set_memory_budget(bad)
    assert limits.get_memory_budget() == old


def _import_budget(env_value: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOYMODELS_MEMORY_BUDGET": env_value}
    code = "import toymodels.limits as l; print(l.MEMORY_BUDGET)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_environment_variable_sets_the_default():
    assert _import_budget("3MiB").stdout.strip() == str(3 * MiB)
    assert _import_budget("none").stdout.strip() == "None"
    bad = _import_budget("a lot")
    assert bad.returncode != 0 and "TOYMODELS_MEMORY_BUDGET" in bad.stderr


# ----------------------------------------------------------------------------- streaming
def _peak(fn):
    fn()  # compile / warm caches outside the measurement
    tracemalloc.start()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, peak


@pytest.mark.parametrize("fn", ["gd", "sgd", "iterate"])
def test_peak_memory_stays_near_the_result_size(m2, fn):
    # 20001 records × 50 members: θ 16 MB + loss 8 MB. The loss is evaluated block by block, so
    # its temporaries never exist for the whole run (today's peak was ~2× the result)
    th = np.random.default_rng(0).uniform(0.5, 1.5, (50, 2))
    run = {
        "gd": lambda: tm.gd(m2, th, 0.05, 20_000),
        "sgd": lambda: tm.sgd(m2, _grad_of(m2), th, 0.05, 20_000, 10),
        "iterate": lambda: tm.iterate(tm.gd_map(m2, 0.05), th, 20_000),
    }[fn]
    tr, peak = _peak(run)
    result = tr.theta.nbytes + (0 if tr.loss is None else tr.loss.nbytes) + tr.steps.nbytes
    assert peak <= 1.3 * result + 2 * MiB, (peak / MiB, result / MiB)


def test_sgd_does_not_materialise_the_index_stream(m2, monkeypatch):
    # 5·10⁴ steps of batch 4: the whole stream is 1.6 MB (today it was drawn at once, even with
    # record_every=0); drawn in blocks of 16 KiB the run holds two blocks at a time
    monkeypatch.setattr(dyn, "_INDEX_BLOCK_BYTES", 16 * 1024, raising=False)
    _, peak = _peak(
        lambda: tm.sgd(m2, _grad_of(m2), [0.9, 0.9], 0.05, 50_000, 1000, 4, record_every=0)
    )
    assert peak < 0.5 * MiB, peak / MiB


def test_sharpness_of_a_long_run_is_computed_in_blocks(m2):
    tr = tm.gd(m2, np.full((40, 2), 0.9), 0.05, 5000, record_every=1)
    _, peak = _peak(lambda: tm.gd(m2, np.full((40, 2), 0.9), 0.05, 5000).sharpness)
    # (5001, 40, 2, 2) Hessians would be 6.4 MB at once; the sharpness itself is 1.6 MB
    assert peak < tr.theta.nbytes + 6 * MiB
    ref = np.concatenate([tm.sharpness(m2, tr.theta[a : a + 700]) for a in range(0, 5001, 700)])
    np.testing.assert_array_equal(tr.sharpness, ref)


# ----------------------------------------------------------------------------- callbacks
@pytest.mark.parametrize("fn", ["gd", "sgd", "iterate"])
@pytest.mark.parametrize("k", [0, 1, 7])
def test_callback_sees_exactly_the_recorded_states(m2, fn, k):
    th = np.array([[0.9, 1.2], [1.5, -0.5], [3.0, 3.0]])
    eta = np.array([0.1, 0.9])  # includes members that diverge
    F = tm.gd_map(m2, 0.9)

    def run(**kw):
        if fn == "gd":
            return tm.gd(m2, th, eta, 60, record_every=k, check_every=8, **kw)
        if fn == "sgd":
            return tm.sgd(m2, _grad_of(m2), th, eta, 60, 5, 2, k, seed=3, check_every=8, **kw)
        return tm.iterate(F, th, 60, record_every=k, check_every=8, **kw)

    ref = run()
    assert ref.diverged.any() and not ref.diverged.all()
    seen: list[tuple[int, np.ndarray]] = []
    tr = run(callback=lambda t, theta: seen.append((t, theta)))
    assert [t for t, _ in seen] == ref.steps.tolist()
    for (_, theta), rec in zip(seen, ref.theta, strict=True):
        np.testing.assert_array_equal(theta, rec)
    # only the final state is kept; diverged_at is the same
    assert tr.theta.shape == (1, *ref.theta.shape[1:]) and tr.steps.tolist() == [60]
    np.testing.assert_array_equal(tr.theta[0], ref.theta[-1])
    np.testing.assert_array_equal(tr.diverged_at, ref.diverged_at)


def test_callback_keeps_a_long_run_within_the_budget(m2):
    losses = []
    with limits.memory_budget(MiB):
        tr = tm.gd(
            m2,
            np.full((1000, 2), 0.9),
            0.1,
            200,
            callback=lambda t, th: losses.append(m2.loss(th).mean()),
        )
    assert len(losses) == 201 and tr.theta.shape == (1, 1000, 2)


def test_callback_stops_when_every_member_diverged(m2):
    seen = []
    tr = tm.gd(m2, [3.0, 3.0], 5.0, 1000, check_every=4, callback=lambda t, th: seen.append(t))
    assert tr.diverged.all() and seen[-1] <= 8 and np.isnan(tr.final).all()


def test_callback_runs_under_the_callers_error_state(m2):
    # the engine ignores overflow internally; the callback's own arithmetic is the user's
    def cb(t, theta):
        np.float64(1e308) * 10

    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError):
            tm.gd(m2, [0.9, 0.9], 0.1, 3, callback=cb)


# ----------------------------------------------------------------------------- sgd stream
@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("batch_size", [1, 2, 3])
@pytest.mark.parametrize("n_samples", [5, 2**32 + 7])
@pytest.mark.parametrize("block_rows", [1, 3, 7, 10**6])
def test_sgd_blocks_draw_the_one_call_index_stream(
    m2, monkeypatch, replace, batch_size, n_samples, block_rows
):
    # today's definition: rng.integers(0, n, (steps, b)) in one call (with replacement), one
    # rng.choice(n, b, replace=False) per step (without); drawing block by block must give
    # the same numbers for every block size (the last block is shorter: 50 = 3·16 + 2)
    if not replace and n_samples > 100:
        n_samples = 7
    monkeypatch.setattr(dyn, "_INDEX_BLOCK_BYTES", 8 * batch_size * block_rows)
    for seed in range(4):
        seen: list[np.ndarray] = []

        def g(theta, idx, seen=seen):
            seen.append(idx.copy())
            return 0.0 * theta

        tm.sgd(m2, g, [0.5, 0.5], 0.1, 50, n_samples, batch_size, 0, seed=seed, replace=replace)
        rng = np.random.default_rng(seed)
        if replace:
            want = rng.integers(0, n_samples, size=(50, batch_size))
        else:
            want = np.stack([rng.choice(n_samples, batch_size, replace=False) for _ in range(50)])
        np.testing.assert_array_equal(np.array(seen), want)


_X = np.array([0.5, -1.0, 2.0, 1.5, -0.3, 0.8, -1.7])
_Y = np.array([1.0, 0.2, -0.7, 0.4, 2.0, -0.5, 0.3])


def _ls_grad(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
    x, y = _X[idx], _Y[idx]
    return np.mean(x * (x * theta - y), axis=-1, keepdims=True)


# final θ (eta × theta0 = 2 × 2 members) of the least-squares sgd run below, computed on commit
# 653c737, whose sgd drew the whole index stream in one call: blocks reproduce it bit for bit
_PINNED = {
    (0, True, 2): (
        "-0x1.c0798f0defcbdp-3", "-0x1.c0798f0defd17p-3",
        "-0x1.012f5cd920e7cp-3", "-0x1.012f5cd920e7cp-3",
    ),
    (1, True, 1): (
        "-0x1.582bea96812c9p-3", "-0x1.582bea96812e1p-3",
        "-0x1.23fdcb7b7497ep-1", "-0x1.23fdcb7b7497ep-1",
    ),
    (2, True, 3): (
        "-0x1.d5770a93b41f8p-3", "-0x1.d5770a93b4403p-3",
        "-0x1.b6932c948f34fp-2", "-0x1.b6932c948f34fp-2",
    ),
    (3, False, 3): (
        "-0x1.8e4df123402c4p-3", "-0x1.8e4df12340370p-3",
        "0x1.10c3b93bf9828p-4", "0x1.10c3b93bf9828p-4",
    ),
}  # fmt: skip


def _ls_model() -> tm.Model:
    expr = " + ".join(f"({x}*t - ({y}))**2" for x, y in zip(_X, _Y, strict=True))
    return tm.Model.from_sympy(f"({expr})/14", ["t"])


@pytest.mark.parametrize("block_rows", [7, 10**6])
@pytest.mark.parametrize(("seed", "replace", "batch_size"), list(_PINNED))
def test_sgd_reproduces_the_trajectories_of_the_one_call_stream(
    monkeypatch, block_rows, seed, replace, batch_size
):
    ls = _ls_model()
    monkeypatch.setattr(dyn, "_INDEX_BLOCK_BYTES", 8 * batch_size * block_rows, raising=False)
    tr = tm.sgd(
        ls, _ls_grad, [[0.3], [-1.0]], [0.05, 0.5], 400, 7, batch_size, 0, seed=seed,
        replace=replace,
    )  # fmt: skip
    got = tuple(float(v).hex() for v in tr.final[..., 0].ravel())
    assert got == _PINNED[(seed, replace, batch_size)]


def test_sgd_divergence_replay_across_index_blocks(monkeypatch):
    # a huge check interval is capped at one index block, so the replay that finds the exact
    # divergence step never needs a released block; diverged_at equals check_every=1's
    monkeypatch.setattr(dyn, "_INDEX_BLOCK_BYTES", 8 * 2 * 5, raising=False)
    # the mini-batch curvature mean(x_i²) ranges over [0.09, 4]: step sizes in between
    # diverge at steps that depend on the samples drawn
    eta = np.linspace(0.3, 1.6, 14)
    args = (_ls_model(), _ls_grad, [0.3], eta, 300, 7, 2, 10)
    ref = tm.sgd(*args, check_every=1)
    assert ref.diverged.any() and not ref.diverged.all()
    for c in (3, 64, 10**9):
        tr = tm.sgd(*args, check_every=c)
        np.testing.assert_array_equal(tr.diverged_at, ref.diverged_at)
        np.testing.assert_array_equal(tr.theta, ref.theta)
