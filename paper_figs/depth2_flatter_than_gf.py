"""GD on a depth-2 linear net ends at a flatter minimum than gradient flow: λ∞ against η.

Analogue of Beneventano & Woodworth (arXiv 2501.09137, 2025): GD converges to a minimum of lower
norm and sharpness than the gradient-flow solution, the more so the larger η. The paper's own
figure settings could not be read; the settings are those of ``research/linear_models.md`` §B.3
and §G (B).

Settings
--------
* Model: ``Depth2Linear(d=5, Phi=1)``, L(a, b) = (aᵀb − 1)²/2. Two initialisations:
  (A) a0 = 1.2·N(0, I₅), b0 = 0.3·N(0, I₅) from ``numpy.random.default_rng(1)`` (a first, then
  b), λ_GF = ``gfs_sharpness(θ0)`` ≈ 5.40031; (B) small, a0, b0 = 0.1·N(0, I₅) from
  ``default_rng(2)``, λ_GF ≈ 2.00338.
* Step sizes η = ratio·2/λ_GF(A), ratio on ``np.linspace(0.05, 2.2, N)``, N = 300 (full) / 60
  (quick); both inits on the same η grid, one batched ``tm.gd`` call (η × 2 inits), 20 000 steps
  (full) / 3000 (quick), final state only.
* A run is converged when its final loss is < 1e-20; then λ∞ = ``tm.sharpness`` at the final
  state (which equals ‖a‖² + ‖b‖² = √(4Φ² + K∞²) there). Runs that are not converged are marked on
  the top edge: diverged (× ; bound 1e10) or still moving ("not converged", △).
* (a) λ∞ against η with the horizontal lines λ_GF (per init) and the floor 2|Φ| = 2 (the
  flattest minimum), and the curve 2/η (a minimum is linearly stable only if λ∞ < 2/η); the
  vertical line marks ηλ_GF(A) = 2. (b) K∞/K0 against η (log y), K = ‖a + b‖·‖a − b‖, which
  gradient flow conserves (so K∞/K0 = 1 for GF).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.two_layer_linear import Depth2Linear

from ._common import new_figure, save, style

ID = "depth2_flatter_than_gf"
PAPER = "Beneventano & Woodworth (arXiv 2501.09137, 2025)"
FIGURE = "new"
CAPTION = "Depth-2 linear net: GD's final sharpness λ∞ against η, below λ_GF, above the floor 2|Φ|"

D = 5
PHI = 1.0
#: (label, scale of a0, scale of b0, seed, colour)
INITS = (
    ("A", 1.2, 0.3, 1, "tab:blue"),
    ("B", 0.1, 0.1, 2, "tab:orange"),
)
CONVERGED_LOSS = 1e-20


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {"n_eta": 60 if quick else 300, "steps": 3000 if quick else 20_000}


def init(scale_a: float, scale_b: float, seed: int) -> np.ndarray:
    """θ0 = (a0, b0), a0 = scale_a·N(0, I), b0 = scale_b·N(0, I) (a drawn first)."""
    rng = np.random.default_rng(seed)
    a0 = scale_a * rng.standard_normal(D)
    b0 = scale_b * rng.standard_normal(D)
    return np.concatenate([a0, b0])


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Final λ, K/K0 and status of every (η, init) run."""
    s = settings(quick)
    net = Depth2Linear(D, Phi=PHI)
    theta0 = np.stack([init(sa, sb, seed) for _, sa, sb, seed, _ in INITS])  # (2, 2d)
    lam_gf = net.gfs_sharpness(theta0)
    ratio = np.linspace(0.05, 2.2, s["n_eta"])
    eta = ratio * 2.0 / lam_gf[0]
    tr = tm.gd(net.model, theta0, eta, s["steps"], record_every=0)
    final = tr.final  # (n_eta, 2, 2d)
    loss = tr.loss[-1]
    with np.errstate(invalid="ignore"):
        converged = ~tr.diverged & (loss < CONVERGED_LOSS)
    safe = np.where(converged[..., None], final, 0.0)  # no NaN into the spectra
    lam = np.where(converged, tm.sharpness(net.model, safe), 0.0)
    k_ratio = np.where(converged, net.K(safe) / net.K(theta0), 0.0)
    return {
        "eta": eta,
        "lam_gf": lam_gf,
        "lam": lam,
        "k_ratio": k_ratio,
        "converged": converged,
        "diverged": tr.diverged,
        "floor": np.array(net.flattest_sharpness()),
        "k0": net.K(theta0),
    }


def _top_marks(ax, eta, d, j, col, y_top) -> None:
    """Non-converged runs of init j on the top edge of ``ax``."""
    div = d["diverged"][:, j]
    other = ~div & ~d["converged"][:, j]
    name = INITS[j][0]
    if div.any():
        ax.plot(
            eta[div],
            np.full(div.sum(), y_top),
            "x",
            color=col,
            ms=4,
            clip_on=False,
            label=f"{name}: diverged ({div.sum()})",
        )
    if other.any():
        ax.plot(
            eta[other],
            np.full(other.sum(), y_top),
            "^",
            mfc="none",
            mec=col,
            ms=4,
            clip_on=False,
            label=f"{name}: not converged, loss ≥ 1e-20 ({other.sum()})",
        )


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    eta = d["eta"]
    lam_gf_a = float(d["lam_gf"][0])
    with style():
        fig = new_figure(10.0, 4.6)
        ax_l, ax_k = fig.subplots(1, 2, sharex=True)
        ax_z = ax_l.inset_axes([0.57, 0.55, 0.41, 0.27])
        ok_k = d["converged"] & (d["k_ratio"] > 0)
        k_min = float(np.min(d["k_ratio"][ok_k])) if ok_k.any() else 1e-3
        lam_top, k_lo, k_top = 6.0, 10 ** np.floor(np.log10(min(k_min, 1e-3))), 2.0
        for j, (name, sa, sb, seed, col) in enumerate(INITS):
            ok = d["converged"][:, j]
            lab = (
                rf"{name}: $a_0 = {sa}\,N(0, I)$, $b_0 = {sb}\,N(0, I)$ (seed {seed}), "
                f"converged {int(ok.sum())}/{ok.size}"
            )
            lab_gf = rf"{name}: $\lambda_{{GF}} = {float(d['lam_gf'][j]):.5f}$"
            for ax in (ax_l, ax_z):
                ax.plot(eta[ok], d["lam"][ok, j], ".", color=col, ms=3, label=lab)
                ax.axhline(d["lam_gf"][j], color=col, ls="--", lw=0.9, label=lab_gf)
            ax_k.plot(eta[ok], d["k_ratio"][ok, j], ".", color=col, ms=3, label=lab)
            _top_marks(ax_l, eta, d, j, col, lam_top)
            _top_marks(ax_k, eta, d, j, col, k_top)
        floor = float(d["floor"])
        for ax in (ax_l, ax_z):
            ax.axhline(floor, color="k", lw=0.9, label=rf"floor $2|\Phi| = {floor:g}$")
        ee = np.linspace(2.0 / lam_top, eta[-1], 400)
        ax_l.plot(ee, 2 / ee, color="tab:gray", lw=0.9, ls=":", label=r"$2/\eta$ (stability)")
        for ax in (ax_l, ax_k):
            ax.axvline(2 / lam_gf_a, color="k", ls=":", lw=0.7)
            ax.set_xlabel(r"step size $\eta$")
            ax.set_xlim(0.0, eta[-1] * 1.02)
        ax_l.text(
            2 / lam_gf_a, 1.85, r" $\eta\lambda_{GF}(A) = 2$", fontsize=7, ha="left", va="center"
        )
        lam_b = d["lam"][d["converged"][:, 1], 1]
        ax_z.set_ylim(floor - 0.0005, max(float(d["lam_gf"][1]), *lam_b) + 0.0005)
        ax_z.set_xlim(0.0, eta[-1] * 1.02)
        ax_z.tick_params(labelsize=6)
        ax_z.set_title("zoom near the floor (init B)", fontsize=7, pad=2)
        ax_l.set_ylim(1.7, lam_top)
        ax_l.set_ylabel(r"final sharpness $\lambda_\infty$")
        ax_l.set_title(r"(a) $\lambda_\infty$ of GD vs the GF solution $\lambda_{GF}$")
        ax_k.axhline(1.0, color="k", lw=0.7, ls="--", label="gradient flow ($K$ conserved)")
        ax_k.set_yscale("log")
        ax_k.set_ylim(k_lo, k_top)
        ax_k.set_ylabel(r"$K_\infty / K_0$,  $K = \|a + b\|\,\|a - b\|$")
        ax_k.set_title(rf"(b) $K_\infty/K_0$ ($K_0$ = {d['k0'][0]:.3f} (A), {d['k0'][1]:.3f} (B))")
        sec = ax_l.secondary_xaxis(
            "top", functions=(lambda v: v * lam_gf_a / 2, lambda v: 2 * v / lam_gf_a)
        )
        sec.set_xlabel(r"$\eta\lambda_{GF}(A)/2$")
        fig.suptitle(
            rf"GD on $L = (a^\top b - \Phi)^2/2$, $a, b \in \mathbb{{R}}^{D}$, $\Phi = {PHI:g}$: "
            r"$\lambda_\infty = \sqrt{4\Phi^2 + K_\infty^2} \leq \lambda_{GF}$",
            fontsize=9,
        )
        handles: dict[str, object] = {}
        for ax in (ax_l, ax_k):
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, h)
        fig.legend(
            list(handles.values()),
            list(handles.keys()),
            loc="outside lower center",
            ncol=3,
            fontsize=7,
            frameon=False,
        )
        paths = save(fig, out_dir, ID)
    return paths
