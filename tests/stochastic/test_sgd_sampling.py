"""tm.sgd's sampling schemes, read back from the trajectory itself.

The index model has one parameter per sample and ℓ_i(θ) = −θ_i (data: the one-hot rows of I_n), so
∇L_B = −(1/b)Σ_{i∈B} e_i and with η = b one step adds the batch's sample counts to θ exactly
(small integers in float64). Every test reads the batches B_t from θ_{t+1} − θ_t of a public
``tm.sgd`` run: no hook into the sampler.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import toymodels as tm
from toymodels.models import sgd_quadratics as q


def index_model(n: int) -> tm.DataModel:
    expr = " + ".join(f"-x{i}*t{i}" for i in range(n))
    return tm.Model.from_sympy(expr, params=[f"t{i}" for i in range(n)], data={"x": np.eye(n)})


def counts(n: int, b: int, steps: int, sampling: str, seed=0) -> np.ndarray:
    """(steps, [S,] n) sample counts of every batch."""
    tr = tm.sgd(
        index_model(n), np.zeros(n), float(b), steps, batch_size=b, sampling=sampling, seed=seed
    )
    c = np.diff(tr.theta, axis=0)
    r = np.rint(c)
    np.testing.assert_array_equal(c, r)  # exact integers
    return r.astype(int)


@pytest.mark.parametrize(("n", "b"), [(6, 1), (7, 2), (9, 3), (5, 5)])
def test_without_replacement_uses_every_sample_once_per_epoch(n, b):
    K = n // b
    epochs = 200
    c = counts(n, b, K * epochs, "without_replacement", seed=4)
    assert np.all(c.sum(-1) == b) and c.max() == 1  # b distinct samples per step
    per_epoch = c.reshape(epochs, K, n).sum(1)
    assert np.all(per_epoch <= 1)  # no sample twice in an epoch
    assert np.all(per_epoch.sum(-1) == K * b)  # the n mod b unused ones differ between epochs
    if n % b:
        # the unused sample is uniform: its count over 200 epochs is Binomial(200, 1/n) per sample
        unused = (per_epoch == 0).sum(0)
        mean, sd = epochs / n, math.sqrt(epochs * (1 / n) * (1 - 1 / n))
        assert np.all(np.abs(unused - mean) <= 6 * sd), unused
    # the first batch of an epoch is uniform over the samples: Binomial(200·b, 1/n)... per sample
    first = c.reshape(epochs, K, n)[:, 0].sum(0)
    mean, sd = epochs * b / n, math.sqrt(epochs * (b / n) * (1 - b / n))
    assert np.all(np.abs(first - mean) <= 6 * sd), first


def test_fixed_order_visits_the_samples_in_order():
    n, b = 7, 2
    c = counts(n, b, 12, "fixed_order")
    expect = np.zeros((12, n), dtype=int)
    for t in range(12):
        j = t % (n // b)
        expect[t, j * b : (j + 1) * b] = 1  # batch j = samples jb … jb + b − 1; sample 6 unused
    np.testing.assert_array_equal(c, expect)
    # deterministic: the seed does not matter
    np.testing.assert_array_equal(counts(n, b, 12, "fixed_order", seed=9), expect)


def test_with_replacement_is_iid_uniform():
    n, b, T = 5, 3, 4000
    c = counts(n, b, T, "with_replacement", seed=11)
    assert np.all(c.sum(-1) == b)
    # each index is uniform: a sample's count is Binomial(T·b, 1/n); 6 sd bounds
    tot = c.sum(0)
    mean, sd = T * b / n, math.sqrt(T * b * (1 / n) * (1 - 1 / n))
    assert np.all(np.abs(tot - mean) <= 6 * sd), tot
    # repeats inside a batch happen (not subsets): P(all distinct) = 5·4·3/125 = 0.48
    distinct = np.sum(c.max(-1) == 1)
    p = 60 / 125
    assert abs(distinct - T * p) <= 6 * math.sqrt(T * p * (1 - p)), distinct
    # consecutive batches are independent: P(same first-sample set) matches, via pair counts of
    # the per-step count of sample 0 at t and t + 1 (a 2 x 2 table, chi-square with 1 d.o.f.)
    a = c[:-1, 0] > 0
    bb = c[1:, 0] > 0
    table = np.array([[np.sum(a & bb), np.sum(a & ~bb)], [np.sum(~a & bb), np.sum(~a & ~bb)]])
    expect = np.outer(table.sum(1), table.sum(0)) / table.sum()
    chi2 = float(np.sum((table - expect) ** 2 / expect))
    assert chi2 < 30.0, chi2  # P(χ²₁ > 30) ≈ 4e-8


def test_independent_subsets_are_uniform_subsets():
    n, b, T = 6, 2, 3000
    c = counts(n, b, T, "independent_subsets", seed=13)
    assert np.all(c.sum(-1) == b) and c.max() == 1
    pairs = {}
    for row in c:
        key = tuple(np.nonzero(row)[0])
        pairs[key] = pairs.get(key, 0) + 1
    assert len(pairs) == math.comb(n, b)
    p = 1 / math.comb(n, b)
    sd = math.sqrt(T * p * (1 - p))
    assert all(abs(v - T * p) <= 6 * sd for v in pairs.values()), pairs


SCHEMES = ("with_replacement", "without_replacement", "fixed_order", "independent_subsets")


@pytest.fixture(scope="module")
def toy():
    return q.reshuffling_toy()


@pytest.mark.parametrize("sampling", SCHEMES)
def test_reruns_are_bit_identical(toy, sampling):
    kw = dict(batch_size=2, sampling=sampling, seed=5)
    a = tm.sgd(toy, q.RESHUFFLING_THETA0, [0.1, 0.4], 30, **kw)
    b = tm.sgd(toy, q.RESHUFFLING_THETA0, [0.1, 0.4], 30, **kw)
    assert np.array_equal(a.theta, b.theta)


@pytest.mark.parametrize("sampling", SCHEMES)
def test_a_step_size_alone_equals_its_column_of_a_grid(toy, sampling):
    etas = np.array([0.05, 0.1, 0.3, 0.9])
    th0 = np.array([q.RESHUFFLING_THETA0, [1.0, 2.0, -1.0]])
    grid = tm.sgd(toy, th0, etas, 25, batch_size=1, sampling=sampling, seed=8)
    for i, e in enumerate(etas):
        alone = tm.sgd(toy, th0[1], e, 25, batch_size=1, sampling=sampling, seed=8)
        assert np.array_equal(grid.theta[:, i, 1], alone.theta)


@pytest.mark.parametrize("sampling", SCHEMES)
def test_a_seed_list_equals_separate_runs(toy, sampling):
    seeds = [3, 0, 17]
    both = tm.sgd(
        toy, q.RESHUFFLING_THETA0, [0.1, 0.2], 21, batch_size=2, sampling=sampling, seed=seeds
    )
    assert both.theta.shape == (22, 3, 2, 3)
    for j, s in enumerate(seeds):
        one = tm.sgd(
            toy, q.RESHUFFLING_THETA0, [0.1, 0.2], 21, batch_size=2, sampling=sampling, seed=s
        )
        assert np.array_equal(both.theta[:, j], one.theta)
    if sampling != "fixed_order":  # different seeds, different runs
        assert not np.array_equal(both.theta[:, 0], both.theta[:, 1])
