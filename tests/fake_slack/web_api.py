"""A fake Slack Web API over real HTTP on 127.0.0.1 that records every call.

Besides Web API methods (``/api/<method>``) it serves response_url posts
(``/response/<name>``) and private file downloads (``/files/<id>/<name>``, the bot token of
the file's workspace required). Several workspaces can be known at once, each with its own
bot token (`add_workspace`); ``oauth.v2.access`` exchanges a code registered with `grant`
for a workspace's token, as Slack's install flow does. Failures are scripted per method:
Slack errors such as ``not_in_channel``, HTTP 429 with ``Retry-After`` and HTTP 5xx; and
for everything at once (Web API and response_url): a rate-limit episode of a given length,
and a hang until released.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Call:
    """One request the fake received."""

    method: str  # Web API method, "response_url" or "files.download"
    params: dict[str, Any]
    headers: dict[str, str]
    path: str
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    #: False when the fake answered with an error (scripted, 429, or a bad request).
    ok: bool = True

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


@dataclass
class StoredFile:
    id: str
    name: str
    content: bytes
    mimetype: str
    team_id: str = ""


@dataclass(frozen=True)
class Workspace:
    """One installed workspace as Slack knows it: its team and the app's bot there."""

    team_id: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    name: str = "Fake"


class FakeWebAPI:
    def __init__(
        self,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-fake-app-token",
        team_id: str = "T0FAKE",
        bot_user_id: str = "UBOTFAKE",
        bot_id: str = "BBOTFAKE",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        #: The app's OAuth credentials, checked by oauth.v2.access.
        self.client_id = "1111.2222"
        self.client_secret = "fake-client-secret"
        self.app_id = "A0FAKE"
        #: Bot token → workspace; the first one is the single-workspace tests' workspace.
        self._workspaces: dict[str, Workspace] = {
            bot_token: Workspace(team_id, bot_token, bot_user_id, bot_id)
        }
        #: Install codes not yet exchanged: code → team id.
        self._codes: dict[str, str] = {}
        self._calls: list[Call] = []
        self._cond = threading.Condition()
        self._failures: dict[str, deque[tuple[int, str, dict[str, str]]]] = defaultdict(deque)
        self._files: dict[str, StoredFile] = {}
        #: File objects of emails sent to a channel's address, as files.info returns them.
        self._emails: dict[str, dict[str, Any]] = {}
        self._ts = 1_700_000_000.000100
        self._episode_until = 0.0
        self._released = threading.Event()
        self._released.set()
        #: What apps.connections.open hands out (set by the Socket Mode fake).
        self.ws_url_factory: Callable[[], str] | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def api_url(self) -> str:
        return self.url + "api/"

    def start(self) -> FakeWebAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- workspaces ------------------------------------------------------------------------

    def add_workspace(self, team_id: str, name: str = "Fake") -> Workspace:
        """Another workspace the app can be installed in, with a bot token of its own."""
        suffix = team_id.lower()
        workspace = Workspace(
            team_id, f"xoxb-{suffix}-bot-token", f"UBOT{team_id}", f"BBOT{team_id}", name
        )
        with self._cond:
            self._workspaces[workspace.bot_token] = workspace
        return workspace

    def grant(self, code: str, team_id: str) -> None:
        """Slack's side of an approved install: `code` (used once) yields `team_id`'s token."""
        with self._cond:
            self._codes[code] = team_id

    def revoke(self, team_id: str) -> None:
        """The workspace uninstalled the app: its bot token stops working."""
        with self._cond:
            for token, workspace in list(self._workspaces.items()):
                if workspace.team_id == team_id:
                    del self._workspaces[token]

    def workspace(self, team_id: str) -> Workspace:
        with self._cond:
            return next(w for w in self._workspaces.values() if w.team_id == team_id)

    def _oauth_v2_access(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        with self._cond:
            team_id = self._codes.pop(str(params.get("code")), None)
        if team_id is None:
            return {"ok": False, "error": "invalid_code"}
        workspace = self.workspace(team_id)
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": "U0INSTALLER"},
            "scope": "chat:write,commands",
            "token_type": "bot",
            "access_token": workspace.bot_token,
            "bot_user_id": workspace.bot_user_id,
            "team": {"id": workspace.team_id, "name": workspace.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # -- scripting -------------------------------------------------------------------------

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer ``{"ok": false, "error": error}``."""
        for _ in range(times):
            self._failures[method].append((200, error, {}))

    def rate_limit(self, method: str, times: int, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with Retry-After."""
        for _ in range(times):
            self._failures[method].append((429, "ratelimited", {"Retry-After": str(retry_after)}))

    def server_error(self, method: str, times: int, status: int = 500) -> None:
        """The next `times` calls of `method` answer HTTP `status` (5xx)."""
        for _ in range(times):
            self._failures[method].append((status, "internal_error", {}))

    def rate_limit_episode(self, seconds: float) -> None:
        """For `seconds`, every Web API call and response_url post gets 429 with Retry-After
        set to the time left (rounded up), as Slack does when an app exceeds its tier."""
        with self._cond:
            self._episode_until = time.monotonic() + seconds

    def hang(self) -> None:
        """Every Web API call and response_url post waits, unanswered, until `release()`."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def clear_failures(self) -> None:
        with self._cond:
            self._failures.clear()
            self._episode_until = 0.0
        self._released.set()

    def _fault(self, method: str) -> tuple[int, str, dict[str, str]] | None:
        """The scripted or episode failure for this call, if any (hangs wait here).

        Socket Mode's connection calls are spared episodes and hangs (they test answers)."""
        spared = method == "apps.connections.open"
        if not spared:
            self._released.wait()
        with self._cond:
            left = self._episode_until - time.monotonic()
            if left > 0 and not spared:
                return 429, "ratelimited", {"Retry-After": str(max(1, math.ceil(left)))}
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    def add_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        mimetype: str = "message/rfc822",
        size: int | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Store a file and return the `files` entry Slack would put in a file_share event."""
        self._files[file_id] = StoredFile(
            file_id, name, content, mimetype, team_id or self.team_id
        )
        url = f"{self.url}files/{file_id}/{name}"
        filetype = "email" if name.endswith(".eml") else "text"
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "size": len(content) if size is None else size,
            "url_private": url,
            "url_private_download": url + "?download=1",
        }

    def add_email(
        self,
        file_id: str,
        *,
        subject: str,
        sender: tuple[str, str],
        plain_text: str,
        headers: dict[str, str] | str | None = None,
        shown_chars: int | None = None,
        content: bytes | None = None,
        mimetype: str = "text/html",
    ) -> dict[str, Any]:
        """An email sent to a channel's address, as Slack's file object (mode "email").

        `shown_chars` cuts `plain_text` the way Slack does (``has_more``); files.info then
        still answers with the cut text, and the download serves `content` (the body as
        HTML by default, like Slack).
        """
        name, address = sender
        cut = shown_chars is not None and shown_chars < len(plain_text)
        text = plain_text[:shown_chars] if cut else plain_text
        html_body = html.escape(plain_text).replace("\n", "<br>\n")
        body = content if content is not None else f"<html><body>{html_body}</body></html>".encode()
        self._files[file_id] = StoredFile(file_id, subject, body, mimetype, self.team_id)
        url = f"{self.url}files/{file_id}/{file_id}.html"
        info: dict[str, Any] = {
            "id": file_id,
            "name": subject,
            "title": subject,
            "mimetype": mimetype,
            "filetype": "email",
            "pretty_type": "Email",
            "user": "USLACKBOT",
            "mode": "email",
            "size": len(body),
            "display_as_bot": True,
            "username": "Email",
            "url_private": url,
            "url_private_download": url + "?download=1",
            "subject": subject,
            "from": [{"address": address, "name": name, "original": f"{name} <{address}>"}],
            "to": [{"address": "ops-aaaa@fake.slack.test", "name": "",
                    "original": "ops-aaaa@fake.slack.test"}],
            "cc": [],
            "headers": {"date": "Mon, 2 Jun 2025 10:00:00 +0000"} if headers is None else headers,
            "plain_text": text,
            "preview": text[:300],
            "preview_plain_text": text[:300],
            "has_more": cut,
        }
        self._emails[file_id] = info
        return dict(info)

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}response/{name}"

    # -- inspection ------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 10.0
    ) -> list[Call]:
        """Block until `predicate(all calls)` holds; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(list(self._calls)):
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [c.method for c in self._calls]
                    raise AssertionError(
                        f"fake Slack: condition not met in {timeout}s; calls: {methods}"
                    )
                self._cond.wait(left)
            return list(self._calls)

    def wait_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        self.wait_for(
            lambda calls: sum(c.method == method and c.ok for c in calls) >= count, timeout
        )
        return [c for c in self.calls(method) if c.ok]

    def settle(self, quiet: float = 0.3) -> None:
        """Wait until no call has arrived for `quiet` seconds (to check nothing more comes)."""
        while True:
            with self._cond:
                last = self._calls[-1].at if self._calls else 0.0
            idle = time.monotonic() - last
            if idle >= quiet:
                return
            time.sleep(quiet - idle)

    # -- serving ---------------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _next_ts(self) -> str:
        with self._cond:
            self._ts += 0.0001
            return f"{self._ts:.6f}"

    def _api(
        self, method: str, params: dict[str, Any], token: str | None, headers: dict[str, str]
    ) -> dict[str, Any]:
        if method == "oauth.v2.access":
            return self._oauth_v2_access(params, headers)
        if method == "apps.connections.open":
            if token != self.app_token:
                return {"ok": False, "error": "invalid_auth"}
            if self.ws_url_factory is None:
                return {"ok": False, "error": "socket_mode_not_enabled"}
            return {"ok": True, "url": self.ws_url_factory()}
        with self._cond:
            workspace = self._workspaces.get(token or "")
        if workspace is None:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": workspace.name,
                "user": "smtpbot",
                "team_id": workspace.team_id,
                "user_id": workspace.bot_user_id,
                "bot_id": workspace.bot_id,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": self._next_ts(),
                "message": {"text": params.get("text"), "bot_id": workspace.bot_id},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0FAKE", **(params.get("view") or {})}}
        if method == "files.info" and str(params.get("file")) in self._emails:
            return {"ok": True, "file": dict(self._emails[str(params.get("file"))])}
        if method == "files.info":
            stored = self._files.get(str(params.get("file")))
            if stored is None or stored.team_id != workspace.team_id:
                return {"ok": False, "error": "file_not_found"}
            return {
                "ok": True,
                "file": self.add_file(
                    stored.id, stored.name, stored.content, stored.mimetype,
                    team_id=stored.team_id,
                ),
            }
        return {"ok": False, "error": "unknown_method"}

    def _may_download(self, stored: StoredFile, token: str | None) -> bool:
        with self._cond:
            workspace = self._workspaces.get(token or "")
        return workspace is not None and workspace.team_id == stored.team_id

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _send(
                self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _headers(self) -> dict[str, str]:
                return {k.lower(): v for k, v in self.headers.items()}

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                parts = parsed.path.strip("/").split("/")
                headers = self._headers()
                call = Call(
                    "files.download",
                    {"file": parts[1] if len(parts) > 1 else None},
                    headers,
                    self.path,
                )
                stored = (
                    fake._files.get(parts[1]) if len(parts) >= 2 and parts[0] == "files" else None
                )
                if stored is None:
                    call.status, call.ok = 404, False
                    fake._record(call)
                    self._send(404, b"not found", "text/plain")
                elif not fake._may_download(stored, call.token):
                    # What Slack does without a valid token: a redirect to its login page.
                    call.status, call.ok = 302, False
                    fake._record(call)
                    self._send(302, b"", "text/html", {"Location": "https://slack.com/signin"})
                else:
                    fake._record(call)
                    self._send(200, stored.content, stored.mimetype)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = self._headers()
                path = urlparse(self.path).path
                params = _parse_body(raw, headers.get("content-type", ""))
                if path.startswith("/response/"):
                    call = Call("response_url", params, headers, path)
                    fault = fake._fault("response_url")
                    if fault is not None:
                        call.status, call.ok = fault[0], False
                        fake._record(call)
                        self._send(fault[0], fault[1].encode(), "text/plain", fault[2])
                        return
                    fake._record(call)
                    self._send(200, b"ok", "text/plain")
                    return
                if not path.startswith("/api/"):
                    self._send(404, b"not found", "text/plain")
                    return
                method = path.removeprefix("/api/")
                call = Call(method, params, headers, path)
                scripted = fake._fault(method)
                if scripted is not None:
                    status, error, extra = scripted
                    call.status, call.ok = status, False
                    fake._record(call)
                    body = json.dumps({"ok": False, "error": error}).encode()
                    self._send(status, body, "application/json", extra)
                    return
                result = fake._api(method, params, call.token, headers)
                call.ok = bool(result.get("ok"))
                fake._record(call)
                self._send(200, json.dumps(result).encode(), "application/json")

        return Handler


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        data = json.loads(text or "{}")
        params = data if isinstance(data, dict) else {"_": data}
    else:
        params = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    for key in ("blocks", "view"):
        value = params.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params
