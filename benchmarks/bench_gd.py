"""Updates per second of ``toymodels.gd`` beside a compiled reference.

Workload: gradient descent on L = (xy − 1)²/2 over N step sizes η_i = 0.05 + i/N (i = 0 … N−1),
all members starting at (x, y) = (2, 0.3), T steps, ``record_every=0``. ``toymodels.gd`` always
does its divergence bookkeeping (bound check every 64 steps, exact replay), so that cost is
included. One "update" is one step of one member: a run does N·T of them.

Rows of the table:

* ``reference C``: ``run_reference.sh N T`` (compiles ``reference_gd.c`` with ``cc -O3``; the
  timing is the one the C program prints, compile time excluded). Found at ``--reference PATH``,
  else ``$EOS_BENCH_REFERENCE``, else ``../shared/bench/run_reference.sh`` beside the repo.
* ``toymodels.gd``: the library call under test (numpy path); the target is ≥ 0.10 × the
  reference.
* ``bare numpy loop``: the lambdified gradient in a plain Python loop, no bookkeeping (context).
* ``toymodels.iterate``: the cubic map family F_a(z) = z(1 + a(1 − z))², N values of a in
  [0.5, 2], from z = 0.5 (context; a different map, so no ratio).
* ``toymodels.gd backend='numba', 1 thread``: the compiled per-model kernel with
  ``numba.set_num_threads(1)`` (extra ``fast``; skipped with the reason when numba is missing).
* ``toymodels.gd backend='numba', K threads``: the same call on all K =
  ``numba.config.NUMBA_NUM_THREADS`` threads; targets ≥ 1.5 × the (single-threaded) reference
  and ≥ 2 × the JAX row.
* ``JAX jit+vmap+fori_loop``: ``jax.jit(jax.vmap(f))`` with ``f`` running ``lax.fori_loop`` over
  θ ← θ − η·``jax.grad(L)``(θ) for one step size, float64 (``jax_enable_x64``), CPU, no
  bookkeeping; ``steps`` is a traced argument, so the warm-up compiles it once. Skipped with the
  reason when jax cannot be imported (it is not a dependency of toymodels).

Checksum: sum of x·y over the members whose x·y is finite, compared with the reference's printed
``checksum``. Very short runs (T ≲ 50) may disagree by design: ``toymodels.gd`` marks a member
diverged (NaN) once |θ_i| > 1e10, while the reference still counts it while it is finite.

Usage::

    PYTHONPATH=. python -m benchmarks.bench_gd [--n 4096] [--steps 20000] [--repeat 3]
        [--json PATH] [--reference PATH] [--strict]

Each implementation is warmed up once (a short run), then all are timed in ``--repeat``
interleaved rounds with ``time.perf_counter``; the best time of each is reported. Exit status is
0 unless ``--strict`` is given and a measured ratio is below its target or a checksum disagrees
(a missing reference, numba or jax is not a failure: that target is not evaluated).
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
#: the parallel numba row against the single-threaded C reference and against JAX
TARGET_NUMBA_VS_REF = 1.5
TARGET_NUMBA_VS_JAX = 2.0
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


def make_gd_numba(n: int, threads: int) -> Callable[[int], float]:
    """``steps ↦ checksum`` running ``toymodels.gd(..., backend="numba")`` (extra ``fast``) on
    ``threads`` threads (``numba.set_num_threads``, restored afterwards)."""
    import numba

    model = tm.Model.from_sympy(LOSS, list(PARAMS))
    eta = step_sizes(n)
    theta0 = np.array(THETA0)

    def run(steps: int) -> float:
        before = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            final = tm.gd(model, theta0, eta, steps, record_every=0, backend="numba").final
        finally:
            numba.set_num_threads(before)
        return checksum(final[:, 0], final[:, 1])

    return run


def after_divergence(n: int, steps: int) -> float:
    """Fraction of the N·T member-steps that come after the member's divergence (numpy path)."""
    model = tm.Model.from_sympy(LOSS, list(PARAMS))
    tr = tm.gd(model, np.array(THETA0), step_sizes(n), steps, record_every=0, backend="numpy")
    at = tr.diverged_at[tr.diverged]
    return float(np.sum(steps - at)) / (n * steps)


def jax_missing() -> str | None:
    """Why the JAX row cannot run here, or None."""
    try:
        import jax  # noqa: F401
    except Exception as exc:  # ImportError, or a broken jaxlib raising at import
        return f"jax not importable ({type(exc).__name__}: {exc})"
    return None


def make_jax(n: int) -> Callable[[int], float]:
    """``steps ↦ checksum``: ``jax.jit(jax.vmap(run_one))`` over the N step sizes, ``run_one``
    a ``lax.fori_loop`` of θ ← θ − η ∇L(θ) with ``jax.grad``; float64 on the CPU."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    def loss(th: Any) -> Any:
        return (th[0] * th[1] - 1.0) ** 2 / 2.0

    grad = jax.grad(loss)

    def run_one(eta: Any, th0: Any, steps: Any) -> Any:
        return lax.fori_loop(0, steps, lambda _i, th: th - eta * grad(th), th0)

    batched = jax.jit(jax.vmap(run_one, in_axes=(0, None, None)))
    cpu = jax.devices("cpu")[0]
    eta = jax.device_put(jnp.asarray(step_sizes(n), dtype=jnp.float64), cpu)
    theta0 = jax.device_put(jnp.asarray(THETA0, dtype=jnp.float64), cpu)

    def run(steps: int) -> float:
        final = np.asarray(batched(eta, theta0, steps).block_until_ready())
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
    head = ("implementation", "N", "T", "seconds", "updates/s", "ratio to ref", "ratio to JAX")
    body = [
        (
            r["implementation"],
            str(r["N"]),
            str(r["T"]),
            f"{r['seconds']:.4f}",
            f"{r['updates_per_s']:.3g}",
            "-" if r["ratio"] is None else f"{r['ratio']:.3f}",
            f"{r['ratio_to_jax']:.3f}" if r.get("ratio_to_jax") is not None else "-",
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
        description="Updates/s of toymodels.gd on L=(xy-1)^2/2 beside compiled C and JAX.",
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
        help="exit 1 if a measured ratio is below its target or a checksum disagrees",
    )
    return p


def numba_missing() -> str | None:
    """Why the numba rows cannot run here, or None."""
    from toymodels import _numba

    return None if _numba.available() else "numba not importable (extra 'fast')"


def _verdict(name: str, measured: float | None, target: float, what: str) -> bool | None:
    """Print one target's verdict; None when it cannot be evaluated."""
    if measured is None or not math.isfinite(measured):
        print(f"target {name} >= {target:.2f} x {what}: not evaluated (row missing)")
        return None
    passed = measured >= target
    verdict = "PASS" if passed else "BELOW TARGET"
    print(f"target {name} >= {target:.2f} x {what}: {verdict} (ratio {measured:.3f})")
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    n, steps, repeat = args.n, args.steps, args.repeat

    script = locate_reference(args.reference)
    why = reference_missing(script)
    use_ref = why is None
    runs = {"gd": make_gd(n), "bare": make_bare(n), "cubic": make_cubic(n)}
    why_numba = numba_missing()
    threads = 1
    if why_numba is None:
        import numba

        threads = int(numba.config.NUMBA_NUM_THREADS)
        runs["numba1"] = make_gd_numba(n, 1)
        runs["numba"] = make_gd_numba(n, threads)
    why_jax = jax_missing()
    if why_jax is None:
        runs["jax"] = make_jax(n)

    # Warm up once (short runs: lambdify / numba / XLA compilation, allocator, caches; the
    # reference is compiled and checked), then time the implementations in interleaved rounds so
    # that a load change on the machine hits all of them alike; keep the best round of each.
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

    labels = {
        "gd": "toymodels.gd (record_every=0)",
        "bare": "bare lambdified numpy loop",
        "cubic": "toymodels.iterate, cubic map",
        "numba1": "toymodels.gd backend='numba', 1 thread",
        "numba": f"toymodels.gd backend='numba', {threads} threads",
        "jax": "JAX jit+vmap+fori_loop (CPU, f64)",
    }
    rows = []
    if ref is not None:
        rows.append(_row("reference C (cc -O3)", n, steps, ref["seconds"], ref_rate, True))
        rows[-1]["checksum"] = ref["checksum"]
    by_key: dict[str, dict[str, Any]] = {}
    for k in ("gd", "bare", "cubic", "numba1", "numba", "jax"):
        if k not in runs:
            continue
        row = _row(labels[k], n, steps, best[k], ref_rate, k != "cubic")
        if k == "cubic":
            row["diverged"] = int(result[k])
        else:
            row["checksum"] = result[k]
        rows.append(row)
        by_key[k] = row
    if "jax" in by_key:
        for k in ("numba1", "numba"):
            if k in by_key:
                by_key[k]["ratio_to_jax"] = (
                    by_key[k]["updates_per_s"] / by_key["jax"]["updates_per_s"]
                )

    print(
        f"GD on L = {LOSS}, eta_i = 0.05 + i/N, theta0 = {THETA0}, best of {repeat}; "
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cpu(s), {platform.machine()}"
    )
    if ref is None:
        print(f"reference: not run ({why}); no ratios")
    else:
        print(f"reference: {script}")
        print(f"  {ref['output']}")
    if why_numba is not None:
        print(f"numba rows: skipped ({why_numba})")
    if why_jax is not None:
        print(f"JAX row: skipped ({why_jax})")
    else:
        import jax

        print(f"JAX {jax.__version__} on {jax.devices('cpu')[0]}")
    print()
    print(format_table(rows))
    print()

    # checksums: every GD row against the reference (else against the numpy path)
    base_name, base_cs = ("reference", ref["checksum"]) if ref else ("toymodels.gd", result["gd"])
    agree = True
    parts = []
    for k in ("gd", "bare", "numba1", "numba", "jax"):
        if k not in runs:
            continue
        ok = math.isclose(result[k], base_cs, rel_tol=1e-6, abs_tol=1e-6)
        by_key[k]["checksum_agrees"] = ok
        agree &= ok
        parts.append(f"{labels[k]} {result[k]:.6f} ({'agrees' if ok else 'DISAGREES'})")
    print(f"checksum sum(x*y, finite): {base_name} {base_cs:.6f}")
    for part in parts:
        print(f"  {part}")
    print(f"cubic map: {int(result['cubic'])}/{n} members diverged")

    numba_row = by_key.get("numba")
    numba_name = f"gd numba ({threads} threads)" if why_numba is None else "gd numba"
    skipped = None
    if numba_row is not None:
        # the numba kernel stops a chunk whose members have all diverged; bound the work that
        # saves by all member-steps after a divergence, and show the rate without them
        skipped = after_divergence(n, steps)
        print(
            f"early stop: at most {skipped:.1%} of the N*T member-steps follow a divergence "
            f"(the numba kernel skips them once a whole chunk has diverged); discounting all of "
            f"them, numba on {threads} threads: {numba_row['updates_per_s'] * (1 - skipped):.3g} "
            "updates/s"
            + (
                f" = {numba_row['ratio'] * (1 - skipped):.3f} x reference C"
                if numba_row["ratio"] is not None
                else ""
            )
            + (
                f" = {numba_row['ratio_to_jax'] * (1 - skipped):.3f} x JAX"
                if numba_row.get("ratio_to_jax") is not None
                else ""
            )
        )
    verdicts = {
        "numpy_vs_reference": _verdict(
            "toymodels.gd", by_key["gd"]["ratio"], TARGET, "reference C"
        ),
        "numba_vs_reference": _verdict(
            numba_name,
            numba_row["ratio"] if numba_row else None,
            TARGET_NUMBA_VS_REF,
            "reference C",
        ),
        "numba_vs_jax": _verdict(
            numba_name,
            numba_row.get("ratio_to_jax") if numba_row else None,
            TARGET_NUMBA_VS_JAX,
            "JAX",
        ),
    }

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
                "numba_threads": threads if why_numba is None else None,
                "arch": platform.machine(),
                "platform": platform.platform(),
            },
            "reference": (
                {"path": str(script), **ref}
                if ref is not None
                else {"path": str(script), "skipped": why}
            ),
            "skipped": {"numba": why_numba, "jax": why_jax},
            "after_divergence_fraction": skipped,
            "rows": rows,
            "checksum_agrees": agree,
            "targets": {
                "numpy_vs_reference": TARGET,
                "numba_vs_reference": TARGET_NUMBA_VS_REF,
                "numba_vs_jax": TARGET_NUMBA_VS_JAX,
            },
            "passed": verdicts,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")

    if args.strict and (any(v is False for v in verdicts.values()) or not agree):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
