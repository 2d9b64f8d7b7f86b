"""Private helpers shared by the orbit-analysis modules (no public names).

Argument checks (maps, families and their parameters, states, flags, ``max_seconds``), the
time budget (:class:`_Budget`, :class:`_OutOfTime`) and the memory guard of the state windows
used by :mod:`toymodels.cycles`, :mod:`toymodels.bifurcations`, :mod:`toymodels.lyapunov` and
:mod:`toymodels.phases`. Every argument is validated before any iteration, with a
ValueError/TypeError naming the parameter.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validate import as_float_array, positive_float, refuse_empty
from .maps import Map, MapFamily, as_family


# ---------------------------------------------------------------------- validation, budgets
def _check_map(F: Any, name: str = "F") -> Map:
    if not isinstance(F, Map):
        raise TypeError(f"{name} must be a toymodels.Map, got {type(F).__name__}")
    if not (callable(F.fn) and callable(F.jac)):
        raise TypeError(f"{name} must have callable fn and jac (the map and its Jacobian)")
    if isinstance(F.dim, bool) or not isinstance(F.dim, int) or F.dim < 1:
        raise ValueError(f"{name}.dim must be an integer >= 1, got {F.dim!r}")
    return F


#: memory budget of the state windows kept by period detection (bytes)
WINDOW_BYTES = 2 * 2**30


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_max_seconds(value: Any) -> float | None:
    """``max_seconds``: None (no limit) or a finite number > 0."""
    if value is None:
        return None
    return positive_float(value, "max_seconds")


class _OutOfTime(Exception):
    """Internal: the ``max_seconds`` budget of an analysis ran out."""


class _Budget:
    """Wall-clock budget: ``check()`` raises :class:`_OutOfTime` once ``max_seconds`` passed."""

    def __init__(self, max_seconds: float | None) -> None:
        self.limit = max_seconds
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def check(self) -> None:
        if self.limit is not None and self.elapsed() > self.limit:
            raise _OutOfTime

    def refuse_estimate(self, estimate: float, what: str, fix: str) -> None:
        """Raise ValueError naming ``max_seconds`` if the estimated total exceeds the budget."""
        if self.limit is not None and estimate > self.limit:
            raise ValueError(
                f"max_seconds={self.limit:g} is too small for this call: {what} is estimated "
                f"at {estimate:.3g} s; {fix}, or raise max_seconds (None disables the check)"
            )


def _check_family(family: Any) -> MapFamily | Callable[[Any], Map]:
    """``family``: a MapFamily, a Model (GD in η) or a callable p ↦ Map."""
    if family is None:
        raise TypeError("family must be a MapFamily, a Model or a callable p -> Map, got None")
    try:
        fam = as_family(family)
    except TypeError as exc:
        msg = str(exc)
        raise TypeError(msg if "family" in msg else f"family: {msg}") from exc
    except Exception as exc:  # a broken Model / family object
        raise TypeError(f"family could not be used as a map family: {exc!r}") from exc
    if isinstance(fam, MapFamily) and not (callable(fam.fn) and callable(fam.jac)):
        raise TypeError("family must have callable fn and jac (the map and its Jacobian)")
    return fam


def _family_at(fam: Any, p: Any, name: str) -> Map:
    """``fam(p)`` with its failures reported against ``family`` (or ``name`` for bad values)."""
    try:
        F = fam(p)
    except (ValueError, TypeError):
        raise
    except Exception as exc:
        raise TypeError(
            f"family({name}={p!r}) raised {type(exc).__name__}: {exc} (family must map a "
            f"parameter value to a toymodels.Map)"
        ) from exc
    if not isinstance(F, Map):
        raise TypeError(f"family(p) must return a toymodels.Map, got {type(F).__name__}")
    if F.param is not None and np.ndim(F.param) != 0 and np.ndim(p) == 0:
        raise ValueError(
            f"family(p) must return a single map for a scalar p, got a parameter batch of shape "
            f"{np.shape(F.param)}"
        )
    return _check_map(F, "family(p)")


def _check_family_params(fam: Any, values: Any, name: str) -> np.ndarray:
    """Finite parameter values, checked against the family's own domain.

    A family that defines ``check_params(values, name)`` (the GD family refuses step sizes
    η ≤ 0) is asked first; a GD family without it gets the same rule here.
    """
    vals = as_float_array(values, name)
    check = getattr(fam, "check_params", None)
    if callable(check):
        vals = np.asarray(check(vals, name), dtype=float)
    elif getattr(fam, "model", None) is not None and getattr(fam, "param_name", "") == "eta":
        if np.any(vals <= 0):
            raise ValueError(
                f"{name}: the step size eta of a gradient-descent family must be > 0, "
                f"got min {float(np.min(vals))!r}"
            )
    return vals


def _window_guard(n_states: int, batch: int, dim: int, name: str) -> None:
    need = float(n_states) * batch * dim * 8
    if need > WINDOW_BYTES:
        raise ValueError(
            f"{name} is too large: the window of {n_states} states × {batch} members × {dim} "
            f"needs {need / 2**30:.3g} GiB (> {WINDOW_BYTES / 2**30:g} GiB); lower {name} or "
            f"split the batch"
        )


def _batch_shape(F: Map, x: np.ndarray) -> tuple[int, ...]:
    """Broadcast batch shape of states ``x`` (..., dim) and the map's parameter."""
    pshape = np.shape(F.param) if F.param is not None else ()
    try:
        return np.broadcast_shapes(x.shape[:-1], pshape)
    except ValueError as exc:
        raise ValueError(
            f"state0 batch {x.shape[:-1]} does not broadcast against the map parameter {pshape}"
        ) from exc


def _run_state(F: Map, x: Any, name: str) -> np.ndarray:
    """Starting states of an analysis, (..., dim): finite, and neither the batch of states nor
    the map's parameter batch empty (``Map.state`` itself, an evaluation, allows empty)."""
    z = F.state(x, name)
    refuse_empty(z, name)
    if F.param is not None and np.size(F.param) == 0:
        raise ValueError(
            f"F has an empty parameter batch (shape {np.shape(F.param)}): nothing to analyse"
        )
    return z


def _single_state(F: Map, x: Any, name: str) -> np.ndarray:
    """One state of ``F`` as a (dim,) vector; refuses batches."""
    z = F.state(x, name)
    if z.size != F.dim:
        raise ValueError(f"{name} must be one state of dimension {F.dim}, got shape {np.shape(x)}")
    return z.reshape(-1)


def _scalar_param(value: Any, name: str) -> float:
    arr = as_float_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got shape {arr.shape}")
    return float(arr)
