"""Deep linear networks / deep matrix factorisation beyond the edge of stability.

Ghosh, Kwon, Wang, Ravishankar, Qu, "Learning Dynamics of Deep Linear Networks Beyond the Edge of
Stability" (ICLR 2025, arXiv 2502.20531; ICLR title "… Deep Matrix Factorization …").

Loss L(W_1, …, W_L) = ½‖W_L ⋯ W_1 − M*‖²_F with W_l ∈ R^{d×d}; θ stacks vec(W_1), …, vec(W_L).
With the residual R = P − M*, P = W_L ⋯ W_1, A_l = W_L ⋯ W_{l+1} and C_l = W_{l−1} ⋯ W_1:

* ∇_{W_l} L = A_lᵀ R C_lᵀ;
* Hessian: the Gauss–Newton blocks (A_kᵀA_l)[a,c]·(C_k C_lᵀ)[b,e] plus, for k > l, the residual
  blocks (A_kᵀ R C_lᵀ)[a,e]·(W_{k−1} ⋯ W_{l+1})[b,c] (and their transposes); exact, batched.

For a symmetric target M* = U diag(s) Uᵀ and W_l(0) = a_l I the dynamics stay in the "singular
vector stationary set" and decouple into one depth-L scalar net per singular value (brief §D.1):
w_{l,i} ← w_{l,i} − η(Π_k w_{k,i} − s_i) Π_{k≠l} w_{k,i}. On the balanced line w_{l,i} = s_i^{1/L} z
this is the one-parameter map z ↦ z − (c/L)(z^L − 1) z^{L−1}, c = η L s_i^{2−2/L}, which loses
stability at c = 2 and period-doubles to chaos. At the balanced minimum the nonzero Hessian
eigenvalues are {L s_i^{2−2/L}} ∪ {μ_ij = Σ_{l=1}^{L} s_i^{2(L−l)/L} s_j^{2(l−1)/L}, i ≠ j}.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..maps import Map, MapFamily
from ..model import Model
from . import _checks

__all__ = [
    "CITATION",
    "DeepLinear",
    "balanced_line_expr",
    "balanced_line_family",
    "balanced_minimum_eigenvalue_exprs",
    "balanced_minimum_spectrum",
    "deep_linear_loss_expr",
    "symmetric_target",
]

CITATION = (
    "Ghosh, Kwon, Wang, Ravishankar, Qu, 'Learning Dynamics of Deep Linear Networks Beyond the "
    "Edge of Stability', ICLR 2025 (arXiv 2502.20531)"
)


def _singular_values(s: Any) -> np.ndarray:
    """The paper's targets are symmetric PSD, M* = U diag(s) Uᵀ: ``s`` is a non-empty 1-D array of
    singular values s_i >= 0 (a matrix is refused: pass its singular values)."""
    s = _checks.array(s, "s")
    if s.ndim != 1:
        raise ValueError(
            f"s must be a 1-D array of singular values s_i >= 0 (the target is "
            f"M* = U diag(s) Uᵀ), got shape {s.shape}; for a matrix pass its singular values"
        )
    if s.size == 0:
        raise ValueError("s must contain at least one singular value")
    if np.any(s < 0):
        raise ValueError(f"s must be non-negative singular values, got min {s.min()!r}")
    return s


def symmetric_target(s: Any, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(M*, U): M* = U diag(s) Uᵀ with U from the QR factor of a seeded Gaussian matrix.

    ``s`` are the singular values (1-D, >= 0), so M* is symmetric positive semidefinite, the
    setting in which GD from W_l = a_l I stays in the singular vector stationary set. Zeros (a
    low-rank target, brief §D.4 uses s = (3, 2, 1, 0, 0)) and any order are valid: column i of U
    is the singular vector of s_i.
    """
    s = _singular_values(s)
    seed = _checks.seed(seed)
    d = s.shape[0]
    _checks.budget(d * d, "s", f"the {d}×{d} target")
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    U = q * np.sign(np.diag(r))
    with np.errstate(all="ignore"):
        M = (U * s) @ U.T
    if not np.all(np.isfinite(M)):
        raise ValueError(
            f"s is too large: the target U diag(s) Uᵀ overflows float64 (max s = {s.max()!r})"
        )
    return M, U


def balanced_line_expr(depth: int) -> str:
    """The balanced-line map z − (c/L)(z^L − 1) z^{L−1} as a string in ``z`` and ``c``.

    :func:`balanced_line_family` compiles this string and ``proofs_check.deep_linear`` derives
    it from the GD step of the depth-L scalar net (so both read the same formula).
    """
    L = _checks.count(depth, "depth", maximum=_checks.MAX_DEPTH)
    return f"z - (c/{L})*(z**{L} - 1)*z**{L - 1}"


def balanced_line_family(depth: int) -> MapFamily:
    """The family c ↦ (z ↦ z − (c/L)(z^L − 1) z^{L−1}): GD on one balanced singular direction.

    z = w / s^{1/L}, c = η L s^{2−2/L} (η times the sharpness of the balanced minimum).
    """
    L = _checks.count(depth, "depth", maximum=_checks.MAX_DEPTH)
    return Map.from_sympy(balanced_line_expr(L), state="z", param="c", name=f"balanced line L={L}")


def balanced_minimum_eigenvalue_exprs(s: Any, depth: int) -> tuple[list[Any], list[Any]]:
    """Sympy twin of :func:`balanced_minimum_spectrum`: (per-direction, mixed) eigenvalues.

    ``s`` is a sequence of (symbolic or numeric) singular values; returns
    ([L s_i^{2−2/L}], [μ_ij = Σ_{l=1}^{L} s_i^{2(L−l)/L} s_j^{2(l−1)/L} for i ≠ j]) with exact
    rational exponents. ``proofs_check.deep_linear`` proves the Hessian spectrum with these
    expressions and checks the numpy spectrum against them.
    """
    import sympy as sp

    L = _checks.count(depth, "depth", maximum=_checks.MAX_DEPTH)
    s = _checks.sequence(s, "s", min_length=1, scalars=True)
    for i, si in enumerate(s):
        if si.is_number and si.is_negative:
            raise ValueError(f"s[{i}] must be a non-negative singular value, got {si}")
    lam = [L * si ** (2 - sp.Rational(2, L)) for si in s]
    mu = [
        sum(
            si ** sp.Rational(2 * (L - l), L) * sj ** sp.Rational(2 * (l - 1), L)
            for l in range(1, L + 1)
        )
        for i, si in enumerate(s)
        for j, sj in enumerate(s)
        if i != j
    ]
    return lam, mu


def deep_linear_loss_expr(layers: Any, target: Any) -> Any:
    """½‖W_L ⋯ W_1 − M‖²_F as a sympy expression (``layers`` = [W_1, …, W_L], sympy matrices).

    :meth:`DeepLinear.symbolic` builds its loss with this function and ``proofs_check`` proves
    the Hessian / SVS identities on it.
    """
    import sympy as sp

    layers = _checks.sequence(layers, "layers", min_length=1)
    for i, W in enumerate(layers):
        if not isinstance(W, sp.MatrixBase):
            raise TypeError(f"layers[{i}] must be a sympy Matrix, got {type(W).__name__}")
        if W.shape != layers[0].shape or W.shape[0] != W.shape[1]:
            raise ValueError(
                f"layers[{i}] must be square and of the same shape as layers[0] "
                f"{layers[0].shape}, got {W.shape}"
            )
    if not isinstance(target, sp.MatrixBase):
        try:
            target = sp.Matrix(_checks.array(target, "target", ndim=2))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"target must be a sympy Matrix or a 2-D array: {exc}") from exc
    if target.shape != layers[0].shape:
        raise ValueError(f"target must have shape {layers[0].shape}, got {target.shape}")
    P = layers[0]
    for W in layers[1:]:
        P = W * P
    R = P - target
    d_rows, d_cols = R.shape
    loss = sum((R[a, b] ** 2 for a in range(d_rows) for b in range(d_cols)), sp.Integer(0))
    return loss / 2


def balanced_minimum_spectrum(s: Any, depth: int) -> np.ndarray:
    """Nonzero Hessian eigenvalues at the balanced minimum, sorted descending.

    {L s_i^{2−2/L}} (one each) ∪ {μ_ij = Σ_l s_i^{2(L−l)/L} s_j^{2(l−1)/L}} (i ≠ j, each pair twice:
    once as μ_ij and once as μ_ji, which are equal), for the nonzero singular values s_i.

    ``s`` may hold zeros (a low-rank target) and be in any order; the result is sorted. A
    spectrum that overflows float64 (huge s) is refused with a ``ValueError`` naming ``s``.
    """
    s = _singular_values(s)
    L = _checks.count(depth, "depth", maximum=_checks.MAX_DEPTH)
    # zero singular values stay in: μ_ij with s_j = 0 keeps its l = 1 term s_i^{2(L−1)/L}
    # (0**0 = 1 is the right convention here; for L = 1 every eigenvalue is 1)
    with np.errstate(all="ignore"):
        vals = [L * si ** (2 - 2 / L) for si in s]
        for i in range(len(s)):
            for j in range(len(s)):
                if i != j:
                    vals.append(
                        sum(
                            s[i] ** (2 * (L - l) / L) * s[j] ** (2 * (l - 1) / L)
                            for l in range(1, L + 1)
                        )
                    )
    out = np.array(vals)
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"s is too large: the Hessian eigenvalues L s_i^(2-2/L) and mu_ij overflow float64 "
            f"(max s = {s.max()!r}, depth = {L})"
        )
    return np.sort(out[out > 0])[::-1]


class DeepLinear:
    """½‖W_L ⋯ W_1 − M*‖²_F over d×d layers; θ = (vec W_1, …, vec W_L) (row-major).

    ``target`` is any finite square matrix (deep matrix factorisation; the authors' convergence
    notebook uses a rank-3 Gaussian, non-symmetric target). Only the SVS decoupling and the
    balanced-minimum formulas need the symmetric PSD targets of :func:`symmetric_target`.
    """

    def __init__(self, target: Any, depth: int) -> None:
        M = _checks.array(target, "target")
        if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0:
            raise ValueError(f"target must be a non-empty square matrix, got shape {M.shape}")
        self.M = M
        self.d = M.shape[0]
        self.depth = _checks.count(depth, "depth", maximum=_checks.MAX_DEPTH)
        _checks.n_params(
            self.depth * self.d * self.d, "depth" if self.depth > 1 else "target", "depth·d²"
        )
        names = [
            f"W{l + 1}_{a}_{b}"
            for l in range(self.depth)
            for a in range(self.d)
            for b in range(self.d)
        ]
        self.model = Model.from_numpy(
            names,
            self._loss,
            self._grad,
            self._hessian,
            name=f"deep linear (d={self.d}, L={self.depth})",
            citation=CITATION,
        )

    def __repr__(self) -> str:
        return f"DeepLinear(d={self.d}, depth={self.depth})"

    # ------------------------------------------------------------------ helpers
    def layers(self, theta: Any) -> np.ndarray:
        """W with shape (..., L, d, d) (W[..., l] is W_{l+1})."""
        return self._layers(self.model._theta(theta))

    def _layers(self, th: np.ndarray) -> np.ndarray:
        return th.reshape((*th.shape[:-1], self.depth, self.d, self.d))

    def flatten(self, W: Any) -> np.ndarray:
        """θ from layers of shape (..., L, d, d)."""
        W = _checks.array(W, "W", allow_nan=True)
        if W.ndim < 3 or W.shape[-3:] != (self.depth, self.d, self.d):
            raise ValueError(
                f"W must have shape (..., {self.depth}, {self.d}, {self.d}), got {W.shape}"
            )
        return self._flatten(W)

    def _flatten(self, W: np.ndarray) -> np.ndarray:
        return W.reshape((*W.shape[:-3], self.depth * self.d * self.d))

    def _products(self, W: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """C[l] = W_{l−1}⋯W_1 and A[l] = W_L⋯W_{l+1} (0-based l), and P = W_L⋯W_1."""
        L = self.depth
        eye = np.broadcast_to(np.eye(self.d), (*W.shape[:-3], self.d, self.d))
        C = [eye]
        for l in range(1, L):
            C.append(W[..., l - 1, :, :] @ C[-1])
        A = [eye] * L
        for l in range(L - 2, -1, -1):
            A[l] = A[l + 1] @ W[..., l + 1, :, :]
        P = W[..., L - 1, :, :] @ C[L - 1]
        return C, A, P

    @_checks.quiet
    def product(self, theta: Any) -> np.ndarray:
        """End-to-end matrix P = W_L ⋯ W_1 (NaN/inf for a diverged θ, without a warning)."""
        return self._products(self._layers(self.model._theta(theta)))[2]

    def _loss(self, theta: np.ndarray) -> np.ndarray:
        _, _, P = self._products(self._layers(theta))
        R = P - self.M
        return 0.5 * np.sum(R * R, axis=(-2, -1))

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        W = self._layers(theta)
        C, A, P = self._products(W)
        R = P - self.M
        G = np.stack(
            [np.swapaxes(A[l], -1, -2) @ R @ np.swapaxes(C[l], -1, -2) for l in range(self.depth)],
            axis=-3,
        )
        return self._flatten(G)

    def _hessian(self, theta: np.ndarray) -> np.ndarray:
        W = self._layers(theta)
        C, A, P = self._products(W)
        R = P - self.M
        L, d = self.depth, self.d
        batch = W.shape[:-3]
        H = np.zeros((*batch, L, d, d, L, d, d))
        for k in range(L):
            for l in range(L):
                AtA = np.swapaxes(A[k], -1, -2) @ A[l]
                CCt = C[k] @ np.swapaxes(C[l], -1, -2)
                H[..., k, :, :, l, :, :] = np.einsum("...ac,...be->...abce", AtA, CCt)
        for k in range(L):
            for l in range(k):
                # B = W_{k−1} ⋯ W_{l+1} (0-based: layers l+1 … k−1), identity if adjacent
                B = np.broadcast_to(np.eye(d), (*batch, d, d))
                for j in range(l + 1, k):
                    B = W[..., j, :, :] @ B
                G = np.swapaxes(A[k], -1, -2) @ R @ np.swapaxes(C[l], -1, -2)
                block = np.einsum("...ae,...bc->...abce", G, B)
                H[..., k, :, :, l, :, :] += block
                H[..., l, :, :, k, :, :] += np.einsum("...abce->...ceab", block)
        P_ = L * d * d
        return H.reshape((*batch, P_, P_))

    def symbolic(self) -> Model:
        """The same loss from sympy over the explicit entries (small d and L only)."""
        import sympy as sp

        if self.depth * self.d * self.d > 48:
            raise ValueError("symbolic() is meant for small nets (L·d² <= 48 parameters)")
        mats = [
            sp.Matrix(self.d, self.d, lambda a, b, l=l: sp.Symbol(f"W{l + 1}_{a}_{b}"))
            for l in range(self.depth)
        ]
        target = sp.Matrix(self.d, self.d, lambda a, b: sp.Float(self.M[a, b], 17))
        loss = deep_linear_loss_expr(mats, target)
        return Model.from_sympy(loss, list(self.model.params), name="deep linear (sympy)")

    # ------------------------------------------------------------------ SVS coordinates
    def svs_init(self, scales: Any) -> np.ndarray:
        """θ with W_l = a_l I (scalar per layer, or one scale for all layers)."""
        a = _checks.array(scales, "scales", ndim=(0, 1))
        if a.ndim == 1 and a.shape[0] not in (1, self.depth):
            raise ValueError(
                f"scales must be a scalar or have {self.depth} entries (one per layer), "
                f"got {a.shape[0]}"
            )
        a = np.broadcast_to(a, (self.depth,))
        W = a[:, None, None] * np.eye(self.d)
        return self._flatten(W)

    @_checks.quiet
    def singular_values(self, theta: Any) -> np.ndarray:
        """Singular values of W_L ⋯ W_1, descending, shape (..., d).

        A batch member whose product is not finite (a diverged θ: NaN/inf entries, or overflow
        of W_L ⋯ W_1) gets NaN singular values; the other members are unaffected.
        """
        P = self.product(theta)
        ok = np.all(np.isfinite(P), axis=(-2, -1))
        if np.all(ok):
            return np.linalg.svd(P, compute_uv=False)
        sv = np.linalg.svd(np.where(ok[..., None, None], P, 0.0), compute_uv=False)
        return np.where(ok[..., None], sv, np.nan)

    @_checks.quiet
    def rotated_layers(self, theta: Any, U: Any) -> np.ndarray:
        """Uᵀ W_l U for every layer (diagonal in the singular vector stationary set)."""
        U = _checks.array(U, "U")
        if U.shape != (self.d, self.d):
            raise ValueError(f"U must have shape ({self.d}, {self.d}), got {U.shape}")
        W = self._layers(self.model._theta(theta))
        return np.swapaxes(U, -1, -2) @ W @ U

    @_checks.quiet
    def off_diagonal(self, theta: Any, U: Any) -> np.ndarray:
        """max |off-diagonal| of Uᵀ W_l U over layers: how far the run left the SVS."""
        R = self.rotated_layers(theta, U)
        off = R - np.einsum("...ii->...i", R)[..., None] * np.eye(self.d)
        return np.max(np.abs(off), axis=(-3, -2, -1))

    @_checks.quiet
    def direction_weights(self, theta: Any, U: Any) -> np.ndarray:
        """w_{l,i} = (Uᵀ W_l U)_{ii}, shape (..., L, d)."""
        return np.einsum("...lii->...li", self.rotated_layers(theta, U))

    @_checks.quiet
    def balance_gaps(self, theta: Any, U: Any) -> np.ndarray:
        """w_{l+1,i}² − w_{l,i}² per direction i and layer pair, shape (..., L−1, d)."""
        w = self.direction_weights(theta, U)
        return w[..., 1:, :] ** 2 - w[..., :-1, :] ** 2
