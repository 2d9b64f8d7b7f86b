"""``toymodels.batch_sharpness``: the remaining estimators against explicit loops, batching over θ,
non-finite states, and input validation (every bad argument named, before any work).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import toymodels as tm
from toymodels.batch_sharpness import (
    batch_sharpness,
    batch_sharpness_inside,
    batch_sharpness_measures,
    expected_loss_change,
    gradient_noise_interaction,
    mini_batch_sharpness,
    predicted_loss_change,
    second_moment_contraction,
    step_sharpness,
)
from toymodels.models import tanh_mlp as T


def _mlp(n: int = 7) -> tm.DataModel:
    X, Y = T.mlp_data(n, 2, seed=4)
    return T.tanh_mlp_on(X, Y, 3)


def _theta(m: tm.DataModel, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=m.n_params)


@pytest.mark.parametrize("sampling", ["independent_subsets", "with_replacement"])
def test_second_moment_contraction_equals_explicit_average(sampling):
    m = _mlp()
    th = _theta(m, 1)
    H = m.sample_hessian(th)
    p = m.n_params
    for b, eta in ((1, 0.3), (2, 1.0), (3, 0.05)):
        it = (
            itertools.combinations(range(7), b)
            if sampling == "independent_subsets"
            else itertools.product(range(7), repeat=b)
        )
        ops = [np.linalg.matrix_power(np.eye(p) - eta * H[list(B)].mean(axis=0), 2) for B in it]
        ref = np.linalg.eigvalsh(np.mean(ops, axis=0))[-1]
        r = second_moment_contraction(m, th, b, eta, sampling=sampling)
        assert r.exact and r.method == "moments" and r.stderr == 0
        np.testing.assert_allclose(r.value, ref, rtol=1e-12)


def test_step_sharpness_is_the_rayleigh_quotient_of_the_batch():
    m = _mlp()
    th = np.stack([_theta(m, s) for s in range(3)])
    idx = np.array([[0, 1, 2], [3, 3, 6], [5, 1, 4]])
    q = step_sharpness(m, th, idx)
    for i in range(3):
        g = m.sample_grad(th[i], idx[i]).mean(axis=0)
        H = m.sample_hessian(th[i], idx[i]).mean(axis=0)
        np.testing.assert_allclose(q[i], g @ H @ g / (g @ g), rtol=1e-12)
    single = step_sharpness(m, th[0], [0, 1, 2])
    assert np.ndim(single) == 0
    np.testing.assert_allclose(single, q[0], rtol=1e-14)


def test_batched_states_equal_single_states_and_keep_shape():
    m = _mlp()
    th = np.stack([[_theta(m, s) for s in range(3)] for _ in range(2)])  # (2, 3, p)
    for fn in (batch_sharpness, batch_sharpness_inside, mini_batch_sharpness):
        r = fn(m, th, 2)
        assert r.value.shape == (2, 3) and r.stderr.shape == (2, 3)
        one = fn(m, th[1, 2], 2)
        assert np.ndim(one.value) == 0
        np.testing.assert_allclose(r.value[1, 2], one.value, rtol=1e-13)
    mc = batch_sharpness(m, th, 3, method="monte_carlo", draws=50)
    np.testing.assert_allclose(
        mc.value[0, 1], batch_sharpness(m, th[0, 1], 3, method="monte_carlo", draws=50).value
    )
    assert float(batch_sharpness(m, th[0, 0], 2)) == batch_sharpness(m, th[0, 0], 2).value


def test_nonfinite_and_empty_states_are_data():
    m = _mlp()
    th = np.stack([_theta(m), np.full(m.n_params, np.nan), _theta(m, 2)])
    th[2, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = batch_sharpness_measures(m, th, 2, mini=True)
        mc = batch_sharpness_measures(m, th, 2, method="monte_carlo", draws=20)
        sm = second_moment_contraction(m, th, 2, 0.5)
        lc = expected_loss_change(m, th, 0.5, 2)
    for est in (r.bs, r.bs_in, r.gni, r.mini_bs, mc.bs, mc.bs_in, sm, lc):
        assert np.isfinite(est.value[0]) and np.all(np.isnan(est.value[1:]))
    empty = batch_sharpness(m, np.zeros((0, m.n_params)), 2)
    assert empty.value.shape == (0,)


def test_zero_gradient_batch_gives_nan_not_a_warning():
    # at an exact interpolating minimum every batch gradient vanishes: q(B) is 0/0
    m = tm.Model.from_sympy("(t*x - x)**2/2", params=["t"], data={"x": np.array([1.0, 2.0])})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(batch_sharpness(m, [1.0], 1).value)
        assert np.isnan(gradient_noise_interaction(m, [1.0], 1).value)
        assert mini_batch_sharpness(m, [1.0], 1).value == pytest.approx(2.5)


def test_auto_switches_to_monte_carlo_above_max_exact():
    m = _mlp(n=12)
    th = _theta(m)
    assert batch_sharpness(m, th, 6).method == "enumeration"  # C(12, 6) = 924
    r = batch_sharpness(m, th, 6, max_exact=900, draws=40)
    assert r.method == "monte_carlo" and r.draws == 40 and not r.exact
    # the closed-form estimators stay exact whatever the count
    assert batch_sharpness_inside(m, th, 6, max_exact=1, method="exact").exact


M7 = _mlp()
TH7 = _theta(M7)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"model": tm.Model.from_sympy("x**2", params=["x"]), "theta": [0.1]}, "model"),
        ({"theta": np.zeros(3)}, "theta"),
        ({"theta": "a"}, "theta"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 8}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"sampling": "without_replacement"}, "sampling"),
        ({"sampling": None}, "sampling"),
        ({"method": "mc"}, "method"),
        ({"draws": 1}, "draws"),
        ({"draws": 10**12}, "draws"),
        ({"seed": -1}, "seed"),
        ({"seed": 0.5}, "seed"),
        ({"max_exact": 0}, "max_exact"),
        ({"max_exact": 10**9}, "max_exact"),
        ({"method": "exact", "batch_size": 3, "max_exact": 10}, "max_exact"),
        ({"sampling": "with_replacement", "batch_size": 10**13}, "batch_size"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, name):
    call = {"model": M7, "theta": TH7, "batch_size": 2, **kwargs}
    with pytest.raises((ValueError, TypeError), match=rf"^{name}\b"):
        batch_sharpness(**call)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: second_moment_contraction(M7, TH7, 2, 0.0), "eta"),
        (lambda: second_moment_contraction(M7, TH7, 2, [0.1, 0.2]), "eta"),
        (lambda: expected_loss_change(M7, TH7, -1.0, 2), "eta"),
        (lambda: expected_loss_change(M7, TH7, 0.1, 2, loss="batches"), "loss"),
        (lambda: step_sharpness(M7, TH7, [7]), "idx"),
        (lambda: step_sharpness(M7, TH7, []), "idx"),
        (lambda: batch_sharpness_measures(M7, TH7, 2, mini=1), "mini"),
        (lambda: predicted_loss_change(3.0, 0.1), "measures"),
    ],
)
def test_bad_input_of_the_other_functions(call, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name}\b"):
        call()


def test_memory_budget_is_checked_up_front():
    with tm.limits.memory_budget("1MiB"):
        with pytest.raises(ValueError, match="draws"):
            batch_sharpness(M7, TH7, 2, method="monte_carlo", draws=10**6)
