"""Messages in channels the bot is in, and DMs to it: answer SMTP failures in the thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.slack.listeners.events import auto_reply
from bot.slack.services import services_of


def message_callback(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    if not auto_reply.from_a_person(event, context):
        return
    direct = event.get("channel_type") == "im"
    if not direct and not services.settings.watches(event.get("channel")):
        return
    mentioned = direct or auto_reply.mentions_bot(event, context)
    auto_reply.take(services, body, event, context, mentioned=mentioned)
