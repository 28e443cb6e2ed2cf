"""Which checks a bounce calls for, run within one answer's DNS budget.

By what the verdicts say (reason, status code, words of the reply):

- authentication (``authfailure``, 5.7.20-5.7.26, SPF/DKIM/DMARC in the reply): SPF of
  the Return-Path (else From) domain for the sending IP, the DKIM key of each signature,
  DMARC of the From domain with alignment;
- reverse DNS (``requireptr``, 5.7.25, "reverse DNS", "PTR" in the reply), and any
  block without a named list: PTR and forward confirmation of the sending IP;
- a blocklist named in the reply: that list's answer for the sending IP;
- no such domain or mail host (``hostunknown``, ``notaccept``, 5.1.2, 5.1.10, 5.4.4,
  "null MX"): MX / null MX / A-AAAA fallback of the recipient domain; a sender domain
  refused (5.7.27, 5.1.8, "sender domain"): the same for the sending domain;
- TLS (``failedstarttls``, 5.7.10, 4.7.5, STARTTLS/MTA-STS/certificate in the reply):
  MTA-STS and TLS-RPT of the recipient domain.

Checks run in that order of relevance; when the budget is spent, the rest are listed as
not done. Nothing here changes a verdict.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from bot.core.model import Report
from bot.dns import dkim, dmarc, dnsbl, mtasts, mx, ptr, spf
from bot.dns.model import DNS_OFF, Diagnosis, Finding
from bot.dns.resolver import Lookup, Resolver, TtlCache
from bot.dns.settings import DnsSettings
from bot.dns.targets import Targets, find_targets

AUTH_REASONS = frozenset({"authfailure"})
AUTH_STATUSES = frozenset({f"5.7.{n}" for n in range(20, 27)} | {"4.7.26", "4.7.27"})
AUTH_WORDS = (
    "spf",
    "dkim",
    "dmarc",
    "unauthenticated",
    "not authenticated",
    "authentication level",
    "sender policy framework",
)
PTR_REASONS = frozenset({"requireptr"})
PTR_STATUSES = frozenset({"5.7.25", "4.7.25"})
PTR_WORDS = (
    "reverse dns",
    "reverse-dns",
    "rdns",
    "ptr record",
    "no ptr",
    "ptr lookup",
    "reverse lookup",
    "reverse hostname",
    "find your hostname",
    "fcrdns",
)
BLOCK_REASONS = frozenset({"blocked", "badreputation", "spamdetected"})
MX_REASONS = frozenset({"hostunknown", "notaccept"})
MX_STATUSES = frozenset({"5.1.2", "5.1.10", "4.1.2", "5.4.4", "4.4.4"})
MX_WORDS = (
    "null mx",
    "host not found",
    "domain not found",
    "no mx",
    "host or domain name not found",
    "name or service not known",
    "nxdomain",
    "no such domain",
)
SENDER_STATUSES = frozenset({"5.7.27", "5.1.8", "4.1.8"})
SENDER_WORDS = ("sender address rejected: domain not found", "sender domain", "null mx")
TLS_REASONS = frozenset({"failedstarttls"})
TLS_STATUSES = frozenset({"5.7.10", "4.7.5", "5.7.5", "4.7.10"})
TLS_WORDS = ("starttls", "tls", "mta-sts", "certificate", "encryption")

#: DKIM signatures checked for one answer at most.
MAX_SIGNATURES = 3


@dataclass(frozen=True, slots=True)
class _Check:
    label: str  # what it checks, for "not checked" notes
    run: Callable[[Lookup], Finding | list[Finding]]


def diagnose(
    report: Report,
    raw: str | bytes | None,
    settings: DnsSettings,
    *,
    cache: TtlCache | None = None,
    resolver: Resolver | None = None,
) -> Diagnosis:
    """Live DNS findings for `report` (its bounce `raw`, when there is one) within the budget."""
    if not settings.enabled:
        return DNS_OFF
    if not report.bounce:
        return Diagnosis(notes=("Not a bounce: nothing to look up in DNS.",))
    targets = find_targets(report, raw)
    diagnosis = run(plan(targets), settings, checked(targets), cache=cache, resolver=resolver)
    missing = unanswerable(targets)
    if missing:
        diagnosis = replace(diagnosis, notes=(*diagnosis.notes, *missing))
    return diagnosis


def check_domain(
    domain: str,
    ip: str | None,
    selectors: tuple[str, ...],
    settings: DnsSettings,
    *,
    cache: TtlCache | None = None,
    resolver: Resolver | None = None,
) -> Diagnosis:
    """Every check for a domain and (optionally) an IP: what ``smtpbot check`` runs."""
    if not settings.enabled:
        return DNS_OFF
    checks = [_Check(f"SPF of {domain}", partial(_spf, domain=domain, ip=ip))]
    checks += [
        _Check(f"DKIM key {s}._domainkey.{domain}", partial(dkim.check, domain=domain, selector=s))
        for s in selectors
    ]
    checks.append(_Check(f"DMARC of {domain}", partial(dmarc.check, from_domain=domain)))
    checks.append(_Check(f"MX of {domain}", partial(mx.check, domain=domain, bounce=False)))
    checks.append(_Check(f"MTA-STS of {domain}", partial(mtasts.check, domain=domain)))
    if ip is not None:
        checks.append(_Check(f"reverse DNS of {ip}", partial(ptr.check, ip=ip)))
        checks += [_dnsbl_check(ip, zone) for zone in dnsbl.COMMON]
    seen = {"domain": [domain], "dkim": [f"{s}._domainkey.{domain}" for s in selectors]}
    if ip is not None:
        seen.update(ip=[ip], list=list(dnsbl.COMMON))
    return run(
        checks, settings, {k: v for k, v in seen.items() if v}, cache=cache, resolver=resolver
    )


def run(
    checks: list[_Check],
    settings: DnsSettings,
    what: dict[str, list[str]],
    *,
    cache: TtlCache | None = None,
    resolver: Resolver | None = None,
) -> Diagnosis:
    if not checks:
        note = "No DNS check applies." if what else "The input names no domain or IP to look up."
        return Diagnosis(notes=(note,), checked=what)
    lookup = Lookup(settings, resolver=resolver, cache=cache)
    findings: list[Finding] = []
    skipped: list[str] = []
    for check in checks:
        if lookup.exhausted():
            skipped.append(check.label)
            continue
        found = check.run(lookup)
        findings.extend(found if isinstance(found, list) else [found])
    notes = []
    if skipped:
        notes.append(
            f"Not checked, the DNS budget ({settings.budget:g} s, {settings.max_queries} queries) "
            f"being spent: {'; '.join(skipped)}."
        )
    failed = any(f.severity == "unavailable" for f in findings)
    if failed:
        notes.append("Some DNS lookups failed (said above); the verdict does not depend on them.")
    return Diagnosis(
        findings=tuple(findings),
        notes=tuple(notes),
        checked=what,
        queries=lookup.sent,
        complete=not skipped and not failed,
    )


def plan(targets: Targets) -> list[_Check]:
    """The checks `targets` call for, most telling first."""
    checks: list[_Check] = []
    ip = targets.sending_ip
    words = targets.replies
    if _wants(targets, AUTH_REASONS, AUTH_STATUSES, AUTH_WORDS):
        checks += _auth_checks(targets)
    blocklists = targets.blocklists
    if ip is not None:
        checks += [_dnsbl_check(ip, zone) for zone in blocklists]
        blocked = not blocklists and bool(targets.reasons & BLOCK_REASONS)
        if blocked or _wants(targets, PTR_REASONS, PTR_STATUSES, PTR_WORDS):
            checks.append(_Check(f"reverse DNS of {ip}", partial(ptr.check, ip=ip)))
    sender = targets.sending_domain
    if sender and (targets.statuses & SENDER_STATUSES or any(w in words for w in SENDER_WORDS)):
        checks.append(_Check(f"MX of {sender}", partial(mx.check, domain=sender, sender=True)))
    if _wants(targets, MX_REASONS, MX_STATUSES, MX_WORDS):
        checks += [
            _Check(f"MX of {d}", partial(mx.check, domain=d)) for d in targets.recipient_domains
        ]
    if _wants(targets, TLS_REASONS, TLS_STATUSES, TLS_WORDS):
        checks += [
            _Check(f"MTA-STS of {d}", partial(mtasts.check, domain=d))
            for d in targets.recipient_domains
        ]
    return checks


def _auth_checks(targets: Targets) -> list[_Check]:
    """SPF, then each signature's DKIM key, then DMARC (which reads SPF's result)."""
    ip = targets.sending_ip
    spf_domain = targets.return_path_domain or targets.from_domain
    from_domain = targets.from_domain
    results: dict[str, str] = {}
    checks: list[_Check] = []

    def run_spf(q: Lookup) -> Finding:
        assert spf_domain is not None
        return _spf(q, spf_domain, ip, results)

    def run_dmarc(q: Lookup) -> Finding:
        assert from_domain is not None
        dkim_domains = tuple(d for d, _ in targets.dkim)
        spf_result = results.get("spf") if targets.return_path_domain else None
        return dmarc.check(q, from_domain, dkim_domains, targets.return_path_domain, spf_result)

    if spf_domain:
        checks.append(_Check(f"SPF of {spf_domain}", run_spf))
    for domain, selector in targets.dkim[:MAX_SIGNATURES]:
        label = f"DKIM key {selector}._domainkey.{domain}"
        checks.append(_Check(label, partial(dkim.check, domain=domain, selector=selector)))
    if from_domain:
        checks.append(_Check(f"DMARC of {from_domain}", run_dmarc))
    return checks


def _spf(q: Lookup, domain: str, ip: str | None, results: dict[str, str] | None = None) -> Finding:
    if ip is None:
        return spf.record_finding(q, domain)
    outcome = spf.check_host(q, ip, domain)
    if results is not None:
        results["spf"] = outcome.result
    return spf.finding(outcome)


def _dnsbl_check(ip: str, zone: str) -> _Check:
    return _Check(f"{zone} for {ip}", partial(dnsbl.check, ip=ip, zone=zone))


def unanswerable(targets: Targets) -> list[str]:
    """Notes for checks the bounce calls for but names too little to run."""
    notes = []
    if targets.blocklists and targets.sending_ip is None:
        named = ", ".join(targets.blocklists)
        notes.append(f"The reply names {named} but no sending IP to look up there.")
    elif targets.sending_ip is None and _wants(targets, PTR_REASONS, PTR_STATUSES, PTR_WORDS):
        notes.append("The bounce names no sending IP whose reverse DNS could be checked.")
    if targets.sending_domain is None and _wants(targets, AUTH_REASONS, AUTH_STATUSES, AUTH_WORDS):
        notes.append(
            "The bounce names no sending domain (no returned headers): run "
            "`smtpbot check DOMAIN --ip IP` for SPF, DKIM and DMARC."
        )
    return notes


def _wants(
    targets: Targets, reasons: frozenset[str], statuses: frozenset[str], words: tuple[str, ...]
) -> bool:
    return bool(
        targets.reasons & reasons
        or targets.statuses & statuses
        or any(w in targets.replies for w in words)
    )


def checked(targets: Targets) -> dict[str, list[str]]:
    """What the bounce names that DNS may be asked about, by kind (for the JSON output)."""
    out = {
        "ip": list(targets.sending_ips[:1]),
        "domain": [d for d in (targets.from_domain, targets.return_path_domain) if d],
        "dkim": [f"{s}._domainkey.{d}" for d, s in targets.dkim[:MAX_SIGNATURES]],
        "recipient_domain": list(targets.recipient_domains),
        "list": list(targets.blocklists),
    }
    return {k: list(dict.fromkeys(v)) for k, v in out.items() if v}


def valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
