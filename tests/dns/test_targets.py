"""What a bounce names for DNS to check: pure extraction, no server needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.explain import explain
from bot.core.scan import scan
from bot.dns.targets import dkim_pair, find_targets, first_external_hop, reply_ips

BOUNCES = Path(__file__).with_name("bounces")


def test_gmail_bounce_with_returned_headers() -> None:
    raw = (BOUNCES / "gmail-5.7.26.eml").read_bytes()
    targets = find_targets(scan(raw), raw)
    assert targets.sending_ips == ("192.0.2.9",)
    assert targets.sources["ip"] == "the server's reply"
    assert targets.from_domain == "pass.example.org"
    assert targets.return_path_domain == "fail.example.org"
    assert targets.dkim == (("mailer.example.net", "nokey"),)
    assert targets.recipient_domains == ("gmail.example.com",)
    assert targets.reasons == {"authfailure"} and targets.statuses == {"5.7.26"}
    # The remote server's own address (host gmail-smtp-in...[198.51.100.27]) is not the sender's.
    assert "198.51.100.27" not in targets.sending_ips


def test_received_hops_read_from_the_top_skipping_internal_addresses() -> None:
    received = [
        "from mx.gmail.example.com (mx.gmail.example.com [198.51.100.5]) by mx.example by x",
        "from out.pass.example.org (out.pass.example.org [192.0.2.9]) by mx.gmail.example.com",
        "from laptop (unknown [10.1.2.3]) by out.pass.example.org",
    ]
    assert first_external_hop(received) == "198.51.100.5"
    assert first_external_hop(received[2:]) is None
    assert first_external_hop(["by localhost with LMTP", *received[1:]]) == "192.0.2.9"


def test_plain_text_returned_message_and_x_originating_ip() -> None:
    raw = (
        "From: MAILER-DAEMON@mx.example.net\nTo: alice@fail.example.org\n"
        "Subject: Mail delivery failed\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "  bob@nullmx.example.org\n    host lookup did not complete: null MX (5.1.10)\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        "Received: from [10.9.9.9] (helo=laptop) by mx.example.net\n"
        "X-Originating-IP: [198.51.100.44]\n"
        "From: alice@fail.example.org\nTo: bob@nullmx.example.org\nSubject: hi\n\nbody\n"
    )
    targets = find_targets(explain(raw), raw)
    assert targets.sending_ips == ("198.51.100.44",)
    assert targets.sources["ip"] == "the returned message's X-Originating-IP:"
    assert targets.from_domain == "fail.example.org"


@pytest.mark.parametrize(
    ("reply", "ips"),
    [
        (
            "host mx.example.net[198.51.100.25] said: 550 5.7.606 Access denied, banned sending "
            "IP [192.0.2.9].",
            ["192.0.2.9"],
        ),
        (
            "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using "
            "zen.spamhaus.org",
            ["192.0.2.10"],
        ),
        (
            "550 5.7.25 [2001:db8::25] The IP address sending this message does not have a PTR "
            "record setup",
            ["2001:db8::25"],
        ),
        ("450 4.7.1 Client host rejected: cannot find your hostname, [10.0.0.1]", []),
        ("550 5.1.1 <bob@example.org> at 09:14:02: user unknown; version 1.2.3.4.5", []),
    ],
)
def test_reply_ips(reply: str, ips: list[str]) -> None:
    assert reply_ips(reply) == ips


@pytest.mark.parametrize(
    ("value", "pair"),
    [
        ("v=1; a=rsa-sha256; d=Example.ORG; s=sel1; b=abc", ("example.org", "sel1")),
        ("v=1; a=rsa-sha256;\n\td=example.org;\n\ts=2026.mail; bh=x", ("example.org", "2026.mail")),
        ("v=1; s=sel1; b=abc", None),
        ("v=1; d=not a domain; s=x", None),
    ],
)
def test_dkim_pair(value: str, pair: tuple[str, str] | None) -> None:
    assert dkim_pair(value) == pair


def test_a_pasted_line_without_returned_message() -> None:
    line = "550 5.7.1 Rejected: 192.0.2.10 listed at zen.spamhaus.org"
    targets = find_targets(explain(line), line)
    assert targets.sending_ips == ("192.0.2.10",)
    assert targets.blocklists == ("zen.spamhaus.org",)
    assert targets.from_domain is None and targets.dkim == ()


def test_received_prefers_the_address_the_receiver_saw_to_the_helo() -> None:
    hop = (
        "from [203.0.113.25] (p22-kyoto.example.net. [192.0.2.225]) by smtp.example.com "
        "with ESMTPSA id y23"
    )
    assert first_external_hop([hop]) == "192.0.2.225"
    qmail = "from 192.0.2.12 (EHLO mail4.example.net) (192.0.2.12) by mx4.example.com with SMTP"
    assert first_external_hop([qmail]) == "192.0.2.12"


@pytest.mark.parametrize(
    "reply",
    [
        "delivery temporarily suspended: connect to mx.example.com[192.0.2.232]: server refused",
        "conversation with mx.example.com[192.0.2.232] timed out while receiving the initial "
        "server greeting",
        "The recipient server did not accept our requests to connect. [mx.example.com "
        "192.0.2.232: timed out]",
    ],
)
def test_the_remote_servers_own_address_is_not_the_senders(reply: str) -> None:
    assert reply_ips(reply) == []


def test_a_bounce_pasted_in_slack_is_read_through_its_escapes() -> None:
    raw = (BOUNCES / "gmail-5.7.26.eml").read_text(encoding="utf-8")
    pasted = (
        raw.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace(
            "Alice &lt;alice@pass.example.org&gt;",
            "Alice &lt;<mailto:alice@pass.example.org|alice@pass.example.org>&gt;",
        )
    )
    targets = find_targets(explain(pasted), pasted)
    assert targets.from_domain == "pass.example.org"
    assert targets.return_path_domain == "fail.example.org"
    assert targets.sending_ips == ("192.0.2.9",)
