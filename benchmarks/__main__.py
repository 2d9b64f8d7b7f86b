"""Every benchmark row in one run: ``PYTHONPATH=. python -m benchmarks [--quick]``.

Runs :mod:`benchmarks.bench_gd` (GD updates/s: C reference, numpy, numba 1 thread / all cores,
JAX), :mod:`benchmarks.bench_orbits` (single-orbit and batched Lyapunov exponents against
pynamicalsys, a hand numba loop and JAX) and :mod:`benchmarks.bench_phase_diagram` (the
1000 × 1000 × 10⁴ trainability map) one after the other in this process, each printing its
table and verdicts; rows whose peer is not installed say so. ``--quick`` shrinks the gd run
(1,024 members × 2,000 steps) and repeats each timing once, for a smoke test.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence

from . import bench_gd, bench_orbits, bench_phase_diagram


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = ap.parse_args(argv)
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, Python "
          f"{platform.python_version()}")  # fmt: skip
    rc = 0
    gd_args = ["--n", "1024", "--steps", "2000", "--repeat", "1"] if args.quick else []
    for name, fn, extra in (
        ("bench_gd", bench_gd.main, gd_args),
        ("bench_orbits", bench_orbits.main, []),
        ("bench_phase_diagram", bench_phase_diagram.main, ["--repeat", "1"] if args.quick else []),
    ):
        print(f"\n=== {name} {' '.join(extra)}", flush=True)
        rc |= int(fn(extra) or 0)
    return rc


if __name__ == "__main__":
    sys.exit(main())
