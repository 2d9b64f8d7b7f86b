"""A tiny two-layer net trained with one step size per layer: the trainability-boundary toy.

J. Sohl-Dickstein, "The boundary of neural network trainability is fractal", arXiv 2402.06184
(2024), trains a two-layer network by full-batch gradient descent with one step size for the
input layer (η₁) and one for the output layer (η₂) and colours the (η₁, η₂) plane by whether
training converges or diverges; the boundary is fractal over many decades. This module builds
the same network at a width small enough for a symbolic loss (a handful of parameters, so the
sympy → numba kernels of :func:`toymodels.phase_diagram` stay fast).

The network (the paper's mean-field parameterisation, depth 2, as in the authors' code,
github.com/Sohl-Dickstein/fractal):

    h_j(x) = φ(√2 · Σ_i x_i W_ij / √d)       (φ = tanh; for φ = identity, h_j = Σ_i x_i W_ij / √d)
    f(x)   = Σ_j v_j h_j(x) / n               (n = width: 1/√n in the layer and 1/√n at the output)
    L(θ)   = (1/m) Σ_a (f(x_a) − y_a)²        (mean squared error over m samples, no ½)

with θ = (W, v), W ∈ R^{d×n} (the first layer, flattened row-major: W_0_0, W_0_1, …), v ∈ R^n
(the second layer), everything drawn N(0, 1) from ``numpy.random.default_rng(seed)`` in the
order W (d, n), v (n,), X (m, d), Y (m,). Gradient descent with two step sizes,

    W ← W − η₁ ∂L/∂W,    v ← v − η₂ ∂L/∂v,

is ``phase_diagram(model, net.step_sizes(eta_1, eta_2), [net.theta0], steps,
per_parameter=True)`` (η₁ on the first layer W, η₂ on the second layer v).

How it differs from the paper. The paper's figures use width 16 with input dimension 16 and
either a single training point or as many points as parameters (its ``single_datapoint`` and
``dataset_param_multiple = 1`` cases), 500–1000 steps, and decide trainability from the loss:
a run "converged" when the mean of its last 20 losses, divided by the first loss and capped at
10⁶, is below 1. Here the width is 2–4 (defaults: width 2, d = 2, m = 2 samples: p = 6
parameters), the draws come from numpy instead of JAX's PRNG (a different network and data for
the same seed), and trainable means *not diverged* in parameter space (``phase_diagram``: every
|θ_k| stays below its bound), so the boundary studied is the divergence boundary. With tanh the
hidden units saturate: where only the first layer's step size is large the loss can stay near
its start without any parameter growing, a run the paper would call untrainable and this
criterion calls trainable. The fractal structure lies where the two step sizes interact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..model import Model
from ..trainability import step_size_pairs
from . import _checks

__all__ = ["CITATION", "NONLINEARITIES", "TrainabilityNet", "trainability_net"]

CITATION = (
    "J. Sohl-Dickstein, 'The boundary of neural network trainability is fractal', "
    "arXiv 2402.06184 (2024) [tiny width; trainable = not diverged]"
)
#: the hidden-layer nonlinearities offered (the paper also has ReLU, not smooth enough here)
NONLINEARITIES = ("tanh", "identity")
#: largest d·width + width: the symbolic Hessian has p² entries and the kernels inline them all
MAX_PARAMS = 24
#: largest number of samples (each adds a copy of the network to the symbolic loss)
MAX_SAMPLES = 16


@dataclass(frozen=True)
class TrainabilityNet:
    """The model, its initialisation and which layer each parameter belongs to.

    Attributes
    ----------
    model : the loss L(θ) (a sympy :class:`~toymodels.Model`; parameters ``W_i_j`` then ``v_j``).
    theta0 : the initial parameters θ₀ = (W row-major, v), shape (p,).
    layer : int array (p,): 0 for the first layer's parameters (W), 1 for the second's (v).
    X, Y : the training data, shapes (m, d) and (m,).
    width, d : the hidden width n and the input dimension.
    nonlinearity : ``"tanh"`` or ``"identity"``.
    """

    model: Model
    theta0: np.ndarray = field(repr=False)
    layer: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)
    Y: np.ndarray = field(repr=False)
    width: int = 2
    d: int = 2
    nonlinearity: str = "tanh"

    def step_sizes(self, eta_1: Any, eta_2: Any) -> np.ndarray:
        """Per-parameter step sizes of the (η₁, η₂) grid: row a·len(eta_2) + b holds η₁ =
        ``eta_1[a]`` on W and η₂ = ``eta_2[b]`` on v (shape (len(eta_1)·len(eta_2), p)), for
        ``phase_diagram(..., per_parameter=True)``."""
        return step_size_pairs(eta_1, eta_2, groups=self.layer)


def _symbolic_loss(
    X: np.ndarray, Y: np.ndarray, width: int, nonlinearity: str
) -> tuple[sp.Expr, list[sp.Symbol]]:
    m, d = X.shape
    W = [[sp.Symbol(f"W_{i}_{j}", real=True) for j in range(width)] for i in range(d)]
    v = [sp.Symbol(f"v_{j}", real=True) for j in range(width)]
    root_d = sp.sqrt(d)
    total = sp.Integer(0)
    for a in range(m):
        f = sp.Integer(0)
        for j in range(width):
            z = sum((sp.Float(float(X[a, i]), 17) * W[i][j] for i in range(d)), sp.Integer(0))
            h = sp.tanh(sp.sqrt(2) * z / root_d) if nonlinearity == "tanh" else z / root_d
            f += v[j] * h
        total += (f / width - sp.Float(float(Y[a]), 17)) ** 2
    params = [W[i][j] for i in range(d) for j in range(width)] + v
    return total / m, params


def trainability_net(
    width: int = 2,
    d: int | None = None,
    n_samples: int = 2,
    seed: int = 0,
    nonlinearity: str = "tanh",
) -> TrainabilityNet:
    """The two-layer mean-field net of the module docstring on m = ``n_samples`` random points.

    Parameters
    ----------
    width : hidden width n ≥ 1.
    d : input dimension (default: ``width``, as in the paper).
    n_samples : m ≥ 1 training points (the paper's "single datapoint" case is m = 1).
    seed : ``numpy.random.default_rng(seed)`` draws W (d, n), v (n,), X (m, d), Y (m,), all
        N(0, 1), in this order.
    nonlinearity : ``"tanh"`` (default) or ``"identity"`` (a deep linear net).

    Returns
    -------
    TrainabilityNet (model, theta0, layer, X, Y). Its loss is a plain sympy Model with the data
    as constants (not a ``DataModel``): the compiled phase-diagram kernel applies to it.

    Raises
    ------
    ValueError / TypeError naming ``width``, ``d``, ``n_samples``, ``seed`` or ``nonlinearity``
    (d·width + width > 24 parameters or more than 16 samples: the symbolic kernels grow as p²·m).
    """
    n = _checks.count(width, "width")
    dd = n if d is None else _checks.count(d, "d")
    m = _checks.count(n_samples, "n_samples", maximum=MAX_SAMPLES)
    s = _checks.seed(seed)
    act = _checks.option(nonlinearity, "nonlinearity", NONLINEARITIES)
    p = dd * n + n
    if p > MAX_PARAMS:
        raise ValueError(
            f"width is too large: d·width + width = {p} parameters > {MAX_PARAMS} (the symbolic "
            "Hessian has p² entries; this toy is meant to stay tiny)"
        )
    rng = np.random.default_rng(s)
    W = rng.standard_normal((dd, n))
    v = rng.standard_normal(n)
    X = rng.standard_normal((m, dd))
    Y = rng.standard_normal(m)
    expr, params = _symbolic_loss(X, Y, n, act)
    model = Model.from_sympy(
        expr,
        params=params,
        name=f"two-layer {act} net (width {n}, d {dd}, {m} samples, seed {s})",
        citation=CITATION,
    )
    layer = np.array([0] * (dd * n) + [1] * n, dtype=np.int64)
    return TrainabilityNet(
        model=model,
        theta0=np.concatenate([W.ravel(), v]),
        layer=layer,
        X=X,
        Y=Y,
        width=n,
        d=dd,
        nonlinearity=act,
    )
