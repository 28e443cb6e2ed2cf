"""Whole-process scan speed and accuracy over the shared corpus, smtpbot vs Debian's Sisimai.

Usage: python benchmarks/scan.py [--repeat 7]
Both run as whole processes over the same .eml files (start-up included); the median of
--repeat runs counts (the machine is shared: one run swings by +-15%). smtpbot runs as
users run it (worker processes, one per CPU) and in one process (SMTPBOT_SCAN_JOBS=1).
Accuracy comes from ../shared/tools/score.py on each output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from _common import CORPUS, SHARED, SISIMAI_SCAN, have_sisimai, python, table, timed_run


def score(pred: bytes) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        pred_path, out_path = Path(tmp, "pred.jsonl"), Path(tmp, "score.json")
        pred_path.write_bytes(pred)
        timed_run([python(), str(SHARED / "tools" / "score.py"),
                   "--labels", str(CORPUS / "labels.jsonl"), "--pred", str(pred_path),
                   "--json", str(out_path)])
        data = json.loads(out_path.read_text())
    total = data["labelled_recipients"] or 1
    return {
        "found": data["found"] / total,
        "reason": data["reason_ok"] / total,
        "status_real": data["status_real_ok"] / (data["status_real_total"] or 1),
        "replycode": data["reply_ok"] / (data["reply_total"] or 1),
    }


def pct(figures: dict[str, float], key: str) -> str:
    return f"{100 * figures[key]:.1f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    emails = CORPUS / "emails"
    files = sorted(str(p.relative_to(emails)) for p in emails.rglob("*.eml"))
    with tempfile.NamedTemporaryFile("w", suffix=".lst") as listing:
        listing.write("\n".join(files) + "\n")
        listing.flush()
        ours = [python(), "-m", "bot.cli", "scan", "--json", "--no-progress", str(emails)]
        runs: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "smtpbot": (ours, None),
            "smtpbot, 1 process": (ours, dict(os.environ, SMTPBOT_SCAN_JOBS="1")),
        }
        if have_sisimai():
            runs["Sisimai " + "4.25"] = (["perl", str(SISIMAI_SCAN), "--root", str(emails),
                                         "--list", listing.name], None)
        results: dict[str, tuple[float, bytes]] = {}
        for name, (cmd, env) in runs.items():
            times: list[float] = []
            out = b""
            for _ in range(args.repeat):
                cwd = None if name.startswith("smtpbot") else str(emails)
                seconds, done = timed_run(cmd, cwd=cwd, env=env)
                times.append(seconds)
                out = done.stdout
            results[name] = (statistics.median(times), out)
    rows: list[tuple[str, ...]] = [
        ("tool", "emails/s", "seconds", "found", "reason", "status", "replycode")
    ]
    rates = {}
    for name, (seconds, out) in results.items():
        figures = score(out)
        rates[name] = len(files) / seconds
        rows.append((name, f"{rates[name]:,.0f}", f"{seconds:.2f}", pct(figures, "found"),
                     pct(figures, "reason"), pct(figures, "status_real"),
                     pct(figures, "replycode")))
    print(f"{len(files)} emails, median of {args.repeat} whole-process runs")
    print(table(rows))
    peers = [n for n in rates if not n.startswith("smtpbot")]
    ratio = rates["smtpbot"] / rates[peers[0]] if peers else None
    if ratio:
        print(f"speed ratio smtpbot / {peers[0]}: {ratio:.1f}x")
    print(json.dumps({"bench": "scan", "ours": rates["smtpbot"],
                      "peer": rates[peers[0]] if peers else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
