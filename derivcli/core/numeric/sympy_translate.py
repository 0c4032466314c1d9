"""SymPy expressions (symbolic derivatives, kink arguments) translated into torch ops.

The translation is a function mapping owned here (not SymPy's printer): each
SymPy head has one torch counterpart, constants are folded in high precision,
and divisions stay divisions so that autograd sees what a hand-written program
would do.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import sympy
import torch
from sympy.codegen.cfunctions import expm1, hypot, log1p
from sympy.codegen.numpy_nodes import logaddexp

from derivcli.core.activations import logsigmoid, relu, sigmoid, softplus
from derivcli.core.numeric.device import Tensor
from derivcli.core.numeric.parts import (
    TorchFunction,
    apply_binary,
    apply_unary,
    constant_float,
    constant_function,
    heaviside,
    real_root,
    torch_softplus,
)
from derivcli.core.realroot import root
from derivcli.errors import DerivError, ErrorKind


def _dirac_delta(x: Tensor) -> Tensor:
    """A Dirac delta read pointwise: infinite at 0, zero elsewhere."""
    return torch.where(x == 0, torch.full_like(x, math.inf), torch.zeros_like(x)).detach()


#: One-argument SymPy functions and their torch counterparts.
UNARY_TORCH: Final[Mapping[type, Callable[[Tensor], Tensor]]] = {
    sympy.sin: torch.sin,
    sympy.cos: torch.cos,
    sympy.tan: torch.tan,
    sympy.asin: torch.asin,
    sympy.acos: torch.acos,
    sympy.atan: torch.atan,
    sympy.sinh: torch.sinh,
    sympy.cosh: torch.cosh,
    sympy.tanh: torch.tanh,
    sympy.asinh: torch.asinh,
    sympy.acosh: torch.acosh,
    sympy.atanh: torch.atanh,
    sympy.exp: torch.exp,
    sympy.log: torch.log,
    sympy.Abs: torch.abs,
    sympy.sign: torch.sign,
    sympy.erf: torch.erf,
    sigmoid: torch.sigmoid,
    relu: torch.relu,
    softplus: torch_softplus,
    logsigmoid: torch.nn.functional.logsigmoid,
    log1p: torch.log1p,
    expm1: torch.expm1,
    sympy.sec: lambda x: 1 / torch.cos(x),
    sympy.csc: lambda x: 1 / torch.sin(x),
    sympy.cot: lambda x: 1 / torch.tan(x),
    sympy.asec: lambda x: torch.acos(1 / x),
    sympy.acsc: lambda x: torch.asin(1 / x),
    sympy.acot: lambda x: torch.atan(1 / x),
    sympy.sech: lambda x: 1 / torch.cosh(x),
    sympy.csch: lambda x: 1 / torch.sinh(x),
    sympy.coth: lambda x: 1 / torch.tanh(x),
    sympy.DiracDelta: _dirac_delta,
}

#: Two-argument SymPy functions and their torch counterparts.
BINARY_TORCH: Final[Mapping[type, Callable[[Tensor, Tensor], Tensor]]] = {
    sympy.atan2: torch.atan2,
    hypot: torch.hypot,
    logaddexp: torch.logaddexp,
    root: real_root,
}


def compile_expression(expr: sympy.Expr) -> TorchFunction:
    """Translate a SymPy expression into a function of named tensors built from torch ops."""
    return _Translator().translate(expr)


class _Translator:
    """Recursive translation with memoisation of shared subexpressions."""

    def __init__(self) -> None:
        self.cache: dict[sympy.Basic, TorchFunction | float] = {}

    def translate(self, expr: sympy.Expr) -> TorchFunction:
        """A function of named tensors (constants broadcast against the first variable)."""
        part = self.part(expr)
        if callable(part):
            return part
        return constant_function(part)

    def part(self, expr: sympy.Basic) -> TorchFunction | float:
        """A tensor function, or a float for a subexpression without variables."""
        if expr in self.cache:
            return self.cache[expr]
        result = self._part(expr)
        self.cache[expr] = result
        return result

    def _part(self, expr: sympy.Basic) -> TorchFunction | float:
        if not expr.free_symbols:
            return constant_float(expr)
        if isinstance(expr, sympy.Symbol):
            name = expr.name
            return lambda env: env[name]
        if isinstance(expr, sympy.Add):
            return _fold_add([self.part(arg) for arg in expr.args])
        if isinstance(expr, sympy.Mul):
            return self.product(expr)
        if isinstance(expr, sympy.Pow):
            return self.power(expr.base, expr.exp)
        func = type(expr)
        if func in UNARY_TORCH:
            return apply_unary(UNARY_TORCH[func], self.part(expr.args[0]))
        if func is sympy.Heaviside:
            at_zero = constant_float(expr.args[1]) if len(expr.args) > 1 else 0.5
            inner = self.part(expr.args[0])
            return apply_unary(lambda x: heaviside(x, at_zero), inner)
        if func in BINARY_TORCH:
            return apply_binary(BINARY_TORCH[func], self.part(expr.args[0]), self.part(expr.args[1]))
        if func in (sympy.Max, sympy.Min):
            op = torch.maximum if func is sympy.Max else torch.minimum
            parts = [self.part(arg) for arg in expr.args]
            result = parts[0]
            for other in parts[1:]:
                result = apply_binary(op, result, other)
            return result
        raise DerivError(ErrorKind.UNSUPPORTED, f"cannot translate {func.__name__} to torch: {expr}")

    def product(self, expr: sympy.Mul) -> TorchFunction | float:
        """Products with negative integer powers become one division, as a person would write it."""
        numerator: list[TorchFunction | float] = []
        denominator: list[TorchFunction | float] = []
        for factor in expr.args:
            if (
                isinstance(factor, sympy.Pow)
                and factor.exp.is_Integer
                and factor.exp < 0
                and factor.free_symbols
            ):
                denominator.append(self.power(factor.base, -factor.exp))
            elif factor.is_Rational and not factor.is_Integer and max(abs(factor.p), factor.q) < 2**53:
                # x/3 arrives as (1/3)*x; dividing by 3 rounds once, multiplying by 0.333... twice.
                if factor.p != 1:
                    numerator.append(float(factor.p))
                denominator.append(float(factor.q))
            else:
                numerator.append(self.part(factor))
        top = _fold_mul(numerator) if numerator else 1.0
        if not denominator:
            return top
        bottom = _fold_mul(denominator)
        if not callable(top) and not callable(bottom):
            raise AssertionError("a product with variables has a variable factor")
        return apply_binary(torch.div, top, bottom)

    def power(self, base: sympy.Expr, exponent: sympy.Expr) -> TorchFunction | float:
        """Integer powers use torch.pow with an int; square roots use sqrt and rsqrt."""
        base_part = self.part(base)
        if exponent == sympy.S.Half:
            return apply_unary(torch.sqrt, base_part)
        if exponent == -sympy.S.Half:
            return apply_unary(torch.rsqrt, base_part)
        if exponent == sympy.S.NegativeOne:
            return apply_unary(torch.reciprocal, base_part)
        if exponent.is_Integer and abs(int(exponent)) < 2**31:
            integer = int(exponent)
            return apply_unary(lambda x: torch.pow(x, integer), base_part)
        return apply_binary(torch.pow, base_part, self.part(exponent))


def _fold(
    parts: Sequence[TorchFunction | float],
    combine: Callable[[Tensor, Any], Tensor],
    combine_constants: Callable[[list[float]], float],
) -> TorchFunction | float:
    """Combine parts left to right; constants are combined once, in Python, and applied last."""
    functions = [part for part in parts if callable(part)]
    constants = [part for part in parts if not callable(part)]
    if not functions:
        return combine_constants(constants)
    constant = combine_constants(constants) if constants else None

    def folded(env: Mapping[str, Tensor]) -> Tensor:
        result = functions[0](env)
        for function in functions[1:]:
            result = combine(result, function(env))
        return result if constant is None else combine(result, constant)

    return folded


def _fold_add(parts: Sequence[TorchFunction | float]) -> TorchFunction | float:
    """Sum of parts (constants summed exactly-rounded with fsum)."""
    return _fold(parts, operator.add, math.fsum)


def _fold_mul(parts: Sequence[TorchFunction | float]) -> TorchFunction | float:
    """Product of parts."""
    return _fold(parts, operator.mul, math.prod)
