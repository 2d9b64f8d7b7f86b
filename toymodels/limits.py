"""Resource limits: the memory budget checked before a run allocates its records.

:func:`~toymodels.gd`, :func:`~toymodels.sgd`, :func:`~toymodels.iterate`,
:func:`~toymodels.gradient_flow` and :func:`~toymodels.locate_transition` estimate, before any
large allocation, the bytes the call will hold at its peak (the recorded states and losses, the
per-step working arrays, the sampled index blocks) and raise a ``ValueError`` naming the
parameters to change when the estimate exceeds the budget.

The budget
----------
``MEMORY_BUDGET`` (bytes, an ``int``; ``None`` disables the check). The default is 4 GiB, or the
value of the environment variable ``TOYMODELS_MEMORY_BUDGET`` when it is set at import: a number
of bytes with an optional unit (``"8GiB"``, ``"512 MiB"``, ``"2GB"``, ``"1.5e9"``; ``K/M/G/T``
and ``KiB/MiB/GiB/TiB`` are powers of 1024, ``KB/MB/GB/TB`` powers of 1000), or ``"none"`` /
``"inf"`` for no limit. Change it for the whole process with :func:`set_memory_budget` (or by
assigning ``toymodels.limits.MEMORY_BUDGET``), or for a block of code with the context manager
:func:`memory_budget`::

    with tm.limits.memory_budget("16GiB"):
        tr = tm.gd(model, theta0, eta, 10**7)

The setting is process-wide (threads share it).
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "MEMORY_BUDGET",
    "get_memory_budget",
    "memory_budget",
    "set_memory_budget",
]

#: 4 GiB
DEFAULT_MEMORY_BUDGET = 4 * 1024**3

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kib": 1024,
    "kb": 1000,
    "m": 1024**2,
    "mib": 1024**2,
    "mb": 1000**2,
    "g": 1024**3,
    "gib": 1024**3,
    "gb": 1000**3,
    "t": 1024**4,
    "tib": 1024**4,
    "tb": 1000**4,
}


def _parse(value: Any, name: str) -> int | None:
    """A budget in bytes (``None`` = unlimited) from an int, a float or a string with a unit."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number of bytes (or None for no limit), got {value!r}")
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("none", "inf", "infinity", "unlimited"):
            return None
        match = re.fullmatch(r"([0-9.eE+]+)\s*([a-z]*)", text)
        if match is None or match.group(2) not in _UNITS:
            raise ValueError(
                f"{name} must be a number of bytes with an optional unit (e.g. '8GiB', "
                f"'512MB', '2e9') or 'none', got {value!r}"
            )
        try:
            number = float(match.group(1))
        except ValueError:
            raise ValueError(f"{name} must be a number of bytes, got {value!r}") from None
        value = number * _UNITS[match.group(2)]
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of bytes (or None for no limit), got {value!r}")
    v = float(value)
    if math.isinf(v) and v > 0:
        return None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be > 0 bytes (or None for no limit), got {value!r}")
    return int(v)


def _from_env() -> int | None:
    raw = os.environ.get("TOYMODELS_MEMORY_BUDGET")
    if raw is None or raw.strip() == "":
        return DEFAULT_MEMORY_BUDGET
    return _parse(raw, "the environment variable TOYMODELS_MEMORY_BUDGET")


#: the budget in bytes (None: no limit); read by every size check at call time
MEMORY_BUDGET: int | None = _from_env()


def get_memory_budget() -> int | None:
    """The current memory budget in bytes (``None``: no limit)."""
    return MEMORY_BUDGET


def set_memory_budget(nbytes: Any) -> int | None:
    """Set the process-wide budget (bytes, a string such as ``"8GiB"``, or ``None`` for no
    limit); returns the previous value."""
    global MEMORY_BUDGET
    new = _parse(nbytes, "nbytes")
    old, MEMORY_BUDGET = MEMORY_BUDGET, new
    return old


@contextmanager
def memory_budget(nbytes: Any) -> Iterator[int | None]:
    """Use budget ``nbytes`` inside a ``with`` block, restoring the previous one afterwards."""
    old = set_memory_budget(nbytes)
    try:
        yield MEMORY_BUDGET
    finally:
        set_memory_budget(old)


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, e.g. ``'149.0 GiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover - loop always returns


def check_memory(what: str, parts: Sequence[tuple[str, float]], fix: str) -> None:
    """Raise ``ValueError`` when the estimated bytes (the sum of ``parts``) exceed the budget.

    ``what`` starts the message and names the offending parameters (e.g. ``"steps=10000000 with
    record_every=1"``); ``parts`` lists (description, bytes); ``fix`` says what to change.
    """
    budget = MEMORY_BUDGET
    if budget is None:
        return
    total = float(sum(b for _, b in parts))
    if total <= budget:
        return
    detail = ", ".join(f"{label} {format_bytes(b)}" for label, b in parts if b > 0)
    raise ValueError(
        f"{what} needs about {format_bytes(total)} ({total:.3g} bytes: {detail}), over the "
        f"memory budget of {format_bytes(budget)} (toymodels.limits.MEMORY_BUDGET, env "
        f"TOYMODELS_MEMORY_BUDGET). {fix} Or raise the budget: "
        f"`with toymodels.limits.memory_budget('{math.ceil(total / 1024**3)}GiB'): ...`."
    )
