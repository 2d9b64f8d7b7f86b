"""The claims report: the :class:`Claim` result, the terminal table, JSON and Markdown files.

Outcomes (the plugin decides them, see :mod:`toymodels.claims.plugin`):

``verified``
    The test passed and every record agreed (two-sided within tolerance, or the one-sided
    relation held), with finite measured values.
``refuted``
    A strict ``xfail(raises=ClaimDisagreement)`` that failed because its own ``claim.check``
    disagreed; the row carries that check's predicted and measured numbers.
``error``
    Anything else: a crash, a NaN / inf measured, a disagreeing record in a passing test, a test
    with no record, a strict xfail that passed or failed for another reason, a bad marker.
``not_run``
    Deselected by a marker or ``-k`` (e.g. the ``slow`` set), or skipped; listed so the report
    shows the whole registry.

JSON (``--claims-report=PATH.json``)::

    {"format": "toymodels-claims/2",
     "claims": [{"id", "paper", "where", "statement", "basis", "predicted", "measured", "tol",
                 "rtol", "relation", "margin", "outcome", "reason", "notes",
                 "records": [{"predicted", "measured", "tol", "rtol", "relation", "margin",
                              "agrees", "extra"}, ...]}, ...],
     "summary": {"outcomes": {outcome: n}, "by_basis": {basis: {outcome: n}},
                 "by_paper": {paper: {basis: {outcome: n}}},
                 "paper_verifications": n}}

The report holds no timings, so two runs of one commit write identical files. Non-finite floats
are written as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` and complex numbers as
``{"__complex__": [re, im]}``; :func:`load_report` turns both back.

Markdown (``--claims-report=PATH.md``): a page grouped by paper with a summary table
(paper × basis × outcome), then each claim's statement, numbers, verdict and test node id.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .recording import BASES, format_value

__all__ = [
    "OUTCOMES",
    "REPORT_FORMAT",
    "Claim",
    "format_table",
    "load_report",
    "render_markdown",
    "summarize",
    "summarize_by_paper",
    "write_report",
]

#: The possible outcomes of a claim, in report order.
OUTCOMES: tuple[str, ...] = ("verified", "refuted", "error", "not_run")

#: Value of the ``"format"`` key of a JSON claims report.
REPORT_FORMAT = "toymodels-claims/2"

#: Bases whose verified claims count as verifications of a paper (``empirical`` never does).
PAPER_BASES: tuple[str, ...] = ("paper", "derived", "reconstruction")

_TABLE_WIDTH = 160
_REASON_MAX = 2000


def one_line(text: str, limit: int = _REASON_MAX) -> str:
    """Collapse whitespace and truncate to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


@dataclass(frozen=True)
class Claim:
    """The result of one claim test, as shown in the table and written to the report.

    Parameters
    ----------
    id
        The pytest node id, e.g. ``"tests/test_quadratic.py::test_threshold[eta0.5]"``.
    paper, where, statement, basis
        From ``@pytest.mark.claim(...)``; ``basis`` is one of :data:`~toymodels.claims.BASES`.
    predicted, measured, tol, rtol, relation, margin
        Of the row's main record: for a refuted claim the check that disagreed, otherwise the
        first record. None when nothing was recorded.
    outcome
        One of :data:`OUTCOMES`.
    reason
        Why the claim is refuted / an error / not run (empty for a verified claim).
    notes
        Texts passed to ``claim.note``.
    records
        Every record in the order the test made them (``predicted``, ``measured``, ``tol``,
        ``rtol``, ``relation``, ``margin``, ``agrees``, ``extra``).
    """

    id: str
    paper: str
    where: str
    statement: str
    basis: str = ""
    predicted: Any = field(default=None, hash=False)
    measured: Any = field(default=None, hash=False)
    tol: float | None = None
    outcome: str = "error"
    reason: str = ""
    rtol: float | None = None
    relation: str | None = None
    margin: float | None = None
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
            "basis": self.basis,
            "predicted": self.predicted,
            "measured": self.measured,
            "tol": self.tol,
            "rtol": self.rtol,
            "relation": self.relation,
            "margin": self.margin,
            "outcome": self.outcome,
            "reason": self.reason,
            "notes": list(self.notes),
            "records": [dict(r) for r in self.records],
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

        def num(key: str) -> float | None:
            value = _unjson(data.get(key))
            return None if value is None else float(value)

        return cls(
            id=str(data["id"]),
            paper=str(data["paper"]),
            where=str(data["where"]),
            statement=str(data["statement"]),
            basis=str(data.get("basis") or ""),
            predicted=_unjson(data.get("predicted")),
            measured=_unjson(data.get("measured")),
            tol=num("tol"),
            outcome=str(data["outcome"]),
            reason=str(data.get("reason") or ""),
            rtol=num("rtol"),
            relation=data.get("relation"),
            margin=num("margin"),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            records=tuple(dict(_unjson(r)) for r in data.get("records") or ()),
        )


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


def summarize(claims: Iterable[Claim]) -> dict[str, int]:
    """Count claims per outcome: ``{"verified": n, "refuted": n, "error": n, "not_run": n}``."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for c in claims:
        counts[c.outcome] += 1
    return counts


def summarize_by_paper(claims: Iterable[Claim]) -> dict[str, dict[str, dict[str, int]]]:
    """Counts by paper × basis × outcome, papers in first-seen order, bases in BASES order."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for c in claims:
        per_paper = out.setdefault(c.paper, {})
        per_basis = per_paper.setdefault(c.basis or "?", dict.fromkeys(OUTCOMES, 0))
        per_basis[c.outcome] += 1
    order = {b: i for i, b in enumerate(BASES)}
    return {
        paper: dict(sorted(bases.items(), key=lambda kv: order.get(kv[0], len(order))))
        for paper, bases in out.items()
    }


def _summary(claims: Sequence[Claim]) -> dict[str, Any]:
    by_basis: dict[str, dict[str, int]] = {}
    for b in (*BASES, "?"):
        sel = [c for c in claims if (c.basis or "?") == b]
        if sel:
            by_basis[b] = summarize(sel)
    return {
        "outcomes": summarize(claims),
        "by_basis": by_basis,
        "by_paper": summarize_by_paper(claims),
        "paper_verifications": sum(
            c.outcome == "verified" and c.basis in PAPER_BASES for c in claims
        ),
    }


# --------------------------------------------------------------------------------------------
# Terminal table
# --------------------------------------------------------------------------------------------


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(width - 3, 0)] + "..."


def _cells(c: Claim) -> tuple[str, str]:
    if not c.records:
        return "-", "-"
    pred = format_value(c.predicted, max_items=2)
    if c.relation in ("<=", ">="):
        pred = f"{c.relation} {pred}"
    meas = format_value(c.measured, max_items=2)
    if len(c.records) > 1:
        meas += f" (+{len(c.records) - 1})"
    return pred, meas


def format_table(claims: Sequence[Claim], width: int = _TABLE_WIDTH) -> list[str]:
    """Render claims as the text table printed in the ``claims`` terminal section.

    Returns the header, a rule, then per claim its row followed by indented ``reason:`` /
    ``note:`` lines. Numbers have 10 significant digits; long sequences are abbreviated. A
    one-sided prediction is shown with its relation (``<= 2.0``: the measured value must not
    exceed 2).
    """
    headers = ("outcome", "basis", "paper", "where", "statement", "predicted", "measured")
    caps = (8, 14, 22, 24, None, 26, 26)
    rows = []
    for c in claims:
        where = f"{c.where} [{c.param}]" if c.param else c.where
        pred, meas = _cells(c)
        rows.append((c.outcome, c.basis, c.paper, where, c.statement, pred, meas))
    stmt = headers.index("statement")
    widths = []
    for j, cap in enumerate(caps):
        natural = max([len(headers[j])] + [len(" ".join(r[j].split())) for r in rows])
        widths.append(natural if cap is None else min(cap, natural))
    sep = "  "
    others = sum(w for j, w in enumerate(widths) if j != stmt) + len(sep) * (len(headers) - 1)
    widths[stmt] = max(16, min(widths[stmt], width - others))

    def line(cells: Sequence[str]) -> str:
        return sep.join(_fit(cell, w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(headers), "-" * min(width, sum(widths) + len(sep) * (len(headers) - 1))]
    for c, r in zip(claims, rows, strict=True):
        out.append(line(r))
        if c.reason:
            out.append("    " + _fit(f"reason: {c.reason}", width - 4).rstrip())
        out.extend("    " + _fit(f"note: {n}", width - 4).rstrip() for n in c.notes)
    return out


def format_summary(claims: Sequence[Claim]) -> list[str]:
    """The paper × basis × outcome summary as text lines (printed after the table)."""
    by_paper = summarize_by_paper(claims)
    if not by_paper:
        return []
    pw = min(48, max(len("paper"), *(len(p) for p in by_paper)))
    head = f"{'paper':<{pw}}  {'basis':<14}" + "".join(f"{o:>10}" for o in OUTCOMES)
    lines = [head, "-" * len(head)]
    for paper, bases in by_paper.items():
        for i, (basis, counts) in enumerate(bases.items()):
            name = _fit(paper, pw) if i == 0 else " " * pw
            lines.append(f"{name}  {basis:<14}" + "".join(f"{counts[o]:>10}" for o in OUTCOMES))
    return lines


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def _md(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(claims: Sequence[Claim]) -> str:
    """The claims as a Markdown page: summary (paper × basis × outcome), then one section a
    paper with each claim's statement, numbers, verdict and test node id."""
    counts = summarize(claims)
    verif = sum(c.outcome == "verified" and c.basis in PAPER_BASES for c in claims)
    emp = sum(c.outcome == "verified" and c.basis == "empirical" for c in claims)
    lines = [
        "# Claims report",
        "",
        f"{len(claims)} claims: " + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES) + ".",
        f"Verifications of papers (basis paper / derived / reconstruction): {verif}; "
        f"empirical regression checks (verify no paper): {emp}.",
        "",
        "## Summary",
        "",
        "| paper | basis | " + " | ".join(OUTCOMES) + " |",
        "|---|---|" + "---:|" * len(OUTCOMES),
    ]
    by_paper = summarize_by_paper(claims)
    for paper, bases in by_paper.items():
        for basis, cnt in bases.items():
            lines.append(
                f"| {_md(paper)} | {basis} | " + " | ".join(str(cnt[o]) for o in OUTCOMES) + " |"
            )
    for paper in by_paper:
        lines += ["", f"## {_md(paper)}", ""]
        lines.append("| outcome | basis | where | statement | predicted | measured | test |")
        lines.append("|---|---|---|---|---|---|---|")
        for c in claims:
            if c.paper != paper:
                continue
            pred, meas = _cells(c)
            test = f"`{c.id}`"
            stmt = _md(c.statement)
            extra = [f"reason: {c.reason}"] if c.reason else []
            extra += [f"note: {n}" for n in c.notes]
            if extra:
                stmt += "<br>" + "<br>".join(_md(e) for e in extra)
            lines.append(
                f"| **{c.outcome}** | {c.basis} | {_md(c.where)} | {stmt} | {_md(pred)} | "
                f"{_md(meas)} | {test} |"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def write_report(claims: Iterable[Claim], path: str | os.PathLike[str]) -> Path:
    """Write claims as a report and return the path: Markdown if ``path`` ends in ``.md``,
    JSON otherwise (the ``--claims-report`` formats). Parent directories are created."""
    claims = list(claims)
    out = Path(path)
    if out.suffix.lower() in (".md", ".markdown"):
        text = render_markdown(claims)
    else:
        data = {
            "format": REPORT_FORMAT,
            "claims": [_jsonable(c.to_dict()) for c in claims],
            "summary": _summary(claims),
        }
        text = json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


def load_report(path: str | os.PathLike[str]) -> list[Claim]:
    """Read a JSON claims report written by ``--claims-report`` (or :func:`write_report`).

    Raises
    ------
    ValueError
        If the file is not a JSON claims report.
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
