"""Bias phase transition in the mean model ℓ_sym(a·g(b)): final bias and final sharpness vs η/η*.

Analogue of Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023, arXiv 2212.07469), whose
theorem statements could not be read: the mean model is the research brief's reconstruction
(``research/threshold_neurons.md`` §1.3 (B), measured in §4.2), not the paper's exact model.
L(a, b) = ℓ_sym(a·g(b)), ℓ_sym(t) = log(2cosh(t/2)), g(b) = E relu(sZ + b); on the minimiser line
a = 0 the Hessian is diag(g(b)²/4, 0), so η* = 8/g(b0)² = 16π/s² at b0 = 0. Above η* the GF limit
is linearly unstable: a oscillates, b falls until g(b)² ≤ 8/η (a threshold neuron, b∞ < 0), and
the run overshoots that bound (final ηS/2 < 1).

Settings
--------
* Model: ``MeanModel(s=1).model`` from (a0, b0) = (0.01, 0); η* = ``MeanModel.eta_star(0)`` = 16π.
* η = η*·r for r on ``np.linspace(0.3, 2.2, N)``, N = 200 (full) / 40 (quick); one batched
  ``tm.gd`` call with T = 100 000 (full) / 20 000 (quick) steps, only θ_T kept.
* Final sharpness S(θ_T) from ``tm.sharpness``; a run counts as converged when |a_T| ≤ 1e-8
  (others: open red markers); diverged runs (bound 1e10, none expected on this grid) are left out
  and counted in the legend.
* (a) b_T with the bound ``MeanModel.bias_bound(η)`` (largest b with g(b)² ≤ 8/η; 0 below η*):
  a converged run lies on or below it. (b) ηS(θ_T)/2 with the edge ηS/2 = 1 and the initial
  value ηS(θ0)/2 (≈ r). Both panels: vertical line at η = η*, raw η on the top axis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.threshold_neuron import MeanModel

from ._common import finite_xy, new_figure, save, style

ID = "threshold_mean_model"
PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023)"
FIGURE = "new"
CAPTION = (
    "Mean model ℓ_sym(a·g(b)) (brief's reconstruction): final bias and final ηS/2 vs η/η*, η* = 16π"
)

S = 1.0
THETA0 = (0.01, 0.0)
R_RANGE = (0.3, 2.2)
A_TOL = 1e-8


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {"n_eta": 40 if quick else 200, "steps": 20_000 if quick else 100_000}


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Final states, final and initial sharpness, the bias bound and the convergence flags."""
    s = settings(quick)
    mm = MeanModel(S)
    eta_star = mm.eta_star(THETA0[1])
    r = np.linspace(*R_RANGE, s["n_eta"])
    eta = r * eta_star
    tr = tm.gd(mm.model, np.array(THETA0), eta, s["steps"], record_every=0)
    fin = tr.final  # (N, 2); NaN rows for diverged runs
    sharp = tm.sharpness(mm.model, fin)
    sharp0 = float(tm.sharpness(mm.model, np.array(THETA0)))
    with np.errstate(invalid="ignore"):
        converged = ~tr.diverged & (np.abs(fin[:, 0]) <= A_TOL)
    r_fine = np.linspace(*R_RANGE, 400)
    return {
        "eta_star": np.array(eta_star),
        "r": r,
        "eta": eta,
        "a_T": fin[:, 0],
        "b_T": fin[:, 1],
        "half_eta_sharp": eta * sharp / 2,
        "half_eta_sharp0": eta * sharp0 / 2,
        "converged": converged,
        "diverged": tr.diverged,
        "r_fine": r_fine,
        "bound_fine": mm.bias_bound(r_fine * eta_star),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    r = d["r"]
    conv = d["converged"]
    notconv = ~conv & ~d["diverged"]
    n_div = int(d["diverged"].sum())
    eta_star = float(d["eta_star"])
    with style():
        fig = new_figure(9.0, 3.8)
        ax_b, ax_s = fig.subplots(1, 2)
        for ax in (ax_b, ax_s):
            ax.axvline(1.0, color="k", ls=":", lw=0.8)
            sec = ax.secondary_xaxis(
                "top", functions=(lambda x: x * eta_star, lambda e: e / eta_star)
            )
            sec.set_xlabel(rf"$\eta$   ($\eta^* = 16\pi \approx {eta_star:.2f}$)")
            ax.set_xlabel(r"$\eta / \eta^*$")
            ax.set_xlim(*R_RANGE)

        ax_b.plot(
            d["r_fine"],
            d["bound_fine"],
            "k--",
            lw=1.0,
            label=r"bound: largest $b$ with $g(b)^2 \leq 8/\eta$",
        )
        ax_b.axhline(0.0, color="0.6", lw=0.6)
        ax_b.plot(
            *finite_xy(r[conv], d["b_T"][conv]),
            "o",
            color="tab:blue",
            ms=2,
            label=r"$b_T$, converged ($|a_T| \leq 10^{-8}$)",
        )
        if notconv.any():
            ax_b.plot(
                *finite_xy(r[notconv], d["b_T"][notconv]),
                "o",
                mfc="none",
                color="tab:red",
                ms=4,
                label=r"$b_T$, not converged ($|a_T| > 10^{-8}$)",
            )
        if n_div:
            ax_b.plot([], [], " ", label=f"{n_div} diverged run(s) not shown")
        ax_b.set_ylabel(r"final bias $b_T$")
        ax_b.set_title(
            r"(a) final bias: $\approx 0$ below $\eta^*$, $< 0$ (threshold neuron) above"
        )
        ax_b.legend(loc="lower left", fontsize=6)

        ax_s.plot(
            r,
            d["half_eta_sharp0"],
            color="0.5",
            lw=0.8,
            ls="-.",
            label=r"initial $\eta S(\theta_0)/2$",
        )
        ax_s.axhline(1.0, color="k", ls="--", lw=1.0, label=r"edge $\eta S/2 = 1$")
        ax_s.plot(
            *finite_xy(r[conv], d["half_eta_sharp"][conv]),
            "o",
            color="tab:blue",
            ms=2,
            label=r"final $\eta S(\theta_T)/2$, converged",
        )
        if notconv.any():
            ax_s.plot(
                *finite_xy(r[notconv], d["half_eta_sharp"][notconv]),
                "o",
                mfc="none",
                color="tab:red",
                ms=4,
                label=r"final $\eta S(\theta_T)/2$, not converged",
            )
        ax_s.set_ylim(0.0, 1.25)
        ax_s.set_ylabel(r"$\eta \cdot$ sharpness $/ 2$")
        ax_s.set_title(r"(b) final sharpness $\leq 2/\eta$, overshooting above $\eta^*$")
        ax_s.legend(loc="upper right", fontsize=6)
        a0, b0 = THETA0
        fig.suptitle(
            rf"GD on the mean model $\ell_{{sym}}(a\,g(b))$, $g(b) = E\,\mathrm{{relu}}(Z + b)$, "
            rf"from $(a_0, b_0) = ({a0:g}, {b0:g})$ (reduced model: the brief's reconstruction)",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
