"""RFC 3464 / 6533 DSNs, ARF feedback reports, RFC 3834 auto-replies and the fallback reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.mail.common import (
    find_addresses,
    split_returned,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats import detectors
from bot.core.mail.formats.arf import DETECTOR as ARF
from bot.core.mail.formats.fallback import DETECTOR as FALLBACK
from bot.core.mail.formats.rfc3464 import DETECTOR as RFC3464
from bot.core.mail.formats.rfc3464 import dsn_evidence
from bot.core.mail.formats.rfc3834 import DETECTOR as RFC3834
from bot.core.mail.message import BounceMessage
from bot.core.scan import read_with, scan


def _msg(text: str) -> BounceMessage:
    return BounceMessage(text.encode("utf-8"))


def _parsed(detector: object, text: str) -> Parsed:
    parsed = read_with(detector, _msg(text))  # type: ignore[arg-type]
    assert parsed is not None
    return parsed  # type: ignore[no-any-return]


DSN = """\
From: MAILER-DAEMON@mx.example.net
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type={report}; boundary="XX"

--XX
Content-Type: text/plain; charset=utf-8

Delivery failed.

--XX
Content-Type: message/{part}

Reporting-MTA: dns; mx.example.net
Arrival-Date: Thu, 29 Apr 2021 23:34:45 +0000

Original-Recipient: rfc822;first@example.com
Final-Recipient: rfc822; first@example.com
Action: failed
Status: 5.0.0 (permanent failure)
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach
    does not exist. Please try
    double-checking the recipient's email address.
Last-Attempt-Date: Thu, 29 Apr 2021 23:34:46 +0000
Final-Recipient: rfc822; second@example.org
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.org[192.0.2.1]:25: Connection
    timed out

--XX
Content-Type: message/rfc822

From: =?utf-8?B?SsO8cmdlbg==?= <juergen@example.de>
Subject: =?iso-8859-1?Q?R=FCckfrage?=
Message-ID: <m-1@example.de>

body
--XX--
"""


@pytest.mark.parametrize(
    ("report", "part"),
    [("delivery-status", "delivery-status"), ("global-delivery-status", "global-delivery-status")],
)
def test_rfc3464_recipients_fields_and_original(report: str, part: str) -> None:
    text = DSN.format(report=report, part=part)
    msg = _msg(text)
    assert RFC3464.sniff(msg)
    parsed = _parsed(RFC3464, text)
    first, second = parsed.evidence
    assert first.recipient == "first@example.com"
    assert first.action == "failed"
    assert first.remote_mta == "mx.example.com"
    # The server's specific code beats the generic Status 5.0.0.
    assert (first.replycode, first.status) == ("550", "5.1.1")
    assert first.diagnostic is not None
    assert first.diagnostic.endswith("double-checking the recipient's email address.")
    assert "  " not in first.diagnostic
    assert second.recipient == "second@example.org"
    assert (second.action, second.status, second.replycode) == ("delayed", "4.4.1", None)
    assert second.diagnostic == (
        "connect to mx.example.org[192.0.2.1]:25: Connection timed out"
    )
    assert parsed.original is not None
    assert parsed.original.subject == "Rückfrage"
    assert parsed.original.sender == "juergen@example.de"
    assert parsed.original.message_id == "<m-1@example.de>"


def test_scan_reports_rfc3464_per_recipient() -> None:
    report = scan(DSN.format(report="delivery-status", part="delivery-status").encode())
    assert report.bounce
    assert report.source_format == "rfc3464"
    assert [v.recipient for v in report.verdicts] == ["first@example.com", "second@example.org"]
    assert report.original is not None and report.original.message_id == "<m-1@example.de>"


def test_dsn_fields_in_a_plain_text_body() -> None:
    text = """\
From: postmaster@example.net
Subject: failure notice
Content-Type: text/plain

Your message could not be delivered.

Final-Recipient: rfc822; lost@example.com
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full
"""
    parsed = _parsed(RFC3464, text)
    assert [(e.recipient, e.status, e.replycode) for e in parsed.evidence] == [
        ("lost@example.com", "5.2.2", "552")
    ]


def test_human_text_supplies_the_reply_when_diagnostic_code_is_missing() -> None:
    text = DSN.format(report="delivery-status", part="delivery-status").replace(
        "Delivery failed.",
        "<first@example.com>: host mx.example.com said: 550 5.7.1 Blocked by policy",
    )
    text = text.replace("Diagnostic-Code: smtp; 550-5.1.1", "X-Ignored: 550-5.1.1")
    first = _parsed(RFC3464, text).evidence[0]
    assert first.diagnostic is not None and "Blocked by policy" in first.diagnostic
    assert (first.replycode, first.status) == ("550", "5.7.1")


ARF_TEXT = """\
From: feedback@fbl.example.net
To: abuse@example.org
Subject: FW: spam
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: {ftype}
User-Agent: Example-FBL/1.0
Version: 1
{rcpts}
--F
Content-Type: message/rfc822

From: Sender <sender@example.org>
To: victim@example.com
Subject: Offer
Message-ID: <offer-1@example.org>

Buy now
--F--
"""


def test_arf_every_original_rcpt_to_is_a_recipient() -> None:
    text = ARF_TEXT.format(
        ftype="abuse",
        rcpts="Original-Rcpt-To: one@example.com\nOriginal-Rcpt-To: <two@example.com>\n",
    )
    parsed = _parsed(ARF, text)
    assert [(e.recipient, e.reason, e.feedback_type) for e in parsed.evidence] == [
        ("one@example.com", "feedback", "abuse"),
        ("two@example.com", "feedback", "abuse"),
    ]
    assert parsed.original is not None and parsed.original.message_id == "<offer-1@example.org>"


def test_arf_without_rcpt_to_uses_the_returned_to() -> None:
    parsed = _parsed(ARF, ARF_TEXT.format(ftype="Opt-Out", rcpts=""))
    assert [(e.recipient, e.feedback_type) for e in parsed.evidence] == [
        ("victim@example.com", "opt-out")
    ]
    report = scan(ARF_TEXT.format(ftype="fraud", rcpts="").encode())
    assert report.bounce and report.source_format == "arf"


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ("Auto-Submitted: auto-replied\n", "Re: your mail"),
        ("X-Autoreply: yes\n", "Hello"),
        ("", "Automatic reply: Meeting"),
        ("", "Out of Office: back Monday"),
        ("", "Abwesenheitsnotiz: Urlaub"),
        ("", "Réponse automatique : absent"),
        ("", "Automatische Antwort: Nicht im Büro"),
        ("", "=?utf-8?B?6Ieq5YuV5b+c562U?="),  # 自動応答
    ],
)
def test_auto_replies_are_vacation(headers: str, subject: str) -> None:
    text = (
        f"From: Person <person@example.com>\nTo: you@example.org\n{headers}"
        f"Subject: {subject}\nContent-Type: text/plain\n\nI am away until Monday.\n"
    )
    msg = _msg(text)
    assert RFC3834.sniff(msg)
    parsed = _parsed(RFC3834, text)
    assert [(e.recipient, e.reason) for e in parsed.evidence] == [
        ("person@example.com", "vacation")
    ]
    assert scan(text.encode()).source_format == "rfc3834"


def test_human_reply_is_not_an_auto_reply() -> None:
    text = ("From: a@example.com\nTo: b@example.org\nSubject: Re: out of office tomorrow?\n\n"
            "Sure, see you Friday.\n")
    assert not RFC3834.sniff(_msg(text))
    assert not scan(text.encode()).bounce


POSTFIX_PLAIN = """\
From: MAILER-DAEMON@mail.example.org (Mail Delivery System)
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: text/plain

This is the mail system at host mail.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

For further assistance, please send mail to postmaster@example.org.

<nobody@example.com>: host mx.example.com[192.0.2.7] said: 550 5.1.1
    <nobody@example.com>: Recipient address rejected: User unknown (in reply to
    RCPT TO command)

<full@example.net>: host mx.example.net[192.0.2.8] said: 452 4.2.2 Mailbox
    full (in reply to RCPT TO command)

--- Below this line is a copy of the message.

From: sender@example.org
To: nobody@example.com, other@example.com
Subject: Hi
Message-ID: <hi@example.org>
"""

EXIM_PLAIN = """\
From: Mail Delivery System <Mailer-Daemon@exim.example.net>
To: sender@example.org
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  gone@example.com
    SMTP error from remote mail server after RCPT TO:<gone@example.com>:
    host mx.example.com [192.0.2.9]: 550 5.1.1 <gone@example.com>: No such user

------ This is a copy of the message, including all the headers. ------

From: sender@example.org
To: gone@example.com
Subject: Report
"""


def test_fallback_reads_postfix_style_paragraphs() -> None:
    parsed = _parsed(FALLBACK, POSTFIX_PLAIN)
    got = [(e.recipient, e.replycode, e.status) for e in parsed.evidence]
    assert got == [("nobody@example.com", "550", "5.1.1"), ("full@example.net", "452", "4.2.2")]
    assert parsed.original is not None and parsed.original.message_id == "<hi@example.org>"


def test_fallback_reads_exim_style_indented_errors() -> None:
    (only,) = _parsed(FALLBACK, EXIM_PLAIN).evidence
    assert (only.recipient, only.replycode, only.status) == ("gone@example.com", "550", "5.1.1")
    assert only.diagnostic is not None and "No such user" in only.diagnostic


def test_fallback_names_the_smtp_stage_of_each_refusal() -> None:
    postfix = [e.command for e in _parsed(FALLBACK, POSTFIX_PLAIN).evidence]
    assert postfix == ["RCPT", "RCPT"]
    (exim,) = _parsed(FALLBACK, EXIM_PLAIN).evidence
    assert exim.command == "RCPT"


def test_rfc3464_command_comes_from_the_human_text_per_recipient() -> None:
    text = DSN.format(report="delivery-status", part="delivery-status").replace(
        "Delivery failed.",
        "<first@example.com>: host mx.example.com said: 550 5.1.1 unknown (in reply to\n"
        "    RCPT TO command)\n"
        "<second@example.org>: host mx.example.org said: 554 rejected (in reply to end\n"
        "    of DATA command)",
    )
    first, second = _parsed(RFC3464, text).evidence
    assert (first.command, second.command) == ("RCPT", "DATA")
    plain = _parsed(RFC3464, DSN.format(report="delivery-status", part="delivery-status"))
    assert [e.command for e in plain.evidence] == [None, None]


def test_rfc3464_reporting_mta_answers_when_no_remote_mta_is_named() -> None:
    first, second = _parsed(
        RFC3464, DSN.format(report="delivery-status", part="delivery-status")
    ).evidence
    assert first.remote_mta == "mx.example.com"  # its own Remote-MTA
    assert second.remote_mta == "mx.example.net"  # none: the reporting MTA itself


@pytest.mark.parametrize(
    "text",
    [
        "From: friend@example.com\nTo: me@example.org\nSubject: lunch?\n\n"
        "Mail me at friend@example.com, 550 reasons to go!\n",
        "From: News <news@example.com>\nTo: me@example.org\nSubject: Weekly digest\n"
        "Content-Type: text/html\n\n<p>Contact support@example.com. Status 5.1.1 shipped.</p>\n",
    ],
)
def test_ordinary_mail_is_not_a_bounce(text: str) -> None:
    assert read_with(FALLBACK, _msg(text)) is None
    report = scan(text.encode())
    assert not report.bounce and report.verdicts == []


def test_corpus_non_bounces_give_no_report(corpus_dir: Path) -> None:
    samples = sorted((corpus_dir / "emails" / "maildir" / "not").glob("*.eml"))
    assert samples
    for path in samples:
        assert not scan(path.read_bytes()).bounce, path.name


def test_detectors_are_ordered_with_the_generic_ones_last() -> None:
    names = [d.name for d in detectors()]
    orders = [d.order for d in detectors()]
    assert orders == sorted(orders)
    assert names.index("arf") < names.index("rfc3464") < names.index("rfc3834")
    assert names[-1] == "fallback"


def test_common_helpers() -> None:
    assert strip_address("rfc822; <A.B@Example.COM>") == "A.B@Example.COM"
    assert strip_address('"Cat, Neko" <neko@example.jp>') == "neko@example.jp"
    assert strip_address("mailto:x@example.org") == "x@example.org"
    assert strip_address("no address here") is None
    assert find_addresses("<a@x.org>, b@y.net; A@X.ORG") == ["a@x.org", "b@y.net"]
    report, original = split_returned("oops\n------ This is a copy of the message\nFrom: a")
    assert (report, original.splitlines()[-1]) == ("oops\n", "From: a")


def test_dsn_evidence_splits_recipients_without_blank_lines() -> None:
    text = (
        "Final-Recipient: rfc822; a@example.com\nOriginal-Recipient: rfc822; a@example.com\n"
        "Action: failed\nStatus: 4.0.0 (host name lookup failure)\n"
        "Final-Recipient: rfc822; b@example.com\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 unknown\n"
    )
    first, second = dsn_evidence(text)
    assert (first.recipient, first.status, first.diagnostic) == (
        "a@example.com", "4.0.0", "host name lookup failure"
    )
    assert (second.recipient, second.replycode) == ("b@example.com", "550")


def test_dsn_keeps_unfolded_lines_of_a_multiline_reply() -> None:
    text = (
        "Final-Recipient: rfc822; a@example.com\nAction: failed\n"
        "Diagnostic-Code: smtp; 550-5.7.1 first line\n"
        "550-5.7.1 second line\n"
        "550 5.7.1 last line\n"
        "Status: 5.7.1\n"
        "\n"
        "Final-Recipient: rfc822; b@example.com\nAction: failed\n"
        "Diagnostic-Code: smtp; 550-5.7.1 only this\n"
        "451 4.0.0 another reply is not a continuation\n"
        "Status: 5.7.1\n"
    )
    first, second = dsn_evidence(text)
    assert first.diagnostic == "550-5.7.1 first line 550-5.7.1 second line 550 5.7.1 last line"
    assert second.diagnostic == "550-5.7.1 only this"
    assert (first.status, second.status) == ("5.7.1", "5.7.1")
