"""Tests of the claims registry and pytest plugin (toymodels.claims).

Plugin behaviour is tested end to end with ``pytester`` (enabled by ``pytest_plugins =
["pytester"]`` in tests/conftest.py): each test writes a small test module, runs pytest on it
in-process with ``-p toymodels.claims`` and inspects the outcomes, the terminal output and the
JSON report. The comparison rules of ``claim.check`` are tested directly on ``ClaimRecorder``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from toymodels.claims import (
    OUTCOMES,
    REPORT_FORMAT,
    Claim,
    ClaimRecorder,
    format_table,
    format_value,
    load_report,
    summarize,
    write_report,
)

PLUGIN = ("-p", "toymodels.claims")


def run(pytester: pytest.Pytester, *args: str, plugin: bool = True) -> pytest.RunResult:
    """Run pytest in-process on the pytester directory (plugin loaded with -p by default)."""
    extra = PLUGIN if plugin else ()
    return pytester.runpytest(*extra, "-p", "no:cacheprovider", *args)


def run_with_report(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    path = pytester.path / "claims.json"
    result = run(pytester, f"--claims-report={path}", *args)
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh, parse_constant=_reject_constant)
    return result, data


def _reject_constant(name: str) -> float:
    raise AssertionError(f"report is not strict JSON: contains {name}")


def by_name(data: dict) -> dict[str, dict]:
    return {c["id"].rsplit("::", 1)[-1]: c for c in data["claims"]}


CLAIM = '@pytest.mark.claim(paper="Chen, Bruna 2023", where="Thm 2.1", statement="{s}")'


# --------------------------------------------------------------------------------------------
# Outcomes and the JSON report
# --------------------------------------------------------------------------------------------


def test_passing_claim_is_verified_with_numbers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a=f"""
        import pytest

        {CLAIM.format(s="diverges iff a > 2")}
        def test_threshold(claim):
            a_div = 2.0 + 1e-12
            claim.record(predicted=2.0, measured=a_div, tol=1e-9, eta=0.5, model="F_a")
            assert abs(a_div - 2.0) <= 1e-9
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=1)
    assert data["format"] == REPORT_FORMAT
    assert data["summary"] == {
        "verified": 1,
        "refuted": 0,
        "error": 0,
        "skipped": 0,
        "unrecorded": 0,
    }
    (entry,) = data["claims"]
    assert entry["id"] == "test_a.py::test_threshold"
    assert entry["paper"] == "Chen, Bruna 2023"
    assert entry["where"] == "Thm 2.1"
    assert entry["statement"] == "diverges iff a > 2"
    assert entry["outcome"] == "verified"
    assert entry["predicted"] == 2.0
    assert entry["measured"] == pytest.approx(2.0 + 1e-12, abs=0)
    assert entry["tol"] == 1e-9
    assert entry["rtol"] is None
    assert entry["reason"] == ""
    assert entry["extra"] == {"eta": 0.5, "model": "F_a"}
    assert entry["notes"] == []
    assert len(entry["records"]) == 1
    assert entry["records"][0]["agrees"] is True
    assert entry["duration"] >= 0
    expected_keys = {"id", "paper", "where", "statement", "predicted", "measured", "tol", "rtol"}
    expected_keys |= {"outcome", "reason", "extra", "notes", "records", "duration"}
    assert set(entry) == expected_keys


def test_xfail_claim_is_refuted_with_reason_and_numbers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_b=f"""
        import pytest

        {CLAIM.format(s="sharpness settles at 2/eta")}
        @pytest.mark.xfail(reason="overshoots at large eta", strict=True)
        def test_marker(claim):
            claim.check(predicted=4.0, measured=4.25, tol=0.01)

        {CLAIM.format(s="imperative")}
        def test_imperative(claim):
            claim.record(predicted=1, measured=3)
            pytest.xfail("only for small steps")

        {CLAIM.format(s="not run")}
        @pytest.mark.xfail(reason="known false", run=False)
        def test_not_run(claim):
            raise RuntimeError("never runs")
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(xfailed=3)
    claims = by_name(data)
    marker = claims["test_marker"]
    assert marker["outcome"] == "refuted"
    assert marker["reason"].startswith("overshoots at large eta")
    assert "predicted 4" in marker["reason"] and "measured 4.25" in marker["reason"]
    assert "tol 0.01" in marker["reason"]
    assert (marker["predicted"], marker["measured"], marker["tol"]) == (4.0, 4.25, 0.01)
    assert marker["records"][0]["agrees"] is False
    imperative = claims["test_imperative"]
    assert imperative["outcome"] == "refuted"
    assert "only for small steps" in imperative["reason"]
    assert "predicted 1, measured 3" in imperative["reason"]
    assert claims["test_not_run"]["outcome"] == "refuted"
    assert claims["test_not_run"]["reason"] == "[NOTRUN] known false"
    assert data["summary"]["refuted"] == 3


def test_failing_claim_is_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_c=f"""
        import pytest

        {CLAIM.format(s="checked")}
        def test_check_fails(claim):
            claim.check(predicted=2.0, measured=2.5, tol=1e-3)

        {CLAIM.format(s="plain assert")}
        def test_assert_fails(claim):
            claim.record(predicted=1.0, measured=1.0)
            assert 1 == 2

        {CLAIM.format(s="raises")}
        def test_raises(claim):
            raise ValueError("eta must be positive")
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(failed=3)
    claims = by_name(data)
    assert {c["outcome"] for c in claims.values()} == {"error"}
    check = claims["test_check_fails"]
    assert "claim check failed" in check["reason"]
    assert (check["predicted"], check["measured"]) == (2.0, 2.5)
    assert "assert 1 == 2" in claims["test_assert_fails"]["reason"]
    assert "ValueError: eta must be positive" in claims["test_raises"]["reason"]
    assert data["summary"]["error"] == 3


def test_xpass_is_verified_and_strict_xpass_is_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_x=f"""
        import pytest

        {CLAIM.format(s="lenient")}
        @pytest.mark.xfail(reason="thought false")
        def test_xpass(claim):
            claim.check(predicted=1.0, measured=1.0)

        {CLAIM.format(s="strict")}
        @pytest.mark.xfail(reason="thought false", strict=True)
        def test_strict(claim):
            claim.check(predicted=1.0, measured=1.0)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(xpassed=1, failed=1)
    claims = by_name(data)
    assert claims["test_xpass"]["outcome"] == "verified"
    assert "XPASS" in claims["test_xpass"]["reason"]
    assert "thought false" in claims["test_xpass"]["reason"]
    assert claims["test_strict"]["outcome"] == "error"
    assert "XPASS(strict)" in claims["test_strict"]["reason"]


def test_skipped_claim(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_s=f"""
        import pytest

        {CLAIM.format(s="marker skip")}
        @pytest.mark.skip(reason="needs numba")
        def test_marker_skip(claim):
            pass

        {CLAIM.format(s="imperative skip")}
        def test_imperative_skip(claim):
            pytest.skip("too slow here")
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(skipped=2)
    claims = by_name(data)
    assert claims["test_marker_skip"]["outcome"] == "skipped"
    assert claims["test_marker_skip"]["reason"] == "needs numba"
    assert claims["test_imperative_skip"]["outcome"] == "skipped"
    assert claims["test_imperative_skip"]["reason"] == "too slow here"
    assert data["summary"]["skipped"] == 2


def test_teardown_error_makes_the_claim_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_t=f"""
        import pytest

        @pytest.fixture
        def broken():
            yield
            raise RuntimeError("cleanup failed")

        {CLAIM.format(s="ok but teardown fails")}
        def test_it(claim, broken):
            claim.check(predicted=1, measured=1)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=1, errors=1)
    (entry,) = data["claims"]
    assert entry["outcome"] == "error"
    assert entry["reason"].startswith("teardown: ")
    assert "cleanup failed" in entry["reason"]


def test_unrecorded_claim_is_flagged(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_u=f"""
        import pytest

        {CLAIM.format(s="no measurement")}
        def test_forgot(claim):
            claim.note("notes are not measurements")

        {CLAIM.format(s="no fixture")}
        def test_no_fixture():
            assert True
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=2)
    claims = by_name(data)
    assert claims["test_forgot"]["outcome"] == "unrecorded"
    assert claims["test_forgot"]["notes"] == ["notes are not measurements"]
    assert claims["test_no_fixture"]["outcome"] == "unrecorded"
    assert data["summary"]["unrecorded"] == 2
    result.stdout.fnmatch_lines(
        [
            "WARNING: claim test passed without claim.record()/claim.check()*test_forgot",
            "WARNING: claim test passed without claim.record()/claim.check()*test_no_fixture",
        ]
    )


def test_multiple_records_first_is_main(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_m=f"""
        import pytest

        {CLAIM.format(s="two measurements")}
        def test_two(claim):
            claim.record(predicted=2.0, measured=2.0, tol=0.0, which="first")
            claim.check(predicted=[1, 2], measured=[1.0, 2.0], rtol=1e-12, which="second")
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=1)
    (entry,) = data["claims"]
    assert (entry["predicted"], entry["measured"], entry["tol"]) == (2.0, 2.0, 0.0)
    assert entry["extra"] == {"which": "first"}
    assert [r["extra"]["which"] for r in entry["records"]] == ["first", "second"]
    assert entry["records"][1]["predicted"] == [1, 2]
    assert entry["records"][1]["rtol"] == 1e-12
    result.stdout.fnmatch_lines(["verified*two measurements*2.0*2.0 (+1)"])


def test_numpy_values_are_serialised(pytester: pytest.Pytester) -> None:
    pytest.importorskip("numpy")
    pytester.makepyfile(
        test_np=f"""
        import numpy as np
        import pytest

        {CLAIM.format(s="arrays")}
        def test_arrays(claim):
            eta = np.float32(0.5)
            claim.record(
                predicted=np.array([1.0, 2.0]),
                measured=np.array([[1, 2]], dtype=np.int64)[0],
                tol=np.float64(1e-6),
                eta=eta,
                flags=np.array([True, False]),
                period=np.int64(2),
                stable=np.bool_(True),
            )
            claim.check(predicted=np.float64(4.0), measured=np.full(3, 4.0), tol=0.0)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=1)
    (entry,) = data["claims"]
    assert entry["outcome"] == "verified"
    assert entry["predicted"] == [1.0, 2.0]
    assert entry["measured"] == [1, 2]
    assert entry["tol"] == 1e-6
    assert entry["extra"] == {"eta": 0.5, "flags": [True, False], "period": 2, "stable": True}
    assert entry["records"][1]["measured"] == [4.0, 4.0, 4.0]


def test_report_round_trips_through_load_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_r=f"""
        import math
        import pytest

        {CLAIM.format(s="with param")}
        @pytest.mark.parametrize("eta", [0.5, 1.5])
        def test_param(claim, eta):
            claim.check(predicted=2 / eta, measured=2 / eta, tol=1e-12, eta=eta)
            claim.note(f"eta={{eta}}")

        {CLAIM.format(s="diverges")}
        @pytest.mark.xfail(reason="no divergence")
        def test_nonfinite(claim):
            claim.check(predicted=math.inf, measured=math.nan, rtol=0.1, z=complex(1, -2))
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=2, xfailed=1)
    claims = load_report(pytester.path / "claims.json")
    assert all(isinstance(c, Claim) for c in claims)
    assert [c.id for c in claims] == [c["id"] for c in data["claims"]]
    assert [c.param for c in claims] == ["0.5", "1.5", ""]
    first = claims[0]
    assert (first.outcome, first.predicted, first.measured, first.tol) == (
        "verified",
        4.0,
        4.0,
        1e-12,
    )
    assert first.notes == ("eta=0.5",)
    assert first.extra == {"eta": 0.5}
    refuted = claims[2]
    assert refuted.outcome == "refuted"
    assert refuted.predicted == math.inf
    assert math.isnan(refuted.measured)
    assert refuted.extra == {"z": complex(1, -2)}
    assert refuted.rtol == 0.1
    # the non-finite values are strings in the (strict) JSON file
    entry = data["claims"][2]
    assert (entry["predicted"], entry["measured"]) == ("Infinity", "NaN")
    assert entry["extra"] == {"z": {"__complex__": [1.0, -2.0]}}
    # writing the loaded claims again gives the same file content
    again = write_report(claims, pytester.path / "again" / "claims.json")
    assert json.loads(again.read_text()) == data
    assert summarize(claims) == data["summary"]


def test_relative_report_path_is_resolved_against_invocation_dir(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_p=f"""
        import pytest

        {CLAIM.format(s="s")}
        def test_it(claim):
            claim.check(predicted=True, measured=True)
        """
    )
    result = run(pytester, "--claims-report=out/sub/report.json")
    result.assert_outcomes(passed=1)
    path = pytester.path / "out" / "sub" / "report.json"
    assert [c.outcome for c in load_report(path)] == ["verified"]
    result.stdout.fnmatch_lines([f"claims report written to {path}"])


# --------------------------------------------------------------------------------------------
# The terminal table
# --------------------------------------------------------------------------------------------


def test_terminal_table(pytester: pytest.Pytester) -> None:
    long_statement = "the sharpness of GD with step size eta rises to 2/eta and hovers there " * 4
    pytester.makepyfile(
        test_table=f"""
        import pytest

        @pytest.mark.claim(paper="Cohen et al. 2021", where="Sec 3", statement="{long_statement}")
        @pytest.mark.parametrize("eta", [0.01, 0.02])
        def test_eos(claim, eta):
            claim.record(predicted=2 / eta, measured=2 / eta * (1 + 1e-9), tol=1e-6)

        {CLAIM.format(s="refuted one")}
        @pytest.mark.xfail(reason="catapult instead")
        def test_refuted(claim):
            claim.check(predicted=list(range(10)), measured=[0.5] * 10, tol=0.1)
        """
    )
    result = run(pytester, "-q")
    result.assert_outcomes(passed=2, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*= claims =*",
            "outcome*paper*where*statement*predicted*measured",
            "verified*Cohen et al. 2021*Sec 3 [[]0.01[]]*the sharpness of GD*...*200.0*200.0000002",
            "verified*Cohen et al. 2021*Sec 3 [[]0.02[]]*100.0*100.0000001",
            "refuted*Thm 2.1*refuted one*[[]0, 1, ... (n=10)[]]*[[]0.5, 0.5, ... (n=10)[]]",
            "    reason: catapult instead; predicted [[]0, 1, 2, 3, ... (n=10)[]]*",
            "claims: 3 total, 2 verified, 1 refuted, 0 error, 0 skipped, 0 unrecorded",
        ]
    )
    table_lines = [line for line in result.outlines if line.startswith(("verified", "refuted"))]
    assert len(table_lines) == 3
    assert all(len(line) <= 160 for line in table_lines)


def test_no_claims_table_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_nt=f"""
        import pytest

        {CLAIM.format(s="quiet")}
        def test_it(claim):
            claim.check(predicted="period-2", measured="period-2")
        """
    )
    result = run(pytester, "--no-claims-table")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("outcome*paper*where*")
    result.stdout.fnmatch_lines(["claims: 1 total, 1 verified, *"])


def test_no_claims_section_without_claims(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*= claims =*")


def test_format_table_and_format_value() -> None:
    claim = Claim(
        id="t.py::test_x[a]",
        paper="P",
        where="W",
        statement="S" * 300,
        predicted=1 / 3,
        measured=[1.0, 2.0, 3.0, 4.0, 5.0],
        tol=None,
        outcome="error",
        reason="boom",
        records=({},),
    )
    lines = format_table([claim], width=120)
    assert lines[0].split() == ["outcome", "paper", "where", "statement", "predicted", "measured"]
    assert lines[2].startswith("error")
    assert "W [a]" in lines[2] and "..." in lines[2]
    assert "0.3333333333" in lines[2] and "[1.0, 2.0, ... (n=5)]" in lines[2]
    assert lines[3] == "    reason: boom"
    assert all(len(line) <= 120 for line in lines)
    assert format_value(None) == "-"
    assert format_value(1.23456789012345) == "1.23456789"
    assert format_value(complex(1, -2)) == "(1-2j)"
    assert format_value("x", quote=True) == "'x'"
    assert format_value([[1, 2], [3, 4]]) == "[[1, 2], [3, 4]]"


# --------------------------------------------------------------------------------------------
# Misuse
# --------------------------------------------------------------------------------------------


def test_fixture_in_unmarked_test_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_unmarked="""
        def test_unmarked(claim):
            claim.record(1, 1)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*'claim' fixture is only available in tests marked @pytest.mark.claim*"]
    )
    assert data["claims"] == []


@pytest.mark.parametrize(
    ("marker", "problem"),
    [
        ('claim(paper="P", where="W")', "missing statement"),
        ('claim(paper="P", where="W", statement="S", page=3)', "unexpected argument 'page'"),
        ('claim("P", "W", statement=3)', "statement must be a string"),
        ('claim("P", "W", "S", paper="Q")', "paper given twice"),
    ],
)
def test_invalid_marker_is_an_error(pytester: pytest.Pytester, marker: str, problem: str) -> None:
    pytester.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.{marker}
        def test_bad(claim):
            claim.record(1, 1)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(errors=1)
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

        @pytest.mark.claim("Paper A", "Lemma 1", "stated for the class")
        class TestLemma:
            def test_one(self, claim):
                claim.check(1.0, 1.0)

            def test_two(self, claim):
                claim.check(2.0, 2.0)
        """
    )
    result, data = run_with_report(pytester)
    result.assert_outcomes(passed=2)
    assert [(c["paper"], c["where"], c["outcome"]) for c in data["claims"]] == [
        ("Paper A", "Lemma 1", "verified")
    ] * 2
    assert [c["id"] for c in data["claims"]] == [
        "test_cls.py::TestLemma::test_one",
        "test_cls.py::TestLemma::test_two",
    ]


def test_marker_is_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_strict=f"""
        import pytest

        {CLAIM.format(s="strict")}
        def test_it(claim):
            claim.check(0, 0)
        """
    )
    result = run(pytester, "--strict-markers")
    result.assert_outcomes(passed=1)
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.claim(paper, where, statement):*"])


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


LOAD_TEST = f"""
import pytest

{CLAIM.format(s="loaded")}
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


def test_plugin_given_twice_with_p(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_load=LOAD_TEST)
    result = run(pytester, "-p", "toymodels.claims")  # plus the one run() adds
    result.assert_outcomes(passed=1)
    assert sum("= claims =" in line for line in result.outlines) == 1


def test_importing_the_module_imports_only_stdlib() -> None:
    import toymodels.claims as claims_module

    path = Path(claims_module.__file__)
    code = textwrap.dedent(
        f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("claims_isolated", {str(path)!r})
        mod = importlib.util.module_from_spec(spec)
        sys.modules["claims_isolated"] = mod
        spec.loader.exec_module(mod)
        rec = mod.ClaimRecorder("x", "P", "W", "S")
        rec.check(1.0, 1.0)
        heavy = ("numpy", "scipy", "sympy", "pytest", "_pytest", "pluggy")
        print(sorted(m for m in heavy if m in sys.modules))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# ClaimRecorder.check / record semantics (direct)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def rec() -> ClaimRecorder:
    return ClaimRecorder("t.py::test", "Chen, Bruna 2023", "Thm 2.1", "diverges iff a > 2")


def test_check_failure_message_has_the_numbers(rec: ClaimRecorder) -> None:
    with pytest.raises(AssertionError) as excinfo:
        rec.check(predicted=2.0, measured=2.5, tol=1e-3, rtol=1e-6)
    message = str(excinfo.value)
    assert "claim check failed [Chen, Bruna 2023, Thm 2.1]: diverges iff a > 2" in message
    assert "predicted: 2.0" in message
    assert "measured:  2.5" in message
    assert "diff:      0.5" in message
    assert "tol:       0.001" in message and "rtol: 1e-06" in message
    assert rec.records[0]["agrees"] is False  # recorded before asserting


def test_check_sequences_elementwise(rec: ClaimRecorder) -> None:
    rec.check([1.0, 2.0, 3.0], (1.0, 2.0 + 1e-10, 3.0), tol=1e-9)
    with pytest.raises(AssertionError) as excinfo:
        rec.check([1.0, 2.0, 3.0], [1.0, 2.1, 3.3], tol=0.05)
    message = str(excinfo.value)
    assert "failing:   2 of 3 elements; first at [1]: predicted 2.0, measured 2.1" in message
    assert "diff:      0.3" in message  # the max over elements
    with pytest.raises(AssertionError, match=r"mismatch, length 2 \(predicted\) vs 3"):
        rec.check([1.0, 2.0], [1.0, 2.0, 3.0], tol=1.0)


def test_check_broadcasts_a_scalar(rec: ClaimRecorder) -> None:
    rec.check(2.0, [1.99, 2.0, 2.01], tol=0.02)
    rec.check([[1.0, 1.0], [1.0, 1.0]], 1.0)
    with pytest.raises(AssertionError, match=r"first at \[2\]"):
        rec.check(2.0, [2.0, 2.0, 2.5], tol=0.1)


def test_check_relative_tolerance(rec: ClaimRecorder) -> None:
    rec.check(1000.0, 1000.5, rtol=1e-3)
    rec.check(1000.0, 1001.5, tol=0.5, rtol=1e-3)
    with pytest.raises(AssertionError):
        rec.check(1000.0, 1002.0, rtol=1e-3)


def test_check_equality_without_tolerance(rec: ClaimRecorder) -> None:
    rec.check(2, 2)
    rec.check(True, True)
    rec.check("period-2", "period-2")
    rec.check(None, None)
    rec.check(0.1 + 0.2, 0.1 + 0.2)
    for predicted, measured in [(2, 3), (True, False), ("chaotic", "period-4"), (0.3, 0.1 + 0.2)]:
        with pytest.raises(AssertionError):
            rec.check(predicted, measured)
    with pytest.raises(AssertionError, match="compared for equality"):
        rec.check("a", "b", tol=10.0)  # strings ignore tolerances
    with pytest.raises(AssertionError):
        rec.check(True, 1.5, tol=10.0)


def test_check_nonfinite(rec: ClaimRecorder) -> None:
    rec.check(math.inf, math.inf)
    rec.check(-math.inf, -math.inf, tol=1.0)
    rec.check(math.nan, math.nan)
    for predicted, measured in [(1.0, math.nan), (math.nan, 1.0), (1.0, math.inf)]:
        with pytest.raises(AssertionError):
            rec.check(predicted, measured, tol=1e9)
    with pytest.raises(AssertionError, match="diff:      nan"):
        rec.check([1.0, 2.0], [1.0, math.nan], tol=1.0)
    rec.check(1.0, 1e300, tol=math.inf)


def test_check_complex(rec: ClaimRecorder) -> None:
    rec.check(complex(0, 1), complex(0, 1 + 1e-12), tol=1e-9)
    with pytest.raises(AssertionError):
        rec.check(complex(0, 1), complex(0, -1), tol=1e-9)


def test_record_validates_its_input(rec: ClaimRecorder) -> None:
    with pytest.raises(TypeError, match=r"^predicted"):
        rec.record(object(), 1.0)
    with pytest.raises(TypeError, match=r"^measured\[1\]"):
        rec.record(1.0, [1.0, object()])
    with pytest.raises(ValueError, match=r"^tol"):
        rec.record(1.0, 1.0, tol=-1.0)
    with pytest.raises(ValueError, match=r"^rtol"):
        rec.record(1.0, 1.0, rtol=math.nan)
    with pytest.raises(TypeError, match=r"^tol"):
        rec.record(1.0, 1.0, tol="small")
    with pytest.raises(TypeError, match=r"^tol"):
        rec.record(1.0, 1.0, tol=True)
    assert rec.records == []  # nothing stored by failed calls
    assert rec.record(1.0, 1.0, model=object()) is None
    assert rec.records[0]["extra"]["model"].startswith("<object object")


def test_record_converts_plain_types(rec: ClaimRecorder) -> None:
    from fractions import Fraction

    rec.record((1, 2.5, (3, 4)), {3}, Fraction(1, 4), cfg={"k": (1, 2)})
    entry = rec.records[0]
    assert entry["predicted"] == [1, 2.5, [3, 4]]
    assert entry["measured"] == [3]
    assert entry["tol"] == 0.25
    assert entry["extra"] == {"cfg": {"k": [1, 2]}}


def test_claim_dataclass() -> None:
    claim = Claim("t.py::test_x[1-2]", "P", "W", "S", outcome="verified")
    assert claim.param == "1-2"
    assert Claim("t.py::T::test_y", "P", "W", "S").param == ""
    assert claim.outcome in OUTCOMES
    with pytest.raises(ValueError, match="outcome"):
        Claim("id", "P", "W", "S", outcome="maybe")
    with pytest.raises(AttributeError):
        claim.outcome = "error"  # type: ignore[misc]
    assert Claim.from_dict(claim.to_dict()) == claim
    assert hash(claim) == hash(Claim.from_dict(claim.to_dict()))


def test_load_report_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"results": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a claims report"):
        load_report(bad)
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_report(bad)
    bad.write_text('{"claims": [{"id": "x"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"claims\[0\] is invalid"):
        load_report(bad)


def test_collected_claims_during_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from toymodels.claims import collected_claims

        def pytest_sessionfinish(session):
            claims = collected_claims(session.config)
            print("COLLECTED", [(c.outcome, c.measured) for c in claims])
        """
    )
    pytester.makepyfile(test_load=LOAD_TEST)
    result = run(pytester, "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*COLLECTED [[]('verified', 2)[]]*"])


def test_check_infinite_tolerance_against_infinite_prediction(rec: ClaimRecorder) -> None:
    rec.check(math.inf, 1e300, tol=math.inf)
    with pytest.raises(AssertionError):
        rec.check(math.inf, 1e300, tol=1.0, rtol=0.0)
    with pytest.raises(AssertionError):
        rec.check(math.inf, 5.0, rtol=0.5)
