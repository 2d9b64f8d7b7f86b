"""Optional numba backend for gradient descent on sympy models (extra ``fast``).

The numpy path evaluates one ufunc per operation over the whole batch; this backend instead
generates, per model, a scalar kernel from the sympy gradient (common subexpressions shared, the
``math`` module for elementary functions), compiles it with ``numba.njit`` and runs it with the
divergence check at every step (so ``diverged_at`` needs no replay). Results agree with the numpy
path to rounding (libm vs numpy's ufunc loops differ in the last bits of some functions); the
numpy path stays the default and the reference.

Kernel. Members are cut into chunks of at most :func:`chunk_size` members; a chunk loops time
steps outside and members inside (members are independent, so the inner loop has no dependency
chain and vectorises, and the chunk's state stays in the L1 cache). The bound check of a step is
a branch-free count of the members outside ``|θ_i| ≤ bound`` (diverged members are NaN and
count too); only a step whose count exceeds the number already diverged runs a second pass that
stamps ``diverged_at = t + 1`` and sets those states to NaN. A chunk whose members have all
diverged stops; its remaining records are NaN.

Parallelism. The chunks are grouped into tasks (contiguous member ranges, :func:`_plan`); threads
take the tasks in turn and run the compiled kernel (``nogil``) on each, so a core shared with
another process takes fewer tasks instead of holding the others up. A member's arithmetic is the
same scalar code in the same order whatever its task, chunk or thread (no ``fastmath``, no
floating-point reduction across members), so the result is bit-identical to a single thread and a
member alone equals itself inside a grid. (If Intel SVML is installed, numba may evaluate
``exp``/``log``/... in vectorised loops with SVML, whose last bits can differ from libm's scalar
result; ``numba -s`` reports it as ``SVML State``.)

The threads are Python threads started per call, not numba's ``prange``: numba's OpenMP layer
(its default where GNU OpenMP is installed) aborts a process forked from one that used it, which
would kill the workers of a ``fork`` process pool (``concurrent.futures.ProcessPoolExecutor`` on
Linux) after one parallel run in the parent; plain threads around a ``nogil`` kernel leave no such
state, and calls from several threads of the caller run concurrently.

Number of threads: ``numba.get_num_threads()`` when numba's threading layer is already running
(so ``numba.set_num_threads(n)`` in the calling thread is honoured), else
``numba.config.NUMBA_NUM_THREADS`` (env ``NUMBA_NUM_THREADS``, default: all cores). A batch too
small to pay for a thread (fewer than :data:`MIN_MEMBERS_PER_THREAD` members or
:data:`MIN_UPDATES_PER_THREAD` updates per thread) runs in the calling thread.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

if TYPE_CHECKING:
    from .model import _SympyModel

__all__ = ["available", "chunk_size", "gd_kernel", "num_threads", "run_gd"]

#: a thread gets at least this many members (smaller batches run in fewer threads)
MIN_MEMBERS_PER_THREAD = 64
#: ... and at least this many updates (members × steps): starting a thread costs ~50 µs
MIN_UPDATES_PER_THREAD = 200_000
#: a task (the unit a thread takes from the queue) holds at least this many updates
MIN_UPDATES_PER_TASK = 2_000_000
#: a chunk holds at most this many members (its state then fits in the L1 cache for small p)
MAX_CHUNK = 256


def available() -> bool:
    """True if numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def num_threads() -> int:
    """Threads the numba backend uses: ``numba.get_num_threads()`` once numba's threading layer
    runs (honours ``numba.set_num_threads``), else ``numba.config.NUMBA_NUM_THREADS``.

    Reading ``get_num_threads`` would start numba's threading layer, so it is consulted only when
    that layer is already running (module docstring: a started GNU OpenMP layer makes later
    ``fork`` children abort when they run parallel numba code).
    """
    import numba
    from numba.np.ufunc import parallel

    if getattr(parallel, "_is_initialized", False):
        return max(1, int(numba.get_num_threads()))
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


def chunk_size(p: int) -> int:
    """Members per chunk for a model with ``p`` parameters, between 16 and :data:`MAX_CHUNK`:
    the chunk's p + 2 arrays of 8 bytes (state, step size, divergence step; 2p + 1 with
    per-parameter step sizes) stay within 16 KiB (32 KiB), inside a core's L1 data cache."""
    return max(16, min(MAX_CHUNK, 2048 // (p + 2)))


class _Printer(PythonCodePrinter):
    """Python code with ``math.`` functions and full-precision float literals."""

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))


def _source(model: _SympyModel, per_parameter: bool) -> str:
    """The kernel's Python source.

    ``kernel(theta, eta, steps, rec_steps, bound, records, div_at, lo, hi, chunk)`` runs members
    ``lo … hi − 1`` of ``theta`` (B, p) with step sizes ``eta`` ((B,), or (B, p) when
    ``per_parameter``), in chunks of ``chunk`` members, and writes their ``records`` (R, B, p) at
    the steps ``rec_steps`` and their first divergence step ``div_at`` (−1: none; 0: the start is
    outside the bound). The update of member b, coordinate i is ``x_i − η_b g_i`` (scalar η) or
    ``x_i − η_{b,i} g_i`` (per parameter): the same float operations as the numpy path.
    """
    p = model.n_params
    xs = [f"x{i}" for i in range(p)]
    sub = {s: sp.Symbol(n) for s, n in zip(model.symbols, xs, strict=True)}
    exprs = [g.xreplace(sub) for g in model.grad_expr]
    repl, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("c"))
    pr = _Printer({"fully_qualified_modules": True})
    etas = [f"E{i}" for i in range(p)] if per_parameter else ["E"]
    # inside the bound and finite (NaN compares False); ``&`` does not short-circuit (no branch)
    ok_vec = " & ".join(f"(abs({x}) <= bound)" for x in xs)
    ok_mem = " and ".join(f"abs(X{i}[b]) <= bound" for i in range(p))
    L = [
        "def kernel(theta, eta, steps, rec_steps, bound, records, div_at, lo, hi, chunk):",
        "    R = rec_steps.shape[0]",
        "    for m0 in range(lo, hi, chunk):",
        "        n = min(chunk, hi - m0)",
    ]
    L += [f"        X{i} = np.empty(n)" for i in range(p)]
    L += [f"        {E} = np.empty(n)" for E in etas]
    L += [
        "        D = np.empty(n, dtype=np.int64)",
        "        dead = 0",
        "        for b in range(n):",
    ]
    L += [f"            X{i}[b] = theta[m0 + b, {i}]" for i in range(p)]
    if per_parameter:
        L += [f"            E{i}[b] = eta[m0 + b, {i}]" for i in range(p)]
    else:
        L += ["            E[b] = eta[m0 + b]"]
    # a start outside the bound is diverged at step 0 (its records are NaN), as in the numpy path
    L += [
        "            D[b] = -1",
        f"            if not ({ok_mem}):",
        "                D[b] = 0",
        "                dead += 1",
    ]
    L += [f"                X{i}[b] = math.nan" for i in range(p)]
    L += [
        "        r = 0",
        "        if R > 0 and rec_steps[0] == 0:",
        "            for b in range(n):",
    ]
    L += [f"                records[0, m0 + b, {i}] = X{i}[b]" for i in range(p)]
    # time steps outside, members inside: members are independent, so the inner loop has no
    # dependency chain (members outside would be latency-bound, no faster than numpy)
    L += [
        "            r = 1",
        "        for t in range(steps):",
        "            if dead == n:",
        "                break",
        "            nbad = 0",
        "            for b in range(n):",
    ]
    L += [f"                {x} = X{i}[b]" for i, x in enumerate(xs)]
    for s_, ex in repl:
        L.append(f"                {s_} = {pr.doprint(ex)}")
    for i, g in enumerate(reduced):
        L.append(f"                g{i} = {pr.doprint(g)}")
    for i, x in enumerate(xs):
        e = f"E{i}[b]" if per_parameter else "E[b]"
        L.append(f"                {x} = {x} - {e} * g{i}")
    # the bound check counts the members outside (diverged ones are NaN, so they count too): a
    # branch-free sum keeps the member loop vectorised; only a step with a new divergence
    # (count > dead) pays the second pass that stamps its step and sets its state to NaN
    L += [f"                nbad += not ({ok_vec})"]
    L += [f"                X{i}[b] = {x}" for i, x in enumerate(xs)]
    L += [
        "            if nbad != dead:",
        "                for b in range(n):",
        f"                    if D[b] < 0 and not ({ok_mem}):",
        "                        D[b] = t + 1",
        "                        dead += 1",
    ]
    L += [f"                        X{i}[b] = math.nan" for i in range(p)]
    L += [
        "            if r < R and rec_steps[r] == t + 1:",
        "                for b in range(n):",
    ]
    L += [f"                    records[r, m0 + b, {i}] = X{i}[b]" for i in range(p)]
    # every member of the chunk diverged: the loop above stopped, the rest of its records is NaN
    L += [
        "                r += 1",
        "        while r < R:",
        "            for b in range(n):",
    ]
    L += [f"                records[r, m0 + b, {i}] = math.nan" for i in range(p)]
    L += [
        "            r += 1",
        "        for b in range(n):",
        "            div_at[m0 + b] = D[b]",
    ]
    return "\n".join(L) + "\n"


def gd_kernel(model: _SympyModel, per_parameter: bool = False) -> Any:
    """The compiled kernel for ``model`` (cached on the model; one per step-size layout)."""
    attr = "_numba_kernel_per_parameter" if per_parameter else "_numba_kernel"
    cached = getattr(model, attr, None)
    if cached is not None:
        return cached
    import numba

    src = _source(model, per_parameter)
    namespace: dict[str, Any] = {"math": math, "np": np}
    exec(compile(src, f"<toymodels numba kernel: {model.name}>", "exec"), namespace)
    kern = numba.njit(cache=False, fastmath=False, nogil=True)(namespace["kernel"])
    setattr(model, attr, kern)
    setattr(model, attr.replace("kernel", "source"), src)
    return kern


def _plan(B: int, steps: int, threads: int, chunk: int) -> tuple[int, list[tuple[int, int]]]:
    """(workers, tasks): how many threads run and the member ranges they take turns on.

    Workers: at most ``threads``, each with at least :data:`MIN_MEMBERS_PER_THREAD` members and
    :data:`MIN_UPDATES_PER_THREAD` updates. Tasks: contiguous ranges of whole chunks, each worth
    at least :data:`MIN_UPDATES_PER_TASK` updates (a kernel call costs a few µs), at least one
    per worker. Workers pull the next task when they finish one, so a core shared with another
    process takes fewer tasks instead of holding up the others.
    """
    by_members = B // MIN_MEMBERS_PER_THREAD
    by_work = (B * max(steps, 1)) // MIN_UPDATES_PER_THREAD
    workers = max(1, min(threads, by_members, by_work))
    if workers == 1:
        return 1, [(0, B)]
    per_task = chunk * max(1, -(-MIN_UPDATES_PER_TASK // (chunk * max(steps, 1))))
    per_task = min(per_task, -(-B // workers))
    return workers, [(lo, min(lo + per_task, B)) for lo in range(0, B, per_task)]


def run_gd(
    model: _SympyModel,
    flat: np.ndarray,
    eta: np.ndarray,
    steps: int,
    rec_steps: np.ndarray,
    bound: float,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(records (R, B, p), diverged_at (B,)) with the same conventions as the numpy engine.

    ``eta`` is (B,) (one step size per member) or (B, p) (one per member and parameter).
    ``threads`` defaults to :func:`num_threads`; the result does not depend on it.
    """
    B, p = flat.shape
    per_parameter = eta.ndim == 2
    kern = gd_kernel(model, per_parameter)
    records = np.empty((len(rec_steps), B, p))
    div_at = np.full(B, -1, dtype=np.int64)
    args = (
        np.ascontiguousarray(flat, dtype=np.float64),
        np.ascontiguousarray(eta, dtype=np.float64),
        int(steps),
        np.ascontiguousarray(rec_steps, dtype=np.int64),
        float(bound),
        records,
        div_at,
    )
    chunk = chunk_size(p)
    n_threads = num_threads() if threads is None else max(1, int(threads))
    workers, tasks = _plan(B, steps, n_threads, chunk)
    if workers == 1:
        kern(*args, 0, B, chunk)
        return records, div_at
    # each task writes its own members' records / div_at: no two threads touch the same entry,
    # and which thread runs a task does not change what it writes
    run_tasks(lambda task: kern(*args, task[0], task[1], chunk), tasks, workers)
    return records, div_at


def run_tasks(fn: Any, tasks: Any, workers: int) -> None:
    """``fn(task)`` for every task, on ``workers`` threads (the caller's thread is one of them)
    that take tasks in turn from a shared iterator, so a slow core holds no one up.

    The compiled kernels are ``nogil`` and every task writes its own members only, so results do
    not depend on which thread runs which task. Used instead of numba's ``prange``: its OpenMP
    runtime in a parent process makes forked workers that use it abort. The first exception
    raised by a task stops the remaining work and is re-raised here.
    """
    queue = iter(tasks)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                task = next(queue, None)
            if task is None or errors:
                return
            try:
                fn(task)
            except BaseException as exc:
                errors.append(exc)
                return

    helpers = [threading.Thread(target=work, daemon=True) for _ in range(max(workers, 1) - 1)]
    for h in helpers:
        h.start()
    work()
    for h in helpers:
        h.join()
    if errors:
        raise errors[0]
