"""Helpers of the replica tests: start `python -m bot` replicas, play Slack, count answers.

(Fixtures live in conftest.py.)

Each replica is `python -m bot` on its own port, exactly as deployed behind a load
balancer; the database is the session's PostgreSQL (tests/state: the local server, or
pgserver; under ``CI=true`` a missing server fails, never skips) with a fresh schema per
test. Slack's side is played by the test: it signs and sends each request to the replica
it picks, and re-sends an unacknowledged one to the other, as Slack's retries do.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for folder in (TESTS, TESTS / "slack", TESTS / "state"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from fake_slack import FakeSlack  # noqa: E402
from fake_slack import payloads as p  # noqa: E402
from fake_slack.sender import Reply, SignedSender  # noqa: E402

#: Slack marks a redelivery with these headers; the app must treat it like the first.
RETRY_HEADERS = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
#: Leases in these tests: a killed replica's work is taken over after this long.
SHORT_LEASE_SECONDS = 3
SENDERS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SMTPBOT_")) and k not in ("PORT", "LOG_LEVEL", "LOG_FORMAT")
    }
    env.update(extra)
    return env


@dataclass
class Replica:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    sender: SignedSender

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(self, body: tuple[bytes, str], retry: bool = False) -> Reply:
        return self.sender.post(*body, extra=RETRY_HEADERS if retry else None)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            text: str = response.read().decode()
            return text

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def wait_ready(replica: Replica, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert replica.alive(), replica.logs()
        try:
            with socket.create_connection(("127.0.0.1", replica.port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{replica.name} did not listen on {replica.port}: {replica.logs()}")


StartReplicas = Callable[..., list[Replica]]


def send_all(jobs: list[tuple[Replica, tuple[bytes, str], bool]]) -> list[Reply | None]:
    """POST every (replica, body, is_retry) from a few threads, as Slack's fan-out does.

    None where the replica could not be reached (killed): Slack would retry that one.
    """

    def one(job: tuple[Replica, tuple[bytes, str], bool]) -> Reply | None:
        replica, body, retry = job
        try:
            return replica.post(body, retry)
        except OSError:
            return None

    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(one, jobs))


def bounce_events(count: int, text: str) -> list[tuple[str, tuple[bytes, str]]]:
    """`count` distinct channel messages: (ts, signed-able body) with their own event ids."""
    events = []
    for _ in range(count):
        event = p.message(text)
        events.append((str(event["ts"]), p.json_body(p.event_callback(event))))
    return events


def answered(fake: FakeSlack) -> dict[str, int]:
    """How many accepted threaded answers each message (thread_ts) got."""
    counts: dict[str, int] = {}
    for call in fake.calls("chat.postMessage"):
        if call.ok:
            ts = str(call.params.get("thread_ts"))
            counts[ts] = counts.get(ts, 0) + 1
    return counts


def wait_answered(fake: FakeSlack, expected: set[str], timeout: float) -> dict[str, int]:
    """Wait until every message in `expected` has an answer (or time out), then settle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if expected <= set(answered(fake)):
            break
        time.sleep(0.2)
    fake.settle(1.0)
    return answered(fake)


def spread(
    events: list[tuple[str, tuple[bytes, str]]], replicas: list[Replica], duplicates: int,
    rng: random.Random,
) -> list[tuple[Replica, tuple[bytes, str], bool]]:
    """Each event to a random replica, plus `duplicates` retries to a random one, shuffled."""
    jobs = [(rng.choice(replicas), body, False) for _, body in events]
    for _, body in rng.sample(events, duplicates):
        jobs.append((rng.choice(replicas), body, True))
    rng.shuffle(jobs)
    return jobs


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus sample `name` over series matching `labels`."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        head, _, rest = series.partition("{")
        if head != name:
            continue
        if all(f'{key}="{wanted}"' in rest for key, wanted in labels.items()):
            total += float(value)
    return total
