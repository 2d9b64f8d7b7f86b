"""GFS-sharpness, sharpness and loss of GD on a depth-3 scalar network at four step sizes.

Analogue of Kreisler, Nacson, Soudry, Carmon (ICML 2023, arXiv 2305.13064): the sharpness of the
gradient-flow solution (GFS sharpness) decreases monotonically along GD, while the sharpness and
the loss need not. The paper's own figure settings could not be read; the settings are those of
``research/linear_models.md`` §A.5 and §G (A).

Settings
--------
* Model: ``ScalarNet(3, y=1)``, L(w) = (w₁w₂w₃ − 1)²/2, from w0 = (0.4, 1.3, 2.0);
  φ0 = ``gfs_sharpness(w0)`` ≈ 7.5453.
* Step sizes η = ratio·2/φ0 for ratio ∈ {0.5, 0.9, 1.1, 1.3}; one batched ``tm.gd`` call,
  20 000 steps (full) / 3000 (quick). Every step is recorded (all runs settle within ~130 steps,
  and the catapults of ratio 1.1 and 1.3 alternate step by step, so a coarser record would alias
  them); the curves are drawn at ~2000 steps log-spaced in t + 1 (``plot_indices``: every step
  up to t ≈ 500 (full) / 1000 (quick), then sparser).
* Panels against t + 1 (log x): (a) GFS sharpness φ(w_t) (``ScalarNet.gfs_sharpness``) with the
  lines 2/η in the colour of each run (the legend counts the steps, over all T, with
  φ_{t+1} > φ_t·(1 + 1e-12)); (b) sharpness S_t = λ_max(∇²L(w_t)) (``tm.sharpness``)
  with the same lines; (c) loss L_t (log y; exact zeros and non-finite values masked).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.scalar_net import ScalarNet

from ._common import masked, new_figure, save, style

ID = "scalar_net_gfs"
PAPER = "Kreisler, Nacson, Soudry, Carmon (ICML 2023)"
FIGURE = "new"
CAPTION = "Depth-3 scalar net: GFS sharpness falls monotonically while sharpness and loss oscillate"

W0 = (0.4, 1.3, 2.0)
RATIOS = (0.5, 0.9, 1.1, 1.3)
COLORS = ("tab:blue", "tab:green", "tab:orange", "tab:red")
N_PLOT = 2000


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {"steps": 3000 if quick else 20_000, "record_every": 1, "n_plot": N_PLOT}


def plot_indices(steps: int, n: int) -> np.ndarray:
    """About ``n`` record indices t, log-spaced in t + 1 (every step early on), with 0 and T."""
    if steps + 1 <= n:
        return np.arange(steps + 1)
    m = n
    while True:
        idx = np.unique(np.round(np.geomspace(1, steps + 1, m)).astype(np.int64) - 1)
        if idx.size >= n:
            return np.union1d(idx, [0, steps])
        m = int(m * 1.25) + 1


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """GD from w0 at the four step sizes; φ_t, S_t and L_t at the plotted steps."""
    s = settings(quick)
    net = ScalarNet(3, y=1.0)
    w0 = np.array(W0)
    phi0 = float(net.gfs_sharpness(w0))
    etas = np.asarray(RATIOS) * 2.0 / phi0
    tr = tm.gd(net.model, w0, etas, s["steps"], record_every=s["record_every"])
    gfs = net.gfs_sharpness(tr.theta)  # (T + 1, 4), every step
    with np.errstate(invalid="ignore"):
        rises = np.sum(gfs[1:] > gfs[:-1] * (1 + 1e-12), axis=0)
    idx = plot_indices(s["steps"], s["n_plot"])
    theta = tr.theta[idx]  # (n, 4, 3)
    return {
        "steps": tr.steps[idx],
        "eta": etas,
        "phi0": np.array(phi0),
        "gfs": gfs[idx],
        "gfs_rises": rises,
        "sharpness": tm.sharpness(net.model, theta),
        "loss": tr.loss[idx],
        "diverged": tr.diverged,
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    x = d["steps"] + 1.0
    with style():
        fig = new_figure(11.0, 3.9)
        ax_g, ax_s, ax_l = fig.subplots(1, 3, sharex=True)
        y_lo, y_hi = 2.5, 10.5
        for j, (ratio, col) in enumerate(zip(RATIOS, COLORS, strict=True)):
            eta = d["eta"][j]
            lab = (
                rf"$\eta\varphi_0/2 = {ratio}$, $2/\eta = {2 / eta:.2f}$ "
                rf"($\varphi$ rose at {int(d['gfs_rises'][j])} steps)"
            )
            lw = 2.4 if j == 0 else 1.2  # ratio 0.5 lies under 0.9 (φ, S differ by < 0.1 %)
            ax_g.plot(x, masked(d["gfs"][:, j]), color=col, lw=lw, label=lab)
            ax_s.plot(x, masked(d["sharpness"][:, j]), color=col, lw=lw)
            ax_l.plot(x, masked(d["loss"][:, j], positive=True), color=col, lw=lw)
            for ax in (ax_g, ax_s):
                if 2 / eta < y_hi:
                    ax.axhline(2 / eta, color=col, ls="--", lw=0.8)
                else:
                    ax.annotate(
                        rf"$2/\eta = {2 / eta:.2f}$ $\uparrow$",
                        (0.98, 0.98),
                        xycoords="axes fraction",
                        ha="right",
                        va="top",
                        color=col,
                        fontsize=7,
                    )
        for ax in (ax_g, ax_s, ax_l):
            ax.set_xscale("log")
            ax.set_xlabel("step $t + 1$")
        for ax in (ax_g, ax_s):
            ax.set_ylim(y_lo, y_hi)
        ax_g.set_ylabel(r"$\varphi(w_t)$")
        ax_g.set_title(r"(a) GFS sharpness $\varphi(w_t)$ (dashed: $2/\eta$)")
        ax_s.set_ylabel(r"$S_t = \lambda_{\max}(\nabla^2 L(w_t))$")
        ax_s.set_title(r"(b) sharpness $S_t$ (dashed: $2/\eta$)")
        ax_l.set_yscale("log")
        ax_l.set_ylim(1e-33, 1.0)
        ax_l.set_ylabel(r"$L_t$ (exact zeros not drawn)")
        ax_l.set_title(r"(c) loss $L_t = (w_1w_2w_3 - 1)^2/2$")
        fig.suptitle(
            rf"GD on the scalar net $D = 3$, $y = 1$, $w_0 = {W0}$, "
            rf"$\varphi_0 = {float(d['phi0']):.4f}$, {int(d['steps'][-1])} steps",
            fontsize=9,
        )
        fig.legend(loc="outside lower center", ncol=4, fontsize=7, frameon=False)
        paths = save(fig, out_dir, ID)
    return paths
