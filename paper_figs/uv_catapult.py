"""The catapult in the scalar uv model: loss and ηλ_t for lazy, catapult and divergent ηλ0.

Analogue of Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari (arXiv 2003.02218, 2020), Fig. 1, in
its width-1 form (``research/linear_models.md`` §B.4): with f = uv and target 0,
f' = f(1 − ηλ + η²f²) and λ' = λ + ηf²(ηλ − 4), λ = u² + v², so λ falls iff ηλ < 4.

Settings
--------
* Model: ``uv_model(0.0)``, L(u, v) = ½(uv)², from (u0, v0) = (1, 1e-3), λ0 = u0² + v0²;
  η = ηλ0/λ0 for ηλ0 ∈ {1.5, 2.5, 3.5, 3.9, 4.1}. One batched ``tm.gd`` call, 300 steps, every
  step recorded.
* Legend: the phase of each run from ``tm.classify(model, θ0, eta=η)`` (defaults: burn_in
  10 000, max_period 64, tol 1e-8), with the peak max_t L_t/L_0 for the catapults.
* (a) L_t/L_0 (log y in [1e-30, 1e8]; exact zeros masked); (b) ηλ_t = η(u_t² + v_t²) with lines
  at 2 and 4. A diverged run (bound 1e10 on |θ_i|) is drawn up to its last finite state and marked
  "× diverged at step k" (clipped to the top of the axes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.two_layer_linear import uv_model

from ._common import mark_divergence, masked, new_figure, save, style

ID = "uv_catapult"
PAPER = "Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari (arXiv 2003.02218, 2020)"
FIGURE = "1"
CAPTION = "Catapult in the scalar uv model: loss and ηλ_t for ηλ0 ∈ {1.5, 2.5, 3.5, 3.9, 4.1}"

THETA0 = (1.0, 1e-3)
ETA_LAMBDA0 = (1.5, 2.5, 3.5, 3.9, 4.1)
COLORS = ("tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:red")
LOSS_RANGE = (1e-30, 1e8)
EL_TOP = 5.0


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring; quick changes nothing)."""
    return {"steps": 300, "classify_burn_in": 10_000}


def phase_label(phase: tm.Phase) -> str:
    """Short legend text for one :class:`toymodels.Phase`."""
    if phase.kind == "catapult":
        return rf"catapult (peak $L/L_0$ = {phase.peak_loss_ratio:.1e})"
    if phase.kind == "diverged":
        return "diverged"
    if phase.kind == "periodic":
        return f"periodic ({phase.period})"
    return phase.kind.replace("_", ", ")


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Trajectories, ηλ_t and the phase of each run."""
    s = settings(quick)
    model = uv_model(0.0)
    theta0 = np.array(THETA0)
    lam0 = float(np.sum(theta0**2))
    etas = np.asarray(ETA_LAMBDA0) / lam0
    tr = tm.gd(model, theta0, etas, s["steps"])
    el_t = etas * np.sum(tr.theta**2, axis=-1)  # (T, 5); NaN after divergence
    with np.errstate(divide="ignore", invalid="ignore"):
        loss_rel = tr.loss / tr.loss[0]
    phases = tm.classify(model, theta0, eta=etas, burn_in=s["classify_burn_in"])
    return {
        "steps": tr.steps,
        "loss_rel": loss_rel,
        "eta_lambda": el_t,
        "diverged": tr.diverged,
        "diverged_at": tr.diverged_at,
        "phases": np.asarray(phases, dtype=object),
        "lam0": np.array(lam0),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    steps = d["steps"]
    with style():
        fig = new_figure(10.0, 3.8)
        ax_l, ax_e = fig.subplots(1, 2)
        for j, (el0, col) in enumerate(zip(ETA_LAMBDA0, COLORS, strict=True)):
            lab = rf"$\eta\lambda_0 = {el0}$: {phase_label(d['phases'][j])}"
            loss = np.minimum(d["loss_rel"][:, j], LOSS_RANGE[1] * 10)  # inf never drawn
            ax_l.plot(steps, masked(loss, positive=True), color=col, label=lab)
            ax_e.plot(steps, masked(d["eta_lambda"][:, j]), color=col, label=lab)
            if d["diverged"][j]:
                k = int(d["diverged_at"][j])
                mark_divergence(ax_l, steps, d["loss_rel"][:, j], k, col, LOSS_RANGE[1])
                mark_divergence(ax_e, steps, d["eta_lambda"][:, j], k, col, EL_TOP)
        ax_l.set_yscale("log")
        ax_l.set_ylim(*LOSS_RANGE)
        ax_l.set_xlabel("step $t$")
        ax_l.set_ylabel(r"$L_t / L_0$")
        ax_l.set_title(r"(a) loss $L = \frac{1}{2}(uv)^2$, relative to $L_0$")
        ax_l.legend(loc="lower right", fontsize=6)

        ax_e.axhline(2.0, color="k", ls="--", lw=0.7)
        ax_e.axhline(4.0, color="k", ls=":", lw=0.7)
        ax_e.text(steps[-1], 2.05, r"$\eta\lambda = 2$", ha="right", va="bottom", fontsize=7)
        ax_e.text(steps[-1], 4.05, r"$\eta\lambda = 4$", ha="right", va="bottom", fontsize=7)
        ax_e.set_ylim(0.0, EL_TOP)
        ax_e.set_xlabel("step $t$")
        ax_e.set_ylabel(r"$\eta\lambda_t$")
        ax_e.set_title(r"(b) $\eta\lambda_t$, $\lambda = u^2 + v^2$ (the NTK)")
        u0, v0 = THETA0
        fig.suptitle(
            rf"GD on the uv model with target 0 from $(u_0, v_0) = ({u0:g}, {v0:g})$, "
            rf"$\lambda_0 = {float(d['lam0']):.6f}$",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
