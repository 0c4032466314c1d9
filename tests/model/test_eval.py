"""The request of ``eval``, ``partial`` and ``hessian``: checked and parsed once, before any heavy import."""

from __future__ import annotations

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.eval import EvalRequest, eval_request
from derivcli.model.setup import Mode, Setup


def test_a_request_holds_the_plan_and_the_setup() -> None:
    setup = Setup.checked(timeout=3.0)
    request = eval_request(
        mode=Mode.PARTIAL, expression="u*v", at=["u=1,v=2"], setup=setup, order=2, strict=True
    )
    assert isinstance(request, EvalRequest)
    assert (request.mode, request.setup, request.strict) == (Mode.PARTIAL, setup, True)
    assert request.plan.derivatives == (("u", "u"), ("u", "v"), ("v", "v"))
    assert request.plan.points[0]["v"].text == "2"


def test_a_hessian_request_is_every_ordered_pair() -> None:
    request = eval_request(mode=Mode.HESSIAN, expression="x*y", at=["x=1,y=2"], setup=Setup(), order=2)
    assert request.plan.derivatives == (("x", "x"), ("x", "y"), ("y", "x"), ("y", "y"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"simplify_timeout": 0.0}, "--simplify-timeout must be a finite number > 0, got 0.0"),
        ({"fd": True, "order": 3}, "--fd gives first and second derivatives, not order 3 or more"),
        ({"order": 11}, "--order must be from 1 to 10, got 11"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(DerivError) as caught:
        eval_request(mode=Mode.EVAL, expression="x", at=["1"], setup=Setup(), **options)  # type: ignore[arg-type]
    assert (caught.value.kind, caught.value.message) == (ErrorKind.BAD_OPTION, message)
