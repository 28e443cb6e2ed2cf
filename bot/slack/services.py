"""What every listener shares: settings, statistics, de-duplication, and answers awaiting a share.

`bot.slack.listeners` puts one `Services` into each request's Bolt context; listeners
take it back out with `services_of(context)`.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.explain import explain
from bot.core.model import Report
from bot.slack.settings import Settings
from bot.slack.stats import Stats

CONTEXT_KEY = "smtpbot"


class Recent:
    """A bounded, thread-safe set of recently seen keys (oldest forgotten first)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._keys: OrderedDict[Hashable, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def first(self, key: Hashable) -> bool:
        """True the first time `key` is seen, False on every repeat."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self._capacity:
                self._keys.popitem(last=False)
            return True


class Shares:
    """Texts behind "Share in channel" buttons.

    A button value holds at most 2000 characters: shorter texts travel in the value
    itself (so sharing survives a restart); longer ones stay here, in memory only,
    for the most recent `capacity` answers.
    """

    INLINE = "t:"
    KEPT = "k:"

    def __init__(self, capacity: int = 1_000) -> None:
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def value_for(self, text: str) -> str:
        if len(text) + len(self.INLINE) <= 2000:
            return self.INLINE + text
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._texts[key] = text
            if len(self._texts) > self._capacity:
                self._texts.popitem(last=False)
        return self.KEPT + key

    def text_for(self, value: str) -> str | None:
        if value.startswith(self.INLINE):
            return value[len(self.INLINE) :]
        if value.startswith(self.KEPT):
            with self._lock:
                return self._texts.get(value[len(self.KEPT) :])
        return None


@dataclass(slots=True)
class Services:
    settings: Settings
    stats: Stats
    events: Recent = field(default_factory=Recent)
    #: (channel, ts) of messages already answered: a mention arrives as both
    #: `message` and `app_mention`, with different event ids.
    answered: Recent = field(default_factory=Recent)
    shares: Shares = field(default_factory=Shares)

    def explain(self, text: str, team_id: str | None, *, count: bool = True) -> Report:
        """Explain pasted text; count it in the statistics when it is a bounce (and `count`)."""
        report = explain(text)
        if count:
            self.count(report, team_id)
        return report

    def count(self, report: Report, team_id: str | None) -> None:
        if report.bounce and report.verdicts:
            self.stats.record(team_id or "unknown", (v.reason for v in report.verdicts))


def services_of(context: Mapping[str, Any]) -> Services:
    services = context.get(CONTEXT_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("smtpbot services missing from the Bolt context")
    return services
