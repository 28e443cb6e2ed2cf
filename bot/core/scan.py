"""scan(raw): one whole email in, one `Report` out, with a verdict per recipient.

The message is parsed once (stdlib ``compat32`` tree, lazily decoded by
`BounceMessage`), then read by the detectors in two passes (see
`bot.core.mail.detector` for the protocol and the order convention):

1. every detector below `LAST_RESORT` whose ``sniff`` says yes, in order;
2. every detector not tried yet, in order, whose format shows in the text alone
   (``body_markers``) or whose ``sniff`` says yes (the last resorts are sniffed here).

The first detector returning evidence wins.

An exception inside the MIME reader, a detector or the classifier is a bug. With
`STRICT` set (the test suite sets it) it propagates, so the test fails. Otherwise it
is logged at ERROR with the part that failed, the report's ``notices`` name that part,
and the other detectors still get their turn: a bug costs at most this one reading,
never the whole scan, and never silently.

At most `MAX_RECIPIENTS` verdicts are reported for one message, whichever format read
it; the report's `notices` say how many more recipients were left out. A parser may
stop reading at that many recipients itself, so a report of exactly `MAX_RECIPIENTS`
says there may be more.
"""

from __future__ import annotations

import logging
import traceback

from bot.core.classify import classify
from bot.core.limits import MAX_RECIPIENTS, left_out
from bot.core.mail.common import original_from_headers, split_returned
from bot.core.mail.detector import LAST_RESORT, Detector, Parsed
from bot.core.mail.formats import detectors
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence, OriginalMessage, Report, Verdict

__all__ = ["LAST_RESORT", "STRICT", "detect", "read_with", "scan", "scan_message", "warm_up"]

#: Raise a bug (an exception inside a detector, the classifier or the MIME reader)
#: instead of logging it and noting it in the report. The test suite turns this on.
STRICT = False

_log = logging.getLogger(__name__)


class _Failures:
    """The parts that failed while one message was read, for the report's notices."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, part: str, exc: Exception) -> None:
        """Raise `exc` under `STRICT`; otherwise log it and keep the part's name."""
        if STRICT:
            raise exc
        # Where it failed, not the exception's text: that may quote the message.
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        place = f" at {where.filename}:{where.lineno}" if where is not None else ""
        _log.error("bug: %s raised %s%s", part, type(exc).__name__, place)
        _log.debug("%s failed", part, exc_info=exc)
        self.parts.append(part)

    def notices(self) -> list[str]:
        return [
            f"The {part} failed on this message (a bug, logged); the answer may be incomplete."
            for part in self.parts
        ]


def scan(raw: bytes) -> Report:
    """Read one whole email (headers and body, as bytes) into a per-recipient report.

    ``bounce`` is false and there are no verdicts when no format recognises the
    message as a delivery report, auto-reply or feedback report.
    """
    try:
        msg = BounceMessage(raw)
    except Exception as exc:
        failures = _Failures()
        failures.add("MIME reader", exc)
        return Report(bounce=False, notices=failures.notices())
    return scan_message(msg)


def scan_message(msg: BounceMessage) -> Report:
    """`scan` for an already parsed message."""
    failures = _Failures()
    found = _detect(msg, failures)
    if found is None:
        return Report(bounce=False, notices=failures.notices())
    name, parsed = found
    evidence = parsed.evidence
    notices = []
    if len(evidence) > MAX_RECIPIENTS:
        more = len(evidence) - MAX_RECIPIENTS
        notices.append(left_out(MAX_RECIPIENTS, "recipients", more, "MAX_RECIPIENTS"))
        evidence = evidence[:MAX_RECIPIENTS]
    elif len(evidence) == MAX_RECIPIENTS:
        # Some parsers stop reading at this many themselves: there may have been more.
        notices.append(
            f"{MAX_RECIPIENTS:,} recipients are reported, as many as the limit allows "
            "(MAX_RECIPIENTS); the message may name more."
        )
    verdicts = [_judge(ev, failures) for ev in evidence]
    original = parsed.original or _original(msg, failures)
    return Report(
        bounce=True,
        verdicts=verdicts,
        original=original,
        source_format=name,
        notices=failures.notices() + notices,
    )


def warm_up() -> None:
    """Load every detector now (forked workers then share them) rather than on first use."""
    detectors()


def detect(msg: BounceMessage) -> tuple[str, Parsed] | None:
    """The name and evidence of the detector that reads `msg`; None when none does."""
    return _detect(msg, _Failures())


def read_with(detector: Detector, msg: BounceMessage) -> Parsed | None:
    """One detector's reading of `msg` as `detect` would ask it, whatever the others say."""
    if detector.body_markers or detector.sniff(msg):
        return detector.parse(msg)
    return None


def _detect(msg: BounceMessage, failures: _Failures) -> tuple[str, Parsed] | None:
    """`detect`, noting failed detectors in `failures`.

    A sniffed detector parses as soon as its sniff says yes, so the sniffs after the
    one that reads the message (most of them, usually) are never asked.
    """
    every = detectors()
    tried: set[str] = set()
    for detector in every:
        if detector.order >= LAST_RESORT:
            break
        if _sniff(detector, msg, failures):
            tried.add(detector.name)
            found = _parse(detector, msg, failures)
            if found is not None:
                return found
    for detector in every:
        if detector.name in tried:
            continue
        if detector.body_markers or (
            detector.order >= LAST_RESORT and _sniff(detector, msg, failures)
        ):
            found = _parse(detector, msg, failures)
            if found is not None:
                return found
    return None


def _sniff(detector: Detector, msg: BounceMessage, failures: _Failures) -> bool:
    try:
        return detector.sniff(msg)
    except Exception as exc:
        failures.add(f"{detector.name} detector", exc)
        return False


def _parse(
    detector: Detector, msg: BounceMessage, failures: _Failures
) -> tuple[str, Parsed] | None:
    try:
        parsed = detector.parse(msg)
    except Exception as exc:
        failures.add(f"{detector.name} detector", exc)
        return None
    if parsed is not None and parsed.evidence:
        return detector.name, parsed
    return None


def _judge(evidence: Evidence, failures: _Failures) -> Verdict:
    """Classify; a failing classifier still leaves the bare evidence to report."""
    try:
        return classify(evidence, whole_report=True)
    except Exception as exc:
        failures.add("classifier", exc)
        return Verdict(
            title="Delivery report",
            explanation="",
            recipient=evidence.recipient,
            replycode=evidence.replycode,
            status=evidence.status,
            reason=evidence.reason,
            diagnostic=evidence.diagnostic,
            remote_mta=evidence.remote_mta,
            action=evidence.action,
            feedback_type=evidence.feedback_type,
        )


def _original(msg: BounceMessage, failures: _Failures) -> OriginalMessage | None:
    """What the bounce tells of the original message: attached part first, else the body."""
    try:
        returned = msg.returned
        if returned:
            found = original_from_headers(returned)
            if found is not None:
                return found
        _, tail = split_returned(msg.body)
        return original_from_headers(tail) if tail else None
    except Exception as exc:
        failures.add("returned-message reader", exc)
        return None
