"""`scan.detect` asks sniffs lazily but parses in the documented order.

The order (`bot.core.mail.detector`): every detector whose sniff says yes (below
`LAST_RESORT`), in detector order, then every other detector in order that has
``body_markers`` or is a last resort whose sniff says yes; the first parse with evidence
wins. `detect` parses a sniffed detector as soon as its sniff says yes and skips the
sniffs after a winner; this test holds it to the plain algorithm (all sniffs first) on
generated detectors. A detector's exception fails the scan under `STRICT` (as in every
test), so the generated detectors here never raise; `test_mail_robustness` covers that.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.mail.detector import Parsed
from bot.core.mail.formats import detectors
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

#: The module (``bot.core.scan`` as an attribute is the function of that name).
scan_module = importlib.import_module("bot.core.scan")


@dataclass
class Fake:
    name: str
    order: int
    sniffs: str  # "yes" or "no"
    parses: str  # "evidence", "empty" or "none"
    body_markers: bool
    log: list[str] = field(default_factory=list)

    def sniff(self, msg: BounceMessage) -> bool:
        return self.sniffs == "yes"

    def parse(self, msg: BounceMessage) -> Parsed | None:
        self.log.append(self.name)
        if self.parses == "none":
            return None
        evidence = [Evidence(recipient="a@example.com")] if self.parses == "evidence" else []
        return Parsed(evidence=evidence)


def _reference(fakes: list[Fake], last_resort: int) -> tuple[str | None, list[str]]:
    """The plain algorithm: every sniff first, then the parses in order."""
    sniffed = []
    for fake in fakes:
        if fake.order < last_resort and fake.sniffs == "yes":
            sniffed.append(fake)
    later = [
        fake
        for fake in fakes
        if fake not in sniffed
        and (fake.body_markers or (fake.order >= last_resort and fake.sniffs == "yes"))
    ]
    order = sniffed + later
    log = []
    for fake in order:
        log.append(fake.name)
        if fake.parses == "evidence":
            return fake.name, log
    return None, log


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([100, 300, 700, 900, 950]),
            st.sampled_from(["yes", "no"]),
            st.sampled_from(["evidence", "empty", "none"]),
            st.booleans(),
        ),
        max_size=7,
    )
)
def test_parses_run_in_the_documented_order(
    specs: list[tuple[int, str, str, bool]],
) -> None:
    module = scan_module
    log: list[str] = []
    fakes = [
        Fake(f"d{index}", order, sniffs, parses, markers, log)
        for index, (order, sniffs, parses, markers) in enumerate(specs)
    ]
    fakes.sort(key=lambda fake: (fake.order, fake.name))
    every = tuple(fakes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "detectors", lambda: every)
        found = module.detect(BounceMessage(b"Subject: x\n\nbody\n"))
    expected_name, expected_log = _reference(fakes, module.LAST_RESORT)
    assert (found[0] if found else None) == expected_name
    assert log == expected_log


def test_no_two_detectors_share_an_order() -> None:
    """Ties would leave the order to the names: each detector has its own place."""
    orders = [detector.order for detector in detectors()]
    assert len(orders) == len(set(orders)), sorted(orders)

