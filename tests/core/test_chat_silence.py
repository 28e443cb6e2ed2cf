"""Unasked text (a channel message) is answered only for a failure report or a code question.

The lines live in tests/data/chat/ (README there says where each file came from); they
go through `explain(text, strict=True)`, the call Slack's automatic answers make.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.core.explain import explain
from bot.core.speak import find

DATA = Path(__file__).resolve().parents[1] / "data" / "chat"
CHAT_FILES = ("fortunes.txt", "manpages.txt", "emailops.txt")


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line.replace("\\n", "\n") for line in text.splitlines() if line.strip()]


def test_the_sets_are_as_large_as_promised() -> None:
    installed = len(_lines("fortunes.txt")) + len(_lines("manpages.txt"))
    assert installed >= 2_000
    assert len(set(_lines("emailops.txt"))) >= 300
    assert len(set(_lines("failures.txt"))) >= 100


@pytest.mark.parametrize("name", CHAT_FILES)
def test_ordinary_chat_is_never_answered(name: str) -> None:
    answered = [line for line in _lines(name) if explain(line, strict=True).bounce]
    assert answered == []


def test_every_failure_line_is_answered_with_a_code_or_reason() -> None:
    missed = []
    for line in _lines("failures.txt"):
        report = explain(line, strict=True)
        if not report.bounce or not report.verdicts:
            missed.append(line)
            continue
        verdict = report.verdicts[0]
        if not (verdict.replycode or verdict.status or verdict.reason):
            missed.append(line)
    assert missed == []


@pytest.mark.parametrize(
    ("text", "replycode", "status"),
    [
        ("anyone seen 4.7.650 from outlook?", None, "4.7.650"),
        ("what does 550 5.7.1 mean", "550", "5.7.1"),
        ("we get 421 4.7.0 from Yahoo", "421", "4.7.0"),
        ("what is 5.7.708", None, "5.7.708"),
        ("getting 550 errors from gmail since noon", "550", None),
        ("seeing lots of 4.7.28 deferrals from gmail", None, "4.7.28"),
    ],
)
def test_a_code_named_in_a_question_is_answered_as_that_code(
    text: str, replycode: str | None, status: str | None
) -> None:
    report = explain(text, strict=True)
    assert report.bounce
    (verdict,) = report.verdicts
    assert replycode is None or verdict.replycode == replycode
    assert status is None or verdict.status == status


@pytest.mark.parametrize(
    "text",
    [
        "release 5.2.2 of the mail gateway is out",
        "we upgraded postfix to 3.7.11, smtp works fine",
        "upgraded dovecot to 5.1.1, the mailbox index is rebuilt",
        "see section 4.2.1 of the runbook about bounces",
        "the meeting is in room 550, bring the DMARC numbers",
        "we're getting 503 errors from the API gateway",
        "HTTP 550? no, that was the mail server, ignore me",
        "550 messages bounced yesterday, mostly old addresses",
        "421 more emails got deferred after lunch",
        "PR #451 fixes the bounce parser",
        "the price was 550 instead of 450 in the email",
        "Mailbox full",
        "User unknown",
        "Recipient address rejected",
        "451",
        "5.7.26",
    ],
)
def test_numbers_and_words_in_prose_are_not_reports(text: str) -> None:
    assert not explain(text, strict=True).bounce


@pytest.mark.parametrize("text", ["Mailbox full", "User unknown", "451", "5.7.26"])
def test_an_explicit_request_still_reads_words_and_bare_codes(text: str) -> None:
    """/smtp, @mentions and the CLI call explain() without strict: they always answer."""
    assert explain(text).bounce


def test_slack_escaping_is_undone_before_the_evidence_is_read() -> None:
    text = "&lt;bob@example.com&gt;: host mx.example.com[192.0.2.1] said: 550 5.1.1 No such user"
    report = explain(text, strict=True)
    assert report.bounce
    assert report.verdicts[0].recipient == "bob@example.com"


def test_a_whole_email_speaks_only_through_its_parser() -> None:
    chat_mail = (
        "From: ana@example.com\nTo: ops@example.com\nSubject: lunch\n\n"
        "my mailbox is full lol, and the DKIM key was rotated\n"
    )
    assert not explain(chat_mail, strict=True).bounce


def test_the_evidence_scan_grows_linearly() -> None:
    """Ten times the text takes about ten times as long (a wide margin for a busy machine)."""
    unit = "550 people said: the 4.2 quarter <a@b> ** x@y.z == 5.1 # status: "

    def cost(repeats: int) -> float:
        text = unit * repeats
        start = time.perf_counter()
        for _ in range(3):
            find(text)
        return time.perf_counter() - start

    small = min(cost(150) for _ in range(3))
    large = min(cost(1_500) for _ in range(3))
    assert large < small * 60


def test_a_pasted_delay_warning_is_a_transient_report() -> None:
    """A warning that names no code is still a report: the message is queued (issue 10 §4)."""
    text = (
        "    **      THIS IS A WARNING MESSAGE ONLY      **\n"
        "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n\n"
        "Delivery to the following recipients has been delayed:\n\n"
        "    tomas@example.net\n\n"
        "Message will be retried for 2 more day(s)"
    )
    for strict in (False, True):
        report = explain(text, strict=strict)
        assert report.bounce
        (verdict,) = report.verdicts
        assert (verdict.recipient, verdict.delivery_class) == ("tomas@example.net", "transient")


def test_pasted_bounce_bodies_are_answered_unasked() -> None:
    """The text of the corpus bounces, pasted without headers, is mostly a report in mail
    syntax; the rest says what happened in words only (answered on request)."""
    from bot.core.mail.message import BounceMessage
    from tests.conftest import CORPUS

    emails = sorted((CORPUS / "emails").rglob("*.eml"))
    answered = 0
    for path in emails:
        body = BounceMessage(path.read_bytes()).body[:20_000]
        answered += explain(body, strict=True).bounce
    assert len(emails) >= 500
    assert answered >= 440  # 455 of 535 when written
