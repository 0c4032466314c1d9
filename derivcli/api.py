"""deriv from Python: both witnesses, their verdicts and the CLI's JSON documents, as objects.

The stable API::

    from derivcli.api import compare, steps, check_function, check_gradient

    result = compare("6*x**2+2*x+4", at={"x": 3})
    result.agree            # True
    result.points[0].derivatives["x"].exact   # "38"
    result.to_json()        # the document `deriv eval ... --json` prints

``at`` is one point, a mapping such as ``{"x": 3}`` or ``{"u": 1, "v": "pi/4"}``
(numbers, or constant expressions as text), or a list of them. Everything runs
in this process unless ``timeout=`` is given: then the work runs in deriv's
worker process under that budget, as the CLI's does. Every refusal is a
:class:`~derivcli.errors.DerivError` with the CLI's ``kind``.
"""

from __future__ import annotations

import html
import io
import math
import numbers
import shutil
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.check import CheckReport, CheckRequest, check_request
from derivcli.model.eval import EvalRequest, PointReport, Report, eval_request
from derivcli.model.gradient import GradientReport
from derivcli.model.plan import make_plan
from derivcli.model.setup import DEFAULT_TIMEOUT, DType, Mode, Setup
from derivcli.model.steps import FirstDivergence, Step, StepsReport, StepsRequest, steps_request
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.points import parse_point, split_components

#: One point: each variable's value, a number or a constant expression as text (``"pi/4"``).
Point: TypeAlias = Mapping[str, "float | int | str"]
#: One point or several.
At: TypeAlias = "Point | Sequence[Point] | None"

ReportT = TypeVar("ReportT")

__all__ = [
    "Comparison",
    "DerivError",
    "Derivation",
    "FunctionCheck",
    "GradientCheck",
    "check_function",
    "check_gradient",
    "compare",
    "steps",
]


class Result(Generic[ReportT]):
    """A report with its verdict, its JSON document, and its rendering for terminals and notebooks."""

    def __init__(self, report: ReportT) -> None:
        self.report = report

    @property
    def agree(self) -> bool:
        """True when both witnesses agree (a check: when no check failed)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON document as Python objects (with ``versions``)."""
        from derivcli.render.documents.values import with_versions

        return with_versions(self._document())

    def to_json(self) -> str:
        """The CLI's JSON document, exactly as ``--json`` prints it (without the final newline)."""
        from derivcli.render.documents.values import dumps

        return dumps(self.to_dict())

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The table (or tree) the CLI prints, laid out for the console's width."""
        yield self._renderable(width=options.max_width)

    def __str__(self) -> str:
        """The CLI's output as plain text, as wide as the terminal (120 columns without one)."""
        buffer = io.StringIO()
        width = shutil.get_terminal_size(fallback=(120, 24)).columns
        Console(file=buffer, width=width, color_system=None).print(self)
        return buffer.getvalue()

    def _repr_html_(self) -> str:
        """The table for notebooks: plain text, kept in its columns."""
        return f"<pre>{html.escape(str(self))}</pre>"

    def __repr__(self) -> str:
        verdict = "agree" if self.agree else "disagree"
        return f"<{type(self).__name__} of {self._subject()!r}: {verdict}>"

    def _document(self) -> dict[str, Any]:
        raise NotImplementedError

    def _renderable(self, *, width: int) -> RenderableType:
        raise NotImplementedError

    def _subject(self) -> str:
        raise NotImplementedError


class Comparison(Result[Report]):
    """What ``deriv eval`` and ``deriv partial`` report: each derivative at each point, both ways."""

    @property
    def agree(self) -> bool:
        """True when no derivative at any point disagrees."""
        return self.report.all_agree

    @property
    def points(self) -> tuple[PointReport, ...]:
        """Each point's values and derivatives (``.derivatives["x"].autograd``, ``.exact``, ...)."""
        return self.report.points

    @property
    def derivatives(self) -> Mapping[str, str]:
        """Each derivative as shown, by its variables (``"x"``, ``"x,y"``)."""
        return self.report.derivatives

    def _document(self) -> dict[str, Any]:
        from derivcli.render.documents.eval import report_document

        return report_document(self.report)

    def _renderable(self, *, width: int) -> RenderableType:
        from derivcli.render.eval import report_renderable

        return report_renderable(self.report, width=width)

    def _subject(self) -> str:
        return self.report.input


class Derivation(Result[StepsReport]):
    """What ``deriv steps`` reports: the derivation rule by rule, with both witnesses at each step."""

    @property
    def agree(self) -> bool:
        """True when every step's two values agree (always, without a point)."""
        return self.report.agree

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps in tree order, each parent before its children."""
        return self.report.steps

    @property
    def first_divergence(self) -> FirstDivergence | None:
        """The first step where the witnesses part, and why; None where they do not."""
        return self.report.first_divergence

    def _document(self) -> dict[str, Any]:
        from derivcli.render.documents.inspect import steps_document

        return steps_document(self.report)

    def _renderable(self, *, width: int) -> RenderableType:
        from derivcli.render.steps import steps_renderable

        return steps_renderable(self.report)

    def _subject(self) -> str:
        return self.report.input


class FunctionCheck(Result[CheckReport]):
    """What ``deriv check`` reports: a custom autograd Function, check by check."""

    @property
    def agree(self) -> bool:
        """True when no check failed."""
        return self.report.passed

    def _document(self) -> dict[str, Any]:
        from derivcli.render.documents.inspect import check_document

        return check_document(self.report)

    def _renderable(self, *, width: int) -> RenderableType:
        from derivcli.render.check import check_renderable

        return check_renderable(self.report)

    def _subject(self) -> str:
        return f"{self.report.function} against {self.report.against}"


class GradientCheck(Result[GradientReport]):
    """A plain torch function's value and gradient at each point beside the expression's exact ones."""

    @property
    def agree(self) -> bool:
        """True when every value and derivative agrees."""
        return self.report.agree

    def _document(self) -> dict[str, Any]:
        from derivcli.render.documents.inspect import gradient_document

        return gradient_document(self.report)

    def _renderable(self, *, width: int) -> RenderableType:
        from derivcli.render.gradient import gradient_renderable

        return gradient_renderable(self.report)

    def _subject(self) -> str:
        return f"{self.report.function} against {self.report.against}"


def compare(
    expr: str,
    *,
    at: At = None,
    wrt: str | Sequence[str] | None = None,
    order: int = 1,
    dtype: str = "float64",
    device: str = "cpu",
    rtol: float | None = None,
    atol: float | None = None,
    fd: bool = False,
    bits: bool = False,
    simplify: bool = False,
    timeout: float | None = None,
) -> Comparison:
    """Differentiate ``expr`` symbolically and by autograd, and compare them at each point of ``at``."""
    _check_text(expr, "expr")
    _check_options(order=order, rtol=rtol, atol=atol, timeout=timeout)
    setup = Setup.checked(
        device=device, dtype=DType(_dtype(dtype)), rtol=rtol, atol=atol, timeout=_budget(timeout)
    )
    request = eval_request(
        mode=Mode.PARTIAL,
        expression=expr,
        at=point_texts(at),
        setup=setup,
        wrt=_names(wrt),
        order=order,
        fd=fd,
        bits=bits,
        simplify=simplify,
    )
    report: Report = _run("eval", request, timeout=timeout)
    return Comparison(report)


def steps(
    expr: str,
    *,
    at: Point | None = None,
    wrt: str | None = None,
    dtype: str = "float64",
    device: str = "cpu",
    latex: bool = False,
    timeout: float | None = None,
) -> Derivation:
    """The derivation of ``expr`` rule by rule; at a point, both witnesses at every step."""
    _check_text(expr, "expr")
    _check_options(order=1, rtol=None, atol=None, timeout=timeout)
    setup = Setup.checked(device=device, dtype=DType(_dtype(dtype)), timeout=_budget(timeout))
    request: StepsRequest = steps_request(
        expression=expr, at=point_texts(at), wrt=_names(wrt), setup=setup, latex=latex
    )
    report: StepsReport = _run("steps", request, timeout=timeout)
    return Derivation(report)


def check_function(
    function: type, *, against: str, at: At = None, taylor: bool = False, timeout: float | None = None
) -> FunctionCheck:
    """Check a ``torch.autograd.Function`` subclass against ``against`` as ``deriv check`` does."""
    _check_text(against, "against")
    _check_options(order=1, rtol=None, atol=None, timeout=timeout)
    name = getattr(function, "__qualname__", repr(function))
    if timeout is None:
        request: CheckRequest = check_request(
            function=name,
            against=against,
            at=point_texts(at),
            timeout=DEFAULT_TIMEOUT,
            taylor=taylor,
            given=function,
        )
        return FunctionCheck(_run("check", request, timeout=None))
    # The class reaches the worker through the fork's memory (a class defined in a function cannot be
    # pickled), so a worker is forked for this call, after the class exists.
    from derivcli.model.check import Handed
    from derivcli.pipeline import call_work
    from derivcli.work.check import HANDED
    from derivcli.worker.limits import Limits
    from derivcli.worker.process import Worker

    HANDED[id(function)] = function
    request = check_request(
        function=name,
        against=against,
        at=point_texts(at),
        timeout=timeout,
        taylor=taylor,
        given=Handed(id(function)),
    )
    worker = Worker()
    try:
        report: CheckReport = worker.run(
            call_work, "check", request, limits=Limits.for_device(timeout, "cpu")
        )
    finally:
        worker.close()
        HANDED.pop(id(function), None)
    return FunctionCheck(report)


def check_gradient(function: Callable[..., Any], *, against: str, at: At = None) -> GradientCheck:
    """Call a plain torch function at each point (one 0-d float64 tensor per variable, in the expression's
    order) and compare its value and gradient with ``against``'s exact ones. Runs in this process."""
    from derivcli.core.gradient import check_gradient as run_check
    from derivcli.model.check import default_points

    _check_text(against, "against")
    parsed = parse_expression(against)
    if not parsed.variables:
        raise DerivError(
            ErrorKind.MISSING_VALUE, f"against {against!r} has no variables: the function takes inputs"
        )
    texts = point_texts(at) or default_points(parsed.variables)
    plan = make_plan(mode=Mode.PARTIAL, expression=parsed, points=[parse_point(text) for text in texts])
    name = getattr(function, "__name__", repr(function))
    return GradientCheck(run_check(function, plan, name=name))


def point_texts(at: At) -> list[str]:
    """``--at`` texts of the points: ``{"x": 3, "y": "pi/4"}`` becomes ``"x=3,y=pi/4"``."""
    if at is None:
        return []
    points = [at] if isinstance(at, Mapping) else list(at)
    texts = []
    for point in points:
        if not isinstance(point, Mapping) or not point:
            raise DerivError(ErrorKind.BAD_POINT, f"a point is a mapping such as {{'x': 3}}, got {point!r}")
        for name in point:
            if not (isinstance(name, str) and name.isidentifier()):
                raise DerivError(ErrorKind.BAD_POINT, f"a point's keys are variable names, got {name!r}")
        texts.append(",".join(f"{name}={_value_text(name, value)}" for name, value in point.items()))
    return texts


def _value_text(name: str, value: object) -> str:
    """A coordinate as deriv reads it: an int exactly, a float by its shortest text, text as an expression."""
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
        raise DerivError(
            ErrorKind.BAD_POINT, f"{name}: expected a number or a constant expression, got {value!r}"
        )
    if isinstance(value, str):
        if "=" in value or len(split_components(value)) > 1:
            raise DerivError(
                ErrorKind.BAD_POINT,
                f"{name}: expected one value, got {value!r}; give each variable its own key",
            )
        return value
    if isinstance(value, numbers.Integral):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        raise DerivError(ErrorKind.BAD_NUMBER, f"{name}={number} is not a finite number")
    return repr(number)


def _names(wrt: str | Sequence[str] | None) -> tuple[str, ...]:
    """``wrt`` as the CLI's repeated option: one name, ``"u,v"``, or a list of names."""
    if wrt is None:
        return ()
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt) if isinstance(wrt, (list, tuple)) else None
    if names is None or not all(isinstance(name, str) for name in names):
        raise DerivError(
            ErrorKind.BAD_OPTION, f"wrt: expected a variable name or a list of them, got {wrt!r}"
        )
    return names


def _check_text(value: object, what: str) -> None:
    """Refuse an expression that is not text (the CLI only ever passes text)."""
    if not isinstance(value, str):
        raise DerivError(ErrorKind.BAD_OPTION, f"{what}: expected an expression as text, got {value!r}")


def _check_options(*, order: object, rtol: object, atol: object, timeout: object) -> None:
    """Refuse options of the wrong type with the CLI's kind, before anything is computed."""
    if isinstance(order, bool) or not isinstance(order, int):
        raise DerivError(ErrorKind.BAD_OPTION, f"order: expected a whole number, got {order!r}")
    for name, value in (("rtol", rtol), ("atol", atol), ("timeout", timeout)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise DerivError(ErrorKind.BAD_OPTION, f"{name}: expected a number, got {value!r}")


def _dtype(dtype: str) -> str:
    """A dtype deriv computes in, or the CLI's refusal."""
    if not isinstance(dtype, str) or dtype not in {member.value for member in DType}:
        raise DerivError(ErrorKind.BAD_OPTION, f"dtype must be float64 or float32, got {dtype!r}")
    return dtype


def _budget(timeout: float | None) -> float:
    """The time budget of a run in the worker (unused in this process)."""
    return DEFAULT_TIMEOUT if timeout is None else timeout


def _run(work: str, request: EvalRequest | StepsRequest | CheckRequest, *, timeout: float | None) -> Any:
    """``derivcli.work.<work>.run(request)``: here, or in the worker under ``timeout``."""
    from derivcli.pipeline import call_work

    if timeout is None:
        return call_work(work, request)
    from derivcli.worker.limits import Limits
    from derivcli.worker.process import run as run_in_worker

    limits = Limits.for_device(request.setup.timeout, request.setup.device)
    return run_in_worker(call_work, work, request, limits=limits)
