"""Fuzz targets for ``toymodels.lyapunov`` (issue 13, item 2): ``lyapunov_spectrum`` with a
small valid call on a 1-D and a 2-D map, bad values per parameter, and absurd step counts that
the timed probe must refuse up front (the valid calls pass ``max_seconds``).

Picked up by :data:`tests.fuzz.targets.EXTRA_TARGET_MODULES` through :func:`targets`.
"""

from __future__ import annotations

from hypothesis import strategies as st

import toymodels as tm

from . import strategies as S
from .targets import FX, FX_FAMILY_PLACEHOLDER, NOT_A_MAP, POS_NOT_NONE, STATE1, STATE2, Target, p

SRC = "toymodels/lyapunov.py"
COVERS = "toymodels.lyapunov_spectrum"

#: blocks: None (the default, min(20, steps)) or an integer in [2, steps]; the valid calls use
#: steps = 50, so 51 and 10**6 are too many blocks
BLOCKS = S.kind(
    "blocks in [2, steps]",
    [v for v in S.COUNT.catalogue if v is not None] + [0, 1, 51, 10**6],
    st.integers(max_value=1),
    st.integers(min_value=51),
    S.non_integer_float,
    lenient=S.COUNT.lenient,
)


def _spectrum():
    # imported late: the lead registers the export in toymodels/__init__.py
    return getattr(tm, "lyapunov_spectrum", None) or _module_fn()


def _module_fn():
    from toymodels.lyapunov import lyapunov_spectrum

    return lyapunov_spectrum


def targets() -> list[Target]:
    map_p = p(NOT_A_MAP, [FX_FAMILY_PLACEHOLDER], names=("F",))
    common = {
        "backend": p(S.option("numpy", "numba", "auto")),
        "steps": p(S.COUNT, S.HUGE_COUNT),
        "burn_in": p(S.COUNT0, S.HUGE_COUNT),
        "blocks": p(BLOCKS),
        "bound": p(S.POSITIVE),
        "max_seconds": p(POS_NOT_NONE),
    }
    base = {"steps": 50, "burn_in": 10, "max_seconds": 30.0}
    return [
        Target(
            "tm.lyapunov_spectrum",
            SRC,
            COVERS,
            lambda: (_spectrum(), {"F": FX.F32, "state0": 0.3, **base}),
            {"F": map_p, "state0": p(STATE1), **common},
        ),
        Target(
            "tm.lyapunov_spectrum[2-D]",
            SRC,
            COVERS,
            lambda: (_spectrum(), {"F": FX.henon, "state0": [0.1, 0.1], **base}),
            {"state0": p(STATE2), **common},
        ),
    ]
