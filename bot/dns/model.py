"""What the DNS checks found: `Finding` (one fact, quoted, with its meaning) and `Diagnosis`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: ``problem``: the records explain (or may explain) the bounce; ``ok``: this check passed;
#: ``info``: worth knowing, neither; ``unavailable``: DNS did not answer, nothing is known.
Severity = Literal["problem", "ok", "info", "unavailable"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One checked fact: which check, about what, the record quoted, what it means here."""

    check: str  # spf, dkim, dmarc, ptr, dnsbl, mx, mta-sts, tls-rpt
    subject: str  # the domain or IP checked (and the list, for a DNSBL)
    severity: Severity
    fact: str  # what DNS says, one sentence
    meaning: str  # what that means for this bounce, one or two sentences
    record: str | None = None  # the record as published (quoted verbatim)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "subject": self.subject,
            "severity": self.severity,
            "fact": self.fact,
            "meaning": self.meaning,
            "record": self.record,
        }


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Every finding for one answer, and how the lookups went."""

    findings: tuple[Finding, ...] = ()
    #: Sentences about the run itself: DNS off, nothing to check, budget spent.
    notes: tuple[str, ...] = ()
    #: What the input names that DNS may be asked about, by kind (``ip``, ``domain``,
    #: ``dkim``, ``recipient_domain``, ``list``); only these (and names their records
    #: point to) are queried.
    checked: dict[str, list[str]] = field(default_factory=dict)
    queries: int = 0
    #: False when DNS failed or the budget ran out before every check was done.
    complete: bool = True
    enabled: bool = True

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "problem")

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "complete": self.complete,
            "queries": self.queries,
            "checked": {k: list(v) for k, v in self.checked.items()},
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
        }


#: What every entry point answers when SMTPBOT_DNS=off: no query was made.
DNS_OFF = Diagnosis(notes=("DNS checks are off (SMTPBOT_DNS=off).",), enabled=False)
