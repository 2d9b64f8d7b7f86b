"""Compiled (numba) orbit kernels for symbolic maps (extra ``fast``): the ``backend="numba"`` path.

A map built from sympy (:meth:`~toymodels.Map.from_sympy`, :func:`~toymodels.gd_map` /
:func:`~toymodels.gd_family` of a sympy :class:`~toymodels.Model`) carries its expressions
(:class:`~toymodels.maps.SymbolicMap`). From them this module generates Python source — the
map F_p and its Jacobian DF_p printed once (common subexpressions shared, ``math`` functions,
full-precision literals) and inlined into the loops below, the state held in scalar locals —
and compiles it with ``numba.njit`` (``error_model="numpy"``: 1/0 is inf, not an exception; no
fastmath, so every operation is IEEE-exact as written and nothing is reassociated or fused):

* :func:`run_iterate` — the engine of :func:`toymodels.iterate`: the bound is checked after
  every step, ``diverged_at`` is the first step out of ``|x_i| ≤ bound`` (or non-finite), the
  state is NaN from then on, records at the requested steps — the numpy engine's conventions;
* :func:`lyapunov_sums` — Σ log ‖DF(x_t) q_t‖ of :func:`toymodels.lyapunov_exponent`, the
  tangent vector rescaled by exact powers of two instead of normalised every step (see
  ``lyap_range`` in :func:`_source`);
* :func:`spectrum_run` — the QR (Gram–Schmidt twice) sums of :func:`toymodels.lyapunov_spectrum`
  with its rank-drop rule (an exactly zero diagonal of R is a −∞ exponent, the slot moves
  behind the live ones), over array versions ``fmap`` / ``fjac`` of the same expressions;
* :func:`continuation_chain` — the sequential orbit-diagram sweep (each parameter seeded with
  the previous final state) as one kernel.

Members are independent: every member performs its own sequence of operations whatever batch it
is in (the iteration and tangent kernels step blocks of members in lockstep — steps outside,
members inside — so the CPU overlaps their dependency chains; the QR kernel loops member by
member), so a member alone and inside a batch are bit-identical.

Parallelism over members: a large batch (see :func:`_plan`) is cut into contiguous member
ranges that Python threads take in turn, each running the same compiled kernel (``nogil``) on
its range; a member's arithmetic does not depend on its range or thread, so the results are
bit-identical to one thread. Not ``numba.prange``: numba's OpenMP threading layer (its default
where GNU OpenMP is installed) makes a process ``fork``-ed after a parallel run abort when it
runs parallel numba code (the workers of a ``ProcessPoolExecutor`` on Linux); plain threads
around ``nogil`` kernels leave no such state — the choice of ``toymodels._numba`` for
``gd(backend="numba")``, whose thread count this module follows (:func:`_threads`).

Agreement with the numpy path (the reference): the same formulas, evaluated by libm instead of
numpy's ufunc loops (``x**3``: repeated multiplication instead of ``pow``), so results agree to
rounding — bit-identical for many polynomial maps — and, on chaotic orbits, where rounding
differences grow, in their statistics (the exponents within their error estimates).

Kernels are cached per map (on its :class:`~toymodels.maps.SymbolicMap`) and per expression set
(a process-wide dictionary keyed by the generated source): two families with the same
expressions compile once per process. Compilation costs about a second per kernel and map.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from ._numba import _Printer, available, run_tasks

if TYPE_CHECKING:
    from .maps import Map, MapFamily, SymbolicMap

__all__ = [
    "BACKENDS",
    "MIN_MEMBERS_PER_THREAD",
    "MIN_UPDATES_PER_THREAD",
    "THREADS",
    "available",
    "check_backend",
    "compiled_iterate",
    "continuation_chain",
    "lyapunov_sums",
    "run_iterate",
    "spectrum_run",
    "use_numba",
    "warm_up",
]

#: the accepted values of ``backend=``
BACKENDS = ("numpy", "numba", "auto")
#: threads of the member-parallel runs; None: numba's setting (:func:`_threads`)
THREADS: int | None = None
#: a thread is started only for at least this many members …
MIN_MEMBERS_PER_THREAD = 64
#: … and this many member-steps (a kernel call and a thread start cost a few µs)
MIN_UPDATES_PER_THREAD = 200_000

#: compiled kernels per generated source (one entry per expression set)
_BY_SOURCE: dict[str, _Kernels] = {}
_LOCK = threading.RLock()


class _Unsupported(Exception):
    """The map cannot be compiled (a function numba has no translation for, …)."""


# ------------------------------------------------------------------------------- backend choice
def check_backend(backend: Any) -> str:
    """``backend``: one of :data:`BACKENDS` (ValueError naming ``backend`` otherwise)."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"backend must be 'numpy', 'numba' or 'auto', got {backend!r}")
    return backend


def use_numba(F: Any, backend: Any, *, callback: bool = False) -> bool:
    """Whether ``F`` (a Map or MapFamily) runs compiled under ``backend``.

    ``"numpy"``: never. ``"numba"``: always, or a ValueError naming ``backend`` when numba is
    missing, when ``F`` has no sympy form (a map of plain Python callables), when its
    expressions use a function the kernel generator cannot translate, or when ``callback`` is
    set (the compiled loop records inside numba). ``"auto"``: numba when all of that holds,
    numpy otherwise, silently.
    """
    backend = check_backend(backend)
    if backend == "numpy":
        return False
    strict = backend == "numba"
    spec = getattr(F, "symbolic", None)
    if spec is None:
        if strict:
            raise ValueError(
                "backend='numba' needs a symbolic map (Map.from_sympy, or gd_map / gd_family "
                "of a Model.from_sympy without data); this map has no sympy form (plain Python "
                "callables, or GD on a numpy or data model): use backend='numpy' or 'auto'"
            )
        return False
    if callback:
        if strict:
            raise ValueError(
                "callback is not supported with backend='numba' (the compiled loop records "
                "inside numba); use backend='numpy' or 'auto'"
            )
        return False
    if not available():
        if strict:
            raise ValueError("backend='numba' needs numba: pip install 'eos-toymodels[fast]'")
        return False
    try:
        _kernels(spec)
    except _Unsupported as exc:
        if strict:
            raise ValueError(f"backend='numba' cannot compile this map: {exc}") from None
        return False
    return True


# ----------------------------------------------------------------------------- code generation
class _MapPrinter(_Printer):
    """``_Printer`` (math functions, full-precision floats), strict, float-valued floor/ceil."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True, "strict": True})

    def _print_floor(self, expr: sp.Expr) -> str:
        return f"np.floor({self._print(expr.args[0])})"

    def _print_ceiling(self, expr: sp.Expr) -> str:
        return f"np.ceil({self._print(expr.args[0])})"


def _body(exprs: list[sp.Expr], targets: list[str], printer: _MapPrinter, tag: str) -> list[str]:
    """Lines computing ``targets[i] = exprs[i]`` with common subexpressions shared."""
    repl, reduced = sp.cse(exprs, symbols=sp.numbered_symbols(f"_c{tag}"), order="none")
    lines = [f"{s} = {printer.doprint(e)}" for s, e in repl]
    lines += [f"{t} = {printer.doprint(e)}" for t, e in zip(targets, reduced, strict=True)]
    return lines


def _expression_lines(spec: SymbolicMap) -> tuple[list[str], list[str]]:
    """(map lines, Jacobian lines) over the scalars ``_x0 … _x{n−1}`` and ``_p``.

    The map lines end with the new state in ``_y0 …``; the Jacobian lines with its entries
    ``_j0 … _j{n²−1}`` (row-major). GD maps compute x_i − p·g_i and δ_ij − p·H_ij from the
    gradient and the Hessian's lower triangle, the operations of the numpy twin.
    """
    n = spec.dim
    xs = [sp.Symbol(f"_x{i}", real=True) for i in range(n)]
    sub: dict[sp.Basic, sp.Basic] = dict(zip(spec.state, xs, strict=True))
    if spec.param is not None:
        sub[spec.param] = sp.Symbol("_p", real=True)
    pr = _MapPrinter()
    try:
        if spec.kind == "map":
            f = [sp.sympify(e).xreplace(sub) for e in spec.exprs]
            j = [sp.sympify(e).xreplace(sub) for e in spec.jac]
            fl = _body(f, [f"_y{i}" for i in range(n)], pr, "m")
            jl = _body(j, [f"_j{k}" for k in range(n * n)], pr, "j")
        else:  # GD: x − p·∇L(x), I − p·∇²L(x), the numpy twin's operations
            model = spec.model
            g = [e.xreplace(sub) for e in model.grad_expr]
            H = model.hessian_expr
            low = [H[a, b].xreplace(sub) for a in range(n) for b in range(a + 1)]
            fl = _body(g, [f"_g{i}" for i in range(n)], pr, "m")
            fl += [f"_y{i} = _x{i} - _p * _g{i}" for i in range(n)]
            jl = _body(low, [f"_h{k}" for k in range(len(low))], pr, "j")
            for a in range(n):
                for b in range(n):
                    k = a * (a + 1) // 2 + b if b <= a else b * (b + 1) // 2 + a
                    one = "1.0" if a == b else "0.0"
                    jl.append(f"_j{a * n + b} = {one} - _p * _h{k}")
    except Exception as exc:  # PrintMethodNotImplementedError and other printer gaps
        raise _Unsupported(f"its expressions cannot be printed for numba: {exc}") from exc
    return fl, jl


def _ind(lines: list[str], depth: int) -> list[str]:
    return [" " * (4 * depth) + ln for ln in lines]


def _source(spec: SymbolicMap) -> str:
    """Python source of the map's scalar kernels (see the module docstring).

    ``fmap(x, p, y)`` / ``fjac(x, p, J)`` (arrays, for the QR kernel) and the member loops
    ``iterate_range``, ``lyap_range``, ``chain`` with the state in scalar locals (the map's
    expressions inlined: no array traffic in the hot loop), each over a member range
    ``b0 … b1 − 1`` (the unit :func:`_run_ranges` hands to its threads).

    ``lyap_range`` does not normalise the tangent vector v every step: whenever its largest
    entry leaves [2^-500, 2^500] it is multiplied by an exact power of two (no rounding) whose
    exponent is counted, so Σ_t log ‖DF(x_t) q_t‖ = log ‖v_T‖ + (count)·log 2 with one log per
    member instead of one per step (numpy's per-step sum equals it to rounding). If
    DF(x_t)·v = 0 exactly, the length so far is banked and v restarts as DF(x_t)·``generic``,
    numpy's rule; if that vanishes too, the sum is −∞.
    """
    n = spec.dim
    fl, jl = _expression_lines(spec)
    X = [f"_x{i}" for i in range(n)]
    Y = [f"_y{i}" for i in range(n)]
    V = [f"_v{i}" for i in range(n)]
    W = [f"_w{i}" for i in range(n)]

    def tup(names: list[str]) -> str:
        return ", ".join(names) + ("," if len(names) == 1 else "")

    inside = " and ".join(f"abs({x}) <= bound" for x in X)
    step = [*fl, f"{tup(X)} = {tup(Y)}"]  # one map step on the scalars
    nan_x = [f"{x} = nan" for x in X]

    def matvec(vec: list[str] | str) -> list[str]:
        """W = J·vec (left-to-right sums), mx = max |W_i| with NaN propagated."""
        out = []
        for i in range(n):
            terms = [
                f"_j{i * n + j} * {vec[j] if isinstance(vec, list) else f'{vec}[{j}]'}"
                for j in range(n)
            ]
            out.append(f"{W[i]} = {' + '.join(terms)}")
        out.append(f"mx = abs({W[0]})")
        for i in range(1, n):
            out += [f"a = abs({W[i]})", "if not (a <= mx):", "    mx = a"]
        return out

    norm_v = "math.sqrt(" + " + ".join(f"{v} * {v}" for v in V) + ")"
    lines = [
        "def fmap(x, p, y):",
        *_ind([*(f"{x} = x[{i}]" for i, x in enumerate(X)), "_p = p", *fl], 1),
        *_ind([f"y[{i}] = {y}" for i, y in enumerate(Y)], 1),
        "",
        "def fjac(x, p, J):",
        *_ind([*(f"{x} = x[{i}]" for i, x in enumerate(X)), "_p = p", *jl], 1),
        *_ind([f"J[{k}] = _j{k}" for k in range(n * n)], 1),
        "",
        "def probe(x, p, y, J):",
        "    # the map and its Jacobian in one function: compiled once up front to learn",
        "    # whether numba can type these expressions at all",
        *_ind([*(f"{x} = x[{i}]" for i, x in enumerate(X)), "_p = p", *fl], 1),
        *_ind([f"y[{i}] = {y}" for i, y in enumerate(Y)], 1),
        *_ind(jl, 1),
        *_ind([f"J[{k}] = _j{k}" for k in range(n * n)], 1),
        "",
        "def iterate_range(start, param, steps, rec_steps, bound, check, records, div_at, b0, b1):",
        "    # blocks of BLOCK members in lockstep: steps outside, members inside (independent",
        "    # chains the CPU overlaps); each member's operations are those of orbit()",
        "    R = rec_steps.shape[0]",
        f"    X = np.empty(({n}, BLOCK))",
        "    for c0 in range(b0, b1, BLOCK):",
        "        m = min(BLOCK, b1 - c0)",
        "        alive = 0",
        "        for k in range(m):",
        *_ind([f"{x} = start[c0 + k, {i}]" for i, x in enumerate(X)], 3),
        "            div_at[c0 + k] = -1",
        f"            if check and not ({inside}):",
        "                div_at[c0 + k] = 0",
        *_ind(nan_x, 4),
        "            else:",
        "                alive += 1",
        *_ind([f"X[{i}, k] = {x}" for i, x in enumerate(X)], 3),
        "        r = 0",
        "        if R > 0 and rec_steps[0] == 0:",
        "            for k in range(m):",
        *_ind([f"records[0, c0 + k, {i}] = X[{i}, k]" for i in range(n)], 4),
        "            r = 1",
        "        t = 0",
        "        while t < steps and alive > 0:",
        "            t += 1",
        "            for k in range(m):",
        "                if div_at[c0 + k] >= 0:",
        "                    continue",
        "                _p = param[c0 + k]",
        *_ind([f"{x} = X[{i}, k]" for i, x in enumerate(X)], 4),
        *_ind(step, 4),
        f"                if check and not ({inside}):",
        "                    div_at[c0 + k] = t",
        "                    alive -= 1",
        *_ind(nan_x, 5),
        *_ind([f"X[{i}, k] = {x}" for i, x in enumerate(X)], 4),
        "            if r < R and rec_steps[r] == t:",
        "                for k in range(m):",
        *_ind([f"records[r, c0 + k, {i}] = X[{i}, k]" for i in range(n)], 5),
        "                r += 1",
        "        while r < R:  # every member diverged: the remaining records are NaN",
        "            for k in range(m):",
        *_ind([f"records[r, c0 + k, {i}] = nan" for i in range(n)], 4),
        "            r += 1",
        "",
        "def lyap_range(start, param, dead0, steps, half, bound, generic, acc, acc_half, dead,",
        "               b0, b1):",
        "    # blocks of BLOCK members in lockstep, as iterate_range",
        f"    X = np.empty(({n}, BLOCK))",
        f"    V = np.empty(({n}, BLOCK))",
        "    EX = np.empty(BLOCK, dtype=np.int64)",
        "    BANK = np.empty(BLOCK)",
        "    RUN = np.empty(BLOCK, dtype=np.bool_)",
        "    for c0 in range(b0, b1, BLOCK):",
        "        m = min(BLOCK, b1 - c0)",
        "        alive = 0",
        "        for k in range(m):",
        *_ind([f"X[{i}, k] = start[c0 + k, {i}]" for i in range(n)], 3),
        *_ind([f"V[{i}, k] = {1.0 if i == 0 else 0.0}" for i in range(n)], 3),
        "            EX[k] = 0",
        "            BANK[k] = 0.0",
        "            acc_half[c0 + k] = 0.0",
        "            RUN[k] = not dead0[c0 + k]",
        "            dead[c0 + k] = dead0[c0 + k]",
        "            if RUN[k]:",
        "                alive += 1",
        "        t = 0",
        "        while t < steps and alive > 0:",
        "            for k in range(m):",
        "                if not RUN[k]:",
        "                    continue",
        "                _p = param[c0 + k]",
        *_ind([f"{x} = X[{i}, k]" for i, x in enumerate(X)], 4),
        *_ind([f"{v} = V[{i}, k]" for i, v in enumerate(V)], 4),
        *_ind(jl, 4),
        *_ind(matvec(V), 4),
        "                if mx == 0.0:  # v annihilated exactly: bank its length, restart",
        f"                    BANK[k] += math.log({norm_v}) + EX[k] * LN2",
        "                    EX[k] = 0",
        *_ind(matvec("generic"), 5),
        "                    if mx == 0.0:  # the generic direction too: log 0",
        "                        BANK[k] = -math.inf",
        *_ind([f"{w} = generic[{i}]" for i, w in enumerate(W)], 6),
        "                        mx = 1.0",
        f"                {tup(V)} = {tup(W)}",
        "                if not (SMALL <= mx <= LARGE) and 0.0 < mx < math.inf:",
        "                    e = math.frexp(mx)[1]",
        "                    sc = math.ldexp(1.0, -e)",
        *_ind([f"{v} = {v} * sc" for v in V], 5),
        "                    EX[k] += e",
        *_ind(step, 4),
        *_ind([f"X[{i}, k] = {x}" for i, x in enumerate(X)], 4),
        *_ind([f"V[{i}, k] = {v}" for i, v in enumerate(V)], 4),
        f"                if not ({inside}):",
        "                    RUN[k] = False",
        "                    dead[c0 + k] = True",
        "                    alive -= 1",
        "            t += 1",
        "            if t == half:",
        "                for k in range(m):",
        "                    if RUN[k]:",
        *_ind([f"{v} = V[{i}, k]" for i, v in enumerate(V)], 6),
        f"                        acc_half[c0 + k] = BANK[k] + (math.log({norm_v}) + EX[k] * LN2)",
        "        for k in range(m):",
        "            if dead0[c0 + k]:",
        "                acc[c0 + k] = nan",
        "                acc_half[c0 + k] = nan",
        "            else:",
        *_ind([f"{v} = V[{i}, k]" for i, v in enumerate(V)], 4),
        f"                acc[c0 + k] = BANK[k] + (math.log({norm_v}) + EX[k] * LN2)",
        "",
        "def orbit(state, _p, steps, rec_steps, bound, records, b):",
        "    # iterate_range's member loop for one member (state updated in place)",
        "    R = rec_steps.shape[0]",
        *_ind([f"{x} = state[{i}]" for i, x in enumerate(X)], 1),
        "    div = -1",
        f"    if not ({inside}):",
        "        div = 0",
        *_ind(nan_x, 2),
        "    r = 0",
        "    if R > 0 and rec_steps[0] == 0:",
        *_ind([f"records[0, b, {i}] = {x}" for i, x in enumerate(X)], 2),
        "        r = 1",
        "    t = 0",
        "    while t < steps and div < 0:",
        *_ind(step, 2),
        "        t += 1",
        f"        if not ({inside}):",
        "            div = t",
        *_ind(nan_x, 3),
        "        if r < R and rec_steps[r] == t:",
        *_ind([f"records[r, b, {i}] = {x}" for i, x in enumerate(X)], 3),
        "            r += 1",
        "    while r < R:",
        *_ind([f"records[r, b, {i}] = nan" for i in range(n)], 2),
        "        r += 1",
        *_ind([f"state[{i}] = {x}" for i, x in enumerate(X)], 1),
        "    return div",
        "",
        "def chain(params, x0, seed, burn_in, keep, bound, points, div):",
        "    s = seed.copy()",
        "    last = np.empty((1, 1, x0.shape[0]))",
        "    rec_last = np.full(1, burn_in, dtype=np.int64)",
        "    rec_win = np.arange(keep).astype(np.int64)",
        "    for k in range(params.shape[0]):",
        "        d1 = orbit(s, params[k], burn_in, rec_last, bound, last, 0)",
        "        d2 = orbit(s, params[k], keep - 1, rec_win, bound, points, k)",
        "        div[k] = d1 >= 0 or d2 >= 0",
        "        if div[k]:",
        "            s[:] = x0",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ kernels
class _Kernels:
    """The compiled functions of one expression set (built lazily, once)."""

    def __init__(self, source: str, dim: int, label: str) -> None:
        import numba

        ns: dict[str, Any] = {
            "math": math,
            "np": np,
            "numba": numba,
            "nan": math.nan,
            "SMALL": _SMALL,
            "LARGE": _LARGE,
            "LN2": math.log(2.0),
            "BLOCK": _BLOCK,
        }
        exec(compile(source, f"<toymodels numba map: {label}>", "exec"), ns)
        jit = numba.njit(cache=False, fastmath=False, error_model="numpy", nogil=True)
        # replace the Python functions by dispatchers in the namespace itself: numba resolves
        # the globals of a kernel (the functions it calls) there when it compiles it
        for name in _GENERATED:
            ns[name] = jit(ns[name])
        self.source = source
        self.dim = dim
        self.ns = ns
        self.fmap = ns["fmap"]
        self.fjac = ns["fjac"]
        try:  # compile now: a typing failure means numba cannot run this map
            ns["probe"](np.full(dim, 0.4375), 0.5625, np.empty(dim), np.empty(dim * dim))
        except Exception as exc:
            raise _Unsupported(
                f"numba could not compile its expressions ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else exc})"
            ) from exc
        self._built: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The compiled function ``name`` (generated, or a QR kernel over fmap / fjac)."""
        if name in _GENERATED:
            return self.ns[name]
        with _LOCK:
            if not self._built:
                self._built.update(_build_loops(self.fmap, self.fjac))
            return self._built[name]


#: the generated functions (compiled lazily, at their first call)
_GENERATED = ("fmap", "fjac", "probe", "iterate_range", "lyap_range", "orbit", "chain")
#: members per lockstep block of the generated loops
_BLOCK = 64
#: the tangent vector of lyap_range is rescaled (exactly, by a power of 2) outside this range
_SMALL = 2.0**-500
_LARGE = 2.0**500


def _kernels(spec: SymbolicMap) -> _Kernels:
    """The kernels of ``spec`` (cached on it and per generated source)."""
    cached = spec.cache.get("kernels")
    if cached is not None:
        return cached
    if "unsupported" in spec.cache:
        raise _Unsupported(spec.cache["unsupported"])
    try:
        src = spec.cache.get("source")
        if src is None:
            src = _source(spec)
            spec.cache["source"] = src
        with _LOCK:
            kern = _BY_SOURCE.get(src)
        if kern is None:
            label = getattr(spec.model, "name", None) or f"{spec.kind}, dim {spec.dim}"
            kern = _Kernels(src, spec.dim, str(label))
            with _LOCK:
                kern = _BY_SOURCE.setdefault(src, kern)
    except _Unsupported as exc:
        spec.cache["unsupported"] = str(exc)
        raise
    spec.cache["kernels"] = kern
    return kern


_GENERIC: dict[str, Any] = {}


def _generic() -> dict[str, Any]:
    """Map-independent helpers of the QR kernel (compiled once per process)."""
    with _LOCK:
        if _GENERIC:
            return _GENERIC
        import numba

        jit = numba.njit(cache=False, fastmath=False, error_model="numpy")
        ninf = -math.inf

        @jit
        def inside(x: Any, bound: float) -> bool:
            for i in range(x.shape[0]):
                if not (abs(x[i]) <= bound):  # NaN fails the comparison
                    return False
            return True

        @jit
        def gs2(M, Qn, g, c):
            """Classical Gram–Schmidt, twice, over the columns of M (n, n): M = Qn R, g = diag R."""
            n = M.shape[0]
            for k in range(n):
                for i in range(n):
                    Qn[i, k] = M[i, k]
                if k > 0:
                    for _ in range(2):
                        for j in range(k):
                            s = 0.0
                            for i in range(n):
                                s += Qn[i, j] * Qn[i, k]
                            c[j] = s
                        for i in range(n):
                            s = 0.0
                            for j in range(k):
                                s += Qn[i, j] * c[j]
                            Qn[i, k] = Qn[i, k] - s
                s = 0.0
                for i in range(n):
                    s += Qn[i, k] * Qn[i, k]
                r = math.sqrt(s)
                g[k] = r
                den = r if r > 0.0 else 1.0
                for i in range(n):
                    Qn[i, k] = Qn[i, k] / den

        @jit
        def rank_drop(M, accb, Qn, g, order, v):
            """Slots whose tangent image lost rank: live slots first (Gram–Schmidt twice, modified,
            skipping the −∞ slots), dead ones behind with g = 0, the frame completed."""
            n = M.shape[0]
            live = 0
            is_live = np.zeros(n, dtype=np.bool_)
            for k in range(n):
                if accb[k] == ninf:
                    continue
                for i in range(n):
                    v[i] = M[i, k]
                for _ in range(2):
                    for j in range(live):
                        s = 0.0
                        for i in range(n):
                            s += Qn[i, j] * v[i]
                        for i in range(n):
                            v[i] = v[i] - s * Qn[i, j]
                s = 0.0
                for i in range(n):
                    s += v[i] * v[i]
                r = math.sqrt(s)
                if r > 0.0:
                    for i in range(n):
                        Qn[i, live] = v[i] / r
                    g[live] = r
                    order[live] = k
                    is_live[k] = True
                    live += 1
            pos = live
            for k in range(n):
                if not is_live[k]:
                    order[pos] = k
                    g[pos] = 0.0
                    pos += 1
            # complete the frame with the unit vector farthest from the span so far
            best = np.empty(n)
            for m in range(live, n):
                best_r = -1.0
                for e in range(n):
                    for i in range(n):
                        v[i] = 0.0
                    v[e] = 1.0
                    for _ in range(2):
                        for j in range(m):
                            s = 0.0
                            for i in range(n):
                                s += Qn[i, j] * v[i]
                            for i in range(n):
                                v[i] = v[i] - s * Qn[i, j]
                    s = 0.0
                    for i in range(n):
                        s += v[i] * v[i]
                    r = math.sqrt(s)
                    if r > best_r:
                        best_r = r
                        for i in range(n):
                            best[i] = v[i]
                for i in range(n):
                    Qn[i, m] = best[i] / best_r

        _GENERIC.update(inside=inside, gs2=gs2, rank_drop=rank_drop)
        return _GENERIC


def _build_loops(fmap: Any, fjac: Any) -> dict[str, Any]:
    """The QR kernel of :func:`spectrum_run` over ``fmap`` / ``fjac`` (a member range)."""
    import numba

    jit = numba.njit(cache=False, fastmath=False, error_model="numpy", nogil=True)
    g = _generic()
    inside, gs2, rank_drop = g["inside"], g["gs2"], g["rank_drop"]

    @jit
    def spectrum_range(
        x, param, Q, acc, sums, sup, dead, dead_at, code, edges, t0, t1, burn_in, bound, b0, b1
    ):
        n = x.shape[1]
        nblk = sums.shape[0]
        xb = np.empty(n)
        J = np.empty(n * n)
        M = np.empty((n, n))
        Qb = np.empty((n, n))
        Qn = np.empty((n, n))
        g = np.empty(n)
        c = np.empty(n)
        v = np.empty(n)
        order = np.empty(n, dtype=np.int64)
        tmp = np.empty(n)
        tmpb = np.empty(n, dtype=np.bool_)
        for b in range(b0, b1):
            if dead[b]:
                continue
            p = param[b]
            for i in range(n):
                xb[i] = x[b, i]
                for j in range(n):
                    Qb[i, j] = Q[b, i, j]
            blk = 0
            while blk < nblk - 1 and edges[blk + 1] <= t0:
                blk += 1
            for t in range(t0, t1):
                while blk < nblk - 1 and edges[blk + 1] <= t:
                    blk += 1
                step_no = burn_in + t
                fjac(xb, p, J)
                finite = True
                for k in range(n * n):
                    if not math.isfinite(J[k]):
                        finite = False
                if not finite:
                    dead[b] = True
                    dead_at[b] = step_no
                    code[b] = 3
                    break
                if n == 1:
                    g[0] = abs(J[0])
                else:
                    for i in range(n):
                        for j in range(n):
                            s = 0.0
                            for k in range(n):
                                s += J[i * n + k] * Qb[k, j]
                            M[i, j] = s
                    gs2(M, Qn, g, c)
                    zero = False
                    for k in range(n):
                        if g[k] == 0.0:
                            zero = True
                    if zero:
                        rank_drop(M, acc[b], Qn, g, order, v)
                        for k in range(n):
                            tmp[k] = acc[b, order[k]]
                        for k in range(n):
                            acc[b, k] = tmp[k]
                        for k in range(n):
                            tmpb[k] = sup[b, order[k]]
                        for k in range(n):
                            sup[b, k] = tmpb[k]
                        for bb in range(nblk):
                            for k in range(n):
                                tmp[k] = sums[bb, b, order[k]]
                            for k in range(n):
                                sums[bb, b, k] = tmp[k]
                    for i in range(n):
                        for j in range(n):
                            Qb[i, j] = Qn[i, j]
                for k in range(n):
                    lg = math.log(g[k])
                    if g[k] == 0.0:
                        sup[b, k] = True
                    acc[b, k] += lg
                    sums[blk, b, k] += lg
                fmap(xb, p, xb)
                if not inside(xb, bound):
                    fin = True
                    for i in range(n):
                        if not math.isfinite(xb[i]):
                            fin = False
                    dead[b] = True
                    dead_at[b] = step_no + 1
                    code[b] = 5 if fin else 4
                    break
            for i in range(n):
                x[b, i] = xb[i]
                for j in range(n):
                    Q[b, i, j] = Qb[i, j]

    return {"spectrum_range": spectrum_range}


def _threads() -> int:
    """Threads for the member-parallel runs: :data:`THREADS` if set, else numba's setting —
    ``numba.get_num_threads()`` once numba's threading layer runs (so ``numba.set_num_threads``
    is honoured), else ``numba.config.NUMBA_NUM_THREADS``; reading ``get_num_threads`` earlier
    would start that layer (see the module docstring: GNU OpenMP and ``fork``)."""
    if THREADS is not None:
        return max(1, int(THREADS))
    import numba
    from numba.np.ufunc import parallel

    if getattr(parallel, "_is_initialized", False):
        return max(1, int(numba.get_num_threads()))
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


def _plan(B: int, steps: int) -> tuple[int, list[tuple[int, int]]]:
    """(workers, tasks): threads to run and the contiguous member ranges they take in turn.

    At most :func:`_threads` workers, each with at least :data:`MIN_MEMBERS_PER_THREAD` members
    and :data:`MIN_UPDATES_PER_THREAD` member-steps; four tasks per worker, so a core shared
    with another process takes fewer of them instead of holding up the others.
    """
    by_members = B // MIN_MEMBERS_PER_THREAD
    by_work = (B * max(steps, 1)) // MIN_UPDATES_PER_THREAD
    workers = max(1, min(_threads(), by_members, by_work))
    if workers == 1:
        return 1, [(0, B)]
    per_task = -(-B // (4 * workers))
    return workers, [(lo, min(lo + per_task, B)) for lo in range(0, B, per_task)]


def _run_ranges(kernel: Any, args: tuple[Any, ...], B: int, steps: int) -> None:
    """``kernel(*args, b0, b1)`` over the member ranges of :func:`_plan`, on Python threads
    (the kernels are ``nogil``). Each member is written by exactly one range, and its numbers do
    not depend on the range or the thread that computes it."""
    workers, tasks = _plan(B, steps)
    if workers == 1:
        kernel(*args, 0, B)
        return
    run_tasks(lambda task: kernel(*args, task[0], task[1]), tasks, workers)


# ---------------------------------------------------------------------------- public drivers
def _flat_param(F: Map, B: int, batch: tuple[int, ...]) -> np.ndarray:
    if F.param is None:
        return np.zeros(B)
    return np.ascontiguousarray(np.broadcast_to(F.param, batch), dtype=np.float64).reshape(-1)


def run_iterate(
    F: Map,
    flat: np.ndarray,
    param: np.ndarray,
    steps: int,
    rec_steps: np.ndarray,
    bound: float,
    *,
    check: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(records (R, B, dim), diverged_at (B,)) of the flat batch ``flat`` (B, dim).

    The conventions of the numpy engine: a start outside ``|x_i| ≤ bound`` (or non-finite) is
    diverged at step 0; after every step the bound is checked, the first failing step is
    ``diverged_at`` and the state is NaN from then on; records at ``rec_steps``. With
    ``check=False`` nothing is checked (plain F^n, as :meth:`Map.iterate`).
    """
    kern = _kernels(F.symbolic)
    B, dim = flat.shape
    start = np.ascontiguousarray(flat, dtype=np.float64)
    par = np.ascontiguousarray(param, dtype=np.float64)
    rec = np.ascontiguousarray(rec_steps, dtype=np.int64)
    records = np.empty((len(rec), B, dim))
    div_at = np.full(B, -1, dtype=np.int64)
    args = (start, par, int(steps), rec, float(bound), bool(check), records, div_at)
    _run_ranges(kern.get("iterate_range"), args, B, int(steps))
    return records, div_at


def warm_up(F: Map) -> None:
    """Compile the iteration kernel of ``F`` now (one member, one step), so that a timed probe
    measures the run, not the compilation."""
    dim = F.dim
    start = np.full((1, dim), 0.4375)
    run_iterate(F, start, np.full(1, 0.5625), 1, np.array([1], dtype=np.int64), math.inf)


def iterate_unchecked(F: Map, x: np.ndarray, n: int) -> np.ndarray:
    """F^n(x) for :meth:`Map.iterate` (no bound, no NaN masking), shape (*batch, dim)."""
    batch = np.broadcast_shapes(x.shape[:-1], np.shape(F.param) if F.param is not None else ())
    flat = np.broadcast_to(x, (*batch, F.dim)).reshape(-1, F.dim)
    B = flat.shape[0]
    if B == 0:
        return np.empty((*batch, F.dim))
    rec = np.array([n], dtype=np.int64)
    records, _ = run_iterate(F, flat, _flat_param(F, B, batch), n, rec, math.inf, check=False)
    return records[0].reshape((*batch, F.dim))


def compiled_iterate(
    F: Map, x: Any, steps: int, bound: float = 1e10, record_every: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The compiled engine of :func:`toymodels.iterate` for a symbolic map ``F``.

    ``x`` (..., dim) broadcasts against ``F.param``; returns ``(states, diverged,
    diverged_at)`` with ``states`` of shape (R, *batch, dim) at the steps 0, k, 2k, …, steps
    (``record_every=k``; ``0`` keeps the final state only, R = 1), ``diverged`` / ``diverged_at``
    of shape ``batch`` — the same numbers as ``toymodels.dynamics._iterate(F, x, steps,
    record_every, bound, backend="numba")``. Arguments are not validated (internal).
    """
    from .dynamics import _record_steps

    x = np.asarray(x, dtype=np.float64)
    if F.dim == 1 and (x.ndim == 0 or x.shape[-1] != 1):
        x = x[..., None]
    batch = np.broadcast_shapes(x.shape[:-1], np.shape(F.param) if F.param is not None else ())
    flat = np.broadcast_to(x, (*batch, F.dim)).reshape(-1, F.dim)
    rec = _record_steps(int(steps), int(record_every))
    records, div_at = run_iterate(F, flat, _flat_param(F, flat.shape[0], batch), steps, rec, bound)
    return (
        records.reshape((len(rec), *batch, F.dim)),
        (div_at >= 0).reshape(batch),
        div_at.reshape(batch),
    )


def lyapunov_sums(
    F: Map,
    x: np.ndarray,
    param: np.ndarray,
    dead0: np.ndarray,
    steps: int,
    half: int,
    bound: float,
    generic: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Σ log g_t, the sum over the first ``half`` steps, dead) per member of ``x`` (B, dim).

    g_t = ‖DF(x_t) q_t‖ with q renormalised every step from q₀ = e₁ (|F'(x_t)| in 1-D); q_t
    annihilated exactly is replaced by DF(x_t)·``generic``; a member is dead when it starts
    dead (``dead0``) or leaves ``|x_i| ≤ bound`` (its sums are then meaningless).
    """
    kern = _kernels(F.symbolic)
    B = x.shape[0]
    acc = np.empty(B)
    acc_half = np.empty(B)
    dead = np.zeros(B, dtype=np.bool_)
    args = (
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(param, dtype=np.float64),
        np.ascontiguousarray(dead0, dtype=np.bool_),
        int(steps),
        int(half),
        float(bound),
        np.ascontiguousarray(generic, dtype=np.float64),
        acc,
        acc_half,
        dead,
    )
    _run_ranges(kern.get("lyap_range"), args, B, int(steps))
    return acc, acc_half, dead


#: member-steps per call of the spectrum kernel (the time budget is checked between calls)
SPECTRUM_CHUNK = 1 << 20

#: reasons of the spectrum kernel's codes (see :func:`spectrum_run`)
REASONS = {
    3: "non-finite Jacobian at step {at}",
    4: "overflow (non-finite state) at step {at}",
    5: "left |x| <= bound at step {at}",
}


def spectrum_run(
    F: Map,
    x: np.ndarray,
    param: np.ndarray,
    dead: np.ndarray,
    steps: int,
    burn_in: int,
    edges: np.ndarray,
    bound: float,
    check_time: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The QR sums of :func:`toymodels.lyapunov_spectrum` after the burn-in, compiled.

    ``x`` (B, n) the states after the burn-in, ``dead`` (B,) the members already dead (not
    run). Returns ``(acc (B, n), sums (blocks, B, n), superstable (B, n), dead, dead_at,
    code)``: ``code`` 3 (non-finite Jacobian), 4 (overflow), 5 (left the bound) for members
    that died here (see :data:`REASONS`), 0 otherwise. ``check_time()`` is called between
    chunks of about :data:`SPECTRUM_CHUNK` member-steps (it may raise to stop the run).
    """
    kern = _kernels(F.symbolic)
    B, n = x.shape
    blocks = len(edges) - 1
    xs = np.array(x, dtype=np.float64, order="C")
    Q = np.zeros((B, n, n))
    Q[:, np.arange(n), np.arange(n)] = 1.0
    acc = np.zeros((B, n))
    sums = np.zeros((blocks, B, n))
    sup = np.zeros((B, n), dtype=np.bool_)
    dead = np.array(dead, dtype=np.bool_)
    dead_at = np.full(B, -1, dtype=np.int64)
    code = np.zeros(B, dtype=np.int64)
    par = np.ascontiguousarray(param, dtype=np.float64)
    ed = np.ascontiguousarray(edges, dtype=np.int64)
    per_call = max(1, SPECTRUM_CHUNK // max(B * n * n, 1))
    t = 0
    while t < steps:
        t1 = min(steps, t + per_call)
        args = (xs, par, Q, acc, sums, sup, dead, dead_at, code, ed, t, t1, burn_in, bound)
        _run_ranges(kern.get("spectrum_range"), args, B, (t1 - t) * n * n)
        t = t1
        if check_time is not None and t < steps:
            check_time()
    return acc, sums, sup, dead, dead_at, code


def continuation_chain(
    family: MapFamily,
    params: Any,
    state0: Any,
    burn_in: int,
    keep: int,
    bound: float = 1e10,
    *,
    seed: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The sequential orbit-diagram sweep over ``params`` of a symbolic ``family``, compiled.

    For each p_i in order: start from the seed (``seed``, default ``state0``, for p_0; then the
    previous parameter's final state, or ``state0`` again after a divergence), iterate
    ``burn_in`` steps, then record ``keep`` states (the state after the burn-in and ``keep − 1``
    more), with the bound check of :func:`toymodels.iterate` (states NaN from the step a member
    leaves ``|x_i| ≤ bound``). Returns ``(points (N, keep, dim), diverged (N,))``, bit for bit
    the numbers of a Python loop over ``_iterate(family(p_i), seed, burn_in, 0, bound,
    backend="numba")`` and ``_iterate(family(p_i), final, keep − 1, 1, bound, backend="numba")``
    (the ``seeding="continuation"`` loop of :func:`toymodels.bifurcation_diagram`).

    Arguments are not validated here beyond shapes (the caller validates): ``params`` 1-D
    finite, ``state0`` one state of dimension ``family.dim``, ``burn_in`` ≥ 0, ``keep`` ≥ 1.
    ``family`` must be symbolic (``family.symbolic`` set; :func:`use_numba` tells).
    """
    if getattr(family, "symbolic", None) is None:
        raise ValueError(
            "backend='numba' needs a symbolic map family (Map.from_sympy, or gd_family of a "
            "Model.from_sympy)"
        )
    kern = _kernels(family.symbolic)
    ps = np.ascontiguousarray(np.asarray(params, dtype=np.float64).reshape(-1))
    dim = family.dim
    x0 = np.ascontiguousarray(np.asarray(state0, dtype=np.float64).reshape(dim))
    s0 = x0 if seed is None else np.ascontiguousarray(np.asarray(seed, np.float64).reshape(dim))
    keep = int(keep)
    points = np.empty((keep, ps.size, dim))
    div = np.zeros(ps.size, dtype=np.bool_)
    kern.get("chain")(ps, x0, s0, int(burn_in), keep, float(bound), points, div)
    return np.ascontiguousarray(np.moveaxis(points, 0, 1)), div
