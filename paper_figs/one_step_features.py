"""One large gradient step learns the single-index direction after n ≍ d² samples, and beats
random features (the kernel regime).

Toy analogue of Damian, Lee, Soltanolkotabi, "Neural Networks can Learn Representations with
Gradient Descent" (COLT 2022, arXiv 2206.15144): its claims that GD learns a representation from
n ≍ d²r + dr^p samples where kernels need n ≍ d^p [SRC-abs]. The algorithm is the research brief's
§6.1 list, marked [RECALLED] there (a reconstruction, no figure of the paper could be read); specs
from ``research/sgd_and_features.md`` §6.2–§6.3 (figures 1 and 2).

Settings
--------
* Target y = g(x₁), g = He₂/√2 + He₄/√24, x ~ N(0, I_d) (``single_index.link``; u = e₁).
* (a) Alignment mean_j |cos(w_j, u)| of the first-step rows W₁ = −∇_W L(θ₀) (symmetric
  initialisation, f(x; θ₀) = 0, width m = 400) against n/d² ∈ {0.5, 1, 2, 4, 8, 16, 32} for
  d ∈ {10, 20, 40}: median over 5 seeds (``SeedSequence`` streams of
  ``single_index.one_step_features``), the band from the smallest to the largest seed. The dotted
  lines are the alignment of random rows, E|cos| = Γ(d/2)/(√π Γ((d+1)/2)). Quick: m = 200,
  n/d² ∈ {0.5, 2, 8}, 2 seeds.
* (b) Test error E(f − y)²/E y² (E y² = 2; ``single_index.population_error``: Gauss–Hermite in
  u·x, 2000 fresh points in the orthogonal complement; a plain test sample is too noisy, the
  error being dominated by the quartic tail of y) at d = 20 against n for
  one-step features (step on n points, ridge λ = 1e-3 on n fresh points, biases N(0, 1)) and
  random features of the same width m = 400 with the same biases, ridge and test points, fitted on
  n points (solid) and on 2n points (dashed: the one-step net's total sample count); n ∈ {500,
  1000, 2000, 4000, 8000}, median over 3 seeds, band = min..max. The grey line is the He₄ share
  of the variance, 0.5, which a kernel method cannot fit before n ~ d⁴ = 1.6·10⁵.
  Quick: n ∈ {500, 1500, 4000}, 1 seed, 1000 orthogonal points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.ticker import NullFormatter, NullLocator
from scipy.special import gammaln

from toymodels.models import single_index as si

from ._common import new_figure, progress, save, style

ID = "one_step_features"
PAPER = "Damian, Lee, Soltanolkotabi (COLT 2022)"
FIGURE = "new"
CAPTION = (
    "Single-index target: first-step alignment collapses in n/d²; one-step features beat "
    "random features"
)


def settings(quick: bool = False) -> dict[str, object]:
    """The numbers this figure uses (see the module docstring)."""
    if quick:
        return {
            "dims": (10, 20, 40),
            "ratios": (0.5, 2.0, 8.0),
            "align_width": 200,
            "align_seeds": 2,
            "mse_d": 20,
            "mse_width": 400,
            "mse_n": (500, 1500, 4000),
            "mse_seeds": 1,
            "n_test": 1000,
            "ridge": 1e-3,
        }
    return {
        "dims": (10, 20, 40),
        "ratios": (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
        "align_width": 400,
        "align_seeds": 5,
        "mse_d": 20,
        "mse_width": 400,
        "mse_n": (500, 1000, 2000, 4000, 8000),
        "mse_seeds": 3,
        "n_test": 2000,
        "ridge": 1e-3,
    }


def random_alignment(d: int) -> float:
    """E|cos(w, u)| for w uniform on the sphere in R^d: Γ(d/2)/(√π Γ((d+1)/2))."""
    return float(np.exp(gammaln(d / 2) - gammaln((d + 1) / 2)) / np.sqrt(np.pi))


def first_step_alignment(d: int, m: int, n: int, seed: int) -> float:
    """Alignment of W₁ = −∇_W L(θ₀) (``single_index.one_step_weights``, the streams of
    ``one_step_features(d, m, n, seed)``)."""
    W1 = si.one_step_weights(d, m, n, seed)[2]
    return si.alignment(W1, np.eye(d)[0])


def compute(quick: bool = False) -> dict[str, object]:
    """Alignment table (d × ratio × seed) and the test-error table (n × seed × method)."""
    s = settings(quick)
    dims, ratios = s["dims"], s["ratios"]
    n_seeds = int(s["align_seeds"])
    align = np.zeros((len(dims), len(ratios), n_seeds))
    jobs = [(i, j, k) for i in range(len(dims)) for j in range(len(ratios)) for k in range(n_seeds)]
    for i, j, k in progress(jobs, "one-step alignment", total=len(jobs)):
        d = dims[i]
        n = max(1, round(ratios[j] * d * d))
        align[i, j, k] = first_step_alignment(d, int(s["align_width"]), n, k)
    ns = s["mse_n"]
    ms = int(s["mse_seeds"])
    mse = np.zeros((len(ns), ms, 3))  # one-step, random (n), random (2n)
    runs = [(j, k) for j in range(len(ns)) for k in range(ms)]
    kw = {"ridge": float(s["ridge"]), "n_test": int(s["n_test"])}
    d, m = int(s["mse_d"]), int(s["mse_width"])
    for j, k in progress(runs, "one-step vs random features", total=len(runs)):
        n = int(ns[j])
        mse[j, k, 0] = si.one_step_features(d, m, n, k, **kw).test_mse
        mse[j, k, 1] = si.random_features(d, m, n, k, **kw).test_mse
        mse[j, k, 2] = si.random_features(d, m, 2 * n, k, **kw).test_mse
    return {"settings": s, "align": align, "mse": mse}


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    data = compute(quick)
    s = data["settings"]
    align, mse = data["align"], data["mse"]
    ratios = np.asarray(s["ratios"], dtype=float)
    colours = ("tab:blue", "tab:orange", "tab:green")
    with style():
        fig = new_figure(9.0, 3.6)
        ax, bx = fig.subplots(1, 2)
        for i, d in enumerate(s["dims"]):
            c = colours[i % len(colours)]
            med = np.median(align[i], axis=-1)
            ax.plot(ratios, med, "o-", color=c, label=f"d = {d}")
            ax.fill_between(ratios, align[i].min(-1), align[i].max(-1), color=c, alpha=0.2, lw=0)
            ax.axhline(random_alignment(d), color=c, ls=":", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(ratios, [f"{r:g}" for r in ratios])
        ax.minorticks_off()
        ax.set_ylim(0.0, 1.0)
        ax.set_xlabel(r"$n / d^2$")
        ax.set_ylabel(r"mean$_j\,|\cos(w_j, u)|$ after one step")
        ax.set_title(
            f"(a) first-step alignment, m = {s['align_width']}, median of "
            f"{s['align_seeds']} seeds (dotted: random rows)",
            fontsize=8,
        )
        ax.legend(loc="upper left")
        ns = np.asarray(s["mse_n"], dtype=float)
        labels = (
            ("one-step features", "tab:red", "-"),
            ("random features (n points)", "tab:gray", "-"),
            ("random features (2n points)", "tab:gray", "--"),
        )
        for q, (lab, c, ls) in enumerate(labels):
            med = np.median(mse[:, :, q], axis=1)
            bx.plot(ns, med, "o" + ls, color=c, label=lab)
            bx.fill_between(ns, mse[:, :, q].min(1), mse[:, :, q].max(1), color=c, alpha=0.15, lw=0)
        bx.axhline(0.5, color="k", lw=0.8, ls=":", label=r"He$_4$ share of $E y^2$")
        bx.set_xscale("log")
        bx.set_yscale("log")
        bx.set_xticks(ns, [f"{int(v)}" for v in ns])
        bx.xaxis.set_minor_locator(NullLocator())
        ticks = [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0]
        bx.set_yticks(ticks, [f"{t:g}" for t in ticks])
        bx.yaxis.set_minor_formatter(NullFormatter())
        lo = float(np.min(mse))
        hi = float(np.max(mse))
        bx.set_ylim(0.8 * min(lo, 0.5), 1.25 * max(hi, 0.5))
        bx.set_xlabel("n")
        bx.set_ylabel(r"test error $E(f - y)^2 / E y^2$")
        bx.set_title(
            f"(b) d = {s['mse_d']}, m = {s['mse_width']}, ridge λ = {s['ridge']:g}, median of "
            f"{s['mse_seeds']} seed(s)",
            fontsize=8,
        )
        bx.legend(loc="lower left", fontsize=6)
        fig.suptitle(
            r"Single-index target $g(x_1) = He_2/\sqrt{2} + He_4/\sqrt{24}$: one large first-layer "
            "step (reconstruction of Damian, Lee, Soltanolkotabi)",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
