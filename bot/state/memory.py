"""The in-process stand-in used while the database is unreachable: same behaviour, one process.

Ids of outbox items kept here are negative, so the `State` can tell them from the
database's own when a worker reports back after the database returned.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.state.model import (
    EVENT_KEEP,
    SHARE_KEEP,
    NewItem,
    OutboxItem,
    day_of,
)


@dataclass
class _Row:
    item: NewItem
    attempts: int = 0
    next_at: float = 0.0
    lease_owner: str | None = None
    lease_until: float = 0.0
    done: bool = False


@dataclass
class MemoryBackend:
    capacity: int = 20_000
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _events: dict[str, float] = field(default_factory=dict)
    _answered: dict[tuple[str, str], float] = field(default_factory=dict)
    _rows: dict[int, _Row] = field(default_factory=dict)
    _next_id: int = -1
    _shares: dict[str, tuple[str, float]] = field(default_factory=dict)
    _stats: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    _digests: dict[str, float] = field(default_factory=dict)
    _tallies: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)

    def enqueue(
        self, item: NewItem, event_id: str | None, message: tuple[str, str] | None, now: float
    ) -> int | None:
        with self._lock:
            if event_id is not None and event_id in self._events:
                return None
            if message is not None and message in self._answered:
                return None
            if event_id is not None:
                self._events[event_id] = now
            if message is not None:
                self._answered[message] = now
            return self._add(item, now)

    def _add(self, item: NewItem, now: float) -> int:
        item_id = self._next_id
        self._next_id -= 1
        self._rows[item_id] = _Row(item, next_at=now)
        return item_id

    def adopt(self, item: OutboxItem, next_at: float) -> bool:
        """Take over a database item whose retry could not be recorded there."""
        if next_at > item.deadline:
            return False
        with self._lock:
            item_id = self._add(NewItem(item.kind, item.payload, item.deadline), next_at)
            self._rows[item_id].attempts = item.attempts + 1
        return True

    def claim_due(self, owner: str, limit: int, lease: float, now: float) -> list[OutboxItem]:
        claimed: list[OutboxItem] = []
        with self._lock:
            for item_id, row in sorted(self._rows.items(), key=lambda pair: pair[1].next_at):
                if len(claimed) >= limit:
                    break
                if row.done or row.next_at > now or row.lease_until > now:
                    continue
                row.lease_owner, row.lease_until = owner, now + lease
                claimed.append(
                    OutboxItem(item_id, row.item.kind, row.item.payload, row.attempts,
                               row.item.deadline)
                )
        return claimed

    def complete(self, item_id: int, follow_ups: Iterable[NewItem], now: float) -> None:
        with self._lock:
            self._rows.pop(item_id, None)
            for item in follow_ups:
                self._add(item, now)

    def retry_later(self, item_id: int, at: float, error: str, now: float) -> bool:
        with self._lock:
            row = self._rows.get(item_id)
            if row is None:
                return False
            if at > row.item.deadline:
                del self._rows[item_id]
                return False
            row.attempts += 1
            row.next_at, row.lease_owner, row.lease_until = at, None, 0.0
            return True

    def release(self, owner: str) -> int:
        with self._lock:
            released = 0
            for row in self._rows.values():
                if row.lease_owner == owner:
                    row.lease_owner, row.lease_until = None, 0.0
                    released += 1
            return released

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def mark_answered(self, channel: str, ts: str, now: float) -> bool:
        with self._lock:
            if (channel, ts) in self._answered:
                return False
            self._answered[(channel, ts)] = now
            return True

    def put_share(self, key: str, text: str, now: float) -> None:
        with self._lock:
            self._shares[key] = (text, now)

    def get_share(self, key: str, now: float) -> str | None:
        with self._lock:
            found = self._shares.get(key)
        return found[0] if found and found[1] > now - SHARE_KEEP else None

    def count(self, team_id: str, reasons: frozenset[str], now: float) -> None:
        with self._lock:
            for reason in reasons:
                self._stats[(day_of(now), team_id, reason)] += 1

    def counts(self, team_id: str, since_day: str) -> list[tuple[str, int]]:
        totals: Counter[str] = Counter()
        with self._lock:
            for (day, team, reason), number in self._stats.items():
                if team == team_id and day >= since_day:
                    totals[reason] += number
        return sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))

    def tally(self, team_id: str, dimension: str, keys: Mapping[str, int], now: float) -> None:
        with self._lock:
            for key, number in keys.items():
                if number > 0:
                    self._tallies[(day_of(now), team_id, dimension, key)] += number

    def tallies(
        self, team_id: str, dimension: str, since_day: str, until_day: str
    ) -> list[tuple[str, int]]:
        totals: Counter[str] = Counter()
        with self._lock:
            if dimension == "reason":
                rows = [((d, t, "reason", k), n) for (d, t, k), n in self._stats.items()]
            else:
                rows = list(self._tallies.items())
            for (day, team, dim, key), number in rows:
                if team == team_id and dim == dimension and since_day <= day <= until_day:
                    totals[key] += number
        return sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))

    def last_digest(self, channel: str) -> float | None:
        with self._lock:
            return self._digests.get(channel)

    def claim_digest(self, channel: str, not_since: float, now: float) -> bool:
        with self._lock:
            last = self._digests.get(channel)
            if last is not None and last >= not_since:
                return False
            self._digests[channel] = now
            return True

    def expire(self, now: float) -> None:
        with self._lock:
            for event_id in [k for k, at in self._events.items() if at < now - EVENT_KEEP]:
                del self._events[event_id]
            for message in [k for k, at in self._answered.items() if at < now - EVENT_KEEP]:
                del self._answered[message]
            for key in [k for k, (_, at) in self._shares.items() if at < now - SHARE_KEEP]:
                del self._shares[key]
            # Bounded memory: an outage must not grow the process without limit.
            while len(self._events) > self.capacity:
                del self._events[next(iter(self._events))]
            while len(self._answered) > self.capacity:
                del self._answered[next(iter(self._answered))]

    def close(self) -> None:
        return None
