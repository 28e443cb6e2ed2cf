"""`explain` on everything a person may paste: codes, replies, logs, reports, Slack text, chat."""

from __future__ import annotations

import time

import pytest

from bot.core.explain import explain
from bot.core.model import REASONS, Report
from tests.conftest import CORPUS


def one(text: str) -> dict[str, object]:
    report = explain(text)
    assert report.bounce, text
    assert len(report.verdicts) == 1, report.verdicts
    return report.verdicts[0].to_dict()


# --- seed codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "klass", "words"),
    [
        ("550", "permanent", ("mailbox", "address")),
        ("554", "permanent", ("transaction",)),
        ("421", "transient", ("service",)),
        ("450", "transient", ("mailbox",)),
        ("250", "success", ("accepted", "ok", "completed")),
        ("251", "success", ("forward",)),
        ("530", "permanent", ("authentication",)),
        ("535", "permanent", ("credentials", "authentication")),
        ("451", "transient", ("greylist", "local")),
        ("552", "permanent", ("storage", "size", "mailbox")),
    ],
)
def test_seed_codes_are_explained(code: str, klass: str, words: tuple[str, ...]) -> None:
    verdict = one(code)
    assert verdict["replycode"] == code
    assert verdict["class"] == klass
    text = f"{verdict['title']} {verdict['explanation']}".lower()
    assert any(w in text for w in words), text
    assert verdict["explanation"]


def test_bare_550_has_no_reason() -> None:
    assert one("550")["reason"] is None


def test_250_is_delivered_and_not_retried() -> None:
    verdict = one("250")
    assert verdict["reason"] == "delivered"
    assert verdict["retry"] is None


def test_451_is_temporary_and_retryable() -> None:
    verdict = one("451")
    assert verdict["class"] == "transient"
    assert verdict["retry"] is True


def test_554_mentions_blocklists_and_spam_as_spam_reply() -> None:
    verdict = one("550 5.7.1 Message identified as spam")
    assert verdict["reason"] == "spamdetected"


@pytest.mark.parametrize(
    ("text", "status", "reason"),
    [
        ("5.7.26", "5.7.26", "authfailure"),
        ("5.1.1", "5.1.1", "userunknown"),
        ("5.2.2", "5.2.2", "mailboxfull"),
        ("4.7.0", "4.7.0", None),
    ],
)
def test_enhanced_codes(text: str, status: str, reason: str | None) -> None:
    verdict = one(text)
    assert verdict["status"] == status
    assert verdict["class"] == ("transient" if status[0] == "4" else "permanent")
    if reason is not None:
        assert verdict["reason"] == reason


def test_pair() -> None:
    verdict = one("550 5.1.1")
    assert (verdict["replycode"], verdict["status"], verdict["reason"]) == (
        "550",
        "5.1.1",
        "userunknown",
    )


@pytest.mark.parametrize(
    "text",
    ["what does 4.7.28 mean?", "What is 4.7.28", "4.7.28?", "smtp error 4.7.28", "explain 4.7.28"],
)
def test_questions_about_an_enhanced_code(text: str) -> None:
    verdict = one(text)
    assert verdict["status"] == "4.7.28"
    assert verdict["class"] == "transient"


@pytest.mark.parametrize("text", ["what's 550?", "what does 550 mean", "550?", "SMTP 550 error"])
def test_questions_about_a_reply_code(text: str) -> None:
    assert one(text)["replycode"] == "550"


# --- reply lines -------------------------------------------------------------------------------


def test_one_reply_line() -> None:
    verdict = one("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown")
    assert verdict["reason"] == "userunknown"
    assert verdict["retry"] is False
    assert verdict["actions"]
    assert "User unknown" in str(verdict["diagnostic"])


def test_multi_line_reply_gives_one_verdict_with_joined_text() -> None:
    text = (
        "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
        "550-5.1.1 double-checking the recipient's email address for typos or\n"
        "550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser x1 - gsmtp"
    )
    verdict = one(text)
    assert verdict["reason"] == "userunknown"
    diagnostic = str(verdict["diagnostic"])
    assert "Please try double-checking" in diagnostic
    assert "550-5.1.1" not in diagnostic


def test_greylisting_is_explained_as_such() -> None:
    verdict = one(
        "451 4.7.1 <a@example.org>: Recipient address rejected: Greylisted, try again later"
    )
    assert verdict["title"] == "Greylisting"
    assert verdict["class"] == "transient"
    assert verdict["retry"] is True
    assert "again" in str(verdict["explanation"]).lower()


def test_disagreeing_codes_follow_the_reply_code_and_say_so() -> None:
    # RFC 5321: the sending server acts on the reply code, so it sets the class.
    verdict = one("450 5.1.1 <bob@example.com>: user unknown")
    assert verdict["class"] == "transient"
    explanation = str(verdict["explanation"])
    assert "450" in explanation and "5.1.1" in explanation and "permanent" in explanation


@pytest.mark.parametrize(
    ("text", "klass", "said"),
    [
        # Reply code versus enhanced code: the class follows the reply code (RFC 5321).
        ("550 4.2.2 mailbox full", "permanent", ("550", "permanent", "4.2.2", "temporary")),
        ("451 5.7.1 Access denied", "transient", ("451", "temporary", "5.7.1", "permanent")),
        ("250 5.1.1 user unknown", "success", ("250", "success", "5.1.1", "permanent")),
        # The words versus the codes' class.
        ("550 5.2.2 temporarily deferred, try again later", "permanent", ("temporary",)),
        ("450 Mailbox permanently disabled", "transient", ("450", "permanent")),
        ("250 2.0.0 OK user unknown", "success", ("accepted", "Unknown recipient")),
        # The words versus a specific enhanced code's cause, either way round.
        ("550 5.1.1 Mailbox full", "permanent", ("5.1.1", "Mailbox full", "follow the words")),
        ("552 5.2.2 No such user", "permanent", ("Unknown recipient", "follow the code")),
    ],
)
def test_what_disagreed_is_said(text: str, klass: str, said: tuple[str, ...]) -> None:
    verdict = one(text)
    assert verdict["class"] == klass
    explanation = str(verdict["explanation"])
    assert "we follow" in explanation
    for word in said:
        assert word in explanation, (word, explanation)


@pytest.mark.parametrize(
    "text", ["550 5.1.1 user unknown", "421 4.7.0 Try again later", "250 2.0.0 OK queued"]
)
def test_agreeing_codes_and_words_add_no_note(text: str) -> None:
    assert "we follow" not in str(one(text)["explanation"])


def test_provider_is_named_with_its_documentation() -> None:
    verdict = one(
        "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n"
        "550 5.7.26 DMARC policy. https://support.google.com/mail/answer/2451690 x1 - gsmtp"
    )
    assert verdict["reason"] == "authfailure"
    assert verdict["provider"]
    references = verdict["references"]
    assert isinstance(references, list) and references and references[0].startswith("http")


# --- logs ---------------------------------------------------------------------------------------

POSTFIX_LOG = (
    "Oct 12 10:00:01 mx postfix/smtp[123]: ABC123: to=<bob@example.com>, "
    "relay=mx.example.net[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, "
    "status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 <bob@example.com>: "
    "Recipient address rejected: User unknown in local recipient table "
    "(in reply to RCPT TO command))"
)


def test_postfix_log_line() -> None:
    report = explain(POSTFIX_LOG)
    (verdict,) = report.verdicts
    assert verdict.recipient == "bob@example.com"
    assert (verdict.replycode, verdict.status, verdict.reason) == ("550", "5.1.1", "userunknown")
    assert verdict.remote_mta == "mx.example.net"
    assert verdict.action == "failed"


def test_postfix_deferred_log_line_is_temporary() -> None:
    line = POSTFIX_LOG.replace("dsn=5.1.1", "dsn=4.2.2").replace(
        "status=bounced", "status=deferred"
    )
    line = line.replace("550 5.1.1", "452 4.2.2").replace(
        "User unknown in local recipient table", "Mailbox full"
    )
    (verdict,) = explain(line).verdicts
    assert verdict.delivery_class == "transient"
    assert verdict.reason == "mailboxfull"
    assert verdict.retry is False  # it passes once the recipient frees space, not by itself


def test_several_log_lines_give_one_verdict_per_recipient() -> None:
    lines = "\n".join(POSTFIX_LOG.replace("bob@", f"user{i}@") for i in range(3))
    report = explain(lines)
    assert [v.recipient for v in report.verdicts] == [f"user{i}@example.com" for i in range(3)]


def test_exim_log_line() -> None:
    (verdict,) = explain(
        "2024-01-01 12:00:00 1abcde-000123-AB ** a@example.com R=dnslookup T=remote_smtp: "
        "SMTP error from remote mail server after RCPT TO:<a@example.com>: "
        "550 5.2.2 <a@example.com>: mailbox is full"
    ).verdicts
    assert verdict.recipient == "a@example.com"
    assert verdict.reason == "mailboxfull"
    assert verdict.replycode == "550"


def test_exim_refusal_after_mail_from_is_a_sender_rejection() -> None:
    (verdict,) = explain(
        "2024-01-01 12:00:00 1abcde-000123-AB ** a@example.com R=dnslookup T=remote_smtp: "
        "SMTP error from remote mail server after MAIL FROM:<me@example.org> SIZE=1234: "
        "550 5.7.1 Access denied"
    ).verdicts
    assert verdict.reason == "rejected"


def test_sendmail_log_line() -> None:
    (verdict,) = explain(
        "Jan  1 00:00:00 host sm-mta[1]: x0A: to=<c@example.org>, delay=00:00:01, "
        "mailer=esmtp, pri=120, relay=mx.example.org. [192.0.2.3], dsn=5.1.1, stat=User unknown"
    ).verdicts
    assert verdict.recipient == "c@example.org"
    assert (verdict.status, verdict.reason) == ("5.1.1", "userunknown")


def test_diagnostic_code_line() -> None:
    verdict = one(
        "Diagnostic-Code: smtp; 550 5.7.1 Service unavailable; "
        "client [192.0.2.1] blocked using zen.spamhaus.org"
    )
    assert verdict["reason"] == "blocked"
    assert verdict["replycode"] == "550"


def test_bare_dsn_block_is_read_per_recipient() -> None:
    block = (
        "Reporting-MTA: dns; mail.example.org\n\n"
        "Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n"
        "Remote-MTA: dns; mx.example.com\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>: Recipient address rejected:\n"
        "    User unknown in virtual mailbox table\n\n"
        "Final-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.4.1\n"
        "Diagnostic-Code: smtp; 421 4.4.1 connection timed out\n"
    )
    report = explain(block)
    assert [v.recipient for v in report.verdicts] == ["a@example.com", "b@example.com"]
    first, second = report.verdicts
    assert (first.reason, first.delivery_class, first.action) == (
        "userunknown",
        "permanent",
        "failed",
    )
    assert "virtual mailbox table" in (first.diagnostic or "")
    assert second.delivery_class == "transient"


# --- human reports ------------------------------------------------------------------------------


def test_gmail_report() -> None:
    text = (
        "Delivery to the following recipient failed permanently:\n\n"
        "     nobody@example.com\n\n"
        "Technical details of permanent failure:\n"
        "Google tried to deliver your message, but it was rejected by the server for the "
        "recipient domain example.com by mx.example.com. [192.0.2.1].\n\n"
        "The error that the other server returned was:\n"
        "550 5.1.1 <nobody@example.com>... User unknown\n"
    )
    (verdict,) = explain(text).verdicts
    assert verdict.recipient == "nobody@example.com"
    assert verdict.reason == "userunknown"


def test_microsoft_report() -> None:
    text = (
        "Your message to someone@example.com couldn't be delivered.\n"
        "someone wasn't found at example.com.\n\n"
        "Diagnostic information for administrators:\n"
        "Generating server: AM0PR01MB0000.eurprd01.prod.outlook.com\n"
        "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
        "Recipient not found by SMTP address lookup'\n"
    )
    (verdict,) = explain(text).verdicts
    assert verdict.recipient == "someone@example.com"
    assert verdict.reason == "userunknown"
    assert verdict.status == "5.1.10"


def test_microsoft_recipient_list() -> None:
    text = (
        "Delivery has failed to these recipients or groups:\n\n"
        "a@example.com (a@example.com)\n"
        "b@example.com (b@example.com)\n"
        "The email address you entered couldn't be found. Please check the recipient's "
        "email address and try to resend the message.\n"
    )
    report = explain(text)
    assert [v.recipient for v in report.verdicts] == ["a@example.com", "b@example.com"]
    assert {v.reason for v in report.verdicts} == {"userunknown"}


def test_postfix_report_body() -> None:
    text = (
        "This is the mail system at host mail.example.org.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        "<a@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@example.com>:\n"
        "    Recipient address rejected: User unknown (in reply to RCPT TO command)\n\n"
        "<b@example.net>: host mx.example.net[192.0.2.2] said: 552 5.2.2 Mailbox full\n"
        "    (in reply to RCPT TO command)\n"
    )
    report = explain(text)
    assert [(v.recipient, v.reason) for v in report.verdicts] == [
        ("a@example.com", "userunknown"),
        ("b@example.net", "mailboxfull"),
    ]


def test_whole_email_goes_to_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []

    def fake_scan(raw: bytes) -> Report:
        seen.append(raw)
        return Report(bounce=True, source_format="fake")

    monkeypatch.setattr("bot.core.scan.scan", fake_scan)
    text = (
        "From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail\n"
        "Content-Type: text/plain\n\nhi\n"
    )
    assert explain(text).source_format == "fake"
    assert seen and seen[0].startswith(b"From: MAILER-DAEMON")


def test_pasted_corpus_bounce_is_read_per_recipient() -> None:
    raw = (CORPUS / "emails" / "maildir" / "bsd" / "lhost-postfix-01.eml").read_bytes()
    report = explain(raw.decode("utf-8", "replace"))
    assert report.bounce
    assert report.verdicts and all(v.recipient for v in report.verdicts)


# --- Slack ---------------------------------------------------------------------------------------


def test_slack_escaping() -> None:
    text = (
        "<@U123ABC> &lt;<mailto:bob@example.com|bob@example.com>&gt;: "
        "host mx.example.com[192.0.2.1] "
        "said: 550 5.1.1 User unknown &amp; gone, see <https://example.com/help|help> "
        "(in reply to RCPT TO command)"
    )
    (verdict,) = explain(text).verdicts
    assert verdict.recipient == "bob@example.com"
    assert verdict.reason == "userunknown"
    assert "&amp;" not in (verdict.diagnostic or "")
    assert "<@U123ABC>" not in (verdict.diagnostic or "")


def test_slack_escaped_code_only() -> None:
    assert one("<@U0123> what does 5.7.26 mean?")["status"] == "5.7.26"


# --- chat is not a bounce -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "we shipped 550 units",
        "call 421-555-0100",
        "release 5.7.1 is out",
        "ticket 4.2.1 is done",
        "version 2.4.5 fixes the login page",
        "meeting at 4:50 tomorrow",
        "the server at 192.0.2.1 is fine",
        "it costs $550",
        "on 2025-05-05 we had 250 visitors",
        "550 units shipped today",
        "lunch?",
        "see you at 12:30",
        "https://example.com/550/5.1.1",
    ],
)
def test_chat_with_numbers_is_not_a_bounce(text: str) -> None:
    report = explain(text)
    assert report.bounce is False
    assert report.verdicts == []


# --- bad input ---


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\x00\x01\x02 binary \xff\xfe",
        "\ud800\udfff broken surrogates 550 5.1.1 user unknown",
        "9" * 100_000,
        "5." * 50_000,
        "<" * 100_000,
        "a@" * 50_000,
        "550-" * 30_000,
        "From: x\n" * 20_000,
    ],
)
def test_bad_input_never_raises(text: str) -> None:
    report = explain(text)
    assert isinstance(report.bounce, bool)
    for verdict in report.verdicts:
        assert verdict.reason is None or verdict.reason in REASONS
        assert verdict.delivery_class in (None, "success", "transient", "permanent")
    if not text.strip():
        assert report.bounce is False


def _timed(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        explain(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize(
    "unit",
    [
        "550 5.1.1 user unknown ",
        "1234567890",
        "....",
        "----",
        "    ",
        "<<>>",
        "a@b.",
        "x@",
        "\n550-",
        "5.1.",
    ],
)
def test_time_grows_linearly(unit: str) -> None:
    small = unit * (100_000 // len(unit))
    large = unit * (1_000_000 // len(unit))
    t_small, t_large = _timed(small), _timed(large)
    assert t_large < 1.0
    assert t_large <= max(20 * t_small, 0.05), (t_small, t_large)


# --- issue 10: glosses, references and steps ------------------------------------------------


def test_a_provider_rule_gloss_is_preferred_to_the_registry_meaning() -> None:
    from bot.core.classify import _provider_meaning
    from bot.core.codes import status_code
    from bot.core.providers import Provider, ProviderRule

    provider = Provider(key="microsoft365", name="Microsoft 365", docs=None)
    rule = ProviderRule(
        provider, "userunknown", "Unknown", None, (), "https://learn.microsoft.com/",
        gloss="Microsoft: recipient not in the tenant's directory",
    )
    assert _provider_meaning(rule, status_code("5.4.1")) == (
        "Microsoft: recipient not in the tenant's directory"
    )


def test_a_code_used_in_a_provider_meaning_is_not_glossed_with_the_registry() -> None:
    verdict = one("550 5.4.1 Recipient address rejected: Access denied. "
                  "[AM0PR02MB1234.eurprd02.prod.outlook.com]")
    assert "No answer from host" not in str(verdict["explanation"])
    found = one("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
                "address lookup")
    assert not any("rfc7505" in r or "rfc7504" in r for r in found["references"])


def test_a_bare_5_7_1_is_delivery_not_authorized() -> None:
    verdict = one("5.7.1")
    assert verdict["title"] == "Delivery not authorized, message refused"
    assert "log in" not in str(verdict["explanation"]).lower()


@pytest.mark.parametrize(
    ("text", "never"),
    [
        ("250", ("rfc1985", "rfc2645", "rfc3030", "rfc6710")),
        ("550", ("rfc6710", "rfc6531", "rfc7505")),
        ("5.7.26", ("rfc6531",)),
        ("550 5.7.26 Unauthenticated email is not accepted due to domain's DMARC policy",
         ("rfc6531", "rfc6710")),
    ],
)
def test_no_rfc_is_cited_only_because_it_mentions_the_code(
    text: str, never: tuple[str, ...]
) -> None:
    references = " ".join(one(text)["references"])
    for rfc in never:
        assert rfc not in references, (text, references)


def test_a_rate_limit_gets_no_delisting_advice_and_a_consumer_no_admin_step() -> None:
    limited = one("421 4.7.0 Too many connections from your IP, slow down")
    actions = " ".join(limited["actions"]).lower()
    assert limited["reason"] == "ratelimited"
    assert "delist" not in actions and "blocklist" not in actions
    full = one("452 4.3.1 Insufficient system storage <ann@yahoo.com>")
    assert full["provider"] == "Yahoo Mail"
    assert not any("recipient's administrator" in a for a in full["actions"]), full["actions"]
