"""Deciding whether a message deserves an answer, and recording the owed answer.

Shared by the `message` and `app_mention` listeners. The event id (Slack's retries) and
the message's (channel, ts) (a mention arrives as both `message` and `app_mention`) are
taken in the same transaction as the outbox row, so a message is answered once however
many deliveries or replicas see it. Decisions are logged by kind and channel only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import BoltContext

from bot.slack.forwarded import is_forwarded_email
from bot.slack.render import render_notice
from bot.slack.services import Services

log = logging.getLogger("smtpbot.slack")

#: Message subtypes that are people's own new messages; edits, deletions, joins,
#: bot messages and every other subtype are ignored.
ANSWERED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
SLACKBOT = "USLACKBOT"
#: A paste longer than this is a large job (runs with the uploads, not the quick answers).
LARGE_TEXT_CHARS = 100_000


def forwarded_email(event: Mapping[str, Any]) -> bool:
    """An email sent to the channel's (or DM's) address: Slackbot shares it as a file.

    Slackbot's other messages (reminders, auto-responses) and anything else carrying a
    `bot_id` stay ignored; only a `file_share` whose files include an email is taken.
    """
    return (
        event.get("user") == SLACKBOT
        and event.get("subtype") == "file_share"
        and any(_may_be_email(f) for f in event.get("files") or [] if isinstance(f, Mapping))
    )


def _may_be_email(info: Mapping[str, Any]) -> bool:
    """An email file, or one whose details Slack withheld (`files.info` tells, in the job)."""
    return is_forwarded_email(info) or info.get("file_access") == "check_file_info"


def ignored_sender(event: Mapping[str, Any], context: BoltContext) -> bool:
    """Bots (this one included) and Slackbot, except Slackbot sharing a forwarded email."""
    if forwarded_email(event):
        return False
    user = event.get("user")
    return (
        bool(event.get("bot_id") or event.get("bot_profile") or event.get("app_id"))
        or not user
        or user == context.bot_user_id
        or user == SLACKBOT
    )


def from_a_person(event: Mapping[str, Any], context: BoltContext) -> bool:
    """A person's own new message, or an email forwarded into the conversation."""
    return event.get("subtype") in ANSWERED_SUBTYPES and not ignored_sender(event, context)


def mentions_bot(event: Mapping[str, Any], context: BoltContext) -> bool:
    bot = context.bot_user_id
    return bool(bot) and f"<@{bot}" in str(event.get("text") or "")


def take(
    services: Services,
    body: Mapping[str, Any],
    event: Mapping[str, Any],
    context: BoltContext,
    *,
    mentioned: bool,
) -> None:
    channel = str(event.get("channel") or "")
    ts = str(event.get("ts") or "")
    if not channel or not ts:
        return
    files = list(event.get("files") or [])
    forwarded = forwarded_email(event)
    if forwarded:
        # Only the emails: Slackbot's text ("sent an email") is not the sender's words.
        files = [f for f in files if isinstance(f, Mapping) and _may_be_email(f)]
    payload = {
        "channel": channel,
        "ts": ts,
        "thread_ts": event.get("thread_ts") or ts,
        "text": "" if forwarded else str(event.get("text") or ""),
        "files": files,
        "mentioned": mentioned and not forwarded,
        "forwarded": forwarded,
        "large": bool(files) or len(str(event.get("text") or "")) > LARGE_TEXT_CHARS,
        "team_id": context.team_id,
    }
    event_id = body.get("event_id")
    dispatcher = services.dispatcher
    ahead = dispatcher.large_jobs_ahead() if dispatcher is not None and files else 0
    taken = services.submit(
        "message", payload, event_id=str(event_id) if event_id else None, message=(channel, ts)
    )
    if taken is None:
        return
    if dispatcher is not None and ahead >= dispatcher.large_workers:
        _queued_notice(services, channel, str(payload["thread_ts"]), ahead, context.team_id)


def _queued_notice(
    services: Services, channel: str, thread_ts: str, ahead: int, team_id: str | None
) -> None:
    """Large jobs beyond the running ones wait their turn; the sender hears so at once."""
    notice = render_notice(
        f"I am reading {ahead} other large files or pastes first; "
        "I will answer here when I get to yours."
    )
    part = {"channel": channel, "thread_ts": thread_ts, "text": notice.text,
            "blocks": notice.blocks}
    services.submit(
        "api", {"method": "chat.postMessage", "part": part, "rest": [], "team_id": team_id}
    )
    log.info("large job queued behind %d (channel %s)", ahead, channel)
