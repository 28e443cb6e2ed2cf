"""The classic MTA formats (Postfix, Exim, Sendmail, qmail, OpenSMTPD ...).

One table over the shared corpus: every labelled sample of these modules is read by
the expected detector, with as many recipients as labelled and the labelled reply code
and (real, non-pseudo) enhanced status per recipient. Then hand-written reports that
are not in the corpus, to show the parsers read the format rather than the samples.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.mail.formats import detectors
from bot.core.mail.message import BounceMessage
from bot.core.scan import scan
from tests.conftest import CORPUS, labelled_files

#: Sisimai module -> the detector expected to read its samples.
EXPECTED: dict[str, str] = {
    "Exim": "exim",
    "Postfix": "postfix",
    "Sendmail": "sendmail",
    "OpenSMTPD": "opensmtpd",
    "FML": "fml",
    "Domino": "domino",
    "IMailServer": "imailserver",
    "X3": "x3",
    "Verizon": "verizon",
    "Biglobe": "biglobe",
    "EinsUndEins": "exim",
    "Activehunter": "sendmail",
    "X6": "x6",
    "MailMarshalSMTP": "mailmarshal",
    "MessagingServer": "messagingserver",
    "MXLogic": "exim",
    "Amavis": "amavis",
    "SurfControl": "surfcontrol",
    "Bigfoot": "sendmail",
    "V5sendmail": "sendmail",
    "qmail": "qmail",
    "X2": "qmail",
}


CASES = labelled_files(EXPECTED)

#: Samples whose label follows a different reading of the transcript than ours; each
#: reason says why ours is kept. Only the named field is exempt.
DISAGREE: dict[tuple[str, int], tuple[str, str]] = {
    # Several MXes answered "554 … not accepting connections", each followed by a
    # "421 … too many errors" to QUIT; the label takes the QUIT reply, we the refusal.
    ("lhost-sendmail-56.eml", 1): ("replycode+status", "the 421 answers QUIT, not the delivery"),
    # "<<< 501 … open relay" answered MAIL FROM; the label takes sendmail's own 554 summary.
    ("lhost-v5sendmail-07.eml", 1): ("replycode", "the remote server's 501 is its own words"),
}


def _detector(name: str) -> Any:
    for detector in detectors():
        if detector.name == name:
            return detector
    raise AssertionError(f"no detector named {name}")


@pytest.mark.parametrize(("name", "labels"), CASES, ids=[c[0].split("/")[-1] for c in CASES])
def test_corpus_sample(name: str, labels: list[dict[str, Any]]) -> None:
    raw = (CORPUS / "emails" / name).read_bytes()
    report = scan(raw)
    assert report.source_format == EXPECTED[labels[0]["module"]]
    assert len(report.verdicts) == len(labels)
    for label, verdict in zip(labels, report.verdicts, strict=True):
        exempt = DISAGREE.get((name.split("/")[-1], label["index"]), ("", ""))[0]
        if label["replycode"] and "replycode" not in exempt:
            assert verdict.replycode == label["replycode"], verdict.diagnostic
        if label["status"] and not label["status_pseudo"] and "status" not in exempt:
            assert verdict.status == label["status"], verdict.diagnostic


def test_corpus_is_there() -> None:
    assert len(CASES) > 20


def _parse(detector_name: str, text: str) -> Any:
    msg = BounceMessage.from_text(text)
    detector = _detector(detector_name)
    assert detector.sniff(msg)
    return detector.parse(msg)


# --------------------------------------------------------------------------- Exim

EXIM_TWO = """\
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@relay.example.org>
To: alice@example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: bob@example.net, carol@example.com

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@example.net
    host mx1.example.net [198.51.100.7]
    SMTP error from remote mail server after RCPT TO:<bob@example.net>:
    550-5.1.1 The email account that you tried to reach does not exist.
    550 5.1.1 Please check the address.
  carol@example.com
    SMTP error from remote mail server after end of data:
    host mail.example.com [203.0.113.9]: 552 5.3.4 Message size exceeds fixed limit

------ This is a copy of the message, including all the headers. ------

From: alice@example.org
To: bob@example.net, carol@example.com
Subject: quarterly figures
Message-ID: <q3@example.org>

hello
"""


def test_exim_two_recipients_with_commands() -> None:
    parsed = _parse("exim", EXIM_TWO)
    assert parsed is not None
    bob, carol = parsed.evidence
    assert (bob.recipient, bob.command) == ("bob@example.net", "RCPT")
    assert bob.remote_mta == "mx1.example.net"
    assert (bob.replycode, bob.status) == ("550", "5.1.1")
    assert bob.diagnostic.startswith("550-5.1.1 The email account")
    assert "Please check the address" in bob.diagnostic
    assert (carol.command, carol.replycode, carol.status) == ("DATA", "552", "5.3.4")
    assert carol.remote_mta == "mail.example.com"
    assert parsed.original is not None and parsed.original.subject == "quarterly figures"


EXIM_DELAY = """\
From: Mail Delivery System <Mailer-Daemon@relay.example.org>
To: alice@example.org
Subject: Warning: message 1abCDe-0001xY-7Q delayed 4 hours

This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 4 hours on the queue on relay.example.org.

The address to which the message has not yet been delivered is:

  dave@slow.example
    host mx.slow.example [192.0.2.44]
    Delay reason: SMTP error from remote mail server after MAIL FROM:<alice@example.org>:
    451 4.7.1 Greylisted, please try again in 300 seconds

No action is required on your part.
"""


def test_exim_delay_warning_is_delayed_with_the_reply() -> None:
    parsed = _parse("exim", EXIM_DELAY)
    (ev,) = parsed.evidence
    assert (ev.recipient, ev.action, ev.command) == ("dave@slow.example", "delayed", "MAIL")
    assert (ev.replycode, ev.status) == ("451", "4.7.1")
    assert ev.diagnostic.startswith("451 4.7.1 Greylisted")


EXIM_LOCAL = """\
From: Mail Delivery System <Mailer-Daemon@box.example.org>
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: erin@box.example.org

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  save to /var/mail/erin
    generated by erin@box.example.org
    mailbox is full: retry timeout exceeded
  frank@gone.example
    retry timeout exceeded
"""


def test_exim_own_messages_settle_the_reason() -> None:
    parsed = _parse("exim", EXIM_LOCAL)
    erin, frank = parsed.evidence
    assert erin.recipient == "erin@box.example.org"
    assert erin.reason == "mailboxfull"
    assert frank.recipient == "frank@gone.example"
    assert frank.reason == "expired"


def test_exim_ignores_other_mail() -> None:
    text = "From: Mailer-Daemon@x.example\nSubject: Mail delivery failed\n\nAll went fine.\n"
    assert _detector("exim").parse(BounceMessage.from_text(text)) is None


EXIM_UNINDENTED = """\
From: "Mail Delivery System" <mailer-daemon@mail.example.de>
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of
its recipients. This is a permanent error. The following address
failed:

"max@example.jp":
SMTP error from remote server after RCPT command:
host: mx.example.jp
5.1.1 <max@example.jp>... User Unknown

--- The header of the original message is following. ---
"""


def test_exim_based_layout_without_indentation() -> None:
    (ev,) = _parse("exim", EXIM_UNINDENTED).evidence
    assert (ev.recipient, ev.command, ev.remote_mta, ev.status) == (
        "max@example.jp", "RCPT", "mx.example.jp", "5.1.1",
    )
    assert ev.diagnostic == "5.1.1 <max@example.jp>... User Unknown"


# --------------------------------------------------------------------------- qmail

QMAIL = """\
From: MAILER-DAEMON@mx.example.org
To: alice@example.org
Subject: failure notice

Hi. This is the qmail-send program at mx.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<gina@example.net>:
198.51.100.25 does not like recipient.
Remote host said: 550-5.1.1 No such user here
550 5.1.1 Check the spelling
Giving up on 198.51.100.25.

<hank@example.com>:
203.0.113.5 failed after I sent the message.
Remote host said: 554 5.7.1 Message rejected as spam
Giving up on 203.0.113.5.

<ivy@nowhere.example>:
Sorry, I couldn't find any host named nowhere.example. (#5.1.2)

<jack@example.net>:
Connected to 198.51.100.25 but sender was rejected.
Remote host said: 451 4.3.0 Temporary lookup failure
I'm not going to try again; this message has been in the queue too long.

--- Below this line is a copy of the message.

From: alice@example.org
Subject: lunch
"""


def test_qmail_blocks_commands_and_own_words() -> None:
    parsed = _parse("qmail", QMAIL)
    gina, hank, ivy, jack = parsed.evidence
    assert (gina.recipient, gina.command, gina.replycode, gina.status) == (
        "gina@example.net", "RCPT", "550", "5.1.1",
    )
    assert "Check the spelling" in gina.diagnostic and "Giving up" not in gina.diagnostic
    assert (hank.command, hank.replycode, hank.status) == ("DATA", "554", "5.7.1")
    assert (ivy.status, ivy.replycode, ivy.reason) == ("5.1.2", None, "hostunknown")
    # The remote reply, not the queue-lifetime trailer, is the diagnostic.
    assert (jack.command, jack.replycode, jack.reason) == ("MAIL", "451", None)
    assert "queue too long" not in jack.diagnostic
    assert parsed.original is not None and parsed.original.subject == "lunch"


# --------------------------------------------------------------------------- Postfix

POSTFIX_REPORT = """\
From: MAILER-DAEMON@out.example.org (Mail Delivery System)
To: alice@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host out.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<kate@example.net>: host mx.example.net[198.51.100.3] said: 552 5.2.2
    <kate@example.net>: Recipient address rejected: Mailbox full (in reply to
    RCPT TO command)

<liam@example.com> (expanded from <team@example.org>): host
    mail.example.com[203.0.113.30] said: 554 5.7.1 Rejected by content filter
    (in reply to end of DATA command)

<mia@dead.example>: connect to mx.dead.example[192.0.2.99]:25: Connection
    refused

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; out.example.org
X-Postfix-Queue-ID: 4AbCdE

Final-Recipient: rfc822; kate@example.net
Action: failed
Status: 5.2.2
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 552 5.2.2 <kate@example.net>: Recipient address rejected:
    Mailbox full

Final-Recipient: rfc822; liam@example.com
Original-Recipient: rfc822; team@example.org
Action: failed
Status: 5.7.1
Remote-MTA: dns; mail.example.com
Diagnostic-Code: smtp; 554 5.7.1 Rejected by content filter

Final-Recipient: rfc822; mia@dead.example
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.dead.example[192.0.2.99]:25:
    Connection refused

--B1
Content-Type: text/rfc822-headers

From: alice@example.org
Subject: minutes
Message-ID: <m1@example.org>

--B1--
"""


def test_postfix_merges_text_commands_with_the_dsn() -> None:
    parsed = _parse("postfix", POSTFIX_REPORT)
    kate, liam, mia = parsed.evidence
    assert (kate.recipient, kate.command, kate.status, kate.replycode) == (
        "kate@example.net", "RCPT", "5.2.2", "552",
    )
    assert kate.remote_mta == "mx.example.net" and "in reply to" not in kate.diagnostic
    assert (liam.recipient, liam.command, liam.status) == ("liam@example.com", "DATA", "5.7.1")
    assert (mia.recipient, mia.status, mia.action, mia.command) == (
        "mia@dead.example", "4.4.1", "delayed", "CONN",
    )
    assert parsed.original is not None and parsed.original.message_id == "<m1@example.org>"


POSTFIX_PLAIN = """\
From: MAILER-DAEMON@old.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender

This is the Postfix program at host old.example.org.

I'm sorry to have to inform you that the message returned
below could not be delivered to one or more destinations.

\t\t\tThe Postfix program

<noah@example.net>: host mx2.example.net[198.51.100.8] refused to talk to me:
    554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using
    zen.spamhaus.org

<olga@typo.example>: Host or domain name not found. Name service error for
    name=typo.example type=A: Host not found
"""


def test_postfix_plain_text_without_dsn() -> None:
    parsed = _parse("postfix", POSTFIX_PLAIN)
    noah, olga = parsed.evidence
    assert (noah.command, noah.replycode, noah.status, noah.remote_mta) == (
        "CONN", "554", "5.7.1", "mx2.example.net",
    )
    assert noah.diagnostic.endswith("zen.spamhaus.org")
    assert olga.recipient == "olga@typo.example" and olga.reason == "hostunknown"


POSTFIX_SERVER_NOTICE = """\
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Postfix SMTP server: errors from unknown[192.0.2.50]

Transcript of session follows.

 Out: 220 mx.example.org ESMTP
 In:  EHLO client.example
 Out: 250 mx.example.org
 In:  MAIL FROM:<shop@client.example>
 Out: 250 2.1.0 Ok
 In:  RCPT TO:<pat@example.org>
 Out: 450 4.7.1 <pat@example.org>: Recipient address rejected: try later
 In:  QUIT
 Out: 221 2.0.0 Bye
"""


def test_postfix_server_notice_transcript() -> None:
    parsed = _parse("postfix", POSTFIX_SERVER_NOTICE)
    (ev,) = parsed.evidence
    assert (ev.recipient, ev.command, ev.replycode, ev.status) == (
        "pat@example.org", "RCPT", "450", "4.7.1",
    )


POSTFIX_DELAYED = """\
From: MAILER-DAEMON@out.example.org (Mail Delivery System)
Subject: Delayed Mail (still being retried)

This is the mail system at host out.example.org.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

                   The mail system

<carl@example.com>: conversation with mx.example.com[203.0.113.7] timed out
    while receiving the initial server greeting
"""


def test_postfix_delay_warning_without_dsn() -> None:
    (ev,) = _parse("postfix", POSTFIX_DELAYED).evidence
    assert (ev.recipient, ev.action, ev.command, ev.remote_mta) == (
        "carl@example.com", "delayed", "CONN", "mx.example.com",
    )


def test_postfix_success_report() -> None:
    text = POSTFIX_DELAYED.replace(
        "Delayed Mail (still being retried)", "Successful Mail Delivery Report"
    )
    text = text.split("<carl@", 1)[0] + (
        "<carl@example.com>: delivery via mx.example.com[203.0.113.7]:25: 250 2.0.0 Ok:\n"
        "    queued as 4XyZ\n"
    )
    text = text.replace("THIS IS A WARNING ONLY.", "Your message was successfully delivered to")
    (ev,) = _parse("postfix", text).evidence
    assert (ev.action, ev.replycode, ev.status) == ("delivered", "250", "2.0.0")


EXIM_PIPELINED = """\
From: Mail Delivery System <Mailer-Daemon@a.example>
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  dan@example.net
    host mx.example.net [192.0.2.5]
    SMTP error from remote mail server after pipelined RCPT TO:<dan@example.net>:
    550 5.1.1 <dan@example.net>: Recipient address rejected: User unknown
  eve@nowhere.invalid
    Unrouteable address
"""


def test_exim_pipelined_rcpt_and_unrouteable() -> None:
    dan, eve = _parse("exim", EXIM_PIPELINED).evidence
    assert (dan.command, dan.replycode, dan.status, dan.reason) == ("RCPT", "550", "5.1.1", None)
    assert (eve.recipient, eve.reason) == ("eve@nowhere.invalid", "hostunknown")
    assert eve.replycode is None


# --------------------------------------------------------------------------- Sendmail

SENDMAIL = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@gw.example.org>
To: <alice@example.org>
Subject: Returned mail: see transcript for details

The original message was received at Mon, 3 Mar 2025 10:00:00 +0100
from client.example.org [192.0.2.10]

   ----- The following addresses had permanent fatal errors -----
<quinn@example.net>
    (reason: 550-5.7.1 Our policy does not allow)
<rosa@example.net>
    (reason: 550 5.1.1 <rosa@example.net>... No such mailbox)

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> DATA
<<< 550 5.1.1 <rosa@example.net>... No such mailbox
550 5.1.1 <rosa@example.net>... User unknown
<<< 550-5.7.1 Our policy does not allow
<<< 550 5.7.1 messages with this attachment type
554 5.0.0 Service unavailable

   ----- Original message follows -----
From: alice@example.org
Subject: photos
"""


def test_sendmail_transcript_replies_per_recipient() -> None:
    parsed = _parse("sendmail", SENDMAIL)
    quinn, rosa = parsed.evidence
    # rosa's reply answered a pipelined RCPT; the multi-line one answered DATA.
    assert (rosa.recipient, rosa.command, rosa.replycode, rosa.status) == (
        "rosa@example.net", "RCPT", "550", "5.1.1",
    )
    assert (quinn.recipient, quinn.command, quinn.status) == ("quinn@example.net", "DATA", "5.7.1")
    assert quinn.diagnostic.endswith("messages with this attachment type")
    assert quinn.remote_mta == "mx.example.net"


SENDMAIL_PIPELINED = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>
Subject: Returned mail: see transcript for details

   ----- The following addresses had permanent fatal errors -----
<uma@example.net>
    (reason: 550 5.2.1 <uma@example.net>... User Unknown)
<vic@example.net>
    (reason: 550 5.1.1 <vic@example.net>... User Unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> DATA
<<< 550 5.2.1 <uma@example.net>... User Unknown
550 5.1.1 <uma@example.net>... User unknown
<<< 550 5.1.1 <vic@example.net>... User Unknown
550 5.1.1 <vic@example.net>... User unknown
<<< 503 5.0.0 Need RCPT (recipient)
"""


def test_sendmail_pipelined_replies_read_by_their_status() -> None:
    # Both replies follow ">>> DATA": an address status (5.1.1) is RCPT's answer; any
    # other reply is read as the transcript shows it, DATA's, so an unknown-user
    # wording there is a filter's verdict.
    uma, vic = _parse("sendmail", SENDMAIL_PIPELINED).evidence
    assert (uma.recipient, uma.command, uma.status) == ("uma@example.net", "DATA", "5.2.1")
    assert (vic.recipient, vic.command, vic.status) == ("vic@example.net", "RCPT", "5.1.1")
    reasons = {v.recipient: v.reason for v in scan(SENDMAIL_PIPELINED.encode()).verdicts}
    assert reasons == {"uma@example.net": "filtered", "vic@example.net": "userunknown"}


SENDMAIL_GREETING = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>
Subject: Returned mail: see transcript for details

   ----- The following addresses had permanent fatal errors -----
<wes@example.net>
    (reason: 554 IP=192.0.2.9 - A problem occurred. (BL))

   ----- Transcript of session follows -----
... while talking to mx1.example.net.:
<<< 554 IP=192.0.2.9 - A problem occurred. (BL)
554 5.0.0 Service unavailable
"""


def test_sendmail_reply_before_any_command_answered_the_connection() -> None:
    (wes,) = _parse("sendmail", SENDMAIL_GREETING).evidence
    assert (wes.recipient, wes.command, wes.remote_mta) == (
        "wes@example.net", "CONN", "mx1.example.net",
    )
    assert [v.reason for v in scan(SENDMAIL_GREETING.encode()).verdicts] == ["blocked"]


SENDMAIL_V5 = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@old.example.com>
Subject: Returned mail: Host unknown

   ----- Transcript of session follows -----
550 typo.example (smtp)... 550 Host unknown
554 <sam@typo.example>... 550 Host unknown (Authoritative answer from name server)
While talking to mail.example.edu:
>>> RCPT To:<tess@example.edu>
<<< 550 <tess@example.edu>... mailbox disabled
550 <tess@example.edu>... User unknown

   ----- Unsent message follows -----
Subject: hello
"""


def test_v5_sendmail_summary_lines_and_transcript() -> None:
    parsed = _parse("sendmail", SENDMAIL_V5)
    sam, tess = parsed.evidence
    assert (sam.recipient, sam.replycode) == ("sam@typo.example", "550")
    assert sam.diagnostic.startswith("550 Host unknown")
    assert (tess.recipient, tess.command) == ("tess@example.edu", "RCPT")
    assert tess.remote_mta == "mail.example.edu"
    assert tess.diagnostic == "550 <tess@example.edu>... mailbox disabled"


# --------------------------------------------------------------------------- OpenSMTPD

OPENSMTPD = (
    "From: Mailer Daemon <MAILER-DAEMON@relay.example.org>\r\n"
    "Subject: Delivery status notification: error\r\n"
    "\r\n"
    "    Hi!\r\n\r\n"
    "    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\r\n\r\n"
    "    An error has occurred while attempting to deliver a message for\r\n"
    "    the following list of recipients:\r\n\r\n"
    "uma@example.net: 552 5.2.2 Mailbox quota exceeded for this user\r\n"
    "vic@gone.example: Domain does not exist\r\n"
    "\r\n"
    "    Below is a copy of the original message:\r\n"
)


def test_opensmtpd_lines_with_crlf() -> None:
    parsed = _parse("opensmtpd", OPENSMTPD)
    uma, vic = parsed.evidence
    assert (uma.recipient, uma.replycode, uma.status, uma.reason) == (
        "uma@example.net", "552", "5.2.2", None,
    )
    assert (vic.recipient, vic.reason, vic.action) == ("vic@gone.example", "hostunknown", "failed")


# --------------------------------------------------------------------------- fml

FML_NOTICE = """\
From: books-admin@lists.example.org
To: walt@example.com
Subject: You walt@example.com are not member (books ML)
X-MLServer: fml [fml 4.0.3 release]

You are not a member of this mailing list <books@lists.example.org>.
"""


def test_fml_refusal_names_the_poster() -> None:
    parsed = _parse("fml", FML_NOTICE)
    (ev,) = parsed.evidence
    assert (ev.recipient, ev.reason) == ("walt@example.com", "rejected")


def test_fml_ordinary_post_is_not_a_bounce() -> None:
    text = FML_NOTICE.replace("are not member", "digest").replace(
        "You are not a member of this mailing list", "Welcome to the digest of"
    )
    assert _detector("fml").parse(BounceMessage.from_text(text)) is None


# --------------------------------------------------------------------------- smaller formats

DOMINO = """\
From: Postmaster@notes.example.com
Subject: DELIVERY FAILURE: User Yuki Tanaka (yuki@notes.example.com) not listed in Domino Directory

Your message

  Subject: budget

was not delivered to:

  yuki@notes.example.com

because:

  User Yuki Tanaka (yuki@notes.example.com) not listed in Domino Directory
"""


def test_domino_because_block() -> None:
    (ev,) = _parse("domino", DOMINO).evidence
    assert (ev.recipient, ev.reason) == ("yuki@notes.example.com", "userunknown")
    assert ev.diagnostic.endswith("not listed in Domino Directory")


IMAIL = """\
From: "Postmaster" <postmaster@imail.example.com>
Subject: Undeliverable Mail
X-Mailer: <SMTP32 v8.15>

User mailbox exceeds allowed size: zoe@imail.example.com
Unknown user: amy@imail.example.com
"""


def test_imail_one_line_per_recipient() -> None:
    zoe, amy = _parse("imailserver", IMAIL).evidence
    assert (zoe.recipient, zoe.reason) == ("zoe@imail.example.com", "mailboxfull")
    assert (amy.recipient, amy.reason) == ("amy@imail.example.com", "userunknown")


X3_NOTICE = """\
From: Mail Delivery System <Mail.Delivery.System@gw.example.com>
Subject: Delivery status notification

============================================================================
      This is an automatically generated Delivery Status Notification.
============================================================================

Delivery to the following recipients failed permanently:

   * bea@example.org

============================================================================
                             Technical details:
SMTP:RCPT host 198.51.100.4: 550 5.1.1 <bea@example.org>... User unknown
============================================================================
"""


def test_x3_technical_details() -> None:
    (ev,) = _parse("x3", X3_NOTICE).evidence
    assert (ev.recipient, ev.command, ev.remote_mta) == ("bea@example.org", "RCPT", "198.51.100.4")
    assert (ev.replycode, ev.status) == ("550", "5.1.1")


VERIZON = """\
From: post_master@vtext.com
Subject: Re: hi

Error: Invalid user address
Error message below:
550 - Requested action not taken: no such user here
Message details:
  MAIL FROM: shop@example.org
  RCPT TO: 5550100@vtext.com
"""


def test_verizon_gateway_envelope() -> None:
    (ev,) = _parse("verizon", VERIZON).evidence
    assert (ev.recipient, ev.replycode, ev.command) == ("5550100@vtext.com", "550", "RCPT")


MAILMARSHAL = """\
From: postmaster@gw.example.com
Subject: Undeliverable Mail: "report"

Your message:
   From:    fay@example.com
   Subject: report

Could not be delivered because of

550 5.1.1 User unknown

The following recipients were affected:
    gus@example.net

Additional Information
======================
Original Sender:    <fay@example.com>
Remote-MTA:         <203.0.113.2>
"""


def test_mailmarshal_notice_and_not_imail() -> None:
    (ev,) = _parse("mailmarshal", MAILMARSHAL).evidence
    assert (ev.recipient, ev.replycode, ev.status, ev.remote_mta) == (
        "gus@example.net", "550", "5.1.1", "203.0.113.2",
    )
    # "Original Sender: <a@b>" is a field, not IMail's "reason: address" line.
    assert _detector("imailserver").parse(BounceMessage.from_text(MAILMARSHAL)) is None


MESSAGING_SERVER = """\
From: Internet Mail Delivery <postmaster@ms.example.com>
Subject: Delivery Notification: Delivery has failed

This report relates to a message you sent with the following header fields:

  Message-id: <x1@example.com>
  To: hal@example.net, ida@example.org

Your message cannot be delivered to the following recipients:

  Recipient address: hal@example.net
  Reason: Server rejected MAIL FROM address
  Diagnostic code: smtp;553 5.1.8 Sender domain does not exist
  Remote system: dns;mx.example.net (TCP|192.0.2.1|41000|198.51.100.2|25)

  Recipient address: @relay.example:ida@internal
  Original address: ida@example.org
  Reason: Illegal host/domain name found

Delivery attempt history for your mail:
"""


def test_messaging_server_fields_and_source_routes() -> None:
    hal, ida = _parse("messagingserver", MESSAGING_SERVER).evidence
    assert (hal.recipient, hal.command, hal.replycode, hal.status) == (
        "hal@example.net", "MAIL", "553", "5.1.8",
    )
    assert hal.remote_mta == "mx.example.net"
    assert (ida.recipient, ida.reason) == ("ida@example.org", "hostunknown")


MESSAGING_SERVER_STEPS = """\
From: Internet Mail Delivery <postmaster@ms.example.com>
Subject: Delivery Notification: Delivery has failed

Your message cannot be delivered to the following recipients:

  Recipient address: joy@example.net
  Reason: Remote SMTP server has rejected address
  Diagnostic code: smtp;550 5.1.1 <joy@example.net>... User Unknown
  Remote system: dns;mx.example.net (TCP|192.0.2.1|41000|198.51.100.2|25)

  Recipient address: kai@example.net
  Reason: Remote SMTP server has rejected address
  Diagnostic code: smtp;550 5.7.1 550 User Unknown: kai@example.net
  Remote system: dns;mx.example.net (TCP|192.0.2.1|41000|198.51.100.2|25)

  Recipient address: lou@example.net
  Reason: Remote SMTP server has rejected address
  Diagnostic code: smtp;550 <lou@example.net>: User unknown
  Remote system: dns;mx.example.net (TCP|192.0.2.1|41000|198.51.100.2|25)
"""


def test_messaging_server_summary_step_yields_to_a_status_about_something_else() -> None:
    # "rejected address" reads as RCPT unless the reply's own status names another
    # cause (5.7.1 policy): then the step is open and an unknown-user wording is a filter's.
    joy, kai, lou = _parse("messagingserver", MESSAGING_SERVER_STEPS).evidence
    assert (joy.command, joy.status) == ("RCPT", "5.1.1")
    assert (kai.command, kai.status) == (None, "5.7.1")
    assert lou.command == "RCPT"
    reasons = [v.reason for v in scan(MESSAGING_SERVER_STEPS.encode()).verdicts]
    assert reasons == ["userunknown", "filtered", "userunknown"]


AMAVIS_UBE = """\
From: "Content-filter at mx.example.com" <postmaster@mx.example.com>
Subject: Considered UNSOLICITED BULK EMAIL, apparently from you

A message from <news@example.org> to:
-> jon@example.com
-> kim@example.com

was considered unsolicited bulk e-mail (UBE).
"""


def test_amavis_verdict_names_every_recipient() -> None:
    jon, kim = _parse("amavis", AMAVIS_UBE).evidence
    assert (jon.recipient, jon.reason, kim.recipient) == (
        "jon@example.com", "spamdetected", "kim@example.com",
    )


def test_amavis_header_finding_beats_the_spam_verdict() -> None:
    finding = "Improper folded header field made up entirely of whitespace"
    text = f"{AMAVIS_UBE}\nSubject: hello\n\n{finding}\n"
    (jon, _kim) = _parse("amavis", text).evidence
    assert jon.reason == "notcompliantrfc"
    assert "Improper folded header field" in (jon.diagnostic or "")


SURFCONTROL = """\
From: <MAILER-DAEMON@filter.example.com>
Subject: hello
X-Mailer: SurfControl E-mail Filter

Your message could not be sent.
A transcript of the attempts to send the message follows.
The number of attempts made: 2
Addressed To: lea@example.net

Failed to send to identified host,
lea@example.net: [192.0.2.5], 451 4.3.2 Please try again later
Failed to send to identified host,
lea@example.net: [192.0.2.6], 550 5.1.1 No such user
--- Message non-deliverable.
"""


def test_surfcontrol_last_attempt_wins() -> None:
    (ev,) = _parse("surfcontrol", SURFCONTROL).evidence
    assert (ev.recipient, ev.remote_mta, ev.replycode, ev.status) == (
        "lea@example.net", "192.0.2.6", "550", "5.1.1",
    )


# --------------------------------------------------------------------------- linear time

_JUNK = {
    "address lines": "<a@b.example>:\n",
    "replies": "<<< 550-",
    "summaries": "a.b@c.example... 550 x\n",
    "digits": "5",
    "dots": ".",
}


@pytest.mark.parametrize("junk", sorted(_JUNK))
def test_every_mta_parser_is_linear(junk: str) -> None:
    """10x the input costs about 10x the time (a ratio, never an absolute time)."""
    import time

    unit = _JUNK[junk]
    heads = [EXIM_TWO.split("\n\n", 1)[0], QMAIL, POSTFIX_PLAIN, SENDMAIL_V5, OPENSMTPD, X3_NOTICE]
    names = {d.name for d in detectors()} & set(EXPECTED.values())
    for name in sorted(names):
        detector = _detector(name)
        spent = []
        for size in (20_000, 200_000):
            text = "\n".join(heads) + "\n" + unit * (size // len(unit))
            msg = BounceMessage.from_text(text)
            start = time.process_time()  # CPU time: a busy neighbour does not count
            detector.parse(msg)
            spent.append(time.process_time() - start)
        assert spent[1] < max(spent[0], 0.002) * 40, (name, junk, spent)
