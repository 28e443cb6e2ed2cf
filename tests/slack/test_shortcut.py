"""Message shortcut "Explain bounce": the answer is visible only to the caller."""

from __future__ import annotations

from fake_slack import payloads as p
from slack_helpers import BOUNCE, CHAT, RunningApp, multi_bounce_eml, posted_text


def test_shortcut_answers_the_caller_ephemerally_through_response_url(
    slack_app: RunningApp,
) -> None:
    msg = p.message(BOUNCE, user="U0OTHER")
    url = slack_app.fake.response_url("shortcut")
    assert slack_app.interactive(p.message_shortcut("explain_bounce", msg, url)).status == 200
    (answer,) = slack_app.fake.wait_calls("response_url")
    assert answer.path.endswith("/shortcut")
    assert answer.params["response_type"] == "ephemeral"
    assert "550" in posted_text(answer)
    assert slack_app.fake.calls("chat.postMessage") == []


def test_shortcut_without_response_url_uses_post_ephemeral_for_the_caller(
    slack_app: RunningApp,
) -> None:
    msg = p.message(BOUNCE, user="U0OTHER")
    slack_app.interactive(p.message_shortcut("explain_bounce", msg, None, user="U0CALLER"))
    (answer,) = slack_app.fake.wait_calls("chat.postEphemeral")
    assert answer.params["user"] == "U0CALLER"
    assert answer.params["channel"] == p.CHANNEL
    assert slack_app.fake.calls("chat.postMessage") == []


def test_shortcut_on_ordinary_chat_says_nothing_was_found(slack_app: RunningApp) -> None:
    url = slack_app.fake.response_url("shortcut")
    slack_app.interactive(p.message_shortcut("explain_bounce", p.message(CHAT), url))
    (answer,) = slack_app.fake.wait_calls("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert "could not find" in posted_text(answer)


def test_shortcut_on_a_message_with_an_eml_reads_the_file(slack_app: RunningApp) -> None:
    info = slack_app.fake.add_file("F0SC", "bounce.eml", multi_bounce_eml(2))
    msg = p.message("", subtype="file_share", files=[info])
    slack_app.interactive(
        p.message_shortcut("explain_bounce", msg, slack_app.fake.response_url("shortcut"))
    )
    (answer,) = slack_app.fake.wait_calls("response_url")
    assert "user1@example.org" in posted_text(answer)
    assert len(slack_app.fake.calls("files.download")) == 1
