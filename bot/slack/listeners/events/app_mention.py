"""`@smtpbot …` anywhere the bot is: an explicit request, so SMTPBOT_CHANNELS does not apply."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.slack.listeners.events import auto_reply
from bot.slack.services import services_of


def app_mention_callback(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    if not auto_reply.from_a_person(event, context):
        return
    auto_reply.take(services_of(context), body, event, context, mentioned=True)
