"""``deriv check``: a user's torch.autograd.Function against an expression, check by check.

The Function's numbers come from :mod:`derivcli.core.numeric.check` (the only
place user code runs); the expected ones are exact values of the expression
and its symbolic derivative, rounded once. Each check passes or fails with a
sentence a learner can act on. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from derivcli.core.numeric.check import (
    GRAD_OUTPUT,
    TAYLOR_EXPONENTS,
    CheckRun,
    LoadedFunction,
    Probe,
    TaylorRun,
    load_function,
    probe,
    taylor_test,
)
from derivcli.core.symbolic.build import build, differentiate
from derivcli.core.symbolic.display import display_form
from derivcli.core.symbolic.exact import evaluate_at, point_value, to_dtype
from derivcli.model.agreement import within
from derivcli.model.check import FAIL, NOT_APPLICABLE, PASS, TAYLOR_PASS, CheckReport, CheckResult
from derivcli.model.plan import Plan
from derivcli.model.setup import DType, Tolerance
from derivcli.model.text import format_number, point_label
from derivcli.worker.board import step


def check_function(spec: str, plan: Plan, *, taylor: bool = False) -> CheckReport:
    """Load ``FILE.py:NAME`` and check it against the plan's expression at the plan's points."""
    # The user's file runs on the command's budget: a loop at import or in forward ends with it.
    step(f"loading {spec}", user_code=True)
    return check_loaded(load_function(spec), plan, taylor=taylor)


def check_loaded(loaded: LoadedFunction, plan: Plan, *, taylor: bool = False) -> CheckReport:
    """Check a loaded Function against the plan's expression at the plan's points."""
    tolerance = DType.float64.tolerance
    step("working out the expected values")
    built = build(plan.expression, extra_variables=plan.variables)
    exact_points = [
        {built.symbols[name]: point_value(value, name=name) for name, value in point.items()}
        for point in plan.points
    ]
    points = tuple(
        {symbol.name: to_dtype(value, DType.float64) for symbol, value in point.items()}
        for point in exact_points
    )
    derivatives = {name: differentiate(built.expr, built.symbols[name]) for name in plan.variables}
    values = [evaluate_at(built.expr, point).value for point in exact_points]
    slopes = [
        {name: evaluate_at(derivative, point).value for name, derivative in derivatives.items()}
        for point in exact_points
    ]
    step(f"running {loaded.name}", user_code=True)
    probed = probe(loaded, variables=plan.variables, points=points)
    remainder = taylor_test(loaded, variables=plan.variables, point=points[0]) if taylor else None
    step("rewriting the derivatives for display")
    shown = {name: str(display_form(derivative)) for name, derivative in derivatives.items()}
    step("comparing")
    context = _Context(str(built.expr), shown, points, values, slopes, tolerance)
    return CheckReport(
        function=loaded.name,
        file=str(loaded.path),
        against=plan.expression.text,
        expression=str(built.expr),
        variables=plan.variables,
        derivatives=shown,
        points=points,
        checks=(
            context.forward(probed),
            context.backward(probed),
            context.scaled(probed),
            context.batched(probed),
            _torch_check(
                "gradcheck (float64)", probed.gradcheck, "backward matches finite differences of forward"
            ),
            _torch_check(
                "gradgradcheck (float64)",
                probed.gradgradcheck,
                "double backward is consistent with finite differences of backward; this checks how"
                " backward's own result changes, not that backward is the derivative (the checks above do)",
            ),
            *(() if remainder is None else (taylor_result(remainder, points[0]),)),
        ),
    )


def taylor_result(run: TaylorRun, point: Mapping[str, float]) -> CheckResult:
    """The Taylor remainder test as a check: order 2 passes, order 1 fails with what it means."""
    name = "Taylor remainder order"
    if run.order is None:
        if run.remainders and max(run.remainders) <= 1e-12:
            return CheckResult(
                name, PASS, "the remainder is at rounding level at every step: forward is linear"
            )
        return CheckResult(name, NOT_APPLICABLE, "too few remainders above rounding to fit an order")
    where = (
        f"at {_at(point)}, u = {run.cotangent:.4g}, h = 2^-{TAYLOR_EXPONENTS[0]} to 2^-{TAYLOR_EXPONENTS[-1]}"
    )
    if run.order >= TAYLOR_PASS:
        return CheckResult(name, PASS, f"order {run.order:.2f} {where}", order=run.order)
    message = (
        f"order {run.order:.2f} {where}: the remainder shrinks like h, not h**2, so u.J d from backward"
        " is not the derivative of forward times grad_output"
    )
    return CheckResult(name, FAIL, message, order=run.order)


def _number(value: float | None) -> str:
    """A float as the shortest text that reads back exactly ('None' for a missing gradient)."""
    return format_number(value, missing="None")


def _at(point: Mapping[str, float]) -> str:
    return point_label(point, text=_number)


def _error(got: float | None, expected: float) -> float:
    return abs(got - expected) if got is not None else float("inf")


@dataclass(frozen=True, slots=True)
class _Context:
    """What every check compares against: the expression, its derivatives, and their values."""

    expression: str
    derivatives: Mapping[str, str]
    points: tuple[Mapping[str, float], ...]
    values: Sequence[float]
    slopes: Sequence[Mapping[str, float]]
    tolerance: Tolerance

    def count(self) -> str:
        """'1 point', '3 points'."""
        return f"{len(self.points)} point{'' if len(self.points) == 1 else 's'}"

    def where(self) -> str:
        """'at 1 point', 'at 3 points'."""
        return f"at {self.count()}"

    def agree(self, got: float | None, expected: float) -> bool:
        return got is not None and within(got, expected, self.tolerance)

    def forward(self, probed: Probe) -> CheckResult:
        """forward equals the expression at every point."""
        worst = max(_error(got, want) for got, want in zip(probed.forward, self.values, strict=True))
        for point, got, want in zip(self.points, probed.forward, self.values, strict=True):
            if not self.agree(got, want):
                expected = f"{self.expression} = {_number(want)}"
                message = f"forward returned {_number(got)} at {_at(point)}, expected {expected}"
                return CheckResult("forward equals f", FAIL, message, worst)
        return CheckResult("forward equals f", PASS, self.where(), worst)

    def backward(self, probed: Probe) -> CheckResult:
        """backward with grad_output=1 gives the symbolic derivative."""
        name = "backward equals the derivative"
        errors = []
        for point, grads, slopes in zip(self.points, probed.backward, self.slopes, strict=True):
            for variable, want in slopes.items():
                got = grads[variable]
                errors.append(_error(got, want))
                if not self.agree(got, want):
                    expected = f"{self.derivatives[variable]} = {_number(want)}"
                    message = (
                        f"backward returned {_number(got)} for {variable} at {_at(point)},"
                        f" expected the derivative {expected}"
                    )
                    return CheckResult(name, FAIL, message, max(errors))
        return CheckResult(name, PASS, self.where(), max(errors))

    def scaled(self, probed: Probe) -> CheckResult:
        """backward multiplies its result by grad_output (the chain rule)."""
        name = "backward scales with grad_output"
        errors = []
        for point, grads, unit, slopes in zip(
            self.points, probed.backward_scaled, probed.backward, self.slopes, strict=True
        ):
            for variable, slope in slopes.items():
                got, want = grads[variable], GRAD_OUTPUT * slope
                errors.append(_error(got, want))
                if self.agree(got, want):
                    continue
                if got is not None and unit[variable] == got:
                    message = (
                        f"backward ignores grad_output: with grad_output={_number(GRAD_OUTPUT)} it returned"
                        f" {_number(got)}, expected {_number(want)} (at {_at(point)}); multiply the gradient"
                        " it returns by grad_output"
                    )
                else:
                    upstream = _number(GRAD_OUTPUT)
                    message = (
                        f"with grad_output={upstream}, backward returned {_number(got)} for {variable}"
                        f" at {_at(point)}, expected {upstream} × {_number(slope)} = {_number(want)}"
                    )
                return CheckResult(name, FAIL, message, max(errors))
        return CheckResult(name, PASS, self.where(), max(errors))

    def batched(self, probed: Probe) -> CheckResult:
        """A batch of all points with random grad_output gives grad_output times the derivative."""
        name = "batch, random grad_output"
        errors = []
        for variable in self.derivatives:
            grads = probed.batch_backward[variable]
            for index, (point, upstream, slopes) in enumerate(
                zip(self.points, probed.batch_grad_output, self.slopes, strict=True)
            ):
                got = None if grads is None else grads[index]
                want = upstream * slopes[variable]
                errors.append(_error(got, want))
                if not self.agree(got, want):
                    message = (
                        f"with a batch of {self.count()}, backward returned {_number(got)} for {variable}"
                        f" at element {index} ({_at(point)}), expected grad_output × derivative ="
                        f" {_number(upstream)} × {_number(slopes[variable])} = {_number(want)}"
                    )
                    return CheckResult(name, FAIL, message, max(errors))
        return CheckResult(name, PASS, f"a batch of {self.count()}", max(errors))


def _torch_check(name: str, run: CheckRun, success: str) -> CheckResult:
    """torch's gradcheck or gradgradcheck as a check result."""
    if run.passed is None:
        return CheckResult(name, NOT_APPLICABLE, run.message)
    if run.passed:
        return CheckResult(name, PASS, success)
    return CheckResult(name, FAIL, run.message or "torch reports a mismatch")
