"""Run one fuzz case (one bad value for one parameter) and classify its outcome."""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import os
import re
import signal
import threading
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any

OUTCOMES = ("clear", "lenient", "unclear", "silent", "slow", "warned")
OK_OUTCOMES = ("clear", "lenient")
#: seconds a bad call may take before it counts as ``slow`` (it is interrupted then)
TIME_LIMIT = float(os.environ.get("FUZZ_TIME_LIMIT", "2.0"))

#: one- and two-letter parameter names that are also English words: named only in a naming context
_WORDS = {"a", "an", "as", "at", "be", "by", "if", "in", "is", "it", "no", "of", "on", "or", "to"}


class FuzzTimeout(BaseException):
    """Raised by the alarm; a BaseException so that ``except Exception`` in the library cannot
    swallow it."""


def names_param(message: str, names: tuple[str, ...]) -> bool:
    """Does ``message`` name one of ``names``? Case-sensitive, as a whole token (``eta`` is not
    named by ``theta``, ``steps`` not by ``lyapunov_steps``); names that are English words
    (``a``) count only at the start of the message, in backticks, after "parameter", or followed
    by ``=``/``:``/``must`` (a quoted ``'a'`` is usually the repr of a bad value)."""
    for name in names:
        esc = re.escape(name)
        if name in _WORDS:
            pat = (
                rf"^{esc}(?!\w)|`{esc}`|(?<![\w.'\"]){esc}\s*(=|:|\[| must| has| is not)"
                rf"|(parameter|argument) {esc}(?!\w)"
            )
        else:
            pat = rf"(?<![\w.]){esc}(?!\w)"
        if re.search(pat, message):
            return True
    return False


@dataclass
class Result:
    """One classified case (JSON-ready through :meth:`as_dict`)."""

    target: str
    source: str
    param: str
    value: str
    outcome: str
    detail: str
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return (
            f"{self.target} | {self.param}={self.value} | {self.outcome} | {self.detail}"
            f" ({self.seconds:.2f} s)"
        )


def short_repr(value: Any, limit: int = 90) -> str:
    try:
        r = repr(value)
    except Exception as exc:  # pragma: no cover - a repr that raises
        r = f"<unrepresentable {type(value).__name__}: {exc}>"
    r = " ".join(r.split())
    if len(r) > limit:
        r = r[: limit - 3] + "..."
    return r


def _fresh(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


class _Alarm:
    """Interrupt the case after ``seconds`` (SIGALRM; main thread only, else measure only)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.old: Any = None

    def _fire(self, signum: int, frame: Any) -> None:
        raise FuzzTimeout(f"interrupted after {self.seconds:g} s")

    def __enter__(self) -> _Alarm:
        if (
            hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and self.seconds > 0
        ):
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)


def _default(fn: Any, param: str) -> Any:
    try:
        d = inspect.signature(fn).parameters[param].default
    except (KeyError, TypeError, ValueError):
        return None
    return None if d is inspect.Parameter.empty else d


def call_guarded(fn: Any, kwargs: dict[str, Any], time_limit: float = TIME_LIMIT):
    """``fn(**kwargs)`` with warnings recorded and a time bound.

    Returns (returned value or None, exception or None, recorded warnings, seconds, timed_out).
    """
    t0 = time.perf_counter()
    exc: BaseException | None = None
    out: Any = None
    timed_out = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _Alarm(time_limit), contextlib.redirect_stderr(io.StringIO()):
                out = fn(**kwargs)
        except FuzzTimeout as e:
            exc, timed_out = e, True
        except Exception as e:
            exc = e
    dt = time.perf_counter() - t0
    return out, exc, list(caught), dt, timed_out or dt > time_limit


def run_case(target: Any, param: str, value: Any, time_limit: float = TIME_LIMIT) -> Result:
    """Replace ``param`` of the target's valid call by ``value`` and classify the outcome."""
    try:
        fn, kwargs = target.valid_call()
        resolved = target.resolve(value)
    except Exception as exc:  # a fixture that does not build (the library is mid-change)
        detail = f"the valid call could not be built: {type(exc).__name__}: {exc}"
        return Result(target.name, target.source, param, short_repr(value), "unclear", detail, 0.0)
    kwargs = dict(kwargs)
    if hasattr(resolved, "resolve") and callable(resolved.resolve):  # IntAsFloat
        resolved = resolved.resolve(kwargs.get(param, _default(fn, param)))
    kwargs[param] = resolved if resolved is not value else _fresh(value)
    spec = target.params[param]
    _, exc, caught, dt, slow = call_guarded(fn, kwargs, time_limit)
    shown = short_repr(value)

    def res(outcome: str, detail: str) -> Result:
        return Result(target.name, target.source, param, shown, outcome, detail, round(dt, 3))

    if slow:
        what = "interrupted" if isinstance(exc, FuzzTimeout) else "finished"
        return res("slow", f"{what} after {dt:.2f} s (bound {time_limit:g} s)")
    if caught:
        w = caught[0]
        tail = f"; then raised {type(exc).__name__}" if exc is not None else ""
        return res("warned", f"{w.category.__name__}: {str(w.message)[:200]}{tail}")
    if exc is None:
        for rule in spec.lenient:
            if rule.matches(value):
                return res("lenient", rule.reason)
        return res("silent", "returned without error")
    msg = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    if isinstance(exc, (ValueError, TypeError)) and names_param(str(exc), spec.names):
        return res("clear", msg)
    return res("unclear", msg)


def run_valid(target: Any, time_limit: float = TIME_LIMIT) -> Result:
    """The target's valid call itself: must return, fast and without warnings."""
    try:
        fn, kwargs = target.valid_call()
    except Exception as exc:
        detail = f"the valid call could not be built: {type(exc).__name__}: {exc}"
        return Result(target.name, target.source, "(valid call)", "", "unclear", detail, 0.0)
    _, exc, caught, dt, slow = call_guarded(fn, dict(kwargs), time_limit)
    if slow:
        outcome, detail = "slow", f"{dt:.2f} s"
    elif caught:
        outcome, detail = "warned", f"{caught[0].category.__name__}: {caught[0].message}"
    elif exc is not None:
        outcome, detail = "unclear", f"{type(exc).__name__}: {exc}"
    else:
        outcome, detail = "clear", "valid call returned"
    return Result(target.name, target.source, "(valid call)", "", outcome, detail, round(dt, 3))
