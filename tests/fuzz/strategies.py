"""Bad values by kind: a fixed catalogue (always tried) plus a hypothesis strategy (random extras).

Every value a :class:`Kind` produces is invalid for a parameter of that kind; a value that a
function may accept by design is still produced (so the report lists it) but carries a
:class:`Lenient` rule with the written reason. The strategies never produce a valid value: the
random parts are built from invalid pieces (non-finite or non-positive numbers, wrong types,
wrong shapes, non-smooth heads), never from free text that could parse into a valid input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

NAN, INF = math.nan, math.inf
HUGE_INT = 10**400  # too large for float64
HUGE_FINITE = 1e200  # finite, but squares overflow


class Opaque:
    """An arbitrary object of no numeric meaning."""

    def __repr__(self) -> str:
        return "<opaque object>"


OPAQUE = Opaque()
DATE = np.datetime64("2024-01-01")
DATES = np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]")


class BadFn:
    """A callable with a readable repr (what it does wrong), for callback parameters."""

    def __init__(self, fn: Callable[..., Any], label: str) -> None:
        self.fn = fn
        self.label = label

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<callable: {self.label}>"

    def __deepcopy__(self, memo: dict) -> BadFn:
        return self


@dataclass(frozen=True)
class Lenient:
    """Inputs a parameter accepts by design: ``match(value)`` is true for them; ``reason`` says
    why accepting them is right (it goes into the report and the issue's closing note)."""

    match: Callable[[Any], bool]
    reason: str
    label: str = ""

    def matches(self, value: Any) -> bool:
        try:
            return bool(self.match(value))
        except Exception:
            return False


@dataclass(frozen=True)
class Kind:
    """A family of bad values: ``catalogue`` (deterministic) and ``strategy`` (random)."""

    label: str
    catalogue: tuple[Any, ...]
    strategy: st.SearchStrategy
    lenient: tuple[Lenient, ...] = field(default=())

    def plus(self, *values: Any, lenient: Iterable[Lenient] = (), label: str = "") -> Kind:
        """This kind with more catalogue values (also drawn by the strategy)."""
        strat = self.strategy
        if values:
            strat = st.one_of(strat, st.sampled_from(values))
        return Kind(
            label or self.label,
            (*self.catalogue, *values),
            strat,
            (*self.lenient, *lenient),
        )


def kind(label: str, values: Sequence[Any], *extra: st.SearchStrategy, lenient=()) -> Kind:
    strat = st.sampled_from(list(values)) if values else st.nothing()
    if extra:
        strat = st.one_of(strat, *extra)
    return Kind(label, tuple(values), strat, tuple(lenient))


# ----------------------------------------------------------------------------- lenient rules
def _int_float(v: Any) -> bool:
    return (
        isinstance(v, (float, np.floating))
        and not isinstance(v, bool)
        and math.isfinite(v)
        and abs(v) < 2**53
        and float(v).is_integer()
    )


class IntAsFloat:
    """The valid call's own integer for this parameter, as a float (200 → 200.0): accepted by
    design, and the call stays as cheap as the valid one. Resolved by the runner."""

    def __init__(self, numpy: bool = False) -> None:
        self.numpy = numpy

    def resolve(self, valid: Any) -> Any:
        v = (
            float(valid)
            if isinstance(valid, (int, np.integer)) and not isinstance(valid, bool)
            else 3.0
        )
        return np.float64(v) if self.numpy else v

    def __repr__(self) -> str:
        return "<the valid int as np.float64>" if self.numpy else "<the valid int as float>"


INT_FLOAT = Lenient(
    lambda v: isinstance(v, IntAsFloat) or _int_float(v),
    "an integer-valued float (3.0) is accepted as that integer, as numpy/scipy counts and "
    "toymodels._validate.positive_int do; 2.5 is refused",
    "integer-valued float for an int",
)


def _object_floats(v: Any) -> bool:
    return (
        isinstance(v, np.ndarray)
        and v.dtype == object
        and v.size > 0
        and all(isinstance(x, (float, int)) and not isinstance(x, bool) for x in v.ravel())
        and bool(np.all(np.isfinite(v.astype(float))))
    )


OBJECT_FLOATS = Lenient(
    _object_floats,
    "an object array holding only finite Python floats/ints converts exactly to float64 "
    "(np.asarray(..., dtype=float)); object arrays holding strings, None or objects are refused",
    "object array of plain numbers",
)


def _non_finite_floats(v: Any) -> bool:
    if isinstance(v, (str, bytes)) or v is None:
        return False
    a = np.asarray(v)
    if a.dtype.kind != "f":
        return False
    return a.size > 0 and not bool(np.all(np.isfinite(a)))


NAN_THETA = Lenient(
    _non_finite_floats,
    "NaN/inf in a state or θ marks a diverged member of a batch (divergence is data, "
    "DESIGN.md §3): pure evaluations (L, ∇L, F, DF, spectra) return NaN/inf for it, not an "
    "error (but no warning may escape)",
    "non-finite θ in an evaluation",
)


def _empty_float(v: Any) -> bool:
    if isinstance(v, (str, bytes)) or v is None:
        return False
    a = np.asarray(v)
    return a.size == 0 and a.dtype.kind == "f" and (a.ndim >= 1)


EMPTY_BATCH = Lenient(
    _empty_float,
    "an empty batch of states/θ (shape (0, p)) gives an empty result in a pure evaluation, "
    "as numpy ufuncs do; analyses and runs (gd, iterate, period, ...) must refuse it",
    "empty batch in an evaluation",
)


def _huge_finite(v: Any) -> bool:
    a = np.asarray(v, dtype=float)
    return a.size > 0 and bool(np.all(np.isfinite(a))) and float(np.max(np.abs(a))) >= 1e150


HUGE_THETA = Lenient(
    _huge_finite,
    "a finite but huge θ is valid input; the answer may overflow to inf/NaN (or the run is "
    "marked diverged), but no warning may escape",
    "huge finite θ",
)

# ----------------------------------------------------------------------------- random pieces
nonfinite = st.sampled_from([NAN, INF, -INF, np.float64("nan"), np.float32("inf")])
complexes = st.complex_numbers(allow_nan=False, allow_infinity=False, max_magnitude=1e6).filter(
    lambda z: z.imag != 0
)
texts = st.text(max_size=6)
junk_scalar = st.one_of(
    texts,
    st.none(),
    st.booleans(),
    complexes,
    st.just(OPAQUE),
    st.just(HUGE_INT),
    st.just(DATE),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.binary(max_size=3),
)
non_positive = st.one_of(
    st.floats(max_value=0.0, allow_nan=False),
    st.integers(max_value=0),
)
negative = st.one_of(
    st.floats(max_value=-1e-300, allow_nan=False),
    st.integers(max_value=-1),
)
non_integer_float = st.floats(allow_nan=True, allow_infinity=True).filter(
    lambda f: not (math.isfinite(f) and f.is_integer())
)

# ----------------------------------------------------------------------------- scalar kinds
_SCALAR_JUNK = (
    "a",
    "1.0",
    b"1",
    None,
    True,
    False,
    1 + 2j,
    np.complex128(1 + 1j),
    OPAQUE,
    HUGE_INT,
    DATE,
    {},
)
_NONFINITE = (NAN, INF, -INF, np.float64("nan"))

#: a finite real scalar
REAL = kind(
    "real",
    (*_NONFINITE, *_SCALAR_JUNK, [1.0, 2.0], np.ones(2), np.array([])),
    nonfinite,
    junk_scalar,
    st.lists(st.floats(allow_nan=False), min_size=2, max_size=3),
)
#: a finite real > 0 (step sizes, tolerances, bounds, scales)
POSITIVE = REAL.plus(0, 0.0, -0.0, -1, -1.0, -1e-300, -5e15, -INF, label="positive")
POSITIVE = Kind(
    "positive", POSITIVE.catalogue, st.one_of(POSITIVE.strategy, non_positive), POSITIVE.lenient
)
#: a finite real ≥ 0
NONNEG = REAL.plus(-1, -1.0, -1e-300, -5e15, label="nonneg")
NONNEG = Kind("nonneg", NONNEG.catalogue, st.one_of(NONNEG.strategy, negative), NONNEG.lenient)


def count(minimum: int = 1) -> Kind:
    """An integer count ≥ ``minimum``."""
    below = sorted({minimum - 1, -1, -(10**6)})
    values = (
        *below,
        2.5,
        np.float64(2.5),
        NAN,
        INF,
        "3",
        None,
        True,
        False,
        1 + 0j,
        [2],
        np.array([2]),
        OPAQUE,
        IntAsFloat(),
        IntAsFloat(numpy=True),
    )
    return kind(
        f"count>={minimum}",
        values,
        st.integers(max_value=minimum - 1),
        non_integer_float,
        texts,
        st.none(),
        st.booleans(),
        complexes,
        lenient=(INT_FLOAT,),
    )


COUNT = count(1)
COUNT0 = count(0)
#: absurd sizes: a size/cost guard must refuse them up front (issue 10, items 2 and 3)
HUGE_COUNT = kind("huge count", (10**12, 10**18), st.integers(10**12, 10**18))

SEED = kind(
    "seed",
    (-1, -(2**63), 2.5, "0", None, True, NAN, [0], 1 + 0j, OPAQUE, np.float64(-1.0), IntAsFloat()),
    st.integers(max_value=-1),
    non_integer_float,
    texts,
    lenient=(INT_FLOAT,),
)

#: sgd seeds: an integer >= 0 or a non-empty 1-D sequence of them
SGD_SEED = kind(
    "seed",
    (-1, 2.5, "0", None, True, NAN, [[0]], [], [0, -1], [0.5], 1 + 0j, OPAQUE, IntAsFloat()),
    st.integers(max_value=-1),
    st.lists(st.integers(max_value=-1), min_size=1, max_size=2),
    lenient=(INT_FLOAT,),
)
FLAG = kind(
    "flag",
    ("no", "yes", "False", "", 1, 0, 2, None, 1.0, 0.5, [True], np.array([True, False]), OPAQUE),
    texts,
    st.integers(),
    st.floats(),
)


def option(*valid: str) -> Kind:
    """A name from ``valid``."""
    variants = {v.upper() for v in valid} | {v.lower() for v in valid} | {valid[0] + " "}
    values = [
        "bogus",
        "",
        None,
        3,
        [valid[0]],
        valid[0].encode(),
        OPAQUE,
        *sorted(variants - set(valid)),
    ]
    return kind(
        f"option{valid}", values, st.text(max_size=8).filter(lambda s: s not in valid), st.none()
    )


#: labels (names, citations): a str
LABEL = kind("label", (3, 1.5, ["a"], b"x", OPAQUE, True), st.integers(), st.floats())

NOT_CALLABLE = kind(
    "not callable",
    (None, 3, "f", [1], np.ones(2), OPAQUE),
    st.integers(),
    texts,
)

# ----------------------------------------------------------------------------- array kinds
_ARRAY_JUNK = (
    "a",
    None,
    True,
    OPAQUE,
    1 + 2j,
    ["0.1"],
    np.array(["0.1"]),
    np.array([1j]),
    np.array([0.1, None], dtype=object),
    np.array([0.1, "a"], dtype=object),
    DATES,
    [[1.0], [1.0, 2.0]],
    {"a": 1.0},
    HUGE_INT,
)


def _arrays_with_nonfinite(min_side: int = 1, trailing: int | None = None) -> st.SearchStrategy:
    shapes = hnp.array_shapes(min_dims=1, max_dims=2, min_side=min_side, max_side=3)
    if trailing is not None:
        shapes = st.one_of(
            st.just((trailing,)),
            st.integers(1, 3).map(lambda b: (b, trailing)),
        )
    return shapes.flatmap(
        lambda s: hnp.arrays(
            np.float64, s, elements=st.floats(allow_nan=True, allow_infinity=True)
        ).filter(lambda a: not np.all(np.isfinite(a)))
    )


#: a real array (any shape): non-numeric, non-finite, ragged, wrong dtype
ARRAY = kind(
    "array",
    (*_ARRAY_JUNK, NAN, [1.0, NAN], [INF, 1.0]),
    _arrays_with_nonfinite(),
    junk_scalar.filter(lambda v: not isinstance(v, bool) and v is not None),
)

#: a step size: a scalar or a 1-D grid, every entry finite and > 0
STEP = kind(
    "step size",
    (
        *[v for v in POSITIVE.catalogue if not isinstance(v, (list, np.ndarray))],
        np.array([]),
        [],
        [[0.1]],
        np.full((2, 2), 0.1),
        [0.1, -0.1],
        [0.1, 0.0],
        [0.1, NAN],
        [0.1, INF],
        *_ARRAY_JUNK,
        np.array([0.1, 0.2], dtype=object),
    ),
    st.floats(max_value=0.0),
    nonfinite,
    junk_scalar,
    st.lists(st.floats(max_value=0.0), min_size=1, max_size=3),
    _arrays_with_nonfinite(),
    hnp.arrays(np.float64, (1, 2), elements=st.floats(0.01, 1.0)),  # 2-D
    lenient=(OBJECT_FLOATS,),
)


def state(dim: int) -> Kind:
    """A state of a ``dim``-dimensional map: shape (..., dim); 1-D maps also take (...)."""
    wrong = [np.zeros(()), np.zeros(0), np.zeros((0, dim))]
    if dim > 1:
        wrong += [np.zeros(dim + 1), np.full(dim - 1, 0.1), np.full((2, dim + 1), 0.1), 0.5]
        wrong += [[[0.1] * dim, [0.2] * (dim - 1)]]
    else:
        wrong = [np.zeros(0), np.zeros((0, 1)), []]
    values = (
        *_ARRAY_JUNK,
        *wrong,
        [NAN] * dim,
        [INF] * dim,
        [0.1] * (dim - 1) + [-INF],
    )
    if dim > 1:
        bad_shape = hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).filter(
            lambda s: s[-1] != dim
        )
        shapes = bad_shape.map(lambda s: np.full(s, 0.1))
    else:
        shapes = st.just(np.zeros(0))
    return kind(
        f"state(dim={dim})",
        values,
        _arrays_with_nonfinite(trailing=dim),
        shapes,
        junk_scalar.filter(lambda v: v is not None),
    )


def theta(p: int, *, model: bool = False) -> Kind:
    """Parameters θ of a p-parameter model, shape (..., p). ``model``: evaluation of L, ∇L, ...
    (NaN and huge finite θ are lenient there: divergence is data)."""
    k = state(p)
    if p == 1:
        k = k.plus(np.zeros((3, 2)))
    if model:
        return evaluation(k.plus([HUGE_FINITE] * p, [-HUGE_FINITE] * p, label=f"theta(p={p})"))
    return k


def evaluation(k: Kind) -> Kind:
    """``k`` for a pure batched evaluation: non-finite, huge and empty batches are lenient."""
    return Kind(k.label, k.catalogue, k.strategy, (*k.lenient, NAN_THETA, HUGE_THETA, EMPTY_BATCH))


def with_huge(k: Kind) -> Kind:
    """``k`` plus a huge finite value (valid, lenient: exercises overflow warnings)."""
    return k.plus(HUGE_FINITE, [HUGE_FINITE], lenient=(HUGE_THETA,))


#: a (start, stop) range of two distinct finite reals
RANGE2 = kind(
    "range",
    (
        [],
        [3.0],
        [2.8, 3.0, 3.2],
        (NAN, 3.5),
        (2.8, INF),
        (3.0, 3.0),
        "ab",
        None,
        3.0,
        [[2.8, 3.5]],
        ("2.8", "3.5"),
        (2.8, 1 + 1j),
        (None, 3.5),
        OPAQUE,
        DATES,
    ),
    st.tuples(st.floats(2.8, 3.5), nonfinite),
    st.floats(2.8, 3.5).map(lambda v: (v, v)),
    st.lists(st.floats(2.8, 3.5), min_size=3, max_size=4),
    junk_scalar,
)

# ----------------------------------------------------------------------------- expressions
#: heads that are not differentiable (allowed only with allow_nonsmooth=True)
NONSMOOTH_HEADS = ("Abs", "sign", "floor", "ceiling", "Heaviside", "frac", "arg")
NONSMOOTH_2 = ("Min", "Max")
#: special functions sympy's numpy printer cannot compile (or compiles to complex/NameErrors)
UNCOMPILABLE = (
    "lowergamma({a}, {b})",
    "uppergamma({a}, {b})",
    "polylog(2, {a})*{b}",
    "hyper([1], [2], {a})*{b}",
    "meijerg([[1], []], [[], [0]], {a})*{b}",
    "LambertW({a}*{b})",
    "zeta({a})*{b}",
    "Sum({a}**k, (k, 0, n))*{b}",
    "Product({a} + k, (k, 1, n))*{b}",
    "Integral({a}*t, (t, 0, {b}))",
    "elliptic_k({a})*{b}",
    "DiracDelta({a})*{b}",
    "f({a})*{b}",
    "Derivative(g({a}), {a})*{b}",
)
GARBAGE_EXPRS = (
    "{a} +* {b}",
    ")(",
    "",
    "lambda",
    "{a} = {b}",
    "{a}.{b}",
    "{a}[0]*{b}",
    "{a} == {b}",
    "{a} < {b}",
    "[{a}, {b}]",
    "{a}, {b}",
    "{a} & {b}",
    "oo*{a} + {b}",
    "{a} + zoo*{b}",
    "nan*{a}*{b}",
    "I*{a}*{b}",
    "{a}/0 + {b}",
    "Matrix([{a}, {b}])",
    "{a}*{b} + undefined_symbol",
    "\x00",
)


def _linear(a: str, b: str) -> st.SearchStrategy:
    """Random affine combinations of a and b that no head can simplify away."""
    c = st.integers(1, 5)
    return st.builds(lambda i, j, k: f"{i}*{a} - {j}*{b} + {k}", c, c, st.integers(1, 9))


def expressions(a: str, b: str, *, nonsmooth: bool = True) -> Kind:
    """Bad expressions over the symbols ``a``, ``b`` (both must occur in a valid one)."""
    fmt = {"a": a, "b": b}
    values: list[Any] = []
    if nonsmooth:
        values += [f"{h}({a} - 2*{b} + 1)*{b} + {a}**2" for h in NONSMOOTH_HEADS]
        values += [f"{h}({a}, {b})**2 + {a}" for h in NONSMOOTH_2]
        values += [f"Piecewise(({a}, {a} > 0), ({b}, True))**2", f"Mod({a}, 1 + {b}**2)"]
    values += [t.format(**fmt) for t in UNCOMPILABLE]
    values += [t.format(**fmt) for t in GARBAGE_EXPRS]
    values += [None, 3, 1.5, NAN, [a, b], {a: 1}, OPAQUE, b"x"]
    heads = st.sampled_from(NONSMOOTH_HEADS)
    random_parts = [
        st.builds(lambda h, e: f"({h}({e}))*{b} + {a}**2", heads, _linear(a, b)),
        st.builds(
            lambda t, e: t.format(a=f"({e})", b=b), st.sampled_from(UNCOMPILABLE), _linear(a, b)
        ),
    ]
    if not nonsmooth:
        random_parts = random_parts[1:]
    return kind(f"expr({a}, {b})", values, *random_parts)


def names_seq(valid: Sequence[str]) -> Kind:
    """A sequence of distinct symbol names: exactly ``valid`` (in any order)."""
    a = valid[0]
    values = (
        (),
        [],
        (a, a, *valid[1:]),
        (*valid, "w_unknown"),
        (*valid[:-1], "1y"),
        None,
        3,
        [None, *valid[1:]],
        [1.5, *valid[1:]],
        ["", *valid],
        OPAQUE,
    )
    return kind(
        "names",
        values,
        st.lists(st.sampled_from(list(valid)), min_size=len(valid) + 1, max_size=len(valid) + 3),
        st.lists(st.integers(), min_size=1, max_size=3),
    )


#: values for free symbols a, b of an expression over the state/params (a dict of finite reals)
CONSTANTS = kind(
    "constants",
    (
        {"a": NAN},
        {"a": INF},
        {"a": "1"},
        {"a": None},
        {"a": [1, 2]},
        {"a": 1j},
        {"a": HUGE_INT},
        {"a": True},
        {"q_unknown": 2.0},
        [1.0],
        "a",
        3,
        OPAQUE,
    ),
    st.dictionaries(
        st.sampled_from(["a", "b", "zz"]), st.one_of(nonfinite, junk_scalar), min_size=1, max_size=2
    ),
)


def bad_fns(*fns: tuple[str, Callable[..., Any]]) -> Kind:
    """Non-callables plus callables that return the wrong thing (label, fn)."""
    return NOT_CALLABLE.plus(*[BadFn(fn, label) for label, fn in fns], label="callable")
