"""Messages in channels the bot is in, and DMs to it: answer SMTP failures in the thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk.web import WebClient

from bot.slack.listeners.events import auto_reply
from bot.slack.services import services_of


def message_callback(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    services = services_of(context)
    if not auto_reply.from_a_person(event, context):
        return
    direct = event.get("channel_type") == "im"
    if not direct and not services.settings.watches(event.get("channel")):
        return
    if not auto_reply.first_delivery(services, body):
        return
    auto_reply.answer(services, client, event, context, mentioned=direct)
