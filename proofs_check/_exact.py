"""Small helpers shared by the check modules: exact zero tests that report their residual."""

from __future__ import annotations

import sympy as sp

__all__ = ["fmt", "is_zero", "reduce_modulo", "reduce_sqrt", "zero_report"]


def is_zero(expr: sp.Expr) -> tuple[bool, sp.Expr]:
    """Exact zero test of a rational expression: ``(residual == 0, residual)``.

    The residual is ``cancel(together(expr))`` (a normal form for rational functions), so no
    heuristic ``simplify`` is involved; radicals and trig functions must be removed by the caller.
    """
    res = sp.cancel(sp.together(sp.expand(expr)))
    return res == 0, res


def zero_report(label: str, expr: sp.Expr) -> tuple[bool, str]:
    """``is_zero`` with a one-line description ``label: residual = ...``."""
    ok, res = is_zero(expr)
    return ok, f"{label}: residual = {fmt(res)}"


def reduce_sqrt(expr: sp.Expr, s: sp.Symbol, radicand: sp.Expr) -> sp.Expr:
    """Normal form of ``expr`` in Q(params)[s]/(s**2 - radicand), for ``s = sqrt(radicand)``.

    ``expr`` must be a rational function of ``s``; its numerator is reduced modulo
    ``s**2 - radicand`` and the result cancelled. Zero iff ``expr`` vanishes at ``s = ±sqrt``
    (for a non-square radicand), i.e. an exact algebraic identity check without simplify.
    """
    num, den = sp.fraction(sp.cancel(sp.together(expr)))
    num_red = sp.rem(sp.expand(num), sp.expand(s**2 - radicand), s)
    if num_red == 0:
        return sp.Integer(0)
    den_red = sp.rem(sp.expand(den), sp.expand(s**2 - radicand), s)
    return sp.cancel(num_red / den_red)


def fmt(expr: object, limit: int = 160) -> str:
    """Compact string form of an expression for detail strings."""
    text = sp.sstr(expr) if isinstance(expr, sp.Basic) else str(expr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def reduce_modulo(
    expr: sp.Expr, relations: list[sp.Expr], gens: list[sp.Symbol]
) -> tuple[bool, sp.Expr]:
    """Is ``expr`` zero on the variety ``relations = 0``? (sufficient test: ideal membership).

    The numerator of ``expr`` (after ``together``) is reduced by a Groebner basis of
    ``relations`` in the variables ``gens`` (other symbols act as coefficients). A zero remainder
    proves the numerator lies in the ideal, hence ``expr`` vanishes wherever the relations hold
    and the denominator does not. Returns ``(remainder == 0, remainder)``.
    """
    num = sp.expand(sp.fraction(sp.together(expr))[0])
    if num == 0:
        return True, sp.Integer(0)
    if len(relations) == 1:
        # one relation monic in some generator: division by it is already a Groebner reduction
        rel = sp.Poly(sp.expand(relations[0]), *gens)
        for g in reversed(gens):
            lead = sp.Poly(rel.as_expr(), g)
            if lead.degree() > 0 and lead.LC().is_number:
                rem = sp.expand(sp.rem(num, rel.as_expr(), g))
                return rem == 0, rem
    # other symbols become extra (trailing) variables: the relations do not involve them, so the
    # basis is the same and a zero remainder still certifies ideal membership
    extra = sorted(num.free_symbols - set(gens), key=sp.default_sort_key)
    basis = sp.groebner([sp.expand(r) for r in relations], *gens, *extra, order="grevlex")
    _, rem = basis.reduce(num)
    rem = sp.expand(rem)
    return rem == 0, rem
