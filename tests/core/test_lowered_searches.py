"""Searches that a format runs on lower-cased text find what their regexes find.

Some formats search a text lower-cased, without case folding (several times faster),
or anchored on line breaks; each shortcut must give the same answer (and,
where the caller uses it, the same span) as the regex it stands for, on any text.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.mail import common
from bot.core.mail.formats import _mta, exchange, exim, gmail, postfix, qmail, rfc3464, sendmail
from bot.core.mail.message import BounceMessage

#: Pieces of the phrases these regexes look for, in mixed case, with neighbours that
#: make partial, split or differently spaced copies of them.
_PIECES = st.sampled_from([
    "Diagnostic information for administrators", "RESOLVER.", "Remote Server returned",
    "Delivery has failed to these recipients", "Your message to ", "a@b.example",
    " couldn't be delivered", "#SMTP#", "returned '550 ", "returned '", "x", "\n", " ",
    "\t", "Address", "addresses", "address(es)", " failed:", "  to which the message has",
    " not yet been delivered is:", "Incorrectly constructed:", "hasn't been delivered yet",
    "Delivery is delayed to these recipients", "will continue to be attempted",
    "Will Continue To Try", "550 5.1.1 unknown", "<<< 421-busy", "  250 ok", "5xx no",
    "This is the qmail-send program at", "I'm afraid I wasn't able to deliver your message "
    "to the following addresses", "Unable to deliver message to the following address(es)",
    "This is the Postfix program at host", "  The Mail System ", "I'm sorry to have to "
    "inform you that the message", "was successfully delivered to", "This is a WARNING only",
    "<!DOCTYPE html>", "  <HTML>", "> --- Transcript of session follows", "---Transcript of",
    "The following text was generated during the delivery attempt", "will retry", "was Delayed",
    "\u017f", "K", "\u212a", "é", "\u0130", "\u0131", "ADDRESS FAİLED:", "Incorrectly",
])
_TEXTS = st.lists(_PIECES, max_size=30).map("".join)


#: Every case-insensitive search that runs lower-cased (`_mta.Folded`).
_FOLDED = (
    exchange._MARKERS, exchange._DELAYED, exchange._HTML, exim._ANCHOR, exim._GENERATED_TEXT,
    gmail._HTML, gmail._TEMPORARY, qmail._INTRO, postfix._INTRO, postfix._DELIVERED,
    postfix._WARNING, sendmail._TRANSCRIPT,
)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_folded_searches_find_what_their_regexes_find(text: str) -> None:
    for folded in _FOLDED:
        regex = folded.folded()
        assert regex.flags & re.IGNORECASE
        for end in (len(text), len(text) // 2):
            match = regex.search(text, 0, end)
            assert folded.span(text, end) == (None if match is None else match.span())


def test_exchange_markers_are_the_regex_as_first_written() -> None:
    """``[^\\s]`` stands for ``\\S``, which lower-casing would turn into ``\\s``."""
    written = re.compile(
        r"Diagnostic information for administrators|RESOLVER\.|Remote Server returned|"
        r"Delivery has failed to these recipients|Your message to \S+ couldn't be delivered|"
        r"#SMTP#|\breturned '[245]\d\d ",
        re.IGNORECASE,
    )
    for text in (
        "your message to a@b couldn't be delivered", "Your message to  x couldn't be",
        "RETURNED '550 x", "xreturned '550 ", "Your message to \u212a couldn't be delivered",
    ):
        assert (written.search(text) is None) is (exchange._MARKERS.folded().search(text) is None)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_exchange_markers_in_the_body(text: str) -> None:
    msg = BounceMessage.from_text(f"Subject: s\n\n{text}")
    body = msg.body
    for cut in (len(body), len(body) // 2):
        expected = exchange._MARKERS.folded().search(body[:cut]) is not None
        assert exchange._has_markers(msg, body[:cut]) is expected


#: What `rfc3464._REPLY_AFTER_BREAK` finds, in its plain line-anchored form.
_TRANSCRIPT_REPLY = re.compile(r"^[ \t]*(?:<<<[ \t]*)?([245]\d\d[ \-][^\n]{3,})$", re.MULTILINE)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_rfc3464_transcript_replies(text: str) -> None:
    replies = _TRANSCRIPT_REPLY.findall(text)
    assert rfc3464._lone_reply(text) == (rfc3464.normalize_space(replies[-1]) if replies else None)
    assert rfc3464._REPLY_AFTER_BREAK.findall("\n" + text) == replies


def test_a_line_start_pattern_is_anchored_as_caret_multiline() -> None:
    found = _mta.Folded(r"b|c", line_start=True)
    assert found.folded().pattern == "^(?:b|c)"
    for text in ("c", "a c", "a\nc", "ab\nxb", "\n\nb", "", "a\n"):
        match = found.folded().search(text)
        assert found.span(text) == (None if match is None else match.span()), text


def test_a_pattern_is_refused_where_lower_casing_changes_an_escape() -> None:
    with pytest.raises(ValueError):
        _mta.Folded(r"Reply:\S+")


#: The code patterns as written before their look-behinds moved after the first digit.
_PLAIN_CODES = (
    (common._STATUS, r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)"),
    (common._REPLYCODE, r"(?<![\d.\-])([2-5][0-5]\d)(?=[ \-]|\Z|$)"),
    (_mta.REPLY_START, r"(?<![\w.\-\[:/])[245][0-5]\d(?:[ \-]|$)"),
    (_mta.STATUS_ONLY, r"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?![\w.])"),
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=list("2345019.-[:/ a_\n\té"), max_size=40))
def test_code_patterns_match_as_their_plain_forms(text: str) -> None:
    for pattern, plain in _PLAIN_CODES:
        reference = re.compile(plain, pattern.flags)
        found = [(m.span(), m.groups()) for m in pattern.finditer(text)]
        assert found == [(m.span(), m.groups()) for m in reference.finditer(text)]
