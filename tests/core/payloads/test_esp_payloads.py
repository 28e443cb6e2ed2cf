"""Every sample in tests/data/esp/ pasted through `explain` and scanned through the CLI.

The samples are written from each service's documented schema (see the docstring of
each module in bot/core/payloads/); tests/data/esp/expected.json says, per sample, which
recipients come out with which class, reason, reporter and start of the service's own
category, and how many delivered events are counted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.core.explain import explain

DATA = Path(__file__).resolve().parents[2] / "data" / "esp"
EXPECTED: dict[str, Any] = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
SAMPLES = sorted(name for name in EXPECTED if not name.startswith("_"))


def test_every_sample_has_expectations() -> None:
    on_disk = sorted(p.name for p in DATA.iterdir() if p.name != "expected.json")
    assert on_disk == SAMPLES


def _check(verdicts: list[dict[str, Any]], expected: list[list[str | None]]) -> None:
    assert [v["recipient"] for v in verdicts] == [row[0] for row in expected]
    for verdict, (recipient, klass, reason, reporter, category) in zip(
        verdicts, expected, strict=True
    ):
        assert verdict["class"] == klass, recipient
        if reason != "*":
            assert verdict["reason"] == reason, recipient
        assert verdict["reporter"] == reporter, recipient
        assert str(verdict["esp_category"]).startswith(str(category)), (recipient, verdict)
        # The server's words are shown as they were sent, never the surrounding JSON.
        assert "{" not in (verdict["diagnostic"] or ""), recipient
        assert str(reporter) in verdict["explanation"], recipient


@pytest.mark.parametrize("name", SAMPLES)
def test_pasted(name: str) -> None:
    report = explain((DATA / name).read_text(encoding="utf-8"))
    expected = EXPECTED[name]
    out = report.to_dict()
    _check(out["verdicts"], expected["verdicts"])
    assert report.delivered == expected["delivered"]
    assert report.bounce == bool(expected["verdicts"])


@pytest.mark.parametrize("name", SAMPLES)
def test_scanned(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--json", "--no-progress", str(DATA / name)])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    _check(records, EXPECTED[name]["verdicts"])
    assert all(r["format"].startswith("esp") for r in records)


def test_scan_summary_and_csv_show_the_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-progress", str(DATA / "sparkpost_events.json")]) == 0
    out = capsys.readouterr().out
    assert "By reporter's own category" in out
    assert "SparkPost: bounce / 10 Invalid Recipient (Hard)" in out
    assert main(["scan", "--csv", "--no-progress", str(DATA / "sendgrid_events.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split(",")
    assert "esp_category" in header and "reporter" in header
    assert "dropped: Bounced Address" in "\n".join(lines)


def test_complaints_are_feedback_not_bounces() -> None:
    report = explain((DATA / "ses_complaint.json").read_text(encoding="utf-8"))
    [verdict] = report.verdicts
    assert verdict.reason == "feedback"
    assert verdict.feedback_type == "abuse"
    assert "not a bounce" in verdict.explanation


def test_a_delay_is_temporary_whatever_the_quoted_code() -> None:
    event = {
        "eventType": "DeliveryDelay",
        "mail": {"destination": ["kim@example.com"]},
        "deliveryDelay": {
            "delayType": "MailboxFull",
            "delayedRecipients": [{"emailAddress": "kim@example.com", "status": "5.2.2"}],
        },
    }
    [verdict] = explain(json.dumps(event)).verdicts
    assert verdict.delivery_class == "transient"
    assert verdict.reason == "mailboxfull"


def test_json_lines_and_arrays_and_envelopes_read_alike() -> None:
    one = json.loads((DATA / "ses_bounce_bare.json").read_text(encoding="utf-8"))
    as_lines = "\n".join(json.dumps(one) for _ in range(2))
    lambda_batch = json.dumps({"Records": [{"Sns": {"Message": json.dumps(one)}}]})
    for text in (as_lines, json.dumps([one, one]), lambda_batch):
        recipients = [v.recipient for v in explain(text).verdicts]
        assert set(recipients) == {"carol@example.com", "dave@example.org"}, text[:40]


def test_mandrill_form_field_is_decoded() -> None:
    from urllib.parse import quote_plus

    events = (DATA / "mandrill_events.json").read_text(encoding="utf-8")
    report = explain("mandrill_events=" + quote_plus(events))
    assert [v.recipient for v in report.verdicts][:2] == ["wes@example.com", "xena@example.org"]


@pytest.mark.parametrize("fence", ["```{}```", "```\n{}\n```", "```json\n{}\n```"])
def test_json_in_a_code_block(fence: str) -> None:
    payload = (DATA / "postmark_bounce.json").read_text(encoding="utf-8").strip()
    report = explain(fence.replace("{}", payload))
    assert [v.recipient for v in report.verdicts] == ["paul@example.com"]
    assert report.verdicts[0].reporter == "Postmark"


def test_json_lines_file_is_scanned_line_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bounce = json.loads((DATA / "brevo_hard_bounce.json").read_text(encoding="utf-8"))
    lines = []
    for n in range(300):
        event = dict(bounce, email=f"user{n}@example.com")
        lines.append(json.dumps(event) if n % 100 else "")  # blank lines are skipped
    archive = tmp_path / "archive.ndjson"
    archive.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["scan", "--json", "--no-progress", str(archive)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 297
    assert records[0]["message"] == 2 and records[0]["recipient"] == "user1@example.com"
    assert {r["reason"] for r in records} == {"userunknown"}
