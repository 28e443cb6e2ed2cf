"""DKIM: is a key published for the signature's selector (``<s>._domainkey.<d>`` TXT, RFC 6376)?

DNS can tell whether the key is there, revoked (empty ``p=``) or in test mode; whether a
signature verifies needs the message as sent, which a bounce seldom returns intact.
"""

from __future__ import annotations

from bot.dns.model import Finding
from bot.dns.resolver import Answer, Query
from bot.dns.tags import parse_tags


def key_name(domain: str, selector: str) -> str:
    return f"{selector}._domainkey.{domain}"


def check(lookup: Query, domain: str, selector: str) -> Finding:
    name = key_name(domain, selector)
    subject = f"d={domain} s={selector}"
    answer: Answer = lookup(name, "TXT")
    if answer.failed:
        return Finding(
            "dkim",
            subject,
            "unavailable",
            answer.failure_sentence(),
            "Whether the key exists is unknown; the verdict stands on the reply.",
        )
    keys = [r for r in answer.records if "p=" in r.replace(" ", "").lower()]
    if answer.status in ("nxdomain", "nodata") or not keys:
        return Finding(
            "dkim",
            subject,
            "problem",
            f"No DKIM key is published at {name} ({_said(answer)}).",
            f"Every signature with d={domain} s={selector} fails (no key), so DKIM cannot make "
            "DMARC pass: publish the key your signer uses, or fix the selector it signs with.",
        )
    record = keys[0]
    tags = parse_tags(record)
    if not tags.get("p"):
        return Finding(
            "dkim",
            subject,
            "problem",
            f"The DKIM key at {name} is revoked (empty p=).",
            f"Signatures with s={selector} fail: the signer still uses a retired selector. "
            "Sign with the current key.",
            record,
        )
    extra = []
    if len(keys) > 1:
        extra.append(f"{len(keys)} keys are published there; verifiers may pick any one")
    if "y" in tags.get("t", "").split(":"):
        extra.append("t=y: the domain says it is testing DKIM, so failures may be ignored")
    kind = tags.get("k", "rsa")
    return Finding(
        "dkim",
        subject,
        "ok",
        f"A DKIM key (k={kind}) is published at {name}." + "".join(f" {e}." for e in extra),
        "The key exists; if DKIM still failed, the message was changed in transit or signed "
        "with another key (DNS cannot tell which).",
        record,
    )


def _said(answer: Answer) -> str:
    if answer.status == "nxdomain":
        return "the name does not exist"
    if answer.records:
        return "TXT records there hold no key"
    return "no TXT record"
