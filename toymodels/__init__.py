"""eos-toymodels: executable claims about gradient descent at the edge of stability.

A loss (sympy) → numeric twins (numpy) → a map → dynamics and orbit analysis → claims and figures.
See DESIGN.md for the public contract; every name below is part of it.
"""

from __future__ import annotations

from . import limits, orbits, stochastic  # noqa: F401  (orbits: the compatibility facade)
from .batch_sharpness import (
    BatchEstimate,
    BatchSharpnessMeasures,
    batch_sharpness,
    batch_sharpness_inside,
    batch_sharpness_measures,
    expected_loss_change,
    gradient_noise_interaction,
    mini_batch_sharpness,
    predicted_loss_change,
    second_moment_contraction,
    step_sharpness,
)
from .bifurcations import (
    Bifurcation,
    BifurcationDiagram,
    BifurcationList,
    BifurcationPoints,
    bifurcation_diagram,
    continuation_seeds,
    period_doubling_points,
    saddle_node_points,
)
from .certificates import (
    BifurcationCertificate,
    CycleCertificate,
    certify_bifurcation,
    certify_cycle,
)
from .cycles import Cycle, find_cycle, period
from .data_model import DataModel
from .dynamics import Trajectory, gd, gradient_flow, iterate, sgd
from .fractal import BoxCountingResult, boundary_cells, box_counting_dimension
from .lyapunov import LyapunovResult, LyapunovSpectrum, lyapunov_exponent, lyapunov_spectrum
from .maps import Map, MapFamily, gd_family, gd_map
from .model import Model
from .phases import Phase, classify
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
from .stochastic import (
    EpochAverage,
    EpochMoments,
    epoch_average,
    epoch_moments,
    noise_injected_gd,
    noise_trace,
    noise_trace_gradient,
    reshuffling_drift,
    resummed_drift,
    sequence_count,
)
from .sweep import Transition, locate_transition
from .trainability import (
    OUTCOME_CODES,
    OUTCOMES,
    PhaseDiagram,
    phase_diagram,
    step_size_pairs,
)

__version__ = "0.1.0"

__all__ = [
    "OUTCOMES",
    "OUTCOME_CODES",
    "BatchEstimate",
    "BatchSharpnessMeasures",
    "Bifurcation",
    "BifurcationCertificate",
    "BifurcationDiagram",
    "BifurcationList",
    "BifurcationPoints",
    "BoxCountingResult",
    "CentralFlow",
    "ConstrainedTrajectory",
    "Cycle",
    "CycleCertificate",
    "DataModel",
    "EpochAverage",
    "EpochMoments",
    "LyapunovResult",
    "LyapunovSpectrum",
    "Map",
    "MapFamily",
    "Model",
    "Phase",
    "PhaseDiagram",
    "PredictedDynamics",
    "ProgressiveSharpening",
    "ProjectionResult",
    "Trajectory",
    "Transition",
    "batch_sharpness",
    "batch_sharpness_inside",
    "batch_sharpness_measures",
    "bifurcation_diagram",
    "boundary_cells",
    "box_counting_dimension",
    "central_flow",
    "certify_bifurcation",
    "certify_cycle",
    "classify",
    "constrained_trajectory",
    "continuation_seeds",
    "epoch_average",
    "epoch_moments",
    "expected_loss_change",
    "find_cycle",
    "gd",
    "gd_family",
    "gd_map",
    "gradient_flow",
    "gradient_noise_interaction",
    "hessian_eigenvalues",
    "iterate",
    "limits",
    "locate_transition",
    "lyapunov_exponent",
    "lyapunov_spectrum",
    "mini_batch_sharpness",
    "noise_injected_gd",
    "noise_trace",
    "noise_trace_gradient",
    "period",
    "period_doubling_points",
    "phase_diagram",
    "predicted_dynamics",
    "predicted_loss_change",
    "progressive_sharpening",
    "reshuffling_drift",
    "resummed_drift",
    "saddle_node_points",
    "second_moment_contraction",
    "sequence_count",
    "sgd",
    "sharpness",
    "sharpness_gradient",
    "stable_set_projection",
    "step_sharpness",
    "step_size_pairs",
    "stochastic",
    "top_eigenvector",
]
