"""Leave one format out: how much of the shared corpus the other parsers still read right.

Usage: python benchmarks/leave_one_format_out.py [--corpus ../shared/corpus/sisimai]

Each corpus email is read once with every parser, which names the format module that read
it. Then, per format module, its emails are read again with that module switched off, so
the generic parsers (RFC 3464, the MTA templates, the fallback) must read a layout no rule
of theirs was written for. Per module: emails, how many still give every labelled
recipient (found), and how many give every labelled recipient its labelled reason. The
modules' own figures (all on) come first for comparison. Labels pair with records in order,
as ../shared/tools/score.py pairs them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bot.core.scan as scan_module  # noqa: E402
from bot.core.mail.formats import detectors  # noqa: E402
from bot.core.model import Report  # noqa: E402

#: Parsers that exist to read what no specific format does: leaving them out says nothing.
GENERIC = frozenset({"fallback"})
#: Feedback reports and auto-replies: no failure parser is meant to read them, so they are
#: counted apart from the delivery-failure formats.
NOT_FAILURES = frozenset({"arf", "rfc3834"})


@contextmanager
def without(name: str) -> Iterator[None]:
    """Read with every detector but `name`."""
    kept = tuple(d for d in detectors() if d.name != name)
    original = scan_module.detectors
    scan_module.detectors = lambda: kept  # type: ignore[assignment]
    try:
        yield
    finally:
        scan_module.detectors = original


def _labels(corpus: Path) -> dict[str, list[str]]:
    by_file: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with (corpus / "labels.jsonl").open(encoding="utf-8") as handle:
        for row in handle:
            item = json.loads(row)
            if item.get("bounce") and not item.get("variant_of"):
                by_file[item["file"]].append((int(item["index"]), str(item["reason"])))
    return {name: [r for _, r in sorted(rows)] for name, rows in by_file.items()}


def _right(report: Report, wanted: list[str]) -> tuple[bool, bool]:
    got = [v.reason or "" for v in report.verdicts]
    found = len(got) >= len(wanted)
    return found, found and got[: len(wanted)] == wanted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "sisimai"
    )
    args = parser.parse_args()
    labels = _labels(args.corpus)
    by_format: dict[str, list[tuple[bytes, list[str], bool, bool]]] = defaultdict(list)
    for name, wanted in sorted(labels.items()):
        raw = (args.corpus / "emails" / name).read_bytes()
        report = scan_module.scan(raw)
        found, right = _right(report, wanted)
        by_format[report.source_format or "(none)"].append((raw, wanted, found, right))
    print(f"{'format':18} {'emails':>6} {'all on: found/reason':>22} "
          f"{'left out: found/reason':>24}")
    totals = [0, 0, 0, 0, 0]
    failures = [0, 0, 0, 0, 0]
    for name, rows in sorted(by_format.items(), key=lambda item: -len(item[1])):
        if name in GENERIC or name == "(none)":
            continue
        with without(name):
            again = [_right(scan_module.scan(raw), wanted) for raw, wanted, _, _ in rows]
        on_found = sum(r[2] for r in rows)
        on_right = sum(r[3] for r in rows)
        off_found = sum(f for f, _ in again)
        off_right = sum(r for _, r in again)
        counts = (len(rows), on_found, on_right, off_found, off_right)
        totals = [t + n for t, n in zip(totals, counts, strict=True)]
        if name not in NOT_FAILURES:
            failures = [t + n for t, n in zip(failures, counts, strict=True)]
        print(f"{name:18} {len(rows):6} {on_found:10}/{on_right:<11} "
              f"{off_found:12}/{off_right:<11}")
    for label, (n, on_found, on_right, off_found, off_right) in (
        ("all formats", totals), ("failure formats", failures)
    ):
        print(f"{label:18} {n:6} {on_found:10}/{on_right:<11} {off_found:12}/{off_right:<11}")
        print(f"  left out: every recipient found on {100 * off_found / n:.1f}% of emails, every "
              f"reason right on {100 * off_right / n:.1f}% (all on: {100 * on_found / n:.1f}%, "
              f"{100 * on_right / n:.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
