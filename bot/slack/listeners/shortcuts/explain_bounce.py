"""Message shortcut "Explain bounce": acknowledge, then a worker explains it to the caller only."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.services import services_of

EXPLAIN_BOUNCE_CALLBACK_ID = "explain_bounce"


def explain_bounce_callback(ack: Ack, shortcut: dict[str, Any], context: BoltContext) -> None:
    ack()
    message: dict[str, Any] = shortcut.get("message") or {}
    files = message.get("files") or []
    services_of(context).submit(
        "shortcut",
        {
            "text": str(message.get("text") or ""),
            "files": files,
            "large": bool(files),
            "response_url": shortcut.get("response_url"),
            "channel": (shortcut.get("channel") or {}).get("id"),
            "user": (shortcut.get("user") or {}).get("id"),
            "thread_ts": message.get("thread_ts"),
            "team_id": context.team_id,
        },
    )
