"""Every provider rule next to a sample of the reply it matches (tests/data/providers/).

Each line of ``tests/data/providers/<provider key>.jsonl`` is one reply written after the
provider's documented text (example.com addresses, 192.0.2.x addresses), with what
`explain` must answer: ``provider`` (key), ``reason`` and ``class``. The test runs each
line through `bot.core.explain.explain`, as the command line and Slack do, and records
which provider rule decided it: a rule that no sample reaches (shadowed by an earlier
rule, or never written a sample for) fails `test_every_rule_has_a_sample`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core import providers
from bot.core.explain import explain
from bot.core.providers import ProviderRule, all_providers

#: The module, not the function `bot.core` re-exports under the same name.
classify_module = importlib.import_module("bot.core.classify")
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "providers"
_KEYS = {"text", "provider", "reason", "class"}


def _samples() -> list[tuple[str, int, dict[str, Any]]]:
    rows = []
    for path in sorted(SAMPLES.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append((path.stem, number, json.loads(line)))
    return rows


ROWS = _samples()
_NAME = {p.key: p.name for p in all_providers()}


def _rule_ids() -> dict[int, tuple[str, int]]:
    """id() of every built rule's result -> (provider key, index in the data file)."""
    ids = {}
    for provider in all_providers():
        for index, rule in enumerate(providers._rules(provider.key)):
            ids[id(rule.result)] = (provider.key, index)
    return ids


def _spy(real: Any, seen: list[ProviderRule]) -> Any:
    def spy(*args: Any, **kwargs: Any) -> ProviderRule | None:
        rule: ProviderRule | None = real(*args, **kwargs)
        if rule is not None:
            seen.append(rule)
        return rule

    return spy


def _explained(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[ProviderRule]]:
    """The first verdict for `text`, and the provider rules classify got while judging it."""
    seen: list[ProviderRule] = []
    for name in ("provider_rule", "bare_code_rule"):  # a reply's rule; a code asked alone
        monkeypatch.setattr(classify_module, name, _spy(getattr(providers, name), seen))
    report = explain(text)
    assert report.bounce and report.verdicts, text
    return report.verdicts[0], seen


def test_sample_files_are_well_formed() -> None:
    assert ROWS, SAMPLES
    keys = set(_NAME)
    for stem, number, row in ROWS:
        assert set(row) == _KEYS, (stem, number)
        assert row["provider"] in keys, (stem, number)
        assert row["class"] in {"permanent", "transient"}, (stem, number)
        # Documentation addresses only (RFC 2606 domains, RFC 5737 IPv4 ranges).
        assert "@" not in row["text"] or "example." in row["text"], (stem, number)


@pytest.mark.parametrize(
    ("stem", "number", "row"), ROWS, ids=[f"{s}:{n}" for s, n, _ in ROWS]
)
def test_sample_gets_its_provider_reason_and_class(
    stem: str, number: int, row: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    verdict, _ = _explained(row["text"], monkeypatch)
    assert (verdict.provider, verdict.reason, verdict.delivery_class) == (
        _NAME[row["provider"]],
        row["reason"],
        row["class"],
    ), row["text"]


def _reached(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    ids = _rule_ids()
    for _, _, row in ROWS:
        _, seen = _explained(row["text"], monkeypatch)
        for rule in seen:
            yield ids[id(rule)]


def test_every_rule_has_a_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    reached = set(_reached(monkeypatch))
    missing = [
        (provider.key, index, rule.result.title)
        for provider in all_providers()
        for index, rule in enumerate(providers._rules(provider.key))
        if (provider.key, index) not in reached
    ]
    assert not missing, f"{len(missing)} rules no sample reaches: {missing}"


def test_every_rule_names_a_source() -> None:
    for provider in all_providers():
        for rule in providers._rules(provider.key):
            assert rule.result.reference.startswith(("https://", "http://")), rule.result
