"""SymPy's steps on new numbers made cheaper in deriv's workers: the same facts, the same signs."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.core.assumptions import StdFactKB

from derivcli.core.symbolic import speedups

_NUMBERS = st.one_of(
    st.fractions(max_denominator=10**6).map(lambda value: sympy.Rational(value.numerator, value.denominator)),
    st.integers(-(10**40), 10**40).map(sympy.Integer),
)


@settings(max_examples=200, deadline=None)
@given(_NUMBERS, st.sampled_from(["negative", "positive", "zero", "integer", "extended_real", "prime"]))
def test_a_copied_fact_base_is_sympys_copy(number: sympy.Rational, fact: str) -> None:
    # A base that has learnt a fact (as every number asked something has) copies to the same facts.
    getattr(number, f"is_{fact}")
    facts = number._assumptions
    assert isinstance(facts, StdFactKB)
    ours = speedups._copy_facts(facts)
    theirs = StdFactKB(facts)  # SymPy's own copy: deduce everything again
    assert dict(ours) == dict(theirs)
    assert ours.generator == theirs.generator
    assert ours is not facts
    assert type(ours) is StdFactKB


@given(_NUMBERS)
def test_a_rational_can_lose_its_minus_sign_exactly_when_it_is_negative(number: sympy.Rational) -> None:
    assert speedups._rational_could_extract_minus_sign(number) == bool(number.is_extended_negative)


_FRACTIONS = st.fractions(max_denominator=10**30).filter(lambda value: value.denominator != 1)
_DEFINED = sorted(speedups._ASSUMPTIONS._assume_defined)


def _fresh(value: object) -> sympy.Rational:
    """A new fraction with none of its facts asked yet, as substituting a point builds one."""
    sympy.core.cache.clear_cache()  # SymPy would otherwise hand back the object made last time
    number = sympy.Rational(value.numerator, value.denominator)  # type: ignore[attr-defined]
    number._assumptions = number.default_assumptions.copy()
    return number


@settings(max_examples=200, deadline=None)
@given(_FRACTIONS, st.sampled_from(_DEFINED))
def test_a_new_fraction_asked_any_fact_learns_sympys_facts(value: object, fact: str) -> None:
    positive = speedups._fraction_facts(sympy.Rational(3, 7), speedups._ASSUMPTIONS._assume_defined)
    negative = speedups._fraction_facts(sympy.Rational(-3, 7), speedups._ASSUMPTIONS._assume_defined)
    asking = speedups._ask_with_fraction_facts(
        speedups._ASSUMPTIONS._ask, positive=positive, negative=negative
    )
    ours = _fresh(value)
    answer = asking(fact, ours)
    theirs = _fresh(value)
    assert answer == speedups._ASSUMPTIONS._ask(fact, theirs)
    if type(ours) is not sympy.Rational:
        return  # SymPy's singletons (1/2) are asked SymPy's way
    # Every fact SymPy would deduce, asked one by one, is already known, and alike.
    assert dict(ours._assumptions) == speedups._fraction_facts(theirs, speedups._ASSUMPTIONS._assume_defined)


def test_only_plain_fractions_take_the_learnt_facts() -> None:
    asked: list[object] = []

    def sympys(fact: str, obj: object) -> bool:
        asked.append(obj)
        return True

    asking = speedups._ask_with_fraction_facts(sympys, positive={"even": False}, negative={"even": False})
    half, seven = sympy.Rational(1, 2), sympy.Integer(7)  # SymPy's singleton Half, and an integer
    assert asking("even", half) is True
    assert asking("even", seven) is True
    assert asking("even", sympy.Rational(3, 5)) is False
    assert asked == [half, seven]


_ANY_SIZE = st.one_of(
    _NUMBERS,
    st.tuples(st.integers(-(10**400), 10**400), st.integers(1, 10**400)).map(
        lambda pair: sympy.Rational(*pair)
    ),
    st.tuples(st.integers(-5, 5), st.integers(300, 330)).map(
        lambda pair: sympy.Rational(pair[0], 10 ** pair[1])
    ),
)


@settings(max_examples=300, deadline=None)
@given(_ANY_SIZE)
def test_a_rational_s_complex_value_is_the_one_evalf_gives(number: sympy.Rational) -> None:
    assert speedups._rational_complex(number) == sympy.Expr.__complex__(number)
    assert speedups._complex_values_agree()


def test_evalf_rounds_twice_and_so_does_the_shortcut() -> None:
    # The rational's own float is rounded once, correctly: SymPy's printer orders by the other.
    number = sympy.Rational(*speedups._ROUNDED_TWICE)
    assert float(number) == 1 + 2**-52
    assert sympy.Expr.__complex__(number) == speedups._rational_complex(number) == complex(1.0, 0.0)


_I_MULTIPLES = st.one_of(
    _NUMBERS,
    _NUMBERS.map(lambda number: number * sympy.I),
    st.sampled_from([sympy.I, -sympy.I, sympy.pi * sympy.I, sympy.Float(2.5), sympy.Symbol("t") * sympy.I]),
)


@settings(max_examples=200, deadline=None)
@given(_I_MULTIPLES)
def test_a_rational_is_no_multiple_of_i_and_the_rest_is_sympys_answer(value: sympy.Expr) -> None:
    from sympy.functions.elementary import trigonometric

    helper = trigonometric._imaginary_unit_as_coefficient
    # SymPy's own, where this process has installed the shortcut.
    original = getattr(helper, "__wrapped__", helper)
    shortcut = speedups._rational_is_no_multiple_of_i(original)
    assert shortcut(value) == original(value)
    assert speedups._rational_is_no_multiple_of_i(shortcut) is shortcut


def test_a_helper_that_finds_i_in_a_rational_is_not_replaced() -> None:
    from sympy.functions.elementary import trigonometric

    helper = trigonometric._imaginary_unit_as_coefficient
    assert speedups._no_multiple_of_i_agrees(getattr(helper, "__wrapped__", helper))
    assert not speedups._no_multiple_of_i_agrees(lambda value: value)
    assert not speedups._no_multiple_of_i_agrees(lambda value: None)  # finds no I even in 3*I


@settings(max_examples=300, deadline=None)
@given(_NUMBERS, st.sampled_from(speedups._CALLED_ON_RATIONALS))
def test_a_function_of_a_rational_built_directly_is_sympys(number: sympy.Rational, function: type) -> None:
    nargs = speedups._nargs_of(function)
    assert nargs is not None
    ours, theirs = speedups._direct_call(function, number, nargs), function(number)
    assert type(ours) is type(theirs)
    assert ours == theirs
    assert ours.args == theirs.args
    assert str(ours) == str(theirs)
    if isinstance(theirs, function):
        assert ours.nargs == theirs.nargs
        assert ours.is_commutative == theirs.is_commutative


def test_every_function_called_on_rationals_is_built_by_sympys_shared_constructor() -> None:
    assert all(
        speedups._constructed_by_defined_function(function) for function in speedups._CALLED_ON_RATIONALS
    )
    # A class with a constructor of its own (Heaviside takes a second argument) keeps it.
    assert not speedups._constructed_by_defined_function(sympy.Heaviside)


def test_a_direct_way_that_disagrees_with_sympy_is_not_used() -> None:
    nargs = speedups._nargs_of(sympy.cos)
    assert speedups._rational_calls_agree(
        sympy.cos, lambda number: speedups._direct_call(sympy.cos, number, nargs)
    )
    assert not speedups._rational_calls_agree(
        sympy.cos, lambda number: speedups._direct_call(sympy.sin, number, nargs)
    )
    # cos(1/2) built without its eval: cos(0) would stay cos(0), not 1.
    assert not speedups._rational_calls_agree(
        sympy.cos, lambda number: sympy.Basic.__new__(sympy.cos, number)
    )


def test_the_constructor_checks_once_then_builds_directly() -> None:
    original = sympy.tanh.__new__
    checks: list[object] = []

    def agree(function: type, direct: object) -> bool:
        checks.append(function)
        return True

    constructor = speedups._rational_call(sympy.tanh, original)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(speedups, "_rational_calls_agree", agree)
        first = constructor(sympy.tanh, sympy.Rational(-459, 100))
        second = constructor(sympy.tanh, sympy.Rational(2, 3))
    assert checks == [sympy.tanh]
    assert str(first) == "-tanh(459/100)"
    assert str(second) == "tanh(2/3)"
    x = sympy.Symbol("x")
    assert constructor(sympy.tanh, x) == sympy.tanh(x)  # anything but a rational: SymPy's constructor
    assert constructor(sympy.tanh, sympy.Rational(1, 2), evaluate=False).args == (sympy.Rational(1, 2),)


def test_a_constructor_whose_check_fails_stays_sympys() -> None:
    constructor = speedups._rational_call(sympy.tanh, sympy.tanh.__new__)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(speedups, "_rational_calls_agree", lambda function, direct: False)
        patch.setattr(speedups, "_direct_call", _never)
        assert str(constructor(sympy.tanh, sympy.Rational(-1, 3))) == "-tanh(1/3)"
        assert str(constructor(sympy.tanh, sympy.Rational(5, 3))) == "tanh(5/3)"


def _never(*arguments: object) -> None:
    raise AssertionError("built directly although the check failed")


def test_a_table_that_disagrees_with_sympy_is_not_installed() -> None:
    defined = speedups._ASSUMPTIONS._assume_defined
    positive = speedups._fraction_facts(sympy.Rational(3, 7), defined)
    wrong = {**positive, "positive": False}
    asking = speedups._ask_with_fraction_facts(speedups._ASSUMPTIONS._ask, positive=wrong, negative=wrong)
    assert not speedups._fraction_facts_agree(asking, defined)
    right = speedups._ask_with_fraction_facts(
        speedups._ASSUMPTIONS._ask,
        positive=positive,
        negative=speedups._fraction_facts(sympy.Rational(-3, 7), defined),
    )
    assert speedups._fraction_facts_agree(right, defined)


def test_installed_in_a_process_of_its_own_the_answers_stay_sympys() -> None:
    # Run apart: installing changes SymPy for the whole process, as it does in a worker.
    script = (
        "import sympy\n"
        "from derivcli.core.symbolic import speedups\n"
        "x = sympy.Symbol('x', real=True)\n"
        "e = 5*sympy.sin(-3*x) + x**2 - sympy.cos(x/7)\n"
        "points = [sympy.Rational(n, 37) for n in range(-40, 41)]\n"
        "before = [str(e.xreplace({x: p})) for p in points]\n"
        "sympy.core.cache.clear_cache()\n"
        "assert speedups.install() and speedups.install()\n"
        "points = [sympy.Rational(n, 37) for n in range(-40, 41)]\n"
        "after = [str(e.xreplace({x: p})) for p in points]\n"
        "assert before == after, (before, after)\n"
        "assert sympy.Rational(-3, 4).could_extract_minus_sign()\n"
        "assert not sympy.Integer(0).could_extract_minus_sign()\n"
        "import importlib\n"
        "assumptions = importlib.import_module('sympy.core.assumptions')\n"
        "assert assumptions._ask.__module__ == 'derivcli.core.symbolic.speedups'\n"
        "q = sympy.Rational(-459, 100)\n"
        "assert (q.is_zero, q.is_negative, q.is_integer, q.is_rational) == (False, True, False, True)\n"
        "assert str(sympy.tanh(q)) == '-tanh(459/100)'\n"
        "from sympy.functions.elementary import trigonometric, hyperbolic\n"
        "for module in (trigonometric, hyperbolic):\n"
        "    assert module._imaginary_unit_as_coefficient.__module__ == 'derivcli.core.symbolic.speedups'\n"
        "assert str(sympy.sin(sympy.Rational(-9, 4)*sympy.I)) == '-I*sinh(9/4)'\n"
        "assert str(sympy.cosh(sympy.Rational(1, 3)*sympy.I)) == 'cos(1/3)'\n"
        "assert sympy.Rational.__complex__.__module__ == 'derivcli.core.symbolic.speedups'\n"
        "assert complex(sympy.Rational(-22, 7)) == complex(-22 / 7)\n"
        "assert 'construct' in repr(vars(sympy.cos)['__new__'])\n"
        "c = sympy.cos(sympy.Rational(-3, 7))\n"
        "assert str(c) == 'cos(3/7)' and c.nargs == sympy.FiniteSet(1) and c.is_commutative\n"
        "assert str(sympy.log(sympy.Rational(1, 3))) == '-log(3)' and sympy.exp(sympy.S.Zero) == 1\n"
        "sum_ = 3*x**2 - sympy.Rational(5, 2)*x + 27/(9*x**2 + 1)\n"
        "assert str(sum_) == '3*x**2 - 5*x/2 + 27/(9*x**2 + 1)'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_not_installed_on_import() -> None:
    # Importing deriv leaves a program's SymPy as it was; only deriv's batch worker installs.
    script = (
        "import sympy\n"
        "from sympy.core.assumptions import StdFactKB\n"
        "import derivcli.core.compare, derivcli.work.batch\n"
        "import importlib\n"
        "ask = importlib.import_module('sympy.core.assumptions')._ask\n"
        "copying = StdFactKB.copy.__module__\n"
        "from sympy.functions.elementary import hyperbolic\n"
        "helper = hyperbolic._imaginary_unit_as_coefficient.__module__\n"
        "assert '__complex__' not in vars(sympy.Rational)\n"
        "assert '__new__' not in vars(sympy.cos)\n"
        "print(copying, 'could_extract_minus_sign' in vars(sympy.Rational), ask.__module__, helper)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    sympys, trigonometric = "sympy.core.assumptions", "sympy.functions.elementary.trigonometric"
    assert done.stdout.split() == [sympys, "False", sympys, trigonometric], done.stderr
