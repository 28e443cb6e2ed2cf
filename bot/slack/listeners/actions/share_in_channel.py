"""The "Share in channel" button under a `/smtp` answer: a worker posts it visibly."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.services import services_of


def share_in_channel_callback(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    ack()
    services_of(context).submit(
        "share",
        {
            "value": str(action.get("value") or ""),
            "user": str((body.get("user") or {}).get("id") or ""),
            "response_url": body.get("response_url"),
            "channel": (body.get("channel") or {}).get("id"),
            "team_id": context.team_id,
        },
    )
