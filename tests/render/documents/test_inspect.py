"""The JSON contract of deriv steps: the keys of a step and of the first divergence."""

from __future__ import annotations

import json
import math

from derivcli.model.steps import Divergence, FirstDivergence, Step, StepsReport, StepValues
from derivcli.render.documents.inspect import steps_document
from derivcli.render.documents.values import dumps


def test_contract_steps() -> None:
    values = StepValues(
        exact="0",
        value=0.0,
        nodes=("SqrtBackward0",),
        autograd=math.nan,
        forward=0.0,
        agree=False,
        combination="inf * 0 = nan",
    )
    step = Step(
        id=0,
        parent=None,
        rule="chain",
        expression="sqrt(x**2)",
        by="x",
        derivative="x/Abs(x)",
        formula="d/dx f(u) = f'(u)*du/dx",
        let="u = x**2",
        values=values,
    )
    report = StepsReport(
        input="sqrt(x**2)",
        expression="Abs(x)",
        variable="x",
        variables=("x",),
        at={"x": 0.0},
        at_input={"x": "0"},
        device="cpu",
        dtype="float64",
        steps=(step,),
        first_divergence=FirstDivergence(step=0, reason=Divergence.ZERO_TIMES_INFINITY, detail="..."),
    )
    document = json.loads(dumps(steps_document(report)))
    assert set(document) == {
        "input",
        "expression",
        "variable",
        "at",
        "at_input",
        "device",
        "dtype",
        "steps",
        "first_divergence",
        "divergence",
        "agree",
        "latex",
    }
    assert document["steps"][0] == {
        "id": 0,
        "parent": None,
        "rule": "chain",
        "expression": "sqrt(x**2)",
        "by": "x",
        "derivative": "x/Abs(x)",
        "formula": "d/dx f(u) = f'(u)*du/dx",
        "let": "u = x**2",
        "latex": None,
        "exact": "0",
        "value": 0.0,
        "node": "SqrtBackward0",
        "nodes": ["SqrtBackward0"],
        "autograd": "nan",
        "forward": 0.0,
        "combination": "inf * 0 = nan",
        "at_argument": None,
        "agree": False,
    }
    assert (document["first_divergence"], document["divergence"]) == (
        0,
        {"step": 0, "reason": "0*inf", "detail": "..."},
    )
    assert document["agree"] is False
