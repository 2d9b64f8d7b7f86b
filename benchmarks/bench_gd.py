"""Updates per second of ``toymodels.gd`` beside a compiled reference.

Workload: gradient descent on L = (xy − 1)²/2 over N step sizes η_i = 0.05 + i/N (i = 0 … N−1),
all members starting at (x, y) = (2, 0.3), T steps, ``record_every=0``. ``toymodels.gd`` always
does its divergence bookkeeping (bound check every 64 steps, exact replay), so that cost is
included. One "update" is one step of one member: a run does N·T of them.

Rows of the table:

* ``reference C``: ``run_reference.sh N T`` (compiles ``reference_gd.c`` with ``cc -O3``; the
  timing is the one the C program prints, compile time excluded). Found at ``--reference PATH``,
  else ``$EOS_BENCH_REFERENCE``, else ``../shared/bench/run_reference.sh`` beside the repo.
* ``toymodels.gd``: the library call under test; the target is ≥ 0.10 × the reference.
* ``bare numpy loop``: the lambdified gradient in a plain Python loop, no bookkeeping (context).
* ``toymodels.iterate``: the cubic map family F_a(z) = z(1 + a(1 − z))², N values of a in
  [0.5, 2], from z = 0.5 (context; a different map, so no ratio).

Checksum: sum of x·y over the members whose x·y is finite, compared with the reference's printed
``checksum``. Very short runs (T ≲ 50) may disagree by design: ``toymodels.gd`` marks a member
diverged (NaN) once |θ_i| > 1e10, while the reference still counts it while it is finite.

Usage::

    PYTHONPATH=. python -m benchmarks.bench_gd [--n 4096] [--steps 20000] [--repeat 3]
        [--json PATH] [--reference PATH] [--strict]

Each implementation is warmed up once (a short run), then all are timed in ``--repeat``
interleaved rounds with ``time.perf_counter``; the best time of each is reported. Exit status is
0 unless ``--strict`` is given and the measured ratio is below target or the checksums disagree
(a missing reference is not a failure).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

import toymodels as tm

LOSS = "(x*y - 1)**2/2"
PARAMS = ("x", "y")
THETA0 = (2.0, 0.3)
CUBIC = "z*(1 + a*(1 - z))**2"
CUBIC_RANGE = (0.5, 2.0)
CUBIC_Z0 = 0.5
TARGET = 0.10
REFERENCE_ENV = "EOS_BENCH_REFERENCE"
WARMUP_STEPS = 500

_REF_RATE = re.compile(r"reference C:\s*([0-9.eE+\-]+)\s*updates/s")
_REF_SECONDS = re.compile(r"\(([0-9.eE+\-]+)s,")
_REF_CHECKSUM = re.compile(r"checksum\s+(\S+)")


# ---------------------------------------------------------------------------------- workloads
def step_sizes(n: int) -> np.ndarray:
    """η_i = 0.05 + i/N, exactly as the reference computes them."""
    return 0.05 + np.arange(n, dtype=np.float64) / n


def checksum(x: np.ndarray, y: np.ndarray) -> float:
    """Sum of x·y over the members where it is finite."""
    with np.errstate(all="ignore"):
        xy = x * y
    return float(np.sum(xy[np.isfinite(xy)]))


def make_gd(n: int) -> Callable[[int], float]:
    """``steps ↦ checksum`` running ``toymodels.gd`` with ``record_every=0``."""
    model = tm.Model.from_sympy(LOSS, list(PARAMS))
    eta = step_sizes(n)
    theta0 = np.array(THETA0)

    def run(steps: int) -> float:
        final = tm.gd(model, theta0, eta, steps, record_every=0).final
        return checksum(final[:, 0], final[:, 1])

    return run


def make_gd_numba(n: int) -> Callable[[int], float]:
    """``steps ↦ checksum`` running ``toymodels.gd(..., backend="numba")`` (extra ``fast``)."""
    model = tm.Model.from_sympy(LOSS, list(PARAMS))
    eta = step_sizes(n)
    theta0 = np.array(THETA0)

    def run(steps: int) -> float:
        final = tm.gd(model, theta0, eta, steps, record_every=0, backend="numba").final
        return checksum(final[:, 0], final[:, 1])

    return run


def make_bare(n: int) -> Callable[[int], float]:
    """``steps ↦ checksum``: the lambdified gradient in a plain loop, in-place updates as in
    ``toymodels.gd`` but no divergence bookkeeping and no per-step function indirection."""
    x_s, y_s = sp.symbols(PARAMS)
    expr = sp.sympify(LOSS)
    grad = sp.lambdify([x_s, y_s], [sp.diff(expr, s) for s in (x_s, y_s)], "numpy", cse=True)
    eta = step_sizes(n)

    def run(steps: int) -> float:
        x = np.full(n, THETA0[0])
        y = np.full(n, THETA0[1])
        with np.errstate(all="ignore"):
            for _ in range(steps):
                gx, gy = grad(x, y)
                x -= eta * gx
                y -= eta * gy
        return checksum(x, y)

    return run


def make_cubic(n: int) -> Callable[[int], float]:
    """``steps ↦ number of diverged members`` for ``toymodels.iterate`` on the cubic family."""
    family = tm.Map.from_sympy(CUBIC, "z", "a")
    F = family(np.linspace(*CUBIC_RANGE, n))

    def run(steps: int) -> float:
        return float(tm.iterate(F, CUBIC_Z0, steps, record_every=0).diverged.sum())

    return run


def timed(run: Callable[[int], float], steps: int) -> tuple[float, float]:
    """One timed run: (seconds, result)."""
    t0 = time.perf_counter()
    result = run(steps)
    return time.perf_counter() - t0, result


# ---------------------------------------------------------------------------------- reference
def default_reference() -> Path:
    """``shared/bench/run_reference.sh`` beside the repository (CI lays ``../shared`` there)."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "run_reference.sh"


def locate_reference(flag: str | None) -> Path:
    if flag:
        return Path(flag)
    env = os.environ.get(REFERENCE_ENV)
    if env:
        return Path(env)
    return default_reference()


def parse_reference(text: str) -> dict[str, float]:
    """Read the rate, seconds and checksum from the reference's output line."""
    rate = _REF_RATE.search(text)
    secs = _REF_SECONDS.search(text)
    cs = _REF_CHECKSUM.search(text)
    if rate is None or cs is None:
        raise ValueError(f"unrecognised reference output: {text.strip()!r}")
    return {
        "updates_per_s": float(rate.group(1)),
        "printed_seconds": float(secs.group(1)) if secs else math.nan,
        "checksum": float(cs.group(1)),
    }


def reference_missing(script: Path) -> str | None:
    """Why the reference cannot run here, or None."""
    if not script.is_file():
        return f"reference script not found: {script}"
    if shutil.which("cc") is None:
        return "no C compiler (cc) on PATH"
    if shutil.which("bash") is None:
        return "no bash on PATH"
    return None


def run_reference(script: Path, n: int, steps: int) -> dict[str, Any]:
    """One reference run (compiles, then runs; the C program times its own loop)."""
    try:
        proc = subprocess.run(
            ["bash", str(script), str(n), str(steps)],
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"reference failed to run: {exc}") from exc
    if proc.returncode != 0:
        raise RuntimeError(f"reference exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    got: dict[str, Any] = parse_reference(proc.stdout)
    got["output"] = proc.stdout.strip()
    # The printed rate has 3 significant digits, the printed time 3 decimals: derive the time
    # from the rate, which is the more precise of the two for short runs.
    got["seconds"] = n * steps / got["updates_per_s"]
    return got


# ---------------------------------------------------------------------------------- report
def _row(name: str, n: int, steps: int, seconds: float, ref_rate: float | None, ratio: bool):
    rate = n * steps / seconds
    return {
        "implementation": name,
        "N": n,
        "T": steps,
        "seconds": seconds,
        "updates_per_s": rate,
        "ratio": rate / ref_rate if (ref_rate and ratio) else None,
    }


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    head = ("implementation", "N", "T", "seconds", "updates/s", "ratio to ref")
    body = [
        (
            r["implementation"],
            str(r["N"]),
            str(r["T"]),
            f"{r['seconds']:.4f}",
            f"{r['updates_per_s']:.3g}",
            "-" if r["ratio"] is None else f"{r['ratio']:.3f}",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    out = [line(head), "  ".join("-" * w for w in widths)]
    out += [line(b) for b in body]
    return "\n".join(out)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_gd",
        description="Updates/s of toymodels.gd on L=(xy-1)^2/2 beside a compiled reference.",
    )
    p.add_argument("--n", type=_positive_int, default=4096, help="number of step sizes N")
    p.add_argument("--steps", type=_positive_int, default=20000, help="GD steps T")
    p.add_argument("--repeat", type=_positive_int, default=3, help="timed runs (best is kept)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument(
        "--reference",
        metavar="PATH",
        help=f"run_reference.sh (default: ${REFERENCE_ENV}, else {default_reference()})",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 if toymodels.gd is below target or its checksum disagrees",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    n, steps, repeat = args.n, args.steps, args.repeat

    script = locate_reference(args.reference)
    why = reference_missing(script)
    use_ref = why is None
    runs = {"gd": make_gd(n), "bare": make_bare(n), "cubic": make_cubic(n)}
    from toymodels import _numba

    if _numba.available():
        runs["numba"] = make_gd_numba(n)

    # Warm up once (short runs: lambdify compilation, allocator, caches; the reference is
    # compiled and checked), then time the implementations in interleaved rounds so that a
    # load change on the machine hits all of them alike; keep the best round of each.
    warm = min(steps, WARMUP_STEPS)
    for run in runs.values():
        run(warm)
    if use_ref:
        try:
            run_reference(script, n, warm)
        except (RuntimeError, ValueError) as exc:
            use_ref, why = False, str(exc)
    best = {k: math.inf for k in runs}
    result = {k: math.nan for k in runs}
    ref: dict[str, Any] | None = None
    for _ in range(repeat):
        if use_ref:
            try:
                got = run_reference(script, n, steps)
            except (RuntimeError, ValueError) as exc:
                use_ref, why, ref = False, str(exc), None
            else:
                if ref is None or got["seconds"] < ref["seconds"]:
                    ref = got
        for k, run in runs.items():
            secs, result[k] = timed(run, steps)
            best[k] = min(best[k], secs)
    ref_rate = ref["updates_per_s"] if ref else None
    gd_s, gd_cs = best["gd"], result["gd"]
    bare_s, bare_cs = best["bare"], result["bare"]
    cubic_s, cubic_div = best["cubic"], result["cubic"]

    rows = []
    if ref is not None:
        rows.append(_row("reference C (cc -O3)", n, steps, ref["seconds"], ref_rate, True))
    rows.append(_row("toymodels.gd (record_every=0)", n, steps, gd_s, ref_rate, True))
    rows.append(_row("bare lambdified numpy loop", n, steps, bare_s, ref_rate, True))
    rows.append(_row("toymodels.iterate, cubic map", n, steps, cubic_s, ref_rate, False))
    for r, cs in zip(rows[-3:], (gd_cs, bare_cs, None), strict=True):
        r["checksum"] = cs
    if "numba" in runs:
        rows.append(_row("toymodels.gd backend='numba'", n, steps, best["numba"], ref_rate, True))
        rows[-1]["checksum"] = result["numba"]
    rows[-1]["diverged"] = int(cubic_div)

    print(
        f"GD on L = {LOSS}, eta_i = 0.05 + i/N, theta0 = {THETA0}, best of {repeat}; "
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cpu(s), {platform.machine()}"
    )
    if ref is None:
        print(f"reference: not run ({why}); reporting the numpy numbers only")
    else:
        print(f"reference: {script}")
        print(f"  {ref['output']}")
    print()
    print(format_table(rows))
    print()

    agree: bool | None = None
    if ref is None:
        print(f"checksum: toymodels.gd {gd_cs:.6f}, bare loop {bare_cs:.6f} (no reference)")
    else:
        ref_cs = ref["checksum"]
        agree = math.isclose(gd_cs, ref_cs, rel_tol=1e-6, abs_tol=1e-6)
        bare_agree = math.isclose(bare_cs, ref_cs, rel_tol=1e-6, abs_tol=1e-6)
        print(
            f"checksum sum(x*y, finite): reference {ref_cs:.6f}, toymodels.gd {gd_cs:.6f} "
            f"({'agrees' if agree else 'DISAGREES'}), bare loop {bare_cs:.6f} "
            f"({'agrees' if bare_agree else 'DISAGREES'})"
        )
    print(f"cubic map: {int(cubic_div)}/{n} members diverged")

    passed: bool | None = None
    ratio = rows[-3]["ratio"]
    if ratio is None:
        print(f"target toymodels.gd >= {TARGET:.2f} x reference: not evaluated (no reference)")
    else:
        passed = ratio >= TARGET
        verdict = "PASS" if passed else "BELOW TARGET"
        print(f"target toymodels.gd >= {TARGET:.2f} x reference: {verdict} (ratio {ratio:.3f})")

    if args.json:
        payload = {
            "date": time.strftime("%Y-%m-%d"),
            "workload": {
                "loss": LOSS,
                "theta0": THETA0,
                "eta": "0.05 + i/N",
                "record_every": 0,
                "cubic_map": CUBIC,
                "cubic_a_range": CUBIC_RANGE,
                "cubic_z0": CUBIC_Z0,
            },
            "N": n,
            "T": steps,
            "repeat": repeat,
            "machine": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "cpus": os.cpu_count(),
                "arch": platform.machine(),
                "platform": platform.platform(),
            },
            "reference": (
                {"path": str(script), **ref}
                if ref is not None
                else {"path": str(script), "skipped": why}
            ),
            "rows": rows,
            "checksum_agrees": agree,
            "target": TARGET,
            "passed": passed,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")

    if args.strict and (passed is False or agree is False):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
