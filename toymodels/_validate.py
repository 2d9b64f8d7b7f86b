"""Input validation shared by the public functions.

Every public entry point validates its arguments here and raises ``ValueError`` / ``TypeError``
whose message starts with the parameter name, so a user sees *which* argument was wrong.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def as_float_array(value: Any, name: str, *, allow_nan: bool = False) -> np.ndarray:
    """Convert ``value`` to a float64 array, refusing non-numeric and non-finite input."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numeric, got the string {value!r}")
    if value is None:
        raise TypeError(f"{name} must be numeric, got None")
    refuse_boolean(value, name)
    _refuse_non_real(value, name)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError as exc:
        raise ValueError(f"{name} must be finite (too large for float64), got {value!r}") from exc
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric (array-like of floats), got {value!r}") from exc
    if arr.dtype == object:  # pragma: no cover - asarray with dtype float never returns object
        raise TypeError(f"{name} must be numeric")
    if not allow_nan and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {value!r}")
    return arr


def refuse_boolean(value: Any, name: str) -> None:
    """A bool is never a number here (``np.asarray(True, float)`` would silently give 1.0).

    Refuses a Python or numpy boolean, a boolean array, and a list/tuple (or object array) that
    holds booleans: ``TypeError`` "<name> must be a real number, got the boolean True".
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got the boolean {bool(value)!r}")
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "b":
            raise TypeError(f"{name} must be a real number, got a boolean array {value!r}")
        if value.dtype.kind == "O" and any(isinstance(v, (bool, np.bool_)) for v in value.flat):
            raise TypeError(f"{name} must be a real number, got booleans in {value!r}")
        return
    if isinstance(value, (list, tuple)):
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError, OverflowError):
            return  # ragged or unconvertible: the float conversion reports it
        if raw.dtype.kind == "b" or (
            raw.dtype.kind == "O" and any(isinstance(v, (bool, np.bool_)) for v in raw.flat)
        ):
            raise TypeError(f"{name} must be a real number, got booleans in {value!r}")
        if raw.dtype.kind in "iuf" and raw.size <= 64 and _holds_bool(value):
            raise TypeError(f"{name} must be a real number, got booleans in {value!r}")


def _holds_bool(value: Any) -> bool:
    """A (small) nested list/tuple with a bool among numbers (``[True, 0.5]`` is float64)."""
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_bool(v) for v in value)
    return False


def _refuse_non_real(value: Any, name: str) -> None:
    """Refuse strings, complex numbers, dates and ``None`` hidden inside arrays or lists.

    ``np.asarray(..., dtype=float)`` would silently parse ``["0.1"]``, drop imaginary parts (with a
    ComplexWarning) or turn ``[None]`` into NaN.
    """
    if not isinstance(value, (np.ndarray, np.generic, list, tuple)):
        return
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        return  # ragged or otherwise unconvertible: the float conversion reports it
    kind = raw.dtype.kind
    if kind in "USV":
        raise TypeError(f"{name} must be numeric, got an array of strings {value!r}")
    if kind == "c":
        raise TypeError(f"{name} must be real, got complex values {value!r}")
    if kind in "mM":
        raise TypeError(f"{name} must be numeric, got dates/times {value!r}")
    if kind == "O" and any(v is None for v in raw.ravel()):
        raise TypeError(f"{name} must be numeric, got None entries in {value!r}")


def positive_scalar_or_vector(value: Any, name: str) -> np.ndarray:
    """A step size (or step-size grid): finite, > 0, at most 1-D, not empty."""
    arr = as_float_array(value, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): nothing to run")
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {arr.shape}")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got min {arr.min()!r}")
    return arr


def positive_int(value: Any, name: str, *, allow_zero: bool = False) -> int:
    """An integer count (steps, periods, ...)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    lo = 0 if allow_zero else 1
    if value < lo:
        raise ValueError(f"{name} must be >= {lo}, got {value}")
    return value


def real_float(value: Any, name: str) -> float:
    """A finite real scalar of any sign (thresholds): never a bool, string, complex or array.

    A Python int too large for float64 (``10**400``) is a ``ValueError`` naming ``name``.
    """
    refuse_boolean(value, name)
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, np.ndarray) and value.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {value.shape}")
    if not isinstance(value, (numbers.Real, np.ndarray)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except OverflowError as exc:
        raise ValueError(f"{name} must be finite (too large for float64), got {value!r}") from exc
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number, got {value!r}") from exc
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite positive float (tolerances, times)."""
    refuse_boolean(value, name)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except OverflowError as exc:
        raise ValueError(f"{name} must be finite, got {value!r}") from exc
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number, got {value!r}") from exc
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def state_array(value: Any, name: str, dim: int) -> np.ndarray:
    """A state vector of trailing size ``dim``: shape (..., dim); 1-D maps accept (...)."""
    arr = as_float_array(value, name)
    if arr.ndim == 0:
        if dim != 1:
            raise ValueError(f"{name} must have trailing dimension {dim}, got a scalar")
        return arr.reshape(1)
    if arr.shape[-1] != dim:
        if dim == 1:
            return arr[..., None]
        raise ValueError(f"{name} must have shape (..., {dim}), got shape {arr.shape}")
    return arr


def refuse_empty(arr: np.ndarray, name: str) -> None:
    """Runs and analyses refuse an empty batch or grid (pure evaluations return empty results):
    ``ValueError`` "<name> is empty (shape (0, 2)): nothing to run"."""
    if np.size(arr) == 0:
        raise ValueError(f"{name} is empty (shape {np.shape(arr)}): nothing to run")
