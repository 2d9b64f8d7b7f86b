"""Trajectory alignment: GD on Zhu et al.'s minimalist loss ¼(x²y² − 1)² from several inits, in
the reduced coordinates (A, d) = (ηx², xy), against the period-2 curve of the cubic map C_a.

Zhu, Wang, Wang, Zhou, Ge (ICLR 2023, arXiv 2210.03294), the minimalist example; the alignment
analogue of Song & Yun (NeurIPS 2023, arXiv 2307.04204), whose definitions could not be read;
specs from ``research/bifurcation.md`` §1.1, §1.4 and §3 (F3).

Settings
--------
* Full GD (``tm.gd_family(minimalist_model())``, one batched map for all runs) with
  η ∈ {0.05, 0.1, 0.2} and inits (x₀, y₀) = (√(A₀/η), 0.1), A₀ ∈ {1.3, 1.6, 1.9};
  full: 200 000 steps, quick: 20 000 steps. Plotted: every state (a ≤ 20 000-point odd-stride
  subsample per run, so both points of a 2-cycle stay) in (|d|, A); C_a is odd, so a run that
  ends at d = −1 (xy < 0) is drawn at |d|.
* The period-2 curve: the two points d₁, d₂ of the 2-cycle of C_a(d) = d − a d(d² − 1)
  (``w_map_family``, g_a(w) = (1 + a)w − a w³) for a ∈ (1, 2), found by ``tm.find_cycle``
  continued along a (√(a − 1) uniform; full: 400 values, quick: 120); checked against the
  closed form 1/a = (d² ± d√(4 − 3d²))/2 (``period_two_curve``; the largest gap is in the title).
  The dashed line d = 1 is the line of fixed points (minimisers).
* Bottom row: the relative distance min±|1 − A·u±(|d|)| of (A_t, |d_t|) from the curve
  (``period_two_distance``) against the step, with the brief's scale 1.2η² (dotted). The legend
  gives the final ηS/2 (S = 2(x² + y²) at the last state; brief §1.1: 0.99939, 0.99769, 0.99274).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models.bifurcation import period_two_curve, period_two_distance
from toymodels.models.quadratic_regression import w_map_family
from toymodels.models.self_stabilization import minimalist_model

from ._common import masked, new_figure, progress, save, style

ID = "zhu_alignment"
PAPER = "Zhu, Wang, Wang, Zhou, Ge (ICLR 2023); Song & Yun (NeurIPS 2023)"
FIGURE = "new"
CAPTION = (
    "GD on ¼(x²y² − 1)² from 3 inits per η, in (A, d) = (ηx², xy): trajectories align on the "
    "period-2 curve of C_a"
)

ETAS = (0.05, 0.1, 0.2)
A0S = (1.3, 1.6, 1.9)
Y0 = 0.1
MAX_POINTS = 20_000


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "etas": ETAS,
        "A0": A0S,
        "y0": Y0,
        "steps": 20_000 if quick else 200_000,
        "curve_points": 120 if quick else 400,
        "curve_a": (1.0005, 1.999),
    }


def period_two_points(a_values: np.ndarray) -> np.ndarray:
    """The 2-cycle {d₁, d₂} (sorted) of C_a for each a (increasing, > 1), by ``tm.find_cycle``
    continued in a.

    Seeded at the first a by the leading-order branch 1 + √((a − 1)/2); each next a starts from
    the linear extrapolation of the previous two cycle points (the branch grows like √(a − 1),
    so the grid should be uniform in √(a − 1)). NaN where Newton did not return a 2-cycle.
    """
    fam = w_map_family()
    out = np.full((a_values.size, 2), np.nan)
    prev: list[float] = []
    for i, a in enumerate(progress(a_values, "period-2 curve", total=a_values.size)):
        if not prev:
            guess = 1.0 + np.sqrt((a - 1) / 2)
        elif len(prev) == 1:
            guess = prev[-1]
        else:
            guess = 2 * prev[-1] - prev[-2]
        c = tm.find_cycle(fam(float(a)), np.array([guess]), 2)
        if c.converged and c.period == 2:
            pts = np.sort(np.asarray(c.points, dtype=float).reshape(-1))
            out[i] = pts
            prev = [*prev[-1:], float(pts[-1])]
        else:
            prev = []
    return out


def compute(quick: bool = False) -> dict[str, object]:
    """GD runs (one batch), their (A, d) coordinates, and the period-2 curve."""
    s = settings(quick)
    etas = np.repeat(np.array(s["etas"], dtype=float), len(s["A0"]))
    a0 = np.tile(np.array(s["A0"], dtype=float), len(s["etas"]))
    x = np.stack([np.sqrt(a0 / etas), np.full(etas.size, float(s["y0"]))], axis=-1)
    F = tm.gd_family(minimalist_model())(etas)
    T = int(s["steps"])
    traj = np.empty((T + 1, etas.size, 2))
    traj[0] = x
    chunk = 1000
    with np.errstate(all="ignore"):
        for start in progress(range(0, T, chunk), "Zhu GD", total=-(-T // chunk)):
            for t in range(start, min(start + chunk, T)):
                x = F(x)
                traj[t + 1] = x
    A = etas * traj[..., 0] ** 2
    d = np.abs(traj[..., 0] * traj[..., 1])
    dist = period_two_distance(A, d)
    last = traj[-1]
    half_eta_s = etas * (last[:, 0] ** 2 + last[:, 1] ** 2)  # η·S/2, S = 2(x² + y²)
    lo, hi = (np.sqrt(v - 1.0) for v in s["curve_a"])
    a_curve = 1.0 + np.linspace(lo, hi, int(s["curve_points"])) ** 2
    pts = period_two_points(a_curve)
    found = np.all(np.isfinite(pts), axis=-1)
    up, um = period_two_curve(pts[found])
    gap = np.fmin(np.abs(1 - a_curve[found, None] * up), np.abs(1 - a_curve[found, None] * um))
    return {
        "settings": s,
        "etas": etas,
        "a0": a0,
        "A": A,
        "d": d,
        "dist": dist,
        "half_eta_s": half_eta_s,
        "a_curve": a_curve,
        "curve": pts,
        "curve_gap": float(np.max(gap)) if gap.size else float("nan"),
        "curve_found": int(found.sum()),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    dd = compute(quick)
    s = dd["settings"]
    etas_u = s["etas"]
    T = int(s["steps"])
    stride = max(1, T // MAX_POINTS) | 1  # odd: keeps both points of a 2-cycle
    steps = np.arange(T + 1)
    colours = ("tab:blue", "tab:orange", "tab:green")
    with style():
        fig = new_figure(10.0, 6.2)
        axes = fig.subplots(2, len(etas_u), squeeze=False, height_ratios=[1.6, 1.0])
        for j, eta in enumerate(etas_u):
            ax, ax_d = axes[0, j], axes[1, j]
            for c in range(2):
                ax.plot(
                    masked(dd["curve"][:, c]),
                    dd["a_curve"],
                    color="k",
                    lw=1.4,
                    label="period-2 curve of $C_a$ (find_cycle)" if c == 0 else None,
                )
            ax.axvline(1.0, color="tab:gray", ls="--", lw=0.8, label="fixed points $d = 1$")
            for i, a0 in enumerate(s["A0"]):
                m = j * len(s["A0"]) + i
                A = dd["A"][::stride, m]
                d = dd["d"][::stride, m]
                ok = np.isfinite(A) & np.isfinite(d)
                ax.plot(
                    d[ok],
                    A[ok],
                    ".",
                    ms=1.2,
                    color=colours[i],
                    alpha=0.6,
                    rasterized=True,
                    label=rf"$A_0 = {a0}$: final $\eta S/2$ = {dd['half_eta_s'][m]:.5f}",
                )
                ax_d.plot(
                    steps[1:], masked(dd["dist"][1:, m], positive=True), color=colours[i], lw=0.6
                )
            ax.set_xlim(0.0, 1.25)
            ax.set_ylim(0.9, 2.0)
            ax.set_xlabel(r"$|d| = |xy|$")
            ax.set_ylabel(r"$A = \eta x^2$")
            ax.set_title(rf"(a{j + 1}) $\eta = {eta}$, $y_0 = {s['y0']}$", fontsize=8)
            ax.legend(loc="upper left", fontsize=6, markerscale=6)
            ax_d.axhline(1.2 * eta**2, color="k", ls=":", lw=0.8, label=r"$1.2\eta^2$")
            ax_d.set_xscale("log")
            ax_d.set_yscale("log")
            ax_d.set_ylim(1e-6, 2.0)
            ax_d.set_xlabel("step $t$")
            ax_d.set_ylabel("distance to the curve")
            ax_d.set_title(rf"(b{j + 1}) $\min_\pm|1 - A\,u_\pm(|d|)|$", fontsize=8)
            ax_d.legend(loc="lower left", fontsize=6)
        fig.suptitle(
            rf"GD on $\frac{{1}}{{4}}(x^2y^2 - 1)^2$, {T} steps, $x_0 = \sqrt{{A_0/\eta}}$: "
            "alignment on the period-2 curve of $C_a$\n(find_cycle at "
            f"{dd['curve_found']}/{dd['a_curve'].size} values of a; max relative gap to the closed "
            f"form {dd['curve_gap']:.1e})",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
