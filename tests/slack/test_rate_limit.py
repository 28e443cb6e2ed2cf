"""HTTP 429 from Slack: calls wait for Retry-After and go through; nothing is lost."""

from __future__ import annotations

from fake_slack import payloads as p
from slack_helpers import BOUNCE, RunningApp


def test_a_burst_of_50_bounces_under_rate_limiting_gets_50_replies(
    slack_app: RunningApp,
) -> None:
    slack_app.fake.rate_limit("chat.postMessage", times=15, retry_after=1)
    sent = []
    for _ in range(50):
        ts = p.next_ts()
        sent.append(ts)
        assert slack_app.event(p.message(BOUNCE, ts=ts)).status == 200
    answered = slack_app.fake.wait_calls("chat.postMessage", 50, timeout=30)
    assert sorted(c.params["thread_ts"] for c in answered) == sorted(sent)
    limited = [c for c in slack_app.fake.calls("chat.postMessage") if c.status == 429]
    assert len(limited) == 15
    slack_app.fake.settle(0.3)
    assert len(slack_app.fake.wait_calls("chat.postMessage")) == 50  # and no duplicates


def test_retry_waits_for_retry_after(slack_app: RunningApp) -> None:
    slack_app.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    slack_app.event(p.message(BOUNCE))
    slack_app.fake.wait_calls("chat.postMessage")
    limited, delivered = slack_app.fake.calls("chat.postMessage")
    assert limited.status == 429
    assert delivered.at - limited.at >= 0.9
