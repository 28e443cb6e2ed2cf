"""Slack's side of HTTP mode: POST signed requests (v0 signatures) to the app over real HTTP."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from slack_sdk.signature import SignatureVerifier


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float


class SignedSender:
    def __init__(self, app_url: str, signing_secret: str) -> None:
        self.url = urlparse(app_url)
        self.verifier = SignatureVerifier(signing_secret)

    def headers(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        if signature is None:
            signature = self.verifier.generate_signature(timestamp=ts, body=body.decode())
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts}
        if signature:  # an empty one means: send no signature header at all
            headers["X-Slack-Signature"] = signature
        return headers

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        extra: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        path: str | None = None,
    ) -> Reply:
        headers = self.headers(body, content_type, timestamp=timestamp, signature=signature)
        headers.update(extra or {})
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=10)
        started = time.perf_counter()
        try:
            conn.request("POST", path or self.url.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        return Reply(response.status, data, time.perf_counter() - started)
