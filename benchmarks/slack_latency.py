#!/usr/bin/env python3
"""Slack app latency and memory through the real HTTP stack (not a test; prints figures).

Starts the local fake Slack (tests/fake_slack) and the real app as its own process
(`python -m bot`, HTTP mode under waitress), then:

* /smtp ack latency: time from sending a signed slash command until the HTTP answer;
* auto-reply latency: time from sending a signed message event until the fake Web API
  receives the threaded chat.postMessage;
* the app process's RSS after 1,000 messages;
* /smtp ack latency under load: commands sent while five ~5 MB bounce uploads are
  downloaded and read (three rounds), the case where Bolt's listener threads used to run
  out.

Usage: benchmarks/slack_latency.py [--acks N] [--replies N] [--messages N] [--load-rounds N]
The last line printed is JSON for benchmarks/run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "slack"), str(ROOT)]

from fake_slack import FakeSlack  # noqa: E402
from fake_slack import payloads as p  # noqa: E402
from fake_slack.sender import SignedSender  # noqa: E402
from slack_helpers import multi_bounce_eml  # noqa: E402

SECRET = "0123456789abcdef0123456789abcdef"
BOUNCE = (
    "550 5.1.1 <alice@example.com>: Recipient address rejected: "
    "User unknown in virtual mailbox table"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("app did not start listening")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--acks", type=int, default=500)
    parser.add_argument("--replies", type=int, default=300)
    parser.add_argument("--messages", type=int, default=1000, help="messages before RSS")
    parser.add_argument("--load-rounds", type=int, default=3, help="rounds of five uploads")
    args = parser.parse_args()

    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTPBOT_"))}
        env.update(
            SLACK_BOT_TOKEN=fake.bot_token,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.api_url,
            PORT=str(port),
            LOG_LEVEL="WARNING",
            SMTPBOT_DATABASE_URL=f"sqlite:///{Path(tmp) / 'state.sqlite3'}",
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        cmd = [sys.executable, "-m", "bot"]
        proc = subprocess.Popen(
            cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_port(port, proc)
            sender = SignedSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
            results = measure(fake, sender, proc.pid, args)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    print(
        f"/smtp ack latency over {args.acks} commands: p50 {results['ack_p50_ms']:.1f} ms, "
        f"p99 {results['ack_p99_ms']:.1f} ms (target p99 < 50 ms)"
    )
    if "reply_p50_ms" in results:
        print(
            f"auto-reply latency over {args.replies} messages: p50 "
            f"{results['reply_p50_ms']:.1f} ms, p99 {results['reply_p99_ms']:.1f} ms"
        )
    else:
        print("auto-reply latency: n/a (the classifier found no bounce in the sample)")
    print(
        f"app RSS after {results['messages']:.0f} messages: {results['rss_mb']:.1f} MB "
        "(target < 100 MB)"
    )
    print(
        f"/smtp ack latency while five ~5 MB uploads are read ({results['load_acks']:.0f} "
        f"commands): p50 {results['ack_load_p50_ms']:.1f} ms, "
        f"p99 {results['ack_load_p99_ms']:.1f} ms (Slack's limit 3,000 ms)"
    )
    print(json.dumps({"bench": "slack_latency", **results}))
    return 0


def measure(
    fake: FakeSlack, sender: SignedSender, pid: int, args: argparse.Namespace
) -> dict[str, float]:
    command = p.form(p.slash_command(BOUNCE, fake.response_url("bench")))
    for _ in range(20):  # warm up: imports, first auth, thread pool
        sender.post(*command)
    acks = []
    for _ in range(args.acks):
        reply = sender.post(*command)
        assert reply.status == 200, reply
        acks.append(reply.seconds * 1000)
    results: dict[str, float] = {
        "ack_p50_ms": statistics.median(acks),
        "ack_p99_ms": pct(acks, 0.99),
    }

    sent = 0
    replies: list[float] = []
    answered = True
    for _ in range(args.replies):
        ts = p.next_ts()
        started = time.perf_counter()
        sender.post(*p.json_body(p.event_callback(p.message(BOUNCE, ts=ts))))
        sent += 1
        try:
            fake.wait_for(
                lambda calls, ts=ts: any(c.params.get("thread_ts") == ts for c in calls[-20:]),
                timeout=5,
            )
        except AssertionError:
            answered = False
            break
        replies.append((time.perf_counter() - started) * 1000)
    if answered and replies:
        results.update(reply_p50_ms=statistics.median(replies), reply_p99_ms=pct(replies, 0.99))
    while sent < args.messages:
        sender.post(*p.json_body(p.event_callback(p.message(BOUNCE))))
        sent += 1
    if answered:
        fake.wait_calls("chat.postMessage", sent, timeout=60)
    results.update(rss_mb=rss_mb(pid), messages=float(sent))
    results.update(measure_under_uploads(fake, sender, args.load_rounds))
    return results


def large_bounce() -> bytes:
    """A real bounce of about 5 MB: 50 recipients and a long returned header block."""
    base = multi_bounce_eml(50).decode()
    filler = "".join(f"X-Filler-{i}: returned header line number {i}\n" for i in range(100_000))
    part = f"--BOUNDARY\nContent-Type: text/rfc822-headers\n\n{filler}\n--BOUNDARY--"
    return base.replace("--BOUNDARY--", part).encode()


def measure_under_uploads(
    fake: FakeSlack, sender: SignedSender, rounds: int, per_round: int = 40
) -> dict[str, float]:
    """Ack latency of /smtp sent right after five large uploads, while they are read."""
    content = large_bounce()
    command = p.form(p.slash_command(BOUNCE, fake.response_url("load")))
    acks: list[float] = []
    uploads = 0
    for round_number in range(rounds):
        for n in range(5):
            info = fake.add_file(f"FL{round_number}{n}", f"load{n}.eml", content)
            event = p.message("", files=[info], subtype="file_share")
            sender.post(*p.json_body(p.event_callback(event)))
            uploads += 1
        for _ in range(per_round):
            reply = sender.post(*command)
            assert reply.status == 200, reply
            acks.append(reply.seconds * 1000)
        # The next round starts once this round's uploads were read and answered.
        fake.wait_for(
            lambda calls, want=uploads: sum(
                c.method == "chat.postMessage" and "recipients" in str(c.params.get("text"))
                and c.params.get("thread_ts") is not None and c.ok
                for c in calls
            ) >= want,
            timeout=120,
        )
    return {
        "ack_load_p50_ms": statistics.median(acks),
        "ack_load_p99_ms": pct(acks, 0.99),
        "load_acks": float(len(acks)),
    }


if __name__ == "__main__":
    sys.exit(main())
