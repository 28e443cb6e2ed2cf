"""Reverse DNS: the sending IP's PTR names, and whether one resolves back to the IP (FCrDNS).

Receivers such as Gmail and Microsoft refuse mail from IPs without forward-confirmed
reverse DNS (5.7.25); a generic-looking name (the IP's digits, ``dynamic``, ``dsl`` …)
is treated by many like no name at all.
"""

from __future__ import annotations

import ipaddress
import re

from bot.dns.model import Finding
from bot.dns.resolver import Query

#: PTR names whose forward lookups are tried at most.
MAX_NAMES = 3
_GENERIC = re.compile(
    r"(?:dyn|dynamic|dhcp|dsl|pool|cable|ppp|client|broadband|customer|static)", re.I
)


def check(lookup: Query, ip: str) -> Finding:
    reverse = ipaddress.ip_address(ip).reverse_pointer
    answer = lookup(reverse, "PTR")
    if answer.failed:
        return Finding(
            "ptr",
            ip,
            "unavailable",
            answer.failure_sentence(),
            "Whether the IP has reverse DNS is unknown; the verdict stands on the reply.",
        )
    if not answer.records:
        return Finding(
            "ptr",
            ip,
            "problem",
            f"{ip} has no reverse DNS (no PTR record at {reverse}).",
            "Many receivers (Gmail, Microsoft, most Postfix setups) refuse mail from an IP "
            "without reverse DNS: ask whoever owns the IP (your hosting provider) to set a PTR "
            "naming your mail server, whose A/AAAA record points back to the IP.",
        )
    names = answer.records[:MAX_NAMES]
    rdtype = "A" if ipaddress.ip_address(ip).version == 4 else "AAAA"
    confirmed = None
    seen: list[str] = []
    for name in names:
        forward = lookup(name, rdtype)
        if forward.failed:
            return Finding(
                "ptr",
                ip,
                "unavailable",
                f"{ip} has reverse DNS {name}, but {forward.describe_failure()}.",
                "Whether the name confirms the IP is unknown; the verdict stands on the reply.",
                ", ".join(answer.records),
            )
        seen.extend(forward.records)
        if any(ipaddress.ip_address(a) == ipaddress.ip_address(ip) for a in forward.records):
            confirmed = name
            break
    record = ", ".join(answer.records)
    if confirmed is None:
        back = ", ".join(seen) if seen else "no address"
        return Finding(
            "ptr",
            ip,
            "problem",
            f"{ip} has reverse DNS {record}, but that name does not resolve back to it "
            f"({rdtype}: {back}).",
            "Reverse DNS is not forward-confirmed, which receivers that check it treat like no "
            "reverse DNS: make the name's address record point to the IP, or change the PTR.",
            record,
        )
    generic = _looks_generic(confirmed, ip)
    return Finding(
        "ptr",
        ip,
        "info" if generic else "ok",
        f"{ip} has reverse DNS {confirmed}, which resolves back to {ip} (forward-confirmed).",
        "The name looks generic (like a dynamic or residential address); some receivers treat "
        "that like no reverse DNS: use a name of your mail domain."
        if generic
        else "Reverse DNS is in order: receivers that check it accept this IP.",
        record,
    )


def _looks_generic(name: str, ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        octets = str(address).split(".")
        if sum(o in re.split(r"[.\-]", name) for o in octets) >= 3:
            return True
    return _GENERIC.search(name.split(".", 1)[0]) is not None
