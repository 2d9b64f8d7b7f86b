"""Fig. 1 analogue: test accuracy and learned bias of a ReLU net after GD, against the step size η.

Analogue of Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023, arXiv 2212.07469), Fig. 1
("Large step sizes are necessary to learn the 'threshold neuron' of a ReLU network"; d = 200,
n = 300, λ = 3, GD with the logistic loss — the rest of the caption could not be read). The network,
its initialisation, width and iteration count are reconstructions: this is the setting in which
``toymodels.models.threshold_net`` reproduces the Fig. 1 message (``FIG1_SETTING`` of
``tests/threshold_neuron/test_full_net.py``); in the brief's generic net (plain ReLU, Gaussian W,
free a and b) the test accuracy stays at chance for every η (brief §4.3). η is measured in units of
η_mean = 2 / (vᵀHv along the mean direction at θ0), the mean-model prediction of the threshold
(brief §1.3 (B), derived, not read in the paper).

Settings
--------
* Data: ``SparseCodingData(d=200, lam=3, noise=1)``: x = λ y e_j + ξ, ξ ~ N(0, I);
  n = 300 training samples ``sample(300, seed=0)``; test accuracy on fresh samples
  ``test_accuracy(net, θ_T, data, n_test, seed=4242)``, n_test = 5000 (full) / 1000 (quick),
  ties f = 0 counting ½.
* Net: ``ReluNet(200, 200, "odd", second_layer="tied", biases="tied")``:
  f(x) = α Σ_i [relu(⟨w_i, x⟩ + β) − relu(−⟨w_i, x⟩ + β)], θ0 = ``net.init(0,
  w_init="identity", a_signs="positive")`` (w_i = e_i, trained; α0 = 1/√200 shared; β0 = 0
  shared).
* Threshold: ``predicted_threshold(net, θ0, X, y)`` → η_mean (vertical line at 1) and 2/λ_max(θ0)
  (Lanczos, 60 iterations; dotted line).
* GD: ``train(net, X, y, η, T, θ0)`` for η = η_mean·r, r on ``np.linspace(0.25, 5, N)``,
  N = 18, T = 200 (full) / N = 6, T = 40 (quick), one batched call. Runs whose final training
  accuracy is ≤ 0.55 are marked "collapsed" (measured: there α_T < 0 and β_T ≈ −3 … −6, so most
  units are off and the rest vote with the wrong sign — test accuracy below ½); diverged runs
  (bound 1e6) are left out and counted in the legend.
* (a) test and training accuracy after T steps, with two fixed references on the same test set:
  W = I, β = 0 (the linear rule Σ_k x_k) and the best soft threshold W = I, β = −τ,
  τ ∈ ``np.linspace(0, 4, 41)`` (an oracle tuned on the test set). (b) the shared bias β_T (the mean
  bias; ``bias_mean`` of ``train``), with β = −τ_best dash-dotted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toymodels.models.threshold_net import (
    SparseCodingData,
    fig1_setting,
    predicted_threshold,
    test_accuracy,
    train,
)

from ._common import finite_xy, new_figure, save, style

ID = "threshold_full_net"
PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023)"
FIGURE = "1"
CAPTION = (
    "ReLU net on sparse coding (reconstructed setting): test accuracy and learned bias vs η/η_mean"
)

D, N_TRAIN, LAM, NOISE = 200, 300, 3.0, 1.0
DATA_SEED, TEST_SEED = 0, 4242
R_RANGE = (0.25, 5.0)
DEAD_TRAIN_ACC = 0.55


def settings(quick: bool = False) -> dict[str, int]:
    """The numbers this figure uses (see the module docstring)."""
    return {
        "n_eta": 6 if quick else 18,
        "steps": 40 if quick else 200,
        "n_test": 1000 if quick else 5000,
        "lanczos_iters": 60,
    }


def _accuracy(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    s = y * f
    return np.mean((s > 0) + 0.5 * (s == 0), axis=-1)


def reference_accuracies(
    data: SparseCodingData, n_test: int, taus: np.ndarray
) -> tuple[float, np.ndarray]:
    """Test accuracy (same fresh samples as the net) of Σ_k x_k and of Σ_k soft(x_k, τ) per τ."""
    Xt, yt = data.sample(n_test, TEST_SEED)
    lin = float(_accuracy(yt, Xt.sum(axis=1)))
    sgn, ax = np.sign(Xt), np.abs(Xt)
    soft = [_accuracy(yt, np.sum(sgn * np.maximum(ax - t, 0.0), axis=1)) for t in taus]
    return lin, np.array(soft)


def compute(quick: bool = False) -> dict[str, np.ndarray]:
    """Training runs over the η grid, test accuracies, the thresholds and the references."""
    s = settings(quick)
    data, X, y, net, th0 = fig1_setting(DATA_SEED, D, N_TRAIN, LAM)
    pred = predicted_threshold(net, th0, X, y, lanczos_iters=s["lanczos_iters"])
    r = np.linspace(*R_RANGE, s["n_eta"])
    eta = r * pred.eta_mean
    out = train(net, X, y, eta, s["steps"], th0, record_every=s["steps"])
    acc = test_accuracy(net, out["theta"], data, s["n_test"], seed=TEST_SEED)
    taus = np.linspace(0.0, 4.0, 41)
    lin, soft = reference_accuracies(data, s["n_test"], taus)
    k = int(np.argmax(soft))
    return {
        "r": r,
        "eta": eta,
        "eta_mean": np.array(pred.eta_mean),
        "eta_top_ratio": np.array(pred.eta_top / pred.eta_mean),
        "test_acc": acc,
        "train_acc": out["train_acc"][-1],
        "bias": out["bias_mean"][-1],
        "alpha": net.split(out["theta"])[2][:, 0],
        "diverged": out["diverged"],
        "acc_linear": np.array(lin),
        "acc_soft_best": np.array(soft[k]),
        "tau_best": np.array(taus[k]),
    }


def make(out_dir: Path, quick: bool = False) -> list[Path]:
    """Render the figure into ``out_dir``; returns the PNG and PDF paths."""
    d = compute(quick)
    s = settings(quick)
    r = d["r"]
    eta_mean = float(d["eta_mean"])
    with np.errstate(invalid="ignore"):
        dead = ~d["diverged"] & (d["train_acc"] <= DEAD_TRAIN_ACC)
    live = ~d["diverged"] & ~dead
    n_div = int(d["diverged"].sum())
    dead_label = r"collapsed (train acc $\leq 0.55$"
    if dead.any() and np.all(d["alpha"][dead] < 0):
        dead_label += r", $\alpha_T < 0$"
    dead_label += ")"
    with style():
        fig = new_figure(9.0, 4.4)
        ax_a, ax_b = fig.subplots(1, 2)
        for ax in (ax_a, ax_b):
            ax.axvline(1.0, color="k", ls="--", lw=0.8, label=r"$\eta_{mean}$ (mean model)")
            et = float(d["eta_top_ratio"])
            if np.isfinite(et):
                ax.axvline(et, color="k", ls=":", lw=0.8, label=r"$2/\lambda_{max}(\theta_0)$")
            sec = ax.secondary_xaxis(
                "top", functions=(lambda x: x * eta_mean, lambda e: e / eta_mean)
            )
            sec.set_xlabel(rf"raw $\eta$   ($\eta_{{mean}} = {eta_mean:.4f}$)")
            ax.set_xlabel(r"$\eta / \eta_{mean}$")
            ax.set_xlim(0.0, R_RANGE[1] + 0.2)

        ax_a.axhline(0.5, color="0.6", lw=0.6)
        ax_a.axhline(
            float(d["acc_soft_best"]),
            color="tab:green",
            lw=0.9,
            ls="-.",
            label=rf"oracle soft threshold $\tau = {float(d['tau_best']):.2f}$ (W = I)",
        )
        ax_a.axhline(
            float(d["acc_linear"]),
            color="tab:purple",
            lw=0.9,
            ls="-.",
            label=r"linear rule $\sum_k x_k$ (W = I, $\beta = 0$)",
        )
        ax_a.plot(
            *finite_xy(r[~d["diverged"]], d["train_acc"][~d["diverged"]]),
            "s-",
            color="0.6",
            ms=2.5,
            lw=0.7,
            label="train accuracy",
        )
        ax_a.plot(
            *finite_xy(r[live], d["test_acc"][live]),
            "o-",
            color="tab:blue",
            ms=3.5,
            label=f"test accuracy ({s['n_test']} fresh samples)",
        )
        if dead.any():
            ax_a.plot(
                *finite_xy(r[dead], d["test_acc"][dead]),
                "o",
                mfc="none",
                color="tab:red",
                ms=4.5,
                label=dead_label,
            )
        if n_div:
            ax_a.plot([], [], " ", label=f"{n_div} diverged run(s) not shown")
        ax_a.set_ylim(0.28, 1.04)
        ax_a.set_ylabel(f"accuracy after T = {s['steps']} steps")
        ax_a.set_title("(a) accuracy on fresh samples rises only for large steps")

        ax_b.axhline(0.0, color="0.6", lw=0.6)
        ax_b.axhline(
            -float(d["tau_best"]),
            color="tab:green",
            lw=0.9,
            ls="-.",
            label=r"$-\tau$ of the oracle soft threshold",
        )
        ax_b.plot(
            *finite_xy(r[live], d["bias"][live]),
            "o-",
            color="tab:blue",
            ms=3.5,
            label=r"shared bias $\beta_T$",
        )
        if dead.any():
            ax_b.plot(
                *finite_xy(r[dead], d["bias"][dead]),
                "o",
                mfc="none",
                color="tab:red",
                ms=4.5,
                label=dead_label,
            )
        ax_b.set_ylabel(r"bias $\beta_T$ after $T$ steps")
        ax_b.set_title(r"(b) learned bias: threshold neuron ($\beta < 0$) grows with $\eta$")
        handles: dict[str, object] = {}
        for ax in (ax_a, ax_b):
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, h)
        fig.legend(
            list(handles.values()), list(handles), loc="outside lower center", ncol=4, fontsize=6
        )
        fig.suptitle(
            r"GD on $f(x) = \alpha \sum_i [\mathrm{relu}(\langle w_i, x\rangle + \beta) - "
            r"\mathrm{relu}(-\langle w_i, x\rangle + \beta)]$, $m = d = 200$, $n = 300$, "
            r"$\lambda = 3$, $w_i(0) = e_i$ (reconstructed setting, not the paper's)",
            fontsize=9,
        )
        paths = save(fig, out_dir, ID)
    return paths
