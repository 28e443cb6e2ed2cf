"""DMARC (RFC 7489): the From domain's policy and whether the message's identifiers align.

The record is read at ``_dmarc.<From domain>``, else at ``_dmarc.<organisational domain>``
(`bot.dns.orgdomain`), where ``sp=`` then applies to subdomains. Alignment compares the
From domain with each DKIM ``d=`` and with the Return-Path domain (SPF's identity):
relaxed (the default) when their organisational domains are equal, strict (``adkim=s``,
``aspf=s``) only when the domains are. DMARC passes when an aligned identifier also
passes its own check; DNS can tell SPF's result but not whether a signature verifies.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.dns.model import Finding
from bot.dns.orgdomain import org_domain
from bot.dns.resolver import Answer, Query
from bot.dns.tags import parse_tags


@dataclass(frozen=True, slots=True)
class Policy:
    domain: str  # where the record was found
    record: str
    policy: str  # the p= (or sp=) that applies to the From domain
    adkim: str
    aspf: str
    pct: str


def aligned(identifier: str, from_domain: str, mode: str) -> bool:
    if mode == "s":
        return identifier == from_domain
    return org_domain(identifier) == org_domain(from_domain)


def find_policy(lookup: Query, from_domain: str) -> Policy | Answer | None:
    """The policy that applies to `from_domain`; the failed Answer when DNS failed; None if none."""
    org = org_domain(from_domain)
    for domain in dict.fromkeys((from_domain, org)):
        answer = lookup(f"_dmarc.{domain}", "TXT")
        if answer.failed:
            return answer
        records = [r for r in answer.records if r.replace(" ", "").lower().startswith("v=dmarc1")]
        if len(records) != 1:
            continue  # none, or several: section 6.6.3 says to treat both as no record
        tags = parse_tags(records[0])
        policy = tags.get("p", "").lower()
        if domain != from_domain and tags.get("sp"):
            policy = tags["sp"].lower()
        return Policy(
            domain,
            records[0],
            policy or "(missing p=)",
            tags.get("adkim", "r").lower(),
            tags.get("aspf", "r").lower(),
            tags.get("pct", "100"),
        )
    return None


def check(
    lookup: Query,
    from_domain: str,
    dkim_domains: tuple[str, ...] = (),
    return_path_domain: str | None = None,
    spf_result: str | None = None,
) -> Finding:
    """The policy for `from_domain` and, when the message's identifiers are known, alignment."""
    found = find_policy(lookup, from_domain)
    if isinstance(found, Answer):
        return Finding(
            "dmarc",
            from_domain,
            "unavailable",
            found.failure_sentence(),
            "The DMARC policy is unknown; the verdict stands on the reply.",
        )
    if found is None:
        return Finding(
            "dmarc",
            from_domain,
            "problem",
            f"{from_domain} publishes no DMARC record (none at _dmarc.{from_domain}"
            + (
                f" or _dmarc.{org_domain(from_domain)}"
                if org_domain(from_domain) != from_domain
                else ""
            )
            + ").",
            "Gmail, Yahoo and Microsoft require a DMARC record from bulk senders and reject "
            "(5.7.26) or junk mail without one: publish at least v=DMARC1; p=none.",
        )
    where = "" if found.domain == from_domain else f" (inherited from {found.domain})"
    fact = f"DMARC of {from_domain}{where}: policy p={found.policy}"
    if found.pct not in ("100", ""):
        fact += f" for pct={found.pct}% of failing mail"
    identifiers = [("DKIM d=" + d, d, found.adkim) for d in dkim_domains]
    if return_path_domain:
        identifiers.append(
            ("Return-Path domain " + return_path_domain, return_path_domain, found.aspf)
        )
    if not identifiers:
        return Finding(
            "dmarc", from_domain, "info", fact + ".", _policy_meaning(found.policy), found.record
        )
    good = [label for label, ident, mode in identifiers if aligned(ident, from_domain, mode)]
    bad = [label for label, ident, mode in identifiers if not aligned(ident, from_domain, mode)]
    spf_aligned = return_path_domain is not None and aligned(
        return_path_domain, from_domain, found.aspf
    )
    dkim_aligned = [d for d in dkim_domains if aligned(d, from_domain, found.adkim)]
    fact += f" (adkim={found.adkim}, aspf={found.aspf})"
    if good:
        fact += f"; From domain {from_domain} is aligned with the {' and the '.join(good)}"
        if spf_aligned and spf_result:
            fact += f" (SPF {spf_result})"
    if bad:
        fact += f"; {'it is ' if good else f'From domain {from_domain} is '}not aligned with the "
        fact += " nor the ".join(bad)
    fact += "."
    enforcing = found.policy in ("reject", "quarantine")
    if spf_aligned and spf_result == "pass":
        return Finding(
            "dmarc",
            from_domain,
            "ok",
            fact,
            "DMARC passes through SPF (aligned and passing): DMARC is not the cause.",
            found.record,
        )
    if dkim_aligned:
        return Finding(
            "dmarc",
            from_domain,
            "info",
            fact,
            f"DMARC passes only if the aligned DKIM signature (d={dkim_aligned[0]}) verifies, "
            "which DNS cannot tell: if the receiver says DMARC failed, the signature broke in "
            "transit or was made with another key.",
            found.record,
        )
    spf_state = (
        f"SPF for the aligned Return-Path gives {spf_result}"
        if spf_aligned and spf_result
        else "no identifier that could pass is aligned"
    )
    return Finding(
        "dmarc",
        from_domain,
        "problem" if enforcing else "info",
        fact,
        f"DMARC fails: no DKIM signature is aligned with the From domain and {spf_state}. "
        f"{_policy_meaning(found.policy)} Sign with d={from_domain} (or a subdomain), or send "
        "with a Return-Path in that domain from an IP its SPF allows.",
        found.record,
    )


def _policy_meaning(policy: str) -> str:
    return {
        "reject": "With p=reject, receivers reject mail that fails DMARC.",
        "quarantine": "With p=quarantine, receivers put mail that fails DMARC in spam.",
        "none": "With p=none, receivers take no action on DMARC failure themselves; a rejection "
        "comes from their own authentication rules.",
    }.get(policy, f"p={policy} is not a valid policy; receivers read the record as p=none.")
