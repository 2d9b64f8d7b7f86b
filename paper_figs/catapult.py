"""The catapult: GD on a wide two-layer linear net in the lazy, catapult and divergent regimes.

Analogue of Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari (arXiv 2003.02218, 2020), Fig. 1, and
Zhu, Liu, Radhakrishnan, Belkin (ICLR 2024); specs from ``research/quadratic_regression.md`` §3
(F4).

Settings
--------
* Model: ``WideLinearNet(n, y=0)``, f = n^{-1/2} vᵀu on one sample, u, v ~ N(0, 1) (seed 0),
  n = 10 000 (full) / 1000 (quick). The same θ0 for every run; η = ηλ0/λ0 from ``init_with``.
* Panels (a), (b): one batched ``tm.gd`` call over ηλ0 ∈ {1.5, 2.5, 3.5, 4.1}, 200 steps, every
  step recorded. (a) loss/L0 (log y in [1e-33, 1e6]; exact zeros masked), (b) ηλ_t =
  η·(‖u‖² + ‖v‖²)/n with lines at 2 and 4. A diverged run (bound 1e10 on |θ_i|) is drawn up to
  its divergence step k and marked "×  diverged at step k" (clipped to the top of the axes).
* Panel (c): final ηλ_∞ against ηλ0 on ``np.linspace(0.5, 4.5, N)``, N = 200 (full) / 40 (quick),
  from the exact (U, V) map (``catapult_map``, U = η²f²/n, V = ηλ) iterated 20 000 steps with
  ``tm.iterate`` (batched), U0 = η²f0²/n from the same net. Lines y = x, y = 2 and y = 4 − x;
  diverged points as crosses on the top edge; the four GD runs of (a, b) overlaid as circles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.quadratic_regression import catapult_map
from toymodels.models.two_layer_linear import WideLinearNet

from ._common import mark_divergence, masked, new_figure, save, style

ID = "catapult"
PAPER = "Lewkowycz et al. (arXiv 2003.02218, 2020); Zhu et al. (ICLR 2024)"
FIGURE = "1"
CAPTION = "Catapult in a wide linear net: loss and ηλ_t for lazy, catapult, divergent ηλ0"

ETA_LAMBDA0 = (1.5, 2.5, 3.5, 4.1)
COLORS = ("tab:blue", "tab:green", "tab:orange", "tab:red")
SEED = 0


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "width": 1000 if quick else 10_000,
        "steps": 200,
        "n_grid": 40 if quick else 200,
        "map_steps": 20_000,
    }


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Trajectories of the net and the (U, V)-map sweep."""
    s = settings(quick)
    net = WideLinearNet(n=s["width"], y=0.0)
    theta0, _ = net.init_with(1.0, seed=SEED)
    etas = np.array([net.init_with(el, seed=SEED)[1] for el in ETA_LAMBDA0])
    tr = tm.gd(net.model, theta0, etas, s["steps"])
    # ηλ_t per run (one run at a time keeps the peak memory at one (T, 2n) block)
    el_t = np.stack([etas[j] * net.ntk(tr.theta[:, j]) for j in range(len(etas))], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss_rel = tr.loss / tr.loss[0]

    lam0 = float(net.ntk(theta0))
    f0 = float(net.f(theta0))
    grid = np.linspace(0.5, 4.5, s["n_grid"])
    eta_grid = grid / lam0
    U0 = eta_grid**2 * f0**2 / net.n
    sweep = tm.iterate(
        catapult_map(), np.stack([U0, grid], axis=-1), s["map_steps"], record_every=0
    )
    return {
        "steps": tr.steps,
        "loss_rel": loss_rel,
        "eta_lambda": el_t,
        "diverged": tr.diverged,
        "diverged_at": tr.diverged_at,
        "grid": grid,
        "final": sweep.final[:, 1],
        "grid_diverged": sweep.diverged,
        "net_final": el_t[-1],
        "width": np.array(net.n),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    steps = d["steps"]
    with style():
        fig = new_figure(10.0, 3.4)
        ax_l, ax_e, ax_c = fig.subplots(1, 3)

        el_top = 5.0
        loss_top = 1e6
        for j, (el0, col) in enumerate(zip(ETA_LAMBDA0, COLORS, strict=True)):
            lab = rf"$\eta\lambda_0 = {el0}$"
            ax_l.plot(steps, masked(d["loss_rel"][:, j], positive=True), color=col, label=lab)
            ax_e.plot(steps, masked(d["eta_lambda"][:, j]), color=col, label=lab)
            if d["diverged"][j]:
                k = int(d["diverged_at"][j])
                mark_divergence(ax_l, steps, d["loss_rel"][:, j], k, col, y_top=loss_top)
                mark_divergence(ax_e, steps, d["eta_lambda"][:, j], k, col, y_top=el_top)
        ax_l.set_yscale("log")
        ax_l.set_ylim(1e-33, loss_top)
        ax_l.set_xlabel("step $t$")
        ax_l.set_ylabel(r"$L_t / L_0$")
        ax_l.set_title(f"(a) loss, width n = {int(d['width'])}")
        ax_l.legend(loc="lower left")

        ax_e.axhline(2.0, color="k", ls="--", lw=0.7)
        ax_e.axhline(4.0, color="k", ls=":", lw=0.7)
        ax_e.text(steps[-1], 2.05, r"$\eta\lambda = 2$", ha="right", va="bottom", fontsize=7)
        ax_e.text(steps[-1], 4.05, r"$\eta\lambda = 4$", ha="right", va="bottom", fontsize=7)
        ax_e.set_ylim(0.0, el_top)
        ax_e.set_xlabel("step $t$")
        ax_e.set_ylabel(r"$\eta\lambda_t$")
        ax_e.set_title(r"(b) $\eta\lambda_t$, NTK $\lambda = (\|u\|^2 + \|v\|^2)/n$")

        # -- (c): the exact (U, V) map
        grid, fin = d["grid"], d["final"]
        ok = ~d["grid_diverged"] & np.isfinite(fin)
        ax_c.plot(grid[ok], fin[ok], ".", color="k", ms=3.5, label=r"$(U, V)$ map, 20 000 steps")
        xs = np.linspace(0.5, 4.5, 2)
        ax_c.plot(xs, xs, color="tab:gray", lw=0.8, label="$y = x$")
        ax_c.axhline(2.0, color="k", ls="--", lw=0.7, label="$y = 2$")
        xr = np.array([2.0, 4.5])
        ax_c.plot(xr, 4 - xr, color="tab:purple", ls=":", lw=1.0, label="$y = 4 - x$")
        y_cross = 4.45
        if (~ok).any():
            ax_c.plot(
                grid[~ok],
                np.full((~ok).sum(), y_cross),
                "x",
                color="tab:red",
                ms=4,
                clip_on=False,
                label="diverged",
            )
        net_ok = ~d["diverged"] & np.isfinite(d["net_final"])
        ax_c.plot(
            np.asarray(ETA_LAMBDA0)[net_ok],
            d["net_final"][net_ok],
            "o",
            mfc="none",
            mec="tab:red",
            ms=7,
            mew=1.2,
            label="GD on the net (a, b)",
        )
        ax_c.axvspan(2.0, 4.0, color="tab:orange", alpha=0.08, lw=0)
        ax_c.set_xlim(0.5, 4.5)
        ax_c.set_ylim(-0.1, 4.6)
        ax_c.set_xlabel(r"$\eta\lambda_0$")
        ax_c.set_ylabel(r"final $\eta\lambda_\infty$")
        ax_c.set_title(r"(c) $\eta\lambda_\infty$ vs $\eta\lambda_0$")
        ax_c.legend(loc="upper left", fontsize=6)
        paths = save(fig, out_dir, ID)
    return paths
