"""Shared test configuration: hypothesis profiles and the pytester fixture.

Profiles: ``fast`` (default; keeps the whole suite under ~3 minutes on 2 cores) and ``thorough``
(deep runs: ``HYPOTHESIS_PROFILE=thorough pytest``). Every random draw in the tests is seeded
through hypothesis or ``numpy.random.default_rng(seed)``: reruns are bit-identical.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester", "toymodels.claims"]

settings.register_profile(
    "fast",
    max_examples=20,
    deadline=None,
    derandomize=True,
    # derandomize alone still replays examples saved in .hypothesis/ by an earlier failing run
    # first, which changes the examples (and the claims report) from run to run; derandomized
    # failures reproduce without it
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


def _no_local_constants() -> None:
    """Stop hypothesis (≥ 6.13x) from mixing number literals of this project's source into draws.

    Hypothesis reads the constants of every local module (``toymodels/`` included) and offers
    them as examples. A change to a literal in the library (a fix, or a mutant of
    ``tests/mutation``) then changes which examples a derandomized test draws, so the claims
    report of two commits, or of a mutant and its baseline, would compare unrelated records.
    The examples must depend on the test and its seed only. Private API, hence guarded: on a
    hypothesis without it this does nothing.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover
        return
    if not (hasattr(providers, "_get_local_constants") and hasattr(providers, "_local_constants")):
        return  # pragma: no cover
    empty = providers._local_constants  # still empty: no test has drawn yet
    if len(empty) == 0:
        providers._get_local_constants = lambda: empty


_no_local_constants()
