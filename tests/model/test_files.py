"""Output files checked before any work: writable, and never one file named twice or named as the input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from derivcli.errors import DerivError, ErrorKind
from derivcli.model.files import check_outputs


def refusal(outputs: list[tuple[str, str]], inputs: list[tuple[str, str]] | None = None) -> str:
    with pytest.raises(DerivError) as caught:
        check_outputs(outputs, inputs=inputs or [])
    assert caught.value.kind is ErrorKind.BAD_OPTION
    return caught.value.message


def test_one_file_under_two_names_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert refusal([("--csv", "f"), ("--jsonl", "./f")]) == "--csv and --jsonl name the same file 'f'"
    assert refusal([("--csv", "f.png"), ("--plot", "f.png")]) == "--csv and --plot name the same file 'f.png'"
    (tmp_path / "target.csv").write_text("")
    os.symlink("target.csv", tmp_path / "link.csv")
    assert (
        refusal([("--csv", "link.csv"), ("--jsonl", "target.csv")])
        == "--csv and --jsonl name the same file 'link.csv'"
    )


def test_an_output_that_is_the_input_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_text("{}\n")
    os.symlink("in.jsonl", tmp_path / "alias.jsonl")
    assert (
        refusal([("--output", "alias.jsonl")], [("FILE", "in.jsonl")])
        == "--output 'alias.jsonl' is the input file 'in.jsonl': writing it would destroy the input"
    )


def test_missing_folders_and_folders_are_refused_before_any_work(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "plot.png")
    assert refusal([("--plot", missing)]) == f"--plot: cannot write {missing!r}: No such file or directory"
    assert refusal([("--dot", str(tmp_path))]) == f"--dot: cannot write {str(tmp_path)!r}: Is a directory"


def test_stdout_devices_and_distinct_files_pass(tmp_path: Path) -> None:
    check_outputs([("--csv", "-"), ("--jsonl", "-")])  # stdout conflicts are the command's to judge
    check_outputs([("--csv", os.devnull), ("--jsonl", os.devnull)])  # writing /dev/null twice harms nothing
    check_outputs([("--csv", str(tmp_path / "a.csv")), ("--jsonl", str(tmp_path / "a.jsonl"))])
