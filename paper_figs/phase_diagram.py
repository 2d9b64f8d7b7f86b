"""Step-size phase diagram of quadratic regression (Chen et al.'s cubic map) and full GD on Model B.

Analogue of Chen, Balasubramanian, Ghosal, Agrawalla (TMLR 2024), Fig. 2.

Settings
--------
* Main panel: ``tm.classify(cubic_map_family()(a[:, None]), z0[None, :], burn_in=B,
  lyapunov_steps=L)`` (default max_period=64, tol=1e-8, chaos_threshold=0.01) on
  a = ``np.linspace(0.05, 2.2, Na)`` (a = ηλ*/2) × z0 = the Nz cell centres of (0, 3.5];
  Na × Nz = 400 × 200, B = 3000, L = 2000 (full) / 80 × 40, B = 1000, L = 500 (quick), run in
  chunks of a (inner progress bar). Overlays: the basin boundary z0 = 1 + 2/a (the repelling fixed
  point; orbits above it diverge) and vertical lines at a = 1/2, 1, a_∞, 2.
* Strips below: the same classification (same B, L) along ``np.linspace(0.05, 2.2, Nb)``,
  Nb = 150 (full) / 40 (quick; GD classified in 6 / 2 chunks of a), for (i) full GD on Model B,
  ``QuadraticRegression.model_b(n=8, d=20, m=5, y=1.0)``, via
  ``tm.classify(tm.gd_map(q.model, q.eta_for(a)), θ0 broadcast)`` from U0 = 0.1·N(0, 1)
  (``q.init(0.1, seed=0)``), and (ii) the cubic map itself started at the same per-sample
  z_i(θ0) = f(x_i)/y_i (8 starts per a). A Model-B column counts as agreeing when its phase kind
  and period equal those of every one of the 8 map orbits (divergence steps are not compared:
  the bound acts on θ in one case and on z ≈ θ² in the other); the agreement count is printed in
  the strip's label.
* Colours (``CATEGORIES``): converged monotone / oscillating, periodic with period 2, 4, 8+
  (8, 16, 32, 64: the doubling cascade), 3, other (6, 12, 18, …), chaotic (no period ≤ 64 and
  Lyapunov exponent > 0.01), unknown (no period, exponent ≤ 0.01), diverged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import toymodels as tm
from toymodels.models.quadratic_regression import (
    A_INFINITY,
    QuadraticRegression,
    cubic_map_family,
)

from ._common import categorical_colours, chunks, edges, new_figure, progress, save, style

ID = "phase_diagram"
PAPER = "Chen, Balasubramanian, Ghosal, Agrawalla (TMLR 2024)"
FIGURE = "2"
CAPTION = "Phase diagram of GD on quadratic regression over (a = ηλ*/2, z0), with Model B GD strip"

#: (key, legend label, colour), in code order 0, 1, 2, …
CATEGORIES = [
    ("converged_monotone", "converged, monotone", "#08306b"),
    ("converged_oscillating", "converged, oscillating", "#6baed6"),
    ("p2", "period 2", "#006d2c"),
    ("p4", "period 4", "#41ab5d"),
    ("p8+", "period 8, 16, 32, 64", "#c7e9c0"),
    ("p3", "period 3", "#fd8d3c"),
    ("pother", "other period (6, 12, …)", "#9e9ac8"),
    ("chaotic", "chaotic (Lyapunov > 0.01)", "#cb181d"),
    ("unknown", "unknown (aperiodic, Lyapunov ≤ 0.01)", "#252525"),
    ("diverged", "diverged", "#f0f0f0"),
]
CODE, CMAP, NORM = categorical_colours(CATEGORIES)


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "n_a": 80 if quick else 400,
        "n_z": 40 if quick else 200,
        "burn_in": 1000 if quick else 3000,
        "lyapunov_steps": 500 if quick else 2000,
        "n_b": 40 if quick else 150,
        "chunks_b": 2 if quick else 6,
    }


def phase_code(phase: tm.Phase) -> int:
    """The colour code of one :class:`toymodels.Phase`."""
    if phase.kind == "periodic":
        p = int(phase.period)
        if p in (2, 4, 3):
            return CODE[f"p{p}"]
        if p >= 8 and p & (p - 1) == 0:
            return CODE["p8+"]
        return CODE["pother"]
    return CODE[phase.kind]


def phase_codes(phases: np.ndarray) -> np.ndarray:
    """Object array of Phase → int array of colour codes."""
    flat = np.asarray(phases, dtype=object).reshape(-1)
    return np.array([phase_code(p) for p in flat], dtype=np.int64).reshape(np.shape(phases))


def _same(p: tm.Phase, q: tm.Phase) -> bool:
    return p.kind == q.kind and (p.kind != "periodic" or p.period == q.period)


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Phase codes of the map grid, the Model B strip and the map strip."""
    s = settings(quick)
    cls = {"burn_in": s["burn_in"], "lyapunov_steps": s["lyapunov_steps"]}
    fam = cubic_map_family()
    a = np.linspace(0.05, 2.2, s["n_a"])
    z0 = (np.arange(s["n_z"]) + 0.5) * (3.5 / s["n_z"])  # cell centres of (0, 3.5]
    codes = np.empty((a.size, z0.size), dtype=np.int64)
    parts = chunks(a.size, 8)
    for sl in progress(parts, "phase diagram: F_a grid", total=len(parts)):
        codes[sl] = phase_codes(tm.classify(fam(a[sl, None]), z0[None, :], **cls))

    q = QuadraticRegression.model_b(n=8, d=20, m=5, y=1.0)
    theta0 = q.init(0.1, seed=0)
    zi0 = q.z(theta0)
    ab = np.linspace(0.05, 2.2, s["n_b"])
    eta = q.eta_for(ab)
    model_b = np.empty(ab.size, dtype=object)
    parts = chunks(ab.size, s["chunks_b"])
    for sl in progress(parts, "phase diagram: Model B GD", total=len(parts)):
        F = tm.gd_map(q.model, eta[sl])
        th = np.broadcast_to(theta0, (ab[sl].size, theta0.size))
        model_b[sl] = tm.classify(F, th, **cls)
    map_b = tm.classify(fam(ab[:, None]), zi0[None, :], **cls)
    agree = np.array(
        [all(_same(model_b[i], m) for m in map_b[i]) for i in range(ab.size)], dtype=bool
    )
    return {
        "a": a,
        "z0": z0,
        "codes": codes,
        "a_b": ab,
        "codes_b": phase_codes(model_b),
        "codes_map_b": phase_codes(map_b[:, 0]),
        "agree_b": agree,
        "z_b0": zi0,
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    a, z0 = d["a"], d["z0"]
    with style():
        fig = new_figure(8.0, 6.2)
        gs = fig.add_gridspec(3, 2, height_ratios=[1.0, 0.07, 0.07], width_ratios=[1.0, 0.36])
        ax = fig.add_subplot(gs[0, 0])
        ax_m = fig.add_subplot(gs[1, 0], sharex=ax)
        ax_b = fig.add_subplot(gs[2, 0], sharex=ax)
        ax_leg = fig.add_subplot(gs[:, 1])
        ax_leg.axis("off")

        ax.pcolormesh(edges(a), edges(z0), d["codes"].T, cmap=CMAP, norm=NORM, rasterized=True)
        aa = np.linspace(a[0], a[-1], 1000)
        ax.plot(aa, 1 + 2 / aa, color="k", lw=1.2)
        for xv, lab in [
            (0.5, r"$\frac{1}{2}$"),
            (1.0, "$1$"),
            (A_INFINITY, r"$a_\infty$"),
            (2.0, "$2$"),
        ]:
            ax.axvline(xv, color="k", ls="--", lw=0.7)
            ax.text(
                xv,
                3.47,
                lab,
                ha="right",
                va="top",
                fontsize=7,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        ax.set_ylim(0.0, 3.5)
        ax.set_xlim(edges(a)[0], edges(a)[-1])
        ax.set_ylabel(r"initial $z_0 = f(x)/y$")
        ax.set_title(r"Phases of $F_a(z) = z(1 + a(1 - z))^2$ (GD on quadratic regression)")
        ax.tick_params(labelbottom=False)
        sec = ax.secondary_xaxis("top", functions=(lambda v: 2 * v, lambda v: v / 2))
        sec.set_xlabel(r"$\eta\lambda^* = 2a$")

        ab = d["a_b"]
        ones = np.array([0.0, 1.0])
        zlo, zhi = float(np.min(d["z_b0"])), float(np.max(d["z_b0"]))
        ax_m.pcolormesh(
            edges(ab), ones, d["codes_map_b"][None, :], cmap=CMAP, norm=NORM, rasterized=True
        )
        ax_m.set_yticks([])
        ax_m.set_ylabel("$F_a$", rotation=0, ha="right", va="center")
        ax_m.tick_params(labelbottom=False)
        ax_m.set_title(
            rf"cubic map $F_a$ from $z_1(\theta_0)$ (1 of 8 samples, "
            rf"$z_i(\theta_0) \in [{zlo:.3f}, {zhi:.3f}]$)",
            fontsize=7,
            loc="left",
        )
        ax_b.pcolormesh(
            edges(ab), ones, d["codes_b"][None, :], cmap=CMAP, norm=NORM, rasterized=True
        )
        ax_b.set_yticks([])
        ax_b.set_ylabel("GD", rotation=0, ha="right", va="center")
        ax_b.set_title(
            r"full GD on Model B (n=8, d=20, m=5), $U_0 = 0.1\,N(0,1)$: phase and period equal "
            f"those of all 8 map orbits at {int(d['agree_b'].sum())}/{ab.size} values of a",
            fontsize=7,
            loc="left",
        )
        for axis in (ax_m, ax_b):
            for xv in (0.5, 1.0, A_INFINITY, 2.0):
                axis.axvline(xv, color="k", ls="--", lw=0.7)
        ax_b.set_xlabel(r"$a = \eta\lambda^*/2$")

        handles = [Patch(facecolor=c, edgecolor="0.5", label=lab) for _, lab, c in CATEGORIES]
        handles.append(Line2D([], [], color="k", lw=1.2, label=r"$z_0 = 1 + 2/a$ (basin boundary)"))
        handles.append(
            Line2D([], [], color="k", lw=0.7, ls="--", label=r"$a = \frac{1}{2}, 1, a_\infty, 2$")
        )
        ax_leg.legend(
            handles=handles, loc="center left", title="phase (tm.classify)", frameon=False
        )
        paths = save(fig, out_dir, ID)
    return paths
