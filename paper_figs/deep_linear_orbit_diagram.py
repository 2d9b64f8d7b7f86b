"""Deep linear net beyond the edge of stability: orbit diagram of σ₁(W₃W₂W₁) against c = ηλ₁.

Analogue of Ghosh, Kwon, Wang, Ravishankar, Qu (ICLR 2025, arXiv 2502.20531), Fig. 1: full-matrix
GD on a 3-layer linear net period-doubles to chaos in its top singular value once ηλ₁ > 2, exactly
like the one-dimensional balanced-line map. The paper's η grid is unknown; the settings are those
of ``research/linear_models.md`` §D.5 and §G (D).

Settings
--------
* Model: ``DeepLinear(M*, depth=3)``, L = ½‖W₃W₂W₁ − M*‖²_F with 3×3 layers; M* =
  ``symmetric_target(s)`` (U from QR of a ``default_rng(0)`` Gaussian matrix), s_i =
  (λ_i/3)^{3/4} for λ = (10, 3, 1), so that the balanced-minimum sharpnesses are
  L·s_i^{2−2/L} = λ_i. Init W_l = 0.1·I (balanced, inside the singular vector stationary set).
* c = η·λ₁ on ``np.linspace(1.9, 3.0, N)``, N = 300 (full) / 60 (quick). One batched ``tm.gd``
  call over the η grid for the burn-in, 30 000 (full) / 5000 (quick) steps, then a second batched
  call (``paired=True``) from the burnt-in states that records K = 300 (full) / 100 (quick)
  consecutive states; σ₁ = ``DeepLinear.singular_values`` of each recorded state, drawn as
  rasterized dots. Diverged runs (bound 1e10) would be drawn as × on the top edge.
* Lower panel: the balanced-line map z ↦ z − (c/3)(z³ − 1)z² (``balanced_line_family(3)``),
  ``tm.bifurcation_diagram(..., c, 0.9, burn_in, keep=K)`` with the same burn-in and K. In the
  stationary set the singular values of W₃W₂W₁ are |s_i z_i³|, and directions 2, 3 converge
  (c·λ_i/λ₁ ≤ 0.9 < 2), so the map predicts σ₁ = max(s₁|z|³, s₂); the floor s₂ is reached only in
  the chaotic band (c ≳ 2.68).
* Vertical lines: the period-doubling onsets
  ``tm.period_doubling_points(balanced_line_family(3), 0.9, (1.5, 2.62), max_doublings=3,
  burn_in=2000)`` (c = 2, 2.4892, 2.6008; the burn-in only finds the fixed point at c = 1.5).
  Horizontal lines: s₁ (the balanced minimum) and s₂.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.deep_linear import DeepLinear, balanced_line_family, symmetric_target

from ._common import finite_xy, new_figure, save, style

ID = "deep_linear_orbit_diagram"
PAPER = "Ghosh, Kwon, Wang, Ravishankar, Qu (ICLR 2025)"
FIGURE = "1"
CAPTION = "Deep linear net (L = 3): orbit diagram of σ₁(W₃W₂W₁) against c = ηλ₁, with the 1-D map"

DEPTH = 3
LAMBDAS = np.array([10.0, 3.0, 1.0])
SINGULAR = (LAMBDAS / DEPTH) ** (DEPTH / (2 * DEPTH - 2))  # L s^{2−2/L} = λ
INIT_SCALE = 0.1
C_RANGE = (1.9, 3.0)
MAP_Z0 = 0.9
FLIP_RANGE = (1.5, 2.62)
N_FLIPS = 3
#: burn-in to the fixed point at c = 1.5 (multiplier −0.5) before the continuation starts
FLIP_BURN_IN = 2000


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "n_c": 60 if quick else 300,
        "burn_in": 5000 if quick else 30_000,
        "keep": 100 if quick else 300,
    }


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """σ₁ along the recorded window of every GD run, the map's prediction and the flip points."""
    s = settings(quick)
    M, U = symmetric_target(SINGULAR)
    net = DeepLinear(M, DEPTH)
    theta0 = net.svs_init(INIT_SCALE)
    c = np.linspace(*C_RANGE, s["n_c"])
    eta = c / LAMBDAS[0]
    burn = tm.gd(net.model, theta0, eta, s["burn_in"], record_every=0)
    start = np.where(burn.diverged[:, None], theta0, burn.final)  # finite seeds for the window
    win = tm.gd(net.model, start, eta, s["keep"] - 1, record_every=1, paired=True)
    diverged = burn.diverged | win.diverged
    theta = np.where(diverged[None, :, None], np.nan, win.theta)  # (K, n_c, p)
    sigma1 = net.singular_values(theta)[..., 0].T  # (n_c, K); NaN rows for diverged runs
    off = net.off_diagonal(np.where(np.isfinite(theta), theta, 0.0), U)
    fam = balanced_line_family(DEPTH)
    bd = tm.bifurcation_diagram(fam, c, MAP_Z0, burn_in=s["burn_in"], keep=s["keep"])
    z = bd.points[..., 0]  # (n_c, K)
    with np.errstate(invalid="ignore"):
        sigma_map = np.maximum(SINGULAR[0] * np.abs(z) ** DEPTH, SINGULAR[1])
    flips = tm.period_doubling_points(
        fam, MAP_Z0, FLIP_RANGE, max_doublings=N_FLIPS, burn_in=FLIP_BURN_IN
    )
    return {
        "c": c,
        "sigma1": sigma1,
        "diverged": diverged,
        "sigma_map": np.where(bd.diverged[:, None], np.nan, sigma_map),
        "map_diverged": bd.diverged,
        "flips": np.asarray(flips, dtype=float),
        "max_off_diagonal": np.array(float(np.max(np.where(diverged[None], 0.0, off)))),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    s = settings(quick)
    c = d["c"]
    y_lo, y_top = 0.0, 4.0
    with style():
        fig = new_figure(7.0, 6.4)
        top, bot = fig.subplots(2, 1, sharex=True, sharey=True, height_ratios=[1.6, 1.0])
        x, y = finite_xy(c[:, None], d["sigma1"])
        top.plot(x, y, ".", color="k", ms=1.0, mew=0, alpha=0.6, rasterized=True)
        x, y = finite_xy(c[:, None], d["sigma_map"])
        bot.plot(x, y, ".", color="tab:orange", ms=1.0, mew=0, alpha=0.8, rasterized=True)
        for ax, div in ((top, d["diverged"]), (bot, d["map_diverged"])):
            if div.any():
                ax.plot(
                    c[div],
                    np.full(int(div.sum()), y_top),
                    "x",
                    color="tab:red",
                    ms=4,
                    clip_on=False,
                    ls="none",
                    label=f"diverged ({int(div.sum())})",
                )
        flips = d["flips"][np.isfinite(d["flips"])]
        names = ["1→2", "2→4", "4→8", "8→16"]
        for ax in (top, bot):
            for k, cf in enumerate(flips):
                ax.axvline(
                    cf,
                    color="tab:green",
                    ls="--",
                    lw=0.8,
                    zorder=0,
                    label="period-doubling onsets of the map" if k == 0 else None,
                )
            ax.axhline(SINGULAR[0], color="tab:blue", ls=":", lw=0.8, zorder=0)
            ax.axhline(SINGULAR[1], color="tab:purple", ls=":", lw=0.8, zorder=0)
        for k, cf in enumerate(flips):
            top.text(
                cf,
                y_top * 0.98,
                f" {names[k]} \n c = {cf:.4f} ",
                fontsize=6.5,
                va="top",
                ha="right" if k == 1 else "left",
                color="tab:green",
            )
        top.text(
            C_RANGE[0] + 0.01,
            SINGULAR[0],
            rf"$s_1 = {SINGULAR[0]:.4f}$",
            fontsize=7,
            va="bottom",
            color="tab:blue",
        )
        top.text(
            C_RANGE[0] + 0.01,
            SINGULAR[1],
            rf"$s_2 = {SINGULAR[1]:g}$",
            fontsize=7,
            va="bottom",
            color="tab:purple",
        )
        top.set_ylim(y_lo, y_top)
        top.set_ylabel(rf"$\sigma_1(W_3W_2W_1)$, last {s['keep']} steps")
        top.set_title(
            rf"(a) full GD, $W_l(0) = {INIT_SCALE:g}\,I$, burn-in {s['burn_in']:,} steps; "
            rf"max off-diagonal of $U^\top W_l U$: {float(d['max_off_diagonal']):.1e}"
        )
        bot.set_ylabel(r"$\max(s_1|z|^3, s_2)$")
        bot.set_title(
            r"(b) balanced-line map $z \mapsto z - \frac{c}{3}(z^3 - 1)z^2$ "
            rf"from $z_0 = {MAP_Z0:g}$, same burn-in, $\sigma_1 = \max(s_1|z|^3, s_2)$"
        )
        bot.set_xlabel(r"$c = \eta\lambda_1$  ($\lambda_1 = L s_1^{2-2/L} = 10$)")
        bot.set_xlim(*C_RANGE)
        bot.legend(loc="upper left", fontsize=7, frameon=True)
        sec = top.secondary_xaxis(
            "top", functions=(lambda v: v / LAMBDAS[0], lambda v: v * LAMBDAS[0])
        )
        sec.set_xlabel(r"step size $\eta$")
        lam = ", ".join(f"{v:g}" for v in LAMBDAS)
        fig.suptitle(
            rf"Deep linear net $\frac{{1}}{{2}}\|W_3W_2W_1 - M^*\|_F^2$, $L = {DEPTH}$, "
            rf"$3\times 3$ layers, $M^* = U\,\mathrm{{diag}}(s)\,U^\top$, "
            rf"$s_i = (\lambda_i/{DEPTH})^{{3/4}}$, $\lambda = ({lam})$",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
