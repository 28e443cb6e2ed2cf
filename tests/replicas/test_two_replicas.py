"""Two replicas behind a load balancer, one PostgreSQL: every answer once, whoever got it."""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor

from fake_slack import FakeSlack
from fake_slack import payloads as p
from replica_helpers import (
    Replica,
    StartReplicas,
    bounce_events,
    send_all,
    spread,
    wait_answered,
)
from slack_helpers import BOUNCE

BURST = 500
DUPLICATES = 100


def test_a_retry_sent_to_the_other_replica_is_answered_once(
    start_replicas: StartReplicas, fake: FakeSlack
) -> None:
    a, b = start_replicas()
    events = bounce_events(20, BOUNCE)
    # Half: first to a, the retry later to b. Half: both at once (a retry racing the first).
    for _, body in events[:10]:
        assert a.post(body).status == 200
    for _, body in events[:10]:
        assert b.post(body, retry=True).status == 200
    with ThreadPoolExecutor(2) as pool:
        for _, body in events[10:]:
            first, retry = pool.submit(a.post, body), pool.submit(b.post, body, True)
            replies = [first.result(), retry.result()]
            assert [r.status for r in replies] == [200, 200]
    counts = wait_answered(fake, {ts for ts, _ in events}, timeout=30)
    assert {ts: counts.get(ts, 0) for ts, _ in events} == {ts: 1 for ts, _ in events}


def test_a_burst_with_duplicates_over_both_replicas_is_answered_once_each(
    start_replicas: StartReplicas, fake: FakeSlack
) -> None:
    replicas = start_replicas()
    events = bounce_events(BURST, BOUNCE)
    jobs = spread(events, replicas, DUPLICATES, random.Random(14))
    started = time.monotonic()
    replies = send_all(jobs)
    assert all(r is not None and r.status == 200 for r in replies)
    counts = wait_answered(fake, {ts for ts, _ in events}, timeout=120)
    elapsed = time.monotonic() - started
    missing = [ts for ts, _ in events if ts not in counts]
    twice = {ts: n for ts, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} of {BURST} never answered"
    assert not twice, f"{len(twice)} answered more than once"
    assert len(counts) == BURST
    # Both replicas did part of the work (the load balancer spread it).
    for replica in replicas:
        assert "answering in thread" in replica.logs(), replica.name
    print(f"{BURST} events + {DUPLICATES} duplicates answered in {elapsed:.1f} s")


def _share_button(blocks: list[dict]) -> dict:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "share_in_channel":
                return dict(element)
    raise AssertionError("no Share in channel button")


def test_a_share_button_answered_on_one_replica_works_on_the_other(
    start_replicas: StartReplicas, fake: FakeSlack
) -> None:
    a, b = start_replicas()
    long_text = BOUNCE + "\n" + ("x" * 80 + "\n") * 30
    assert len(long_text) > 2000  # too long for a button value: kept in the database
    assert a.post(p.form(p.slash_command(long_text, fake.response_url("cmd")))).status == 200
    (answer,) = fake.wait_calls("response_url", 1, timeout=20)
    value = _share_button(answer.params["blocks"])["value"]
    assert value.startswith("k:")
    click = p.block_action("share_in_channel", value, fake.response_url("share"))
    assert b.post(p.interactive(click)).status == 200
    shared = fake.wait_calls("response_url", 2, timeout=20)[1]
    assert shared.path.endswith("/share")
    assert shared.params["response_type"] == "in_channel"
    assert "expired" not in shared.params["text"]
    assert "550" in json.dumps(shared.params["blocks"])


def _home_total(replica: Replica, fake: FakeSlack, published: int) -> str:
    assert replica.post(p.json_body(p.event_callback(p.app_home_opened()))).status == 200
    view = fake.wait_calls("views.publish", published, timeout=20)[-1].params["view"]
    return json.dumps(view)


def test_the_home_tab_shows_the_sum_of_both_replicas_counts(
    start_replicas: StartReplicas, fake: FakeSlack
) -> None:
    a, b = start_replicas()
    for n, replica in enumerate([a, a, a, b, b]):
        body = p.form(p.slash_command(BOUNCE, fake.response_url(f"cmd{n}")))
        assert replica.post(body).status == 200
    fake.wait_calls("response_url", 5, timeout=20)
    fake.settle(0.5)  # counting runs just after the answer is owed
    assert "last 7 days:* 5" in _home_total(a, fake, 1)
    assert "last 7 days:* 5" in _home_total(b, fake, 2)
