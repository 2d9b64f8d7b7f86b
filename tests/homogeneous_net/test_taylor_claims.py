"""Claims §5.4.1–§5.4.3 of the research brief on Terjék, "Feature Learning Beyond the Edge of
Stability" (arXiv 2502.13110): the generic identities of its Taylor-coefficient analysis.

The paper's formulas for the first three Taylor coefficients of the minibatch loss along the
update, its soft rank and its gradient-scaling rule could not be read (brief §0, §5.1): nothing
here is attributed to the paper. What is checked are identities any such formula must satisfy,
on the brief's §5.3 model (bias-free deep linear net, widths 3 → 4 → 9 → 1, n = 8 Gaussian
samples, random labels, square loss; u = −(g_k/‖g_k‖)_k, a depthwise-normalised gradient, not the
paper's ξ rule). They are derived (basis ``derived``): the identities are exact, and each test
checks its prediction against an exact computation made in the test itself with sympy (exact
rational arithmetic through ``directional_taylor(method="exact")`` on the net's sympy loss) or
against an independent numerical route (least-squares fits of sampled losses, finite
differences); the identities themselves are proved for symbolic nets in
``proofs_check/homogeneous_net.py`` (homog_line_polynomial_degree, homog_taylor_coefficients,
homog_euler_identity, homog_library_numeric).

Measured (θ = init(seed 1), data seed 0): the degree-2L interpolant reproduces φ(η) = L(θ + ηu)
off the nodes to 1.3e-15 / 3.4e-15 / 3.4e-14 relative for L = 2 / 3 / 4; the two extra
coefficients of a degree-(2L + 2) fit are ≤ 3e-14; for L = 3, c₁ = −0.50626604023355 equals
⟨∇L, u⟩ to 8e-15 relative and c₂ = 1.83741150072 equals ½uᵀHu (finite-difference H) to 3e-10;
Euler ⟨θ_k, ∇_{θ_k} f⟩ = f to 3.3e-16 of max|f|. (The brief's §5.3 numbers, c₁ = −1.8376,
c₂ = 7.1895, are for an unstated θ and data, so they are not compared.)
"""

from __future__ import annotations

import numpy as np
import pytest

from toymodels.models import homogeneous_net as hn

TERJEK = "Terjék (arXiv 2502.13110)"
GENERIC = (
    "generic identity (no formula of the paper could be read; none is attributed to it); "
    "proved in proofs_check/homogeneous_net.py; exact sympy check in the test"
)
WIDTHS = {2: (3, 4, 1), 3: (3, 4, 9, 1), 4: (3, 4, 9, 16, 1)}
NODES = np.linspace(-0.9, 1.7, 7)
OFF_GRID = np.array([-0.7, -0.05, 0.55, 1.13, 1.61])


def _setup(depth: int, model: bool = True):
    net = hn.HomogeneousLinearNet(WIDTHS[depth], n=8, seed=0)
    th = net.init(1)
    return net, net.model() if model else None, th, net.depthwise_direction(th)


def _phi(model, th, u, etas):
    return model.loss(th[None, :] + np.asarray(etas)[:, None] * u[None, :])


@pytest.mark.parametrize("depth", [2, 3, 4])
@pytest.mark.claim(
    paper=TERJEK,
    where=f"brief §5.2, §5.4.1 'exact polynomial' (§5.3 model for L = 3); {GENERIC}",
    statement="for the bias-free linear net of depth L along u = −(g_k/‖g_k‖)_k, φ(η) = L(θ + ηu) "
    "is a polynomial of degree 2L: the degree-2L interpolant on 2L + 1 nodes in [−0.9, 1.7] "
    "reproduces φ at 5 other η to 1e-10 relative; a degree-(2L + 2) fit has top coefficients "
    "≤ 1e-9·max|c|; the exact (sympy) expansion has degree exactly 2L",
    basis="derived",
)
def test_exact_polynomial(claim, depth):
    _, m, th, u = _setup(depth)
    deg = 2 * depth
    nodes = np.linspace(NODES[0], NODES[-1], deg + 1)
    fit = np.polynomial.polynomial.polyfit(nodes, _phi(m, th, u, nodes), deg)
    measured = _phi(m, th, u, OFF_GRID)
    predicted = np.polynomial.polynomial.polyval(OFF_GRID, fit)
    claim.check(predicted=predicted, measured=measured, rtol=1e-10, depth=depth)
    over = np.linspace(NODES[0], NODES[-1], 4 * deg)
    fit2 = np.polynomial.polynomial.polyfit(over, _phi(m, th, u, over), deg + 2)
    scale = float(np.abs(fit2).max())
    claim.check(predicted=0.0, measured=np.abs(fit2[deg + 1 :]).tolist(), tol=1e-9 * scale)
    exact = hn.directional_taylor(m, th, u, order=deg + 3, method="exact")
    nonzero = np.flatnonzero(exact)
    claim.check(predicted=deg, measured=int(nonzero.max()), what="exact degree")
    claim.check(predicted=exact[: deg + 1], measured=fit, tol=1e-9 * scale, what="fit vs exact")


@pytest.mark.claim(
    paper=TERJEK,
    where=f"brief §5.2, §5.4.2 'coefficients', §5.3 model; {GENERIC}",
    statement="L = 3 net, widths 3→4→9→1, n = 8: the η¹ coefficient of the fitted φ equals "
    "⟨∇L, u⟩ and the η² coefficient ½uᵀHu with H by finite differences, to 1e-8 relative; the "
    "harness's numeric c₀..c₃ (L, ∇L·u, ½uᵀ∇²Lu, ∇³L[u,u]·u/6) equal the exact sympy "
    "coefficients to 1e-12 relative",
    basis="derived",
)
def test_coefficients(claim):
    net, m, th, u = _setup(3)
    fit = np.polynomial.polynomial.polyfit(NODES, _phi(m, th, u, NODES), 6)
    g = net.grad(th)
    h = 1e-5
    Hu = (net.grad(th + h * u) - net.grad(th - h * u)) / (2 * h)  # finite-difference H u
    claim.check(predicted=float(g @ u), measured=float(fit[1]), rtol=1e-8, what="c1 = <grad, u>")
    claim.check(predicted=0.5 * float(u @ Hu), measured=float(fit[2]), rtol=1e-8, what="c2 = uHu/2")
    exact = hn.directional_taylor(m, th, u, order=3, method="exact")
    numeric = hn.directional_taylor(m, th, u, order=3, method="numeric")
    claim.check(
        predicted=exact, measured=numeric, tol=1e-12 * float(np.abs(exact).max()), what="c0..c3"
    )


@pytest.mark.parametrize("depth", [2, 3, 4])
@pytest.mark.claim(
    paper=TERJEK,
    where=f"brief §5.4.3 'homogeneity' (Euler's identity for a layer-wise linear f); {GENERIC}",
    statement="for the bias-free linear net of depth L, ⟨θ_k, ∇_{θ_k} f(x_i)⟩ = f(x_i) for every "
    "layer k and sample i, to 1e-12 relative to max|f|; summed over layers, ⟨θ, ∇f⟩ = L·f and "
    "⟨θ, ∇L⟩ = L·mean_i r_i f(x_i)",
    basis="derived",
)
def test_euler_homogeneity(claim, depth):
    net, _, th, _ = _setup(depth, model=False)
    f = net.output(th)
    J = net.output_grad(th)
    tol = 1e-12 * float(np.abs(f).max())
    per_layer = np.array([J[:, s] @ th[s] for s in net.layer_slices])  # (L, n)
    claim.check(predicted=np.tile(f, (depth, 1)), measured=per_layer, tol=tol, depth=depth)
    claim.check(predicted=depth * f, measured=J @ th, tol=depth * tol, what="sum over layers")
    r = f - net.y
    claim.check(
        predicted=depth * float(np.mean(r * f)),
        measured=float(net.grad(th) @ th),
        tol=1e-12 * float(np.abs(r * f).max()) * depth,
        what="<theta, grad L>",
    )


@pytest.mark.claim(
    paper=TERJEK,
    where="abstract (v2): soft rank of the last layer, the depthwise gradient-scaling rule ξ",
    statement=(
        "with the paper's ξ rule and the quadratic width pattern r = 2, training runs beyond "
        "2/η without loss explosions and with a higher last-layer soft rank"
    ),
    basis="paper",
)
def test_soft_rank_and_xi_rule_blocked(claim):
    pytest.skip(
        "BLOCKED: the soft-rank definition, the ξ rule and the width exponents are in the "
        "unread body of arXiv 2502.13110 (brief §0, §5.1); the harness above is ready for them"
    )
