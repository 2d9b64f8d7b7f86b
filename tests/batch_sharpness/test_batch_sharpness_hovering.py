"""The Edge of Stochastic Stability on the tiny tanh MLP: what hovers at 2/η under SGD
(research brief ``sgd_and_features.md`` §2.3, claims §2.6.4–6).

Andreyev & Beneventano, "Edge of Stochastic Stability", arXiv 2412.20553. v1 abstract: MiniBS
(E_B λ_max(H_B)) hovers at 2/η; v3 abstract: Batch Sharpness (E_B[g_BᵀH_Bg_B/‖g_B‖²]) does, and
the full-batch λ_max is "generally smaller" than Batch Sharpness, hence suppressed. The paper's
own setting (CIFAR-10 MLPs) could not be run; the toy is the brief's reconstruction:
``tanh_mlp()`` (f = aᵀtanh(Wx), k = 20, d = 5, n = 32 random labels, ½·MSE), the small init
``tanh_mlp_init(seed=s)``, SGD ``tm.sgd(..., sampling="independent_subsets", seed=s)`` (a fresh
uniform b-subset per step, the authors' convention) at η = 0.5, seeds s = 0, 1, 2 (init and
batches), states recorded every 100 steps.

Measurement: BS (Monte Carlo, 200 batches, seed 1), BS_in, GNI and λ_max exact (closed-form
moments), MiniBS (Monte Carlo) on a subsample of the records; time-averaged over a window, then
over seeds.

* default (fast) profile: 9000 steps, fixed window t ∈ [5000, 9000], estimators every 400 steps,
  MiniBS (40 batches) every 1600 steps;
* slow profile (the brief's): 15 000 steps, window from the first record where λ_max reaches
  95 % of its plateau (median λ_max over the second half of the records before the loss first
  drops below 1e-8) until that drop; estimators every 100 steps, MiniBS (50 batches) every 1000.

Measured here (slow profile, means over seeds; η × estimator):

==== ======= ====== ======= ====== ======
b    λ_max   BS     BS_in   GNI    MiniBS
==== ======= ====== ======= ====== ======
4    1.227   1.811  2.098   2.696  2.375
8    1.534   1.867  2.116   2.450  2.462
16   1.919   1.790  1.899   2.207  2.365
32   2.005   1.915  1.915   1.915  2.017
==== ======= ====== ======= ====== ======

Fast profile, b = 8: 1.522, 1.834, 2.035, 2.484, 2.415.

The brief's table (§2.3, its own runs) has at b = 8: 1.50, 1.75, 1.98, 2.84, 2.39.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import toymodels as tm
from toymodels.batch_sharpness import (
    batch_sharpness_measures,
    mini_batch_sharpness,
)
from toymodels.claims import ClaimDisagreement
from toymodels.models import tanh_mlp as T

PAPER = "Andreyev & Beneventano, Edge of Stochastic Stability (arXiv 2412.20553)"
ETA = 0.5
SEEDS = (0, 1, 2)
RECORD = 100
FAST = {"steps": 9000, "window": (5000, 9000), "stride": 4, "mini_stride": 4, "mini_draws": 40}
SLOW = {"steps": 15000, "window": None, "stride": 1, "mini_stride": 10, "mini_draws": 50}
KEYS = ("lam", "bs", "bs_in", "gni", "mini")


@functools.cache
def _model() -> tm.DataModel:
    return T.tanh_mlp()


@functools.cache
def run(b: int, seed: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """SGD records (θ every 100 steps, full-batch loss)."""
    tr = tm.sgd(
        _model(),
        T.tanh_mlp_init(seed=seed),
        ETA,
        steps,
        batch_size=b,
        sampling="independent_subsets",
        seed=seed,
        record_every=RECORD,
    )
    assert not np.any(tr.diverged)
    return tr.theta, tr.loss


def eoss_window(lam: np.ndarray, loss: np.ndarray) -> slice:
    """Records from λ_max ≥ 95 % of its plateau until the loss first drops below 1e-8."""
    below = np.flatnonzero(loss < 1e-8)
    stop = int(below[0]) if below.size else len(loss)
    plateau = np.median(lam[stop // 2 : stop])
    start = int(np.argmax(lam[:stop] >= 0.95 * plateau))
    return slice(start, stop)


@functools.cache
def measure(b: int, profile: str) -> dict[str, object]:
    """η × (λ_max, BS, BS_in, GNI, MiniBS) averaged over the window, per seed and mean."""
    cfg = FAST if profile == "fast" else SLOW
    per_seed = []
    for s in SEEDS:
        theta, loss = run(b, s, cfg["steps"])
        if cfg["window"] is None:
            lam_all = tm.sharpness(_model(), theta)
            w = eoss_window(lam_all, loss)
        else:
            w = slice(cfg["window"][0] // RECORD, cfg["window"][1] // RECORD + 1)
        th = theta[w][:: cfg["stride"]]
        r = batch_sharpness_measures(_model(), th, b, draws=200, seed=1)
        mini = mini_batch_sharpness(
            _model(), th[:: cfg["mini_stride"]], b, draws=cfg["mini_draws"], seed=1
        )
        per_seed.append(
            {
                "lam": ETA * float(np.mean(r.lambda_max)),
                "bs": ETA * float(np.mean(r.bs.value)),
                "bs_in": ETA * float(np.mean(r.bs_in.value)),
                "gni": ETA * float(np.mean(r.gni.value)),
                "mini": ETA * float(np.mean(mini.value)),
                "window": (w.start * RECORD, (w.stop - 1) * RECORD),
            }
        )
    mean = {k: float(np.mean([p[k] for p in per_seed])) for k in KEYS}
    return {"mean": mean, "seeds": per_seed}


def _check_hovering(claim, profile: str) -> None:
    m = measure(8, profile)
    v = m["mean"]
    claim.note(f"per-seed windows (steps): {[p['window'] for p in m['seeds']]}")
    claim.check(predicted=2.0, measured=v["bs_in"], tol=0.15, what="η·BS_in (3-seed mean)")
    claim.check(predicted=1.5, measured=v["bs"], relation=">=", what="η·BS ≥ 1.5")
    claim.check(predicted=2.1, measured=v["bs"], relation="<=", what="η·BS ≤ 2.1")
    claim.check(predicted=1.7, measured=v["lam"], relation="<=", what="η·λ_max ≤ 1.7")


# ------------------------------------------------------------------ default (fast) profile
@pytest.mark.claim(
    paper=PAPER,
    where="v3 abstract (Batch Sharpness stabilises at 2/η); brief §2.3, §2.6.4 (toy, fast profile)",
    statement="Tiny MLP, η = 0.5, b = 8, 3 seeds, 9000 steps, window t ∈ [5000, 9000]: "
    "|η·BS_in − 2| ≤ 0.15, η·BS ∈ [1.5, 2.1], η·λ_max ≤ 1.7 (means over window and seeds)",
    basis="reconstruction",
)
def test_hovering_fast(claim):
    _check_hovering(claim, "fast")


@pytest.mark.claim(
    paper=PAPER,
    where="v3 abstract (Batch Sharpness, the authors' mean of ratios E_B[g_BᵀH_Bg_B/‖g_B‖²], "
    "stabilises at 2/η); toy, fast profile",
    statement="Tiny MLP, η = 0.5, b = 8, 3 seeds, window t ∈ [5000, 9000]: |η·BS − 2| ≤ 0.15, "
    "the same yardstick that refutes MiniBS and that BS_in (the ratio of means) meets",
    basis="reconstruction",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted on the toy at the ±0.15 yardstick: η·BS = 1.83 (3-seed mean; slow run 1.87), "
    "8–9 % below 2/η, while η·BS_in = 2.04 meets it: on this toy the ratio of means, not the "
    "paper's mean of ratios, is the quantity pinned at 2/η (its one-step identity, brief §2.2.3)",
)
def test_batch_sharpness_mean_of_ratios_at_two_over_eta(claim):
    v = measure(8, "fast")["mean"]
    claim.check(predicted=2.0, measured=v["bs"], tol=0.15, what="η·BS (3-seed mean)")


@pytest.mark.claim(
    paper=PAPER,
    where="v3 abstract: λ_max 'generally smaller than Batch Sharpness'; brief §2.3",
    statement="Tiny MLP, η = 0.5, b = 8, fast profile: η·λ_max < η·BS for every seed",
    basis="paper",
)
def test_lambda_max_below_batch_sharpness(claim):
    for p in measure(8, "fast")["seeds"]:
        claim.check(predicted=p["lam"], measured=p["bs"], relation=">=", window=p["window"])


@pytest.mark.claim(
    paper=PAPER,
    where="v1 abstract (Dec 2024): 'MiniBS hovers at 2/η'; brief §2.1, §2.6.6",
    statement="Tiny MLP, η = 0.5, b = 8, fast profile: |η·MiniBS − 2| ≤ 0.15 (3-seed mean)",
    basis="paper",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted on the toy: η·MiniBS = 2.42 (seeds 2.49, 2.29, 2.47; brief: 2.14–2.45), "
    "consistent with v3 replacing MiniBS by Batch Sharpness",
)
def test_v1_minibs_hovers_at_two_over_eta(claim):
    claim.check(predicted=2.0, measured=measure(8, "fast")["mean"]["mini"], tol=0.15)


BATCH_KEYS = ("bs", "bs_in", "gni", "mini")


def _check_closest(claim, v: dict[str, float], **extra) -> None:
    """BS_in is the batch estimator closest to 2/η (λ_max is recorded in a note)."""
    dev = {k: abs(v[k] - 2.0) for k in KEYS}
    claim.note(
        ", ".join(f"{k} {v[k]:.3f}" for k in KEYS)
        + " (η × estimator)"
        + "".join(f", {k} = {x}" for k, x in extra.items())
    )
    others = min(dev[k] for k in BATCH_KEYS if k != "bs_in")
    claim.check(
        predicted=others, measured=dev["bs_in"], relation="<=", what="|η·BS_in − 2|", **extra
    )


@pytest.mark.claim(
    paper=PAPER,
    where="brief §2.3 findings ('BS_in is the quantity pinned at 2/η'), §8",
    statement="Tiny MLP, η = 0.5, b = 8, fast profile: of the batch estimators η·BS, η·BS_in, "
    "η·GNI, η·MiniBS, BS_in is the closest to 2 (3-seed means)",
    basis="empirical",
)
def test_which_estimator_hovers_fast(claim):
    _check_closest(claim, measure(8, "fast")["mean"])


# ------------------------------------------------------------------ slow (the brief's) profile
@pytest.mark.slow
@pytest.mark.claim(
    paper=PAPER,
    where="v3 abstract; brief §2.3, §2.6.4 (thorough profile)",
    statement="Tiny MLP, η = 0.5, b = 8, 3 seeds, 15000 steps, EoSS window (λ_max ≥ 95 % of "
    "plateau until loss < 1e-8): |η·BS_in − 2| ≤ 0.15, η·BS ∈ [1.5, 2.1], η·λ_max ≤ 1.7",
    basis="reconstruction",
)
def test_hovering_slow(claim):
    _check_hovering(claim, "slow")


@pytest.mark.slow
@pytest.mark.claim(
    paper=PAPER,
    where="v3 abstract (λ_max suppressed below Batch Sharpness); brief §2.3, §2.6.5",
    statement="Tiny MLP, η = 0.5, plateau (window mean) λ_max(b=4) < λ_max(8) < λ_max(16) ≤ "
    "λ_max(32 = GD), and η·λ_max(GD) = 2 ± 0.05",
    basis="reconstruction",
)
def test_suppression_ordering(claim):
    lam = {b: measure(b, "slow")["mean"]["lam"] for b in (4, 8, 16, 32)}
    claim.check(predicted=lam[8], measured=lam[4], relation="<=", what="b = 4 < b = 8")
    claim.check(predicted=lam[16], measured=lam[8], relation="<=", what="b = 8 < b = 16")
    claim.check(predicted=lam[32], measured=lam[16], relation="<=", what="b = 16 ≤ GD")
    claim.check(predicted=2.0, measured=lam[32], tol=0.05, what="η·λ_max at b = n (GD)")


@pytest.mark.slow
@pytest.mark.claim(
    paper=PAPER,
    where="brief §2.3 findings ('BS_in is the quantity pinned at 2/η ... within ≤ 6 %'), §8",
    statement="Tiny MLP, η = 0.5, slow profile, for each b ∈ {4, 8, 16}: |η·BS_in − 2| ≤ 0.15 "
    "and BS_in is the batch estimator (BS, BS_in, GNI, MiniBS) closest to 2/η (3-seed means)",
    basis="empirical",
)
def test_which_estimator_hovers_slow(claim):
    for b in (4, 8, 16):
        v = measure(b, "slow")["mean"]
        _check_closest(claim, v, b=b)
        claim.check(predicted=2.0, measured=v["bs_in"], tol=0.15, b=b)
    # at b = n/2 the suppression is small: λ_max (1.919) is as close to 2/η as BS_in (1.899)
    claim.note("b = 16: |η·λ_max − 2| = 0.081 < |η·BS_in − 2| = 0.101 (λ_max: full batch)")


@pytest.mark.slow
@pytest.mark.claim(
    paper=PAPER,
    where="v3 abstract: λ_max 'generally smaller than Batch Sharpness'",
    statement="Tiny MLP, η = 0.5, slow profile, b = 16 (= n/2): η·λ_max < η·BS (3-seed means)",
    basis="paper",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="refuted at b = n/2 on the toy: η·λ_max = 1.92 > η·BS = 1.79 (it holds at b = 4, "
    "8: 1.23 < 1.81, 1.53 < 1.87); the brief's own table has the same sign (1.93 > 1.89)",
)
def test_lambda_max_below_batch_sharpness_large_batch(claim):
    v = measure(16, "slow")["mean"]
    claim.check(predicted=v["lam"], measured=v["bs"], relation=">=")


@pytest.mark.slow
@pytest.mark.claim(
    paper=PAPER,
    where="brief §2.3 table, row η = 0.5, b = 8 (the brief's own runs)",
    statement="Regression against the brief's measured window means at η = 0.5, b = 8: η·λ_max "
    "1.50, η·BS 1.75, η·BS_in 1.98, η·MiniBS 2.39, η·GNI 2.84, each within 0.15 (GNI checked "
    "first)",
    basis="empirical",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="not reproduced: GNI 2.45 here vs 2.84 in the brief (the other four agree within "
    "0.14); the brief's init RNG order and window rule are not recorded, so its per-run numbers "
    "are not a stable regression target",
)
def test_brief_table_row_b8(claim):
    v = measure(8, "slow")["mean"]
    brief = {"lam": 1.50, "bs": 1.75, "bs_in": 1.98, "mini": 2.39, "gni": 2.84}
    claim.note(", ".join(f"{k}: brief {brief[k]:.2f}, here {v[k]:.3f}" for k in brief))
    claim.check(predicted=brief["gni"], measured=v["gni"], tol=0.15, estimator="gni")
    for k in ("lam", "bs", "bs_in", "mini"):
        claim.check(predicted=brief[k], measured=v[k], tol=0.15, estimator=k)
