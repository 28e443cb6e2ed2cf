"""The SMTP code knowledge base: complete against the reference CSVs, right on the seed codes,
strict about syntax, and cheap to query."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest

from bot.core.codes import (
    ReplyCode,
    StatusCode,
    all_reply_codes,
    all_status_codes,
    is_reply_code,
    is_status_code,
    reply_code,
    status_code,
)
from bot.core.data import load
from bot.core.model import REASONS
from tests.conftest import CORPUS, SHARED, read_jsonl

REFERENCE = SHARED / "reference"
REPLY_CLASS = {"2": "success", "3": "intermediate", "4": "transient", "5": "permanent"}
STATUS_CLASS = {"2": "success", "4": "transient", "5": "permanent"}


def _csv(name: str) -> list[dict[str, str]]:
    path: Path = REFERENCE / name
    if not path.is_file():
        pytest.fail(f"reference file missing: {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


REPLY_ROWS = _csv("reply-codes.csv")
STATUS_ROWS = _csv("enhanced-status-codes.csv")


def _text(entry: ReplyCode | StatusCode) -> str:
    """Everything a reader sees of an entry, lower-cased, for 'mentions X' checks."""
    return " ".join([entry.title, entry.explanation, *entry.actions]).lower()


# --------------------------------------------------------------------------- completeness


@pytest.mark.parametrize("row", REPLY_ROWS, ids=lambda r: f"{r['code']}-{r['context']}")
def test_every_reply_code_row_has_an_entry(row: dict[str, str]) -> None:
    entry = reply_code(row["code"])
    assert entry is not None
    assert entry.code == row["code"]
    assert entry.title and entry.explanation
    assert entry.actions and all(a.strip() for a in entry.actions)
    assert entry.references
    assert entry.klass == REPLY_CLASS[row["code"][0]]
    # Each context of the CSV shows up in the merged entry.
    assert any(c.startswith(row["context"] + ":") for c in entry.contexts)
    # The references cite the code's definition (issue 10): RFC 5321 for its own codes,
    # not every extension that also uses the code (ETRN or MT-PRIORITY on a 250 explain
    # nothing about a bounce); a code only extensions define cites one of them.
    if any(c.startswith("base:") for c in entry.contexts):
        assert entry.references[0] == "RFC 5321 §4.2.3"
        assert len(entry.references) == 2
    else:
        assert entry.references[0].startswith(("RFC", "IANA"))


def test_reply_codes_are_exactly_the_reference_set() -> None:
    listed = [c.code for c in all_reply_codes()]
    assert listed == sorted({r["code"] for r in REPLY_ROWS})
    assert len(listed) == 45


@pytest.mark.parametrize("entry", all_reply_codes(), ids=lambda e: e.code)
def test_reply_retry_follows_the_class(entry: ReplyCode) -> None:
    code, retry = entry.code, entry.retry
    if code[0] in "23":
        assert retry is None
    elif code[0] == "5":
        assert retry is False
    else:
        assert isinstance(retry, bool)
    sentences = [s for s in re.split(r"(?<=[.;])\s+", entry.explanation) if s]
    assert len(sentences) >= 2, "explanations say what happened and why"


@pytest.mark.parametrize("row", STATUS_ROWS, ids=lambda r: r["code"])
def test_every_status_row_has_an_entry(row: dict[str, str]) -> None:
    data = load("status_codes")["codes"]
    assert row["code"] in data
    listed = {s.key: s for s in all_status_codes()}
    entry = listed[row["code"]]
    assert entry.registered
    assert entry.title and entry.explanation and entry.actions and entry.references
    assert any(r.startswith("https://") for r in entry.references)
    assert data[row["code"]]["iana_text"] == row["sample_text"]
    if row["kind"] == "class":
        assert entry.klass == STATUS_CLASS[row["code"][0]]
    if row["kind"] != "enumerated":
        return
    # Every class the registry allows is answered with the right class and retry.
    for digit in row["classes"].replace(" ", "").split(",") if row["classes"] else ["5"]:
        code = digit + row["code"][1:]
        found = status_code(code)
        assert found is not None, code
        assert found.key == row["code"] and found.registered
        assert found.klass == STATUS_CLASS[digit]
        if digit == "2":
            assert found.retry is None
        elif digit == "5":
            assert found.retry is False
        assert found.reason is None or found.reason in REASONS
        if digit != "2":
            sentences = [s for s in re.split(r"(?<=[.;])\s+", found.explanation) if s]
            assert len(sentences) >= 2, f"{code}: say what happened and why"
        for ref in row["reference"].split(";"):
            number = re.search(r"\d{4}", ref)
            if number:
                assert any(number.group() in r for r in found.references)


def test_status_registry_is_complete() -> None:
    rows = all_status_codes()
    assert len(rows) == 92
    assert [r.key for r in rows] == [r["code"] for r in STATUS_ROWS]
    kinds = [r["kind"] for r in STATUS_ROWS]
    assert (kinds.count("class"), kinds.count("subject"), kinds.count("enumerated")) == (3, 8, 81)


# --------------------------------------------------------------------------- seed codes


@pytest.mark.parametrize(
    ("code", "klass", "words"),
    [
        ("550", "permanent", ["mailbox", "does not exist", "spam", "policy"]),
        ("554", "permanent", ["transaction failed", "blocklist", "552", "5.2.2"]),
        ("421", "transient", ["not available", "closing", "retry"]),
        ("450", "transient", ["mailbox", "temporarily", "retry"]),
        ("250", "success", ["accepted"]),
        ("251", "success", ["not local", "forward"]),
        ("530", "permanent", ["authentication required", "starttls"]),
        ("535", "permanent", ["credentials", "password"]),
        ("451", "transient", ["local error", "greylisting", "retry"]),
        ("552", "permanent", ["mailbox", "full", "too big"]),
    ],
)
def test_seed_reply_codes_explained(code: str, klass: str, words: list[str]) -> None:
    entry = reply_code(code)
    assert entry is not None and entry.klass == klass
    text = _text(entry)
    for word in words:
        assert word in text, f"{code} should mention {word!r}"
    assert entry.retry is {"success": None, "transient": True, "permanent": False}[klass]


@pytest.mark.parametrize(
    ("status", "reason", "words"),
    [
        ("5.1.1", "userunknown", ["does not exist"]),
        ("5.1.2", "hostunknown", ["domain"]),
        ("5.1.6", "hasmoved", ["forwarding"]),
        ("5.2.2", "mailboxfull", ["full", "quota"]),
        ("4.2.2", "mailboxfull", ["4.2.2", "retries"]),
        ("5.2.3", "emailtoolarge", ["size limit"]),
        ("5.3.4", "emailtoolarge", ["size limit"]),
        ("4.4.7", "expired", ["queue"]),
        ("5.7.23", "authfailure", ["spf"]),
        ("5.7.25", "requireptr", ["reverse dns", "ptr"]),
        ("5.7.26", "authfailure", ["spf", "dkim"]),
        ("5.7.27", "notaccept", ["null mx"]),
        ("4.7.1", "blocked", ["temporary"]),
    ],
)
def test_seed_status_codes(status: str, reason: str, words: list[str]) -> None:
    entry = status_code(status)
    assert entry is not None
    assert entry.reason == reason
    text = _text(entry)
    for word in words:
        assert word in text, f"{status} should mention {word!r}"


def test_retry_overrides_where_a_4xx_will_not_clear_by_itself() -> None:
    unauthenticated = status_code("4.7.26")
    assert unauthenticated is not None and unauthenticated.retry is False
    greylist = status_code("4.7.1")
    assert greylist is not None and greylist.retry is True
    spf_dns = status_code("4.7.24")
    assert spf_dns is not None and spf_dns.retry is True


def test_success_codes_read_as_success() -> None:
    for status in ("2.0.0", "2.1.0", "2.1.5", "2.6.0", "2.7.0"):
        entry = status_code(status)
        assert entry is not None and entry.klass == "success" and entry.retry is None
        text = _text(entry)
        assert "fail" not in text and "refus" not in text, status


def test_status_reasons_agree_with_the_corpus_where_the_code_alone_decides() -> None:
    """Over snippets whose only evidence is the code, the code's reason matches the label."""
    snippets = read_jsonl(CORPUS / "snippets.jsonl")
    rows = load("status_codes")["codes"]
    checked = 0
    for snippet in snippets:
        if "phrase" in snippet["evidence"] or not snippet["status"]:
            continue
        entry = status_code(snippet["status"])
        if entry is None or entry.reason is None or not entry.registered:
            continue
        checked += 1
        if "note" in rows[entry.key]:
            continue  # a documented ambiguity (for example Microsoft's 5.1.10)
        assert entry.reason == snippet["reason"], snippet["snippet"]
    assert checked >= 10


# --------------------------------------------------------------------------- syntax and lookups


@pytest.mark.parametrize(
    "bad", ["", "55", "5500", "600", "199", "1xx", " 550", "550 ", "５５０", "55a"]
)
def test_malformed_reply_codes(bad: str) -> None:
    assert not is_reply_code(bad)
    assert reply_code(bad) is None


@pytest.mark.parametrize("code", ["599", "299", "470", "388"])
def test_unknown_wellformed_reply_code_gets_a_generic_entry(code: str) -> None:
    entry = reply_code(code)
    assert entry is not None and is_reply_code(code)
    assert entry.klass == REPLY_CLASS[code[0]]
    assert code in entry.title and code in entry.explanation
    assert entry.contexts == ()
    assert entry.retry is {"2": None, "3": None, "4": True, "5": False}[code[0]]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "5",
        "5.1",
        "5.1.1.1",
        "3.1.1",
        "6.1.1",
        "1.1.1",
        "5.01.1",
        "5.1.01",
        "5.1.1000",
        "5.1000.1",
        "X.1.1",
        "5.1.YYY",
        " 5.1.1",
        "5.1.1 ",
        "5,1,1",
        "5.1.1a",
        "٥.١.١",
    ],
)
def test_malformed_status_codes(bad: str) -> None:
    assert not is_status_code(bad)
    assert status_code(bad) is None


def test_unknown_detail_falls_back_to_the_subject() -> None:
    entry = status_code("5.1.99")
    assert entry is not None
    assert (entry.key, entry.registered, entry.klass, entry.reason) == (
        "X.1.YYY",
        False,
        "permanent",
        None,
    )
    assert "99" in entry.explanation
    three = status_code("4.7.999")
    assert three is not None and three.key == "X.7.YYY" and three.klass == "transient"
    assert three.retry is True


def test_unknown_subject_falls_back_to_the_class() -> None:
    entry = status_code("4.9.1")
    assert entry is not None and entry.key == "4.XXX.YYY" and not entry.registered
    assert status_code("5.123.4") is not None


def test_vendor_codes_are_flagged_unregistered() -> None:
    entry = status_code("5.7.606")
    assert entry is not None and entry.key == "X.7.606" and not entry.registered
    assert entry.reason == "blocked"
    assert any("microsoft.com" in r for r in entry.references)
    assert all(s.key != "X.7.606" for s in all_status_codes())


def test_lookups_return_the_same_cached_objects() -> None:
    assert status_code("5.1.1") is status_code("5.1.1")
    assert reply_code("550") is reply_code("550")
    assert status_code("5.1.77") is status_code("5.1.77")


def test_lookups_are_fast_and_linear_on_junk() -> None:
    codes = ["550", "451", "5.1.1", "4.7.0", "5.1.99"] * 20_000
    start = time.perf_counter()
    for code in codes:
        if len(code) == 3:
            reply_code(code)
        else:
            status_code(code)
    assert time.perf_counter() - start < 1.0
    junk = "5." + "1" * 1_000_000
    start = time.perf_counter()
    assert status_code(junk) is None and reply_code(junk) is None
    assert time.perf_counter() - start < 0.1
