"""The command line's DNS parts: ``smtpbot check`` and the ``--dns`` of ``explain`` and ``scan``.

``smtpbot check DOMAIN [--ip IP] [--selector S ...] [--json]`` exits 0 when every check
was answered (whatever the findings say), 1 when a DNS lookup failed or the budget ran
out (the findings that were made are printed all the same), 2 on usage errors: a
malformed domain, IP or selector, a malformed ``SMTPBOT_DNS``/``SMTPBOT_DNS_SERVER``, or
``SMTPBOT_DNS=off``. With ``--dns``, ``explain`` and ``scan`` keep their own exit status:
DNS trouble is told in the findings, never in the status, as it never changes a verdict
(a malformed DNS setting is still a usage error, 2).

``check`` runs every check, so it gets a wider budget than one Slack answer:
`CHECK_BUDGET` seconds and `CHECK_MAX_QUERIES` queries.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from typing import Any

from bot.core.model import Report
from bot.dns import render
from bot.dns.diagnose import check_domain, diagnose
from bot.dns.model import Diagnosis
from bot.dns.settings import DnsSettings, DnsSettingsError
from bot.dns.targets import is_domain

CHECK_BUDGET = 15.0
CHECK_MAX_QUERIES = 100
_SELECTOR_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def load_settings() -> DnsSettings | None:
    """The DNS settings, or None after saying on stderr what is wrong with them."""
    try:
        return DnsSettings.from_env()
    except DnsSettingsError as exc:
        print(f"smtpbot: {exc}", file=sys.stderr)
        return None


def run_check(domain: str, ip: str | None, selectors: list[str], *, as_json: bool) -> int:
    """``smtpbot check``: every check for `domain` (and `ip`), printed; see the module doc."""
    name = _domain_name(domain)
    problem = _usage_problem(name, domain, ip, selectors)
    if problem:
        print(f"smtpbot: {problem}", file=sys.stderr)
        return 2
    assert name is not None
    settings = load_settings()
    if settings is None:
        return 2
    if not settings.enabled:
        print(
            "smtpbot: DNS checks are off (SMTPBOT_DNS=off); unset it to run check", file=sys.stderr
        )
        return 2
    address = str(ipaddress.ip_address(ip)) if ip else None
    diagnosis = check_domain(
        name,
        address,
        tuple(s.lower() for s in selectors),
        settings.widened(CHECK_BUDGET, CHECK_MAX_QUERIES),
    )
    if as_json:
        data: dict[str, Any] = {"domain": name, "ip": address, **diagnosis.to_dict()}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print("\n".join(render.text_lines(diagnosis)))
    return 0 if diagnosis.complete else 1


def _domain_name(domain: str) -> str | None:
    """`domain` lower-cased, without a final dot, in ASCII (IDNA); None if it is none."""
    name = domain.strip().lower().rstrip(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return name if is_domain(name) else None


def _usage_problem(
    name: str | None, domain: str, ip: str | None, selectors: list[str]
) -> str | None:
    if name is None:
        return f"{domain!r} is not a domain name (for example: example.org)"
    if ip is not None:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            return f"--ip {ip!r} is not an IPv4 or IPv6 address"
    for selector in selectors:
        if not selector or not set(selector.lower()) <= _SELECTOR_CHARS:
            return f"--selector {selector!r} is not a DKIM selector (letters, digits, - _ .)"
    return None


def findings_of(report: Report, text: str, settings: DnsSettings) -> tuple[dict[str, Any], str]:
    """``smtpbot explain --dns``: the findings for `report` as a JSON object and as text."""
    diagnosis = diagnose(report, text, settings)
    return diagnosis.to_dict(), render.text(diagnosis)


# --------------------------------------------------------------------------- scan --dns


def run_scan(paths: list[str], fmt: str, settings: DnsSettings) -> int:
    """``smtpbot scan --dns``: `bot.scanfiles`' output with each message's findings added.

    One process, file by file (the parallel scan is for speed; here DNS sets the pace and
    the shared cache spares repeated names). ``--json`` gives each verdict's line a
    ``dns`` object; ``--csv`` a ``dns`` column (findings joined by `` | ``); the table is
    followed by the findings of each message that has any. 1 if any file failed, else 0.
    """
    from bot.core.scan import scan
    from bot.scanfiles import (
        CSV_FIELDS,
        Summary,
        csv_row,
        error_record,
        iter_files,
        iter_messages,
        verdict_record,
    )

    out = sys.stdout
    writer = None
    if fmt == "csv":
        import csv

        writer = csv.DictWriter(out, fieldnames=[*CSV_FIELDS, "dns"], extrasaction="ignore")
        writer.writeheader()
    summary = Summary()
    failed = False
    table: list[str] = []
    for path, shown in iter_files(paths):
        for item in iter_messages(path, shown):
            where = shown if item.message is None else f"{shown} (message {item.message})"
            if item.raw is None:
                failed = True
                summary.errors += 1
                print(f"smtpbot: {where}: {item.error}", file=sys.stderr)
                if fmt == "json":
                    out.write(json.dumps(error_record(item), ensure_ascii=False) + "\n")
                elif writer is not None:
                    writer.writerow(error_record(item))
                continue
            report = scan(item.raw)
            for notice in report.notices:
                print(f"smtpbot: {where}: note: {notice}", file=sys.stderr)
            diagnosis = diagnose(report, item.raw, settings) if report.bounce else None
            if fmt == "table":
                summary.add(report)
                if diagnosis is not None and diagnosis.findings:
                    table += ["", f"{where}:"]
                    table += ["  " + line for line in render.text_lines(diagnosis)[2:]]
                continue
            for verdict in report.verdicts:
                record = verdict_record(item, report, verdict)
                found = diagnosis.to_dict() if diagnosis is not None else None
                if writer is not None:
                    row = csv_row(record)
                    row["dns"] = _one_line(diagnosis)
                    writer.writerow(row)
                else:
                    out.write(json.dumps({**record, "dns": found}, ensure_ascii=False) + "\n")
    if fmt == "table":
        out.write(summary.render() + "\n")
        if table:
            out.write("\nDNS findings\n============" + "\n".join(table) + "\n")
    out.flush()
    return 1 if failed else 0


def _one_line(diagnosis: Diagnosis | None) -> str:
    if diagnosis is None:
        return ""
    return " | ".join(
        f"{render.LABELS[f.severity]} {f.check}: {f.fact}" for f in diagnosis.findings
    )
