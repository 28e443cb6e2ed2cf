"""The held-out set (tests/data/unseen) through smtpbot and Sisimai 4.25, side by side.

Usage: python benchmarks/unseen_vs_sisimai.py [--misses]

Emails go through ``smtpbot``'s scan and through ``../shared/tools/sisimai-scan.pl``
(``Sisimai->make``); reply lines through ``explain`` and through ``Sisimai->match`` plus
Sisimai's status/reply-code finders, as in benchmarks/audit_vs_sisimai.py. Sisimai's class
is the first digit of its delivery status (else of its reply code). Its older reason names
are written in the newest vocabulary (as ``score.py --normalise-renames`` does). Scoring is
tests/core/unseen_eval.py. Needs ``apt-get install -y libsisimai-perl``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "core"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import unseen_eval as ue  # noqa: E402
from audit_vs_sisimai import _CLASS, _RENAMED, PERL  # noqa: E402

SCAN_PL = ROOT.parent / "shared" / "tools" / "sisimai-scan.pl"


def _renamed(reason: str | None) -> str | None:
    return _RENAMED.get(reason or "", reason or "") or None


def _class_of(status: str | None, replycode: str | None) -> str | None:
    digit = (status or "")[:1] or str(replycode or "")[:1]
    return _CLASS.get(digit)


def sisimai_emails() -> ue.Tally:
    cases = ue.email_cases()
    done = subprocess.run(
        ["perl", str(SCAN_PL), *[str(path) for path, _ in cases]],
        capture_output=True, check=True,
    )
    by_file: dict[str, list[ue.Record]] = {}
    for row in done.stdout.decode().split("\n"):
        if not row.strip():
            continue
        item = json.loads(row)
        if "error" in item:
            continue
        hard = item.get("hardbounce")
        by_file.setdefault(item["file"], []).append(ue.Record(
            item.get("recipient"), _renamed(item.get("reason")),
            _class_of(item.get("status"), item.get("replycode")),
            None if hard is None else bool(hard),
        ))
    tally = ue.Tally()
    for path, expected in cases:
        ue.score_email(tally, path.name, expected, by_file.get(str(path), []))
    return tally


def sisimai_lines() -> ue.Tally:
    cases = ue.line_cases()
    items = [{"text": case["text"]} for case in cases]
    done = subprocess.run(
        ["perl", "-e", PERL], input=json.dumps(items).encode(), capture_output=True, check=True
    )
    tally = ue.Tally()
    for case, theirs in zip(cases, json.loads(done.stdout), strict=True):
        record = ue.Record(None, _renamed(theirs["reason"]), _CLASS.get(theirs["class"]))
        ue.score_line(tally, case, record)
    return tally


def _table(title: str, ours: ue.Tally, theirs: ue.Tally, rows: list[str]) -> None:
    print(f"\n{title}")
    print(f"{'':16} {'cases':>6} {'smtpbot':>9} {'Sisimai 4.25':>13}")
    for name in rows:
        if name == "phantoms":
            print(f"{'phantoms':16} {ours.records:6} {ours.phantom_share():8.1f}% "
                  f"{theirs.phantom_share():12.1f}%   (of records: {ours.records} / "
                  f"{theirs.records})")
        elif name == "duplicates":
            print(f"{'duplicates':16} {'':6} {ours.duplicates:9} {theirs.duplicates:13}")
        else:
            cases = ours.reason_cases if name == "reason" else ours.expected
            print(f"{name:16} {cases:6} {ours.share(name):8.1f}% {theirs.share(name):12.1f}%")


def main() -> int:
    try:
        peer_mail, peer_lines = sisimai_emails(), sisimai_lines()
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"Sisimai not available ({error}); apt-get install -y libsisimai-perl")
        return 1
    mail, lines = ue.smtpbot_emails(), ue.smtpbot_lines()
    _table(f"{len(ue.email_cases())} held-out bounce emails (tests/data/unseen/emails)",
           mail, peer_mail,
           ["found", "reason", "delivery_class", "hardbounce", "duplicates", "phantoms"])
    _table(f"{len(ue.line_cases())} held-out reply lines (tests/data/unseen/lines*.jsonl)",
           lines, peer_lines, ["reason", "delivery_class"])
    if "--misses" in sys.argv:
        for label, tally in (("smtpbot", mail), ("smtpbot", lines),
                             ("Sisimai", peer_mail), ("Sisimai", peer_lines)):
            for miss in tally.misses:
                print(f"{label}: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
