"""The app in HTTP mode or Socket Mode against the fake Slack, for the issue 13 tests.

`launch` starts the real app (a state clock may be given, for the digest) and returns a
`Bot` that sends events and commands the way the mode delivers them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_slack import FakeSlack
from fake_slack import payloads as p
from fake_slack.sender import SignedSender
from slack_bolt import App
from slack_helpers import BOUNCE, SIGNING_SECRET, posted_text
from test_socket_mode import stop as stop_socket

from bot.slack.app import (
    create_app,
    create_server,
    http_front,
    services_for,
    socket_mode_handler,
    stop_app,
)
from bot.slack.services import Services
from bot.slack.settings import load_settings
from bot.state import State

MODES = ["http", "socket"]


@dataclass
class Bot:
    mode: str
    fake: FakeSlack
    app: App
    sender: SignedSender | None = None
    server: Any = None
    stops: list[Callable[[], None]] = field(default_factory=list)

    @property
    def services(self) -> Services:
        return services_for(self.app)

    def event(self, event: dict[str, Any]) -> None:
        body = p.event_callback(event)
        if self.sender is not None:
            assert self.sender.post(*p.json_body(body)).status == 200
            return
        envelope = self.server.send_envelope("events_api", body)
        self.server.wait_ack(envelope, timeout=10)

    def command(self, text: str, url: str) -> None:
        fields = p.slash_command(text, url)
        if self.sender is not None:
            assert self.sender.post(*p.form(fields)).status == 200
            return
        envelope = self.server.send_envelope("slash_commands", fields)
        self.server.wait_ack(envelope, timeout=10)

    def idle(self) -> None:
        dispatcher = self.services.dispatcher
        assert dispatcher is not None and dispatcher.wait_idle(20)

    def stop(self) -> None:
        for stop in reversed(self.stops):
            stop()
        self.stops.clear()

    def answers_in(self, channel: str, thread_ts: str) -> list[Any]:
        return [
            c for c in self.fake.calls("chat.postMessage")
            if c.ok and c.params.get("channel") == channel
            and c.params.get("thread_ts") == thread_ts
        ]

    def assert_silent_on(self, thread_ts: str, channel: str = p.CHANNEL) -> None:
        """Nothing answered `thread_ts`, checked after a later bounce paste was answered."""
        sentinel = p.next_ts()
        self.event(p.message(BOUNCE, channel=channel, ts=sentinel))
        self.fake.wait_for(lambda calls: bool(self.answers_in(channel, sentinel)), timeout=20)
        self.idle()
        assert self.answers_in(channel, thread_ts) == [], [
            posted_text(c) for c in self.answers_in(channel, thread_ts)
        ]


def launch(
    mode: str,
    fake: FakeSlack,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    clock: Callable[[], float] = time.time,
    database: str = "bot.sqlite3",
) -> Bot:
    """Start the app in `mode` on the database file `database` (the same one after a restart)."""
    url = f"sqlite:///{tmp_path / database}"
    base = {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_API_URL": fake.api_url,
        "SMTPBOT_DATABASE_URL": url,
        **(env or {}),
    }
    if mode == "socket":
        server = fake.enable_socket_mode()
        settings = load_settings({**base, "SLACK_APP_TOKEN": fake.app_token})
        app = create_app(settings, State.open(url, clock))
        handler = socket_mode_handler(app, settings)
        before = len(server.connections)
        handler.connect()  # type: ignore[no-untyped-call]
        server.wait_connections(before + 1)
        bot = Bot(mode, fake, app, server=server)
        bot.stops.append(lambda: stop_app(app, grace_seconds=0))
        bot.stops.append(lambda: _close_socket(handler))
        return bot
    settings = load_settings({**base, "SLACK_SIGNING_SECRET": SIGNING_SECRET})
    app = create_app(settings, State.open(url, clock))
    http = create_server(http_front(app, settings), "127.0.0.1", 0)
    threading.Thread(target=_serve, args=(http,), daemon=True).start()
    events_url = f"http://127.0.0.1:{http.effective_port}/slack/events"
    bot = Bot(mode, fake, app, sender=SignedSender(events_url, SIGNING_SECRET))
    bot.stops.append(lambda: stop_app(app, grace_seconds=0))
    bot.stops.append(http.close)
    return bot


def _close_socket(handler: Any) -> None:
    client = handler.client
    client.auto_reconnect_enabled = False
    client.closed = True
    client.message_queue.put(None)
    handler.close()


def _serve(server: Any) -> None:
    with contextlib.suppress(OSError, ValueError):
        server.run()


__all__ = ["MODES", "Bot", "launch", "stop_socket"]
