"""`@smtpbot …` anywhere the bot is: an explicit request, so SMTPBOT_CHANNELS does not apply."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk.web import WebClient

from bot.slack.listeners.events import auto_reply
from bot.slack.services import services_of


def app_mention_callback(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    services = services_of(context)
    if not auto_reply.from_a_person(event, context):
        return
    if not auto_reply.first_delivery(services, body):
        return
    auto_reply.answer(services, client, event, context, mentioned=True)
