"""Edge of stability at convergence on the minimalist example L = ¼(x²y² − 1)²: GD ends just below
sharpness 2/η, at the "η-EoS minimum" x² − y² = √(η⁻² − 4), not at the gradient-flow limit.

Analogue of Zhu, Wang, Wang, Zhou, Ge, "Understanding Edge-of-Stability Training Dynamics with a
Minimalist Example" (ICLR 2023), their bifurcation picture (final sharpness and the η-EoS minimum
(c, d) = ((η⁻² − 4)^{1/4}, 1) against η); specs from ``research/self_stabilization.md`` §1.8,
§3.4, §4 (F7) and claim T12. On the minimiser set xy = 1 the sharpness is 2(x² + y²) and
gradient flow conserves x² − y², so the minimiser with sharpness exactly 2/η has
x² − y² = √(η⁻² − 4).

Settings
--------
* Model Z: ``minimalist_model()`` from ``MODEL_Z_INIT`` = (2.5, 0.1); its gradient-flow limit
  (``tm.gradient_flow`` to time 10⁴) has sharpness S_GF = 13.105, so GD with η > 2/S_GF = 0.1526
  cannot stop there.
* (a), (b): one batched ``tm.gd`` call over η ∈ ``np.linspace(0.15, 0.35, N)``, N = 41 (full) /
  11 (quick), 30 000 steps (full) / 5000 (quick; every non-diverged member has converged by then:
  loss < 1e-20). (a) final S·η/2 (``tm.sharpness``) with the line 1 and the gradient-flow value
  S_GF·η/2; (b) final (x² − y²)/√(η⁻² − 4) with the line 1. Diverged members (bound 1e10) are
  drawn as × on the top edge; a member that converged to a minimiser off the plotted range is
  drawn as a triangle on the edge with its value written next to it; members not converged
  (final loss ≥ 1e-20) would be drawn as open circles. The text gives the range of the plotted
  converged values with η > 2/S_GF (the dotted line).
* (c): S_t·η/2 against t + 1 (log x) for η ∈ {0.17, 0.2, 0.25, 0.3} (the brief's table), every
  step recorded, 30 000 (full) / 5000 (quick) steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.self_stabilization import MODEL_Z_INIT, minimalist_model

from ._common import masked, new_figure, progress, save, style

ID = "minimalist_eos"
PAPER = "Zhu, Wang, Wang, Zhou, Ge (ICLR 2023)"
FIGURE = "new"
CAPTION = "Minimalist ¼(x²y² − 1)²: GD converges at S just below 2/η, x² − y² = √(η⁻² − 4)"

ETA_RANGE = (0.15, 0.35)
TRACE_ETAS = (0.17, 0.2, 0.25, 0.3)
TRACE_COLORS = ("tab:blue", "tab:green", "tab:orange", "tab:red")
CONVERGED_LOSS = 1e-20
Y_LIM = (0.95, 1.02)


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {"n_eta": 11 if quick else 41, "steps": 5000 if quick else 30_000}


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """The η sweep (final state only), the traces and the gradient-flow limit."""
    s = settings(quick)
    model = minimalist_model()
    th0 = np.asarray(MODEL_Z_INIT, dtype=float)
    etas = np.linspace(*ETA_RANGE, s["n_eta"])
    tasks = ["eta sweep", "sharpness traces", "gradient-flow limit"]
    for task in progress(tasks, "minimalist EoS", total=len(tasks)):
        if task == tasks[0]:
            sweep = tm.gd(model, th0, etas, s["steps"], record_every=0)
        elif task == tasks[1]:
            tr = tm.gd(model, th0, np.asarray(TRACE_ETAS), s["steps"])
            trace = tm.sharpness(model, tr.theta) * np.asarray(TRACE_ETAS) / 2
        else:
            gf = tm.gradient_flow(model, th0, 1e4, n_points=2)
            s_gf = float(tm.sharpness(model, gf.theta[-1]))
    th = sweep.theta[-1]
    x, y = th[:, 0], th[:, 1]
    with np.errstate(invalid="ignore"):
        ratio_s = tm.sharpness(model, th) * etas / 2
        ratio_c = (x**2 - y**2) / np.sqrt(etas**-2.0 - 4.0)
        loss = sweep.loss[-1]
        converged = ~sweep.diverged & (loss < CONVERGED_LOSS)
    return {
        "etas": etas,
        "ratio_s": ratio_s,
        "ratio_c": ratio_c,
        "loss": loss,
        "diverged": sweep.diverged,
        "converged": converged,
        "trace_t": tr.steps + 1.0,
        "trace": trace,
        "trace_diverged": tr.diverged,
        "s_gf": np.array(s_gf),
        "steps": np.array(s["steps"]),
    }


def _sweep_panel(ax, etas, vals, diverged, converged, color, label) -> None:
    lo, hi = Y_LIM
    ok = ~diverged & np.isfinite(vals)
    inside = ok & (vals >= lo) & (vals <= hi)
    ax.plot(
        etas[inside & converged], vals[inside & converged], "o", color=color, ms=3.5, label=label
    )
    nc = inside & ~converged
    if nc.any():
        ax.plot(etas[nc], vals[nc], "o", mfc="none", mec=color, ms=5, label="not converged")
    off = ok & ~inside
    if off.any():
        for e, v in zip(etas[off], vals[off], strict=True):
            edge = lo if v < lo else hi
            ax.plot([e], [edge], "v" if v < lo else "^", color="tab:purple", ms=6, clip_on=False)
            ax.annotate(
                f"{v:.3f}",
                (e, edge),
                xytext=(-4, 4 if v < lo else -4),
                textcoords="offset points",
                ha="right",
                va="bottom" if v < lo else "top",
                fontsize=6,
                color="tab:purple",
            )
        ax.plot([], [], "v", color="tab:purple", ms=6, label="off scale (value written)")
    if diverged.any():
        ax.plot(
            etas[diverged],
            np.full(int(diverged.sum()), hi),
            "x",
            color="tab:red",
            ms=6,
            mew=1.5,
            clip_on=False,
            label=f"diverged ({int(diverged.sum())})",
        )
    ax.axhline(1.0, color="k", ls="--", lw=0.8, label="1")
    ax.set_ylim(lo, hi)
    ax.set_xlim(ETA_RANGE[0] - 0.005, ETA_RANGE[1] + 0.005)
    ax.set_xlabel(r"$\eta$")


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    etas = d["etas"]
    s_gf = float(d["s_gf"])
    eta_c = 2.0 / s_gf
    with style():
        fig = new_figure(12.0, 3.8)
        ax_s, ax_c, ax_t = fig.subplots(1, 3)
        _sweep_panel(
            ax_s, etas, d["ratio_s"], d["diverged"], d["converged"], "k", r"GD, final $S\eta/2$"
        )
        eg = np.linspace(ETA_RANGE[0] - 0.005, ETA_RANGE[1] + 0.005, 200)
        ax_s.plot(
            eg,
            masked(np.where(s_gf * eg / 2 <= Y_LIM[1], s_gf * eg / 2, np.nan)),
            color="tab:gray",
            lw=1.0,
            label=rf"gradient-flow limit $S_{{GF}}\eta/2$ ($S_{{GF}} = {s_gf:.3f}$)",
        )
        for ax in (ax_s, ax_c):
            ax.axvline(eta_c, color="tab:gray", ls=":", lw=0.8)
        eos = d["converged"] & (etas > eta_c)
        for ax, key in ((ax_s, "ratio_s"), (ax_c, "ratio_c")):
            v = d[key][eos & (d[key] >= Y_LIM[0]) & (d[key] <= Y_LIM[1])]
            if v.size:
                ax.text(
                    0.97,
                    0.62,
                    rf"$\eta > 2/S_{{GF}}$: {v.min():.4f} … {v.max():.4f}",
                    transform=ax.transAxes,
                    ha="right",
                    fontsize=7,
                )
        ax_s.set_ylabel(r"final $S\eta/2$")
        ax_s.set_title(r"(a) final sharpness $\times\,\eta/2$")
        ax_s.legend(loc="lower left", fontsize=6)
        _sweep_panel(
            ax_c,
            etas,
            d["ratio_c"],
            d["diverged"],
            d["converged"],
            "tab:blue",
            r"GD, final $(x^2 - y^2)/\sqrt{\eta^{-2} - 4}$",
        )
        ax_c.annotate(
            rf"$\eta = 2/S_{{GF}} = {eta_c:.4f}$",
            (eta_c, 0.97),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            va="top",
            textcoords="offset points",
            fontsize=6,
            color="tab:gray",
        )
        ax_c.set_ylabel(r"final $(x^2 - y^2)/\sqrt{\eta^{-2} - 4}$")
        ax_c.set_title(r"(b) the $\eta$-EoS minimum $x^2 - y^2 = \sqrt{\eta^{-2} - 4}$")
        ax_c.legend(loc="lower left", fontsize=6)

        t = d["trace_t"]
        for j, (eta, col) in enumerate(zip(TRACE_ETAS, TRACE_COLORS, strict=True)):
            lab = rf"$\eta = {eta:g}$"
            if d["trace_diverged"][j]:
                lab += " (diverged)"
            ax_t.plot(t, masked(d["trace"][:, j]), color=col, lw=1.0, label=lab)
        ax_t.axhline(1.0, color="k", ls="--", lw=0.8)
        ax_t.set_xscale("log")
        ax_t.set_ylim(0.0, 1.6)
        ax_t.set_xlabel("step $t + 1$")
        ax_t.set_ylabel(r"$S_t\eta/2$")
        ax_t.set_title(r"(c) sharpness $\times\,\eta/2$ along GD")
        ax_t.legend(loc="upper left", fontsize=6)
        fig.suptitle(
            r"GD on $L = \frac{1}{4}(x^2y^2 - 1)^2$ from $(x, y) = "
            rf"{tuple(MODEL_Z_INIT)}$, {int(d['steps'])} steps, {etas.size} step sizes",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
