"""Registry of exact checks of closed forms taken from the edge-of-stability papers.

A *proof check* is a zero-argument function returning ``(ok, detail)``: ``ok`` says whether the
exact (sympy / mpmath) computation confirms the statement, and ``detail`` records what was
computed (a simplified residual, a factorisation, a number). Checks are registered with the
:func:`proof` decorator and run with :func:`run_all`, which never raises: an exception inside a
check becomes a failing :class:`ProofResult` whose detail is the error message.

Example::

    @proof(paper="Chen et al. 2023", where="Thm 2.1", statement="F(1) = 1")
    def cubic_fixed_point():
        \"\"\"F_a(1) = 1.\"\"\"
        res = sp.expand(F(1) - 1)
        return res == 0, f"residual {res}"
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass

__all__ = [
    "REGISTRY",
    "Proof",
    "ProofResult",
    "all_proofs",
    "proof",
    "run_all",
    "run_proof",
]

CheckFn = Callable[[], "tuple[bool, str]"]


@dataclass(frozen=True)
class Proof:
    """One registered exact check of a published statement."""

    name: str
    paper: str
    where: str
    statement: str
    fn: CheckFn

    def __call__(self) -> tuple[bool, str]:
        return self.fn()


@dataclass(frozen=True)
class ProofResult:
    """Outcome of running one :class:`Proof`."""

    name: str
    paper: str
    where: str
    statement: str
    ok: bool
    detail: str
    seconds: float

    @property
    def verdict(self) -> str:
        return "PASS" if self.ok else "FAIL"


#: The default registry: check name -> Proof, in registration order.
REGISTRY: dict[str, Proof] = {}


def proof(
    *,
    paper: str,
    where: str,
    statement: str,
    name: str | None = None,
    registry: MutableMapping[str, Proof] | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as a proof check.

    The function takes no argument and returns ``(ok: bool, detail: str)``. ``name`` defaults to
    the function's ``__name__``; ``registry`` defaults to the package-wide :data:`REGISTRY`.
    Registering a name twice raises ``ValueError``. The function itself is returned unchanged.
    """
    for label, value in (("paper", paper), ("where", where), ("statement", statement)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"proof(): {label!r} must be a non-empty string, got {value!r}")
    target = REGISTRY if registry is None else registry

    def decorate(fn: CheckFn) -> CheckFn:
        if not callable(fn):
            raise TypeError(f"proof(): expected a callable, got {fn!r}")
        key = name if name is not None else fn.__name__
        if key in target:
            raise ValueError(f"proof(): a check named {key!r} is already registered")
        target[key] = Proof(name=key, paper=paper, where=where, statement=statement, fn=fn)
        return fn

    return decorate


def _load_checks() -> None:
    """Import the check modules so that they register themselves (idempotent).

    Registration order (cubic map, Chen reduction, catapult, uv model, scalar nets, depth-2
    linear nets) is the report order.
    """
    from . import cubic_map  # noqa: F401, I001
    from . import chen_reduction  # noqa: F401
    from . import catapult  # noqa: F401
    from . import uv_model  # noqa: F401
    from . import scalar_net  # noqa: F401
    from . import depth2_linear  # noqa: F401
    from . import diagonal_linear  # noqa: F401
    from . import deep_linear  # noqa: F401
    from . import threshold_neuron  # noqa: F401
    from . import self_stabilization  # noqa: F401
    from . import logistic_regression  # noqa: F401
    from . import reshuffling  # noqa: F401
    from . import support_learning  # noqa: F401
    from . import homogeneous_net  # noqa: F401
    from . import bifurcation  # noqa: F401
    from . import certificates  # noqa: F401


def all_proofs(registry: MutableMapping[str, Proof] | None = None) -> list[Proof]:
    """All registered checks, in registration order."""
    if registry is None:
        _load_checks()
        registry = REGISTRY
    return list(registry.values())


def run_proof(p: Proof) -> ProofResult:
    """Run one check; exceptions and malformed return values become a FAIL with the message."""
    start = time.perf_counter()
    try:
        out = p.fn()
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"check returned {out!r}; expected a tuple (ok, detail)")
        ok_raw, detail = out
        ok = bool(ok_raw)
        detail = str(detail)
    except Exception as exc:  # a failing check must be reported, never crash the run
        ok = False
        detail = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    return ProofResult(
        name=p.name,
        paper=p.paper,
        where=p.where,
        statement=p.statement,
        ok=ok,
        detail=detail,
        seconds=seconds,
    )


def run_all(
    names: Iterable[str] | None = None,
    registry: MutableMapping[str, Proof] | None = None,
) -> list[ProofResult]:
    """Run the named checks (all of them when ``names`` is None) and return their results.

    Unknown names raise ``KeyError`` listing them. Exceptions raised inside a check do not
    propagate: they give ``ok=False`` with the error message as the detail.
    """
    proofs = {p.name: p for p in all_proofs(registry)}
    if names is None:
        selected = list(proofs.values())
    else:
        names = list(names)
        unknown = [n for n in names if n not in proofs]
        if unknown:
            raise KeyError(f"unknown proof check(s): {', '.join(unknown)}")
        selected = [proofs[n] for n in names]
    return [run_proof(p) for p in selected]
