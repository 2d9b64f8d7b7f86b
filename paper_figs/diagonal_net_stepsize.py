"""Diagonal linear net β = u ⊙ v: recovery error, ℓ1 norm and final sharpness against the step size.

Analogue of Even, Pesme, Gunasekar, Flammarion (NeurIPS 2023, arXiv 2302.08982): on sparse
regression, larger step sizes help SGD recover the sparse β* but hurt GD, dramatically so in the
edge-of-stability window just below GD's divergence threshold. The paper's own figure settings
could not be read; the data are those of a third-party reproduction (``research/linear_models.md``
§C.2, §C.3 and §G (C)).

Settings
--------
* Data: ``sparse_regression(n=20, d=30, s=3, seed=1234)`` (β* has 3 N(0, 1) entries, X Gaussian,
  y = Xβ*); model ``DiagonalLinear(X, y, alpha=0.1)``, L = ‖X(u ⊙ v) − y‖²/(2n), init
  u0 = √2·α·1, v0 = 0.
* GD: γ on ``np.linspace(0.01, 0.68, N)``, N = 60 (full) / 15 (quick), one batched ``tm.gd``
  call, 100 000 (full) / 20 000 (quick) steps, final state only. A run is converged when its final
  loss is < 1e-20; runs still above that are drawn as open markers at their last value, diverged
  runs (bound 1e10) as × on the top edge.
* SGD: batch size 1 (indices with replacement), γ on ``np.geomspace(0.002, 0.08, N)``, N = 20
  (full) / 6 (quick), one ``tm.sgd`` call with ``seed=0`` (every γ sees the same sample
  sequence), 300 000 (full) / 50 000 (quick) steps; the same convergence test on the full loss.
* (a) ‖β − β*‖₂ against γ (log-log) with the gradient-flow / hypentropy level ‖b_GF − β*‖
  (b_GF = ``hypentropy_interpolator(X, y, α²)``, ≈ 4.597e-2). (b) ‖β‖₁ (left axis) with ‖β*‖₁ and
  ‖b_GF‖₁, and the final S·γ/2 (right axis; S = ``tm.sharpness`` at the final state, the full-batch
  Hessian for SGD too) with the edge-of-stability line S·γ/2 = 1. The grey band marks the GD edge
  of stability window: converged GD runs with S·γ/2 > 0.99.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

import toymodels as tm
from toymodels.models.diagonal_linear import (
    DiagonalLinear,
    hypentropy_interpolator,
    sparse_regression,
)

from ._common import masked, new_figure, save, style

ID = "diagonal_net_stepsize"
PAPER = "Even, Pesme, Gunasekar, Flammarion (NeurIPS 2023)"
FIGURE = "new"
CAPTION = "Diagonal linear net: ‖β − β*‖, ‖β‖₁ and final S·γ/2 against γ for GD and SGD (batch 1)"

N, D, S, DATA_SEED = 20, 30, 3, 1234
ALPHA = 0.1
SGD_SEED = 0
CONVERGED_LOSS = 1e-20
EOS_LEVEL = 0.99
ZOOM_L1 = 2.7
#: (key, label, colour)
METHODS = (("gd", "GD", "tab:blue"), ("sgd", "SGD (batch 1)", "tab:orange"))


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "n_gd": 15 if quick else 60,
        "gd_steps": 20_000 if quick else 100_000,
        "n_sgd": 6 if quick else 20,
        "sgd_steps": 50_000 if quick else 300_000,
    }


def _summary(net: DiagonalLinear, tr: tm.Trajectory, beta_star: np.ndarray) -> dict:
    """Error, ℓ1 norm, S·γ/2 and status of the final states of a batched run."""
    final = tr.final
    diverged = tr.diverged
    with np.errstate(invalid="ignore"):
        converged = ~diverged & (tr.loss[-1] < CONVERGED_LOSS)
    safe = np.where(diverged[:, None], 0.0, final)  # no NaN into the spectra
    beta = net.beta(safe)
    gamma = tr.eta
    return {
        "gamma": gamma,
        "err": np.where(diverged, np.nan, np.linalg.norm(beta - beta_star, axis=-1)),
        "l1": np.where(diverged, np.nan, np.abs(beta).sum(axis=-1)),
        "eos": np.where(diverged, np.nan, tm.sharpness(net.model, safe) * gamma / 2),
        "loss": np.where(diverged, np.nan, tr.loss[-1]),
        "converged": converged,
        "diverged": diverged,
    }


def compute(quick: bool = False) -> dict[str, dict[str, np.ndarray] | float]:
    """Final error, ℓ1 norm, S·γ/2 and status of every GD and SGD run, and the GF references."""
    s = settings(quick)
    X, y, beta_star = sparse_regression(n=N, d=D, s=S, seed=DATA_SEED)
    net = DiagonalLinear(X, y, alpha=ALPHA)
    theta0 = net.init()
    gd_gamma = np.linspace(0.01, 0.68, s["n_gd"])
    sgd_gamma = np.geomspace(0.002, 0.08, s["n_sgd"])
    tr_gd = tm.gd(net.model, theta0, gd_gamma, s["gd_steps"], record_every=0)
    tr_sgd = tm.sgd(
        net.model,
        net.batch_grad,
        theta0,
        sgd_gamma,
        s["sgd_steps"],
        n_samples=N,
        batch_size=1,
        record_every=0,
        seed=SGD_SEED,
    )
    b_gf = hypentropy_interpolator(X, y, ALPHA**2)
    return {
        "gd": _summary(net, tr_gd, beta_star),
        "sgd": _summary(net, tr_sgd, beta_star),
        "gf_err": float(np.linalg.norm(b_gf - beta_star)),
        "gf_l1": float(np.abs(b_gf).sum()),
        "star_l1": float(np.abs(beta_star).sum()),
    }


def _points(ax, r: dict, key: str, col: str, marker: str, y_top: float) -> None:
    """Line through the finite values, filled (converged) / open (not converged) markers, × on
    the top edge for diverged runs."""
    g = r["gamma"]
    y = r[key]
    ax.plot(g, masked(y, positive=True), "-", color=col, lw=0.7, alpha=0.7)
    ok = r["converged"]
    slow = ~ok & ~r["diverged"]
    ax.plot(g[ok], y[ok], marker, color=col, ms=3.5, ls="none")
    if slow.any():
        ax.plot(g[slow], y[slow], marker, mfc="none", mec=col, ms=4, ls="none")
    div = r["diverged"]
    if div.any():  # an empty clip_on=False line would still claim layout space at the origin
        ax.plot(
            g[div], np.full(int(div.sum()), y_top), "x", color=col, ms=5, clip_on=False, ls="none"
        )


def _zoom(ax, d: dict) -> None:
    """Inset: ‖β‖₁ of the runs that stay near the gradient-flow solution (‖β‖₁ < ZOOM_L1)."""
    ax_z = ax.inset_axes([0.08, 0.58, 0.4, 0.3])
    for key, _, col in METHODS:
        r = d[key]
        near = ~r["diverged"] & (np.nan_to_num(r["l1"], nan=np.inf) < ZOOM_L1)
        sub = {k: v[near] for k, v in r.items()}
        _points(ax_z, sub, "l1", col, "o", ZOOM_L1)
    ax_z.axhline(d["gf_l1"], color="k", ls="--", lw=0.9)
    ax_z.set_xscale("log")
    ax_z.tick_params(labelsize=6)
    ax_z.set_title(rf"zoom: runs with $\|\beta\|_1 < {ZOOM_L1:g}$", fontsize=7, pad=2)


def _legend_handles(d: dict) -> list[Line2D]:
    """Colour = method, fill = status (the markers' shapes are named in the axis labels)."""
    out = []
    for key, label, col in METHODS:
        r = d[key]
        n_ok = int(r["converged"].sum())
        out.append(
            Line2D(
                [],
                [],
                color=col,
                marker="o",
                ms=3.5,
                lw=0.7,
                label=f"{label}: {n_ok}/{r['converged'].size} converged",
            )
        )
    n_slow = sum(int((~d[k]["converged"] & ~d[k]["diverged"]).sum()) for k, _, _ in METHODS)
    n_div = sum(int(d[k]["diverged"].sum()) for k, _, _ in METHODS)
    out.append(
        Line2D(
            [],
            [],
            color="0.3",
            marker="o",
            ms=3.5,
            ls="none",
            label=f"filled: loss < {CONVERGED_LOSS:g} at the end",
        )
    )
    out.append(
        Line2D(
            [],
            [],
            color="0.3",
            marker="o",
            mfc="none",
            ms=4,
            ls="none",
            label=f"open: loss ≥ {CONVERGED_LOSS:g} at the end ({n_slow} runs)",
        )
    )
    if n_div:
        out.append(
            Line2D(
                [],
                [],
                color="0.3",
                marker="x",
                ms=5,
                ls="none",
                label=f"×: diverged, on the top edge ({n_div} runs)",
            )
        )
    return out


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    s = settings(quick)
    gd = d["gd"]
    win = gd["converged"] & (np.nan_to_num(gd["eos"]) > EOS_LEVEL)
    with style():
        fig = new_figure(10.0, 4.6)
        ax_e, ax_n = fig.subplots(1, 2, sharex=True)
        ax_s = ax_n.twinx()
        err_top = 10.0
        for key, _, col in METHODS:
            _points(ax_e, d[key], "err", col, "o", err_top)
            _points(ax_n, d[key], "l1", col, "o", 20.0)
            _points(ax_s, d[key], "eos", col, "^", 1.2)
        ax_e.axhline(
            d["gf_err"],
            color="k",
            ls="--",
            lw=0.9,
            label=rf"gradient flow (hypentropy, $\alpha^2$): {d['gf_err']:.4g}",
        )
        ax_n.axhline(
            d["star_l1"], color="k", lw=0.9, label=rf"$\|\beta^*\|_1 = {d['star_l1']:.4g}$"
        )
        ax_n.axhline(
            d["gf_l1"],
            color="k",
            ls="--",
            lw=0.9,
            label=rf"gradient flow $\|b_{{GF}}\|_1 = {d['gf_l1']:.4g}$",
        )
        ax_s.axhline(
            1.0, color="tab:red", ls=":", lw=1.0, label=r"edge of stability $S\gamma/2 = 1$"
        )
        if win.any():
            lo, hi = float(gd["gamma"][win].min()), float(gd["gamma"][win].max())
            for ax in (ax_e, ax_s):  # ax_s is drawn below ax_n (see set_zorder below)
                ax.axvspan(lo, hi, color="0.88", zorder=0, lw=0)
            ax_e.text(
                np.sqrt(lo * hi),
                err_top * 0.8,
                rf"GD: $S\gamma/2 > {EOS_LEVEL}$",
                ha="center",
                va="top",
                fontsize=7,
            )
        ax_e.set_xscale("log")
        ax_e.set_yscale("log")
        ax_e.set_ylim(2e-2, err_top)
        ax_e.set_xlabel(r"step size $\gamma$")
        ax_e.set_ylabel(r"$\|\beta - \beta^*\|_2$ at the end")
        ax_e.set_title(r"(a) recovery error of the final $\beta = u \odot v$")
        ax_n.set_xlabel(r"step size $\gamma$")
        ax_n.set_ylabel(r"$\|\beta\|_1$ at the end (circles)")
        ax_n.set_ylim(0.0, 20.0)
        ax_s.set_ylim(0.0, 1.2)
        ax_s.set_ylabel(r"final $S\gamma/2$ (triangles), $S = \lambda_{\max}(\nabla^2 L)$")
        ax_n.set_title(r"(b) $\|\beta\|_1$ and the final sharpness $S\gamma/2$")
        _zoom(ax_n, d)
        ax_n.set_zorder(ax_s.get_zorder() + 1)  # circles above the twin axis' triangles
        ax_n.patch.set_visible(False)
        fig.suptitle(
            rf"$\beta = u\odot v$, $L = \|X\beta - y\|^2/(2n)$, $n = {N}$, $d = {D}$, "
            rf"$\|\beta^*\|_0 = {S}$, $u_0 = \sqrt{{2}}\,\alpha$, $v_0 = 0$, $\alpha = {ALPHA:g}$"
            "\n"
            rf"GD {s['gd_steps']:,} steps, SGD {s['sgd_steps']:,} steps",
            fontsize=9,
        )
        handles: dict[str, object] = {h.get_label(): h for h in _legend_handles(d)}
        for ax in (ax_e, ax_n, ax_s):
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
