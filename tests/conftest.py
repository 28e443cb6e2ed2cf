"""Shared test fixtures: where the shared corpus lives."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Container
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "sisimai"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def labelled_files(modules: Container[str | None]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Corpus files whose labels name one of `modules`, each with its rows in recipient order.

    Empty when the shared corpus is absent, so a parametrised table simply has no rows.
    """
    path = CORPUS / "labels.jsonl"
    if not path.is_file():
        return []
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_jsonl(path):
        if row["module"] in modules:
            by_file[row["file"]].append(row)
    return [(n, sorted(rows, key=lambda r: r["index"])) for n, rows in sorted(by_file.items())]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"shared corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(autouse=True, scope="session")
def _bugs_fail_tests() -> None:
    """An exception inside a detector or the classifier fails the test instead of
    becoming a logged note (`bot.core.scan.STRICT`)."""
    import sys

    import bot.core.scan  # noqa: F401  (the package attribute is the function)

    sys.modules["bot.core.scan"].STRICT = True
