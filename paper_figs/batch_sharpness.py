"""The Edge of Stochastic Stability on the tiny tanh MLP: under SGD the mini-batch curvature
estimators hover near 2/η while the full-batch λ_max is suppressed, more so for smaller batches.

Analogue of Andreyev & Beneventano, "Edge of Stochastic Stability: Revisiting the Edge of
Stability for SGD" (arXiv 2412.20553): their main plots (λ_max and Batch Sharpness against step,
one panel per batch size; λ_max at the plateau against batch size) on the research brief's toy
(``research/sgd_and_features.md`` §2.3, §2.4: a reconstruction; the paper uses CIFAR-10 MLPs and
CNNs). Estimator definitions: the authors' code ``utils/measure.py`` (see
:mod:`toymodels.batch_sharpness`).

Settings
--------
* Model ``tanh_mlp()`` (f = aᵀtanh(Wx), k = 20, d = 5, n = 32 random labels, ½·MSE, p = 120),
  init ``tanh_mlp_init(seed=s)`` (the small init), SGD ``tm.sgd(..., sampling=
  "independent_subsets", seed=s)`` (a fresh uniform b-subset per step), states every 100 steps.
* (a1–a4) η = 0.5, one panel per b ∈ {4, 8, 16, 32 (= GD)}: η·λ_max, η·BS (Monte Carlo, 200
  batches), η·BS_in (exact), η·MiniBS (Monte Carlo, 50 batches; every 500 steps) against the
  step, with the line 2. Full: 10⁴ steps, seeds 0, 1, 2 (line: seed mean, band: min–max over
  seeds), estimators every 100 steps. Quick: 2000 steps, seed 0, estimators every 400 steps
  (BS from 100 batches), MiniBS (20 batches) every 2000 (quick runs stop before the plateau).
* (b) the plateau η·λ_max against b ∈ {4, 8, 16, 32} for η ∈ {0.5, 1}: the mean of λ_max over the
  window from the first record with λ_max ≥ 95 % of its plateau (median over the second half of
  the records before the loss first drops below 1e-8) until that drop, then over seeds (error
  bars: min–max over seeds). Runs that diverge (bound 1e10) are marked × at the top and left out
  of the mean; the text gives how many. Quick: the 2000-step runs, seed 0.
* (c) MiniBS(b) − λ_max against b at one fixed θ: the state of the η = 0.5, b = 8, seed 0 run at
  its last step. Exact enumeration of all C(32, b) batches where that count is ≤ 20 000
  (b ≤ 3 or b ≥ 29), else Monte Carlo with 400 batches (error bars ±2 standard errors);
  b ∈ {1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 28, 30, 31, 32} (quick: {1, 8, 32}, 30 batches).
  Monotone, zero at b = n (Jensen; brief §2.2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.batch_sharpness import (
    batch_sharpness_measures,
    mini_batch_sharpness,
)
from toymodels.models.tanh_mlp import tanh_mlp, tanh_mlp_init

from ._common import masked, new_figure, progress, save, style

ID = "batch_sharpness"
PAPER = "Andreyev & Beneventano (arXiv 2412.20553)"
FIGURE = "new"
CAPTION = "Tiny tanh MLP, SGD: BS_in ≈ 2/η, BS below, MiniBS above; λ_max suppressed for small b"

RECORD = 100
PANEL_BS = (4, 8, 16, 32)
COLORS = {"lam": "k", "bs": "tab:blue", "bs_in": "tab:red", "mini": "tab:green"}
LABELS = {
    "lam": r"$\eta\,\lambda_{\max}$",
    "bs": r"$\eta\,$BS",
    "bs_in": r"$\eta\,$BS$_{in}$",
    "mini": r"$\eta\,$MiniBS",
}


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    if quick:
        return {
            "steps": 2000,
            "seeds": (0,),
            "stride": 4,
            "mini_every": 5,
            "bs_draws": 100,
            "mini_draws": 20,
            "etas": (0.5, 1.0),
            "c_bs": (1, 8, 32),
            "c_draws": 30,
        }
    return {
        "steps": 10_000,
        "seeds": (0, 1, 2),
        "stride": 1,
        "mini_every": 5,
        "bs_draws": 200,
        "mini_draws": 50,
        "etas": (0.5, 1.0),
        "c_bs": (1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 28, 30, 31, 32),
        "c_draws": 400,
    }


def eoss_window(lam: np.ndarray, loss: np.ndarray) -> slice:
    """Records from λ_max ≥ 95 % of its plateau until the loss first drops below 1e-8."""
    with np.errstate(invalid="ignore"):
        below = np.flatnonzero(loss < 1e-8)
    stop = int(below[0]) if below.size else len(loss)
    plateau = np.nanmedian(lam[stop // 2 : stop])
    with np.errstate(invalid="ignore"):
        start = int(np.argmax(lam[:stop] >= 0.95 * plateau))
    return slice(start, stop)


def compute(quick: bool = False) -> dict[str, object]:
    """SGD runs, the estimators along the η = 0.5 runs, plateaus and the MiniBS gap."""
    s = settings(quick)
    model = tanh_mlp()
    steps = int(s["steps"])
    seeds = tuple(s["seeds"])
    runs: dict[tuple[float, int, int], tm.Trajectory] = {}
    jobs = [(eta, b, sd) for eta in s["etas"] for b in PANEL_BS for sd in seeds]
    for eta, b, sd in progress(jobs, "batch sharpness: SGD runs", total=len(jobs)):
        runs[(eta, b, sd)] = tm.sgd(
            model,
            tanh_mlp_init(seed=sd),
            eta,
            steps,
            batch_size=b,
            sampling="independent_subsets",
            seed=sd,
            record_every=RECORD,
        )
    # (a) the estimators along the η = 0.5 runs
    traces: dict[int, dict[str, np.ndarray]] = {}
    stride = int(s["stride"])
    mini_every = int(s["mini_every"])
    for b in progress(PANEL_BS, "batch sharpness: estimators", total=len(PANEL_BS)):
        th = np.stack([runs[(0.5, b, sd)].theta[::stride] for sd in seeds])  # (S, R, p)
        r = batch_sharpness_measures(model, th, b, draws=int(s["bs_draws"]), seed=1)
        step_m = stride * mini_every
        th_m = np.stack([runs[(0.5, b, sd)].theta[::step_m] for sd in seeds])
        mini = mini_batch_sharpness(model, th_m, b, draws=int(s["mini_draws"]), seed=1)
        traces[b] = {
            "t": np.arange(th.shape[1]) * stride * RECORD,
            "t_mini": np.arange(th_m.shape[1]) * step_m * RECORD,
            "lam": 0.5 * np.asarray(r.lambda_max),
            "bs": 0.5 * np.asarray(r.bs.value),
            "bs_in": 0.5 * np.asarray(r.bs_in.value),
            "mini": 0.5 * np.asarray(mini.value),
        }
    # (b) plateau λ_max
    plateau: dict[float, dict[str, np.ndarray]] = {}
    for eta in s["etas"]:
        mean, lo, hi, n_div = [], [], [], []
        for b in PANEL_BS:
            vals, div = [], 0
            for sd in seeds:
                tr = runs[(eta, b, sd)]
                if np.any(tr.diverged):
                    div += 1
                    continue
                lam = tm.sharpness(model, tr.theta)
                vals.append(eta * float(np.mean(lam[eoss_window(lam, tr.loss)])))
            n_div.append(div)
            mean.append(np.mean(vals) if vals else np.nan)
            lo.append(np.min(vals) if vals else np.nan)
            hi.append(np.max(vals) if vals else np.nan)
        plateau[eta] = {
            "mean": np.array(mean),
            "lo": np.array(lo),
            "hi": np.array(hi),
            "diverged": np.array(n_div),
        }
    # (c) MiniBS(b) − λ_max at a fixed EoS state
    theta_star = runs[(0.5, 8, seeds[0])].theta[-1]
    lam_star = float(tm.sharpness(model, theta_star))
    gap, err, exact = [], [], []
    c_bs = tuple(s["c_bs"])
    for b in progress(c_bs, "batch sharpness: MiniBS gap", total=len(c_bs)):
        mb = mini_batch_sharpness(model, theta_star, b, draws=int(s["c_draws"]), seed=2)
        gap.append(float(mb.value) - lam_star)
        err.append(2 * float(mb.stderr))
        exact.append(mb.exact)
    return {
        "settings": s,
        "traces": traces,
        "plateau": plateau,
        "gap": {
            "b": np.array(c_bs),
            "gap": np.array(gap),
            "err": np.array(err),
            "exact": np.array(exact),
            "lam": lam_star,
        },
    }


def _band(ax, t: np.ndarray, y: np.ndarray, key: str, marker: str | None = None) -> None:
    """Seed mean (line) and min–max over seeds (band) of y (S, R); non-finite values masked."""
    ok = np.all(np.isfinite(y), axis=0)
    mid = np.full(y.shape[1], np.nan)
    mid[ok] = y[:, ok].mean(axis=0)
    if y.shape[0] > 1 and ok.any():
        ax.fill_between(
            t[ok], y[:, ok].min(axis=0), y[:, ok].max(axis=0), color=COLORS[key], alpha=0.2, lw=0
        )
    ax.plot(t, masked(mid), color=COLORS[key], lw=1.0, marker=marker, ms=3, label=LABELS[key])


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    s = d["settings"]
    with style():
        fig = new_figure(13.0, 6.4)
        gs = fig.add_gridspec(2, 4)
        for j, b in enumerate(PANEL_BS):
            ax = fig.add_subplot(gs[0, j])
            tr = d["traces"][b]
            for key in ("lam", "bs", "bs_in"):
                _band(ax, tr["t"], tr[key], key)
            _band(ax, tr["t_mini"], tr["mini"], "mini", marker="o")
            ax.axhline(2.0, color="tab:gray", ls="--", lw=0.8)
            ax.set_ylim(0.0, 3.2)
            ax.set_xlabel("step")
            ax.set_title(rf"(a{j + 1}) $b = {b}$" + (" (GD)" if b == 32 else ""), fontsize=8)
            if j == 0:
                ax.set_ylabel(r"$\eta \times$ curvature ($\eta = 0.5$)")
                ax.legend(loc="lower right", fontsize=6)
        ax = fig.add_subplot(gs[1, 0:2])
        for eta, color in zip(s["etas"], ("tab:blue", "tab:orange"), strict=True):
            pl = d["plateau"][eta]
            b = np.array(PANEL_BS, dtype=float)
            ok = np.isfinite(pl["mean"])
            ax.errorbar(
                b[ok],
                pl["mean"][ok],
                yerr=[pl["mean"][ok] - pl["lo"][ok], pl["hi"][ok] - pl["mean"][ok]],
                color=color,
                marker="o",
                capsize=3,
                label=rf"$\eta = {eta:g}$",
            )
            for bi, nd in zip(b, pl["diverged"], strict=True):
                if nd:
                    ax.plot([bi], [2.35], "x", color=color, ms=8, mew=2)
                    ax.annotate(
                        f"{nd}/{len(s['seeds'])} diverged",
                        (bi, 2.35),
                        xytext=(5, 3),
                        textcoords="offset points",
                        fontsize=6,
                        color=color,
                    )
        ax.axhline(2.0, color="tab:gray", ls="--", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(PANEL_BS, [str(b) for b in PANEL_BS])
        ax.set_ylim(0.4, 2.5)
        ax.set_xlabel("batch size $b$")
        ax.set_ylabel(r"plateau $\eta\,\lambda_{\max}$")
        ax.set_title("(b) smaller batch ⇒ flatter: plateau λ_max (window mean)", fontsize=8)
        ax.legend(loc="lower right", fontsize=7)
        ax = fig.add_subplot(gs[1, 2:4])
        g = d["gap"]
        ex = g["exact"]
        ax.errorbar(
            g["b"][~ex],
            g["gap"][~ex],
            yerr=g["err"][~ex],
            fmt="o",
            color="tab:green",
            capsize=3,
            label="Monte Carlo (±2 s.e.)",
        )
        ax.plot(g["b"][ex], g["gap"][ex], "s", color="k", label="exact (all C(32, b) batches)")
        ax.axhline(0.0, color="tab:gray", ls="--", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch size $b$")
        ax.set_ylabel(r"MiniBS$(b) - \lambda_{\max}$")
        ax.set_title(
            rf"(c) Jensen gap at a fixed EoS state ($\lambda_{{\max}} = {g['lam']:.3f}$)",
            fontsize=8,
        )
        ax.legend(loc="upper right", fontsize=7)
        seeds = ", ".join(str(x) for x in s["seeds"])
        word = "seeds" if len(s["seeds"]) > 1 else "seed"
        fig.suptitle(
            "Edge of Stochastic Stability on the tiny tanh MLP (k = 20, d = 5, n = 32, random "
            f"labels); SGD on uniform b-subsets, {s['steps']} steps, {word} {seeds}",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
