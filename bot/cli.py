"""The command line: ``smtpbot explain``, ``smtpbot scan``, ``smtpbot check`` and ``smtpbot run``.

Exit status: 0 when the command did its job (an SMTP reply was found, every file was
read), 1 when it found nothing or some file failed, 2 on usage errors. When a limit
(`bot.core.limits`) left part of the input or of a report out, a ``smtpbot: note:``
line on stderr says which limit and how much; the exit status does not change.
``--dns`` and ``check`` (live DNS, `bot.dns.cli`) document their exit status there.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence

from bot.core.limits import MAX_PASTE_BYTES, human_size
from bot.core.model import Report, Verdict

#: Largest text `explain` reads from standard input; more is refused, not truncated.
MAX_STDIN_BYTES = MAX_PASTE_BYTES

EXAMPLES = """\
examples:
  smtpbot explain 451
  smtpbot explain 5.7.26
  smtpbot explain "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown"
  smtpbot explain - < bounce.eml
  smtpbot scan --json ~/Maildir/bounces
  smtpbot check example.org --ip 192.0.2.9 --selector s1
"""

_DNS_HELP = "add live DNS findings (SPF, DKIM, DMARC, PTR, blocklists, MX) from the bounce"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smtpbot",
        description="Explain SMTP replies and bounce emails.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    explain = commands.add_parser(
        "explain",
        help="explain a reply code, a pasted reply or a whole bounce",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("text", nargs="+", help="what to explain, or - to read standard input")
    explain.add_argument("--json", action="store_true", help="print the report as JSON")
    explain.add_argument("--dns", action="store_true", help=_DNS_HELP)

    scan = commands.add_parser("scan", help="classify bounce emails in files, mbox and Maildir")
    scan.add_argument(
        "paths",
        nargs="+",
        help=".eml files, mbox files, Maildir folders, dirs, .json/.jsonl service events",
    )
    output = scan.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON line per recipient")
    output.add_argument("--csv", action="store_true", help="CSV, one row per recipient")
    scan.add_argument(
        "--no-progress", action="store_true", help="never show a progress bar on stderr"
    )
    scan.add_argument("--dns", action="store_true", help=_DNS_HELP + " for each message")

    check = commands.add_parser(
        "check", help="look up a domain's SPF, DKIM, DMARC, MX, MTA-STS (and an IP's PTR, lists)"
    )
    check.add_argument("domain", help="the sending or receiving domain, e.g. example.org")
    check.add_argument("--ip", help="a sending IP: SPF for it, reverse DNS, common blocklists")
    check.add_argument(
        "--selector", action="append", default=[], help="a DKIM selector to look up (repeatable)"
    )
    check.add_argument("--json", action="store_true", help="print the findings as JSON")

    commands.add_parser("run", help="start the Slack app (same as python -m bot)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; without `argv`, as this process's own program (`sys.argv`)."""
    code = _run(argv)
    if argv is None:
        _spare_teardown()
    return code


def _spare_teardown() -> None:
    """Let the interpreter's exit skip the cycle collection of everything still loaded.

    At exit CPython collects garbage over every object left (modules, compiled
    patterns, knowledge tables); frozen objects are skipped. Only for the process's own
    run (`main()` without arguments), which ends right after; a caller that passes
    `argv` keeps its collector as it was.
    """
    gc.freeze()


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "explain":
            return _explain(args.text, as_json=args.json, dns=args.dns)
        if args.command == "scan":
            from bot.scanfiles import Format, run_scan

            fmt: Format = "json" if args.json else "csv" if args.csv else "table"
            if args.dns:
                return _scan_dns(args.paths, fmt)
            return run_scan(args.paths, fmt, progress=False if args.no_progress else None)
        if args.command == "check":
            from bot.dns.cli import run_check

            return run_check(args.domain, args.ip, args.selector, as_json=args.json)
        if args.command == "run":
            from bot.slack.app import main as run_app

            return run_app()
    except BrokenPipeError:  # `smtpbot scan … | head` is normal use
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    parser.print_help(sys.stderr)
    return 2


def _read_input(words: list[str]) -> str | None:
    if words != ["-"]:
        return " ".join(words)
    data = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
    if len(data) > MAX_STDIN_BYTES:
        print(
            f"smtpbot: input is larger than the {human_size(MAX_STDIN_BYTES)} paste limit; "
            "use `smtpbot scan FILE` for whole mailboxes",
            file=sys.stderr,
        )
        return None
    return data.decode("utf-8", errors="replace")


def _scan_dns(paths: list[str], fmt: str) -> int:
    from bot.dns.cli import load_settings, run_scan

    settings = load_settings()
    return 2 if settings is None else run_scan(paths, fmt, settings)


def _explain(words: list[str], *, as_json: bool, dns: bool = False) -> int:
    from bot.core.explain import explain

    settings = None
    if dns:
        from bot.dns.cli import load_settings

        settings = load_settings()
        if settings is None:
            return 2
    text = _read_input(words)
    if text is None:
        return 2
    report = explain(text)
    for notice in report.notices:  # stderr, so stdout stays the report (JSON stays JSON)
        print(f"smtpbot: note: {notice}", file=sys.stderr)
    findings = None
    if settings is not None:
        from bot.dns.cli import findings_of

        findings = findings_of(report, text, settings)  # (JSON object, text) of the findings
    if as_json:
        data = report.to_dict()
        if findings is not None:
            data["dns"] = findings[0]
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
        if findings is not None:
            print("\n" + findings[1])
    if not report.bounce:
        if not as_json:
            print(
                "\nGive it a reply code, a reply line, a log line or a whole bounce.\n" + EXAMPLES,
                file=sys.stderr,
            )
        return 1
    return 0


def format_report(report: Report) -> str:
    """Readable terminal output for a report."""
    delivered = (
        f"{report.delivered:,} line(s) or event(s) for delivered mail counted, not explained."
        if report.delivered
        else ""
    )
    if not report.bounce:
        if delivered:
            return f"No failure found. {delivered}"
        return "Not a bounce: no SMTP reply code or delivery failure found."
    text = "\n\n".join(format_verdict(v) for v in report.verdicts)
    return f"{text}\n\n{delivered}" if delivered else text


def _yes_no(value: bool | None, yes: str = "yes") -> str | None:
    return None if value is None else (yes if value else "no")


def format_verdict(verdict: Verdict) -> str:
    from bot.core.classify import outcome

    lines = [verdict.title, "=" * min(len(verdict.title), 72)]
    facts = [
        ("Recipient", verdict.recipient),
        ("Reply code", verdict.replycode),
        ("Status", verdict.status),
        ("Outcome", outcome(verdict)),
        ("Reason", verdict.reason),
        ("Retry", None if verdict.retry is None else ("yes" if verdict.retry else "no")),
        ("Hard bounce", _yes_no(verdict.hardbounce, "yes: suppress the address")),
        ("Provider", verdict.provider),
        ("Reported by", verdict.reporter),
        ("Category", verdict.esp_category),
        ("Server said", verdict.diagnostic),
    ]
    lines += [f"{label + ':':<13}{value}" for label, value in facts if value]
    if verdict.explanation:
        lines += ["", verdict.explanation]
    if verdict.actions:
        lines += ["", "Next steps:"] + [f"  - {action}" for action in verdict.actions]
    if verdict.references:
        lines += ["", "References:"] + [f"  {ref}" for ref in verdict.references]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
