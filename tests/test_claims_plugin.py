"""End-to-end tests of the claims pytest plugin (toymodels.claims.plugin).

Each test writes a small test module, runs pytest on it in-process with ``-p toymodels.claims``
(``pytester``, enabled in tests/conftest.py) and inspects the outcomes, the exit status, the
terminal output and the JSON / Markdown reports. The outcome rules under test (issue 9):

- ``verified``: the test passed and every record agreed;
- ``refuted``: a strict ``xfail(raises=ClaimDisagreement)`` that failed at its own disagreeing
  ``claim.check``; the row carries *that* check's numbers;
- ``error``: anything else (crash, NaN / inf / None measured, a disagreeing record in a passing
  test, no record, a strict xfail that passes or fails for another reason, a bad marker); any
  error makes pytest exit non-zero;
- ``not_run``: skipped or deselected, still listed in the report.

The comparison rules of ``claim.check`` and the report functions are tested directly in
tests/test_claims_report.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toymodels.claims import REPORT_FORMAT, Claim, load_report, write_report

PLUGIN = ("-p", "toymodels.claims")

HEADER = """
import math
import pytest
from toymodels.claims import ClaimDisagreement, ClaimMeasurementError, ClaimRecorder

CLAIM = pytest.mark.claim(
    paper="Chen, Bruna 2023", where="Thm 2.1", statement="diverges iff a > 2", basis="paper"
)
"""


def run(pytester: pytest.Pytester, *args: str, plugin: bool = True) -> pytest.RunResult:
    """Run pytest in-process on the pytester directory (plugin loaded with -p by default)."""
    extra = PLUGIN if plugin else ()
    return pytester.runpytest(*extra, "-p", "no:cacheprovider", *args)


def _reject_constant(name: str) -> float:
    raise AssertionError(f"report is not strict JSON: contains {name}")


def read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh, parse_constant=_reject_constant)


def run_with_report(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    path = pytester.path / "claims.json"
    result = run(pytester, f"--claims-report={path}", *args)
    return result, read_json(path)


def module(body: str) -> str:
    return HEADER + body


def by_name(data: dict) -> dict[str, dict]:
    return {c["id"].rsplit("::", 1)[-1]: c for c in data["claims"]}


def outcomes(data: dict) -> dict[str, str]:
    return {name: c["outcome"] for name, c in by_name(data).items()}


# --------------------------------------------------------------------------------------------
# verified
# --------------------------------------------------------------------------------------------


def test_verified_when_every_record_agrees(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a=module(
            """
@CLAIM
def test_threshold(claim):
    a_div = 2.0 + 1e-12
    claim.record(predicted=2.0, measured=a_div, tol=1e-9, eta=0.5, model="F_a")
    claim.check(predicted=1.0, measured=0.75, relation="<=")
    claim.check(predicted=0, measured=0.25, relation=">=")
    claim.check(predicted=3, measured=3)
    claim.note("three ways to agree")
"""
        )
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert data["format"] == REPORT_FORMAT == "toymodels-claims/2"
    assert set(data) == {"format", "claims", "summary"}
    (entry,) = data["claims"]
    assert set(entry) == {
        "id",
        "paper",
        "where",
        "statement",
        "basis",
        "predicted",
        "measured",
        "tol",
        "rtol",
        "relation",
        "margin",
        "outcome",
        "reason",
        "notes",
        "records",
    }
    assert entry["id"] == "test_a.py::test_threshold"
    assert (entry["paper"], entry["where"]) == ("Chen, Bruna 2023", "Thm 2.1")
    assert (entry["statement"], entry["basis"]) == ("diverges iff a > 2", "paper")
    assert (entry["outcome"], entry["reason"]) == ("verified", "")
    # the row shows the first record
    assert (entry["predicted"], entry["tol"], entry["rtol"]) == (2.0, 1e-9, None)
    assert entry["measured"] == 2.0 + 1e-12
    assert entry["relation"] == "=="
    assert entry["margin"] == pytest.approx(1e-9 - 1e-12, rel=1e-3)
    assert entry["notes"] == ["three ways to agree"]
    records = entry["records"]
    assert [r["relation"] for r in records] == ["==", "<=", ">=", "=="]
    assert [r["agrees"] for r in records] == [True] * 4
    assert [r["margin"] for r in records[1:]] == [0.25, 0.25, 0]
    assert records[0]["extra"] == {"eta": 0.5, "model": "F_a"}
    assert set(records[0]) == {
        "predicted",
        "measured",
        "tol",
        "rtol",
        "relation",
        "margin",
        "agrees",
        "extra",
    }
    assert "timing" not in json.dumps(data) and "duration" not in json.dumps(data)
    assert data["summary"]["outcomes"] == {"verified": 1, "refuted": 0, "error": 0, "not_run": 0}
    assert data["summary"]["paper_verifications"] == 1


# --------------------------------------------------------------------------------------------
# error: passing tests that do not verify, crashes
# --------------------------------------------------------------------------------------------

ERRORS_IN_PASSING_TESTS = {
    "test_disagreeing_record": (
        "claim.record(predicted=1.0, measured=1.5, tol=0.1)",
        "record 0 disagrees in a passing test (predicted 1.0, measured 1.5, tol 0.1, margin -0.4",
    ),
    "test_disagreeing_record_after_agreeing_ones": (
        "claim.check(1.0, 1.0, tol=0)\n    claim.record(predicted=2.0, measured=1.98, tol=0)",
        "record 1 disagrees in a passing test",
    ),
    "test_one_sided_record_violated": (
        "claim.record(predicted=1.0, measured=1.25, relation='<=')",
        "record 0 disagrees in a passing test (measured <= predicted: predicted 1.0, "
        "measured 1.25, margin -0.25)",
    ),
    "test_caught_disagreement": (
        "try:\n        claim.check(2.0, 3.0, tol=0.5)\n    except ClaimDisagreement:\n        pass",
        "record 0 disagrees in a passing test",
    ),
    "test_nan_record": (
        "claim.record(predicted=1.0, measured=math.nan, tol=1.0)",
        "record 0 measured NaN / inf / None",
    ),
    "test_inf_record": (
        "claim.record(predicted=math.inf, measured=math.inf, tol=0)",
        "record 0 measured NaN / inf / None",
    ),
    "test_none_record": (
        "claim.record(predicted=None, measured=None)",
        "record 0 measured NaN / inf / None",
    ),
    "test_nan_inside_a_list": (
        "claim.check(1.0, 1.0, tol=0)\n    claim.record(predicted=[1.0, 2.0], "
        "measured=[1.0, math.nan], tol=1.0)",
        "record 1 measured NaN / inf / None",
    ),
    "test_no_record": (
        "claim.note('notes are not measurements')",
        "the test passed without a claim.check / claim.record",
    ),
}


def test_passing_tests_that_do_not_verify_are_errors(pytester: pytest.Pytester) -> None:
    body = "".join(
        f"\n@CLAIM\ndef {name}(claim):\n    {code}\n"
        for name, (code, _) in ERRORS_IN_PASSING_TESTS.items()
    )
    body += "\n@CLAIM\ndef test_no_fixture():\n    assert True\n"
    pytester.makepyfile(test_e=module(body))
    result, data = run_with_report(pytester)
    n = len(ERRORS_IN_PASSING_TESTS) + 1
    result.assert_outcomes(failed=n)  # each passing-but-unverified test is turned into a failure
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    claims = by_name(data)
    assert set(outcomes(data).values()) == {"error"}
    for name, (_, reason) in ERRORS_IN_PASSING_TESTS.items():
        assert reason in claims[name]["reason"], (name, claims[name]["reason"])
    assert "passed without a claim.check" in claims["test_no_fixture"]["reason"]
    assert claims["test_no_record"]["notes"] == ["notes are not measurements"]
    nan = claims["test_nan_record"]
    assert nan["measured"] == "NaN"  # strict JSON: non-finite floats are strings
    assert nan["records"][0]["agrees"] is False
    assert nan["records"][0]["non_finite"] is True
    assert data["summary"]["outcomes"]["error"] == n
    assert data["summary"]["paper_verifications"] == 0
    result.stdout.fnmatch_lines(["*claim error: record 0 disagrees in a passing test*"])


def test_failing_claim_tests_are_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_c=module(
            """
@CLAIM
def test_check_disagrees(claim):
    claim.check(predicted=2.0, measured=2.5, tol=1e-3)

@CLAIM
def test_check_measures_nan(claim):
    claim.check(predicted=2.0, measured=math.nan, tol=1e-3)

@CLAIM
def test_plain_assert(claim):
    claim.check(1.0, 1.0, tol=0)
    assert 1 == 2

@CLAIM
def test_raises(claim):
    raise ValueError("eta must be positive")

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

@CLAIM
def test_fixture_crash(claim, broken):
    claim.check(1, 1)

@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("cleanup failed")

@CLAIM
def test_teardown_crash(claim, bad_teardown):
    claim.check(1, 1)
"""
        )
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(failed=4, passed=1, errors=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    claims = by_name(data)
    assert set(outcomes(data).values()) == {"error"}
    check = claims["test_check_disagrees"]
    assert "ClaimDisagreement: claim check failed" in check["reason"]
    assert (check["predicted"], check["measured"], check["tol"]) == (2.0, 2.5, 1e-3)
    assert "ClaimMeasurementError" in claims["test_check_measures_nan"]["reason"]
    assert "measured value is NaN, inf or None" in claims["test_check_measures_nan"]["reason"]
    assert "assert 1 == 2" in claims["test_plain_assert"]["reason"]
    assert "ValueError: eta must be positive" in claims["test_raises"]["reason"]
    assert claims["test_fixture_crash"]["reason"].startswith("setup: ")
    assert "fixture exploded" in claims["test_fixture_crash"]["reason"]
    assert claims["test_teardown_crash"]["reason"].startswith("teardown: ")
    assert "cleanup failed" in claims["test_teardown_crash"]["reason"]


def test_comparison_rules_end_to_end(pytester: pytest.Pytester) -> None:
    # The comparison rules seen through the plugin's report, each against numbers worked out by
    # hand (issue 9: the slack of a one-sided check is tol, not more; the margin of a vector
    # check is its smallest element's; an empty / None measurement never agrees; a float
    # measured against an int prediction needs a stated tolerance).
    pytester.makepyfile(
        test_rules=module(
            """
@CLAIM
def test_slack_is_tol_not_more(claim):
    # measured <= predicted + tol: 1.15 > 1.0 + 0.1, by 0.05 (inside 2*tol, outside tol)
    claim.record(predicted=1.0, measured=1.15, tol=0.1, relation="<=")
    # measured >= predicted - tol: -0.15 < 0.0 - 0.1
    claim.record(predicted=0.0, measured=-0.15, tol=0.1, relation=">=")

@CLAIM
def test_vector_margin_is_the_smallest(claim):
    # <=: predicted - measured = [0.25, 1.0, 0.5] -> 0.25; >=: measured - predicted = [3, 1, 2]
    claim.check(predicted=[1.0, 2.0, 3.0], measured=[0.75, 1.0, 2.5], relation="<=")
    claim.check(predicted=[0, 1, 2], measured=[3, 2, 4], relation=">=")

@CLAIM
def test_empty_measured(claim):
    claim.record(predicted=[], measured=[])

@CLAIM
def test_none_measured(claim):
    claim.record(predicted=None, measured=None)

@CLAIM
def test_float_measured_int_predicted(claim):
    claim.check(predicted=2, measured=2.0)
"""
        )
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=1, failed=4)
    claims = by_name(data)
    slack = claims["test_slack_is_tol_not_more"]
    assert slack["outcome"] == "error"
    assert [r["agrees"] for r in slack["records"]] == [False, False]
    assert [r["margin"] for r in slack["records"]] == pytest.approx([-0.15, -0.15])
    assert "record 0 disagrees in a passing test" in slack["reason"]
    vector = claims["test_vector_margin_is_the_smallest"]
    assert vector["outcome"] == "verified"
    assert [r["margin"] for r in vector["records"]] == [0.25, 1]
    assert vector["margin"] == 0.25  # the row shows the first record's margin
    for name in ("test_empty_measured", "test_none_measured"):
        entry = claims[name]
        assert entry["outcome"] == "error", name
        (rec,) = entry["records"]
        assert (rec["agrees"], rec["non_finite"]) == (False, True), name
        assert "record 0 measured NaN / inf / None" in entry["reason"], name
    tol = claims["test_float_measured_int_predicted"]
    assert tol["outcome"] == "error"
    assert "ValueError: tol: a two-sided check of floats needs tol=" in tol["reason"]
    assert tol["records"] == []


# --------------------------------------------------------------------------------------------
# refuted, and the xfails that are not refutations
# --------------------------------------------------------------------------------------------

STRICT = "@pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason='measured 4.25')"


def test_strict_xfail_failing_at_its_claim_check_is_refuted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_r=module(
            f"""
{STRICT}
@CLAIM
def test_refuted(claim):
    claim.check(predicted=4.0, measured=4.25, tol=0.01, eta=0.5)

{STRICT}
@CLAIM
def test_refuted_after_agreeing_records(claim):
    claim.record(predicted=2.0, measured=2.0, tol=0, which="first")
    claim.check(predicted=3, measured=3, which="second")
    claim.check(predicted=1.0, measured=1.5, relation="<=", which="decisive")
    claim.check(predicted=9.0, measured=0.0, tol=0, which="never reached")

@pytest.mark.xfail(strict=True, raises=(ClaimDisagreement,), reason="tuple of raises")
@CLAIM
def test_refuted_raises_tuple(claim):
    claim.check(predicted=0.0, measured=-0.5, relation=">=")

@pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason="real mark")
@pytest.mark.xfail(False, reason="a mark whose condition is false is not applied")
@CLAIM
def test_refuted_second_xfail_mark_applies(claim):
    claim.check(predicted=1, measured=2)
"""
        )
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(xfailed=4)
    assert result.ret == pytest.ExitCode.OK
    claims = by_name(data)
    assert set(outcomes(data).values()) == {"refuted"}
    first = claims["test_refuted"]
    assert first["reason"].startswith("measured 4.25; ")
    assert "predicted 4.0, measured 4.25, tol 0.01, margin -0.24" in first["reason"]
    assert (first["predicted"], first["measured"], first["tol"]) == (4.0, 4.25, 0.01)
    assert (first["relation"], first["rtol"]) == ("==", None)
    assert first["margin"] == pytest.approx(0.01 - 0.25)
    assert first["records"][0]["extra"] == {"eta": 0.5}
    # the row shows the check that disagreed, not the first record
    later = claims["test_refuted_after_agreeing_records"]
    assert (later["predicted"], later["measured"], later["relation"]) == (1.0, 1.5, "<=")
    assert later["margin"] == -0.5
    assert "measured <= predicted: predicted 1.0, measured 1.5, margin -0.5" in later["reason"]
    assert [r["extra"]["which"] for r in later["records"]] == ["first", "second", "decisive"]
    assert [r["agrees"] for r in later["records"]] == [True, True, False]
    tup = claims["test_refuted_raises_tuple"]
    assert (tup["predicted"], tup["measured"], tup["margin"]) == (0.0, -0.5, -0.5)
    second = claims["test_refuted_second_xfail_mark_applies"]
    assert second["reason"].startswith("real mark; ")
    assert data["summary"]["outcomes"] == {"verified": 0, "refuted": 4, "error": 0, "not_run": 0}
    result.stdout.fnmatch_lines(["refuted*diverges iff a > 2*<= 1.0*1.5 (+2)"])


XFAIL_ERRORS = {
    "test_strict_without_raises": (
        "@pytest.mark.xfail(strict=True, reason='r')",
        "claim.check(1.0, 2.0, tol=0.1)",
        "the xfail marker must say raises=ClaimDisagreement",
    ),
    "test_raises_a_superclass": (
        "@pytest.mark.xfail(strict=True, raises=AssertionError, reason='r')",
        "claim.check(1.0, 2.0, tol=0.1)",
        "the xfail marker must say raises=ClaimDisagreement",
    ),
    "test_raises_another_type_too": (
        "@pytest.mark.xfail(strict=True, raises=(ClaimDisagreement, ValueError), reason='r')",
        "claim.check(1.0, 2.0, tol=0.1)",
        "the xfail marker must say raises=ClaimDisagreement",
    ),
    "test_not_strict": (
        "@pytest.mark.xfail(raises=ClaimDisagreement, reason='r')",
        "claim.check(1.0, 2.0, tol=0.1)",
        "the xfail marker must be strict=True",
    ),
    "test_not_strict_xpass": (
        "@pytest.mark.xfail(reason='thought false')",
        "claim.check(1.0, 1.0, tol=0)",
        "marked xfail but passed",
    ),
    "test_strict_xpass": (
        STRICT,
        "claim.check(1.0, 1.0, tol=0)",
        "XPASS(strict)",
    ),
    "test_run_false": (
        "@pytest.mark.xfail(strict=True, raises=ClaimDisagreement, run=False, reason='r')",
        "claim.check(1.0, 2.0, tol=0)",
        "xfail(run=False) never runs the claim check",
    ),
    "test_imperative_xfail": (
        "",
        "claim.record(1, 3)\n    pytest.xfail('only for small steps')",
        "imperative pytest.xfail() is not a refutation",
    ),
    "test_imperative_xfail_under_strict_mark": (
        STRICT,
        "claim.record(1, 3)\n    pytest.xfail('only for small steps')",
        "it failed with XFailed, not with a claim check",
    ),
    "test_zero_division": (
        STRICT,
        "claim.record(1.0, 1.0, tol=0)\n    1 / 0",
        "ZeroDivisionError",
    ),
    "test_name_error": (
        STRICT,
        "claim.check(1.0, undefined_name, tol=0)",
        "NameError",
    ),
    "test_zero_division_without_raises": (
        "@pytest.mark.xfail(strict=True, reason='r')",
        "1 / 0",
        "the xfail marker must say raises=ClaimDisagreement",
    ),
    "test_plain_assert": (
        STRICT,
        "assert 4.25 == 4.0",
        "assert 4.25 == 4.0",
    ),
    "test_measured_nan": (
        STRICT,
        "claim.check(4.0, math.nan, tol=0.01)",
        "ClaimMeasurementError",
    ),
    "test_disagreement_raised_by_hand": (
        STRICT,
        "claim.record(4.0, 4.25, tol=0.01)\n    raise ClaimDisagreement('by hand')",
        "the ClaimDisagreement did not come from this test's claim fixture",
    ),
    "test_disagreement_from_another_recorder": (
        STRICT,
        "claim.record(4.0, 4.0, tol=0.01)\n    ClaimRecorder('x').check(4.0, 4.25, tol=0.01)",
        "the ClaimDisagreement did not come from this test's claim fixture",
    ),
    "test_disagreement_without_fixture": (
        STRICT,
        "raise ClaimDisagreement('no fixture')",
        "the ClaimDisagreement did not come from this test's claim fixture",
    ),
}


def test_xfails_that_are_not_refutations_are_errors(pytester: pytest.Pytester) -> None:
    body = "".join(
        f"\n{mark}\n@CLAIM\ndef {name}(claim):\n    {code}\n"
        for name, (mark, code, _) in XFAIL_ERRORS.items()
    )
    pytester.makepyfile(test_x=module(body))
    result, data = run_with_report(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    counts = result.parseoutcomes()
    assert counts.get("xfailed", 0) == counts.get("xpassed", 0) == 0
    assert counts.get("failed", 0) + counts.get("errors", 0) == len(XFAIL_ERRORS)
    claims = by_name(data)
    assert outcomes(data) == dict.fromkeys(XFAIL_ERRORS, "error")
    for name, (_, _, reason) in XFAIL_ERRORS.items():
        assert reason in claims[name]["reason"], (name, claims[name]["reason"])
    assert data["summary"]["outcomes"]["refuted"] == 0


def test_strict_xfail_with_a_crashing_fixture_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_f=module(
            f"""
@pytest.fixture
def crash():
    raise RuntimeError("fixture boom")

{STRICT}
@CLAIM
def test_with_raises(claim, crash):
    claim.check(4.0, 4.25, tol=0.01)

@pytest.mark.xfail(strict=True, reason="r")
@CLAIM
def test_without_raises(claim, crash):
    claim.check(4.0, 4.25, tol=0.01)

@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("cleanup failed")

{STRICT}
@CLAIM
def test_refuted_then_teardown_crash(claim, bad_teardown):
    claim.check(4.0, 4.25, tol=0.01)
"""
        )
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(errors=3, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    claims = by_name(data)
    teardown = claims.pop("test_refuted_then_teardown_crash")
    assert teardown["outcome"] == "error"
    assert teardown["reason"].startswith("teardown: ") and "cleanup failed" in teardown["reason"]
    assert {name: c["outcome"] for name, c in claims.items()} == {
        "test_with_raises": "error",
        "test_without_raises": "error",
    }
    for entry in claims.values():
        assert "RuntimeError: fixture boom" in entry["reason"]
        assert "run=False" not in entry["reason"]
        assert entry["records"] == []


def test_xfail_strict_from_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    pytester.makepyfile(
        test_i=module(
            """
@pytest.mark.xfail(raises=ClaimDisagreement, reason="strict by ini")
@CLAIM
def test_refuted(claim):
    claim.check(1.0, 2.0, tol=0.1)

@pytest.mark.xfail(raises=ClaimDisagreement, strict=False, reason="explicitly lenient")
@CLAIM
def test_lenient(claim):
    claim.check(1.0, 2.0, tol=0.1)
"""
        )
    )
    result, data = run_with_report(pytester)
    assert outcomes(data) == {"test_refuted": "refuted", "test_lenient": "error"}
    assert result.ret == pytest.ExitCode.TESTS_FAILED


# --------------------------------------------------------------------------------------------
# not_run: skipped and deselected claims stay in the report
# --------------------------------------------------------------------------------------------

NOT_RUN_MODULE = """
@pytest.mark.slow
@CLAIM
def test_slow(claim):
    claim.check(1, 1)

@CLAIM
def test_fast(claim):
    claim.check(1, 1)

@CLAIM
def test_other_keyword(claim):
    claim.check(1, 1)

@pytest.mark.skip(reason="needs numba")
@CLAIM
def test_marker_skip(claim):
    claim.check(1, 2)

@CLAIM
def test_imperative_skip(claim):
    pytest.skip("too slow here")

@pytest.mark.skipif(True, reason="not on this platform")
@CLAIM
def test_skipif(claim):
    claim.check(1, 2)

def test_not_a_claim():
    pass
"""


def test_skipped_and_deselected_claims_are_not_run(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow tests\n")
    pytester.makepyfile(test_n=module(NOT_RUN_MODULE))
    result, data = run_with_report(pytester, "-m", "not slow", "-k", "not other_keyword")
    result.assert_outcomes(passed=2, skipped=3, deselected=2)
    assert result.ret == pytest.ExitCode.OK
    claims = by_name(data)
    # every collected claim is listed, in collection order, deselected ones included
    assert list(claims) == [
        "test_slow",
        "test_fast",
        "test_other_keyword",
        "test_marker_skip",
        "test_imperative_skip",
        "test_skipif",
    ]
    assert outcomes(data) == {
        "test_slow": "not_run",
        "test_fast": "verified",
        "test_other_keyword": "not_run",
        "test_marker_skip": "not_run",
        "test_imperative_skip": "not_run",
        "test_skipif": "not_run",
    }
    assert claims["test_slow"]["reason"] == "deselected (marker or -k expression)"
    assert claims["test_other_keyword"]["reason"] == "deselected (marker or -k expression)"
    assert claims["test_marker_skip"]["reason"] == "skipped: needs numba"
    assert claims["test_imperative_skip"]["reason"] == "skipped: too slow here"
    assert claims["test_skipif"]["reason"] == "skipped: not on this platform"
    assert claims["test_slow"]["records"] == []
    assert data["summary"]["outcomes"] == {"verified": 1, "refuted": 0, "error": 0, "not_run": 5}
    result.stdout.fnmatch_lines(["not_run*", "    reason: deselected (marker or -k expression)"])


def test_deselect_option_and_session_stop(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_d=module(
            """
@CLAIM
def test_first(claim):
    claim.check(1, 2)

@CLAIM
def test_second(claim):
    claim.check(1, 1)

@CLAIM
def test_third(claim):
    claim.check(1, 1)
"""
        )
    )
    result, data = run_with_report(pytester, "-x", "--deselect", "test_d.py::test_third")
    result.assert_outcomes(failed=1, deselected=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    claims = by_name(data)
    assert outcomes(data) == {
        "test_first": "error",
        "test_second": "not_run",
        "test_third": "not_run",
    }
    assert "session stopped" in claims["test_second"]["reason"]
    assert claims["test_third"]["reason"] == "deselected (marker or -k expression)"


# --------------------------------------------------------------------------------------------
# basis: required, validated, shown, summarised
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "problem"),
    [
        ('claim(paper="P", where="W", statement="S")', "missing basis"),
        ('claim(paper="P", where="W", statement="S", basis="brief")', "basis must be one of"),
        ('claim(paper="P", where="W", statement="S", basis="")', "basis must not be empty"),
        ('claim(paper="P", where="W", statement="S", basis="Paper")', "basis must be one of"),
        ('claim(paper="P", where="W", statement="S", basis=1)', "basis must be a string"),
        ('claim(paper="P", where="W", basis="paper")', "missing statement"),
        ('claim(paper="P", where="W", statement="S", basis="paper", page=3)', "'page'"),
        ('claim("P", "W", "S", "paper", "extra")', "at most 4 positional arguments"),
        ('claim("P", "W", "S", "paper", paper="Q")', "paper given twice"),
        ('claim(paper="", where="W", statement="S", basis="paper")', "paper must not be empty"),
    ],
)
def test_invalid_marker_is_an_error(pytester: pytest.Pytester, marker: str, problem: str) -> None:
    pytester.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.{marker}
        def test_bad(claim):
            claim.check(1, 1)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [f"*invalid @pytest.mark.claim on test_bad.py::test_bad*{problem}*"]
    )
    (entry,) = data["claims"]
    assert entry["outcome"] == "error"
    assert problem in entry["reason"]


def test_positional_marker_and_class_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_cls="""
        import pytest

        @pytest.mark.claim("Paper A", "Lemma 1", "stated for the class", "derived")
        class TestLemma:
            def test_one(self, claim):
                claim.check(1.0, 1.0, tol=0)

            def test_two(self, claim):
                claim.check(2.0, 2.0, tol=0)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=2)
    assert [(c["paper"], c["where"], c["basis"], c["outcome"]) for c in data["claims"]] == [
        ("Paper A", "Lemma 1", "derived", "verified")
    ] * 2
    assert [c["id"] for c in data["claims"]] == [
        "test_cls.py::TestLemma::test_one",
        "test_cls.py::TestLemma::test_two",
    ]


SUMMARY_MODULE = """
import math
import pytest
from toymodels.claims import ClaimDisagreement

def claim(paper, basis, statement="s"):
    return pytest.mark.claim(paper=paper, where="Sec 1", statement=statement, basis=basis)

@claim("Paper B", "empirical", "gamma band")
def test_b_empirical(claim):
    claim.check(0.68, 0.6801, tol=1e-3)

@claim("Paper A", "paper", "threshold | sharp")
@pytest.mark.parametrize("eta", [0.5, 1.5])
def test_a_paper(claim, eta):
    claim.check(2 / eta, 2 / eta, tol=1e-12, eta=eta)

@claim("Paper A", "reconstruction", "rebuilt")
def test_a_reconstruction(claim):
    claim.check(1, 1)

@pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason="overshoots")
@claim("Paper A", "paper", "settles at 2/eta")
def test_a_refuted(claim):
    claim.check(predicted=4.0, measured=4.25, tol=0.01)

@claim("Paper A", "derived", "exact identity")
def test_a_derived(claim):
    claim.check(0, 0)
    claim.note("checked in proofs_check")

@claim("Paper B", "paper", "broken")
def test_b_error(claim):
    claim.record(1.0, math.nan, tol=1.0)

@pytest.mark.skip(reason="later")
@claim("Paper B", "empirical", "skipped")
def test_b_skipped(claim):
    pass
"""


def test_basis_in_json_and_summary_by_paper_basis_outcome(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sum=SUMMARY_MODULE)
    result, data = run_with_report(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # one error
    assert [(c["paper"], c["basis"], c["outcome"]) for c in data["claims"]] == [
        ("Paper B", "empirical", "verified"),
        ("Paper A", "paper", "verified"),
        ("Paper A", "paper", "verified"),
        ("Paper A", "reconstruction", "verified"),
        ("Paper A", "paper", "refuted"),
        ("Paper A", "derived", "verified"),
        ("Paper B", "paper", "error"),
        ("Paper B", "empirical", "not_run"),
    ]

    def n(verified: int = 0, refuted: int = 0, error: int = 0, not_run: int = 0) -> dict:
        return {"verified": verified, "refuted": refuted, "error": error, "not_run": not_run}

    summary = data["summary"]
    assert summary == {
        "outcomes": n(5, 1, 1, 1),
        "by_basis": {
            "paper": n(2, 1, 1),
            "derived": n(1),
            "reconstruction": n(1),
            "empirical": n(1, not_run=1),
        },
        "by_paper": {
            "Paper B": {"paper": n(error=1), "empirical": n(1, not_run=1)},
            "Paper A": {
                "paper": n(2, 1),
                "derived": n(1),
                "reconstruction": n(1),
            },
        },
        # 5 verified rows, but the empirical one verifies no paper
        "paper_verifications": 4,
    }
    # key order: papers in first-seen order, bases in BASES order
    assert list(summary["by_paper"]) == ["Paper B", "Paper A"]
    assert list(summary["by_paper"]["Paper A"]) == ["paper", "derived", "reconstruction"]
    assert list(summary["by_paper"]["Paper B"]) == ["paper", "empirical"]
    # the terminal: table with a basis column, then the paper x basis x outcome summary
    result.stdout.fnmatch_lines(
        [
            "*= claims =*",
            "outcome*basis*paper*where*statement*predicted*measured",
            "verified*empirical*Paper B*Sec 1*gamma band*0.68*0.6801",
            "verified*paper*Paper A*Sec 1 [[]0.5[]]*threshold | sharp*4.0*4.0",
            "*",
            "verified*reconstruction*Paper A*",
            "refuted*paper*Paper A*settles at 2/eta*4.0*4.25",
            "    reason: overshoots; predicted 4.0, measured 4.25, tol 0.01, margin -0.24",
            "verified*derived*Paper A*exact identity*0*0",
            "    note: checked in proofs_check",
            "error*paper*Paper B*broken*1.0*nan",
            "    reason: record 0 measured NaN / inf / None*",
            "not_run*empirical*Paper B*skipped*-*-",
            "    reason: skipped: later",
            "",
            "paper*basis*verified*refuted*error*not_run",
            "-*",
            "Paper B*paper*0*0*1*0",
            "*empirical*1*0*0*1",
            "Paper A*paper*2*1*0*0",
            "*derived*1*0*0*0",
            "*reconstruction*1*0*0*0",
            "claims: 8 total, 5 verified, 1 refuted, 1 error, 1 not_run "
            "(4 verified against a paper; empirical rows verify no paper)",
        ]
    )


def test_markdown_report_grouped_by_paper(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sum=SUMMARY_MODULE)
    md_path = pytester.path / "out" / "claims.md"
    json_path = pytester.path / "out" / "claims.json"
    result = run(pytester, f"--claims-report={json_path}", f"--claims-report={md_path}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [f"claims report written to {json_path}", f"claims report written to {md_path}"]
    )
    data = read_json(json_path)  # both files from one run
    assert len(data["claims"]) == 8
    md = md_path.read_text(encoding="utf-8")
    lines = md.splitlines()
    assert lines[0] == "# Claims report"
    assert "8 claims: 5 verified, 1 refuted, 1 error, 1 not_run." in lines
    assert (
        "Verifications of papers (basis paper / derived / reconstruction): 4; "
        "empirical regression checks (verify no paper): 1." in lines
    )
    summary = lines[lines.index("## Summary") :]
    assert summary[2] == "| paper | basis | verified | refuted | error | not_run |"
    assert summary[4:9] == [
        "| Paper B | paper | 0 | 0 | 1 | 0 |",
        "| Paper B | empirical | 1 | 0 | 0 | 1 |",
        "| Paper A | paper | 2 | 1 | 0 | 0 |",
        "| Paper A | derived | 1 | 0 | 0 | 0 |",
        "| Paper A | reconstruction | 1 | 0 | 0 | 0 |",
    ]
    # one section per paper, in first-seen order, each listing only its own claims
    assert [line for line in lines if line.startswith("## ")] == [
        "## Summary",
        "## Paper B",
        "## Paper A",
    ]
    section_a = md[md.index("## Paper A") :]
    section_b = md[md.index("## Paper B") : md.index("## Paper A")]
    assert "`test_sum.py::test_b_empirical`" in section_b
    assert "`test_sum.py::test_b_error`" in section_b
    assert "`test_sum.py::test_b_skipped`" in section_b
    assert "test_a_" not in section_b
    assert "test_b_" not in section_a
    assert "| outcome | basis | where | statement | predicted | measured | test |" in section_a
    assert (
        "| **refuted** | paper | Sec 1 | settles at 2/eta<br>reason: overshoots; predicted 4.0, "
        "measured 4.25, tol 0.01, margin -0.24 | 4.0 | 4.25 | `test_sum.py::test_a_refuted` |"
    ) in lines
    # a pipe in a statement is escaped so the table keeps its columns
    assert (
        "| **verified** | paper | Sec 1 | threshold \\| sharp | 4.0 | 4.0 | "
        "`test_sum.py::test_a_paper[0.5]` |"
    ) in lines
    assert "note: checked in proofs_check" in section_a
    assert "| **error** | paper | Sec 1 | broken<br>reason: record 0 measured NaN" in md


# --------------------------------------------------------------------------------------------
# Reports: round trip, strict JSON, reproducibility
# --------------------------------------------------------------------------------------------

REPRO_MODULE = """
import math
import pytest
from toymodels.claims import ClaimDisagreement

CLAIM = pytest.mark.claim(paper="Cohen et al. 2021", where="Sec 3", statement="eos", basis="paper")

@CLAIM
@pytest.mark.parametrize("eta", [0.01, 0.02, 0.03])
def test_eos(claim, eta):
    claim.check(predicted=2 / eta, measured=2 / eta * (1 + 1e-9), rtol=1e-6, eta=eta)
    claim.check(predicted=1.0, measured=eta * 2 / eta / 2, relation="<=")
    claim.note(f"eta={eta}")

@pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason="catapult")
@CLAIM
def test_refuted(claim):
    claim.check(predicted=list(range(10)), measured=[0.5] * 10, tol=0.1, z=complex(1, -2))

@CLAIM
def test_error(claim):
    claim.record(predicted=math.inf, measured=1e300, tol=math.inf)
    claim.record(predicted=1.0, measured=-math.inf, tol=1.0)

@CLAIM
def test_crash(claim):
    raise ValueError("no convergence")

@pytest.mark.skip(reason="later")
@CLAIM
def test_skipped(claim):
    pass

@pytest.mark.slow
@CLAIM
def test_slow(claim):
    claim.check(1, 1)
"""


def test_reports_are_reproducible_and_round_trip(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow tests\n")
    pytester.makepyfile(test_repro=REPRO_MODULE)
    texts = []
    for k in range(2):
        args = [f"--claims-report=run{k}/claims.json", f"--claims-report=run{k}/claims.md"]
        result = run(pytester, *args, "-m", "not slow")
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        texts.append(
            tuple(
                (pytester.path / f"run{k}" / f"claims.{ext}").read_bytes() for ext in ("json", "md")
            )
        )
    assert texts[0] == texts[1]  # byte-identical JSON and Markdown (no timings)
    json_bytes, md_bytes = texts[0]
    assert b"NaN" not in json_bytes.replace(b'"NaN"', b"")
    data = read_json(pytester.path / "run0" / "claims.json")  # strict JSON
    assert outcomes(data) == {
        "test_eos[0.01]": "verified",
        "test_eos[0.02]": "verified",
        "test_eos[0.03]": "verified",
        "test_refuted": "refuted",
        "test_error": "error",
        "test_crash": "error",
        "test_skipped": "not_run",
        "test_slow": "not_run",
    }
    err = by_name(data)["test_error"]
    assert err["records"][0]["predicted"] == "Infinity"
    assert err["records"][1]["measured"] == "-Infinity"
    assert by_name(data)["test_refuted"]["records"][0]["extra"] == {
        "z": {"__complex__": [1.0, -2.0]}
    }

    # load_report gives Claim objects; writing them again gives the same bytes
    claims = load_report(pytester.path / "run0" / "claims.json")
    assert all(isinstance(c, Claim) for c in claims)
    assert [c.id for c in claims] == [c["id"] for c in data["claims"]]
    assert [c.param for c in claims][:3] == ["0.01", "0.02", "0.03"]
    first = claims[0]
    assert (first.outcome, first.basis, first.rtol, first.relation) == (
        "verified",
        "paper",
        1e-6,
        "==",
    )
    assert first.notes == ("eta=0.01",)
    error = next(c for c in claims if c.id.endswith("test_error"))
    assert error.records[0]["predicted"] == float("inf")
    assert error.records[1]["measured"] == float("-inf")
    refuted = next(c for c in claims if c.outcome == "refuted")
    assert refuted.records[0]["extra"] == {"z": complex(1, -2)}
    assert refuted.predicted == list(range(10))
    again_json = write_report(claims, pytester.path / "again" / "claims.json")
    again_md = write_report(claims, pytester.path / "again" / "claims.md")
    assert again_json.read_bytes() == json_bytes
    assert again_md.read_bytes() == md_bytes


def test_relative_report_path_is_resolved_against_invocation_dir(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_p=module(
            """
@CLAIM
def test_it(claim):
    claim.check(predicted=True, measured=True)
"""
        )
    )
    result = run(pytester, "--claims-report=out/sub/report.json")
    result.assert_outcomes(passed=1)
    path = pytester.path / "out" / "sub" / "report.json"
    assert [c.outcome for c in load_report(path)] == ["verified"]
    result.stdout.fnmatch_lines([f"claims report written to {path}"])


def test_numpy_values_are_serialised(pytester: pytest.Pytester) -> None:
    pytest.importorskip("numpy")
    pytester.makepyfile(
        test_np=module(
            """
import numpy as np

@CLAIM
def test_arrays(claim):
    claim.check(
        predicted=np.array([1.0, 2.0]),
        measured=np.array([[1, 2]], dtype=np.int64)[0],
        tol=np.float64(1e-6),
        eta=np.float32(0.5),
        flags=np.array([True, False]),
        period=np.int64(2),
        stable=np.bool_(True),
    )
    claim.check(predicted=np.float64(4.0), measured=np.full(3, 4.0), tol=0.0)
    claim.check(predicted=np.int64(3), measured=np.int64(3))
    claim.check(predicted=np.float64(1.0), measured=np.float64(0.5), relation="<=")

@CLAIM
def test_numpy_nan(claim):
    claim.record(predicted=1.0, measured=np.array([1.0, np.nan]), tol=1.0)
"""
        )
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=1, failed=1)
    claims = by_name(data)
    entry = claims["test_arrays"]
    assert entry["outcome"] == "verified"
    assert (entry["predicted"], entry["measured"], entry["tol"]) == ([1.0, 2.0], [1, 2], 1e-6)
    assert entry["records"][0]["extra"] == {
        "eta": 0.5,
        "flags": [True, False],
        "period": 2,
        "stable": True,
    }
    assert entry["records"][1]["measured"] == [4.0, 4.0, 4.0]
    assert entry["records"][3]["margin"] == 0.5
    assert claims["test_numpy_nan"]["outcome"] == "error"
    assert claims["test_numpy_nan"]["measured"] == [1.0, "NaN"]


# --------------------------------------------------------------------------------------------
# The terminal table
# --------------------------------------------------------------------------------------------


def test_terminal_table(pytester: pytest.Pytester) -> None:
    long_statement = "the sharpness of GD with step size eta rises to 2/eta and hovers there " * 4
    pytester.makepyfile(
        test_table=f"""
        import pytest
        from toymodels.claims import ClaimDisagreement

        @pytest.mark.claim(paper="Cohen et al. 2021", where="Sec 3", statement="{long_statement}",
                           basis="paper")
        @pytest.mark.parametrize("eta", [0.01, 0.02])
        def test_eos(claim, eta):
            claim.record(predicted=2 / eta, measured=2 / eta * (1 + 1e-9), tol=1e-6)

        @pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason="catapult instead")
        @pytest.mark.claim(paper="Chen, Bruna 2023", where="Thm 2.1", statement="refuted one",
                           basis="reconstruction")
        def test_refuted(claim):
            claim.check(predicted=list(range(10)), measured=[0.5] * 10, tol=0.1)
        """
    )
    result = run(pytester, "-q")
    result.assert_outcomes(passed=2, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*= claims =*",
            "outcome*basis*paper*where*statement*predicted*measured",
            "verified*paper*Cohen et al. 2021*Sec 3 [[]0.01[]]*the sharpness of GD*...*200.0*"
            "200.0000002",
            "verified*paper*Cohen et al. 2021*Sec 3 [[]0.02[]]*100.0*100.0000001",
            "refuted*reconstruction*Thm 2.1*refuted one*[[]0, 1, ... (n=10)[]]*"
            "[[]0.5, 0.5, ... (n=10)[]]",
            "    reason: catapult instead; predicted [[]0, 1, 2, 3, ... (n=10)[]]*",
            "claims: 3 total, 2 verified, 1 refuted, 0 error, 0 not_run (2 verified against a "
            "paper; empirical rows verify no paper)",
        ]
    )
    table_lines = [line for line in result.outlines if line.startswith(("verified", "refuted"))]
    assert len(table_lines) == 3
    assert all(len(line) <= 160 for line in table_lines)


def test_no_claims_table_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_nt=module(
            """
@CLAIM
def test_it(claim):
    claim.check(predicted=2, measured=2)
"""
        )
    )
    result = run(pytester, "--no-claims-table")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("outcome*paper*where*")
    result.stdout.fnmatch_lines(
        ["paper*basis*verified*refuted*error*not_run", "claims: 1 total, 1 verified, *"]
    )


def test_no_claims_section_without_claims(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*= claims =*")


# --------------------------------------------------------------------------------------------
# Misuse
# --------------------------------------------------------------------------------------------


def test_fixture_in_unmarked_test_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_unmarked="""
        def test_unmarked(claim):
            claim.check(1, 1)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*'claim' fixture is only available in tests marked @pytest.mark.claim*"]
    )
    assert data["claims"] == []


def test_marker_is_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_strict=LOAD_TEST)
    result = run(pytester, "--strict-markers")
    result.assert_outcomes(passed=1)
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.claim(paper, where, statement, basis):*"])


# --------------------------------------------------------------------------------------------
# Loading the plugin
# --------------------------------------------------------------------------------------------


def _fake_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make importlib.metadata see an installed distribution with the pytest11 entry point."""
    site = tmp_path / "fake_site"
    dist = site / "toymodels_claims_fake-0.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: toymodels-claims-fake\nVersion: 0.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[pytest11]\ntoymodels_claims = toymodels.claims\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)


LOAD_TEST = """
import pytest

@pytest.mark.claim(paper="P", where="W", statement="loaded", basis="paper")
def test_it(claim):
    claim.check(2, 2)
"""


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("-p", "toymodels.claims"), id="entry-point+module-name"),
        pytest.param(("-p", "toymodels_claims"), id="entry-point+entry-point-name"),
        pytest.param((), id="entry-point-only"),
    ],
)
def test_plugin_loads_once_with_entry_point(
    pytester: pytest.Pytester,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    _fake_entry_point(tmp_path, monkeypatch)
    pytester.makepyfile(test_load=LOAD_TEST)
    result = run(pytester, *args, plugin=False)
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert sum("= claims =" in line for line in result.outlines) == 1
    result.stdout.fnmatch_lines(["claims: 1 total, 1 verified*"])


def test_plugin_from_conftest_and_entry_point(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_entry_point(tmp_path, monkeypatch)
    pytester.makeconftest('pytest_plugins = ["toymodels.claims"]\n')
    pytester.makepyfile(test_load=LOAD_TEST)
    result = run(pytester, plugin=False)
    result.assert_outcomes(passed=1)
    assert sum("= claims =" in line for line in result.outlines) == 1


def test_plugin_from_conftest_without_entry_point(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest('pytest_plugins = ["toymodels.claims"]\n')
    pytester.makepyfile(test_load=LOAD_TEST)
    result = run(pytester, plugin=False)
    result.assert_outcomes(passed=1)
    assert sum("= claims =" in line for line in result.outlines) == 1


def test_plugin_given_twice_with_p(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_load=LOAD_TEST)
    result = run(pytester, "-p", "toymodels.claims")  # plus the one run() adds
    result.assert_outcomes(passed=1)
    assert sum("= claims =" in line for line in result.outlines) == 1


def test_collected_claims_during_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from toymodels.claims import collected_claims

        def pytest_sessionfinish(session):
            claims = collected_claims(session.config)
            print("COLLECTED", [(c.outcome, c.basis, c.measured) for c in claims])
        """
    )
    pytester.makepyfile(test_load=LOAD_TEST)
    result = run(pytester, "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*COLLECTED [[]('verified', 'paper', 2)[]]*"])


XDIST_MODULE = (
    HEADER
    + """
@CLAIM
def test_verified(claim):
    claim.check(predicted=2.0, measured=2.0 + 1e-12, tol=1e-9)

@CLAIM
@pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason="refuted: 2 vs 3")
def test_refuted(claim):
    claim.check(predicted=2.0, measured=3.0, tol=1e-3)

@CLAIM
def test_error_no_record(claim):
    pass

@pytest.mark.slow
@CLAIM
def test_deselected(claim):
    claim.check(predicted=1.0, measured=1.0, tol=0.0)

@CLAIM
def test_skipped(claim):
    pytest.skip("blocked: needs the paper")

@pytest.mark.parametrize("k", range(8))
@CLAIM
def test_many(claim, k):
    claim.check(predicted=float(k), measured=float(k), tol=1e-12)
"""
)


def test_workers_give_the_report_of_one_process(pytester):
    """Under pytest-xdist every worker judges the claims it runs and the controller merges them:
    the same table, the same JSON byte for byte, the same exit status as a single process."""
    pytest.importorskip("xdist")
    pytester.makepyfile(test_x=XDIST_MODULE)
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n")
    reports = {}
    for n in ("0", "2"):
        path = pytester.path / f"claims{n}.json"
        res = pytester.runpytest_subprocess(
            *PLUGIN, "-p", "no:cacheprovider", "-m", "not slow", "-n", n,
            f"--claims-report={path}",
        )  # fmt: skip
        assert res.ret == 1  # the claim without a record is an error
        res.stdout.fnmatch_lines(["*claims: 13 total, 9 verified, 1 refuted, 1 error, 2 not_run*"])
        reports[n] = path.read_bytes()
    assert reports["0"] == reports["2"]
    outcomes = {
        c["id"].rsplit("::", 1)[-1]: c["outcome"] for c in json.loads(reports["2"])["claims"]
    }
    assert outcomes["test_refuted"] == "refuted" and outcomes["test_skipped"] == "not_run"
    assert outcomes["test_deselected"] == "not_run" and outcomes["test_error_no_record"] == "error"
