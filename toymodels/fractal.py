"""Box-counting dimension of the boundary between the True and False cells of a 2-D grid.

* :func:`boundary_cells` – the cells of a boolean grid that have a 4-neighbour of the other value.
* :func:`box_counting_dimension` – count the s × s boxes (s in cells) that contain a boundary cell,
  N(s), and fit log N = D · log(1/ε) + c by least squares over a stated range of box sizes ε.
  Returns a :class:`BoxCountingResult` (the dimension D, the standard error of the slope, the fit
  range, every count and the residuals).

The estimator. The grid is cut into boxes of s × s cells (partial at the grid's border);
N(s) is the number of boxes holding at least one boundary cell, averaged over ``offsets``²
placements of the box grid (its edges at k·s − o along each axis, o = ⌊i·s/offsets⌋,
i = 0 … offsets − 1): a single grid anchored at cell (0, 0) lets the count of a curve jump by up
to a factor 2 from one s to the next, depending on whether the curve straddles a box edge, and
the average over shifts smooths this out. With the cell sizes h₀, h₁ of ``extent`` the box size
is ε = s·√(h₀h₁) (ε = s cells without an ``extent``); the slope does not depend on the unit.
D is the least-squares slope of log N(s) against log(1/ε) over the box sizes in ``fit_range``,
and ``stderr`` its usual standard error σ̂ / √(Σ (x − x̄)²), σ̂² = Σ r² / (k − 2) over the k
fitted sizes.

Bias (measured; read before trusting a digit).

* Small boxes: the boundary cells form a band on *both* sides of the true curve, about two cells
  wide, so a box of s cells sees a curve thickened by t ≈ 1–2 cells: N(s) ≈ (ℓ/s)(1 + t/s) for a
  smooth curve of length ℓ, a local slope ≈ 1 + t/(s + t), too large at s = 1, 2. The default
  fit starts at s = 4 cells.
* Large boxes: the count of a curve is ≈ ℓ/s + c with c > 0 (its ends at the grid's border, the
  partial boxes, the curvature of a closed curve), which flattens log N; for a set of dimension
  near 2 the count saturates at the number of boxes in the grid, ≈ (n₀/s)(n₁/s). The default fit
  stops at s = min(n₀, n₁)/8 (≥ 8 boxes across the grid).
* The two biases have opposite signs. Measured with the defaults (fit from 4 cells to n/8,
  offsets 4): 27 half-planes on a 1024² grid (9 angles in [0, 1.5] rad, 3 offsets) give
  0.977 … 1.035; discs of radius 0.4·n give 1.048, 1.042, 1.032, 1.025 at n = 256, 512, 1024,
  2048 (drift ≤ 0.01 per doubling); the Koch snowflake (level 6, 1024²) 1.272 against
  log 4 / log 3 = 1.2619; the Sierpiński carpet (level 6, 729²) 1.859 against
  log 8 / log 3 = 1.8928. So |D − D_true| ≤ 0.05 on these planted sets; the tests
  (``tests/core/test_fractal.py``) hold the estimator to that bound.
* A raster cannot resolve structure finer than a cell: a boundary that is fractal below the cell
  size looks like a smooth curve there (slope → 1) or, if the structure is sampled as isolated
  speckles, like a set of dimension 2 (every box holds a speckle). The measured number is a
  property of the grid *and* of the range fitted; that is why the range is part of the result.
* ``stderr`` is the scatter of log N about the fitted line. It is not an error bar for the
  bias above, and the counts at neighbouring scales are correlated (nested boxes), so it
  understates the uncertainty; compare fits over different ranges (``local_dimensions``).

References
----------
K. Falconer, *Fractal Geometry: Mathematical Foundations and Applications*, 3rd ed., Wiley
(2014), ch. 3 (box-counting dimension, counted on a grid of δ-mesh squares) and ch. 9
(self-similar sets under the open set condition: box dimension s with Σ c_i^s = 1, which gives
log 4 / log 3 for the von Koch curve, 4 maps of ratio 1/3, and log 8 / log 3 for the
Sierpiński carpet, 8 maps of ratio 1/3).
J. Sohl-Dickstein, "The boundary of neural network trainability is fractal", arXiv 2402.06184
(2024): box counting of the trainability boundary (the median of local slopes per image).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import positive_int

__all__ = ["BoxCountingResult", "boundary_cells", "box_counting_dimension"]

#: box grids per axis whose counts are averaged (``offsets``)
DEFAULT_OFFSETS = 4
#: fewest box sizes a fit accepts (a slope and its standard error need k − 2 ≥ 1)
MIN_FIT_SCALES = 3
#: default fit range: from this many cells …
DEFAULT_FIT_MIN_CELLS = 4
#: … up to min(n₀, n₁) / this
DEFAULT_FIT_MAX_FRACTION = 8


@dataclass(frozen=True)
class BoxCountingResult:
    """A box-counting dimension with its fit.

    Attributes
    ----------
    dimension : D, the least-squares slope of log N(ε) against log(1/ε) over the fit range.
    stderr : the standard error of that slope (regression scatter only; module docstring).
    intercept : c in log N = D log(1/ε) + c.
    fit_range : (ε_min, ε_max), the smallest and largest box sizes fitted (``extent`` units, or
        cells without an ``extent``).
    fit_cells : the same range in cells (s_min, s_max).
    sizes : every box size ε counted, increasing; ``cells`` the same in cells.
    counts : N(ε) for every size (boxes holding a boundary cell).
    fitted : bool mask over ``sizes``: which sizes entered the fit.
    residuals : log N − (D log(1/ε) + c) at the fitted sizes.
    n_boundary : number of boundary cells.
    shape : the grid shape (n₀, n₁).
    """

    dimension: float
    stderr: float
    intercept: float
    fit_range: tuple[float, float]
    fit_cells: tuple[int, int]
    sizes: np.ndarray = field(repr=False)
    cells: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    fitted: np.ndarray = field(repr=False)
    residuals: np.ndarray = field(repr=False)
    n_boundary: int = 0
    shape: tuple[int, int] = (0, 0)

    @property
    def local_dimensions(self) -> np.ndarray:
        """Slopes between consecutive sizes, −Δlog N / Δlog ε (length len(sizes) − 1)."""
        return -np.diff(np.log(self.counts)) / np.diff(np.log(self.sizes))

    def __str__(self) -> str:
        lo, hi = self.fit_range
        return (
            f"D = {self.dimension:.3f} ± {self.stderr:.3f} (box sizes {lo:.3g} … {hi:.3g}, "
            f"{int(self.fitted.sum())} sizes, grid {self.shape[0]} × {self.shape[1]})"
        )


def _check_mask(mask: Any) -> np.ndarray:
    if isinstance(mask, (str, bytes)) or mask is None:
        raise TypeError(f"mask must be a 2-D boolean array, got {mask!r}")
    arr = np.asarray(mask)
    if arr.dtype.kind != "b":
        raise TypeError(
            f"mask must be a 2-D boolean array (e.g. outcome == 'diverged'), got dtype {arr.dtype}"
        )
    if arr.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"mask is empty (shape {arr.shape}): there is nothing to count")
    return arr


def boundary_cells(mask: Any) -> np.ndarray:
    """Cells of a 2-D boolean grid with a 4-neighbour (up, down, left, right) of the other value.

    Both sides of an interface are marked: a True cell next to a False cell and that False cell.
    Returns a bool array of the shape of ``mask``. Raises TypeError / ValueError naming ``mask``
    when it is not a non-empty 2-D boolean array.
    """
    m = _check_mask(mask)
    b = np.zeros(m.shape, dtype=bool)
    d0 = m[1:, :] != m[:-1, :]
    d1 = m[:, 1:] != m[:, :-1]
    b[1:, :] |= d0
    b[:-1, :] |= d0
    b[:, 1:] |= d1
    b[:, :-1] |= d1
    return b


def _starts(n: int, s: int, o: int) -> np.ndarray:
    """First cells of the boxes of s cells along an axis of n cells, box edges at k·s − o."""
    first = s - o if o > 0 else s
    return np.concatenate([[0], np.arange(first, n, s)]).astype(np.intp)


def _box_count(b: np.ndarray, s: int, offsets: int) -> float:
    """Mean over the offsets² box grids of the number of s × s boxes holding a True cell.

    Grid (o₀, o₁) has its box edges at k·s − o along each axis, o ∈ {⌊i·s/offsets⌋}; boxes cut
    by the grid's border are partial.
    """
    n0, n1 = b.shape
    shifts = sorted({(i * s) // offsets for i in range(offsets)})
    bi = b.astype(np.int32)
    total = 0
    for o0 in shifts:
        rows = np.add.reduceat(bi, _starts(n0, s, o0), axis=0)
        for o1 in shifts:
            total += int(np.count_nonzero(np.add.reduceat(rows, _starts(n1, s, o1), axis=1)))
    return total / len(shifts) ** 2


def _check_extent(extent: Any, shape: tuple[int, int]) -> float:
    """√(h₀h₁), the geometric mean cell size of ``extent`` = (lo0, hi0, lo1, hi1)."""
    if extent is None:
        return 1.0
    if isinstance(extent, (str, bytes)):
        raise TypeError(f"extent must be 4 numbers (lo0, hi0, lo1, hi1), got {extent!r}")
    try:
        e = np.asarray(extent, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"extent must be 4 numbers (lo0, hi0, lo1, hi1), got {extent!r}") from exc
    if e.shape != (4,):
        raise ValueError(f"extent must be 4 numbers (lo0, hi0, lo1, hi1), got shape {e.shape}")
    if np.asarray(extent).dtype.kind == "b" or not np.all(np.isfinite(e)):
        raise ValueError(f"extent must be 4 finite numbers, got {extent!r}")
    if not (e[1] > e[0] and e[3] > e[2]):
        raise ValueError(
            f"extent must satisfy hi0 > lo0 and hi1 > lo1 (lo0, hi0, lo1, hi1), got {extent!r}"
        )
    h0 = (e[1] - e[0]) / shape[0]
    h1 = (e[3] - e[2]) / shape[1]
    h = math.sqrt(h0 * h1)
    if not h > 0:
        raise ValueError(f"extent gives a zero cell size (underflow), got {extent!r}")
    return h


def _check_scales(scales: Any, shape: tuple[int, int]) -> np.ndarray:
    n = min(shape)
    if scales is None:
        out = 2 ** np.arange(n.bit_length())
        return out.astype(np.int64)
    if isinstance(scales, (str, bytes)):
        raise TypeError(f"scales must be box sizes in cells (integers >= 1), got {scales!r}")
    arr = np.asarray(scales)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"scales must be a non-empty 1-D sequence of box sizes, got {scales!r}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"scales must be integers (box sizes in cells), got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if np.any(arr < 1) or np.any(np.diff(arr) <= 0):
        raise ValueError(f"scales must be strictly increasing integers >= 1, got {scales!r}")
    if arr[-1] > n:
        raise ValueError(f"scales: box size {int(arr[-1])} cells exceeds the smaller grid side {n}")
    return arr


def _check_fit_range(fit_range: Any, shape: tuple[int, int]) -> tuple[float, float]:
    if fit_range is None:
        return float(DEFAULT_FIT_MIN_CELLS), min(shape) / DEFAULT_FIT_MAX_FRACTION
    if isinstance(fit_range, (str, bytes)) or not isinstance(fit_range, Sequence):
        raise TypeError(f"fit_range must be (s_min, s_max) in cells, got {fit_range!r}")
    if len(fit_range) != 2:
        raise ValueError(f"fit_range must be (s_min, s_max) in cells, got {fit_range!r}")
    lo, hi = fit_range
    for v in (lo, hi):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"fit_range must hold two numbers (cells), got {fit_range!r}")
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"fit_range must satisfy 0 < s_min <= s_max (cells), got {fit_range!r}")
    return lo, hi


def box_counting_dimension(
    mask: Any,
    extent: Any = None,
    scales: Any = None,
    *,
    fit_range: Sequence[float] | None = None,
    offsets: int = DEFAULT_OFFSETS,
) -> BoxCountingResult:
    """Box-counting dimension of the boundary between the True and False cells of ``mask``.

    Parameters
    ----------
    mask : 2-D boolean array (n₀, n₁), e.g. ``phase_map == "diverged"``.
    extent : None, or (lo0, hi0, lo1, hi1): the ranges covered by axis 0 and axis 1 of ``mask``
        (in this order; not matplotlib's imshow order). Only sets the unit of the box sizes
        ε = s·√(h₀h₁), h_k = (hi_k − lo_k)/n_k; without it ε is in cells.
    scales : box sizes s in cells, strictly increasing integers in [1, min(n₀, n₁)]; default
        1, 2, 4, …, the largest power of two ≤ min(n₀, n₁).
    fit_range : (s_min, s_max) in cells, inclusive: the sizes fitted. Default
        (4, min(n₀, n₁)/8) (module docstring: the small-box and large-box biases).
    offsets : k ≥ 1: N(s) is the mean count over k × k box grids shifted by ⌊i·s/k⌋ cells,
        i = 0 … k − 1, along each axis (k = 1: one grid anchored at cell (0, 0)). Default 4.

    Returns
    -------
    BoxCountingResult with the dimension, its standard error, the fit range, every count and
    the residuals of the fit.

    Raises
    ------
    TypeError / ValueError naming ``mask`` (not a 2-D boolean array; empty; no boundary – every
    cell True or every cell False), ``extent``, ``scales`` or ``fit_range`` (fewer than 3 box
    sizes inside it: "too few scales").

    Examples
    --------
    >>> i, j = np.mgrid[:512, :512]
    >>> r = box_counting_dimension((i - 255.5) ** 2 + (j - 255.5) ** 2 < 200.0**2)
    >>> abs(r.dimension - 1.0) < 0.05  # a circle; D = 1.031 (the bias: module docstring)
    True
    """
    m = _check_mask(mask)
    shape = (int(m.shape[0]), int(m.shape[1]))
    h = _check_extent(extent, shape)
    s_all = _check_scales(scales, shape)
    lo, hi = _check_fit_range(fit_range, shape)
    k_off = positive_int(offsets, "offsets")
    b = boundary_cells(m)
    n_b = int(b.sum())
    if n_b == 0:
        value = "True" if bool(m.flat[0]) else "False"
        raise ValueError(
            f"mask has no boundary: every one of its {m.size} cells is {value}, so there is "
            "nothing between True and False cells to count"
        )
    fitted = (s_all >= lo) & (s_all <= hi)
    k = int(fitted.sum())
    if k < MIN_FIT_SCALES:
        raise ValueError(
            f"too few scales: {k} box size(s) in fit_range ({lo:g}, {hi:g}) cells out of "
            f"{s_all.tolist()}, need at least {MIN_FIT_SCALES} (a larger grid, more scales or a "
            "wider fit_range)"
        )
    counts = np.array([_box_count(b, int(s), k_off) for s in s_all], dtype=np.float64)
    sizes = s_all * h
    x = -np.log(sizes[fitted])
    y = np.log(counts[fitted])
    xm = x.mean()
    sxx = float(np.sum((x - xm) ** 2))
    slope = float(np.sum((x - xm) * (y - y.mean())) / sxx)
    intercept = float(y.mean() - slope * xm)
    resid = y - (slope * x + intercept)
    stderr = math.sqrt(float(np.sum(resid**2)) / (k - 2) / sxx)
    sel = s_all[fitted]
    return BoxCountingResult(
        dimension=slope,
        stderr=stderr,
        intercept=intercept,
        fit_range=(float(sel[0] * h), float(sel[-1] * h)),
        fit_cells=(int(sel[0]), int(sel[-1])),
        sizes=sizes,
        cells=s_all,
        counts=counts,
        fitted=fitted,
        residuals=resid,
        n_boundary=n_b,
        shape=shape,
    )
