"""Issue 10, requirement 4: fuzz every public function and model-family constructor.

For every target of ``tests/fuzz/targets.py`` (each public callable of ``toymodels`` and
``toymodels.models.*``, with a valid small call) one argument at a time is replaced by a bad value
(``tests/fuzz/strategies.py``: step sizes, states, shapes, dtypes, tolerances, counts, ranges,
expressions, seeds, callables, names). Every case must end ``clear`` (a ValueError/TypeError whose
message names the parameter, within the time bound, with no warning) or ``lenient`` (accepted by
design, with the reason written next to the rule). ``silent``, ``unclear``, ``slow`` and
``warned`` fail, with the target, parameter, value, outcome and message in the failure.

* ``test_catalogue``: the fixed catalogue of bad values (deterministic, every run);
* ``test_fuzz``: random bad values from hypothesis (``fast`` profile by default, deep runs with
  ``HYPOTHESIS_PROFILE=thorough``);
* ``test_valid_call``: the valid calls really are valid (so a failure comes from the bad value);
* ``test_registry_covers_public_api``: no public parameter is left out.

``python -m tests.fuzz.report`` prints the counts (tried / clear / lenient / unclear / silent /
slow / warned) and the lenient-by-design list.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, given, settings

from tests.fuzz.report import case_strategy, catalogue_cases
from tests.fuzz.runner import OK_OUTCOMES, names_param, run_case, run_valid
from tests.fuzz.targets import all_targets, coverage_gaps

TARGETS = all_targets()
#: random cases per target: 6 under the default ``fast`` profile (the catalogue already tries
#: every listed bad value of every parameter; ~300 targets x 20 cases took 18 s of the 3-minute
#: default run), the profile's own count otherwise (``thorough``: 1000)
FUZZ_EXAMPLES = 6 if settings.default.max_examples <= 20 else settings.default.max_examples
IDS = [t.name for t in TARGETS]
LIGHT = [t for t in TARGETS if not t.heavy]


def _failures(results) -> str:
    return "\n".join(r.line() for r in results)


def test_registry_covers_public_api():
    gaps = coverage_gaps()
    assert not gaps, "public parameters without fuzz values:\n" + "\n".join(gaps)


@pytest.mark.parametrize("target", LIGHT, ids=[t.name for t in LIGHT])
def test_valid_call(target):
    r = run_valid(target)
    assert r.outcome == "clear", f"the valid call of {target.name} is not valid: {r.line()}"


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
def test_catalogue(target):
    """Every catalogue value of every parameter: a clear error (or lenient by design)."""
    bad = []
    for pname, value in catalogue_cases(target):
        r = run_case(target, pname, value)
        if r.outcome not in OK_OUTCOMES:
            bad.append(r)
    assert not bad, f"{len(bad)} bad input(s) not refused clearly:\n{_failures(bad)}"


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
def test_fuzz(target):
    """Random bad values (hypothesis): a clear error (or lenient by design)."""

    # no shrinking: a failing case is already one bad value, and shrinking re-runs slow cases
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    @given(case_strategy(target))
    def check(case):
        pname, value = case
        r = run_case(target, pname, value)
        assert r.outcome in OK_OUTCOMES, r.line()

    check()


# ----------------------------------------------------------------------------- the harness itself
@pytest.mark.parametrize(
    ("message", "names", "named"),
    [
        ("eta must be > 0, got -1.0", ("eta",), True),
        ("theta must have shape (..., 2)", ("eta",), False),
        ("lyapunov_steps must be >= 1", ("steps",), False),
        ("a must be a real number", ("a",), True),
        ("x must be a number, got 'a'", ("a",), False),
        ("got a string", ("a",), False),
        ("n must be <= d, got n=5, d=4", ("d",), True),
        ("parameter a is not finite", ("a",), True),
        ("a: got 'a'", ("a",), True),
        ("Unknown format code 'g'", ("y",), False),
    ],
)
def test_names_param(message, names, named):
    assert names_param(message, names) is named
