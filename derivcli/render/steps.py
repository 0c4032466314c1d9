"""``deriv steps`` for people: the derivation as an indented tree, both witnesses on every step."""

from __future__ import annotations

import math

from rich.console import Console, Group
from rich.text import Text
from rich.tree import Tree

from derivcli.errors import ExitStatus
from derivcli.model.steps import Step, StepsReport, StepsRequest
from derivcli.model.text import format_number, point_label
from derivcli.model.versions import versions
from derivcli.render.documents.inspect import steps_document
from derivcli.render.output import speaks_unicode
from derivcli.render.view import BaseView, verdict


def steps_renderable(report: StepsReport, *, unicode: bool = True) -> Group:
    """The header, the tree of steps (parents above their children), and the first divergence."""
    # f as written: the steps are those of what was typed (sqrt(x**2)), not of SymPy's form (Abs(x)).
    header = Text()
    header.append(f"f({', '.join(report.variables)}) = ", style="bold")
    header.append(report.steps[0].expression)
    lines: list[Text | Tree] = [header]
    if report.at_input is not None:
        lines.append(
            Text(
                f"d/d{report.variable} at {point_label(report.at_input)} ({report.dtype}, {report.device},"
                f" torch {versions()['torch']}): each step's exact value, and autograd's with its nodes"
            )
        )
    divergence = report.first_divergence
    marked = None if divergence is None else divergence.step
    trees: dict[int, Tree] = {}
    root: Tree | None = None
    for step in report.steps:
        label = _label(step, unicode=unicode, marked=step.id == marked)
        if step.parent is None:
            root = trees[step.id] = Tree(label, guide_style="dim")
        else:
            trees[step.id] = trees[step.parent].add(label)
    if root is not None:
        lines.append(root)
    if divergence is not None:
        rule = report.steps[divergence.step]
        lines.append(
            Text(
                f"first divergence at the {rule.rule} rule for {rule.expression} ({divergence.reason.value}):"
                f" {divergence.detail}",
                style="yellow",
            )
        )
    if report.latex is not None:
        lines.append(Text(f"LaTeX: f = {report.latex}"))
        for step in report.steps:
            if step.latex is not None and step.parent is None:
                lines.append(Text(f"LaTeX: d/d{report.variable} = {step.latex}"))
    return Group(*lines)


def _label(step: Step, *, unicode: bool, marked: bool) -> Text:
    """A step: its rule and result on the first line; with a point, both values on the second."""
    label = Text()
    label.append(f"{step.rule} rule", style="bold")
    label.append(f": d/d{step.by} {_operand(step.expression)} = {step.derivative}")
    if step.let is not None:
        label.append(f", with {step.let}")
    values = step.values
    if values is None:
        # A function's own rule is its formula already; a general rule is shown beside its instance.
        if not step.formula.startswith(f"d/d{step.by} {_operand(step.expression)} ="):
            label.append(f"  [{step.formula}]", style="dim")
        return label
    exact = _exact(values.exact, values.value, unicode=unicode)
    where = "" if values.argument is None else f"at {values.argument}: "
    label.append(f"\n{where}exact {exact}, autograd {format_number(values.autograd)}")
    if values.nodes:
        label.append(f" ({' ← '.join(values.nodes) if unicode else ' <- '.join(values.nodes)})")
    if values.combination is not None:
        label.append(f", formed as {values.combination}")
    yes, no = ("✓", "✗") if unicode else ("yes", "NO")
    label.append("  ")
    if values.agree:
        label.append(yes, style="green")
    else:
        label.append(no, style="bold red")
    if marked:
        label.append("  first divergence", style="bold yellow")
    return label


#: Exact texts longer than this are shown by their float alone (the JSON keeps them whole).
MAX_EXACT_WIDTH = 24


def _exact(text: str | None, value: float, *, unicode: bool) -> str:
    """An exact value beside autograd's float: a number as it is, a short expression with its float."""
    number = format_number(value)
    if text is None or text == number:
        return number
    if not math.isfinite(value):
        # "undefined (complex infinity)", "DiracDelta(0)": the words say more than nan.
        return text
    try:
        float(text)
    except ValueError:
        return number if len(text) > MAX_EXACT_WIDTH else f"{text} {'≈' if unicode else '~'} {number}"
    return text


def _operand(expression: str) -> str:
    """The expression after d/dx: in parentheses when an operator outside any binds looser than a power."""
    depth = 0
    for index, char in enumerate(expression):
        depth += (char == "(") - (char == ")")
        if depth == 0 and char in "+-*/" and expression[max(index - 1, 0) : index + 1] != "**":
            if char == "*" and expression[index + 1 : index + 2] == "*":
                continue
            return f"({expression})"
    return expression


def print_steps(report: StepsReport, console: Console) -> None:
    """Print the report on the given console."""
    console.print(steps_renderable(report, unicode=speaks_unicode(console)))


class View(BaseView[StepsRequest, StepsReport]):
    """``deriv steps``: the tree of rules, or the JSON document; --strict fails when the witnesses part."""

    def present(self, report: StepsReport) -> ExitStatus:
        """Print the tree or the document."""
        if self.out.json:
            self.out.write_json(steps_document(report))
        else:
            print_steps(report, self.out.console())
        return verdict(report.agree, strict=self.request.strict)
