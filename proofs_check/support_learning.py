"""Exact checks for the support-learning toy (research brief sgd_and_features.md §3.2).

Beneventano, Pinto, Poggio, "How Neural Networks Learn the Support is an Implicit Regularization
Effect of SGD" (arXiv 2406.11110). The paper's body could not be read (brief §0): the toy
f(x) = aᵀWx (a ∈ R², W ∈ R^{2×2}) with labels x₁ ± ε and the rate κ = η²ε²Ĉ₂₂/(2b′) of the flat
part ‖(I − ââᵀ)We₂‖ are the brief's derivation [DER], re-derived in
``toymodels.models.support_learning``; every algebraic step is proven here with symbolic
a, W, x, Ĉ, ε, η, b, n:

1. tr∇²ℓ = ‖Wx‖² + ‖a‖²‖x‖² (the residual term is traceless), so ∂tr∇²L/∂W = 2WĈ;
2. on the valley aᵀW = e₁ᵀ a ±ε pair has mean Hessian ∇f∇fᵀ, mean gradient 0 and gradient second
   moment ε²∇f∇fᵀ, and ∇²L = Σ_jk Ĉ_jk ∇g_j∇g_kᵀ with g_j = aᵀWe_j (range = normal space);
3. the finite-population factor b′ = b(n − 1)/(n − b) (all subsets enumerated), b′ = b with
   replacement, random reshuffling's chunks are uniform subsets with within-epoch covariance
   −Var/(m − 1);
4. the stationary variance ηε²/(b′(2 − ηλ)) of the linearised fluctuation, → ηε²/(2b′);
5. the tangent-projected drift −(η²ε²/(4b′))∇tr∇²L moves the squared flat part at exactly
   −2κ·(flat part)² with κ = η²ε²Ĉ₂₂/(2b′) when Ĉ₁₂ = 0 (and couples the flat part of We₁
   through Ĉ₁₂ otherwise); the flat direction is null for ∇²L (GD: κ = 0) and weight decay λ
   contracts it by exactly 1 − ηλ per GD step (κ = ηλ at leading order);
6. the library's model, numpy twin and closed forms against these expressions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from fractions import Fraction
from math import comb

import numpy as np
import sympy as sp

from toymodels.models import support_learning as sl

from ._exact import fmt, is_zero
from ._numeric import agree, combine, model_agrees, rng
from .registry import proof

BPP = "Beneventano, Pinto, Poggio 2024 (arXiv 2406.11110)"

A1, A2 = sp.symbols("a0 a1", real=True)
W11, W12, W21, W22 = sp.symbols("w0_0 w0_1 w1_0 w1_1", real=True)
X1, X2, Y = sp.symbols("x0 x1 y", real=True)
V1, V2 = sp.symbols("v1 v2", real=True)
C11, C12, C22 = sp.symbols("C11 C12 C22", real=True)
EPS, ETA, LAM = sp.symbols("epsilon eta lambda", positive=True)
BP = sp.Symbol("bprime", positive=True)  # the effective batch size b′
HL = sp.Symbol("h", positive=True)  # a Hessian eigenvalue

AVEC = sp.Matrix([A1, A2])
WMAT = sp.Matrix([[W11, W12], [W21, W22]])
XVEC = sp.Matrix([X1, X2])
PARAMS = (A1, A2, W11, W12, W21, W22)
#: f(x) = aᵀWx and the per-sample loss ½(f − y)²
F = (AVEC.T * WMAT * XVEC)[0, 0]
ELL = sp.Rational(1, 2) * (F - Y) ** 2
#: the rate the library states
KAPPA = ETA**2 * EPS**2 * C22 / (2 * BP)

#: a point of the valley aᵀW = e₁ᵀ: W = a e₁ᵀ/‖a‖² + a⊥vᵀ with a⊥ = (−a₂, a₁) (‖a⊥‖ = ‖a‖)
APERP = sp.Matrix([-A2, A1])
NA2 = A1**2 + A2**2
W_VALLEY = AVEC * sp.Matrix([[1, 0]]) / NA2 + APERP * sp.Matrix([[V1, V2]])
ON_VALLEY = {
    W11: W_VALLEY[0, 0],
    W12: W_VALLEY[0, 1],
    W21: W_VALLEY[1, 0],
    W22: W_VALLEY[1, 1],
}


def _moments(expr: sp.Expr) -> sp.Expr:
    """Replace the degree-2 monomials x_i x_j of a quadratic form in x by Ĉ_ij (the data mean)."""
    poly = sp.Poly(sp.expand(expr), X1, X2)
    table = {(2, 0): C11, (1, 1): C12, (0, 2): C22}
    out = sp.Integer(0)
    for mon, coeff in poly.terms():
        if mon not in table:
            raise ValueError(f"not a quadratic form in x: monomial {mon}")
        out += coeff * table[mon]
    return out


def _grad(expr: sp.Expr) -> sp.Matrix:
    return sp.Matrix([sp.diff(expr, p) for p in PARAMS])


#: tr∇²L = tr(WĈWᵀ) + ‖a‖²trĈ (the data mean of tr∇²ℓ, step 1)
CMAT = sp.Matrix([[C11, C12], [C12, C22]])
TRACE_H = (WMAT * CMAT * WMAT.T).trace() + NA2 * (C11 + C22)


@proof(
    paper=BPP,
    where="brief §3.2 [DER] (tr∇²L and its gradient); module support_learning step 1",
    statement="for ℓ = ½(aᵀWx − y)²: tr∇²ℓ = ‖Wx‖² + ‖a‖²‖x‖² at every θ, so "
    "tr∇²L = tr(WĈWᵀ) + ‖a‖²trĈ and ∂tr∇²L/∂W = 2WĈ, ∂/∂a = 2a·trĈ",
)
def support_trace_hessian() -> tuple[bool, str]:
    """tr sp.hessian(ℓ) − (‖Wx‖² + ‖a‖²‖x‖²) = 0 (symbolic a, W, x, y); its x-moments equal
    TRACE_H; ∂TRACE_H/∂W − 2WĈ = 0 and ∂TRACE_H/∂a − 2a trĈ = 0."""
    hess = sp.hessian(ELL, PARAMS)
    wx = WMAT * XVEC
    out = []
    ok, res = is_zero(hess.trace() - (wx.dot(wx) + NA2 * XVEC.dot(XVEC)))
    out.append((ok, f"tr Hess(l) = |Wx|^2 + |a|^2 |x|^2: residual {fmt(res)}"))
    ok, res = is_zero(_moments(wx.dot(wx) + NA2 * XVEC.dot(XVEC)) - TRACE_H)
    out.append((ok, f"data mean = tr(W C W^T) + |a|^2 tr C: residual {fmt(res)}"))
    gw = sp.Matrix(2, 2, lambda i, j: sp.diff(TRACE_H, WMAT[i, j]))
    res_w = (gw - 2 * WMAT * CMAT).applyfunc(lambda e: is_zero(e)[1])
    out.append((res_w == sp.zeros(2, 2), f"d trH/dW = 2 W C: residual {list(res_w)}"))
    ga = sp.Matrix([sp.diff(TRACE_H, p) for p in (A1, A2)]) - 2 * AVEC * (C11 + C22)
    res_a = ga.applyfunc(lambda e: is_zero(e)[1])
    out.append((res_a == sp.zeros(2, 1), f"d trH/da = 2 a tr C: residual {list(res_a)}"))
    return combine(out)


@proof(
    paper=BPP,
    where="brief §3.2 [DER] (noise covariance (ε²/b′)·H at a minimum); step 2",
    statement="on the valley aᵀW = e₁ᵀ a pair (x, x₁ ± ε) has mean gradient 0, mean Hessian "
    "∇f∇fᵀ and mean gradient second moment ε²∇f∇fᵀ; with ∇f = Σ_j x_j∇g_j (g_j = aᵀWe_j): "
    "∇²L = Σ_jk Ĉ_jk∇g_j∇g_kᵀ, so range ∇²L is the normal space of the valley",
)
def support_noise_covariance() -> tuple[bool, str]:
    """Polynomial identities in a, W, x, ε (y± = x₁ ± ε): ½(∇ℓ₊ + ∇ℓ₋) − (f − x₁)∇f = 0,
    ½(∇²ℓ₊ + ∇²ℓ₋) − ∇f∇fᵀ − (f − x₁)∇²f = 0, ½(∇ℓ₊∇ℓ₊ᵀ + ∇ℓ₋∇ℓ₋ᵀ) − ((f − x₁)² + ε²)∇f∇fᵀ = 0;
    on the valley f − x₁ = 0 (W = W_VALLEY); ∇f − Σ_j x_j∇g_j = 0; the x-moments of ∇f∇fᵀ equal
    Σ_jk Ĉ_jk∇g_j∇g_kᵀ."""
    grad_f = _grad(F)
    out = []
    lp, lm = ELL.subs(Y, X1 + EPS), ELL.subs(Y, X1 - EPS)
    gp, gm = _grad(lp), _grad(lm)
    hp, hm = sp.hessian(lp, PARAMS), sp.hessian(lm, PARAMS)
    jf = grad_f * grad_f.T
    d = F - X1
    checks = [
        ("mean gradient of a pair = (f - x1) grad f", (gp + gm) / 2 - d * grad_f),
        (
            "mean Hessian of a pair = grad f grad f^T + (f - x1) Hess f",
            (hp + hm) / 2 - jf - d * sp.hessian(F, PARAMS),
        ),
        (
            "gradient second moment = ((f - x1)^2 + eps^2) grad f grad f^T",
            (gp * gp.T + gm * gm.T) / 2 - (d**2 + EPS**2) * jf,
        ),
    ]
    for label, m in checks:
        res = m.applyfunc(sp.expand)
        out.append(
            (
                res == sp.zeros(*res.shape),
                f"{label}: {'0' if res == sp.zeros(*res.shape) else 'nonzero'}",
            )
        )
    ok, res = is_zero(d.subs(ON_VALLEY))
    out.append((ok, f"on the valley f = x1 (residuals -+eps): residual {fmt(res)}"))
    g = [_grad((AVEC.T * WMAT)[0, j]) for j in range(2)]
    res = (grad_f - X1 * g[0] - X2 * g[1]).applyfunc(sp.expand)
    out.append((res == sp.zeros(6, 1), "grad f = x1 grad g1 + x2 grad g2"))
    gram = sum((CMAT[j, k] * g[j] * g[k].T for j in range(2) for k in range(2)), sp.zeros(6, 6))
    res = (jf.applyfunc(_moments) - gram).applyfunc(sp.expand)
    out.append((res == sp.zeros(6, 6), "E[grad f grad f^T] = sum C_jk grad g_j grad g_k^T"))
    return combine(out)


def _scaled_weights(n: int, b: int, draws: Iterable[tuple[int, ...]]) -> np.ndarray:
    """n·b·(w − 1/n) per draw as exact integers (w_i = multiplicity of i in the draw / b)."""
    rows = []
    for d in draws:
        c = np.zeros(n, dtype=np.int64)
        for i in d:
            c[i] += 1
        rows.append(n * c - b)
    return np.array(rows, dtype=np.int64)


def _quadratic_form(z: np.ndarray, n: int, b: int) -> list[list[Fraction]]:
    """Q with E_draw[(Σ_i w_i v_i − v̄)²] = vᵀQv, exactly: Q = mean of (w − 1/n)(w − 1/n)ᵀ."""
    s = z.T @ z  # exact integers (|entries| ≤ (n b)² · draws ≪ 2⁶³ here)
    scale = len(z) * (n * b) ** 2
    return [[Fraction(int(s[i, j]), scale) for j in range(n)] for i in range(n)]


def _variance_form(n: int, factor: Fraction) -> list[list[Fraction]]:
    """factor · Var as a quadratic form: Var = (1/n)Σ(v_i − v̄)² = vᵀ(I/n − J/n²)v."""
    return [
        [factor * (Fraction(int(i == j), n) - Fraction(1, n * n)) for j in range(n)]
        for i in range(n)
    ]


@proof(
    paper=BPP,
    where="brief §3.2, §8 [DER] (finite-population correction b′); effective_batch_size",
    statement="for every n ≤ 6 and 1 ≤ b ≤ n: a uniform b-subset mean has variance "
    "Var/b′ with b′ = b(n − 1)/(n − b) (0 at b = n); b i.i.d. indices give Var/b; each chunk of a "
    "uniform random permutation (random reshuffling, b | n) is a uniform b-subset, and two chunks "
    "of one epoch have covariance −(Var/b′)/(m − 1), m = n/b",
)
def support_finite_population() -> tuple[bool, str]:
    """Exact rational quadratic forms (v₁ … v_n arbitrary, integer arithmetic), every draw
    enumerated: for n ≤ 6 and 1 ≤ b ≤ n the mean over b-subsets of (mean_B − v̄)² is
    Var·(n − b)/(b(n − 1)) and over the n^b index tuples (n^b ≤ 10⁴) Var/b; for
    (n, b) ∈ {(4, 2), (6, 2), (6, 3)} every chunk of the n! permutations is each b-subset equally
    often and E[(m₀ − v̄)(m₁ − v̄)] = −(Var/b′)/(m − 1), m = n/b."""
    out = []
    bad = []
    count = 0
    for n in range(2, 7):
        for b in range(1, n + 1):
            z = _scaled_weights(n, b, itertools.combinations(range(n), b))
            ok = _quadratic_form(z, n, b) == _variance_form(n, Fraction(n - b, b * (n - 1)))
            if n**b <= 10_000:
                z = _scaled_weights(n, b, itertools.product(range(n), repeat=b))
                ok = ok and _quadratic_form(z, n, b) == _variance_form(n, Fraction(1, b))
            count += 1
            if not ok:
                bad.append((n, b))
    out.append(
        (not bad, f"subset Var/b' and with-replacement Var/b: {count} (n, b) pairs, failures {bad}")
    )
    for n, b in ((4, 2), (6, 2), (6, 3)):
        m = n // b
        counts: dict[tuple[int, ...], int] = {}
        z0, z1 = [], []
        perms = list(itertools.permutations(range(n)))
        for p in perms:
            chunks = [tuple(sorted(p[k * b : (k + 1) * b])) for k in range(m)]
            for c in chunks:
                counts[c] = counts.get(c, 0) + 1
            z0.append(chunks[0])
            z1.append(chunks[1])
        a0, a1 = _scaled_weights(n, b, z0), _scaled_weights(n, b, z1)
        s = a0.T @ a1 + a1.T @ a0
        scale = 2 * len(perms) * (n * b) ** 2
        cov = [[Fraction(int(s[i, j]), scale) for j in range(n)] for i in range(n)]
        uniform = len(counts) == comb(n, b) and len(set(counts.values())) == 1
        want = _variance_form(n, -Fraction(n - b, b * (n - 1)) / (m - 1))
        out.append(
            (
                uniform and cov == want,
                f"RR n={n}, b={b}: chunks uniform {uniform}, within-epoch covariance "
                f"= -(Var/b')/(m-1): {cov == want}",
            )
        )
    return combine(out)


@proof(
    paper=BPP,
    where="brief §3.2 [DER] (stationary fluctuation S ≈ (ηε²/(2b′))P); step 3",
    statement="δ' = (1 − ηh)δ − ηξ with Var ξ = ε²h/b′ has stationary variance "
    "s = ηε²/(b′(2 − ηh)) = ηε²/(2b′)·(1 + ηh/2 + O(η²))",
)
def support_stationary_variance() -> tuple[bool, str]:
    """s − (1 − ηh)²s − η²ε²h/b′ = 0 at s = ηε²/(b′(2 − ηh)); the series of s in η has leading
    term ηε²/(2b′) and next term η²ε²h/(4b′)."""
    s = ETA * EPS**2 / (BP * (2 - ETA * HL))
    out = []
    ok, res = is_zero(s - (1 - ETA * HL) ** 2 * s - ETA**2 * EPS**2 * HL / BP)
    out.append((ok, f"Lyapunov equation: residual {fmt(res)}"))
    ser = sp.series(s, ETA, 0, 3).removeO()
    ok, res = is_zero(ser - ETA * EPS**2 / (2 * BP) - ETA**2 * EPS**2 * HL / (4 * BP))
    out.append((ok, f"series to O(eta^2): residual {fmt(res)}"))
    return combine(out)


@proof(
    paper=BPP,
    where="brief §3.2 [DER] (κ = η²ε²Ĉ₂₂/(2b′); GD κ = 0; GD + weight decay κ = ηλ); step 5",
    statement="on the valley, the tangent projection of D = −(η/2)·(ηε²/(2b′))·∇tr∇²L changes the "
    "squared flat part φ² = (a⊥ᵀWe₂)²/‖a‖² at −2(η²ε²/(2b′))(Ĉ₂₂φ² + Ĉ₁₂φφ₁) = −2κφ² for "
    "Ĉ₁₂ = 0; the flat direction (0, a⊥e₂ᵀ) is in the null space of ∇²L (GD: κ = 0) and "
    "GD on L + (λ/2)‖θ‖² multiplies its coordinate by exactly 1 − ηλ",
)
def support_flat_drift() -> tuple[bool, str]:
    """N_j = ∇(aᵀWe_j); D_T = D − Σμ_jN_j with D_T·N_j = 0 (2×2 solve); ∇(φ²)·D_T +
    2(η²ε²/(2b′))(Ĉ₂₂φ² + Ĉ₁₂φφ₁) = 0 at W = W_VALLEY (φ₁ = a⊥ᵀWe₁/‖a‖); with Ĉ₁₂ = 0 this is
    −2κφ², κ = η²ε²Ĉ₂₂/(2b′); H·t = 0 for t = (0, a⊥e₂ᵀ) with H = Σ Ĉ_jk∇g_j∇g_kᵀ; one GD step on
    L + (λ/2)‖θ‖² from the valley (where ∇L = 0) is θ ↦ (1 − ηλ)θ and maps φ² to (1 − ηλ)²φ²."""

    def valley(m: sp.Matrix) -> sp.Matrix:
        return m.subs(ON_VALLEY).applyfunc(sp.cancel)

    rate = ETA**2 * EPS**2 / (2 * BP)
    drift = valley(-(ETA / 2) * (ETA * EPS**2 / (2 * BP)) * _grad(TRACE_H))
    normals = [valley(_grad((AVEC.T * WMAT)[0, j])) for j in range(2)]
    # D_T = D − Σ μ_j N_j with D_T ⊥ N_j: μ = G⁻¹(N·D), G the 2×2 Gram matrix of the normals
    gram = sp.Matrix(2, 2, lambda j, k: sp.cancel(normals[j].dot(normals[k])))
    rhs = sp.Matrix([sp.cancel(normals[j].dot(drift)) for j in range(2)])
    mu = (gram.adjugate() * rhs / gram.det()).applyfunc(sp.cancel)
    dt = drift - mu[0] * normals[0] - mu[1] * normals[1]
    # N_j·D_T = (N·D)_j − (Gμ)_j
    ortho = [sp.cancel(e) for e in rhs - gram * mu]
    phi2 = (APERP.T * WMAT[:, 1])[0, 0] ** 2 / NA2
    # φφ₁ = (a⊥ᵀWe₂)(a⊥ᵀWe₁)/‖a‖², no square root
    phiphi1 = (APERP.T * WMAT[:, 1])[0, 0] * (APERP.T * WMAT[:, 0])[0, 0] / NA2
    dphi2 = valley(_grad(phi2)).dot(dt)
    lhs = dphi2 + 2 * rate * (C22 * phi2 + C12 * phiphi1).subs(ON_VALLEY)
    out = [(ortho == [0, 0], f"D_T is tangent: N_j . D_T = {ortho}")]
    ok, res = is_zero(lhs)
    out.append((ok, f"d(phi^2) = -2 rate (C22 phi^2 + C12 phi phi1): residual {fmt(res)}"))
    ok, res = is_zero((dphi2 + 2 * KAPPA * phi2.subs(ON_VALLEY)).subs(C12, 0))
    out.append(
        (ok, f"C12 = 0: d(phi^2) = -2 kappa phi^2, kappa = eta^2 eps^2 C22/(2b'): {fmt(res)}")
    )
    # GD: the flat direction is null for H = sum C_jk grad g_j grad g_k^T on the valley
    t = sp.Matrix([0, 0, 0, APERP[0], 0, APERP[1]])
    hess = sum(
        (CMAT[j, k] * normals[j] * normals[k].T for j in range(2) for k in range(2)),
        sp.zeros(6, 6),
    )
    res = (hess * t).subs(ON_VALLEY).applyfunc(lambda e: is_zero(e)[1])
    out.append((res == sp.zeros(6, 1), "H (0, a_perp e2^T) = 0 on the valley (GD: kappa = 0)"))
    # weight decay: on the valley ∇L = 0 (pairs cancel), so one GD step on L + (λ/2)‖θ‖² is
    # θ ↦ (1 − ηλ)θ, and φ² is homogeneous of degree 2 in θ: φ² ↦ (1 − ηλ)²φ²
    scaled = {p: (1 - ETA * LAM) * p for p in PARAMS}
    ok, res = is_zero(phi2.subs(scaled, simultaneous=True) - (1 - ETA * LAM) ** 2 * phi2)
    out.append(
        (ok, f"weight decay: phi^2((1 - eta lam) theta) = (1 - eta lam)^2 phi^2: {fmt(res)}")
    )
    grad_l = sum((_grad(ELL.subs(Y, X1 + s)) for s in (EPS, -EPS)), sp.zeros(6, 1))
    res = grad_l.subs(ON_VALLEY).applyfunc(lambda e: is_zero(e)[1])
    out.append((res == sp.zeros(6, 1), "grad L = 0 on the valley (every pair)"))
    ok, res = is_zero((normals[0].dot(t)).subs(ON_VALLEY))
    ok2, res2 = is_zero((normals[1].dot(t)).subs(ON_VALLEY))
    out.append((ok and ok2, f"t is tangent (N_j . t = 0): residuals {fmt(res)}, {fmt(res2)}"))
    return combine(out)


@proof(
    paper=BPP,
    where="brief §3.2; toymodels.models.support_learning (library against the proofs)",
    statement="support_model / support_model_numpy (with and without weight decay) equal the "
    "sympy mean loss; flat_part equals |a⊥ᵀWe₂|/‖a‖; predicted_rate equals "
    "η²ε²Ĉ₂₂/(2b′) + ηλ with b′ of the proven finite-population factor",
)
def support_library_numeric() -> tuple[bool, str]:
    """Model loss/gradient/Hessian against the data mean of ℓ (+ (λ/2)‖θ‖²) at 6 seeded points
    (tolerance 1e-12 relative), the numpy twin likewise, flat_part against the formula, and
    predicted_rate / effective_batch_size against KAPPA and b(n − 1)/(n − b)."""
    gen = rng(2406)
    out = []
    X, Yd = sl.support_data()
    pts = [gen.normal(size=6) for _ in range(6)]
    # the data mean of ℓ is ½aᵀWĈWᵀa − aᵀW·E[xy] + ½E[y²] (exact in the sample moments)
    cm = sp.Matrix(2, 2, lambda i, j: sp.Float(float(X[:, i] @ X[:, j] / len(Yd))))
    xy = sp.Matrix([sp.Float(float(X[:, i] @ Yd / len(Yd))) for i in range(2)])
    yy = sp.Float(float(Yd @ Yd / len(Yd)))
    aw = AVEC.T * WMAT
    base = (aw * cm * aw.T)[0, 0] / 2 - (aw * xy)[0, 0] + yy / 2
    for lam in (0.0, 0.01):
        wd = sp.Rational(1, 2) * sp.Float(lam) * sum((p**2 for p in PARAMS), sp.Integer(0))
        for label, model in (
            (f"support_model(wd={lam:g})", sl.support_model(weight_decay=lam)),
            (f"support_model_numpy(wd={lam:g})", sl.support_model_numpy(weight_decay=lam)),
        ):
            out += model_agrees(label, model, base + wd, PARAMS, pts)
    phi = sp.lambdify(PARAMS, sp.Abs((APERP.T * WMAT[:, 1])[0, 0]) / sp.sqrt(NA2))
    out.append(agree("flat_part", lambda p: sl.flat_part(p), lambda p: phi(*p), pts))
    c22 = float(sl.second_moment(X)[1, 1])
    kap = sp.lambdify((ETA, EPS, C22, BP), KAPPA)
    n = len(Yd)
    for samp in ("independent_subsets", "without_replacement", "with_replacement"):
        for b in (1, 5, 25):
            bp = b if samp == "with_replacement" else b * (n - 1) / (n - b)
            for eta in (0.05, 0.1):
                out.append(
                    agree(
                        f"predicted_rate({samp}, b={b}, eta={eta})",
                        lambda _p, e=eta, b=b, s=samp: sl.predicted_rate(e, 0.2, c22, b, n, s),
                        lambda _p, e=eta, bp=bp: kap(e, 0.2, c22, bp),
                        [None],
                        tol=1e-14,
                    )
                )
    out.append(
        agree(
            "predicted_rate(GD + weight decay)",
            lambda _p: sl.predicted_rate(0.1, 0.2, c22, n, n, weight_decay=1e-3),
            lambda _p: 0.1 * 1e-3,
            [None],
            tol=1e-15,
        )
    )
    ok = sl.effective_batch_size(n, n, "independent_subsets") == np.inf
    out.append((ok, "effective_batch_size(n, n, subsets) = inf (GD: kappa = 0)"))
    return combine(out)
