"""Claims: published statements about gradient descent made executable, as a pytest plugin.

A *claim* is one statement from a paper, checked by one test. The test carries a ``claim``
marker naming the source, and measures something through the ``claim`` fixture::

    import pytest

    @pytest.mark.claim(paper="Chen, Bruna 2023", where="Thm 2.1", statement="diverges iff a > 2")
    def test_divergence_threshold(claim):
        a_div = ...                                           # measure the threshold
        claim.record(predicted=2.0, measured=a_div, tol=1e-9)
        assert abs(a_div - 2.0) <= 1e-9                       # the test still asserts

    # or record and assert in one call (the AssertionError message shows the numbers):
    #     claim.check(predicted=2.0, measured=a_div, tol=1e-9)

At the end of the run pytest prints a ``claims`` section: one row per claim test (each
parametrization is its own row) with outcome, paper, where, statement, predicted and measured.
``pytest --claims-report=PATH.json`` also writes the table as JSON (see *Report format*).

Outcomes
--------
Each marked test gets exactly one outcome, read from the pytest result:

``verified``
    The test passed and recorded at least one measurement.
``refuted``
    The test is an expected failure (``@pytest.mark.xfail(reason=...)`` or ``pytest.xfail``):
    the statement does not hold in this model, and the recorded numbers say by how much.
    ``reason`` is the xfail reason followed by the main record.
``error``
    The test failed (including a failed ``claim.check``, a strict XPASS, an error in setup or
    teardown, or a malformed marker). ``reason`` is the one-line failure message.
``skipped``
    The test was skipped; ``reason`` is the skip reason.
``unrecorded``
    The test passed without calling ``claim.record`` / ``claim.check``. A claim test must
    measure something, so the summary prints a warning line for each of these.

An xfail-marked test that passes anyway (non-strict XPASS) is ``verified``; its ``reason``
says it was expected to fail.

Recording
---------
``claim.record`` may be called several times. The *first* record is the main one: it fills the
``predicted`` / ``measured`` / ``tol`` / ``rtol`` / ``extra`` fields and the table row (the
measured cell shows ``(+k)`` when there are ``k`` more). Every record is kept, in order, in the
``records`` list of the report. Values are stored as plain Python: numpy scalars and arrays
become floats / ints / bools / (nested) lists through ``.tolist()``; this module never imports
numpy. ``claim.note(text)`` adds a free-text note shown under the row and in the report.

Report format
-------------
``--claims-report=PATH`` writes strict JSON (non-finite floats are written as the strings
``"NaN"``, ``"Infinity"``, ``"-Infinity"`` and complex numbers as ``{"__complex__": [re, im]}``;
:func:`load_report` turns both back into numbers, so a recorded *string* ``"NaN"`` would come
back as a float)::

    {"format": "toymodels-claims/1",
     "claims": [{"id", "paper", "where", "statement", "predicted", "measured", "tol", "rtol",
                 "outcome", "reason", "extra", "notes", "records", "duration"}, ...],
     "summary": {"verified": n, "refuted": n, "error": n, "skipped": n, "unrecorded": n}}

Each entry of ``records`` is ``{"predicted", "measured", "tol", "rtol", "agrees", "extra"}``
where ``agrees`` says whether the record was within tolerance (``claim.check`` semantics).

Loading the plugin
------------------
Installed toymodels registers the plugin through the ``pytest11`` entry point
``toymodels_claims``, so any project that installs it gets the fixture, the marker and the
options. From a source checkout that is not installed, use ``pytest -p toymodels.claims``
(or ``pytest_plugins = ["toymodels.claims"]`` in the rootdir ``conftest.py``). Loading it both
ways at once is harmless: whichever registration comes first blocks the other name.

Options: ``--claims-report=PATH`` (write the JSON report), ``--no-claims-table`` (print only the
summary count line, not the table). pytest-xdist is not supported (claims recorded in workers
are not sent back to the controller).

This module itself imports only the standard library (pytest is imported lazily by the hooks);
importing it as ``toymodels.claims`` also runs ``toymodels/__init__.py``.
(PYTEST_DONT_REWRITE: this module builds its own assertion messages, and the marker keeps
pytest from warning that an already-imported plugin cannot be rewritten.)
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import os
import sys
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "OUTCOMES",
    "REPORT_FORMAT",
    "Claim",
    "ClaimRecorder",
    "collected_claims",
    "format_table",
    "format_value",
    "load_report",
    "summarize",
    "write_report",
]

#: The possible outcomes of a claim, in report order.
OUTCOMES: tuple[str, ...] = ("verified", "refuted", "error", "skipped", "unrecorded")

#: Value of the ``"format"`` key of a JSON claims report.
REPORT_FORMAT = "toymodels-claims/1"

MARKER_LINE = (
    "claim(paper, where, statement): a published statement made executable (see toymodels.claims)"
)

# Names under which this module may be registered as a pytest plugin: the entry point name and
# the module name (``-p toymodels.claims``). Registering one blocks the others.
_PLUGIN_ALIASES = ("toymodels_claims", "toymodels.claims")
_SESSION_PLUGIN_NAME = "toymodels-claims-session"

_TABLE_WIDTH = 160
_REASON_MAX = 2000
_MAX_DEPTH = 64


# --------------------------------------------------------------------------------------------
# Conversion to plain Python / JSON
# --------------------------------------------------------------------------------------------


def _to_plain(value: Any, name: str, *, strict: bool = True, _depth: int = 0) -> Any:
    """Convert ``value`` to plain Python: None, bool, int, float, complex, str, list, dict.

    numpy scalars and arrays (anything with a ``tolist`` method) go through ``.tolist()``;
    tuples, sets and other sequences become lists. With ``strict`` an unsupported object raises
    ``TypeError`` naming ``name``; otherwise it is stored as its ``repr``.
    """
    if _depth > _MAX_DEPTH:
        raise TypeError(f"{name} is nested too deeply (more than {_MAX_DEPTH} levels)")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, complex):
        return complex(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, (list, tuple, Mapping)):
        try:
            converted = tolist()
        except Exception as exc:  # a foreign tolist that fails
            if strict:
                raise TypeError(f"{name}: {type(value).__name__}.tolist() failed: {exc}") from exc
            return repr(value)
        if converted is value:  # pragma: no cover - defensive against odd tolist
            return repr(value)
        return _to_plain(converted, name, strict=strict, _depth=_depth + 1)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, numbers.Complex):
        return complex(value)
    if isinstance(value, Mapping):
        return {
            str(k): _to_plain(v, f"{name}[{k!r}]", strict=strict, _depth=_depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (Sequence, Set)) and not isinstance(value, (bytes, bytearray)):
        return [
            _to_plain(v, f"{name}[{i}]", strict=strict, _depth=_depth + 1)
            for i, v in enumerate(value)
        ]
    if hasattr(value, "__float__"):  # Decimal, sympy expressions without free symbols, ...
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    if strict:
        raise TypeError(
            f"{name} must be a number, bool, string, None, or a (nested) sequence / array of "
            f"those; got {type(value).__name__}: {value!r:.80}"
        )
    return repr(value)


def _as_tolerance(value: Any, name: str) -> float | None:
    """Validate an absolute or relative tolerance: None or a finite-or-inf number >= 0."""
    if value is None:
        return None
    if isinstance(value, (bool, str)):
        raise TypeError(f"{name} must be a non-negative number or None, got {value!r}")
    plain = _to_plain(value, name)
    if isinstance(plain, bool) or not isinstance(plain, (int, float)):
        raise TypeError(f"{name} must be a non-negative number or None, got {value!r}")
    plain = float(plain)
    if math.isnan(plain) or plain < 0:
        raise ValueError(f"{name} must be a non-negative number or None, got {value!r}")
    return plain


_NONFINITE_OUT = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_NONFINITE_IN = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _jsonable(value: Any) -> Any:
    """Plain Python → strict-JSON-compatible (non-finite floats and complex encoded)."""
    if isinstance(value, float) and not math.isfinite(value):
        return _NONFINITE_OUT[repr(value)]
    if isinstance(value, complex):
        return {"__complex__": [_jsonable(value.real), _jsonable(value.imag)]}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _unjson(value: Any) -> Any:
    """Inverse of :func:`_jsonable` for measured values."""
    if isinstance(value, str):
        return _NONFINITE_IN.get(value, value)
    if isinstance(value, list):
        return [_unjson(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__complex__"} and isinstance(value["__complex__"], list):
            re, im = (_unjson(v) for v in value["__complex__"])
            return complex(float(re), float(im))
        return {k: _unjson(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def format_value(value: Any, *, sig: int = 10, max_items: int = 4, quote: bool = False) -> str:
    """Format a recorded value compactly.

    Parameters
    ----------
    value
        A plain value as stored by :meth:`ClaimRecorder.record` (numbers, strings, bools, None,
        nested lists, dicts).
    sig
        Significant digits for floats (``format(x, f".{sig}g")``).
    max_items
        Sequences longer than this show their first ``max_items`` items, ``...`` and the length.
    quote
        Quote strings (``repr``) instead of showing them bare.

    Returns
    -------
    str
        ``"-"`` for None, otherwise a one-line rendering.
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        text = format(value, f".{sig}g")
        # keep floats recognisable as floats: 2.0 -> "2.0", not "2"
        return text if any(ch in text for ch in ".eni") else text + ".0"
    if isinstance(value, complex):
        return f"({value.real:.{sig}g}{value.imag:+.{sig}g}j)"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return repr(value) if quote else value
    if isinstance(value, Mapping):
        inner = ", ".join(
            f"{k}={format_value(v, sig=sig, max_items=max_items, quote=True)}"
            for k, v in list(value.items())[:max_items]
        )
        more = ", ..." if len(value) > max_items else ""
        return "{" + inner + more + "}"
    if isinstance(value, (list, tuple)):
        items = [
            format_value(v, sig=sig, max_items=max_items, quote=True) for v in value[:max_items]
        ]
        if len(value) > max_items:
            items.append(f"... (n={len(value)})")
        return "[" + ", ".join(items) + "]"
    return repr(value)


def _one_line(text: str, limit: int = _REASON_MAX) -> str:
    """Collapse whitespace and truncate to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Comparison (claim.check)
# --------------------------------------------------------------------------------------------


def _is_equality_leaf(x: Any) -> bool:
    return x is None or isinstance(x, (bool, str, Mapping))


def _leaves(p: Any, m: Any, index: tuple[int, ...] = ()) -> Iterable[tuple[tuple, Any, Any]]:
    """Pair up predicted / measured leaves; a scalar broadcasts against a sequence."""
    p_seq, m_seq = isinstance(p, list), isinstance(m, list)
    if p_seq and m_seq:
        if len(p) != len(m):
            raise _ShapeMismatch(index, len(p), len(m))
        for i, (pi, mi) in enumerate(zip(p, m, strict=True)):
            yield from _leaves(pi, mi, (*index, i))
    elif p_seq:
        for i, pi in enumerate(p):
            yield from _leaves(pi, m, (*index, i))
    elif m_seq:
        for i, mi in enumerate(m):
            yield from _leaves(p, mi, (*index, i))
    else:
        yield index, p, m


class _ShapeMismatch(Exception):
    def __init__(self, index: tuple[int, ...], n_pred: int, n_meas: int) -> None:
        super().__init__(index, n_pred, n_meas)
        self.index, self.n_pred, self.n_meas = index, n_pred, n_meas


@dataclass(frozen=True)
class _Comparison:
    ok: bool
    n: int  # number of compared leaves
    failures: list[tuple[tuple, Any, Any, float | None]]  # (index, p, m, diff)
    max_diff: float | None  # max |p - m| over numeric leaves (nan if any nan)
    equality_only: bool  # no numeric leaf: compared for equality
    shape: str = ""  # non-empty if the shapes do not match


def _compare(p: Any, m: Any, tol: float | None, rtol: float | None) -> _Comparison:
    """Elementwise ``|p - m| <= tol + rtol*|p|`` (equality for bool / str / None leaves).

    With ``tol`` and ``rtol`` both None, numbers must be equal. Equal values pass (so equal
    infinities do); NaN equals NaN only.
    """
    atol = 0.0 if tol is None else tol
    rt = 0.0 if rtol is None else rtol
    try:
        leaves = list(_leaves(p, m))
    except _ShapeMismatch as exc:
        where = "".join(f"[{i}]" for i in exc.index) or "top level"
        return _Comparison(
            False,
            0,
            [],
            None,
            False,
            f"length {exc.n_pred} (predicted) vs {exc.n_meas} (measured) at {where}",
        )
    failures: list[tuple[tuple, Any, Any, float | None]] = []
    diffs: list[float] = []
    for index, pv, mv in leaves:
        if _is_equality_leaf(pv) or _is_equality_leaf(mv):
            if pv != mv:
                failures.append((index, pv, mv, None))
            continue
        if not isinstance(pv, (int, float, complex)) or not isinstance(mv, (int, float, complex)):
            if pv != mv:  # pragma: no cover - plain values are always one of the above
                failures.append((index, pv, mv, None))
            continue
        p_nan = isinstance(pv, (float, complex)) and pv != pv
        m_nan = isinstance(mv, (float, complex)) and mv != mv
        if pv == mv or (p_nan and m_nan):
            diffs.append(0.0)
            continue
        diff = math.nan if (p_nan or m_nan) else abs(pv - mv)
        diffs.append(diff)
        # the relative term only for a finite prediction (|inf| would allow anything)
        try:
            finite_p = isinstance(pv, int) or math.isfinite(abs(pv))
            bound = atol + (rt * abs(pv) if rt and finite_p else 0.0)
            ok = diff <= bound  # False for a NaN diff
        except OverflowError:  # ints beyond float range with rtol: only equality passes
            ok = False
        if not ok:
            failures.append((index, pv, mv, diff))
    if diffs:
        max_diff = math.nan if any(d != d for d in diffs) else max(diffs)
    else:
        max_diff = None
    return _Comparison(not failures, len(leaves), failures, max_diff, not diffs)


def _index_str(index: tuple) -> str:
    return "".join(f"[{i}]" for i in index)


# --------------------------------------------------------------------------------------------
# Claim (a result) and the recorder (the fixture object)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """The result of one claim test, as shown in the table and written to the JSON report.

    Parameters
    ----------
    id
        The pytest node id, e.g. ``"tests/test_quadratic.py::test_threshold[eta0.5]"``.
    paper, where, statement
        From ``@pytest.mark.claim(paper=..., where=..., statement=...)``.
    predicted, measured, tol
        Of the main (first) record; None when nothing was recorded.
    outcome
        One of :data:`OUTCOMES`.
    reason
        Why the claim is refuted / errored / skipped (empty for a plain verified claim).
    extra
        The keyword arguments of the main record beyond predicted/measured/tol/rtol.
    duration
        Seconds spent in setup + call + teardown.
    rtol
        Relative tolerance of the main record (None if not given).
    notes
        Texts passed to :meth:`ClaimRecorder.note`.
    records
        Every record, in order, as dicts with keys ``predicted``, ``measured``, ``tol``,
        ``rtol``, ``agrees``, ``extra``.
    """

    id: str
    paper: str
    where: str
    statement: str
    predicted: Any = field(default=None, hash=False)
    measured: Any = field(default=None, hash=False)
    tol: float | None = None
    outcome: str = "unrecorded"
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    duration: float = 0.0
    rtol: float | None = None
    notes: tuple[str, ...] = ()
    records: tuple[dict[str, Any], ...] = field(default=(), hash=False)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")

    @property
    def param(self) -> str:
        """The parametrization id (``"eta0.5"`` for ``...::test_x[eta0.5]``), or ``""``."""
        name = self.id.rsplit("::", 1)[-1]
        if name.endswith("]") and "[" in name:
            return name[name.index("[") + 1 : -1]
        return ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict in report key order (non-finite floats are not yet encoded)."""
        return {
            "id": self.id,
            "paper": self.paper,
            "where": self.where,
            "statement": self.statement,
            "predicted": self.predicted,
            "measured": self.measured,
            "tol": self.tol,
            "rtol": self.rtol,
            "outcome": self.outcome,
            "reason": self.reason,
            "extra": dict(self.extra),
            "notes": list(self.notes),
            "records": [dict(r) for r in self.records],
            "duration": self.duration,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Claim:
        """Build a Claim from a report entry (as read by :func:`json.load`).

        Unknown keys are ignored; ``id``, ``paper``, ``where``, ``statement`` and ``outcome``
        are required.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a mapping, got {type(data).__name__}")
        missing = [k for k in ("id", "paper", "where", "statement", "outcome") if k not in data]
        if missing:
            raise ValueError(f"data is missing the key(s) {missing}")

        def tol_of(key: str) -> float | None:
            value = _unjson(data.get(key))
            return None if value is None else float(value)

        return cls(
            id=str(data["id"]),
            paper=str(data["paper"]),
            where=str(data["where"]),
            statement=str(data["statement"]),
            predicted=_unjson(data.get("predicted")),
            measured=_unjson(data.get("measured")),
            tol=tol_of("tol"),
            outcome=str(data["outcome"]),
            reason=str(data.get("reason") or ""),
            extra=dict(_unjson(data.get("extra") or {})),
            duration=float(data.get("duration") or 0.0),
            rtol=tol_of("rtol"),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            records=tuple(dict(_unjson(r)) for r in data.get("records") or ()),
        )


class ClaimRecorder:
    """The object behind the ``claim`` fixture: records what a claim test measured.

    Obtain it by requesting the ``claim`` fixture in a test marked with
    ``@pytest.mark.claim(paper=..., where=..., statement=...)``. It can also be constructed
    directly (e.g. to use :meth:`check` outside pytest).

    Attributes
    ----------
    nodeid, paper, where, statement : str
        The test and its marker.
    records : list of dict
        One dict per :meth:`record` / :meth:`check` call (keys ``predicted``, ``measured``,
        ``tol``, ``rtol``, ``agrees``, ``extra``); the first is the main record.
    notes : list of str
        Texts given to :meth:`note`.
    """

    def __init__(self, nodeid: str = "", paper: str = "", where: str = "", statement: str = ""):
        self.nodeid = nodeid
        self.paper = paper
        self.where = where
        self.statement = statement
        self.records: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def __repr__(self) -> str:
        return (
            f"ClaimRecorder({self.nodeid!r}, paper={self.paper!r}, where={self.where!r}, "
            f"records={len(self.records)})"
        )

    def _store(
        self,
        predicted: Any,
        measured: Any,
        tol: Any,
        rtol: Any,
        extra: dict[str, Any],
    ) -> tuple[dict[str, Any], _Comparison]:
        entry: dict[str, Any] = {
            "predicted": _to_plain(predicted, "predicted"),
            "measured": _to_plain(measured, "measured"),
            "tol": _as_tolerance(tol, "tol"),
            "rtol": _as_tolerance(rtol, "rtol"),
        }
        comparison = _compare(entry["predicted"], entry["measured"], entry["tol"], entry["rtol"])
        entry["agrees"] = comparison.ok
        entry["extra"] = {k: _to_plain(v, k, strict=False) for k, v in extra.items()}
        self.records.append(entry)
        return entry, comparison

    def record(
        self,
        predicted: Any,
        measured: Any,
        tol: Any = None,
        *,
        rtol: Any = None,
        **extra: Any,
    ) -> None:
        """Record a prediction and the measured value (does not assert).

        Parameters
        ----------
        predicted, measured
            Numbers, bools, strings, None, or (nested) sequences / numpy arrays of them; stored
            as plain Python (arrays through ``.tolist()``).
        tol
            Absolute tolerance (>= 0) the claim is checked to, or None.
        rtol
            Relative tolerance (>= 0), multiplied by ``|predicted|``, or None.
        **extra
            Further context (step size, seed, ...) kept in the report's ``extra``; values that
            are not plain are stored as their ``repr``.

        Raises
        ------
        TypeError
            If ``predicted`` / ``measured`` / ``tol`` / ``rtol`` cannot be stored.
        ValueError
            If ``tol`` or ``rtol`` is negative or NaN.

        Notes
        -----
        The first record of a test is its main record (the table row and the top-level
        ``predicted`` / ``measured`` / ``tol`` of the report); all records are kept in
        ``records``. Each record also stores ``agrees``, whether it is within tolerance by the
        rule of :meth:`check`.
        """
        self._store(predicted, measured, tol, rtol, extra)

    def check(
        self,
        predicted: Any,
        measured: Any,
        tol: Any = None,
        *,
        rtol: Any = None,
        **extra: Any,
    ) -> None:
        """Record, then assert ``|predicted - measured| <= tol + rtol*|predicted|``.

        Parameters are those of :meth:`record`. The comparison is elementwise for sequences (a
        scalar broadcasts against a sequence; sequence lengths must match). bool, str and None
        values are compared for equality (tolerances ignored). With ``tol`` and ``rtol`` both
        None numbers must be equal. Equal infinities agree; NaN agrees only with NaN.

        Raises
        ------
        AssertionError
            If any element is out of tolerance (or shapes differ); the message gives
            predicted, measured, the difference and the tolerance. The values are recorded
            before the assertion, so a refuted (xfail) claim still reports its numbers.
        """
        __tracebackhide__ = True
        entry, comparison = self._store(predicted, measured, tol, rtol, extra)
        if not comparison.ok:
            raise AssertionError(self._failure_message(entry, comparison))

    def note(self, text: str) -> None:
        """Attach a free-text note to the claim (shown under its row and in the report)."""
        self.notes.append(str(text))

    def _failure_message(self, entry: dict[str, Any], cmp: _Comparison) -> str:
        src = ", ".join(s for s in (self.paper, self.where) if s)
        head = f"claim check failed [{src}]" if src else "claim check failed"
        if self.statement:
            head += f": {self.statement}"
        fmt = functools.partial(format_value, max_items=8, quote=True)
        lines = [
            head,
            f"  predicted: {fmt(entry['predicted'])}",
            f"  measured:  {fmt(entry['measured'])}",
        ]
        if cmp.shape:
            lines.append(f"  shape:     mismatch, {cmp.shape}")
        elif cmp.equality_only:
            lines.append("  diff:      values differ (compared for equality)")
        else:
            lines.append(f"  diff:      {fmt(cmp.max_diff)} (max |predicted - measured|)")
        lines.append(
            f"  tol:       {fmt(entry['tol'])}  rtol: {fmt(entry['rtol'])}"
            "  (allowed: tol + rtol*|predicted|)"
        )
        if cmp.n > 1 and cmp.failures:
            index, pv, mv, diff = cmp.failures[0]
            d = "" if diff is None else f", diff {fmt(diff)}"
            lines.append(
                f"  failing:   {len(cmp.failures)} of {cmp.n} elements; first at "
                f"{_index_str(index)}: predicted {fmt(pv)}, measured {fmt(mv)}{d}"
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def summarize(claims: Iterable[Claim]) -> dict[str, int]:
    """Count claims per outcome: ``{"verified": n, "refuted": n, ..., "unrecorded": n}``."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for c in claims:
        counts[c.outcome] += 1
    return counts


def write_report(claims: Iterable[Claim], path: str | os.PathLike[str]) -> Path:
    """Write claims as a JSON report (the ``--claims-report`` format) and return the path.

    Parent directories are created. See the module docstring for the schema.
    """
    claims = list(claims)
    data = {
        "format": REPORT_FORMAT,
        "claims": [_jsonable(c.to_dict()) for c in claims],
        "summary": summarize(claims),
    }
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(
        json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    tmp.replace(out)
    return out


def load_report(path: str | os.PathLike[str]) -> list[Claim]:
    """Read a JSON claims report written by ``--claims-report`` (or :func:`write_report`).

    Parameters
    ----------
    path
        The report file.

    Returns
    -------
    list of Claim
        In report order, with non-finite floats and complex numbers decoded.

    Raises
    ------
    ValueError
        If the file is not a claims report.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"path {os.fspath(path)!r} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise ValueError(f"path {os.fspath(path)!r} is not a claims report (no 'claims' list)")
    claims = []
    for i, entry in enumerate(data["claims"]):
        try:
            claims.append(Claim.from_dict(entry))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"path {os.fspath(path)!r}: claims[{i}] is invalid: {exc}") from exc
    return claims


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(width - 3, 0)] + "..."


def format_table(claims: Sequence[Claim], width: int = _TABLE_WIDTH) -> list[str]:
    """Render claims as the text table printed in the ``claims`` terminal section.

    Parameters
    ----------
    claims
        The claims, one row each.
    width
        Target line width; the statement column takes what the other columns leave.

    Returns
    -------
    list of str
        Header, rule, then per claim its row followed by indented ``reason:`` / ``note:``
        lines. Numbers have 10 significant digits; long sequences are abbreviated.
    """
    headers = ("outcome", "paper", "where", "statement", "predicted", "measured")
    caps = (10, 22, 24, None, 26, 26)
    rows = []
    for c in claims:
        where = f"{c.where} [{c.param}]" if c.param else c.where
        if c.records:
            pred = format_value(c.predicted, max_items=2)
            meas = format_value(c.measured, max_items=2)
            if len(c.records) > 1:
                meas += f" (+{len(c.records) - 1})"
        else:
            pred = meas = "-"
        rows.append((c.outcome, c.paper, where, c.statement, pred, meas))
    widths = []
    for j, cap in enumerate(caps):
        natural = max([len(headers[j])] + [len(" ".join(r[j].split())) for r in rows])
        widths.append(natural if cap is None else min(cap, natural))
    sep = "  "
    others = sum(w for j, w in enumerate(widths) if j != 3) + len(sep) * (len(headers) - 1)
    widths[3] = max(16, min(widths[3], width - others))

    def line(cells: Sequence[str]) -> str:
        return sep.join(_fit(cell, w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(headers), "-" * min(width, sum(widths) + len(sep) * (len(headers) - 1))]
    for c, r in zip(claims, rows, strict=True):
        out.append(line(r))
        if c.reason:
            out.append("    " + _fit(f"reason: {c.reason}", width - 4).rstrip())
        out.extend("    " + _fit(f"note: {n}", width - 4).rstrip() for n in c.notes)
    return out


# --------------------------------------------------------------------------------------------
# pytest plugin
# --------------------------------------------------------------------------------------------


def _parse_marker(marker: Any) -> tuple[str, str, str, list[str]]:
    """(paper, where, statement, problems) from a ``claim`` marker."""
    names = ("paper", "where", "statement")
    values: dict[str, Any] = {}
    problems: list[str] = []
    if len(marker.args) > len(names):
        problems.append(f"takes at most 3 positional arguments, got {len(marker.args)}")
    for name, arg in zip(names, marker.args, strict=False):
        values[name] = arg
    for key, arg in marker.kwargs.items():
        if key not in names:
            problems.append(f"unexpected argument {key!r}")
        elif key in values:
            problems.append(f"{key} given twice")
        else:
            values[key] = arg
    for name in names:
        value = values.get(name)
        if value is None:
            problems.append(f"missing {name}")
        elif not isinstance(value, str):
            problems.append(f"{name} must be a string, got {type(value).__name__}")
        elif name != "where" and not value.strip():
            problems.append(f"{name} must not be empty")
    paper, where, statement = (str(values.get(n) or "") for n in names)
    return paper, where, statement, problems


def _crash_message(report: Any) -> str:
    longrepr = report.longrepr
    message = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    if message is None:
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            message = str(longrepr[2])
        else:
            message = str(longrepr) if longrepr is not None else report.outcome
    return _one_line(message)


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = _crash_message(report)
    return _one_line(reason.removeprefix("Skipped: "))


class _Tracker:
    """Per-test state: the recorder plus what the setup/call/teardown reports said."""

    def __init__(self, nodeid: str, marker: Any) -> None:
        paper, where, statement, problems = _parse_marker(marker)
        self.recorder = ClaimRecorder(nodeid, paper, where, statement)
        self.problems = problems
        self.outcome: str | None = None
        self.reason = ""
        self.xfail_reason: str | None = None
        self.duration = 0.0

    def observe(self, report: Any) -> None:
        self.duration += float(getattr(report, "duration", 0.0) or 0.0)
        wasxfail = getattr(report, "wasxfail", None)
        when = report.when
        if when == "teardown":
            if report.failed and self.outcome != "error":
                self.outcome, self.reason = "error", f"teardown: {_crash_message(report)}"
            return
        if report.passed:
            if when == "call":
                self.outcome = "verified"
                if wasxfail is not None:
                    why = f" ({wasxfail})" if wasxfail else ""
                    self.reason = f"XPASS: marked xfail{why} but passed"
        elif report.skipped:
            if wasxfail is not None:
                self.outcome, self.xfail_reason = "refuted", str(wasxfail)
            else:
                self.outcome, self.reason = "skipped", _skip_reason(report)
        else:
            prefix = "setup: " if when == "setup" else ""
            self.outcome, self.reason = "error", prefix + _crash_message(report)

    def to_claim(self) -> Claim:
        rec = self.recorder
        main = rec.records[0] if rec.records else {}
        outcome, reason = self.outcome, self.reason
        if outcome is None:
            outcome, reason = "error", "the test did not complete"
        elif outcome == "verified" and not rec.records:
            outcome = "unrecorded"
        elif outcome == "refuted":
            reason = self.xfail_reason or "marked xfail (no reason given)"
            if main:
                reason += (
                    f"; predicted {format_value(main['predicted'])}, measured "
                    f"{format_value(main['measured'])}"
                )
                if main["tol"] is not None:
                    reason += f", tol {format_value(main['tol'])}"
                if main["rtol"] is not None:
                    reason += f", rtol {format_value(main['rtol'])}"
                if len(rec.records) > 1:
                    reason += f" (+{len(rec.records) - 1} more records)"
        return Claim(
            id=rec.nodeid,
            paper=rec.paper,
            where=rec.where,
            statement=rec.statement,
            predicted=main.get("predicted"),
            measured=main.get("measured"),
            tol=main.get("tol"),
            outcome=outcome,
            reason=_one_line(reason),
            extra=dict(main.get("extra", {})),
            duration=self.duration,
            rtol=main.get("rtol"),
            notes=tuple(rec.notes),
            records=tuple(dict(r) for r in rec.records),
        )


@functools.cache
def _session_plugin_class() -> type:
    """Build the per-session plugin class (imports pytest; called from pytest_configure)."""
    import pytest

    tracker_key = pytest.StashKey[_Tracker]()

    class ClaimsSessionPlugin:
        """Collects claim results for one pytest run (registered by ``pytest_configure``)."""

        def __init__(self, config: Any) -> None:
            self.config = config
            self.trackers: list[_Tracker] = []
            self.report_path: Path | None = None
            option = config.getoption("claims_report", None)
            if option:
                path = Path(os.path.expanduser(option))
                if not path.is_absolute():
                    path = Path(config.invocation_params.dir) / path
                self.report_path = path
            self.show_table = not config.getoption("claims_no_table", False)

        def tracker(self, item: Any) -> _Tracker | None:
            tracker = item.stash.get(tracker_key, None)
            if tracker is None:
                marker = item.get_closest_marker("claim")
                if marker is None:
                    return None
                tracker = _Tracker(item.nodeid, marker)
                item.stash[tracker_key] = tracker
                self.trackers.append(tracker)
            return tracker

        def claims(self) -> list[Claim]:
            return [t.to_claim() for t in self.trackers]

        @pytest.fixture(name="claim")
        def claim_fixture(self, request: Any) -> ClaimRecorder:
            """Record predicted vs measured values for a ``@pytest.mark.claim`` test.

            ``claim.record(predicted, measured, tol=None, *, rtol=None, **extra)`` stores them,
            ``claim.check(...)`` stores and asserts, ``claim.note(text)`` adds a note. See
            ``toymodels.claims``.
            """
            tracker = self.tracker(request.node)
            if tracker is None:
                pytest.fail(
                    f"the 'claim' fixture is only available in tests marked "
                    f"@pytest.mark.claim(paper=..., where=..., statement=...); "
                    f"{request.node.nodeid} has no claim marker",
                    pytrace=False,
                )
            return tracker.recorder

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_setup(self, item: Any) -> None:
            tracker = self.tracker(item)
            if tracker is not None and tracker.problems:
                pytest.fail(
                    f"invalid @pytest.mark.claim on {item.nodeid}: "
                    + "; ".join(tracker.problems)
                    + " (expected claim(paper=..., where=..., statement=...))",
                    pytrace=False,
                )

        @pytest.hookimpl(hookwrapper=True, tryfirst=True)
        def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
            tracker = self.tracker(item)
            if tracker is not None and call.when == "teardown":
                # user_properties are copied into the report (and junitxml) by makereport
                rec = tracker.recorder
                props = [("claim_paper", rec.paper), ("claim_where", rec.where)]
                props.append(("claim_statement", rec.statement))
                if rec.records:
                    props.append(("claim_predicted", format_value(rec.records[0]["predicted"])))
                    props.append(("claim_measured", format_value(rec.records[0]["measured"])))
                item.user_properties.extend(props)
            outcome = yield
            if tracker is not None:
                tracker.observe(outcome.get_result())

        def pytest_sessionfinish(self, session: Any) -> None:
            if self.report_path is not None:
                write_report(self.claims(), self.report_path)

        def pytest_terminal_summary(self, terminalreporter: Any) -> None:
            claims = self.claims()
            if not claims and self.report_path is None:
                return
            tr = terminalreporter
            tr.write_sep("=", "claims")
            colors = {
                "verified": {"green": True},
                "refuted": {"yellow": True},
                "error": {"red": True},
                "skipped": {"yellow": True},
                "unrecorded": {"yellow": True},
            }
            if self.show_table and claims:
                ow = max(len("outcome"), *(len(c.outcome) for c in claims))
                for text in format_table(claims):
                    head = text[:ow]
                    if head.strip() in colors:
                        tr.write(head, **colors[head.strip()])
                        tr.line(text[ow:])
                    else:
                        tr.line(text)
            for c in claims:
                if c.outcome == "unrecorded":
                    tr.line(
                        "WARNING: claim test passed without claim.record()/claim.check() "
                        f"(outcome 'unrecorded'): {c.id}",
                        yellow=True,
                    )
            counts = summarize(claims)
            tr.line(
                f"claims: {len(claims)} total, " + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES),
                bold=True,
            )
            if self.report_path is not None:
                tr.line(f"claims report written to {self.report_path}")

    return ClaimsSessionPlugin


def collected_claims(config: Any) -> list[Claim]:
    """The claims recorded so far in the pytest run of ``config`` (empty if the plugin is off)."""
    plugin = config.pluginmanager.get_plugin(_SESSION_PLUGIN_NAME)
    return [] if plugin is None else plugin.claims()


# Module-level hooks: pytest finds these on the module registered as plugin.
_THIS_MODULE = sys.modules[__name__]


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    """Once this module is registered under one name, block its other names.

    ``-p toymodels.claims`` together with the installed entry point ``toymodels_claims`` would
    otherwise register the same module twice, which pluggy refuses with a ValueError.
    """
    if plugin is not _THIS_MODULE:
        return
    name = manager.get_name(plugin)
    for alias in _PLUGIN_ALIASES:
        if alias != name and manager.get_plugin(alias) is None and not manager.is_blocked(alias):
            try:
                manager.set_blocked(alias)
            except Exception:  # pragma: no cover - very old pluggy
                pass


def pytest_addoption(parser: Any) -> None:
    """Add ``--claims-report=PATH`` and ``--no-claims-table``."""
    group = parser.getgroup("toymodels-claims", "claims (toymodels)")
    group.addoption(
        "--claims-report",
        dest="claims_report",
        metavar="PATH",
        default=None,
        help="write the claims (paper, where, statement, predicted, measured, outcome) as JSON",
    )
    group.addoption(
        "--no-claims-table",
        dest="claims_no_table",
        action="store_true",
        default=False,
        help="do not print the claims table (the summary count line is still printed)",
    )


def pytest_configure(config: Any) -> None:
    """Register the ``claim`` marker and the per-session plugin (fixture and report hooks)."""
    if not any(str(line).startswith(("claim(", "claim:")) for line in config.getini("markers")):
        config.addinivalue_line("markers", MARKER_LINE)
    if config.pluginmanager.get_plugin(_SESSION_PLUGIN_NAME) is None:
        config.pluginmanager.register(_session_plugin_class()(config), _SESSION_PLUGIN_NAME)
