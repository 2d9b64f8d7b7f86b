"""``python -m paper_figs``: list or render the paper figures.

    python -m paper_figs --list
    python -m paper_figs [IDS...] [--out DIR] [--quick]

Renders PNG + PDF into DIR (default ``figures/``) with a progress bar over figures, prints where
the files went and the time each figure took. Every argument is checked before anything is
rendered: an unknown id, or an ``--out`` that is an existing file or cannot be created, gives an
argparse error message (``usage: ...`` then ``error: ...`` naming the argument) and exit status 2.
A failure to write a figure later on (disk full, permissions changed) is reported in one line
with exit status 1.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before anything can import pyplot

import argparse
import os
import sys
import time
from pathlib import Path

from tqdm import tqdm

from . import FIGURES


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m paper_figs",
        description="Render the paper figures (PNG + PDF).",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="figure ids (default: all; see --list)")
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.add_argument(
        "--out", default="figures", metavar="DIR", help="output directory (default: figures/)"
    )
    p.add_argument("--quick", action="store_true", help="coarse grids / short runs (for tests)")
    return p


def _list() -> None:
    rows = [(f.id, f.paper, f.figure, f.caption) for f in FIGURES.values()]
    w_id = max(len(r[0]) for r in rows)
    w_fig = max(len(r[2]) for r in rows)
    w_paper = max(len(r[1]) for r in rows)
    for fid, paper, fig, caption in rows:
        print(f"{fid:<{w_id}}  Fig. {fig:<{w_fig}}  {paper:<{w_paper}}  {caption}")


def _out_dir_problem(out: str) -> str | None:
    """Why ``out`` cannot be the output directory (None if it can): checked before rendering."""
    if not out.strip():
        return "must name a directory, got an empty string"
    path = Path(out)
    if path.exists():
        if not path.is_dir():
            return f"{out!r} exists and is not a directory"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"directory {out!r} is not writable"
        return None
    # the nearest existing ancestor must be a writable directory (mkdir(parents=True) then works)
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot create {out!r}: {str(parent)!r} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create {out!r}: {str(parent)!r} is not writable"
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (argument errors exit with status 2 via argparse,
    before any figure is rendered)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list:
        _list()
        return 0
    ids = args.ids or list(FIGURES)
    unknown = [i for i in ids if i not in FIGURES]
    if unknown:
        parser.error(
            f"argument ID: unknown figure id(s): {', '.join(unknown)}; "
            f"known: {', '.join(FIGURES)} (see --list)"
        )
    problem = _out_dir_problem(args.out)
    if problem is not None:
        parser.error(f"argument --out: {problem}")
    ids = list(dict.fromkeys(ids))  # drop repeats, keep order
    out = Path(args.out)
    mode = "quick" if args.quick else "full"
    t_all = time.perf_counter()
    n_files = 0
    bar = tqdm(ids, desc="figures", unit="fig", dynamic_ncols=True)
    for fid in bar:
        bar.set_postfix_str(fid)
        t0 = time.perf_counter()
        try:
            paths = FIGURES[fid].make(out, quick=args.quick)
        except OSError as exc:
            bar.close()
            print(f"error: writing figure {fid} into {out}/ failed: {exc}", file=sys.stderr)
            return 1
        dt = time.perf_counter() - t0
        n_files += len(paths)
        tqdm.write(f"{fid} ({mode}): {dt:.1f} s -> " + ", ".join(str(p) for p in paths))
    bar.close()
    print(
        f"wrote {n_files} files for {len(ids)} figure(s) to {out}/ "
        f"in {time.perf_counter() - t_all:.1f} s ({mode})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
