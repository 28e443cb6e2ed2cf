#!/usr/bin/env python3
"""Events per second held, and ack latency, with one replica on SQLite and two on PostgreSQL.

Starts the local fake Slack and the real app (`python -m bot`, HTTP mode under waitress):
first one process on the embedded SQLite, then two processes sharing one PostgreSQL schema
(the server at 127.0.0.1:5432, database `test`, or SMTPBOT_BENCH_POSTGRES), as behind a
load balancer. Eight senders post signed bounce messages as fast as the app takes them,
spread over the replicas; then it waits until every message has its threaded answer.

* events/s held: messages / seconds from the first send until the last answer arrived;
* ack p50/p99: time from sending a signed event until its HTTP 200.

Usage: benchmarks/replicas.py [--events N] [--quick]
The last line printed is JSON for benchmarks/run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import sqlalchemy
from sqlalchemy.exc import OperationalError

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests"), str(HERE.parent / "tests" / "state")]

from fake_slack import FakeSlack  # noqa: E402
from fake_slack import payloads as p  # noqa: E402
from fake_slack.sender import SignedSender  # noqa: E402
from pg_helpers import fresh_schema_url  # noqa: E402
from slack_latency import BOUNCE, SECRET, free_port, pct, wait_port  # noqa: E402

ROOT = HERE.parent
POSTGRES = os.environ.get(
    "SMTPBOT_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SENDERS = 8


@contextmanager
def replicas(fake: FakeSlack, database_url: str, count: int) -> Iterator[list[SignedSender]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTPBOT_"))}
        env.update(
            SLACK_BOT_TOKEN=fake.bot_token,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.api_url,
            LOG_LEVEL="WARNING",
            SMTPBOT_DATABASE_URL=database_url,
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        procs, senders = [], []
        try:
            for _ in range(count):
                port = free_port()
                proc = subprocess.Popen(
                    [sys.executable, "-m", "bot"], cwd=tmp, env={**env, "PORT": str(port)},
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                procs.append(proc)
                wait_port(port, proc)
                senders.append(SignedSender(f"http://127.0.0.1:{port}/slack/events", SECRET))
            yield senders
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=20)


def burst(fake: FakeSlack, senders: list[SignedSender], events: int) -> dict[str, float]:
    """Send `events` messages round-robin over `senders`; time until all are answered."""
    for sender in senders:  # warm up: imports, first auth, the database pool
        for _ in range(5):
            sender.post(*p.json_body(p.event_callback(p.message(BOUNCE))))
    fake.wait_calls("chat.postMessage", 5 * len(senders), timeout=60)
    already = len(fake.calls("chat.postMessage"))
    bodies = [p.json_body(p.event_callback(p.message(BOUNCE))) for _ in range(events)]
    jobs = list(zip(itertools.cycle(senders), bodies, strict=False))
    started = time.perf_counter()
    with ThreadPoolExecutor(SENDERS) as pool:
        replies = list(pool.map(lambda job: job[0].post(*job[1]), jobs))
    fake.wait_calls("chat.postMessage", already + events, timeout=600)
    seconds = time.perf_counter() - started
    acks = [r.seconds * 1000 for r in replies if r.status == 200]
    if len(acks) != events:
        raise SystemExit(f"{events - len(acks)} events were not acknowledged")
    return {
        "events_per_s": events / seconds,
        "ack_p50_ms": statistics.median(acks),
        "ack_p99_ms": pct(acks, 0.99),
    }


def postgres_reachable() -> bool:
    engine = sqlalchemy.create_engine(POSTGRES, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="300 events")
    args = parser.parse_args()
    events = 300 if args.quick else args.events
    results: dict[str, object] = {"bench": "replicas", "events": events}
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        with replicas(fake, f"sqlite:///{Path(tmp) / 'state.sqlite3'}", 1) as senders:
            single = burst(fake, senders, events)
        results.update({f"sqlite_1_{k}": v for k, v in single.items()})
        print(
            f"1 replica, SQLite: {single['events_per_s']:.0f} events/s held over {events} "
            f"events; ack p50 {single['ack_p50_ms']:.1f} ms, p99 {single['ack_p99_ms']:.1f} ms"
        )
    if not postgres_reachable():
        print(f"2 replicas, PostgreSQL: n/a (no server at {POSTGRES})")
    else:
        with FakeSlack() as fake, ExitStack() as stack:
            schemas = fresh_schema_url(POSTGRES)
            stack.callback(lambda: next(schemas, None))  # drops the schema
            url = next(schemas)
            with replicas(fake, url, 2) as senders:
                double = burst(fake, senders, events)
            results.update({f"pg_2_{k}": v for k, v in double.items()})
            print(
                f"2 replicas, PostgreSQL: {double['events_per_s']:.0f} events/s held over "
                f"{events} events; ack p50 {double['ack_p50_ms']:.1f} ms, "
                f"p99 {double['ack_p99_ms']:.1f} ms"
            )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
