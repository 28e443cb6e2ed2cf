"""Floors on the held-out set (tests/data/unseen): text the rules were not written from.

The floors sit just under what the classifier reaches; benchmarks/unseen_vs_sisimai.py
prints the same figures beside Sisimai 4.25's. A drop means a change broke reading of
formats or replies no rule was fitted to; fix the class of problem, not the sample.
"""

from __future__ import annotations

import pytest
import unseen_eval as ue


@pytest.fixture(scope="module")
def emails() -> ue.Tally:
    return ue.smtpbot_emails()


@pytest.fixture(scope="module")
def lines() -> ue.Tally:
    return ue.smtpbot_lines()


def test_the_set_is_big_enough() -> None:
    assert len(ue.email_cases()) >= 60
    assert len(ue.line_cases()) >= 150


def test_every_email_has_its_expectations() -> None:
    for path, expected in ue.email_cases():
        assert expected, path.name
        for item in expected:
            assert {"address", "reason", "class"} <= set(item), path.name


def test_recipients_found(emails: ue.Tally) -> None:
    assert emails.share("found") >= 99.0, emails.misses


def test_one_record_per_recipient_and_no_phantoms(emails: ue.Tally) -> None:
    assert emails.duplicates == 0, emails.misses
    assert emails.phantom_share() <= 1.0, emails.misses


def test_email_reason_and_class(emails: ue.Tally) -> None:
    assert emails.share("reason") >= 93.0, emails.misses
    assert emails.share("delivery_class") >= 97.0, emails.misses
    assert emails.share("hardbounce") >= 94.5, emails.misses


def test_reply_line_reason_and_class(lines: ue.Tally) -> None:
    assert lines.share("reason") >= 90.5, lines.misses
    assert lines.share("delivery_class") >= 99.5, lines.misses


def test_no_held_out_answer_contradicts_itself() -> None:
    """The answer audit's contradiction rules hold on every held-out answer too."""
    from test_answer_audit import _CONTRADICTIONS, _text

    from bot.core.explain import explain
    from bot.core.scan import scan

    verdicts = [v for case in ue.line_cases() for v in explain(case["text"]).verdicts[:1]]
    for path, _ in ue.email_cases():
        verdicts.extend(scan(path.read_bytes()).verdicts)
    assert len(verdicts) >= 350
    for verdict in verdicts:
        text = _text(verdict).lower()
        for holds, phrases, rule in _CONTRADICTIONS:
            if holds(verdict):
                for phrase in phrases:
                    assert phrase not in text, f"{rule}, yet the answer says {phrase!r}:\n{text}"
        if verdict.delivery_class == "transient" and verdict.action == "delayed":
            assert "still queued" in text, text
