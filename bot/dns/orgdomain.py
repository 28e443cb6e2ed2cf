"""The organisational domain (RFC 7489 section 3.2), by a simple public-suffix rule.

We ship no copy of the Public Suffix List (it goes stale and needs updating). The rule:
a domain's last two labels (``mail.example.com`` -> ``example.com``), or its last three
when it ends in a two-letter country code under a common second-level registry label
(``mail.example.co.uk`` -> ``example.co.uk``, ``x.example.com.au`` -> ``example.com.au``).
It is wrong for private suffixes such as ``github.io`` and for rarer registry labels; for
relaxed DMARC alignment that errs toward "aligned" only between subdomains of one such
suffix.
"""

from __future__ import annotations

#: Second-level labels that registries under two-letter country codes use for public suffixes.
SECOND_LEVEL = frozenset(
    {
        "ac",
        "co",
        "com",
        "edu",
        "gob",
        "go",
        "gov",
        "govt",
        "gv",
        "lg",
        "ltd",
        "me",
        "mil",
        "ne",
        "net",
        "nic",
        "nom",
        "or",
        "org",
        "plc",
        "sch",
    }
)


def org_domain(domain: str) -> str:
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) <= 2:
        return ".".join(labels)
    if len(labels[-1]) == 2 and labels[-2] in SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
