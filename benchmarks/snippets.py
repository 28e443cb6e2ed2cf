"""Pasted-line throughput: snippets/s through `explain`, and Sisimai->match on the same lines.

Usage: python benchmarks/snippets.py [--seconds 3] [--rounds 5]
Prints one JSON line (for benchmarks/run) after a readable summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

from _common import CORPUS, have_sisimai

from bot.core.explain import explain

PERL_MATCH = r"""
use strict; use warnings; use Sisimai; use Time::HiRes ();
my ($file, $seconds) = @ARGV;
open my $fh, '<:utf8', $file or die $!; chomp(my @lines = <$fh>); close $fh;
my ($n, $t0) = (0, Time::HiRes::time());
while (Time::HiRes::time() - $t0 < $seconds) { Sisimai->match($_) for @lines; $n += @lines; }
printf "%d %.6f\n", $n, Time::HiRes::time() - $t0;
"""


def load_snippets() -> list[str]:
    with (CORPUS / "snippets.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line)["snippet"] for line in handle if line.strip()]


def ours(snippets: list[str], seconds: float, rounds: int = 5) -> float:
    """Median snippets/s over `rounds` timed slices of `seconds` in all.

    The median, not one long run: on a shared machine a single run swings by +-15%.
    """
    for text in snippets:  # warm-up: data files loaded, regexes compiled
        explain(text)
    rates = []
    for _ in range(max(1, rounds)):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / max(1, rounds):
            for text in snippets:
                explain(text)
            count += len(snippets)
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def sisimai(snippets: list[str], seconds: float) -> float | None:
    if not have_sisimai():
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as handle:
        handle.write("\n".join(s.replace("\n", " ") for s in snippets) + "\n")
        handle.flush()
        out = subprocess.run(
            ["perl", "-e", PERL_MATCH, handle.name, str(seconds)],
            capture_output=True, text=True, check=True,
        ).stdout.split()
    return int(out[0]) / float(out[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5, help="timed slices; the median is kept")
    args = parser.parse_args()
    snippets = load_snippets()
    our_rate = ours(snippets, args.seconds, args.rounds)
    peer_rate = sisimai(snippets, args.seconds)
    print(f"snippets: {len(snippets)} lines")
    print(f"smtpbot explain : {our_rate:,.0f} snippets/s")
    if peer_rate is None:
        print("Sisimai->match  : not installed (apt-get install -y libsisimai-perl)")
    else:
        print(f"Sisimai->match  : {peer_rate:,.0f} snippets/s")
        print(f"ratio           : {our_rate / peer_rate:.1f}x")
    print(json.dumps({"bench": "snippets", "ours": our_rate, "peer": peer_rate}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
