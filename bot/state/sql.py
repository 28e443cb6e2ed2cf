"""The database backend: SQLAlchemy Core over SQLite (embedded) or PostgreSQL (psycopg 3).

Every "first time?" question is an insert-if-absent on a unique key (``ON CONFLICT DO
NOTHING``), and an outbox row is taken by a compare-and-set on its lease, so any number
of threads, workers or replicas can share one database without read-then-write races.

Whether a statement touched a row is read from ``RETURNING`` (both databases have it),
not from ``rowcount``, which psycopg leaves at -1 for some statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, and_, create_engine, delete, event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot.state.model import (
    DAY,
    EVENT_KEEP,
    OUTBOX_KEEP,
    SHARE_KEEP,
    STATISTICS_KEEP_DAYS,
    NewItem,
    OutboxItem,
    day_of,
)
from bot.state.schema import (
    answered_messages,
    daily_tallies,
    digests,
    migrate,
    outbox,
    processed_events,
    share_texts,
    statistics,
)

#: How long a write waits for SQLite's lock before the caller falls back (seconds).
SQLITE_BUSY_SECONDS = 3.0
CONNECT_TIMEOUT_SECONDS = 3


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the Home tab read while a worker writes; with WAL, synchronous=NORMAL
            # loses nothing when the process dies (only on a power cut) and saves an fsync
            # per commit.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_timeout=5,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


class SqlBackend:
    def __init__(self, engine: Engine, now: float) -> None:
        self.engine = engine
        migrate(engine, now)

    def _insert(self, table: Any) -> Any:
        """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _outbox_row(self, item: NewItem, now: float) -> dict[str, Any]:
        return {
            "kind": item.kind,
            "payload": dict(item.payload),
            "state": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "deadline": item.deadline,
        }

    def enqueue(
        self, item: NewItem, event_id: str | None, message: tuple[str, str] | None, now: float
    ) -> int | None:
        with self.engine.begin() as connection:
            if event_id is not None:
                first = connection.execute(
                    self._insert(processed_events)
                    .values(event_id=event_id, at=now)
                    .on_conflict_do_nothing()
                    .returning(processed_events.c.event_id)
                )
                if first.first() is None:
                    return None
            if message is not None:
                first = connection.execute(
                    self._insert(answered_messages)
                    .values(channel=message[0], ts=message[1], at=now)
                    .on_conflict_do_nothing()
                    .returning(answered_messages.c.ts)
                )
                if first.first() is None:
                    # Roll back the event id too: this event is a repeat of the message.
                    connection.rollback()
                    return None
            result = connection.execute(
                outbox.insert().values(**self._outbox_row(item, now)).returning(outbox.c.id)
            )
            return int(result.scalar_one())

    def claim_due(self, owner: str, limit: int, lease: float, now: float) -> list[OutboxItem]:
        free = or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now)
        due = and_(outbox.c.state == "pending", outbox.c.next_attempt_at <= now, free)
        claimed: list[OutboxItem] = []
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(outbox.c.id, outbox.c.kind, outbox.c.payload, outbox.c.attempts,
                       outbox.c.deadline)
                .where(due)
                .order_by(outbox.c.next_attempt_at)
                .limit(limit)
            ).all()
        for row in rows:
            try:
                with self.engine.begin() as connection:
                    taken = connection.execute(
                        update(outbox)
                        .where(outbox.c.id == row.id, due)
                        .values(lease_owner=owner, lease_until=now + lease)
                        .returning(outbox.c.id)
                    )
                    won = taken.first() is not None
            except DBAPIError:
                # Cut off midway: the rows already leased are ours to run, not to forget
                # for a whole lease.
                if claimed:
                    break
                raise
            if won:
                claimed.append(
                    OutboxItem(row.id, row.kind, row.payload, row.attempts, row.deadline)
                )
        return claimed

    def complete(self, item_id: int, follow_ups: Iterable[NewItem], now: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox)
                .where(outbox.c.id == item_id)
                .values(state="done", done_at=now, lease_owner=None, lease_until=None)
            )
            rows = [self._outbox_row(item, now) for item in follow_ups]
            if rows:
                connection.execute(outbox.insert(), rows)

    def retry_later(self, item_id: int, at: float, error: str, now: float) -> bool:
        with self.engine.begin() as connection:
            deadline = connection.execute(
                select(outbox.c.deadline).where(outbox.c.id == item_id)
            ).scalar_one_or_none()
            if deadline is None:
                return False
            alive = at <= float(deadline)
            connection.execute(
                update(outbox)
                .where(outbox.c.id == item_id)
                .values(
                    state="pending" if alive else "failed",
                    attempts=outbox.c.attempts + 1,
                    next_attempt_at=at,
                    lease_owner=None,
                    lease_until=None,
                    last_error=error[:200],
                    done_at=None if alive else now,
                )
            )
            return alive

    def release(self, owner: str) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                update(outbox)
                .where(outbox.c.lease_owner == owner, outbox.c.state == "pending")
                .values(lease_owner=None, lease_until=None)
                .returning(outbox.c.id)
            )
            return len(result.all())

    def pending(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
                ).scalar_one()
            )

    def mark_answered(self, channel: str, ts: str, now: float) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                self._insert(answered_messages)
                .values(channel=channel, ts=ts, at=now)
                .on_conflict_do_nothing()
                .returning(answered_messages.c.ts)
            )
            return bool(result.first() is not None)

    def put_share(self, key: str, text: str, now: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(share_texts.insert().values(key=key, text=text, at=now))

    def get_share(self, key: str, now: float) -> str | None:
        with self.engine.connect() as connection:
            text = connection.execute(
                select(share_texts.c.text).where(
                    share_texts.c.key == key, share_texts.c.at >= now - SHARE_KEEP
                )
            ).scalar_one_or_none()
        return None if text is None else str(text)

    def count(self, team_id: str, reasons: frozenset[str], now: float) -> None:
        if not reasons:
            return
        rows = [
            {"day": day_of(now), "team_id": team_id, "reason": reason, "count": 1}
            for reason in sorted(reasons)
        ]
        insert = self._insert(statistics)
        with self.engine.begin() as connection:
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=[statistics.c.day, statistics.c.team_id, statistics.c.reason],
                    set_={"count": statistics.c.count + insert.excluded.count},
                ),
                rows,
            )

    def counts(self, team_id: str, since_day: str) -> list[tuple[str, int]]:
        total = func.sum(statistics.c.count)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(statistics.c.reason, total)
                .where(statistics.c.team_id == team_id, statistics.c.day >= since_day)
                .group_by(statistics.c.reason)
                .order_by(total.desc(), statistics.c.reason)
            ).all()
        return [(str(reason), int(number)) for reason, number in rows]

    def tally(self, team_id: str, dimension: str, keys: Mapping[str, int], now: float) -> None:
        rows = [
            {"day": day_of(now), "team_id": team_id, "dimension": dimension, "key": key,
             "count": number}
            for key, number in sorted(keys.items()) if number > 0
        ]
        if not rows:
            return
        insert = self._insert(daily_tallies)
        c = daily_tallies.c
        with self.engine.begin() as connection:
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=[c.day, c.team_id, c.dimension, c.key],
                    set_={"count": c.count + insert.excluded.count},
                ),
                rows,
            )

    def tallies(
        self, team_id: str, dimension: str, since_day: str, until_day: str
    ) -> list[tuple[str, int]]:
        if dimension == "reason":
            key, table = statistics.c.reason, statistics
            where = [statistics.c.team_id == team_id]
        else:
            key, table = daily_tallies.c.key, daily_tallies
            where = [daily_tallies.c.team_id == team_id, daily_tallies.c.dimension == dimension]
        total = func.sum(table.c.count)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(key, total)
                .where(*where, table.c.day >= since_day, table.c.day <= until_day)
                .group_by(key)
                .order_by(total.desc(), key)
            ).all()
        return [(str(name), int(number)) for name, number in rows]

    def last_digest(self, channel: str) -> float | None:
        with self.engine.connect() as connection:
            at = connection.execute(
                select(digests.c.last_at).where(digests.c.channel == channel)
            ).scalar_one_or_none()
        return None if at is None else float(at)

    def claim_digest(self, channel: str, not_since: float, now: float) -> bool:
        with self.engine.begin() as connection:
            first = connection.execute(
                self._insert(digests)
                .values(channel=channel, last_at=now)
                .on_conflict_do_nothing()
                .returning(digests.c.channel)
            )
            if first.first() is not None:
                return True
            moved = connection.execute(
                update(digests)
                .where(digests.c.channel == channel, digests.c.last_at < not_since)
                .values(last_at=now)
                .returning(digests.c.channel)
            )
            return moved.first() is not None

    def expire(self, now: float) -> None:
        oldest_day = day_of(now - STATISTICS_KEEP_DAYS * DAY)
        with self.engine.begin() as connection:
            connection.execute(
                delete(processed_events).where(processed_events.c.at < now - EVENT_KEEP)
            )
            connection.execute(
                delete(answered_messages).where(answered_messages.c.at < now - EVENT_KEEP)
            )
            connection.execute(
                delete(outbox).where(
                    outbox.c.state != "pending", outbox.c.done_at < now - OUTBOX_KEEP
                )
            )
            connection.execute(delete(share_texts).where(share_texts.c.at < now - SHARE_KEEP))
            connection.execute(delete(statistics).where(statistics.c.day < oldest_day))
            connection.execute(delete(daily_tallies).where(daily_tallies.c.day < oldest_day))

    def close(self) -> None:
        self.engine.dispose()
