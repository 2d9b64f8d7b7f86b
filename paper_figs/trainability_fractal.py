"""The trainability boundary of a two-layer net over the step sizes of its two layers, zoomed
over five decades, with its box-counting dimension at every zoom level.

Analogue of Sohl-Dickstein, "The boundary of neural network trainability is fractal" (arXiv
2402.06184, 2024), whose figures colour the (η₁, η₂) plane of a two-layer net (η₁ on the input
layer, η₂ on the output layer) by whether full-batch GD converges or diverges and zoom into the
boundary; he reports box-counting dimensions between about 1.17 and 1.98 across his
configurations (cited, not asserted: the numbers here are measured on a much smaller net and a
different trainability criterion; ``toymodels/models/trainability_net.py`` lists the
differences).

Settings
--------
* Model: ``trainability_net(width=2, d=2, n_samples=2, seed=0, nonlinearity="tanh")``: the
  paper's mean-field net f(x) = Σ_j v_j tanh(√2 Σ_i x_i W_ij/√2)/2, L = mean_a (f(x_a) − y_a)²,
  p = 6 parameters, W, v, X, Y ~ N(0, 1) from ``numpy.random.default_rng(0)``, one start θ₀.
* GD: W ← W − η₁ ∂L/∂W, v ← v − η₂ ∂L/∂v, ``tm.phase_diagram(model, net.step_sizes(η₁, η₂),
  [θ₀], steps=500, per_parameter=True, max_period=8, lyapunov_steps=100)`` (default bound
  1e10). Trainable = outcome ≠ "diverged" (every |θ_k| ≤ 1e10 for all 500 steps). Colours: a
  trainable cell by log₁₀(L_T / L_0) (blues), a diverged cell by the step at which it diverged
  (reds, log scale), as the paper colours by the loss history.
* Views: square windows in (log₁₀η₁, log₁₀η₂), n × n cells at the centres
  c + w·linspace(−1, 1, n), n = 1024 (full) / 128 (quick). Level 0 is the paper's range
  [−3, 6]² (c = (1.5, 1.5), w = 4.5); each of the 5 zooms is 10× smaller (w = 4.5·10^−k), so
  the deepest view is 10⁻⁵ of the first (5 decades).
* Zoom rule (:func:`next_centre`, deterministic): the next centre is the boundary cell
  (``toymodels.fractal.boundary_cells`` of the trainable mask) whose window of the next view's
  size, lying inside the current view, holds the most boundary cells; ties go to the cell
  nearest the current centre, then the lowest index. It follows the densest boundary, as a
  human zooming into the structure would; no coordinates are hand-picked.
* Box counting (``toymodels.fractal.box_counting_dimension`` of the trainable mask at every
  level, ε in decades of η): box sizes 1, 2, 4, … cells, fit from 4 cells to n/8 (full: 4 … 128
  cells, 6 sizes; quick: 4 … 16, 3 sizes), counts averaged over 4 × 4 box-grid offsets; the
  panel shows log N vs log 1/ε for every level with the fitted sizes filled and the fit line,
  and D ± its standard error per level. The estimator's bias on planted sets is ≤ 0.05
  (module docstring of ``toymodels.fractal``); structure finer than a cell is not resolved.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.colors import LogNorm, Normalize
from matplotlib.patches import Rectangle

from toymodels.fractal import BoxCountingResult, boundary_cells, box_counting_dimension
from toymodels.models.trainability_net import TrainabilityNet, trainability_net
from toymodels.trainability import phase_diagram

from ._common import new_figure, progress, save, style

ID = "trainability_fractal"
PAPER = "Sohl-Dickstein, 'The boundary of neural network trainability is fractal' (2024)"
FIGURE = "new"
CAPTION = (
    "Trainability (not diverged) of a width-2 tanh net over the step sizes (η₁, η₂) of its two "
    "layers, zoomed 10× five times, with box-counting dimensions ± s.e."
)

#: level 0: the paper's window [−3, 6]² in (log₁₀ η₁, log₁₀ η₂)
CENTRE0 = (1.5, 1.5)
HALF_WIDTH0 = 4.5
ZOOM = 10
LEVELS = 6  # the full view and 5 zooms
#: phase_diagram's rules (only diverged / not diverged is used)
PD_RULES = {"max_period": 8, "lyapunov_steps": 100}
#: colour ranges: log10(L_T / L_0) for trainable cells, the divergence step for diverged ones
LOSS_RANGE = (-8.0, 1.0)


def settings(quick: bool = False) -> dict[str, Any]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "width": 2,
        "d": 2,
        "n_samples": 2,
        "seed": 0,
        "n": 128 if quick else 1024,
        "steps": 500,
        "levels": LEVELS,
        "zoom": ZOOM,
    }


def make_net(quick: bool = False) -> TrainabilityNet:
    """The figure's network (``settings``)."""
    s = settings(quick)
    return trainability_net(s["width"], s["d"], s["n_samples"], s["seed"])


def view_axes(centre: tuple[float, float], half_width: float, n: int) -> tuple[np.ndarray, ...]:
    """Cell centres (log₁₀ η₁, log₁₀ η₂) of an n × n view: c + w·linspace(−1, 1, n)."""
    t = np.linspace(-1.0, 1.0, n)
    return centre[0] + half_width * t, centre[1] + half_width * t


def extent_of(g1: np.ndarray, g2: np.ndarray) -> tuple[float, float, float, float]:
    """(lo0, hi0, lo1, hi1): the cell edges of the view (half a cell beyond the centres)."""
    h1 = (g1[-1] - g1[0]) / (len(g1) - 1)
    h2 = (g2[-1] - g2[0]) / (len(g2) - 1)
    return (g1[0] - h1 / 2, g1[-1] + h1 / 2, g2[0] - h2 / 2, g2[-1] + h2 / 2)


def sweep(
    net: TrainabilityNet,
    g1: np.ndarray,
    g2: np.ndarray,
    steps: int,
    backend: str = "auto",
) -> dict[str, np.ndarray]:
    """``tm.phase_diagram`` over η₁ = 10**g1 (layer 1) × η₂ = 10**g2 (layer 2), from θ₀.

    Returns (len(g1), len(g2)) arrays: ``trainable`` (not diverged), ``diverged_at``, ``loss``.
    """
    eta = net.step_sizes(10.0**g1, 10.0**g2)
    pd = phase_diagram(
        net.model, eta, net.theta0[None, :], steps, per_parameter=True, backend=backend, **PD_RULES
    )
    shape = (len(g1), len(g2))
    return {
        "trainable": (pd.outcome[:, 0] != "diverged").reshape(shape),
        "diverged_at": pd.diverged_at[:, 0].reshape(shape),
        "loss": pd.loss[:, 0].reshape(shape),
    }


def next_centre(
    trainable: np.ndarray, g1: np.ndarray, g2: np.ndarray, zoom: int = ZOOM
) -> tuple[float, float]:
    """The zoom rule: the boundary cell whose window of the next view's size (inside this view)
    holds the most boundary cells; ties → nearest this view's centre → lowest index.

    Raises ValueError when the view has no boundary, or no window of that size fits around a
    boundary cell.
    """
    b = boundary_cells(trainable)
    idx = np.argwhere(b)
    if idx.size == 0:
        raise ValueError("the view has no trainability boundary to zoom into")
    n0, n1 = b.shape
    k = max(1, round(min(n0, n1) / (2 * zoom)))
    S = np.pad(np.cumsum(np.cumsum(b.astype(np.int64), axis=0), axis=1), ((1, 0), (1, 0)))
    i0, i1 = idx[:, 0] - k, idx[:, 0] + k + 1
    j0, j1 = idx[:, 1] - k, idx[:, 1] + k + 1
    inside = (i0 >= 0) & (i1 <= n0) & (j0 >= 0) & (j1 <= n1)
    if not inside.any():
        raise ValueError("no window of the next view's size fits around a boundary cell")
    idx, i0, i1, j0, j1 = idx[inside], i0[inside], i1[inside], j0[inside], j1[inside]
    count = S[i1, j1] - S[i0, j1] - S[i1, j0] + S[i0, j0]
    dist2 = (idx[:, 0] - (n0 - 1) / 2) ** 2 + (idx[:, 1] - (n1 - 1) / 2) ** 2
    order = np.lexsort((idx[:, 1], idx[:, 0], dist2, -count))
    i, j = idx[order[0]]
    return float(g1[i]), float(g2[j])


def compute(quick: bool = False) -> dict[str, Any]:
    """Every view of the zoom sequence: its grid, sweep, box counting and the next centre."""
    s = settings(quick)
    net = make_net(quick)
    loss0 = float(net.model.loss(net.theta0))
    centre, w = CENTRE0, HALF_WIDTH0
    views: list[dict[str, Any]] = []
    for level in progress(range(s["levels"]), "trainability zoom", total=s["levels"]):
        g1, g2 = view_axes(centre, w, s["n"])
        t0 = time.perf_counter()
        res = sweep(net, g1, g2, s["steps"])
        seconds = time.perf_counter() - t0
        ext = extent_of(g1, g2)
        bc = box_counting_dimension(res["trainable"], extent=ext)
        nxt = next_centre(res["trainable"], g1, g2, s["zoom"])
        views.append(
            {
                "level": level,
                "centre": centre,
                "half_width": w,
                "g1": g1,
                "g2": g2,
                "extent": ext,
                "box": bc,
                "next": nxt,
                "seconds": seconds,
                **res,
            }
        )
        centre, w = nxt, w / s["zoom"]
    return {"settings": s, "loss0": loss0, "views": views}


def _colour_layers(v: dict[str, Any], loss0: float) -> tuple[np.ma.MaskedArray, ...]:
    train = v["trainable"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.log10(np.where(train, v["loss"], 1.0) / loss0)
    rel = np.clip(np.where(np.isfinite(rel), rel, LOSS_RANGE[0]), *LOSS_RANGE)
    steps_div = np.maximum(v["diverged_at"], 1).astype(float)
    return (
        np.ma.masked_array(rel, mask=~train),
        np.ma.masked_array(np.where(train, 1.0, steps_div), mask=train),
    )


def _decimals(half_width: float) -> int:
    """Decimals that place a centre to 1/1000 of a window of half-width ``half_width``."""
    return max(2, int(np.ceil(-np.log10(half_width))) + 3)


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    s, views, loss0 = d["settings"], d["views"], d["loss0"]
    loss_norm = Normalize(*LOSS_RANGE)
    step_norm = LogNorm(1, s["steps"])
    with style():
        fig = new_figure(10.0, 10.6)
        gs = fig.add_gridspec(3, 3, height_ratios=[1.0, 1.0, 0.9])
        map_axes = [fig.add_subplot(gs[r, c]) for r in range(2) for c in range(3)]
        im_loss = im_div = None
        for k, (ax, v) in enumerate(zip(map_axes, views, strict=False)):
            c1, c2 = v["centre"]
            lo0, hi0, lo1, hi1 = v["extent"]
            rel_ext = [lo0 - c1, hi0 - c1, lo1 - c2, hi1 - c2]
            good, bad = _colour_layers(v, loss0)
            im_loss = ax.imshow(
                good.T, origin="lower", extent=rel_ext, cmap="Blues_r", norm=loss_norm,
                interpolation="nearest", aspect="equal",
            )  # fmt: skip
            im_div = ax.imshow(
                bad.T, origin="lower", extent=rel_ext, cmap="Reds_r", norm=step_norm,
                interpolation="nearest", aspect="equal",
            )  # fmt: skip
            if k + 1 < len(views):
                nx, ny = v["next"]
                wn = v["half_width"] / s["zoom"]
                ax.add_patch(
                    Rectangle(
                        (nx - c1 - wn, ny - c2 - wn), 2 * wn, 2 * wn,
                        fill=False, edgecolor="k", lw=1.0,
                    )
                )  # fmt: skip
            bc: BoxCountingResult = v["box"]
            ax.set_title(
                f"level {k}: {2 * v['half_width']:.2g} decades wide\n"
                f"D = {bc.dimension:.2f} ± {bc.stderr:.2f}",
                fontsize=7.5,
            )
            q = _decimals(v["half_width"])
            ax.set_xlabel(rf"$\log_{{10}}\eta_1 - {c1:.{q}f}$", fontsize=7)
            ax.set_ylabel(rf"$\log_{{10}}\eta_2 - {c2:.{q}f}$", fontsize=7)
            ax.ticklabel_format(style="sci", scilimits=(-2, 3))
        if im_loss is not None and im_div is not None:
            for im, label in (
                (im_loss, r"trainable: $\log_{10}(L_T/L_0)$"),
                (im_div, "diverged: step of divergence"),
            ):
                cb = fig.colorbar(im, ax=map_axes, shrink=0.6, aspect=40, pad=0.01)
                cb.set_label(label, fontsize=7)

        ax_bc = fig.add_subplot(gs[2, :2])
        ax_d = fig.add_subplot(gs[2, 2])
        colours = [f"C{i}" for i in range(len(views))]
        for v, col in zip(views, colours, strict=True):
            bc = v["box"]
            inv = 1.0 / bc.sizes
            ax_bc.plot(inv, bc.counts, "o", mfc="none", color=col, ms=3.5)
            ax_bc.plot(inv[bc.fitted], bc.counts[bc.fitted], "o", color=col, ms=3.5)
            xf = np.array([1 / bc.fit_range[1], 1 / bc.fit_range[0]])
            ax_bc.plot(
                xf,
                np.exp(bc.intercept) * xf**bc.dimension,
                "-",
                color=col,
                lw=1.0,
                label=f"level {v['level']}: D = {bc.dimension:.3f} ± {bc.stderr:.3f}",
            )
        ax_bc.set_xscale("log")
        ax_bc.set_yscale("log")
        ax_bc.set_xlabel(r"$1/\varepsilon$ (box size $\varepsilon$ in decades of $\eta$)")
        ax_bc.set_ylabel(r"boxes on the boundary $N(\varepsilon)$")
        fc = views[0]["box"].fit_cells
        ax_bc.set_title(
            f"Box counting: filled = fitted ({fc[0]} … {fc[1]} cells of {s['n']}), "
            "line = least-squares fit",
            fontsize=8,
        )
        ax_bc.legend(loc="upper left", fontsize=6.5, frameon=False)
        lv = np.array([v["level"] for v in views])
        dims = np.array([v["box"].dimension for v in views])
        errs = np.array([v["box"].stderr for v in views])
        ax_d.errorbar(lv, dims, yerr=errs, fmt="o-", color="k", ms=4, capsize=2)
        ax_d.axhline(1.0, color="0.6", lw=0.8, ls=":")
        ax_d.axhline(2.0, color="0.6", lw=0.8, ls=":")
        ax_d.set_ylim(0.9, 2.1)
        ax_d.set_xlabel("zoom level (window 10× smaller per level)")
        ax_d.set_ylabel("box-counting dimension D ± s.e.")
        ax_d.set_title("D per view (bias ≤ 0.05 on planted sets)", fontsize=8)
        fig.suptitle(
            f"Trainability of a width-{s['width']} tanh net ({s['n_samples']} samples, "
            f"{s['steps']} GD steps, η₁ on layer 1, η₂ on layer 2; {s['n']}² cells per view); "
            "boxes: next view",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
