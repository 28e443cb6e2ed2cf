"""Many MTA log lines pasted at once: one verdict per recipient, delivered lines counted."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.core.explain import explain

LOGS = Path(__file__).resolve().parents[2] / "data" / "logs"


def test_postfix_200_lines() -> None:
    text = (LOGS / "postfix_200.log").read_text(encoding="utf-8")
    assert text.count("\n") == 200
    report = explain(text)
    sent = text.count("status=sent")
    assert report.delivered == sent == 30
    by_recipient = {v.recipient: v for v in report.verdicts}
    assert len(by_recipient) == len(report.verdicts) == 10
    # user03, 13, 23, 33: 550 5.1.1; user09, 19, 29, 39: 552 5.2.2; user05 and user25:
    # deferred twice by Yahoo (the latest line wins: one verdict each, still queued);
    # user07, 17 … were greylisted and then sent: delivered, not explained.
    reasons = Counter(v.reason for v in report.verdicts if v.delivery_class == "permanent")
    assert reasons == {"userunknown": 4, "mailboxfull": 4}
    for n in (3, 13, 23, 33, 9, 19, 29, 39):
        assert any(r and r.startswith(f"user{n:02d}@") for r in by_recipient)
    deferred = [v for v in report.verdicts if v.delivery_class == "transient"]
    assert sorted(str(v.recipient)[:6] for v in deferred) == ["user05", "user25"]
    assert all(v.provider == "Yahoo Mail" for v in deferred)
    assert not any(str(r).startswith(("user07", "user17")) for r in by_recipient)
    assert report.to_dict()["delivered"] == 30


def test_latest_line_wins_and_a_delivered_log_is_not_a_bounce() -> None:
    deferred = (
        "Nov 28 09:00:01 mx1 postfix/smtp[1]: AB1: to=<ann@example.com>, relay=mx.example.com"
        "[198.51.100.1]:25, dsn=4.2.2, status=deferred (host mx.example.com[198.51.100.1] "
        "said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))"
    )
    sent = (
        "Nov 28 10:00:01 mx1 postfix/smtp[1]: AB1: to=<ann@example.com>, relay=mx.example.com"
        "[198.51.100.1]:25, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
    )
    report = explain(f"{deferred}\n{sent}")
    assert not report.bounce and report.delivered == 1
    [verdict] = explain(f"{sent}\n{deferred}").verdicts
    assert verdict.reason == "mailboxfull" and verdict.delivery_class == "transient"
    # One line alone is explained, whatever it says.
    assert explain(sent).verdicts[0].reason == "delivered"


def test_exim_failed_deferred_and_delivered() -> None:
    text = "\n".join(
        [
            "2026-11-28 09:00:00 1tAbCd-000001-AB <= news@example.net H=app1 [192.0.2.10] "
            "P=esmtp S=2048",
            "2026-11-28 09:00:01 1tAbCd-000001-AB ** bob@example.com R=dnslookup "
            "T=remote_smtp H=mx.example.com [198.51.100.1]: SMTP error from remote mail "
            "server after RCPT TO:<bob@example.com>: 550 5.1.1 User unknown",
            "2026-11-28 09:00:02 1tAbCd-000001-AB == carl@example.org R=dnslookup "
            "T=remote_smtp defer (-44) H=mx.example.org [198.51.100.2]: SMTP error from "
            "remote mail server after RCPT TO:<carl@example.org>: 451 4.7.1 Greylisted",
            "2026-11-28 09:00:03 1tAbCd-000001-AB => dora@example.net R=dnslookup "
            "T=remote_smtp H=mx.example.net [198.51.100.3] C=\"250 2.0.0 Ok\"",
            "2026-11-28 09:00:04 1tAbCd-000001-AB Completed",
        ]
    )
    report = explain(text)
    assert [(v.recipient, v.delivery_class) for v in report.verdicts] == [
        ("bob@example.com", "permanent"),
        ("carl@example.org", "transient"),
    ]
    assert report.delivered == 1


def test_sendmail_lines() -> None:
    text = "\n".join(
        [
            "Nov 28 09:00:01 mail sm-mta[1234]: x01A0B1c001234: to=<eli@example.com>, "
            "delay=00:00:01, mailer=esmtp, pri=120000, relay=mx.example.com. [198.51.100.1], "
            "dsn=5.1.1, stat=User unknown",
            "Nov 28 09:00:02 mail sm-mta[1234]: x01A0B1c001235: to=<fay@example.com>, "
            "delay=00:00:01, mailer=esmtp, pri=120000, relay=mx.example.com. [198.51.100.1], "
            "dsn=2.0.0, stat=Sent (Ok: queued as 1234)",
        ]
    )
    report = explain(text)
    rows = [(v.recipient, v.reason) for v in report.verdicts]
    assert rows == [("eli@example.com", "userunknown")]
    assert report.delivered == 1


def test_powermta_accounting_rows() -> None:
    report = explain((LOGS / "powermta_acct.csv").read_text(encoding="utf-8"))
    rows = [(v.recipient, v.delivery_class, v.esp_category) for v in report.verdicts]
    assert rows == [
        ("bert@example.org", "permanent", "bad-mailbox"),
        ("cora@example.net", "transient", "policy-related"),
        ("dina@example.com", "permanent", "quota-issues"),
    ]
    assert report.verdicts[0].reason == "userunknown"
    assert report.verdicts[2].reason == "mailboxfull"
    assert all(v.reporter == "PowerMTA" for v in report.verdicts)
    assert report.delivered == 2  # ann, and ed after its deferral


def test_exchange_message_tracking() -> None:
    report = explain((LOGS / "exchange_tracking.log").read_text(encoding="utf-8"))
    assert [(v.recipient, v.delivery_class) for v in report.verdicts] == [
        ("gail@example.org", "permanent"),
        ("hugo@example.net", "transient"),
    ]
    assert report.verdicts[0].reason == "userunknown"
    assert report.delivered == 1
    listed = explain((LOGS / "exchange_format_list.txt").read_text(encoding="utf-8"))
    assert [(v.recipient, v.status) for v in listed.verdicts] == [("ivy@example.com", "5.4.1")]
    assert listed.delivered == 1


def test_sendmail_line_with_several_recipients() -> None:
    line = (
        "Nov 28 09:00:01 mail sm-mta[1234]: x01A0B1c001234: to=<eli@example.com>,"
        "<fay@example.org>, delay=00:00:01, mailer=esmtp, pri=120000, "
        "relay=mx.example.com. [198.51.100.1], dsn=5.1.1, stat=User unknown"
    )
    verdicts = explain(line).verdicts
    assert [(v.recipient, v.reason) for v in verdicts] == [
        ("eli@example.com", "userunknown"),
        ("fay@example.org", "userunknown"),
    ]
