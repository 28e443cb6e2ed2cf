"""The result types behave as values: compared field by field, verdicts read-only, lists fresh."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.core.model import Evidence, OriginalMessage, Report, Verdict


def test_equality_is_by_value() -> None:
    one = Verdict(title="t", explanation="e", reason="userunknown", actions=["a"])
    assert one == Verdict(title="t", explanation="e", reason="userunknown", actions=["a"])
    assert one != Verdict(title="t", explanation="e", reason="mailboxfull", actions=["a"])
    assert Evidence(recipient="a@example.com") != Evidence(recipient="b@example.com")


def test_verdicts_and_reports_are_read_only() -> None:
    verdict = Verdict(title="t", explanation="e")
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.reason = "blocked"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Report(bounce=True).bounce = False  # type: ignore[misc]


def test_default_lists_are_not_shared() -> None:
    first, second = Report(bounce=False), Report(bounce=False)
    first.notices.append("cut")
    first.verdicts.append(Verdict(title="t", explanation="e"))
    assert second.notices == [] and second.verdicts == []


def test_to_dict_is_the_json_contract() -> None:
    verdict = Verdict(title="t", explanation="e", delivery_class="permanent", actions=["a"])
    report = Report(bounce=True, verdicts=[verdict], original=OriginalMessage(sender="s@x"),
                    notices=["told to people, not data"])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["bounce"] is True
    assert data["verdicts"][0]["class"] == "permanent"
    assert data["verdicts"][0]["actions"] == ["a"]
    assert data["original"] == {"message_id": None, "subject": None, "from": "s@x"}
    assert "notices" not in data
