"""Prometheus metrics: what an operator graphs and alerts on.

Labels carry only bounded, impersonal values (kinds, reasons, status codes, Slack error
codes): never a team, channel, user, address or text. Each process (replica) exports its
own counters; Prometheus sums them across replicas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

ANSWERS = Counter(
    "smtpbot_answers", "Answers Slack accepted, by kind and reason.", ["kind", "reason"]
)
ANSWERS_GIVEN_UP = Counter(
    "smtpbot_answers_given_up",
    "Owed work dropped after its deadline passed while Slack kept failing, by kind.",
    ["kind"],
)
ACK_SECONDS = Histogram(
    "smtpbot_ack_seconds",
    "Time from receiving a Slack request to acknowledging it.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
SLACK_API_ERRORS = Counter(
    "smtpbot_slack_api_errors", "Slack Web API calls that failed, by error.", ["error"]
)
RATE_LIMIT_RETRIES = Counter(
    "smtpbot_slack_rate_limit_retries", "Slack Web API calls retried after HTTP 429."
)
DATABASE_ERRORS = Counter(
    "smtpbot_database_errors", "State operations that failed, by operation.", ["operation"]
)
DATABASE_FALLBACKS = Counter(
    "smtpbot_database_fallbacks",
    "Times the database became unreachable and this process went on from memory alone.",
)
DATABASE_DEGRADED = Gauge(
    "smtpbot_database_degraded", "1 while this process answers from memory (database down)."
)
DUPLICATE_EVENTS = Counter(
    "smtpbot_duplicate_events", "Slack deliveries dropped as repeats of one already handled."
)
REFUSED_REQUESTS = Counter(
    "smtpbot_refused_requests", "HTTP requests refused before reaching Bolt.", ["status"]
)

#: What a label value may look like: Slack's error codes, reasons and kinds all do.
_LABEL = re.compile(r"[a-z][a-z0-9_]{0,47}")


def label(value: object) -> str:
    """`value` when it has the shape of a code, else "other" (labels must stay few)."""
    text = str(value or "").strip().lower()
    return text if _LABEL.fullmatch(text) else "other"


def answer_delivered(answer: Mapping[str, Any] | None) -> None:
    """Count an answer whose first part Slack accepted (`answer` is its kind and reason)."""
    if answer:
        ANSWERS.labels(kind=label(answer.get("kind")), reason=label(answer.get("reason"))).inc()


def slack_error(error: str, *, rate_limited: bool = False) -> None:
    SLACK_API_ERRORS.labels(error=label(error)).inc()
    if rate_limited:
        RATE_LIMIT_RETRIES.inc()


def exposition() -> tuple[str, str]:
    """The text format Prometheus scrapes, and its content type."""
    return generate_latest().decode(), CONTENT_TYPE_LATEST.split(";")[0]
