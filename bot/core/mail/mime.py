"""A fast MIME parser producing the same tree as ``email.message_from_bytes`` (compat32).

The stdlib `email.feedparser` reads a message line by line in Python and dominates the
cost of scanning a mailbox. This parser builds the identical `Message` tree (same
headers, payload strings, preambles, epilogues and default types) by splitting the
text at header-block ends, blank lines and boundary lines with ``str.find``. It
mirrors the feed parser's quirks on purpose (consecutive boundary lines, the
line break before a boundary belonging to it, header blocks of
``message/delivery-status``, a missing start or close boundary) so that every detector
reads exactly what it read before. Inputs it does not model (lone carriage returns, a
``From `` line closing a header block) go to the stdlib parser instead. Any other
exception here is a bug, reported as such by `bot.core.scan`.

`Part` also indexes its header fields by lower-cased name on first lookup: the
detectors' sniffs ask each message for dozens of fields, and `Message.get` scans the
whole list every time. Plain ASCII header values and payloads skip the stdlib's check
for surrogate escapes (which encodes the text each time): they cannot hold any.
"""

from __future__ import annotations

import email
import email.utils
import re
from email.message import Message
from typing import Any

#: A header-block line (RFC 5322 field name and colon, continuation, or mbox envelope),
#: as the stdlib feed parser recognises it.
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")
#: A run of ordinary header fields (name, colon, value, folded lines), each ending in LF.
#: Possessive: a name never ends before a colon, nor a line before its LF, nor a field
#: before a fold line (which no name starts with), so giving back cannot match more.
_FIELDS = re.compile(r"(?:[\041-\071\073-\176]++:.*+\n(?:[ \t].*+\n)*+)*+")
#: One ordinary field of such a run: its name and its value as compat32 keeps it (folds
#: included, leading blanks and the final line break not).
_FIELD = re.compile(r"([\041-\071\073-\176]+):[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)\r?\n")
#: `_FIELD` for text without carriage returns (``.`` runs faster than a negated class),
#: possessive as `_FIELDS`: it only reads runs that `_FIELDS` matched, where every line
#: ends in LF, so nothing is ever given back.
_FIELD_LF = re.compile(r"([\041-\071\073-\176]++):[ \t]*+(.*+(?:\n[ \t].*+)*+)\n")
#: What may follow ``--boundary`` on a boundary line: the close marker, blanks, end of line.
_BOUNDARY_TAIL = re.compile(r"(--)?[ \t]*(?:\r?\n|\Z)")


class _Unsupported(Exception):
    """An input shape this parser does not model; the stdlib parser takes it."""


class Part(Message):
    """A `Message` whose header lookups go through a name index built once.

    The content type and parsed parameters are cached too. Every method that changes
    the header list or the default type drops these caches, so the class stays a
    faithful `Message` for any caller that edits a part.
    """

    # Declared for the type checker: `Message` keeps these without annotations.
    _headers: list[tuple[str, Any]]
    _payload: Any
    _index: dict[str, list[tuple[str, Any]]] | None = None
    _ctype: str | None = None
    _params: dict[str, list[tuple[str, Any]] | None] | None = None

    def _fields(self) -> dict[str, list[tuple[str, Any]]]:
        index = self._index
        if index is None:
            index = {}
            for field in self._headers:
                key = field[0].lower()
                if key in index:
                    index[key].append(field)
                else:
                    index[key] = [field]
            self._index = index
        return index

    def _changed(self) -> None:
        self._index = None
        self._ctype = None
        self._params = None

    def field_names(self) -> list[str]:
        """The names of the header fields, lower-cased, each once, in order of appearance."""
        return list(self._fields())

    def get(self, name: str, failobj: Any = None) -> Any:
        found = self._fields().get(name.lower())
        if not found:
            return failobj
        key, value = found[0]
        if isinstance(value, str) and value.isascii():
            return value  # what compat32's header_fetch_parse returns for plain text
        return self.policy.header_fetch_parse(key, value)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields()

    def get_all(self, name: str, failobj: Any = None) -> Any:
        found = self._fields().get(name.lower())
        if not found:
            return failobj
        fetch = self.policy.header_fetch_parse
        return [
            value if isinstance(value, str) and value.isascii() else fetch(key, value)
            for key, value in found
        ]

    def items(self) -> list[tuple[str, Any]]:
        fetch = self.policy.header_fetch_parse
        return [
            (key, value if isinstance(value, str) and value.isascii() else fetch(key, value))
            for key, value in self._headers
        ]

    def values(self) -> list[Any]:
        return [value for _, value in self.items()]

    def get_payload(self, i: Any = None, decode: bool = False) -> Any:
        """`Message.get_payload`, without its check for surrogates in plain ASCII text.

        That check encodes the whole payload on every call (the detectors ask for the
        bodies of delivery-status blocks and returned messages again and again).
        """
        if i is None and not decode:
            payload = self._payload
            if isinstance(payload, list) or (isinstance(payload, str) and payload.isascii()):
                return payload
        return super().get_payload(i, decode)  # type: ignore[call-overload]

    def get_content_type(self) -> str:
        ctype = self._ctype
        if ctype is None:
            ctype = self._ctype = super().get_content_type()
        return ctype

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        found = self._cached_params(header)
        return failobj if found is None else list(found)

    def _cached_params(self, header: str) -> list[tuple[str, Any]] | None:
        """The header's parameters as ``Message._get_params_preserve`` gives them, once."""
        params = self._params
        if params is None:
            params = self._params = {}
        key = header.lower()
        if key not in params:
            value = self.get(header)
            if isinstance(value, str) and _is_plain(value):
                params[key] = _plain_params(value)
            else:
                missing = object()
                found = super()._get_params_preserve(missing, header)  # type: ignore[misc]
                params[key] = None if found is missing else found
        return params[key]

    def get_param(
        self, param: str, failobj: Any = None, header: str = "content-type", unquote: bool = True
    ) -> Any:
        """`Message.get_param` over the cached parameters (no copy of them per call)."""
        found = self._cached_params(header)
        if found is None:
            return failobj
        wanted = param.lower()
        for name, value in found:
            if name.lower() == wanted:
                if not unquote:
                    return value
                if isinstance(value, tuple):  # RFC 2231: (charset, language, text)
                    return value[0], value[1], email.utils.unquote(value[2])
                return email.utils.unquote(value)
        return failobj

    # Mutations: drop the caches (the stdlib methods then do the real work).
    def set_default_type(self, ctype: str) -> None:
        self._changed()
        super().set_default_type(ctype)

    def __setitem__(self, name: str, val: Any) -> None:
        self._changed()
        super().__setitem__(name, val)

    def __delitem__(self, name: str) -> None:
        self._changed()
        super().__delitem__(name)

    def set_raw(self, name: str, value: Any) -> None:
        self._changed()
        super().set_raw(name, value)

    def replace_header(self, _name: str, _value: Any) -> None:
        self._changed()
        super().replace_header(_name, _value)

    def set_boundary(self, boundary: str) -> None:
        self._changed()
        super().set_boundary(boundary)


def _is_plain(value: str) -> bool:
    return value.isascii() and "\\" not in value and "*" not in value


def _plain_params(value: str) -> list[tuple[str, str]]:
    """What the stdlib's ``Message._get_params_preserve`` makes of a plain header value.

    Plain: ASCII, no backslash (so no quoted pair) and no ``*`` (so no RFC 2231
    parameter). Such values are most Content-Type headers, and the stdlib's generic
    path (`_parseparam`, `decode_params`) is the slow part of reading them.
    As there: split at each ``;`` outside double quotes; the first item (the type) kept
    as it stands; every parameter's name stripped and lower-cased, and its value
    stripped, unquoted (``"x"`` or ``<x>``) and given back in double quotes.
    """
    pieces = value.split(";")
    if '"' in value:  # a ";" inside quotes splits nothing: join it back
        groups = [[pieces[0]]]
        quoted = pieces[0].count('"') % 2  # the open group ends inside quotes
        for piece in pieces[1:]:
            if quoted:
                groups[-1].append(piece)
            else:
                groups.append([piece])
            quoted ^= piece.count('"') % 2
        pieces = [";".join(group) for group in groups]
    params = []
    for index, piece in enumerate(pieces):
        name, equals, val = piece.partition("=")
        if not equals:
            name, val = piece.strip(), ""
        else:
            name, val = name.strip().lower(), val.strip()
        if index:
            if len(val) > 1 and (
                (val[0] == '"' and val[-1] == '"') or (val[0] == "<" and val[-1] == ">")
            ):
                val = val[1:-1]
            val = '"' + val.replace('"', '\\"') + '"'
        params.append((name, val))
    return params


#: A carriage return that does not start a CRLF.
_LONE_CR = re.compile(r"\r(?!\n)")


def parse(raw: bytes) -> Message:
    """The message tree of `raw`, as ``email.message_from_bytes(raw)`` builds it."""
    text = raw.decode("ascii", errors="surrogateescape")
    if "\r" in text and _LONE_CR.search(text) is not None:
        return email.message_from_bytes(raw)  # lone CRs end lines too: the stdlib's job
    try:
        return _parse(text, 0, len(text), "text/plain", _FIELD if "\r" in text else _FIELD_LF)[0]
    except _Unsupported:
        return email.message_from_bytes(raw)


def _strip_eol(value: str) -> str:
    if value.endswith("\n"):
        return value[:-2] if value.endswith("\r\n") else value[:-1]
    return value


def _headers(msg: Part, text: str, pos: int, end: int, fields: re.Pattern[str]) -> int:
    """Read the header block starting at `pos` into `msg`; where the body starts."""
    run = _FIELDS.match(text, pos, end)
    stop = pos if run is None else run.end()
    if stop >= end:
        body = end
    elif text[stop] in "\r\n":  # the blank separator line is not part of the body
        nl = text.find("\n", stop, end)
        body = end if nl < 0 else nl + 1
    elif _HEADER_LINE.match(text, stop, _line_end(text, stop, end)) is None:
        body = stop  # a line that is no header starts the body
    else:
        return _headers_by_line(msg, text, pos, end)
    msg._headers = fields.findall(text, pos, stop)
    return body


def _line_end(text: str, pos: int, end: int) -> int:
    nl = text.find("\n", pos, end)
    return end if nl < 0 else nl + 1


def _headers_by_line(msg: Part, text: str, pos: int, end: int) -> int:
    """`_headers` for unusual blocks: envelope lines, stray folds, empty names, no final LF."""
    match = _HEADER_LINE.match
    headers = msg._headers
    name = ""
    first = pos  # start of the current field's text
    lineno = 0
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl + 1
        if not match(text, pos, line_end):
            if name:
                headers.append(_field(text, first, pos, name))
            if text[pos] in "\r\n":  # the blank separator line is not part of the body
                return line_end
            return pos
        char = text[pos]
        if char in " \t":
            pos = line_end
            lineno += 1
            continue  # a continuation (dropped when no field is open, like the stdlib)
        if name:
            headers.append(_field(text, first, pos, name))
            name = ""
        if char == "F" and text.startswith("From ", pos):
            if lineno == 0:
                msg.set_unixfrom(_strip_eol(text[pos:line_end]))
            elif _last_header_line(text, line_end, end):
                raise _Unsupported  # the stdlib pushes it back into the body
            pos = line_end
            lineno += 1
            continue
        colon = text.find(":", pos, line_end)
        if colon > pos:
            name = text[pos:colon]
            first = pos
        pos = line_end
        lineno += 1
    if name:
        headers.append(_field(text, first, pos, name))
    return pos


def _last_header_line(text: str, pos: int, end: int) -> bool:
    """Whether no header line follows at `pos` (end of input, blank or body line)."""
    if pos >= end:
        return True
    nl = text.find("\n", pos, end)
    return _HEADER_LINE.match(text, pos, end if nl < 0 else nl + 1) is None


def _field(text: str, start: int, end: int, name: str) -> tuple[str, str]:
    """(name, value) as compat32's header_source_parse keeps them (folds included)."""
    value = text[start + len(name) + 1:end].lstrip(" \t").rstrip("\r\n")
    return name, value


def _parse(
    text: str, start: int, end: int, default_type: str, fields: re.Pattern[str]
) -> tuple[Part, Part]:
    """The message in ``text[start:end]`` and the last message the feed parser made for it.

    The second value matters to the caller: the line break before a boundary is cut
    from that message's payload (or epilogue), exactly as the stdlib does.
    """
    msg = Part()
    if default_type != "text/plain":
        msg.set_default_type(default_type)
    pos = _headers(msg, text, start, end, fields)
    ctype = _content_type(msg)
    if ctype == "message/delivery-status":
        return msg, _delivery_status(msg, text, pos, end, fields)
    maintype = ctype.partition("/")[0]
    if maintype == "message":
        child, last = _parse(text, pos, end, "text/plain", fields)
        msg._payload = [child]
        return msg, last
    if maintype == "multipart":
        boundary = msg.get_boundary()
        if boundary is not None:
            _multipart(msg, text, pos, end, "--" + boundary, ctype == "multipart/digest", fields)
            return msg, msg
    msg._payload = text[pos:end]
    return msg, msg


def _content_type(msg: Part) -> str:
    """`Message.get_content_type` without building the header index (often never used)."""
    value = _first_content_type(msg._headers)
    if value is None:
        msg._ctype = msg.get_default_type()
        return msg._ctype
    if not value.isascii():
        return msg.get_content_type()
    ctype = value.partition(";")[0].strip().lower()
    msg._ctype = ctype if ctype.count("/") == 1 else "text/plain"
    return msg._ctype


def _first_content_type(headers: list[tuple[str, Any]]) -> Any:
    """The first Content-Type field's value, as `Message.get` finds it; None if none."""
    for key, value in headers:
        if len(key) == 12 and key.lower() == "content-type":
            return value
    return None


def _delivery_status(
    msg: Part, text: str, pos: int, end: int, fields: re.Pattern[str]
) -> Part:
    """Header blocks separated by single blank lines, one sub-message each."""
    blocks: list[Message] = []
    msg._payload = blocks
    last: Part = msg
    while True:
        stop = _blank_line(text, pos, end)
        child, last = _parse(text, pos, stop, "text/plain", fields)
        blocks.append(child)
        if stop >= end:
            return last
        nl = text.find("\n", stop, end)
        pos = end if nl < 0 else nl + 1
        if pos >= end:
            return last


def _blank_line(text: str, pos: int, end: int) -> int:
    """Start of the first empty line at or after line start `pos`, else `end`."""
    if pos < end and text[pos] in "\r\n":
        return pos
    while True:
        nl = text.find("\n", pos, end)
        if nl < 0 or nl + 1 >= end:
            return end
        if text[nl + 1] in "\r\n":
            return nl + 1
        pos = nl + 1


def _boundary(text: str, sep: str, pos: int, end: int) -> tuple[int, int, bool] | None:
    """(start, end, is_close) of the first boundary line in ``text[pos:end]``.

    A boundary with a line break in it (a folded ``boundary=`` value) can match no line,
    as in the stdlib's line-by-line parser.
    """
    if "\n" in sep or "\r" in sep:
        return None
    while True:
        found = text.find(sep, pos, end)
        if found < 0:
            return None
        if found == 0 or text[found - 1] == "\n":
            tail = _BOUNDARY_TAIL.match(text, found + len(sep), end)
            if tail is not None:
                return found, tail.end(), tail.group(1) is not None
        pos = found + 1


def _multipart(
    msg: Part, text: str, pos: int, end: int, sep: str, digest: bool, fields: re.Pattern[str]
) -> None:
    line = _boundary(text, sep, pos, end)
    if line is None or line[2]:  # no opening boundary: everything up to a close is payload
        msg._payload = text[pos:end if line is None else line[0]]
        msg.epilogue = ""
        return
    if line[0] > pos:
        msg.preamble = _strip_eol(text[pos:line[0]])
    parts: list[Message] = []
    msg._payload = parts
    child_type = "message/rfc822" if digest else "text/plain"
    while True:
        body = line[1]
        while (again := _boundary_at(text, sep, body, end)) is not None:
            body = again  # consecutive boundary lines enclose no part
        following = _boundary(text, sep, body, end)
        stop = end if following is None else following[0]
        child, last = _parse(text, body, stop, child_type, fields)
        parts.append(child)
        _cut_line_break(last)
        if following is None:
            return  # no close boundary: the epilogue stays None
        if following[2]:
            msg.epilogue = text[following[1]:end]
            return
        line = following


def _boundary_at(text: str, sep: str, pos: int, end: int) -> int | None:
    """End of the boundary line starting exactly at `pos`, if there is one."""
    if not text.startswith(sep, pos, end):
        return None
    tail = _BOUNDARY_TAIL.match(text, pos + len(sep), end)
    return None if tail is None else tail.end()


def _cut_line_break(last: Part) -> None:
    """The line break before a boundary belongs to the boundary (RFC 2046)."""
    if last.get_content_maintype() == "multipart":
        epilogue = last.epilogue
        if epilogue == "":
            last.epilogue = None
        elif epilogue is not None:
            last.epilogue = _strip_eol(epilogue)
    elif isinstance(last._payload, str):
        last._payload = _strip_eol(last._payload)
