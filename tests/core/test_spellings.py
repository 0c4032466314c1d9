"""The spelling table and its use: kink calls found, each spelling run in place of its call."""

from __future__ import annotations

import pytest
import torch

from derivcli.core.numeric.translate import compile_tree
from derivcli.core.spellings import SPELLINGS, kink_calls
from derivcli.parsing.grammar import parse_expression
from derivcli.parsing.tree import node_text


def test_kink_calls_innermost_first() -> None:
    parsed = parse_expression("abs(relu(x) - max(x, 1)) + min(x, 1, 2) + sin(x)")
    assert [node_text(call) for call in kink_calls(parsed.tree)] == [
        "relu(x)",
        "max(x, 1)",
        "abs(relu(x) - max(x, 1))",
    ]


@pytest.mark.parametrize("name", ["relu", "abs", "max", "min", "heaviside"])
def test_every_spelling_equals_its_function_away_from_the_kink(name: str) -> None:
    parsed = parse_expression(f"{name}(x, y)" if name in ("max", "min") else f"{name}(x)")
    reference = compile_tree(parsed)
    call = kink_calls(parsed.tree)[0]
    env = {
        "x": torch.tensor([-2.5, 0.75, 3.0], dtype=torch.float64),
        "y": torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64),
    }
    for spelling in SPELLINGS[name]:
        respelled = compile_tree(parsed, respell=(call, spelling.run))
        assert torch.equal(respelled(env), reference(env)), spelling.code


def test_a_respelled_call_leaves_the_rest_of_the_expression_alone() -> None:
    parsed = parse_expression("2*relu(x - 1) + x")
    (call,) = kink_calls(parsed.tree)
    clamp = next(item for item in SPELLINGS["relu"] if item.code.startswith("torch.clamp("))
    function = compile_tree(parsed, respell=(call, clamp.run))
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    function({"x": x}).sum().backward()
    # clamp's gradient at its bound, from the running torch, times 2, plus 1.
    bound = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    torch.clamp(bound, min=0).sum().backward()
    assert x.grad is not None
    assert bound.grad is not None
    assert float(x.grad) == 2 * float(bound.grad) + 1


def test_relu6_applies_only_below_six() -> None:
    relu6 = next(item for item in SPELLINGS["relu"] if "relu6" in item.code)
    assert relu6.applies(0.0)
    assert not relu6.applies(7.0)
