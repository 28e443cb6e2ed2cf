"""/smtp: a fast ack, an ephemeral answer through response_url, and the Share button."""

from __future__ import annotations

from fake_slack import payloads as p
from slack_helpers import BOUNCE, CHAT, RunningApp, posted_text


def _share_button(blocks: list[dict]) -> dict:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "share_in_channel":
                return element
    raise AssertionError("no Share in channel button")


def test_smtp_acks_at_once_then_answers_only_the_caller(slack_app: RunningApp) -> None:
    reply = slack_app.command(BOUNCE)
    assert reply.status == 200
    assert reply.seconds < 3.0
    (answer,) = slack_app.fake.wait_calls("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["text"]
    assert answer.path.endswith("/cmd")
    shown = posted_text(answer)
    assert "550" in shown
    _share_button(answer.params["blocks"])
    # The answer went through response_url: no message was posted in the channel.
    assert slack_app.fake.calls("chat.postMessage") == []


def test_share_button_posts_the_same_answer_visibly(slack_app: RunningApp) -> None:
    slack_app.command(BOUNCE)
    (answer,) = slack_app.fake.wait_calls("response_url")
    button = _share_button(answer.params["blocks"])

    share_url = slack_app.fake.response_url("share")
    reply = slack_app.interactive(p.block_action("share_in_channel", button["value"], share_url))
    assert reply.status == 200
    calls = slack_app.fake.wait_calls("response_url", 2)
    shared = calls[1]
    assert shared.path.endswith("/share")
    assert shared.params["response_type"] == "in_channel"
    assert shared.params.get("replace_original") is False
    # The same answer, minus the button, plus who shared it.
    original = [b for b in answer.params["blocks"] if b.get("type") != "actions"]
    assert shared.params["blocks"][: len(original)] == original
    assert f"<@{p.USER}>" in posted_text(shared)
    assert all(b.get("type") != "actions" for b in shared.params["blocks"])


def test_share_of_a_long_paste_survives_the_2000_character_button_limit(
    slack_app: RunningApp,
) -> None:
    long_text = BOUNCE + "\n" + ("x" * 80 + "\n") * 60
    assert len(long_text) > 2000
    slack_app.command(long_text)
    (answer,) = slack_app.fake.wait_calls("response_url")
    button = _share_button(answer.params["blocks"])
    assert len(button["value"]) <= 2000
    slack_app.interactive(
        p.block_action("share_in_channel", button["value"], slack_app.fake.response_url("share"))
    )
    shared = slack_app.fake.wait_calls("response_url", 2)[1]
    assert shared.params["response_type"] == "in_channel"
    assert "550" in posted_text(shared)


def test_share_with_an_unknown_value_says_it_expired(slack_app: RunningApp) -> None:
    slack_app.interactive(
        p.block_action("share_in_channel", "k:gone", slack_app.fake.response_url("share"))
    )
    (answer,) = slack_app.fake.wait_calls("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert "expired" in answer.params["text"]


def test_help_and_empty_command_show_usage_with_examples(slack_app: RunningApp) -> None:
    slack_app.command("help")
    slack_app.command("   ")
    answers = slack_app.fake.wait_calls("response_url", 2)
    for answer in answers:
        assert answer.params["response_type"] == "ephemeral"
        shown = posted_text(answer)
        assert "/smtp" in shown
        assert "5.7.26" in shown  # an example


def test_text_without_smtp_gets_a_friendly_answer_with_examples(slack_app: RunningApp) -> None:
    slack_app.command(CHAT)
    (answer,) = slack_app.fake.wait_calls("response_url")
    shown = posted_text(answer)
    assert "could not find" in shown
    assert "/smtp 550 5.1.1" in shown
    assert "share_in_channel" not in shown
