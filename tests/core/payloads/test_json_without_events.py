"""JSON that is not a known service's events, or broken JSON: no phantom recipients.

A verdict comes only from a string value that holds a real SMTP reply itself, and then
without a recipient: an address under an arbitrary key is never taken for one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.explain import explain

DATA = Path(__file__).resolve().parents[2] / "data" / "esp"

UNKNOWN = [
    {"user": {"email": "alice@example.com", "status": "active"}, "plan": "pro"},
    [{"to": "bob@example.com", "state": "blocked"}, {"to": "carol@example.com"}],
    {"email": "dave@example.com", "event": "open", "ip": "192.0.2.7"},
    {"error": "mailbox full", "recipient": "erin@example.com"},
    {"version": "5.2.2", "port": 550, "owner": "frank@example.com"},
]


@pytest.mark.parametrize("value", UNKNOWN)
def test_unknown_json_gives_nothing(value: object) -> None:
    report = explain(json.dumps(value, indent=2))
    assert not report.bounce
    assert report.verdicts == []


def test_unknown_json_with_a_real_reply_gives_it_without_recipient() -> None:
    value = {
        "ticket": 4711,
        "owner": "gina@example.com",
        "log": "remote said: 550 5.7.1 Service unavailable; client [192.0.2.1] blocked using "
        "zen.spamhaus.org",
    }
    report = explain(json.dumps(value))
    [verdict] = report.verdicts
    assert verdict.recipient is None
    assert verdict.reason == "blocked"
    assert verdict.reporter is None


def test_broken_json_of_a_known_kind_gives_no_phantom_recipients() -> None:
    text = (DATA / "ses_bounce_bare.json").read_text(encoding="utf-8")
    broken = text[: len(text) // 2]  # cut in the middle, as a chat client might
    report = explain(broken)
    assert all(v.recipient is None for v in report.verdicts)
    # The reply inside the cut text is still a reply: read, but for no one in particular.
    assert [v.reason for v in report.verdicts] == ["mailboxfull"]


@pytest.mark.parametrize(
    "text",
    ['{"email": "hank@example.com", "reason": ', '[{"to": "ivan@example.com"}, {', "{}", "[]"],
)
def test_broken_or_empty_json_without_reply(text: str) -> None:
    assert explain(text).verdicts == []


def test_brackets_that_are_not_json_are_read_as_text() -> None:
    report = explain("[TSS04] 421 4.7.0 Messages from 192.0.2.1 temporarily deferred")
    assert report.bounce and report.verdicts[0].delivery_class == "transient"


def test_scan_of_other_json_reports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "author": "a@example.com"}))
    (tmp_path / "broken.jsonl").write_text('{"email": "b@example.com", "event": \n')
    assert main(["scan", "--json", "--no-progress", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""
