"""Helpers shared by the benchmarks: where things are, how to time a process, how to print."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SMTPBOT_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "sisimai"
SISIMAI_SCAN = SHARED / "tools" / "sisimai-scan.pl"


def have_sisimai() -> bool:
    """Debian's libsisimai-perl (`apt-get install -y libsisimai-perl`)."""
    if shutil.which("perl") is None:
        return False
    probe = subprocess.run(["perl", "-MSisimai", "-e", "1"], capture_output=True)
    return probe.returncode == 0


def timed_run(cmd: list[str], **kwargs: object) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    """Wall time of a whole process, output captured."""
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start, done


def children_peak_rss_mb() -> float:
    """Peak RSS of the largest child process waited for so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def python() -> str:
    return sys.executable
