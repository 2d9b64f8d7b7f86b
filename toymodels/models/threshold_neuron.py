"""Threshold neurons and the edge of stability: the product model, the mean model, the full net.

Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of stability"
(NeurIPS 2023, arXiv 2212.07469). Abstract: "we provably establish the edge of stability phenomenon
and discover a sharp phase transition for the step size below which the neural network fails to
learn 'threshold-like' neurons (i.e., neurons with a non-zero first-layer bias)".

The paper's theorem statements and constants could not be read (see the research brief); the two
reduced models below are the brief's reconstructions, every constant derived and checked in
``proofs_check`` (labelled "reconstruction" in the claims report).

**(a) Product model** L(u, v) = ℓ(uv), ℓ even and convex with c = ℓ''(0) > 0 (u ~ the second-layer
weight, v ~ the mean activation):

* on the minimiser line u = 0 the Hessian is diag(c v², 0): sharpness c v²;
* one GD step: v'² − u'² = (1 − η²ℓ'(uv)²)(v² − u²) (gradient flow conserves v² − u²);
* threshold η* = 2 / (c (v0² − u0²)): below it GD ends near the GF limit, above it u oscillates
  with growing amplitude and v shrinks until c v² ≤ 2/η;
* overshoot law (small amplitude, r = ηcv²/2 → 1⁺): r∞ − ln r∞ = r0 − ln r0.

**(b) Mean model** L(a, b) = ℓ_sym(a · g(b)) with g(b) = E relu(sZ + b) = bΦ(b/s) + sφ(b/s): the
same mechanism with v = g(b); at a = 0 the Hessian is diag(g(b)²/4, 0), so η* = 8/g(b0)² = 16π/s²
at b0 = 0, and above η* the bias must fall until g(b)² ≤ 8/η: b∞ < 0, a threshold neuron.

**(c) Full net**: the two-layer ReLU network on sparse-coding data, implemented in
:mod:`toymodels.models.threshold_net` and re-exported here (``ReluNet``, ``SparseCodingData``,
``train``, ``test_accuracy``, ``predicted_threshold``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import brentq
from scipy.special import ndtr

from ..model import Model
from . import _checks

__all__ = [
    "CITATION",
    "LOSSES",
    "Loss",
    "MeanModel",
    "ProductModel",
    "ReluNet",
    "SparseCodingData",
    "g_mean_expr",
    "mean_model_loss_expr",
    "overshoot_limit",
    "predicted_threshold",
    "test_accuracy",
    "train",
]

CITATION = (
    "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, 'Learning threshold neurons via the edge of "
    "stability', NeurIPS 2023 (arXiv 2212.07469) [reduced models: reconstruction]"
)


@dataclass(frozen=True)
class Loss:
    """An even convex loss ℓ with its derivatives (numpy) and its sympy form; c = ℓ''(0)."""

    name: str
    expr: str  # in the variable t
    value: Callable[[np.ndarray], np.ndarray]
    d1: Callable[[np.ndarray], np.ndarray]
    d2: Callable[[np.ndarray], np.ndarray]
    c: float

    def sympy(self, t: sp.Symbol | None = None) -> sp.Expr:
        """ℓ as a sympy expression in ``t`` (default: a real symbol ``t``), parsed from
        :attr:`expr`: the expression :meth:`ProductModel.symbolic` compiles and
        ``proofs_check.threshold_neuron`` proves on (value, d1, d2 and c are checked against it).
        """
        t = sp.Symbol("t", real=True) if t is None else t
        if not isinstance(t, sp.Symbol):
            raise TypeError(f"t must be a sympy Symbol or None, got {t!r}")
        return sp.sympify(self.expr, locals={"t": t})


def _lsym(t: np.ndarray) -> np.ndarray:
    # ½log(1+e^{-t}) + ½log(1+e^{t}) = log(2cosh(t/2)), written overflow-free
    return 0.5 * (np.logaddexp(0.0, -t) + np.logaddexp(0.0, t))


def _logcosh(t: np.ndarray) -> np.ndarray:
    a = np.abs(t)
    return a + np.log1p(np.exp(-2 * a)) - np.log(2.0)


#: the losses of the brief (symmetrised logistic is the paper's running example)
LOSSES: dict[str, Loss] = {
    "logistic_sym": Loss(
        "logistic_sym",
        "log(2*cosh(t/2))",
        _lsym,
        lambda t: 0.5 * np.tanh(t / 2),
        lambda t: 0.25 / np.cosh(np.clip(t, -1400, 1400) / 2) ** 2,
        0.25,
    ),
    "square": Loss("square", "t**2/2", lambda t: t**2 / 2, lambda t: t, lambda t: 1.0 + 0 * t, 1.0),
    "logcosh": Loss(
        "logcosh",
        "log(cosh(t))",
        _logcosh,
        np.tanh,
        lambda t: 1.0 / np.cosh(np.clip(t, -700, 700)) ** 2,
        1.0,
    ),
    "sqrt": Loss(
        "sqrt",
        "sqrt(1 + t**2) - 1",
        lambda t: np.sqrt(1 + t * t) - 1,
        lambda t: t / np.sqrt(1 + t * t),
        lambda t: (1 + t * t) ** -1.5,
        1.0,
    ),
}


def _loss(name: str) -> Loss:
    if not isinstance(name, str):
        raise TypeError(f"loss must be one of {sorted(LOSSES)} (a string), got {name!r}")
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {name!r}")
    return LOSSES[name]


def overshoot_limit(r0: Any) -> np.ndarray:
    """r∞ < 1 with r∞ − ln r∞ = r0 − ln r0 (r0 > 1): the small-amplitude overshoot law.

    With r = ηℓ''(0)v²/2, a run that starts just above the edge (r0 → 1⁺, u0 → 0) ends at the
    mirror image r∞ ≈ 2 − r0 (brief §1.3, derived; exact for the Lotka–Volterra slow flow).
    """
    r0 = _checks.array(r0, "r0")
    if np.any(r0 <= 1):
        raise ValueError("r0 must be > 1")
    out = np.empty_like(r0)
    lo = 1e-300
    for i, r in np.ndenumerate(r0):
        target = r - np.log(r)
        if target >= lo - np.log(lo):
            # r∞ < 1e-300: r∞ = exp(r∞ − t) = exp(−t) to double precision (0 once it underflows)
            out[i] = np.exp(-target)
            continue
        out[i] = brentq(lambda x, t=target: x - np.log(x) - t, lo, 1.0, xtol=1e-15)
    return out


class ProductModel:
    """L(u, v) = ℓ(uv) with ℓ in :data:`LOSSES`; θ = (u, v)."""

    def __init__(self, loss: str = "logistic_sym") -> None:
        self.loss = _loss(loss)
        ell = self.loss
        self.model = Model.from_numpy(
            ("u", "v"),
            self._value,
            self._grad,
            self._hessian,
            name=f"product ℓ(uv), ℓ = {ell.name}",
            citation=CITATION,
        )

    def __repr__(self) -> str:
        return f"ProductModel({self.loss.name!r})"

    @property
    def c(self) -> float:
        """c = ℓ''(0)."""
        return self.loss.c

    def _value(self, th: np.ndarray) -> np.ndarray:
        return self.loss.value(th[..., 0] * th[..., 1])

    def _grad(self, th: np.ndarray) -> np.ndarray:
        u, v = th[..., 0], th[..., 1]
        g = self.loss.d1(u * v)
        return np.stack([g * v, g * u], axis=-1)

    def _hessian(self, th: np.ndarray) -> np.ndarray:
        u, v = th[..., 0], th[..., 1]
        s = u * v
        d1, d2 = self.loss.d1(s), self.loss.d2(s)
        off = d2 * s + d1
        return np.stack(
            [np.stack([d2 * v * v, off], axis=-1), np.stack([off, d2 * u * u], axis=-1)], axis=-2
        )

    def symbolic(self) -> Model:
        """The same loss from sympy (cross-checked against the numpy twins in the tests)."""
        u, v, t = sp.symbols("u v t", real=True)
        expr = self.loss.sympy(t).subs(t, u * v)
        return Model.from_sympy(expr, ["u", "v"], name=f"product (sympy, {self.loss.name})")

    def eta_star(self, u0: Any, v0: Any) -> np.ndarray:
        """η* = 2 / (ℓ''(0)(v0² − u0²)): the step size above which the GF limit is unstable."""
        u0 = _checks.array(u0, "u0")
        v0 = _checks.array(v0, "v0")
        gap = v0**2 - u0**2
        if np.any(gap <= 0):
            raise ValueError("v0 must satisfy v0² > u0² (the large factor must start larger)")
        return 2.0 / (self.c * gap)

    def imbalance(self, theta: Any) -> np.ndarray:
        """v² − u² (conserved by gradient flow, shrunk by GD); NaN/inf for a diverged θ."""
        th = self.model._theta(theta)
        with np.errstate(all="ignore"):
            return th[..., 1] ** 2 - th[..., 0] ** 2

    def line_sharpness(self, v: Any) -> np.ndarray:
        """ℓ''(0) v²: the sharpness at the minimiser (0, v)."""
        return self.c * _checks.array(v, "v") ** 2

    def imbalance_drop(self, eta: Any, u0: float, v0: float, steps: int = 50_000) -> np.ndarray:
        """D(η) = 1 − v_T²/(v0² − u0²) after ``steps`` GD steps, batched over ``eta``.

        The order parameter of the transition: ≈ 0 below η* (GD ends near the gradient-flow limit
        v∞² = v0² − u0²), positive above (the large factor shrinks). NaN for diverged runs.
        """
        from ..dynamics import gd

        u0 = _checks.real(u0, "u0")
        v0 = _checks.real(v0, "v0")
        if v0 * v0 - u0 * u0 <= 0:
            raise ValueError(
                f"v0 must satisfy v0² > u0² (the large factor starts larger), got "
                f"u0 = {u0!r}, v0 = {v0!r}"
            )
        eta = _checks.step_size(eta, "eta")
        steps = _checks.count(steps, "steps")
        tr = gd(self.model, [u0, v0], eta, steps, record_every=0)
        v = tr.final[..., 1]
        return np.where(tr.diverged, np.nan, 1.0 - v * v / (v0 * v0 - u0 * u0))

    def two_cycle_amplitude(self, eta: float, v: float) -> float:
        """s > 0 with 2s = ηv²ℓ'(s): the 2-cycle u ↔ −u at frozen v (0.0 if ηcv² ≤ 2)."""
        eta = _checks.real(eta, "eta", positive=True)
        v = _checks.real(v, "v")
        A = eta * v * v

        def h(s: float) -> float:
            return A * float(self.loss.d1(np.array(s))) - 2 * s

        if A * self.c <= 2:
            return 0.0
        hi = 1.0
        while h(hi) > 0:
            hi *= 2
            if hi > 1e12:  # ℓ' unbounded and growing faster than linear: no bounded cycle
                return float("inf")
        return brentq(h, 1e-12, hi, xtol=1e-15)


# ------------------------------------------------------------------------------- mean model
def g_mean(b: Any, s: float = 1.0) -> np.ndarray:
    """g(b) = E relu(sZ + b) = bΦ(b/s) + sφ(b/s), Z ~ N(0, 1); g'(b) = Φ(b/s), g(0) = s/√(2π)."""
    b = _checks.array(b, "b", allow_nan=True)
    if np.any(np.isinf(b)):
        raise ValueError("b must be finite or NaN (g(±inf) is a limit, not a value), got inf")
    s = _checks.real(s, "s", positive=True)
    return _g_mean(b, s)


def _g_mean(b: Any, s: float) -> np.ndarray:
    b = np.asarray(b, dtype=float)
    z = b / s
    with np.errstate(over="ignore"):  # z² = inf for |b| > 1e154 s: exp(−inf) = 0 is exact
        return b * ndtr(z) + s * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def _sym(value: Any, name: str, positive: bool = False) -> Any:
    """A sympy expression, or a finite real number (``positive``: > 0) for the sympy twins."""
    return _checks.symbolic_scalar(value, name, positive=positive)


def g_mean_expr(b: Any, s: Any) -> sp.Expr:
    """Sympy twin of :func:`g_mean`: g(b) = bΦ(b/s) + sφ(b/s), Φ written with erf.

    Used by :meth:`MeanModel.symbolic` and proven on by ``proofs_check.threshold_neuron``.
    """
    b = _sym(b, "b")
    s = _sym(s, "s", positive=True)
    Phi = (1 + sp.erf(b / (s * sp.sqrt(2)))) / 2
    phi = sp.exp(-(b**2) / (2 * s**2)) / sp.sqrt(2 * sp.pi)
    return b * Phi + s * phi


def mean_model_loss_expr(a: Any, b: Any, s: Any) -> sp.Expr:
    """L(a, b) = ℓ_sym(a·g(b)) as a sympy expression (ℓ_sym from :data:`LOSSES`)."""
    a = _sym(a, "a")
    t = sp.Symbol("t", real=True)
    return LOSSES["logistic_sym"].sympy(t).subs(t, a * g_mean_expr(b, s))


class MeanModel:
    """L(a, b) = ℓ_sym(a·g(b)), g(b) = E relu(sZ + b): the bias phase transition in 2-D.

    θ = (a, b): a ~ the second-layer weight along the mean output direction, b ~ the first-layer
    bias; s ~ ‖w‖ × noise std (brief §1.3 (B), reconstruction).
    """

    def __init__(self, s: float = 1.0) -> None:
        self.s = _checks.real(s, "s", positive=True)
        self.loss = LOSSES["logistic_sym"]
        self.model = Model.from_numpy(
            ("a", "b"),
            self._value,
            self._grad,
            self._hessian,
            name=f"mean model ℓ_sym(a g(b)), s={self.s:g}",
            citation=CITATION,
        )

    def __repr__(self) -> str:
        return f"MeanModel(s={self.s:g})"

    def g(self, b: Any) -> np.ndarray:
        """g(b)."""
        return g_mean(b, self.s)

    def _g(self, b: Any) -> np.ndarray:
        return _g_mean(b, self.s)

    def _parts(self, th: np.ndarray) -> tuple[np.ndarray, ...]:
        a, b = th[..., 0], th[..., 1]
        z = b / self.s
        G = _g_mean(b, self.s)
        dG = ndtr(z)
        d2G = np.exp(-0.5 * z * z) / (np.sqrt(2 * np.pi) * self.s)
        return a, G, dG, d2G

    def _value(self, th: np.ndarray) -> np.ndarray:
        a, G, _, _ = self._parts(th)
        return self.loss.value(a * G)

    def _grad(self, th: np.ndarray) -> np.ndarray:
        a, G, dG, _ = self._parts(th)
        lp = self.loss.d1(a * G)
        return np.stack([lp * G, lp * a * dG], axis=-1)

    def _hessian(self, th: np.ndarray) -> np.ndarray:
        a, G, dG, d2G = self._parts(th)
        t = a * G
        l1, l2 = self.loss.d1(t), self.loss.d2(t)
        haa = l2 * G * G
        hab = l2 * G * a * dG + l1 * dG
        hbb = l2 * (a * dG) ** 2 + l1 * a * d2G
        return np.stack([np.stack([haa, hab], axis=-1), np.stack([hab, hbb], axis=-1)], axis=-2)

    def symbolic(self) -> Model:
        """The same loss from sympy (erf form of Φ)."""
        a, b = sp.symbols("a b", real=True)
        s = sp.Float(self.s, 17)
        return Model.from_sympy(
            mean_model_loss_expr(a, b, s), ["a", "b"], name="mean model (sympy)"
        )

    def eta_star(self, b0: float = 0.0) -> float:
        """η* = 8 / g(b0)² (= 16π/s² at b0 = 0): Hessian diag(g(b)²/4, 0) on the line a = 0."""
        b0 = _checks.real(b0, "b0")
        g0 = float(self.g(b0))
        if g0 == 0:
            raise ValueError(f"b0 must keep g(b0) > 0 (η* is infinite), got b0 = {b0!r}")
        with np.errstate(over="ignore"):  # g0² = inf: η* = 0 is the limit
            return float(8.0 / np.float64(g0) ** 2)

    def final_bias(
        self, eta: Any, a0: float = 0.01, b0: float = 0.0, steps: int = 50_000
    ) -> np.ndarray:
        """b_T after ``steps`` GD steps from (a0, b0), batched over ``eta`` (NaN if diverged)."""
        from ..dynamics import gd

        a0 = _checks.real(a0, "a0")
        b0 = _checks.real(b0, "b0")
        eta = _checks.step_size(eta, "eta")
        steps = _checks.count(steps, "steps")
        tr = gd(self.model, [a0, b0], eta, steps, record_every=0)
        return np.where(tr.diverged, np.nan, tr.final[..., 1])

    def bias_bound(self, eta: Any) -> np.ndarray:
        """Largest b with g(b)² ≤ 8/η (0 below η*): a converged run above η* has b∞ ≤ it."""
        eta = _checks.array(eta, "eta", positive=True)
        out = np.zeros(eta.shape)
        g0 = float(self._g(0.0))
        for i, e in np.ndenumerate(eta):
            target = np.sqrt(8.0 / e)
            if target >= g0:
                out[i] = 0.0
            else:
                out[i] = brentq(
                    lambda b, t=target: float(self._g(b)) - t, -50 * self.s, 0.0, xtol=1e-15
                )
        return out


# level (c), re-exported so the three levels live under one name
from .threshold_net import (  # noqa: E402
    ReluNet,
    SparseCodingData,
    predicted_threshold,
    test_accuracy,
    train,
)
