"""The pytest plugin: the ``claim`` marker and fixture, outcome rules, terminal table, reports.

A claim test::

    @pytest.mark.claim(paper="Chen, Bruna 2023", where="Thm 2.1",
                       statement="diverges iff a > 2", basis="paper")
    def test_divergence_threshold(claim):
        claim.check(predicted=2.0, measured=a_div, tol=1e-9)

A claim the project finds false on its toy::

    @pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason="...numbers...")
    @pytest.mark.claim(...)
    def test_refuted(claim):
        claim.check(predicted=2 / eta, measured=s_final, rtol=1e-2)   # raises: refuted

The plugin enforces the outcome rules of :mod:`toymodels.claims.report`: a passing test with a
disagreeing or non-finite record, a passing test without a record, a non-strict xfail, and an
xfail that failed for any reason other than its own ``claim.check`` disagreeing are turned
into *failures* of that test (so any ``error`` makes pytest exit non-zero), with a message that
says which rule was broken. Claims deselected by a marker or ``-k`` are listed as ``not_run``.

Options: ``--claims-report=PATH`` (JSON, or Markdown when PATH ends in ``.md``; may be given
more than once) and ``--no-claims-table`` (print only the summaries). pytest-xdist is not
supported (claims recorded in workers are not sent back to the controller).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

from .recording import BASES, ClaimDisagreement, ClaimRecorder, format_value
from .report import (
    OUTCOMES,
    Claim,
    _jsonable,
    format_summary,
    format_table,
    one_line,
    write_report,
)

__all__ = ["collected_claims"]

MARKER_LINE = (
    "claim(paper, where, statement, basis): a published statement made executable "
    "(see toymodels.claims)"
)

# Names under which the claims package may be registered as a pytest plugin: the entry point
# name and the module name (``-p toymodels.claims``). Registering one blocks the others.
_PLUGIN_ALIASES = ("toymodels_claims", "toymodels.claims")
_SESSION_PLUGIN_NAME = "toymodels-claims-session"
#: key of ``config.workeroutput`` under which a pytest-xdist worker sends its claims
_WORKER_KEY = "toymodels_claims"
#: the reason of a claim a worker collected but did not run (another worker ran it)
_UNRUN = "not run (the session stopped before this test)"


def _parse_marker(marker: Any) -> tuple[str, str, str, str, list[str]]:
    """(paper, where, statement, basis, problems) from a ``claim`` marker."""
    names = ("paper", "where", "statement", "basis")
    values: dict[str, Any] = {}
    problems: list[str] = []
    if len(marker.args) > len(names):
        problems.append(f"takes at most 4 positional arguments, got {len(marker.args)}")
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
    basis = values.get("basis")
    if isinstance(basis, str) and basis.strip() and basis not in BASES:
        problems.append(f"basis must be one of {BASES}, got {basis!r}")
    paper, where, statement, basis = (str(values.get(n) or "") for n in names)
    return paper, where, statement, basis, problems


def _crash_message(report: Any) -> str:
    longrepr = report.longrepr
    message = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    if message is None:
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            message = str(longrepr[2])
        else:
            message = str(longrepr) if longrepr is not None else report.outcome
    return one_line(message)


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = _crash_message(report)
    return one_line(reason.removeprefix("Skipped: "))


def _describe(record: dict[str, Any]) -> str:
    rel = record.get("relation", "==")
    text = (
        f"predicted {format_value(record['predicted'])}, measured "
        f"{format_value(record['measured'])}"
    )
    if rel != "==":
        text = f"measured {rel} predicted: " + text
    if record.get("tol") is not None:
        text += f", tol {format_value(record['tol'])}"
    if record.get("rtol") is not None:
        text += f", rtol {format_value(record['rtol'])}"
    if record.get("margin") is not None:
        text += f", margin {format_value(record['margin'], sig=4)}"
    return text


class _Tracker:
    """Per-test state: the recorder plus the outcome decided from the reports."""

    def __init__(self, nodeid: str, marker: Any) -> None:
        paper, where, statement, basis, problems = _parse_marker(marker)
        self.recorder = ClaimRecorder(nodeid, paper, where, statement, basis)
        self.problems = problems
        self.outcome: str | None = None
        self.reason = ""
        self.main: dict[str, Any] | None = None  # the record shown in the row

    def set(self, outcome: str, reason: str = "") -> None:
        # an error is final; otherwise the later phase decides
        if self.outcome == "error":
            return
        self.outcome, self.reason = outcome, reason

    def to_claim(self) -> Claim:
        rec = self.recorder
        outcome, reason = self.outcome, self.reason
        if outcome is None:
            outcome, reason = "not_run", _UNRUN
        main = self.main
        if main is None:
            main = rec.records[0] if rec.records else {}
        return Claim(
            id=rec.nodeid,
            paper=rec.paper,
            where=rec.where,
            statement=rec.statement,
            basis=rec.basis,
            predicted=main.get("predicted"),
            measured=main.get("measured"),
            tol=main.get("tol"),
            outcome=outcome,
            reason=one_line(reason),
            rtol=main.get("rtol"),
            relation=main.get("relation"),
            margin=main.get("margin"),
            notes=tuple(rec.notes),
            records=tuple(dict(r) for r in rec.records),
        )


def _applied_xfail(item: Any) -> tuple[bool, Any] | None:
    """``(strict, raises)`` of the xfail mark pytest applied to ``item``; None if none applied.

    With several xfail marks pytest applies the first whose condition holds, which need not be
    the closest one: read pytest's own evaluation (stored on the item) when it is available.
    """
    try:
        from _pytest.skipping import xfailed_key
    except ImportError:  # pragma: no cover - pytest moved its internals
        xfailed_key = None
    if xfailed_key is not None:
        missing = object()
        xfailed = item.stash.get(xfailed_key, missing)
        if xfailed is not missing:
            return None if xfailed is None else (bool(xfailed.strict), xfailed.raises)
    # fallback for a pytest without that stash key: the closest mark
    marker = item.get_closest_marker("xfail")
    if marker is None:
        return None
    strict = marker.kwargs.get("strict", item.config.getini("xfail_strict"))
    return bool(strict), marker.kwargs.get("raises")


def _xfail_problem(item: Any, excinfo: Any, recorder: ClaimRecorder) -> str:
    """Why an xfailed claim test is *not* a refutation ("" when it is one)."""
    applied = _applied_xfail(item)
    if applied is None:
        return "imperative pytest.xfail() is not a refutation; use a strict xfail marker"
    strict, raises = applied
    if not strict:
        return "the xfail marker must be strict=True"
    allowed = raises if isinstance(raises, tuple) else (raises,)
    if not allowed or any(r is not ClaimDisagreement for r in allowed):
        return "the xfail marker must say raises=ClaimDisagreement"
    exc = None if excinfo is None else excinfo.value
    if not isinstance(exc, ClaimDisagreement):
        name = "nothing" if exc is None else type(exc).__name__
        return f"it failed with {name}, not with a claim check that disagreed"
    if not any(exc.record is r for r in recorder.records):
        return "the ClaimDisagreement did not come from this test's claim fixture"
    return ""


def _turn_into_failure(report: Any, message: str) -> None:
    report.outcome = "failed"
    report.longrepr = message
    if hasattr(report, "wasxfail"):
        del report.wasxfail


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
            self.report_paths: list[Path] = []
            for option in config.getoption("claims_report", None) or ():
                path = Path(os.path.expanduser(option))
                if not path.is_absolute():
                    path = Path(config.invocation_params.dir) / path
                self.report_paths.append(path)
            self.show_table = not config.getoption("claims_no_table", False)
            self.from_workers: dict[str, Claim] | None = None

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
            if self.from_workers is not None:
                return list(self.from_workers.values())
            return [t.to_claim() for t in self.trackers]

        # -------------------------------------------------------------- pytest-xdist
        # Under ``pytest -n N`` the controller collects nothing and runs nothing: every worker
        # collects the whole suite (same order, same deselection) and judges the claims it
        # runs. At its end a worker sends all its claims through ``config.workeroutput``; the
        # controller merges them by id in collection order, taking each claim from the worker
        # that ran it (the others list it as not run), and prints / writes the one report.
        @property
        def is_worker(self) -> bool:
            return hasattr(self.config, "workerinput")

        @pytest.hookimpl(optionalhook=True)
        def pytest_testnodedown(self, node: Any, error: Any) -> None:
            payload = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
            if payload is None:
                return
            merged = self.from_workers if self.from_workers is not None else {}
            self.from_workers = merged
            for entry in json.loads(payload):
                claim = Claim.from_dict(entry)
                old = merged.get(claim.id)
                if old is None or (old.outcome == "not_run" and old.reason == _UNRUN):
                    merged[claim.id] = claim

        @pytest.hookimpl(tryfirst=True)
        def pytest_collection_modifyitems(self, items: list[Any]) -> None:
            # register every collected claim in collection order, before deselection
            for item in items:
                self.tracker(item)

        def pytest_deselected(self, items: list[Any]) -> None:
            for item in items:
                tracker = self.tracker(item)
                if tracker is not None:
                    tracker.set("not_run", "deselected (marker or -k expression)")

        @pytest.fixture(name="claim")
        def claim_fixture(self, request: Any) -> ClaimRecorder:
            """Record predicted vs measured values for a ``@pytest.mark.claim`` test.

            ``claim.check(predicted, measured, tol=None, *, rtol=None, relation="==",
            **extra)`` records and raises ``ClaimDisagreement`` when they disagree;
            ``claim.record(...)`` records only; ``claim.note(text)`` adds a note. See
            ``toymodels.claims``.
            """
            tracker = self.tracker(request.node)
            if tracker is None:
                pytest.fail(
                    f"the 'claim' fixture is only available in tests marked "
                    f"@pytest.mark.claim(paper=..., where=..., statement=..., basis=...); "
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
                    + " (expected claim(paper=..., where=..., statement=..., basis=...) with "
                    f"basis one of {BASES})",
                    pytrace=False,
                )

        @pytest.hookimpl(hookwrapper=True, tryfirst=True)
        def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
            tracker = self.tracker(item)
            if tracker is not None and call.when == "teardown":
                rec = tracker.recorder
                props = [("claim_paper", rec.paper), ("claim_where", rec.where)]
                props += [("claim_statement", rec.statement), ("claim_basis", rec.basis)]
                if rec.records:
                    props.append(("claim_predicted", format_value(rec.records[0]["predicted"])))
                    props.append(("claim_measured", format_value(rec.records[0]["measured"])))
                item.user_properties.extend(props)
            outcome = yield
            if tracker is not None:
                self._judge(item, call, outcome.get_result(), tracker)

        def _judge(self, item: Any, call: Any, rep: Any, tracker: _Tracker) -> None:
            rec = tracker.recorder
            wasxfail = getattr(rep, "wasxfail", None)
            when = rep.when
            if when == "teardown":
                if rep.failed:
                    tracker.set("error", f"teardown: {_crash_message(rep)}")
                return
            if rep.failed:
                prefix = "setup: " if when == "setup" else ""
                tracker.set("error", prefix + _crash_message(rep))
                return
            if rep.skipped:
                if wasxfail is None:
                    tracker.set("not_run", f"skipped: {_skip_reason(rep)}")
                    return
                if when == "setup":
                    if str(wasxfail).startswith("[NOTRUN]"):  # xfail(run=False)
                        msg = "xfail(run=False) never runs the claim check: not a refutation"
                    else:  # a fixture crashed (or called pytest.xfail) under an xfail mark
                        msg = (
                            f"setup failed under xfail ({_crash_message(rep)}): the claim "
                            "check never ran, not a refutation"
                        )
                    _turn_into_failure(rep, f"claim error: {msg}")
                    tracker.set("error", msg)
                    return
                problem = _xfail_problem(item, call.excinfo, rec)
                if problem:
                    msg = f"xfailed but not refuted: {problem}"
                    _turn_into_failure(rep, f"claim error: {msg}")
                    tracker.set("error", msg)
                    return
                exc = call.excinfo.value
                tracker.main = exc.record
                why = str(wasxfail) if wasxfail else "strict xfail"
                tracker.set("refuted", f"{why}; {_describe(exc.record)}")
                return
            if when != "call":
                return
            # the call passed
            problem = ""
            if wasxfail is not None:
                problem = "marked xfail but passed (a refuted claim must be a strict xfail)"
            elif not rec.records:
                problem = "the test passed without a claim.check / claim.record"
            else:
                for k, r in enumerate(rec.records):
                    if r.get("non_finite"):
                        problem = f"record {k} measured NaN / inf / None ({_describe(r)})"
                        break
                    if not r.get("agrees", False):
                        problem = f"record {k} disagrees in a passing test ({_describe(r)})"
                        break
            if problem:
                _turn_into_failure(rep, f"claim error: {problem}")
                tracker.set("error", problem)
            else:
                tracker.set("verified", "")

        def pytest_sessionfinish(self, session: Any) -> None:
            claims = self.claims()
            if self.is_worker:  # the controller writes the report and sets the exit status
                self.config.workeroutput[_WORKER_KEY] = json.dumps(
                    [_jsonable(c.to_dict()) for c in claims], allow_nan=False
                )
                return
            for path in self.report_paths:
                write_report(claims, path)
            if any(c.outcome == "error" for c in claims) and session.exitstatus == 0:
                session.exitstatus = 1

        def pytest_terminal_summary(self, terminalreporter: Any) -> None:
            claims = self.claims()
            if not claims and not self.report_paths:
                return
            tr = terminalreporter
            tr.write_sep("=", "claims")
            colors = {
                "verified": {"green": True},
                "refuted": {"yellow": True},
                "error": {"red": True},
                "not_run": {"cyan": True},
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
                tr.line("")
            for text in format_summary(claims):
                tr.line(text)
            counts = {o: sum(c.outcome == o for c in claims) for o in OUTCOMES}
            paper = sum(
                c.outcome == "verified" and c.basis in ("paper", "derived", "reconstruction")
                for c in claims
            )
            tr.line(
                f"claims: {len(claims)} total, "
                + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES)
                + f" ({paper} verified against a paper; empirical rows verify no paper)",
                bold=True,
            )
            for path in self.report_paths:
                tr.line(f"claims report written to {path}")

    return ClaimsSessionPlugin


def collected_claims(config: Any) -> list[Claim]:
    """The claims recorded so far in the pytest run of ``config`` (empty if the plugin is off)."""
    plugin = config.pluginmanager.get_plugin(_SESSION_PLUGIN_NAME)
    return [] if plugin is None else plugin.claims()


def _this_package() -> Any:
    return sys.modules[__name__.rsplit(".", 1)[0]]


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    """Once the package is registered under one name, block its other names.

    ``-p toymodels.claims`` together with the installed entry point ``toymodels_claims`` would
    otherwise register the same module twice, which pluggy refuses with a ValueError.
    """
    if plugin is not _this_package():
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
        action="append",
        default=None,
        help="write the claims report: JSON, or Markdown when PATH ends in .md (repeatable)",
    )
    group.addoption(
        "--no-claims-table",
        dest="claims_no_table",
        action="store_true",
        default=False,
        help="do not print the claims table (the summaries are still printed)",
    )


def pytest_configure(config: Any) -> None:
    """Register the ``claim`` marker and the per-session plugin (fixture and report hooks)."""
    if not any(str(line).startswith(("claim(", "claim:")) for line in config.getini("markers")):
        config.addinivalue_line("markers", MARKER_LINE)
    if config.pluginmanager.get_plugin(_SESSION_PLUGIN_NAME) is None:
        config.pluginmanager.register(_session_plugin_class()(config), _SESSION_PLUGIN_NAME)
