"""Claims: published statements about gradient descent made executable, as a pytest plugin.

A *claim* is one statement from a paper, checked by one test against an independent
computation::

    import pytest
    from toymodels.claims import ClaimDisagreement

    @pytest.mark.claim(paper="Chen, Bruna 2023", where="Thm 2.1",
                       statement="diverges iff a > 2", basis="paper")
    def test_divergence_threshold(claim):
        a_div = ...                                           # measure the threshold
        claim.check(predicted=2.0, measured=a_div, tol=1e-9)  # raises when they disagree
        claim.check(predicted=2 / eta, measured=s_final, relation="<=")  # one-sided bound

    @pytest.mark.xfail(strict=True, raises=ClaimDisagreement, reason="measured 0.93, not 1")
    @pytest.mark.claim(...)
    def test_refuted(claim):
        claim.check(predicted=1.0, measured=0.926, tol=0.01)  # disagrees: refuted

Outcomes: ``verified`` (passed, every record agreed), ``refuted`` (a strict xfail that failed
because its own check disagreed), ``error`` (anything else; fails the run), ``not_run``
(deselected or skipped). ``basis`` says where the prediction comes from: ``paper``,
``derived``, ``reconstruction`` or ``empirical`` (a regression check that verifies no paper).

The package is split by concept: :mod:`.recording` (the fixture object and comparison rules),
:mod:`.report` (the Claim result, table, JSON and Markdown), :mod:`.plugin` (pytest hooks).
Installed toymodels registers the plugin through the ``pytest11`` entry point
``toymodels_claims``; from a source checkout use ``pytest -p toymodels.claims``. This package
imports only the standard library (pytest lazily, inside the hooks).
(PYTEST_DONT_REWRITE: the messages are built here.)
"""

from __future__ import annotations

from .plugin import (
    collected_claims,
    pytest_addoption,
    pytest_configure,
    pytest_plugin_registered,
)
from .recording import (
    BASES,
    RELATIONS,
    ClaimDisagreement,
    ClaimMeasurementError,
    ClaimRecorder,
    format_value,
)
from .report import (
    OUTCOMES,
    PAPER_BASES,
    REPORT_FORMAT,
    Claim,
    format_table,
    load_report,
    render_markdown,
    summarize,
    summarize_by_paper,
    write_report,
)

__all__ = [
    "BASES",
    "OUTCOMES",
    "PAPER_BASES",
    "RELATIONS",
    "REPORT_FORMAT",
    "Claim",
    "ClaimDisagreement",
    "ClaimMeasurementError",
    "ClaimRecorder",
    "collected_claims",
    "format_table",
    "format_value",
    "load_report",
    "render_markdown",
    "summarize",
    "summarize_by_paper",
    "write_report",
]

# pytest finds hook functions as attributes of the registered module (this package)
_HOOKS = (pytest_addoption, pytest_configure, pytest_plugin_registered)
