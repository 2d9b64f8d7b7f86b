"""Private argument checks shared by the model families (``toymodels.models.*``).

Every helper raises ``ValueError`` / ``TypeError`` whose message starts with the parameter name
(DESIGN.md §3), and is meant to run before any long work (sympy builds, GD runs, solves). The
array helpers build on :mod:`toymodels._validate`; these add the scalar, boolean, option, seed and
symbolic-sequence checks the family constructors need.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

from .._validate import as_float_array, positive_int

#: largest number of parameters a family builds (names, θ, gradients); beyond it the model
#: would not fit in memory long before anything could run on it
MAX_PARAMS = 10_000_000
#: largest depth of a deep scalar / deep linear family (products over layers run in Python)
MAX_DEPTH = 1_000
#: largest single array a family helper allocates for the caller (data, records), in bytes
MAX_BYTES = 4 * 2**30

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_PARAMS",
    "array",
    "boolean",
    "budget",
    "count",
    "n_params",
    "option",
    "quiet",
    "real",
    "seed",
    "sequence",
    "step_size",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def quiet(fn: _F) -> _F:
    """Run ``fn`` under ``np.errstate(all="ignore")``: for the pure evaluations, whose inputs may
    be non-finite or huge θ (a diverged member; divergence is data), the answer is then NaN/inf
    and no floating-point RuntimeWarning escapes. Validation inside ``fn`` is unaffected."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def real(
    value: Any,
    name: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    nonzero: bool = False,
) -> float:
    """A finite real scalar (Python or numpy number, or a 0-d array); never a bool or a string."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got the boolean {value!r}")
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"{name} must be a real number, got the complex number {value!r}")
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise ValueError(f"{name} must be a scalar, got an array of shape {value.shape}")
        if value.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real number, got dtype {value.dtype}")
    elif not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    try:
        v = float(value)
    except OverflowError as exc:
        raise ValueError(f"{name} must be finite, got {value!r}") from exc
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {value!r}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if nonnegative and v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    if nonzero and v == 0:
        raise ValueError(f"{name} must be non-zero, got {value!r}")
    return v


def count(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer >= ``minimum`` (sizes, depths, widths, step counts); never a bool or 2.5."""
    v = positive_int(value, name, allow_zero=minimum <= 0)
    if v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v}")
    return v


def budget(n_values: int, name: str, what: str, *, limit: int = MAX_BYTES) -> None:
    """Refuse, before allocating, an array of ``n_values`` float64 over ``limit`` bytes."""
    need = int(n_values) * 8
    if need > limit:
        gib = f"{need / 2**30:.3g}" if need < 2**900 else "astronomically many"
        raise ValueError(
            f"{name} is too large: {what} would need {gib} GiB "
            f"(limit {limit / 2**30:.3g} GiB); reduce {name}"
        )


def n_params(p: int, name: str, formula: str) -> int:
    """Refuse a parameter count over :data:`MAX_PARAMS` (naming the size argument)."""
    if p > MAX_PARAMS:
        raise ValueError(f"{name} is too large: {formula} = {p} parameters (limit {MAX_PARAMS:_})")
    return p


def seed(value: Any, name: str = "seed") -> int:
    """A reproducible ``numpy.random.default_rng`` seed: an integer >= 0 (no None, no float)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a non-negative integer (results are seeded), got {value!r}"
        )
    v = int(value)
    if v < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {v}")
    return v


def boolean(value: Any, name: str) -> bool:
    """A real boolean (``True`` / ``False`` or numpy's): no truthy strings, numbers or None."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def option(value: Any, name: str, options: Iterable[str]) -> str:
    """One of the strings ``options``."""
    opts = tuple(options)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {opts} (a string), got {value!r}")
    if value not in opts:
        raise ValueError(f"{name} must be one of {opts}, got {value!r}")
    return value


def array(
    value: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    min_size: int = 0,
    nonnegative: bool = False,
    positive: bool = False,
    allow_nan: bool = False,
) -> np.ndarray:
    """A finite float array with the given number of dimensions (``ndim``) and size.

    Booleans (``True``, ``np.bool_``, boolean arrays and lists of booleans) are refused: a flag is
    no number (``np.asarray(True, float)`` would silently read it as 1.0).
    """
    _refuse_bool(value, name)
    arr = as_float_array(value, name, allow_nan=allow_nan)
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in dims:
            want = " or ".join(f"{d}-D" for d in dims)
            raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries, got shape {arr.shape}")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got min {np.min(arr)!r}")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got min {np.min(arr)!r}")
    return arr


def _refuse_bool(value: Any, name: str) -> None:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got the boolean {value!r}")
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
    elif isinstance(value, (list, tuple)):
        try:
            kind = np.asarray(value).dtype.kind
        except (TypeError, ValueError, OverflowError):
            return  # ragged or unconvertible: the float conversion reports it
    else:
        return
    if kind == "b":
        raise TypeError(f"{name} must hold real numbers, got booleans {value!r}")


def step_size(value: Any, name: str = "eta") -> np.ndarray:
    """A step size or a grid of step sizes: a finite scalar or a non-empty 1-D array, every entry
    > 0 (returned as a 0-d or 1-D float array); no booleans, no empty or 2-D grids."""
    arr = array(value, name, positive=True)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: give at least one step size, got shape {arr.shape}")
    return arr


def sequence(
    value: Any,
    name: str,
    *,
    length: int | None = None,
    min_length: int = 0,
    scalars: bool = False,
) -> list:
    """A list from a sequence; never a string, mapping, scalar or None.

    ``scalars``: every entry must be a sympy expression or a finite real number (numbers are
    returned as exact sympy Integers / Floats, see :func:`symbolic_scalar`).
    """
    import sympy as sp

    if isinstance(value, (str, bytes, dict, numbers.Number, np.generic)) or value is None:
        raise TypeError(f"{name} must be a sequence, got {value!r}")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        raise TypeError(f"{name} must be a sequence, got the scalar array {value!r}")
    if not isinstance(value, (Sequence, np.ndarray, sp.MatrixBase)):
        try:
            value = list(value)
        except TypeError as exc:
            raise TypeError(f"{name} must be a sequence, got {type(value).__name__}") from exc
    out = list(value)
    if length is not None and len(out) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(out)}")
    if len(out) < min_length:
        raise ValueError(f"{name} must have at least {min_length} entries, got {len(out)}")
    if scalars:
        out = [symbolic_scalar(v, f"{name}[{i}]") for i, v in enumerate(out)]
    return out


def symbolic_scalar(value: Any, name: str, *, positive: bool = False) -> Any:
    """A scalar for the sympy twins: a sympy expression (kept as is), an integer (exact
    ``sympy.Integer``) or a finite real (``sympy.Float``, so powers cannot overflow)."""
    import sympy as sp

    if isinstance(value, sp.Basic):
        if isinstance(value, sp.MatrixBase) or not isinstance(value, sp.Expr):
            raise TypeError(f"{name} must be a scalar expression, got {type(value).__name__}")
        bad_sign = positive and value.is_positive is False
        if value.is_number and (value.is_real is False or bad_sign):
            raise ValueError(f"{name} must be a {'positive' if positive else 'real'} number")
        return value
    v = real(value, name, positive=positive)
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    return sp.Float(v)
