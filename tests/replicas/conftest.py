"""Two real app processes in HTTP mode sharing one PostgreSQL, both talking to one fake Slack.

Each replica is `python -m bot` on its own port, exactly as deployed behind a load
balancer; the database is the session's PostgreSQL (tests/state: the local server, or
pgserver; under ``CI=true`` a missing server fails, never skips) with a fresh schema per
test. Slack's side is played by the test: it signs and sends each request to the replica
it picks, and re-sends an unacknowledged one to the other, as Slack's retries do.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE.parent, HERE.parent / "slack", HERE.parent / "state", HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
from fake_slack import FakeSlack  # noqa: E402
from fake_slack.sender import SignedSender  # noqa: E402
from pg_helpers import fresh_schema_url  # noqa: E402
from replica_helpers import (  # noqa: E402
    Replica,
    StartReplicas,
    clean_env,
    free_port,
    wait_ready,
)
from slack_helpers import SIGNING_SECRET  # noqa: E402


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def schema_url(postgres_url: str) -> Iterator[str]:
    """A fresh schema on the session's PostgreSQL (dropped after the test)."""
    yield from fresh_schema_url(postgres_url)



@pytest.fixture
def start_replicas(
    fake: FakeSlack, schema_url: str, tmp_path: Path
) -> Iterator[StartReplicas]:
    """Start replicas `names` (default a and b) on one database (default: the test schema)."""
    started: list[Replica] = []

    def start(
        names: Iterable[str] = ("a", "b"), database_url: str | None = None, **env: str
    ) -> list[Replica]:
        replicas = []
        for name in names:
            port = free_port()
            log = tmp_path / f"replica-{name}.log"
            variables = clean_env(
                SLACK_BOT_TOKEN=fake.bot_token,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=fake.api_url,
                PORT=str(port),
                SMTPBOT_DATABASE_URL=database_url or schema_url,
                SMTPBOT_DRAIN_SECONDS="2",
                LOG_LEVEL="INFO",
                **env,
            )
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "bot"], cwd=tmp_path, env=variables,
                    stdout=out, stderr=subprocess.STDOUT,
                )
            sender = SignedSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
            replica = Replica(name, port, proc, log, sender)
            started.append(replica)
            replicas.append(replica)
        for replica in replicas:
            wait_ready(replica)
        return replicas

    yield start
    for replica in started:
        replica.stop()
    for replica in started:
        assert "Traceback" not in replica.logs(), replica.logs()


