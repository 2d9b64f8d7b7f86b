"""Tests for the exact-check package ``proofs_check``.

Every registered check must pass; a deliberately false statement, checked by the same machinery
(but registered only in a private registry here), must be reported as failing, and the command
line must exit with status 1 when a check fails.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import proofs_check
from proofs_check import Proof, ProofResult, all_proofs, proof, run_all
from proofs_check.__main__ import main
from proofs_check._exact import is_zero
from proofs_check.registry import run_proof

ROOT = Path(__file__).resolve().parents[1]
PROOFS = all_proofs()

REQUIRED = {
    "cubic_fixed_points",
    "cubic_derivative_critical_value",
    "cubic_two_cycle",
    "cubic_two_cycle_multiplier",
    "cubic_invariant_interval",
    "cubic_astar_root",
    "cubic_astar_derivation",
    "cubic_conjugacies",
    "cubic_chebyshev_endpoint",
    "cubic_lyapunov_endpoint",
    "catapult_v_threshold",
    "catapult_boundary_chebyshev",
    "catapult_warmup_derivation",
    "catapult_general_label",
    "nqm_normalised_map",
    "uv_balanced_line",
    "chen_model_a_reduction",
    "chen_model_a_sharpness",
    "chen_model_b_reduction",
    # the library's numeric objects against the proven expressions (issue 9, item 6)
    "cubic_library_numeric",
    "chen_library_numeric",
    "catapult_library_numeric",
    "uv_library_numeric",
    "scalar_library_numeric",
    "depth2_library_numeric",
    "diag_library_numeric",
    "deep_library_numeric",
    "threshold_library_numeric",
    # issue 12
    "logreg_library_numeric",
    "rr_with_replacement_mean_is_gd",
    "rr_drift_eta2",
    "rr_drift_is_noise_trace_gradient",
    "rr_batch_drift_finite_population",
    "noise_injection_covariance",
    "rr_second_order_resummed",
    "reshuffling_library_numeric",
    "support_library_numeric",
    "homog_line_polynomial_degree",
    "homog_taylor_coefficients",
    "homog_euler_identity",
    "homog_library_numeric",
    # issue 13: interval certificates
    "cert_cubic_cascade_cycles",
    "cert_cubic_flip_thresholds",
    "cert_cubic_period3_window",
    "cert_uv_gd_two_cycle",
    "cert_deep_linear_two_cycle",
    "cert_negative_controls",
    "flip_criterion_derivation",
    "bifurcation_crisis",
    "bifurcation_superstable_two_cycle",
    "bifurcation_uv_reduction",
    "bifurcation_zhu_reduction",
    "bifurcation_period_two_curve",
    "bifurcation_library_numeric",
}

CHECK_MODULES = (
    "bifurcation",
    "catapult",
    "certificates",
    "chen_reduction",
    "cubic_map",
    "deep_linear",
    "depth2_linear",
    "diagonal_linear",
    "homogeneous_net",
    "logistic_regression",
    "reshuffling",
    "scalar_net",
    "self_stabilization",
    "support_learning",
    "threshold_neuron",
    "uv_model",
)


@pytest.mark.parametrize("p", PROOFS, ids=[p.name for p in PROOFS])
def test_registered_proof_passes(p: Proof) -> None:
    result = run_proof(p)
    assert result.ok, f"{p.name} ({p.paper}, {p.where}): {result.detail}"
    assert result.detail
    assert result.seconds >= 0


def test_registry_covers_the_brief() -> None:
    names = {p.name for p in PROOFS}
    assert REQUIRED <= names, sorted(REQUIRED - names)
    for p in PROOFS:
        assert p.paper and p.where and p.statement
        assert p.fn.__doc__, f"{p.name} has no docstring giving its formula"


def _false_registry() -> dict[str, Proof]:
    """A private registry holding one deliberately false statement (wrong factorisation)."""
    registry: dict[str, Proof] = {}
    a = sp.Symbol("a", positive=True)

    @proof(
        paper="(deliberately false)",
        where="test only",
        statement="4(1+a)^3 - 27(a+2) = (a-2)^2 (2a+5)",
        registry=registry,
    )
    def false_factorisation() -> tuple[bool, str]:
        """Wrong: the true factorisation is (a - 2)(2a + 5)^2."""
        ok, res = is_zero(4 * (1 + a) ** 3 - 27 * (a + 2) - (a - 2) ** 2 * (2 * a + 5))
        return ok, f"residual {sp.factor(res)}"

    return registry


def test_false_statement_is_reported_failing() -> None:
    registry = _false_registry()
    (result,) = run_all(registry=registry)
    assert isinstance(result, ProofResult)
    assert result.name == "false_factorisation"
    assert not result.ok
    assert result.verdict == "FAIL"
    assert "residual" in result.detail and "residual 0" not in result.detail
    # it must not leak into the package registry
    assert "false_factorisation" not in {p.name for p in all_proofs()}


def test_exceptions_become_failures() -> None:
    registry: dict[str, Proof] = {}

    @proof(paper="test", where="test", statement="raises", registry=registry)
    def boom() -> tuple[bool, str]:
        raise ZeroDivisionError("division by zero in check")

    @proof(paper="test", where="test", statement="bad return", registry=registry)
    def malformed() -> tuple[bool, str]:
        return True  # type: ignore[return-value]

    results = {r.name: r for r in run_all(registry=registry)}
    assert not results["boom"].ok
    assert "ZeroDivisionError" in results["boom"].detail
    assert "division by zero in check" in results["boom"].detail
    assert not results["malformed"].ok
    assert "TypeError" in results["malformed"].detail


def test_duplicate_names_rejected() -> None:
    registry: dict[str, Proof] = {}

    def check() -> tuple[bool, str]:
        return True, "ok"

    proof(paper="p", where="w", statement="s", registry=registry)(check)
    with pytest.raises(ValueError, match="already registered"):
        proof(paper="p", where="w", statement="s", registry=registry)(check)
    with pytest.raises(TypeError, match="paper"):
        proof(paper="", where="w", statement="s", registry=registry)


def test_dataclasses_are_frozen() -> None:
    p = PROOFS[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "other"  # type: ignore[misc]
    r = run_proof(p)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.ok = False  # type: ignore[misc]


def test_run_all_selects_names_and_rejects_unknown() -> None:
    results = run_all(["cubic_conjugacies", "catapult_v_threshold"])
    assert [r.name for r in results] == ["cubic_conjugacies", "catapult_v_threshold"]
    with pytest.raises(KeyError, match="no_such_check"):
        run_all(["no_such_check"])


def test_public_exports() -> None:
    for name in ("Proof", "ProofResult", "proof", "run_all", "all_proofs"):
        assert hasattr(proofs_check, name)


def test_main_exit_status_with_failing_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], registry=_false_registry()) == 1
    out = capsys.readouterr().out
    assert "false_factorisation" in out and "FAIL" in out


def test_main_passing_subset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cubic_conjugacies", "uv_balanced_line"]) == 0
    out = capsys.readouterr().out
    assert out.count("PASS") == 2 and "FAIL" not in out.replace("FAILED", "")


def test_main_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no_such_check"]) == 2
    assert "no_such_check" in capsys.readouterr().err


def test_cli_list() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "proofs_check", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    for p in PROOFS:
        assert p.name in proc.stdout


def test_cli_unknown_name_exit_status() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "proofs_check", "no_such_check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2


@pytest.mark.parametrize("module", CHECK_MODULES)
def test_check_modules_import_the_library(module: str) -> None:
    """Every check module takes its formulas from ``toymodels`` (not a retyped copy)."""
    text = (ROOT / "proofs_check" / f"{module}.py").read_text()
    assert "from toymodels" in text or "from .cubic_map import F" in text


def test_library_builders_compile_the_shared_expressions() -> None:
    """The compiled maps are built from the very expressions proofs_check proves on."""
    from toymodels.models import deep_linear as dl
    from toymodels.models import quadratic_regression as qr

    assert qr.cubic_map_family().expr == [qr.cubic_map_expr()]
    assert qr.w_map_family().expr == [qr.w_map_expr()]
    assert qr.catapult_map().family.expr == list(qr.catapult_map_exprs())
    assert qr.nqm_map().family.expr == list(qr.nqm_map_exprs())
    assert dl.balanced_line_family(3).expr == [sp.sympify(dl.balanced_line_expr(3))]
    assert proofs_check.cubic_map.LIB_F == qr.cubic_map_expr()
