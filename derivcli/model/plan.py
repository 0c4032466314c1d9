"""Check a request against its expression before any heavy import.

Which variables are differentiated, and which value each variable takes at
each point, are decided here from the parsed trees alone (no SymPy, no torch),
so mistakes such as a missing value are refused in milliseconds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.setup import Mode
from derivcli.parsing.grammar import name_problem
from derivcli.parsing.points import Assignment, PointSpec
from derivcli.parsing.tree import ParsedExpression


def split_names(values: Sequence[str], *, option: str) -> tuple[str, ...]:
    """Names from options that may repeat and may hold commas (``--wrt u,v --wrt w``)."""
    names: list[str] = []
    for value in values:
        for piece in value.split(","):
            name = piece.strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise DerivError(ErrorKind.BAD_OPTION, f"{option} expects variable names, got {piece!r}")
            problem = name_problem(name)
            if problem is not None:
                raise DerivError(ErrorKind.BAD_OPTION, f"{option} {name}: {problem[1]}")
            names.append(name)
    return tuple(names)


#: Highest derivative order accepted (each order differentiates the graph again).
MAX_ORDER: Final = 10


@dataclass(frozen=True, slots=True)
class Plan:
    """Variables in order, the ones to differentiate, each point's parsed values, and which derivatives.

    ``derivatives`` lists each derivative as the variables it differentiates
    by, in turn: ``("x",)`` is d/dx, ``("x", "x")`` the second derivative,
    ``("u", "v")`` the mixed partial ∂²/∂u∂v.
    """

    expression: ParsedExpression
    variables: tuple[str, ...]
    wrt: tuple[str, ...]
    points: tuple[Mapping[str, Assignment], ...]
    order: int = 1
    derivatives: tuple[tuple[str, ...], ...] = ()


def derivative_key(variables: Sequence[str]) -> str:
    """The JSON key of a derivative: its variables joined by commas (``"x,x"``)."""
    return ",".join(variables)


def _derivatives(mode: Mode, wrt: Sequence[str], order: int) -> tuple[tuple[str, ...], ...]:
    """Which derivatives a command computes: one per variable, per combination, or every ordered pair."""
    if mode is Mode.HESSIAN:
        return tuple(itertools.product(wrt, repeat=2))
    # Mixed partials do not depend on the order of differentiation (for the smooth
    # case), so each combination is computed once, in the order of the variables.
    return tuple(itertools.combinations_with_replacement(wrt, order))


def make_plan(
    *,
    mode: Mode,
    expression: ParsedExpression,
    points: Sequence[PointSpec],
    wrt: Sequence[str] = (),
    order: int = 1,
) -> Plan:
    """Decide variables, differentiation variables, derivatives and point values, or raise DerivError."""
    if not 1 <= order <= MAX_ORDER:
        raise DerivError(ErrorKind.BAD_OPTION, f"--order must be from 1 to {MAX_ORDER}, got {order}")
    variables = list(expression.variables)
    for spec in points:
        for assignment in spec.assignments:
            if assignment.name is not None and assignment.name not in variables:
                # A variable that only the point names is constant in the expression:
                # its derivative is 0, which is a fair question to ask.
                variables.append(assignment.name)
    # Missing values are reported before ambiguity: "no value for y" is the more useful message.
    resolved = tuple(_resolve_point(spec, variables=variables) for spec in points)
    chosen = _choose_wrt(mode=mode, expression=expression, variables=variables, wrt=wrt, points=points)
    extra = [name for name in chosen if name not in variables]
    if extra and resolved:
        # Only a point can say what value an absent variable takes; a point without it is incomplete.
        raise DerivError(
            ErrorKind.MISSING_VALUE,
            f"no value for {', '.join(extra)} in --at {points[0].text!r}",
        )
    variables.extend(extra)
    for point in resolved:
        _check_symbolic_names(point, variables=variables)
    return Plan(
        expression=expression,
        variables=tuple(variables),
        wrt=chosen,
        points=resolved,
        order=2 if mode is Mode.HESSIAN else order,
        derivatives=_derivatives(mode, chosen, order),
    )


def _choose_wrt(
    *,
    mode: Mode,
    expression: ParsedExpression,
    variables: Sequence[str],
    wrt: Sequence[str],
    points: Sequence[PointSpec],
) -> tuple[str, ...]:
    """The variables to differentiate with respect to, in a stable order."""
    if wrt:
        seen: dict[str, None] = {}
        for name in wrt:
            if name in seen:
                raise DerivError(ErrorKind.BAD_OPTION, f"--wrt names {name} twice")
            seen[name] = None
        if mode is Mode.EVAL and len(seen) > 1:
            raise DerivError(
                ErrorKind.AMBIGUOUS_VARIABLE,
                "eval differentiates with respect to one variable; use 'deriv partial' for several",
            )
        return tuple(seen)
    if mode in (Mode.PARTIAL, Mode.HESSIAN):
        if not variables:
            raise DerivError(
                ErrorKind.MISSING_VALUE,
                f"{expression.text!r} has no variables: name one with --wrt or --at",
            )
        return tuple(variables)
    if len(variables) == 1:
        return (variables[0],)
    if not variables:
        if any(spec.assignments for spec in points):
            raise DerivError(
                ErrorKind.MISSING_VALUE,
                f"{expression.text!r} has no variables: name the one you mean, e.g. --at x=3",
            )
        raise DerivError(
            ErrorKind.MISSING_VALUE,
            f"{expression.text!r} has no variables: name one with --wrt, e.g. --wrt x",
        )
    names = ", ".join(variables)
    raise DerivError(
        ErrorKind.AMBIGUOUS_VARIABLE,
        f"{expression.text!r} has several variables ({names}): use 'deriv partial', "
        f"or choose one with --wrt {variables[0]}",
    )


def point_names(point: Mapping[str, Assignment]) -> tuple[str, ...]:
    """The names a symbolic point is written in, in order (``("a",)`` for ``x=a``); empty for numbers."""
    names: dict[str, None] = {}
    for assignment in point.values():
        names.update(dict.fromkeys(assignment.names))
    return tuple(names)


def _check_symbolic_names(point: Mapping[str, Assignment], *, variables: Sequence[str]) -> None:
    """Refuse a symbolic point written in a variable of the expression (``--at x=x+1``)."""
    for assignment in point.values():
        clashing = [name for name in assignment.names if name in variables]
        if clashing:
            name = clashing[0]
            fresh = _fresh_name(variables)
            example = fresh if assignment.name is None else f"{assignment.name}={fresh}"
            raise DerivError(
                ErrorKind.BAD_POINT,
                f"{name} is a variable of the expression, so it cannot also name a symbolic point"
                f" in --at {assignment.spec!r}; write the point in a new name, e.g. --at {example}",
                source=assignment.spec,
                column=assignment.offset
                + len(assignment.value.text)
                - len(assignment.value.text.lstrip())
                + 1,
                length=len(assignment.text),
            )


def _fresh_name(taken: Sequence[str]) -> str:
    """A short name that is not a variable: a, b, c, ..., then a1, a2, ..."""
    letters = "abcdpqst"
    candidates = itertools.chain(letters, (f"a{number}" for number in itertools.count(1)))
    return next(name for name in candidates if name not in taken)


def _resolve_point(spec: PointSpec, *, variables: Sequence[str]) -> Mapping[str, Assignment]:
    """Give every variable of the expression its value at this point."""
    values: dict[str, Assignment] = {}
    for assignment in spec.assignments:
        if assignment.name is None:
            if not variables:
                raise DerivError(
                    ErrorKind.BAD_POINT,
                    f"--at {spec.text!r} gives a bare value, but the expression has no variables:"
                    f" name one, e.g. --at x={spec.text}",
                )
            if len(variables) > 1:
                raise DerivError(
                    ErrorKind.BAD_POINT,
                    f"--at {spec.text!r} gives a bare value, but the expression has variables"
                    f" {', '.join(variables)}: write --at {','.join(f'{name}=...' for name in variables)}",
                )
            values[variables[0]] = assignment
        else:
            values[assignment.name] = assignment
    missing = [name for name in variables if name not in values]
    if missing:
        glued = [name for name in missing if len(name) > 1 and all(letter in values for letter in name)]
        if glued:
            # "4uv" reads as 4 times a variable named uv; the user almost surely meant u*v.
            product = "*".join(glued[0])
            raise DerivError(
                ErrorKind.MISSING_VALUE,
                f"no value for variable {glued[0]} in --at {spec.text!r}; to multiply, write {product}",
            )
        plural = "s" if len(missing) > 1 else ""
        example = ",".join(f"{name}=..." for name in variables)
        raise DerivError(
            ErrorKind.MISSING_VALUE,
            f"no value for variable{plural} {', '.join(missing)} in --at {spec.text!r}; write --at {example}",
        )
    return {name: values[name] for name in variables}
