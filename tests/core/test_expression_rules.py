"""Issue 10: one expression rule for ``Model.from_sympy`` and ``Map.from_sympy`` (checked at
construction, see :mod:`toymodels.expressions`), exact result shapes for ``Model.from_numpy``,
and no leaked RuntimeWarning from the model twins and the Hessian spectra.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import toymodels as tm


def raises_naming(fn, *names: str, exc=(ValueError, TypeError)) -> str:
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    assert any(n in msg for n in names), f"message {msg!r} names none of {names}"
    return msg


# (expression over x, y; the function the message must name)
UNUSABLE = [
    ("lowergamma(x, y)", "lowergamma"),
    ("uppergamma(x, y)", "uppergamma"),
    ("polylog(2, x)*y", "polylog"),
    ("hyper([1, 2], [3], x*y)", "hyper"),
    ("Sum(x**k*y, (k, 0, 3))", "Sum"),
    ("LambertW(x*y)", "LambertW"),
    ("elliptic_k(x)*y", "elliptic_k"),
    ("expint(1, x)*y", "expint"),
    ("li(x)*y", "li"),
    ("lerchphi(x, 2, y)", "lerchphi"),
]


# ----------------------------------------------------------------------------- item 3a
@pytest.mark.parametrize(("expr", "head"), UNUSABLE)
def test_model_refuses_what_fails_on_first_use(expr, head):
    msg = raises_naming(
        lambda: tm.Model.from_sympy(expr, params=("x", "y")), "expr", exc=ValueError
    )
    assert head in msg


@pytest.mark.parametrize(("expr", "head"), UNUSABLE)
def test_map_refuses_what_fails_on_first_use(expr, head):
    msg = raises_naming(
        lambda: tm.Map.from_sympy([expr, "x + y"], state=["x", "y"]), "exprs", exc=ValueError
    )
    assert head in msg


@pytest.mark.parametrize(
    "expr",
    ["erf(x)*y", "gamma(x)*y", "besselj(0, x)*y", "loggamma(x)*y", "airyai(x)*y", "acosh(x)*y",
     "log(x)*y**2", "sqrt(x) + y**2", "atan2(x, y)", "exp(x)*y", "x**y", "beta(x, y)"],
)  # fmt: skip
def test_usable_special_functions_are_still_accepted(expr):
    """Defined on some probe point (acosh needs x > 1, log x > 0) and compilable: accepted."""
    m = tm.Model.from_sympy(expr, params=("x", "y"))
    theta = np.array([1.7, 0.6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(m.hessian(theta)))
    tm.Map.from_sympy([expr, "x*y"], state=["x", "y"])


def test_undefined_everywhere_probed_is_refused():
    msg = raises_naming(
        lambda: tm.Model.from_sympy("log(x - 50)*y", params=("x", "y")), "expr", exc=ValueError
    )
    assert "probe points" in msg and "not finite" in msg
    raises_naming(lambda: tm.Map.from_sympy("sqrt(-x - 50)", state="x"), "exprs", exc=ValueError)


# ----------------------------------------------------------------------------- item 3b
NONSMOOTH = [
    "Abs(x)*r",
    "sign(x - 0.5)*r",
    "Heaviside(x - 0.5)*r*x",
    "Min(x, 1 - x)*2*r",
    "Max(x, 0.5)*r",
    "Piecewise((r*x, x < 0.5), (r*(1 - x), True))",
    "floor(3*x)*r",
    "ceiling(3*x)*r",
    "arg(x)*r",
    "Mod(x, 1)*r",
    "frac(x)*r",
    "DiracDelta(x)*r",
]


@pytest.mark.parametrize("expr", NONSMOOTH)
def test_map_refuses_nonsmooth_without_the_flag(expr):
    msg = raises_naming(
        lambda: tm.Map.from_sympy(expr, state="x", param="r"), "exprs", exc=ValueError
    )
    assert "differentiable" in msg


@pytest.mark.parametrize("expr", ["arg(x)*y", "Mod(x, 1)*y + y**2", "frac(x)*y + y**2"])
def test_model_refuses_more_nonsmooth_heads(expr):
    msg = raises_naming(lambda: tm.Model.from_sympy(expr, params=("x", "y")), "expr")
    assert "differentiable" in msg


def test_heaviside_map_with_flag_builds_and_runs():
    """A Heaviside map: Jacobian and ∂F/∂p are a.e. derivatives (DiracDelta → 0)."""
    fam = tm.Map.from_sympy(
        "r*x*(1 - x) + Heaviside(x - 0.5)*x/10", state="x", param="r", allow_nonsmooth=True
    )
    F = fam(3.2)
    x = np.array([0.2, 0.7])
    np.testing.assert_allclose(
        F.jacobian(x)[:, 0, 0], 3.2 * (1 - 2 * x) + (x > 0.5) / 10, rtol=1e-14
    )
    np.testing.assert_allclose(fam.dfdp(x[:, None], 3.2)[:, 0], x * (1 - x), rtol=1e-15)
    lam = tm.lyapunov_exponent(F, 0.3, steps=200, burn_in=100)
    assert np.isfinite(lam)


@pytest.mark.parametrize(
    ("expr", "x", "slope"),
    [
        ("Min(x, 1 - x)*2*r", [0.2, 0.7], [2.0, -2.0]),
        ("Piecewise((r*x, x < 0.5), (r*(1 - x), True))", [0.2, 0.7], [1.0, -1.0]),
        ("Abs(x - 0.5)*r", [0.2, 0.7], [-1.0, 1.0]),
    ],
)
def test_nonsmooth_maps_with_flag_use_ae_derivatives(expr, x, slope):
    F = tm.Map.from_sympy(expr, state="x", param="r", value=1.5, allow_nonsmooth=True)
    np.testing.assert_allclose(F.jacobian(x)[:, 0, 0], 1.5 * np.array(slope), rtol=1e-15)


def test_model_with_flag_evaluates_its_derivatives():
    m = tm.Model.from_sympy(
        "Heaviside(x)*x**2 + Max(y, 0)**2 + Abs(x*y)", params=("x", "y"), allow_nonsmooth=True
    )
    theta = np.array([0.3, -0.4])
    # ∂|xy|/∂x = sign(xy)·y = 0.4, ∂|xy|/∂y = sign(xy)·x = -0.3
    np.testing.assert_allclose(m.grad(theta), [0.6 + 0.4, 0.0 - 0.3], rtol=1e-15)
    np.testing.assert_allclose(m.hessian(theta), [[2.0, -1.0], [-1.0, 0.0]], rtol=1e-15)


@pytest.mark.parametrize("flag", ["no", None, 1, "True"])
def test_allow_nonsmooth_must_be_a_bool(flag):
    raises_naming(
        lambda: tm.Model.from_sympy("Abs(x)", params=("x",), allow_nonsmooth=flag),
        "allow_nonsmooth",
        exc=TypeError,
    )
    raises_naming(
        lambda: tm.Map.from_sympy("Abs(x)", state="x", allow_nonsmooth=flag),
        "allow_nonsmooth",
        exc=TypeError,
    )


# ----------------------------------------------------------------------------- item 4: from_numpy
def _quad(p: int):
    def loss(th):
        return 0.5 * np.sum(th**2, axis=-1)

    def grad(th):
        return th.copy()

    def hessian(th):
        return np.broadcast_to(np.eye(p), (*th.shape, p)).copy()

    return loss, grad, hessian


def test_from_numpy_params():
    loss, grad, hessian = _quad(2)
    raises_naming(lambda: tm.Model.from_numpy((), loss, grad, hessian), "params", exc=ValueError)
    raises_naming(lambda: tm.Model.from_numpy([], loss, grad, hessian), "params", exc=ValueError)
    raises_naming(
        lambda: tm.Model.from_numpy(("a", "a"), loss, grad, hessian), "params", exc=ValueError
    )
    for bad in (None, 3, [None, "b"], ["a", 1.5], ["a", "1b"]):
        raises_naming(lambda bad=bad: tm.Model.from_numpy(bad, loss, grad, hessian), "params")


@pytest.mark.parametrize(
    ("which", "bad"),
    [
        ("grad", lambda th: th.sum(axis=-1)),  # (B,), also when B == p
        ("grad", lambda th: 0.0),  # a scalar for a batch
        ("grad", lambda th: th[..., :1]),
        ("hessian", lambda th: np.eye(3)),  # not batched
        ("hessian", lambda th: np.zeros((*th.shape, 2))),
        ("loss", lambda th: th),
        ("loss", lambda th: 1.0),
    ],
)
def test_from_numpy_wrong_shapes_are_refused_at_construction(which, bad):
    fns = dict(zip(("loss", "grad", "hessian"), _quad(3), strict=True))
    fns[which] = bad
    msg = raises_naming(lambda: tm.Model.from_numpy(("a", "b", "c"), **fns), which, exc=ValueError)
    assert "expected" in msg and "shape" in msg


def test_from_numpy_shapes_are_checked_on_every_call():
    """A grad that is right on the probe batch but squeezes a batch of one, or returns (B,)
    when B == p: refused when it happens, naming grad and both shapes."""
    loss, _, hessian = _quad(3)

    def sneaky(th):
        return th.sum(axis=-1) if th.shape[0] == 3 else np.squeeze(th.copy())

    m = tm.Model.from_numpy(("a", "b", "c"), loss, sneaky, hessian)
    msg = raises_naming(lambda: m.grad(np.ones((3, 3))), "grad", exc=ValueError)
    assert "(3,)" in msg and "(3, 3)" in msg
    raises_naming(lambda: m.grad(np.ones(3)), "grad", exc=ValueError)
    raises_naming(lambda: tm.gd(m, np.ones((3, 3)), 0.1, 2), "grad", exc=ValueError)
    raises_naming(lambda: tm.sharpness(m, np.ones(3)) + m.grad(np.ones(3)), "grad")


def test_from_numpy_result_types_and_exceptions():
    loss, grad, hessian = _quad(2)
    raises_naming(
        lambda: tm.Model.from_numpy(("a", "b"), lambda th: loss(th) + 0j, grad, hessian),
        "loss",
        exc=TypeError,
    )

    def broken(th):
        raise KeyError("boom")

    raises_naming(lambda: tm.Model.from_numpy(("a", "b"), loss, broken, hessian), "grad")
    raises_naming(lambda: tm.Model.from_numpy(("a", "b"), loss, grad, "h"), "hessian")
    raises_naming(lambda: tm.Model.from_numpy(("a", "b"), loss, grad, hessian, third=3), "third")
    raises_naming(lambda: tm.Model.from_numpy(("a", "b"), loss, grad, hessian, expr="x"), "expr")
    raises_naming(lambda: tm.Model.from_numpy(("a", "b"), loss, grad, hessian, name=3), "name")
    m = tm.Model.from_numpy(("a", "b"), loss, grad, hessian, third=lambda th, u: np.zeros(2))
    raises_naming(lambda: m.third(np.ones((3, 2)), np.ones((3, 2))), "third", exc=ValueError)


def test_from_numpy_valid_twin_unchanged():
    m = tm.Model.from_numpy(("a", "b"), *_quad(2))
    for shape in [(2,), (1, 2), (4, 2), (2, 3, 2)]:
        th = np.full(shape, 0.5)
        assert m.loss(th).shape == shape[:-1]
        assert m.grad(th).shape == shape
        assert m.hessian(th).shape == (*shape, 2)
        assert m.third(th, th).shape == shape


# ----------------------------------------------------------------------------- item 5: warnings
@pytest.fixture(scope="module")
def m2() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2 + x**4/4", params=("x", "y"))


def test_twins_overflow_silently(m2):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        th = np.array([1e200, 1e200])
        assert m2.loss(th) == np.inf
        assert not np.all(np.isfinite(m2.grad(th)))
        assert not np.all(np.isfinite(m2.hessian(th)))
        assert not np.all(np.isfinite(m2.third(th, th)))
        e = tm.Model.from_sympy("exp(x) + y**2", params=("x", "y"))
        assert e.loss([1000.0, 0.0]) == np.inf


@pytest.mark.parametrize(
    "fn", [tm.sharpness, tm.hessian_eigenvalues, tm.top_eigenvector, tm.sharpness_gradient]
)
def test_spectrum_at_an_overflowing_point(m2, fn):
    """A single finite point with a non-finite Hessian: ValueError naming theta. A batch: NaN for
    that member, the others unchanged. Never a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        msg = raises_naming(lambda: fn(m2, [1e200, 1e200]), "theta", exc=ValueError)
        assert "not finite" in msg
        batch = np.array([[1e200, 1e200], [0.7, 1.2], [np.nan, 1.0]])
        out = fn(m2, batch)
        out = out[0] if isinstance(out, tuple) else out
        ref = fn(m2, batch[1])
        ref = ref[0] if isinstance(ref, tuple) else ref
        assert np.all(np.isnan(out[0])) and np.all(np.isnan(out[2]))
        np.testing.assert_allclose(out[1], ref, rtol=1e-13)


def test_nonfinite_theta_still_gives_nan(m2):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(tm.sharpness(m2, [np.nan, 1.0]))
        assert np.isnan(m2.loss([np.inf, np.nan]))


# ----------------------------------------------------------------------------- item 6: model args
def test_model_hostile_arguments():
    raises_naming(lambda: tm.Model.from_sympy("x**2", params=("x",), name=5), "name")
    raises_naming(lambda: tm.Model.from_sympy("x**2", params=("x",), citation=None), "citation")
    raises_naming(lambda: tm.Model.from_sympy("x**2", params=[None]), "params", exc=TypeError)
    raises_naming(lambda: tm.Model.from_sympy("x**2", params=True), "params", exc=TypeError)
    m = tm.Model.from_sympy("x**2 + y**2", params=("x", "y"))
    for bad in ([True, False], np.array([True, False]), [[0.1], [0.1, 0.2]], [0.1, 1j]):
        raises_naming(lambda bad=bad: m.loss(bad), "theta")
        raises_naming(lambda bad=bad: tm.sharpness(m, bad), "theta")
    raises_naming(lambda: m.third([0.1, 0.2], [True, True]), "u")
    raises_naming(lambda: tm.sharpness(m, math.nan), "theta")
