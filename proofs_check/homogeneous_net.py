"""Exact checks for the Taylor harness and the homogeneous deep linear net (Terjék).

Terjék, "Feature Learning Beyond the Edge of Stability" (arXiv 2502.13110). Only the abstract
could be read (research brief sgd_and_features.md §0, §5): nothing below is a formula of the
paper. The checks prove the generic identities that the claims of
``tests/homogeneous_net/test_taylor_claims.py`` (basis ``derived``) rest on (brief §5.2–§5.4):

- the bias-free linear net f(θ; x) = w_Lᵀ W_{L−1} ⋯ W₁ x with the square loss
  L(θ) = ½ mean_i (f(θ; x_i) − y_i)²: along any direction u, φ(η) = L(θ + ηu) is a polynomial
  of degree at most 2L in η whose η^{2L} coefficient is ½ mean_i f(u; x_i)², a nonzero polynomial
  in (u, x), so the degree is exactly 2L off a proper algebraic set;
- its coefficients c₀ = L, c₁ = ∇L·u, c₂ = ½uᵀ∇²L u, c₃ = ∇³L[u, u]·u/6, where
  ∇³L[u, u]_i = Σ_jk ∂_ijk L u_j u_k is also 2·[η²]∂_iL(θ + ηu) (the library's definition);
- Euler's identity ⟨θ_k, ∇_{θ_k} f⟩ = f for every layer k, hence ⟨θ, ∇f⟩ = L·f and
  ⟨θ, ∇L⟩ = L·mean_i r_i f(x_i), r_i = f(x_i) − y_i.

The symbolic nets have widths (2, 2, 1), (2, 2, 2, 1), (2, 2, 2, 2, 1) (L = 2, 3, 4) and n = 2
samples, with θ, u, the inputs x_i and the labels y_i all symbols: every identity is an equality
of polynomials in Q[η, θ, u, x, y] (sympy's sparse polynomial ring, exact rational arithmetic).
:func:`homog_library_numeric` compares the library's
:class:`~toymodels.models.homogeneous_net.HomogeneousLinearNet` (its sympy loss, numpy loss,
gradient, Hessian, ∇³L[u, u], output gradient, ``line_coefficients``) and
:func:`~toymodels.models.homogeneous_net.directional_taylor` (exact and numeric paths) with the
same construction evaluated exactly at the net's own data and at θ = init(1),
u = depthwise_direction(θ), the floats taken as their exact binary rationals.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from toymodels.models.homogeneous_net import HomogeneousLinearNet, directional_taylor

from ._exact import fmt
from ._numeric import agree, combine
from .registry import proof

TERJEK = "Terjék (arXiv 2502.13110)"
#: widths of the fully symbolic nets, by depth L
SYM_WIDTHS = {2: (2, 2, 1), 3: (2, 2, 2, 1), 4: (2, 2, 2, 2, 1)}
#: samples of the symbolic nets
N_SYM = 2
QQ = sp.QQ

Mat = list[list[Any]]  # a matrix of ring elements, as rows


@dataclass(frozen=True)
class _Net:
    """The net over a polynomial ring: layers W (θ), directions U (u), inputs X, labels Y."""

    ring: Any
    eta: Any
    W: list[Mat]
    U: list[Mat]
    X: list[list[Any]]
    Y: list[Any]
    c: Any = None

    @property
    def depth(self) -> int:
        return len(self.W)

    def output(self, mats: list[Mat], x: list[Any]) -> Any:
        """f(x) = M_L ⋯ M₁ x (a scalar: M_L has one row)."""
        h = list(x)
        for M in mats:
            h = [sum((a * b for a, b in zip(row, h, strict=True)), self.ring(0)) for row in M]
        return h[0]

    def loss(self, mats: list[Mat], labels: list[Any] | None = None) -> Any:
        """½ mean_i (f(x_i) − y_i)² with the layers ``mats``."""
        ys = self.Y if labels is None else labels
        tot = self.ring(0)
        for x, y in zip(self.X, ys, strict=True):
            tot += (self.output(mats, x) - y) ** 2
        return tot * QQ(1, 2 * len(self.X))

    def moved(self) -> list[Mat]:
        """The layers of θ + ηu."""
        eta = self.eta
        return [
            [
                [w + eta * v for w, v in zip(rw, rv, strict=True)]
                for rw, rv in zip(MW, MU, strict=True)
            ]
            for MW, MU in zip(self.W, self.U, strict=True)
        ]


def _flat(mats: list[Mat]) -> list[Any]:
    """Row-major stacking W₁, …, W_L (the library's parameter order)."""
    return [e for M in mats for row in M for e in row]


def _layers(values: list[Any], widths: tuple[int, ...]) -> list[Mat]:
    """Flat parameters (row-major W₁, …, W_L) as the list of layer matrices."""
    mats, start = [], 0
    for k in range(len(widths) - 1):
        rows, cols = widths[k + 1], widths[k]
        mats.append([[values[start + i * cols + j] for j in range(cols)] for i in range(rows)])
        start += rows * cols
    return mats


def _line_net(
    widths: tuple[int, ...], theta: list[Any], u: list[Any], X: list[list[Any]], Y: list[Any]
) -> _Net:
    """The net over Q[η] with rational θ, u, data: ``loss(moved())`` is φ(η) at that point."""
    ring, eta = sp.ring("eta", QQ)
    return _Net(
        ring=ring,
        eta=eta,
        W=_layers([ring(v) for v in theta], widths),
        U=_layers([ring(v) for v in u], widths),
        X=[[ring(v) for v in x] for x in X],
        Y=[ring(v) for v in Y],
    )


def _names(widths: tuple[int, ...], tag: str) -> list[list[list[str]]]:
    return [
        [[f"{tag}{k + 1}_{i}_{j}" for j in range(widths[k])] for i in range(widths[k + 1])]
        for k in range(len(widths) - 1)
    ]


def _symbolic_net(widths: tuple[int, ...], n: int = N_SYM) -> _Net:
    """Q[η, θ, u, x, y, c]: every weight, direction, input and label a generator (c: a spare
    generator, the scale factor of the homogeneity check)."""
    wn, un = _names(widths, "W"), _names(widths, "U")
    xn = [[f"x{s}_{a}" for a in range(widths[0])] for s in range(n)]
    yn = [f"y{s}" for s in range(n)]
    flat = ["eta", *_flat(wn), *_flat(un), *(s for r in xn for s in r), *yn, "c"]
    ring, *gens = sp.ring(",".join(flat), QQ)
    g = dict(zip(flat, gens, strict=True))

    def mats(names: list[list[list[str]]]) -> list[Mat]:
        return [[[g[s] for s in row] for row in M] for M in names]

    return _Net(
        ring=ring,
        eta=g["eta"],
        W=mats(wn),
        U=mats(un),
        X=[[g[s] for s in r] for r in xn],
        Y=[g[s] for s in yn],
        c=g["c"],
    )


def _coeffs(phi: Any, eta: Any, upto: int) -> list[Any]:
    """[η^k]φ for k = 0..upto, as ring elements free of η."""
    return [phi.coeff_wrt(eta, k) for k in range(upto + 1)]


def _q(x: float) -> Any:
    """A float as its exact binary rational in QQ."""
    fr = Fraction(float(x))
    return QQ(fr.numerator, fr.denominator)


@proof(
    paper=TERJEK,
    where="brief §5.2, §5.4.1 'exact polynomial' (generic identity; no formula of the paper) "
    "[derived]",
    statement="bias-free linear net of depth L, square loss: φ(η) = L(θ + ηu) is a polynomial "
    "of degree exactly 2L in η for generic θ, u, data: f(θ + ηu; x) has degree L with top "
    "coefficient f(u; x), and [η^{2L}]φ = ½ mean_i f(u; x_i)², a nonzero polynomial "
    "(L = 2, 3, 4, all symbolic)",
)
def homog_line_polynomial_degree() -> tuple[bool, str]:
    """Widths (2,2,1), (2,2,2,1), (2,2,2,2,1), n = 2, θ, u, x, y symbols in Q[η, θ, u, x, y]:
    deg_η f(θ + ηu; x_i) = L with [η^L] = f(u; x_i); deg_η φ = 2L with
    [η^{2L}]φ − ½ mean_i f(u; x_i)² = 0 and [η^{2L}]φ ≠ 0; at one rational point
    (θ, u, x, y entries k/7) deg_η φ = 2L."""
    out = []
    gen = np.random.default_rng(20250213)
    for depth, widths in SYM_WIDTHS.items():
        net = _symbolic_net(widths)
        moved = net.moved()
        f_deg, f_top = True, True
        for x in net.X:
            fx = net.output(moved, x)
            f_deg &= fx.degree(net.eta) == depth
            f_top &= fx.coeff_wrt(net.eta, depth) == net.output(net.U, x)
        phi = net.loss(moved)
        deg = phi.degree(net.eta)
        lead = phi.coeff_wrt(net.eta, 2 * depth)
        want = net.loss(net.U, labels=[net.ring(0)] * len(net.X))
        lead_ok = lead - want == 0
        # one rational point: θ, u, x, y entries k/7, k a nonzero integer in [-9, 9]
        p, d0 = len(_flat(net.W)), widths[0]
        vals = [
            QQ(int(k) if k else 1, 7) for k in gen.integers(-9, 10, size=2 * p + N_SYM * d0 + N_SYM)
        ]
        xs = [vals[2 * p + s * d0 : 2 * p + (s + 1) * d0] for s in range(N_SYM)]
        line = _line_net(widths, vals[:p], vals[p : 2 * p], xs, vals[-N_SYM:])
        deg_at = line.loss(line.moved()).degree()
        ok = f_deg and f_top and deg == 2 * depth and lead_ok and lead != 0 and deg_at == 2 * depth
        out.append(
            (
                ok,
                f"L={depth} {widths}: deg f(theta+eta u) = L, top coeff f(u): {f_deg and f_top}; "
                f"deg phi = {deg}; [eta^{2 * depth}]phi = (1/2) mean f(u;x)^2: {lead_ok} "
                f"({len(lead.terms())} terms, nonzero); at a rational point deg = {deg_at}",
            )
        )
    return combine(out)


def _third_tensor_contraction(L: Any, theta: list[Any], u: list[Any]) -> tuple[Any, list[Any]]:
    """(Σ_ij u_i u_j ∂_ij L, [Σ_jk ∂_ijk L u_j u_k]_i) from the derivative tensors (symmetry used
    only to skip repeated differentiations: ∂_ijk L is computed once per sorted (i, j, k))."""
    p = len(theta)
    grad = [L.diff(t) for t in theta]
    hess = {(i, j): grad[i].diff(theta[j]) for i in range(p) for j in range(i, p)}
    quad = sum((u[i] * u[j] * hess[min(i, j), max(i, j)] for i in range(p) for j in range(p)), 0)
    third = {
        (i, j, k): hess[i, j].diff(theta[k])
        for i, j, k in itertools.combinations_with_replacement(range(p), 3)
    }
    vec = [
        sum((third[tuple(sorted((i, j, k)))] * u[j] * u[k] for j in range(p) for k in range(p)), 0)
        for i in range(p)
    ]
    return quad, vec


@proof(
    paper=TERJEK,
    where="brief §5.2, §5.4.2 'coefficients' (Taylor's theorem for the polynomial φ; no formula "
    "of the paper) [derived]",
    statement="for the linear net (L = 2, 3, all symbolic) the coefficients of φ(η) = L(θ + ηu) "
    "are c₀ = L(θ), c₁ = ∇L·u, c₂ = ½uᵀ∇²L u, c₃ = ∇³L[u, u]·u/6 with "
    "∇³L[u, u]_i = Σ_jk ∂_ijk L u_j u_k = 2[η²]∂_iL(θ + ηu), exact polynomial identities",
)
def homog_taylor_coefficients() -> tuple[bool, str]:
    """Widths (2,2,1), (2,2,2,1), n = 2, in Q[η, θ, u, x, y]: c₀ − L = 0, c₁ − Σ_i u_i∂_iL = 0,
    c₂ − ½Σ_ij u_iu_j∂_ijL = 0, c₃ − ⅙Σ_i u_i T_i = 0 with T_i = Σ_jk ∂_ijkL u_ju_k from the full
    third-derivative tensor, and T_i − 2[η²](∂_iL)(θ + ηu) = 0 for every i."""
    out = []
    for depth in (2, 3):
        widths = SYM_WIDTHS[depth]
        net = _symbolic_net(widths)
        theta, u = _flat(net.W), _flat(net.U)
        loss = net.loss(net.W)
        c = _coeffs(net.loss(net.moved()), net.eta, 3)
        grad = [loss.diff(t) for t in theta]
        quad, tvec = _third_tensor_contraction(loss, theta, u)
        res = [
            c[0] - loss,
            c[1] - sum((g * v for g, v in zip(grad, u, strict=True)), 0),
            c[2] - quad * QQ(1, 2),
            c[3] - sum((t * v for t, v in zip(tvec, u, strict=True)), 0) * QQ(1, 6),
        ]
        shift = [(t, t + net.eta * v) for t, v in zip(theta, u, strict=True)]
        lib_def = [
            t - 2 * g.compose(shift).coeff_wrt(net.eta, 2) for t, g in zip(tvec, grad, strict=True)
        ]
        bad = [k for k, r in enumerate(res) if r != 0]
        bad_t = [i for i, r in enumerate(lib_def) if r != 0]
        out.append(
            (
                not bad and not bad_t,
                f"L={depth} {widths} (p = {len(theta)}): c0..c3 residuals zero except {bad}; "
                f"third[u,u] = 2[eta^2] grad L(theta + eta u) except at {bad_t}",
            )
        )
    return combine(out)


@proof(
    paper=TERJEK,
    where="brief §5.4.3 'homogeneity' (Euler's identity for a layer-wise linear f; no formula "
    "of the paper) [derived]",
    statement="for the bias-free linear net (L = 2, 3, 4, all symbolic), ⟨θ_k, ∇_{θ_k} f(x)⟩ = "
    "f(x) for every layer k (f is homogeneous of degree 1 in each layer); hence ⟨θ, ∇f⟩ = L·f "
    "and ⟨θ, ∇L⟩ = L·mean_i r_i f(x_i)",
)
def homog_euler_identity() -> tuple[bool, str]:
    """Widths (2,2,1), (2,2,2,1), (2,2,2,2,1), n = 2, in Q[θ, x, y]: for every layer k and sample
    i, Σ_{a,b} W_k[a,b] ∂f_i/∂W_k[a,b] − f_i = 0; Σ_j θ_j ∂_j f_i − L f_i = 0;
    Σ_j θ_j ∂_j L − L·mean_i (f_i − y_i) f_i = 0; f(…, cW_k, …) − c f = 0 (c a symbol)."""
    out = []
    for depth, widths in SYM_WIDTHS.items():
        net = _symbolic_net(widths)
        fs = [net.output(net.W, x) for x in net.X]
        bad = []
        for k, M in enumerate(net.W):
            layer = [e for row in M for e in row]
            for i, f in enumerate(fs):
                if sum((w * f.diff(w) for w in layer), 0) - f != 0:
                    bad.append((k + 1, i))
        theta = _flat(net.W)
        total = [sum((t * f.diff(t) for t in theta), 0) - depth * f for f in fs]
        loss = net.loss(net.W)
        mean_rf = sum(((f - y) * f for f, y in zip(fs, net.Y, strict=True)), 0) * QQ(1, len(fs))
        res_loss = sum((t * loss.diff(t) for t in theta), 0) - depth * mean_rf
        # degree-1 homogeneity in each layer directly: scale layer k by the generator c
        bad_scale = []
        for k in range(depth):
            scaled = [
                [[net.c * e for e in row] for row in M] if m == k else M
                for m, M in enumerate(net.W)
            ]
            for i, (x, f) in enumerate(zip(net.X, fs, strict=True)):
                if net.output(scaled, x) - net.c * f != 0:
                    bad_scale.append((k + 1, i))
        ok = not bad and all(r == 0 for r in total) and res_loss == 0 and not bad_scale
        out.append(
            (
                ok,
                f"L={depth} {widths}: per-layer Euler failures {bad}; <theta, grad f> = L f: "
                f"{all(r == 0 for r in total)}; <theta, grad L> = L mean r f: residual "
                f"{fmt(res_loss.as_expr())}; f(c W_k) = c f failures {bad_scale}",
            )
        )
    return combine(out)


# ----------------------------------------------------------------------------------------------
# the library against the exact construction
# ----------------------------------------------------------------------------------------------

#: (widths, n) of the library nets compared; (3, 4, 9, 1), n = 8 is the claims' L = 3 net
LIB_NETS = (((3, 4, 1), 3), ((2, 3, 2, 1), 3), ((3, 4, 9, 1), 8))
#: nets small enough for the exact Hessian and third-derivative comparison
FULL_DERIVATIVES = 20


def _shifted_net(net: HomogeneousLinearNet, syms: list[sp.Symbol], origin: list[Any]) -> _Net:
    """The net over Q[δ] (δ the given symbols) with weights origin + δ and the library's data as
    exact rationals: its loss is δ ↦ L(origin + δ) (origin = 0 gives L itself)."""
    ring, *delta = sp.ring(syms, QQ)
    mats = _layers([o + d for o, d in zip(origin, delta, strict=True)], net.widths)
    return _Net(
        ring=ring,
        eta=None,
        W=mats,
        U=mats,
        X=[[ring(_q(v)) for v in row] for row in net.X],
        Y=[ring(_q(v)) for v in net.y],
    )


def _at0(poly: Any) -> float:
    """The constant term of a polynomial (its value at δ = 0), as a float."""
    return float(poly.coeff(1))


def _match(label: str, got: Any, want: Any) -> tuple[bool, str]:
    """:func:`agree` at the single point of the comparison (relative error <= 1e-12)."""
    got_a, want_a = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return agree(label, lambda _p: got_a, lambda _p: want_a, [np.zeros(1)])


@proof(
    paper=TERJEK,
    where="brief §5.3 model; library twins against the proven expressions",
    statement="HomogeneousLinearNet's sympy loss equals the proven construction exactly; at "
    "θ = init(1), u = depthwise_direction(θ) (exact binary rationals) its line_coefficients and "
    "directional_taylor (exact and numeric paths) equal the exact expansion of L(θ + ηu), and "
    "its loss, gradient, Hessian, ∇³L[u, u] and output gradient equal the exact values",
)
def homog_library_numeric() -> tuple[bool, str]:
    """For widths (3,4,1), (2,3,2,1) (n = 3) and (3,4,9,1) (n = 8, the claims' L = 3 net), data
    seed 0, θ = init(1), u = depthwise_direction(θ): the exact coefficients of φ(η) in Q[η]
    (data, θ, u as exact binary rationals) against directional_taylor(exact, order 2L + 2;
    zeros above 2L), line_coefficients and directional_taylor(numeric, order 3); deg φ = 2L;
    net.sympy_expr() − construction = 0 in Q[θ] (data as exact rationals); for the two small
    nets (p ≤ 20) also loss, grad, Hessian, third(θ, u), output, output_grad against the exact
    derivatives of δ ↦ L(θ + δ) at δ = 0. Relative error ≤ 1e-12 throughout."""
    out = []
    for widths, n in LIB_NETS:
        net = HomogeneousLinearNet(widths, n=n, seed=0)
        depth, tag, p = net.depth, f"{widths}", net.n_params
        theta = net.init(1)
        u = net.depthwise_direction(theta)
        th_q, u_q = [_q(v) for v in theta], [_q(v) for v in u]
        # φ(η) = L(θ + ηu) exactly, in Q[η]
        line = _line_net(
            net.widths, th_q, u_q, [[_q(v) for v in x] for x in net.X], [_q(v) for v in net.y]
        )
        phi = line.loss(line.moved())
        phi_f = np.array([float(phi.coeff_wrt(line.eta, k).LC) for k in range(2 * depth + 3)])
        exact_deg = phi.degree()
        model = net.model()
        out += [
            _match(
                f"{tag} directional_taylor exact",
                directional_taylor(model, theta, u, order=2 * depth + 2, method="exact"),
                phi_f,
            ),
            _match(
                f"{tag} line_coefficients", net.line_coefficients(theta, u), phi_f[: 2 * depth + 1]
            ),
            _match(
                f"{tag} directional_taylor numeric c0..c3",
                directional_taylor(model, theta, u, order=3, method="numeric"),
                phi_f[:4],
            ),
        ]
        out.append((exact_deg == 2 * depth, f"{tag} exact degree {exact_deg} = 2L"))
        expr, syms = net.sympy_expr()
        sym_net = _shifted_net(net, syms, [QQ(0)] * p)
        same = sym_net.ring.from_expr(expr) - sym_net.loss(sym_net.W) == 0
        out.append((same, f"{tag} sympy_expr = construction: {same}"))
        if p > FULL_DERIVATIVES:
            continue
        # derivatives at θ: those of δ ↦ L(θ + δ) at δ = 0
        shifted = _shifted_net(net, syms, th_q)
        delta = shifted.ring.gens
        loss = shifted.loss(shifted.W)
        grad = [loss.diff(d) for d in delta]
        hess = [[grad[i].diff(delta[j]) for j in range(p)] for i in range(p)]
        want_third = [
            float(
                sum(
                    (
                        hess[i][j].diff(delta[k]).coeff(1) * u_q[j] * u_q[k]
                        for j in range(p)
                        for k in range(p)
                    ),
                    QQ(0),
                )
            )
            for i in range(p)
        ]
        fs = [shifted.output(shifted.W, x) for x in shifted.X]
        out += [
            _match(f"{tag} loss", net.loss(theta), _at0(loss)),
            _match(f"{tag} grad", net.grad(theta), [_at0(g) for g in grad]),
            _match(f"{tag} Hessian", net.hessian(theta), [[_at0(h) for h in r] for r in hess]),
            _match(f"{tag} third[u,u]", net.third(theta, u), want_third),
            _match(f"{tag} output", net.output(theta), [_at0(f) for f in fs]),
            _match(
                f"{tag} output_grad",
                net.output_grad(theta),
                [[_at0(f.diff(d)) for d in delta] for f in fs],
            ),
        ]
    return combine(out)
