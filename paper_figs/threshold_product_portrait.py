"""Phase portrait of GD on the product model ℓ_sym(uv) below and above the threshold η*.

Analogue of Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023, arXiv 2212.07469), whose
theorem statements could not be read: the product model L(u, v) = ℓ(uv) is the research brief's
reconstruction of the paper's reduced dynamics (``research/threshold_neurons.md`` §1.3 (A),
measured in §4.1). u ~ the second-layer weight, v ~ the mean activation; ℓ_sym(t) =
log(2cosh(t/2)), c = ℓ''(0) = 1/4. The minimisers are the line u = 0 with sharpness c v², stable
for GD iff c v² < 2/η. Gradient flow conserves v² − u² (grey hyperbolas) and GD shrinks it by
(1 − η²ℓ'(uv)²) per step; below η* = 2/(c(v0² − u0²)) GD ends near the GF limit, above it u
oscillates (sign flip every step) and v falls past the edge |v| = √(2/(cη)) before u dies out.

Settings
--------
* Model: ``ProductModel("logistic_sym").model``; η* = ``eta_star(u0=0.1, v0=2)`` = 8/3.99.
* Panels: η = 0.8η* and η = 1.3η*. Starts: u0 ∈ {0.05, 0.1, 0.2, 0.3} × v0 ∈ {1.8, 2.0, 2.2}
  (12 runs per panel); one batched ``tm.gd`` call (outer product η × starts), 300 steps (every
  step drawn as a point, consecutive points joined by thin lines; |u_T| < 1e-9 for every run).
* Overlays: the minimiser line u = 0, its stable part 0 ≤ v < √(2/(cη)) highlighted; the
  hyperbolas v² − u² = v_GF² for v_GF = 0.25, 0.5, …, 2.5 (thin grey, labelled by the GF limit
  (0, v_GF)); the 2-cycle u ↔ −u at frozen v, u = ±s*/v with 2s* = ηv²ℓ'(s*)
  (``ProductModel.two_cycle_amplitude``), dashed, for v above the edge.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

import toymodels as tm
from toymodels.models.threshold_neuron import ProductModel

from ._common import finite_xy, new_figure, save, style

ID = "threshold_product_portrait"
PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023)"
FIGURE = "new"
CAPTION = (
    "Product model ℓ_sym(uv) (brief's reconstruction): GD phase portrait at η = 0.8η* and 1.3η*"
)

ETA_STAR_AT = (0.1, 2.0)  # (u0, v0) defining η*
ETA_RATIOS = (0.8, 1.3)
U0 = (0.05, 0.1, 0.2, 0.3)
V0 = (1.8, 2.0, 2.2)
V0_CMAPS = ("Blues", "Oranges", "Greens")
V_GF = tuple(np.round(np.arange(0.25, 2.51, 0.25), 2))
U_LIM = (-1.1, 1.1)
V_LIM = (0.0, 2.55)


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring; quick changes nothing)."""
    return {"steps": 300, "n_cycle": 300}


def start_grid() -> np.ndarray:
    """The 12 starts (u0, v0), shape (len(V0), len(U0), 2) (u0 varies along axis 1)."""
    vv, uu = np.meshgrid(V0, U0, indexing="ij")
    return np.stack([uu, vv], axis=-1)


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Trajectories (T, 2 η, 3 v0, 4 u0, 2), the stability edge and the 2-cycle curves."""
    s = settings(quick)
    pm = ProductModel("logistic_sym")
    eta_star = float(pm.eta_star(*ETA_STAR_AT))
    eta = np.asarray(ETA_RATIOS) * eta_star
    tr = tm.gd(pm.model, start_grid(), eta, s["steps"])
    v_edge = np.sqrt(2.0 / (pm.c * eta))
    cyc_v = np.full((eta.size, s["n_cycle"]), np.nan)
    cyc_u = np.full((eta.size, s["n_cycle"]), np.nan)
    for k, e in enumerate(eta):
        if v_edge[k] < V_LIM[1]:
            vs = np.linspace(v_edge[k], V_LIM[1], s["n_cycle"])
            cyc_v[k] = vs
            cyc_u[k] = [pm.two_cycle_amplitude(float(e), float(v)) / v for v in vs]
    return {
        "eta_star": np.array(eta_star),
        "eta": eta,
        "theta": tr.theta,
        "diverged": tr.diverged,
        "v_edge": v_edge,
        "cycle_v": cyc_v,
        "cycle_u": cyc_u,
        "c": np.array(pm.c),
    }


def _colour(i_v: int, i_u: int):
    from matplotlib import colormaps

    return colormaps[V0_CMAPS[i_v]](0.45 + 0.5 * i_u / max(len(U0) - 1, 1))


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    th = d["theta"]
    uu = np.linspace(*U_LIM, 401)
    with style():
        fig = new_figure(10.0, 4.9)
        axes = fig.subplots(1, 2, sharey=True)
        for k, ax in enumerate(axes):
            ve = float(d["v_edge"][k])
            for vgf in V_GF:
                ax.plot(uu, np.sqrt(vgf**2 + uu**2), color="0.75", lw=0.5, zorder=1)
            ax.plot(
                [0, 0],
                [V_LIM[0], min(ve, V_LIM[1])],
                color="tab:green",
                lw=4,
                alpha=0.45,
                solid_capstyle="butt",
                zorder=2,
            )
            if ve < V_LIM[1]:
                ax.plot([0, 0], [ve, V_LIM[1]], color="tab:red", lw=1.2, zorder=2)
                cu, cv = finite_xy(d["cycle_u"][k], d["cycle_v"][k])
                ax.plot(cu, cv, "k--", lw=1.0, zorder=3)
                ax.plot(-cu, cv, "k--", lw=1.0, zorder=3)
                ax.axhline(ve, color="tab:red", lw=0.5, ls=":", zorder=1)
            for i_v in range(len(V0)):
                for i_u in range(len(U0)):
                    col = _colour(i_v, i_u)
                    u, v = finite_xy(th[:, k, i_v, i_u, 0], th[:, k, i_v, i_u, 1])
                    ax.plot(u, v, "-", color=col, lw=0.35, alpha=0.8, zorder=4)
                    ax.plot(u, v, "o", color=col, ms=1.6, mew=0, zorder=5)
                    ax.plot(u[:1], v[:1], "o", mfc=col, mec="k", mew=0.5, ms=4, zorder=6)
                    if not d["diverged"][k, i_v, i_u]:
                        ax.plot(u[-1:], v[-1:], "*", mfc=col, mec="k", mew=0.4, ms=7, zorder=6)
            ratio = ETA_RATIOS[k]
            ax.set_title(
                rf"({'ab'[k]}) $\eta = {ratio:g}\,\eta^* = {float(d['eta'][k]):.3f}$: "
                rf"edge $|v| = \sqrt{{2/(c\eta)}} = {ve:.3f}$"
            )
            ax.set_xlim(*U_LIM)
            ax.set_ylim(*V_LIM)
            ax.set_xlabel("$u$ (second-layer weight)")
        axes[0].set_ylabel("$v$ (mean activation)")
        handles = [
            Line2D(
                [],
                [],
                color="tab:green",
                lw=4,
                alpha=0.45,
                label=r"stable minimisers $u = 0$, $c v^2 < 2/\eta$",
            ),
            Line2D([], [], color="tab:red", lw=1.2, label=r"unstable minimisers $c v^2 > 2/\eta$"),
            Line2D(
                [], [], color="k", ls="--", lw=1.0, label=r"2-cycle $u = \pm s^*/v$ at frozen $v$"
            ),
            Line2D([], [], color="0.75", lw=0.8, label=r"GF invariant $v^2 - u^2$ = const"),
            *[
                Line2D(
                    [],
                    [],
                    color=_colour(i, len(U0) - 1),
                    marker="o",
                    ms=3,
                    lw=0.6,
                    label=rf"GD from $v_0 = {v0:g}$",
                )
                for i, v0 in enumerate(V0)
            ],
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                mfc="w",
                mec="k",
                ms=4,
                label=r"start, $u_0 \in \{0.05, 0.1, 0.2, 0.3\}$ (darker: larger)",
            ),
            Line2D([], [], ls="none", marker="*", mfc="w", mec="k", ms=7, label="end (step 300)"),
        ]
        axes[0].legend(handles=handles, loc="lower right", fontsize=6, framealpha=0.9)
        u0, v0 = ETA_STAR_AT
        fig.suptitle(
            rf"GD on the product model $\ell_{{sym}}(uv)$, $c$ = ℓ''(0) = 1/4, "
            rf"$\eta^* = 2/(c(v_0^2 - u_0^2)) = {float(d['eta_star']):.4f}$ at "
            rf"$(u_0, v_0) = ({u0:g}, {v0:g})$ (reduced model: the brief's reconstruction)",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
