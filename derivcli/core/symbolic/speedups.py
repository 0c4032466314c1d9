"""Six of SymPy's steps on new numbers made cheaper, with the same results: for deriv's own processes.

Substituting a point builds new rationals at every node (``3*x`` at
``x = 151/250`` is ``453/250``), and SymPy's functions ask each new number
its sign (``sin(-a)`` is ``-sin(a)``). The first question asked of any
SymPy object copies its class's facts, and that copy deduces every fact
again from scratch; then the sign is found by evaluating the number in
floating point. Asking a new fraction anything at all (``tanh`` asks
whether its argument is zero) runs SymPy's search over every fact, evalf
included: three quarters of the cost of ``tanh(459/100)``.

- :func:`_copy_facts`: a fact base is closed under deduction (it only ever
  grows by deducing), so deducing it again adds nothing: a copy of the
  dictionary is the same copy.
- :func:`_rational_could_extract_minus_sign`: a rational is negative exactly
  when its numerator is.
- :func:`_ask_with_fraction_facts`: every fraction that is not an integer
  has the same facts as every other of its sign (rational, not an integer,
  not zero, ...): they are learnt once from SymPy, from one fraction of each
  sign, and handed to each new one at its first question.
- :func:`_rational_is_no_multiple_of_i`: the trigonometric and hyperbolic
  functions ask each argument whether it is a multiple of the imaginary
  unit (``sin(3*I)`` is ``I*sinh(3)``) by dividing it by ``I`` and
  searching the quotient; a rational is real, so it never is: two thirds
  of the cost of ``sin(453/250)``.
- :func:`_rational_complex`: printing a sum orders its terms by their
  coefficients' complex values, and ``complex()`` of a rational evaluates
  it with ``evalf`` and splits the result into real and imaginary parts;
  here the same two roundings are made directly (to 57 bits toward zero,
  then to 53 to nearest: not always the correctly rounded float), at a
  sixth of the cost.
- :func:`_rational_call`: an elementary function of a rational
  (``cos(1851/500)``) is built as SymPy's constructor builds it: the
  class's ``eval``, and where that finds nothing simpler, the object with
  its class's ``nargs``, but without the caching, argument conversion and
  number-of-arguments checks around them: a quarter of the cost.

:func:`install` applies them where this SymPy has the internals they
replace and they agree with SymPy's own results; it is called by the
worker that answers ``deriv batch``, never on import, so a program that
imports deriv keeps its SymPy as it was.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, Final

import sympy
from mpmath import libmp
from sympy.core.assumptions import StdFactKB
from sympy.core.function import DefinedFunction
from sympy.core.numbers import mpf_norm
from sympy.core.parameters import global_parameters

# The module itself: ``sympy.core.assumptions`` as an attribute is a function of the same name.
_ASSUMPTIONS: Final = importlib.import_module("sympy.core.assumptions")

_INSTALLED: list[bool] = []
_LOCK: Final = threading.Lock()


def install() -> bool:
    """Apply the speed-ups once, if this SymPy's internals are those they replace; True when applied."""
    with _LOCK:
        if not _INSTALLED:
            _INSTALLED.append(_install())
        return _INSTALLED[0]


def _install() -> bool:
    original_copy = StdFactKB.__dict__.get("copy")
    if original_copy is None or not _copies_agree(original_copy):
        return False
    if "could_extract_minus_sign" in sympy.Rational.__dict__:
        return False  # SymPy has its own for rationals: nothing to replace
    original_ask = getattr(_ASSUMPTIONS, "_ask", None)
    defined = getattr(_ASSUMPTIONS, "_assume_defined", None)
    if not callable(original_ask) or not isinstance(defined, frozenset | set):
        return False
    StdFactKB.copy = _copy_facts
    sympy.Rational.could_extract_minus_sign = _rational_could_extract_minus_sign
    _install_imaginary_unit_shortcut()
    _install_rational_calls()
    if "__complex__" not in sympy.Rational.__dict__ and _complex_values_agree():
        sympy.Rational.__complex__ = _rational_complex
    # Learnt with SymPy's own search, before it is replaced.
    positive, negative = (
        _fraction_facts(sympy.Rational(3, 7), defined),
        _fraction_facts(sympy.Rational(-3, 7), defined),
    )
    asking = _ask_with_fraction_facts(original_ask, positive=positive, negative=negative)
    if not _fraction_facts_agree(asking, defined):
        return True
    setattr(_ASSUMPTIONS, "_ask", asking)  # noqa: B010 - the module's name says what it replaces
    return True


def _install_imaginary_unit_shortcut() -> None:
    """Answer rationals at once in every module that asks for a multiple of I, where SymPy agrees."""
    for module in _IMAGINARY_UNIT_ASKERS:
        original = getattr(module, _IMAGINARY_UNIT_HELPER, None)
        if callable(original) and _no_multiple_of_i_agrees(original):
            setattr(module, _IMAGINARY_UNIT_HELPER, _rational_is_no_multiple_of_i(original))


#: SymPy's helper that finds c in c*I, and the modules that call it by that name.
_IMAGINARY_UNIT_HELPER: Final = "_imaginary_unit_as_coefficient"
_IMAGINARY_UNIT_ASKERS: Final = tuple(
    importlib.import_module(f"sympy.functions.elementary.{name}") for name in ("trigonometric", "hyperbolic")
)


def _rational_is_no_multiple_of_i(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SymPy's helper, but None at once for a rational (a real number is no multiple of I)."""
    if getattr(original, "__wrapped__", None) is not None:
        return original  # already this shortcut

    def as_coefficient_of_i(arg: Any) -> Any:
        if isinstance(arg, sympy.Rational):
            return None
        return original(arg)

    as_coefficient_of_i.__wrapped__ = original  # type: ignore[attr-defined]
    return as_coefficient_of_i


def _no_multiple_of_i_agrees(original: Callable[[Any], Any]) -> bool:
    """True when SymPy's helper finds no multiple of I in rationals of every kind, as the shortcut says."""
    samples = [sympy.Rational(*pair) for pair in ((0, 1), (1, 1), (-1, 1), (1, 2), (-3, 7), (10**30 + 1, 7))]
    return all(original(sample) is None for sample in samples) and original(3 * sympy.I) == 3


#: Functions that deriv's substitutions apply to rationals, whose constructor may be replaced for them.
_CALLED_ON_RATIONALS: Final = (
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.cot,
    sympy.sec,
    sympy.csc,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.coth,
    sympy.asin,
    sympy.acos,
    sympy.atan,
    sympy.asinh,
    sympy.acosh,
    sympy.atanh,
    sympy.exp,
    sympy.log,
    sympy.erf,
)


def _install_rational_calls() -> None:
    """Build each function of a rational directly, where its constructor is SymPy's shared one.

    Whether the direct way builds what SymPy builds is checked for each
    function when it is first called on a rational (checking all of them at
    once would build SymPy's tables for functions a batch may never use).
    """
    for function in _CALLED_ON_RATIONALS:
        if _constructed_by_defined_function(function):
            function.__new__ = staticmethod(_rational_call(function, function.__new__))


def _constructed_by_defined_function(function: type) -> bool:
    """True when ``function`` is built by DefinedFunction's constructor, no class between overriding it."""
    for cls in function.__mro__:
        if cls is DefinedFunction:
            return True
        if any(name in cls.__dict__ for name in ("__new__", "_new_", "_should_evalf", "nargs")):
            return False
    return False


def _rational_call(function: type, original: Callable[..., Any]) -> Callable[..., Any]:
    """``function``'s constructor, building a call on one rational directly once that is seen to agree."""
    # Empty until the first call on a rational; then [nargs] where the direct way agrees with SymPy's,
    # [None] while that is checked (SymPy's constructor answers meanwhile) and where it does not.
    agreed: list[Any] = []

    def construct(cls: type, *args: Any, **options: Any) -> Any:
        if cls is not function or options or len(args) != 1 or not global_parameters.evaluate:
            return original(cls, *args, **options)
        (argument,) = args
        if not isinstance(argument, sympy.Rational):
            return original(cls, *args, **options)
        if not agreed:
            agreed.append(None)
            nargs = _nargs_of(function)
            if nargs is not None and _rational_calls_agree(
                function, lambda number: _direct_call(function, number, nargs)
            ):
                agreed[0] = nargs
        if agreed[0] is None:
            return original(cls, *args, **options)
        return _direct_call(function, argument, agreed[0])

    construct.__wrapped__ = original  # type: ignore[attr-defined]
    return construct


def _direct_call(function: type[Any], argument: sympy.Rational, nargs: Any) -> Any:
    """``function(argument)`` as Function's constructor makes it: ``eval``, else the call with ``nargs``."""
    evaluated: Any = function.eval(argument)
    if evaluated is None:
        # Application.__new__'s object: the class's facts, the argument, and the canonical nargs.
        built = sympy.Basic.__new__(function, argument)
        built.nargs = nargs
        return built
    if isinstance(evaluated, function) and not all(arg.is_Rational for arg in evaluated.args):
        return function(*evaluated.args)  # SymPy's constructor would still evalf a float argument
    return evaluated


def _nargs_of(function: type[Any]) -> Any:
    """The ``nargs`` SymPy gives an unevaluated call of ``function`` (a FiniteSet), from one it builds."""
    for probe in (sympy.Rational(3, 7), sympy.Rational(-3, 7), sympy.Rational(7, 3)):
        built: Any = function(probe)
        if type(built) is function:
            return built.nargs
    return None


def _rational_calls_agree(function: type[Any], direct: Callable[[sympy.Rational], Any]) -> bool:
    """True when ``direct`` builds what SymPy builds, for rationals of every kind."""
    pairs = ((0, 1), (1, 1), (-1, 1), (2, 1), (1, 2), (-1, 2), (3, 7), (-22, 7), (10**30 + 1, 7))
    for pair in pairs:
        number = sympy.Rational(*pair)
        try:
            theirs: Any = function(number)
            ours: Any = direct(number)
        except (ValueError, TypeError, ArithmeticError):
            return False
        if type(ours) is not type(theirs) or ours != theirs or ours.args != theirs.args:
            return False
        if isinstance(theirs, function) and ours.nargs != theirs.nargs:
            return False
    return True


#: Bits of evalf's default 15 digits, and the guard bits it evaluates with before rounding to them.
_EVALF_BITS: Final = libmp.dps_to_prec(15)
_EVALF_GUARD_BITS: Final = 4


def _rational_complex(self: sympy.Rational) -> complex:
    """complex() of a rational as ``Expr.__complex__`` finds it: evalf's two roundings, then the float."""
    value = libmp.from_rational(int(self.p), int(self.q), _EVALF_BITS + _EVALF_GUARD_BITS)
    if value == libmp.fzero:
        return complex(0.0, 0.0)
    return complex(libmp.to_float(mpf_norm(value, _EVALF_BITS)), 0.0)


#: 1 + 2**-53 + 2**-80: evalf's roundings give 1, the correctly rounded float is the next one up.
_ROUNDED_TWICE: Final = (2**80 + 2**27 + 1, 2**80)


def _complex_values_agree() -> bool:
    """True when SymPy's complex() of rationals of every size is what :func:`_rational_complex` makes."""
    pairs = (
        (0, 1),
        (1, 3),
        (-22, 7),
        (10**400, 3),
        (-1, 10**320),
        (1, 10**400),
        (2**53 + 1, 1),
        _ROUNDED_TWICE,
    )
    samples = [sympy.Rational(*pair) for pair in pairs]
    try:
        return all(sympy.Expr.__complex__(sample) == _rational_complex(sample) for sample in samples)
    except (OverflowError, ValueError, TypeError):
        return False


def _copies_agree(original_copy: Any) -> bool:
    """True when the dictionary copy equals SymPy's own copy for the fact bases deriv's numbers use."""
    samples = [
        sympy.Rational.default_assumptions,
        sympy.Integer.default_assumptions,
        sympy.Symbol("x", real=True)._assumptions,
        sympy.sin(sympy.Rational(3, 7))._assumptions,
    ]
    for facts in samples:
        if not (isinstance(facts, StdFactKB) and hasattr(facts, "rules") and hasattr(facts, "_generator")):
            return False
        theirs, ours = original_copy(facts), _copy_facts(facts)
        if dict(theirs) != dict(ours) or theirs.generator != ours.generator or theirs.rules is not ours.rules:
            return False
    return True


def _copy_facts(self: StdFactKB) -> StdFactKB:
    """StdFactKB.copy without deducing again what the base already holds."""
    copy = dict.__new__(type(self))
    dict.update(copy, self)
    copy.rules = self.rules
    copy._generator = self._generator.copy()
    return copy


def _rational_could_extract_minus_sign(self: sympy.Rational) -> bool:
    """Number.could_extract_minus_sign for a rational: its sign, read from the numerator."""
    return bool(self.p < 0)


def _fraction_facts(sample: sympy.Rational, defined: frozenset[str] | set[str]) -> dict[str, bool | None]:
    """Every fact SymPy deduces for ``sample``, asked one by one from none known."""
    # SymPy hands out the same object for the same fraction: what it was asked before must not count.
    sample._assumptions = sample.default_assumptions.copy()
    for fact in sorted(defined):
        getattr(sample, f"is_{fact}")
    return dict(sample._assumptions)


def _ask_with_fraction_facts(
    original_ask: Callable[[str, Any], bool | None],
    *,
    positive: dict[str, bool | None],
    negative: dict[str, bool | None],
) -> Callable[[str, Any], bool | None]:
    """SymPy's ``_ask``, but a fraction (not an integer) takes the facts of its sign at once.

    Only a plain ``Rational`` qualifies: integers and SymPy's singletons (1/2
    is one) are other classes, whose facts differ (even, prime) or are fixed.
    The object's fact base is its own copy when ``_ask`` runs (SymPy copies
    the class's before asking), so filling it changes no other number.
    """

    def ask(fact: str, obj: Any) -> bool | None:
        if type(obj) is sympy.Rational:
            facts = obj._assumptions
            dict.update(facts, positive if obj.p > 0 else negative)
            known: bool | None = facts[fact]
            return known
        return original_ask(fact, obj)

    return ask


def _fraction_facts_agree(
    asking: Callable[[str, Any], bool | None], defined: frozenset[str] | set[str]
) -> bool:
    """True when, for fractions of both signs and many sizes, every fact comes out as SymPy deduces it."""
    samples = [(1, 3), (-1, 3), (10**30 + 1, 7), (-5, 10**25), (22, 7), (-355, 113)]
    for numerator, denominator in samples:
        theirs = _fraction_facts(sympy.Rational(numerator, denominator), defined)
        ours = sympy.Rational(numerator, denominator)
        ours._assumptions = ours.default_assumptions.copy()
        try:
            for fact in sorted(defined):
                if asking(fact, ours) != theirs.get(fact) or ours._assumptions.get(fact) != theirs.get(fact):
                    return False
            if dict(ours._assumptions) != theirs:
                return False
        finally:
            # The sample is SymPy's shared object for its value: it keeps no fact that was only tried.
            ours._assumptions = ours.default_assumptions.copy()
    return True
