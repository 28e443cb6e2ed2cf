"""Counts of explained bounces by reason, per workspace, in SQLite so they survive restarts.

Only the reason and the time are stored: no text, no addresses.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

DAY = 86_400
#: Rows older than this are deleted as new ones arrive; the Home tab shows 7 days.
KEEP_SECONDS = 30 * DAY
UNDETERMINED = "undetermined"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS explained (
    team_id TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS explained_team_at ON explained (team_id, at);
"""


class Stats:
    """One SQLite connection shared by Bolt's worker threads behind a lock."""

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def record(self, team_id: str, reasons: Iterable[str | None], now: float | None = None) -> None:
        """Count one explained bounce per verdict, by reason."""
        at = time.time() if now is None else now
        rows = [(team_id, reason or UNDETERMINED, at) for reason in reasons]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO explained (team_id, reason, at) VALUES (?, ?, ?)", rows
            )
            self._db.execute("DELETE FROM explained WHERE at < ?", (at - KEEP_SECONDS,))
            self._db.execute("COMMIT")

    def counts(
        self, team_id: str, days: int = 7, now: float | None = None
    ) -> list[tuple[str, int]]:
        """(reason, count) over the last `days` days, most frequent first."""
        since = (time.time() if now is None else now) - days * DAY
        with self._lock:
            rows = self._db.execute(
                "SELECT reason, COUNT(*) FROM explained WHERE team_id = ? AND at >= ? "
                "GROUP BY reason ORDER BY COUNT(*) DESC, reason",
                (team_id, since),
            ).fetchall()
        return [(str(reason), int(count)) for reason, count in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
