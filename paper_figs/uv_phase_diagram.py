"""Phase diagram of GD on the uv model L = ½(uv − 1)² over step size η × initial imbalance Q0.

New figure. Gradient flow conserves Q = u² − v² and ends at the minimum of sharpness
λ_GF(Q0) = √(Q0² + 4); GD shrinks |Q| by (1 − η²r²) per step (r = uv − 1), so for
η > 2/λ_GF(Q0) it can still converge, to a flatter minimum, after a catapult. The flattest
minimum (u = v = 1) has sharpness 2|y| = 2, so for η > 1 no minimum is linearly stable and GD
cannot converge (``research/linear_models.md`` §B.2, §B.4). On Q0 = 0 GD stays on the balanced
line u = v, where z = u² follows the cubic map F_η(z) = z(1 + η(1 − z))² of Chen et al.
(TMLR 2024): period doubling at η = 1, √5 − 1, 1.288, … → 1.3023 (chaos).

Settings
--------
* Model: ``uv_model(1.0)``. Starts with u0 v0 = 0.5 (L0 = 1/8) and u0² − v0² = Q0:
  u0² = (Q0 + √(Q0² + 1))/2, v0² = (−Q0 + √(Q0² + 1))/2, u0, v0 > 0.
* Grid: η on ``np.linspace(0.05, 1.6, Nη)`` × Q0 on ``np.linspace(0, 3, NQ)``, Nη × NQ =
  200 × 150 (full) / 50 × 40 (quick).
* ``tm.classify(model, θ0_grid, eta=η_grid, burn_in=B)`` (outer product η × inits; defaults
  max_period 64, tol 1e-8, lyapunov_steps 5000, chaos_threshold 0.01, bound 1e10), B = 3000
  (full) / 800 (quick), in 8 chunks of η (inner progress bar).
* Colours (``CATEGORIES``): converged monotone / oscillating, catapult (converged after the loss
  rose above L0), periodic with period 2, 4, other (the periods present are listed in the
  legend), chaotic, unknown (aperiodic with Lyapunov exponent ≤ 0.01: near a bifurcation the
  approach to the attractor is slower than the burn-in), diverged.
* Overlays: η = 2/λ_GF(Q0) = 2/√(Q0² + 4) (the GF solution is linearly unstable to its right) and
  η = 1 (no minimum is stable to its right).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import toymodels as tm
from toymodels.models.two_layer_linear import uv_model

from ._common import categorical_colours, chunks, edges, new_figure, progress, save, style

ID = "uv_phase_diagram"
PAPER = "new (uv model of Lewkowycz et al. 2020; cf. Beneventano & Woodworth 2025)"
FIGURE = "new"
CAPTION = "Phase of GD on the uv model ½(uv − 1)² over step size η × initial imbalance u0² − v0²"

UV0 = 0.5
Y = 1.0

#: (key, legend label, colour), in code order 0, 1, 2, …
CATEGORIES = [
    ("converged_monotone", "converged, monotone", "#08306b"),
    ("converged_oscillating", "converged, oscillating", "#6baed6"),
    ("catapult", "catapult (converged after L rose above L0)", "#fec44f"),
    ("p2", "period 2", "#006d2c"),
    ("p4", "period 4", "#41ab5d"),
    ("pother", "other period", "#9e9ac8"),
    ("chaotic", "chaotic (Lyapunov > 0.01)", "#cb181d"),
    ("unknown", "unknown (aperiodic, Lyapunov ≤ 0.01)", "#252525"),
    ("diverged", "diverged", "#f0f0f0"),
]
CODE, CMAP, NORM = categorical_colours(CATEGORIES)


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "n_eta": 50 if quick else 200,
        "n_q": 40 if quick else 150,
        "burn_in": 800 if quick else 3000,
        "chunks": 8,
    }


def phase_code(phase: tm.Phase) -> int:
    """The colour code of one :class:`toymodels.Phase`."""
    if phase.kind == "periodic":
        p = int(phase.period)
        return CODE[f"p{p}"] if p in (2, 4) else CODE["pother"]
    return CODE[phase.kind]


def initial_states(q0: np.ndarray) -> np.ndarray:
    """(u0, v0) > 0 with u0 v0 = 0.5 and u0² − v0² = Q0, shape (len(Q0), 2)."""
    q0 = np.asarray(q0, dtype=float)
    root = np.sqrt(q0**2 + 4 * UV0**2)
    return np.stack([np.sqrt((root + q0) / 2), np.sqrt((root - q0) / 2)], axis=-1)


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Phase codes over the (η, Q0) grid and the periods filed under "other"."""
    s = settings(quick)
    model = uv_model(Y)
    eta = np.linspace(0.05, 1.6, s["n_eta"])
    q0 = np.linspace(0.0, 3.0, s["n_q"])
    theta0 = initial_states(q0)
    codes = np.empty((eta.size, q0.size), dtype=np.int64)
    other: set[int] = set()
    parts = chunks(eta.size, s["chunks"])
    for sl in progress(parts, "uv phase diagram", total=len(parts)):
        ph = tm.classify(model, theta0, eta=eta[sl], burn_in=s["burn_in"])
        for idx in np.ndindex(ph.shape):
            p = ph[idx]
            codes[sl][idx] = phase_code(p)
            if p.kind == "periodic" and p.period not in (2, 4):
                other.add(int(p.period))
    return {"eta": eta, "q0": q0, "codes": codes, "other_periods": np.array(sorted(other))}


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    eta, q0 = d["eta"], d["q0"]
    with style():
        fig = new_figure(8.4, 4.8)
        gs = fig.add_gridspec(1, 2, width_ratios=[1.0, 0.45])
        ax = fig.add_subplot(gs[0, 0])
        ax_leg = fig.add_subplot(gs[0, 1])
        ax_leg.axis("off")
        ax.pcolormesh(edges(eta), edges(q0), d["codes"].T, cmap=CMAP, norm=NORM, rasterized=True)
        qq = np.linspace(q0[0], q0[-1], 400)
        ax.plot(2 / np.sqrt(qq**2 + 4 * Y**2), qq, color="k", lw=1.3)
        ax.axvline(1 / abs(Y), color="k", ls="--", lw=0.9)
        ax.set_xlim(edges(eta)[0], edges(eta)[-1])
        ax.set_ylim(edges(q0)[0], edges(q0)[-1])
        ax.set_xlabel(r"step size $\eta$")
        ax.set_ylabel(r"initial imbalance $Q_0 = u_0^2 - v_0^2$  ($u_0 v_0 = 0.5$)")
        ax.set_title(r"Phase of GD on $L = \frac{1}{2}(uv - 1)^2$ (tm.classify)")

        counts = np.bincount(d["codes"].ravel(), minlength=len(CATEGORIES))
        handles = []
        for i, (key, lab, col) in enumerate(CATEGORIES):
            if key == "pother" and d["other_periods"].size:
                lab = "other period (" + ", ".join(str(p) for p in d["other_periods"]) + ")"
            handles.append(Patch(facecolor=col, edgecolor="0.5", label=f"{lab}: {counts[i]}"))
        handles.append(
            Line2D(
                [],
                [],
                color="k",
                lw=1.3,
                label=r"$\eta = 2/\lambda_{GF}(Q_0)$, $\lambda_{GF} = \sqrt{Q_0^2 + 4}$",
            )
        )
        handles.append(
            Line2D([], [], color="k", ls="--", lw=0.9, label=r"$\eta = 1$ (flattest minimum: 2)")
        )
        ax_leg.legend(
            handles=handles,
            loc="center left",
            title=f"phase: cells ({eta.size} × {q0.size})",
            frameon=False,
        )
        paths = save(fig, out_dir, ID)
    return paths
