"""Answer audit: read every answer to the inputs in tests/data/audit/ and check it says one
coherent thing (issue 10).

The inputs (reply lines from many providers, bare codes, log lines, whole reports) were
written from the providers' own documentation, not from ../shared. Each says what a
deliverability engineer reads in it (reason, class; the provider where the text names it).

Strict, for every answer:
- no sentence contradicts the verdict's fields (retry false beside "without anyone changing
  anything", a permanent failure that "resets by itself", a transient one that "will fail
  the same way", a delay warning that does not say the message is still queued …);
- no off-topic reference (an RFC cited only because it also mentions the reply code:
  ETRN, CHUNKING, MT-PRIORITY, SMTPUTF8, null MX on an unknown recipient …);
- steps that fit: no delisting advice on a rate limit, no other provider's tools, no
  "ask the recipient's administrator" for a consumer mailbox;
- the provider named (field and text) where the input makes it clear.

Measured, with a floor: agreement of reason and class with the data file (printed with
``-s``; a miss is the classifier's, listed, not hidden).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.core.classify import action_topics, outcome
from bot.core.codes import status_code
from bot.core.explain import explain
from bot.core.model import Verdict

AUDIT = Path(__file__).resolve().parents[1] / "data" / "audit"
AGREEMENT_FLOOR = 0.90


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(AUDIT.glob("*.toml")):
        for n, case in enumerate(tomllib.loads(path.read_text(encoding="utf-8"))["case"]):
            cases.append({"id": f"{path.stem}-{n + 1}", **case})
    return cases


CASES = _cases()


def _answers() -> list[tuple[dict[str, Any], Verdict | None]]:
    out: list[tuple[dict[str, Any], Verdict | None]] = []
    for case in CASES:
        report = explain(case["text"].strip())
        verdicts = report.verdicts
        if "recipient" in case:
            verdicts = [v for v in verdicts if v.recipient == case["recipient"]] or verdicts
        out.append((case, verdicts[0] if verdicts else None))
    return out


ANSWERS = _answers()


def _text(verdict: Verdict) -> str:
    """Everything the answer tells a person, in one string."""
    return " ".join(
        [verdict.title, verdict.explanation, outcome(verdict) or "", *verdict.actions]
    )


# --- sentences that contradict the fields -------------------------------------------------

#: (field test, phrases that must not appear when it holds, what the rule is)
_CONTRADICTIONS: list[tuple[Any, tuple[str, ...], str]] = [
    (
        lambda v: v.retry is False,
        ("without anyone changing anything", "resets by itself", "clears by itself",
         "limit resets", "passes by itself"),
        "retry is false, so nothing heals by waiting alone",
    ),
    (
        lambda v: v.retry is True,
        ("will fail the same way", "do not resend unchanged", "retrying will not succeed"),
        "retry is true, so resending later can pass",
    ),
    (
        lambda v: v.delivery_class == "transient",
        ("failed permanently", "will fail the same way", "refused for good",
         "returned the message"),
        "the failure is temporary",
    ),
    (
        lambda v: v.delivery_class == "permanent",
        ("retries on its own", "the failure is temporary", "still queued",
         "nothing needs resending"),
        "the failure is permanent: nothing retries it",
    ),
    (
        lambda v: v.delivery_class == "success",
        ("failed permanently", "will fail the same way", "refusal is temporary"),
        "the message was accepted",
    ),
    (
        lambda v: v.reason in ("badreputation", "blocked", "spamdetected", "authfailure"),
        ("resets by itself", "clears by itself"),
        "a reputation or listing block does not reset by itself",
    ),
]


@pytest.mark.parametrize(("case", "verdict"), ANSWERS, ids=[c["id"] for c in CASES])
def test_no_sentence_contradicts_the_verdict(case: dict[str, Any], verdict: Verdict) -> None:
    assert verdict is not None, f"no answer for {case['text'][:80]!r}"
    text = _text(verdict).lower()
    for holds, phrases, rule in _CONTRADICTIONS:
        if holds(verdict):
            for phrase in phrases:
                assert phrase not in text, f"{rule}, yet the answer says {phrase!r}:\n{text}"
    if verdict.delivery_class == "transient" and verdict.action == "delayed":
        assert "still queued" in text, "a delay warning must say the message is still queued"
    if verdict.delivery_class == "permanent" and verdict.reason == "expired":
        assert "gave up" in text or "returned" in text, text


# --- references ---------------------------------------------------------------------------

_RFC = re.compile(r"rfc-editor\.org/rfc/rfc(\d+)|datatracker\.ietf\.org/doc/html/([\w-]+)")
#: Always on topic: the status code system, the reply code list, the registry.
_BASE = {"3463", "5321", "5248"}
#: RFCs that explain a reason's case.
_BY_REASON: dict[str, set[str]] = {
    "authfailure": {"7208", "6376", "7489", "7372", "8617"},
    "requireptr": {"7372"},
    "securityerror": {"4954", "3207"},
    "failedstarttls": {"3207", "8689", "8461"},
    "notaccept": {"7505", "7504"},
    "emailtoolarge": {"1870"},
    "notcompliantrfc": {"5322"},
    "contenterror": {"6531", "5322"},
    "blocked": {"6647", "5782"},  # greylisting reports blocked
    "spamdetected": {"draft-levine-mailbomb-header-00"},
    "hasmoved": {"7293"},
}
#: Cited only because they mention a reply code: never on a bounce answer.
_NEVER = {"1985", "2645", "3030", "1845", "6710"}


#: Reasons close enough that the registry's meaning of a code for one fits the other.
_KIN = (
    {"blocked", "badreputation", "spamdetected", "ratelimited", "policyviolation"},
    {"userunknown", "filtered", "rejected"},
    {"authfailure", "securityerror", "requireptr"},
)


def _defining(verdict: Verdict) -> set[str]:
    """The RFC defining the enhanced code, when the code is used in its registry meaning
    (not Microsoft's 5.1.10 for an unknown recipient, whose registry meaning is null MX)."""
    if not verdict.status:
        return set()
    st = status_code(verdict.status)
    if st is None:
        return set()
    if st.reason and verdict.reason and st.reason != verdict.reason and not any(
        st.reason in kin and verdict.reason in kin for kin in _KIN
    ):
        return set()
    found: set[str] = set()
    for ref in st.references:
        m = _RFC.search(ref)
        if m:
            found.add(m.group(1) or m.group(2))
    return found


@pytest.mark.parametrize(("case", "verdict"), ANSWERS, ids=[c["id"] for c in CASES])
def test_every_reference_explains_the_case(case: dict[str, Any], verdict: Verdict) -> None:
    assert verdict is not None
    allowed = _BASE | _BY_REASON.get(verdict.reason or "", set()) | _defining(verdict)
    if verdict.reason is None:  # a bare code: its own definitions
        allowed |= {"3207", "4954", "7504", "7505", "1870"}
    for ref in verdict.references:
        m = _RFC.search(ref)
        if m is None:
            continue  # a provider's or blocklist's own page
        rfc = m.group(1) or m.group(2)
        assert rfc not in _NEVER, f"off-topic reference {ref} on {case['text'][:80]!r}"
        assert rfc in allowed, (
            f"reference {ref} does not explain a {verdict.reason} answer "
            f"({verdict.replycode} {verdict.status}): {case['text'][:80]!r}"
        )


# --- steps --------------------------------------------------------------------------------

#: Tools that belong to one provider: named on another provider's answer, they mislead.
_TOOLS = {
    "google postmaster tools": "Google",
    "snds": "Microsoft|Outlook",
    "sender.office.com": "Microsoft|Outlook",
    "yahoo cfl": "Yahoo",
    "yahoo sender hub": "Yahoo",
}
_CONSUMER = re.compile(
    r"@(gmail|googlemail|yahoo|ymail|aol|outlook|hotmail|live|icloud|me|gmx|web|mail|yandex"
    r"|qq|comcast)\.", re.IGNORECASE,
)


@pytest.mark.parametrize(("case", "verdict"), ANSWERS, ids=[c["id"] for c in CASES])
def test_steps_fit_the_case(case: dict[str, Any], verdict: Verdict) -> None:
    assert verdict is not None
    topics = set().union(*(action_topics(a) for a in verdict.actions)) if verdict.actions else set()
    if verdict.reason == "ratelimited":
        assert "blocklist" not in topics, f"delisting advice on a rate limit: {verdict.actions}"
    said = " ".join(verdict.actions).lower()
    for tool, owner in _TOOLS.items():
        if tool in said:
            provider = (verdict.provider or "").lower()
            assert any(name in provider for name in owner.lower().split("|")), (
                f"{tool!r} on an answer from {verdict.provider}: {verdict.actions}"
            )
    if verdict.recipient and _CONSUMER.search(verdict.recipient):
        assert "recipient_admin" not in topics, verdict.actions


# --- provider named -----------------------------------------------------------------------

_WITH_PROVIDER = [(c, v) for c, v in ANSWERS if "provider" in c]


@pytest.mark.parametrize(
    ("case", "verdict"), _WITH_PROVIDER, ids=[c["id"] for c, _ in _WITH_PROVIDER]
)
def test_provider_is_named_where_the_text_makes_it_clear(
    case: dict[str, Any], verdict: Verdict
) -> None:
    assert verdict is not None
    names = case["provider"].lower().split("|")
    assert verdict.provider and any(n in verdict.provider.lower() for n in names), (
        f"expected {case['provider']}, got {verdict.provider}: {case['text'][:80]!r}"
    )
    assert verdict.provider in verdict.explanation


# --- agreement with the data file -----------------------------------------------------------


def test_there_are_enough_inputs() -> None:
    assert len(CASES) >= 100
    kinds = {c["id"].split("-")[0] for c in CASES}
    assert kinds == {"lines", "reports"}


def test_reason_class_and_retry_agree_with_the_data_file() -> None:
    checked = agreed = 0
    misses: list[str] = []
    for case, verdict in ANSWERS:
        for field, got in (
            ("reason", verdict.reason if verdict else None),
            ("class", verdict.delivery_class if verdict else None),
            ("retry", verdict.retry if verdict else None),
            ("recipient", verdict.recipient if verdict else None),
        ):
            if field not in case:
                continue
            checked += 1
            if got == case[field]:
                agreed += 1
            else:
                misses.append(f"  {case['id']} {field}: {case[field]} -> {got}: "
                              f"{case['text'].strip()[:90]!r}")
    share = agreed / checked
    print(f"\naudit: {len(CASES)} inputs, {checked} expectations, agreement {share:.1%}")
    print("\n".join(misses))
    assert share >= AGREEMENT_FLOOR, "\n".join(misses)
