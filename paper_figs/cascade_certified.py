"""The period-doubling cascade of Chen et al.'s cubic map F_a(z) = z(1 + a(1 − z))², with the flip
points detected by continuation and their interval-arithmetic certificates.

Chen, Balasubramanian, Ghosal, Agrawalla, *From Stability to Chaos* (TMLR 2024), Thm 2.1 (the map);
the certified cascade of ``research/bifurcation.md`` §2.1 and issue 13 item 1.

Settings
--------
* Family: ``cubic_map_family()`` (a ↦ F_a, z the state).
* Detected flips: ``tm.period_doubling_points(family, 0.9, (0.95, 1.31), max_doublings=5)``
  (continuation of the attracting cycle, Brent on the multiplier, Newton polish): periods
  1 → 2, 2 → 4, 4 → 8, 8 → 16, 16 → 32.
* Certified flips: ``tm.certify_bifurcation(family, point, a, k, kind="flip")`` for
  k = 1, 2, 4, 8 from each detected (point, a) (Krawczyk on {F^k(z) = z, det(DF^k + I) = 0},
  python-flint arb); the enclosure [lo, hi] of a and its width are printed in panel (c).
* Orbit diagrams (``tm.bifurcation_diagram``, fixed seeding z₀ = 0.9): (a) a ∈ [0.95, 1.31],
  (b) the zoom a ∈ [1.284, 1.3035]; full: 3 000 values, burn-in 20 000, 256 kept; quick: 600
  values, burn-in 3 000, 64 kept.
* (c) Each certified enclosure drawn as an interval around its own midpoint, in units of 1e-12
  (the enclosures are 3e-15 … 7e-12 wide), with the detected value marked: the detected flip
  lies inside its enclosure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.quadratic_regression import cubic_map_family

from ._common import new_figure, progress, save, style

ID = "cascade_certified"
PAPER = "Chen, Balasubramanian, Ghosal, Agrawalla (TMLR 2024)"
FIGURE = "new"
CAPTION = (
    "The cascade of F_a(z) = z(1 + a(1 − z))²: detected flip points and their certified "
    "interval enclosures (k = 1, 2, 4, 8)"
)

CERT_PERIODS = (1, 2, 4, 8)


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "z0": 0.9,
        "range": (0.95, 1.31),
        "zoom": (1.284, 1.3035),
        "max_doublings": 5,
        "cert_periods": CERT_PERIODS,
        "n_params": 600 if quick else 3000,
        "burn_in": 3000 if quick else 20_000,
        "keep": 64 if quick else 256,
    }


def compute(quick: bool = False) -> dict[str, object]:
    """Detected flips, their certificates and the two orbit diagrams."""
    s = settings(quick)
    fam = cubic_map_family()
    flips = tm.period_doubling_points(
        fam, [s["z0"]], s["range"], max_doublings=int(s["max_doublings"]), return_details=True
    )
    certs = {}
    for b in progress(flips, "certify flips", total=len(flips)):
        if b.period in s["cert_periods"]:
            certs[b.period] = tm.certify_bifurcation(fam, b.point, b.param, b.period, kind="flip")
    diagrams = []
    for rng in (s["range"], s["zoom"]):
        a = np.linspace(*rng, int(s["n_params"]))
        bd = tm.bifurcation_diagram(
            fam, a, [s["z0"]], burn_in=int(s["burn_in"]), keep=int(s["keep"])
        )
        diagrams.append((a, bd.points[..., 0], bd.diverged))
    return {
        "settings": s,
        "flips": list(flips),
        "reason": flips.reason,
        "certs": certs,
        "diagrams": diagrams,
    }


def _diagram(ax, a, pts, div) -> None:
    keep = pts.shape[1]
    aa = np.repeat(a, keep)
    zz = pts.reshape(-1)
    ok = np.isfinite(zz) & ~np.repeat(div, keep)
    ax.plot(aa[ok], zz[ok], ",", color="k", alpha=0.5, rasterized=True)


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    s = d["settings"]
    flips = d["flips"]
    certs = d["certs"]
    with style():
        fig = new_figure(9.0, 6.4)
        gs = fig.add_gridspec(2, 2, height_ratios=[1.5, 1.0])
        ax_a = fig.add_subplot(gs[0, 0])
        ax_b = fig.add_subplot(gs[0, 1])
        ax_c = fig.add_subplot(gs[1, :])
        for ax, (a, pts, div), tag in zip((ax_a, ax_b), d["diagrams"], ("a", "b"), strict=True):
            _diagram(ax, a, pts, div)
            lo, hi = a[0], a[-1]
            for b in flips:
                if lo <= b.param <= hi:
                    c = certs.get(b.period)
                    col = "tab:red" if c is not None and c.certified else "tab:blue"
                    ax.axvline(b.param, color=col, ls="--", lw=0.8)
                    if tag == "a" and b.param > s["zoom"][0]:
                        continue  # labelled in the zoom
                    ax.annotate(
                        f"{b.period}→{2 * b.period}\n{b.param:.10f}",
                        (b.param, 0.02),
                        xycoords=("data", "axes fraction"),
                        rotation=90,
                        fontsize=6,
                        ha="right",
                        va="bottom",
                        color=col,
                    )
            ax.set_xlim(lo, hi)
            ax.set_xlabel(r"$a = \eta\lambda^*/2$")
            ax.set_ylabel(r"$z$ (after burn-in)")
        ax_a.set_title(
            f"(a) orbit diagram, $z_0 = {s['z0']}$; flips: red = certified, blue = detected only",
            fontsize=8,
        )
        ax_b.set_title(f"(b) zoom a ∈ [{s['zoom'][0]}, {s['zoom'][1]}]", fontsize=8)
        # (c): enclosures in units of 1e-12 around their midpoints
        unit = 1e-12
        rows = [(k, certs[k]) for k in sorted(certs)]
        by_k = {b.period: b for b in flips}
        for i, (k, c) in enumerate(rows):
            if not c.certified:
                ax_c.annotate(
                    f"k = {k}: not certified ({c.reason})", (0, i), fontsize=7, ha="center"
                )
                continue
            mid = c.value
            half = (c.param[1] - c.param[0]) / 2 / unit
            ax_c.plot([-half, half], [i, i], color="tab:red", lw=3, solid_capstyle="butt")
            ax_c.plot([-half, half], [i, i], "|", color="tab:red", ms=10)
            det = (by_k[k].param - mid) / unit
            ax_c.plot([det], [i], "o", color="tab:blue", ms=4)
            inside = c.param[0] <= by_k[k].param <= c.param[1]
            ax_c.annotate(
                f"k = {k}: a ∈ [{c.param[0]:.15f}, {c.param[1]:.15f}], width {c.width:.2g}; "
                f"detected {by_k[k].param:.15f} ({'inside' if inside else 'OUTSIDE'})",
                (0, i),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
        ax_c.set_yticks(range(len(rows)), [f"k = {k}" for k, _ in rows])
        ax_c.set_ylim(-0.6, len(rows) - 0.2)
        widest = max((c.width for _, c in rows if c.certified), default=unit) / unit
        ax_c.set_xlim(-0.9 * widest - 0.5, 0.9 * widest + 0.5)
        ax_c.set_xlabel("a − midpoint of the enclosure  [units of 1e-12]")
        ax_c.set_title(
            "(c) certified flip enclosures (red, Krawczyk in arb) and the detected values (blue)",
            fontsize=8,
        )
        fig.suptitle(
            r"The cascade of $F_a(z) = z(1 + a(1 - z))^2$: detected and certified flip points"
            f" ({s['n_params']} values, burn-in {s['burn_in']}, {s['keep']} kept)",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
