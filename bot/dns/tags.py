"""``tag=value; tag=value`` records (DKIM keys, DMARC, MTA-STS, TLS-RPT), read leniently."""

from __future__ import annotations


def parse_tags(record: str) -> dict[str, str]:
    """Tags lower-cased to values with blanks removed; the first of a repeated tag wins."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags.setdefault(name.strip().lower(), "".join(value.split()))
    return tags
