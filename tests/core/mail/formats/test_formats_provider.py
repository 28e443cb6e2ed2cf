"""Provider and vendor formats (Gmail, Google Groups, Exchange/Office 365, Amazon, Zoho, au/KDDI).

One table over the shared corpus: every labelled sample of these modules is read by the
expected detector, with as many recipients as labelled and the labelled reply code and
(real, non-pseudo) enhanced status per recipient; a floor on reasons over the whole set.
Then hand-written reports that are not in the corpus, to show the parsers read the
layout rather than the samples, and negatives that must not be taken for these formats.
"""

# The sample reports keep their real long lines: the parsers must read them unwrapped.
# ruff: noqa: E501

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.core.mail.formats import detectors
from bot.core.mail.message import BounceMessage
from bot.core.scan import read_with, scan
from tests.conftest import CORPUS, labelled_files

#: Sisimai module -> the detector expected to read its samples (None: any detector; the
#: samples are plain RFC 3464 or another MTA's layout).
EXPECTED: dict[str, str | None] = {
    "Gmail": "gmail",
    "GoogleWorkspace": "gmail",
    "GoogleGroups": "googlegroups",
    "Exchange2003": "exchange2003",
    "Exchange2007": "exchange",
    "Office365": None,
    "Outlook": None,
    "AmazonWorkMail": "amazon_workmail",
    "ReceivingSES": "amazon_ses",
    "EZweb": "ezweb",
    "KDDI": None,
    "Zoho": "zoho",
    "MailRu": None,
    "Yandex": None,
}


CASES = labelled_files(EXPECTED)


@pytest.mark.parametrize(("name", "labels"), CASES, ids=[c[0].rsplit("/", 1)[-1] for c in CASES])
def test_corpus_sample(name: str, labels: list[dict[str, Any]]) -> None:
    report = scan((CORPUS / "emails" / name).read_bytes())
    expected = EXPECTED[labels[0]["module"]]
    if expected is not None and name.rsplit("/", 1)[-1].startswith("lhost-"):
        assert report.source_format == expected
    assert report.bounce
    assert len(report.verdicts) == len(labels)
    for verdict, label in zip(report.verdicts, labels, strict=True):
        assert verdict.recipient and "@" in verdict.recipient
        if label["replycode"]:
            assert verdict.replycode == label["replycode"], label["index"]
        if label["status"] and not label["status_pseudo"]:
            assert verdict.status == label["status"], label["index"]


def test_corpus_reason_floor() -> None:
    """Reasons over these modules' samples: at least 95% as labelled."""
    total = right = 0
    for name, labels in CASES:
        report = scan((CORPUS / "emails" / name).read_bytes())
        for index, label in enumerate(labels):
            total += 1
            if index < len(report.verdicts) and report.verdicts[index].reason == label["reason"]:
                right += 1
    assert total > 100
    assert right / total >= 0.95, f"{right}/{total}"


def _parse(name: str, raw: str) -> Any:
    """The detector's reading as `scan` asks it (its parse only after its sniff said yes)."""
    detector = next(d for d in detectors() if d.name == name)
    return read_with(detector, BounceMessage(raw.encode("utf-8")))


def _verdicts(raw: str) -> list[dict[str, Any]]:
    return [v.to_dict() for v in scan(raw.encode("utf-8")).verdicts]


GMAIL_CURRENT = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: alice@example.org
Subject: Delivery Status Notification (Failure)
X-Failed-Recipients: bob@example.net
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=UTF-8

** Address not found **

Your message wasn't delivered to bob@example.net because the address couldn't be found, or is
unable to receive mail.

Learn more here: https://support.google.com/mail/?p=NoSuchUser

The response from the remote server was:
550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table

----- Original message -----

From: alice@example.org
To: bob@example.net
Subject: quarterly numbers
Message-ID: <abc123@example.org>

hi
"""


def test_gmail_current_layout_quotes_the_remote_reply() -> None:
    (verdict,) = _verdicts(GMAIL_CURRENT)
    assert verdict["recipient"] == "bob@example.net"
    assert (verdict["replycode"], verdict["status"], verdict["reason"]) == (
        "550",
        "5.1.1",
        "userunknown",
    )
    assert verdict["diagnostic"].startswith("550 5.1.1 <bob@example.net>: Recipient address")
    report = scan(GMAIL_CURRENT.encode())
    assert report.source_format == "gmail"
    assert report.original is not None and report.original.subject == "quarterly numbers"


GMAIL_WITH_DSN = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: alice@example.org
Subject: Delivery Status Notification (Failure)
X-Failed-Recipients: bob@example.net
Content-Type: multipart/report; boundary="BB"; report-type=delivery-status

--BB
Content-Type: text/plain; charset="UTF-8"

** Address not found **

Your message wasn't delivered to bob@example.net because the domain example.net couldn't be found.

The {response}:

{reply}

--BB
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Arrival-Date: Wed, 23 May 2018 01:44:26 -0700 (PDT)

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 4.0.0
Diagnostic-Code: smtp; {reply}

--BB--
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_gmail_own_words_name_gmails_reporting_mta(newline: str) -> None:
    """No remote server answered a DNS error: Google's host said it, as rfc3464 reads it."""
    reply = "DNS Error: 1234 DNS type 'mx' lookup of example.net responded with code NXDOMAIN"
    text = GMAIL_WITH_DSN.format(response="response was", reply=reply)
    report = scan(text.replace("\n", newline).encode())
    assert report.source_format == "gmail"
    (verdict,) = report.verdicts
    assert (verdict.remote_mta, verdict.diagnostic) == ("googlemail.com", reply)


def test_gmail_remote_reply_is_not_credited_to_gmail() -> None:
    reply = "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown"
    text = GMAIL_WITH_DSN.format(response="response from the remote server was", reply=reply)
    (verdict,) = scan(text.encode()).verdicts
    assert verdict.remote_mta is None
    assert verdict.replycode == "550"


GMAIL_DELAY = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
Subject: Delivery Status Notification (Delay)
Content-Type: text/plain; charset=UTF-8

This is an automatically generated Delivery Status Notification

THIS IS A WARNING MESSAGE ONLY.

YOU DO NOT NEED TO RESEND YOUR MESSAGE.

Delivery to the following recipients has been delayed:

     carol@slow.example.com
     dave@slow.example.com

Message will be retried for 1 more day(s)

Technical details of temporary failure:
Google tried to deliver your message, but it was rejected by the server for the recipient
domain slow.example.com by mx.slow.example.com. [203.0.113.9].

The error that the other server returned was:
452 452 4.2.2 Mailbox over quota (state 14).

----- Original message -----

Subject: hello
"""


def test_gmail_legacy_delay_every_listed_recipient_with_the_reply_cleaned() -> None:
    verdicts = _verdicts(GMAIL_DELAY)
    assert [v["recipient"] for v in verdicts] == ["carol@slow.example.com", "dave@slow.example.com"]
    for verdict in verdicts:
        assert verdict["diagnostic"] == "452 4.2.2 Mailbox over quota."
        assert (verdict["replycode"], verdict["status"]) == ("452", "4.2.2")
        assert verdict["reason"] == "mailboxfull"
        assert verdict["class"] == "transient"
        assert verdict["action"] == "delayed"
    parsed = _parse("gmail", GMAIL_DELAY)
    assert parsed is not None and {ev.command for ev in parsed.evidence} == {"RCPT"}


GMAIL_UNREACHABLE = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
Subject: Delivery Status Notification (Failure)
Content-Type: text/plain; charset=UTF-8

Delivery to the following recipient failed permanently:

     erin@gone.example

Technical details of permanent failure:
The recipient server did not accept our requests to connect. Learn more at
https://support.google.com/mail/answer/7720
[gone.example 198.51.100.7: timed out]
"""


def test_gmail_unreachable_host_after_retries_is_expired() -> None:
    (verdict,) = _verdicts(GMAIL_UNREACHABLE)
    assert verdict["recipient"] == "erin@gone.example"
    assert verdict["reason"] == "expired"
    assert verdict["replycode"] is None


O365_GERMAN_TEXT_ONLY = """\
From: Microsoft Outlook <postmaster@contoso.onmicrosoft.com>
To: sender@example.org
Subject: Unzustellbar: Angebot
X-MS-Exchange-Message-Is-Ndr:
Content-Type: text/plain; charset="utf-8"

Die Nachricht konnte an folgende Empfänger oder Gruppen nicht übermittelt werden:

Frank Meyer<mailto:frank.meyer@contoso.de>
Die E-Mail-Adresse, die Sie eingegeben haben, wurde nicht gefunden.

Diagnoseinformationen für Administratoren:

Generierender Server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com

frank.meyer@contoso.de
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'

ghost@contoso.de
mx.contoso.de
Remote Server returned '552 5.2.2 mailbox full'

Ursprüngliche Nachrichtenkopfzeilen:

Received: from mail.example.org (192.0.2.1) by AM0PR01MB1234.eurprd01.prod.exchangelabs.com
From: sender@example.org
To: frank.meyer@contoso.de, ghost@contoso.de
Subject: Angebot
"""


def test_office365_localized_text_only_ndr_per_recipient() -> None:
    report = scan(O365_GERMAN_TEXT_ONLY.encode())
    assert report.source_format == "exchange"
    first, second = (v.to_dict() for v in report.verdicts)
    assert first["recipient"] == "frank.meyer@contoso.de"
    assert (first["replycode"], first["status"], first["reason"]) == ("550", "5.1.10", "userunknown")
    assert second["recipient"] == "ghost@contoso.de"
    assert (second["replycode"], second["status"], second["reason"]) == ("552", "5.2.2", "mailboxfull")
    assert second["remote_mta"] == "mx.contoso.de"


EXCHANGE_2010_OUTLOOK_FORM = """\
From: System Administrator <postmaster@corp.example.com>
Subject: Undeliverable: status
Content-Type: text/plain; charset="us-ascii"

Your message did not reach some or all of the intended recipients.

      Subject:  status
      Sent:     3/4/2013 10:15 AM

The following recipient(s) cannot be reached:

      gina@corp.example.com on 3/4/2013 10:15 AM
            The e-mail address you entered couldn't be found.
            <mx1.corp.example.com #5.1.1 smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found>

Delivery has failed to these recipients or groups:

gina@corp.example.com
#< #5.1.1 smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found> #SMTP#
"""


def test_exchange_2010_hash_angle_form() -> None:
    (verdict,) = _verdicts(EXCHANGE_2010_OUTLOOK_FORM)
    assert verdict["recipient"] == "gina@corp.example.com"
    assert (verdict["replycode"], verdict["status"], verdict["reason"]) == (
        "550",
        "5.1.1",
        "userunknown",
    )


O365_2018 = """\
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@fabrikam.com>
Subject: Undeliverable: invoice
Content-Type: text/plain; charset="utf-8"

Your message to hank@fabrikam.com couldn't be delivered.

hank wasn't found at fabrikam.com.

Error Details
Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup
DSN generated by: BY5PR12MB1234.namprd12.prod.outlook.com
"""


def test_office365_2018_layout_reported_error() -> None:
    (verdict,) = _verdicts(O365_2018)
    assert verdict["recipient"] == "hank@fabrikam.com"
    assert (verdict["replycode"], verdict["status"], verdict["reason"]) == (
        "550",
        "5.1.10",
        "userunknown",
    )


EXCHANGE_EXPIRED = """\
From: postmaster@school.example
Subject: Undeliverable: trip
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:

ivan@remote.example<mailto:ivan@remote.example>
The server has tried to deliver this message, without success, and has stopped trying.

Diagnostic information for administrators:

Generating server: ex1.school.example

ivan@remote.example
1/2/2020 8:05:56 PM - Remote Server at remote.example (192.0.2.3) returned '550 4.4.7 QUEUE.Expired; message expired'
1/2/2020 7:58:27 PM - Remote Server at remote.example (192.0.2.3) returned '451 4.4.0 Primary target IP address responded with: "421 4.4.2 Connection dropped." Attempted failover'
"""


def test_exchange_queue_expiry_keeps_the_earlier_cause() -> None:
    (verdict,) = _verdicts(EXCHANGE_EXPIRED)
    assert verdict["reason"] == "expired"
    assert verdict["status"] == "4.4.0"
    assert verdict["remote_mta"] == "remote.example"


NOT_A_BOUNCE = """\
From: Jane Roe <jane@example.org>
To: team@googlegroups.com
Subject: Undeliverable: ideas for the party (fwd)
Content-Type: text/plain; charset=utf-8

** Lunch **

Let's meet at noon. Server at the restaurant returned 'no reservation' last time, so I
called ahead. Your message to the caterer couldn't be delivered, they said; see
https://groups.google.com/support/ for the group rules. Could not be delivered to: me.
"""

DETECTOR_NAMES = [
    "gmail", "googlegroups", "exchange", "exchange2003", "ezweb", "kddi", "zoho",
    "amazon_workmail", "amazon_ses",
]


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_plain_message_is_not_taken_for_a_provider_format(name: str) -> None:
    parsed = _parse(name, NOT_A_BOUNCE)
    assert parsed is None or not parsed.evidence


def test_gmail_daemon_text_without_failure_layout_is_not_parsed() -> None:
    raw = (
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        "Subject: Notice\nX-Failed-Recipients: a@example.com\n\n"
        "** Scheduled maintenance **\n\nNothing failed; this is a notice.\n"
    )
    assert _parse("gmail", raw) is None


def test_googlegroups_needs_a_group_as_failed_recipient() -> None:
    raw = GMAIL_CURRENT.replace(
        "Learn more here", "Help: https://groups.google.com/support/\nLearn more here"
    )
    assert _parse("googlegroups", raw) is None
    grouped = raw.replace("X-Failed-Recipients: bob@example.net", "X-Failed-Recipients: g@googlegroups.com")
    parsed = _parse("googlegroups", grouped)
    assert parsed is not None and parsed.evidence[0].recipient == "g@googlegroups.com"
    assert parsed.evidence[0].reason == "rejected"


@pytest.mark.parametrize("name", ["gmail", "exchange", "exchange2003", "ezweb", "kddi", "zoho"])
def test_linear_time_on_adversarial_bodies(name: str) -> None:
    """A 1 MB body takes at most about 20x a 100 kB one (ratio in one run)."""
    sender = "Postmaster@ezweb.ne.jp" if name == "ezweb" else "mailer-daemon@googlemail.com"
    head = f"From: Mail Delivery Subsystem <{sender}>\nSubject: Undeliverable: x\n\n"
    unit = (
        "Delivery to the following recipient failed permanently:\n     a@b.example\n"
        "Remote Server returned '550 " + "5." * 50 + "'\n#550 5.1.1 " + "#" * 40 + "\n"
        "Could not be delivered to: <" + "a" * 60 + "\n<x@y.z>: " + " " * 80 + "\n"
        "x@y.example Invalid, ERROR_CODE :" + "5" * 30 + ", ERROR_CODE :\n"
    )

    def timed(size: int) -> float:
        body = (unit * (size // len(unit) + 1))[:size]
        raw = head + body
        start = time.perf_counter()
        _parse(name, raw)
        return time.perf_counter() - start

    small = max(timed(100_000), 1e-3)
    large = timed(1_000_000)
    assert large / small < 25 and large < 5.0
