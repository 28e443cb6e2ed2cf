"""Calling Slack without ever crashing a listener: failures are logged by Slack's error code.

Log lines name the method, the channel and the error code; never message text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse, WebClient
from slack_sdk.webhook import WebhookResponse

from bot.slack.render import Rendered

log = logging.getLogger("smtpbot.slack")


def error_code(error: SlackApiError) -> str:
    response = error.response
    try:
        code = response.get("error") if response is not None else None
    except (AttributeError, TypeError, ValueError):
        code = None
    return str(code or "unknown_error")


def call(what: str, method: Callable[..., SlackResponse], **kwargs: Any) -> SlackResponse | None:
    """Run one Web API call; on failure log the method and Slack's error code, return None."""
    try:
        return method(**kwargs)
    except SlackApiError as error:
        log.warning(
            "%s failed: %s (channel %s)", what, error_code(error), kwargs.get("channel", "-")
        )
    except OSError as error:  # connection errors left after the retry handlers gave up
        log.warning("%s failed: %s", what, type(error).__name__)
    return None


def post_in_thread(client: WebClient, channel: str, thread_ts: str, message: Rendered) -> bool:
    response = call(
        "chat.postMessage",
        client.chat_postMessage,
        channel=channel,
        thread_ts=thread_ts,
        text=message.text,
        blocks=message.blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
    return response is not None


def post_ephemeral(
    client: WebClient, channel: str, user: str, message: Rendered, thread_ts: str | None = None
) -> bool:
    kwargs: dict[str, Any] = {
        "channel": channel,
        "user": user,
        "text": message.text,
        "blocks": message.blocks,
    }
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    return call("chat.postEphemeral", client.chat_postEphemeral, **kwargs) is not None


def check_webhook(what: str, response: WebhookResponse | None) -> bool:
    """Log a failed response_url post (status and Slack's short error body)."""
    if response is None:
        return False
    if response.status_code != 200:
        body = (response.body or "")[:80] if response.status_code < 500 else ""
        log.warning("%s failed: HTTP %s %s", what, response.status_code, body)
        return False
    return True
