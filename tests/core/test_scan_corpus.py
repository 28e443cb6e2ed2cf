"""Accuracy of ``smtpbot scan --json`` over the whole shared corpus, scored by score.py.

The floors are the acceptance bar of issue 3; the figures and the per-module
breakdown are printed (``pytest -s``) so everyone can see where they stand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED

FLOORS = {
    "found": 0.99, "reason": 0.97, "status_real": 0.97, "replycode": 0.98,
    # Sisimai's meaning (address to suppress), over every labelled recipient: a record
    # without one, or a recipient not found, counts as a miss.
    "hardbounce": 0.97,
}


@pytest.fixture(scope="module")
def figures(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("corpus")
    pred, out = tmp / "pred.jsonl", tmp / "score.json"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "scan", "--json", "--no-progress",
         str(corpus_dir / "emails")],
        capture_output=True, check=False, timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr.decode(errors="replace")
    pred.write_bytes(done.stdout)
    report = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "score.py"),
         "--labels", str(corpus_dir / "labels.jsonl"), "--pred", str(pred),
         "--json", str(out), "--by-module", "--top", "25"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    print("\n" + report.stdout)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _share(data: dict[str, Any], key: str) -> float:
    total = data["labelled_recipients"] or 1
    if key == "found":
        return float(data["found"]) / total
    if key == "reason":
        return float(data["reason_ok"]) / total
    if key == "status_real":
        return float(data["status_real_ok"]) / (data["status_real_total"] or 1)
    if key == "hardbounce":
        return float(data["hard_ok"]) / total
    return float(data["reply_ok"]) / (data["reply_total"] or 1)


def test_every_corpus_file_is_read(figures: dict[str, Any]) -> None:
    # Every sample decodes: no {"file", "error"} records.
    assert figures["decode_errors"] == 0


def test_no_records_for_mail_that_is_not_a_bounce(figures: dict[str, Any]) -> None:
    assert figures["nonbounce_emails"] >= 1
    assert figures["nonbounce_fp"] == 0


@pytest.mark.parametrize("key", sorted(FLOORS))
def test_accuracy_floor(figures: dict[str, Any], key: str) -> None:
    share = _share(figures, key)
    assert share >= FLOORS[key], f"{key}: {100 * share:.1f}% < {100 * FLOORS[key]:.0f}%"
