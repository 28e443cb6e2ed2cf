"""SIGTERM during a backlog, with the real `python -m bot` process: nothing lost, nothing twice.

Twenty thread replies and five /smtp answers are waiting out a 429 when SIGTERM arrives.
The process stops taking work, drains within SMTPBOT_DRAIN_SECONDS and exits 0; the next
start resumes the outbox; Slack's retries of the same events after the restart are
answered no more.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from fake_slack import FakeSlack
from fake_slack import payloads as p
from fake_slack.sender import SignedSender
from slack_helpers import BOUNCE, SIGNING_SECRET
from test_settings import _clean_env, _free_port, _wait_port

DRAIN_SECONDS = 3


def _start(tmp_path: Path, fake: FakeSlack, port: int, database: Path) -> subprocess.Popen[str]:
    env = _clean_env(
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        PORT=str(port),
        SMTPBOT_DATABASE_URL=f"sqlite:///{database}",
        SMTPBOT_DRAIN_SECONDS=str(DRAIN_SECONDS),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    _wait_port(port, proc)
    return proc


def test_sigterm_during_a_backlog_delivers_everything_after_restart_once(
    tmp_path: Path, fake: FakeSlack
) -> None:
    database = tmp_path / "state.sqlite3"
    port = _free_port()
    fake.rate_limit("chat.postMessage", times=20, retry_after=3)
    fake.rate_limit("response_url", times=5, retry_after=3)
    first = _start(tmp_path, fake, port, database)
    sender = SignedSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
    events = [(p.message(BOUNCE), p.event_id()) for _ in range(20)]
    try:
        for event, eid in events:
            assert sender.post(*p.json_body(p.event_callback(event, eid=eid))).status == 200
        for n in range(5):
            url = fake.response_url(f"cmd{n}")
            assert sender.post(*p.form(p.slash_command(BOUNCE, url))).status == 200
        # Every answer has met the rate limit and now waits in the outbox.
        fake.wait_for(lambda calls: sum(c.status == 429 for c in calls) == 25, timeout=30)
        first.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, stderr = first.communicate(timeout=DRAIN_SECONDS + 10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert time.monotonic() - started < DRAIN_SECONDS + 5
    assert "Traceback" not in stderr
    assert not [c for c in fake.calls() if c.ok and c.method in ("chat.postMessage",
                                                                  "response_url")]

    second = _start(tmp_path, fake, port, database)
    try:
        fake.wait_calls("chat.postMessage", 20, timeout=30)
        fake.wait_calls("response_url", 5, timeout=30)
        # Slack retries some events after the restart: acked, not answered again.
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        for event, eid in events[:5]:
            body = p.json_body(p.event_callback(event, eid=eid))
            assert sender.post(*body, extra=retry).status == 200
        fake.settle(1.0)
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=DRAIN_SECONDS + 10)
    posted = [c.params["thread_ts"] for c in fake.calls("chat.postMessage") if c.ok]
    assert sorted(posted) == sorted(event["ts"] for event, _ in events)
    answered = sorted(c.path for c in fake.calls("response_url") if c.ok)
    assert answered == sorted(f"/response/cmd{n}" for n in range(5))


def test_database_down_at_start_is_one_line_without_the_password(
    tmp_path: Path, fake: FakeSlack
) -> None:
    env = _clean_env(
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        SMTPBOT_DATABASE_URL="postgresql://smtpbot:hunter2-secret@127.0.0.1:1/smtpbot",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, text=True,
        capture_output=True, timeout=30,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SMTPBOT_DATABASE_URL" in lines[0] and "hunter2" not in result.stderr
