"""`/smtp <text>`: ack at once, then answer the caller alone, with a "Share in channel" button."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.slack import answers, replies
from bot.slack.render import render_no_smtp, render_usage
from bot.slack.services import services_of

SMTP_COMMAND = "/smtp"
log = logging.getLogger("smtpbot.slack")


def smtp_command_callback(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    # Ack first: Slack gives up after 3 seconds; the answer goes through response_url.
    ack()
    text = str(command.get("text") or "")
    if answers.is_help(text):
        message = render_usage()
    else:
        services = services_of(context)
        message = answers.for_text(services, text, context.team_id, share=True) or render_no_smtp()
    try:
        response = respond(text=message.text, blocks=message.blocks, response_type="ephemeral")
    except OSError as error:
        log.warning("/smtp answer failed: %s", type(error).__name__)
        return
    replies.check_webhook("/smtp answer", response)
