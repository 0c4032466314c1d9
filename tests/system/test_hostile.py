"""A corpus of hostile expressions, each pinned to the error kind it must produce.

Every case runs through the real command line in a subprocess (``deriv eval TEXT
--at x=1``): it must fail cleanly (exit status 2, one error message on stderr,
no traceback) and must not create the canary file that some cases try to
create. A subset runs again with ``--json`` to pin ``error.kind``, and one
test sends every case (plus lines that are not JSON at all) through ``deriv
batch`` in a single stream.

A case whose ``kind`` is None is one deriv legitimately computes (a large but
finite number): it must succeed cleanly instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from tests.conftest import ROOT

#: Replaced in a case's text by the absolute path of the canary file of the test.
CANARY: Final = "CANARY_PATH"
TIMEOUT_S: Final = 60


@dataclass(frozen=True, slots=True)
class Case:
    """One hostile input: its id, its text, and the error kind it must produce (None: it computes)."""

    id: str
    text: str
    kind: str | None
    #: The kind on the command line where it differs from ``deriv batch`` (which takes the text as is).
    argv_kind: str | None = None

    def expected_argv_kind(self) -> str | None:
        return self.argv_kind if self.argv_kind is not None else self.kind

    def on_argv(self) -> bool:
        """Whether the text can be a command-line argument at all (argv cannot hold NUL)."""
        return "\x00" not in self.text


SYNTAX = "syntax"
NOT_ALLOWED = "not-allowed"
UNKNOWN = "unknown-function"
ARITY = "arity"
NON_ASCII = "non-ascii"
KEYWORD = "keyword"
BAD_NUMBER = "bad-number"
TOO_LARGE = "too-large"
TOO_LONG = "too-long"
TOO_DEEP = "too-deep"
BAD_LINE = "bad-line"
BAD_POINT = "bad-point"
BAD_OPTION = "bad-option"
MISSING_VALUE = "missing-value"
USAGE = "usage"

CASES: Final[tuple[Case, ...]] = (
    # Code execution: names, attributes, calls of builtins, statements.
    Case("import-os-system", f"__import__('os').system('touch {CANARY}')", NOT_ALLOWED),
    Case("dunder-import-call", "__import__('os')", NOT_ALLOWED),
    Case("dunder-name", "__builtins__", NOT_ALLOWED),
    Case("dunder-name-times-x", "x*__name__", NOT_ALLOWED),
    Case("dunder-bases", "().__class__.__bases__", NOT_ALLOWED),
    Case("dunder-subclasses", "().__class__.__base__.__subclasses__()", NOT_ALLOWED),
    Case("dunder-x-class", "x.__class__", NOT_ALLOWED),
    Case("lambda-call", "(lambda: 1)()", KEYWORD),
    Case("lambda-bare", "lambda x: x", KEYWORD),
    Case("exec-call", f"exec(\"open('{CANARY}','w')\")", UNKNOWN),
    Case("eval-call", f"eval(\"open('{CANARY}','w')\")", UNKNOWN),
    Case("open-call", f"open('{CANARY}','w')", UNKNOWN),
    Case("globals-call", "globals()", UNKNOWN),
    Case("compile-call", "compile('1','f','eval')", UNKNOWN),
    Case("getattr-call", "getattr(x, '__class__')", UNKNOWN),
    Case("breakpoint-call", "breakpoint()", UNKNOWN),
    Case("list-comprehension", "[x for x in range(3)]", KEYWORD),
    Case("set-comprehension", "{x for x in range(3)}", KEYWORD),
    Case("dict-comprehension", "{x: x for x in range(3)}", KEYWORD),
    Case("generator", "(x for x in range(3))", KEYWORD),
    Case("generator-argument", "sin(x for x in range(3))", KEYWORD),
    Case("statement-import", "import os", KEYWORD),
    Case("statement-from-import", "from os import system", KEYWORD),
    Case("statement-assign", "x=1", SYNTAX),
    Case("statement-augmented-assign", "x+=1", SYNTAX),
    Case("statement-del", "del x", KEYWORD),
    Case("statement-after-semicolon", "x; import os", KEYWORD),
    Case("walrus", "(y:=1)", NOT_ALLOWED),
    Case("walrus-in-call", "sin(y:=x)", NOT_ALLOWED),
    Case("f-string", "f'{x}'", NOT_ALLOWED),
    Case("f-string-open", f"f\"{{open('{CANARY}','w')}}\"", NOT_ALLOWED),
    Case("string-literal", "'x'", NOT_ALLOWED),
    Case("bytes-literal", "b'x'", NOT_ALLOWED),
    Case("string-times-x", "x*'a'", NOT_ALLOWED),
    Case("subscript", "x[0]", NOT_ALLOWED),
    Case("slice", "x[1:2]", NOT_ALLOWED),
    Case("attribute", "x.real", NOT_ALLOWED),
    Case("method-call", "x.conjugate()", NOT_ALLOWED),
    Case("conditional-expression", "x if x else 1", KEYWORD),
    Case("keyword-argument", "sin(x=1)", NOT_ALLOWED),
    Case("starred-argument", "sin(*x)", NOT_ALLOWED),
    Case("list-literal", "[x]", NOT_ALLOWED),
    Case("tuple", "x, x", NOT_ALLOWED),
    Case("dict-literal", "{x: 1}", NOT_ALLOWED),
    Case("none", "None", KEYWORD),
    Case("true", "True", KEYWORD),
    Case("ellipsis", "...", NOT_ALLOWED),
    # 1j reads as 1*j: j is then a variable without a value.
    Case("complex-literal", "1j*x", MISSING_VALUE),
    Case("await", "await x", KEYWORD),
    Case("yield", "yield x", KEYWORD),
    # Shell-looking text (it never reaches a shell; it must not parse either).
    Case("shell-substitution", f"$(touch {CANARY})", SYNTAX),
    Case("shell-backticks", f"`touch {CANARY}`", SYNTAX),
    Case("shell-semicolon", f"x; touch {CANARY}", SYNTAX),
    Case("shell-and", "x && y", SYNTAX),
    Case("shell-or", "x || y", SYNTAX),
    Case("shell-pipe", "x | y", NOT_ALLOWED),
    Case("shell-redirect", f"x > {CANARY}", SYNTAX),
    Case("shell-newline", f"x\ntouch {CANARY}", SYNTAX),
    # A comment would silently drop the rest of the expression.
    Case("comment-hides-a-term", "x**2 # + 1000*x", NOT_ALLOWED),
    Case("comment-hides-code", f"x #\n__import__('os').system('touch {CANARY}')", NOT_ALLOWED),
    Case("comment-alone", "#", NOT_ALLOWED),
    # Unknown functions and wrong numbers of arguments.
    Case("unknown-foo", "foo(x)", UNKNOWN),
    Case("unknown-system", "system(x)", UNKNOWN),
    Case("unknown-near-miss", "sinn(x)", UNKNOWN),
    Case("arity-sin-two", "sin(x, y)", ARITY),
    Case("arity-atan2-one", "atan2(x)", ARITY),
    Case("arity-sin-none", "sin()", ARITY),
    Case("arity-log-three", "log(x, 2, 3)", ARITY),
    Case("arity-max-one", "max(x)", ARITY),
    Case("function-as-variable", "sin*x", SYNTAX),
    # Syntax errors at the start, middle and end; unmatched brackets.
    Case("syntax-start", "*x", SYNTAX),
    Case("syntax-middle", "x + * 2", SYNTAX),
    Case("syntax-end", "x +", SYNTAX),
    Case("syntax-double-operator", "x ** ** 2", SYNTAX),
    Case("syntax-empty", "", SYNTAX),
    Case("syntax-blank", "   ", SYNTAX),
    Case("unmatched-open", "(x", SYNTAX),
    Case("unmatched-close", "x)", SYNTAX),
    Case("unmatched-call", "sin(x", SYNTAX),
    Case("unmatched-lone-close", ")", SYNTAX),
    Case("unmatched-nested", "((x)", SYNTAX),
    Case("unmatched-bracket", "x]", SYNTAX),
    # Unicode look-alikes.
    Case("cyrillic-x", "\u0445", NON_ASCII),
    Case("cyrillic-x-times-x", "\u0445*x", NON_ASCII),
    Case("fullwidth-x", "\uff58", NON_ASCII),
    Case("fullwidth-sin", "\uff53\uff49\uff4e(x)", NON_ASCII),
    Case("fullwidth-digit", "x*\uff12", NON_ASCII),
    Case("greek-alpha", "\u03b1*x", NON_ASCII),
    Case("greek-pi", "\u03c0*x", NON_ASCII),
    Case("math-italic-x", "\U0001d465", NON_ASCII),
    # Invisible characters.
    Case("zero-width-space", "x\u200b", NON_ASCII),
    Case("byte-order-mark", "\ufeffx", NON_ASCII),
    Case("right-to-left-override", "x\u202e+1", NON_ASCII),
    Case("no-break-space", "x\u00a0+1", NON_ASCII),
    Case("line-separator", "x\u2028+1", NON_ASCII),
    Case("soft-hyphen", "x\u00ad", NON_ASCII),
    # NUL and other control characters (NUL cannot be an argument: batch only).
    Case("nul", "x\x00", NON_ASCII),
    Case("nul-inside-call", "sin(x\x00)", NON_ASCII),
    Case("escape-sequence", "\x1b[31mx", NON_ASCII),
    Case("bell", "x\x07", NON_ASCII),
    Case("backspace", "x\x08", NON_ASCII),
    Case("delete", "x\x7f", NON_ASCII),
    Case("vertical-tab", "x\x0b+1", NON_ASCII),
    Case("form-feed", "x\x0c+1", NON_ASCII),
    Case("c1-next-line", "x\x85", NON_ASCII),
    # Comparisons, boolean and other refused operators.
    Case("compare-less", "x < 1", NOT_ALLOWED),
    Case("compare-equal", "x == 1", NOT_ALLOWED),
    Case("compare-not-equal", "x != 1", NOT_ALLOWED),
    Case("compare-chain", "0 < x < 1", NOT_ALLOWED),
    Case("boolean-and", "x and y", KEYWORD),
    Case("boolean-or", "x or y", KEYWORD),
    Case("boolean-not", "not x", KEYWORD),
    Case("identity-is", "x is x", KEYWORD),
    Case("membership-in", "x in x", KEYWORD),
    Case("invert", "~x", NOT_ALLOWED),
    Case("modulo", "x % 2", NOT_ALLOWED),
    Case("floor-division", "x // 2", NOT_ALLOWED),
    Case("matrix-multiply", "x @ x", NOT_ALLOWED),
    Case("shift", "x << 1", NOT_ALLOWED),
    Case("bitwise-and", "x & 1", NOT_ALLOWED),
    # Giant numbers.
    Case("tower-10-10-10", "10**10**10", TOO_LARGE),
    Case("tower-9-9-9-9", "9**9**9**9", TOO_LARGE),
    Case("tower-2-seven-times", "2**2**2**2**2**2**2", TOO_LARGE),
    Case("tower-caret", "9^9^9", TOO_LARGE),
    Case("tower-times-x", "x*10**10**10", TOO_LARGE),
    Case("x-to-tower", "x**10**10**10", TOO_LARGE),
    Case("tower-negative-exponent", "10**-10**10", TOO_LARGE),
    Case("power-just-over-limit", "2**100000*x", TOO_LARGE),
    Case("exponent-literal-huge", "1e999999", BAD_NUMBER),
    Case("exponent-literal-huger", "1e999999999999", BAD_NUMBER),
    Case("exponent-literal-tiny", "1e-999999", BAD_NUMBER),
    # Over 10,000 characters: refused for its length before its digits are read.
    Case("literal-20000-digits", "9" * 20_000, TOO_LONG),
    Case("literal-20000-digits-times-x", "1" + "0" * 19_999 + "*x", TOO_LONG),
    Case(
        "literal-9000-digits",
        "9" * 9_000,
        BAD_NUMBER,
    ),
    Case("literal-1001-significant-digits", "0." + "1" * 1_001, BAD_NUMBER),
    Case("hexadecimal-literal", "0xff", BAD_NUMBER),
    # Large but finite: computed (exit 0), the exact value noted as beyond float64.
    Case("computed-x-to-10-to-10", "x**(10**10)", None),
    Case("computed-10-to-400-times-x", "10**400*x", None),
    Case("computed-2-to-99999-times-x", "2**99999*x", None),
    # Products and sums of big literals: each literal is small enough, their exact product is not.
    Case("product-of-big-literals", "10**25000*10**25000*x", TOO_LARGE),
    Case("product-of-big-literals-in-a-sum", "x + 10**25000*10**25000", TOO_LARGE),
    Case("square-of-a-big-power", "(10**20000)**2*x", TOO_LARGE),
    Case("quotient-of-big-literals", "10**25000/10**25000*x", None),
    # Logarithm bases next to 1: SymPy's own evaluation divides by a log that rounds to 0.
    Case("log-base-next-to-1", "log(x, 1+1e-300)", None),
    Case("log-of-base-next-to-1", "x*log(2, 1+1e-300)", None),
    Case("log-base-one", "log(x, 1)", BAD_NUMBER),
    # Constants SymPy folds to zoo, oo or nan.
    Case("folds-to-zoo", "x*log(0)", BAD_NUMBER),
    Case("folds-to-zoo-tan", "x + tan(pi/2)", BAD_NUMBER),
    Case("folds-to-nan", "x + 0*log(0)", BAD_NUMBER),
    Case("folds-to-oo", "x**0*atanh(1)", BAD_NUMBER),
    Case("computed-x-plus-1-to-10-to-10", "(x+1)**(10**10)", None),
    # Overly long input.
    Case("too-long-sum", "x+" * 5_000 + "x", TOO_LONG),
    Case("too-long-blanks", " " * 10_001 + "x", TOO_LONG),
    Case("too-long-digits", "1" * 10_001, TOO_LONG),
    Case("too-long-brackets", "[" * 5_000 + "x" + "]" * 5_000, TOO_LONG),
    # Deep nesting. Python's parser refuses more than 200 nested parentheses itself.
    Case("deep-parentheses", "(" * 500 + "x" + ")" * 500, SYNTAX),
    Case("deep-parentheses-unclosed", "(" * 5_000, SYNTAX),
    Case("deep-sin", "sin(" * 300 + "x" + ")" * 300, SYNTAX),
    Case(
        "deep-minus",
        "-" * 5_000 + "x",
        TOO_DEEP,
        # On the command line, a text starting with '--' reads as an option (README: write '--' first).
        argv_kind=USAGE,
    ),
    Case("deep-minus-after-term", "x+" + "-" * 5_000 + "x", TOO_DEEP),
    Case("deep-plus-minus", "+-" * 4_000 + "x", TOO_DEEP),
    Case("deep-power", "x**" * 200 + "x", TOO_DEEP),
    Case("deep-not", "not " * 2_000 + "x", KEYWORD),
    Case("deep-lambda", "lambda:" * 1_000 + "x", KEYWORD),
    # Flat sums under the length limit are long, not deep: both sides compute them.
    Case("wide-sum-of-sin", "+".join(["sin(x)"] * 1_400), None),
    Case("wide-sum-of-x", "x+" * 4_999 + "x", None),
)

#: Cases run again with --json to pin error.kind on the command line (every kind, every family).
JSON_SUBSET: Final = frozenset(
    {
        "import-os-system",
        "dunder-bases",
        "dunder-x-class",
        "lambda-call",
        "exec-call",
        "open-call",
        "list-comprehension",
        "statement-import",
        "statement-assign",
        "walrus",
        "f-string",
        "string-literal",
        "subscript",
        "attribute",
        "complex-literal",
        "shell-substitution",
        "shell-pipe",
        "unknown-foo",
        "arity-sin-two",
        "arity-atan2-one",
        "syntax-start",
        "syntax-middle",
        "syntax-end",
        "unmatched-open",
        "cyrillic-x",
        "fullwidth-x",
        "greek-alpha",
        "zero-width-space",
        "byte-order-mark",
        "right-to-left-override",
        "escape-sequence",
        "compare-less",
        "boolean-and",
        "tower-9-9-9-9",
        "exponent-literal-huge",
        "literal-20000-digits",
        "literal-9000-digits",
        "computed-10-to-400-times-x",
        "too-long-sum",
        "deep-parentheses",
        "deep-minus",
        "deep-power",
        "wide-sum-of-sin",
    }
)


@dataclass(frozen=True, slots=True)
class RawLine:
    """A batch input line written byte for byte (not built by json.dumps)."""

    data: bytes
    kind: str | None
    #: The id the output line must carry; absent when the input has none.
    id: str | None = None


#: Lines of a batch that are not well-formed problems (CANARY is replaced here too).
RAW_LINES: Final[tuple[RawLine, ...]] = (
    RawLine(b'{"expr": ', BAD_LINE),
    RawLine(b'{"expr": "x\x00"}', BAD_LINE),
    RawLine(b"x\x00y", BAD_LINE),
    RawLine(b"[1,2]", BAD_LINE),
    RawLine(b'"string"', BAD_LINE),
    RawLine(b"null", BAD_LINE),
    RawLine(b"{}", BAD_LINE),
    RawLine(b"", BAD_LINE),
    RawLine(b"   ", BAD_LINE),
    RawLine(b'{"expr": 1}', BAD_LINE),
    RawLine(b'{"expr": "x", "evil": 1}', BAD_LINE),
    RawLine(b'{"expr": "x", "at": {"x": NaN}}', BAD_LINE),
    RawLine(b'{"expr": "x", "at": {"x": Infinity}}', BAD_LINE),
    RawLine(b"[" * 100_000, BAD_LINE),
    RawLine(b"[" * 100_001, TOO_LONG),
    RawLine(b'\xff\xfe{"expr": "x"}', BAD_LINE),
    RawLine(b'{"expr": "x", "at": 1}\rtouch CANARY_PATH', BAD_LINE),
    RawLine(b'{"expr": "x\xc3", "at": 1, "id": "raw-invalid-utf8"}', NON_ASCII, "raw-invalid-utf8"),
    RawLine(
        b'{"expr": "x", "at": {"x": "__import__(\'os\')"}, "id": "raw-at-dunder"}',
        NOT_ALLOWED,
        "raw-at-dunder",
    ),
    RawLine(b'{"expr": "x", "at": {"__class__": 1}}', NOT_ALLOWED),
    RawLine(b'{"expr": "x", "at": {"x": true}}', BAD_POINT),
    RawLine(b'{"expr": "x", "at": {"x": 1e999}}', BAD_POINT),
    RawLine(b'{"expr": "x", "at": 1, "order": 1000000}', BAD_OPTION),
    RawLine(b'{"expr": "x", "at": 1, "wrt": "__class__"}', BAD_OPTION),
    RawLine(b'{"expr": "x", "at": 1, "order": true}', BAD_LINE),
    # After all of the above, the batch still computes.
    RawLine(b'{"expr": "x**2", "at": 3, "id": "still-computes"}', None, "still-computes"),
)


def _env() -> dict[str, str]:
    """The environment of a run: no colour, and this checkout's derivcli first on the path."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("DERIV_DEBUG", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@dataclass(frozen=True, slots=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def _deriv(args: list[str], *, cwd: Path, stdin: bytes | None = None) -> Run:
    completed = subprocess.run(
        [sys.executable, "-m", "derivcli", *args],
        cwd=cwd,
        env=_env(),
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return Run(
        completed.returncode,
        completed.stdout.decode("utf-8", errors="replace"),
        completed.stderr.decode("utf-8", errors="replace"),
    )


def _with_canary(text: str, canary: Path) -> str:
    return text.replace(CANARY, str(canary))


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def assert_one_error_message(stderr: str) -> None:
    """One ``deriv: error:`` line, and at most the echoed source with a caret line under it.

    That is the documented shape of every refusal (README, Safety): the message,
    then, when the error has a column, the text and a caret. Nothing else: no
    usage block, no warning, no control character that a terminal would act on.
    """
    lines = stderr.splitlines()
    assert lines, "nothing on stderr"
    assert lines[0].startswith("deriv: error: "), stderr
    assert len(lines) in (1, 3), stderr
    if len(lines) == 3:
        assert lines[1].startswith("  "), stderr
        caret = lines[2]
        assert caret.startswith("  "), stderr
        assert set(caret.strip()) == {"^"}, stderr
    for line in lines:
        assert line.isprintable(), f"unprintable character on stderr: {line!r}"


def _argv_params(cases: tuple[Case, ...]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


ARGV_CASES: Final = tuple(case for case in CASES if case.on_argv())


def test_corpus_is_well_formed() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert set(ids) >= JSON_SUBSET
    assert all(len(case.text) > 10_000 for case in CASES if case.kind == TOO_LONG)


@pytest.mark.parametrize("case", _argv_params(ARGV_CASES))
def test_refused_cleanly_on_the_command_line(case: Case, tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    run = _deriv(["eval", _with_canary(case.text, canary), "--at", "x=1"], cwd=tmp_path)
    assert "Traceback" not in run.stdout + run.stderr
    assert not canary.exists()
    if case.expected_argv_kind() is None:
        assert (run.returncode, run.stderr) == (0, ""), run.stderr
        # A long expression wraps right after "f(x) =" (whose trailing space is trimmed).
        assert run.stdout.startswith(("f(x) = ", "f(x) =\n"))
        return
    assert run.returncode == 2, run.stderr
    assert_one_error_message(run.stderr)


@pytest.mark.parametrize("case", _argv_params(tuple(case for case in ARGV_CASES if case.id in JSON_SUBSET)))
def test_error_kind_under_json(case: Case, tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    run = _deriv(["eval", _with_canary(case.text, canary), "--at", "x=1", "--json"], cwd=tmp_path)
    assert "Traceback" not in run.stdout + run.stderr
    assert not canary.exists()
    document = _strict_json(run.stdout)
    expected = case.expected_argv_kind()
    if expected is None:
        assert (run.returncode, run.stderr) == (0, ""), run.stderr
        assert "error" not in document
        assert document["points"][0]["derivatives"]["x"]["autograd"] is not None
        return
    assert run.returncode == 2, run.stderr
    assert document["error"]["kind"] == expected, document
    assert_one_error_message(run.stderr)


def _batch_line(case: Case, canary: Path) -> bytes:
    problem = {"expr": _with_canary(case.text, canary), "at": {"x": 1}, "id": case.id}
    # json.dumps escapes NUL, controls and every non-ASCII character: one physical line each.
    return json.dumps(problem).encode("ascii")


def test_every_case_in_one_batch(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    lines: list[bytes] = []
    expected: list[tuple[str | None, str | None]] = []  # (id or None when absent, kind or None when ok)
    for case in CASES:
        lines.append(_batch_line(case, canary))
        expected.append((case.id, case.kind))
    for raw in RAW_LINES:
        lines.append(raw.data.replace(CANARY.encode(), str(canary).encode()))
        expected.append((raw.id, raw.kind))
    assert all(b"\n" not in line for line in lines)

    run = _deriv(["batch"], cwd=tmp_path, stdin=b"\n".join(lines) + b"\n")

    assert "Traceback" not in run.stdout + run.stderr
    assert not canary.exists()
    assert run.returncode == 2, run.stderr
    errors = sum(kind is not None for _, kind in expected)
    summary, rows = run.stderr.splitlines()[:2]
    assert rows.startswith("deriv batch: ")
    assert rows.endswith(" unexplained")
    assert summary.startswith(
        f"deriv batch: {len(lines) - errors:,} ok, {errors:,} errors, {len(lines):,} lines in "
    ), summary
    outputs = run.stdout.splitlines()
    assert len(outputs) == len(lines)
    for number, (output, (case_id, kind)) in enumerate(zip(outputs, expected, strict=True), start=1):
        document = _strict_json(output)
        assert isinstance(document, dict), output
        assert document["line"] == number, output
        if case_id is None:
            assert "id" not in document, output
        else:
            assert document.get("id") == case_id, output
        if kind is None:
            assert "error" not in document, output
            assert document["points"], output
        else:
            assert document.get("error", {}).get("kind") == kind, (number, case_id, output)
