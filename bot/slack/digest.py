"""The daily digest: what the bot explained, by reason, provider and recipient domain.

Opt-in with ``SMTPBOT_DIGEST_CHANNEL`` (``SMTPBOT_DIGEST_TIME`` HH:MM in
``SMTPBOT_DIGEST_TZ``, default 09:00 UTC). `DigestScheduler` wakes every
`TICK_SECONDS`; once the day's time has passed and the channel's last digest
(`State.last_digest`, in the database) is older, it records a ``digest`` job in the
outbox under a key made of the channel and the local date, so replicas and restarts
record it once, then marks the digest done (`State.claim_digest`). The job posts
through the outbox like every answer, so it works the same in Socket Mode and HTTP mode.
A digest missed by more than `LATE_LIMIT_SECONDS` (the app was down) is skipped, not
posted in the middle of the day. ``/smtp digest`` shows the same digest to the caller
alone, whenever asked, and does not count as the day's digest.

Counts only: reasons, providers and recipient domains, never text or addresses. Days
are UTC days (the state counts per UTC day): "yesterday" is the last whole UTC day, "the
last 7 days" the seven whole days up to it, "the week before" the seven before those.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.slack import replies
from bot.slack.dispatcher import FollowUp, Outcome
from bot.slack.render import render_digest
from bot.slack.services import Services
from bot.state import OutboxItem
from bot.state.model import DAY, day_of

log = logging.getLogger("smtpbot.slack")

TICK_SECONDS = 30.0
#: A digest more than this late (the app was down at its time) waits for the next day.
LATE_LIMIT_SECONDS = 6 * 3600.0
#: Rows shown per ranking (reasons, providers, domains).
TOP = 5
JOB_KIND = "digest"


@dataclass(slots=True)
class Digest:
    """The counts one digest shows (explained messages; failed recipients for domains)."""

    yesterday: str
    day_reasons: list[tuple[str, int]]
    week_reasons: list[tuple[str, int]]
    week_providers: list[tuple[str, int]]
    worst_domains: list[tuple[str, int]]
    new_reasons: list[str] = field(default_factory=list)
    new_providers: list[str] = field(default_factory=list)
    #: False when nothing was counted the week before: "new" would mean nothing then.
    had_week_before: bool = False


def summarize(services: Services, team_id: str, now: float) -> Digest:
    """The digest for the whole UTC days before `now`."""
    state = services.state
    yesterday = day_of(now - DAY)
    week_start = day_of(now - 7 * DAY)
    before_start, before_end = day_of(now - 14 * DAY), day_of(now - 8 * DAY)

    def counts(dimension: str, since: str, until: str) -> list[tuple[str, int]]:
        return state.tallies(team_id, dimension, since, until)

    week_reasons = counts("reason", week_start, yesterday)
    week_providers = counts("provider", week_start, yesterday)
    before_reasons = {k for k, _ in counts("reason", before_start, before_end)}
    before_providers = {k for k, _ in counts("provider", before_start, before_end)}
    had_before = bool(before_reasons or before_providers)
    return Digest(
        yesterday=yesterday,
        day_reasons=counts("reason", yesterday, yesterday),
        week_reasons=week_reasons,
        week_providers=week_providers,
        worst_domains=counts("domain", week_start, yesterday)[:TOP],
        new_reasons=[k for k, _ in week_reasons if k not in before_reasons] if had_before else [],
        new_providers=(
            [k for k, _ in week_providers if k not in before_providers] if had_before else []
        ),
        had_week_before=had_before,
    )


def _team_of(services: Services) -> str | None:
    """The workspace the bot token belongs to (the scheduler has no event to read it from)."""
    response = replies.call("auth.test", services.client.auth_test)
    team = response.get("team_id") if response is not None else None
    return str(team) if team else None


def digest_job(services: Services, item: OutboxItem) -> Outcome:
    """Compute the digest and hand its message to the delivery kinds (`api` or `respond`)."""
    p = item.payload
    team_id = p.get("team_id") or _team_of(services)
    if not team_id:
        return Outcome.retry("auth.test gave no team", None, item.attempts)
    message = render_digest(summarize(services, str(team_id), float(p["at"])), TOP)
    if p.get("response_url"):
        part: dict[str, Any] = {
            "text": message.text, "blocks": message.blocks, "response_type": "ephemeral"
        }
        return Outcome([FollowUp("respond", {"url": p["response_url"], "part": part, "rest": []})])
    part = {"channel": p["channel"], "text": message.text, "blocks": message.blocks,
            "unfurl_links": False, "unfurl_media": False}
    log.info("posting the digest (channel %s)", p["channel"])
    return Outcome(
        [
            FollowUp(
                "api",
                {"method": "chat.postMessage", "part": part, "rest": [], "team_id": team_id},
            )
        ]
    )


def request_now(services: Services, response_url: str, team_id: str | None) -> None:
    """`/smtp digest`: the digest up to now, to the caller alone."""
    services.submit(
        JOB_KIND,
        {"response_url": response_url, "team_id": team_id, "at": services.state.now()},
    )


def due_at(now: float, at: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The latest scheduled time at or before `now` (local wall time, DST respected)."""
    local = dt.datetime.fromtimestamp(now, tz)
    candidate = dt.datetime.combine(local.date(), at, tzinfo=tz)
    if candidate > local:
        candidate = dt.datetime.combine(local.date() - dt.timedelta(days=1), at, tzinfo=tz)
    return candidate


class DigestScheduler:
    """Records the day's digest job once its time has come (see the module docstring)."""

    def __init__(
        self,
        services: Services,
        channel: str,
        at: dt.time,
        tz: str,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.services = services
        self.channel = channel
        self.at = at
        self.tz = zoneinfo.ZoneInfo(tz)
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> bool:
        """Record the digest if one is due; True when this call recorded it."""
        state = self.services.state
        now = state.now()
        due = due_at(now, self.at, self.tz)
        due_epoch = due.timestamp()
        last = state.last_digest(self.channel)
        if last is not None and last >= due_epoch:
            return False
        if now - due_epoch > LATE_LIMIT_SECONDS:
            # Too late for today's (the app was down): mark it so, post tomorrow.
            state.claim_digest(self.channel, due_epoch)
            log.info("skipped a digest %d hours late (channel %s)",
                     (now - due_epoch) // 3600, self.channel)
            return False
        key = f"digest:{self.channel}:{due.date().isoformat()}"
        taken = self.services.submit(
            JOB_KIND, {"channel": self.channel, "team_id": None, "at": now}, event_id=key
        )
        state.claim_digest(self.channel, due_epoch)
        return taken is not None

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick()
            except Exception:  # logged with its traceback; the next tick tries again
                log.exception("digest tick failed")

    def start(self) -> DigestScheduler:
        self._thread = threading.Thread(target=self._run, name="smtpbot-digest", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def scheduler_for(services: Services) -> DigestScheduler | None:
    """The scheduler the settings ask for, not started; None when the digest is off."""
    settings = services.settings
    if settings.digest_channel is None:
        return None
    return DigestScheduler(
        services, settings.digest_channel, settings.digest_time, settings.digest_tz
    )


def job(services: Services) -> Callable[[OutboxItem], Outcome]:
    def run(item: OutboxItem) -> Outcome:
        return digest_job(services, item)

    return run
