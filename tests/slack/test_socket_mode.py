"""Socket Mode against the fake WebSocket server: hello, envelopes, acks, reconnect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_slack import FakeSlack, FakeSocketModeServer
from fake_slack import payloads as p
from slack_helpers import BOUNCE
from slack_sdk.socket_mode.builtin import SocketModeClient

from bot.slack.app import create_app, socket_mode_handler, stop_app
from bot.slack.settings import load_settings


@pytest.fixture
def socket_app(fake: FakeSlack, tmp_path: Path) -> Iterator[tuple[FakeSocketModeServer, object]]:
    server = fake.enable_socket_mode()
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": fake.bot_token,
            "SLACK_APP_TOKEN": fake.app_token,
            "SLACK_API_URL": fake.api_url,
            "SMTPBOT_DB": str(tmp_path / "s.sqlite3"),
        }
    )
    assert settings.socket_mode and settings.signing_secret is None
    app = create_app(settings)
    handler = socket_mode_handler(app, settings)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        yield server, handler
    finally:
        stop(handler, server)
        stop_app(app, grace_seconds=0)


def stop(handler: object, server: FakeSocketModeServer) -> None:
    """Close without waiting out the client's 1 s queue poll and 3 s socket timeout."""
    client = handler.client  # type: ignore[attr-defined]
    client.auto_reconnect_enabled = False
    client.closed = True
    client.message_queue.put(None)  # wakes the message processor, which sees `closed`
    server.stop()  # close frames: the receive loop returns at once
    handler.close()  # type: ignore[attr-defined]


def _send_message(server: FakeSocketModeServer, ts: str, eid: str, attempt: int = 0) -> str:
    body = p.event_callback(p.message(BOUNCE, ts=ts), eid=eid)
    return server.send_envelope("events_api", body, retry_attempt=attempt)


def test_socket_mode_uses_the_same_web_client_and_the_app_token(
    fake: FakeSlack, socket_app: tuple[FakeSocketModeServer, object]
) -> None:
    server, handler = socket_app
    client = handler.client  # type: ignore[attr-defined]
    assert isinstance(client, SocketModeClient)
    assert client.web_client is handler.app.client  # type: ignore[attr-defined]
    server.wait_connections(1)
    (opened,) = fake.calls("apps.connections.open")
    assert opened.token == fake.app_token


def test_events_are_acked_answered_once_and_survive_a_disconnect(
    fake: FakeSlack, socket_app: tuple[FakeSocketModeServer, object]
) -> None:
    server, _ = socket_app
    server.wait_connections(1)

    # First delivery: Socket Mode marks it retry_attempt 0; it must not be dropped.
    ts, eid = p.next_ts(), p.event_id()
    server.wait_ack(_send_message(server, ts, eid, attempt=0))
    (answer,) = fake.wait_calls("chat.postMessage")
    assert answer.params["thread_ts"] == ts

    # Slack redelivers the same event: acked again, answered no more.
    server.wait_ack(_send_message(server, ts, eid, attempt=1))

    # Slack asks the client to move: it opens a new URL and a new connection.
    server.send_disconnect()
    server.wait_connections(2)
    fake.wait_calls("apps.connections.open", 2)
    ts2 = p.next_ts()
    server.wait_ack(_send_message(server, ts2, p.event_id()))
    answers = fake.wait_calls("chat.postMessage", 2)
    fake.settle(0.2)
    assert [c.params["thread_ts"] for c in fake.calls("chat.postMessage")] == [ts, ts2]
    assert answers[1].params["thread_ts"] == ts2


def test_slash_commands_and_shortcuts_over_socket_mode(
    fake: FakeSlack, socket_app: tuple[FakeSocketModeServer, object]
) -> None:
    server, _ = socket_app
    server.wait_connections(1)
    command = p.slash_command(BOUNCE, fake.response_url("sm-cmd"))
    ack = server.wait_ack(server.send_envelope("slash_commands", command))
    assert ack["envelope_id"]
    (answer,) = fake.wait_calls("response_url")
    assert answer.params["response_type"] == "ephemeral"

    shortcut = p.message_shortcut(
        "explain_bounce", p.message(BOUNCE), fake.response_url("sm-shortcut")
    )
    server.wait_ack(server.send_envelope("interactive", shortcut))
    calls = fake.wait_calls("response_url", 2)
    assert calls[1].path.endswith("/sm-shortcut")
