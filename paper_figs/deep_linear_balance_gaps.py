"""Deep linear net: the balancing gaps w_{l+1,i}² − w_{l,i}² vanish only where GD oscillates.

Ghosh, Kwon, Wang, Ravishankar, Qu (ICLR 2025, arXiv 2502.20531) show that the balancing gap is
non-increasing under GD and, empirically, that it goes to zero beyond the edge of stability (the
public ICLR reviews cite the paper's Fig. 4 for this; the figure itself could not be read, hence
FIGURE = "new"). ``research/linear_models.md`` §D.2 (and claims D5, D7) sharpen this: started
unbalanced inside the singular vector stationary set, the gaps freeze for c = ηλ₁ < 2 and, for
c > 2, decay geometrically only in the direction that oscillates, at the rate of the balanced
2-cycle, while the gaps of the converging directions freeze.

Settings
--------
* Model: ``DeepLinear(M*, depth=3)``, 3×3 layers, M* = ``symmetric_target(s)`` (U from a
  ``default_rng(0)`` QR), s_i = (λ_i/3)^{3/4} for λ = (10, 3, 1) (so L s_i^{2−2/L} = λ_i).
  Unbalanced init W_l = a_l·I with a = (0.05, 0.1, 0.2): every direction starts with gaps
  w₂² − w₁² = 0.0075 and w₃² − w₂² = 0.03.
* c = ηλ₁ ∈ {1.9, 2.2, 2.45}: one batched ``tm.gd`` call (3 step sizes), 10 000 (full) / 3000
  (quick) steps, every step recorded; gaps from ``DeepLinear.balance_gaps`` (per direction i and
  layer pair), drawn as |gap| against the step (log-log; exact zeros are left out). The grey band
  below 1e-14 is the round-off level of w² for weights of order 1.
* A direction is labelled oscillating when its end-to-end value p_i = (UᵀW₃W₂W₁U)_ii has
  max_t |p_{t+1} − 2p_t + p_{t−1}|/2 > 1e-6·s₁ over the last 200 steps.
* Dotted guide (c > 2): |gap(t₀)|·ρ^{(t − t₀)/2} from t₀ = 100 for the pair (1, 2) of direction 1,
  with ρ = Π_{z ∈ 2-cycle} (1 − (c/3)²(z³ − 1)² z²) the gap multiplier per period of the balanced
  2-cycle of z ↦ z − (c/3)(z³ − 1)z² (``tm.find_cycle`` on ``balanced_line_family(3)``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

import toymodels as tm
from toymodels.models.deep_linear import DeepLinear, balanced_line_family, symmetric_target

from ._common import masked, new_figure, save, style

ID = "deep_linear_balance_gaps"
PAPER = "Ghosh, Kwon, Wang, Ravishankar, Qu (ICLR 2025)"
FIGURE = "new"
CAPTION = "Deep linear net: balancing gaps per singular direction vanish only where GD oscillates"

DEPTH = 3
LAMBDAS = np.array([10.0, 3.0, 1.0])
SINGULAR = (LAMBDAS / DEPTH) ** (DEPTH / (2 * DEPTH - 2))  # L s^{2−2/L} = λ
INIT_SCALES = (0.05, 0.1, 0.2)
C_VALUES = (1.9, 2.2, 2.45)
OSC_WINDOW = 200
REL_TOL = 1e-6
GUIDE_T0 = 100
ROUNDOFF = 1e-14  # gaps of O(1) weights cannot be resolved much below this
COLOURS = ("tab:blue", "tab:orange", "tab:green")
PAIR_STYLES = ("-", "--")


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {"steps": 3000 if quick else 10_000}


def cycle_gap_multiplier(c: float) -> float:
    """ρ(c): the factor by which one period of the balanced 2-cycle multiplies a balancing gap."""
    cyc = tm.find_cycle(balanced_line_family(DEPTH)(c), [1.1], 2)
    if not (cyc.converged and cyc.period == 2):
        return float("nan")
    z = cyc.points[:, 0]
    return float(np.prod(1 - (c / DEPTH) ** 2 * (z**DEPTH - 1) ** 2 * z ** (2 * DEPTH - 4)))


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """|gap| per step, c, direction and layer pair; oscillating directions; 2-cycle gap rates."""
    s = settings(quick)
    M, U = symmetric_target(SINGULAR)
    net = DeepLinear(M, DEPTH)
    theta0 = net.svs_init(INIT_SCALES)
    c = np.array(C_VALUES)
    tr = tm.gd(net.model, theta0, c / LAMBDAS[0], s["steps"], record_every=1)
    diverged = tr.diverged
    theta = np.where(diverged[None, :, None], 0.0, tr.theta)
    gaps = np.abs(net.balance_gaps(theta, U))  # (T, n_c, L − 1, d)
    gaps = np.where(diverged[None, :, None, None], np.nan, gaps)
    p = np.prod(net.direction_weights(theta[-OSC_WINDOW:], U), axis=-2)  # (W, n_c, d)
    amp = np.max(np.abs(np.diff(p, n=2, axis=0)), axis=0) / 2
    oscillating = ~diverged[:, None] & (amp > REL_TOL * SINGULAR[0])
    rho = np.array([cycle_gap_multiplier(float(ci)) if ci > 2 else np.nan for ci in c])
    return {
        "c": c,
        "steps": tr.steps,
        "gaps": gaps,
        "oscillating": oscillating,
        "diverged": diverged,
        "rho": rho,
        "off_diagonal": np.array(float(np.max(net.off_diagonal(theta, U)))),
    }


def _legend_handles() -> list[Line2D]:
    """Colour = direction, line style = layer pair, dotted = the 2-cycle rate."""
    out = [
        Line2D([], [], color=COLOURS[i], label=rf"direction $i = {i + 1}$, $s_{i + 1} = {si:.4g}$")
        for i, si in enumerate(SINGULAR)
    ]
    out += [
        Line2D([], [], ls="-", color="0.3", label=r"solid: $|w_{2,i}^2 - w_{1,i}^2|$"),
        Line2D([], [], ls="--", color="0.3", label=r"dashed: $|w_{3,i}^2 - w_{2,i}^2|$"),
        Line2D([], [], ls="-", lw=2.0, color="0.3", label="thick: oscillating direction"),
        Line2D(
            [], [], ls=":", lw=1.2, color="k", label=r"balanced 2-cycle rate $\rho^{t/2}$ (guide)"
        ),
    ]
    return out


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    s = settings(quick)
    steps = d["steps"]
    keep = steps >= 1  # log x
    t = steps[keep]
    y_lo, y_hi = 1e-17, 0.1
    with style():
        fig = new_figure(10.0, 4.6)
        axes = fig.subplots(1, len(C_VALUES), sharey=True)
        for j, (ax, cj) in enumerate(zip(axes, d["c"], strict=True)):
            osc = d["oscillating"][j]
            for i in range(len(SINGULAR)):
                for k, ls in enumerate(PAIR_STYLES):
                    ax.plot(
                        t,
                        masked(d["gaps"][keep, j, k, i], positive=True),
                        ls,
                        color=COLOURS[i],
                        lw=2.0 if osc[i] else 1.0,
                    )
            rho = float(d["rho"][j])
            if np.isfinite(rho) and osc[0]:
                g0 = float(d["gaps"][GUIDE_T0, j, 0, 0])
                n_half = np.log(y_lo / g0) / np.log(rho)  # periods to reach the bottom
                tt = np.linspace(GUIDE_T0, min(t[-1], GUIDE_T0 + 2 * n_half), 400)
                ax.plot(tt, g0 * rho ** ((tt - GUIDE_T0) / 2), ":", color="k", lw=1.2)
            if d["diverged"][j]:
                ax.text(0.5, 0.5, "diverged", transform=ax.transAxes, ha="center", color="r")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(y_lo, y_hi)
            ax.set_xlim(1, t[-1])
            ax.set_xlabel("step $t$")
            c_i = ", ".join(f"{cj * li / LAMBDAS[0]:.3g}" for li in LAMBDAS)
            if osc.any():
                names = ", ".join(str(i + 1) for i in np.nonzero(osc)[0])
                regime = f"oscillating: direction {names}"
                if np.isfinite(rho):
                    regime += rf", $\rho = {rho:.4f}$"
            else:
                regime = "no direction oscillates"
            ax.set_title(
                rf"({'abc'[j]}) $c = \eta\lambda_1 = {cj:g}$, $\eta\lambda_i = ({c_i})$"
                "\n"
                f"{regime}"
            )
            ax.axhspan(y_lo, ROUNDOFF, color="0.92", lw=0, zorder=0)
            ax.text(1.3, ROUNDOFF / 3, "round-off level", fontsize=6.5, color="0.4", va="top")
        axes[0].set_ylabel(r"$|w_{l+1,i}^2 - w_{l,i}^2|$ in direction $i$")
        fig.legend(
            handles=_legend_handles(),
            loc="outside lower center",
            ncol=4,
            fontsize=7,
            frameon=False,
        )
        a_txt = ", ".join(f"{a:g}" for a in INIT_SCALES)
        fig.suptitle(
            rf"Balancing gaps of GD on $\frac{{1}}{{2}}\|W_3W_2W_1 - M^*\|_F^2$, "
            rf"$\lambda = (10, 3, 1)$, $W_l(0) = a_l I$, $a = ({a_txt})$, {s['steps']:,} steps "
            rf"(max off-diagonal of $U^\top W_l U$: {float(d['off_diagonal']):.1e})",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
