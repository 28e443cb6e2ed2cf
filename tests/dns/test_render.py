"""Findings as terminal lines and as Block Kit blocks within Slack's limits."""

from __future__ import annotations

import json

from bot.dns import render
from bot.dns.model import Diagnosis, Finding

SPF = Finding(
    "spf",
    "example.org for 192.0.2.9",
    "problem",
    "SPF of example.org gives fail for 192.0.2.9 (matched `-all`); 0 of 10 DNS lookups used.",
    "Receivers that enforce SPF reject this IP for this domain.",
    "v=spf1 ip4:198.51.100.0/24 -all",
)


def test_text_lines() -> None:
    lines = render.text_lines(Diagnosis(findings=(SPF,), notes=("A note.",)))
    assert lines[:3] == [
        "DNS checks",
        "----------",
        "[PROBLEM] SPF: SPF of example.org gives fail for 192.0.2.9 (matched `-all`); 0 of 10 DNS "
        "lookups",
    ]
    assert "    Record: v=spf1 ip4:198.51.100.0/24 -all" in lines
    assert lines[3] == "    used."
    assert lines[-1] == "Note: A note."


def test_blocks_quote_the_record_and_escape_dns_text() -> None:
    hostile = Finding(
        "dnsbl",
        "192.0.2.10 on zen.spamhaus.org",
        "problem",
        "Listed: <!channel> & <@U123>",
        "Delist at <https://x|y>.",
        "127.0.0.2`<!here>",
    )
    blocks = render.blocks(Diagnosis(findings=(SPF, hostile)))
    text = json.dumps(blocks)
    assert "<!channel>" not in text and "<@U123>" not in text and "<!here>" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text
    spf = blocks[2]["text"]["text"]
    assert spf.startswith(":warning: *SPF*: SPF of example.org gives fail")
    assert "`v=spf1 ip4:198.51.100.0/24 -all`" in spf


def test_blocks_stay_within_limits_and_say_what_was_left_out() -> None:
    many = tuple(
        Finding("mx", f"d{n}.example.org", "info", "x" * 5000, "y" * 5000, "z" * 5000)
        for n in range(40)
    )
    blocks = render.blocks(Diagnosis(findings=many, notes=("n" * 4000,)))
    assert len(blocks) <= render.MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= render.MAX_SECTION_TEXT
        if block["type"] == "context":
            assert len(block["elements"][0]["text"]) <= render.MAX_CONTEXT_TEXT
    assert "more findings are not shown here" in blocks[-1]["elements"][0]["text"]
    shown = sum(1 for b in blocks if b["type"] == "section") - 1
    left = int(blocks[-1]["elements"][0]["text"].split()[0])
    assert shown + left == len(many)


def test_fallback_text_and_off() -> None:
    assert render.fallback_text(Diagnosis(findings=(SPF,))) == (
        "DNS checks: 1 findings, 1 problem(s)."
    )
    off = Diagnosis(notes=("DNS checks are off (SMTPBOT_DNS=off).",), enabled=False)
    assert render.fallback_text(off) == "DNS checks: DNS checks are off (SMTPBOT_DNS=off)."
    assert render.blocks(off)[-1]["type"] == "context"
