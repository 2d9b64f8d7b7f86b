"""SGD learns the support, GD does not: first-layer Gram matrices, the decay of the flat part of
the irrelevant weights, and its rate κ against the derived η²ε²Ĉ₂₂/(2b′).

Analogue of Beneventano, Pinto, Poggio (arXiv 2406.11110) Figure 1 (first-layer Gram matrices
|W₁ᵀW₁| at initialisation and after training, GD against SGD; its caption is the one part of the
body that could be read) and of the research brief's figures 2–3 (``research/sgd_and_features.md``
§3.4), on the toys of ``toymodels.models.support_learning``.

Settings
--------
* Top row (Figure 1 analogue): a two-layer linear net f = aᵀWx of width 15 on d = 15 inputs,
  r = 5 relevant (β = (1, …, 1, 0, …, 0)/√5), n₀ = 100 inputs x ~ N(0, I/15) each twice with
  labels βᵀx ± ε, ε = 0.5 (the paper's 0.001 would make the label-noise rate invisible in this
  many steps; brief §3.3), irrelevant inputs decorrelated (``support_model_numpy(n0=100,
  eps=0.5, d=15, width=15, relevant=5, input_scale=15**-0.5)``), init θ₀ ~ N(0, 1/15)
  (``support_init(15, 15, seed=0, scale=15**-0.5)``), η = 0.2, T = 2·10⁴ steps (quick: 4000):
  |W₁ᵀW₁| at init, after GD, random-reshuffling SGD with b ∈ {1, 5, 25} (seed 0) and GD + weight
  decay λ = 10⁻³ (one colour scale; the dotted lines mark the 5 relevant inputs). SGD (faster for
  smaller b) and weight decay shrink the irrelevant rows and columns; GD keeps them. At η = 0.5,
  b = 1 the flat part stalls near 1 (a noise floor); at η = 0.1 the per-sample sharpness of the
  unscaled inputs makes b = 1 diverge, hence the scaling.
* (b) the 6-parameter toy (``support_model()``: d = width = 2, n₀ = 50, ε = 0.2, Ĉ₂₂ = 0.974)
  from ``support_init(seed=0)``, η = 0.1, T = 4·10⁴ (quick: 6000), seed 0: the flat part
  ‖(I − ââᵀ)We₂‖ against the step (log y) for GD, SGD (random reshuffling) b ∈ {1, 5, 25} and
  GD + weight decay λ = 10⁻³; dashed: φ(2000)·exp(−κ(t − 2000)) with the predicted
  κ = η²ε²Ĉ₂₂/(2b′), b′ = b(n − 1)/(n − b), and κ = ηλ.
* (c) κ fitted (least squares of log φ on t ≥ 2000, seed mean) against the prediction, log-log
  with the identity and the brief's band [0.85, 1.2]: random reshuffling, η ∈ {0.05, 0.1, 0.2} ×
  b ∈ {1, 2, 5, 10}, seeds 0, 1, T = 2000 + 0.5/κ(η_min, b) per b (η batched in one ``tm.sgd``
  call); quick: η ∈ {0.1, 0.2}, b ∈ {1, 2, 5}, seed 0. The star is GD + weight decay (κ = ηλ).
  Points sit above the identity by O(η) (about +4 % at η = 0.05, +25 % at η = 0.2, b = 1; the η → 0
  extrapolation meets it, ``tests/support_learning``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import toymodels as tm
from toymodels.models import support_learning as sl

from ._common import masked, new_figure, progress, save, style

ID = "sgd_support"
PAPER = "Beneventano, Pinto, Poggio (arXiv 2406.11110)"
FIGURE = "1"
CAPTION = (
    "Linear nets with label noise: SGD shrinks irrelevant first-layer weights at "
    "κ = η²ε²Ĉ₂₂/(2b′), GD keeps them, weight decay at ηλ"
)

T0 = 2000
RR = "without_replacement"


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "gram_steps": 4000 if quick else 20_000,
        "gram_batches": (1, 5, 25),
        "gram_eta": 0.2,
        "gram_wd": 1e-3,
        "flat_steps": 6000 if quick else 40_000,
        "flat_batches": (1, 5, 25),
        "flat_eta": 0.1,
        "flat_wd": 1e-3,
        "rate_etas": (0.1, 0.2) if quick else (0.05, 0.1, 0.2),
        "rate_batches": (1, 2, 5) if quick else (1, 2, 5, 10),
        "rate_seeds": (0,) if quick else (0, 1),
    }


def _fit(phi: np.ndarray, t: np.ndarray) -> np.ndarray:
    return sl.fit_rate(phi, t, T0)


def compute_gram(s: dict[str, object]) -> dict[str, object]:
    d, width, r = 15, 15, 5
    kw = {"n0": 100, "eps": 0.5, "d": d, "width": width, "relevant": r, "input_scale": d**-0.5}
    m = sl.support_model_numpy(**kw)
    mw = sl.support_model_numpy(weight_decay=float(s["gram_wd"]), **kw)
    th0 = sl.support_init(d, width, seed=0, scale=width**-0.5)
    T, eta = int(s["gram_steps"]), float(s["gram_eta"])
    runs: list[tuple[str, np.ndarray]] = [("init", th0)]
    tasks: list[tuple[str, object]] = [("GD", None)]
    tasks += [(f"SGD b = {b}", b) for b in s["gram_batches"]]  # type: ignore[attr-defined]
    tasks += [(f"GD + wd λ = {s['gram_wd']:g}", "wd")]
    for label, b in progress(tasks, "sgd support: Gram matrices", total=len(tasks)):
        if b is None:
            th = tm.gd(m, th0, eta, T, record_every=0).final
        elif b == "wd":
            th = tm.gd(mw, th0, eta, T, record_every=0).final
        else:
            th = tm.sgd(m, th0, eta, T, batch_size=b, sampling=RR, seed=0, record_every=0).final
        runs.append((label, th))
    grams = []
    for label, th in runs:
        _, W = sl.split_params(th, d, width)
        grams.append((label, np.abs(W.T @ W), float(sl.flat_part(th, d, width, None, r))))
    return {"grams": grams, "relevant": r, "steps": T, "eta": eta}


def compute_flat(s: dict[str, object]) -> dict[str, object]:
    m, mw = sl.support_model(), sl.support_model(weight_decay=float(s["flat_wd"]))
    X, _ = sl.support_data()
    c22 = float(sl.second_moment(X)[1, 1])
    th0 = sl.support_init(seed=0)
    T, eta, rec = int(s["flat_steps"]), float(s["flat_eta"]), 50
    lam = float(s["flat_wd"])
    curves = []
    tasks: list[tuple[str, object]] = [("GD", None)]
    tasks += [(f"SGD b = {b}", b) for b in s["flat_batches"]]  # type: ignore[attr-defined]
    tasks += [(f"GD + wd λ = {lam:g}", "wd")]
    for label, b in progress(tasks, "sgd support: flat part", total=len(tasks)):
        if b is None:
            tr = tm.gd(m, th0, eta, T, record_every=rec)
            kap = 0.0
        elif b == "wd":
            tr = tm.gd(mw, th0, eta, T, record_every=rec)
            kap = float(sl.predicted_rate(eta, 0.2, c22, m.n_samples, m.n_samples, RR, lam))
        else:
            tr = tm.sgd(m, th0, eta, T, batch_size=b, sampling=RR, seed=0, record_every=rec)
            kap = float(sl.predicted_rate(eta, 0.2, c22, b, m.n_samples, RR))
        curves.append((label, sl.flat_part(tr.theta), kap))
    return {"t": np.arange(T // rec + 1) * rec, "curves": curves, "eta": eta, "c22": c22}


def compute_rates(s: dict[str, object]) -> dict[str, object]:
    m = sl.support_model()
    X, _ = sl.support_data()
    c22 = float(sl.second_moment(X)[1, 1])
    th0 = sl.support_init(seed=0)
    etas = np.array(s["rate_etas"], dtype=float)
    seeds = list(s["rate_seeds"])  # type: ignore[call-overload]
    n = m.n_samples
    points = []
    for b in progress(s["rate_batches"], "sgd support: rate grid"):  # type: ignore[arg-type]
        steps = int(0.5 / float(sl.predicted_rate(etas.min(), 0.2, c22, b, n, RR))) + T0
        rec = max(1, steps // 400)
        tr = tm.sgd(m, th0, etas, steps, batch_size=b, sampling=RR, seed=seeds, record_every=rec)
        t = np.arange(tr.theta.shape[0]) * rec
        kap = _fit(sl.flat_part(tr.theta), t).mean(axis=0)  # (η,)
        pred = sl.predicted_rate(etas, 0.2, c22, b, n, RR)
        points += [
            (float(e), b, float(p), float(k)) for e, p, k in zip(etas, pred, kap, strict=True)
        ]
    return {"points": points}


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    s = settings(quick)
    gram = compute_gram(s)
    flat = compute_flat(s)
    rates = compute_rates(s)
    with style():
        fig = new_figure(12.0, 7.2)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.45])
        grams = gram["grams"]
        axes = top.subplots(1, len(grams))
        allg = np.concatenate([g.ravel() for _, g, _ in grams])
        vmax = float(np.percentile(allg[np.isfinite(allg)], 99.5))
        r = int(gram["relevant"])
        im = None
        for ax, (label, g, fl) in zip(axes, grams, strict=True):
            g = np.ma.masked_invalid(g)
            im = ax.imshow(g, cmap="magma", vmin=0.0, vmax=vmax, interpolation="nearest")
            ax.axhline(r - 0.5, color="w", lw=0.6, ls=":")
            ax.axvline(r - 0.5, color="w", lw=0.6, ls=":")
            ax.set_title(f"{label}\nirrelevant flat part {fl:.2g}", fontsize=7)
            ax.set_xticks([0, r, 14])
            ax.set_yticks([0, r, 14])
        top.colorbar(im, ax=axes, shrink=0.8, label=r"$|W_1^\top W_1|$")
        top.suptitle(
            rf"(a) $|W_1^\top W_1|$, width-15 linear net, $d = 15$, $r = 5$, $\varepsilon = 0.5$, "
            rf"$\eta = {gram['eta']:g}$, {gram['steps']} steps",
            fontsize=9,
        )
        ax_f, ax_k = bottom.subplots(1, 2, width_ratios=[1.5, 1.0])
        t = flat["t"]
        colours = ["k", "tab:blue", "tab:orange", "tab:green", "tab:red"]
        for (label, phi, kap), col in zip(flat["curves"], colours, strict=True):
            ax_f.plot(t, masked(phi, positive=True), color=col, lw=1.0, label=label)
            if kap > 0:
                i0 = int(np.searchsorted(t, T0))
                pred = phi[i0] * np.exp(-kap * (t[i0:] - T0))
                ax_f.plot(t[i0:], pred, color=col, lw=0.8, ls="--")
        ax_f.set_yscale("log")
        ax_f.set_xlabel("step $t$")
        ax_f.set_ylabel(r"flat part $\|(I - \hat a\hat a^\top) W e_2\|$")
        ax_f.set_title(
            rf"(b) 6-parameter toy, $\eta = {flat['eta']:g}$, $\varepsilon = 0.2$; dashed: "
            r"$\varphi(2000)\,e^{-\kappa (t - 2000)}$, "
            r"$\kappa = \eta^2\varepsilon^2\hat C_{22}/(2b')$ or $\eta\lambda$",
            fontsize=8,
        )
        ax_f.legend(loc="lower left", fontsize=7)
        pts = rates["points"]
        markers = {0.05: "o", 0.1: "s", 0.2: "^"}
        bcol = {1: "tab:blue", 2: "tab:purple", 5: "tab:orange", 10: "tab:brown"}
        for eta, b, p, k in pts:
            ax_k.plot([p], [k], markers.get(eta, "o"), color=bcol.get(b, "k"), ms=5)
        for b, col in bcol.items():
            if any(pb == b for _, pb, _, _ in pts):
                ax_k.plot([], [], "o", color=col, label=f"b = {b}")
        for eta, mk in markers.items():
            if any(pe == eta for pe, _, _, _ in pts):
                ax_k.plot([], [], mk, color="gray", label=rf"$\eta = {eta:g}$")
        lam, eta_w = float(s["flat_wd"]), float(s["flat_eta"])
        kw, phi_w = next((k, phi) for lb, phi, k in flat["curves"] if lb.startswith("GD + wd"))
        kfit = float(_fit(phi_w, t))
        ax_k.plot([kw], [kfit], "*", color="tab:red", ms=9, label=r"GD + wd ($\eta\lambda$)")
        vals = np.array([p for _, _, p, _ in pts] + [k for *_, k in pts] + [kw, kfit])
        lo, hi = vals.min() / 2, vals.max() * 2
        line = np.array([lo, hi])
        ax_k.plot(line, line, color="k", lw=0.8, label="identity")
        ax_k.fill_between(line, 0.85 * line, 1.2 * line, color="gray", alpha=0.15, lw=0)
        ax_k.set_xscale("log")
        ax_k.set_yscale("log")
        ax_k.set_xlim(lo, hi)
        ax_k.set_ylim(lo, hi)
        ax_k.set_xlabel(r"predicted $\kappa = \eta^2\varepsilon^2\hat C_{22}/(2b')$ per step")
        ax_k.set_ylabel(r"fitted $\kappa$ (log-slope, $t \geq 2000$)")
        ax_k.set_title(
            rf"(c) random reshuffling, $\lambda = {lam:g}$ at $\eta = {eta_w:g}$; band [0.85, 1.2]",
            fontsize=8,
        )
        ax_k.legend(loc="upper left", fontsize=6, ncol=2)
        paths = save(fig, out_dir, ID)
    return paths
