"""Pasted-text parsing: Slack unescaping, lookups, continuation lines, records, the reply rule."""

from __future__ import annotations

import pytest

from bot.core import replytext as rt
from bot.core.explain import explain


def test_unescape_slack() -> None:
    text = (
        "<@U1> &lt;<mailto:a@b.com|a@b.com>&gt; &amp; <https://x.example/p|link> <#C1|ops> <!here>"
    )
    assert rt.unescape_slack(text) == " <a@b.com> & https://x.example/p #ops "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("451", ("451", None)),
        ("5.7.26", (None, "5.7.26")),
        ("550 5.1.1", ("550", "5.1.1")),
        ("what does 4.7.28 mean?", (None, "4.7.28")),
        ("what's 550?", ("550", None)),
        ("smtp error 421", ("421", None)),
    ],
)
def test_lookup(text: str, expected: tuple[str | None, str | None]) -> None:
    assert rt.lookup(text) == expected


@pytest.mark.parametrize("text", ["550 units", "we shipped 550 units", "5.7.1 is out", "hello"])
def test_lookup_rejects_chat(text: str) -> None:
    assert rt.lookup(text) is None


def test_join_continuations() -> None:
    lines = ["550-5.7.1 first part", "550-5.7.1 second part", "550 5.7.1 last part", "after"]
    assert rt.join_continuations(lines) == ["550 5.7.1 first part second part last part", "after"]


def test_parse_records_reads_blocks_and_lone_addresses() -> None:
    lines = [
        "<a@example.com>: host mx said: 550 5.1.1 user unknown",
        "    (in reply to RCPT TO command)",
        "",
        "b@example.net",
        "c@example.org (c@example.org)",
    ]
    records, lone = rt.parse_records(lines)
    assert [(r.recipient, r.text) for r in records] == [
        ("a@example.com", "host mx said: 550 5.1.1 user unknown (in reply to RCPT TO command)")
    ]
    assert lone == ["b@example.net", "c@example.org"]


def test_exim_indented_block() -> None:
    lines = [
        "  a@example.com",
        "    host mx.example.com [192.0.2.1]",
        "    SMTP error from remote mail server after RCPT TO:<a@example.com>:",
        "    550 5.1.1 unknown user",
    ]
    records, lone = rt.parse_records(lines)
    assert lone == []
    assert records[0].recipient == "a@example.com"
    assert "550 5.1.1 unknown user" in records[0].text


def test_dsn_fields() -> None:
    evidence = rt.parse_dsn(
        [
            "Final-Recipient: rfc822; a@b.com",
            "Action: failed",
            "Status: 5.2.2 (mailbox full)",
            "Remote-MTA: dns; mx.b.com",
            "Diagnostic-Code: smtp; 552 5.2.2 Over quota",
            "  more words",
        ]
    )
    assert len(evidence) == 1
    e = evidence[0]
    assert (e.recipient, e.action, e.status, e.remote_mta) == (
        "a@b.com",
        "failed",
        "5.2.2",
        "mx.b.com",
    )
    assert e.diagnostic == "552 5.2.2 Over quota more words"


def test_find_command_and_remote() -> None:
    low = "host mx.example.net[192.0.2.1] said: 550 nope (in reply to mail from command)"
    assert rt.find_command(low) == "MAIL"
    assert rt.find_remote_mta(low) == "mx.example.net"
    assert rt.find_command("smtp error from remote mail server after initial connection:") == "CONN"


@pytest.mark.parametrize(
    "text",
    [
        "550 Requested action not taken: mailbox unavailable",
        "Remote host said: 554 rejected",
        "<<< 550 5.1.1 nope",
        "User unknown",
        "retry timeout exceeded",
        "the server said 5.7.26 for our mail",
    ],
)
def test_is_reply(text: str) -> None:
    assert rt.is_reply(text)


@pytest.mark.parametrize(
    "text",
    [
        "we shipped 550 units",
        "550 units shipped today",
        "call 421-555-0100",
        "release 5.7.1 is out",
    ],
)
def test_is_not_reply(text: str) -> None:
    assert not rt.is_reply(text)


def test_looks_like_email() -> None:
    assert rt.looks_like_email("Received: from x\nFrom: a@b\nSubject: y\n\nbody")
    assert rt.looks_like_email("From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nFrom: x\n")
    assert not rt.looks_like_email("Final-Recipient: rfc822; a@b\nAction: failed\n")
    assert not rt.looks_like_email("550 5.1.1 user unknown")


def test_focus_takes_the_servers_words() -> None:
    text = "Some intro\nThe error that the other server returned was:\n550 5.1.1 gone\n\nfooter"
    assert rt.focus(text) == "550 5.1.1 gone"


@pytest.mark.parametrize("dsn", ["0.0.0", "9.1.1", "1.2.3", "3.0.0", "5.1.1234"])
def test_log_line_rejects_invalid_dsn(dsn: str) -> None:
    """RFC 3463 classes are 2, 4 and 5: any other ``dsn=`` is no status at all."""
    sent = f"postfix/smtp[1]: to=<a@b.com>, relay=mx.b.com[192.0.2.1]:25, dsn={dsn}, stat=Sent (ok)"
    records, _ = rt.parse_records([sent])
    assert records and records[0].status is None
    bounced = f"postfix/smtp[1]: to=<a@b.com>, dsn={dsn}, status=bounced (said: 550 5.1.1 no user)"
    verdict = explain(bounced).verdicts[0]
    assert verdict.status == "5.1.1"
    assert verdict.delivery_class == "permanent"


def test_log_line_keeps_valid_dsn() -> None:
    line = "sendmail[1]: to=<a@b.com>, dsn=4.4.1, stat=Deferred: Connection refused"
    records, _ = rt.parse_records([line])
    assert records[0].status == "4.4.1"
    assert explain(line).verdicts[0].status == "4.4.1"


def test_focus_keys_pass_the_prefilter() -> None:
    """`focus` skips its key search when a paste has no ``:``, ``;`` or ``'``."""
    assert all(":" in k or ";" in k or "'" in k for k in rt._FOCUS_KEYS)


@pytest.mark.parametrize("text", ["550:", "<550>", "550 5.1.1 (x)", "a@b 550", "550-5.1.1", "#550"])
def test_lookup_prefilter_rejects_punctuation(text: str) -> None:
    """Characters no lookup can hold end the lookup test before its regex runs."""
    assert rt.lookup(text) is None
    assert rt._LOOKUP.fullmatch(text) is None


def test_join_continuations_single_dash_line() -> None:
    assert rt.join_continuations(["550-5.1.1 gone"]) == ["550 5.1.1 gone"]
    assert rt.join_continuations([">  421-try later", "421 bye"]) == ["421 try later bye"]


@pytest.mark.parametrize(
    "text",
    ["", "a b", " a", "a ", "a  b", "a\nb", "a\tb", "a\xa0b", "a\u2028b", "a\x1cb", "x" * 5000],
)
def test_squash_fast_path_matches_split(text: str) -> None:
    assert rt._squash(text) == " ".join(text[: rt.MAX_DIAGNOSTIC * 2].split())[: rt.MAX_DIAGNOSTIC]
