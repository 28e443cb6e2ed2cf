"""Faults under two replicas: one killed with SIGKILL mid-burst, the database cut mid-burst."""

from __future__ import annotations

import random
import threading
import time
import urllib.error
from collections.abc import Iterator

import pytest
from fake_slack import FakeSlack
from replica_helpers import (
    SHORT_LEASE_SECONDS,
    Replica,
    StartReplicas,
    bounce_events,
    metric,
    send_all,
    spread,
    wait_answered,
)
from slack_helpers import BOUNCE
from sqlalchemy.engine import make_url
from tcp_proxy import Proxy

EPISODE_SECONDS = 5
#: Longer than an outage plus the 5 s before a replica tries the database again.
CUT_LEASE_SECONDS = 20


def test_a_replica_killed_mid_burst_loses_nothing_and_answers_nothing_twice(
    start_replicas: StartReplicas, fake: FakeSlack
) -> None:
    a, b = start_replicas(SMTPBOT_LEASE_SECONDS=str(SHORT_LEASE_SECONDS))
    rng = random.Random(9)
    events = bounce_events(300, BOUNCE)
    first, second = events[:150], events[150:]
    assert all(r is not None and r.status == 200 for r in send_all(spread(first, [a, b], 30, rng)))
    # Slack answers 429 while the kill happens. No design can tell whether a post that
    # Slack accepted an instant before the kill was recorded as done (Slack's
    # chat.postMessage takes no idempotency key); the episode keeps the kill out of that
    # window, so what is tested is the hand-over: leases, retries and de-duplication.
    fake.rate_limit_episode(EPISODE_SECONDS)
    fake.wait_for(lambda calls: any(c.status == 429 for c in calls), timeout=20)
    time.sleep(0.3)
    jobs = spread(second, [a, b], 30, rng)
    replies: list = []
    sending = threading.Thread(target=lambda: replies.extend(send_all(jobs)))
    sending.start()
    time.sleep(0.2)  # part of the second half is in, part in flight, part not yet sent
    a.kill()
    sending.join(timeout=60)
    # Slack retries, to the replica still standing, what was not acknowledged.
    unacked = [body for (replica, body, _), reply in zip(jobs, replies, strict=True)
               if reply is None or reply.status != 200]
    assert unacked, "the kill came after the burst: nothing tested"
    assert all(r is not None and r.status == 200
               for r in send_all([(b, body, True) for body in unacked]))
    counts = wait_answered(fake, {ts for ts, _ in events}, timeout=90)
    missing = [ts for ts, _ in events if ts not in counts]
    twice = {ts: n for ts, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} of {len(events)} never answered"
    assert not twice, f"{len(twice)} answered more than once"


def _proxied(url: str, proxy: Proxy) -> str:
    parsed = make_url(url)
    query = {k: v for k, v in parsed.query.items() if k != "host"}
    return parsed.set(host="127.0.0.1", port=proxy.port, query=query).render_as_string(
        hide_password=False
    )


def _proxy_for(server_url: str) -> Proxy:
    real = make_url(server_url)
    socket_dir = real.query.get("host")
    if isinstance(socket_dir, str):  # pgserver listens on a Unix socket
        return Proxy(f"{socket_dir}/.s.PGSQL.{real.port or 5432}")
    return Proxy((real.host or "127.0.0.1", real.port or 5432))


def _ready(replica: Replica) -> bool:
    try:
        replica.get("/readyz")
    except urllib.error.HTTPError:
        return False
    return True


def _wait(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def db_proxy(postgres_url: str) -> Iterator[Proxy]:
    """A proxy in front of the session's PostgreSQL; closed after the replicas stop."""
    proxy = _proxy_for(postgres_url)
    yield proxy
    proxy.close()


def test_the_database_restarted_mid_burst_answers_continue(
    db_proxy: Proxy, start_replicas: StartReplicas, fake: FakeSlack, schema_url: str
) -> None:
    proxy = db_proxy
    # A lease whose claim committed just as the connection was cut is unknown to
    # its replica: another takes the row once the lease runs out.
    a, b = start_replicas(
        database_url=_proxied(schema_url, proxy), SMTPBOT_LEASE_SECONDS=str(CUT_LEASE_SECONDS)
    )
    rng = random.Random(12)
    before, during, after = (bounce_events(100, BOUNCE) for _ in range(3))
    assert all(r is not None and r.status == 200
               for r in send_all(spread(before, [a, b], 20, rng)))
    # While the database is away each replica de-duplicates alone: Slack's retries
    # go to the same replica here (nothing shared can be promised without a database).
    paced = [(rng.choice([a, b]), body, False) for _, body in during]
    replies: list = []

    def send_paced() -> None:
        for job in paced:
            replies.extend(send_all([job]))
            time.sleep(0.03)

    sending = threading.Thread(target=send_paced)
    sending.start()
    time.sleep(0.5)
    proxy.down()
    _wait(lambda: not _ready(a) and not _ready(b), timeout=20)
    time.sleep(1.0)
    proxy.up()
    sending.join(timeout=60)
    assert all(r is not None and r.status == 200 for r in replies)
    _wait(lambda: _ready(a) and _ready(b), timeout=30)
    assert all(r is not None and r.status == 200
               for r in send_all(spread(after, [a, b], 20, rng)))
    events = before + during + after
    counts = wait_answered(fake, {ts for ts, _ in events}, timeout=90)
    missing = [ts for ts, _ in events if ts not in counts]
    twice = {ts: n for ts, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} of {len(events)} never answered"
    assert not twice, f"{len(twice)} answered more than once"
    for replica in (a, b):
        logs = replica.logs()
        assert "database unreachable" in logs and "database reachable again" in logs
        scraped = replica.get("/metrics")
        assert metric(scraped, "smtpbot_database_errors_total") > 0
        assert metric(scraped, "smtpbot_database_fallbacks_total") >= 1
        assert metric(scraped, "smtpbot_database_degraded") == 0
