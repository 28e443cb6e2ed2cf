"""What every listener and job shares: settings, the state, the dispatcher, the worker clients.

`bot.slack.listeners` puts one `Services` into each request's Bolt context; listeners
take it back out with `services_of(context)`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.explain import explain
from bot.core.model import Report
from bot.slack.settings import Settings
from bot.state import State

if TYPE_CHECKING:
    from slack_sdk.web import WebClient

    from bot.slack.digest import DigestScheduler
    from bot.slack.dispatcher import Dispatcher
    from bot.slack.oauth import TeamClients

CONTEXT_KEY = "smtpbot"
#: A button value holds at most 2000 characters.
MAX_BUTTON_VALUE = 2000
INLINE = "t:"
KEPT = "k:"


@dataclass(slots=True)
class Services:
    settings: Settings
    state: State
    #: The Web API client of the workers: no retry handler sleeps in it (the outbox retries).
    #: It holds the one workspace's token; in distribution mode it holds none.
    client: WebClient
    dispatcher: Dispatcher | None = field(default=None)
    #: Posts the daily digest when SMTPBOT_DIGEST_CHANNEL is set (`bot.slack.digest`).
    digest: DigestScheduler | None = field(default=None)

    #: Distribution (OAuth) mode: each installed workspace's client.
    teams: TeamClients | None = field(default=None)

    def client_for(self, team_id: str | None) -> WebClient:
        """The client that answers in workspace `team_id` (with that workspace's token).

        Raises `bot.slack.oauth.NotInstalled` when the workspace has no token any more.
        """
        if self.teams is None:
            return self.client
        return self.teams.client_for(team_id)

    def explain(self, text: str, *, strict: bool = False) -> Report:
        return explain(text, strict=strict)

    def count(self, reports: list[Report], team_id: str | None) -> None:
        """Count one message (however many reports and recipients it held), best-effort."""
        verdicts = [v for r in reports if r.bounce for v in r.verdicts]
        if not verdicts:
            return
        team = team_id or "unknown"
        self.state.count(team, [v.reason for v in verdicts])
        # The digest's counts: a message per provider, failed recipients per domain.
        providers = {v.provider for v in verdicts if v.provider}
        self.state.tally(team, "provider", dict.fromkeys(providers, 1))
        domains = Counter(
            v.recipient.rsplit("@", 1)[1].strip().lower()
            for v in verdicts
            if v.recipient and "@" in v.recipient and v.delivery_class != "success"
        )
        self.state.tally(team, "domain", dict(domains))

    def share_value(self, text: str) -> str:
        """The button value for a share: the text itself, or the key of the stored text."""
        if len(text) + len(INLINE) <= MAX_BUTTON_VALUE:
            return INLINE + text
        return KEPT + self.state.put_share(text)

    def shared_text(self, value: str) -> str | None:
        if value.startswith(INLINE):
            return value[len(INLINE) :]
        if value.startswith(KEPT):
            return self.state.get_share(value[len(KEPT) :])
        return None

    def submit(
        self, kind: str, payload: Mapping[str, Any], *, event_id: str | None = None,
        message: tuple[str, str] | None = None, deadline_seconds: float | None = None,
    ) -> int | None:
        if self.dispatcher is None:
            raise RuntimeError("smtpbot dispatcher not started")
        extra: dict[str, Any] = {}
        if deadline_seconds is not None:
            extra["deadline_seconds"] = deadline_seconds
        return self.dispatcher.submit(kind, payload, event_id=event_id, message=message, **extra)


def services_of(context: Mapping[str, Any]) -> Services:
    services = context.get(CONTEXT_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("smtpbot services missing from the Bolt context")
    return services
