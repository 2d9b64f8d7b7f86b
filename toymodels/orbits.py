"""Orbit analysis for any :class:`~toymodels.maps.Map`: periods, cycles, bifurcations, chaos.

* :func:`period` – the period of the attractor reached from a state (after a burn-in).
* :func:`find_cycle` – a period-k orbit by Newton's method on G(z) = F^k(z) − z, with its
  multipliers (eigenvalues of DF^k).
* :func:`period_doubling_points` – flip bifurcations of a parameter family, by continuation of the
  attracting cycle and root finding on its multiplier (the point where an eigenvalue of DF^k
  crosses −1), polished by Newton on {F^k(z) = z, det(DF^k(z) + I) = 0}.
* :func:`saddle_node_points` – folds: Newton on {F^k(z) = z, det(DF^k(z) − I) = 0}.
* :func:`lyapunov_exponent` – the largest exponent: ⟨log|F'(z_t)|⟩ in 1-D, Benettin's QR method
  (Benettin, Galgani, Giorgilli, Strelcyn 1980) in higher dimension.
* :func:`classify` – a :class:`Phase`: converged (monotone / oscillating), periodic k, chaotic,
  diverged or unknown.
* :func:`bifurcation_diagram` – orbit-diagram data over a parameter grid, with explicit seeding.

Rules shared by these functions: every argument is validated before any iteration (a
ValueError/TypeError naming the parameter); stability uses a stated margin δ = 1e-9 (widened by
the rounding bound of DF^k; see :class:`Cycle`), marginal multipliers give ``stable=None``; the
period search costs time linear in ``max_period``; long analyses take ``max_seconds`` (checked up
front from a timed probe where possible, otherwise while running) and say what to change;
divergence and overflow are data (NaN / ``diverged``), never a RuntimeWarning.

The reference numbers these are tested against are the cubic map of Chen, Balasubramanian,
Ghosal, Agrawalla (TMLR 2024), F_a(z) = z(1 + a(1 − z))², whose cascade is a = 1, √5 − 1,
1.288031754483, 1.299227939650, 1.301628914037, … → 1.3022834627.

This module is the stable entry point and re-exports every name it has always had; the code
lives in one module per concept:

* :mod:`toymodels.cycles` – :func:`period`, :func:`find_cycle`, :class:`Cycle` (the period
  search and Newton on F^k).
* :mod:`toymodels.bifurcations` – :func:`period_doubling_points`, :func:`saddle_node_points`,
  :func:`bifurcation_diagram` and their result objects.
* :mod:`toymodels.lyapunov` – :func:`lyapunov_exponent`, :class:`LyapunovResult` (next to
  :func:`~toymodels.lyapunov.lyapunov_spectrum`).
* :mod:`toymodels.phases` – :func:`classify`, :class:`Phase`.
* ``toymodels._orbit_common`` – the private argument checks and time budget they share.
"""

from __future__ import annotations

from collections.abc import Callable

from ._orbit_common import (  # noqa: F401  (re-exported for toymodels.orbits.<name>)
    WINDOW_BYTES,
    _batch_shape,
    _Budget,
    _check_bool,
    _check_family,
    _check_family_params,
    _check_map,
    _check_max_seconds,
    _family_at,
    _OutOfTime,
    _run_state,
    _scalar_param,
    _single_state,
    _window_guard,
)
from .bifurcations import (  # noqa: F401  (re-exported for toymodels.orbits.<name>)
    Bifurcation,
    BifurcationDiagram,
    BifurcationList,
    BifurcationPoints,
    _attractor_cycle,
    _BudgetedFamily,
    _family_dfdp,
    _follow,
    _half_cycle,
    _locate,
    _polish,
    _seed_doubled,
    _test_fn,
    bifurcation_diagram,
    continuation_seeds,
    period_doubling_points,
    saddle_node_points,
)
from .cycles import (  # noqa: F401  (re-exported for toymodels.orbits.<name>)
    CYCLE_BYTES,
    STABILITY_MARGIN,
    Cycle,
    _cycle,
    _log_norm_product,
    _minimal_period,
    _orbit,
    _period_from_window,
    _polish_periods,
    _stability,
    _time_one_step,
    find_cycle,
    period,
)
from .lyapunov import (  # noqa: F401  (re-exported for toymodels.orbits.<name>)
    LyapunovResult,
    _lyapunov_1d_fast,
    lyapunov_exponent,
)
from .phases import (  # noqa: F401  (re-exported for toymodels.orbits.<name>)
    Phase,
    _check_classify_args,
    _classify_gd,
    _cycle_multipliers,
    classify,
)

__all__ = [
    "Bifurcation",
    "BifurcationDiagram",
    "BifurcationList",
    "BifurcationPoints",
    "Cycle",
    "LyapunovResult",
    "Phase",
    "bifurcation_diagram",
    "classify",
    "continuation_seeds",
    "find_cycle",
    "lyapunov_exponent",
    "period",
    "period_doubling_points",
    "saddle_node_points",
]


_ = Callable  # re-exported type for annotations in subclasses
