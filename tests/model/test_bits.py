"""Herbie's measure of floating-point error in bits."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derivcli.model.bits import bits_between, max_bits, ordinal


def _float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def test_zero_and_minus_zero_are_the_same_float() -> None:
    assert ordinal(0.0, "float64") == ordinal(-0.0, "float64") == 0
    assert bits_between(-0.0, 0.0, "float32", exact_is_number=True) == 0.0


def test_neighbouring_floats_are_one_bit_apart() -> None:
    assert bits_between(1.0, math.nextafter(1.0, 2.0), "float64", exact_is_number=True) == 1.0
    assert bits_between(5e-324, -5e-324, "float64", exact_is_number=True) == math.log2(3)


def test_zero_against_one_in_float32_is_thirty_bits() -> None:
    # 1.0 is float32 number 0x3f800000 counting up from 0.
    assert bits_between(0.0, 1.0, "float32", exact_is_number=True) == math.log2(1 + 0x3F800000)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_and_infinity_against_a_number_cost_everything(dtype: str) -> None:
    assert bits_between(math.nan, 1.0, dtype, exact_is_number=True) == max_bits(dtype)
    assert bits_between(math.inf, 1.0, dtype, exact_is_number=True) == max_bits(dtype)
    # A finite exact value beyond the dtype rounds to inf, and inf still counts as wrong.
    assert bits_between(math.inf, math.inf, dtype, exact_is_number=True) == max_bits(dtype)


def test_a_true_infinity_matched_is_exact() -> None:
    assert bits_between(math.inf, math.inf, "float64", exact_is_number=False) == 0.0
    assert bits_between(-math.inf, math.inf, "float64", exact_is_number=False) == 64.0
    assert bits_between(1.0, math.inf, "float64", exact_is_number=False) == 64.0


def test_the_widths() -> None:
    assert (max_bits("float32"), max_bits("float64")) == (32.0, 64.0)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_against_itself_loses_nothing(value: float) -> None:
    assert bits_between(value, value, "float64", exact_is_number=True) == 0.0


@given(
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
def test_bits_are_symmetric_and_bounded(first: float, second: float) -> None:
    forward = bits_between(_float32(first), _float32(second), "float32", exact_is_number=True)
    assert forward == bits_between(_float32(second), _float32(first), "float32", exact_is_number=True)
    assert 0.0 <= forward <= 32.0


@given(st.floats(min_value=-1e300, max_value=1e300, allow_nan=False))
def test_ordinal_keeps_the_order_of_floats(value: float) -> None:
    above = math.nextafter(value, math.inf)
    assert ordinal(above, "float64") == ordinal(value, "float64") + 1 or (value == 0.0 and above > 0)
