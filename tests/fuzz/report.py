"""Count fuzz outcomes: ``python -m tests.fuzz.report [--examples N] [--json FILE]``.

Runs, for every target and parameter, the whole catalogue of bad values plus ``--examples``
random ones per target (hypothesis, derandomized: the same cases on every run), and prints the
counts per outcome and per target, the lenient-by-design entries with their reasons, and every
failure (unclear / silent / slow / warned), grouped by the library file that defines the target.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .runner import OK_OUTCOMES, OUTCOMES, TIME_LIMIT, Result, run_case, short_repr
from .targets import Target, all_targets


def _runnable(t: Target, pname: str, value: Any) -> bool:
    """A heavy target's valid call is deliberately long: lenient (valid) values are not run."""
    return not (t.heavy and any(r.matches(value) for r in t.params[pname].lenient))


def catalogue_cases(t: Target) -> Iterator[tuple[str, Any]]:
    for pname, spec in t.params.items():
        for value in spec.catalogue:
            if _runnable(t, pname, value):
                yield pname, value


def case_strategy(t: Target) -> st.SearchStrategy:
    """(parameter, bad value) pairs for one target."""
    return st.sampled_from(sorted(t.params)).flatmap(
        lambda pname: st.tuples(
            st.just(pname),
            t.params[pname].strategy.filter(lambda v: _runnable(t, pname, v)),
        )
    )


def random_cases(t: Target, n: int) -> list[tuple[str, Any]]:
    """``n`` derandomized draws (the same on every run)."""
    if n <= 0 or not t.params:
        return []
    drawn: list[tuple[str, Any]] = []

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case_strategy(t))
    def draw(case: tuple[str, Any]) -> None:
        drawn.append(case)

    draw()
    return drawn


def run_target(t: Target, examples: int, time_limit: float = TIME_LIMIT) -> list[Result]:
    """Every catalogue case and ``examples`` random cases of ``t``, deduplicated."""
    seen: set[tuple[str, str]] = set()
    out: list[Result] = []
    for pname, value in [*catalogue_cases(t), *random_cases(t, examples)]:
        key = (pname, f"{type(value).__name__}:{short_repr(value, 300)}")
        if key in seen:
            continue
        seen.add(key)
        out.append(run_case(t, pname, value, time_limit))
    return out


def summarize(results: Iterable[Result]) -> dict[str, Any]:
    results = list(results)
    totals = Counter(r.outcome for r in results)
    per_target: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        per_target[r.target][r.outcome] += 1
    lenient = sorted(
        {(r.target, r.param, r.value, r.detail) for r in results if r.outcome == "lenient"}
    )
    failures = [r for r in results if r.outcome not in OK_OUTCOMES]
    return {
        "tried": len(results),
        "totals": {o: totals.get(o, 0) for o in OUTCOMES},
        "per_target": {t: {o: c.get(o, 0) for o in OUTCOMES} for t, c in per_target.items()},
        "lenient": [
            {"target": t, "param": p, "value": v, "reason": why} for t, p, v, why in lenient
        ],
        "failures": [r.as_dict() for r in failures],
    }


def print_report(summary: dict[str, Any], out: Any = sys.stdout) -> None:
    w = out.write
    tot = summary["totals"]
    w(f"fuzz cases tried: {summary['tried']}\n")
    w("  " + "  ".join(f"{o}: {tot[o]}" for o in OUTCOMES) + "\n\n")
    head = f"{'target':52s} {'tried':>5s} " + " ".join(f"{o:>7s}" for o in OUTCOMES)
    w(head + "\n" + "-" * len(head) + "\n")
    for t, c in summary["per_target"].items():
        w(f"{t:52s} {sum(c.values()):5d} " + " ".join(f"{c[o]:7d}" for o in OUTCOMES) + "\n")
    w("\nlenient by design (accepted on purpose):\n")
    reasons: dict[str, list[str]] = defaultdict(list)
    for e in summary["lenient"]:
        reasons[e["reason"]].append(f"{e['target']}({e['param']}={e['value']})")
    for why, where in reasons.items():
        w(f"- {why}\n    {len(where)} cases: " + "; ".join(where) + "\n")
    fails = summary["failures"]
    w(f"\nfailures ({len(fails)}), by library file:\n")
    by_src: dict[str, list[dict]] = defaultdict(list)
    for f in fails:
        by_src[f["source"]].append(f)
    for src in sorted(by_src):
        w(f"\n## {src} ({len(by_src[src])})\n")
        for f in by_src[src]:
            w(f"- {f['target']} | {f['param']}={f['value']} | {f['outcome']} | {f['detail']}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz.report", description=__doc__)
    ap.add_argument("--examples", type=int, default=20, help="random cases per target (default 20)")
    ap.add_argument("--json", metavar="FILE", help="also write the summary as JSON")
    ap.add_argument("--target", action="append", help="only these targets (repeatable)")
    ap.add_argument(
        "--time-limit", type=float, default=TIME_LIMIT, help="seconds per case (default 2)"
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    results: list[Result] = []
    for t in all_targets():
        if args.target and t.name not in args.target:
            continue
        results += run_target(t, args.examples, args.time_limit)
    summary = summarize(results)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    print_report(summary)
    print(f"\n({summary['seconds']} s)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
