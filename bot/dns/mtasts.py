"""MTA-STS (RFC 8461) and TLS reporting (RFC 8460): the ``_mta-sts`` and ``_smtp._tls`` TXT.

Only DNS is read: the policy file itself (``https://mta-sts.<domain>/.well-known/
mta-sts.txt``) is not fetched.
"""

from __future__ import annotations

from bot.dns.model import Finding
from bot.dns.resolver import Query
from bot.dns.tags import parse_tags


def check(lookup: Query, domain: str) -> list[Finding]:
    return [_sts(lookup, domain), _tlsrpt(lookup, domain)]


def _sts(lookup: Query, domain: str) -> Finding:
    name = f"_mta-sts.{domain}"
    answer = lookup(name, "TXT")
    if answer.failed:
        return Finding(
            "mta-sts",
            domain,
            "unavailable",
            answer.failure_sentence(),
            "Whether the domain requires TLS is unknown.",
        )
    records = [r for r in answer.records if r.replace(" ", "").lower().startswith("v=stsv1")]
    if not records:
        return Finding(
            "mta-sts",
            domain,
            "info",
            f"{domain} announces no MTA-STS policy (no v=STSv1 at {name}).",
            "Without MTA-STS (or DANE), TLS to this domain is opportunistic: a TLS failure is "
            "the sender's or the receiving host's setting, not the domain's published policy.",
        )
    policy_id = parse_tags(records[0]).get("id", "")
    return Finding(
        "mta-sts",
        domain,
        "info",
        f"{domain} announces an MTA-STS policy (id={policy_id}) at {name}.",
        "Senders that honour MTA-STS deliver only over TLS with a valid certificate matching "
        f"the policy's MX names (https://mta-sts.{domain}/.well-known/mta-sts.txt, not "
        "fetched): a TLS or certificate failure then stops delivery by design.",
        records[0],
    )


def _tlsrpt(lookup: Query, domain: str) -> Finding:
    name = f"_smtp._tls.{domain}"
    answer = lookup(name, "TXT")
    if answer.failed:
        return Finding(
            "tls-rpt",
            domain,
            "unavailable",
            answer.failure_sentence(),
            "Whether the domain collects TLS reports is unknown.",
        )
    records = [r for r in answer.records if r.replace(" ", "").lower().startswith("v=tlsrptv1")]
    if not records:
        return Finding(
            "tls-rpt",
            domain,
            "info",
            f"{domain} publishes no TLS-RPT record (none at {name}).",
            "The domain's owner receives no reports of TLS failures from senders.",
        )
    rua = parse_tags(records[0]).get("rua", "")
    return Finding(
        "tls-rpt",
        domain,
        "info",
        f"{domain} collects TLS reports (rua={rua}).",
        "The domain's owner receives daily reports of TLS failures: they can confirm what "
        "went wrong on their side.",
        records[0],
    )
