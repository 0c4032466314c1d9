"""SymPy's steps on new numbers made cheaper in deriv's workers: the same facts, the same signs."""

from __future__ import annotations

import subprocess
import sys

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
        "print(StdFactKB.copy.__module__, 'could_extract_minus_sign' in vars(sympy.Rational))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["sympy.core.assumptions", "False"], done.stderr
