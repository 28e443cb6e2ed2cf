"""`/smtp <text>`: acknowledge at once, record the owed answer; a worker answers the caller."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.services import services_of

SMTP_COMMAND = "/smtp"


def smtp_command_callback(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    # Ack first: Slack gives up after 3 seconds; the answer goes through response_url.
    ack()
    services = services_of(context)
    services.submit(
        "command",
        {
            "text": str(command.get("text") or ""),
            "response_url": str(command.get("response_url") or ""),
            "team_id": context.team_id,
        },
    )
