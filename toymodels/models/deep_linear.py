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

from .._validate import as_float_array, positive_int
from ..maps import Map, MapFamily
from ..model import Model

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


def symmetric_target(s: Any, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(M*, U): M* = U diag(s) Uᵀ with U from the QR factor of a seeded Gaussian matrix."""
    s = as_float_array(s, "s")
    if s.ndim != 1:
        raise ValueError("s must be a 1-D array of singular values")
    d = s.shape[0]
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    U = q * np.sign(np.diag(r))
    return (U * s) @ U.T, U


def balanced_line_expr(depth: int) -> str:
    """The balanced-line map z − (c/L)(z^L − 1) z^{L−1} as a string in ``z`` and ``c``.

    :func:`balanced_line_family` compiles this string and ``proofs_check.deep_linear`` derives
    it from the GD step of the depth-L scalar net (so both read the same formula).
    """
    L = positive_int(depth, "depth")
    return f"z - (c/{L})*(z**{L} - 1)*z**{L - 1}"


def balanced_line_family(depth: int) -> MapFamily:
    """The family c ↦ (z ↦ z − (c/L)(z^L − 1) z^{L−1}): GD on one balanced singular direction.

    z = w / s^{1/L}, c = η L s^{2−2/L} (η times the sharpness of the balanced minimum).
    """
    L = positive_int(depth, "depth")
    return Map.from_sympy(balanced_line_expr(L), state="z", param="c", name=f"balanced line L={L}")


def balanced_minimum_eigenvalue_exprs(s: Any, depth: int) -> tuple[list[Any], list[Any]]:
    """Sympy twin of :func:`balanced_minimum_spectrum`: (per-direction, mixed) eigenvalues.

    ``s`` is a sequence of (symbolic or numeric) singular values; returns
    ([L s_i^{2−2/L}], [μ_ij = Σ_{l=1}^{L} s_i^{2(L−l)/L} s_j^{2(l−1)/L} for i ≠ j]) with exact
    rational exponents. ``proofs_check.deep_linear`` proves the Hessian spectrum with these
    expressions and checks the numpy spectrum against them.
    """
    import sympy as sp

    L = positive_int(depth, "depth")
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
    """
    s = as_float_array(s, "s")
    L = positive_int(depth, "depth")
    if np.any(s < 0):
        raise ValueError("s must be non-negative singular values")
    # zero singular values stay in: μ_ij with s_j = 0 keeps its l = 1 term s_i^{2(L−1)/L}
    # (0**0 = 1 is the right convention here; for L = 1 every eigenvalue is 1)
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
    return np.sort(out[out > 0])[::-1]


class DeepLinear:
    """½‖W_L ⋯ W_1 − M*‖²_F over d×d layers; θ = (vec W_1, …, vec W_L) (row-major)."""

    def __init__(self, target: Any, depth: int) -> None:
        M = as_float_array(target, "target")
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"target must be a square matrix, got shape {M.shape}")
        self.M = M
        self.d = M.shape[0]
        self.depth = positive_int(depth, "depth")
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
        th = np.asarray(theta, dtype=float)
        return th.reshape((*th.shape[:-1], self.depth, self.d, self.d))

    def flatten(self, W: Any) -> np.ndarray:
        """θ from layers of shape (..., L, d, d)."""
        W = np.asarray(W, dtype=float)
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

    def product(self, theta: Any) -> np.ndarray:
        """End-to-end matrix P = W_L ⋯ W_1."""
        return self._products(self.layers(self.model._theta(theta)))[2]

    def _loss(self, theta: np.ndarray) -> np.ndarray:
        _, _, P = self._products(self.layers(theta))
        R = P - self.M
        return 0.5 * np.sum(R * R, axis=(-2, -1))

    def _grad(self, theta: np.ndarray) -> np.ndarray:
        W = self.layers(theta)
        C, A, P = self._products(W)
        R = P - self.M
        G = np.stack(
            [np.swapaxes(A[l], -1, -2) @ R @ np.swapaxes(C[l], -1, -2) for l in range(self.depth)],
            axis=-3,
        )
        return self.flatten(G)

    def _hessian(self, theta: np.ndarray) -> np.ndarray:
        W = self.layers(theta)
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
        a = np.broadcast_to(as_float_array(scales, "scales"), (self.depth,))
        W = a[:, None, None] * np.eye(self.d)
        return self.flatten(W)

    def singular_values(self, theta: Any) -> np.ndarray:
        """Singular values of W_L ⋯ W_1, descending, shape (..., d)."""
        return np.linalg.svd(self.product(theta), compute_uv=False)

    def rotated_layers(self, theta: Any, U: Any) -> np.ndarray:
        """Uᵀ W_l U for every layer (diagonal in the singular vector stationary set)."""
        U = as_float_array(U, "U")
        W = self.layers(self.model._theta(theta))
        return np.swapaxes(U, -1, -2) @ W @ U

    def off_diagonal(self, theta: Any, U: Any) -> np.ndarray:
        """max |off-diagonal| of Uᵀ W_l U over layers: how far the run left the SVS."""
        R = self.rotated_layers(theta, U)
        off = R - np.einsum("...ii->...i", R)[..., None] * np.eye(self.d)
        return np.max(np.abs(off), axis=(-3, -2, -1))

    def direction_weights(self, theta: Any, U: Any) -> np.ndarray:
        """w_{l,i} = (Uᵀ W_l U)_{ii}, shape (..., L, d)."""
        return np.einsum("...lii->...li", self.rotated_layers(theta, U))

    def balance_gaps(self, theta: Any, U: Any) -> np.ndarray:
        """w_{l+1,i}² − w_{l,i}² per direction i and layer pair, shape (..., L−1, d)."""
        w = self.direction_weights(theta, U)
        return w[..., 1:, :] ** 2 - w[..., :-1, :] ** 2
