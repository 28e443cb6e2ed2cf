"""Structured logs: JSON lines tagged with team and channel ids, redacted like the text form."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.slack.logs import ContextExecutor, JsonFormatter, Redact, TextFormatter, bind


@pytest.fixture
def stream() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(Redact())
    logger = logging.getLogger("smtpbot.test-logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, out, handler
    logger.removeHandler(handler)


def test_json_lines_carry_ids_from_listener_threads(
    stream: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, out, handler = stream
    handler.setFormatter(JsonFormatter())
    with bind("T0123", "C0456"), ContextExecutor(max_workers=1) as pool:
        pool.submit(logger.info, "answered bob@example.com").result()
    logger.info("outside any request")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["team_id"] == "T0123" and first["channel_id"] == "C0456"
    assert first["message"] == "answered <address>"
    assert first["level"] == "INFO" and first["logger"] == "smtpbot.test-logs"
    assert "team_id" not in second


def test_json_errors_name_the_type_not_the_message(
    stream: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, out, handler = stream
    handler.setFormatter(JsonFormatter())
    try:
        raise ValueError("quoted text from bob@example.com")
    except ValueError:
        logger.exception("listener failed")
    entry = json.loads(out.getvalue())
    assert entry["error"] == "ValueError"
    assert "example.com" not in out.getvalue()


def test_text_lines_show_ids(stream: tuple[logging.Logger, io.StringIO, logging.Handler]) -> None:
    logger, out, handler = stream
    handler.setFormatter(TextFormatter())
    with bind("T0123", None):
        logger.warning("slow")
    assert out.getvalue().rstrip().endswith("smtpbot.test-logs: slow [team_id=T0123]")
