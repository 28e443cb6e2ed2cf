"""The "Share in channel" button under a `/smtp` answer: post the same answer visibly."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk.web import WebClient

from bot.slack import replies
from bot.slack.render import Rendered, render_notice, render_report
from bot.slack.services import services_of

log = logging.getLogger("smtpbot.slack")
_USER_ID = re.compile(r"[UW][A-Z0-9]+")


def share_in_channel_callback(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    ack()
    services = services_of(context)
    text = services.shares.text_for(str(action.get("value") or ""))
    if text is None:
        _send(
            respond, render_notice("That answer has expired; please run /smtp again."), "ephemeral"
        )
        return
    # Same text, same answer (not counted twice in the statistics).
    report = services.explain(text, context.team_id, count=False)
    user = str((body.get("user") or {}).get("id") or "")
    footer = f"Shared by <@{user}>" if _USER_ID.fullmatch(user) else None
    message = render_report(report, footer=footer)
    if body.get("response_url"):
        _send(respond, message, "in_channel")
        return
    channel = str((body.get("channel") or {}).get("id") or "")
    if channel:
        replies.call(
            "chat.postMessage",
            client.chat_postMessage,
            channel=channel,
            text=message.text,
            blocks=message.blocks,
        )


def _send(respond: Respond, message: Rendered, response_type: str) -> None:
    try:
        response = respond(
            text=message.text,
            blocks=message.blocks,
            response_type=response_type,
            replace_original=False,
        )
    except OSError as error:
        log.warning("share failed: %s", type(error).__name__)
        return
    replies.check_webhook("share", response)
