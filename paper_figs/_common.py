"""Helpers shared by the figure modules: style, saving, inner progress bars, NaN masking.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot, no global state), so a
figure module never changes the user's backend; ``python -m paper_figs`` additionally selects Agg.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure as MplFigure

T = TypeVar("T")

RC = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.2,
    "pdf.fonttype": 42,
    "savefig.dpi": 150,
}

PNG_DPI = 150


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The rcParams every figure is drawn and saved with."""
    with mpl.rc_context(RC):
        yield


def new_figure(width: float, height: float) -> MplFigure:
    """A pyplot-free figure with constrained layout."""
    return MplFigure(figsize=(width, height), layout="constrained")


def check_out_dir(out_dir: Any, name: str = "out_dir") -> Path:
    """``out_dir`` as a Path: a str / PathLike that is not an existing non-directory."""
    if isinstance(out_dir, bytes) or not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {out_dir!r}")
    if isinstance(out_dir, str) and not out_dir.strip():
        raise ValueError(f"{name} must name a directory, got an empty string")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{name} {str(out)!r} exists and is not a directory")
    return out


def save(fig: MplFigure, out_dir: Path | str, name: str) -> list[Path]:
    """Write ``name.png`` and ``name.pdf`` into ``out_dir`` (created if needed)."""
    out = check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{name}.png"
    pdf = out / f"{name}.pdf"
    fig.savefig(png, dpi=PNG_DPI, metadata={"Software": None})
    fig.savefig(pdf, metadata={"CreationDate": None})
    return [png, pdf]


def progress(iterable: Iterable[T], desc: str, total: int | None = None) -> Iterable[T]:
    """An inner (transient) tqdm bar for the long loops inside one figure."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False, dynamic_ncols=True)


def chunks(n: int, k: int) -> list[slice]:
    """Split range(n) into at most ``k`` contiguous, nearly equal slices."""
    cuts = np.linspace(0, n, min(k, n) + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(cuts) if b > a]


def finite_xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) restricted to the points where both are finite (NaN/inf never reach a plot call)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = np.broadcast_arrays(x, y)
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def masked(y: Any, positive: bool = False) -> np.ma.MaskedArray:
    """``y`` as a masked array hiding non-finite (and, for log axes, non-positive) values."""
    y = np.asarray(y, dtype=float)
    bad = ~np.isfinite(y)
    if positive:
        with np.errstate(invalid="ignore"):
            bad |= ~(y > 0)
    return np.ma.masked_array(np.where(bad, 0.0, y), mask=bad)


def edges(centers: np.ndarray) -> np.ndarray:
    """Cell edges for ``pcolormesh`` from monotone cell centres."""
    c = np.asarray(centers, dtype=float)
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def mark_divergence(
    ax: Any, steps: Any, y: Any, k: int, color: Any, y_top: float | None = None
) -> None:
    """An × at the divergence step k, at the last finite value (clipped to ``y_top``)."""
    _, ys = finite_xy(np.asarray(steps)[:k], np.asarray(y)[:k])
    if ys.size == 0:
        return
    yv = float(ys[-1]) if y_top is None else min(float(ys[-1]), y_top)
    ax.plot([k], [yv], "x", color=color, ms=8, mew=2, clip_on=False, zorder=5)
    ax.annotate(
        f"diverged at step {k}",
        (k, yv),
        xytext=(6, -4),
        textcoords="offset points",
        color=color,
        fontsize=7,
        va="top",
        annotation_clip=False,
    )


def categorical_colours(categories: list[tuple[str, str, str]]) -> tuple[dict[str, int], Any, Any]:
    """(code of each key, ListedColormap, BoundaryNorm) for (key, label, colour) categories."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    code = {key: i for i, (key, _, _) in enumerate(categories)}
    cmap = ListedColormap([c for _, _, c in categories])
    norm = BoundaryNorm(np.arange(len(categories) + 1) - 0.5, len(categories))
    return code, cmap, norm
