"""Fixtures for the Slack end-to-end tests: a fake Slack, and the real Bolt app under waitress.

The app runs exactly as in production HTTP mode (Bolt's WSGI adapter under waitress, on
127.0.0.1 with a free port); requests carry real v0 signatures; the app's Web API calls
go over HTTP to the fake.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from fake_slack import FakeSlack  # noqa: E402
from fake_slack.sender import SignedSender  # noqa: E402
from slack_helpers import SIGNING_SECRET, RunningApp  # noqa: E402

from bot.slack.app import create_app, create_server, http_front, stop_app  # noqa: E402
from bot.slack.settings import load_settings  # noqa: E402


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def base_env(fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "SMTPBOT_DB": str(tmp_path / "stats.sqlite3"),
        "LOG_LEVEL": "INFO",
        # No live DNS unless a test points the app at its own DNS server (test_dns_followup).
        "SMTPBOT_DNS": "off",
    }


@pytest.fixture
def start_app(fake: FakeSlack, base_env: dict[str, str]) -> Iterator[Callable[..., RunningApp]]:
    servers: list[Any] = []
    apps: list[Any] = []

    def start(**overrides: str) -> RunningApp:
        env = {**base_env, **overrides}
        settings = load_settings(env)
        app = create_app(settings)
        apps.append(app)
        server = create_server(http_front(app, settings), "127.0.0.1", 0)
        servers.append(server)
        threading.Thread(target=_run_until_closed, args=(server,), daemon=True).start()
        url = f"http://127.0.0.1:{server.effective_port}/slack/events"
        return RunningApp(fake, app, settings, url, SignedSender(url, SIGNING_SECRET))

    yield start
    for server in servers:
        server.close()
    for app in apps:
        stop_app(app, grace_seconds=0)


def _run_until_closed(server: Any) -> None:
    """waitress's loop; closing the server from the test thread ends it with EBADF."""
    with contextlib.suppress(OSError, ValueError):
        server.run()


@pytest.fixture
def slack_app(start_app: Callable[..., RunningApp]) -> RunningApp:
    return start_app()


@pytest.fixture
def caplog_info(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog
