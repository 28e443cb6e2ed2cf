"""Deciding whether a message deserves an answer, and answering in its thread.

Shared by the `message` and `app_mention` listeners. Decisions are logged by kind and
channel only, never with the text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import BoltContext
from slack_sdk.web import WebClient

from bot.slack import answers, replies
from bot.slack.render import Rendered, render_usage
from bot.slack.services import Services

log = logging.getLogger("smtpbot.slack")

#: Message subtypes that are people's own new messages; edits, deletions, joins,
#: bot messages and every other subtype are ignored.
ANSWERED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def from_a_person(event: Mapping[str, Any], context: BoltContext) -> bool:
    if event.get("subtype") not in ANSWERED_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or event.get("app_id"):
        return False
    user = event.get("user")
    return bool(user) and user != context.bot_user_id


def first_delivery(services: Services, body: Mapping[str, Any]) -> bool:
    """False for a repeat of an event we already had (Slack retries deliveries).

    Only the event id counts: retry headers and `retry_attempt` are no reason to drop.
    """
    event_id = body.get("event_id")
    return services.events.first(event_id) if event_id else True


def answer(
    services: Services,
    client: WebClient,
    event: Mapping[str, Any],
    context: BoltContext,
    *,
    mentioned: bool,
) -> None:
    channel = str(event.get("channel") or "")
    ts = str(event.get("ts") or "")
    if not channel or not ts:
        return
    messages: list[Rendered] = []
    shared = event.get("files") or []
    if shared:
        messages = answers.for_files(services, client, shared, context.team_id)
    text = str(event.get("text") or "")
    if not messages and text:
        if mentioned and answers.is_help(text):
            messages = [render_usage()]
        else:
            found = answers.for_text(services, answers.strip_mentions(text), context.team_id)
            messages = [found] if found else []
    if not messages:
        return
    # A mention arrives twice (message + app_mention): only the first answers.
    if not services.answered.first((channel, ts)):
        return
    thread_ts = str(event.get("thread_ts") or ts)
    for message in messages:
        replies.post_in_thread(client, channel, thread_ts, message)
    log.info("answered in thread (channel %s, %d message(s))", channel, len(messages))
