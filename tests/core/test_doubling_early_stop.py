"""``period_doubling_points`` when it stops early: a bracket and a reason, never a silent answer.

A linear family x ↦ (1 − ηλ)x flips at η = 2/λ and has no period-2 branch past it (the flip is
degenerate: every point is 2-periodic at η = 2/λ, none past it); the search must say so and
bracket where it stopped. An exhausted time budget brackets the unsearched rest of the range.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import toymodels as tm


@pytest.mark.parametrize("lam", [1.0, 3.0])
def test_linear_family_stops_after_its_flip(lam):
    m = tm.Model.from_sympy(f"{lam}*x**2/2", ["x"])
    res = tm.period_doubling_points(m, [0.5], (0.1, 3.0), max_doublings=3)
    assert res.tolist() == pytest.approx([2 / lam], abs=1e-12)
    assert not res.complete
    lo, hi = res.bracket
    assert lo == pytest.approx(2 / lam, abs=1e-12) and 2 / lam < hi < 3.0
    assert "diverges" in res.reason and "period-2" in res.reason
    # past the bracket GD really has no bounded orbit: |1 − ηλ| > 1
    assert abs(1 - hi * lam) > 1
    det = tm.period_doubling_points(m, [0.5], (0.1, 3.0), max_doublings=3, return_details=True)
    assert det.bracket == res.bracket and det.reason == res.reason and not det.complete


def test_complete_search_has_no_bracket():
    fam = tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")
    res = tm.period_doubling_points(fam, 0.3, (2.8, 3.5), max_doublings=2)
    np.testing.assert_allclose(res, [3.0, 1 + math.sqrt(6)], atol=1e-10)
    assert res.complete and all(math.isnan(b) for b in res.bracket)
    back = pickle.loads(pickle.dumps(res))
    assert back.complete and all(math.isnan(b) for b in back.bracket)
    assert back.reason == res.reason


def test_out_of_time_brackets_the_rest():
    fam = tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")
    res = tm.period_doubling_points(fam, 0.3, (2.8, 3.57), max_doublings=14, max_seconds=0.3)
    assert not res.complete and "max_seconds" in res.reason
    lo, hi = res.bracket
    assert hi == 3.57 and lo == res.scanned[1]
    assert res.size == 0 or lo >= res.max()
    assert "bracket=" in repr(res)
