"""Running owed work off Bolt's listener threads: the outbox, worker pools, retries, drain.

A listener acknowledges Slack, records the work with `Dispatcher.submit` and returns, so
its thread (Bolt has five) is free for the next request within Slack's 3 seconds. A
poller claims due items from the outbox (a lease, so only one worker or replica takes
each) and runs them on one of two pools: large jobs (file downloads, big pastes) on a
small pool of their own so they cannot starve answers, everything else on the other. A
handler says what happened with an `Outcome`: done, with follow-up items recorded in the
same transaction, or "try again later" (a 429's Retry-After, a 5xx, a timeout), which is
a row's next attempt time, never a sleeping thread.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bot import metrics
from bot.state import OutboxItem, State

log = logging.getLogger("smtpbot.slack")

#: An owed answer is retried until this long after the request (Slack's response_url
#: lives 30 minutes); then it is given up with a warning.
ANSWER_DEADLINE_SECONDS = 15 * 60
#: Large jobs running at once; more wait in line (their senders get a notice).
LARGE_JOBS = 2
SMALL_WORKERS = 4
#: A claimed item not finished in this time is taken again by another worker or replica
#: (after a crash; SIGTERM hands leases back at once). Calls time out long before.
LEASE_SECONDS = 120.0
LEASE_VARIABLE = "SMTPBOT_LEASE_SECONDS"
#: A lease must outlast one call's timeout, or a slow call would be run twice.
MIN_LEASE_SECONDS = 2.0
MAX_LEASE_SECONDS = 3600.0
POLL_SECONDS = 0.25
#: Backoff after a failure without Retry-After: 1, 2, 4 … seconds, at most this.
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class FollowUp:
    kind: str
    payload: Mapping[str, Any]
    deadline_seconds: float = ANSWER_DEADLINE_SECONDS


@dataclass(slots=True)
class Outcome:
    """What a handler did: done (with follow-ups), or retry after `retry_after` seconds."""

    follow_ups: list[FollowUp] = field(default_factory=list)
    retry_after: float | None = None
    error: str = ""
    #: Run after the item is recorded done (statistics); its failure costs nothing.
    after: Callable[[], None] | None = None

    @classmethod
    def retry(cls, error: str, retry_after: float | None, attempts: int) -> Outcome:
        delay = retry_after if retry_after is not None else min(
            2.0**attempts, MAX_BACKOFF_SECONDS
        )
        return cls(retry_after=max(delay, 0.5), error=error)


Handler = Callable[[OutboxItem], Outcome]


def lease_seconds(env: Mapping[str, str] = os.environ) -> float:
    """SMTPBOT_LEASE_SECONDS, or the default (with a warning) when it is malformed."""
    raw = (env.get(LEASE_VARIABLE) or "").strip()
    if not raw:
        return LEASE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not MIN_LEASE_SECONDS <= value <= MAX_LEASE_SECONDS:
        log.warning(
            "%s is malformed: expected seconds from %.0f to %.0f, got %r; using %.0f",
            LEASE_VARIABLE, MIN_LEASE_SECONDS, MAX_LEASE_SECONDS, raw, LEASE_SECONDS,
        )
        return LEASE_SECONDS
    return value


class Dispatcher:
    def __init__(
        self,
        state: State,
        handlers: Mapping[str, Handler],
        *,
        small_workers: int = SMALL_WORKERS,
        large_workers: int = LARGE_JOBS,
        is_large: Callable[[OutboxItem], bool] = lambda item: bool(item.payload.get("large")),
        lease: float | None = None,
    ) -> None:
        self.state = state
        self.lease_seconds = lease_seconds() if lease is None else lease
        self.handlers = dict(handlers)
        self.owner = f"w-{secrets.token_hex(6)}"
        self.large_workers = large_workers
        self._is_large = is_large
        self._small = ThreadPoolExecutor(small_workers, thread_name_prefix="smtpbot-work")
        self._large = ThreadPoolExecutor(large_workers, thread_name_prefix="smtpbot-large")
        self._max_in_flight = small_workers + 4 * large_workers
        self._in_flight = 0
        #: Large items submitted here and not finished: what a new upload waits behind.
        self._large_ahead: set[int] = set()
        self._lock = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="smtpbot-poller", daemon=True)

    # -- taking work -----------------------------------------------------------------------

    def start(self) -> Dispatcher:
        self._poller.start()
        return self

    def submit(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        event_id: str | None = None,
        message: tuple[str, str] | None = None,
        deadline_seconds: float = ANSWER_DEADLINE_SECONDS,
    ) -> int | None:
        """Record work in the outbox and wake the poller; None for a repeated event or message."""
        item_id = self.state.enqueue(
            kind, payload, deadline_seconds=deadline_seconds, event_id=event_id, message=message
        )
        if item_id is None:
            metrics.DUPLICATE_EVENTS.inc()
        else:
            if payload.get("large"):
                with self._lock:
                    self._large_ahead.add(item_id)
            self._wake.set()
        return item_id

    def large_jobs_ahead(self) -> int:
        """Large jobs submitted to this process, running or waiting for a slot."""
        with self._lock:
            return len(self._large_ahead)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- running it ------------------------------------------------------------------------

    def _poll(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                room = self._max_in_flight - self._in_flight
            if room > 0:
                try:
                    items = self.state.claim_due(self.owner, room, self.lease_seconds)
                except Exception:  # a bug here must not stop every future answer: log loudly
                    log.exception("claiming outbox items failed")
                    items = []
                for item in items:
                    self._start(item)
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _start(self, item: OutboxItem) -> None:
        large = self._is_large(item)
        with self._lock:
            self._in_flight += 1
        pool = self._large if large else self._small
        try:
            future = pool.submit(self._run, item)
        except RuntimeError:  # the pool was shut down by stop(): the lease is released there
            self._finished(item, done=False)
            return
        # A job cancelled by stop() before it ran is no longer in flight.
        future.add_done_callback(
            lambda run: self._finished(item, done=False) if run.cancelled() else None
        )

    def _finished(self, item: OutboxItem, done: bool) -> None:
        with self._lock:
            self._in_flight -= 1
            if done:
                self._large_ahead.discard(item.id)
            self._lock.notify_all()

    def _run(self, item: OutboxItem) -> None:
        try:
            self._run_one(item)
        finally:
            self._finished(item, done=True)
            self._wake.set()

    def _run_one(self, item: OutboxItem) -> None:
        handler = self.handlers.get(item.kind)
        if handler is None:
            log.error("outbox item of unknown kind %s dropped", item.kind)
            self.state.complete(item)
            return
        try:
            outcome = handler(item)
        except Exception as error:  # a bug in one answer must not lose the others: retried, logged
            log.error("%s work failed: %s", item.kind, type(error).__name__)
            log.debug("work failure details", exc_info=error)
            outcome = Outcome.retry(type(error).__name__, None, item.attempts)
        if outcome.retry_after is not None:
            if not self.state.retry_later(item, outcome.retry_after, outcome.error):
                metrics.ANSWERS_GIVEN_UP.labels(kind=item.kind).inc()
                log.warning(
                    "%s given up after %d attempts: deadline passed (last error %s)",
                    item.kind, item.attempts + 1, outcome.error,
                )
            return
        self.state.complete(
            item,
            [
                (f.kind, f.payload, time.time() + f.deadline_seconds)
                for f in outcome.follow_ups
            ],
        )
        if outcome.follow_ups:
            self._wake.set()
        if outcome.after is not None:
            outcome.after()

    # -- stopping --------------------------------------------------------------------------

    def stop(self, grace_seconds: float) -> int:
        """Stop claiming, let running work finish for up to `grace_seconds`, hand back the rest.

        Returns how many items are left for the next start (or another replica).
        """
        self._stopping.set()
        self._wake.set()
        if self._poller.is_alive():
            self._poller.join(timeout=2)
        for pool in (self._small, self._large):
            pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace_seconds
        with self._lock:
            while self._in_flight > 0 and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            running = self._in_flight
        self.state.release(self.owner)
        left = self.state.pending()
        log.info("stopped: %d item(s) still running, %d left for the next start", running, left)
        return left

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is running or due in this process (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = self._in_flight == 0
            if idle and self.state.pending() == 0:
                return True
            time.sleep(0.05)
        return False
