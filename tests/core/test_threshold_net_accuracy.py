"""Accuracy of the threshold-neuron ReLU nets when the output is exactly 0 (ties).

``toymodels.models.threshold_net`` scores sign f(x) against y and counts a tie f(x) = 0 as half
right, so a dead net (every unit off, f ≡ 0) scores chance, 0.5, not 0. The tests below build
nets whose output is exactly 0 on a known set of inputs and compare the library's accuracy with
a count done here by hand, sample by sample, from the same test set.
"""

from __future__ import annotations

import numpy as np
import pytest

from toymodels.models.threshold_net import ReluNet, SparseCodingData, test_accuracy, train

D = 4
DATA = SparseCodingData(d=D, lam=3.0, noise=1.0)
N_TEST = 400
SEED = 7


def hand_accuracy(y, f) -> float:
    """Right = 1, tie (f == 0) = 1/2, wrong = 0, averaged: a plain loop over the samples."""
    score = 0.0
    for yk, fk in zip(y.tolist(), f, strict=True):
        if fk == 0:
            score += 0.5
        elif (fk > 0) == (yk > 0):
            score += 1.0
    return score / len(f)


def dead_theta(net: ReluNet) -> np.ndarray:
    # W = 0 and b = -1: every pre-activation is -1, every plain ReLU is 0, so f ≡ 0
    return net.join(np.zeros((net.m, net.d)), -np.ones(net.m), np.ones(net.m))


@pytest.mark.parametrize("m", [1, 3])
def test_dead_net_scores_chance(m):
    net = ReluNet(D, m, "plain")
    th = dead_theta(net)
    X, y = DATA.sample(N_TEST, SEED)
    assert np.all(net.output(th, X) == 0.0)  # the premise: every test output is a tie
    assert float(test_accuracy(net, th, DATA, N_TEST, seed=SEED)) == 0.5
    # a batch of two dead nets, and train's recorded accuracies (0 steps: the initial net)
    assert test_accuracy(net, np.stack([th, th]), DATA, N_TEST, seed=SEED).tolist() == [0.5, 0.5]
    out = train(net, X, y, np.array([0.1]), 0, th, test=(X, y))
    assert out["train_acc"][0, 0] == 0.5 and out["test_acc"][0, 0] == 0.5


def test_soft_threshold_ties_count_half():
    # odd unit on coordinate 0 with bias -1: f(x) = sign(x0)·max(|x0| − 1, 0), exactly 0 on the
    # band |x0| <= 1. Right iff y·x0 > 1, tie iff |x0| <= 1, wrong iff y·x0 < -1.
    net = ReluNet(D, 1, "odd")
    W = np.zeros((1, D))
    W[0, 0] = 1.0
    th = net.join(W, np.array([-1.0]), np.array([1.0]))
    X, y = DATA.sample(N_TEST, SEED)
    x0 = X[:, 0].tolist()
    f = [(1.0 if v > 0 else -1.0) * max(abs(v) - 1.0, 0.0) for v in x0]
    ties = sum(v == 0 for v in f)
    assert 0 < ties < N_TEST  # the band catches some test points, not all
    expected = hand_accuracy(y, f)
    got = float(test_accuracy(net, th, DATA, N_TEST, seed=SEED))
    # the same sums in a different order: a few ulps apart at most
    assert got == pytest.approx(expected, abs=1e-12)
    # counting the ties as wrong would be off by ties/(2 N), far outside the tolerance
    assert ties / (2 * N_TEST) > 1e-3
    out = train(net, X, y, np.array([0.1]), 0, th)
    assert out["train_acc"][0, 0] == pytest.approx(expected, abs=1e-12)
