"""Tables of the shared state, and the versioned migrations that create them.

Why a migrations table instead of Alembic: the schema is a handful of tables owned by
this one package, created by the app itself at start (there is no separate deploy
step to run ``alembic upgrade``). A list of numbered steps and a one-column table of
applied versions does the same job in thirty lines, needs no ``alembic.ini``,
``env.py`` or revision files, and runs identically on SQLite and PostgreSQL because
every step is SQLAlchemy Core. A new step is appended to `MIGRATIONS`; steps never
change once released.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Double,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError, ProgrammingError

metadata = MetaData()

schema_version = Table(
    "smtpbot_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", Double, nullable=False),
)

#: Slack event ids already accepted: a retry of one of them is dropped.
processed_events = Table(
    "smtpbot_processed_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("at", Double, nullable=False, index=True),
)

#: Messages already answered: a mention arrives as `message` and `app_mention`.
answered_messages = Table(
    "smtpbot_answered_messages",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("ts", String(32), primary_key=True),
    Column("at", Double, nullable=False, index=True),
)

#: Work and answers owed to Slack, from the request until Slack accepted the answer.
outbox = Table(
    "smtpbot_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # pending, done, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", Double, nullable=False),
    Column("next_attempt_at", Double, nullable=False),
    Column("deadline", Double, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", Double, nullable=True),
    Column("done_at", Double, nullable=True),
    Column("last_error", String(200), nullable=True),
    Index("smtpbot_outbox_due", "state", "next_attempt_at"),
)

#: Texts behind "Share in channel" buttons too long to travel in the button.
share_texts = Table(
    "smtpbot_share_texts",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("at", Double, nullable=False, index=True),
)

#: Explained bounces counted per day, workspace and reason (no text, no addresses).
statistics = Table(
    "smtpbot_statistics",
    metadata,
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("team_id", String(32), primary_key=True),
    Column("reason", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
)

#: When each channel last got its digest (for the digest feature).
digests = Table(
    "smtpbot_digests",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("last_at", Double, nullable=False),
)


#: Explained bounces counted per day, workspace and provider or recipient domain (the
#: digest's "by provider" and "worst domains"); `dimension` is "provider" or "domain".
#: Domains only, never addresses.
daily_tallies = Table(
    "smtpbot_daily_tallies",
    metadata,
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("team_id", String(32), primary_key=True),
    Column("dimension", String(16), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
)


def _v1_initial(connection: Connection) -> None:
    metadata.create_all(
        connection,
        tables=[processed_events, answered_messages, outbox, share_texts, statistics, digests],
    )


def _v2_daily_tallies(connection: Connection) -> None:
    metadata.create_all(connection, tables=[daily_tallies])


#: Numbered steps, applied in order; never edit a released step, append a new one.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1_initial, _v2_daily_tallies]
LATEST = len(MIGRATIONS)


def current_version(connection: Connection) -> int:
    return int(connection.execute(select(func.coalesce(func.max(schema_version.c.version), 0)))
               .scalar_one())


def migrate(engine: Engine, now: float) -> int:
    """Bring the schema to `LATEST`; safe when replicas start at the same time."""
    for attempt in range(3):
        try:
            with engine.begin() as connection:
                schema_version.create(connection, checkfirst=True)
                version = current_version(connection)
                for number in range(version + 1, LATEST + 1):
                    MIGRATIONS[number - 1](connection)
                    connection.execute(
                        schema_version.insert().values(version=number, applied_at=now)
                    )
            return LATEST
        except (IntegrityError, ProgrammingError):
            # Another replica applied the same step first: read the version again.
            if attempt == 2:
                raise
    return LATEST
