"""Orbit diagram of Chen et al.'s cubic map F_a(z) = z(1 + a(1 − z))² with its Lyapunov exponent.

Analogue of Chen, Balasubramanian, Ghosal, Agrawalla (TMLR 2024), Fig. 1/2; specs from
``research/quadratic_regression.md`` §3 (F1, F2).

Settings
--------
* a grid: ``np.linspace(0.01, 2.0, N)``, N = 4000 (full) / 600 (quick); a = ηλ*/2, and a top axis
  shows ηλ* = 2a.
* Top panel: ``tm.bifurcation_diagram(cubic_map_family(), a, z0=0.3, burn_in=5000, keep=300,
  seeding="fixed")``, drawn as rasterized black dots (diverged / non-finite points dropped).
* Bottom panel: ``tm.lyapunov_exponent(cubic_map_family()(a), 0.3, steps=T, burn_in=2000)`` on the
  whole grid at once, T = 20000 (full) / 3000 (quick); NaN (diverged) members are masked.
  Overlays: log|1 − 2a| (the fixed point z = 1, a < 1) and ½·log|9 − 2(1 + a)²| (the 2-cycle on
  (1, √5 − 1)); horizontal lines at 0 and log 3 (the Chebyshev value at a = 2). Flip points
  ``tm.period_doubling_points(cubic_map_family(), 0.3, (0.5, 1.31), max_doublings=6)`` are marked
  as ticks on the zero line.
* Vertical dashed lines: a = 1/2, a* = 0.935755732643, 1, √5 − 1, a_∞ = ``A_INFINITY``,
  1.4504409645 (period-3 saddle-node), a_c = 3√3/2 − 1, 2.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.quadratic_regression import A_INFINITY, cubic_map_family

from ._common import finite_xy, new_figure, save, style

ID = "cubic_map_bifurcation"
PAPER = "Chen, Balasubramanian, Ghosal, Agrawalla (TMLR 2024)"
FIGURE = "1"
CAPTION = "Orbit diagram of F_a(z) = z(1 + a(1 − z))² with the Lyapunov exponent beneath it"

A_STAR = 0.935755732643
A_SN3 = 1.4504409645
A_C = 3 * math.sqrt(3) / 2 - 1
Z0 = 0.3

#: (a, label) of the dashed reference lines
MARKS = [
    (0.5, r"$\frac{1}{2}$"),
    (A_STAR, r"$a^*$"),
    (1.0, r"$1$"),
    (math.sqrt(5) - 1, r"$\sqrt{5}-1$"),
    (A_INFINITY, r"$a_\infty$"),
    (A_SN3, r"$3$-cycle"),
    (A_C, r"$a_c$"),
    (2.0, r"$2$"),
]


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "n_a": 600 if quick else 4000,
        "burn_in": 5000,
        "keep": 300,
        "lyap_burn_in": 2000,
        "lyap_steps": 3000 if quick else 20000,
    }


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """The data of the figure (orbit points, exponents, flip points)."""
    s = settings(quick)
    fam = cubic_map_family()
    a = np.linspace(0.01, 2.0, s["n_a"])
    bd = tm.bifurcation_diagram(fam, a, Z0, burn_in=s["burn_in"], keep=s["keep"], seeding="fixed")
    lyap = tm.lyapunov_exponent(
        fam(a), np.full(a.shape, Z0), steps=s["lyap_steps"], burn_in=s["lyap_burn_in"]
    )
    flips = tm.period_doubling_points(fam, Z0, (0.5, 1.31), max_doublings=6)
    return {
        "a": a,
        "points": bd.points[..., 0],
        "diverged": bd.diverged | ~np.isfinite(lyap),
        "lyapunov": np.asarray(lyap, dtype=float),
        "flips": np.asarray(flips, dtype=float),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    a = d["a"]
    with style():
        fig = new_figure(7.0, 6.2)
        top, bot = fig.subplots(2, 1, sharex=True, height_ratios=[1.6, 1.0])

        # -- orbit diagram
        x, z = finite_xy(a[:, None], d["points"])
        top.plot(x, z, ",", color="k", alpha=0.35, rasterized=True)
        top.set_ylim(0.0, 2.45)
        top.set_ylabel(r"$z_t$ (after burn-in)")
        top.set_title(
            r"$F_a(z) = z\,(1 + a(1 - z))^2$, $z_0 = 0.3$: orbit diagram and Lyapunov exponent"
        )
        for ax in (top, bot):
            for xv, _ in MARKS:
                ax.axvline(xv, color="tab:gray", ls="--", lw=0.6, zorder=0)
        for xv, lab in MARKS:
            top.text(
                xv,
                2.42,
                lab,
                rotation=90,
                ha="right",
                va="top",
                fontsize=6.5,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        sec = top.secondary_xaxis("top", functions=(lambda v: 2 * v, lambda v: v / 2))
        sec.set_xlabel(r"$\eta\lambda^* = 2a$")

        # -- Lyapunov exponent
        x, lam = finite_xy(a, d["lyapunov"])
        bot.plot(x, lam, color="k", lw=0.6, zorder=3, label="Lyapunov exponent (numerical)")
        with np.errstate(divide="ignore", invalid="ignore"):
            fine = np.linspace(0.01, 2.0, 8001)
            lo = fine[fine < 1]
            bot.plot(
                *finite_xy(lo, np.log(np.abs(1 - 2 * lo))),
                color="tab:blue",
                lw=3.0,
                alpha=0.45,
                zorder=2,
                label=r"$\log|1-2a|$ (fixed point $z=1$)",
            )
            mid = fine[(fine > 1) & (fine < math.sqrt(5) - 1)]
            bot.plot(
                *finite_xy(mid, 0.5 * np.log(np.abs(9 - 2 * (1 + mid) ** 2))),
                color="tab:orange",
                lw=3.0,
                alpha=0.6,
                zorder=2,
                label=r"$\frac{1}{2}\log|9-2(1+a)^2|$ (2-cycle)",
            )
        bot.axhline(0.0, color="k", lw=0.5)
        bot.axhline(math.log(3), color="tab:red", lw=0.7, ls="-.", label=r"$\log 3$")
        flips = d["flips"][np.isfinite(d["flips"])]
        bot.plot(
            flips,
            np.zeros_like(flips),
            "|",
            color="tab:green",
            ms=9,
            mew=1.2,
            label="flip points (period_doubling_points)",
        )
        bot.set_ylim(-2.6, 1.45)
        bot.set_xlim(0.0, 2.02)
        bot.set_xlabel(r"$a = \eta\lambda^*/2$")
        bot.set_ylabel("Lyapunov exponent")
        bot.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=3, fontsize=6.5, frameon=False
        )
        paths = save(fig, out_dir, ID)
    return paths
