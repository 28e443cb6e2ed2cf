"""The answer-audit inputs (tests/data/audit) through smtpbot and Sisimai 4.25, side by side.

Usage: python benchmarks/audit_vs_sisimai.py

The inputs were written for the audit from providers' documentation, not from the shared
corpus the rules were tuned on. Each states the reason and class an engineer reads in it;
this prints how often each tool agrees. Sisimai reads a line with ``Sisimai->match``
(reason) and its SMTP code finders (class: the enhanced status, else the reply code, else
``is_permanent``); a whole email with ``Sisimai->make`` (reason, and the class of its
delivery status). Needs ``apt-get install -y libsisimai-perl``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.explain import explain  # noqa: E402

PERL = r"""
use strict; use warnings; use JSON::PP; use Sisimai; use Sisimai::SMTP::Status;
use Sisimai::SMTP::Reply; use Sisimai::SMTP::Error;
my $json = JSON::PP->new->utf8(1)->canonical(1);
local $/; my $cases = $json->decode(<STDIN>);
my @out;
for my $c (@$cases) {
    my ($reason, $class) = ('', '');
    if ($c->{email}) {
        my $v = Sisimai->make($c->{email}, 'delivered' => 1) || [];
        my ($d) = grep { !$c->{recipient} || $_->recipient->address eq $c->{recipient} } @$v;
        $d //= $v->[0];
        if ($d) { $reason = $d->reason // ''; $class = substr($d->deliverystatus // '', 0, 1); }
    } else {
        my $t = $c->{text};
        $reason = Sisimai->match($t) // '';
        my $code = Sisimai::SMTP::Status->find($t) || Sisimai::SMTP::Reply->find($t) || '';
        $class = substr($code, 0, 1);
        if ($class eq '') {
            my $p = Sisimai::SMTP::Error->is_permanent($t);
            $class = defined $p ? ($p ? '5' : '4') : '';
        }
    }
    push @out, { reason => $reason, class => $class };
}
print $json->encode(\@out);
"""
_CLASS = {"2": "success", "4": "transient", "5": "permanent"}
#: Sisimai 4.25 names written in the newest vocabulary (as ../shared/tools/score.py does).
_RENAMED = {
    "toomanyconn": "ratelimited", "speeding": "ratelimited",
    "mesgtoobig": "emailtoolarge", "exceedlimit": "emailtoolarge",
}


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted((ROOT / "tests" / "data" / "audit").glob("*.toml")):
        cases.extend(tomllib.loads(path.read_text(encoding="utf-8"))["case"])
    return cases


def _sisimai(cases: list[dict[str, Any]], folder: Path) -> list[dict[str, str]]:
    items = []
    for n, case in enumerate(cases):
        text = case["text"].strip()
        item: dict[str, Any] = {"text": text, "recipient": case.get("recipient")}
        if text.startswith("From:"):
            path = folder / f"{n}.eml"
            path.write_text(text + "\n", encoding="utf-8")
            item["email"] = str(path)
        items.append(item)
    done = subprocess.run(
        ["perl", "-e", PERL], input=json.dumps(items).encode(), capture_output=True, check=True
    )
    rows: list[dict[str, str]] = json.loads(done.stdout)
    return rows


def main() -> int:
    cases = _cases()
    with tempfile.TemporaryDirectory() as folder:
        try:
            peer = _sisimai(cases, Path(folder))
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"Sisimai not available ({error}); apt-get install -y libsisimai-perl")
            return 1
    totals = {"reason": [0, 0, 0], "class": [0, 0, 0]}
    for case, theirs in zip(cases, peer, strict=True):
        verdicts = explain(case["text"].strip()).verdicts
        if "recipient" in case:
            verdicts = [v for v in verdicts if v.recipient == case["recipient"]] or verdicts
        ours = verdicts[0] if verdicts else None
        got = {
            "reason": ours.reason if ours else None,
            "class": ours.delivery_class if ours else None,
        }
        reason = _RENAMED.get(theirs["reason"], theirs["reason"]) or None
        other = {"reason": reason, "class": _CLASS.get(theirs["class"])}
        for field in totals:
            if field in case:
                totals[field][0] += 1
                totals[field][1] += got[field] == case[field]
                totals[field][2] += other[field] == case[field]
    print(f"{len(cases)} audit inputs (tests/data/audit), agreement with the file:")
    print(f"{'':8} {'cases':>6} {'smtpbot':>9} {'Sisimai 4.25':>13}")
    for field, (n, ours_ok, theirs_ok) in totals.items():
        print(f"{field:8} {n:6} {100 * ours_ok / n:8.1f}% {100 * theirs_ok / n:12.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
