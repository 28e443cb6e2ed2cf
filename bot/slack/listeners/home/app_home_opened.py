"""Publish the Home tab (usage and 7-day counts by reason) whenever a user opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.slack.render import render_home
from bot.slack.services import services_of

HOME_DAYS = 7
#: A Home tab is worth publishing only while the person may still be looking at it.
HOME_DEADLINE_SECONDS = 120


def app_home_opened_callback(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    services = services_of(context)
    counts = services.state.counts(context.team_id or "unknown", days=HOME_DAYS)
    view = render_home(counts, days=HOME_DAYS)
    services.submit(
        "api",
        {"method": "views.publish", "part": {"user_id": str(event["user"]), "view": view},
         "rest": [], "team_id": context.team_id},
        deadline_seconds=HOME_DEADLINE_SECONDS,
    )
