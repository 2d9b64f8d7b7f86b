"""Box-counting dimension (toymodels.fractal), the trainability net and the zoom rule of the
trainability_fractal figure.

Planted sets with exact dimensions (Falconer, Fractal Geometry, 3rd ed., ch. 9: a self-similar
set of m maps of ratio r under the open set condition has box dimension log m / log(1/r)):
the von Koch curve (the snowflake's boundary), log 4 / log 3, and the Sierpiński carpet,
log 8 / log 3; a line and a circle, 1. Tolerance: 0.05, the estimator's bias bound stated in the
``toymodels.fractal`` docstring (measured there on these sets; the regression ``stderr`` alone
does not cover the small-box / large-box bias, see that docstring).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from toymodels.fractal import BoxCountingResult, boundary_cells, box_counting_dimension

#: the documented bias bound of the default estimator on smooth and self-similar planted sets
BIAS = 0.05
KOCH = math.log(4) / math.log(3)
CARPET = math.log(8) / math.log(3)


# --------------------------------------------------------------------------- planted sets
def _centres(n: int) -> np.ndarray:
    return (np.arange(n) + 0.5) / n


def half_plane(n: int, angle: float, offset: float) -> np.ndarray:
    """Cells on one side of the line through (offset, 0.5) at ``angle`` (unit square)."""
    x = _centres(n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    return (X - offset) * math.cos(angle) + (Y - 0.5) * math.sin(angle) > 0


def disc(n: int, radius: float = 0.4, centre: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    x = _centres(n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    return (X - centre[0]) ** 2 + (Y - centre[1]) ** 2 < radius**2


def koch_snowflake_vertices(level: int) -> np.ndarray:
    """Closed polygon (first vertex repeated) of the Koch snowflake after ``level`` steps."""
    s3 = math.sqrt(3.0)
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, -s3 / 2], [0.0, 0.0]])  # clockwise
    rot = np.array([[0.5, -s3 / 2], [s3 / 2, 0.5]])  # +60°: the bump points outwards
    for _ in range(level):
        a, b = pts[:-1], pts[1:]
        d = (b - a) / 3
        p1, p2 = a + d, a + 2 * d
        peak = p1 + d @ rot.T
        pts = np.concatenate([np.stack([a, p1, peak, p2], axis=1).reshape(-1, 2), pts[-1:]], axis=0)
    return pts


def fill_polygon(vertices: np.ndarray, n: int) -> np.ndarray:
    """Even–odd scanline fill of a closed polygon on an n × n grid of its bounding square
    (5 % margin): cell (i, j) is inside iff its centre is (x along axis 0, y along axis 1)."""
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    span = float((hi - lo).max()) * 1.05
    origin = (lo + hi) / 2 - span / 2
    h = span / n
    v = (vertices - origin) / h - 0.5  # cell-centre units: centre k sits at k
    x1, y1, x2, y2 = v[:-1, 0], v[:-1, 1], v[1:, 0], v[1:, 1]
    ylo, yhi = np.minimum(y1, y2), np.maximum(y1, y2)
    first = np.ceil(ylo).astype(np.int64)
    last = np.ceil(yhi).astype(np.int64)  # columns first … last − 1 have ylo ≤ k < yhi
    reps = np.maximum(last - first, 0)
    edge = np.repeat(np.arange(len(x1)), reps)
    k = np.concatenate([np.arange(f, f + r) for f, r in zip(first, reps, strict=True)])
    t = (k - y1[edge]) / (y2[edge] - y1[edge])
    xc = x1[edge] + t * (x2[edge] - x1[edge])
    col = np.clip(np.ceil(xc).astype(np.int64), 0, n)  # first cell centre right of the crossing
    acc = np.zeros((n, n + 1), dtype=np.int64)  # acc[y, x]
    np.add.at(acc, (k, col), 1)
    return (np.cumsum(acc, axis=1)[:, :n] % 2 == 1).T


def sierpinski_carpet(level: int) -> np.ndarray:
    m = np.ones((1, 1), dtype=bool)
    for _ in range(level):
        z = np.zeros_like(m)
        m = np.block([[m, m, m], [m, z, m], [m, m, m]])
    return m


# --------------------------------------------------------------------------- boundary and counts
def test_boundary_cells_marks_both_sides_of_an_interface() -> None:
    m = np.zeros((4, 5), dtype=bool)
    m[1:3, 1:3] = True
    b = boundary_cells(m)
    # a 2 × 2 block: every block cell has an outside 4-neighbour; outside cells adjacent to it
    expected = np.zeros((4, 5), dtype=bool)
    expected[1:3, 1:3] = True
    expected[0, 1:3] = expected[3, 1:3] = True
    expected[1:3, 0] = expected[1:3, 3] = True
    assert np.array_equal(b, expected)
    assert not b[0, 0]  # diagonal neighbours do not count


def _brute_counts(b: np.ndarray, s: int, offsets: int) -> float:
    """Independent count: loop over the boxes [k·s − o, (k+1)·s − o) of every shifted grid."""
    n0, n1 = b.shape
    shifts = sorted({(i * s) // offsets for i in range(offsets)})
    total = 0
    for o0 in shifts:
        for o1 in shifts:
            for k0 in range(-1, n0 // s + 2):
                for k1 in range(-1, n1 // s + 2):
                    r0, r1 = max(k0 * s - o0, 0), min((k0 + 1) * s - o0, n0)
                    c0, c1 = max(k1 * s - o1, 0), min((k1 + 1) * s - o1, n1)
                    if r0 < r1 and c0 < c1 and b[r0:r1, c0:c1].any():
                        total += 1
    return total / len(shifts) ** 2


@pytest.mark.parametrize("offsets", [1, 2, 3, 4])
def test_counts_equal_a_brute_force_loop(offsets: int) -> None:
    rng = np.random.default_rng(3)
    field = rng.standard_normal((37, 53))
    # a smooth random field thresholded: blobs with irregular boundaries
    for _ in range(3):
        field = (field + np.roll(field, 1, 0) + np.roll(field, 1, 1)) / 3
    mask = field > 0.1
    r = box_counting_dimension(mask, scales=[1, 2, 3, 5, 8, 13], fit_range=(1, 13), offsets=offsets)
    b = boundary_cells(mask)
    want = [_brute_counts(b, s, offsets) for s in (1, 2, 3, 5, 8, 13)]
    np.testing.assert_array_equal(r.counts, want)
    assert r.counts[0] == b.sum() == r.n_boundary


def test_fit_is_the_least_squares_line_and_extent_only_changes_the_unit() -> None:
    m = disc(256)
    r = box_counting_dimension(m)
    x = -np.log(r.sizes[r.fitted])
    y = np.log(r.counts[r.fitted])
    slope, intercept = np.polyfit(x, y, 1)
    assert r.dimension == pytest.approx(slope, rel=1e-12)
    assert r.intercept == pytest.approx(intercept, rel=1e-12)
    np.testing.assert_allclose(r.residuals, y - (slope * x + intercept), atol=1e-12)
    k = int(r.fitted.sum())
    se = math.sqrt(np.sum(r.residuals**2) / (k - 2) / np.sum((x - x.mean()) ** 2))
    assert r.stderr == pytest.approx(se, rel=1e-12)
    assert r.fit_cells == (4, 32)  # default (4, n/8)
    # an extent of 2 × 8 over 256 × 256 cells: h = √(2/256 · 8/256) = 1/64 per cell
    r2 = box_counting_dimension(m, extent=(-1.0, 1.0, 3.0, 11.0))
    assert r2.dimension == pytest.approx(r.dimension, rel=1e-12)
    assert r2.fit_range == pytest.approx((4 / 64, 32 / 64), rel=1e-12)
    np.testing.assert_array_equal(r2.counts, r.counts)
    assert isinstance(r, BoxCountingResult) and "D = " in str(r)
    assert r.local_dimensions.shape == (len(r.sizes) - 1,)


# --------------------------------------------------------------------------- planted dimensions
@pytest.mark.parametrize("angle", [0.0, 0.1, 0.3, math.pi / 4, 1.2, 1.5])
@pytest.mark.parametrize("offset", [0.5003, 0.37])
def test_straight_boundary_has_dimension_one(angle: float, offset: float) -> None:
    r = box_counting_dimension(half_plane(1024, angle, offset))
    assert abs(r.dimension - 1.0) <= BIAS, r


def test_disc_boundary_has_dimension_one() -> None:
    r = box_counting_dimension(disc(1024, 0.4, (0.5123, 0.4871)))
    assert abs(r.dimension - 1.0) <= BIAS, r


def test_smooth_curve_does_not_drift_with_resolution() -> None:
    # the same disc at 256 … 2048 cells: the fit covers 4 cells … n/8 at each resolution; the
    # bias shrinks slowly (≈ 1.048 → 1.025) but stays inside the bound, no trend beyond 0.03
    dims = [box_counting_dimension(disc(n)).dimension for n in (256, 512, 1024, 2048)]
    assert all(abs(d - 1.0) <= BIAS for d in dims), dims
    assert max(dims) - min(dims) <= 0.03, dims


def test_koch_snowflake_boundary_has_dimension_log4_over_log3() -> None:
    # level 6: the shortest segment is 3⁻⁶ of the side ≈ 1.3 cells, finer than the fitted boxes
    mask = fill_polygon(koch_snowflake_vertices(6), 1024)
    assert 0.3 < mask.mean() < 0.7
    r = box_counting_dimension(mask)
    assert abs(r.dimension - KOCH) <= BIAS, r
    assert r.dimension - 1.0 > 0.2  # a fractal, not a curve: the test can tell them apart


def test_sierpinski_carpet_has_dimension_log8_over_log3() -> None:
    # the boundary cells of all holes: their closure is the carpet (box dimension log 8/log 3)
    r = box_counting_dimension(sierpinski_carpet(6))
    assert abs(r.dimension - CARPET) <= BIAS, r
    # box sizes aligned with the construction (powers of 3, one grid) give it more closely
    r3 = box_counting_dimension(
        sierpinski_carpet(6), scales=3 ** np.arange(7), fit_range=(3, 81), offsets=1
    )
    assert abs(r3.dimension - CARPET) <= BIAS, r3


# --------------------------------------------------------------------------- errors
def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="empty"):
        box_counting_dimension(np.zeros((0, 5), dtype=bool))
    with pytest.raises(ValueError, match=r"no boundary.*True"):
        box_counting_dimension(np.ones((64, 64), dtype=bool))
    with pytest.raises(ValueError, match=r"no boundary.*False"):
        box_counting_dimension(np.zeros((64, 64), dtype=bool))
    with pytest.raises(ValueError, match="2-D"):
        box_counting_dimension(np.zeros((4, 4, 4), dtype=bool))
    with pytest.raises(TypeError, match="boolean"):
        box_counting_dimension(np.zeros((64, 64)))
    with pytest.raises(ValueError, match="too few scales"):
        box_counting_dimension(disc(32))  # default range (4, 4): one size
    with pytest.raises(ValueError, match="too few scales"):
        box_counting_dimension(disc(256), fit_range=(4, 8))
    with pytest.raises(ValueError, match="extent"):
        box_counting_dimension(disc(64), extent=(1.0, 0.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="extent"):
        box_counting_dimension(disc(64), extent=(0.0, 1.0))
    with pytest.raises(ValueError, match="scales"):
        box_counting_dimension(disc(64), scales=[1, 4, 2])
    with pytest.raises(ValueError, match="scales"):
        box_counting_dimension(disc(64), scales=[1, 2, 128])
    with pytest.raises(TypeError, match="scales"):
        box_counting_dimension(disc(64), scales=[1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match="fit_range"):
        box_counting_dimension(disc(64), fit_range=(8, 4))
    with pytest.raises(TypeError, match="fit_range"):
        box_counting_dimension(disc(64), fit_range=(True, 4))
    with pytest.raises((TypeError, ValueError), match="offsets"):
        box_counting_dimension(disc(64), offsets=0)
    with pytest.raises(TypeError, match="mask"):
        boundary_cells("mask")


# --------------------------------------------------------------------------- the network
def test_trainability_net_is_the_paper_network() -> None:
    from toymodels.models.trainability_net import trainability_net

    net = trainability_net(width=2, n_samples=2, seed=0)
    assert net.model.n_params == 6 and net.d == 2
    assert net.layer.tolist() == [0, 0, 0, 0, 1, 1]
    # the draws: W (d, n), v (n,), X (m, d), Y (m,) from default_rng(0), in this order
    rng = np.random.default_rng(0)
    W, v = rng.standard_normal((2, 2)), rng.standard_normal(2)
    X, Y = rng.standard_normal((2, 2)), rng.standard_normal(2)
    np.testing.assert_array_equal(net.theta0, np.concatenate([W.ravel(), v]))
    np.testing.assert_array_equal(net.X, X)

    def loss(theta: np.ndarray) -> float:  # independent forward pass (module docstring)
        Wt, vt = theta[:4].reshape(2, 2), theta[4:]
        h = np.tanh(math.sqrt(2) * (X @ Wt) / math.sqrt(2))
        return float(np.mean(((h @ vt) / 2 - Y) ** 2))

    thetas = np.random.default_rng(1).standard_normal((5, 6))
    for th in thetas:
        assert net.model.loss(th) == pytest.approx(loss(th), rel=1e-13, abs=1e-15)
        eps = 1e-6
        fd = [(loss(th + eps * e) - loss(th - eps * e)) / (2 * eps) for e in np.eye(6)]
        np.testing.assert_allclose(net.model.grad(th), fd, rtol=1e-6, atol=1e-8)
    eta = net.step_sizes([0.1, 0.2], [3.0, 4.0, 5.0])
    assert eta.shape == (6, 6)
    np.testing.assert_array_equal(eta[4], [0.2] * 4 + [4.0] * 2)  # row a·3 + b: η₁ on W, η₂ on v

    lin = trainability_net(width=3, d=1, n_samples=1, seed=2, nonlinearity="identity")
    assert lin.model.n_params == 6 and lin.layer.tolist() == [0, 0, 0, 1, 1, 1]


def test_trainability_net_validates() -> None:
    from toymodels.models.trainability_net import trainability_net

    with pytest.raises(ValueError, match="width"):
        trainability_net(width=5)  # 5·5 + 5 = 30 > 24 parameters
    with pytest.raises(ValueError, match="nonlinearity"):
        trainability_net(nonlinearity="relu")
    with pytest.raises(ValueError, match="n_samples"):
        trainability_net(n_samples=0)
    with pytest.raises(TypeError, match="seed"):
        trainability_net(seed=1.5)


# --------------------------------------------------------------------------- the figure's rule
def test_zoom_rule_follows_the_densest_boundary() -> None:
    from paper_figs.trainability_fractal import next_centre

    n = 100
    g = np.linspace(0.0, 1.0, n)
    mask = np.zeros((n, n), dtype=bool)
    mask[:, :50] = True  # a straight boundary through the middle
    i, j = np.mgrid[60:80, 10:30]
    mask[60:80, 10:30] = (i + j) % 2 == 0  # a checkerboard patch: the densest boundary
    c = next_centre(mask, g, g, zoom=10)
    assert 60 <= np.searchsorted(g, c[0]) < 80 and 10 <= np.searchsorted(g, c[1]) < 30
    assert next_centre(mask, g, g, zoom=10) == c  # deterministic
    with pytest.raises(ValueError, match="no trainability boundary"):
        next_centre(np.ones((n, n), dtype=bool), g, g)


def test_quick_sweep_has_a_boundary_at_the_first_zoom() -> None:
    """The quick mode's network, steps and rule on a 48 × 48 grid: the full view and the first
    zoom both hold trainable and diverged cells. numpy backend: the same outcomes as the compiled
    kernel (toymodels.trainability), without its one-off compile (~7 s cold)."""
    from paper_figs import trainability_fractal as tf

    s = tf.settings(quick=True)
    net = tf.make_net(quick=True)
    n = 48
    g1, g2 = tf.view_axes(tf.CENTRE0, tf.HALF_WIDTH0, n)
    r0 = tf.sweep(net, g1, g2, s["steps"], backend="numpy")
    assert r0["trainable"].any() and not r0["trainable"].all()
    c = tf.next_centre(r0["trainable"], g1, g2, s["zoom"])
    i, j = int(np.argmin(abs(g1 - c[0]))), int(np.argmin(abs(g2 - c[1])))
    assert boundary_cells(r0["trainable"])[i, j]  # the new centre is a boundary cell
    g1, g2 = tf.view_axes(c, tf.HALF_WIDTH0 / s["zoom"], n)
    r1 = tf.sweep(net, g1, g2, s["steps"], backend="numpy")
    t = r1["trainable"]
    assert t.any() and not t.all(), "the first zoom lost the boundary"
    assert np.all(r1["diverged_at"][~t] >= 0) and np.all(r1["diverged_at"][t] == -1)
    assert np.all(np.isfinite(r1["loss"][t]))
