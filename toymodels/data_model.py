"""Data-carrying models: a per-sample loss averaged over a dataset, with mini-batches for free.

A :class:`DataModel` is a :class:`~toymodels.model.Model` whose loss is the empirical mean

    L(θ) = (1/n) Σ_{i<n} ℓ(θ; d_i),        L_B(θ) = (1/|B|) Σ_{i∈B} ℓ(θ; d_i)

of a per-sample loss ℓ over the samples d_0, …, d_{n−1}. Everything that takes a ``Model`` (``gd``,
``sharpness``, the GD maps, the orbit tools, the stable-set projection) sees the full-batch L; the
mini-batch quantities L_B, ∇L_B, ∇²L_B, the per-sample ℓ_i, ∇ℓ_i, ∇²ℓ_i and :meth:`DataModel.subset`
(the mini-batch loss as a model of its own) serve :func:`toymodels.sgd`, the batch-sharpness
estimators and the exact expectations of :mod:`toymodels.stochastic`.

Build one with ``Model.from_sympy(per_sample_expr, params=..., data={"x": X, "y": Y})`` (every
derivative symbolic) or :meth:`DataModel.from_numpy` (hand-written per-sample twins for models too
large for sympy, e.g. an MLP).

Indices. A batch of sample indices ``idx`` is a 1-D integer array of length m (repeats allowed: a
with-replacement batch counts a repeated sample twice), shared by every state, or an array of
shape (*batch, m) with one row per state (one row per SGD seed, say).

Summation order. Means are sums along a contiguous last axis (numpy's pairwise summation, one row
per state) over fixed blocks of :data:`SAMPLE_BLOCK` samples, so a state's value does not depend on
how many other states are evaluated with it: SGD and GD runs are bit-identical whatever the size of
the batch of step sizes.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ._validate import as_float_array
from .expressions import (
    check_label,
    check_names,
    compile_checked,
    probe,
    probe_points,
    refuse_bool,
)
from .model import (
    Model,
    lower_triangle,
    symbolic_gradient,
    symbolic_hessian,
    third_contraction,
)

__all__ = ["SAMPLE_BLOCK", "DataModel"]

#: samples per block of a full-batch mean (fixed, so sums never depend on the state batch)
SAMPLE_BLOCK = 256
#: float64 entries of the per-sample temporaries of one evaluation block (~32 MiB)
_BLOCK_ELEMENTS = 1 << 22

PerSample = Callable[[np.ndarray, np.ndarray], Any]


def _sample_axis_last(a: np.ndarray, axis: int) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(a, axis, -1))


class DataModel(Model):
    """L(θ) = (1/n) Σ_i ℓ(θ; d_i): a :class:`Model` over a dataset of ``n_samples`` samples.

    ``loss`` / ``grad`` / ``hessian`` / ``third`` are the full-batch means (so every tool that
    takes a Model applies); the ``batch_*`` methods are means over a batch of sample indices and
    the ``sample_*`` methods the per-sample values. See the module docstring for index
    conventions and summation order.
    """

    def __init__(
        self,
        params: Sequence[str],
        n_samples: int,
        *,
        sample_loss: PerSample,
        sample_grad: PerSample,
        sample_hessian: PerSample,
        sample_third: Callable[[np.ndarray, np.ndarray, np.ndarray], Any] | None = None,
        data: Mapping[str, np.ndarray] | None = None,
        expr: sp.Expr | None = None,
        name: str | None = None,
        citation: str = "",
    ) -> None:
        # the per-sample primitives take (theta (M, p), idx (m,) or (M, m)) and return the
        # sample axis LAST: (M, m), (M, p, m), (M, p, p, m); third (theta, u, idx) -> (M, p, m)
        self.n_samples = int(n_samples)
        self._s_loss = sample_loss
        self._s_grad = sample_grad
        self._s_hess = sample_hessian
        self._s_third = sample_third
        self.data: dict[str, np.ndarray] = {}
        for k, v in (data or {}).items():
            arr = np.array(v, dtype=np.float64)
            arr.setflags(write=False)
            self.data[k] = arr
        super().__init__(
            params,
            loss=self._full_loss,
            grad=self._full_grad,
            hessian=self._full_hess,
            third=self._full_third,
            grad_components=None,
            expr=expr,
            name=name,
            citation=citation,
        )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_numpy(
        cls,
        params: Sequence[str],
        n_samples: int,
        sample_loss: PerSample,
        sample_grad: PerSample,
        sample_hessian: PerSample,
        *,
        sample_third: Callable[[np.ndarray, np.ndarray, np.ndarray], Any] | None = None,
        name: str | None = None,
        citation: str = "",
    ) -> DataModel:
        """A data model from hand-written per-sample functions.

        Each function takes ``theta`` of shape (M, p) and ``idx``, an int64 array of sample
        indices of shape (m,) (the same samples for every state) or (M, m) (one row per state),
        and returns the per-sample values ℓ_i(θ) of shape (M, m), gradients ∇ℓ_i (M, m, p) and
        Hessians ∇²ℓ_i (M, m, p, p); ``sample_third(theta, u, idx)`` (optional) returns
        ∇³ℓ_i[u, u] of shape (M, m, p) (without it, a central difference of the Hessian).
        Results are shape-checked at every call (a ``ValueError`` naming the function, never
        broadcast) and probed once here on two generic states and the first ≤ 2 samples.

        Raises
        ------
        ValueError / TypeError naming ``params``, ``n_samples``, ``sample_loss``,
        ``sample_grad``, ``sample_hessian``, ``sample_third``, ``name`` or ``citation``.
        """
        names = check_names(params, "params")
        n = _n_samples(n_samples)
        for fn_name, fn in (
            ("sample_loss", sample_loss),
            ("sample_grad", sample_grad),
            ("sample_hessian", sample_hessian),
        ):
            if not callable(fn):
                raise TypeError(f"{fn_name} must be callable (theta, idx), got {fn!r}")
        if sample_third is not None and not callable(sample_third):
            raise TypeError(
                f"sample_third must be callable (theta, u, idx) or None, got {sample_third!r}"
            )
        name = check_label(name, "name")
        citation = check_label(citation, "citation", optional=False)
        p = len(names)

        def wrap(fn: Callable[..., Any], fn_name: str, tail: tuple[int, ...]) -> Callable[..., Any]:
            def call(*args: np.ndarray) -> np.ndarray:
                theta, idx = args[0], args[-1]
                m = idx.shape[-1]
                expected = (theta.shape[0], m, *tail)
                out = fn(*args)
                if isinstance(out, (str, bytes)) or out is None:
                    raise TypeError(
                        f"{fn_name} must return an array of shape {expected}, got {out!r}"
                    )
                arr = np.asarray(out)
                if arr.dtype.kind not in "fiu":
                    raise TypeError(f"{fn_name} must return real numbers, got dtype {arr.dtype}")
                if arr.shape != expected:
                    raise ValueError(
                        f"{fn_name} must return shape {expected} for theta {theta.shape} and idx "
                        f"{idx.shape} (M states, m samples{', p' * len(tail)}), got {arr.shape} "
                        "(results are never broadcast)"
                    )
                return _sample_axis_last(arr.astype(np.float64, copy=False), 1)

            return call

        model = cls(
            names,
            n,
            sample_loss=wrap(sample_loss, "sample_loss", ()),
            sample_grad=wrap(sample_grad, "sample_grad", (p,)),
            sample_hessian=wrap(sample_hessian, "sample_hessian", (p, p)),
            sample_third=None if sample_third is None else wrap(sample_third, "sample_third", (p,)),
            name=name,
            citation=citation,
        )
        pts = probe_points(p)[:2]
        idx = np.arange(min(n, 2), dtype=np.int64)
        probes: list[tuple[str, Callable[..., Any]]] = [
            ("sample_loss", model._s_loss),
            ("sample_grad", model._s_grad),
            ("sample_hessian", model._s_hess),
        ]
        if model._s_third is not None:
            third = model._s_third
            probes.append(("sample_third", lambda th, ix: third(th, th, ix)))
        for fn_name, fn in probes:
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fn(pts, idx)
            except (ValueError, TypeError) as exc:
                if fn_name in str(exc):
                    raise
                raise ValueError(
                    f"{fn_name} raised {type(exc).__name__} at the probe theta {pts.shape}, idx "
                    f"{idx.tolist()}: {exc}"
                ) from exc
            except Exception as exc:
                raise ValueError(
                    f"{fn_name} raised {type(exc).__name__} at the probe theta {pts.shape}, idx "
                    f"{idx.tolist()}: {exc}"
                ) from exc
        return model

    # ------------------------------------------------------------------ index handling
    def _idx(self, idx: Any, name: str = "idx") -> np.ndarray:
        """Sample indices as int64, shape (m,) or (..., m), each in [0, n_samples)."""
        refuse_bool(idx, name)
        if isinstance(idx, (str, bytes)) or idx is None:
            raise TypeError(f"{name} must be an integer array of sample indices, got {idx!r}")
        try:
            raw = np.asarray(idx)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must be an integer array of sample indices, got {idx!r}"
            ) from exc
        if raw.ndim >= 1 and raw.shape[-1] == 0:
            raise ValueError(f"{name} is an empty batch: a mini-batch needs at least one sample")
        if (
            raw.dtype.kind == "f"
            and raw.size
            and np.all(np.isfinite(raw))
            and np.all(raw == np.round(raw))
        ):
            raw = raw.astype(np.int64)
        if raw.dtype.kind not in "iu":
            raise TypeError(
                f"{name} must hold integer sample indices, got dtype {raw.dtype} ({idx!r:.80})"
            )
        if raw.ndim == 0:
            raise ValueError(
                f"{name} must be a 1-D array of sample indices (a batch), got a scalar"
            )
        if raw.shape[-1] == 0:
            raise ValueError(f"{name} is an empty batch: a mini-batch needs at least one sample")
        out = raw.astype(np.int64)
        if out.size and (out.min() < 0 or out.max() >= self.n_samples):
            raise ValueError(
                f"{name} must be sample indices in [0, {self.n_samples}) (n_samples = "
                f"{self.n_samples}), got values in [{out.min()}, {out.max()}]"
            )
        return out

    def _layout(self, theta: Any, idx: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...], bool]:
        """(flat states (M, p), indices (m,) or (M, m), batch shape, single) of a public call."""
        th = self._theta(theta)
        ix = self._idx(idx)
        single = th.ndim == 1
        batch = th.shape[:-1]
        flat = th.reshape(-1, self.n_params)
        if ix.ndim > 1:
            if ix.shape[:-1] != batch:
                try:
                    ix = np.broadcast_to(ix, (*batch, ix.shape[-1]))
                except ValueError as exc:
                    raise ValueError(
                        f"idx of shape {ix.shape} must be (m,) or (*batch, m) with the batch of "
                        f"theta {batch}"
                    ) from exc
            ix = ix.reshape(-1, ix.shape[-1])
        return flat, ix, batch, single

    # ------------------------------------------------------------------ the means
    def _mean(
        self,
        prim: Callable[..., np.ndarray],
        theta: np.ndarray,
        tail: tuple[int, ...],
        idx: np.ndarray | None,
        *extra: np.ndarray,
    ) -> np.ndarray:
        """Mean over samples of a primitive (sample axis last) for flat states (M, p).

        ``idx`` None means every sample (blocks of SAMPLE_BLOCK); else (m,) or (M, m) rows.
        """
        M = theta.shape[0]
        size = int(np.prod(tail, dtype=np.int64)) if tail else 1
        m = self.n_samples if idx is None else idx.shape[-1]
        # samples per block: SAMPLE_BLOCK, fewer when one sample's values are large (Hessians
        # of big models), so a block stays ~_BLOCK_ELEMENTS; it depends on the model only, never
        # on the number of states, so the summation order of a state is fixed
        block = min(SAMPLE_BLOCK, m, max(1, _BLOCK_ELEMENTS // size))
        rows = max(1, _BLOCK_ELEMENTS // max(1, block * size))
        out = np.zeros((M, *tail))
        for a in range(0, M, rows):
            th = theta[a : a + rows]
            ex = [e[a : a + rows] for e in extra]
            acc = np.zeros((th.shape[0], *tail))
            for s in range(0, m, block):
                if idx is None:
                    ix = np.arange(s, min(s + block, m), dtype=np.int64)
                elif idx.ndim == 1:
                    ix = idx[s : s + block]
                else:
                    ix = idx[a : a + rows, s : s + block]
                acc += np.add.reduce(prim(th, *ex, ix), axis=-1)
            out[a : a + rows] = acc / m
        return out

    def _flat_call(self, fn: Callable[[np.ndarray], np.ndarray], theta: np.ndarray) -> np.ndarray:
        flat = theta.reshape(-1, self.n_params)
        out = fn(flat)
        return out.reshape((*theta.shape[:-1], *out.shape[1:]))

    def _full_loss(self, theta: np.ndarray) -> np.ndarray:
        return self._flat_call(lambda f: self._mean(self._s_loss, f, (), None), theta)

    def _full_grad(self, theta: np.ndarray) -> np.ndarray:
        p = self.n_params
        return self._flat_call(lambda f: self._mean(self._s_grad, f, (p,), None), theta)

    def _full_hess(self, theta: np.ndarray) -> np.ndarray:
        p = self.n_params
        return self._flat_call(lambda f: self._mean(self._s_hess, f, (p, p), None), theta)

    def _full_third(self, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(theta.shape, u.shape)
        th = np.broadcast_to(theta, shape).reshape(-1, self.n_params)
        uu = np.broadcast_to(u, shape).reshape(-1, self.n_params)
        out = self._mean(self._third_prim, th, (self.n_params,), None, uu)
        return out.reshape(shape)

    def _third_prim(self, theta: np.ndarray, u: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if self._s_third is not None:
            return self._s_third(theta, u, idx)
        h = 1e-4
        hp = self._s_hess(theta + h * u, idx)
        hm = self._s_hess(theta - h * u, idx)
        return np.einsum("mijs,mj->mis", (hp - hm) / (2 * h), u)

    def _batch_grad_flat(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """∇L_B for flat states (M, p) and validated indices (m,) or (M, m) (the SGD hot path)."""
        return self._mean(self._s_grad, theta, (self.n_params,), idx)

    # ------------------------------------------------------------------ public: mini-batches
    def _public(
        self, prim: Callable[..., np.ndarray], tail: tuple[int, ...], theta: Any, idx: Any
    ) -> np.ndarray:
        flat, ix, batch, _ = self._layout(theta, idx)
        with np.errstate(all="ignore"):
            out = self._mean(prim, flat, tail, ix)
        return out.reshape((*batch, *tail))

    def batch_loss(self, theta: Any, idx: Any) -> np.ndarray:
        """L_B(θ) = (1/m) Σ_{i∈B} ℓ(θ; d_i), shape ``theta.shape[:-1]``.

        ``idx``: sample indices (m,) for every state or (*batch, m), one row per state; repeats
        count (with-replacement batches). Overflow gives inf/NaN without a warning.
        """
        return self._public(self._s_loss, (), theta, idx)

    def batch_grad(self, theta: Any, idx: Any) -> np.ndarray:
        """∇L_B(θ), shape ``theta.shape`` (see :meth:`batch_loss` for ``idx``)."""
        return self._public(self._s_grad, (self.n_params,), theta, idx)

    def batch_hessian(self, theta: Any, idx: Any) -> np.ndarray:
        """∇²L_B(θ), shape ``theta.shape + (p,)`` (see :meth:`batch_loss` for ``idx``)."""
        return self._public(self._s_hess, (self.n_params, self.n_params), theta, idx)

    # ------------------------------------------------------------------ public: per sample
    def _per_sample(self, prim: Callable[..., np.ndarray], theta: Any, idx: Any) -> np.ndarray:
        if idx is None:
            idx = np.arange(self.n_samples, dtype=np.int64)
        flat, ix, batch, _ = self._layout(theta, idx)
        m = ix.shape[-1]
        with np.errstate(all="ignore"):
            vals = prim(flat, ix)  # (M, *tail, m)
        vals = np.moveaxis(vals, -1, 1)  # (M, m, *tail)
        return np.ascontiguousarray(vals).reshape((*batch, m, *vals.shape[2:]))

    def sample_loss(self, theta: Any, idx: Any = None) -> np.ndarray:
        """Per-sample losses ℓ(θ; d_i), shape (*batch, m) (all n samples when ``idx`` is None)."""
        return self._per_sample(self._s_loss, theta, idx)

    def sample_grad(self, theta: Any, idx: Any = None) -> np.ndarray:
        """Per-sample gradients ∇ℓ(θ; d_i), shape (*batch, m, p)."""
        return self._per_sample(self._s_grad, theta, idx)

    def sample_hessian(self, theta: Any, idx: Any = None) -> np.ndarray:
        """Per-sample Hessians ∇²ℓ(θ; d_i), shape (*batch, m, p, p)."""
        return self._per_sample(self._s_hess, theta, idx)

    def subset(self, idx: Any, name: str | None = None) -> DataModel:
        """The loss on the samples ``idx`` (1-D; repeats count) as a data model of its own.

        ``model.subset(B)`` is L_B: ``tm.sharpness(model.subset(B), θ)`` is λ_max(∇²L_B(θ)),
        ``tm.gd(model.subset(B), …)`` runs GD on the batch loss.
        """
        ix = self._idx(idx)
        if ix.ndim != 1:
            raise ValueError(f"idx must be 1-D for subset, got shape {ix.shape}")
        name = check_label(name, "name")
        ix = ix.copy()
        ix.setflags(write=False)

        def remap(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
            return lambda *a: fn(*a[:-1], ix[a[-1]])

        return DataModel(
            self.params,
            len(ix),
            sample_loss=remap(self._s_loss),
            sample_grad=remap(self._s_grad),
            sample_hessian=remap(self._s_hess),
            sample_third=None if self._s_third is None else remap(self._s_third),
            data={k: v[ix] for k, v in self.data.items()},
            expr=self.expr,
            name=name or f"{self.name}[batch of {len(ix)}]",
            citation=self.citation,
        )

    def __repr__(self) -> str:
        body = f"ℓ = {self.expr}" if self.expr is not None else "numpy"
        return f"DataModel({self.name!r}, params={self.params}, n_samples={self.n_samples}, {body})"


def _n_samples(value: Any) -> int:
    from ._validate import positive_int

    return positive_int(value, "n_samples")


# ---------------------------------------------------------------------------------- from_sympy
def _column_symbols(key: str, k: int, free: Mapping[str, sp.Symbol]) -> list[str]:
    """Names of the symbols bound to the k columns of data[key]: key0… or key_0…"""
    for pattern in ("{key}{j}", "{key}_{j}"):
        names = [pattern.format(key=key, j=j) for j in range(k)]
        if any(n in free for n in names):
            return names
    return [f"{key}{j}" for j in range(k)]


def data_model_from_sympy(
    expr: sp.Expr,
    names: list[str],
    free: dict[str, sp.Symbol],
    data: Any,
    *,
    name: str | None,
    citation: str,
    source: Sequence[sp.Expr],
    check_static: Callable[[sp.Expr, list[sp.Symbol]], None],
    prepare: Callable[[sp.Expr], sp.Expr],
) -> DataModel:
    """The ``data=`` branch of :meth:`Model.from_sympy` (validation of ``data`` and compilation).

    ``expr`` has the constants substituted; ``free`` maps the free symbol names of ``expr``;
    ``prepare`` makes symbols real and floats full precision; ``check_static`` is step 1 of the
    expression rule on the parameters.
    """
    if not isinstance(data, Mapping):
        raise TypeError(
            f"data must be a mapping name -> array of samples, got {type(data).__name__}"
        )
    if not data:
        raise ValueError("data is empty: give at least one data array (or leave data=None)")
    columns: dict[str, np.ndarray] = {}
    n: int | None = None
    stored: dict[str, np.ndarray] = {}
    for key, val in data.items():
        k = str(key)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
            raise ValueError(f"data: key {k!r} is not a symbol name")
        if k in names:
            raise ValueError(f"data: {k!r} is also listed in params")
        if isinstance(val, (str, bytes)) or val is None:
            raise TypeError(f"data[{k!r}] must be an array of samples, got {val!r}")
        arr = as_float_array(val, f"data[{k!r}]")
        if arr.ndim not in (1, 2):
            raise ValueError(
                f"data[{k!r}] must have shape (n,) (one number per sample) or (n, k) (a vector "
                f"per sample, bound to {k}0…{k}{{k-1}}), got shape {arr.shape}"
            )
        if arr.shape[0] == 0:
            raise ValueError(f"data[{k!r}] has no samples (shape {arr.shape})")
        if n is None:
            n = arr.shape[0]
        elif arr.shape[0] != n:
            raise ValueError(
                f"data[{k!r}] has {arr.shape[0]} samples but the other data arrays have {n}: "
                "every array holds one row per sample"
            )
        stored[k] = arr
        if arr.ndim == 1:
            if k not in free:
                raise ValueError(f"data: {k!r} does not occur in the loss {expr}")
            columns[k] = arr
        else:
            cols = _column_symbols(k, arr.shape[1], free)
            present = [c for c in cols if c in free]
            if not present:
                raise ValueError(
                    f"data: none of the column symbols {cols[0]}…{cols[-1]} of data[{k!r}] "
                    f"(shape {arr.shape}) occurs in the loss {expr}"
                )
            if k in free:
                raise ValueError(
                    f"data[{k!r}] has {arr.shape[1]} columns, bound to {cols[0]}…{cols[-1]}; the "
                    f"loss also uses the bare symbol {k!r}"
                )
            for j, c in enumerate(cols):
                if c in names:
                    raise ValueError(
                        f"data: column symbol {c!r} of data[{k!r}] is also a parameter"
                    )
                if c in columns:
                    raise ValueError(f"data: column symbol {c!r} is bound twice")
                if c in free:
                    columns[c] = np.ascontiguousarray(arr[:, j])
    assert n is not None
    left = sorted(s for s in free if s not in names and s not in columns)
    if left:
        raise ValueError(f"constants / data: no value given for the free symbol(s) {left}")
    e = prepare(expr)
    by_name = {s.name: s for s in e.free_symbols if isinstance(s, sp.Symbol)}
    syms = [by_name[nm] for nm in names]
    dsyms = [by_name[c] for c in columns]
    check_static(e, syms)
    model = _SympyDataModel(
        e, syms, dsyms, [columns[c] for c in columns], n, stored, name=name, citation=citation
    )
    model._check_compiled(source)
    return model


class _SympyDataModel(DataModel):
    """A data model whose per-sample twins are lambdified from one sympy expression ℓ(θ; d)."""

    def __init__(
        self,
        expr: sp.Expr,
        symbols: list[sp.Symbol],
        data_symbols: list[sp.Symbol],
        data_columns: list[np.ndarray],
        n: int,
        data: Mapping[str, np.ndarray],
        *,
        name: str | None,
        citation: str,
    ) -> None:
        self.symbols = symbols
        self.data_symbols = data_symbols
        self._cols = []
        for c in data_columns:
            c = np.array(c, dtype=np.float64)
            c.setflags(write=False)
            self._cols.append(c)
        super().__init__(
            [s.name for s in symbols],
            n,
            sample_loss=self._sl,
            sample_grad=self._sg,
            sample_hessian=self._sh,
            sample_third=self._st,
            data=data,
            expr=expr,
            name=name or f"mean over {n} samples of {expr}",
            citation=citation,
        )

    @cached_property
    def grad_expr(self) -> list[sp.Expr]:
        """The symbolic per-sample gradient [∂ℓ/∂θ_i]."""
        return symbolic_gradient(self.expr, self.symbols)

    @cached_property
    def hessian_expr(self) -> sp.Matrix:
        """The symbolic per-sample Hessian."""
        return symbolic_hessian(self.expr, self.symbols)

    @cached_property
    def _args(self) -> list[sp.Symbol]:
        return [*self.symbols, *self.data_symbols]

    @cached_property
    def _f_loss(self) -> Callable[..., Any]:
        return compile_checked(self._args, [self.expr], "expr", "value")

    @cached_property
    def _f_grad(self) -> Callable[..., Any]:
        return compile_checked(self._args, self.grad_expr, "expr", "gradient")

    @cached_property
    def _hess_flat(self) -> list[sp.Expr]:
        return lower_triangle(self.hessian_expr)

    @cached_property
    def _f_hess(self) -> Callable[..., Any]:
        return compile_checked(self._args, self._hess_flat, "expr", "Hessian")

    @cached_property
    def _f_third(self) -> Callable[..., Any]:
        u, vec = third_contraction(self.hessian_expr, self.symbols)
        return compile_checked([*self._args, *u], vec, "expr", "third derivative")

    def _check_compiled(self, source: Sequence[sp.Expr]) -> None:
        probe(
            [
                ("value", lambda: self._f_loss, [self.expr]),
                ("gradient", lambda: self._f_grad, self.grad_expr),
                ("Hessian", lambda: self._f_hess, self._hess_flat),
            ],
            self._args,
            "expr",
            source,
        )

    def _args_at(
        self, theta: np.ndarray, idx: np.ndarray
    ) -> tuple[list[np.ndarray], tuple[int, int]]:
        cols = [theta[:, i, None] for i in range(self.n_params)]
        data = [c[idx] for c in self._cols]
        shape = (theta.shape[0], idx.shape[-1])
        return [*cols, *data], shape

    @staticmethod
    def _fill(vals: Sequence[Any], out: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        for i, v in enumerate(vals):
            out[:, i, :] = v  # assignment broadcasts (scalars, (M, 1), (m,), (M, m))
        return out

    def _sl(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        args, shape = self._args_at(theta, idx)
        out = np.empty(shape)
        out[...] = self._f_loss(*args)[0]
        return out

    def _sg(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        args, shape = self._args_at(theta, idx)
        out = np.empty((shape[0], self.n_params, shape[1]))
        return self._fill(self._f_grad(*args), out, shape)

    def _sh(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        args, shape = self._args_at(theta, idx)
        p = self.n_params
        flat = self._f_hess(*args)
        out = np.empty((shape[0], p, p, shape[1]))
        k = 0
        for i in range(p):
            for j in range(i + 1):
                out[:, i, j, :] = flat[k]
                out[:, j, i, :] = out[:, i, j, :]
                k += 1
        return out

    def _st(self, theta: np.ndarray, u: np.ndarray, idx: np.ndarray) -> np.ndarray:
        args, shape = self._args_at(theta, idx)
        us = [u[:, i, None] for i in range(self.n_params)]
        out = np.empty((shape[0], self.n_params, shape[1]))
        return self._fill(self._f_third(*args, *us), out, shape)
