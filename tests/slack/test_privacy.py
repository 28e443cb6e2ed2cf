"""Logs at INFO and above never hold message text, email addresses or tokens."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fake_slack import FakeSlack
from fake_slack import payloads as p
from slack_helpers import SIGNING_SECRET, RunningApp, multi_bounce_eml

from bot.slack.app import create_app, socket_mode_handler
from bot.slack.logs import Redact
from bot.slack.settings import load_settings

SECRET_TEXT = (
    "550 5.1.1 <carol.secret@private-example.com>: Recipient address rejected: "
    "User unknown in virtual mailbox table zebra-quokka-42"
)
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # capture everything; assert on INFO and above
    return caplog


def _assert_clean(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    loud = [r for r in caplog.get_records("call") if r.levelno >= logging.INFO]
    assert loud, "expected some INFO+ records to check"
    for record in loud:
        message = record.getMessage()
        if record.exc_info:
            message += logging.Formatter().formatException(record.exc_info)
        assert not ADDRESS.search(message), f"address in log: {message[:300]}"
        for secret in secrets:
            assert secret not in message, f"secret {secret[:12]}… in log: {message[:300]}"
        for word in ("zebra-quokka-42", "Recipient address rejected", "virtual mailbox"):
            assert word not in message, f"message text in log: {message[:300]}"


def test_http_listeners_log_no_text_addresses_or_tokens(
    slack_app: RunningApp, records: pytest.LogCaptureFixture
) -> None:
    fake = slack_app.fake
    fake.fail("chat.postMessage", "not_in_channel")
    fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    slack_app.event(p.message(SECRET_TEXT))  # fails: not_in_channel
    slack_app.event(p.message(SECRET_TEXT))  # 429, then delivered
    slack_app.command(SECRET_TEXT)
    slack_app.interactive(
        p.message_shortcut("explain_bounce", p.message(SECRET_TEXT), fake.response_url("s"))
    )
    info = fake.add_file("F0PRIV", "carol.secret@private-example.com.eml", multi_bounce_eml(2))
    slack_app.event(p.message("", subtype="file_share", files=[info]))
    big = fake.add_file("F0BIGP", "big.eml", b"x", size=50 << 20)
    slack_app.event(p.message("", subtype="file_share", files=[big]))
    slack_app.event(p.app_home_opened())
    slack_app.sender.post(
        *p.json_body(p.event_callback(p.message(SECRET_TEXT))), signature="v0=" + "1" * 64
    )
    fake.wait_calls("chat.postMessage", 3, timeout=15)
    fake.wait_calls("response_url", 2)
    fake.wait_calls("views.publish")
    _assert_clean(records, fake.bot_token, SIGNING_SECRET)


def test_socket_mode_logs_no_tokens(
    fake: FakeSlack, tmp_path: Path, records: pytest.LogCaptureFixture
) -> None:
    server = fake.enable_socket_mode()
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": fake.bot_token,
            "SLACK_APP_TOKEN": fake.app_token,
            "SLACK_API_URL": fake.api_url,
            "SMTPBOT_DB": str(tmp_path / "db"),
        }
    )
    handler = socket_mode_handler(create_app(settings), settings)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        server.wait_connections(1)
        server.wait_ack(
            server.send_envelope("events_api", p.event_callback(p.message(SECRET_TEXT)))
        )
        fake.wait_calls("chat.postMessage")
    finally:
        client = handler.client
        client.auto_reconnect_enabled = False
        client.closed = True
        client.message_queue.put(None)
        server.stop()
        handler.close()  # type: ignore[no-untyped-call]
    _assert_clean(records, fake.bot_token, fake.app_token)


def test_the_log_handler_redacts_tokens_and_addresses_as_a_last_resort() -> None:
    record = logging.LogRecord(
        "x",
        logging.WARNING,
        __file__,
        1,
        "token %s for %s",
        ("xoxb-1-2-abc", "dan@example.com"),
        None,
    )
    Redact().filter(record)
    assert record.getMessage() == "token <token> for <address>"
