"""Orbit diagrams with the Lyapunov spectrum beneath: GD on Zhu et al.'s minimalist loss
¼(x²y² − 1)² (in η) and Kalra, He, Barkeshli's uv map (in Y).

Zhu, Wang, Wang, Zhou, Ge (ICLR 2023, arXiv 2210.03294), the minimalist example, and Kalra, He,
Barkeshli (arXiv 2311.02076), the period-doubling route to chaos of the uv model; specs from
``research/bifurcation.md`` §1.1, §1.3, §2.2, §2.3 and §3 (F4).

Settings
--------
* (a) GD on Model Z (``minimalist_model()``, ``tm.gd_family``) over η ∈ [0.3, 1.2], started on
  the balanced line (x₀, y₀) = (1.01, 1.01). The line x = y is invariant, so the orbit is the
  balanced-line map u ↦ u − η(u⁴ − 1)u³ (brief §2.2: flips at η = 1/2 and 0.6235846362); the
  2-D map adds the transverse direction (the minimiser manifold xy = 1 at a fixed point,
  contracted by 1 − η²r²x²y² per step on a cycle). Top: x after the burn-in.
* (b) Kalra's uv map (F, Λ) ↦ (F − ΛD + D²F, Λ + D(ΛD − 4F)), D = F − Y
  (``uv_reduced_map()``) over Y ∈ [0.9, 2.1], started at F₀ = Y + 0.05, Λ₀ = 2.5 (brief §3 F4),
  iterated in the shifted state (D, Λ) (``uv_shifted_family``; checked against
  ``uv_reduced_map`` at the start of ``compute``) so the start is the same for every Y.
  On the balanced set it is the cubic map C_Y: flips at Y = 1, √5 − 1, …, divergence at Y = 2.
  Top: Λ = ηλ after the burn-in.
* Orbit diagrams: ``tm.bifurcation_diagram`` with fixed seeding (one vectorised call);
  full: 1 500 parameter values, burn-in 20 000, 300 kept points; quick: 300 values, burn-in
  2 000, 100 kept.
* Beneath: both exponents λ₁ ≥ λ₂ of ``tm.lyapunov_spectrum`` (QR method) from the same start,
  full: burn-in 5 000, 20 000 averaged steps; quick: burn-in 1 000, 2 000 steps; the band is
  ± the batch-means standard error (20 blocks). −∞ exponents (superstable members) and diverged
  members (NaN) are masked; the divergence onset is shaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.bifurcation import uv_reduced_map
from toymodels.models.self_stabilization import minimalist_model

from ._common import masked, new_figure, progress, save, style

ID = "orbit_diagram_lyapunov"
PAPER = "Zhu, Wang, Wang, Zhou, Ge (ICLR 2023); Kalra, He, Barkeshli (arXiv 2311.02076)"
FIGURE = "new"
CAPTION = (
    "Orbit diagrams with the Lyapunov spectrum (± s.e.) beneath: GD on ¼(x²y² − 1)² in η "
    "(balanced start) and Kalra's uv map in Y"
)

#: flips of the balanced-line map (brief §2.2): 1/2 exact, 0.6235846362 (Newton–Floquet)
ZHU_FLIPS = (0.5, 0.6235846362181721)
#: flips of C_Y (brief §2.1): 1, √5 − 1; divergence at Y = 2
UV_FLIPS = (1.0, float(np.sqrt(5.0) - 1.0))
UV_DIVERGENCE = 2.0
#: the uv start in (D, Λ) = (F₀ − Y, Λ₀): the same for every Y (brief §3 F4: F₀ = Y + 0.05)
UV_INIT_D_LAM = (0.05, 2.5)


def uv_shifted_family() -> tm.MapFamily:
    """Kalra's uv map (``uv_reduced_map``) in the state (D, Λ), D = F − Y, a family in Y.

    F = D + Y gives D' = D − ΛD + D²(D + Y), Λ' = Λ + D(ΛD − 4(D + Y)): the start
    (D₀, Λ₀) = (0.05, 2.5) does not depend on Y, so one fixed-seeding call covers the grid.
    """
    return tm.Map.from_sympy(
        ["D - Lam*D + D**2*(D + Y)", "Lam + D*(Lam*D - 4*(D + Y))"],
        state=("D", "Lam"),
        param="Y",
        name="Kalra uv map (D, Λ)",
    )


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "zhu_eta": (0.3, 1.2),
        "zhu_init": (1.01, 1.01),
        "uv_Y": (0.9, 2.1),
        "uv_init": "F0 = Y + 0.05, Lam0 = 2.5",
        "n_params": 300 if quick else 1500,
        "orbit_burn_in": 2000 if quick else 20_000,
        "keep": 100 if quick else 300,
        "lyap_burn_in": 1000 if quick else 5000,
        "lyap_steps": 2000 if quick else 20_000,
        "blocks": 20,
    }


def _panel(family: tm.MapFamily, params: np.ndarray, x0: np.ndarray, s: dict) -> dict:
    """Orbit diagram (fixed seeding, state x0[0] for every parameter: one call) and spectrum."""
    bd = tm.bifurcation_diagram(
        family, params, x0[0], burn_in=int(s["orbit_burn_in"]), keep=int(s["keep"])
    )
    ls = tm.lyapunov_spectrum(
        family(params),
        x0,
        steps=int(s["lyap_steps"]),
        burn_in=int(s["lyap_burn_in"]),
        blocks=int(s["blocks"]),
    )
    return {"params": params, "points": bd.points, "diverged": bd.diverged | ls.diverged, "ls": ls}


def _check_shift() -> None:
    """The shifted uv map equals ``uv_reduced_map`` under F = D + Y (5 steps, 3 values of Y)."""
    Y = np.array([1.1, 1.5, 1.9])
    z = np.tile(np.array(UV_INIT_D_LAM), (3, 1))
    w = np.stack([z[:, 0] + Y, z[:, 1]], axis=-1)
    G, H = uv_shifted_family()(Y), uv_reduced_map()(Y)
    for _ in range(5):
        z, w = G(z), H(w)
    gap = np.max(np.abs(np.stack([z[:, 0] + Y, z[:, 1]], axis=-1) - w))
    if not gap < 1e-9:
        raise AssertionError(f"the shifted uv map differs from uv_reduced_map by {gap:.3g}")


def compute(quick: bool = False) -> dict[str, object]:
    """Orbit diagrams and Lyapunov spectra of both families."""
    s = settings(quick)
    n = int(s["n_params"])
    out: dict[str, object] = {"settings": s}
    _check_shift()
    for name in progress(("zhu", "uv"), "orbit diagrams + spectra", total=2):
        if name == "zhu":
            p = np.linspace(*s["zhu_eta"], n)
            x0 = np.tile(np.array(s["zhu_init"], dtype=float), (n, 1))
            out[name] = _panel(tm.gd_family(minimalist_model()), p, x0, s)
        else:
            p = np.linspace(*s["uv_Y"], n)
            x0 = np.tile(np.array(UV_INIT_D_LAM), (n, 1))
            out[name] = _panel(uv_shifted_family(), p, x0, s)
    return out


def _first_diverged(panel: dict) -> float | None:
    div = np.asarray(panel["diverged"])
    return float(panel["params"][np.argmax(div)]) if div.any() else None


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    cols = [
        (
            "zhu",
            r"$\eta$",
            r"$x$ (= $y$)",
            0,
            ZHU_FLIPS,
            r"(a) GD on $\frac{1}{4}(x^2y^2-1)^2$, $(x_0, y_0) = (1.01, 1.01)$",
        ),
        ("uv", r"$Y = \eta y\|x\|/\sqrt{n}$", r"$\Lambda = \eta\lambda$", 1, UV_FLIPS, None),
    ]
    with style():
        fig = new_figure(9.0, 5.8)
        axes = fig.subplots(2, 2, height_ratios=[1.6, 1.0], sharex="col")
        for j, (key, xl, yl, comp, flips, title) in enumerate(cols):
            pan = d[key]
            p = pan["params"]
            pts = pan["points"][..., comp]
            ax, ax_l = axes[0, j], axes[1, j]
            keep = pts.shape[1]
            pp = np.repeat(p, keep)
            yy = pts.reshape(-1)
            ok = np.isfinite(yy) & ~np.repeat(pan["diverged"], keep)
            ax.plot(pp[ok], yy[ok], ",", color="k", alpha=0.5, rasterized=True)
            ls = pan["ls"]
            colours = ("tab:red", "tab:blue")
            for i in range(ls.exponents.shape[-1]):
                e = ls.exponents[..., i]
                se = ls.stderr[..., i]
                good = np.isfinite(e) & np.isfinite(se)
                lo = masked(np.where(good, e - se, np.nan))
                hi = masked(np.where(good, e + se, np.nan))
                ax_l.fill_between(p, lo, hi, color=colours[i], alpha=0.3, lw=0)
                ax_l.plot(
                    p,
                    masked(np.where(good, e, np.nan)),
                    color=colours[i],
                    lw=0.7,
                    label=rf"$\lambda_{i + 1}$ ± s.e.",
                )
            ax_l.axhline(0.0, color="k", lw=0.6)
            for a in (ax, ax_l):
                for f in flips:
                    a.axvline(f, color="tab:green", ls=":", lw=0.8)
            dv = _first_diverged(pan)
            if dv is not None:
                for a in (ax, ax_l):
                    a.axvspan(dv, p[-1], color="tab:gray", alpha=0.15, lw=0)
                ax.annotate(
                    f"diverges\nfrom {dv:.4g}",
                    (dv, 0.97),
                    xycoords=("data", "axes fraction"),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="top",
                    fontsize=7,
                )
            flip_txt = ", ".join(f"{f:.6g}" for f in flips)
            if title is None:
                title = r"(b) Kalra uv map $(F, \Lambda)$, $F_0 = Y + 0.05$, $\Lambda_0 = 2.5$"
            ax.set_title(title, fontsize=8)
            ax.set_ylabel(yl)
            lmax = np.nanmax(np.where(np.isfinite(ls.exponents), ls.exponents, np.nan))
            lmin = np.nanpercentile(np.where(np.isfinite(ls.exponents), ls.exponents, np.nan), 1)
            ax_l.set_ylim(max(lmin, -3.0) - 0.1, lmax + 0.15)
            ax_l.set_xlabel(xl)
            ax_l.set_ylabel("Lyapunov exponents")
            chaos = p[np.isfinite(ls.largest) & (ls.largest > 1e-2)]
            onset = f"; λ₁ > 0.01 first at {chaos[0]:.4g}" if chaos.size else ""
            ax_l.set_title(f"flips (dotted) at {flip_txt}{onset}", fontsize=7)
            ax_l.legend(loc="lower left", fontsize=6)
            ax_l.set_xlim(p[0], p[-1])
        s = d["settings"]
        fig.suptitle(
            f"Orbit diagrams ({s['n_params']} values, burn-in {s['orbit_burn_in']}, "
            f"{s['keep']} kept) and the Lyapunov spectrum by QR ({s['lyap_steps']} steps, "
            f"band ± s.e. over {s['blocks']} blocks)",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
