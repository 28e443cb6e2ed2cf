"""HTTP mode's front door: what reaches Bolt has been sized, signed and parsed first.

Slack's requests are small, so anything over `MAX_REQUEST_BYTES` is refused before a byte
of it is read, and nothing is parsed before its v0 signature checks out: an unsigned
client can cost us neither memory nor a traceback. The same front serves the operator's
endpoints: ``/healthz`` (the process answers), ``/readyz`` (its dependencies answer) and
``/metrics`` (Prometheus).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot import metrics

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

EVENTS_PATH = "/slack/events"
#: Slack's largest payloads (a message event with blocks, a view submission) are tens of KB.
MAX_REQUEST_BYTES = 1024 * 1024
#: Slack signs with the current time; older requests are replays (Slack's own rule).
MAX_CLOCK_SKEW_SECONDS = 5 * 60

log = logging.getLogger("smtpbot.http")

#: A readiness check: returns None when fine, else a short reason (no secrets).
ReadinessCheck = Callable[[], str | None]


@dataclass(frozen=True, slots=True)
class Refusal:
    status: str
    reason: str


def _content_length(environ: WSGIEnvironment) -> int | None:
    raw = environ.get("CONTENT_LENGTH") or ""
    return int(raw) if raw.isdigit() else None


def _read_body(environ: WSGIEnvironment) -> bytes | Refusal:
    length = _content_length(environ)
    if length is None:
        return Refusal("411 Length Required", "no Content-Length")
    if length > MAX_REQUEST_BYTES:
        return Refusal("413 Content Too Large", f"body of {length} bytes")
    body: bytes = environ["wsgi.input"].read(length)
    if len(body) != length:
        return Refusal("400 Bad Request", "body shorter than its Content-Length")
    return body


def _check_signature(
    verifier: SignatureVerifier, environ: WSGIEnvironment, body: bytes, now: float
) -> Refusal | None:
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not timestamp.isdigit() or not signature:
        return Refusal("401 Unauthorized", "missing or malformed signature headers")
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return Refusal("401 Unauthorized", "stale timestamp")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal("400 Bad Request", "body is not UTF-8")
    if not verifier.is_valid(body=text, timestamp=timestamp, signature=signature):
        return Refusal("401 Unauthorized", "invalid signature")
    return None


def _check_shape(environ: WSGIEnvironment, body: bytes) -> Refusal | None:
    """Refuse a signed body Bolt could not parse (it would answer 500 with a traceback)."""
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    text = body.decode("utf-8")
    try:
        if content_type == "application/json":
            parsed = json.loads(text)
        elif content_type == "application/x-www-form-urlencoded":
            form = parse_qs(text, keep_blank_values=True)
            payload = form.get("payload")
            parsed = json.loads(payload[0]) if payload else form
        else:
            return Refusal("415 Unsupported Media Type", f"content type {content_type!r}")
    except ValueError:
        return Refusal("400 Bad Request", "malformed body")
    if not isinstance(parsed, dict) or not parsed:
        return Refusal("400 Bad Request", "body is not an object")
    return None


def _respond(
    start_response: StartResponse, status: str, text: str, content_type: str = "text/plain"
) -> list[bytes]:
    data = text.encode()
    start_response(
        status,
        [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


class HttpFront:
    """WSGI app: operator endpoints, and Slack's requests checked before `slack_app` sees them."""

    def __init__(
        self,
        slack_app: WSGIApplication,
        signing_secret: str,
        readiness: Mapping[str, ReadinessCheck] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._slack_app = slack_app
        self._verifier = SignatureVerifier(signing_secret)
        self._readiness = dict(readiness or {})
        self._clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET" and path == "/healthz":
            return _respond(start_response, "200 OK", "ok\n")
        if method == "GET" and path == "/readyz":
            return self._ready(start_response)
        if method == "GET" and path == "/metrics":
            text, content_type = metrics.exposition()
            return _respond(start_response, "200 OK", text, content_type)
        if path != EVENTS_PATH:
            # Bolt's OAuth paths (GET /slack/install, /slack/oauth_redirect) are Bolt's.
            return self._slack_app(environ, start_response)
        if method != "POST":
            return _respond(start_response, "405 Method Not Allowed", "POST only\n")
        return self._slack_request(environ, start_response)

    def _slack_request(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        body = _read_body(environ)
        refusal = (
            body
            if isinstance(body, Refusal)
            else _check_signature(self._verifier, environ, body, self._clock())
            or _check_shape(environ, body)
        )
        if refusal is not None:
            log.info("refused a request: %s (%s)", refusal.reason, refusal.status)
            metrics.REFUSED_REQUESTS.labels(status=refusal.status.split()[0]).inc()
            return _respond(start_response, refusal.status, refusal.status + "\n")
        assert isinstance(body, bytes)
        environ = {**environ, "wsgi.input": _Replay(body)}
        result = self._slack_app(environ, start_response)
        metrics.ACK_SECONDS.labels(kind=_request_kind(environ, body)).observe(
            time.perf_counter() - started
        )
        return result

    def _ready(self, start_response: StartResponse) -> list[bytes]:
        problems = {name: check() for name, check in self._readiness.items()}
        failing = {name: problem for name, problem in problems.items() if problem}
        if failing:
            lines = "".join(f"{name}: {problem}\n" for name, problem in sorted(failing.items()))
            return _respond(start_response, "503 Service Unavailable", lines)
        return _respond(start_response, "200 OK", "ready\n")


class _Replay:
    """The body already read, offered again as ``wsgi.input`` for Bolt."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._body) if size is None or size < 0 else self._offset + size
        chunk = self._body[self._offset : end]
        self._offset += len(chunk)
        return chunk


def _request_kind(environ: WSGIEnvironment, body: bytes) -> str:
    """event, command or interactive: the ack histogram's only label."""
    if environ.get("CONTENT_TYPE", "").startswith("application/json"):
        return "event"
    return "interactive" if body.startswith(b"payload=") else "command"
