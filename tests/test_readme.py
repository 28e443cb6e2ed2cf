"""README.md stays true: its two commands and its sample answer match what the code does."""

from __future__ import annotations

import io
import re

import pytest

from bot.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _blocks(section: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.DOTALL)


def test_the_two_commands_are_there() -> None:
    assert "smtpbot explain 451" in _blocks(_section("Try it"))[0]
    assert "python3 -m pytest" in _blocks(_section("Run the tests"))[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in ci


def test_sample_answers_are_what_explain_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = _blocks(_section("What an answer looks like"))
    assert len(blocks) >= 6  # three inputs, each followed by its answer
    for paste, answer in zip(blocks[0::2], blocks[1::2], strict=True):
        # The README wraps a one-line paste at spaces; a multi-line paste (DSN fields)
        # keeps its lines.
        fields = all(re.match(r"[A-Z][\w-]*: ", line) for line in paste.splitlines())
        text = paste if fields else " ".join(paste.split())
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
        assert main(["explain", "-"]) == 0
        printed = capsys.readouterr().out
        # The README wraps long lines; compare the words in order.
        assert answer.split() == printed.split()
