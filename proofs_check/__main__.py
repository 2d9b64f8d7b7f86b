"""Command line: ``python -m proofs_check [--list] [NAMES...]``.

Runs the registered exact checks (all of them, or the named ones), prints each statement with
its verdict, source and the computed detail, and exits with status 1 if any check fails
(2 for unknown names or bad arguments).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import MutableMapping, Sequence

from .registry import Proof, ProofResult, all_proofs, run_all

DETAIL_WIDTH = 90


def _truncate(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _short_paper(paper: str) -> str:
    """'Chen, Balasubramanian, Ghosal, Agrawalla 2023' -> 'Chen et al. 2023'."""
    if "," not in paper:
        return paper
    first, rest = paper.split(",", 1)
    tail = rest.split()
    year = next((tok for tok in tail if tok.isdigit() and len(tok) == 4), "")
    return f"{first} et al. {year}".rstrip()


def format_table(results: Sequence[ProofResult], detail_width: int = DETAIL_WIDTH) -> str:
    """One block per check: verdict, name, paper / where, time; then the statement and detail."""
    lines = []
    width = max((len(r.name) for r in results), default=4)
    for r in results:
        where = _truncate(f"{_short_paper(r.paper)} / {r.where}", 70)
        lines.append(f"{r.verdict:<4}  {r.name.ljust(width)}  [{where}]  {r.seconds:.2f}s")
        lines.append(f"      statement: {' '.join(r.statement.split())}")
        lines.append(f"      detail:    {_truncate(r.detail, detail_width)}")
    return "\n".join(lines)


def format_list(proofs: Sequence[Proof]) -> str:
    """One line per registered check: name, paper / where, statement."""
    width = max((len(p.name) for p in proofs), default=4)
    return "\n".join(
        f"{p.name.ljust(width)}  [{p.paper} / {p.where}]  {p.statement}" for p in proofs
    )


def main(
    argv: Sequence[str] | None = None,
    registry: MutableMapping[str, Proof] | None = None,
) -> int:
    """Entry point; returns the exit status (0 all pass, 1 some fail, 2 usage error)."""
    parser = argparse.ArgumentParser(
        prog="python -m proofs_check",
        description="Exact sympy/mpmath checks of closed forms from edge-of-stability papers.",
    )
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    parser.add_argument("names", nargs="*", metavar="NAME", help="checks to run (default: all)")
    args = parser.parse_args(argv)

    if args.list:
        print(format_list(all_proofs(registry)))
        return 0
    start = time.perf_counter()
    try:
        results = run_all(args.names or None, registry=registry)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    total = time.perf_counter() - start
    print(format_table(results))
    failed = [r.name for r in results if not r.ok]
    print(
        f"\n{len(results) - len(failed)}/{len(results)} passed in {total:.2f}s"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. `python -m proofs_check --list | head`
        sys.stderr.close()
        sys.exit(0)
