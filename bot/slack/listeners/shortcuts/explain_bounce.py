"""Message shortcut "Explain bounce": the explanation of any message, shown to the caller only."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk.web import WebClient

from bot.slack import answers, replies
from bot.slack.render import Rendered, render_no_smtp
from bot.slack.services import services_of

EXPLAIN_BOUNCE_CALLBACK_ID = "explain_bounce"
log = logging.getLogger("smtpbot.slack")


def explain_bounce_callback(
    ack: Ack, shortcut: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    ack()
    services = services_of(context)
    message: dict[str, Any] = shortcut.get("message") or {}
    shared = message.get("files") or []
    found: list[Rendered] = []
    if shared:
        found = answers.for_files(services, client, shared, context.team_id)
    text = str(message.get("text") or "")
    if not found and text:
        answer = answers.for_text(services, text, context.team_id)
        found = [answer] if answer else []
    for item in found or [render_no_smtp()]:
        _reply(shortcut, respond, client, item)


def _reply(shortcut: dict[str, Any], respond: Respond, client: WebClient, item: Rendered) -> None:
    """Through response_url when Slack gave one (works where the bot is not a member)."""
    if shortcut.get("response_url"):
        try:
            response = respond(
                text=item.text,
                blocks=item.blocks,
                response_type="ephemeral",
                replace_original=False,
            )
        except OSError as error:
            log.warning("shortcut answer failed: %s", type(error).__name__)
            return
        replies.check_webhook("shortcut answer", response)
        return
    channel = (shortcut.get("channel") or {}).get("id")
    user = (shortcut.get("user") or {}).get("id")
    if channel and user:
        message = shortcut.get("message") or {}
        replies.post_ephemeral(client, channel, user, item, message.get("thread_ts"))
