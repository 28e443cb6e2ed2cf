"""JSON from sending services, pasted or in files: which service, which events, which verdicts.

`read_paste` takes text that starts like JSON (``{`` or ``[``, or Mandrill's form field
``mandrill_events=…``); `read_bytes` takes a ``.json``/``.jsonl`` file's content. Either
holds one object, an array of objects, or JSON Lines (one object per line). Each object is
offered to every service's parser (`PARSERS`), after unwrapping envelopes that carry
events inside them (an SNS ``Message`` string, a Lambda ``Records[].Sns``, Mailgun's
``event-data`` and ``items``, Mandrill's ``mandrill_events``).

JSON that is none of these kinds, or broken JSON, gives verdicts only for string values
that hold a real SMTP reply themselves (a reply code where a server puts it), each without
a recipient: a recipient is never taken from arbitrary keys. `None` means "not JSON at
all", so the caller can read the text another way.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any, Final

from bot.core import replytext as rt
from bot.core.classify import REPLY_RE, classify
from bot.core.model import Evidence, Report, Verdict
from bot.core.payloads import brevo, mailgun, mandrill, postmark, sendgrid, ses, sparkpost
from bot.core.payloads.events import Event, report

#: Each service's parser, most specific markers first (SendGrid and Brevo share ``event``
#: and ``email``; Mandrill nests ``msg``): None means "not this service's object".
PARSERS: Final[tuple[Callable[[dict[str, Any]], list[Event] | None], ...]] = (
    ses.parse,
    sparkpost.parse,
    mailgun.parse,
    postmark.parse,
    mandrill.parse,
    brevo.parse,
    sendgrid.parse,
)
#: Keys of containers that list events (Mailgun's Events API, exports, Lambda's SNS batch).
_LISTS: Final = ("items", "events", "results", "Records", "mandrill_events")
#: String values read for a reply in JSON of no known kind (bounds the work on junk).
MAX_STRINGS: Final = 2_000
#: Depth of nesting followed into envelopes and containers.
_MAX_DEPTH: Final = 6
_STRING: Final = re.compile(r'"((?:[^"\\\n]|\\.){0,4000})"')
_FORM_PREFIX: Final = "mandrill_events="


def looks_like_json(text: str) -> bool:
    """Does the (stripped) paste start like JSON or Mandrill's posted form field?"""
    return text[:1] in ("{", "[") or text.startswith(_FORM_PREFIX)


def read_paste(text: str, limit: int, limit_name: str) -> Report | None:
    """The report for pasted JSON; None when the text is not JSON after all."""
    values, broken = load(text)
    if not values and not ('":' in text or '" :' in text):
        return None  # "[TS01] 421 …": brackets, not JSON
    return _report(values, broken, text, limit, limit_name)


def read_bytes(raw: bytes, limit: int, limit_name: str) -> Report:
    """The report for a ``.json``/``.jsonl``/``.ndjson`` file's content."""
    text = raw.decode("utf-8", "replace").lstrip("\ufeff")
    values, broken = load(text)
    return _report(values, broken, text, limit, limit_name)


def load(text: str) -> tuple[list[Any], bool]:
    """The JSON values in `text` (one document, or one per line) and whether any part
    failed to parse."""
    text = text.strip()
    if text.startswith(_FORM_PREFIX):
        text = urllib.parse.unquote_plus(text[len(_FORM_PREFIX) :]).strip()
    try:
        return [json.loads(text)], False
    except RecursionError:  # "[[[[…": nested deeper than the parser goes; no one's events
        return [], True
    except ValueError:
        pass
    values = []
    broken = False
    for line in text.splitlines():
        line = line.strip().rstrip(",")
        if not line:
            continue
        try:
            values.append(json.loads(line))
        except (ValueError, RecursionError):
            broken = True
    return values, broken


def events_in(value: Any, depth: int = 0) -> list[Event] | None:
    """Every service event in `value`; None when it holds no object of a known kind."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, list):
        found: list[Event] | None = None
        for item in value:
            events = events_in(item, depth + 1)
            if events is not None:
                found = (found or []) + events
        return found
    if isinstance(value, str) and value[:1] in ("{", "[") and depth:
        try:
            return events_in(json.loads(value), depth + 1)
        except (ValueError, RecursionError):
            return None
    if not isinstance(value, dict):
        return None
    value = ses.unwrap_sns(value)
    if not isinstance(value, dict):
        return events_in(value, depth + 1)
    sns = value.get("Sns")
    if isinstance(sns, dict):
        return events_in(ses.unwrap_sns({**sns, "Type": "Notification"}), depth + 1)
    for parse in PARSERS:
        events = parse(value)
        if events is not None:
            return events
    for key in _LISTS:
        if isinstance(value.get(key), (list, str)):
            return events_in(value[key], depth + 1)
    return None


def _report(values: list[Any], broken: bool, text: str, limit: int, name: str) -> Report:
    events: list[Event] | None = None
    for value in values:
        found = events_in(value)
        if found is not None:
            events = (events or []) + found
    if events is not None:
        reporters = {e.reporter for e in events}
        source = "esp:" + next(iter(reporters)).lower() if len(reporters) == 1 else "esp"
        return report(events, source, limit, name)
    strings = _strings(values) if values and not broken else _literals(text)
    return _replies(strings, limit)


def _replies(strings: Iterator[str], limit: int) -> Report:
    """Verdicts (without recipients) for the strings that hold an SMTP reply themselves."""
    verdicts: list[Verdict] = []
    seen: set[str] = set()
    for n, value in enumerate(strings):
        if n >= MAX_STRINGS or len(verdicts) >= limit:
            break
        words = " ".join(value.split())
        if len(words) < 8 or words in seen or REPLY_RE.search(words) is None:
            continue
        if not rt.is_reply(words):
            continue
        seen.add(words)
        diagnostic = rt.focus(words)
        low = diagnostic.lower()
        verdicts.append(
            classify(
                Evidence(
                    diagnostic=diagnostic,
                    command=rt.find_command(low),
                    remote_mta=rt.find_remote_mta(low),
                )
            )
        )
    return Report(bounce=bool(verdicts), verdicts=verdicts, source_format="json")


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string value (never a key) in `value`."""
    if depth > 20:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)


def _literals(text: str) -> Iterator[str]:
    """The string literals of broken JSON, decoded; keys too, which hold no reply."""
    for m in _STRING.finditer(text):
        try:
            yield json.loads(f'"{m.group(1)}"')
        except ValueError:
            yield m.group(1)
