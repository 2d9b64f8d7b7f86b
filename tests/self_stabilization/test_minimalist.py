"""Claim T12 on Model Z, the minimalist example of Zhu, Wang, Wang, Zhou, Ge (ICLR 2023).

L(x, y) = ¼(x²y² − 1)² from (2.5, 0.1) (research brief self_stabilization.md §1.8, §3.4). On the
minimiser set xy = 1 the sharpness is 2(x² + y²) and gradient flow conserves x² − y², so the
gradient-flow limit has S = 13.105 > 2/η for every η ≥ 0.153: GD must end elsewhere. The paper's
"η-EoS minimum" ((η⁻² − 4)^{1/4}, 1) [SRC-abs excerpt] becomes, in this parametrisation
[derived, proofs_check selfstab_minimalist], the minimiser with x² − y² = √(η⁻² − 4), i.e.
sharpness exactly 2/η. The toy is the brief's reconstruction of the paper's model (its body could
not be read), so the basis is ``reconstruction``; the bands 0.985 and 3% are the brief's (§6 T12,
about 2× the observed 1.1% and 1.7%).

Predictions are computed here (√(η⁻² − 4), the conserved x² − y², the sharpness 2(x² + y²) of
the closed-form Hessian); the measurements are the library's GD and sharpness.
"""

from __future__ import annotations

import numpy as np
import pytest

import toymodels as tm
from toymodels.claims import ClaimDisagreement
from toymodels.models import self_stabilization as ss

ZHU = "Zhu, Wang, Wang, Zhou, Ge (ICLR 2023)"
THETA0 = np.array([2.5, 0.1])
STEPS = 30_000


def sharpness_z(th: np.ndarray) -> np.ndarray:
    """λ_max of the closed-form Hessian of ¼(x²y² − 1)² (written out here)."""
    x, y = np.atleast_2d(th).T
    f = x * x * y * y - 1
    hxx = 2 * x * x * y**4 + f * y * y
    hyy = 2 * x**4 * y * y + f * x * x
    hxy = 2 * x**3 * y**3 + 2 * x * y * f
    h = np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)
    return np.linalg.eigvalsh(h)[:, -1]


def _check_t12(claim, etas: np.ndarray) -> None:
    Z = ss.minimalist_model()
    tr = tm.gd(Z, THETA0, etas, STEPS, record_every=0)
    assert not np.any(tr.diverged)
    end = tr.final
    s_end = sharpness_z(end)
    np.testing.assert_allclose(tm.sharpness(Z, end), s_end, rtol=1e-12)
    for i, eta in enumerate(etas):
        x, y = end[i]
        ratio = s_end[i] * eta / 2
        # converges at, and just below, the edge: S_T ≤ 2/η (a minimum with S > 2/η repels GD)
        claim.check(predicted=1.0, measured=ratio, relation="<=", eta=eta, what="S·η/2 ≤ 1")
        claim.check(predicted=0.985, measured=ratio, relation=">=", eta=eta, what="S·η/2 band")
        # the η-EoS minimum: x² − y² = √(η⁻² − 4)
        claim.check(
            predicted=np.sqrt(eta**-2 - 4), measured=x * x - y * y, rtol=0.03, eta=eta, what="x²−y²"
        )
        claim.check(predicted=1e-20, measured=float(tr.loss[-1, i]), relation="<=", eta=eta)


@pytest.mark.claim(
    paper=ZHU,
    where="minimalist example, η-EoS minimum ((η⁻² − 4)^{1/4}, 1) [SRC-abs]; brief §1.8, "
    "§3.4, claim T12; proofs_check selfstab_minimalist",
    statement="Model Z from (2.5, 0.1), η ∈ {0.17, 0.2, 0.25, 0.3}, 30000 steps: final "
    "S·η/2 ∈ [0.985, 1]; x² − y² = √(η⁻² − 4) within 3%; final loss ≤ 1e-20; the gradient-flow "
    "limit has S = 13.105 > 2/η",
    basis="reconstruction",
)
def test_t12_eos_at_convergence(claim):
    etas = np.array([0.17, 0.2, 0.25, 0.3])
    _check_t12(claim, etas)
    # gradient flow conserves c = x² − y² = 6.24; its limit on xy = 1 has x² = (c + √(c² + 4))/2
    c = THETA0[0] ** 2 - THETA0[1] ** 2
    x2 = (c + np.sqrt(c * c + 4)) / 2
    s_gf = 2 * (x2 + 1 / x2)
    gf = tm.gradient_flow(ss.minimalist_model(), THETA0, 200.0, n_points=2)
    # LSODA at rtol 1e-10 from a point where ‖∇L‖ ~ 1: the limit to ≈ 1e-8
    claim.check(
        predicted=s_gf, measured=float(tm.sharpness(ss.minimalist_model(), gf.final)), rtol=1e-7
    )
    claim.check(predicted=2 / etas.min(), measured=s_gf, relation=">=", what="S_GF > 2/η")


@pytest.mark.slow
@pytest.mark.claim(
    paper=ZHU,
    where="minimalist example, η-EoS minimum [SRC-abs]; brief §4 F7 grid, claim T12",
    statement="Model Z from (2.5, 0.1), 16 step sizes η ∈ [0.16, 0.31], 30000 steps: final "
    "S·η/2 ∈ [0.985, 1]; x² − y² = √(η⁻² − 4) within 3%; final loss ≤ 1e-20",
    basis="reconstruction",
)
def test_t12_eta_grid(claim):
    _check_t12(claim, np.linspace(0.16, 0.31, 16))


@pytest.mark.claim(
    paper=ZHU,
    where="minimalist example, η-EoS minimum [SRC-abs]; brief §4 F7 (grid up to η = 0.35), "
    "claim T12",
    statement="Model Z from (2.5, 0.1), η = 0.32, 30000 steps: final S·η/2 ∈ [0.985, 1] and "
    "x² − y² = √(η⁻² − 4) within 3%",
    basis="reconstruction",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted beyond regime: at η = 0.32 GD still converges (loss 8e-31) but to "
    "S·η/2 = 0.918 and (x² − y²)/√(η⁻² − 4) = 0.857; at η = 0.33 it diverges. The brief's F7 "
    "range [0.15, 0.35] overreaches; the claim holds on [0.16, 0.31]",
)
def test_t12_refuted_at_large_eta(claim):
    _check_t12(claim, np.array([0.32]))
