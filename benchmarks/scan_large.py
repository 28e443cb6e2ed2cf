"""A 10,000-email mailbox scanned as a whole process, smtpbot vs Debian's Sisimai 4.25.

Usage: python benchmarks/scan_large.py [--emails 10000] [--repeat 3]
The corpus emails are copied round and round into one temporary folder until it holds
--emails files; both tools then scan that folder as users run them (smtpbot with its
default worker processes), start-up included; the median of --repeat runs counts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from itertools import cycle, islice
from pathlib import Path

from _common import CORPUS, SISIMAI_SCAN, have_sisimai, python, table, timed_run


def build(folder: Path, count: int) -> list[str]:
    """`count` copies of the corpus emails under `folder`; their names, relative to it."""
    emails = sorted((CORPUS / "emails").rglob("*.eml"))
    names = []
    for index, source in enumerate(islice(cycle(emails), count)):
        name = f"{index // 1000:02d}/{index:05d}-{source.name}"
        target = folder / name
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, target)
        names.append(name)
    return names


def median_seconds(cmd: list[str], repeat: int, cwd: Path) -> tuple[float, int]:
    """Median wall time of `repeat` runs, and the output lines of the last one."""
    times, lines = [], 0
    for _ in range(repeat):
        seconds, done = timed_run(cmd, cwd=str(cwd))
        times.append(seconds)
        lines = done.stdout.count(b"\n")
    return statistics.median(times), lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smtpbot-bench-") as tmp:
        folder = Path(tmp)
        names = build(folder, args.emails)
        ours = median_seconds(
            [python(), "-m", "bot.cli", "scan", "--json", "--no-progress", str(folder)],
            args.repeat, Path(__file__).resolve().parent.parent,
        )
        peer = None
        if have_sisimai():
            listing = folder / "list.txt"
            listing.write_text("\n".join(names) + "\n")
            peer = median_seconds(
                ["perl", str(SISIMAI_SCAN), "--root", str(folder), "--list", str(listing)],
                args.repeat, folder,
            )
    rows: list[tuple[str, ...]] = [("tool", "emails/s", "seconds", "records")]
    rows.append(("smtpbot", f"{len(names) / ours[0]:,.0f}", f"{ours[0]:.2f}", str(ours[1])))
    if peer is not None:
        rows.append(("Sisimai 4.25", f"{len(names) / peer[0]:,.0f}", f"{peer[0]:.2f}",
                     str(peer[1])))
    print(f"{len(names)} emails (the corpus repeated), median of {args.repeat} "
          "whole-process runs")
    print(table(rows))
    if peer is not None:
        print(f"speed ratio smtpbot / Sisimai 4.25: {peer[0] / ours[0]:.1f}x")
    print(json.dumps({"bench": "scan_large", "emails": len(names),
                      "ours": len(names) / ours[0],
                      "peer": len(names) / peer[0] if peer else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
