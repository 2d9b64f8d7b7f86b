"""The loss of GD at the edge of stability is the constrained-trajectory loss plus the oscillation
energy: L(θ_t) ≈ L(θ†_t) + x_t²/η, on Model B at three step sizes.

Analogue of Damian, Nichani, Lee (ICLR 2023, arXiv 2209.15594), the loss comparison of their main
figures (GD against L(θ†) and the prediction), in the smoothed form of the central-flows site
(Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025: raw and Gaussian-smoothed curves); specs from
``research/self_stabilization.md`` §1.5, §2 (item 11), §3.3 and §4 (F4 (i), F6), claim T8.

Settings
--------
* Model B: ``width_one_net()`` (λ_s = 0.1, λ_n = 100, γ = 0.05) from ``width_one_net_init()``;
  η ∈ ``MODEL_B_ETAS`` = (0.025, 0.03, 0.035), T = 5000 steps (full) / η = 0.03 alone,
  T = 1200 (quick). One column per η.
* ``tm.constrained_trajectory`` (onset t0 = first t with S(θ_t) > 2/η, 3 linearised
  projections per step) gives GD, θ† and the measured oscillation coordinate
  x_t = u_t·(θ_t − θ†_t) (u the top Hessian eigenvector at θ†_t).
* Top row (log y): the GD loss L(θ_t) (thin), L(θ†_t), L(θ†_t) + x_t²/η (thin), and the
  Gaussian-smoothed GD loss and L(θ†) + x²/η (``scipy.ndimage.gaussian_filter1d``, σ = 20 steps,
  mode "nearest", over t ≥ t0 only, where θ† exists). The legend gives the claim-T8 ratio
  Σ_{t≥t0}(L_GD − L(θ†))/Σ_{t≥t0} x_t²/η.
* Bottom row: the ratio of the two smoothed curves, smoothed L_GD ÷ smoothed (L(θ†) + x²/η),
  with the line 1 (log y, 0.05…5). It is far from 1 during the relaxation cycles (between
  catapults GD is far from θ† and its loss is below L(θ†)) and within 0.1 % of 1 once GD has
  settled on its slowly moving 2-cycle.
* Nothing is drawn before t0; non-finite values (none occur for these settings) are masked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

import toymodels as tm
from toymodels.models.self_stabilization import MODEL_B_ETAS, width_one_net, width_one_net_init

from ._common import masked, new_figure, progress, save, style

ID = "self_stabilization_loss"
PAPER = "Damian, Nichani, Lee (ICLR 2023); Cohen, Damian et al. (ICLR 2025)"
FIGURE = "new"
CAPTION = (
    "Model B: the GD loss at EoS equals L(θ†) + x²/η (raw and Gaussian-smoothed, 3 step sizes)"
)

SMOOTH_SIGMA = 20.0


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "etas": (0.03,) if quick else tuple(MODEL_B_ETAS),
        "steps": 1200 if quick else 5000,
        "smooth_sigma": SMOOTH_SIGMA,
    }


def smooth_after(y: np.ndarray, t0: int, sigma: float) -> np.ndarray:
    """``y`` Gaussian-smoothed (σ steps, mode "nearest") over t ≥ t0; NaN before t0."""
    out = np.full(y.shape, np.nan)
    seg = y[t0:]
    ok = np.isfinite(seg)
    if ok.all() and seg.size:
        out[t0:] = gaussian_filter1d(seg, sigma, mode="nearest")
    elif ok.any():  # a member that stopped: smooth its finite prefix only
        k = int(np.argmin(ok)) if not ok.all() else seg.size
        if k:
            out[t0 : t0 + k] = gaussian_filter1d(seg[:k], sigma, mode="nearest")
    return out


def compute(quick: bool = False) -> dict[str, object]:
    """GD and θ† for each η; raw and smoothed losses and the T8 ratio."""
    s = settings(quick)
    model = width_one_net()
    th0 = width_one_net_init()
    T = int(s["steps"])
    sig = float(s["smooth_sigma"])
    rows = []
    for eta in progress(s["etas"], "self-stabilization loss: eta", total=len(s["etas"])):
        ct = tm.constrained_trajectory(model, th0, float(eta), T)
        t0 = ct.onset
        with np.errstate(invalid="ignore", over="ignore"):
            energy = ct.x**2 / eta
            pred = ct.loss + energy
        row = {"eta": float(eta), "t0": t0, "L_gd": ct.loss_gd, "L_dag": ct.loss, "pred": pred}
        if t0 is not None:
            w = slice(t0, None)
            good = np.isfinite(ct.loss_gd[w]) & np.isfinite(pred[w])
            row["ratio"] = float(
                np.sum((ct.loss_gd[w] - ct.loss[w])[good]) / np.sum(energy[w][good])
            )
            row["L_gd_s"] = smooth_after(ct.loss_gd, t0, sig)
            row["pred_s"] = smooth_after(pred, t0, sig)
            with np.errstate(invalid="ignore", divide="ignore"):
                row["ratio_s"] = row["L_gd_s"] / row["pred_s"]
        rows.append(row)
    return {"steps": np.arange(T + 1), "rows": rows, "sigma": sig}


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    steps = d["steps"]
    rows = d["rows"]
    n = len(rows)
    sig = d["sigma"]
    with style():
        fig = new_figure(max(4.4 * n + 0.4, 7.5), 5.6)
        axes = fig.subplots(2, n, squeeze=False, height_ratios=[2.2, 1.0])
        for j, row in enumerate(rows):
            ax, ax_r = axes[0, j], axes[1, j]
            eta = row["eta"]
            t0 = row["t0"]
            ax.plot(steps, masked(row["L_gd"], positive=True), color="tab:gray", lw=0.5, label="GD")
            ax.plot(
                steps,
                masked(row["pred"], positive=True),
                color="tab:orange",
                lw=0.5,
                alpha=0.8,
                label=r"$L(\theta^\dagger_t) + x_t^2/\eta$",
            )
            ax.plot(
                steps,
                masked(row["L_dag"], positive=True),
                color="tab:blue",
                lw=1.2,
                label=r"$L(\theta^\dagger_t)$",
            )
            title = rf"(a{j + 1}) $\eta = {eta:g}$"
            if t0 is not None:
                ax.plot(
                    steps,
                    masked(row["L_gd_s"], positive=True),
                    color="k",
                    lw=1.8,
                    label=rf"GD, smoothed ($\sigma = {sig:g}$ steps)",
                )
                ax.plot(
                    steps,
                    masked(row["pred_s"], positive=True),
                    color="tab:red",
                    lw=1.4,
                    ls="--",
                    label=r"$L(\theta^\dagger) + x^2/\eta$, smoothed",
                )
                ax.axvline(t0, color="k", ls=":", lw=0.8)
                title += (
                    rf", $t_0 = {t0}$; "
                    r"$\Sigma(L_{GD} - L(\theta^\dagger)) / \Sigma x^2/\eta$"
                    f" = {row['ratio']:.4f}"
                )
                ax_r.plot(steps, masked(row["ratio_s"], positive=True), color="k", lw=1.0)
                ax_r.axvline(t0, color="k", ls=":", lw=0.8)
            ax.set_yscale("log")
            ax.set_ylabel("loss")
            ax.set_title(title, fontsize=8)
            ax.legend(loc="lower left", fontsize=6)
            ax_r.axhline(1.0, color="tab:red", ls="--", lw=0.8)
            ax_r.set_yscale("log")
            ax_r.set_ylim(0.05, 5.0)
            ax_r.set_yticks([0.1, 0.5, 1.0, 2.0, 5.0], ["0.1", "0.5", "1", "2", "5"])
            ax_r.minorticks_off()
            ax_r.set_xlim(ax.get_xlim())
            ax_r.set_xlabel("step $t$")
            ax_r.set_ylabel("smoothed GD / pred.")
            ax_r.set_title(
                rf"(b{j + 1}) smoothed $L_{{GD}}$ ÷ smoothed $(L(\theta^\dagger) + x^2/\eta)$",
                fontsize=8,
            )
        fig.suptitle(
            r"GD on Model B: loss = constrained-trajectory loss $L(\theta^\dagger)$ + oscillation "
            rf"energy $x^2/\eta$ ({int(steps[-1])} steps)",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
