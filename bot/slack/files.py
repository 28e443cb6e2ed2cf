"""Uploaded bounces: which files we read, downloading them with the bot token, and reading them.

Slack serves `url_private` only with ``Authorization: Bearer <bot token>`` (scope
``files:read``). The token is sent only to https URLs or to the configured API host
(the local fake in tests), and never along a redirect to another host.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import IO, Any
from urllib.parse import urlparse

from bot.core.explain import explain
from bot.core.model import Report
from bot.core.scan import scan

#: Bounces (.eml), pastes saved as files (.txt), ESP webhook payloads (.json, and JSON
#: Lines as .jsonl/.ndjson) and MTA logs (.log, PowerMTA accounting .csv).
SUFFIXES = (".eml", ".txt", ".json", ".jsonl", ".ndjson", ".log", ".csv")
FILETYPES = frozenset({"email", "text", "eml", "json", "csv"})
MIMETYPES = frozenset({
    "message/rfc822", "text/plain", "application/json", "application/x-ndjson",
    "application/jsonl", "text/csv",
})
_CHUNK = 64 * 1024


class FileProblem(Exception):
    """Why a file could not be read; the message is safe to show the user."""


class FileTooLarge(FileProblem):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"file is {size} bytes, limit {limit}")
        self.size = size
        self.limit = limit


def name_of(info: Mapping[str, Any]) -> str:
    return str(info.get("name") or info.get("title") or "the file")


def is_supported(info: Mapping[str, Any]) -> bool:
    """A file we read (by name, Slack's filetype, or MIME type): see `SUFFIXES`."""
    name = name_of(info).lower()
    return (
        name.endswith(SUFFIXES)
        or str(info.get("filetype", "")).lower() in FILETYPES
        or str(info.get("mimetype", "")).lower() in MIMETYPES
    )


def is_email(info: Mapping[str, Any]) -> bool:
    name = name_of(info).lower()
    return (
        name.endswith(".eml")
        or info.get("mimetype") == "message/rfc822"
        or (info.get("filetype") in ("email", "eml"))
    )


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only within the same scheme and host, so the token never leaves it."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        old, new = urlparse(req.full_url), urlparse(newurl)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            raise urllib.error.HTTPError(
                newurl, code, "redirect to another host refused", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameHostRedirects())


def token_may_go_to(url: str, api_url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme == "https" or (
        parsed.scheme == "http" and parsed.netloc == urlparse(api_url).netloc
    )


def download(
    info: Mapping[str, Any],
    token: str,
    limit: int,
    api_url: str,
    timeout: float = 30.0,
    *,
    html_ok: bool = False,
) -> bytes:
    """The file's bytes; raises `FileTooLarge` above `limit` and `FileProblem` otherwise.

    `html_ok` for files that are HTML themselves (a forwarded email's body often is).
    """
    size = info.get("size")
    if isinstance(size, int) and size > limit:
        raise FileTooLarge(size, limit)
    url = info.get("url_private_download") or info.get("url_private")
    if not isinstance(url, str) or not url:
        raise FileProblem("Slack gave no download address for the file")
    if not token_may_go_to(url, api_url):
        raise FileProblem("the file's address is not one I may send the bot token to")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            kind = response.headers.get("Content-Type", "")
            chunks: list[bytes] = []
            total = 0
            while chunk := response.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise FileTooLarge(total, limit)
                chunks.append(chunk)
    except urllib.error.HTTPError as error:
        raise FileProblem(f"download failed with HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise FileProblem(f"download failed ({type(error).__name__})") from None
    # Without the token Slack answers with its HTML login page instead of the file.
    named_html = name_of(info).lower().endswith((".html", ".htm"))
    if kind.startswith("text/html") and not (html_ok or named_html):
        raise FileProblem("Slack answered with a web page instead of the file (check files:read)")
    return b"".join(chunks)


def read_report(info: Mapping[str, Any], content: bytes) -> Report:
    """A whole email goes to `scan`; a text file is read like a paste."""
    if is_email(info):
        return scan(content)
    return explain(content.decode("utf-8", errors="replace"))
