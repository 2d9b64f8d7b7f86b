"""Exact (sympy / mpmath) checks of closed forms from the edge-of-stability papers.

Papers covered:

- Chen, Balasubramanian, Ghosal, Agrawalla, "From Stability to Chaos: Analyzing Gradient Descent
  Dynamics in Quadratic Regression" (arXiv 2310.01687, TMLR 2024): the cubic map
  F_a(z) = z(1 + a(1 - z))^2 (:mod:`proofs_check.cubic_map`) and the exact per-sample reduction
  (:mod:`proofs_check.chen_reduction`).
- Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari, "The large learning rate phase of deep
  learning: the catapult mechanism" (arXiv 2003.02218), and Zhu, Liu, Radhakrishnan, Belkin,
  "Quadratic models for understanding catapult dynamics of neural networks" (ICLR 2024)
  (:mod:`proofs_check.catapult`).
- The scalar uv model at the edge of stability (:mod:`proofs_check.uv_model`).

``python -m proofs_check [--list] [NAMES...]`` runs them and prints a PASS/FAIL table.
"""

from __future__ import annotations

from .registry import (
    REGISTRY,
    Proof,
    ProofResult,
    _load_checks,
    all_proofs,
    proof,
    run_all,
    run_proof,
)

_load_checks()  # import the check modules (in a fixed order): they register themselves

__all__ = ["REGISTRY", "Proof", "ProofResult", "all_proofs", "proof", "run_all", "run_proof"]
