"""DNS blocklists: which lists a reply names, how to query one, and what its answers mean.

A list is asked for ``<reversed IP>.<zone>`` (IPv4 octets reversed; IPv6 as 32 reversed
nibbles, RFC 5782). NXDOMAIN means not listed; an address in 127.0.0.0/8 means listed,
with the last octets saying why. Spamhaus answers ``127.255.255.x`` when it refuses the
question (from a public resolver, too many queries, a mistyped zone): that is no listing,
and the check must be run from a resolver of one's own. Return codes come from each
operator's published documentation.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from bot.dns.model import Finding
from bot.dns.resolver import Answer, Query


@dataclass(frozen=True, slots=True)
class Blocklist:
    zone: str
    name: str
    #: Answer address -> what it means.
    codes: dict[str, str]
    #: Answer address -> why the list refused to answer (no listing is implied).
    refusals: dict[str, str]
    delist: str
    note: str = ""
    #: Whether the list answers for IPv6 addresses (RFC 5782 nibble names).
    ipv6: bool = False


_SPAMHAUS_CODES = {
    "127.0.0.2": "SBL: a known spam source or spam operation (Spamhaus Block List)",
    "127.0.0.3": "SBL CSS: snowshoe spam or low-reputation sending seen from this IP",
    "127.0.0.4": "XBL: the IP shows signs of malware or a compromised host (Exploits Block List)",
    "127.0.0.9": "SBL DROP: the IP is in a hijacked or criminal network (Don't Route Or Peer)",
    "127.0.0.10": (
        "PBL (ISP maintained): the network's owner says this IP should not send mail directly"
    ),
    "127.0.0.11": (
        "PBL (Spamhaus maintained): an end-user or dynamic IP that should not send mail directly"
    ),
}
_SPAMHAUS_REFUSALS = {
    "127.255.255.252": "the zone name was mistyped in the query",
    "127.255.255.254": (
        "the query came through a public or open resolver (or one without attributable "
        "reverse DNS), which Spamhaus refuses to answer"
    ),
    "127.255.255.255": "the resolver sent too many queries and is rate-limited",
}
_SPAMHAUS = "https://check.spamhaus.org/"
_LISTED = {"127.0.0.2": "listed"}

CATALOGUE: dict[str, Blocklist] = {
    b.zone: b
    for b in (
        Blocklist(
            "zen.spamhaus.org",
            "Spamhaus ZEN",
            _SPAMHAUS_CODES,
            _SPAMHAUS_REFUSALS,
            _SPAMHAUS,
            ipv6=True,
        ),
        Blocklist(
            "sbl.spamhaus.org",
            "Spamhaus SBL",
            _SPAMHAUS_CODES,
            _SPAMHAUS_REFUSALS,
            _SPAMHAUS,
            ipv6=True,
        ),
        Blocklist(
            "xbl.spamhaus.org",
            "Spamhaus XBL",
            _SPAMHAUS_CODES,
            _SPAMHAUS_REFUSALS,
            _SPAMHAUS,
            ipv6=True,
        ),
        Blocklist(
            "pbl.spamhaus.org",
            "Spamhaus PBL",
            _SPAMHAUS_CODES,
            _SPAMHAUS_REFUSALS,
            _SPAMHAUS,
            ipv6=True,
        ),
        Blocklist(
            "sbl-xbl.spamhaus.org",
            "Spamhaus SBL-XBL",
            _SPAMHAUS_CODES,
            _SPAMHAUS_REFUSALS,
            _SPAMHAUS,
            ipv6=True,
        ),
        Blocklist(
            "cbl.abuseat.org",
            "CBL",
            {"127.0.0.2": "listed: the IP shows signs of malware or a compromised host"},
            {},
            _SPAMHAUS,
            "CBL's data are part of Spamhaus XBL (in ZEN) now.",
        ),
        Blocklist(
            "b.barracudacentral.org",
            "Barracuda Reputation Block List",
            {"127.0.0.2": "listed for poor sending reputation"},
            {},
            "https://www.barracudacentral.org/rbl/removal-request",
            "Barracuda answers only resolvers registered with it (free).",
        ),
        Blocklist(
            "bl.spamcop.net",
            "SpamCop",
            {"127.0.0.2": "listed: SpamCop users reported spam from this IP recently"},
            {},
            "https://www.spamcop.net/bl.shtml",
            "SpamCop listings expire by themselves about a day after the reports stop.",
        ),
        Blocklist(
            "dnsbl.sorbs.net",
            "SORBS",
            {
                "127.0.0.2": "open HTTP proxy",
                "127.0.0.3": "open SOCKS proxy",
                "127.0.0.4": "other open proxy",
                "127.0.0.5": "open SMTP relay",
                "127.0.0.6": "recent spam source",
                "127.0.0.7": "vulnerable web server",
                "127.0.0.8": "the owner asked not to be tested",
                "127.0.0.9": "zombie network",
                "127.0.0.10": "dynamic IP range",
                "127.0.0.11": "domain with bad configuration",
                "127.0.0.12": "domain that sends no mail",
                "127.0.0.14": "IP that is no server",
            },
            {},
            "https://www.sorbs.net/",
            "SORBS was shut down in 2024; a receiver still naming it uses stale data.",
        ),
        Blocklist(
            "dnsbl-1.uceprotect.net",
            "UCEPROTECT level 1",
            {"127.0.0.2": "listed: this single IP sent spam to UCEPROTECT's traps"},
            {},
            "https://www.uceprotect.net/en/rblcheck.php",
            "Level 1 listings expire after 7 days without new trap hits.",
        ),
        Blocklist(
            "dnsbl-2.uceprotect.net",
            "UCEPROTECT level 2",
            {"127.0.0.2": "listed: the IP's allocation (neighbours) sent spam to traps"},
            {},
            "https://www.uceprotect.net/en/rblcheck.php",
        ),
        Blocklist(
            "dnsbl-3.uceprotect.net",
            "UCEPROTECT level 3",
            {"127.0.0.2": "listed: the IP's whole network (ASN) sent spam to traps"},
            {},
            "https://www.uceprotect.net/en/rblcheck.php",
        ),
        Blocklist(
            "psbl.surriel.com",
            "PSBL",
            {"127.0.0.2": "listed: spam reached PSBL's traps"},
            {},
            "https://psbl.org/",
        ),
        Blocklist(
            "bl.mailspike.net",
            "Mailspike",
            {"127.0.0.2": "listed for spam"},
            {},
            "https://mailspike.io/",
        ),
        Blocklist(
            "ix.dnsbl.manitu.net",
            "NiX Spam",
            {"127.0.0.2": "listed: spam seen from this IP"},
            {},
            "https://www.nixspam.net/",
        ),
    )
}

#: The lists ``smtpbot check`` asks about an IP when no reply names one.
COMMON = (
    "zen.spamhaus.org",
    "b.barracudacentral.org",
    "bl.spamcop.net",
    "dnsbl-1.uceprotect.net",
    "psbl.surriel.com",
)

#: Words in a reply that name a list without its zone.
_BRANDS = (
    ("spamhaus", "zen.spamhaus.org"),
    ("barracuda", "b.barracudacentral.org"),
    ("spamcop", "bl.spamcop.net"),
    ("abuseat", "cbl.abuseat.org"),
    ("sorbs", "dnsbl.sorbs.net"),
    ("uceprotect", "dnsbl-1.uceprotect.net"),
    ("psbl", "psbl.surriel.com"),
    ("mailspike", "bl.mailspike.net"),
    ("nixspam", "ix.dnsbl.manitu.net"),
)
_ZONE = re.compile(r"(?<![\w.-])((?:[a-z0-9-]+\.)+[a-z]{2,63})(?![\w-])")
#: ``blocked using ZONE``, ``listed at/in/on/by ZONE``, ``RBL: ZONE``: a zone the reply names.
_NAMED_ZONE = re.compile(
    r"(?:blocked using|listed (?:at|in|on|by)|\brbl[: ]|\bdnsbl[: ])\s*\[?"
    r"((?:[a-z0-9-]+\.)+[a-z]{2,63})",
    re.I,
)
#: Lists named in one reply that are queried at most.
MAX_NAMED = 3


def lists_named(reply: str) -> list[str]:
    """The DNSBL zones a reply names, known zones and brands first, at most `MAX_NAMED`."""
    low = reply.lower()
    found: list[str] = []
    for match in _ZONE.finditer(low):
        if match.group(1) in CATALOGUE:
            found.append(match.group(1))
    for word, zone in _BRANDS:
        if word in low and not any(z.endswith(zone.split(".", 1)[1]) for z in found):
            found.append(zone)
    for match in _NAMED_ZONE.finditer(low):
        zone = match.group(1).rstrip(".")
        known = any(zone.endswith(z.split(".", 1)[1]) for z in found)
        if not known and not zone.startswith("www."):
            found.append(zone)
    return list(dict.fromkeys(found))[:MAX_NAMED]


def query_name(ip: str, zone: str) -> str:
    """``2.0.0.127.zen.spamhaus.org`` for 127.0.0.2; reversed nibbles for IPv6 (RFC 5782)."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return ".".join(reversed(str(address).split("."))) + "." + zone
    return ".".join(reversed(address.exploded.replace(":", ""))) + "." + zone


def check(lookup: Query, ip: str, zone: str) -> Finding:
    """Ask `zone` about `ip` (and, when listed, for the list's own words in TXT)."""
    blocklist = CATALOGUE.get(zone)
    if ipaddress.ip_address(ip).version == 6 and blocklist is not None and not blocklist.ipv6:
        return Finding(
            "dnsbl",
            f"{ip} on {zone}",
            "info",
            f"{blocklist.name} lists IPv4 addresses only.",
            "It cannot be what blocked this IPv6 address; the receiver's own list may be.",
        )
    name = query_name(ip, zone)
    answer = lookup(name, "A")
    reason = None
    if answer.status == "ok" and all(a.startswith("127.0.0.") for a in answer.records):
        text = lookup(name, "TXT")
        reason = text.records[0] if text.records else None
    return finding(ip, zone, answer, reason)


def finding(ip: str, zone: str, answer: Answer, reason: str | None) -> Finding:
    """What `answer` (the A lookup of `query_name(ip, zone)`) says; `reason`: the list's TXT."""
    blocklist = CATALOGUE.get(zone)
    name = blocklist.name if blocklist else zone
    subject = f"{ip} on {zone}"
    if answer.failed:
        return Finding(
            "dnsbl",
            subject,
            "unavailable",
            f"{name}: {answer.describe_failure()}.",
            "Whether the IP is listed is unknown; the verdict stands on the reply alone.",
        )
    if answer.status in ("nxdomain", "nodata"):
        return Finding(
            "dnsbl",
            subject,
            "ok",
            f"{ip} is not listed on {name} ({zone}) now.",
            "If a reply named this list, the listing has expired or been removed since, and "
            "retrying should work."
            + (f" {blocklist.note}" if blocklist and blocklist.note else ""),
        )
    record = ", ".join(answer.records)
    if blocklist is not None:
        refused = [blocklist.refusals[a] for a in answer.records if a in blocklist.refusals]
        if refused:
            return Finding(
                "dnsbl",
                subject,
                "unavailable",
                f"{name} refused the query for {ip}: {refused[0]} (answer {record}).",
                "This is not a listing; nothing is known about the IP. Check it from a resolver "
                "of your own (not a public one), or at " + blocklist.delist + ".",
                record,
            )
    meanings = []
    for address in answer.records:
        if not address.startswith("127."):
            return Finding(
                "dnsbl",
                subject,
                "info",
                f"{name} answered {record} for {ip}, which is not a blocklist code.",
                "The zone may be defunct and answering every query; do not read this as a listing.",
                record,
            )
        code = blocklist.codes.get(address) if blocklist else None
        meanings.append(f"{address}: {code}" if code else f"{address}: listed")
    why = f' The list says: "{reason}".' if reason else ""
    delist = f" Delisting: {blocklist.delist}." if blocklist else ""
    note = f" {blocklist.note}" if blocklist and blocklist.note else ""
    return Finding(
        "dnsbl",
        subject,
        "problem",
        f"{ip} is listed on {name} ({zone}): {'; '.join(meanings)}.{why}",
        "Receivers that use this list reject mail from this IP: this explains the block. "
        f"Find and fix why it was listed, then ask for removal.{delist}{note}",
        record,
    )
