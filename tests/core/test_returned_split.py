"""split_returned / original_from_headers: the fast ASCII path finds what the plain regexes find.

`bot.core.mail.common` searches lower-cased ASCII text with line-break-anchored regexes
for speed; the case-insensitive multiline regexes stay the definition. Generated texts
(phrases in any case, with decorations, quoting, folds, at the start or mid-text)
must give identical answers on both paths.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.mail import common

_PIECES = st.sampled_from([
    "", "\n", "\r\n", " ", "\t", "> ", "| ", "--", "-----", "== ", "**", "x", "text ",
    "This is a copy of", "ORIGINAL MESSAGE", "original message headers", "Returned Message",
    "content-type: Message/RFC822", "Content-Type:\ttext/rfc822-headers", "Your message reads",
    "Message-ID: <a@b>", "SUBJECT: hello", "from: A <a@b.example>", "To: c@d.example",
    "subject:", "\n folded", "\n\tfolded more", "message-id:<x@y>", "From x@y Mon",
])


def _slow_split(body: str) -> tuple[str, str]:
    match = common._RETURNED_MARKERS.search(body)
    return (body, "") if match is None else (body[: match.start()], body[match.start() :])


def _slow_fields(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).lower(), m.group(2)) for m in common._ORIG_HEADER.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30))
def test_fast_paths_agree_with_the_regexes(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert common.split_returned(text) == _slow_split(text)
    assert list(common._original_header_fields(text)) == _slow_fields(text)


def test_marker_decoration_accepts_what_the_plain_form_accepts() -> None:
    """Every prefix up to 5 characters over the decoration alphabet, old form vs new."""
    import itertools
    import re

    plain = re.compile(r"[ \t>|]*(?:[-=*_|]{2,}[ \t]*)?original message\Z")
    ours = re.compile(common._MARKER_LEAD + r"original message\Z")
    for size in range(6):
        for chars in itertools.product(" \t>|-=*_x", repeat=size):
            text = "".join(chars) + "original message"
            assert bool(plain.match(text)) == bool(ours.match(text)), repr(text)


def test_non_ascii_text_uses_the_regexes() -> None:
    text = "Échec de remise\n--- Original message ---\nSubject: café\n"
    report, tail = common.split_returned(text)
    assert report == "Échec de remise\n"
    assert tail.startswith("--- Original message")
    original = common.original_from_headers(tail)
    assert original is not None and original.subject == "café"


def _backtracking(pattern: str) -> str:
    """The same pattern with its possessive runs made ordinary (greedy, giving back)."""
    return pattern.replace("*+", "*").replace("}+", "}")


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30))
def test_possessive_runs_match_what_backtracking_ones_match(pieces: list[str]) -> None:
    """The possessive decoration/field runs are a speed-up only: same spans, same groups."""
    import re

    text = "".join(pieces).lower()
    for fast in (common._MARKER_AFTER_BREAK, common._ORIG_AFTER_BREAK):
        slow = re.compile(_backtracking(fast.pattern))
        assert slow.pattern != fast.pattern
        got = [(m.span(), m.groups()) for m in fast.finditer(text)]
        assert got == [(m.span(), m.groups()) for m in slow.finditer(text)]


_NOT_ASCII = st.sampled_from(["é", "\u017f", "\u212a", "ORİGİNAL MESSAGE"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES | _NOT_ASCII, max_size=30))
def test_text_that_is_not_ascii_splits_as_the_regex_splits(pieces: list[str]) -> None:
    """Text that is not ASCII (searched by the case-folding regex) splits where the plain
    regex splits, the letters whose case folding differs included."""
    text = "".join(pieces) + "é"
    assert common.split_returned(text) == _slow_split(text)
