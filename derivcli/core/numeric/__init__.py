"""The autograd side: SymPy expressions translated into torch ops, and ``.backward()``.

This is the only module that imports torch. The translation is a function
mapping owned here (not SymPy's printer): each SymPy head has one torch
counterpart, constants are folded in high precision, and divisions stay
divisions so that autograd sees what a hand-written program would do.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sympy
import torch
import torch.nn.functional

from derivcli.core.activations import relu, sigmoid, softplus
from derivcli.core.symbolic.build import tree_value
from derivcli.core.symbolic.exact import real_and_imaginary
from derivcli.errors import DerivError, ErrorKind
from derivcli.model.plan import check_device
from derivcli.parsing import Call, Negate, Node, ParsedExpression, Power, Product, Sum, Variable, has_variable

Tensor = torch.Tensor
TorchFunction = Callable[[Mapping[str, Tensor]], Tensor]
#: Called with each parse-tree node (or partial chain, e.g. the ``a + b`` of ``a + b + c``)
#: and the tensor computed for it, as the expression is evaluated.
Observer = Callable[[Node, Tensor], None]

DTYPES: Final[Mapping[str, torch.dtype]] = {"float64": torch.float64, "float32": torch.float32}


class _ZeroDerivativeHeaviside(torch.autograd.Function):
    """Heaviside step whose derivative is 0 (torch defines none; 0 is right away from the jump)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, at_zero: Tensor) -> Tensor:
        return torch.heaviside(x, at_zero)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor, None]:
        return torch.zeros_like(grad_output), None


def _heaviside(x: Tensor, at_zero: float) -> Tensor:
    """torch.heaviside with SymPy's value at 0, differentiable (derivative 0)."""
    at_zero_tensor = torch.tensor(at_zero, dtype=x.dtype, device=x.device)
    result: Tensor = _ZeroDerivativeHeaviside.apply(x, at_zero_tensor)  # type: ignore[no-untyped-call]
    return result


def _dirac_delta(x: Tensor) -> Tensor:
    """A Dirac delta read pointwise: infinite at 0, zero elsewhere."""
    return torch.where(x == 0, torch.full_like(x, math.inf), torch.zeros_like(x)).detach()


def _softplus(x: Tensor) -> Tensor:
    return torch.nn.functional.softplus(x)


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
    softplus: _softplus,
    sympy.DiracDelta: _dirac_delta,
}


@dataclass(frozen=True, slots=True)
class AutogradValues:
    """Forward values and gradients at each point, as Python floats."""

    values: tuple[float, ...]
    gradients: Mapping[str, tuple[float, ...]]
    device: str
    dtype: str


def resolve_device(spec: str, dtype: str) -> torch.device:
    """Turn ``cpu``/``cuda``/``cuda:N``/``mps``/``auto`` into an available torch device."""
    check_device(spec)
    mps_available = bool(torch.backends.mps.is_available())
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available and dtype != "float64":
            return torch.device("mps")
        return torch.device("cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            built = "built without CUDA" if torch.version.cuda is None else "unable to find a CUDA device"
            raise DerivError(
                ErrorKind.DEVICE_UNAVAILABLE,
                f"device {spec!r} is not available: torch {torch.__version__} is {built}",
            )
        index = int(spec.partition(":")[2] or 0)
        count = torch.cuda.device_count()
        if index >= count:
            raise DerivError(
                ErrorKind.DEVICE_UNAVAILABLE,
                f"device {spec!r} is not available: this machine has {count} CUDA device(s)",
            )
        return torch.device(spec)
    if spec == "mps":
        if not mps_available:
            raise DerivError(ErrorKind.DEVICE_UNAVAILABLE, "device 'mps' is not available on this machine")
        if dtype == "float64":
            raise DerivError(
                ErrorKind.DEVICE_UNAVAILABLE, "device 'mps' does not support float64: use --dtype float32"
            )
        return torch.device("mps")
    return torch.device("cpu")


#: The parser's function names and their torch counterparts, for the autograd side.
TORCH_FUNCTIONS: Final[Mapping[str, Callable[[Tensor], Tensor]]] = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "asin": torch.asin,
    "acos": torch.acos,
    "atan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": torch.tanh,
    "asinh": torch.asinh,
    "acosh": torch.acosh,
    "atanh": torch.atanh,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "erf": torch.erf,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "softplus": _softplus,
    "heaviside": lambda x: _heaviside(x, 0.5),
}

#: Functions of two or more tensors, by the parser's names.
TORCH_BINARY: Final[Mapping[str, Callable[[Tensor, Tensor], Tensor]]] = {
    "atan2": torch.atan2,
    "min": torch.minimum,
    "max": torch.maximum,
}


def compile_tree(parsed: ParsedExpression, *, observe: Observer | None = None) -> TorchFunction:
    """Translate the expression as the user wrote it into torch ops (cached when not observed)."""
    if observe is None:
        return _compile_tree_cached(parsed)
    return _compile_tree(parsed, observe=observe)


@functools.lru_cache(maxsize=256)
def _compile_tree_cached(parsed: ParsedExpression) -> TorchFunction:
    return _compile_tree(parsed, observe=None)


def _compile_tree(parsed: ParsedExpression, *, observe: Observer | None) -> TorchFunction:
    """Translate the expression as the user wrote it into torch ops, for autograd.

    The autograd side is built from the parse tree, not from SymPy's
    expression: SymPy rewrites on construction (``sqrt(x)**2`` becomes ``x``,
    ``x/x`` becomes ``1``), and the second witness must see what was written.
    Constant subexpressions are folded exactly, then rounded once.
    ``observe``, when given, sees every intermediate tensor with the
    subexpression that made it (``deriv graph`` names graph nodes with them).
    """
    part = _TreeTranslator(observe).part(parsed.tree)
    if callable(part):
        return part
    return _constant_function(part)


def _constant_function(value: float) -> TorchFunction:
    """A function that broadcasts a constant against the first variable's tensor."""

    def constant_function(env: Mapping[str, Tensor]) -> Tensor:
        reference = next(iter(env.values()), None)
        if reference is None:
            return torch.tensor(value, dtype=torch.float64)
        return torch.full_like(reference, value)

    return constant_function


class _TreeTranslator:
    """Parse-tree nodes to torch: left to right, as a hand-written program would compute."""

    def __init__(self, observe: Observer | None = None) -> None:
        self.observe = observe

    def watch(self, node: Node, part: TorchFunction | float) -> TorchFunction | float:
        """The part, reporting its tensor to the observer (if any) each time it is computed."""
        observe = self.observe
        if observe is None or not callable(part):
            return part
        function = part

        def watched(env: Mapping[str, Tensor]) -> Tensor:
            result = function(env)
            observe(node, result)
            return result

        return watched

    def part(self, node: Node) -> TorchFunction | float:
        """A tensor function, or a float for a constant subtree."""
        return self.watch(node, self._part(node))

    def _part(self, node: Node) -> TorchFunction | float:
        if not has_variable(node):
            return _constant_float(tree_value(node))
        if isinstance(node, Variable):
            name = node.name
            return lambda env: env[name]
        if isinstance(node, Negate):
            return _apply_unary(torch.neg, self.part(node.operand))
        if isinstance(node, Sum):
            return self.chain(node.terms, operator.add, operator.sub, lambda items: Sum(items, node.column))
        if isinstance(node, Product):
            return self.chain(
                node.factors, operator.mul, operator.truediv, lambda items: Product(items, node.column)
            )
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Call):
            return self.call(node)
        raise AssertionError(f"unhandled node {node!r}")

    def chain(
        self,
        items: tuple[tuple[bool, Node], ...],
        forward: Callable[[Any, Any], Any],
        inverse: Callable[[Any, Any], Any],
        partial: Callable[[tuple[tuple[bool, Node], ...]], Node],
    ) -> TorchFunction | float:
        """a + b - c or a * b / c, evaluated left to right (``partial`` names each step for observers)."""
        if self.observe is None:
            return _flat_chain([(inverse if flag else forward, self.part(item)) for flag, item in items])
        result = self.part(items[0][1])
        for count, (flag, item) in enumerate(items[1:], start=2):
            combined = _combine(inverse if flag else forward, result, self.part(item))
            result = self.watch(partial(items[:count]), combined) if count < len(items) else combined
        return result

    def power(self, node: Power) -> TorchFunction | float:
        """Integer exponents stay integers (torch.pow(x, 2)); others are floats or tensors."""
        base = self.part(node.base)
        if has_variable(node.exponent):
            return _apply_binary(torch.pow, base, self.part(node.exponent))
        exponent = tree_value(node.exponent)
        if exponent.is_Integer and abs(int(exponent)) < 2**31:
            integer = int(exponent)
            return _apply_unary(lambda x: torch.pow(x, integer), base)
        value = _constant_float(exponent)
        return _apply_unary(lambda x: torch.pow(x, value), base)

    def call(self, node: Call) -> TorchFunction | float:
        """Known functions; log with a base is log(x)/log(base)."""
        if node.name == "log" and len(node.args) == 2:
            numerator = self.part(Call("log", node.args[:1], node.column))
            denominator = self.part(Call("log", node.args[1:], node.column))
            return _combine(operator.truediv, numerator, denominator)
        args = [self.part(arg) for arg in node.args]
        if node.name in TORCH_BINARY:
            op = TORCH_BINARY[node.name]
            result = args[0]
            for count, other in enumerate(args[1:], start=2):
                result = _apply_binary(op, result, other)
                if count < len(args):
                    result = self.watch(Call(node.name, node.args[:count], node.column), result)
            return result
        return _apply_unary(TORCH_FUNCTIONS[node.name], args[0])


def _flat_chain(
    steps: list[tuple[Callable[[Any, Any], Any], TorchFunction | float]],
) -> TorchFunction | float:
    """A long sum or product as one loop (nested closures would recurse once per term)."""
    first = steps[0][1]
    rest = steps[1:]
    if not any(callable(part) for _, part in steps):
        result: Any = first
        for op, part in rest:
            result = op(result, part)
        return float(result)

    def run(env: Mapping[str, Tensor]) -> Tensor:
        result: Any = first(env) if callable(first) else first
        for op, part in rest:
            result = op(result, part(env) if callable(part) else part)
        return result  # type: ignore[no-any-return]

    return run


def _combine(
    op: Callable[[Any, Any], Any], left: TorchFunction | float, right: TorchFunction | float
) -> TorchFunction | float:
    """Apply an arithmetic operator to two parts, tensors or Python floats."""
    if not callable(left) and not callable(right):
        return float(op(left, right))
    if callable(left) and callable(right):
        return lambda env: op(left(env), right(env))
    if callable(left):
        constant = right
        return lambda env: op(left(env), constant)
    constant_left = left
    function = right
    assert callable(function)
    return lambda env: op(constant_left, function(env))


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
        return _constant_function(part)

    def part(self, expr: sympy.Basic) -> TorchFunction | float:
        """A tensor function, or a float for a subexpression without variables."""
        if expr in self.cache:
            return self.cache[expr]
        result = self._part(expr)
        self.cache[expr] = result
        return result

    def _part(self, expr: sympy.Basic) -> TorchFunction | float:
        if not expr.free_symbols:
            return _constant_float(expr)
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
            return _apply_unary(UNARY_TORCH[func], self.part(expr.args[0]))
        if func is sympy.Heaviside:
            at_zero = _constant_float(expr.args[1]) if len(expr.args) > 1 else 0.5
            inner = self.part(expr.args[0])
            return _apply_unary(lambda x: _heaviside(x, at_zero), inner)
        if func is sympy.atan2:
            return _apply_binary(torch.atan2, self.part(expr.args[0]), self.part(expr.args[1]))
        if func in (sympy.Max, sympy.Min):
            op = torch.maximum if func is sympy.Max else torch.minimum
            parts = [self.part(arg) for arg in expr.args]
            result = parts[0]
            for other in parts[1:]:
                result = _apply_binary(op, result, other)
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
        return _apply_binary(torch.div, top, bottom)

    def power(self, base: sympy.Expr, exponent: sympy.Expr) -> TorchFunction | float:
        """Integer powers use torch.pow with an int; square roots use sqrt and rsqrt."""
        base_part = self.part(base)
        if exponent == sympy.S.Half:
            return _apply_unary(torch.sqrt, base_part)
        if exponent == -sympy.S.Half:
            return _apply_unary(torch.rsqrt, base_part)
        if exponent == sympy.S.NegativeOne:
            return _apply_unary(torch.reciprocal, base_part)
        if exponent.is_Integer and abs(int(exponent)) < 2**31:
            integer = int(exponent)
            return _apply_unary(lambda x: torch.pow(x, integer), base_part)
        return _apply_binary(torch.pow, base_part, self.part(exponent))


def _constant_float(expr: sympy.Basic) -> float:
    """A constant subexpression in high precision, rounded once to float (nan if not real)."""
    if expr == sympy.oo:
        return math.inf
    if expr == -sympy.oo:
        return -math.inf
    parts = real_and_imaginary(expr)
    if parts is None:
        return math.nan
    real, imaginary = parts
    if imaginary != 0 or not real.is_Number:
        return math.nan
    return float(real)


def _as_tensor(value: TorchFunction | float, env: Mapping[str, Tensor], like: Tensor | None) -> Tensor:
    """Evaluate a part; constants become tensors of the reference's dtype and device."""
    if callable(value):
        return value(env)
    if like is None:
        raise AssertionError("a constant needs a tensor to take its dtype from")
    return torch.full_like(like, value)


def _apply_unary(op: Callable[[Tensor], Tensor], inner: TorchFunction | float) -> TorchFunction:
    if not callable(inner):
        raise AssertionError("constant subexpressions are folded before this point")
    return lambda env: op(inner(env))


def _apply_binary(
    op: Callable[[Tensor, Tensor], Tensor],
    left: TorchFunction | float,
    right: TorchFunction | float,
) -> TorchFunction:
    """Apply a two-tensor op; a constant side takes the other side's dtype and device."""

    def apply(env: Mapping[str, Tensor]) -> Tensor:
        if callable(left):
            left_value = left(env)
            return op(left_value, _as_tensor(right, env, left_value))
        right_value = _as_tensor(right, env, None)
        return op(_as_tensor(left, env, right_value), right_value)

    return apply


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


def _repeated_grad(output: Tensor, leaves: Mapping[str, Tensor], key: Sequence[str]) -> Tensor:
    """d/d(key[-1]) ... d/d(key[0]) of ``output`` at every point, by repeated sums and grads."""
    current = output
    for name in key:
        if not current.requires_grad:
            return torch.zeros_like(leaves[name]).detach()
        (grad,) = torch.autograd.grad(current.sum(), [leaves[name]], create_graph=True, allow_unused=True)
        if grad is None:
            return torch.zeros_like(leaves[name]).detach()
        current = grad
    result = current.detach()
    # Some backward formulas (abs, sign) return torch's storage-less "zero tensor": make it real.
    return torch.zeros_like(leaves[key[-1]]).detach() if result._is_zerotensor() else result


def autograd_at_points(
    function: TorchFunction,
    *,
    variables: Sequence[str],
    wrt: Sequence[str],
    points: Sequence[Mapping[str, float]],
    device: str,
    dtype: str,
    derivatives: Sequence[tuple[str, ...]] = (),
) -> AutogradValues:
    """Evaluate at all points at once (one leaf tensor per variable) and run ``.backward()``.

    The output is summed before ``.backward()`` (each point's value depends
    only on its own inputs, so every leaf's ``.grad`` holds the per-point
    derivatives). Higher derivatives (``derivatives`` with more than one
    variable, keyed ``"x,x"``) differentiate again with ``torch.autograd.grad``
    and ``create_graph=True``, one variable at a time.
    """
    torch_dtype = DTYPES[dtype]
    torch_device = resolve_device(device, dtype)
    leaves = {
        name: torch.tensor(
            [point[name] for point in points],
            dtype=torch_dtype,
            device=torch_device,
            requires_grad=name in wrt,
        )
        for name in variables
    }
    output = function(leaves)
    output = torch.broadcast_to(output, (len(points),))
    if output.requires_grad:
        output.sum().backward()  # type: ignore[no-untyped-call]
    gradients: dict[str, tuple[float, ...]] = {}
    for name in wrt:
        grad = leaves[name].grad
        gradients[name] = tuple(grad.tolist()) if grad is not None else (0.0,) * len(points)
    for key in derivatives:
        if len(key) > 1:
            gradients[",".join(key)] = tuple(_repeated_grad(function(leaves), leaves, key).tolist())
    return AutogradValues(
        values=tuple(output.detach().tolist()),
        gradients=gradients,
        device=str(torch_device),
        dtype=dtype,
    )


@dataclass(frozen=True, slots=True)
class FiniteDifference:
    """A finite-difference derivative, its estimated error bound, and the step used."""

    value: float
    error_bound: float
    step: float


_EPSILON: Final = 2.0**-52


def _power_of_two_step(scale: float, order: int) -> float:
    """About epsilon**(1/(order + 6)) times the scale, as a power of two (so x ± h is exact for most x).

    After two Richardson steps the truncation error is O(h**6) and the rounding
    error O(epsilon / h**order): this step balances them.
    """
    target = _EPSILON ** (1 / (order + 6)) * max(1.0, abs(scale))
    return float(2.0 ** round(math.log2(target)))


def finite_difference(
    function: TorchFunction, *, point: Mapping[str, float], key: Sequence[str]
) -> FiniteDifference:
    """Central differences in float64, extrapolated twice (Richardson): first and second derivatives.

    D(h) is the central difference with step h (its error is a series in h**2).
    R(h) = D(h/2) + (D(h/2) - D(h)) / 3 cancels the h**2 term, and
    R(h/2) + (R(h/2) - R(h)) / 15 the h**4 term. The bound is
    |R(h/2) - R(h)| / 15, the size of the last term cancelled (larger than what
    remains on smooth functions), plus the rounding of f's values divided by
    the steps.
    """
    if len(key) not in (1, 2):
        raise DerivError(ErrorKind.BAD_OPTION, "--fd gives first and second derivatives only")
    names = list(point)
    steps = {name: _power_of_two_step(point[name], len(key)) for name in set(key)}
    stencil: list[tuple[float, dict[str, float]]] = []
    if len(key) == 1:
        (name,) = key
        offsets = [(1.0, 1), (-1.0, -1)]
        stencil = [(weight / 2, {name: sign}) for weight, sign in offsets]
    elif key[0] == key[1]:
        name = key[0]
        stencil = [(1.0, {name: 1}), (-2.0, {name: 0}), (1.0, {name: -1})]
    else:
        first, second = key
        stencil = [
            (weight / 4, {first: a, second: b})
            for weight, a, b in ((1.0, 1, 1), (-1.0, 1, -1), (-1.0, -1, 1), (1.0, -1, -1))
        ]
    estimates = []
    largest = 0.0
    for scale in (1.0, 0.5, 0.25):
        env = {
            name: torch.tensor(
                [point[name] + shift.get(name, 0) * steps.get(name, 0.0) * scale for _, shift in stencil],
                dtype=torch.float64,
            )
            for name in names
        }
        with torch.no_grad():
            values = torch.broadcast_to(function(env), (len(stencil),)).tolist()
        largest = max([largest, *(abs(value) for value in values)])
        denominator = math.prod(steps[name] * scale for name in key)
        estimates.append(
            math.fsum(weight * value for (weight, _), value in zip(stencil, values, strict=True))
            / denominator
        )
    coarse, middle, fine = estimates
    once_coarse = middle + (middle - coarse) / 3
    once_fine = fine + (fine - middle) / 3
    value = once_fine + (once_fine - once_coarse) / 15
    smallest_steps = math.prod(steps[name] * 0.25 for name in key)
    bound = abs(once_fine - once_coarse) / 15 + 32 * _EPSILON * largest / smallest_steps
    return FiniteDifference(value=value, error_bound=bound, step=steps[key[0]])
