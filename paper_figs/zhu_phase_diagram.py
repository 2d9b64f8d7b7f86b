"""Two-parameter (η, init) phase diagram of GD on Zhu et al.'s minimalist loss ¼(x²y² − 1)².

Zhu, Wang, Wang, Zhou, Ge (ICLR 2023, arXiv 2210.03294), the minimalist example; specs from
``research/bifurcation.md`` §1.1 (the exact reduction to (A, d) = (ηx², xy), whose η → 0 limit is
the cubic map C_A of Chen et al.). New figure.

Settings
--------
* Model: ``minimalist_model()``; starts (x₀, y₀ = 0.1), x₀ on ``np.linspace(0.5, 10, Nx)``;
  η on ``np.linspace(0.01, 0.4, Nη)``; Nη × Nx = 400 × 400, T = 20 000 steps (full) /
  80 × 80, T = 4 000 (quick).
* ``tm.phase_diagram(model, eta_grid, init_grid, T, max_period=64, tol=1e-8,
  lyapunov_steps=1000)`` (bound 1e10), with a progress bar.
* Left: the outcome at step T (converged, periodic with its period 2 / 4 / other, chaotic,
  unknown, diverged). Right: log₁₀ of the final loss (diverged cells white).
* Overlays: the curves ηx₀² = 1 and ηx₀² = 2 (A₀ = 1, where the initial sharpness 2(x₀² + y₀²)
  is about 2/η, and A₀ = 2, the divergence threshold of C_A) and ηx₀² = 3√3/2 − 1 (the
  symmetry-merging crisis of C_A). A and d drift during the run, so these are guides, not
  predicted boundaries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch

import toymodels as tm
from toymodels.models.self_stabilization import minimalist_model

from ._common import new_figure, save, style

ID = "zhu_phase_diagram"
PAPER = "Zhu, Wang, Wang, Zhou, Ge (ICLR 2023)"
FIGURE = "new"
CAPTION = (
    "GD on ¼(x²y² − 1)² over step size η × initial x₀ (y₀ = 0.1): outcome after T steps and the "
    "final loss, with the curves ηx₀² = 1, 2, 3√3/2 − 1"
)

Y0 = 0.1
#: colour classes: converged, period 2, period 4, other periods, chaotic, unknown, diverged
CLASSES = ("converged", "period 2", "period 4", "other period", "chaotic", "unknown", "diverged")
COLOURS = ("#2c7bb6", "#abd9e9", "#fdae61", "#d7191c", "#1a1a1a", "#bbbbbb", "#ffffff")


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "eta": (0.01, 0.4, 80 if quick else 400),
        "x0": (0.5, 10.0, 80 if quick else 400),
        "y0": Y0,
        "steps": 4_000 if quick else 20_000,
        "max_period": 64,
        "lyapunov_steps": 1000,
    }


def compute(quick: bool = False) -> dict[str, object]:
    s = settings(quick)
    eta = np.linspace(*s["eta"][:2], s["eta"][2])  # type: ignore[index]
    x0 = np.linspace(*s["x0"][:2], s["x0"][2])  # type: ignore[index]
    init = np.stack([x0, np.full_like(x0, Y0)], axis=-1)
    pd = tm.phase_diagram(
        minimalist_model(),
        eta,
        init,
        int(s["steps"]),  # type: ignore[arg-type]
        max_period=int(s["max_period"]),  # type: ignore[arg-type]
        lyapunov_steps=int(s["lyapunov_steps"]),  # type: ignore[arg-type]
        progress=True,
        max_seconds=None,
    )
    cls = np.full(pd.shape, 5, dtype=np.int64)
    cls[pd.outcome == "converged"] = 0
    per = pd.outcome == "periodic"
    cls[per & (pd.period == 2)] = 1
    cls[per & (pd.period == 4)] = 2
    cls[per & (pd.period != 2) & (pd.period != 4)] = 3
    cls[pd.outcome == "chaotic"] = 4
    cls[pd.outcome == "diverged"] = 6
    return {"settings": s, "eta": eta, "x0": x0, "cls": cls, "pd": pd}


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    dd = compute(quick)
    eta, x0, cls, pd = dd["eta"], dd["x0"], dd["cls"], dd["pd"]
    ext = (x0[0], x0[-1], eta[0], eta[-1])
    with style():
        fig = new_figure(10.0, 4.2)
        ax, ax_l = fig.subplots(1, 2)
        cmap = ListedColormap(COLOURS)
        ax.imshow(
            cls,
            origin="lower",
            aspect="auto",
            extent=ext,
            cmap=cmap,
            norm=BoundaryNorm(np.arange(-0.5, 7.5), cmap.N),
            interpolation="nearest",
        )
        counts = pd.counts()
        xs = np.linspace(x0[0], x0[-1], 400)
        guides = (
            (1.0, "-", "$\\eta x_0^2 = 1$"),
            (2.0, "--", "$\\eta x_0^2 = 2$"),
            (1.5 * np.sqrt(3) - 1, ":", "$\\eta x_0^2 = 3\\sqrt{3}/2 - 1$"),
        )
        for a, ls, lab in guides:
            e = a / xs**2
            ok = (e >= eta[0]) & (e <= eta[-1])
            for axis in (ax, ax_l):
                axis.plot(
                    xs[ok], e[ok], color="k", ls=ls, lw=0.9, label=lab if axis is ax else None
                )
        handles = [
            Patch(facecolor=c, edgecolor="k", lw=0.3, label=n)
            for n, c in zip(CLASSES, COLOURS, strict=True)
        ]
        ax.legend(
            handles=handles + ax.get_legend_handles_labels()[0], fontsize=6, loc="upper right"
        )
        ax.set_xlabel("$x_0$ ($y_0 = 0.1$)")
        ax.set_ylabel(r"step size $\eta$")
        ax.set_title(
            f"outcome after T = {pd.steps} steps ("
            + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
            + ")",
            fontsize=7,
        )
        fin = np.isfinite(pd.loss)
        logl = np.ma.masked_array(
            np.log10(np.maximum(np.where(fin, pd.loss, 1.0), 1e-32)), mask=~fin
        )
        im = ax_l.imshow(logl, origin="lower", aspect="auto", extent=ext, cmap="viridis",
                         interpolation="nearest")  # fmt: skip
        fig.colorbar(im, ax=ax_l, label=r"$\log_{10} L(\theta_T)$ (floored at $-32$)")
        ax_l.set_xlabel("$x_0$ ($y_0 = 0.1$)")
        ax_l.set_title("final loss (diverged: white; exact 0 shown at $10^{-32}$)")
        for axis in (ax, ax_l):
            axis.set_xlim(x0[0], x0[-1])
            axis.set_ylim(eta[0], eta[-1])
        return save(fig, out_dir, ID)
