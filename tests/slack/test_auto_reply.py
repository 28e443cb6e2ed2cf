"""Auto-replies: threaded answers to SMTP failures; silence everywhere else; exactly once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fake_slack import payloads as p
from slack_helpers import BOUNCE, CHAT, RunningApp, posted_text


def _replies(app: RunningApp) -> list:
    return app.fake.calls("chat.postMessage")


def _sentinel(app: RunningApp, channel: str = p.CHANNEL) -> str:
    """Send a bounce and wait for its answer: everything sent before has been handled."""
    ts = p.next_ts()
    app.event(p.message(BOUNCE, channel=channel, ts=ts))
    app.fake.wait_for(lambda calls: any(c.params.get("thread_ts") == ts for c in calls))
    app.fake.settle(0.2)
    return ts


def test_bounce_in_channel_gets_a_reply_in_its_thread(slack_app: RunningApp) -> None:
    ts = p.next_ts()
    reply = slack_app.event(p.message(BOUNCE, ts=ts))
    assert reply.status == 200
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    assert answer.params["channel"] == p.CHANNEL
    assert answer.params["thread_ts"] == ts
    assert answer.params["text"]
    assert answer.params["blocks"]
    assert answer.token == slack_app.fake.bot_token
    assert "550" in posted_text(answer)


def test_bounce_inside_a_thread_is_answered_in_that_thread(slack_app: RunningApp) -> None:
    parent, ts = p.next_ts(), p.next_ts()
    slack_app.event(p.message(BOUNCE, ts=ts, thread_ts=parent))
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    assert answer.params["thread_ts"] == parent


@pytest.mark.parametrize(
    ("channel", "channel_type"),
    [("G0PRIVATE", "group"), ("D0DIRECT", "im"), ("C0EMAILOPS", "channel")],
)
def test_private_channels_and_dms_are_answered(
    slack_app: RunningApp, channel: str, channel_type: str
) -> None:
    ts = p.next_ts()
    slack_app.event(p.message(BOUNCE, channel=channel, channel_type=channel_type, ts=ts))
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    assert (answer.params["channel"], answer.params["thread_ts"]) == (channel, ts)


SILENT_CASES: dict[str, Callable[[], dict]] = {
    "chat": lambda: p.message(CHAT),
    "bot_id": lambda: p.message(BOUNCE, bot_id="B0OTHER"),
    "bot_message": lambda: p.message(BOUNCE, user=None, subtype="bot_message", bot_id="B0X"),
    "own user": lambda: p.message(BOUNCE, user="UBOTFAKE"),
    "edit": lambda: p.message(
        "",
        user=None,
        subtype="message_changed",
        message={"type": "message", "user": p.USER, "text": BOUNCE, "ts": p.next_ts()},
    ),
    "deletion": lambda: p.message("", user=None, subtype="message_deleted", deleted_ts=p.next_ts()),
    "join": lambda: p.message(
        f"<@{p.USER}> has joined the channel, 550 5.1.1", subtype="channel_join"
    ),
    "topic": lambda: p.message(BOUNCE, subtype="channel_topic"),
    "no user": lambda: p.message(BOUNCE, user=None),
}


@pytest.mark.parametrize("case", sorted(SILENT_CASES))
def test_silent_on_everything_but_people_pasting_failures(slack_app: RunningApp, case: str) -> None:
    event = SILENT_CASES[case]()
    quiet_ts = event["ts"]
    assert slack_app.event(event).status == 200
    sentinel = _sentinel(slack_app)
    threads = [c.params["thread_ts"] for c in _replies(slack_app)]
    assert threads == [sentinel], f"{case}: answered {threads}, quiet message was {quiet_ts}"


def test_retried_event_gets_exactly_one_reply(slack_app: RunningApp) -> None:
    event = p.message(BOUNCE)
    eid = p.event_id()
    slack_app.event(event, eid=eid)
    for attempt in (1, 2):
        retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        assert slack_app.event(event, eid=eid, headers=retry).status == 200
    _sentinel(slack_app)
    answered = [c.params["thread_ts"] for c in _replies(slack_app)]
    assert answered.count(event["ts"]) == 1


def test_an_event_first_seen_with_retry_headers_is_still_answered(slack_app: RunningApp) -> None:
    """We may have missed the first delivery (restart): a retry header is no reason to drop."""
    ts = p.next_ts()
    slack_app.event(
        p.message(BOUNCE, ts=ts),
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"},
    )
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    assert answer.params["thread_ts"] == ts


def test_a_mention_delivered_as_message_and_app_mention_is_answered_once(
    slack_app: RunningApp,
) -> None:
    ts = p.next_ts()
    text = f"<@UBOTFAKE> what is this? {BOUNCE}"
    slack_app.event(p.message(text, ts=ts))
    slack_app.event({**p.message(text, ts=ts), "type": "app_mention"})
    _sentinel(slack_app)
    answered = [c.params["thread_ts"] for c in _replies(slack_app)]
    assert answered.count(ts) == 1


def test_mention_asking_for_help_gets_usage(slack_app: RunningApp) -> None:
    ts = p.next_ts()
    slack_app.event({**p.message("<@UBOTFAKE> help", ts=ts), "type": "app_mention"})
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    assert answer.params["thread_ts"] == ts
    assert "/smtp" in posted_text(answer)


def test_smtpbot_channels_limits_auto_replies(start_app: Callable[..., RunningApp]) -> None:
    app = start_app(SMTPBOT_CHANNELS="C0WATCHED, C0ALSO")
    unwatched = p.next_ts()
    app.event(p.message(BOUNCE, channel="C0ELSEWHERE", ts=unwatched))
    watched = _sentinel(app, channel="C0WATCHED")
    assert [c.params["thread_ts"] for c in _replies(app)] == [watched]

    # DMs and explicit mentions are requests, answered wherever they come from.
    dm, mention = p.next_ts(), p.next_ts()
    app.event(p.message(BOUNCE, channel="D0DIRECT", channel_type="im", ts=dm))
    app.event(
        {
            **p.message(f"<@UBOTFAKE> {BOUNCE}", channel="C0ELSEWHERE", ts=mention),
            "type": "app_mention",
        }
    )
    app.fake.wait_calls("chat.postMessage", 3)
    answered = {c.params["thread_ts"] for c in _replies(app)}
    assert answered == {watched, dm, mention}
    assert unwatched not in answered


def test_slack_errors_are_logged_by_code_and_the_app_keeps_running(
    slack_app: RunningApp, caplog_info: pytest.LogCaptureFixture
) -> None:
    slack_app.fake.fail("chat.postMessage", "not_in_channel")
    slack_app.fake.fail("chat.postMessage", "channel_not_found")
    slack_app.event(p.message(BOUNCE))
    slack_app.event(p.message(BOUNCE))
    slack_app.fake.wait_for(lambda calls: sum(c.method == "chat.postMessage" for c in calls) == 2)
    ts = _sentinel(slack_app)
    assert [c.params["thread_ts"] for c in slack_app.fake.wait_calls("chat.postMessage")] == [ts]
    logged = "\n".join(r.getMessage() for r in caplog_info.records)
    assert "not_in_channel" in logged
    assert "channel_not_found" in logged
