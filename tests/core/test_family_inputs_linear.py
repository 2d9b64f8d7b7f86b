"""Issue 10 regressions for the linear families (deep_linear, diagonal_linear, scalar_net,
two_layer_linear): pure evaluations at non-finite or huge θ answer NaN/inf without a
RuntimeWarning, booleans are no numbers, overflow is refused naming the parameter, and the
inputs judged valid (zero / unsorted singular values, non-symmetric targets) give right answers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from toymodels.models import deep_linear as dl
from toymodels.models import diagonal_linear as dg
from toymodels.models import scalar_net as sn
from toymodels.models import two_layer_linear as tl

BAD_THETA = ("nan", "inf", "-inf", "huge", "-huge", "mixed")


def _theta(kind: str, p: int) -> np.ndarray:
    if kind == "mixed":
        th = np.full((3, p), 0.1)
        th[0, -1] = -np.inf
        th[1, 0] = np.nan
        th[2, :] = 1e200
        return th
    value = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "huge": 1e200, "-huge": -1e200}[kind]
    th = np.full(p, 0.1)
    th[-1] = value
    return np.full(p, value) if kind in ("nan", "inf", "huge", "-huge") else th


def _quiet_call(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


M_DL, U_DL = dl.symmetric_target([2.0, 1.0], seed=0)
DL = dl.DeepLinear(M_DL, 2)
X_DG, Y_DG, _ = dg.sparse_regression(3, 5, 2, seed=0)
DG = dg.DiagonalLinear(X_DG, Y_DG)
SN = sn.ScalarNet(3)
WN = tl.WideLinearNet(3)
D2 = tl.Depth2Linear(2)

PURE = [
    *[(f"DeepLinear.{m}", getattr(DL, m), 8, ()) for m in ("product", "singular_values")],
    *[
        (f"DeepLinear.{m}", getattr(DL, m), 8, (U_DL,))
        for m in ("rotated_layers", "off_diagonal", "direction_weights", "balance_gaps")
    ],
    *[
        (f"DiagonalLinear.{m}", getattr(DG, m), 10, ())
        for m in ("beta", "effective_alpha2", "beta_gradient")
    ],
    ("DiagonalLinear.batch_grad", DG.batch_grad, 10, (np.array([0, 2]),)),
    *[
        (f"ScalarNet.{m}", getattr(SN, m), 3, ())
        for m in (
            "residual",
            "balances",
            "minimum_sharpness",
            "gf_shift",
            "gf_solution",
            "gfs_sharpness",
        )
    ],
    *[(f"WideLinearNet.{m}", getattr(WN, m), 6, ()) for m in ("f", "ntk")],
    *[
        (f"Depth2Linear.{m}", getattr(D2, m), 4, ())
        for m in ("residual", "imbalance", "norm", "K", "gfs_sharpness")
    ],
]


@pytest.mark.parametrize("kind", BAD_THETA)
@pytest.mark.parametrize(("name", "fn", "p", "extra"), PURE, ids=[c[0] for c in PURE])
def test_pure_evaluation_nonfinite_theta_is_quiet(name, fn, p, extra, kind):
    """Divergence is data: NaN/inf/huge θ gives a (possibly NaN/inf) answer, never a warning."""
    out = _quiet_call(fn, _theta(kind, p), *extra)
    assert np.asarray(out).dtype.kind == "f"


def test_singular_values_nan_per_batch_member():
    """A non-finite product gets NaN singular values (no LinAlgError); finite members exact."""
    good = DL.svs_init([2.0, 0.5])
    th = np.stack([good, np.full(8, np.nan), np.full(8, np.inf), np.full(8, 1e200), good])
    sv = _quiet_call(DL.singular_values, th)
    assert sv.shape == (5, 2)
    assert np.all(np.isnan(sv[1:4]))
    np.testing.assert_array_equal(sv[0], DL.singular_values(good))
    np.testing.assert_array_equal(sv[4], sv[0])
    assert np.all(np.isnan(_quiet_call(DL.singular_values, np.full(8, np.nan))))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda v: dg.hypentropy_interpolator(X_DG, Y_DG, v), "alpha2"),
        (lambda v: DG.interpolator_sharpness(np.zeros(5), v), "alpha2"),
        (lambda v: DL.svs_init(v), "scales"),
    ],
    ids=["hypentropy_interpolator", "interpolator_sharpness", "svs_init"],
)
@pytest.mark.parametrize("value", [True, np.bool_(False), [True, False]], ids=repr)
def test_booleans_are_not_numbers(call, name, value):
    with pytest.raises(TypeError, match=rf"^{name} must .*boolean"):
        call(value)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: dl.balanced_minimum_spectrum([1e300, 1.0], 3), "s"),
        (lambda: dl.balanced_minimum_spectrum([1e300, 0.0], 3), "s"),
        (lambda: DG.closed_form(np.full((2, 5), 1e200)), "gammas_g"),
        (lambda: DG.interpolator_sharpness(np.full(5, 1e200), 0.01), "beta"),
        (lambda: dg.hypentropy_interpolator(X_DG, Y_DG, 1e-300), "alpha2"),
        (lambda: sn.ScalarNet(3, 1e200), "y"),
        (lambda: tl.Depth2Linear(2, -1e200), "Phi"),
        (lambda: tl.WideLinearNet(3, 1e200), "y"),
    ],
    ids=[
        "spectrum-overflow",
        "spectrum-inf-times-zero",
        "closed_form-overflow",
        "interpolator_sharpness-overflow",
        "hypentropy-no-interpolator",
        "ScalarNet-y",
        "Depth2Linear-Phi",
        "WideLinearNet-y",
    ],
)
def test_overflow_is_refused_naming_the_parameter(call, name):
    """Before: inf/NaN (or a silently dropped eigenvalue), an OverflowError, or a β with
    Xβ ≠ y; now a ValueError naming the parameter, and no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"^{name} "):
            call()


def test_symmetric_target_overflow_is_refused():
    """At s = float max, U diag(s) Uᵀ overflows by rounding for some seeds: refused naming s
    (was inf entries and a RuntimeWarning), otherwise finite."""
    big = np.finfo(float).max
    refused = 0
    for seed in range(10):
        try:
            M, _ = _quiet_call(dl.symmetric_target, [big] * 4, seed)
        except ValueError as exc:
            assert str(exc).startswith("s is too large")
            refused += 1
        else:
            assert np.all(np.isfinite(M))
    assert refused > 0


def test_hypentropy_interpolator_still_interpolates_for_small_alpha2():
    for a2 in (1e-2, 1e-6, 1e-10):
        beta = _quiet_call(dg.hypentropy_interpolator, X_DG, Y_DG, a2)
        assert np.max(np.abs(X_DG @ beta - Y_DG)) < 1e-12


# ---------------------------------------------------------------- judged valid (deep linear)
@pytest.mark.parametrize("s", [[0.0, 1.0], [2.0, 0.0, 1.0], [1.0, 3.0, 2.0]])
def test_symmetric_target_zero_and_unsorted_singular_values(s):
    """M* = U diag(s) Uᵀ is right for zeros (a low-rank target) and any order."""
    M, U = dl.symmetric_target(s, seed=3)
    np.testing.assert_allclose(M, M.T, atol=1e-15)
    np.testing.assert_allclose(M @ U, U * np.array(s), atol=1e-14)


@pytest.mark.parametrize("s", [[0.0, 1.0], [2.0, 0.0, 1.0], [1.0, 3.0, 2.0]])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_balanced_minimum_spectrum_zero_and_unsorted(s, depth):
    """The formula equals the exact Hessian spectrum at W_l = U diag(s^{1/L}) Uᵀ, also with a
    zero singular value (all W_l vanish in that direction) and unsorted s."""
    M, U = dl.symmetric_target(s, seed=1)
    net = dl.DeepLinear(M, depth)
    w = np.array(s) ** (1 / depth)
    th = net.flatten(np.stack([(U * w) @ U.T] * depth))
    ev = np.linalg.eigvalsh(net.model.hessian(th))
    nonzero = np.sort(ev[np.abs(ev) > 1e-9])[::-1]
    np.testing.assert_allclose(nonzero, dl.balanced_minimum_spectrum(s, depth), atol=1e-9)


def test_deep_linear_non_symmetric_target():
    """Deep matrix factorisation of any square target: the numpy twins equal the sympy loss."""
    M = np.array([[1.0, 2.0], [3.0, 4.0]])
    net = dl.DeepLinear(M, 2)
    sym = net.symbolic()
    th = np.random.default_rng(0).standard_normal(8)
    np.testing.assert_allclose(net.model.loss(th), sym.loss(th), rtol=1e-13)
    np.testing.assert_allclose(net.model.grad(th), sym.grad(th), atol=1e-13)
    np.testing.assert_allclose(net.model.hessian(th), sym.hessian(th), atol=1e-13)
