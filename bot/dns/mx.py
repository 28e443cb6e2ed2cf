"""Where mail for a domain goes: MX, null MX (RFC 7505), the A/AAAA fallback, or nowhere.

With no MX record, RFC 5321 section 5.1 sends mail to the domain's own A/AAAA address;
a single ``MX 0 .`` says the domain accepts no mail at all; NXDOMAIN says the domain
does not exist. The first MX hosts are checked for an address too.
"""

from __future__ import annotations

from bot.dns.model import Finding
from bot.dns.resolver import Answer, Query

#: MX hosts checked for an address at most.
MAX_HOSTS = 2


def check(lookup: Query, domain: str, *, sender: bool = False, bounce: bool = True) -> Finding:
    """Mail routing for `domain`; `sender`: the domain is the sender's (5.7.27, 5.1.8);
    `bounce`: False when no bounce is being explained (``smtpbot check``)."""
    side = "sending domain" if sender else "recipient domain" if bounce else "domain"
    answer = lookup(domain, "MX")
    if answer.failed:
        return Finding(
            "mx",
            domain,
            "unavailable",
            answer.failure_sentence(),
            "Where mail for the domain goes is unknown; the verdict stands on the reply.",
        )
    if answer.status == "nxdomain":
        return Finding(
            "mx",
            domain,
            "problem",
            f"{domain} does not exist (NXDOMAIN).",
            f"No mail can reach a {side} that does not exist: check the address for a typo, "
            "or whether the domain expired."
            + (
                " Receivers also refuse mail from senders whose domain does not exist."
                if sender
                else ""
            ),
        )
    records = sorted(answer.records, key=_preference)
    if [r.split()[-1] for r in records] == ["."]:
        return Finding(
            "mx",
            domain,
            "problem",
            f"{domain} publishes a null MX (`{records[0]}`, RFC 7505).",
            f"The {side} says it accepts no mail at all; "
            + (
                "receivers refuse mail from it, since no reply could ever be delivered back "
                "(5.7.27): send from a domain that receives mail."
                if sender
                else "messages to it fail at once (5.1.10) by the owner's choice: remove the "
                "address."
            ),
            records[0],
        )
    if not records:
        return _fallback(lookup, domain, side)
    hosts = [r.split(None, 1)[1] for r in records if len(r.split()) == 2][:MAX_HOSTS]
    dead = []
    for host in hosts:
        address = _addresses(lookup, host)
        if address is None:
            break  # DNS failed: say what is known, do not guess
        if not address.records:
            dead.append(host)
    quoted = "; ".join(records)
    if dead and len(dead) == len(hosts):
        return Finding(
            "mx",
            domain,
            "problem",
            f"MX of {domain}: {quoted}; but {', '.join(dead)} has no address (A/AAAA).",
            "Mail to the domain cannot be delivered: its mail hosts do not resolve. The domain's "
            "owner must fix the MX records.",
            quoted,
        )
    return Finding(
        "mx",
        domain,
        "ok",
        f"MX of {domain}: {quoted}.",
        f"The {side} has working mail hosts in DNS"
        + ("; the failure lies elsewhere (the host's reply says where)." if bounce else "."),
        quoted,
    )


def _fallback(lookup: Query, domain: str, side: str) -> Finding:
    found = _addresses(lookup, domain)
    if found is None:
        return Finding(
            "mx",
            domain,
            "unavailable",
            f"{domain} has no MX, and the A/AAAA lookup failed.",
            "Whether mail can reach it is unknown; the verdict stands on the reply.",
        )
    if found.records:
        return Finding(
            "mx",
            domain,
            "info",
            f"{domain} has no MX record; mail goes to its own address {', '.join(found.records)} "
            "(A/AAAA fallback, RFC 5321 section 5.1).",
            "Delivery works only if that host runs a mail server: the domain's owner should "
            "publish an MX (or a null MX if it takes no mail).",
            ", ".join(found.records),
        )
    return Finding(
        "mx",
        domain,
        "problem",
        f"{domain} has no MX and no A/AAAA record.",
        f"No mail server exists for the {side}: mail to it cannot be delivered.",
    )


def _addresses(lookup: Query, host: str) -> Answer | None:
    """The A records of `host`, else its AAAA; None when DNS failed."""
    answer = lookup(host, "A")
    if answer.failed:
        return None
    if answer.records:
        return answer
    six = lookup(host, "AAAA")
    return None if six.failed else six


def _preference(record: str) -> int:
    head = record.split(None, 1)[0]
    return int(head) if head.isdigit() else 65536
