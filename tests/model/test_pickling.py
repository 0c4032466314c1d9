"""Reports cross the worker's pipe as their fields' values: the same report comes out, compactly."""

from __future__ import annotations

import dataclasses
import math
import pickle

import pytest

from derivcli.model.eval import DerivativeEntry, PointReport, Report, eval_request
from derivcli.model.pickling import pickled_by_fields
from derivcli.model.setup import Mode, Setup
from derivcli.render.documents.eval import report_document
from derivcli.work import eval as evaluate


def _report() -> Report:
    request = eval_request(
        mode=Mode.PARTIAL,
        expression="u*sin(v) + abs(u)",
        at=["u=0.5,v=-1.25", "u=0,v=2"],
        setup=Setup(),
        fd=True,
    )
    return evaluate.run(request)


def test_a_report_comes_back_equal_and_prints_the_same_json() -> None:
    report = _report()
    again = pickle.loads(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == report
    assert report_document(again) == report_document(report)
    # At the kink of abs: sin(2) + [-1, 1].
    assert again.points[1].derivatives["u"].clarke == pytest.approx((math.sin(2) - 1, math.sin(2) + 1))


@pytest.mark.parametrize("cls", [Report, PointReport, DerivativeEntry])
def test_no_field_name_is_sent(cls: type) -> None:
    # Pickled by state, every object would carry its field names (and the worker would list them).
    report = _report()
    sent = pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)
    for field in dataclasses.fields(cls):
        # A short string is pickled as its opcode, its length, then its characters.
        assert bytes([0x8C, len(field.name)]) + field.name.encode() not in sent, field.name


def test_only_dataclasses_can_be_pickled_by_fields() -> None:
    with pytest.raises(TypeError):
        pickled_by_fields(int)


def test_a_dataclass_whose_init_skips_a_field_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Derived:
        value: float
        twice: float = dataclasses.field(init=False, default=0.0)

    with pytest.raises(TypeError, match="cannot be rebuilt"):
        pickled_by_fields(Derived)
