"""Compiled orbits (issue 14, item 2): Lyapunov exponents with ``backend="numba"`` beside
pynamicalsys, a hand-written numba loop, JAX and the numpy path.

Two workloads, all rows printed in one run:

(a) **one Hénon orbit** (a = 1.4, b = 0.3, x₀ = (0.1, 0.1)), largest Lyapunov exponent by the
    tangent vector, µs per step (burn-in included in the step count):

    * ``toymodels.lyapunov_exponent(backend="numba")`` — the call under test (validation, the
      compiled burn-in and tangent kernels, the result), generated from the sympy map;
    * ``toymodels.lyapunov_exponent`` (numpy, the reference path);
    * ``pynamicalsys`` 1.x ``DiscreteDynamicalSystem(model="henon map").lyapunov(...,
      num_exponents=1)`` with its ``"QR"`` (default) and ``"ER"`` (Eckmann–Ruelle, 2-D)
      methods; the target is against the faster of the two;
    * a hand-written numba loop (scalar state, normalised tangent vector, one ``log`` per step);
    * JAX (``lax.fori_loop`` under ``jit``, float64, CPU), for context.

    **Targets**: compiled ≤ pynamicalsys per step (ratio pynamicalsys / compiled ≥ 1), and
    compiled within 10× of the hand loop (ratio hand / compiled ≥ 0.1).

(b) **largest exponent over 4,000 parameters of the logistic map** x ↦ r x (1 − x),
    r ∈ linspace(2.5, 4, 4000), x₀ = 0.3, ``burn_in`` 500 + ``steps`` 2000 per orbit, ns per
    member-step:

    * ``toymodels.lyapunov_exponent(logistic(r), x0, backend="numba")`` — one batched call, on
      all numba threads and on one;
    * the numpy path (one batched call);
    * pynamicalsys: a Python loop of one ``lyapunov`` call per parameter (its API has no
      parameter batch), ``total_time`` 2500 with ``transient_time`` 500;
    * a hand-written ``prange`` numba loop and ``jax.vmap`` (context).

    **Target**: compiled ≥ 20× the pynamicalsys per-orbit loop.

Checks printed with the table: (a) the exponents of all rows agree within 0.01 (chaotic orbits:
different rounding gives different orbits, so agreement is statistical); (b) the compiled batch
equals the numpy batch to 1e-9 on the periodic parameters and pynamicalsys to 0.01 (its finite-
time sum starts one step later) there.

Usage::

    PYTHONPATH=. python -m benchmarks.bench_orbits [--steps-a 2000000] [--n 4000]
        [--repeat 3] [--json PATH] [--strict]

Each implementation is warmed up (compilation excluded), then timed in ``--repeat`` interleaved
rounds; the best of each is kept. Rows whose package is missing are skipped with the reason.
Exit status 0 unless ``--strict`` and a target is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import toymodels as tm
from toymodels.lyapunov import lyapunov_exponent

HENON_A, HENON_B = 1.4, 0.3
HENON_X0 = (0.1, 0.1)
HENON_BURN = 1000
LOGISTIC_R = (2.5, 4.0)
LOGISTIC_X0 = 0.3
LOGISTIC_BURN, LOGISTIC_STEPS = 500, 2000
#: (a) pynamicalsys per step / compiled per step ≥ 1; hand loop / compiled ≥ 0.1
TARGET_A_PYN = 1.0
TARGET_A_HAND = 0.1
#: (b) pynamicalsys loop time / compiled batch time ≥ 20
TARGET_B = 20.0


def _missing(module: str) -> str | None:
    try:
        __import__(module)
    except Exception as exc:  # ImportError, or a broken install raising at import
        return f"{module} not importable ({type(exc).__name__}: {exc})"
    return None


# ------------------------------------------------------------------------ (a) one Hénon orbit
def henon_map() -> tm.Map:
    return tm.Map.from_sympy(
        ["1 - a*x**2 + y", "b*x"], state=["x", "y"], constants={"a": HENON_A, "b": HENON_B}
    )


def a_toymodels(backend: str) -> Callable[[int], float]:
    F = henon_map()

    def run(steps: int) -> float:
        return float(lyapunov_exponent(F, HENON_X0, steps, HENON_BURN, backend=backend))

    return run


def a_pynamicalsys(method: str) -> Callable[[int], float]:
    from pynamicalsys import DiscreteDynamicalSystem

    ds = DiscreteDynamicalSystem(model="henon map")

    def run(steps: int) -> float:
        out = ds.lyapunov(
            list(HENON_X0),
            steps + HENON_BURN,
            parameters=[HENON_A, HENON_B],
            method=method,
            transient_time=HENON_BURN,
            num_exponents=1,
        )
        return float(np.ravel(out)[0])

    return run


def a_hand() -> Callable[[int], float]:
    import numba

    @numba.njit(cache=False)
    def lyap(a: float, b: float, x: float, y: float, burn: int, n: int) -> float:
        for _ in range(burn):
            x, y = 1.0 - a * x * x + y, b * x
        qx, qy, acc = 1.0, 0.0, 0.0
        for _ in range(n):
            nx = -2.0 * a * x * qx + qy  # DF = [[-2ax, 1], [b, 0]]
            ny = b * qx
            g = math.sqrt(nx * nx + ny * ny)
            acc += math.log(g)
            qx, qy = nx / g, ny / g
            x, y = 1.0 - a * x * x + y, b * x
        return acc / n

    def run(steps: int) -> float:
        return float(lyap(HENON_A, HENON_B, *HENON_X0, HENON_BURN, steps))

    return run


def a_jax() -> Callable[[int], float]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    a, b = HENON_A, HENON_B

    def burn(_i: Any, s: Any) -> Any:
        x, y = s
        return (1.0 - a * x * x + y, b * x)

    def body(_i: Any, s: Any) -> Any:
        x, y, qx, qy, acc = s
        nx = -2.0 * a * x * qx + qy
        ny = b * qx
        g = jnp.sqrt(nx * nx + ny * ny)
        return (1.0 - a * x * x + y, b * x, nx / g, ny / g, acc + jnp.log(g))

    @jax.jit
    def lyap(n: Any) -> Any:
        x, y = lax.fori_loop(0, HENON_BURN, burn, (jnp.float64(0.1), jnp.float64(0.1)))
        s = lax.fori_loop(0, n, body, (x, y, 1.0, 0.0, 0.0))
        return s[4] / n

    def run(steps: int) -> float:
        return float(lyap(steps).block_until_ready())

    return run


# --------------------------------------------------------- (b) logistic map, 4000 parameters
def logistic_r(n: int) -> np.ndarray:
    return np.linspace(*LOGISTIC_R, n)


def b_toymodels(n: int, backend: str, threads: int | None = None) -> Callable[[], np.ndarray]:
    fam = tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")
    F = fam(logistic_r(n))
    x0 = np.full(n, LOGISTIC_X0)

    def run() -> np.ndarray:
        if threads is None:
            return lyapunov_exponent(F, x0, LOGISTIC_STEPS, LOGISTIC_BURN, backend=backend)
        from toymodels import _numba_maps

        before = _numba_maps.THREADS
        _numba_maps.THREADS = threads
        try:
            return lyapunov_exponent(F, x0, LOGISTIC_STEPS, LOGISTIC_BURN, backend=backend)
        finally:
            _numba_maps.THREADS = before

    return run


def b_pynamicalsys(n: int) -> Callable[[], np.ndarray]:
    from pynamicalsys import DiscreteDynamicalSystem

    ds = DiscreteDynamicalSystem(model="logistic map")
    rs = logistic_r(n)

    def run() -> np.ndarray:
        out = np.empty(n)
        for i, r in enumerate(rs):
            out[i] = np.ravel(
                ds.lyapunov(
                    [LOGISTIC_X0],
                    LOGISTIC_BURN + LOGISTIC_STEPS,
                    parameters=[r],
                    transient_time=LOGISTIC_BURN,
                )
            )[0]
        return out

    return run


def b_hand(n: int) -> Callable[[], np.ndarray]:
    import numba

    @numba.njit(parallel=True, cache=False)
    def lyap(rs: np.ndarray, x0: float, burn: int, steps: int) -> np.ndarray:
        out = np.empty(rs.size)
        for i in numba.prange(rs.size):
            r, x = rs[i], x0
            for _ in range(burn):
                x = r * x * (1.0 - x)
            acc = 0.0
            for _ in range(steps):
                acc += math.log(abs(r * (1.0 - 2.0 * x)))
                x = r * x * (1.0 - x)
            out[i] = acc / steps
        return out

    rs = logistic_r(n)
    return lambda: lyap(rs, LOGISTIC_X0, LOGISTIC_BURN, LOGISTIC_STEPS)


def b_jax(n: int) -> Callable[[], np.ndarray]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    def one(r: Any) -> Any:
        x = lax.fori_loop(0, LOGISTIC_BURN, lambda _i, x: r * x * (1.0 - x), LOGISTIC_X0)

        def body(_i: Any, s: Any) -> Any:
            x, acc = s
            return (r * x * (1.0 - x), acc + jnp.log(jnp.abs(r * (1.0 - 2.0 * x))))

        return lax.fori_loop(0, LOGISTIC_STEPS, body, (x, 0.0))[1] / LOGISTIC_STEPS

    f = jax.jit(jax.vmap(one))
    rs = jnp.asarray(logistic_r(n))
    return lambda: np.asarray(f(rs).block_until_ready())


# ----------------------------------------------------------------------------------- driver
def _best(runs: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict, dict]:
    """Warm up, then ``repeat`` interleaved rounds; (best seconds, last result) per key."""
    for run in runs.values():
        run()
    best = {k: math.inf for k in runs}
    out: dict[str, Any] = {}
    for _ in range(repeat):
        for k, run in runs.items():
            t0 = time.perf_counter()
            out[k] = run()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best, out


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    head = ("workload", "implementation", "steps/orbit", "orbits", "seconds", "per step", "ratio")
    body = [
        (
            r["workload"],
            r["implementation"],
            str(r["steps"]),
            str(r["orbits"]),
            f"{r['seconds']:.4f}",
            r["per_step_text"],
            r.get("ratio_text", "-"),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells: Sequence[str]) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(left + right)

    return "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(b) for b in body)])


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_orbits",
        description="Lyapunov exponents with backend='numba' beside pynamicalsys, numba, JAX.",
    )
    p.add_argument("--steps-a", type=_positive_int, default=2_000_000, help="(a) steps")
    p.add_argument("--n", type=_positive_int, default=4000, help="(b) number of parameters")
    p.add_argument("--repeat", type=_positive_int, default=3, help="timed rounds (best kept)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    return p


def _verdict(name: str, measured: float | None, target: float) -> bool | None:
    if measured is None or not math.isfinite(measured):
        print(f"target {name} >= {target:g}: not evaluated (row missing)")
        return None
    ok = measured >= target
    print(f"target {name} >= {target:g}: {'PASS' if ok else 'BELOW TARGET'} ({measured:.3g})")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    why = {m: _missing(m) for m in ("numba", "pynamicalsys", "jax")}
    if why["numba"] is not None:
        print(f"numba missing ({why['numba']}): nothing to measure")
        return 0
    import numba

    from toymodels import _numba_maps

    threads = _numba_maps._threads()
    T = args.steps_a
    # step counts per row: the slow implementations run fewer steps (µs per step is reported)
    a_steps = {"numba": T, "hand": T, "numpy": max(T // 100, 2000)}
    a_runs: dict[str, Callable[[], float]] = {}
    a_labels = {
        "numba": "toymodels backend='numba'",
        "numpy": "toymodels backend='numpy'",
        "pyn_qr": "pynamicalsys lyapunov (QR)",
        "pyn_er": "pynamicalsys lyapunov (ER)",
        "hand": "hand-written numba loop",
        "jax": "JAX jit fori_loop (CPU, f64)",
    }
    fns: dict[str, Callable[[int], float]] = {
        "numba": a_toymodels("numba"),
        "numpy": a_toymodels("numpy"),
        "hand": a_hand(),
    }
    if why["pynamicalsys"] is None:
        fns["pyn_qr"], fns["pyn_er"] = a_pynamicalsys("QR"), a_pynamicalsys("ER")
        a_steps["pyn_qr"] = a_steps["pyn_er"] = max(T // 10, 10_000)
    if why["jax"] is None:
        fns["jax"] = a_jax()
        a_steps["jax"] = max(T // 10, 10_000)
    for k, f in fns.items():
        a_runs[k] = lambda f=f, s=a_steps[k]: f(s)
    a_best, a_out = _best(a_runs, args.repeat)

    n = args.n
    b_runs: dict[str, Callable[[], np.ndarray]] = {
        "numba": b_toymodels(n, "numba"),
        "numba1": b_toymodels(n, "numba", threads=1),
        "numpy": b_toymodels(n, "numpy"),
        "hand": b_hand(n),
    }
    if why["pynamicalsys"] is None:
        b_runs["pyn"] = b_pynamicalsys(n)
    if why["jax"] is None:
        b_runs["jax"] = b_jax(n)
    b_best, b_out = _best(b_runs, args.repeat)
    b_labels = {
        "numba": f"toymodels backend='numba' ({threads} threads)",
        "numba1": "toymodels backend='numba' (1 thread)",
        "numpy": "toymodels backend='numpy'",
        "pyn": "pynamicalsys, loop over parameters",
        "hand": f"hand-written numba prange ({threads} threads)",
        "jax": "JAX jit vmap fori_loop (CPU, f64)",
    }

    rows: list[dict[str, Any]] = []
    us = {k: a_best[k] / (a_steps[k] + HENON_BURN) * 1e6 for k in a_best}
    pyn_best = min((us[k] for k in ("pyn_qr", "pyn_er") if k in us), default=None)
    for k in a_best:
        row = {
            "workload": "(a) Henon orbit",
            "implementation": a_labels[k],
            "steps": a_steps[k] + HENON_BURN,
            "orbits": 1,
            "seconds": a_best[k],
            "us_per_step": us[k],
            "per_step_text": f"{us[k]:.4g} us",
            "exponent": a_out[k],
        }
        row["speedup_vs_numba"] = us[k] / us["numba"]
        row["ratio_text"] = f"{us[k] / us['numba']:.3g} x numba"
        rows.append(row)
    member_steps = n * (LOGISTIC_BURN + LOGISTIC_STEPS)
    for k in b_best:
        ns = b_best[k] / member_steps * 1e9
        rows.append(
            {
                "workload": "(b) logistic, 4000 r",
                "implementation": b_labels[k],
                "steps": LOGISTIC_BURN + LOGISTIC_STEPS,
                "orbits": n,
                "seconds": b_best[k],
                "ns_per_member_step": ns,
                "per_step_text": f"{ns:.4g} ns",
                "ratio_text": f"{b_best[k] / b_best['numba']:.3g} x numba",
            }
        )

    print(
        f"compiled orbits: python {platform.python_version()}, numpy {np.__version__}, numba "
        f"{numba.__version__} ({threads} threads), {os.cpu_count()} cpu(s), "
        f"{platform.machine()}; best of {args.repeat}; times include each call's Python overhead"
    )
    for m in ("pynamicalsys", "jax"):
        if why[m] is not None:
            print(f"{m} rows: skipped ({why[m]})")
    print()
    print(format_table(rows))
    print()

    # agreement checks
    ex = {k: a_out[k] for k in a_out}
    spread = max(ex.values()) - min(ex.values())
    a_agree = spread <= 0.01
    print(
        "(a) exponents: "
        + ", ".join(f"{a_labels[k]} {v:.5f}" for k, v in ex.items())
        + f"; spread {spread:.2g} ({'agree' if a_agree else 'DISAGREE'} within 0.01)"
    )
    lam_nb, lam_np = b_out["numba"], b_out["numpy"]
    per = tm.period(tm.Map.from_sympy("r*x*(1 - x)", "x", "r")(logistic_r(n)), LOGISTIC_X0)
    regular = (per > 0) & np.isfinite(lam_np)
    d_np = float(np.max(np.abs(lam_nb[regular] - lam_np[regular]))) if regular.any() else 0.0
    b_agree = d_np <= 1e-9 and np.array_equal(lam_nb, b_out["numba1"], equal_nan=True)
    msg = (
        f"(b) {int(regular.sum())} periodic parameters: max |numba - numpy| = {d_np:.2g}; "
        f"1 thread == {threads} threads bit for bit: "
        f"{np.array_equal(lam_nb, b_out['numba1'], equal_nan=True)}"
    )
    if "pyn" in b_out:
        d_pyn = float(np.max(np.abs(lam_nb[regular] - b_out["pyn"][regular])))
        b_agree &= d_pyn <= 0.01
        msg += f"; max |numba - pynamicalsys| = {d_pyn:.2g}"
    print(msg + f" ({'agree' if b_agree else 'DISAGREE'})")

    verdicts = {
        "a_vs_pynamicalsys": _verdict(
            "(a) pynamicalsys us/step / compiled us/step",
            pyn_best / us["numba"] if pyn_best else None,
            TARGET_A_PYN,
        ),
        "a_vs_hand_loop": _verdict(
            "(a) hand loop us/step / compiled us/step", us["hand"] / us["numba"], TARGET_A_HAND
        ),
        "b_vs_pynamicalsys": _verdict(
            "(b) pynamicalsys loop time / compiled batch time",
            b_best["pyn"] / b_best["numba"] if "pyn" in b_best else None,
            TARGET_B,
        ),
    }
    if args.json:
        payload = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "numba": numba.__version__,
                "numba_threads": threads,
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
            },
            "skipped": {k: v for k, v in why.items() if v is not None},
            "rows": rows,
            "agree": {"a": a_agree, "b": bool(b_agree)},
            "targets": {
                "a_vs_pynamicalsys": TARGET_A_PYN,
                "a_vs_hand_loop": TARGET_A_HAND,
                "b_vs_pynamicalsys": TARGET_B,
            },
            "passed": verdicts,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2, default=float) + "\n")
        print(f"wrote {args.json}")
    if args.strict and (any(v is False for v in verdicts.values()) or not (a_agree and b_agree)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
