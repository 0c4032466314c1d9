"""The real n-th root for odd n, as a SymPy function: ``root(-8, 3)`` is -2, where ``(-8)**(1/3)`` is complex.

SymPy's ``x**(1/3)`` is the principal root, complex for negative x, and stays
so in deriv; ``cbrt(x)`` and ``root(x, n)`` are the real roots a calculus
course means.
"""

from __future__ import annotations

import mpmath
import sympy
from sympy import Function, S


class root(Function):  # noqa: N801 - SymPy prints the class name; users write root
    """The real n-th root of x for an odd integer n: sign(x) * |x|**(1/n)."""

    @classmethod
    def eval(cls, arg: sympy.Expr, degree: sympy.Expr) -> sympy.Expr | None:
        """Exact where the root is: 0, 1, -1, and perfect powers of rationals."""
        if arg.is_zero:
            return S.Zero
        if arg.is_Rational and degree.is_Integer:
            principal = sympy.root(abs(arg), degree)
            if principal.is_Rational:
                return principal if arg > 0 else -principal
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d/dx root(x, n) = 1 / (n * root(x, n)**(n - 1)); n is a constant."""
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        arg, degree = self.args
        return 1 / (degree * self.func(arg, degree) ** (degree - 1))

    def _eval_evalf(self, prec: int) -> sympy.Expr | None:
        arg, degree = (item._eval_evalf(prec + 10) for item in self.args)
        if arg is None or not arg.is_Float or not degree.is_Number:
            return None
        with mpmath.workprec(prec + 10):
            value = mpmath.mpf(arg._mpf_)
            magnitude = abs(value) ** (1 / mpmath.mpf(int(degree)))
            result = magnitude if value >= 0 else -magnitude
        return sympy.Float._new(result._mpf_, prec)

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real


def cbrt(arg: sympy.Expr) -> sympy.Expr:
    """The real cube root."""
    return root(arg, 3)
