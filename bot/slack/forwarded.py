"""Emails forwarded into Slack (a channel's or a DM's email address): which to read, and how.

What Slack sends (the message event and ``files.info`` carry the same file object): a
``message`` event with ``subtype: file_share``, ``user: USLACKBOT`` and a ``bot_id``,
whose file has ``mode: "email"``, ``filetype: "email"``, ``pretty_type: "Email"``,
``subject``, ``from``/``to``/``cc`` lists of ``{"address", "name", "original"}``,
``headers`` (a dict keyed by lower-case header names such as ``date``; some clients see
the raw header block as text, so both are read), ``plain_text`` (the body as text, cut
when long), ``preview``/``preview_plain_text``, and ``has_more`` when the text was cut.
Source: the `slack-web` Haskell package's recorded event ``email_message.json`` and the
generated ``files.info`` types (``has_more``, ``headers``, ``from: Cc[]``) of
`slack_web_api_client`, both in the search corpus. A forwarded email is an upload whose
``mode`` is ``email``; an ``.eml`` a person uploads has ``mode: hosted``.

Only bounces are answered: the email is rebuilt as RFC 822 text (its headers, then its
text) and read by `explain(..., strict=True)`, the rule for messages nobody addressed to
the bot, so a newsletter or a meeting invite gets nothing.

No loops: an email that is one of our own answers coming back (someone's Slack email
notifications forwarded into the channel, or a mail rule copying the channel out and back)
is not answered. It is recognised by its sender (a Slack address: Slack's notification
mails carry our answers) or by `ANSWER_MARK`, which ends the fallback text of every
answer of ours and so travels with any copy of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

from bot.slack.render import ANSWER_MARK

#: Senders whose mail carries Slack messages (notifications, digests): never a bounce.
SLACK_DOMAINS = ("slack.com", "slackbot.com", "slack-mail.com")
_HEADER_LINE = re.compile(r"[A-Za-z][A-Za-z0-9-]*:[ \t]")
#: HTML elements whose end starts a new line of text.
_BLOCK_TAGS = frozenset({"br", "p", "div", "tr", "li", "pre", "table", "h1", "h2", "h3", "hr"})
#: Headers put before the text, in this order (the rest of a headers dict is left out).
_HEADER_ORDER = (
    "return-path", "from", "to", "cc", "date", "subject", "message-id", "auto-submitted",
    "content-type", "x-failed-recipients",
)


def is_forwarded_email(info: Mapping[str, Any]) -> bool:
    """A file Slack made from an email sent to a channel's address (not an uploaded .eml)."""
    return str(info.get("mode") or "").lower() == "email"


def addresses(people: Any) -> list[str]:
    """The addresses of a ``from``/``to``/``cc`` list (objects, or plain strings)."""
    out: list[str] = []
    for person in people if isinstance(people, list) else []:
        if isinstance(person, Mapping):
            value = person.get("address") or person.get("original") or ""
        else:
            value = str(person)
        if value:
            out.append(str(value))
    return out


def _originals(people: Any) -> str:
    parts: list[str] = []
    for person in people if isinstance(people, list) else []:
        if isinstance(person, Mapping):
            original = person.get("original")
            if not original:
                name, address = person.get("name") or "", person.get("address") or ""
                original = f"{name} <{address}>" if name else address
            parts.append(str(original))
        elif person:
            parts.append(str(person))
    return ", ".join(p for p in parts if p)


def header_block(info: Mapping[str, Any]) -> str:
    """The email's header lines: raw text as given, or built from the dict and the lists."""
    raw = info.get("headers")
    if isinstance(raw, str) and raw.strip():
        return raw.strip("\r\n") + "\n"
    fields: dict[str, str] = {}
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(value, (str, int)) and str(value).strip():
                fields[str(key).lower()] = " ".join(str(value).split())
    for key in ("from", "to", "cc"):
        listed = _originals(info.get(key))
        if listed:
            fields.setdefault(key, listed)
    if info.get("subject"):
        fields.setdefault("subject", " ".join(str(info["subject"]).split()))
    keys = [k for k in _HEADER_ORDER if k in fields]
    keys += sorted(k for k in fields if k not in _HEADER_ORDER and k.isascii() and ":" not in k)
    return "".join(f"{_title(k)}: {fields[k]}\n" for k in keys)


def _title(key: str) -> str:
    return "-".join(part.capitalize() for part in key.split("-"))


def body_text(info: Mapping[str, Any]) -> str:
    """The text Slack kept: ``plain_text``, else the preview."""
    for key in ("plain_text", "preview_plain_text", "preview"):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def as_rfc822(info: Mapping[str, Any], body: str | None = None) -> str:
    """Headers, a blank line, then the text: what `explain` reads as a whole email.

    Headers that describe a MIME structure no longer present (``Content-Type: multipart``
    of the original) are dropped: the text Slack gives is already decoded.
    """
    lines = [
        line for line in header_block(info).splitlines()
        if not line.lower().startswith(("content-type:", "content-transfer-encoding:"))
    ]
    text = body_text(info) if body is None else body
    return "\n".join(lines) + "\n\n" + text


def is_our_answer(info: Mapping[str, Any], extra_text: str = "") -> bool:
    """An email that carries one of our answers (see the module docstring)."""
    for address in addresses(info.get("from")):
        domain = address.rsplit("@", 1)[-1].strip(" >").lower()
        if any(domain == d or domain.endswith("." + d) for d in SLACK_DOMAINS):
            return True
    texts: Iterable[Any] = (info.get("plain_text"), info.get("preview_plain_text"), extra_text)
    return any(isinstance(t, str) and ANSWER_MARK in t for t in texts)


class _TextOf(HTMLParser):
    """The text of an HTML body, a line per block element; scripts and styles left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    # Leading spaces stay: they fold a long server reply onto its next line.
    lines = ("".join(parser.parts).replace("\xa0", " ").splitlines())
    return "\n".join(line.rstrip() for line in lines if line.strip())


def downloaded_text(info: Mapping[str, Any], content: bytes) -> str:
    """The whole email from its download: the raw message as is, else its body after our headers.

    What Slack serves for an email file is its body (often HTML), or on some workspaces the
    original message; both are read.
    """
    text = content.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if _HEADER_LINE.match(text) and "\n\n" in text.replace("\r\n", "\n"):
        return text
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<div", "<table", "<p", "<body", "<head")):
        text = html_text(text)
    return as_rfc822(info, text)
