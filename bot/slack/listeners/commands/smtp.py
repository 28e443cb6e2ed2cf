"""`/smtp <text>`: acknowledge at once, record the owed answer; a worker answers the caller.

`/smtp digest` shows the daily digest (counts by reason, provider and recipient domain)
to the caller alone: a look on demand, which neither posts in a channel nor counts as
the day's digest.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack import digest
from bot.slack.listeners.commands.arguments import parse_lookup
from bot.slack.services import services_of

SMTP_COMMAND = "/smtp"
DIGEST_WORD = "digest"


def smtp_command_callback(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    # Ack first: Slack gives up after 3 seconds; the answer goes through response_url.
    ack()
    services = services_of(context)
    text = str(command.get("text") or "")
    response_url = str(command.get("response_url") or "")
    if text.strip().lower() == DIGEST_WORD:
        digest.request_now(services, response_url, context.team_id)
        return
    payload: dict[str, Any] = {
        "text": text,
        "response_url": response_url,
        "team_id": context.team_id,
    }
    lookup = parse_lookup(text)  # `/smtp 5.7.26 example.org [IP]`: the code, then DNS for these
    if lookup is not None:
        payload.update(text=lookup.code, lookup={"domain": lookup.domain, "ip": lookup.ip})
    services.submit("command", payload)
