"""Live DNS diagnosis of a bounce: the checks an email engineer runs next, run by the bot.

DNS is I/O, so it lives here, outside the pure classifier core (`bot.core`), which it
only reads. Findings are facts with the record quoted, each saying what it means for the
bounce; they never change a verdict, and a DNS failure (timeout, SERVFAIL, budget spent)
is said plainly as a finding of severity ``unavailable``.

Public API (what the Slack side and the command line use)::

    from bot.dns import DnsSettings, diagnose, check_domain
    from bot.dns import render

    settings = DnsSettings.from_env()      # SMTPBOT_DNS, SMTPBOT_DNS_SERVER; raises
                                           # DnsSettingsError (names the variable)
    diagnosis = diagnose(report, raw, settings)   # report: bot.core Report; raw: the
                                           # pasted text or email (str or bytes), or None
    diagnosis = check_domain("example.org", "192.0.2.9", ("s1",), settings)

    diagnosis.findings    # tuple[Finding]: check, subject, severity, fact, meaning, record
    diagnosis.notes       # tuple[str]: DNS off, nothing to check, budget spent
    diagnosis.complete    # False when a lookup failed or the budget ran out
    diagnosis.to_dict()   # the JSON form (``--dns --json``)

    render.text_lines(diagnosis)   # list[str] for a terminal
    render.blocks(diagnosis)       # list[dict]: Block Kit blocks, at most render.MAX_BLOCKS
    render.fallback_text(diagnosis)  # one line for a message's ``text``

`diagnose` blocks for at most the budget (`settings.budget`, 5 s; each query at most 2 s,
at most `settings.max_queries` queries): call it off the thread that acknowledges Slack.
In Slack, post the verdict first, then run `diagnose` in a worker and add
`render.blocks(diagnosis)` to that message (``chat.update``) or post them in its thread,
with `render.fallback_text(diagnosis)` as the message text.
It is thread-safe; answers share one TTL cache (`SHARED_CACHE`) unless given their own.
With ``SMTPBOT_DNS=off`` it returns at once, ``enabled=False``, without a query.

Modules: `targets` (what the bounce names: IPs, domains, DKIM selectors, lists; pure),
`diagnose` (which checks a bounce calls for), `spf` (RFC 7208 evaluation), `dkim`,
`dmarc` and `orgdomain`, `ptr`, `dnsbl`, `mx`, `mtasts`, `resolver` (dnspython, cache,
budget), `render`, `settings`, `model`.
"""

from __future__ import annotations

from bot.dns.diagnose import check_domain, diagnose
from bot.dns.model import Diagnosis, Finding
from bot.dns.resolver import SHARED_CACHE, TtlCache
from bot.dns.settings import DnsSettings, DnsSettingsError

__all__ = [
    "SHARED_CACHE",
    "Diagnosis",
    "DnsSettings",
    "DnsSettingsError",
    "Finding",
    "TtlCache",
    "check_domain",
    "diagnose",
]
