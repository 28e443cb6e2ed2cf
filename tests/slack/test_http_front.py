"""HTTP mode's front door under hostile or broken traffic, through the real waitress server."""

from __future__ import annotations

import http.client
import json
import logging
import resource
import socket
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from urllib.parse import urlparse

import pytest
from fake_slack import payloads as p
from slack_helpers import BOUNCE, RunningApp

from bot.slack.http_front import MAX_REQUEST_BYTES


def _get(app: RunningApp, path: str) -> tuple[int, str]:
    url = urlparse(app.url)
    with closing(http.client.HTTPConnection(url.hostname, url.port, timeout=10)) as conn:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not any(r.exc_info for r in caplog.records)


def test_health_and_metrics_endpoints(slack_app: RunningApp) -> None:
    assert _get(slack_app, "/healthz") == (200, "ok\n")
    assert slack_app.command(BOUNCE).status == 200
    status, text = _get(slack_app, "/metrics")
    assert status == 200
    assert 'smtpbot_ack_seconds_count{kind="command"}' in text
    assert "alice@example.com" not in text


def test_readyz_reports_failing_checks_without_detail_leaks(slack_app: RunningApp) -> None:
    from bot.slack.http_front import HttpFront

    front = HttpFront(
        lambda environ, start: [], "secret", readiness={"database": lambda: "unreachable"}
    )
    statuses: list[str] = []
    body = b"".join(
        front({"REQUEST_METHOD": "GET", "PATH_INFO": "/readyz"}, lambda s, h: statuses.append(s))
    )
    assert statuses == ["503 Service Unavailable"]
    assert body == b"database: unreachable\n"
    assert _get(slack_app, "/readyz")[0] == 200


@pytest.mark.parametrize(
    ("timestamp", "status"),
    [("not-a-number", 401), ("", 401), ("-5", 401), ("99999999999999999999", 401)],
)
def test_junk_timestamps_are_401_not_500(
    slack_app: RunningApp, caplog_info: pytest.LogCaptureFixture, timestamp: str, status: int
) -> None:
    body, kind = p.json_body(p.event_callback(p.message(BOUNCE)))
    headers = {"Content-Type": kind, "X-Slack-Signature": "v0=" + "0" * 64}
    if timestamp:
        headers["X-Slack-Request-Timestamp"] = timestamp
    url = urlparse(slack_app.url)
    with closing(http.client.HTTPConnection(url.hostname, url.port, timeout=10)) as conn:
        conn.request("POST", url.path, body=body, headers=headers)
        assert conn.getresponse().status == status
    _no_errors_logged(caplog_info)
    assert [r.name for r in caplog_info.records if r.name == "smtpbot.http"] == ["smtpbot.http"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"this is not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"{}", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"payload=%5B%5D", "application/x-www-form-urlencoded"),
        (b"<xml/>", "text/xml"),
    ],
)
def test_signed_but_malformed_bodies_are_refused_cleanly(
    slack_app: RunningApp,
    caplog_info: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    reply = slack_app.sender.post(body, content_type)
    assert reply.status in (400, 415)
    _no_errors_logged(caplog_info)
    slack_app.fake.settle(0.1)
    assert [c.method for c in slack_app.fake.calls() if c.method != "auth.test"] == []


def _stream(app: RunningApp, headers: dict[str, str], size: int) -> bytes:
    """POST `size` bytes announced up front; returns the start of the response.

    The server may refuse and close before the body is sent: that is not an error here.
    """
    url = urlparse(app.url)
    chunk = b"a" * (1024 * 1024)
    fields = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with closing(socket.create_connection((url.hostname, url.port), timeout=10)) as sock:
        sock.sendall(
            f"POST {url.path} HTTP/1.1\r\nHost: x\r\n{fields}Content-Length: {size}\r\n\r\n"
            .encode()
        )
        sent = 0
        try:
            while sent < size:
                sock.sendall(chunk[: size - sent])
                sent += len(chunk)
        except OSError:
            pass  # the server closed the connection: what we want
        return sock.recv(4096)


def test_signed_body_over_the_limit_is_refused(slack_app: RunningApp) -> None:
    headers = slack_app.sender.headers(b"a" * (MAX_REQUEST_BYTES + 1), "application/json")
    response = _stream(slack_app, headers, MAX_REQUEST_BYTES + 1)
    assert response.startswith(b"HTTP/1.1 413"), response[:80]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_huge_unsigned_post_is_refused_before_it_is_read(slack_app: RunningApp) -> None:
    """200 MB announced and streamed: refused at once, and the server never holds it."""
    before = _peak_rss_mb()
    response = _stream(slack_app, {"Content-Type": "application/json"}, 200 * 1024 * 1024)
    assert response.startswith(b"HTTP/1.1 413"), response[:80]
    assert _peak_rss_mb() - before < 50


@contextmanager
def _idle_connections(app: RunningApp, count: int) -> Iterator[list[socket.socket]]:
    url = urlparse(app.url)
    sockets = [socket.create_connection((url.hostname, url.port), timeout=10) for _ in range(count)]
    try:
        for sock in sockets:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\n")  # a request that never ends
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _timed_command(app: RunningApp) -> float:
    started = time.perf_counter()
    assert app.command(BOUNCE).status == 200
    return time.perf_counter() - started


def test_idle_connections_do_not_block_slack(slack_app: RunningApp) -> None:
    baseline = min(_timed_command(slack_app) for _ in range(3))
    with _idle_connections(slack_app, 200):
        crowded = _timed_command(slack_app)
    assert crowded - baseline < 1.0


def test_idle_connections_are_closed_after_the_timeout(slack_app: RunningApp) -> None:
    from bot.slack.app import IDLE_TIMEOUT_SECONDS

    with _idle_connections(slack_app, 3) as sockets:
        deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS + 5
        for sock in sockets:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            assert sock.recv(1024) == b""  # closed by the server, not by our timeout


def test_get_on_the_events_path_is_405(slack_app: RunningApp) -> None:
    assert _get(slack_app, "/slack/events")[0] == 405


def test_events_still_work_through_the_front(slack_app: RunningApp) -> None:
    reply = slack_app.event(p.message(BOUNCE))
    assert reply.status == 200
    (posted,) = slack_app.fake.wait_calls("chat.postMessage")
    assert "alice@example.com" in json.dumps(posted.params)


def test_readyz_fails_when_slack_refuses_the_token(slack_app: RunningApp) -> None:
    from bot.slack.app import TokenCheck

    check = TokenCheck(slack_app.app.client, ttl_seconds=0)
    assert check() is None
    slack_app.fake.fail("auth.test", "invalid_auth")
    assert check() == "token refused (invalid_auth)"
