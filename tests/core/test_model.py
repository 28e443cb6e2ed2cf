"""The result types behave as values: field-wise equality, a readable repr, fresh lists.

They are plain classes (compiled with mypyc, see bot/core/model.py), so none of this
comes for free from a dataclass decorator.
"""

from __future__ import annotations

import pytest

from bot.core.model import Evidence, OriginalMessage, Report, Verdict


def test_equality_is_by_value_and_by_type() -> None:
    one = Verdict(title="t", explanation="e", reason="userunknown", actions=["a"])
    assert one == Verdict(title="t", explanation="e", reason="userunknown", actions=["a"])
    assert one != Verdict(title="t", explanation="e", reason="mailboxfull", actions=["a"])
    assert Evidence(recipient="a@example.com") != Evidence(recipient="b@example.com")
    assert Evidence() != OriginalMessage()
    assert Report(bounce=True, verdicts=[one]) == Report(bounce=True, verdicts=[one])


def test_values_are_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(Evidence())


def test_repr_names_every_field() -> None:
    text = repr(OriginalMessage(message_id="<1@x>", subject="Hi"))
    assert text == "OriginalMessage(message_id='<1@x>', subject='Hi', sender=None)"


def test_default_lists_are_not_shared() -> None:
    first, second = Report(bounce=False), Report(bounce=False)
    first.notices.append("cut")
    first.verdicts.append(Verdict(title="t", explanation="e"))
    assert second.notices == [] and second.verdicts == []
    one, two = Verdict(title="t", explanation="e"), Verdict(title="t", explanation="e")
    one.actions.append("x")
    one.references.append("y")
    assert two.actions == [] and two.references == []
