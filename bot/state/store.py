"""`State`: the one entry point to shared state, with an in-process fallback during outages.

While the database answers, everything goes there. When a call fails with a database
error (server down, SQLite locked past its busy timeout), a warning is logged once, the
call and the ones after it are served by `MemoryBackend` (answers still go out,
de-duplication holds within the process), and the database is tried again every
`RETRY_SECONDS`; when it answers again, an info line says so and it is used again.
Work queued in memory during the outage is still handed out until it is done.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot import metrics
from bot.state.memory import MemoryBackend
from bot.state.model import DAY, DIMENSIONS, UNDETERMINED, Backend, NewItem, OutboxItem, day_of
from bot.state.sql import SqlBackend, make_engine
from bot.state.url import VARIABLE, DatabaseURLError, parse, safe_name

log = logging.getLogger("smtpbot.state")
T = TypeVar("T")

#: While the database is down, it is tried again this often (seconds).
RETRY_SECONDS = 5.0
#: Rows past their keep time are deleted at most this often, by whichever call comes next.
EXPIRE_EVERY_SECONDS = 600.0
#: Errors of reaching the database (not of our statements, which stay loud).
_DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)


class StateUnavailable(Exception):
    """The database could not be opened at start; the message names the variable, no secret."""


class State:
    """Event de-duplication, answered messages, the outbox, share texts, statistics, digests.

    Thread-safe; every method may be called from any thread. Times are epoch seconds and
    default to now (tests pass their own `clock`).
    """

    def __init__(self, backend: Backend, clock: Callable[[], float] = time.time) -> None:
        self._db = backend
        self._memory = MemoryBackend()
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._next_try = 0.0
        self._next_expire = 0.0
        #: Database items whose fate moved to memory during an outage: marked done there
        #: when it is back, so no other worker or replica runs them again.
        self._orphans: set[int] = set()

    @classmethod
    def open(cls, database_url: str, clock: Callable[[], float] = time.time) -> State:
        """Connect, create or migrate the schema; `StateUnavailable` when that fails."""
        try:
            url = parse(database_url)
        except DatabaseURLError as error:
            raise StateUnavailable(str(error)) from None
        try:
            backend = SqlBackend(make_engine(url), clock())
        except (DBAPIError, PoolTimeout) as error:
            raise StateUnavailable(
                f"cannot open the database {VARIABLE} names ({safe_name(url)}): "
                f"{type(error).__name__}"
            ) from None
        return cls(backend, clock)

    @property
    def engine(self) -> Engine | None:
        """The SQLAlchemy engine, for tables kept by libraries (Slack installations)."""
        engine: Engine | None = getattr(self._db, "engine", None)
        return engine

    # -- fallback ------------------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """True while the database is unreachable and the process is on its own."""
        return self._down_since is not None

    def _call(self, name: str, *args: Any) -> Any:
        now = self._clock()
        with self._lock:
            skip_db = self._down_since is not None and now < self._next_try
        if not skip_db:
            self._settle_orphans(now)
            try:
                result = getattr(self._db, name)(*args)
            except _DATABASE_ERRORS as error:
                self._went_down(now, error, name)
            else:
                self._came_back()
                self._maybe_expire(now)
                return result
        return getattr(self._memory, name)(*args)

    def _went_down(self, now: float, error: BaseException, operation: str) -> None:
        metrics.DATABASE_ERRORS.labels(operation=operation).inc()
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = now
            self._next_try = now + RETRY_SECONDS
        if first:
            metrics.DATABASE_FALLBACKS.inc()
            metrics.DATABASE_DEGRADED.set(1)
            log.warning(
                "database unreachable (%s): answering from this process alone until it is back",
                type(error).__name__,
            )

    def _came_back(self) -> None:
        with self._lock:
            was_down = self._down_since
            self._down_since = None
        if was_down is not None:
            metrics.DATABASE_DEGRADED.set(0)
            log.info("database reachable again after %.0f s", self._clock() - was_down)

    def _settle_orphans(self, now: float) -> None:
        with self._lock:
            if not self._orphans:
                return
            orphans, self._orphans = self._orphans, set()
        for item_id in orphans:
            try:
                self._db.complete(item_id, [], now)
            except _DATABASE_ERRORS:
                metrics.DATABASE_ERRORS.labels(operation="complete").inc()
                with self._lock:
                    self._orphans.add(item_id)
                return

    def _db_item(self, name: str, item: OutboxItem, *args: Any) -> bool:
        """Run `name` on the database for a database item; False when it is unreachable."""
        now = self._clock()
        try:
            getattr(self._db, name)(item.id, *args)
        except _DATABASE_ERRORS as error:
            self._went_down(now, error, name)
            with self._lock:
                self._orphans.add(item.id)
            return False
        return True

    def _maybe_expire(self, now: float) -> None:
        with self._lock:
            if now < self._next_expire:
                return
            self._next_expire = now + EXPIRE_EVERY_SECONDS
        try:
            self._db.expire(now)
        except _DATABASE_ERRORS as error:
            metrics.DATABASE_ERRORS.labels(operation="expire").inc()
            log.warning("expiring old rows failed: %s", type(error).__name__)
        self._memory.expire(now)

    # -- the outbox ------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        deadline_seconds: float,
        event_id: str | None = None,
        message: tuple[str, str] | None = None,
    ) -> int | None:
        """Record owed work; with `event_id` and/or `message` (channel, ts), only the first time.

        Returns the item's id, or None when the event or the message was taken before
        (Slack's retry, or the same message arriving as `message` and `app_mention`).
        """
        now = self._clock()
        item = NewItem(kind, dict(payload), now + deadline_seconds)
        result: int | None = self._call("enqueue", item, event_id, message, now)
        return result

    def claim_due(self, owner: str, limit: int, lease_seconds: float) -> list[OutboxItem]:
        """Take up to `limit` due items for `lease_seconds` (another owner gets them after)."""
        now = self._clock()
        claimed: list[OutboxItem] = self._memory.claim_due(owner, limit, lease_seconds, now)
        if len(claimed) < limit:
            claimed += self._call("claim_due", owner, limit - len(claimed), lease_seconds, now)
        return claimed

    def complete(
        self, item: OutboxItem, follow_ups: Iterable[tuple[str, Mapping[str, Any], float]] = ()
    ) -> None:
        """Mark done and, in the same transaction, record (kind, payload, deadline) follow-ups."""
        now = self._clock()
        items = [NewItem(kind, dict(payload), deadline) for kind, payload, deadline in follow_ups]
        if item.id < 0:
            self._memory.complete(item.id, items, now)
        elif not self._db_item("complete", item, items, now):
            self._memory.complete(item.id, items, now)  # the follow-ups, at least, go out

    def retry_later(self, item: OutboxItem, delay_seconds: float, error: str) -> bool:
        """Try again after `delay_seconds`; False when that is past the deadline (given up)."""
        now = self._clock()
        at = now + delay_seconds
        if item.id < 0:
            return self._memory.retry_later(item.id, at, error, now)
        if at > item.deadline:
            self._db_item("retry_later", item, at, error, now)  # records it as failed
            return False
        if not self._db_item("retry_later", item, at, error, now):
            return self._memory.adopt(item, at)
        return True

    def release(self, owner: str) -> int:
        """Give back every lease of `owner` (at shutdown) so the next start resumes at once."""
        released = self._memory.release(owner)
        count: int = self._call("release", owner)
        return released + count

    def pending(self) -> int:
        """Items not yet done (database and memory)."""
        database: int = 0 if self.degraded else self._call("pending")
        return database + self._memory.pending()

    # -- de-duplication --------------------------------------------------------------------

    def mark_answered(self, channel: str, ts: str) -> bool:
        """True the first time the message (channel, ts) is answered, False after."""
        first: bool = self._call("mark_answered", channel, ts, self._clock())
        return first

    # -- share texts -----------------------------------------------------------------------

    def put_share(self, text: str) -> str:
        """Keep `text` for 30 days; returns the key to look it up with."""
        key = secrets.token_urlsafe(12)
        self._call("put_share", key, text, self._clock())
        return key

    def get_share(self, key: str) -> str | None:
        text: str | None = self._call("get_share", key, self._clock())
        return text

    # -- statistics ------------------------------------------------------------------------

    def count(self, team_id: str, reasons: Iterable[str | None]) -> None:
        """Count one explained message: +1 per distinct reason, however many recipients."""
        distinct = frozenset(reason or UNDETERMINED for reason in reasons)
        self._call("count", team_id, distinct, self._clock())

    def counts(self, team_id: str, days: int = 7) -> list[tuple[str, int]]:
        """(reason, count) over the last `days` days (today included), most frequent first."""
        since = day_of(self._clock() - (days - 1) * DAY)
        rows: list[tuple[str, int]] = self._call("counts", team_id, since)
        return rows

    def tally(self, team_id: str, dimension: str, keys: Mapping[str, int]) -> None:
        """Add today's counts by provider or by recipient domain (`DIMENSIONS`)."""
        if dimension not in DIMENSIONS or dimension == "reason":
            raise ValueError(f"cannot tally by {dimension!r}")
        cleaned = {key[:255]: number for key, number in keys.items() if key and number > 0}
        if cleaned:
            self._call("tally", team_id, dimension, cleaned, self._clock())

    def tallies(
        self, team_id: str, dimension: str, since_day: str, until_day: str
    ) -> list[tuple[str, int]]:
        """(key, count) by `dimension` over the UTC days since..until (both included),
        most frequent first."""
        if dimension not in DIMENSIONS:
            raise ValueError(f"cannot count by {dimension!r}")
        rows: list[tuple[str, int]] = self._call(
            "tallies", team_id, dimension, since_day, until_day
        )
        return rows

    def now(self) -> float:
        """The state's clock (tests give their own): schedules read it too."""
        return self._clock()

    # -- digest bookkeeping ----------------------------------------------------------------

    def last_digest(self, channel: str) -> float | None:
        at: float | None = self._call("last_digest", channel)
        return at

    def claim_digest(self, channel: str, not_since: float) -> bool:
        """Atomically record a digest now unless one was recorded at or after `not_since`."""
        claimed: bool = self._call("claim_digest", channel, not_since, self._clock())
        return claimed

    def close(self) -> None:
        self._db.close()
