"""Lazy, forgiving access to a bounce message.

The message tree is the standard library's ``compat32`` one (`email.message.Message`),
built by `bot.core.mail.mime`, which produces the same tree much faster than
``email.message_from_bytes``; we decode only what a detector asks for, once.
Nothing here raises on malformed input: broken MIME, unknown charsets and bad
transfer encodings degrade to best-effort text. Newlines are LF everywhere a detector
looks: CRLF and lone CR are turned into LF in the raw message and in decoded text parts.
"""

from __future__ import annotations

import contextlib
import email.header
from collections.abc import Iterator
from email.message import Message
from functools import cached_property

from bot.core.mail import mime

#: Parts larger than this are not decoded as text (attachments, returned payloads).
MAX_TEXT_PART = 2_000_000

_CHARSET_ALIASES = {
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "iso-2022-jp-ms": "iso2022_jp_ext",
    "cp932": "cp932",
    "us-ascii": "ascii",
}


#: Charset labels that say "some 8-bit bytes": guessed (UTF-8, else Latin-1).
_UNKNOWN_CHARSETS = frozenset({"x-unknown", "unknown-8bit", "unknown", "8bit", "x-user-defined"})


#: Japanese charset labels, and the encodings tried in turn when the label is wrong.
_JAPANESE = frozenset(
    {"iso-2022-jp", "iso2022_jp", "iso2022_jp_ext", "shift_jis", "cp932", "euc-jp", "euc_jp"}
)
_JAPANESE_TRIES = ("iso2022_jp", "utf_8", "euc_jp", "cp932")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset, falling back sensibly instead of failing."""
    name = (charset or "").strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    if name and name not in _UNKNOWN_CHARSETS:
        try:
            return data.decode(name)
        except (LookupError, ValueError):  # unknown name, bad bytes, a NUL in the name
            if name in _JAPANESE:  # Japanese carriers often mislabel EUC-JP / Shift_JIS
                for other in _JAPANESE_TRIES:
                    try:
                        return data.decode(other)
                    except UnicodeDecodeError:
                        continue
            try:
                return data.decode(name, errors="replace") if _known(name) else _guess(data)
            except LookupError:
                pass
    return _guess(data)


def _known(name: str) -> bool:
    import codecs

    try:
        codecs.lookup(name)
    except (LookupError, ValueError):
        return False
    return True


def _guess(data: bytes) -> str:
    if b"\x1b$" in data:  # ISO-2022-JP escape sequence, common in Japanese reports
        try:
            return data.decode("iso2022_jp")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def decode_header(value: str | None) -> str | None:
    """Decode RFC 2047 encoded-words; never raises."""
    if value is None:
        return None
    if isinstance(value, email.header.Header):  # compat32 wraps raw 8-bit headers
        value = _header_text(value)
    value = str(value)
    if not value.isascii():  # raw 8-bit header bytes arrive as surrogate escapes
        with contextlib.suppress(UnicodeError):
            value = decode_bytes(value.encode("utf-8", errors="surrogateescape"), None)
    if "=?" not in value:
        return " ".join(value.split())
    try:
        chunks = email.header.decode_header(value)
    except Exception:  # malformed encoded-words: keep the raw text
        return " ".join(value.split())
    out = []
    for chunk, charset in chunks:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return " ".join("".join(out).split())


def _header_text(header: email.header.Header) -> str:
    try:
        chunks = email.header.decode_header(header)
    except Exception:
        return str(header)
    return "".join(
        decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
        for chunk, charset in chunks
    )


def part_text(part: Message) -> str:
    """The decoded text of one non-multipart part (transfer encoding and charset)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        if isinstance(raw, str):
            return raw
        if isinstance(raw, list):  # message/* parts hold sub-messages
            return "\n".join(m.as_string() for m in raw if isinstance(m, Message))
        return ""
    if not isinstance(payload, bytes):
        return str(payload)
    if len(payload) > MAX_TEXT_PART:
        payload = payload[:MAX_TEXT_PART]
    text = decode_bytes(payload, part.get_content_charset())
    # base64 and quoted-printable keep the sender's CRLF (the canonical form of text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            text = text.replace("\r", "\n")
    return text


def unix_newlines(raw: bytes) -> bytes:
    """`raw` with CRLF and lone CR line breaks turned into LF.

    A bounce saved on Windows or fetched over IMAP has CRLF newlines; the detectors'
    patterns are written for LF (``\\n\\n`` ends a block, ``$`` ends a line), so the
    same report must read the same whichever way it was stored. A lone CR already
    ends a line for the stdlib parser (old Mac files, "\\r\\r\\n" from a double
    conversion), so making it an LF keeps the lines it sees and only drops the CR
    from the text. Binary parts are unaffected in practice: attachments travel
    base64-encoded, and a raw 8-bit attachment is never decoded as report text.
    LF input is returned as is, without a copy.
    """
    if b"\r" not in raw:
        return raw
    raw = raw.replace(b"\r\n", b"\n")
    return raw.replace(b"\r", b"\n") if b"\r" in raw else raw


class BounceMessage:
    """One email, parsed once, with cached decoded views for the detectors."""

    #: How deep this message sits inside other messages (a bounce wrapped in a bounce).
    depth: int = 0

    def __init__(self, raw: bytes) -> None:
        self.raw = raw = unix_newlines(raw)
        self.msg: Message = mime.parse(raw)

    @classmethod
    def from_message(cls, message: Message, depth: int = 0) -> BounceMessage:
        """Wrap an already parsed (sub-)message; `raw` is empty for it."""
        self = cls.__new__(cls)
        self.raw = b""
        self.msg = message
        self.depth = depth
        return self

    @classmethod
    def from_text(cls, text: str) -> BounceMessage:
        return cls(text.encode("utf-8", errors="surrogateescape"))

    def header(self, name: str) -> str | None:
        """First value of a header, decoded and unfolded (once per name: sniffs share them)."""
        decoded = self._decoded
        if name in decoded:
            return decoded[name]
        try:
            value = decode_header(self.msg.get(name))
        except Exception:
            value = None
        decoded[name] = value
        return value

    @cached_property
    def _decoded(self) -> dict[str, str | None]:
        return {}

    @cached_property
    def header_names(self) -> str:
        """The header fields' names, lower-cased, each after a line break (``"\\nfrom\\nto"``).

        A name holds no line break: sniffs look for a name's start with ``"\\nx-..." in``.
        """
        msg = self.msg
        try:
            names = (
                msg.field_names() if isinstance(msg, mime.Part) else [k.lower() for k in msg]
            )
        except Exception:
            return ""
        return "\n".join(("", *names))

    def headers(self, name: str) -> list[str]:
        return [decode_header(v) or "" for v in (self.msg.get_all(name) or [])]

    @cached_property
    def subject(self) -> str:
        return self.header("Subject") or ""

    @cached_property
    def sender(self) -> str:
        """The From header, decoded (the bounce's author, e.g. MAILER-DAEMON@...)."""
        return self.header("From") or ""

    @cached_property
    def content_type(self) -> str:
        return self.msg.get_content_type()

    def walk(self) -> Iterator[Message]:
        """Every part, depth first, tolerant of broken structure."""
        try:
            yield from self.msg.walk()
        except Exception:
            return

    @cached_property
    def body(self) -> str:
        """The human-readable report: decoded text of the text parts before any returned message.

        For a single-part message this is the whole decoded body. Parts inside an
        attached ``message/rfc822`` are not included (see `returned`).
        """
        if not self.msg.is_multipart():
            return part_text(self.msg)
        texts: list[str] = []
        for ctype, part in self._top_parts():
            # A multipart leaf is one without a usable boundary: its text is the report.
            if ctype.startswith(("text/", "multipart/")) and ctype != "text/rfc822-headers":
                texts.append(part_text(part))
        return "\n".join(texts)

    def _top_parts(self) -> list[tuple[str, Message]]:
        """(content type, part) of the report's own leaf parts, computed once."""
        return self._leaves

    @cached_property
    def _leaves(self) -> list[tuple[str, Message]]:
        try:
            return [(part.get_content_type(), part) for part in self._walk_top()]
        except Exception:  # broken structure: whatever could be read
            return []

    def _walk_top(self) -> Iterator[Message]:
        """Leaf parts of the report itself, not descending into attached messages."""
        stack: list[Message] = [self.msg]
        while stack:
            part = stack.pop(0)
            if part.get_content_maintype() == "message" and part is not self.msg:
                yield part
                continue
            if part.is_multipart():
                payload = part.get_payload()
                if isinstance(payload, list):
                    stack[0:0] = [p for p in payload if isinstance(p, Message)]
                continue
            yield part

    def find_parts(self, *content_types: str) -> list[Message]:
        """Top-level parts (not inside a returned message) of the given content types."""
        wanted = _WANTED.get(content_types)
        if wanted is None:
            wanted = frozenset(c.lower() for c in content_types)
            if len(_WANTED) < _MAX_WANTED:
                _WANTED[content_types] = wanted
        return [part for ctype, part in self._top_parts() if ctype in wanted]

    @cached_property
    def delivery_status(self) -> str | None:
        """Text of the RFC 3464 / RFC 6533 delivery-status part, if there is one."""
        parts = self.find_parts("message/delivery-status", "message/global-delivery-status")
        if not parts:
            return None
        return _message_part_text(parts[0])

    @cached_property
    def returned(self) -> str | None:
        """Text of the returned original message or its headers, if attached as a part."""
        parts = self.find_parts("message/rfc822", "text/rfc822-headers", "message/global",
                                "message/global-headers", "message/partial")
        if not parts:
            return None
        return _message_part_text(parts[0])


#: `find_parts`'s content types, lower-cased, per tuple asked for (a few constant ones).
_WANTED: dict[tuple[str, ...], frozenset[str]] = {}
_MAX_WANTED = 64


def _message_part_text(part: Message) -> str:
    """message/* parts are parsed by the stdlib into sub-messages; give their text back."""
    payload = part.get_payload()
    if isinstance(payload, list):
        if part.get_content_type() == "message/delivery-status":  # blocks, not one message
            return "\n".join(_status_block(sub) for sub in payload if isinstance(sub, Message))
        return "\n".join(_flatten(sub) for sub in payload if isinstance(sub, Message))
    return part_text(part)


def _status_block(block: Message) -> str:
    """One field block of a delivery-status part, as its lines stood.

    The parser makes each blank-line separated block a sub-message; a line that is
    no field (a multi-line reply pasted without folding: ``550-...`` under
    ``Diagnostic-Code:``) ends its header fields and starts its "body". That body
    followed the fields directly (a blank line would have started a new block), so
    it is joined back with a single line break, not the blank line `_flatten` puts
    between a message's headers and body, which would cut the block in two.
    """
    try:
        head = "\n".join(f"{name}: {value}" for name, value in block.items())
    except Exception:
        head = ""
    body = block.get_payload()
    if not isinstance(body, str) or not body:
        return f"{head}\n"
    return f"{head}\n{body[:MAX_TEXT_PART]}"


#: How deep `_flatten` follows parts of parts inside an attached message.
_FLATTEN_DEPTH = 4


def _flatten(msg: Message, depth: int = 0) -> str:
    """Headers and raw body text of a sub-message.

    Much cheaper than ``Message.as_string()``, which re-folds every header: the
    detectors only read header fields and text, never a byte-exact copy.
    """
    try:
        head = "\n".join(f"{name}: {value}" for name, value in msg.items())
    except Exception:
        head = ""
    payload = msg.get_payload()
    if isinstance(payload, str):
        body = payload[:MAX_TEXT_PART]
    elif isinstance(payload, list) and depth < _FLATTEN_DEPTH:
        body = "\n".join(_flatten(p, depth + 1) for p in payload if isinstance(p, Message))
    else:
        body = ""
    return f"{head}\n\n{body}" if body else f"{head}\n"
