"""Deep linear net: how many singular directions oscillate, against η, with the predicted staircase.

Ghosh, Kwon, Wang, Ravishankar, Qu (ICLR 2025, arXiv 2502.20531) state that the loss oscillates in
a small subspace whose dimension is set by the step size; the natural reading is
#{i : η L s_i^{2−2/L} > 2}. ``research/linear_models.md`` §D.4 found that this count only holds
while every mixed Hessian eigenvalue μ_ij of the balanced minimum stays below 2/η: beyond
η μ₁₂ = 2 the singular vector stationary set (SVS) breaks. Settings from §D.4 and §G (D).

Settings
--------
* Model: ``DeepLinear(M*, depth=3)``, 5×5 layers, M* = ``symmetric_target(s)`` with
  s = (3, 2, 1, 0, 0) (U from a ``default_rng(0)`` QR), init W_l = 0.1·I.
* η on ``np.linspace(0.02, 0.21, N)``, N = 80 (full) / 20 (quick): one batched ``tm.gd`` burn-in
  of 20 000 (full) / 4000 (quick) steps, then a second batched call (``paired=True``) recording the
  next 200 steps.
* Direction i is tracked through p_i = (Uᵀ W₃W₂W₁ U)_ii (= ±σ_i inside the SVS; unlike the
  sorted singular values it does not swap labels when a large oscillation crosses a smaller
  singular value). Its oscillation amplitude is A_i = max_t |p_{t+1} − 2p_t + p_{t−1}|/2 over the
  window, which is the peak-to-peak size max − min for a 2-cycle but ignores slow monotone drift:
  the directions with s_i = 0 still creep towards 0 (p ≈ (4ηt)^{−3/4}), and their max − min
  over 200 steps (up to 2.3e-6 after 20 000 steps, 7.3e-6 after 4000; drawn dashed in (b)) is
  of the order of the threshold. Direction i oscillates when A_i > 1e-6·max(s) = 3e-6.
* (a) The count against η (markers) with the predicted staircase #{i : η λ_i > 2},
  λ_i = L s_i^{2−2/L} (step line); the shaded band is η μ₁₂ ≥ 2, μ₁₂ = Σ_l s₁^{2(L−l)/L}
  s₂^{2(l−1)/L} ≈ 10.149 (cross-checked against ``balanced_minimum_spectrum``), where the staircase
  is not expected to hold. Runs whose max off-diagonal of Uᵀ W_l U exceeds 1e-6 at the end are
  ringed (SVS broken); diverged runs (bound 1e10) are × on the top edge.
  (b) A_i per direction against η (log y) with the threshold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.deep_linear import DeepLinear, balanced_minimum_spectrum, symmetric_target

from ._common import masked, new_figure, save, style

ID = "deep_linear_oscillating_directions"
PAPER = "Ghosh, Kwon, Wang, Ravishankar, Qu (ICLR 2025)"
FIGURE = "new"
CAPTION = "Deep linear net: number of oscillating singular directions against η vs the staircase"

DEPTH = 3
SINGULAR = np.array([3.0, 2.0, 1.0, 0.0, 0.0])
INIT_SCALE = 0.1
ETA_RANGE = (0.02, 0.21)
WINDOW = 200
REL_TOL = 1e-6
SVS_TOL = 1e-6
COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown")


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {"n_eta": 20 if quick else 80, "burn_in": 4000 if quick else 20_000, "window": WINDOW}


def sharpnesses(s: np.ndarray = SINGULAR, depth: int = DEPTH) -> np.ndarray:
    """λ_i = L s_i^{2−2/L}: the balanced-minimum Hessian eigenvalue of each direction."""
    return depth * np.asarray(s, dtype=float) ** (2 - 2 / depth)


def mixed_eigenvalue(si: float, sj: float, depth: int = DEPTH) -> float:
    """μ_ij = Σ_{l=1}^{L} s_i^{2(L−l)/L} s_j^{2(l−1)/L}."""
    L = depth
    return float(sum(si ** (2 * (L - l) / L) * sj ** (2 * (l - 1) / L) for l in range(1, L + 1)))


def predicted_count(eta: np.ndarray) -> np.ndarray:
    """#{i : η λ_i > 2}."""
    lam = sharpnesses()
    return np.sum(np.asarray(eta)[..., None] * lam > 2, axis=-1)


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Oscillation amplitude per direction, count, SVS status and divergence of every run."""
    s = settings(quick)
    M, U = symmetric_target(SINGULAR)
    net = DeepLinear(M, DEPTH)
    theta0 = net.svs_init(INIT_SCALE)
    eta = np.linspace(*ETA_RANGE, s["n_eta"])
    burn = tm.gd(net.model, theta0, eta, s["burn_in"], record_every=0)
    start = np.where(burn.diverged[:, None], theta0, burn.final)  # finite seeds for the window
    win = tm.gd(net.model, start, eta, s["window"], record_every=1, paired=True)
    diverged = burn.diverged | win.diverged
    theta = np.where(diverged[None, :, None], 0.0, win.theta)  # (T, n_eta, p), finite
    p = np.prod(net.direction_weights(theta, U), axis=-2)  # (T, n_eta, d)
    amp = np.max(np.abs(np.diff(p, n=2, axis=0)), axis=0) / 2  # (n_eta, d)
    spread = np.ptp(p, axis=0)  # the plain max − min, for comparison
    off = net.off_diagonal(theta[-1], U)
    amp = np.where(diverged[:, None], np.nan, amp)
    threshold = REL_TOL * float(np.max(SINGULAR))
    count = np.sum(np.nan_to_num(amp) > threshold, axis=-1)
    mu12 = mixed_eigenvalue(SINGULAR[0], SINGULAR[1])
    spectrum = balanced_minimum_spectrum(SINGULAR, DEPTH)
    if not np.any(np.isclose(spectrum, mu12, rtol=1e-12)):  # pragma: no cover - a library bug
        raise RuntimeError("μ₁₂ is not in balanced_minimum_spectrum")
    return {
        "eta": eta,
        "amp": amp,
        "spread": np.where(diverged[:, None], np.nan, spread),
        "count": count,
        "threshold": np.array(threshold),
        "svs_broken": ~diverged & (off > SVS_TOL),
        "diverged": diverged,
        "mu12": np.array(mu12),
        "lambdas": sharpnesses(),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    s = settings(quick)
    eta = d["eta"]
    mu12 = float(d["mu12"])
    lam = d["lambdas"]
    with style():
        fig = new_figure(7.0, 6.4)
        top, bot = fig.subplots(2, 1, sharex=True, height_ratios=[1.0, 1.1])
        x_lo, x_hi = ETA_RANGE[0] - 0.005, ETA_RANGE[1] + 0.005
        fine = np.linspace(x_lo, x_hi, 4001)
        top.step(
            fine,
            predicted_count(fine),
            where="post",
            color="k",
            lw=1.2,
            label=r"predicted $\#\{i : \eta L s_i^{2-2/L} > 2\}$",
        )
        ok = ~d["diverged"]
        good = ok & ~d["svs_broken"]
        top.plot(eta[good], d["count"][good], "o", color="tab:blue", ms=4, label="measured (GD)")
        broken = d["svs_broken"]
        if broken.any():
            top.plot(
                eta[broken],
                d["count"][broken],
                "s",
                mfc="none",
                mec="tab:red",
                ms=6,
                label=rf"measured, SVS broken (off-diagonal > {SVS_TOL:g})",
            )
        y_top = 3.4
        div = d["diverged"]
        if div.any():
            top.plot(
                eta[div],
                np.full(int(div.sum()), y_top),
                "x",
                color="tab:red",
                ms=5,
                clip_on=False,
                ls="none",
                label=f"diverged ({int(div.sum())})",
            )
        for ax in (top, bot):
            ax.axvspan(
                2 / mu12,
                x_hi,
                color="0.85",
                lw=0,
                zorder=0,
                label=rf"$\eta\mu_{{12}} \geq 2$ ($\mu_{{12}} = {mu12:.4f}$): SVS unstable"
                if ax is top
                else None,
            )
            for i, li in enumerate(lam):
                if li > 0 and x_lo < 2 / li < x_hi:
                    ax.axvline(2 / li, color=COLOURS[i], ls=":", lw=0.8, zorder=0)
        for i, li in enumerate(lam):
            if li > 0 and x_lo < 2 / li < x_hi:
                top.text(
                    2 / li,
                    2.6,
                    rf" $\eta = 2/\lambda_{i + 1}$" + "\n" + rf" $= {2 / li:.4f}$",
                    fontsize=7,
                    color=COLOURS[i],
                    va="top",
                    ha="right",
                )
        top.set_ylim(-0.4, y_top)
        top.set_yticks(range(4))
        top.set_ylabel("oscillating directions")
        top.set_title(
            rf"(a) count after {s['burn_in']:,} steps (window {s['window']} steps, "
            rf"$A_i > 10^{{{np.log10(REL_TOL):.0f}}}\cdot\max_i s_i$)"
        )
        top.legend(loc="upper left", fontsize=7)

        floor = 1e-17
        for i in range(len(SINGULAR)):
            y = masked(np.maximum(d["amp"][:, i], floor), positive=True)
            bot.plot(
                eta,
                y,
                ".-",
                color=COLOURS[i],
                ms=3,
                lw=0.7,
                label=rf"direction {i + 1}: $s_{i + 1} = {SINGULAR[i]:g}$",
            )
        zero = np.nonzero(SINGULAR == 0)[0]
        if zero.size:
            i = int(zero[-1])
            bot.plot(
                eta,
                masked(d["spread"][:, i], positive=True),
                "--",
                color=COLOURS[i],
                lw=0.9,
                label=rf"plain max $-$ min of $p_{{{i + 1}}}$ (slow drift to 0)",
            )
        bot.axhline(float(d["threshold"]), color="k", ls="--", lw=0.8, label="threshold")
        bot.set_yscale("log")
        bot.set_ylim(floor / 2, 1e4)
        bot.set_ylabel(r"$A_i = \max_t |p_{t+1} - 2p_t + p_{t-1}|/2$")
        bot.set_title(
            r"(b) oscillation amplitude of $p_i = (U^\top W_3W_2W_1 U)_{ii}$ "
            rf"(values < {floor:g} drawn at {floor:g})"
        )
        bot.set_xlabel(r"step size $\eta$")
        bot.set_xlim(x_lo, x_hi)
        bot.legend(loc="upper left", fontsize=7, ncols=2)
        sec = top.secondary_xaxis("top", functions=(lambda v: v * lam[0], lambda v: v / lam[0]))
        sec.set_xlabel(r"$c_1 = \eta\lambda_1$")
        lam_txt = ", ".join(f"{v:.3f}" for v in lam[lam > 0])
        fig.suptitle(
            rf"GD on $\frac{{1}}{{2}}\|W_3W_2W_1 - M^*\|_F^2$, $5\times 5$ layers, "
            rf"$s = (3, 2, 1, 0, 0)$, $W_l(0) = {INIT_SCALE:g}\,I$; "
            rf"$\lambda_i = L s_i^{{2-2/L}} = ({lam_txt})$",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
