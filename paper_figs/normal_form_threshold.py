"""Stability threshold of the edge-of-stability 2-cycle in the normal form of self-stabilization
(decoupled Model A): stable iff r = ηm₁/2 < 5/4.

New figure (research brief ``research/self_stabilization.md`` §1.4 (2), §3.2, §4 F8, claim T6),
on the normal form of the four stages of Damian, Nichani, Lee (ICLR 2023, arXiv 2209.15594):
L_A(x, z₁, z₂) = ½(z − m)ᵀK(z − m) + ½z₁x², on which GD is exactly the damped map
x' = −(1 + ηy)x, y' = (1 − ηκ)y + η(α − x²/2) with y = z₁ − 2/η, κ = K₁₁. Its 2-cycle
(±√(2α_c), z_c) has the 2-step spectral radius ρ₂ = 1 − ηK₁₁ + 2η²α_c = 1 + ηK₁₁(4r − 5), with
α_c = K₁₁(m₁ − 2/η).

Settings
--------
* ``normal_form_model(K, m)`` with K = diag(0.5, 1), η = 0.1, m = (2r/η, 0), for
  r ∈ ``np.linspace(1.02, 1.5, N)``, N = 25 (full) / 9 (quick).
* (a) ρ₂ measured as the largest multiplier modulus of the 2-cycle of the GD map
  (``tm.find_cycle(tm.gd_map(model, η), guess, 2)`` from the exact cycle point of
  ``eos_two_cycle``; the multipliers are the eigenvalues of the 2-step Jacobian, including the
  z₂ mode (1 − ηK₂₂)² = 0.81), against the formula ``two_step_spectral_radius`` and the
  threshold r = 5/4 (``decoupled_threshold``).
* (b) GD (``tm.gd``) started at the cycle point with x multiplied by 1.01, 20 000 steps (full) /
  4000 (quick), averages over the second half: mean x²/(2α_c) (1 on the stable cycle), mean
  x²/(2·mean α(z_t)) with α(z) = −K₁₁(z₁ − m₁) (the time-average identity: stays ≈ 1 past the
  threshold) and mean z₁·η/2 (the centre of the oscillation: 1 = on the constraint S = 2/η,
  above 1 past the threshold). Runs that diverge (z₁ < 0 after a catapult, bound 1e10) are drawn
  as × on the top edge and counted in the legend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.self_stabilization import (
    decoupled_threshold,
    eos_two_cycle,
    kkt_multiplier,
    normal_form_model,
    two_step_spectral_radius,
)

from ._common import new_figure, progress, save, style

ID = "normal_form_threshold"
PAPER = "Damian, Nichani, Lee (ICLR 2023) [normal form derived]"
FIGURE = "new"
CAPTION = "Normal form: the EoS 2-cycle is stable iff r = ηm₁/2 < 5/4 (ρ₂ = 1 − ηK₁₁ + 2η²α_c)"

K = ((0.5, 0.0), (0.0, 1.0))
ETA = 0.1
R_RANGE = (1.02, 1.5)
KICK = 1.01


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {"n_r": 9 if quick else 25, "steps": 4000 if quick else 20_000}


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """ρ₂ (measured and formula) and the GD time averages for each r."""
    s = settings(quick)
    k = np.asarray(K)
    rs = np.linspace(*R_RANGE, s["n_r"])
    n = rs.size
    rho = np.full(n, np.nan)
    rho_f = np.full(n, np.nan)
    x2 = np.full(n, np.nan)
    x2_id = np.full(n, np.nan)
    z1 = np.full(n, np.nan)
    div = np.zeros(n, dtype=bool)
    conv = np.zeros(n, dtype=bool)
    T = s["steps"]
    for i in progress(range(n), "normal form: r", total=n):
        m = (2 * rs[i] / ETA, 0.0)
        model = normal_form_model(k, m)
        cyc = eos_two_cycle(k, m, ETA)
        c = tm.find_cycle(tm.gd_map(model, ETA), cyc[0], 2)
        conv[i] = c.converged
        if c.converged:
            rho[i] = float(np.max(np.abs(c.multipliers)))
        rho_f[i] = two_step_spectral_radius(k, m, ETA)
        th0 = cyc[0] * np.array([KICK, 1.0, 1.0])
        tr = tm.gd(model, th0, ETA, T)
        div[i] = bool(tr.diverged)
        if not div[i]:
            th = tr.theta[T // 2 :]
            a_c = kkt_multiplier(k, m, ETA)
            alpha_t = -k[0, 0] * (th[:, 1] - m[0])
            x2[i] = np.mean(th[:, 0] ** 2) / (2 * a_c)
            x2_id[i] = np.mean(th[:, 0] ** 2) / (2 * np.mean(alpha_t))
            z1[i] = np.mean(th[:, 1]) * ETA / 2
    return {
        "r": rs,
        "rho": rho,
        "rho_formula": rho_f,
        "cycle_converged": conv,
        "x2": x2,
        "x2_identity": x2_id,
        "z1": z1,
        "diverged": div,
        "steps": np.array(T),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    r = d["r"]
    r_star = decoupled_threshold()
    with style():
        fig = new_figure(10.0, 3.8)
        ax_r, ax_g = fig.subplots(1, 2)
        rr = np.linspace(R_RANGE[0], R_RANGE[1], 200)
        k11 = K[0][0]
        ax_r.plot(
            rr,
            1 + ETA * k11 * (4 * rr - 5),
            color="tab:orange",
            lw=1.4,
            label=r"formula $1 - \eta K_{11} + 2\eta^2\alpha_c$",
        )
        ok = np.isfinite(d["rho"])
        ax_r.plot(
            r[ok],
            d["rho"][ok],
            "o",
            color="k",
            ms=3.5,
            label=r"measured: max $|$multiplier$|$ of the 2-cycle (find_cycle)",
        )
        if (~ok).any():
            ax_r.plot([], [], " ", label=f"{int((~ok).sum())} cycles not found (not drawn)")
        err = np.max(np.abs(d["rho"][ok] - d["rho_formula"][ok])) if ok.any() else np.nan
        ax_r.plot([], [], " ", label=f"max |measured − formula| = {err:.1e}")
        ax_r.axhline(1.0, color="k", ls="--", lw=0.8)
        ax_r.axvline(r_star, color="tab:red", ls=":", lw=1.0, label=r"$r = 5/4$")
        ax_r.set_xlabel(r"$r = \eta m_1/2$")
        ax_r.set_ylabel(r"2-step spectral radius $\rho_2$")
        ax_r.set_title(r"(a) stability of the EoS 2-cycle $(\pm\sqrt{2\alpha_c}, z_c)$")
        ax_r.legend(loc="upper left", fontsize=6)

        div = d["diverged"]
        y_top = 1.3
        for key, col, lab in (
            ("x2", "tab:blue", r"mean $x^2 / (2\alpha_c)$"),
            ("x2_identity", "tab:green", r"mean $x^2 / (2\,$mean $\alpha(z_t))$"),
            ("z1", "k", r"mean $z_1\eta/2$ (centre; 1 = on $S = 2/\eta$)"),
        ):
            v = d[key]
            good = ~div & np.isfinite(v)
            ax_g.plot(r[good], v[good], "o-", color=col, ms=3, lw=0.8, label=lab)
        if div.any():
            ax_g.plot(
                r[div],
                np.full(int(div.sum()), y_top),
                "x",
                color="tab:red",
                ms=6,
                mew=1.5,
                clip_on=False,
                label=f"GD diverged ({int(div.sum())} of {r.size})",
            )
        ax_g.axhline(1.0, color="k", ls="--", lw=0.8)
        ax_g.axvline(r_star, color="tab:red", ls=":", lw=1.0)
        ax_g.set_ylim(0.5, y_top)
        ax_g.set_xlabel(r"$r = \eta m_1/2$")
        ax_g.set_ylabel("time average over the second half")
        ax_g.set_title(rf"(b) GD from the cycle with $x \times {KICK}$, {int(d['steps'])} steps")
        ax_g.legend(loc="lower left", fontsize=6)
        fig.suptitle(
            r"Model A $\frac{1}{2}(z - m)^\top K(z - m) + \frac{1}{2}z_1x^2$, "
            rf"$K = \mathrm{{diag}}(0.5, 1)$, $\eta = {ETA}$, $m = (2r/\eta, 0)$",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
