"""scan(raw): one whole email in, one `Report` out, with a verdict per recipient.

The message is parsed once (stdlib ``compat32`` policy, lazily decoded by
`BounceMessage`). Detectors whose cheap ``sniff`` accepts the message are asked
first, in ``order``; then every other detector, so that a report with unusual
headers is still read. The first detector returning evidence wins. A detector
that raises counts as "not this format": `scan` never raises.

Order convention for detectors: vendor/MTA-specific 100-599, ARF 600,
RFC 3464 700, RFC 3834 800, the plain-text fallback 900. Detectors at
`LAST_RESORT` or beyond are never promoted by their sniff: they run after every
other detector has declined.

At most `MAX_RECIPIENTS` verdicts are reported for one message, whichever format read
it; the report's `notices` say how many more recipients were left out. A parser may
stop reading at that many recipients itself, so a report of exactly `MAX_RECIPIENTS`
says there may be more.
"""

from __future__ import annotations

from bot.core.classify import classify
from bot.core.limits import MAX_RECIPIENTS, left_out
from bot.core.mail.common import original_from_headers, split_returned
from bot.core.mail.detector import Detector, Parsed
from bot.core.mail.formats import detectors
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence, OriginalMessage, Report, Verdict

#: Detectors with this order or higher only run after all others declined.
LAST_RESORT = 900


def scan(raw: bytes) -> Report:
    """Read one whole email (headers and body, as bytes) into a per-recipient report.

    ``bounce`` is false and there are no verdicts when no format recognises the
    message as a delivery report, auto-reply or feedback report.
    """
    try:
        msg = BounceMessage(raw)
    except Exception:  # the stdlib parser is forgiving, but never trust it fully
        return Report(bounce=False)
    return scan_message(msg)


def scan_message(msg: BounceMessage) -> Report:
    """`scan` for an already parsed message."""
    found = detect(msg)
    if found is None:
        return Report(bounce=False)
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
    verdicts = [_judge(ev) for ev in evidence]
    original = parsed.original or _original(msg)
    return Report(
        bounce=True, verdicts=verdicts, original=original, source_format=name, notices=notices
    )


def warm_up() -> None:
    """Load every detector now (forked workers then share them) rather than on first use."""
    detectors()


def detect(msg: BounceMessage) -> tuple[str, Parsed] | None:
    """The first detector's name and evidence, sniffed ones first; None when none matched.

    Each sniffed detector parses as soon as its sniff says yes: the parses run in the
    same order as if every sniff were asked first, and the sniffs after the one that
    reads the message (most of the 40, usually) are never asked.
    """
    tried: set[int] = set()
    for detector in _sniffing():
        try:
            promoted = detector.sniff(msg)
        except Exception:
            continue
        if promoted:
            tried.add(id(detector))
            found = _parse(detector, msg)
            if found is not None:
                return found
    for detector in detectors():
        if id(detector) not in tried:
            found = _parse(detector, msg)
            if found is not None:
                return found
    return None


#: `detectors()` as last seen, and those of them whose sniff may promote them.
_SNIFFING: list[tuple[Detector, ...]] = [(), ()]


def _sniffing() -> tuple[Detector, ...]:
    """The detectors whose sniff may promote them (all but the last resorts), in order.

    Worked out again only when `detectors()` gives another tuple (a test's stand-in).
    """
    every = detectors()
    if _SNIFFING[0] is not every:
        _SNIFFING[:] = [every, tuple(d for d in every if d.order < LAST_RESORT)]
    return _SNIFFING[1]


def _parse(detector: Detector, msg: BounceMessage) -> tuple[str, Parsed] | None:
    try:
        parsed = detector.parse(msg)
    except Exception:  # a broken format module must not break the scan
        return None
    if parsed is not None and parsed.evidence:
        return detector.name, parsed
    return None


def _judge(evidence: Evidence) -> Verdict:
    """Classify, falling back to the bare evidence if the classifier fails on it."""
    try:
        return classify(evidence, whole_report=True)
    except Exception:
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


def _original(msg: BounceMessage) -> OriginalMessage | None:
    """What the bounce tells of the original message: attached part first, else the body."""
    try:
        returned = msg.returned
        if returned:
            found = original_from_headers(returned)
            if found is not None:
                return found
        _, tail = split_returned(msg.body)
        return original_from_headers(tail) if tail else None
    except Exception:
        return None
