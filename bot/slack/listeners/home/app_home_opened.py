"""Publish the Home tab (usage and 7-day counts by reason) whenever a user opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk.web import WebClient

from bot.slack import replies
from bot.slack.render import render_home
from bot.slack.services import services_of

HOME_DAYS = 7


def app_home_opened_callback(
    event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    services = services_of(context)
    counts = services.stats.counts(context.team_id or "unknown", days=HOME_DAYS)
    replies.call(
        "views.publish",
        client.views_publish,
        user_id=str(event["user"]),
        view=render_home(counts, days=HOME_DAYS),
    )
