"""What a calculus student expects: tangent lines, LaTeX, textbook functions, honest messages."""

from __future__ import annotations

from collections.abc import Callable

from derivcli.errors import ExitStatus
from tests.conftest import Outcome

Run = Callable[..., Outcome]


def test_the_tangent_line(deriv: Run) -> None:
    outcome = deriv("eval", "x**2", "--at", "3", "--tangent")
    assert "tangent at x=3: y = 6*x - 9" in outcome.stdout.splitlines()
    point = deriv("eval", "x**2", "--at", "3", "--tangent", "--json").json()["points"][0]
    assert point["tangent"] == {"exact": "6*x - 9", "slope": 6.0, "intercept": -9.0}
    exact = deriv("eval", "sin(x)", "--at", "pi/6", "--tangent", "--json").json()["points"][0]["tangent"]
    assert exact["exact"] == "sqrt(3)*x/2 - sqrt(3)*pi/12 + 1/2"


def test_no_tangent_where_there_is_no_number(deriv: Run) -> None:
    point = deriv("eval", "log(x)", "--at", "0", "--tangent", "--json").json()["points"][0]
    assert point["tangent"] is None


def test_a_tangent_needs_one_variable(deriv: Run) -> None:
    outcome = deriv("partial", "x*y", "--at", "x=1,y=1", "--tangent")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert "use eval, order 1" in outcome.stderr


def test_latex(deriv: Run) -> None:
    document = deriv("eval", "sin(x)/x", "--latex", "--json").json()
    assert document["latex"] == {
        "f": r"\frac{\sin{\left(x \right)}}{x}",
        # The derivative as it is shown: (cos(x) - sin(x)/x)/x.
        "derivatives": {"x": r"\frac{\cos{\left(x \right)} - \frac{\sin{\left(x \right)}}{x}}{x}"},
    }
    assert deriv("eval", "x**2", "--json").json()["latex"] is None
    lines = deriv("eval", "x**2", "--at", "1", "--latex").stdout.splitlines()
    assert lines[-2:] == ["LaTeX: f(x) = x^{2}", "LaTeX: d/dx = 2 x"]


def test_ln_is_log_and_cbrt_is_real(deriv: Run) -> None:
    assert deriv("eval", "ln(x)", "--at", "2", "--json").json()["expression"] == "log(x)"
    point = deriv("eval", "cbrt(x)", "--at", "-8", "--json").json()["points"][0]
    assert (point["value"], point["derivatives"]["x"]["exact"], point["derivatives"]["x"]["agree"]) == (
        -2.0,
        "1/12",
        True,
    )


def test_root_needs_an_odd_degree(deriv: Run) -> None:
    outcome = deriv("eval", "root(x, 4)", "--at", "1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert "root(x, n) needs an odd whole number n (use x**(1/n) otherwise), got 4" in outcome.stderr
