"""What the state layer hands out, and how long it keeps things."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

DAY = 86_400.0
#: Event ids and answered messages are kept this long (Slack retries within minutes).
EVENT_KEEP = DAY
#: Finished outbox rows are kept this long (for inspection), then deleted.
OUTBOX_KEEP = DAY
SHARE_KEEP = 30 * DAY
STATISTICS_KEEP_DAYS = 30
UNDETERMINED = "undetermined"
#: What `tallies` can count by: "reason" reads the per-reason statistics, the others
#: the per-provider and per-recipient-domain tallies.
DIMENSIONS = frozenset({"reason", "provider", "domain"})


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One piece of owed work: `kind` says what to do, `payload` what with (JSON data)."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    attempts: int
    deadline: float


@dataclass(frozen=True, slots=True)
class NewItem:
    kind: str
    payload: Mapping[str, Any]
    deadline: float


def day_of(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d")


class Backend(Protocol):
    """What both the database and the in-process fallback implement (times in epoch seconds)."""

    def enqueue(
        self, item: NewItem, event_id: str | None, message: tuple[str, str] | None, now: float
    ) -> int | None: ...
    def claim_due(self, owner: str, limit: int, lease: float, now: float) -> list[OutboxItem]: ...
    def complete(self, item_id: int, follow_ups: Iterable[NewItem], now: float) -> None: ...
    def retry_later(self, item_id: int, at: float, error: str, now: float) -> bool: ...
    def release(self, owner: str) -> int: ...
    def pending(self) -> int: ...
    def mark_answered(self, channel: str, ts: str, now: float) -> bool: ...
    def put_share(self, key: str, text: str, now: float) -> None: ...
    def get_share(self, key: str, now: float) -> str | None: ...
    def count(self, team_id: str, reasons: frozenset[str], now: float) -> None: ...
    def counts(self, team_id: str, since_day: str) -> list[tuple[str, int]]: ...
    def tally(
        self, team_id: str, dimension: str, keys: Mapping[str, int], now: float
    ) -> None: ...
    def tallies(
        self, team_id: str, dimension: str, since_day: str, until_day: str
    ) -> list[tuple[str, int]]: ...
    def last_digest(self, channel: str) -> float | None: ...
    def claim_digest(self, channel: str, not_since: float, now: float) -> bool: ...
    def expire(self, now: float) -> None: ...
    def close(self) -> None: ...
