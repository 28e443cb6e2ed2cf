"""Prometheus metrics: what an operator graphs and alerts on.

Labels carry only bounded, impersonal values (kinds, reasons, status codes, Slack error
codes): never a team, channel, user, address or text.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

ANSWERS = Counter(
    "smtpbot_answers", "Answers delivered to Slack, by kind and reason.", ["kind", "reason"]
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
DUPLICATE_EVENTS = Counter(
    "smtpbot_duplicate_events", "Slack deliveries dropped as repeats of one already handled."
)
REFUSED_REQUESTS = Counter(
    "smtpbot_refused_requests", "HTTP requests refused before reaching Bolt.", ["status"]
)


def exposition() -> tuple[str, str]:
    """The text format Prometheus scrapes, and its content type."""
    return generate_latest().decode(), CONTENT_TYPE_LATEST.split(";")[0]
