"""SMTPBOT_LEASE_SECONDS (how soon another replica takes a dead one's work) and metric labels."""

from __future__ import annotations

import logging

import pytest

from bot import metrics
from bot.slack.dispatcher import LEASE_SECONDS, LEASE_VARIABLE, lease_seconds


def test_the_lease_is_read_from_the_environment() -> None:
    assert lease_seconds({}) == LEASE_SECONDS
    assert lease_seconds({LEASE_VARIABLE: " 3 "}) == 3.0
    assert lease_seconds({LEASE_VARIABLE: "600"}) == 600.0


@pytest.mark.parametrize("raw", ["soon", "0", "1", "-5", "99999", "nan"])
def test_a_malformed_lease_warns_and_keeps_the_default(
    raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert lease_seconds({LEASE_VARIABLE: raw}) == LEASE_SECONDS
    assert LEASE_VARIABLE in caplog.text and repr(raw) in caplog.text


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("not_in_channel", "not_in_channel"),
        ("HTTP_503", "http_503"),
        ("mailbox_full", "mailbox_full"),
        (None, "other"),
        ("alice@example.com", "other"),
        ("T0FAKE C0EMAILOPS", "other"),
        ("example.com", "other"),
        ("x" * 80, "other"),
    ],
)
def test_label_values_look_like_codes_or_become_other(value: object, label: str) -> None:
    assert metrics.label(value) == label
