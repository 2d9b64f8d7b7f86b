"""eos-toymodels: executable claims about gradient descent at the edge of stability.

A loss (sympy) → numeric twins (numpy) → a map → dynamics and orbit analysis → claims and figures.
See DESIGN.md for the public contract; every name below is part of it.
"""

from __future__ import annotations

from . import limits
from .data_model import DataModel
from .dynamics import Trajectory, gd, gradient_flow, iterate, sgd
from .maps import Map, MapFamily, gd_family, gd_map
from .model import Model
from .orbits import (
    Bifurcation,
    BifurcationDiagram,
    BifurcationList,
    BifurcationPoints,
    Cycle,
    LyapunovResult,
    Phase,
    bifurcation_diagram,
    classify,
    find_cycle,
    lyapunov_exponent,
    period,
    period_doubling_points,
    saddle_node_points,
)
from .spectrum import hessian_eigenvalues, sharpness, sharpness_gradient, top_eigenvector
from .stability import (
    CentralFlow,
    ConstrainedTrajectory,
    PredictedDynamics,
    ProgressiveSharpening,
    ProjectionResult,
    central_flow,
    constrained_trajectory,
    predicted_dynamics,
    progressive_sharpening,
    stable_set_projection,
)
from .sweep import Transition, locate_transition

__version__ = "0.1.0"

__all__ = [
    "Bifurcation",
    "BifurcationDiagram",
    "BifurcationList",
    "BifurcationPoints",
    "CentralFlow",
    "ConstrainedTrajectory",
    "Cycle",
    "DataModel",
    "LyapunovResult",
    "Map",
    "MapFamily",
    "Model",
    "Phase",
    "PredictedDynamics",
    "ProgressiveSharpening",
    "ProjectionResult",
    "Trajectory",
    "Transition",
    "bifurcation_diagram",
    "central_flow",
    "classify",
    "constrained_trajectory",
    "find_cycle",
    "gd",
    "gd_family",
    "gd_map",
    "gradient_flow",
    "hessian_eigenvalues",
    "iterate",
    "limits",
    "locate_transition",
    "lyapunov_exponent",
    "period",
    "period_doubling_points",
    "predicted_dynamics",
    "progressive_sharpening",
    "saddle_node_points",
    "sgd",
    "sharpness",
    "sharpness_gradient",
    "stable_set_projection",
    "top_eigenvector",
]
