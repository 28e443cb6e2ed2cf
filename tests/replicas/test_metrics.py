"""/metrics on two replicas after traffic: the counters move, and no label names a person."""

from __future__ import annotations

import random
import re

from fake_slack import FakeSlack
from fake_slack import payloads as p
from replica_helpers import StartReplicas, answered, bounce_events, metric, send_all, spread
from slack_helpers import BOUNCE

EVENTS = 30
DUPLICATES = 10


def test_metrics_count_answers_duplicates_and_slack_errors_without_naming_anyone(
    start_replicas: StartReplicas, fake: FakeSlack
) -> None:
    a, b = start_replicas()
    fake.rate_limit("chat.postMessage", times=2, retry_after=1)
    fake.fail("chat.postMessage", "not_in_channel")  # final: that message stays unanswered
    events = bounce_events(EVENTS, BOUNCE)
    replies = send_all(spread(events, [a, b], DUPLICATES, random.Random(3)))
    assert all(r is not None and r.status == 200 for r in replies)
    assert b.post(p.form(p.slash_command(BOUNCE, fake.response_url("cmd")))).status == 200
    fake.wait_calls("response_url", 1, timeout=20)
    fake.wait_for(
        lambda calls: sum(c.method == "chat.postMessage" and c.ok for c in calls) >= EVENTS - 1,
        timeout=30,
    )
    fake.settle(1.0)
    counts = answered(fake)
    assert len(counts) == EVENTS - 1 and set(counts.values()) == {1}

    scraped = [replica.get("/metrics") for replica in (a, b)]

    def total(name: str, **labels: str) -> float:
        return sum(metric(text, name, **labels) for text in scraped)

    assert total("smtpbot_answers_total", kind="message") == EVENTS - 1
    assert total("smtpbot_answers_total", kind="command") == 1
    reasons = set(re.findall(r'smtpbot_answers_total\{kind="message",reason="([^"]+)"', scraped[0]
                             + scraped[1]))
    assert reasons and "none" not in reasons, reasons  # a bounce answer carries its reason
    assert total("smtpbot_duplicate_events_total") == DUPLICATES
    assert total("smtpbot_slack_rate_limit_retries_total") == 2
    assert total("smtpbot_slack_api_errors_total", error="ratelimited") == 2
    assert total("smtpbot_slack_api_errors_total", error="not_in_channel") == 1
    assert total("smtpbot_ack_seconds_count") >= EVENTS + DUPLICATES + 1
    assert total("smtpbot_database_errors_total") == 0
    for text in scraped:
        for private in (p.TEAM, p.CHANNEL, p.USER, "alice", "example.com", "xoxb-"):
            assert private not in text, private
