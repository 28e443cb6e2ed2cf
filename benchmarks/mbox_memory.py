"""Peak memory of `smtpbot scan` streaming a generated mbox of many messages.

Usage: python benchmarks/mbox_memory.py [--messages 100000]
The mbox is built from the corpus emails, repeated, in a temporary folder. The scan runs
as a child process; its peak RSS comes from getrusage. A second, 10x smaller run shows
whether memory grows with the mailbox (it should not: messages are streamed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

from _common import CORPUS, python


def write_mbox(path: Path, messages: int) -> int:
    sources = sorted((CORPUS / "emails" / "maildir" / "bsd").glob("*.eml"))
    bodies = [p.read_bytes().replace(b"\r\n", b"\n") for p in sources]
    with path.open("wb") as out:
        for body in islice(cycle(bodies), messages):
            out.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n")
            # mboxrd quoting so a body line starting with "From " stays inside its message
            for line in body.splitlines(keepends=True):
                if line.lstrip(b">").startswith(b"From "):
                    out.write(b">")
                out.write(line)
            out.write(b"\n")
    return path.stat().st_size


def peak_rss_of(cmd: list[str]) -> tuple[float, float, int, bytes]:
    """(seconds, peak RSS in MB, output lines, last line) of one child process.

    The peak comes from wait4 (the child and any worker it forked and waited for).
    The output is counted, not kept, so that a scan that failed early cannot pass
    for a small, fast one.
    """
    with tempfile.TemporaryFile() as stderr:  # a file: a full stderr pipe would block it
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr)
        assert proc.stdout is not None
        lines, last = 0, b""
        for line in proc.stdout:
            lines, last = lines + 1, line
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        stderr.seek(0)
        errors = stderr.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"scan failed (exit {code}): {errors.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, lines, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in (args.messages // 10, args.messages):
            mbox = Path(tmp, f"bounces-{count}.mbox")
            size = write_mbox(mbox, count)
            cmd = [python(), "-m", "bot.cli", "scan", "--json", "--no-progress", str(mbox)]
            seconds, rss, lines, last = peak_rss_of(cmd)
            scanned = json.loads(last).get("message") if last else None
            if scanned != count:
                raise SystemExit(f"{count} messages written, the scan's last record is "
                                 f"message {scanned} ({lines} lines)")
            results.append((count, size, seconds, rss))
            mbox.unlink()
    for count, size, seconds, rss in results:
        print(f"{count:>7,} messages  {size / 2**20:7.1f} MB mbox  {seconds:6.1f} s  "
              f"{count / seconds:7,.0f} msg/s  peak RSS {rss:6.1f} MB")
    small, big = results
    print(f"peak RSS ratio {big[0] // small[0]}x messages: {big[3] / small[3]:.2f}x")
    print(json.dumps({"bench": "mbox_memory", "messages": big[0], "peak_rss_mb": big[3],
                      "rss_ratio": big[3] / small[3], "msgs_per_s": big[0] / big[2]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
