"""Every console example in the README, run and compared, so that the README cannot drift.

Each ``$ deriv ...`` line of a ```` ```console ```` block runs in-process, with
``COLUMNS=120`` unless the line sets it, and its stdout then stderr (unless
``2>/dev/null``) must be the lines under it. A ``| jq -c 'PATH'`` at the end is
applied here (paths such as ``.points[0].derivatives.x`` and ``.rewrites[]``),
so jq need not be installed. Lines that parse as JSON are compared as JSON (the
README folds indented lists); a line ``...`` stands for any lines; timings and
thread counts are masked. An example without output lines only shows usage,
and is not run.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from derivcli.cli import app
from tests.conftest import FIXTURES, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DEFAULT_COLUMNS = "120"
#: What changes from run to run or machine to machine: the time a grid took, its rate, torch's
#: thread count, torch's version.
_VARYING = (
    (re.compile(r"in [0-9.e+-]+ s \([0-9.]+ [kMG]?points/s"), "in <time> s (<rate> points/s"),
    (re.compile(r"\b\d+ threads\b"), "<n> threads"),
    (re.compile(r"\btorch \d+\.\d+\.\d+(\+\w+)?"), "torch <version>"),
)


@dataclass(frozen=True)
class Example:
    """One command of the README and the output shown under it."""

    command: str
    expected: tuple[str, ...]
    line: int


def examples() -> Iterator[Example]:
    """Every ``$ deriv`` command of the README's console blocks that shows output."""
    for match in re.finditer(r"```console\n(.*?)```", README, re.S):
        first_line = README.count("\n", 0, match.start()) + 2
        lines = match.group(1).splitlines()
        index = 0
        while index < len(lines):
            if not lines[index].startswith("$ "):
                index += 1
                continue
            start = index
            index += 1
            while index < len(lines) and not lines[index].startswith("$ "):
                index += 1
            output = tuple(lines[start + 1 : index])
            while output and not output[-1].strip():
                output = output[:-1]
            if output:
                yield Example(lines[start][2:], output, first_line + start)


def _jq(document: Any, path: str) -> list[Any]:
    """The values a jq path such as ``.a.b[0].c`` or ``.a[]`` picks."""
    values = [document]
    for name, index, spread in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|(\[\])", path):
        if name:
            values = [value[name] for value in values]
        elif index:
            values = [value[int(index)] for value in values]
        elif spread:
            values = [item for value in values for item in value]
    return values


def run(example: Example, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lines the command prints, stdout then stderr, as a terminal of its COLUMNS would show them."""
    command, _, jq_part = example.command.partition(" | jq ")
    words = shlex.split(command, comments=True)
    env = {"NO_COLOR": "1", "COLUMNS": DEFAULT_COLUMNS}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[0] == "deriv", example.command
    keep_stderr = "2>/dev/null" not in words
    arguments = [word for word in words[1:] if word != "2>/dev/null"]
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(app, arguments, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    output = result.stdout + (result.stderr if keep_stderr else "")
    if jq_part:
        flags = shlex.split(jq_part)
        assert flags[0] == "-c", example.command
        values = _jq(json.loads(output), flags[1])
        return [json.dumps(value, separators=(",", ":")) for value in values]
    return output.splitlines()


def _masked(line: str) -> str:
    for pattern, mask in _VARYING:
        line = pattern.sub(mask, line)
    return line.rstrip()


def _as_json(lines: list[str]) -> Any:
    """The lines as one JSON value (versions masked: they are the machine's), or None."""
    try:
        value = json.loads("\n".join(lines))
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("versions"), dict):
        value["versions"] = dict.fromkeys(value["versions"], "<version>")
    return value


def _numbers_alike(expected: Any, actual: Any) -> bool:
    """JSON equal, 1 and 1.0 alike (jq prints whole floats as integers)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _numbers_alike(expected[k], actual[k]) for k in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(_numbers_alike, expected, actual))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual)


def matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    """True when the output is the README's, with ``...`` standing for any lines."""
    if "..." not in expected:
        parsed = _as_json(list(expected))
        if parsed is not None:
            return _numbers_alike(parsed, _as_json(actual))
        if all(_as_json([line]) is not None for line in expected) and len(expected) == len(actual):
            return all(
                _numbers_alike(json.loads(want), _as_json([got]))
                for want, got in zip(expected, actual, strict=True)
            )
    pattern = "\n".join(".*?" if line == "..." else re.escape(_masked(line)) for line in expected)
    return re.fullmatch(pattern, "\n".join(_masked(line) for line in actual), re.S) is not None


EXAMPLES = list(examples())


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"line-{item.line}" for item in EXAMPLES])
def test_readme_example(example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if "--device cuda" in example.command:
        torch = pytest.importorskip("torch")
        if torch.cuda.is_available():
            pytest.skip("the example shows a machine without CUDA")
    # deriv check's example loads the tutorial's file under the name the README gives it.
    shutil.copy(FIXTURES / "lab_ops.py", tmp_path / "my_ops.py")
    actual = run(example, tmp_path, monkeypatch)
    assert matches(example.expected, actual), "\n".join(
        [
            f"README line {example.line}: $ {example.command}",
            "--- README",
            *example.expected,
            "--- actual",
            *actual,
        ]
    )
