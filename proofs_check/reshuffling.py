"""Exact checks for SGD with and without replacement (research brief sgd_and_features.md §4).

Beneventano, "On the Trajectories of SGD Without Replacement" (arXiv 2312.16143); Smith, Dherin,
Barrett, De, "On the Origin of Implicit Regularization in Stochastic Gradient Descent" (ICLR 2021).
Only Beneventano's abstract could be read (brief §0): every identity here is derived in the brief
(§4.2) or in ``toymodels.stochastic`` and proven with symbolic per-sample data; the ``where``
fields say so.

Setting. n samples with per-sample losses ℓ_k expanded at θ₀ = 0 (no loss of generality):
ℓ_k(θ) = g_kᵀθ + ½θᵀH_kθ (+ a cubic term T_k where the statement is about general losses), so
g_k, H_k are the per-sample gradient and Hessian at θ₀ and ḡ, H̄ their means. An epoch of random
reshuffling (RR) with batch size 1 visits the samples in a uniformly random order; with batch size
b it visits K = ⌊n/b⌋ disjoint batches, every ordered sequence of disjoint b-subsets equally
likely; with replacement (WR) the indices are i.i.d. uniform. Expectations are exact averages over
all sequences; η-expansions are exact truncated polynomial arithmetic.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy as sp

from ._exact import fmt, is_zero
from ._numeric import agree, combine, model_agrees, rng
from .registry import proof

BENEVENTANO = "Beneventano 2023 (arXiv 2312.16143)"
SMITH = "Smith, Dherin, Barrett, De 2021 (ICLR)"

ETA = sp.Symbol("eta", positive=True)
S = sp.Symbol("s", real=True)
X, Y = sp.symbols("x y", real=True)
THETA = sp.Matrix([X, Y])


# ------------------------------------------------------------------------------------ symbolic data
def _samples(n: int, *, cubic: bool = False) -> list[dict[str, sp.Matrix | sp.Expr]]:
    """n symbolic per-sample Taylor polynomials at 0 in d = 2: g_k, H_k (symmetric), cubic T_k."""
    out = []
    for k in range(n):
        g = sp.Matrix(sp.symbols(f"g{k}_0:2", real=True))
        h0, h1, h2 = sp.symbols(f"h{k}_0:3", real=True)
        H = sp.Matrix([[h0, h1], [h1, h2]])
        loss = (g.T * THETA)[0, 0] + sp.Rational(1, 2) * (THETA.T * H * THETA)[0, 0]
        if cubic:
            t = sp.symbols(f"t{k}_0:4", real=True)
            loss += t[0] * X**3 + t[1] * X**2 * Y + t[2] * X * Y**2 + t[3] * Y**3
        grad = sp.Matrix([sp.diff(loss, v) for v in (X, Y)])
        out.append({"g": g, "H": H, "loss": loss, "grad": grad})
    return out


def _mean(items: Sequence[sp.Matrix]) -> sp.Matrix:
    return sum(items, sp.zeros(*items[0].shape)) / len(items)


def _series_mul(a: list[sp.Expr], b: list[sp.Expr]) -> list[sp.Expr]:
    """Product of two polynomials in η given by coefficient lists, truncated to len(a) terms."""
    n = len(a)
    return [
        sp.expand(sum((a[i] * b[k - i] for i in range(k + 1)), sp.Integer(0))) for k in range(n)
    ]


def _series_eval(poly: sp.Expr, theta: list[list[sp.Expr]], order: int) -> list[sp.Expr]:
    """A polynomial in (x, y) at θ = (Σ_m θ_x[m]η^m, Σ_m θ_y[m]η^m), as η-coefficients ≤ order."""
    out = [sp.Integer(0)] * (order + 1)
    one = [sp.Integer(1)] + [sp.Integer(0)] * order
    for (px, py), c in sp.Poly(poly, X, Y).terms():
        term = one
        for _ in range(px):
            term = _series_mul(term, theta[0])
        for _ in range(py):
            term = _series_mul(term, theta[1])
        out = [o + c * t for o, t in zip(out, term, strict=True)]
    return [sp.expand(o) for o in out]


def _series_run(grads: Sequence[sp.Matrix], order: int) -> sp.Matrix:
    """θ_T of θ ← θ − η∇ℓ_t(θ) from θ₀ = 0, exact in η up to η^order (truncated series)."""
    zero = sp.Integer(0)
    th = [[zero] * (order + 1) for _ in range(2)]
    for g in grads:
        new = []
        for i in range(2):
            gi = _series_eval(g[i], th, order)
            # θ_i − η g_i: shift g's coefficients by one power of η
            new.append([th[i][m] - (gi[m - 1] if m >= 1 else zero) for m in range(order + 1)])
        th = new
    return sp.Matrix([sum((th[i][m] * ETA**m for m in range(order + 1)), zero) for i in range(2)])


def _step(theta: sp.Matrix, grad: sp.Matrix) -> sp.Matrix:
    """θ − η∇ℓ(θ), ∇ℓ given as a vector in (x, y), expanded (no truncation)."""
    new = theta - ETA * grad.subs({X: theta[0], Y: theta[1]}, simultaneous=True)
    return new.applyfunc(sp.expand)


def _run(grads: Sequence[sp.Matrix], start: sp.Matrix) -> sp.Matrix:
    th = start
    for g in grads:
        th = _step(th, g)
    return th


def _zero_vec(label: str, vec: sp.Matrix) -> list[tuple[bool, str]]:
    out = []
    for i in range(vec.shape[0]):
        ok, res = is_zero(vec[i])
        out.append((ok, f"{label}[{i}]: residual {fmt(res)}"))
    return out


def _eta_coeff(vec: sp.Matrix, power: int) -> sp.Matrix:
    return vec.applyfunc(lambda e: sp.expand(e).coeff(ETA, power))


def _drift_sum(samples: Sequence[dict]) -> sp.Matrix:
    """Σ_k (H_k − H̄)(g_k − ḡ)."""
    gbar = _mean([s["g"] for s in samples])
    Hbar = _mean([s["H"] for s in samples])
    return sum(((s["H"] - Hbar) * (s["g"] - gbar) for s in samples), sp.zeros(2, 1)).applyfunc(
        sp.expand
    )


# ------------------------------------------------------------------------------------ checks
@proof(
    paper=BENEVENTANO,
    where="brief §4.2 'With replacement, quadratic losses' [derived]; toymodels.stochastic",
    statement="with replacement (n = 3, d = 2, symbolic samples) E[θ_t] equals GD exactly for "
    "t = 1, 2 on quadratic samples; for cubic samples one step is still GD and two steps "
    "differ from GD only at O(η³) (no O(η²) drift)",
)
def rr_with_replacement_mean_is_gd() -> tuple[bool, str]:
    """E_k[θ − η(g_k + H_kθ)] − (θ − η(ḡ + H̄θ)) = 0 at symbolic θ; E_{k1,k2}[G_{k2}∘G_{k1}(θ)] −
    G∘G(θ) = 0 (quadratic samples); with cubic T_k: the η¹, η² coefficients of the two-step
    difference at θ = 0 vanish and the η³ coefficient does not."""
    out = []
    quad = _samples(3)
    gbar_fn = _mean([s["grad"] for s in quad])
    one = _mean([_step(THETA, s["grad"]) for s in quad]) - _step(THETA, gbar_fn)
    out += _zero_vec("one step", one)
    two = _mean([_run([a["grad"], b["grad"]], THETA) for a in quad for b in quad]) - _run(
        [gbar_fn, gbar_fn], THETA
    )
    out += _zero_vec("two steps", two)
    cub = _samples(3, cubic=True)
    gbar_c = _mean([s["grad"] for s in cub])
    diff = _mean([_series_run([a["grad"], b["grad"]], 3) for a in cub for b in cub]) - _series_run(
        [gbar_c, gbar_c], 3
    )
    out += _zero_vec("cubic, eta^1", _eta_coeff(diff, 1))
    out += _zero_vec("cubic, eta^2", _eta_coeff(diff, 2))
    c3 = _eta_coeff(diff, 3)
    out.append((c3 != sp.zeros(2, 1), f"cubic, eta^3 coefficient nonzero: {fmt(c3[0], 80)}"))
    return combine(out)


@proof(
    paper=SMITH,
    where="RR modified loss (Smith et al. 2021); brief §4.2 'Small-η drift' [derived]; "
    "Beneventano abstract 'an additional step on a novel regularizer'",
    statement="random reshuffling, n = 3, d = 2, symbolic samples with cubic terms: "
    "E_perm[θ_3] − θ_3^GD = −(η²/2)Σ_k (H_k − H̄)(g_k − ḡ) + O(η³) (η¹ coefficient 0)",
)
def rr_drift_eta2() -> tuple[bool, str]:
    """Over the 6 orders (θ₀ = 0, exact up to η³): coefficient of η¹ of E[θ_3] − GD³ is 0 and of
    η² is −½Σ_k(H_k − H̄)(g_k − ḡ); the cubic terms T_k enter only at η³."""
    cub = _samples(3, cubic=True)
    gbar = _mean([s["grad"] for s in cub])
    rr = _mean(
        [
            _series_run([cub[k]["grad"] for k in perm], 3)
            for perm in itertools.permutations(range(3))
        ]
    )
    diff = (rr - _series_run([gbar] * 3, 3)).applyfunc(sp.expand)
    out = _zero_vec("eta^1", _eta_coeff(diff, 1))
    out += _zero_vec("eta^2 + (1/2) sum dH dg", _eta_coeff(diff, 2) + _drift_sum(cub) / 2)
    # the cubic terms were carried: they enter at η³
    t_syms = {s for s in _eta_coeff(diff, 3).free_symbols if s.name.startswith("t")}
    out.append((bool(t_syms), f"cubic coefficients in the eta^3 term: {len(t_syms)}"))
    return combine(out)


@proof(
    paper=BENEVENTANO,
    where="abstract: 'regularizing the trace of the noise covariance'; brief §4.2, claim §4.6.3 "
    "[derived]",
    statement="−(η²/2)Σ_k(H_k − H̄)(g_k − ḡ) = −(η²m/4)∇N with N(θ) = (1/m)Σ_k‖∇ℓ_k(θ) − ∇L(θ)‖², "
    "identically in θ for cubic per-sample losses (m = 3, d = 2)",
)
def rr_drift_is_noise_trace_gradient() -> tuple[bool, str]:
    """With g_k(θ) = ∇ℓ_k(θ), H_k(θ) = ∇²ℓ_k(θ) of cubic ℓ_k at symbolic θ = (x, y):
    −(η²/2)Σ(H_k − H̄)(g_k − ḡ) + (η²m/4)∇N = 0; and the drift at θ = 0 uses g_k, H_k there."""
    cub = _samples(3, cubic=True)
    m = len(cub)
    grads = [s["grad"] for s in cub]
    hess = [sp.hessian(s["loss"], (X, Y)) for s in cub]
    gbar, Hbar = _mean(grads), _mean(hess)
    N = sum(((g - gbar).T * (g - gbar))[0, 0] for g in grads) / m
    gradN = sp.Matrix([sp.diff(N, v) for v in (X, Y)])
    drift = -(ETA**2 / 2) * sum(
        ((H - Hbar) * (g - gbar) for H, g in zip(hess, grads, strict=True)), sp.zeros(2, 1)
    )
    out = _zero_vec("drift + (eta^2 m/4) grad N", drift + ETA**2 * m / 4 * gradN)
    at0 = drift.subs({X: 0, Y: 0}) + ETA**2 / 2 * _drift_sum(cub)
    out += _zero_vec("drift at 0 in terms of g_k, H_k", at0)
    return combine(out)


def _ordered_batches(n: int, b: int) -> list[list[tuple[int, ...]]]:
    """Every ordered sequence of ⌊n/b⌋ disjoint sorted b-subsets of range(n)."""
    seqs: list[list[tuple[int, ...]]] = [[]]
    for _ in range(n // b):
        nxt = []
        for seq in seqs:
            used = {i for B in seq for i in B}
            rest = [i for i in range(n) if i not in used]
            nxt.extend([*seq, B] for B in itertools.combinations(rest, b))
        seqs = nxt
    return seqs


@proof(
    paper=SMITH,
    where="RR with mini-batches; toymodels.stochastic.reshuffling_drift (batch_size b) [derived]",
    statement="random reshuffling with batch size b, K = ⌊n/b⌋ steps (n = 4, b = 2 and n = 5, "
    "b = 2, one sample unused): E[θ_K] − θ_K^GD = −η²K(K − 1)/(2n(n − 1))·Σ_k(H_k − H̄)(g_k − "
    "ḡ) + O(η³)",
)
def rr_batch_drift_finite_population() -> tuple[bool, str]:
    """Exact average over every ordered sequence of disjoint batches (6 for n = 4, b = 2; 30 for
    n = 5, b = 2) of the truncated K-step map; η¹ coefficient 0, η² coefficient
    −K(K − 1)/(2n(n − 1))·Σ_k ΔH_kΔg_k (two disjoint batch means covary by −1/(n − 1))."""
    out = []
    for n, b in ((4, 2), (5, 2)):
        smp = _samples(n)
        K = n // b
        gbar = _mean([s["grad"] for s in smp])
        seqs = _ordered_batches(n, b)
        runs = []
        for seq in seqs:
            grads = [_mean([smp[i]["grad"] for i in B]) for B in seq]
            runs.append(_series_run(grads, 2))
        diff = (_mean(runs) - _series_run([gbar] * K, 2)).applyfunc(sp.expand)
        coef = sp.Rational(K * (K - 1), 2 * n * (n - 1))
        out += _zero_vec(f"n={n}, b={b}: eta^1", _eta_coeff(diff, 1))
        out += _zero_vec(
            f"n={n}, b={b} ({len(seqs)} sequences): eta^2",
            _eta_coeff(diff, 2) + coef * _drift_sum(smp),
        )
    return combine(out)


@proof(
    paper=BENEVENTANO,
    where="abstract v1: 'noise-injected GD'; brief §8 finite-population factor; "
    "toymodels.stochastic.noise_injected_gd [derived]",
    statement="the mini-batch gradient mean over a uniform b-subset has covariance "
    "(n − b)/(b(n − 1))·Σ₁ (n = 4, b = 2; n = 5, b = 3), over b i.i.d. samples Σ₁/b, with "
    "Σ₁ = (1/n)Σ_k(g_k − ḡ)(g_k − ḡ)ᵀ: the covariance noise-injected GD injects",
)
def noise_injection_covariance() -> tuple[bool, str]:
    """Exact averages over all subsets / i.i.d. tuples of symbolic vectors v_k ∈ R²:
    E[v̄_B] − v̄ = 0 and Cov[v̄_B] − fΣ₁ = 0 with f = (n − b)/(b(n − 1)) (subsets) or 1/b (i.i.d.).
    (ζ = √(f/n)Σ_k z_kΔv_k with z ~ N(0, I) has covariance fΣ₁ by construction.)"""
    out = []
    for n, b in ((4, 2), (5, 3)):
        v = [sp.Matrix(sp.symbols(f"v{k}_0:2", real=True)) for k in range(n)]
        vbar = _mean(v)
        sigma1 = sum(((x - vbar) * (x - vbar).T for x in v), sp.zeros(2, 2)) / n
        for label, batches, f in (
            ("subsets", list(itertools.combinations(range(n), b)), sp.Rational(n - b, b * (n - 1))),
            ("iid", list(itertools.product(range(n), repeat=b)), sp.Rational(1, b)),
        ):
            means = [_mean([v[i] for i in B]) for B in batches]
            mu = _mean(means)
            cov = sum(((m - mu) * (m - mu).T for m in means), sp.zeros(2, 2)) / len(means)
            out += _zero_vec(f"n={n}, b={b}, {label}: E[batch mean] - mean", mu - vbar)
            res = (cov - f * sigma1).applyfunc(sp.expand)
            out += _zero_vec(f"n={n}, b={b}, {label}: Cov - f Sigma1", res.reshape(4, 1))
    return combine(out)


# rational data of the resummed check: H̄, ΔH_k, b̄, Δb_k (Σ_k ΔH_k = 0, Σ_k Δb_k = 0), d = 2
_R = sp.Rational
_HBAR = sp.Matrix([[1, 0], [0, _R(3, 10)]])
_DH = [
    sp.Matrix([[_R(1, 2), _R(-1, 5)], [_R(-1, 5), _R(3, 10)]]),
    sp.Matrix([[_R(-3, 10), _R(2, 5)], [_R(2, 5), _R(-1, 2)]]),
    sp.Matrix([[_R(-1, 5), _R(-1, 5)], [_R(-1, 5), _R(1, 5)]]),
]
_BBAR = sp.Matrix([_R(1, 2), _R(-1, 4)])
_DB = [
    sp.Matrix([_R(3, 5), _R(-2, 5)]),
    sp.Matrix([_R(-1, 5), _R(7, 10)]),
    sp.Matrix([_R(-2, 5), _R(-3, 10)]),
]


def resummed_formula(
    Hbar: sp.Matrix,
    dH: Sequence[sp.Matrix],
    gbar: sp.Matrix,
    dg: Sequence[sp.Matrix],
    eta: sp.Expr,
    *,
    curvature_terms: bool = True,
) -> sp.Matrix:
    """−(η²/(m(m−1)))Σ_{i<j}A^{m−j}Σ_k ΔH_kA^{j−1−i}(Δg_k + ΔH_kδ_i), A = I − ηH̄,
    δ_i = −ηΣ_{l<i}A^{i−1−l}ḡ (the ΔH·ΔH·ḡ part only with ``curvature_terms``)."""
    m = len(dH)
    d = Hbar.shape[0]
    A = sp.eye(d) - eta * Hbar
    delta = [sp.zeros(d, 1)]
    for _ in range(1, m):
        delta.append(A * delta[-1] - eta * gbar)
    total = sp.zeros(d, 1)
    for j in range(2, m + 1):
        for i in range(1, j):
            inner = sp.zeros(d, 1)
            for k in range(m):
                v = dg[k] + (dH[k] * delta[i - 1] if curvature_terms else sp.zeros(d, 1))
                inner += dH[k] * A ** (j - 1 - i) * v
            total += A ** (m - j) * inner
    return (-(eta**2) / (m * (m - 1)) * total).applyfunc(sp.expand)


@proof(
    paper=BENEVENTANO,
    where="brief §4.2 'Resummed form' and its caveat, §4.3 [derived]; "
    "toymodels.stochastic.resummed_drift",
    statement="quadratic samples, m = 3, d = 2 (rational H̄ = diag(1, 3/10), ΔH_k, ḡ, Δg_k), "
    "noise scaled by s, symbolic η: E_perm[θ_3] − θ_3^GD has no s¹ term and its s² "
    "coefficient is the resummed ΔH·Δg formula plus the ΔH·ΔH·ḡ terms; the brief's formula "
    "without the latter misses a nonzero s² term",
)
def rr_second_order_resummed() -> tuple[bool, str]:
    """Exact polynomial identity in (η, s): coefficient of s¹ is 0, coefficient of s² minus
    resummed_formula(curvature_terms=True) is 0, and resummed(True) − resummed(False) ≠ 0."""
    m = len(_DH)
    H = [_HBAR + S * dh for dh in _DH]
    b = [_BBAR + S * db for db in _DB]
    grads = [h * THETA + bb for h, bb in zip(H, b, strict=True)]
    zero = sp.zeros(2, 1)
    gbar_fn = _HBAR * THETA + _BBAR
    rr = _mean([_run([grads[k] for k in p], zero) for p in itertools.permutations(range(m))])
    diff = (rr - _run([gbar_fn] * m, zero)).applyfunc(sp.expand)
    c1 = diff.applyfunc(lambda e: e.coeff(S, 1))
    c2 = diff.applyfunc(lambda e: e.coeff(S, 2))
    full = resummed_formula(_HBAR, _DH, _BBAR, _DB, ETA)
    brief = resummed_formula(_HBAR, _DH, _BBAR, _DB, ETA, curvature_terms=False)
    out = _zero_vec("s^1", c1)
    out += _zero_vec("s^2 - resummed (with dH dH gbar)", c2 - full)
    missing = (full - brief).applyfunc(sp.expand)
    out.append(
        (missing != sp.zeros(2, 1), f"brief's formula misses s^2 terms: {fmt(missing[0], 80)}")
    )
    # the small-η limit: the η² coefficient of the resummed formula is the O(η²) drift
    small = -sum(((dh * dg) for dh, dg in zip(_DH, _DB, strict=True)), sp.zeros(2, 1)) / 2
    out += _zero_vec("eta^2 coefficient = -(1/2) sum dH dg", _eta_coeff(full, 2) - small)
    return combine(out)


@proof(
    paper=BENEVENTANO,
    where="toymodels.models.sgd_quadratics, toymodels.stochastic (numeric agreement)",
    statement="the library's quadratic toys (sympy and numpy forms) match ℓ_k = ½θᵀH_kθ + b_kᵀθ; "
    "epoch_average equals the exact rational permutation / i.i.d. average; reshuffling_drift, "
    "noise_trace(_gradient) and resummed_drift equal the proven formulas (1e-12)",
)
def reshuffling_library_numeric() -> tuple[bool, str]:
    """Library objects against the expressions proven above, at seeded points and rational
    data: models (loss, ∇, ∇²), the O(η²) drift, N and ∇N, the resummed drift (rational data of
    rr_second_order_resummed, η ∈ {1/10, 1, 9/5}) and epoch_average against Fraction arithmetic
    over the 24 orders (RR) and the 256 i.i.d. sequences (WR) of the §4.3 toy at η = 1/10."""
    from toymodels import stochastic as st
    from toymodels.models import sgd_quadratics as q

    gen = rng(2312)
    out: list[tuple[bool, str]] = []
    H, b = q.reshuffling_toy_data()
    n, d = b.shape
    w = sp.symbols(f"w0:{d}", real=True)
    wv = sp.Matrix(w)
    Hq = [sp.Matrix(H[k]).applyfunc(lambda v: sp.nsimplify(round(float(v), 12))) for k in range(n)]
    bq = [sp.Matrix(b[k]).applyfunc(lambda v: sp.nsimplify(round(float(v), 12))) for k in range(n)]
    full = (
        sum(
            (((wv.T * Hq[k] * wv)[0, 0] / 2 + (bq[k].T * wv)[0, 0]) for k in range(n)),
            sp.Integer(0),
        )
        / n
    )
    pts = [gen.normal(size=d) for _ in range(5)]
    out += model_agrees("reshuffling_toy (sympy)", q.reshuffling_toy(), full, w, pts)
    out += model_agrees("reshuffling_toy (numpy)", q.reshuffling_toy(numpy=True), full, w, pts)
    Hs, bs = q.saddle_toy_data()
    ws = sp.symbols("w0:2", real=True)
    wsv = sp.Matrix(ws)
    Hsq = [
        sp.Matrix(Hs[k]).applyfunc(lambda v: sp.nsimplify(round(float(v), 12))) for k in range(4)
    ]
    bsq = [
        sp.Matrix(bs[k]).applyfunc(lambda v: sp.nsimplify(round(float(v), 12))) for k in range(4)
    ]
    full_s = (
        sum(
            (((wsv.T * Hsq[k] * wsv)[0, 0] / 2 + (bsq[k].T * wsv)[0, 0]) for k in range(4)),
            sp.Integer(0),
        )
        / 4
    )
    pts2 = [gen.normal(size=2) for _ in range(5)]
    out += model_agrees("saddle_toy (sympy)", q.saddle_toy(), full_s, ws, pts2)
    out += model_agrees("saddle_toy (numpy)", q.saddle_toy(numpy=True), full_s, ws, pts2)
    # drift, noise trace and its gradient: the proven expressions, lambdified
    model = q.reshuffling_toy()
    Hbar = _mean(Hq)
    gk = [Hq[k] * wv + bq[k] for k in range(n)]
    gbar = _mean(gk)
    drift_e = -sum(((Hq[k] - Hbar) * (gk[k] - gbar) for k in range(n)), sp.zeros(d, 1)) / 2
    N_e = sum(((g - gbar).T * (g - gbar))[0, 0] for g in gk) / n
    f_drift = sp.lambdify(w, list(drift_e), "numpy")
    f_N = sp.lambdify(w, N_e, "numpy")
    f_gN = sp.lambdify(w, [sp.diff(N_e, v) for v in w], "numpy")
    out.append(
        agree(
            "reshuffling_drift / eta^2",
            lambda p: st.reshuffling_drift(model, p, 0.5) / 0.25,
            lambda p: np.array(f_drift(*p), float),
            pts,
        )
    )
    out.append(agree("noise_trace", lambda p: st.noise_trace(model, p), lambda p: f_N(*p), pts))
    out.append(
        agree(
            "noise_trace_gradient",
            lambda p: st.noise_trace_gradient(model, p),
            lambda p: np.array(f_gN(*p), float),
            pts,
        )
    )
    # resummed drift on the rational data of rr_second_order_resummed (s = 1)
    Hr = np.array([np.array((_HBAR + dh).tolist(), float) for dh in _DH])
    br = np.array([np.array((_BBAR + db).tolist(), float).ravel() for db in _DB])
    mr = q.per_sample_quadratic(Hr, br)
    for eta in (_R(1, 10), sp.Integer(1), _R(9, 5)):
        for curv in (True, False):
            want = resummed_formula(_HBAR, _DH, _BBAR, _DB, eta, curvature_terms=curv)
            out.append(
                agree(
                    f"resummed_drift(eta={eta}, curvature_terms={curv})",
                    lambda _p, e=float(eta), c=curv: st.resummed_drift(
                        mr, np.zeros(2), e, curvature_terms=c
                    ),
                    lambda _p, want=want: np.array(want.tolist(), float).ravel(),
                    [0],
                )
            )
    # epoch_average against exact rational arithmetic (Fractions) on the §4.3 toy
    Hf = [[[Fraction(str(round(float(v), 12))) for v in row] for row in H[k]] for k in range(n)]
    bf = [[Fraction(str(round(float(v), 12))) for v in b[k]] for k in range(n)]
    th0 = [Fraction(str(v)) for v in q.RESHUFFLING_THETA0]
    eta_f = Fraction(1, 10)

    def step(th: list[Fraction], k: int) -> list[Fraction]:
        return [
            th[i] - eta_f * (sum(Hf[k][i][j] * th[j] for j in range(d)) + bf[k][i])
            for i in range(d)
        ]

    def average(seqs: list[tuple[int, ...]]) -> list[float]:
        acc = [Fraction(0)] * d
        for seq in seqs:
            th = th0
            for k in seq:
                th = step(th, k)
            acc = [a + t for a, t in zip(acc, th, strict=True)]
        return [float(a / len(seqs)) for a in acc]

    rr_exact = average(list(itertools.permutations(range(n))))
    wr_exact = average(list(itertools.product(range(n), repeat=n)))
    rr_lib = st.epoch_average(model, q.RESHUFFLING_THETA0, 0.1).mean
    wr_lib = st.epoch_average(model, q.RESHUFFLING_THETA0, 0.1, sampling="with_replacement").mean
    out.append(agree("epoch_average RR", lambda _p: rr_lib, lambda _p: rr_exact, [0]))
    out.append(agree("epoch_average WR", lambda _p: wr_lib, lambda _p: wr_exact, [0]))
    return combine(out)
