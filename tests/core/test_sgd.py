"""tm.sgd: the sample indices it draws, and SGD against a hand-written replay."""

from __future__ import annotations

import numpy as np
import pytest

import toymodels as tm

# least squares on n = 5 scalar samples: L(θ) = (1/2n) Σ_i (x_i θ - y_i)², mini-batch gradient
# (1/|B|) Σ_{i∈B} x_i (x_i θ - y_i)
X = np.array([0.5, -1.0, 2.0, 1.5, -0.3])
Y = np.array([1.0, 0.2, -0.7, 0.4, 2.0])


def _ls_model() -> tm.Model:
    expr = " + ".join(f"({x}*t - ({y}))**2" for x, y in zip(X, Y, strict=True))
    return tm.Model.from_sympy(f"({expr}) / {2 * len(X)}", ["t"])


def _batch_grad(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
    x, y = X[idx], Y[idx]
    return np.mean(x * (x * theta - y), axis=-1, keepdims=True)


def _recording_grad(seen: list[np.ndarray]):
    def g(theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        seen.append(np.array(idx))
        return _batch_grad(theta, idx)

    return g


def test_indices_are_uniform_over_all_samples():
    # with replacement each index is uniform on {0..n-1}: over 2000 draws a count is
    # Binomial(2000, 1/5), mean 400, sd ≈ 17.9; 6 sd (±107) fails with probability < 1e-8
    seen: list[np.ndarray] = []
    tm.sgd(_ls_model(), _recording_grad(seen), [0.0], 0.01, 1000, len(X), 2, 0, seed=3)
    idx = np.concatenate(seen)
    assert idx.shape == (2000,) and idx.min() >= 0 and idx.max() <= len(X) - 1
    counts = np.bincount(idx, minlength=len(X))
    assert np.all(np.abs(counts - 400) <= 6 * np.sqrt(2000 * 0.2 * 0.8)), counts


def test_without_replacement_batches_have_distinct_samples():
    seen: list[np.ndarray] = []
    tm.sgd(
        _ls_model(), _recording_grad(seen), [0.0], 0.01, 300, len(X), 3, 0, seed=1, replace=False
    )
    assert all(len(set(b.tolist())) == 3 for b in seen)
    counts = np.bincount(np.concatenate(seen), minlength=len(X))  # 900 draws, 180 each
    assert np.all(np.abs(counts - 180) <= 6 * np.sqrt(900 * 0.2 * 0.8)), counts


def test_full_batch_without_replacement_is_gd():
    # B_t = all samples: the mini-batch gradient is the full gradient, so SGD is GD with step η
    m = _ls_model()
    eta = np.array([0.1, 0.5])
    s = tm.sgd(m, _batch_grad, [0.3], eta, 40, len(X), len(X), 0, seed=0, replace=False)
    g = tm.gd(m, [0.3], eta, 40, record_every=0)
    np.testing.assert_allclose(s.final, g.final, rtol=1e-12, atol=1e-14)


def test_sgd_replays_its_index_sequence():
    # the trajectory is the hand-written SGD loop on the indices the library handed to
    # batch_grad, for each step size of the batch (the same indices for all of them)
    seen: list[np.ndarray] = []
    eta = np.array([0.05, 0.2])
    tr = tm.sgd(_ls_model(), _recording_grad(seen), [1.0], eta, 25, len(X), 2, 1, seed=7)
    theta = np.array([1.0, 1.0])
    hand = [theta.copy()]
    for idx in seen:
        x, y = X[idx], Y[idx]
        theta = theta - eta * np.mean(x * (x * theta[:, None] - y), axis=-1)
        hand.append(theta.copy())
    np.testing.assert_allclose(tr.theta[..., 0], np.array(hand), rtol=1e-13, atol=1e-15)
    # and reruns with the same seed are bit-identical; another seed draws other samples
    again = tm.sgd(_ls_model(), _batch_grad, [1.0], eta, 25, len(X), 2, 1, seed=7)
    assert np.array_equal(again.theta, tr.theta)
    other = tm.sgd(_ls_model(), _batch_grad, [1.0], eta, 25, len(X), 2, 1, seed=8)
    assert not np.array_equal(other.theta, tr.theta)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "n_samples"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 6, "replace": False}, "batch_size"),
    ],
)
def test_bad_sampling_arguments_are_named(kwargs, match):
    args = {"n_samples": len(X), "batch_size": 1}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        tm.sgd(_ls_model(), _batch_grad, [0.0], 0.1, 10, **args)
