"""SymPy functions for the neural-network activations deriv knows: sigmoid, relu, softplus, logsigmoid.

Each is a named function (so derivatives read ``sigmoid(x)*(1 - sigmoid(x))``
rather than a page of exponentials) with its exact derivative and a rewrite to
elementary functions for high-precision evaluation.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy
from sympy import Function, Heaviside, Max, S, exp, log


class sigmoid(Function):  # noqa: N801 - SymPy prints the class name; users write sigmoid
    """The logistic function ``1/(1 + exp(-x))``."""

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        """Evaluate at 0 exactly; stay symbolic elsewhere."""
        if arg.is_zero:
            return S.Half
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d/dx sigmoid(x) = sigmoid(x) * (1 - sigmoid(x))."""
        value = self.func(self.args[0])
        return value * (1 - value)

    def _eval_rewrite_as_exp(self, arg: sympy.Expr, **hints: Any) -> sympy.Expr:
        return 1 / (1 + exp(-arg))

    def _eval_evalf(self, prec: int) -> sympy.Expr:
        return self.rewrite(exp)._eval_evalf(prec)

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None


class relu(Function):  # noqa: N801
    """The rectifier ``max(0, x)``."""

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        """Evaluate whenever the sign of the argument is known."""
        if arg.is_extended_nonnegative:
            return arg
        if arg.is_extended_negative:
            return S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d/dx relu(x) = Heaviside(x), which SymPy takes to be 1/2 at 0."""
        return Heaviside(self.args[0])

    def _eval_rewrite_as_Max(self, arg: sympy.Expr, **hints: Any) -> sympy.Expr:  # noqa: N802
        return Max(S.Zero, arg)

    def _eval_evalf(self, prec: int) -> sympy.Expr:
        return self.rewrite(Max)._eval_evalf(prec)

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_extended_nonnegative(self) -> bool | None:
        return True if self.args[0].is_extended_real else None


class softplus(Function):  # noqa: N801
    """The smooth rectifier ``log(1 + exp(x))``."""

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        """Evaluate at 0 exactly (log 2); stay symbolic elsewhere."""
        if arg.is_zero:
            return log(2)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d/dx softplus(x) = sigmoid(x)."""
        return sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, arg: sympy.Expr, **hints: Any) -> sympy.Expr:
        return log(1 + exp(arg))

    def _eval_evalf(self, prec: int) -> sympy.Expr | None:
        # log(1 + exp(x)) loses everything to cancellation for very negative x; log1p does not.
        argument = self.args[0]._eval_evalf(prec + 20)
        if argument is None or not argument.is_Float:
            return None
        with mpmath.workprec(prec + 20):
            value = mpmath.log1p(mpmath.exp(mpmath.mpf(argument._mpf_)))
        return sympy.Float._new(value._mpf_, prec)

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None


class logsigmoid(Function):  # noqa: N801
    """The log of the logistic function, ``-softplus(-x)``."""

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        """Evaluate at 0 exactly (-log 2); stay symbolic elsewhere."""
        if arg.is_zero:
            return -log(2)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d/dx logsigmoid(x) = sigmoid(-x)."""
        return sigmoid(-self.args[0])

    def _eval_rewrite_as_log(self, arg: sympy.Expr, **hints: Any) -> sympy.Expr:
        return -log(1 + exp(-arg))

    def _eval_evalf(self, prec: int) -> sympy.Expr | None:
        # -log(1 + exp(-x)) through log1p: no cancellation for large x.
        argument = self.args[0]._eval_evalf(prec + 20)
        if argument is None or not argument.is_Float:
            return None
        with mpmath.workprec(prec + 20):
            value = -mpmath.log1p(mpmath.exp(-mpmath.mpf(argument._mpf_)))
        return sympy.Float._new(value._mpf_, prec)

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_negative(self) -> bool | None:
        return True if self.args[0].is_extended_real else None
