"""Figures reproducing (analogues of) the papers' figures, one module per figure.

Each figure module defines ``ID``, ``PAPER``, ``FIGURE`` (the paper's figure number, or "new"),
``CAPTION`` (one line) and ``make(out_dir, quick=False) -> list[Path]`` (PNG + PDF), and states
the settings it uses in its docstring. ``python -m paper_figs --list`` lists them;
``python -m paper_figs [IDS...] [--out DIR] [--quick]`` renders them (see DESIGN.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from . import (
    batch_sharpness,
    cascade_certified,
    catapult,
    cubic_map_bifurcation,
    deep_linear_balance_gaps,
    deep_linear_orbit_diagram,
    deep_linear_oscillating_directions,
    depth2_flatter_than_gf,
    diagonal_net_stepsize,
    logistic_regression_eos,
    minimalist_eos,
    normal_form_threshold,
    one_step_features,
    orbit_diagram_lyapunov,
    phase_diagram,
    scalar_net_gfs,
    self_stabilization_loss,
    self_stabilization_stages,
    sgd_support,
    sgd_without_replacement,
    threshold_full_net,
    threshold_mean_model,
    threshold_product_portrait,
    trainability_fractal,
    uv_catapult,
    uv_phase_diagram,
    zhu_alignment,
    zhu_phase_diagram,
)

__all__ = ["FIGURES", "Figure"]


@dataclass(frozen=True)
class Figure:
    """One registered figure: its id, source paper, figure number, caption and module."""

    id: str
    paper: str
    figure: str
    caption: str
    module: ModuleType

    def make(self, out_dir: Path | str, quick: bool = False) -> list[Path]:
        """Render into ``out_dir`` (PNG + PDF); returns the written paths.

        ``out_dir`` (a path, not an existing file) and ``quick`` (a bool) are checked first.
        """
        from ._common import check_out_dir

        if not isinstance(quick, bool):
            raise TypeError(f"quick must be True or False, got {quick!r}")
        return self.module.make(check_out_dir(out_dir), quick=quick)


def _register(*modules: ModuleType) -> dict[str, Figure]:
    out: dict[str, Figure] = {}
    for m in modules:
        if m.ID in out:
            raise RuntimeError(f"duplicate figure id {m.ID!r}")
        out[m.ID] = Figure(m.ID, m.PAPER, str(m.FIGURE), m.CAPTION, m)
    return out


#: id → Figure, in presentation order
FIGURES: dict[str, Figure] = _register(
    cubic_map_bifurcation,
    catapult,
    phase_diagram,
    scalar_net_gfs,
    depth2_flatter_than_gf,
    uv_catapult,
    uv_phase_diagram,
    threshold_product_portrait,
    threshold_mean_model,
    threshold_full_net,
    diagonal_net_stepsize,
    deep_linear_orbit_diagram,
    deep_linear_oscillating_directions,
    deep_linear_balance_gaps,
    self_stabilization_stages,
    self_stabilization_loss,
    minimalist_eos,
    normal_form_threshold,
    logistic_regression_eos,
    sgd_without_replacement,
    sgd_support,
    batch_sharpness,
    one_step_features,
    orbit_diagram_lyapunov,
    cascade_certified,
    zhu_alignment,
    trainability_fractal,
    zhu_phase_diagram,
)
