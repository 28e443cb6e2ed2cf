"""Request bodies as Slack sends them: Events API callbacks, slash commands, interactivity."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

_counter = itertools.count(1)

TEAM = "T0FAKE"
USER = "U0HUMAN"
CHANNEL = "C0EMAILOPS"


def next_ts() -> str:
    return f"{time.time():.0f}.{next(_counter):06d}"


def event_id() -> str:
    return f"Ev{next(_counter):010d}"


def message(
    text: str,
    *,
    channel: str = CHANNEL,
    user: str | None = USER,
    channel_type: str = "channel",
    ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "text": text,
        "ts": ts or next_ts(),
        "channel_type": channel_type,
    }
    if user is not None:
        event["user"] = user
    event.update(extra)
    return event


def event_callback(
    event: dict[str, Any], *, eid: str | None = None, team: str = TEAM
) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": "A0FAKE",
        "event": event,
        "type": "event_callback",
        "event_id": eid or event_id(),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "UBOTFAKE", "is_bot": True}],
    }


def slash_command(
    text: str,
    response_url: str,
    *,
    command: str = "/smtp",
    channel: str = CHANNEL,
    user: str = USER,
    team: str = TEAM,
) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "email-ops",
        "user_id": user,
        "user_name": "pat",
        "command": command,
        "text": text,
        "api_app_id": "A0FAKE",
        "response_url": response_url,
        "trigger_id": f"{next(_counter)}.trigger",
    }


def block_action(
    action_id: str,
    value: str,
    response_url: str | None,
    *,
    channel: str = CHANNEL,
    user: str = USER,
    team: str = TEAM,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team},
        "user": {"id": user},
        "api_app_id": "A0FAKE",
        "trigger_id": f"{next(_counter)}.trigger",
        "container": {"type": "message", "is_ephemeral": True, "channel_id": channel},
        "channel": {"id": channel, "name": "email-ops"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "smtpbot_share",
                "value": value,
                "action_ts": next_ts(),
            }
        ],
    }
    if response_url:
        payload["response_url"] = response_url
    return payload


def message_shortcut(
    callback_id: str,
    msg: dict[str, Any],
    response_url: str | None,
    *,
    channel: str = CHANNEL,
    user: str = USER,
    team: str = TEAM,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "message_action",
        "callback_id": callback_id,
        "team": {"id": team},
        "user": {"id": user},
        "channel": {"id": channel, "name": "email-ops"},
        "message": msg,
        "message_ts": msg.get("ts"),
        "trigger_id": f"{next(_counter)}.trigger",
        "action_ts": next_ts(),
    }
    if response_url:
        payload["response_url"] = response_url
    return payload


def app_home_opened(user: str = USER) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": next_ts(),
    }


def form(fields: dict[str, str]) -> tuple[bytes, str]:
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def interactive(payload: dict[str, Any]) -> tuple[bytes, str]:
    return form({"payload": json.dumps(payload)})


def json_body(data: dict[str, Any]) -> tuple[bytes, str]:
    return json.dumps(data).encode(), "application/json"
