"""Recording and comparing: what a claim test measured against what the paper predicts.

:class:`ClaimRecorder` is the object behind the ``claim`` fixture. Each call to
:meth:`ClaimRecorder.check` (or :meth:`ClaimRecorder.record`) stores one *record*: predicted,
measured, tolerance, relation, signed margin, and whether they agree. A check that disagrees
raises :class:`ClaimDisagreement`; that exception, and only that one, makes a strict
``xfail(raises=ClaimDisagreement)`` a *refuted* claim.

Comparison rules
----------------
``relation="=="`` (two-sided)
    ``|predicted - measured| <= tol + rtol*|predicted|`` elementwise. Floats need an explicit
    ``tol`` or ``rtol`` (``tol=0`` asks for exact equality): a float compared without a stated
    tolerance is a test bug, so it raises ``ValueError``. ints, bools, strings are compared for
    equality. ``margin`` = allowed − |difference| (the smallest over elements; ≥ 0 iff agrees).
``relation="<="``
    ``measured <= predicted + tol`` elementwise; ``margin`` = predicted − measured (smallest).
``relation=">="``
    ``measured >= predicted - tol`` elementwise; ``margin`` = measured − predicted (smallest).

A measured value that is NaN, ±inf or None never agrees: the record is kept with
``agrees=False`` and ``non_finite=True`` and :meth:`check` raises :class:`ClaimMeasurementError`
(not a disagreement: nothing was measured, so nothing is refuted).

This module imports only the standard library.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BASES",
    "RELATIONS",
    "ClaimDisagreement",
    "ClaimMeasurementError",
    "ClaimRecorder",
    "format_value",
]

#: Where a prediction comes from (the ``basis`` of a claim marker).
#:
#: ``paper``: read in the paper (a theorem, equation or figure cited in ``where``);
#: ``derived``: derived by this project and checked exactly in ``proofs_check``;
#: ``reconstruction``: a setting rebuilt because the paper's could not be read;
#: ``empirical``: a number this project measured, kept as a regression check (never counts as
#: a verification of a paper).
BASES: tuple[str, ...] = ("paper", "derived", "reconstruction", "empirical")

#: The relations :meth:`ClaimRecorder.check` accepts.
RELATIONS: tuple[str, ...] = ("==", "<=", ">=")

_MAX_DEPTH = 64


class ClaimDisagreement(AssertionError):
    """A claim check whose measured value disagrees with the prediction.

    Raised by :meth:`ClaimRecorder.check`. A claim the project finds false on its toy model is
    kept as ``@pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason=...)``; the
    plugin reports it as *refuted* only when the test failed with this exception, raised by its
    own ``claim`` fixture. ``record`` is the stored record (predicted, measured, margin, ...).
    """

    def __init__(self, message: str, record: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.record: Mapping[str, Any] = record if record is not None else {}


class ClaimMeasurementError(AssertionError):
    """A claim check whose measured value is NaN, infinite or None: nothing was measured.

    Never a refutation: a strict xfail that fails with this exception is an *error*.
    """

    def __init__(self, message: str, record: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.record: Mapping[str, Any] = record if record is not None else {}


# --------------------------------------------------------------------------------------------
# Conversion to plain Python
# --------------------------------------------------------------------------------------------


def to_plain(value: Any, name: str, *, strict: bool = True, _depth: int = 0) -> Any:
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
        return to_plain(converted, name, strict=strict, _depth=_depth + 1)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, numbers.Complex):
        return complex(value)
    if isinstance(value, Mapping):
        return {
            str(k): to_plain(v, f"{name}[{k!r}]", strict=strict, _depth=_depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, Set):
        # sorted: a set's iteration order depends on string hashing (PYTHONHASHSEED), which
        # would make reports differ between runs and equal sets compare unequal elementwise
        items = [
            to_plain(v, f"{name}[{i}]", strict=strict, _depth=_depth + 1)
            for i, v in enumerate(value)
        ]
        try:
            return sorted(items)
        except TypeError:  # mixed types: a deterministic order all the same
            return sorted(items, key=lambda v: (type(v).__name__, repr(v)))
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [
            to_plain(v, f"{name}[{i}]", strict=strict, _depth=_depth + 1)
            for i, v in enumerate(value)
        ]
    if hasattr(value, "__float__"):  # Decimal, sympy numbers, ...
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
    """Validate an absolute or relative tolerance: None or a number >= 0 (inf allowed)."""
    if value is None:
        return None
    if isinstance(value, (bool, str)):
        raise TypeError(f"{name} must be a non-negative number or None, got {value!r}")
    plain = to_plain(value, name)
    if isinstance(plain, bool) or not isinstance(plain, (int, float)):
        raise TypeError(f"{name} must be a non-negative number or None, got {value!r}")
    plain = float(plain)
    if math.isnan(plain) or plain < 0:
        raise ValueError(f"{name} must be a non-negative number or None, got {value!r}")
    return plain


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


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------


class _ShapeMismatch(Exception):
    def __init__(self, index: tuple[int, ...], n_pred: int, n_meas: int) -> None:
        super().__init__(index, n_pred, n_meas)
        self.index, self.n_pred, self.n_meas = index, n_pred, n_meas


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


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, complex)) and not isinstance(x, bool)


def _is_finite_number(x: Any) -> bool:
    if isinstance(x, complex):
        return math.isfinite(x.real) and math.isfinite(x.imag)
    if isinstance(x, float):
        return math.isfinite(x)
    return True


def _has_non_finite(m: Any) -> bool:
    """True if a measured value is or contains None, NaN or an infinity."""
    if m is None:
        return True
    if isinstance(m, list):
        return len(m) == 0 or any(_has_non_finite(v) for v in m)
    if isinstance(m, Mapping):
        return any(_has_non_finite(v) for v in m.values())
    if _is_number(m):
        return not _is_finite_number(m)
    return False


def _has_float(x: Any) -> bool:
    if isinstance(x, list):
        return any(_has_float(v) for v in x)
    return isinstance(x, (float, complex))


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one record, elementwise."""

    ok: bool
    n: int  # number of compared leaves
    failures: list[tuple[tuple, Any, Any, float | None]]  # (index, p, m, diff or None)
    margin: float | None  # smallest signed margin over numeric leaves (None if none)
    max_diff: float | None  # max |p - m| over numeric leaves
    equality_only: bool  # no numeric leaf: compared for equality
    shape: str = ""  # non-empty if the shapes do not match


def compare(
    p: Any, m: Any, tol: float | None, rtol: float | None, relation: str = "=="
) -> Comparison:
    """Compare plain ``p`` (predicted) and ``m`` (measured) under ``relation``.

    See the module docstring for the rules. The signed margin is positive when the claim holds
    with room to spare and negative by how much it fails.
    """
    atol = 0.0 if tol is None else tol
    rt = 0.0 if rtol is None else rtol
    try:
        leaves = list(_leaves(p, m))
    except _ShapeMismatch as exc:
        where = "".join(f"[{i}]" for i in exc.index) or "top level"
        return Comparison(
            False,
            0,
            [],
            None,
            None,
            False,
            f"length {exc.n_pred} (predicted) vs {exc.n_meas} (measured) at {where}",
        )
    failures: list[tuple[tuple, Any, Any, float | None]] = []
    margins: list[float] = []
    diffs: list[float] = []
    for index, pv, mv in leaves:
        if not (_is_number(pv) and _is_number(mv)):
            if relation != "==":
                failures.append((index, pv, mv, None))  # only numbers can be ordered
            elif pv != mv:
                failures.append((index, pv, mv, None))
            continue
        if not (_is_finite_number(mv) and _is_finite_number(pv)):
            failures.append((index, pv, mv, math.nan))
            margins.append(math.nan)
            diffs.append(math.nan)
            continue
        if relation == "==":
            diff = abs(pv - mv)
            try:
                allowed = atol + rt * abs(pv)
            except OverflowError:  # pragma: no cover - huge ints with rtol
                allowed = math.inf
            diffs.append(float(diff))
            margin = float(allowed - diff) if math.isfinite(allowed) else math.inf
            ok = diff <= allowed
        else:
            if isinstance(pv, complex) or isinstance(mv, complex):
                failures.append((index, pv, mv, None))  # complex numbers are not ordered
                continue
            signed = (pv - mv) if relation == "<=" else (mv - pv)
            margin = float(signed)
            diffs.append(abs(float(signed)))
            ok = signed >= -atol
        margins.append(margin)
        if not ok:
            failures.append((index, pv, mv, diffs[-1]))
    margin_out = None
    if margins:
        margin_out = math.nan if any(x != x for x in margins) else min(margins)
    max_diff = None
    if diffs:
        max_diff = math.nan if any(d != d for d in diffs) else max(diffs)
    return Comparison(not failures, len(leaves), failures, margin_out, max_diff, not diffs)


def _index_str(index: tuple) -> str:
    return "".join(f"[{i}]" for i in index)


# --------------------------------------------------------------------------------------------
# The recorder (the fixture object)
# --------------------------------------------------------------------------------------------


class ClaimRecorder:
    """The object behind the ``claim`` fixture: records what a claim test measured.

    Obtain it by requesting the ``claim`` fixture in a test marked with
    ``@pytest.mark.claim(paper=..., where=..., statement=..., basis=...)``. It can also be
    constructed directly (e.g. to use :meth:`check` outside pytest).

    Attributes
    ----------
    nodeid, paper, where, statement, basis : str
        The test and its marker.
    records : list of dict
        One dict per :meth:`record` / :meth:`check` call (keys ``predicted``, ``measured``,
        ``tol``, ``rtol``, ``relation``, ``margin``, ``agrees``, ``extra``, and
        ``non_finite`` when the measured value is NaN / inf / None).
    notes : list of str
        Texts given to :meth:`note`.
    raised : BaseException or None
        The last :class:`ClaimDisagreement` / :class:`ClaimMeasurementError` raised by
        :meth:`check` (the plugin uses it to tell a refutation from a crash).
    """

    def __init__(
        self,
        nodeid: str = "",
        paper: str = "",
        where: str = "",
        statement: str = "",
        basis: str = "",
    ) -> None:
        self.nodeid = nodeid
        self.paper = paper
        self.where = where
        self.statement = statement
        self.basis = basis
        self.records: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.raised: BaseException | None = None

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
        relation: Any,
        extra: dict[str, Any],
    ) -> tuple[dict[str, Any], Comparison]:
        if relation not in RELATIONS:
            raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
        entry: dict[str, Any] = {
            "predicted": to_plain(predicted, "predicted"),
            "measured": to_plain(measured, "measured"),
            "tol": _as_tolerance(tol, "tol"),
            "rtol": _as_tolerance(rtol, "rtol"),
            "relation": relation,
        }
        if relation != "==" and entry["rtol"] is not None:
            raise ValueError(f"rtol applies to relation '==' only, got relation {relation!r}")
        if (
            relation == "=="
            and entry["tol"] is None
            and entry["rtol"] is None
            and (_has_float(entry["predicted"]) or _has_float(entry["measured"]))
        ):
            raise ValueError(
                "tol: a two-sided check of floats needs tol= or rtol= (tol=0 asks for exact "
                "equality); say what the tolerance is and why"
            )
        comparison = compare(
            entry["predicted"], entry["measured"], entry["tol"], entry["rtol"], relation
        )
        non_finite = _has_non_finite(entry["measured"])
        entry["margin"] = comparison.margin
        entry["agrees"] = comparison.ok and not non_finite
        if non_finite:
            entry["non_finite"] = True
        entry["extra"] = {k: to_plain(v, k, strict=False) for k, v in extra.items()}
        self.records.append(entry)
        return entry, comparison

    def record(
        self,
        predicted: Any,
        measured: Any,
        tol: Any = None,
        *,
        rtol: Any = None,
        relation: str = "==",
        **extra: Any,
    ) -> dict[str, Any]:
        """Record a prediction and the measured value without raising.

        A record that disagrees still makes the claim an *error* at the end of the test (a
        passing test may not carry a disagreeing record); use it to store several numbers
        before one decisive :meth:`check`, or in a loop that checks afterwards.

        Parameters
        ----------
        predicted, measured
            Numbers, bools, strings, or (nested) sequences / numpy arrays of them; stored as
            plain Python (arrays through ``.tolist()``). A measured NaN, inf or None never
            agrees.
        tol
            Absolute tolerance (>= 0). Required (or ``rtol``) for a two-sided check of floats.
        rtol
            Relative tolerance (>= 0), multiplied by ``|predicted|`` (``relation="=="`` only).
        relation
            ``"=="`` (two-sided, default), ``"<="`` (measured ≤ predicted + tol) or ``">="``
            (measured ≥ predicted − tol).
        **extra
            Context (step size, seed, ...) kept in the report; values that are not plain are
            stored as their ``repr``.

        Returns
        -------
        dict
            The stored record (``agrees``, ``margin``, ...).

        Raises
        ------
        TypeError
            If a value cannot be stored.
        ValueError
            For a negative / NaN tolerance, an unknown relation, ``rtol`` with a one-sided
            relation, or floats compared two-sided without a tolerance.
        """
        entry, _ = self._store(predicted, measured, tol, rtol, relation, extra)
        return entry

    def check(
        self,
        predicted: Any,
        measured: Any,
        tol: Any = None,
        *,
        rtol: Any = None,
        relation: str = "==",
        **extra: Any,
    ) -> dict[str, Any]:
        """Record, then raise unless the measurement agrees with the prediction.

        Parameters are those of :meth:`record`. The comparison is elementwise for sequences (a
        scalar broadcasts against a sequence; lengths must match).

        Returns
        -------
        dict
            The stored record.

        Raises
        ------
        ClaimDisagreement
            If an element is out of tolerance / violates the relation, or shapes differ; the
            message gives predicted, measured, the signed margin and the tolerance. The record
            is stored first, so a refuted (xfail) claim reports its numbers.
        ClaimMeasurementError
            If the measured value is NaN, infinite or None.
        """
        __tracebackhide__ = True
        entry, comparison = self._store(predicted, measured, tol, rtol, relation, extra)
        if entry.get("non_finite"):
            exc: AssertionError = ClaimMeasurementError(
                self._failure_message(entry, comparison, "measured value is NaN, inf or None"),
                entry,
            )
            self.raised = exc
            raise exc
        if not comparison.ok:
            exc = ClaimDisagreement(self._failure_message(entry, comparison), entry)
            self.raised = exc
            raise exc
        return entry

    def note(self, text: str) -> None:
        """Attach a free-text note to the claim (shown under its row and in the report)."""
        self.notes.append(str(text))

    def _failure_message(self, entry: dict[str, Any], cmp: Comparison, why: str = "") -> str:
        src = ", ".join(s for s in (self.paper, self.where) if s)
        head = f"claim check failed [{src}]" if src else "claim check failed"
        if self.statement:
            head += f": {self.statement}"
        fmt = functools.partial(format_value, max_items=8, quote=True)
        rel = entry["relation"]
        lines = [
            head,
            f"  predicted: {fmt(entry['predicted'])}",
            f"  measured:  {fmt(entry['measured'])}",
        ]
        if why:
            lines.append(f"  problem:   {why}")
        if cmp.shape:
            lines.append(f"  shape:     mismatch, {cmp.shape}")
        elif cmp.equality_only:
            lines.append("  diff:      values differ (compared for equality)")
        elif rel == "==":
            lines.append(f"  diff:      {fmt(cmp.max_diff)} (max |predicted - measured|)")
        if rel == "==":
            lines.append(
                f"  tol:       {fmt(entry['tol'])}  rtol: {fmt(entry['rtol'])}"
                "  (allowed: tol + rtol*|predicted|)"
            )
        else:
            lines.append(
                f"  relation:  measured {rel} predicted"
                + (f" (slack tol {fmt(entry['tol'])})" if entry["tol"] else "")
            )
        lines.append(f"  margin:    {fmt(cmp.margin)} (signed; negative = violated)")
        if cmp.n > 1 and cmp.failures:
            index, pv, mv, diff = cmp.failures[0]
            d = "" if diff is None else f", diff {fmt(diff)}"
            lines.append(
                f"  failing:   {len(cmp.failures)} of {cmp.n} elements; first at "
                f"{_index_str(index)}: predicted {fmt(pv)}, measured {fmt(mv)}{d}"
            )
        return "\n".join(lines)
