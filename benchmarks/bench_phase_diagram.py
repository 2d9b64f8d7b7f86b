"""Time of ``phase_diagram`` on a 1,000 × 1,000 trainability map of the scalar uv net.

Workload: GD on L(u, v) = (uv − 1)²/2 (``toymodels.models.two_layer_linear.uv_model``), step
sizes η_i = linspace(0.05, 1.6, E), starts (u₀, v₀) = (linspace(0.05, 2.5, I), 0.5), T steps per
cell (defaults E = I = 1000, T = 10⁴: 10¹⁰ cell-steps if every cell ran to the end). Issue 14's
target: under 15 s on 2 cores.

Rows of the table (each timed ``--repeat`` times, interleaved, best kept; compile time excluded
by a warm-up call):

* ``phase_diagram, numba, all cores``: the library call under test (``executor=None``: the
  compiled kernel, ``prange`` over blocks of cells on every numba thread).
* ``phase_diagram, numba, 1 thread``: the same with ``numba.set_num_threads(1)`` (the scaling,
  and a check that the result is bit-identical to the parallel one).
* ``ProcessPoolExecutor(2)``: the same grid sent to a local process pool in chunks (checked
  bit-identical); skipped with ``--no-pool``.
* ``kernel, no early stop``: the first ``--raw-rows`` step sizes with the kernel's early stop
  disabled (every cell runs all T steps; private ``toymodels.trainability._chunk_numba``): the
  raw cell-step rate, so that the headline is not read as a speed that only early stops give.
* ``phase_diagram, numpy``: the numpy engine on ``--numpy-rows`` × 100 cells spread over the
  grid, for context.

"cell-steps/s" is cells × T / seconds (for the rows with early stop that is an effective rate:
blocks whose 16 cells all repeat exactly, e.g. converged to a floating-point fixed point or
cycle, stop early without changing any result).

Usage::

    PYTHONPATH=. python -m benchmarks.bench_phase_diagram [--e 1000] [--i 1000] [--steps 10000]
        [--repeat 3] [--raw-rows 100] [--numpy-rows 10] [--no-pool] [--json PATH] [--strict]

The machine is described (cores, load average before and after the timed rounds). With
``--strict`` the exit status is 1 when the target is missed or a bit-identity check fails.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from toymodels import _numba
from toymodels.models.two_layer_linear import uv_model
from toymodels.trainability import PhaseDiagram, _chunk_numba, _Rules, phase_diagram

TARGET_SECONDS = 15.0
FIELDS = ("outcome", "period", "diverged_at", "loss", "lyapunov")


def grid(e: int, i: int) -> tuple[np.ndarray, np.ndarray]:
    eta = np.linspace(0.05, 1.6, e)
    init = np.stack([np.linspace(0.05, 2.5, i), np.full(i, 0.5)], axis=-1)
    return eta, init


def same(a: PhaseDiagram, b: PhaseDiagram) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f), equal_nan=f in ("loss", "lyapunov"))
        for f in FIELDS
    )


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = run()
    return time.perf_counter() - t0, out


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what platform reports."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    import numba

    return {
        "platform": platform.platform(),
        "processor": cpu_name(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "cpu_count": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_phase_diagram",
        description="Seconds for a step-size x initialisation phase diagram of the uv net.",
    )
    p.add_argument("--e", type=int, default=1000, help="number of step sizes E")
    p.add_argument("--i", type=int, default=1000, help="number of initialisations I")
    p.add_argument("--steps", type=int, default=10_000, help="GD steps T per cell")
    p.add_argument("--repeat", type=int, default=3, help="timed rounds (best kept)")
    p.add_argument("--raw-rows", type=int, default=100, help="step sizes in the no-early-stop row")
    p.add_argument("--numpy-rows", type=int, default=10, help="step sizes in the numpy row")
    p.add_argument("--no-pool", action="store_true", help="skip the process-pool row")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--strict", action="store_true", help="exit 1 on a missed target")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not _numba.available():
        print("numba is not installed (extra 'fast'): nothing to benchmark")
        return 0
    import numba

    model = uv_model()
    eta, init = grid(args.e, args.i)
    steps = args.steps
    cells = eta.size * init.shape[0]
    threads = numba.get_num_threads()

    def run_all() -> PhaseDiagram:
        return phase_diagram(model, eta, init, steps, max_seconds=None)

    def run_one_thread() -> PhaseDiagram:
        numba.set_num_threads(1)
        try:
            return run_all()
        finally:
            numba.set_num_threads(threads)

    pool = None if args.no_pool else cf.ProcessPoolExecutor(2)

    def run_pool() -> PhaseDiagram:
        return phase_diagram(model, eta, init, steps, executor=pool, max_seconds=None)

    raw_eta = eta[: args.raw_rows]
    raw_rows = np.repeat(raw_eta[:, None], 2, axis=1)
    n_raw = raw_eta.size * init.shape[0]
    c = np.arange(n_raw)
    raw_th = np.ascontiguousarray(init[c % init.shape[0]])
    raw_et = np.ascontiguousarray(raw_rows[c // init.shape[0]])
    raw_rules = _Rules(steps, 2 * 64 + 1, 1000, 64, 1e-8, 1e10, cycle=0)

    def run_raw() -> Any:
        return _chunk_numba(model, raw_th, raw_et, raw_rules, parallel=True)

    # spread over the grid (a corner could stop early everywhere)
    np_eta = eta[:: max(1, eta.size // args.numpy_rows)][: args.numpy_rows]
    np_init = init[:: max(1, init.shape[0] // 100)][:100]

    def run_numpy() -> PhaseDiagram:
        return phase_diagram(model, np_eta, np_init, steps, backend="numpy", max_seconds=None)

    rows: dict[str, tuple[Callable[[], Any], int]] = {
        f"phase_diagram, numba, all cores ({threads} threads)": (run_all, cells),
        "phase_diagram, numba, 1 thread": (run_one_thread, cells),
    }
    if pool is not None:
        rows["phase_diagram, ProcessPoolExecutor(2)"] = (run_pool, cells)
    rows["kernel, no early stop (all cores)"] = (run_raw, n_raw)
    rows["phase_diagram, numpy (1 process)"] = (run_numpy, np_eta.size * np_init.shape[0])

    # warm-up: compile (or load) the kernel, start the pool's workers
    phase_diagram(model, eta[:4], init[:8], 100, max_seconds=None)
    if pool is not None:
        phase_diagram(model, eta[:4], init[:64], 100, executor=pool, max_seconds=None)

    load_before = os.getloadavg()
    best = {k: math.inf for k in rows}
    results: dict[str, Any] = {}
    for _ in range(args.repeat):
        for name, (run, _n) in rows.items():
            secs, results[name] = timed(run)
            best[name] = min(best[name], secs)
    load_after = os.getloadavg()
    if pool is not None:
        pool.shutdown()

    ref = results[next(iter(rows))]
    checks = {"1 thread == all cores": same(ref, results["phase_diagram, numba, 1 thread"])}
    if pool is not None:
        checks["process pool == all cores"] = same(
            ref, results["phase_diagram, ProcessPoolExecutor(2)"]
        )

    info = machine()
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores, Python {info['python']}, "
        f"numpy {info['numpy']}, numba {info['numba']} ({info['numba_threads']} threads)"
    )
    print(
        f"load average (1/5/15 min): before {tuple(round(x, 2) for x in load_before)}, "
        f"after {tuple(round(x, 2) for x in load_after)}"
    )
    print(
        f"grid: {eta.size} step sizes x {init.shape[0]} starts, T = {steps}; outcomes "
        f"{ref.counts()}"
    )
    head = ("row", "cells", "T", "seconds", "cell-steps/s")
    table = [
        (name, str(n), str(steps), f"{best[name]:.3f}", f"{n * steps / best[name]:.3g}")
        for name, (_run, n) in rows.items()
    ]
    widths = [max(len(h), *(len(r[k]) for r in table)) for k, h in enumerate(head)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if k == 0 else c.rjust(w)
            for k, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(head))
    for r in table:
        print(line(r))
    for what, ok in checks.items():
        print(f"check {what}: {'bit-identical' if ok else 'DIFFERENT'}")
    headline = best[next(iter(rows))]
    passed = headline < TARGET_SECONDS and all(checks.values())
    print(
        f"target: {eta.size} x {init.shape[0]} x {steps} steps in < {TARGET_SECONDS:g} s: "
        f"{'PASS' if headline < TARGET_SECONDS else 'MISSED'} ({headline:.3f} s)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "machine": info,
                    "load_before": load_before,
                    "load_after": load_after,
                    "grid": {"E": int(eta.size), "I": int(init.shape[0]), "T": steps},
                    "counts": ref.counts(),
                    "rows": [
                        {"row": k, "cells": n, "T": steps, "seconds": best[k]}
                        for k, (_r, n) in rows.items()
                    ],
                    "checks": checks,
                    "target_seconds": TARGET_SECONDS,
                    "passed": passed,
                },
                fh,
                indent=2,
            )
    return 1 if (args.strict and not passed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
