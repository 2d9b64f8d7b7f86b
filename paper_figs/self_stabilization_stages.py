"""The four stages of the edge of stability on Model B, against the constrained trajectory θ†,
the predicted dynamics and the central flow.

Analogue of Damian, Nichani, Lee (ICLR 2023, arXiv 2209.15594), Fig. 2 ("the four stages of
edge of stability … on a simple loss function") and their main comparisons (loss, sharpness,
x_t against x⋆_t, ‖θ − θ†‖ against ‖θ − θ_GF‖), with the central flow of Cohen, Damian,
Talwalkar, Kolter, Lee (ICLR 2025); specs from ``research/self_stabilization.md`` §1.3, §1.5,
§1.6, §3.3 and §4 (F1, F3, F4, F5).

Settings
--------
* Model B: ``width_one_net()`` (λ_s = 0.1, λ_n = 100, γ = 0.05) from ``width_one_net_init()``
  = (0.3, 0.3, γ/0.3); η ∈ ``MODEL_B_ETAS`` = (0.025, 0.03, 0.035), T = 5000 GD steps (full) /
  η = 0.03 alone, T = 1200 (quick). One row of panels per η.
* GD and the constrained trajectory θ† from one ``tm.constrained_trajectory`` call (onset t0 =
  first t with S(θ_t) > 2/η; 3 linearised projections per step); ``tm.predicted_dynamics`` from
  v⋆_{t0} = θ_{t0} − θ†_{t0}; the central flow ``tm.central_flow(method="euler")`` (the authors'
  discretisation: 4 substeps per step, critical threshold 1.95/η); gradient flow
  ``tm.gradient_flow`` (LSODA) recorded at continuous time η·t, i.e. after the same "distance"
  as t GD steps (it integrates dθ/dτ = −∇L, one GD step being a time η).
* (a) sharpness S(θ_t) of GD, the line 2/η and S(w(t)) of the central flow; the legend gives the
  mean of S·η/2 over t ≥ t0. (b) loss (log y): GD, L(θ†), the predicted time average
  L(θ†) + 2α/(ηβ) and the central flow's L(w) + σ²/η; the legend gives Σ_{t≥t0} L_GD divided by
  the same sum of each prediction. (c) zoom on the first cycle (from shortly before t0 until
  shortly after the next upward crossing of 2/η): |x_t| of the oscillation coordinate
  x_t = u_t·(θ_t − θ†_t) of GD, its oscillation amplitude a_t = |x_{t−1} − 2x_t + x_{t+1}|/4,
  the same amplitude a⋆_t of the predicted x⋆_t, and the envelope δ_t = √(2α/β) at θ† (log y,
  so that the geometric blow-up of stage 2 is a straight line; x alternates in sign, and x_t
  also carries a slow non-oscillating offset, up to linear order in t, that a_t removes).
  (d) ‖θ_t − θ†_t‖, ‖θ_t − w(t)‖ and ‖θ_t − θ_GF(ηt)‖ (log y from 1e-6).
* Stages of the first cycle (brief §1.3), from the measured x and y = S(θ_t) − 2/η, with the
  oscillation amplitude a_t (below):
  1 progressive sharpening t < t0 (y < 0); 2 blow-up from t0 until a_t ≥ δ_t; 3
  self-stabilization until y < 0; 4 return to stability until a_t < δ_t; then stage 1 again
  until the next crossing. Shaded in every panel (stages 3 and 4 last a few steps: see (c)).
* Quantities undefined before t0 (θ†, x, x⋆, δ) are not drawn; non-finite values are masked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

import toymodels as tm
from toymodels.models.self_stabilization import MODEL_B_ETAS, width_one_net, width_one_net_init

from ._common import masked, new_figure, progress, save, style

ID = "self_stabilization_stages"
PAPER = "Damian, Nichani, Lee (ICLR 2023); Cohen, Damian et al. (ICLR 2025)"
FIGURE = "2"
CAPTION = "Model B: the four stages of EoS; GD follows the constrained trajectory and central flow"

STAGES = (
    ("1 progressive sharpening", "tab:blue"),
    ("2 blow-up", "tab:red"),
    ("3 self-stabilization", "tab:green"),
    ("4 return to stability", "tab:purple"),
)


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "etas": (0.03,) if quick else tuple(MODEL_B_ETAS),
        "steps": 1200 if quick else 5000,
        "cf_method": "euler",
    }


def amplitude(x: np.ndarray) -> np.ndarray:
    """a_t = |x_{t−1} − 2x_t + x_{t+1}|/4: the amplitude of the period-2 part of x (exact for
    ±A plus an offset linear in t); NaN at t = 0 and t = T."""
    a = np.full(x.shape, np.nan)
    with np.errstate(invalid="ignore"):
        a[1:-1] = np.abs(x[:-2] - 2 * x[1:-1] + x[2:]) / 4
    return a


def stage_bounds(x: np.ndarray, y: np.ndarray, delta: np.ndarray, t0: int) -> list[int]:
    """[t0, ta, tb, tc, t1]: the stage boundaries of the first cycle (module docstring).

    ``x`` the oscillation coordinate, ``y`` = S − 2/η of GD, ``delta`` the equilibrium amplitude
    at θ† (all over steps 0…T), ``t0`` the onset. A boundary that is never reached is T.
    """
    T = x.size - 1
    amp = amplitude(x)[:-1]  # a_t, t = 0…T−1 (NaN at 0)
    with np.errstate(invalid="ignore"):
        big = amp >= delta[:-1]
        neg = y[:-1] < 0
        pos = y[:-1] > 0
    t = np.arange(T)

    def first(cond: np.ndarray, after: int) -> int:
        hit = np.nonzero(cond & (t >= after))[0]
        return int(hit[0]) if hit.size else T

    ta = first(big, t0)
    tb = first(neg, ta)
    tc = first(~big & np.isfinite(amp), tb)
    t1 = first(pos, tc)
    return [t0, ta, tb, tc, t1]


def compute(quick: bool = False) -> dict[str, object]:
    """GD, θ†, the predicted dynamics, the central flow and gradient flow for each η."""
    s = settings(quick)
    model = width_one_net()
    th0 = width_one_net_init()
    etas = np.asarray(s["etas"], dtype=float)
    T = int(s["steps"])
    out: dict[str, object] = {"etas": etas, "steps": np.arange(T + 1)}
    tasks = ["GD + constrained trajectory", "predicted dynamics", "central flow", "gradient flow"]
    for task in progress(tasks, "self-stabilization stages", total=len(tasks)):
        if task == tasks[0]:
            ct = tm.constrained_trajectory(model, th0, etas, T)
        elif task == tasks[1]:
            pdn = tm.predicted_dynamics(ct)
        elif task == tasks[2]:
            cf = tm.central_flow(model, th0, etas, T, method=s["cf_method"])
        else:
            gfs = [
                tm.gradient_flow(model, th0, e * T, t_eval=e * np.arange(T + 1)).theta for e in etas
            ]
    rows = []
    for i, eta in enumerate(etas):
        t0 = ct.onset[i]
        th = ct.theta_gd[:, i]
        with np.errstate(invalid="ignore"):
            y = ct.sharpness_gd[:, i] - 2 / eta
            d_dag = np.linalg.norm(th - ct.theta[:, i], axis=-1)
            d_cf = np.linalg.norm(th - cf.theta[:, i], axis=-1)
            d_gf = np.linalg.norm(th - gfs[i], axis=-1)
        row = {
            "eta": float(eta),
            "t0": t0,
            "S_gd": ct.sharpness_gd[:, i],
            "S_cf": cf.sharpness[:, i],
            "L_gd": ct.loss_gd[:, i],
            "L_dag": ct.loss[:, i],
            "L_pred": ct.predicted_loss[:, i],
            "L_cf_pred": cf.predicted_loss[:, i],
            "x": ct.x[:, i],
            "x_star": pdn.x[:, i],
            "delta": ct.delta[:, i],
            "d_dag": d_dag,
            "d_cf": d_cf,
            "d_gf": d_gf,
            "diverged": bool(ct.gd_diverged[i]),
        }
        if t0 is not None:
            row["bounds"] = stage_bounds(ct.x[:, i], y, ct.delta[:, i], t0)
            w = slice(t0, None)
            row["mean_ratio"] = float(np.nanmean(ct.sharpness_gd[w, i]) * eta / 2)
            row["r_dag"] = float(np.nansum(ct.loss_gd[w, i]) / np.nansum(ct.predicted_loss[w, i]))
            row["r_cf"] = float(np.nansum(ct.loss_gd[w, i]) / np.nansum(cf.predicted_loss[w, i]))
        rows.append(row)
    out["rows"] = rows
    return out


def _shade(ax, bounds: list[int] | None, t_first: int = 0) -> None:
    if bounds is None:
        return
    t0, ta, tb, tc, t1 = bounds
    spans = [(t_first, t0, 0), (t0, ta, 1), (ta, tb, 2), (tb, tc, 3), (tc, t1, 0)]
    for a, b, k in spans:
        if b > a:
            ax.axvspan(a, b, color=STAGES[k][1], alpha=0.13, lw=0)


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    steps = d["steps"]
    rows = d["rows"]
    n = len(rows)
    with style():
        fig = new_figure(14.0, 3.1 * n + 0.6)
        axes = np.atleast_2d(fig.subplots(n, 4))
        for r, row in enumerate(rows):
            ax_s, ax_l, ax_x, ax_d = axes[r]
            eta = row["eta"]
            t0 = row["t0"]
            bounds = row.get("bounds")
            tag = rf"$\eta = {eta:g}$"
            for ax in (ax_s, ax_l, ax_d):
                _shade(ax, bounds)
            # (a) sharpness
            ax_s.plot(
                steps, masked(row["S_gd"]), color="tab:gray", lw=0.7, label="GD $S(\\theta_t)$"
            )
            ax_s.plot(steps, masked(row["S_cf"]), color="k", lw=1.3, label="central flow $S(w)$")
            ax_s.axhline(
                2 / eta, color="tab:red", ls="--", lw=0.9, label=rf"$2/\eta = {2 / eta:.1f}$"
            )
            if t0 is not None:
                ax_s.axvline(t0, color="k", ls=":", lw=0.8)
                ax_s.annotate(
                    rf"$t_0 = {t0}$",
                    (t0, 0.03),
                    xycoords=("data", "axes fraction"),
                    xytext=(3, 0),
                    ha="left",
                    va="bottom",
                    textcoords="offset points",
                    fontsize=7,
                )
                ax_s.plot(
                    [], [], " ", label=rf"mean $S\eta/2$ ($t \geq t_0$) = {row['mean_ratio']:.4f}"
                )
            ax_s.set_ylim(0, 1.5 * 2 / eta)
            ax_s.set_ylabel("sharpness")
            ax_s.set_title(f"(a) sharpness, {tag}")
            ax_s.legend(loc="lower right", fontsize=6)
            # (b) loss
            ax_l.plot(
                steps, masked(row["L_gd"], positive=True), color="tab:gray", lw=0.6, label="GD"
            )
            ax_l.plot(
                steps,
                masked(row["L_dag"], positive=True),
                color="tab:blue",
                label=r"$L(\theta^\dagger)$",
            )
            lab_p = r"$L(\theta^\dagger) + 2\alpha/(\eta\beta)$"
            lab_c = r"CF $L(w) + \sigma^2/\eta$"
            if t0 is not None:
                lab_p += f" (GD/pred. {row['r_dag']:.3f})"
                lab_c += f" (GD/pred. {row['r_cf']:.3f})"
            ax_l.plot(steps, masked(row["L_pred"], positive=True), color="tab:orange", label=lab_p)
            ax_l.plot(
                steps,
                masked(row["L_cf_pred"], positive=True),
                color="k",
                ls="--",
                lw=1.0,
                label=lab_c,
            )
            ax_l.set_yscale("log")
            ax_l.set_ylabel("loss")
            ax_l.set_title(rf"(b) loss; ratios $\Sigma_{{t\geq t_0}}$, {tag}")
            ax_l.legend(loc="lower left", fontsize=6)
            # (c) the first cycle
            if bounds is not None:
                t0_, ta, tb, tc, t1 = bounds
                lo = max(0, t0_ - max(30, (ta - t0_) // 4))
                hi = min(steps[-1], t1 + max(30, (t1 - tc) // 8))
                w = slice(lo, hi + 1)
                _shade(ax_x, bounds, t_first=lo)
                st = steps[w]
                dl = row["delta"][w]
                ax_x.plot(
                    st,
                    masked(np.abs(row["x"][w]), positive=True),
                    color="tab:gray",
                    lw=0.5,
                    alpha=0.6,
                    label=r"GD $|x_t|$",
                )
                ax_x.plot(
                    st,
                    masked(amplitude(row["x"])[w], positive=True),
                    color="tab:blue",
                    lw=1.0,
                    label=r"GD $a_t = |x_{t-1} - 2x_t + x_{t+1}|/4$",
                )
                ax_x.plot(
                    st,
                    masked(amplitude(row["x_star"])[w], positive=True),
                    color="k",
                    lw=0.9,
                    ls="--",
                    label=r"predicted $a^\star_t$ (same, of $x^\star$)",
                )
                ax_x.plot(
                    st,
                    masked(dl, positive=True),
                    color="tab:orange",
                    lw=1.4,
                    label=r"$\delta_t = \sqrt{2\alpha/\beta}$ at $\theta^\dagger_t$",
                )
                ax_x.set_yscale("log")
                ax_x.set_ylim(1e-12, 1.0)
                ax_x.set_xlim(lo, hi)
                for k, (a, b) in enumerate(((t0_, ta), (ta, tb), (tb, tc))):
                    ax_x.annotate(
                        str(k + 2),
                        ((a + b) / 2, 0.97),
                        xycoords=("data", "axes fraction"),
                        ha=("center", "right", "left")[k],
                        va="top",
                        fontsize=7,
                        color=STAGES[k + 1][1],
                        fontweight="bold",
                    )
                ax_x.annotate(
                    "1",
                    ((lo + t0_) / 2, 0.97),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="top",
                    fontsize=7,
                    color=STAGES[0][1],
                    fontweight="bold",
                )
                ax_x.set_title(
                    f"(c) first cycle: $x_t = u_t\\cdot(\\theta_t - \\theta^\\dagger_t)$, {tag}"
                )
            else:
                ax_x.text(
                    0.5, 0.5, "GD never became unstable", ha="center", transform=ax_x.transAxes
                )
                ax_x.set_title(f"(c) first cycle, {tag}")
            ax_x.set_ylabel(r"$|x_t|$, $a_t$, $a^\star_t$, $\delta_t$")
            ax_x.legend(loc="lower left", fontsize=6)
            # (d) distances
            ax_d.plot(
                steps,
                masked(row["d_gf"], positive=True),
                color="tab:red",
                label=r"$\|\theta_t - \theta_{GF}(\eta t)\|$",
            )
            ax_d.plot(
                steps,
                masked(row["d_dag"], positive=True),
                color="tab:blue",
                lw=2.4,
                label=r"$\|\theta_t - \theta^\dagger_t\|$ (under the CF curve)",
            )
            ax_d.plot(
                steps,
                masked(row["d_cf"], positive=True),
                color="k",
                ls="--",
                lw=0.9,
                label=r"$\|\theta_t - w(t)\|$ (central flow)",
            )
            ax_d.set_yscale("log")
            ax_d.set_ylim(1e-6, 2.0)
            ax_d.set_ylabel("distance")
            ax_d.set_title(f"(d) distance of GD to θ†, CF and GF, {tag}")
            ax_d.legend(loc="lower right", fontsize=6)
            for ax in axes[r]:
                ax.set_xlabel("step $t$")
        handles = [Patch(color=c, alpha=0.3, label=lab) for lab, c in STAGES]
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=4,
            fontsize=7,
            frameon=False,
            title="stages of the first cycle (from the measured x and y = S − 2/η)",
            title_fontsize=7,
        )
        fig.suptitle(
            r"GD on Model B "
            r"$\frac{1}{2}\lambda_s(aw_1 - 1)^2 + \frac{1}{2}\lambda_n(aw_2 - \gamma)^2$ "
            rf"($\lambda_s = 0.1$, $\lambda_n = 100$, $\gamma = 0.05$), {int(steps[-1])} steps",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
