"""Logistic regression at the edge of stability: GD with any step size minimises the loss at the
rate 1/(γ²ηt), the orthogonal component converges to v* = −ln2/3, the EoS phase ends, and the
exponential loss blows up instead.

Analogue of Wu, Braverman, Lee, "Implicit Bias of Gradient Descent for Logistic Regression at the
Edge of Stability" (NeurIPS 2023, arXiv 2305.11788), on the research brief's two-point toy
(``research/sgd_and_features.md`` §7.2-7.4; the paper's own figures could not be read). Data
x₁ = (γ, 1), x₂ = (γ, −2), γ = 0.1 (labels absorbed), L(w) = ½Σ_i ℓ(⟨w, x_i⟩), w₀ = 0; the
max-margin direction is e₁, so w = (a, v).

Settings
--------
* GD on ``two_point_model(0.1)`` (sympy form) batched over η ∈ {0.5, 2, 5, 10, 20} (η·S₀ = 0.31,
  1.25, 3.13, 6.25, 12.5 with S₀ = 0.62525; the EoS threshold is 2/S₀ = 3.1987), every step
  recorded, T = 2·10⁵ (full) / 2·10⁴ (quick). Curves are drawn at every step up to t = 300 and
  at 2000 log-spaced steps beyond.
* (a) L(w_t) against t (log-log) with the dashed lines 1/(γ²ηt) (derived; L·γ²ηt → 1).
* (b) v_t = w₂ against t (log x) with v* = −ln2/3 (dotted). Inset: γ²ηt·(v_t − v*) for t ≥ 100,
  with the derived limit −4/(9(2 − γ²)) = −0.22334 (solid) and the brief's −2/9 = −0.2222
  (dashed, its γ → 0 limit; ``proofs_check logreg_asymptotic_rates``).
* (c) η·S_t (S = λ_max(∇²L), ``Trajectory.sharpness``) against t (log-log), with the line 2:
  the edge-of-stability window of η ∈ {5, 10, 20} ends by t ≈ 60.
* (d) exponential against logistic loss at η = 5, t ≤ 80 (log y, clipped at 10⁴): the
  exponential run (``two_point_model(0.1, "exponential")``, η·S₀ = 12.5) leaves the axes at
  step 2 and is marked "diverged at step k" (``tr.diverged_at``; k = 3: |w| > 10¹⁰), the
  logistic run oscillates and then decreases.
* Non-finite values (none except the diverged run) are masked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models import logistic_regression as lr

from ._common import mark_divergence, masked, new_figure, save, style

ID = "logistic_regression_eos"
PAPER = "Wu, Braverman, Lee (NeurIPS 2023)"
FIGURE = "new"
CAPTION = (
    "Two-point logistic regression: L·γ²ηt → 1, v_t → −ln2/3 for every η, the EoS window "
    "ends; the exponential loss diverges"
)

GAMMA = lr.GAMMA
ETAS = lr.ETAS
COLORS = ("tab:blue", "tab:green", "tab:orange", "tab:red", "tab:purple")
ETA_EXP = 5.0
EXP_STEPS = 80
#: the top of panel (d): the exponential run leaves it at step 2 (L ≈ 1e22 at step 2)
EXP_TOP = 1e4


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {"gamma": GAMMA, "etas": ETAS, "steps": 20_000 if quick else 200_000}


def plot_indices(steps: int, n_log: int = 2000, dense: int = 300) -> np.ndarray:
    """Every step up to ``dense``, then ``n_log`` log-spaced steps up to ``steps`` (with it)."""
    head = np.arange(0, min(dense, steps) + 1)
    if steps <= dense:
        return head
    tail = np.geomspace(dense, steps, n_log).round().astype(np.int64)
    return np.unique(np.concatenate([head, tail, [steps]]))


def compute(quick: bool = False) -> dict[str, object]:
    """The batched logistic runs (subsampled), the sharpness, and the η = 5 loss comparison."""
    s = settings(quick)
    T = int(s["steps"])
    etas = np.asarray(s["etas"], dtype=float)
    model = lr.two_point_model(GAMMA)
    tr = tm.gd(model, [0.0, 0.0], etas, T, record_every=1)
    idx = plot_indices(T)
    theta = tr.theta[idx]
    sharp = tm.sharpness(model, theta)
    exp_tr = tm.gd(lr.two_point_model(GAMMA, "exponential"), [0.0, 0.0], ETA_EXP, EXP_STEPS)
    j = int(np.nonzero(etas == ETA_EXP)[0][0])
    return {
        "t": idx,
        "etas": etas,
        "loss": tr.loss[idx],
        "v": theta[..., 1],
        "eta_sharp": sharp * etas,
        "exp_loss": exp_tr.loss,
        "exp_diverged_at": int(exp_tr.diverged_at),
        "log_loss": tr.loss[: EXP_STEPS + 1, j],
        "diverged": tr.diverged,
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    t = d["t"]
    pos = t >= 1
    etas = d["etas"]
    v_star = lr.two_point_v_star()
    rate = lr.two_point_v_rate(GAMMA)
    with style():
        fig = new_figure(9.0, 6.8)
        (ax_l, ax_v), (ax_s, ax_e) = fig.subplots(2, 2)
        for i, eta in enumerate(etas):
            col = COLORS[i % len(COLORS)]
            lab = rf"$\eta = {eta:g}$"
            ax_l.plot(
                t[pos], masked(d["loss"][pos, i], positive=True), color=col, lw=1.0, label=lab
            )
            ax_l.plot(t[pos], 1.0 / (GAMMA**2 * eta * t[pos]), color=col, lw=0.8, ls="--")
            ax_v.plot(t[pos], masked(d["v"][pos, i]), color=col, lw=1.0, label=lab)
            ax_s.plot(t[pos], masked(d["eta_sharp"][pos, i], positive=True), color=col, lw=1.0)
        ax_l.set_xscale("log")
        ax_l.set_yscale("log")
        ax_l.set_xlabel("step $t$")
        ax_l.set_ylabel(r"$L(w_t)$")
        ax_l.set_title(r"(a) loss; dashed: $1/(\gamma^2\eta t)$")
        ax_l.legend(loc="lower left", fontsize=6)

        ax_v.axhline(v_star, color="k", ls=":", lw=1.0, label=r"$v^* = -\ln 2/3$")
        ax_v.set_xscale("log")
        ax_v.set_xlabel("step $t$")
        ax_v.set_ylabel(r"$v_t = w_{t,2}$")
        ax_v.set_title(r"(b) orthogonal component $\to v^*$ for every $\eta$")
        ax_v.legend(loc="lower left", fontsize=6)
        late = t >= 100
        ins = ax_v.inset_axes([0.5, 0.07, 0.47, 0.42])
        for i, eta in enumerate(etas):
            y = GAMMA**2 * eta * t[late] * (d["v"][late, i] - v_star)
            ins.plot(t[late], masked(y), color=COLORS[i % len(COLORS)], lw=0.8)
        ins.axhline(rate, color="k", lw=0.9, label=rf"$-4/(9(2-\gamma^2)) = {rate:.4f}$")
        ins.axhline(-2 / 9, color="gray", lw=0.9, ls="--", label=r"brief: $-2/9 = -0.2222$")
        ins.set_xscale("log")
        ins.set_ylim(-0.27, -0.17)
        ins.set_title(r"$\gamma^2\eta t\,(v_t - v^*)$", fontsize=7)
        ins.tick_params(labelsize=6)
        ins.legend(loc="upper right", fontsize=5)

        ax_s.axhline(2.0, color="k", ls="--", lw=1.0, label=r"$\eta S = 2$")
        ax_s.set_xscale("log")
        ax_s.set_yscale("log")
        ax_s.set_xlabel("step $t$")
        ax_s.set_ylabel(r"$\eta\,\lambda_{\max}(\nabla^2 L(w_t))$")
        ax_s.set_title("(c) sharpness: the edge-of-stability window ends by $t \\approx 60$")
        ax_s.legend(loc="lower left", fontsize=6)

        steps_e = np.arange(EXP_STEPS + 1)
        k = d["exp_diverged_at"]
        ax_e.plot(
            steps_e, masked(d["log_loss"], positive=True), color="tab:orange", label="logistic"
        )
        ax_e.plot(
            steps_e, masked(d["exp_loss"], positive=True), color="tab:brown", label="exponential"
        )
        if k >= 0:
            mark_divergence(ax_e, steps_e, d["exp_loss"], k, "tab:brown", y_top=EXP_TOP)
        ax_e.set_yscale("log")
        ax_e.set_ylim(0.05, EXP_TOP)
        ax_e.set_xlabel("step $t$")
        ax_e.set_ylabel(r"$L(w_t)$")
        ax_e.set_title(rf"(d) $\eta = {ETA_EXP:g}$: exponential vs logistic loss")
        ax_e.legend(loc="upper right", fontsize=6)
        thr = lr.two_point_eos_threshold(GAMMA)
        fig.suptitle(
            r"GD on $x_1 = (\gamma, 1)$, $x_2 = (\gamma, -2)$, $\gamma = "
            rf"{GAMMA:g}$, $w_0 = 0$ ({int(t[-1])} steps; EoS for $\eta > {thr:.4f}$)",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
