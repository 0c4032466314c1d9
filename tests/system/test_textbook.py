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


def test_a_symbolic_point(deriv: Run) -> None:
    outcome = deriv("eval", "6*x**2+2*x+4", "--at", "x=a")
    assert outcome.exit_code == ExitStatus.OK
    assert outcome.stdout.splitlines()[3].split() == (
        ["x=a", "6*a**2", "+", "2*a", "+", "4", "d/dx", "=", "12*x", "+", "2", "12*a", "+", "2", "—", "—"]
    )
    assert outcome.stdout.splitlines()[-1] == (
        "x=a is a symbolic point: autograd computes with numbers, so only the symbolic side answers there"
    )
    point = deriv("eval", "6*x**2+2*x+4", "--at", "x=a", "--json").json()["points"][0]
    entry = point["derivatives"]["x"]
    assert entry["exact"] == "12*a + 2"
    assert [entry[key] for key in ("symbolic_value", "autograd", "abs_error", "rel_error", "agree")] == [
        None
    ] * 5
    assert (
        point["at"],
        point["at_exact"],
        point["value"],
        point["value_exact"],
        point["value_autograd"],
    ) == (
        {"x": None},
        {"x": "a"},
        None,
        "6*a**2 + 2*a + 4",
        None,
    )


def test_a_symbolic_point_beside_numeric_ones(deriv: Run) -> None:
    # Autograd still answers at the numbers; the symbolic point keeps its place in the order given.
    document = deriv("eval", "x**3", "--at", "2", "--at", "2*a+1", "--at", "-1", "--strict", "--json")
    assert document.exit_code == ExitStatus.OK
    points = document.json()["points"]
    assert [point["derivatives"]["x"]["autograd"] for point in points] == [12.0, None, 3.0]
    assert points[1]["derivatives"]["x"]["exact"] == "3*(2*a + 1)**2"
    notes = document.json()["notes"]
    assert notes == [
        "x=2*a+1 is a symbolic point: autograd computes with numbers, so only the symbolic side answers there"
    ]


def test_symbolic_points_of_several_variables_and_orders(deriv: Run) -> None:
    point = deriv("partial", "u*v+u**2", "--at", "u=s,v=t", "--json").json()["points"][0]
    assert {name: entry["exact"] for name, entry in point["derivatives"].items()} == {
        "u": "2*s + t",
        "v": "s",
    }
    second = deriv("eval", "sin(x)", "--at", "a", "--order", "2", "--json").json()["points"][0]
    assert second["derivatives"]["x,x"]["exact"] == "-sin(a)"
    undefined = deriv("eval", "sqrt(x)", "--at", "0*a", "--json").json()["points"][0]
    assert undefined["derivatives"]["x"]["exact"] == "undefined (complex infinity)"


def test_the_tangent_at_a_symbolic_point(deriv: Run) -> None:
    outcome = deriv("eval", "x**2", "--at", "a", "--tangent")
    assert "tangent at x=a: y = 2*a*x - a**2" in outcome.stdout.splitlines()
    tangent = deriv("eval", "x**3", "--at", "a", "--tangent", "--json").json()["points"][0]["tangent"]
    assert tangent == {"exact": "3*a**2*x - 2*a**3", "slope": None, "intercept": None}


def test_a_symbolic_point_must_not_use_a_variable(deriv: Run) -> None:
    outcome = deriv("eval", "x**2", "--at", "x=x+1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.splitlines()[0] == (
        "deriv: error: x is a variable of the expression, so it cannot also name a symbolic point"
        " in --at 'x=x+1'; write the point in a new name, e.g. --at x=a (column 3)"
    )
    clash = deriv("partial", "a*x", "--at", "x=a,a=1")
    assert "e.g. --at x=b" in clash.stderr


def test_symbolic_points_are_for_eval_and_partial(deriv: Run) -> None:
    outcome = deriv("hessian", "x*y", "--at", "x=a,y=1")
    assert outcome.exit_code == ExitStatus.BAD_INPUT
    assert outcome.stderr.splitlines()[0] == (
        "deriv: error: point value must be a constant, but 'a' is a variable in --at 'x=a,y=1' (column 3);"
        " a symbolic point such as --at x=a is for 'deriv eval' and 'deriv partial'"
    )
    # inf is still refused as a number, not read as a name.
    assert "'inf' is not a finite number" in deriv("eval", "x", "--at", "x=inf").stderr
