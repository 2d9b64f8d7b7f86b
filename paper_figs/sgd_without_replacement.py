"""SGD without replacement (random reshuffling) drifts from GD at O(η²) and escapes a saddle in
expectation, with a far smaller variance than SGD with replacement.

Toy analogue of Beneventano, "On the Trajectories of SGD Without Replacement" (arXiv 2312.16143):
its abstract says RR "is locally equivalent to making an additional step on a novel regularizer"
and "may escape saddles significantly faster and present a smaller variance"; the paper's own
figures could not be read. Specs: research brief ``sgd_and_features.md`` §4.3 and §4.4
(figures 1–2).

Settings
--------
* (a) The §4.3 toy ``reshuffling_toy()`` (n = 4 quadratic samples, d = 3, H̄ = diag(1, 0.3, 0)),
  θ₀ = (0.5, −0.3, 0.8), one epoch (4 steps), batch size 1, η on a log grid in [0.004, 0.3]
  (24 points; quick: 8). Exact averages over all 24 orders (RR) and all 256 index sequences
  (with replacement, WR) by ``toymodels.stochastic.epoch_average``: ‖E[RR] − GD‖,
  ‖E[RR] − GD − drift₂‖ with drift₂ = −(η²/2)Σ_k(H_k − H̄)(g_k − ḡ)
  (``reshuffling_drift``) and ‖E[WR] − GD‖ (rounding only: drawn where > 0). Dotted reference
  lines of slope 2 and 3 through the smallest η.
* (b, c) The saddle toy ``saddle_toy()`` (n = 4, d = 2, H̄ = diag(1, −0.1), ∇L(0) = 0) from
  θ = 0, η = 0.1, batch size 1, 30 epochs: Monte Carlo over 20 000 seeds (quick: 500) of
  ``tm.sgd`` with ``sampling="without_replacement"`` and ``"with_replacement"``, and of
  ``noise_injected_gd`` (GD + Gaussian noise with the one-sample gradient covariance), one call
  per scheme over the list of seeds. (b) E[θ₂] (the negative-curvature coordinate) against the
  epoch with ±1 s.e. bands; (c) the total variance E‖θ − E θ‖². Thin black lines: the exact
  values of RR and WR from the affine epoch recursion ``epoch_moments`` (noise-injected GD has
  GD's mean, 0, exactly).
* (d) The flat valley of the support-learning toy (``support_learning.support_model()``: the
  linear net aᵀWx, n = 100 samples with ±ε label noise, ε = 0.2): from ``support_init(seed=0)``,
  η = 0.1, batch size 5, T = 3·10⁴ steps (quick: 6000), seeds 0–3 in one ``tm.sgd`` call per
  scheme: the flat part ‖(I − ââᵀ)We₂‖ (the valley coordinate of the irrelevant weights, seed
  mean) for SGD without replacement (RR), with replacement and GD. Dashed: φ(2000)·e^{−κ(t − 2000)}
  with the leading-order κ = η²ε²Ĉ₂₂/(2b′), b′ = b(n − 1)/(n − b) for RR and b′ = b with
  replacement: with replacement the path travels the valley faster by (n − 1)/(n − b) = 1.04.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels import stochastic as st
from toymodels.models import sgd_quadratics as q
from toymodels.models import support_learning as sl

from ._common import masked, new_figure, progress, save, style

ID = "sgd_without_replacement"
PAPER = "Beneventano (arXiv 2312.16143)"
FIGURE = "new"
CAPTION = (
    "Random reshuffling: E[RR] − GD = O(η²) with an O(η³) residual after the drift; on a saddle "
    "RR escapes in mean with ~100× smaller variance"
)

SCHEMES = (
    ("without_replacement", "SGD without replacement (RR)", "tab:red"),
    ("with_replacement", "SGD with replacement", "tab:blue"),
    ("noise_injected", "noise-injected GD", "tab:green"),
)


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "etas": np.geomspace(0.004, 0.3, 8 if quick else 24),
        "n_runs": 500 if quick else 20_000,
        "epochs": 30,
        "saddle_eta": q.SADDLE_ETA,
        "valley_steps": 6000 if quick else 30_000,
        "valley_eta": 0.1,
        "valley_batch": 5,
        "valley_seeds": [0, 1, 2, 3],
    }


def compute(quick: bool = False) -> dict[str, object]:
    """Exact averages for (a); Monte Carlo runs and exact moments for (b, c)."""
    s = settings(quick)
    etas = np.asarray(s["etas"])
    toy = q.reshuffling_toy()
    th0 = np.array(q.RESHUFFLING_THETA0)
    rr = st.epoch_average(toy, th0, etas)
    wr = st.epoch_average(toy, th0, etas, sampling="with_replacement")
    drift = st.reshuffling_drift(toy, th0, etas)
    panel_a = {
        "etas": etas,
        "rr": np.linalg.norm(rr.drift, axis=-1),
        "resid": np.linalg.norm(rr.drift - drift, axis=-1),
        "wr": np.linalg.norm(wr.drift, axis=-1),
    }
    saddle = q.saddle_toy()
    K = saddle.n_samples
    epochs = int(s["epochs"])
    eta = float(s["saddle_eta"])
    seeds = list(range(int(s["n_runs"])))
    runs = {}
    for key, _, _ in progress(SCHEMES, "saddle Monte Carlo: scheme", total=len(SCHEMES)):
        if key == "noise_injected":
            tr = st.noise_injected_gd(
                saddle, np.zeros(2), eta, K * epochs, seed=seeds, record_every=K
            )
        else:
            tr = tm.sgd(
                saddle, np.zeros(2), eta, K * epochs, sampling=key, seed=seeds, record_every=K
            )
        th = tr.theta  # (epochs + 1, runs, 2)
        centred = th - th.mean(axis=1, keepdims=True)
        runs[key] = {
            "mean": th[..., 1].mean(axis=1),
            "se": th[..., 1].std(axis=1, ddof=1) / np.sqrt(len(seeds)),
            "var": np.sum(centred**2, axis=-1).mean(axis=1),
        }
    exact = {
        key: st.epoch_moments(saddle, np.zeros(2), eta, epochs, sampling=key)
        for key in ("without_replacement", "with_replacement")
    }
    valley = sl.support_model()
    X, _ = sl.support_data()
    c22 = float(sl.second_moment(X)[1, 1])
    v_eta, v_b = float(s["valley_eta"]), int(s["valley_batch"])
    v_steps = int(s["valley_steps"])
    every = max(1, v_steps // 300)
    panel_d: dict[str, object] = {"c22": c22}
    for key in progress(
        ("without_replacement", "with_replacement", "gd"), "flat valley: scheme", total=3
    ):
        if key == "gd":
            tr = tm.gd(valley, sl.support_init(seed=0), v_eta, v_steps, record_every=every)
            flat = sl.flat_part(tr.theta)
        else:
            tr = tm.sgd(
                valley,
                sl.support_init(seed=0),
                v_eta,
                v_steps,
                batch_size=v_b,
                sampling=key,
                seed=list(s["valley_seeds"]),
                record_every=every,
            )
            flat = sl.flat_part(tr.theta).mean(axis=1)
            panel_d[key + "_rate"] = float(
                sl.predicted_rate(v_eta, 0.2, c22, v_b, valley.n_samples, sampling=key)
            )
        panel_d[key] = flat
        panel_d["steps"] = tr.steps
    return {
        "a": panel_a,
        "runs": runs,
        "exact": exact,
        "d": panel_d,
        "epoch_axis": np.arange(epochs + 1),
        **s,
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    a = d["a"]
    ep = d["epoch_axis"]
    with style():
        fig = new_figure(17.0, 4.0)
        ax_a, ax_b, ax_c, ax_d = fig.subplots(1, 4)
        etas = a["etas"]
        ax_a.loglog(
            etas,
            masked(a["rr"], positive=True),
            "o-",
            color="tab:red",
            ms=3,
            label=r"$\|E[\theta^{RR}_4] - \theta^{GD}_4\|$",
        )
        ax_a.loglog(
            etas,
            masked(a["resid"], positive=True),
            "s-",
            color="k",
            ms=3,
            label=r"$\|E[\theta^{RR}_4] - \theta^{GD}_4 - \mathrm{drift}_2\|$",
        )
        ax_a.loglog(
            etas,
            masked(a["wr"], positive=True),
            "^",
            color="tab:blue",
            ms=3,
            label=r"$\|E[\theta^{WR}_4] - \theta^{GD}_4\|$ (rounding)",
        )
        e0 = etas[0]
        for slope, y0, ls in ((2, a["rr"][0], ":"), (3, a["resid"][0], "--")):
            ax_a.loglog(
                etas,
                y0 * (etas / e0) ** slope,
                ls,
                color="tab:gray",
                lw=0.8,
                label=f"slope {slope}",
            )
        ax_a.set_xlabel(r"step size $\eta$")
        ax_a.set_ylabel("distance after one epoch")
        ax_a.set_title(r"(a) §4.3 toy: exact averages over all orders", fontsize=8)
        ax_a.legend(fontsize=6, loc="center right")
        for key, label, colour in SCHEMES:
            r = d["runs"][key]
            ax_b.plot(ep, r["mean"], color=colour, label=label)
            ax_b.fill_between(
                ep, r["mean"] - r["se"], r["mean"] + r["se"], color=colour, alpha=0.25
            )
            ax_c.semilogy(ep, masked(r["var"], positive=True), color=colour, label=label)
        for key, ls in (("without_replacement", "--"), ("with_replacement", ":")):
            em = d["exact"][key]
            ax_b.plot(ep, em.mean[:, 1], ls, color="k", lw=0.8)
            ax_c.semilogy(
                ep,
                masked(np.trace(em.covariance, axis1=-2, axis2=-1), positive=True),
                ls,
                color="k",
                lw=0.8,
            )
        ax_b.plot([], [], "--", color="k", lw=0.8, label="exact (RR)")
        ax_b.plot([], [], ":", color="k", lw=0.8, label="exact (WR = GD = 0)")
        ax_b.axhline(0.0, color="tab:gray", lw=0.5)
        ax_b.set_xlabel("epoch")
        ax_b.set_ylabel(r"$E[\theta_2]$ (negative-curvature axis), $\pm 1$ s.e.")
        ax_b.set_title(
            rf"(b) saddle, $\eta = {d['saddle_eta']:g}$, {d['n_runs']} runs: the mean", fontsize=8
        )
        ax_b.legend(fontsize=6, loc="upper left")
        ax_c.set_xlabel("epoch")
        ax_c.set_ylabel(r"total variance $E\|\theta - E\theta\|^2$")
        ax_c.set_title("(c) saddle: the variance", fontsize=8)
        ax_c.legend(fontsize=6, loc="lower right")
        v = d["d"]
        t = np.asarray(v["steps"], dtype=float)
        t0 = 2000.0
        i0 = int(np.searchsorted(t, t0))
        for key, label, colour in (
            ("without_replacement", "SGD without replacement (RR)", "tab:red"),
            ("with_replacement", "SGD with replacement", "tab:blue"),
            ("gd", "GD", "k"),
        ):
            ax_d.semilogy(t, masked(v[key], positive=True), color=colour, lw=1, label=label)
            if key != "gd":
                phi0 = float(v[key][i0])
                tt = t[i0:]
                ax_d.semilogy(
                    tt, phi0 * np.exp(-v[key + "_rate"] * (tt - t0)), "--", color=colour, lw=0.8
                )
        ax_d.plot(
            [],
            [],
            "--",
            color="tab:gray",
            lw=0.8,
            label=r"$e^{-\kappa t}$, $\kappa = \eta^2\varepsilon^2\hat C_{22}/(2b')$",
        )
        ax_d.set_xlabel("step")
        ax_d.set_ylabel(r"flat part $\|(I - \hat a\hat a^T)We_2\|$ (seed mean)")
        ax_d.set_title(
            rf"(d) flat valley (support toy), $\eta = {d['valley_eta']:g}$, "
            rf"$b = {d['valley_batch']}$",
            fontsize=8,
        )
        ax_d.legend(fontsize=6, loc="lower left")
        fig.suptitle(
            "SGD without replacement: an O(η²) drift from GD (a step on the noise trace), and "
            "saddle escape in expectation with small variance",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
