"""Sending an answer to Slack once, and telling a passing failure from a final one.

Passing (retried by the outbox): HTTP 429 (after its Retry-After), 5xx, Slack's own
``ratelimited``/``internal_error``-style codes, timeouts and connection errors. Final
(logged by error code and dropped): everything else, such as ``not_in_channel`` or an
expired response_url. Log lines name the method and code, never message text.
"""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from bot import metrics
from bot.slack import replies

log = logging.getLogger("smtpbot.slack")

#: Seconds one Web API call or response_url post may take before it counts as failed.
CALL_TIMEOUT_SECONDS = 10
TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True, slots=True)
class Sent:
    """Accepted (`ok`), or `retry_after` seconds to wait (None = backoff), or given up."""

    ok: bool
    transient: bool = False
    retry_after: float | None = None
    error: str = ""


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    if not headers:
        return None
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(float(str(raw)), 0.0)
            except ValueError:
                return None
    return None


def call_api(client: WebClient, method: str, params: Mapping[str, Any]) -> Sent:
    try:
        client.api_call(method, json=dict(params))
    except SlackApiError as error:
        code = replies.error_code(error)
        status = int(getattr(error.response, "status_code", 200) or 200)
        metrics.slack_error(code or f"http_{status}", rate_limited=status == 429)
        if status == 429 or status >= 500 or code in TRANSIENT_CODES:
            headers = getattr(error.response, "headers", None)
            return Sent(False, True, _retry_after(headers), f"{method} {status} {code}")
        log.warning("%s failed: %s (channel %s)", method, code, params.get("channel", "-"))
        return Sent(False, error=code)
    except (OSError, urllib.error.URLError) as error:
        metrics.slack_error(type(error).__name__)
        return Sent(False, True, None, f"{method} {type(error).__name__}")
    return Sent(True)


def post_response(url: str, body: Mapping[str, Any]) -> Sent:
    """POST to a command's or action's response_url."""
    try:
        response = WebhookClient(url, timeout=CALL_TIMEOUT_SECONDS).send_dict(dict(body))
    except (OSError, urllib.error.URLError) as error:
        metrics.slack_error(type(error).__name__)
        return Sent(False, True, None, f"response_url {type(error).__name__}")
    status = response.status_code
    if status == 200:
        return Sent(True)
    metrics.slack_error(f"http_{status}", rate_limited=status == 429)
    if status == 429 or status >= 500:
        return Sent(False, True, _retry_after(response.headers), f"response_url {status}")
    replies.check_webhook("response_url answer", response)
    return Sent(False, error=f"HTTP {status}")
