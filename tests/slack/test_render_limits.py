"""Whatever the input, rendered messages stay within Block Kit's limits and can never ping."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fake_slack import payloads as p
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_helpers import BOUNCE, RunningApp, posted_text
from slack_sdk.models.blocks import Block

from bot.core.limits import MAX_EXPLAIN_CHARS, MAX_PASTE_RECIPIENTS
from bot.core.model import REASONS, Report, Verdict
from bot.slack.render import (
    escape,
    render_file_too_large,
    render_home,
    render_no_smtp,
    render_report,
    render_usage,
)

# Our own markup only: documentation links and the "Shared by" user mention.
_OWN_MARKUP = re.compile(r"<(?:https?://[^\s<>|]+\|[^<>]*|@[UW][A-Z0-9]+)>")


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            t
            for key, value in node.items()
            for t in ([value] if key == "text" and isinstance(value, str) else _texts(value))
        ]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def assert_within_limits(text: str, blocks: list[dict[str, Any]]) -> None:
    assert text.strip(), "fallback text is missing"
    assert len(text) <= 4000
    assert 0 < len(blocks) <= 50
    for block in blocks:
        Block.parse(block).to_dict()  # slack_sdk's own validators
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= 150
        elif kind == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            fields = block.get("fields", [])
            assert len(fields) <= 10
            assert all(len(f["text"]) <= 2000 for f in fields)
            assert "text" in block or fields
        elif kind == "context":
            assert 0 < len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
        elif kind == "actions":
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element.get("value", "")) <= 2000
    for piece in [text, *_texts(blocks)]:
        stripped = _OWN_MARKUP.sub("", piece)
        assert "<" not in stripped and ">" not in stripped, f"unescaped markup in {piece[:200]!r}"


_PIECES = [*"ab <>&!@#*_~`|\n:.-5", "<!channel>", "<!here>", "&amp;", "<@U1>", "é", "\u202e"]
NASTY = st.lists(st.sampled_from(_PIECES), max_size=200).map("".join)
BIG = st.builds(lambda s, n: s * n, NASTY, st.integers(1, 60))
MAYBE = st.one_of(st.none(), NASTY)


@st.composite
def verdicts(draw: st.DrawFn) -> Verdict:
    return Verdict(
        title=draw(st.one_of(NASTY, BIG)),
        explanation=draw(st.one_of(NASTY, BIG)),
        recipient=draw(MAYBE),
        replycode=draw(st.one_of(st.none(), st.from_regex(r"[245][0-9][0-9]", fullmatch=True))),
        status=draw(MAYBE),
        delivery_class=draw(st.sampled_from([None, "success", "transient", "permanent"])),
        reason=draw(st.one_of(st.none(), st.sampled_from(sorted(REASONS)))),
        retry=draw(st.sampled_from([None, True, False])),
        provider=draw(MAYBE),
        actions=draw(st.lists(NASTY, max_size=12)),
        diagnostic=draw(st.one_of(st.none(), NASTY, BIG)),
        references=draw(
            st.lists(st.one_of(NASTY, st.just("https://example.com/a?b=c&d")), max_size=5)
        ),
    )


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(verdicts(), min_size=1, max_size=4),
    st.integers(0, 400),
    st.booleans(),
    st.lists(st.one_of(NASTY, BIG), max_size=3),
)
def test_any_report_renders_within_limits(
    some: list[Verdict], extra: int, share: bool, notices: list[str]
) -> None:
    many = some + [some[i % len(some)] for i in range(extra)]
    report = Report(bounce=True, verdicts=many, notices=notices)
    rendered = render_report(
        report, share_value="t:" + "x" * 3000 if share else None, footer="Shared by <@U0ABC>"
    )
    assert_within_limits(rendered.text, rendered.blocks)


def test_recipients_are_grouped_by_reason_ten_shown_and_the_rest_counted() -> None:
    def verdict(i: int, reason: str) -> Verdict:
        return Verdict(
            title=f"T {reason}",
            explanation="x",
            recipient=f"r{i}@example.com",
            reason=reason,
            delivery_class="permanent",
        )

    report = Report(
        bounce=True,
        verdicts=[verdict(i, "userunknown") for i in range(23)]
        + [verdict(100 + i, "mailboxfull") for i in range(2)],
    )
    rendered = render_report(report)
    shown = str(rendered.blocks)
    assert sum(f"r{i}@example.com" in shown for i in range(23)) == 10
    assert "and 13 more" in shown
    assert "r100@example.com" in shown and "r101@example.com" in shown
    assert "`userunknown` · 23 recipients" in shown
    assert "25 recipients" in rendered.blocks[0]["text"]["text"]
    assert_within_limits(rendered.text, rendered.blocks)


NOTICE = (
    "Only the first 1,000 recipients are reported; 5 more were left out "
    "(limit MAX_PASTE_RECIPIENTS)."
)


@pytest.mark.parametrize("count", [1, 25, 400])
def test_limit_notices_are_a_context_line_kept_within_the_blocks(count: int) -> None:
    """What a limit left out is told in the answer, even when the blocks run out."""
    report = Report(
        bounce=True,
        verdicts=[
            Verdict(
                title=f"T{i}",
                explanation="x",
                recipient=f"r{i}@example.com",
                reason=sorted(REASONS)[i % len(REASONS)],
                delivery_class="permanent",
            )
            for i in range(count)
        ],
        notices=[NOTICE, "a <!channel> & b"],
    )
    rendered = render_report(report, share_value="v", footer="Shared by <@U0ABC>")
    assert_within_limits(rendered.text, rendered.blocks)
    kinds = [b["type"] for b in rendered.blocks]
    assert kinds[-3:] == ["context", "context", "actions"], "notices, footer, then the button"
    line = rendered.blocks[-3]["elements"][0]["text"]
    assert line == (
        f":information_source: {NOTICE}\n:information_source: a &lt;!channel&gt; &amp; b"
    )


def test_no_notice_no_context_line() -> None:
    verdict = Verdict(title="T", explanation="x")
    blocks = render_report(Report(bounce=True, verdicts=[verdict])).blocks
    assert "information_source" not in str(blocks)


def test_distinct_emoji_per_class() -> None:
    headers = {
        cls: render_report(
            Report(bounce=True, verdicts=[Verdict(title="x", explanation="y", delivery_class=cls)])
        ).blocks[0]["text"]["text"]
        for cls in ("permanent", "transient", "success")
    }
    emoji = {h.split()[0] for h in headers.values()}
    assert len(emoji) == 3


def test_single_verdict_shows_fields_explanation_steps_link_and_server_words() -> None:
    verdict = Verdict(
        title="Mailbox does not exist",
        explanation="The address is wrong & <unknown>.",
        recipient="bob@example.com",
        replycode="550",
        status="5.1.1",
        delivery_class="permanent",
        reason="userunknown",
        retry=False,
        provider="Gmail",
        actions=["Fix the address"],
        diagnostic="550 5.1.1 <!channel> `no` such user",
        references=["https://support.google.com/mail/answer/6596"],
    )
    rendered = render_report(Report(bounce=True, verdicts=[verdict]))
    shown = str(rendered.blocks)
    for label in ("Reply code", "Status", "Reason", "Recipient", "Provider"):
        assert f"*{label}*" in shown
    assert "Next steps" in shown and "Fix the address" in shown
    assert "<https://support.google.com/mail/answer/6596|" in shown
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "wrong &amp; &lt;unknown&gt;" in shown
    assert_within_limits(rendered.text, rendered.blocks)


def test_long_text_is_cut_visibly_never_silently() -> None:
    verdict = Verdict(title="x", explanation="word " * 2000, diagnostic="y" * 5000)
    shown = str(render_report(Report(bounce=True, verdicts=[verdict])).blocks)
    assert "more characters" in shown


def test_our_own_messages_are_within_limits() -> None:
    for rendered in (
        render_usage(),
        render_no_smtp(),
        render_file_too_large("<!here>.eml", 11 << 20, 10 << 20),
    ):
        assert_within_limits(rendered.text, rendered.blocks)
    home = render_home([(f"reason{i}", i) for i in range(100)])
    assert len(home["blocks"]) <= 100
    assert_within_limits("home", home["blocks"])


def test_escape() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_a_20_kb_paste_through_the_app_is_answered_within_limits(slack_app: RunningApp) -> None:
    lines = [
        f"550 5.1.1 <user{i}@example.net>: Recipient address rejected: User unknown "
        "<!channel> & `code`"
        for i in range(240)
    ]
    paste = "\n".join(lines)
    assert len(paste) > 20_000
    slack_app.event(p.message(paste))
    slack_app.command(paste[:3900])  # Slack caps command text; the rest is the same story
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    (ephemeral,) = slack_app.fake.wait_calls("response_url")
    for call in (answer, ephemeral):
        assert_within_limits(call.params["text"], call.params["blocks"])


def test_odd_input_through_the_app_is_answered_or_ignored_never_crashes(
    slack_app: RunningApp,
) -> None:
    odd = [
        "",
        " ",
        "\x00\x01\x02",
        "<!channel>",
        "5" * 100_000,
        "550",
        "&lt;&gt;&amp;" * 500,
        "\u202e\ufeff550 5.1.1 ¿?",
        BOUNCE + "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    ]
    for text in odd:
        assert slack_app.command(text).status == 200
    answers = slack_app.fake.wait_calls("response_url", len(odd), timeout=20)
    for call in answers:
        assert_within_limits(call.params["text"], call.params["blocks"])


def _upload(app: RunningApp, name: str, content: bytes) -> Any:
    info = app.fake.add_file(
        "F0" + name.upper().replace(".", ""), name, content, mimetype="text/plain"
    )
    app.event(p.message("", subtype="file_share", files=[info], ts=p.next_ts()))
    (answer,) = app.fake.wait_calls("chat.postMessage")
    return answer


def test_an_uploaded_log_over_the_recipient_limit_says_so_in_the_answer(
    slack_app: RunningApp,
) -> None:
    log = "\n".join(
        f"postfix/smtp[1]: A{n}: to=<u{n}@example.com>, dsn=5.1.1, status=bounced "
        "(host mx.example.com said: 550 5.1.1 user unknown)"
        for n in range(MAX_PASTE_RECIPIENTS + 3)
    )
    answer = _upload(slack_app, "log.txt", log.encode())
    assert_within_limits(answer.params["text"], answer.params["blocks"])
    assert "3 more were left out (limit MAX_PASTE_RECIPIENTS)" in posted_text(answer)


def test_an_uploaded_text_read_in_part_with_no_failure_says_so(slack_app: RunningApp) -> None:
    answer = _upload(slack_app, "notes.txt", b"hello there\n" * (MAX_EXPLAIN_CHARS // 10))
    shown = posted_text(answer)
    assert "I found no delivery failure in what I read of notes.txt" in shown
    assert "(limit MAX_EXPLAIN_CHARS)" in shown
