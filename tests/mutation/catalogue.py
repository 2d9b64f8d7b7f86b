"""The curated mutant catalogue of the standing mutation check (issue 9, item 5).

Each :class:`Mutant` is one deliberate bug in a formula a claim rests on: an exact ``old``
snippet of ``file`` (it must occur exactly once; the runner refuses the mutant otherwise) and
its ``new`` replacement, a one-line ``description``, the ``tests`` to run against it (test files
or node ids: the family's tests plus the core tests that exercise the formula; keep each run
short), ``ci=True`` for the time-boxed subset CI runs, and ``equivalent="reason"`` for a mutant
that cannot change any result (it is still applied and run when asked, but it is not counted
in the score and its survival is not a failure).

The mutants are about the size of a real slip: a constant off by 1-2 %, a factor dropped, a
sign, an index, a comparison. ``new`` snippets mark the change where possible so a reader can
see it in a diff. Mutants named in issue 9 carry ``issue=True``.

Run them with ``python -m tests.mutation.run`` (see :mod:`tests.mutation.run`); this module only
holds data and is never collected by pytest (no ``test_`` prefix, and ``tests/mutation`` has
no test files).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CATALOGUE", "Mutant", "by_id"]


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug: replace ``old`` (occurring exactly once in ``file``) by ``new``."""

    id: str
    file: str
    old: str
    new: str
    description: str
    tests: tuple[str, ...]
    equivalent: str | None = None
    ci: bool = False
    issue: bool = False
    area: str = field(default="")

    def __post_init__(self) -> None:
        if not self.area:
            object.__setattr__(self, "area", self.id.split(".", 1)[0])
        if self.old == self.new:
            raise ValueError(f"mutant {self.id}: new is the same as old")
        if not self.tests:
            raise ValueError(f"mutant {self.id}: no tests to run")


# -------------------------------------------------------------------------------- test sets
# Paths relative to the repo root. Node ids (``path::test``) are allowed too.
T_MODEL = "tests/core/test_model.py"
T_DYN = "tests/core/test_dynamics.py"
T_ORBITS = "tests/core/test_orbits.py"
T_PHASES = "tests/core/test_phases.py"
T_SWEEP = "tests/core/test_sweep.py"
T_PLANTED = "tests/core/test_planted_maps.py"
T_SGD = "tests/core/test_sgd.py"
T_DATA = "tests/core/test_data_model.py"
DM = "toymodels/data_model.py"
SC = "tests/stochastic/test_reshuffling_claims.py"
SA = "tests/stochastic/test_stochastic_api.py"
SM = "tests/stochastic/test_sgd_quadratics_models.py"
STO = "toymodels/stochastic.py"
SLM = "toymodels/models/support_learning.py"
T_SL = "tests/support_learning"
BSM = "toymodels/batch_sharpness.py"
MLPM = "toymodels/models/tanh_mlp.py"
T_BS = "tests/batch_sharpness/test_batch_sharpness_exact.py"
T_MLP = "tests/batch_sharpness/test_tanh_mlp.py"
LRM = "toymodels/models/logistic_regression.py"
T_LR = "tests/logistic_regression"
T_NUMBA = "tests/core/test_numba_backend.py"
T_PLUGIN = "tests/test_claims_plugin.py"
T_REPORT = "tests/test_claims_report.py"  # the comparison rules of ClaimRecorder, directly
QR = "tests/quadratic_regression"
T_CUBIC = f"{QR}/test_cubic_map.py"
T_CATAPULT = f"{QR}/test_catapult.py"
T_REDUCTION = f"{QR}/test_reduction.py"
T_SECOND = f"{QR}/test_second_order.py"
T_SCALAR = "tests/scalar_net/test_scalar_net.py"
T_UV = "tests/two_layer_linear/test_uv.py"
T_DEPTH2 = "tests/two_layer_linear/test_depth2.py"
T_PRODUCT = "tests/threshold_neuron/test_product_model.py"
T_MEAN = "tests/threshold_neuron/test_mean_model.py"
T_FULLNET = "tests/threshold_neuron/test_full_net.py"
T_NET_ACC = "tests/core/test_threshold_net_accuracy.py"
T_DIAG = "tests/diagonal_linear/test_diagonal_linear.py"
T_DEEP = "tests/deep_linear/test_deep_linear.py"

#: the claim files that measure a sharpness (``tm.sharpness`` / ``hessian_eigenvalues``)
SHARPNESS_CLAIMS = (T_SCALAR, T_DEPTH2, T_UV, T_PRODUCT, T_MEAN, T_DIAG, T_REDUCTION, T_SECOND)

M = Mutant
S = "toymodels/spectrum.py"
# the orbit analysis, split out of toymodels/orbits.py (which re-exports it) by concept
OC = "toymodels/cycles.py"
OB = "toymodels/bifurcations.py"
OL = "toymodels/lyapunov.py"
OP = "toymodels/phases.py"
D = "toymodels/dynamics.py"
MP = "toymodels/maps.py"
MD = "toymodels/model.py"
SW = "toymodels/sweep.py"
R = "toymodels/claims/recording.py"
QRM = "toymodels/models/quadratic_regression.py"
TLL = "toymodels/models/two_layer_linear.py"
SN = "toymodels/models/scalar_net.py"
TN = "toymodels/models/threshold_neuron.py"
TNET = "toymodels/models/threshold_net.py"
DL = "toymodels/models/diagonal_linear.py"
DEEP = "toymodels/models/deep_linear.py"
ST = "toymodels/stability.py"
SSM = "toymodels/models/self_stabilization.py"
SS = "tests/self_stabilization"
T_SS_CONSTRAINED = f"{SS}/test_constrained.py"
T_SS_CF = f"{SS}/test_central_flow.py"
T_SS_PS = f"{SS}/test_progressive_sharpening.py"
T_SS_NORMAL = f"{SS}/test_normal_form.py"
T_SS_MODELS = f"{SS}/test_models.py"
T_STABILITY = "tests/core/test_stability.py"

CATALOGUE: tuple[Mutant, ...] = (
    # ------------------------------------------------------------------------------ spectra
    M(
        "spectrum.sharpness_half",
        S,
        "return hessian_eigenvalues(model, theta)[..., -1]",
        "return 0.5 * hessian_eigenvalues(model, theta)[..., -1]",
        "sharpness S(θ) returns half the true top Hessian eigenvalue",
        (T_MODEL, *SHARPNESS_CLAIMS),
        ci=True,
        issue=True,
    ),
    M(
        "spectrum.top_eigenvector_bottom",
        S,
        "w[good] = ww[..., -1]",
        "w[good] = ww[..., 0]",
        "top_eigenvector reports the smallest eigenvalue with the top eigenvector",
        (T_MODEL,),
    ),
    M(
        "spectrum.eigenvalues_abs",
        S,
        "vals[good] = np.linalg.eigvalsh(H[good])",
        "vals[good] = np.abs(np.linalg.eigvalsh(H[good]))",
        "hessian_eigenvalues loses the sign of negative eigenvalues (and their order)",
        (T_MODEL, T_DEEP),
    ),
    M(
        "spectrum.sharpness_gradient_sign",
        S,
        "return model.third(th, v)",
        "return -model.third(th, v)",
        "sharpness_gradient ∇S = ∇³L[v, v] with the wrong sign",
        (T_MODEL,),
    ),
    # ------------------------------------------------------------------------------- orbits
    M(
        "orbits.lyapunov_plus1pct",
        OL,
        "        lam = acc / steps\n",  # indented: lyapunov_spectrum has one at 4 spaces
        "        lam = acc / steps * 1.01  # MUTANT\n",
        "lyapunov_exponent biased by +1 %",
        (T_ORBITS, T_CUBIC),
        issue=True,
    ),
    M(
        "orbits.lyapunov_log2_fast_path",
        OL,
        "acc = acc + np.log(np.abs(d))",
        "acc = acc + np.log2(np.abs(d))",
        "1-D fast Lyapunov path sums log2 instead of natural log",
        (T_ORBITS, T_CUBIC),
    ),
    M(
        "orbits.lyapunov_qr_renorm",
        OL,
        "q = qn / np.where(g > 0, g, 1.0)[..., None]",
        "q = qn / np.where(g > 0, g, 1.0)[..., None] * 1.01",
        "Benettin (n-D) tangent vector renormalised to length 1.01: +log 1.01 per step",
        (T_PLANTED, T_ORBITS),
    ),
    M(
        "orbits.classify_doubles_period",
        OP,
        'phases[i] = Phase("periodic", period=int(per[i]), limit=',
        'phases[i] = Phase("periodic", period=2 * int(per[i]), limit=',
        "classify reports every periodic orbit with twice its period",
        (T_ORBITS, T_PHASES, T_REDUCTION, T_DEPTH2),
        ci=True,
        issue=True,
    ),
    M(
        "orbits.classify_oscillating_sign",
        OP,
        'kind = "converged_oscillating" if mult[i] < 0 else "converged_monotone"',
        'kind = "converged_oscillating" if mult[i] > 0 else "converged_monotone"',
        "classify swaps monotone and oscillating convergence",
        (T_ORBITS, T_PHASES, T_DEPTH2),
    ),
    M(
        "orbits.classify_catapult_threshold",
        OP,
        "rise = peak > L0 * (1 + 1e-12)",
        "rise = peak > L0 * 1.5",
        "classify(Model) calls a run a catapult only if the loss rose by more than 50 %",
        (T_PHASES, T_DEPTH2, T_REDUCTION),
    ),
    M(
        "orbits.classify_chaos_sign",
        OP,
        'kind = "chaotic" if lyap[i] > chaos_threshold else "unknown"',
        'kind = "chaotic" if lyap[i] > -chaos_threshold else "unknown"',
        "classify calls aperiodic orbits with λ slightly below 0 chaotic",
        (T_PLANTED, T_ORBITS, T_PHASES, T_CUBIC),
    ),
    M(
        "orbits.find_cycle_not_minimal",
        OC,
        "per = _minimal_period(pts, max(tol, 1e-10) * 10) if converged else k",
        "per = k",
        "find_cycle reports the requested k instead of the orbit's minimal period",
        (T_ORBITS, T_CUBIC),
    ),
    M(
        "orbits.find_cycle_multipliers_squared",
        OC,
        "mult = np.linalg.eigvals(J) if np.all(np.isfinite(J)) else np.full(F.dim, np.nan)",
        "mult = np.linalg.eigvals(J) ** 2 if np.all(np.isfinite(J)) else np.full(F.dim, np.nan)",
        "find_cycle reports the squared multipliers (those of the doubled orbit)",
        (T_ORBITS, T_CUBIC, T_DEEP),
    ),
    M(
        "orbits.period_doubling_bias",
        OB,
        "kind=kind,\n        param=float(p_pol),",
        "kind=kind,\n        param=float(p_pol) * (1 + 1e-7),",
        "period_doubling_points returns each flip point 1e-7 (relative) too high",
        (T_ORBITS, T_CUBIC, T_UV, T_DEEP),
    ),
    M(
        "orbits.period_doubling_saddle_node",
        OB,
        "found = _follow(bfam, cyc, p, p_end, -1.0, h)",
        "found = _follow(bfam, cyc, p, p_end, 1.0, h)",
        "period_doubling_points follows the multiplier to +1 (folds) instead of −1 (flips)",
        (T_ORBITS, T_CUBIC),
    ),
    M(
        "numba.diverged_at_early",
        "toymodels/_numba.py",
        "                        D[b] = t + 1",
        "                        D[b] = t  # MUTANT",
        "the numba gd kernel records divergence one step early",
        ("tests/core/test_numba_backend.py",),
    ),
    M(
        "dynamics.per_parameter_column",
        D,
        "np.multiply(gi, eta_[:, i], out=gi)",
        "np.multiply(gi, eta_[:, 0], out=gi)  # MUTANT",
        "per-parameter gd applies the first parameter's step size to every parameter",
        ("tests/core/test_gd_per_parameter.py",),
    ),
    M(
        "orbits.continuation_block_seed",
        OB,
        "        step = np.where(up, step * s, step)",
        "        step = np.where(up, step * s + 1, step)  # MUTANT",
        "continuation seeds a block start one parameter further back than the documented rule",
        ("tests/core/test_continuation_diagram.py",),
    ),
    M(
        "orbits.continuation_seed_unused",
        OB,
        "((src < 0) | div[np.maximum(src, 0)])[:, None], x0, final[np.maximum(src, 0)]",
        "((src < 0) | div[np.maximum(src, 0)] | True)[:, None], x0, final[np.maximum(src, 0)]",
        "continuation silently degrades to fixed seeding (every parameter starts at state0)",
        ("tests/core/test_continuation_diagram.py",),
    ),
    M(
        "orbits.doubled_cycle_any",
        OB,
        "if cyc.converged and cyc.period == 2 * k and cyc.stable is True:",
        "if cyc.converged and cyc.period == 2 * k:  # MUTANT",
        "period_doubling_points accepts an unstable 'doubled cycle' (Newton's tolerance around the "
        "k-cycle) past a subcritical flip",
        (
            T_ORBITS,
            "tests/bifurcation/test_flip_criterion.py",
            "tests/core/test_doubling_early_stop.py",
        ),
    ),
    M(
        "orbits.period_window_plus_one",
        OC,
        "per[idx] = k\n",
        "per[idx] = k + 1  # MUTANT\n",
        "period's window test reports k + 1 for a detected period k",
        (T_ORBITS, T_CUBIC, T_PHASES),
    ),
    M(
        "orbits.period_diverged_not_zeroed",
        OC,
        "per[(tr.diverged | window.diverged).reshape(-1)] = 0",
        "pass  # MUTANT: diverged members keep their window period",
        "period does not zero the period of diverged members",
        (T_ORBITS,),
        equivalent=(
            "the iteration engine sets a diverged member's later states to NaN, and "
            "_period_from_window only assigns a period to members whose whole window is finite "
            "(and _polish_periods only touches periods >= 2 found there), so diverged members "
            "already have period 0"
        ),
    ),
    # ----------------------------------------------------------------------------- dynamics
    M(
        "dynamics.gd_array_step_scaled",
        D,
        "x -= eta_[:, None] * grad(x)",
        "x -= 1.001 * eta_[:, None] * grad(x)",
        "gd (array mode, numpy models) steps with 1.001 η",
        (T_DYN, T_SCALAR, T_PRODUCT),
        ci=True,
    ),
    M(
        "dynamics.gd_component_step_scaled",
        D,
        "np.multiply(gi, eta_, out=gi)",
        "np.multiply(gi, eta_ * (1 + 1e-6), out=gi)",
        "gd (component mode, sympy models) steps with (1 + 1e-6) η on fresh gradient arrays",
        (T_DYN, T_NUMBA, T_UV, T_SECOND),
    ),
    M(
        "dynamics.diverged_at_off_by_one",
        D,
        "first[hit] = k",
        "first[hit] = k - 1",
        "diverged_at reports the step before the one that left the bound",
        (T_DYN, T_ORBITS),
    ),
    M(
        "dynamics.last_step_not_recorded",
        D,
        "    if rec[-1] != steps:\n        rec = np.append(rec, steps)",
        "    if False:  # MUTANT\n        rec = np.append(rec, steps)",
        "trajectories miss the final state when steps is not a multiple of record_every",
        (T_DYN,),
    ),
    M(
        "dynamics.bound_tenfold",
        D,
        "ok = np.abs(c) <= bound",
        "ok = np.abs(c) <= 10 * bound",
        "divergence is declared only at 10× the bound",
        (T_DYN, T_ORBITS),
    ),
    M(
        "dynamics.gradient_flow_rate",
        D,
        "return -model._grad(y[None, :])[0]",
        "return -1.01 * model._grad(y[None, :])[0]",
        "gradient_flow integrates dθ/dt = −1.01 ∇L (time runs 1 % fast)",
        (T_DYN, T_SCALAR, T_PRODUCT, T_DEPTH2),
    ),
    M(
        "dynamics.sgd_skips_last_sample",
        D,
        "return rng.integers(0, n, size=(steps, b))",
        "return rng.integers(0, max(n - 1, 1), size=(steps, b))",
        "sgd never draws the last sample",
        (T_SGD, T_DYN, T_DIAG),
    ),
    # --------------------------------------------------------------------------------- maps
    M(
        "maps.gd_jacobian_sign",
        MP,
        "return eye - np.asarray(eta)[..., None, None] * H",
        "return eye + np.asarray(eta)[..., None, None] * H",
        "the GD map's Jacobian is I + η∇²L instead of I − η∇²L",
        (T_DYN, T_PHASES, T_DEPTH2, T_DEEP),
    ),
    M(
        "maps.gd_dfdp_sign",
        MP,
        "return -np.broadcast_to(\n            model._grad(theta)",
        "return np.broadcast_to(\n            model._grad(theta)",
        "∂/∂η of the GD map is +∇L instead of −∇L (used to polish flips of GD families)",
        (T_PLANTED, T_ORBITS, T_DEEP, T_DYN),
    ),
    M(
        "maps.sympy_jacobian_scaled",
        MP,
        "jac_m = sp.Matrix(exprs).jacobian(syms)",
        "jac_m = 1.0001 * sp.Matrix(exprs).jacobian(syms)",
        "Map.from_sympy's Jacobian is 1.0001 × the true one (multipliers, Lyapunov exponents)",
        (T_ORBITS, T_CUBIC),
    ),
    M(
        "maps.orbit_jacobian_order",
        MP,
        "J = Jx if J is None else Jx @ J",
        "J = Jx if J is None else J @ Jx",
        "Map.orbit_jacobian multiplies the Jacobians along the orbit in the wrong order",
        (T_PLANTED, T_ORBITS, T_DYN),
    ),
    # -------------------------------------------------------------------------------- model
    M(
        "model.sympy_hessian_asymmetric",
        MD,
        "out[..., j, i] = flat[k]",
        "out[..., j, i] = 1.001 * flat[k]",
        "sympy models' Hessian: the upper triangle (and diagonal) is 0.1 % too large",
        (T_MODEL, T_UV, T_SECOND),
    ),
    M(
        "model.third_fd_step",
        MD,
        "        h = 1e-4\n",
        "        h = 1e-1  # MUTANT\n",
        "numpy models' ∇³L[u, u] by central differences with h = 0.1 instead of 1e-4",
        (T_MODEL,),
    ),
    M(
        "model.sympy_grad_scaled",
        MD,
        "return [_almost_everywhere(sp.diff(expr, s)) for s in symbols]",
        "return [1.001 * _almost_everywhere(sp.diff(expr, s)) for s in symbols]",
        "sympy (and data) models' gradient is 1.001 × ∇L (GD runs with an effective 1.001 η)",
        (T_MODEL, T_UV, T_SECOND, T_NUMBA, T_DATA),
    ),
    # -------------------------------------------------------------------------------- sweep
    M(
        "sweep.no_interpolation",
        SW,
        "eta = a if fa == fb else a + (b - a) * (0 - fa) / (fb - fa)",
        "eta = a",
        "locate_transition returns the left end of the last bracket (no interpolation)",
        (T_SWEEP, T_PRODUCT, T_MEAN, T_DIAG),
    ),
    M(
        "sweep.last_crossing",
        SW,
        "k = int(change[0])",
        "k = int(change[-1])",
        "locate_transition follows the last sign change of the grid instead of the first",
        (T_SWEEP, T_PRODUCT, T_MEAN, T_DIAG),
    ),
    # ------------------------------------------------------------ plugin (comparison rules)
    M(
        "plugin.rtol_ignored",
        R,
        "allowed = atol + rt * abs(pv)",
        "allowed = atol",
        "two-sided comparison ignores rtol",
        (T_PLUGIN,),
        ci=True,
    ),
    M(
        "plugin.abs_dropped",
        R,
        "diff = abs(pv - mv)",
        "diff = pv - mv",
        "two-sided comparison uses the signed difference: any measured above the prediction agrees",
        (T_PLUGIN, T_SCALAR),
    ),
    M(
        "plugin.relation_reversed",
        R,
        'signed = (pv - mv) if relation == "<=" else (mv - pv)',
        'signed = (mv - pv) if relation == "<=" else (pv - mv)',
        "one-sided relations '<=' and '>=' are swapped",
        (T_PLUGIN,),
    ),
    M(
        "plugin.slack_doubled",
        R,
        "ok = signed >= -atol",
        "ok = signed >= -2 * atol",
        "one-sided relations allow twice the stated slack",
        (T_PLUGIN, T_REPORT),
    ),
    M(
        "plugin.margin_max",
        R,
        "margin_out = math.nan if any(x != x for x in margins) else min(margins)",
        "margin_out = math.nan if any(x != x for x in margins) else max(margins)",
        "the reported signed margin is the largest over elements, not the smallest",
        (T_PLUGIN, T_REPORT),
    ),
    M(
        "plugin.non_finite_agrees",
        R,
        'entry["agrees"] = comparison.ok and not non_finite',
        'entry["agrees"] = comparison.ok',
        "a record whose measured value is empty / non-finite can agree",
        (T_PLUGIN, T_REPORT),
    ),
    M(
        "plugin.tol_check_predicted_only",
        R,
        'and (_has_float(entry["predicted"]) or _has_float(entry["measured"]))',
        'and _has_float(entry["predicted"])',
        "a float measured against an int prediction needs no stated tolerance",
        (T_PLUGIN, T_REPORT),
    ),
    M(
        "plugin.one_sided_never_raises",
        R,
        "        if not comparison.ok:\n            exc = ClaimDisagreement(",
        '        if not comparison.ok and relation == "==":\n            exc = ClaimDisagreement(',
        "check() raises ClaimDisagreement only for two-sided checks",
        (T_PLUGIN,),
    ),
    # ------------------------------------------------------------- quadratic regression
    M(
        "quadratic_regression.catapult_4_to_4_05",
        QRM,
        '"V - U*(4 - V)")',
        '"V - U*(4.05 - V)")',
        "Lewkowycz catapult map V' = V − U(4.05 − V) instead of V − U(4 − V)",
        (T_CATAPULT,),
        ci=True,
        issue=True,
    ),
    M(
        "quadratic_regression.cubic_map_a_scaled",
        QRM,
        'CUBIC_MAP_EXPR = "z*(1 + a*(1 - z))**2"',
        'CUBIC_MAP_EXPR = "z*(1 + 1.0001*a*(1 - z))**2"',
        "Chen et al.'s cubic map F_a runs at a × 1.0001",
        (T_CUBIC, T_REDUCTION),
    ),
    M(
        "quadratic_regression.lambda_star",
        QRM,
        "return 4 * self.c * self.y / self.n",
        "return 4.04 * self.c * self.y / self.n",
        "λ_i* = 4.04 c y_i / n instead of 4 c y_i / n (so a = ηλ*/2 is 1 % off)",
        (T_REDUCTION,),
    ),
    M(
        "quadratic_regression.grad_factor",
        QRM,
        "(2 * self.c) * r[..., None] * P)",
        "(2.02 * self.c) * r[..., None] * P)",
        "quadratic regression's numpy gradient is 1 % too large",
        (T_REDUCTION,),
    ),
    M(
        "quadratic_regression.hessian_residual_term",
        QRM,
        "H2 = 2 * self.c * np.einsum(",
        "H2 = 2.02 * self.c * np.einsum(",
        "quadratic regression's numpy Hessian: residual term 1 % too large (zero at interpolants)",
        (T_REDUCTION, T_MODEL),
    ),
    M(
        "quadratic_regression.two_cycle_multiplier",
        QRM,
        "return 9 - 2 * (1 + a) ** 2",
        "return 9 - 2.01 * (1 + a) ** 2",
        "2-cycle multiplier 9 − 2.01(1 + a)² instead of 9 − 2(1 + a)²",
        (T_CUBIC,),
    ),
    M(
        "quadratic_regression.two_cycle_points",
        QRM,
        "root = np.sqrt((a - 1) * (a + 3))",
        "root = np.sqrt((a - 1) * (a + 3.01))",
        "the closed-form 2-cycle z± of F_a uses (a − 1)(a + 3.01)",
        (T_CUBIC, T_UV),
    ),
    M(
        "quadratic_regression.a_infinity",
        QRM,
        "A_INFINITY = 1.3022834627",
        "A_INFINITY = 1.3022834727",
        "the cascade's accumulation point a∞ off by 1e-8",
        (T_CUBIC,),
    ),
    M(
        "quadratic_regression.nqm_w_term",
        QRM,
        '"v - u*(4 - v) - 4*w")',
        '"v - u*(4 - v) - 4.05*w")',
        "Zhu et al.'s NQM map v' = v − u(4 − v) − 4.05w instead of − 4w",
        (T_CATAPULT,),
    ),
    M(
        "quadratic_regression.nqm_recursion",
        QRM,
        "lam - eta * k * e * (4 * g - eta * lam * e),",
        "lam - eta * k * e * (4.04 * g - eta * lam * e),",
        "NQM.recursion's λ update uses 4.04 g instead of 4 g",
        (T_CATAPULT,),
    ),
    M(
        "quadratic_regression.second_order_map",
        QRM,
        '"x*(1 + p**2) - 4*p*(p - ps)"',
        '"x*(1 + p**2) - 4.04*p*(p - ps)"',
        "Agarwala et al.'s second-order map x' = x(1 + p²) − 4.04p(p − p*)",
        (T_SECOND,),
    ),
    # ------------------------------------------------------------------ two-layer linear
    M(
        "two_layer_linear.uv_balanced_line",
        TLL,
        'UV_BALANCED_LINE_EXPR = "w*(1 + eta*(y - w**2))"',
        'UV_BALANCED_LINE_EXPR = "w*(1 + 1.001*eta*(y - w**2))"',
        "the uv balanced-line map runs at 1.001 η",
        (T_UV,),
    ),
    M(
        "two_layer_linear.wide_ntk",
        TLL,
        "return np.sum(th * th, axis=-1) / self.n",
        "return np.sum(th * th, axis=-1) / (self.n + 1)",
        "WideLinearNet.ntk divides by n + 1",
        (T_CATAPULT, T_UV),
    ),
    M(
        "two_layer_linear.depth2_hessian_r_term",
        TLL,
        "H[..., : self.d, self.d :] += r[..., None, None] * eye\n"
        "        H[..., self.d :, : self.d] += r[..., None, None] * eye",
        "H[..., : self.d, self.d :] += 1.01 * r[..., None, None] * eye\n"
        "        H[..., self.d :, : self.d] += 1.01 * r[..., None, None] * eye",
        "Depth2Linear's Hessian: residual term 1 % too large (zero at minima)",
        (T_DEPTH2,),
    ),
    M(
        "two_layer_linear.depth2_gfs_sharpness",
        TLL,
        "return np.sqrt(4 * self.Phi**2 + self.K(theta) ** 2)",
        "return np.sqrt(4.04 * self.Phi**2 + self.K(theta) ** 2)",
        "Depth2Linear.gfs_sharpness √(4.04Φ² + K²)",
        (T_DEPTH2,),
        ci=True,
    ),
    M(
        "two_layer_linear.depth2_K",
        TLL,
        "return np.linalg.norm(a + b, axis=-1) * np.linalg.norm(a - b, axis=-1)",
        "return np.linalg.norm(a + b, axis=-1) * np.linalg.norm(a - b, axis=-1) * 1.001",
        "Depth2Linear.K (gradient-flow invariant) 0.1 % too large",
        (T_DEPTH2,),
    ),
    # ------------------------------------------------------------------------ scalar net
    M(
        "scalar_net.hessian_cross_term",
        SN,
        "H[..., i, j] += r * pij",
        "H[..., i, j] += 1.01 * r * pij",
        "ScalarNet's Hessian: residual cross term 1 % too large (zero at minima)",
        (T_SCALAR,),
    ),
    M(
        "scalar_net.gfs_sharpness",
        SN,
        "return self.y**2 * np.sum(1.0 / (w**2 + delta[..., None]), axis=-1)",
        "return 1.001 * self.y**2 * np.sum(1.0 / (w**2 + delta[..., None]), axis=-1)",
        "GFS-sharpness φ(w) 0.1 % too large",
        (T_SCALAR,),
        ci=True,
    ),
    M(
        "scalar_net.balanced_sharpness",
        SN,
        "return self.depth * abs(self.y) ** (2 - 2 / self.depth)",
        "return (self.depth + 0.01) * abs(self.y) ** (2 - 2 / self.depth)",
        "balanced sharpness (D + 0.01)|y|^{2−2/D}",
        (T_SCALAR,),
    ),
    M(
        "scalar_net.gf_shift_newton_short",
        SN,
        "            for _ in range(100):\n                s = t + delta[..., None]",
        "            for _ in range(2):  # MUTANT\n                s = t + delta[..., None]",
        "the gradient-flow shift δ stops after 2 Newton iterations",
        (T_SCALAR,),
    ),
    # ------------------------------------------------------------------ threshold neuron
    M(
        "threshold_neuron.logistic_sym_c",
        TN,
        "lambda t: 0.25 / np.cosh(np.clip(t, -1400, 1400) / 2) ** 2,\n        0.25,",
        "lambda t: 0.25 / np.cosh(np.clip(t, -1400, 1400) / 2) ** 2,\n        0.26,",
        "symmetric-logistic curvature c = ℓ''(0) stated as 0.26 instead of 0.25",
        (T_PRODUCT, T_MEAN),
        ci=True,
        issue=True,
    ),
    M(
        "threshold_neuron.product_eta_star",
        TN,
        "return 2.0 / (self.c * gap)",
        "return 2.02 / (self.c * gap)",
        "product model η* = 2.02 / (c(v0² − u0²))",
        (T_PRODUCT,),
    ),
    M(
        "threshold_neuron.product_hessian_off",
        TN,
        "off = d2 * s + d1",
        "off = d2 * s + 1.01 * d1",
        "product model Hessian: ℓ' part of the off-diagonal 1 % too large (zero at minima)",
        (T_PRODUCT,),
    ),
    M(
        "threshold_neuron.mean_eta_star",
        TN,
        "return float(8.0 / np.float64(g0) ** 2)",
        "return float(8.08 / np.float64(g0) ** 2)",
        "mean model η* = 8.08/g(b0)² instead of 8/g(b0)²",
        (T_MEAN,),
    ),
    M(
        "threshold_neuron.g_mean_density",
        TN,
        "return b * ndtr(z) + s * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)",
        "return b * ndtr(z) + s * np.exp(-0.5 * z * z) / np.sqrt(2.02 * np.pi)",
        "g(b) = E relu(sZ + b) with a 1 %-off Gaussian normalisation",
        (T_MEAN,),
    ),
    M(
        "threshold_neuron.mean_hessian_bb",
        TN,
        "hbb = l2 * (a * dG) ** 2 + l1 * a * d2G",
        "hbb = l2 * (a * dG) ** 2 + 1.01 * l1 * a * d2G",
        "mean model Hessian ∂²L/∂b²: ℓ' term 1 % too large",
        (T_MEAN,),
    ),
    M(
        "threshold_neuron.overshoot_law",
        TN,
        "target = r - np.log(r)",
        "target = r - 1.001 * np.log(r)",
        "overshoot law r∞ − ln r∞ = r0 − 1.001 ln r0",
        (T_PRODUCT,),
    ),
    # --------------------------------------------------------------------- threshold net
    M(
        "threshold_net.eta_mean_x1_2",
        TNET,
        'eta_mean=2.0 / rq if rq > 0 else float("nan"),',
        'eta_mean=2.4 / rq if rq > 0 else float("nan"),',
        "predicted_threshold's η_mean = 2.4 / rayleigh (× 1.2)",
        (T_FULLNET,),
        issue=True,
    ),
    M(
        "threshold_net.mean_model_quarter",
        TNET,
        "mean_model=0.25 * float(np.sum(G * G)),",
        "mean_model=0.3 * float(np.sum(G * G)),",
        "mean-model curvature 0.3 ΣḠ² instead of ¼ΣḠ²",
        (T_FULLNET,),
    ),
    M(
        "threshold_net.grad_bias_plain",
        TNET,
        "gb[...] = np.sum(dz, axis=1)",
        "gb[...] = 1.01 * np.sum(dz, axis=1)",
        "plain ReLU net: bias gradient 1 % too large",
        (T_FULLNET,),
    ),
    M(
        "threshold_net.accuracy_ties",
        TNET,
        "return np.mean((s > 0) + 0.5 * (s == 0), axis=-1)",
        "return np.mean((s > 0) + 0.0 * (s == 0), axis=-1)",
        "accuracy counts ties f = 0 as wrong (a dead net scores 0, not chance)",
        (T_NET_ACC, T_FULLNET),
    ),
    M(
        "threshold_net.hvp_scale",
        TNET,
        "return (self.grad(th + eps * v, X, y) - self.grad(th - eps * v, X, y)) / (2 * eps)",
        "return (self.grad(th + eps * v, X, y) - self.grad(th - eps * v, X, y)) / (2.02 * eps)",
        "ReluNet.hvp 1 % too small (every curvature estimate of the full net)",
        (T_FULLNET,),
    ),
    # ------------------------------------------------------------------- diagonal linear
    M(
        "diagonal_linear.closed_form_gain",
        DL,
        "gain = -np.sum(np.log(np.abs(1 - x * x)), axis=0)",
        "gain = -1.01 * np.sum(np.log(np.abs(1 - x * x)), axis=0)",
        "closed form: Gain_k 1 % too large (α_k² too small)",
        (T_DIAG,),
        ci=True,
    ),
    M(
        "diagonal_linear.interpolator_sharpness",
        DL,
        "w = 2 * np.sqrt(beta * beta + a2 * a2) / self.n",
        "w = 2 * np.sqrt(beta * beta + a2) / self.n",
        "interpolator sharpness uses √(β² + α²) instead of √(β² + α⁴)",
        (T_DIAG,),
    ),
    M(
        "diagonal_linear.hessian_g_cross",
        DL,
        "H[..., idx, d + idx] += g\n        H[..., d + idx, idx] += g",
        "H[..., idx, d + idx] += 1.01 * g\n        H[..., d + idx, idx] += 1.01 * g",
        "diagonal net Hessian: gradient cross term 1 % too large (zero at interpolators)",
        (T_DIAG,),
    ),
    M(
        "diagonal_linear.hypentropy_dual",
        DL,
        "beta = a2 * np.sinh(X.T @ sol.x)",
        "beta = a2 * np.sinh(1.001 * X.T @ sol.x)",
        "hypentropy interpolator β = α² sinh(1.001 Xᵀλ) (no longer interpolates)",
        (T_DIAG,),
    ),
    M(
        "diagonal_linear.init_scale",
        DL,
        "np.full(self.d, np.sqrt(2) * self.alpha)",
        "np.full(self.d, np.sqrt(2.02) * self.alpha)",
        "initialisation u0 = √2.02 α instead of √2 α",
        (T_DIAG,),
    ),
    # ----------------------------------------------------------------------- deep linear
    M(
        "deep_linear.balanced_line_c",
        DEEP,
        'return f"z - (c/{L})*(z**{L} - 1)*z**{L - 1}"',
        'return f"z - (1.0001*c/{L})*(z**{L} - 1)*z**{L - 1}"',
        "balanced-line map z − (1.0001 c/L)(z^L − 1)z^{L−1}: coefficient c × 1.0001",
        (T_DEEP,),
        ci=True,
        issue=True,
    ),
    M(
        "deep_linear.off_diagonal_zero",
        DEEP,
        "return np.max(np.abs(off), axis=(-3, -2, -1))",
        "return 0.0 * np.max(np.abs(off), axis=(-3, -2, -1))",
        "DeepLinear.off_diagonal returns 0 (the SVS check sees nothing)",
        (T_DEEP,),
        issue=True,
    ),
    M(
        "deep_linear.balanced_spectrum",
        DEEP,
        "vals = [L * si ** (2 - 2 / L) for si in s]",
        "vals = [1.001 * L * si ** (2 - 2 / L) for si in s]",
        "balanced-minimum spectrum: per-direction eigenvalues 0.1 % too large",
        (T_DEEP,),
    ),
    M(
        "deep_linear.hessian_residual_block",
        DEEP,
        'H[..., l, :, :, k, :, :] += np.einsum("...abce->...ceab", block)',
        'H[..., l, :, :, k, :, :] += 1.01 * np.einsum("...abce->...ceab", block)',
        "deep linear Hessian: transposed residual block 1 % too large (asymmetric off minima)",
        (T_DEEP,),
    ),
    M(
        "deep_linear.grad_transpose",
        DEEP,
        "@ R @ np.swapaxes(C[l], -1, -2) for l in range(self.depth)]",
        "@ R @ C[l] for l in range(self.depth)]",
        "deep linear gradient uses C_l instead of C_lᵀ (right only for symmetric products)",
        (T_DEEP,),
    ),
    # --------------------------------------------------------------- self-stabilization
    M(
        "stability.predicted_loss_half",
        ST,
        "predicted = loss + ratio / ef",
        "predicted = loss + 0.5 * ratio / ef",
        "constrained trajectory predicts L(θ†) + α/(ηβ) instead of L(θ†) + 2α/(ηβ)",
        (T_SS_CONSTRAINED, T_STABILITY),
    ),
    M(
        "stability.projection_full_gradient",
        ST,
        "shift = np.where(need & live, excess / beta, 0.0)[:, None] * geo.dSp",
        "shift = np.where(need & live, excess / beta, 0.0)[:, None] * geo.dS",
        "stable-set projection steps along ∇S instead of ∇S⊥",
        (T_SS_CONSTRAINED, T_STABILITY),
    ),
    M(
        "stability.predicted_drops_xy",
        ST,
        "+ 0.5 * (xs * xs - d2[t, i]) * dSp[t, i] + xs * ys * U[t, i]",
        "+ 0.5 * (xs * xs - d2[t, i]) * dSp[t, i]",
        "predicted dynamics without the x⋆y⋆u coupling term",
        (T_SS_CONSTRAINED,),
    ),
    M(
        "stability.euler_sigma_full",
        ST,
        "w = w - dt * ef[:, None] * (geo.g + 0.5 * X[:, None] * geo.dS)",
        "w = w - dt * ef[:, None] * (geo.g + X[:, None] * geo.dS)",
        "central flow (Euler): σ²∇S instead of ½σ²∇S",
        (T_SS_CF, T_STABILITY),
    ),
    M(
        "stability.ivp_sigma_full",
        ST,
        "return -eta * (g.g[0] + 0.5 * s2 * g.dS[0])",
        "return -eta * (g.g[0] + s2 * g.dS[0])",
        "central flow (solve_ivp): σ²∇S instead of ½σ²∇S",
        (T_SS_CF, T_STABILITY),
    ),
    M(
        "self_stabilization.normal_form_coupling",
        SSM,
        "+ sp.Rational(1, 2) * z1 * x**2",
        "+ sp.Rational(51, 100) * z1 * x**2",
        "Model A: 0.51·z₁x² instead of ½z₁x²",
        (T_SS_NORMAL, T_SS_MODELS),
    ),
    M(
        "self_stabilization.rho2_kappa",
        SSM,
        "return float(1.0 - eta * k[0, 0] + 2.0 * eta**2 * a)",
        "return float(1.0 - eta * k[1, 1] + 2.0 * eta**2 * a)",
        "Model A's 2-step spectral radius with K₂₂ in place of K₁₁",
        (T_SS_NORMAL,),
    ),
    M(
        "data_model.mean_divisor",
        DM,
        "out[a : a + rows] = acc / m",
        "out[a : a + rows] = acc / max(m - 1, 1)",
        "data model: the sample mean divides by m − 1",
        (T_DATA,),
    ),
    M(
        "data_model.hessian_transpose_fill",
        DM,
        "out[:, j, i, :] = out[:, i, j, :]",
        "out[:, j, i, :] = out[:, i, i, :]",
        "data model: the upper Hessian triangle copies the diagonal",
        (T_DATA,),
    ),
    M(
        "dynamics.reshuffle_once",
        "toymodels/dynamics.py",
        "if pos[s] == 0 or self.perm is None:",
        "if self.perm is None:",
        "sgd without replacement: one permutation for every epoch (no reshuffling)",
        (T_DATA,),
    ),
    M(
        "dynamics.fixed_order_restarts_each_block",
        "toymodels/dynamics.py",
        "pos = (t0 + np.arange(steps)) % k",
        "pos = np.arange(steps) % k",
        "sgd epochs restart at every index block",
        (T_DATA,),
    ),
    M(
        "dynamics.seed_axis_interleaved",
        "toymodels/dynamics.py",
        "np.repeat(np.arange(S), M).astype(float)",
        "np.tile(np.arange(S), M).astype(float)",
        "sgd seed lists: members paired with the wrong seed's stream",
        (T_DATA,),
    ),
    # ---------------------------------------------------------------- issue 12: SGD rows
    M(
        "stochastic.drift_no_finite_population",
        STO,
        "value = -(K * (K - 1) / 2) * coef * s",
        "value = -(K * K / 2) * coef * s",
        "reshuffling_drift counts K² step pairs instead of K(K − 1)",
        (SC, SA),
    ),
    M(
        "stochastic.noise_trace_gradient_half",
        STO,
        'return 2.0 * np.einsum("...kji,...kj->...i", dH, dg) / m',
        'return np.einsum("...kji,...kj->...i", dH, dg) / m',
        "∇Tr Cov drops the chain-rule factor 2",
        (SC, SA),
    ),
    M(
        "stochastic.noise_factor_with_replacement",
        STO,
        "return (n - b) / (b * (n - 1))",
        "return 1.0 / b",
        "noise-injected GD loses the finite-population factor",
        (SC, SA),
    ),
    M(
        "stochastic.covariance_ddof1",
        STO,
        'cov[a : a + rows] = np.einsum("smi,smj->mij", d, d) / S',
        'cov[a : a + rows] = np.einsum("smi,smj->mij", d, d) / (S - 1)',
        "exact covariance over sequences divided by S − 1",
        (SC, SA),
    ),
    M(
        "stochastic.epoch_moments_uncentred",
        STO,
        'np.einsum("eijkl,ebj,ebl->ebik", dAA, mu, mu)',
        'np.einsum("eijkl,ebj,ebl->ebik", AA, mu, mu)',
        "epoch recursion uses the uncentred second moment of A_s",
        (SC, SA),
    ),
    M(
        "stochastic.resummed_delta_index",
        STO,
        'v = v + np.einsum("...kab,...b->...ka", dHb, delta[i - 1])',
        'v = v + np.einsum("...kab,...b->...ka", dHb, delta[i])',
        "resummed drift takes GD's displacement one step late",
        (SC, SA),
    ),
    M(
        "sgd_quadratics.numpy_grad_sign",
        "toymodels/models/sgd_quadratics.py",
        'return np.einsum("mij,Mj->Mmi", Hi, theta) + bi[None]',
        'return np.einsum("mij,Mj->Mmi", Hi, theta) - bi[None]',
        "numpy twin flips the sign of b_k",
        (SM,),
    ),
    M(
        "support_learning.kappa_no_half",
        SLM,
        "e * e * c / (2.0 * bp)",
        "e * e * c / (1.0 * bp)",
        "κ = η²ε²Ĉ₂₂/b′ instead of /(2b′)",
        (T_SL,),
    ),
    M(
        "support_learning.bprime_off_by_one",
        SLM,
        "return b * (n - 1) / (n - b)",
        "return b * (n - 1) / (n - b + 1)",
        "finite-population factor b(n−1)/(n−b+1)",
        (T_SL,),
    ),
    M(
        "support_learning.flat_part_keeps_stiff",
        SLM,
        "perp = c - ah[..., :, None] * along[..., None, :]",
        "perp = c - 0.0 * ah[..., :, None] * along[..., None, :]",
        "flat part = ‖We₂‖ (the stiff part along a not removed)",
        (T_SL,),
    ),
    M(
        "support_learning.label_noise_asymmetric",
        SLM,
        "Y = np.concatenate([target + e, target - e])",
        "Y = np.concatenate([target + e, target - 0.5 * e])",
        "labels x₁ + ε, x₁ − ε/2: residuals no longer ∓ε",
        (T_SL,),
    ),
    M(
        "support_learning.weight_decay_double",
        SLM,
        "expr = expr + sp.Rational(1, 2) * sp.Float(lam)",
        "expr = expr + sp.Rational(1, 1) * sp.Float(lam)",
        "sympy weight decay λ‖θ‖² instead of (λ/2)‖θ‖²",
        (T_SL,),
    ),
    M(
        "support_learning.twin_residual_sign",
        SLM,
        "+ res[..., None, None] * d2f(xb)",
        "- res[..., None, None] * d2f(xb)",
        "numpy twin Hessian with −r∇²f",
        (T_SL,),
    ),
    M(
        "batch_sharpness.pi2_with_replacement",
        BSM,
        "p2 = b * (b - 1) / (n * (n - 1)) if n > 1 else 0.0",
        "p2 = b * (b - 1) / (n * n) if n > 1 else 0.0",
        "pair inclusion probability of a uniform b-subset taken as b(b−1)/n²",
        (T_BS,),
    ),
    M(
        "batch_sharpness.bs_ratio_of_means",
        BSM,
        'out["q"] = out["ghg"] / out["gg"]',
        'out["q"] = out["ghg"] / out["gg"].mean(axis=-1, keepdims=True)',
        "Batch Sharpness as a ratio of means instead of the mean of ratios",
        (T_BS,),
    ),
    M(
        "batch_sharpness.cubic_weight",
        BSM,
        "return (p1 - p2, p2), (p1 - 3 * p2 + 2 * p3, p2 - p3, p3)",
        "return (p1 - p2, p2), (p1 - 2 * p2 + p3, p2 - p3, p3)",
        "E[g_BᵀH_Bg_B]: wrong inclusion-exclusion weight of the all-equal pattern",
        (T_BS,),
    ),
    M(
        "batch_sharpness.gni_batch_hessian",
        BSM,
        '"gni": ghg_full / full_grad_sq,',
        '"gni": ghg / full_grad_sq,',
        "GNI with the batch Hessian H_B instead of the full H",
        (T_BS,),
    ),
    M(
        "batch_sharpness.minibs_scale",
        BSM,
        "np.add.at(z, (np.arange(Kc)[:, None], sub), 1.0 / b)",
        "np.add.at(z, (np.arange(Kc)[:, None], sub), 1.0 / (b + 1))",
        "MiniBS: H_B averaged with 1/(b+1)",
        (T_BS,),
    ),
    M(
        "tanh_mlp.hessian_residual",
        MLPM,
        "ww = (r[..., None] * a[:, None, :] * s2)",
        "ww = (a[:, None, :] * s2)",
        "tanh MLP Hessian: residual r dropped from the W–W blocks of r∇²f",
        (T_MLP, T_BS),
    ),
    M(
        "logistic_regression.v_star",
        LRM,
        "return -math.log(2.0) / 3.0",
        "return -math.log(2.0) / 3.03",
        "v* = −ln2/3.03 instead of −ln2/3 (1 %)",
        (T_LR,),
    ),
    M(
        "logistic_regression.rate_constant_brief",
        LRM,
        "return -4.0 / (9.0 * (2.0 - g * g))",
        "return -4.0 / (9.0 * 2.0)",
        "the orthogonal rate constant set back to the brief's γ → 0 limit −2/9",
        (T_LR,),
    ),
    M(
        "logistic_regression.twin_hessian_weight",
        LRM,
        'return expit(z) * expit(-z) if kind == "logistic" else np.exp(-z)',
        'return 1.02 * expit(z) * expit(-z) if kind == "logistic" else np.exp(-z)',
        "numpy twin: ℓ'' 2 % too large",
        (T_LR,),
    ),
    M(
        "lyapunov.stderr_over_blocks",
        "toymodels/lyapunov.py",
        "se = np.sqrt(ss / (blocks - 1)) / np.sqrt(blocks)",
        "se = np.sqrt(ss / (blocks - 1)) / blocks  # MUTANT",
        "batch-means standard error divided by blocks instead of √blocks",
        ("tests/core/test_lyapunov_spectrum.py",),
    ),
    M(
        "lyapunov.gs_projection_sign",
        "toymodels/lyapunov.py",
        'v = v - np.einsum("bik,bk->bi", P, np.einsum("bik,bi->bk", P, v))',
        'v = v + np.einsum("bik,bk->bi", P, np.einsum("bik,bi->bk", P, v))  # MUTANT',
        "Gram–Schmidt adds the projection instead of removing it (λ2 wrong)",
        ("tests/core/test_lyapunov_spectrum.py",),
    ),
    M(
        "lyapunov.diverged_not_nan",
        "toymodels/lyapunov.py",
        "lam = np.where(dead[:, None], np.nan, lam)",
        "lam = lam  # MUTANT",
        "diverged members keep a number instead of NaN",
        ("tests/core/test_lyapunov_spectrum.py",),
    ),
    M(
        "bifurcation.flip_coefficient_f4",
        "toymodels/models/bifurcation.py",
        "return e * e * float(self.f3) ** 2 / 4 - e * float(self.f4) / 6",
        "return e * e * float(self.f3) ** 2 / 4 - e * float(self.f4) / 4",
        "flip normal-form coefficient: f''''/6 replaced by f''''/4 (wrong 2-cycle amplitude)",
        ("tests/bifurcation/test_flip_criterion.py",),
    ),
    M(
        "bifurcation.flip_criterion_factor3",
        "toymodels/models/bifurcation.py",
        "value = sp.simplify(3 * f3**2 - f2 * f4)",
        "value = sp.simplify(2 * f3**2 - f2 * f4)",
        "criterion 3f'''² − f''f'''' with factor 2 instead of 3",
        ("tests/bifurcation/test_flip_criterion.py",),
    ),
    M(
        "bifurcation.uv_map_4F",
        "toymodels/models/bifurcation.py",
        '"Lam + (F - Y)*(Lam*(F - Y) - 4*F)"',
        '"Lam + (F - Y)*(Lam*(F - Y) - 3.96*F)"',
        "Kalra uv map: the 4F term off by 1 %",
        ("tests/bifurcation/test_uv_kalra.py",),
    ),
    M(
        "bifurcation.zhu_map_eta_squared",
        "toymodels/models/bifurcation.py",
        '"A*(1 - (d**2 - 1)*eta**2*d**2/A)**2"',
        '"A*(1 - (d**2 - 1)*eta*d**2/A)**2"',
        "Zhu (A, d) map: B = η d²/A instead of η² d²/A",
        ("tests/bifurcation/test_zhu_alignment.py",),
    ),
)


def by_id() -> dict[str, Mutant]:
    """The catalogue as a dict id → mutant (ids are unique)."""
    out: dict[str, Mutant] = {}
    for m in CATALOGUE:
        if m.id in out:
            raise ValueError(f"duplicate mutant id {m.id!r}")
        out[m.id] = m
    return out
