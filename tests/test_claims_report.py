"""Direct tests of toymodels.claims without pytester: the comparison rules of ``ClaimRecorder``
(relations, signed margins, tolerances, non-finite measurements), the report functions (Claim,
summaries, table, JSON and Markdown) and the stdlib-only import of the package.

The plugin's outcome rules are tested end to end in tests/test_claims_plugin.py.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from toymodels.claims import (
    BASES,
    OUTCOMES,
    PAPER_BASES,
    RELATIONS,
    REPORT_FORMAT,
    Claim,
    ClaimDisagreement,
    ClaimMeasurementError,
    ClaimRecorder,
    format_table,
    format_value,
    load_report,
    render_markdown,
    summarize,
    summarize_by_paper,
    write_report,
)


@pytest.fixture
def rec() -> ClaimRecorder:
    return ClaimRecorder(
        "t.py::test", "Chen, Bruna 2023", "Thm 2.1", "diverges iff a > 2", basis="paper"
    )


def test_public_constants() -> None:
    assert BASES == ("paper", "derived", "reconstruction", "empirical")
    assert PAPER_BASES == ("paper", "derived", "reconstruction")
    assert "empirical" not in PAPER_BASES
    assert RELATIONS == ("==", "<=", ">=")
    assert OUTCOMES == ("verified", "refuted", "error", "not_run")
    assert REPORT_FORMAT == "toymodels-claims/2"
    assert issubclass(ClaimDisagreement, AssertionError)
    assert issubclass(ClaimMeasurementError, AssertionError)
    assert not issubclass(ClaimMeasurementError, ClaimDisagreement)
    assert not issubclass(ClaimDisagreement, ClaimMeasurementError)


# --------------------------------------------------------------------------------------------
# Two-sided checks
# --------------------------------------------------------------------------------------------


def test_check_returns_the_record_and_raises_with_it(rec: ClaimRecorder) -> None:
    entry = rec.check(predicted=2.0, measured=2.1, tol=0.5, eta=0.5)
    assert entry is rec.records[0]
    assert entry["agrees"] is True
    assert entry["relation"] == "=="
    assert entry["margin"] == pytest.approx(0.4)  # allowed - |diff|
    assert entry["extra"] == {"eta": 0.5}
    assert "non_finite" not in entry
    assert rec.raised is None
    with pytest.raises(ClaimDisagreement) as excinfo:
        rec.check(predicted=2.0, measured=2.5, tol=1e-3, rtol=1e-6)
    assert excinfo.value.record is rec.records[1]
    assert rec.raised is excinfo.value
    assert rec.records[1]["agrees"] is False  # stored before raising
    assert rec.records[1]["margin"] == pytest.approx(1e-3 + 2e-6 - 0.5)
    message = str(excinfo.value)
    assert "claim check failed [Chen, Bruna 2023, Thm 2.1]: diverges iff a > 2" in message
    assert "predicted: 2.0" in message
    assert "measured:  2.5" in message
    assert "diff:      0.5" in message
    assert "tol:       0.001" in message and "rtol: 1e-06" in message
    assert "margin:    -0.498998 (signed" in message and "negative = violated" in message


def test_record_does_not_raise(rec: ClaimRecorder) -> None:
    entry = rec.record(predicted=2.0, measured=2.5, tol=1e-3)
    assert entry is rec.records[0]
    assert entry["agrees"] is False
    assert rec.raised is None
    nan = rec.record(predicted=1.0, measured=math.nan, tol=1.0)
    assert (nan["agrees"], nan["non_finite"]) == (False, True)


def test_two_sided_floats_need_a_tolerance(rec: ClaimRecorder) -> None:
    for predicted, measured in [(1.0, 1.0), (2, 2.0), (2.0, 2), ([1, 2.0], [1, 2]), (1j, 1j)]:
        with pytest.raises(ValueError, match=r"^tol: a two-sided check of floats needs tol="):
            rec.check(predicted, measured)
        with pytest.raises(ValueError, match=r"^tol"):
            rec.record(predicted, measured)
    assert rec.records == []  # nothing stored by rejected calls
    rec.check(1.0, 1.0, tol=0)  # tol=0: exact
    rec.check(1.0, 1.0, rtol=0)
    with pytest.raises(ClaimDisagreement):
        rec.check(0.3, 0.1 + 0.2, tol=0)
    rec.check(0.3, 0.1 + 0.2, tol=1e-15)


def test_check_relative_tolerance(rec: ClaimRecorder) -> None:
    assert rec.check(1000.0, 1000.5, rtol=1e-3)["margin"] == pytest.approx(0.5)
    rec.check(1000.0, 1001.5, tol=0.5, rtol=1e-3)  # allowed = tol + rtol*|predicted|
    rec.check(-1000.0, -1000.9, rtol=1e-3)  # |predicted|
    with pytest.raises(ClaimDisagreement):
        rec.check(1000.0, 1002.0, rtol=1e-3)
    with pytest.raises(ClaimDisagreement):
        rec.check(0.0, 1e-300, rtol=1.0)  # rtol alone is nothing at predicted 0


def test_ints_bools_strings_are_exact(rec: ClaimRecorder) -> None:
    assert rec.check(2, 2)["margin"] == 0
    rec.check(True, True)
    rec.check("period-2", "period-2")
    rec.check([1, 2, 3], (1, 2, 3))
    rec.check({"period": 2}, {"period": 2})
    rec.check(10**30, 10**30)
    for predicted, measured in [(2, 3), (True, False), ("chaotic", "period-4"), ([1, 2], [1, 3])]:
        with pytest.raises(ClaimDisagreement):
            rec.check(predicted, measured)
    with pytest.raises(ClaimDisagreement, match="compared for equality"):
        rec.check("a", "b", tol=10.0)  # strings ignore tolerances
    with pytest.raises(ClaimDisagreement):
        rec.check(True, 1.5, tol=10.0)  # a bool is not a number
    rec.check(2, 3, tol=1)  # ints with an explicit tolerance are compared numerically


def test_check_complex(rec: ClaimRecorder) -> None:
    rec.check(complex(0, 1), complex(0, 1 + 1e-12), tol=1e-9)
    with pytest.raises(ClaimDisagreement):
        rec.check(complex(0, 1), complex(0, -1), tol=1e-9)


# --------------------------------------------------------------------------------------------
# One-sided relations
# --------------------------------------------------------------------------------------------


def test_less_equal_signed_margin(rec: ClaimRecorder) -> None:
    entry = rec.check(predicted=1.0, measured=0.75, relation="<=")
    assert (entry["agrees"], entry["margin"], entry["relation"]) == (True, 0.25, "<=")
    assert rec.check(predicted=1.0, measured=1.0, relation="<=")["margin"] == 0.0
    with pytest.raises(ClaimDisagreement) as excinfo:
        rec.check(predicted=1.0, measured=1.5, relation="<=")
    assert excinfo.value.record["margin"] == -0.5  # signed: no clamping at 0
    message = str(excinfo.value)
    assert "relation:  measured <= predicted" in message
    assert "margin:    -0.5" in message
    assert "tol:" not in message  # tolerances of '==' are not shown for one-sided checks


def test_greater_equal_signed_margin(rec: ClaimRecorder) -> None:
    entry = rec.check(predicted=0.0, measured=0.3, relation=">=")
    assert (entry["agrees"], entry["margin"]) == (True, 0.3)
    with pytest.raises(ClaimDisagreement) as excinfo:
        rec.check(predicted=0.0, measured=-0.25, relation=">=")
    assert excinfo.value.record["margin"] == -0.25
    assert "measured >= predicted" in str(excinfo.value)


def test_one_sided_tol_is_slack(rec: ClaimRecorder) -> None:
    # measured <= predicted + tol; the margin stays the raw signed difference
    entry = rec.check(predicted=1.0, measured=1.05, tol=0.1, relation="<=")
    assert entry["agrees"] is True
    assert entry["margin"] == pytest.approx(-0.05)
    entry = rec.check(predicted=0.0, measured=-0.05, tol=0.1, relation=">=")
    assert entry["agrees"] is True
    assert entry["margin"] == pytest.approx(-0.05)
    with pytest.raises(ClaimDisagreement, match=r"slack tol 0\.1"):
        rec.check(predicted=1.0, measured=1.2, tol=0.1, relation="<=")
    with pytest.raises(ClaimDisagreement):
        rec.check(predicted=0.0, measured=-0.2, tol=0.1, relation=">=")


def test_one_sided_floats_need_no_tol_but_reject_rtol(rec: ClaimRecorder) -> None:
    rec.check(2.0, 1.999, relation="<=")
    for relation in ("<=", ">="):
        with pytest.raises(ValueError, match=r"rtol applies to relation '==' only"):
            rec.check(2.0, 2.0, rtol=1e-3, relation=relation)
        with pytest.raises(ValueError, match="rtol"):
            rec.record(2.0, 2.0, rtol=0, relation=relation)
    assert len(rec.records) == 1


def test_unknown_relation_is_rejected(rec: ClaimRecorder) -> None:
    for relation in ("<", ">", "!=", "=", "le", None):
        with pytest.raises(ValueError, match="relation must be one of"):
            rec.check(1, 1, relation=relation)
    assert rec.records == []


def test_one_sided_ints_and_unordered_values(rec: ClaimRecorder) -> None:
    assert rec.check(3, 2, relation="<=")["margin"] == 1
    assert rec.check(3, 3, relation=">=")["margin"] == 0
    with pytest.raises(ClaimDisagreement):
        rec.check(2, 3, relation="<=")
    # strings, bools and complex numbers are not ordered: a one-sided check of them disagrees
    for predicted, measured in [("a", "a"), (True, True), (1j, 1j)]:
        with pytest.raises(ClaimDisagreement):
            rec.check(predicted, measured, relation="<=")


def test_one_sided_elementwise_and_broadcast(rec: ClaimRecorder) -> None:
    entry = rec.check(predicted=1.0, measured=[0.5, 0.9, 1.0], relation="<=")
    assert entry["margin"] == 0.0  # the smallest over elements
    entry = rec.check(predicted=[1.0, 2.0, 3.0], measured=0.5, relation="<=")
    assert entry["margin"] == 0.5
    entry = rec.check(predicted=[0, 1], measured=[[1, 2], [3, 4]], relation=">=")
    assert entry["margin"] == 1
    with pytest.raises(ClaimDisagreement) as excinfo:
        rec.check(predicted=[1, 2, 3], measured=[0, 2, 4], relation="<=")
    assert excinfo.value.record["margin"] == -1
    assert "failing:   1 of 3 elements; first at [2]: predicted 3, measured 4" in str(excinfo.value)


# --------------------------------------------------------------------------------------------
# Elementwise comparison, broadcasting, shapes
# --------------------------------------------------------------------------------------------


def test_check_sequences_elementwise(rec: ClaimRecorder) -> None:
    entry = rec.check([1.0, 2.0, 3.0], (1.0, 2.0 + 1e-10, 3.0), tol=1e-9)
    assert entry["margin"] == pytest.approx(1e-9 - 1e-10)
    with pytest.raises(ClaimDisagreement) as excinfo:
        rec.check([1.0, 2.0, 3.0], [1.0, 2.1, 3.3], tol=0.05)
    message = str(excinfo.value)
    assert "failing:   2 of 3 elements; first at [1]: predicted 2.0, measured 2.1" in message
    assert "diff:      0.3" in message  # the max over elements
    assert excinfo.value.record["margin"] == pytest.approx(0.05 - 0.3)


def test_check_broadcasts_a_scalar(rec: ClaimRecorder) -> None:
    rec.check(2.0, [1.99, 2.0, 2.01], tol=0.02)
    rec.check([[1, 1], [1, 1]], 1)
    rec.check([1.0, 1.0], [[1.0, 1.0], [1.0, 1.0]], tol=0)  # broadcast one level down
    with pytest.raises(ClaimDisagreement, match=r"first at \[2\]"):
        rec.check(2.0, [2.0, 2.0, 2.5], tol=0.1)


def test_shape_mismatch_disagrees(rec: ClaimRecorder) -> None:
    with pytest.raises(ClaimDisagreement, match=r"mismatch, length 2 \(predicted\) vs 3"):
        rec.check([1.0, 2.0], [1.0, 2.0, 3.0], tol=1.0)
    with pytest.raises(
        ClaimDisagreement, match=r"length 1 \(predicted\) vs 2 \(measured\) at \[1\]"
    ):
        rec.check([[1, 2], [3]], [[1, 2], [3, 4]])
    with pytest.raises(ClaimDisagreement, match="mismatch"):
        rec.check([1, 2], [1, 2, 3], relation="<=")
    assert [r["agrees"] for r in rec.records] == [False] * 3
    assert [r["margin"] for r in rec.records] == [None] * 3


# --------------------------------------------------------------------------------------------
# NaN, inf, None: never agree, and are not disagreements
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predicted", "measured", "kwargs"),
    [
        (1.0, math.nan, {"tol": 1e9}),
        (1.0, math.inf, {"tol": math.inf}),
        (1.0, -math.inf, {"relation": "<="}),
        (0.0, math.inf, {"relation": ">="}),
        (math.inf, math.inf, {"tol": 0}),
        (math.nan, math.nan, {"tol": 0}),
        (None, None, {}),
        (1, None, {}),
        ([1.0, 2.0], [1.0, math.nan], {"tol": 1.0}),
        ([[1.0], [2.0]], [[1.0], [math.inf]], {"tol": 1.0}),
        (complex(1, 1), complex(1, math.nan), {"tol": 1.0}),
        ({"a": 1.0}, {"a": math.nan}, {"tol": 1.0}),
    ],
)
def test_non_finite_measured_never_agrees(
    rec: ClaimRecorder, predicted: object, measured: object, kwargs: dict
) -> None:
    with pytest.raises(ClaimMeasurementError, match="measured value is NaN, inf or None") as exc:
        rec.check(predicted, measured, **kwargs)
    assert not isinstance(exc.value, ClaimDisagreement)
    assert rec.raised is exc.value
    entry = rec.records[0]
    assert exc.value.record is entry
    assert (entry["agrees"], entry["non_finite"]) == (False, True)
    entry = rec.record(predicted, measured, **kwargs)
    assert (entry["agrees"], entry["non_finite"]) == (False, True)


def test_non_finite_predicted_disagrees(rec: ClaimRecorder) -> None:
    for predicted in (math.nan, math.inf):
        with pytest.raises(ClaimDisagreement):
            rec.check(predicted, 1.0, tol=1e9)
    with pytest.raises(ClaimDisagreement):
        rec.check(math.inf, 1e300, tol=math.inf)
    assert rec.check(1.0, 1e300, tol=math.inf)["margin"] == math.inf


def test_numpy_values(rec: ClaimRecorder) -> None:
    np = pytest.importorskip("numpy")
    entry = rec.check(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), tol=np.float64(1e-9))
    assert entry["predicted"] == [1.0, 2.0] and isinstance(entry["predicted"][0], float)
    assert entry["tol"] == 1e-9 and type(entry["tol"]) is float
    entry = rec.check(np.int64(3), np.int64(3))  # exact ints, no tol needed
    assert entry["measured"] == 3 and type(entry["measured"]) is int
    assert rec.check(np.bool_(True), np.bool_(True))["measured"] is True
    rec.check(np.float64(1.0), np.array([0.5, 1.0]), relation="<=")
    with pytest.raises(ValueError, match="tol"):
        rec.check(np.float32(1.0), np.float32(1.0))
    with pytest.raises(ClaimMeasurementError):
        rec.check(1.0, np.float64("nan"), tol=1.0)
    with pytest.raises(ClaimMeasurementError):
        rec.check([1.0, 1.0], np.array([1.0, np.inf]), tol=1.0)
    with pytest.raises(ClaimDisagreement, match="mismatch"):
        rec.check(np.zeros(2), np.zeros(3), tol=1.0)


def test_record_validates_its_input(rec: ClaimRecorder) -> None:
    with pytest.raises(TypeError, match=r"^predicted"):
        rec.record(object(), 1)
    with pytest.raises(TypeError, match=r"^measured\[1\]"):
        rec.record(1, [1, object()])
    with pytest.raises(ValueError, match=r"^tol"):
        rec.record(1.0, 1.0, tol=-1.0)
    with pytest.raises(ValueError, match=r"^rtol"):
        rec.record(1.0, 1.0, rtol=math.nan)
    with pytest.raises(TypeError, match=r"^tol"):
        rec.record(1.0, 1.0, tol="small")
    with pytest.raises(TypeError, match=r"^tol"):
        rec.record(1.0, 1.0, tol=True)
    assert rec.records == []  # nothing stored by failed calls
    entry = rec.record(1, 1, model=object())
    assert entry["extra"]["model"].startswith("<object object")


def test_record_converts_plain_types(rec: ClaimRecorder) -> None:
    rec.record((1, 2.5, (3, 4)), [1, 2.5, [3, 4]], Fraction(1, 4), cfg={"k": (1, 2)})
    entry = rec.records[0]
    assert entry["predicted"] == [1, 2.5, [3, 4]]
    assert entry["tol"] == 0.25
    assert entry["extra"] == {"cfg": {"k": [1, 2]}}
    assert entry["agrees"] is True
    entry = rec.record(3, frozenset({3}))
    assert (entry["measured"], entry["agrees"]) == ([3], True)


def test_sets_are_stored_sorted_whatever_the_hash_seed(rec: ClaimRecorder) -> None:
    entry = rec.check({"period-4", "chaotic", "fixed"}, frozenset({"fixed", "chaotic", "period-4"}))
    assert entry["predicted"] == entry["measured"] == ["chaotic", "fixed", "period-4"]
    assert rec.check({1, "a"}, {"a", 1})["agrees"] is True  # mixed types: a fixed order too
    code = (
        "from toymodels.claims import ClaimRecorder\n"
        "r = ClaimRecorder()\n"
        "print(r.record({'chaotic', 'period-2', 'period-4', 'fixed', 'x', 'y'}, {'a', 'b'},"
        " s={'u', 'v', 'w'}))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1, outputs


def test_note_and_repr(rec: ClaimRecorder) -> None:
    rec.note("first")
    rec.note(3)  # type: ignore[arg-type]
    assert rec.notes == ["first", "3"]
    assert "t.py::test" in repr(rec) and "records=0" in repr(rec)
    assert rec.basis == "paper"


# --------------------------------------------------------------------------------------------
# Claim, summaries, table, Markdown, JSON
# --------------------------------------------------------------------------------------------


def _claims() -> list[Claim]:
    record = {
        "predicted": 1.0,
        "measured": math.nan,
        "tol": None,
        "rtol": None,
        "relation": "<=",
        "margin": math.nan,
        "agrees": False,
        "extra": {"z": complex(1, -2)},
        "non_finite": True,
    }
    return [
        Claim("t.py::test_a[1]", "Paper A", "Thm 1", "s1", "paper", 2.0, 2.0, 0.0, "verified"),
        Claim("t.py::test_b", "Paper B", "Sec 2", "s2", "empirical", outcome="verified"),
        Claim("t.py::test_c", "Paper A", "Fig 3", "s3 | piped", "derived", outcome="not_run"),
        Claim(
            "t.py::test_d",
            "Paper A",
            "Thm 4",
            "s4",
            "paper",
            predicted=1.0,
            measured=math.nan,
            outcome="error",
            reason="record 0 measured NaN / inf / None",
            relation="<=",
            margin=math.nan,
            notes=("a note",),
            records=(record,),
        ),
        Claim("t.py::test_e", "Paper B", "Sec 5", "s5", "reconstruction", outcome="refuted"),
    ]


def test_claim_dataclass() -> None:
    claim = Claim("t.py::test_x[1-2]", "P", "W", "S", "derived", outcome="verified")
    assert claim.param == "1-2"
    assert Claim("t.py::T::test_y", "P", "W", "S").param == ""
    with pytest.raises(ValueError, match="outcome"):
        Claim("id", "P", "W", "S", outcome="maybe")
    with pytest.raises(AttributeError):
        claim.outcome = "error"  # type: ignore[misc]
    assert Claim.from_dict(claim.to_dict()) == claim
    assert hash(claim) == hash(Claim.from_dict(claim.to_dict()))
    assert list(claim.to_dict())[:5] == ["id", "paper", "where", "statement", "basis"]
    with pytest.raises(ValueError, match="missing"):
        Claim.from_dict({"id": "x"})
    with pytest.raises(TypeError):
        Claim.from_dict(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_summaries() -> None:
    claims = _claims()
    assert summarize(claims) == {"verified": 2, "refuted": 1, "error": 1, "not_run": 1}
    by_paper = summarize_by_paper(claims)
    assert list(by_paper) == ["Paper A", "Paper B"]
    assert list(by_paper["Paper A"]) == ["paper", "derived"]  # BASES order
    assert list(by_paper["Paper B"]) == ["reconstruction", "empirical"]
    assert by_paper["Paper A"]["paper"] == {"verified": 1, "refuted": 0, "error": 1, "not_run": 0}
    assert by_paper["Paper B"]["empirical"]["verified"] == 1
    assert summarize([]) == dict.fromkeys(OUTCOMES, 0)


def test_write_report_json_is_strict_and_round_trips(tmp_path: Path) -> None:
    claims = _claims()
    path = write_report(claims, tmp_path / "deep" / "dir" / "claims.json")
    text = path.read_text(encoding="utf-8")

    def reject(name: str) -> float:
        raise AssertionError(f"not strict JSON: {name}")

    data = json.loads(text, parse_constant=reject)
    assert data["format"] == REPORT_FORMAT
    assert data["summary"]["paper_verifications"] == 1  # the empirical verified row is not one
    assert data["summary"]["by_basis"] == {
        "paper": {"verified": 1, "refuted": 0, "error": 1, "not_run": 0},
        "derived": {"verified": 0, "refuted": 0, "error": 0, "not_run": 1},
        "reconstruction": {"verified": 0, "refuted": 1, "error": 0, "not_run": 0},
        "empirical": {"verified": 1, "refuted": 0, "error": 0, "not_run": 0},
    }
    d = data["claims"][3]
    assert (d["measured"], d["margin"]) == ("NaN", "NaN")
    assert d["records"][0]["extra"] == {"z": {"__complex__": [1.0, -2.0]}}
    loaded = load_report(path)
    assert [c.id for c in loaded] == [c.id for c in claims]
    assert loaded[0] == claims[0]
    assert math.isnan(loaded[3].measured) and math.isnan(loaded[3].margin)
    assert loaded[3].records[0]["extra"] == {"z": complex(1, -2)}
    assert loaded[3].notes == ("a note",)
    assert write_report(loaded, tmp_path / "again.json").read_text(encoding="utf-8") == text
    assert not list(tmp_path.rglob("*.tmp"))  # written atomically, no leftovers


def test_markdown_and_table() -> None:
    claims = _claims()
    md = render_markdown(claims)
    assert md.endswith("\n") and md.startswith("# Claims report\n")
    assert "5 claims: 2 verified, 1 refuted, 1 error, 1 not_run." in md
    assert "(basis paper / derived / reconstruction): 1; empirical regression checks" in md
    assert "| Paper A | paper | 1 | 0 | 1 | 0 |" in md
    assert "| Paper B | empirical | 1 | 0 | 0 | 0 |" in md
    assert md.index("## Paper A") < md.index("## Paper B")
    assert "s3 \\| piped" in md
    assert "| **error** | paper | Thm 4 | s4<br>reason: record 0 measured NaN" in md
    assert "<br>note: a note |" in md
    assert "`t.py::test_a[1]`" in md
    assert render_markdown(claims) == md  # deterministic

    lines = format_table(claims, width=120)
    assert lines[0].split() == [
        "outcome",
        "basis",
        "paper",
        "where",
        "statement",
        "predicted",
        "measured",
    ]
    assert lines[2].split()[:5] == ["verified", "paper", "Paper", "A", "Thm"]
    assert "Thm 1 [1]" in lines[2]
    error_row = next(line for line in lines if line.startswith("error"))
    assert "<= 1.0" in error_row and "nan" in error_row
    assert "    reason: record 0 measured NaN / inf / None" in lines
    assert "    note: a note" in lines
    assert all(len(line) <= 120 for line in lines)


def test_format_value() -> None:
    assert format_value(None) == "-"
    assert format_value(2.0) == "2.0"
    assert format_value(1.23456789012345) == "1.23456789"
    assert format_value(math.nan) == "nan"
    assert format_value(complex(1, -2)) == "(1-2j)"
    assert format_value("x") == "x"
    assert format_value("x", quote=True) == "'x'"
    assert format_value([[1, 2], [3, 4]]) == "[[1, 2], [3, 4]]"
    assert format_value(list(range(10))) == "[0, 1, 2, 3, ... (n=10)]"
    assert format_value({"a": 1}) == "{a=1}"


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
    bad.write_text(
        '{"claims": [{"id": "x", "paper": "P", "where": "W", "statement": "S", '
        '"outcome": "skipped"}]}',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"claims\[0\] is invalid.*outcome"):
        load_report(bad)


# --------------------------------------------------------------------------------------------
# The package imports only the standard library
# --------------------------------------------------------------------------------------------


def test_importing_the_package_imports_only_stdlib(tmp_path: Path) -> None:
    """Import toymodels.claims with numpy, pytest & co. blocked, and use it without pytest.

    ``import toymodels.claims`` first runs ``toymodels/__init__.py``, which imports numpy (the
    library). The subprocess therefore registers a bare ``toymodels`` package (the real
    directory, without running its ``__init__``), so that only the claims package and its
    submodules are imported.
    """
    import toymodels

    package_dir = Path(toymodels.__file__).parent
    code = textwrap.dedent(
        f"""
        import importlib.abc, sys, types

        BLOCKED = {{"numpy", "scipy", "sympy", "pytest", "_pytest", "pluggy", "hypothesis"}}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"blocked: {{name}}")
                return None

        before = set(sys.modules)  # the interpreter's startup (site, .pth hooks)
        sys.meta_path.insert(0, Block())
        pkg = types.ModuleType("toymodels")
        pkg.__path__ = [{str(package_dir)!r}]
        sys.modules["toymodels"] = pkg

        import toymodels.claims as claims
        import toymodels.claims.plugin, toymodels.claims.recording, toymodels.claims.report

        rec = claims.ClaimRecorder("x", "P", "W", "S", "paper")
        rec.check(1.0, 1.0, tol=0)
        rec.check(1.0, 0.5, relation="<=")
        try:
            rec.check(1.0, 2.0, tol=0.1)
        except claims.ClaimDisagreement:
            pass
        claim = claims.Claim("x", "P", "W", "S", "paper", 1.0, 1.0, 0.0, "verified",
                             records=tuple(rec.records))
        claims.write_report([claim], {str(tmp_path / "r.json")!r})
        claims.write_report([claim], {str(tmp_path / "r.md")!r})
        assert claims.load_report({str(tmp_path / "r.json")!r}) == [claim]
        claims.format_table([claim])

        stdlib = set(sys.stdlib_module_names) | {{"toymodels"}}
        foreign = sorted({{m.split(".")[0] for m in set(sys.modules) - before}} - stdlib)
        print("FOREIGN", foreign)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "FOREIGN []"
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Claims report")
