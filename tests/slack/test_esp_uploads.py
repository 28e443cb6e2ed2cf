"""ESP event payloads and MTA log excerpts in Slack: pasted unasked in a channel or uploaded,
each gives one answer naming every recipient the sample holds (tests/data/esp/expected.json),
with the service as reporter, its own category, and delivered lines counted, not explained."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_slack import payloads as p
from slack_helpers import RunningApp, posted_text

DATA = Path(__file__).resolve().parents[1] / "data"
EXPECTED: dict[str, Any] = {
    name: value
    for name, value in json.loads((DATA / "esp" / "expected.json").read_text()).items()
    if not name.startswith("_")
}
SAMPLES = sorted(EXPECTED)
MIMETYPES = {".json": "application/json", ".jsonl": "application/x-ndjson"}


def _as_slack_sends(text: str) -> str:
    """A paste as the Events API delivers it: & < > as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _answer(app: RunningApp, ts: str) -> Any:
    def answered(calls: list[Any]) -> bool:
        return any(c.params.get("thread_ts") == ts for c in calls if c.ok)

    app.fake.wait_for(answered, timeout=20)
    app.fake.settle(0.3)
    answers = [c for c in app.fake.calls("chat.postMessage") if c.params.get("thread_ts") == ts]
    assert len(answers) == 1, [posted_text(c) for c in answers]
    return answers[0]


def _check_recipients(answer: Any, sample: str) -> None:
    shown = posted_text(answer)
    verdicts = EXPECTED[sample]["verdicts"]
    for recipient, _klass, _reason, reporter, category in verdicts:
        assert recipient in shown, (sample, recipient)
        assert reporter in shown, (sample, reporter)
        assert json.dumps(category)[1:-1].split("/")[0].strip() in shown, (sample, category)
    if len(verdicts) > 1:
        assert f"{len(verdicts)} recipients" in str(answer.params["text"])
    delivered = EXPECTED[sample].get("delivered", 0)
    if delivered:
        assert "for delivered mail, not explained" in shown
    assert len(answer.params["blocks"]) <= 50


@pytest.mark.parametrize("sample", SAMPLES)
def test_pasted_esp_payload_is_answered_per_recipient(slack_app: RunningApp, sample: str) -> None:
    text = (DATA / "esp" / sample).read_text()
    ts = p.next_ts()
    slack_app.event(p.message(_as_slack_sends(text), ts=ts))  # nobody addressed the bot
    _check_recipients(_answer(slack_app, ts), sample)


@pytest.mark.parametrize("sample", SAMPLES)
def test_uploaded_esp_payload_is_answered_per_recipient(slack_app: RunningApp, sample: str) -> None:
    content = (DATA / "esp" / sample).read_bytes()
    mimetype = MIMETYPES[Path(sample).suffix]
    info = slack_app.fake.add_file(f"F{abs(hash(sample)) % 10**8}", sample, content, mimetype)
    ts = p.next_ts()
    slack_app.event(p.message("", subtype="file_share", files=[info], ts=ts))
    _check_recipients(_answer(slack_app, ts), sample)


def test_ses_answer_shows_reporter_category_suppression_and_outcome(
    slack_app: RunningApp,
) -> None:
    text = (DATA / "esp" / "ses_bounce_sns.json").read_text()
    ts = p.next_ts()
    slack_app.event(p.message(_as_slack_sends(text), ts=ts))
    shown = posted_text(_answer(slack_app, ts))
    assert "*Reported by*\\nAmazon SES" in shown
    assert "*Amazon SES's category*\\nPermanent / General" in shown
    assert "*Suppress the address*\\nYes" in shown
    assert "*Outcome*\\nPermanent failure" in shown


def test_other_json_pasted_unasked_gets_no_answer(slack_app: RunningApp) -> None:
    ts = p.next_ts()
    slack_app.event(p.message('{"status": 550, "retries": 4, "queue": "outbound"}', ts=ts))
    later = p.next_ts()
    slack_app.event(p.message(
        "550 5.1.1 &lt;bob@example.com&gt;: Recipient address rejected: User unknown", ts=later
    ))
    _answer(slack_app, later)
    assert not [c for c in slack_app.fake.calls("chat.postMessage")
                if c.params.get("thread_ts") == ts]


@pytest.mark.parametrize("upload", [False, True], ids=["pasted", "uploaded"])
def test_a_200_line_postfix_log_gives_one_grouped_answer(
    slack_app: RunningApp, upload: bool
) -> None:
    log = (DATA / "logs" / "postfix_200.log").read_text()
    assert len(log.splitlines()) == 200
    ts = p.next_ts()
    if upload:
        info = slack_app.fake.add_file("F0POSTFIX", "maillog.log", log.encode(), "text/plain")
        slack_app.event(p.message("", subtype="file_share", files=[info], ts=ts))
    else:
        slack_app.event(p.message(_as_slack_sends(log), ts=ts))
    answer = _answer(slack_app, ts)
    shown = posted_text(answer)
    # A recipient whose last line is status=sent was delivered in the end: not a failure.
    last: dict[str, str] = {}
    for line in log.splitlines():
        if " to=<" in line and " status=" in line:
            recipient = line.split(" to=<", 1)[1].split(">", 1)[0]
            last[recipient] = line.split(" status=", 1)[1].split(" ", 1)[0]
    failed = sorted(r for r, status in last.items() if status != "sent")
    assert failed and f"{len(failed)} recipients" in str(answer.params["text"])
    # Grouped: one section per reason, each naming its recipients.
    assert shown.count("*Recipients:*") == len({b for b in _reasons(answer)})
    for recipient in failed:
        assert recipient in shown
    delivered = sum("status=sent" in line for line in log.splitlines())
    assert f"{delivered} lines were for delivered mail, not explained" in shown
    blocks = answer.params["blocks"]
    assert len(blocks) <= 50
    assert all(len(json.dumps(b)) < 3500 for b in blocks)


def _reasons(answer: Any) -> list[str]:
    text = str(answer.params["text"])
    return text.split(": ", 1)[1].split(" — ")[0].split(", ")
