"""`smtpbot scan` shared out to forked workers prints exactly what one process prints."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from bot import forked, scanfiles
from bot.cli import main
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(not forked.available(), reason="needs os.fork")


def _mailbox(tmp_path: Path, count: int) -> Path:
    """`count` corpus emails, an empty file, an unreadable one and an mbox, in one tree."""
    emails = sorted((CORPUS / "emails").rglob("*.eml"))[:count]
    if len(emails) < count:
        pytest.skip("shared corpus not available")
    root = tmp_path / "box"
    for index, path in enumerate(emails):
        folder = root / f"d{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / f"{index:03d}-{path.name}")
    (root / "d1" / "050-empty.eml").write_bytes(b"")
    locked = root / "d2" / "060-locked.eml"
    locked.write_bytes(b"Subject: x\n\nbody\n")
    locked.chmod(0)
    mbox = b"".join(b"From a@b Mon Jan  1 00:00:00 2024\n" + p.read_bytes() for p in emails[:3])
    (root / "d0" / "070-box.mbox").write_bytes(mbox)
    return root


def _run(
    args: list[str], jobs: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setenv("SMTPBOT_SCAN_JOBS", str(jobs))
    code = main(["scan", "--no-progress", *args])
    sys.stdout.flush()
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("fmt", [["--json"], ["--csv"], []], ids=["json", "csv", "table"])
def test_workers_print_what_one_process_prints(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fmt: list[str],
) -> None:
    root = _mailbox(tmp_path, 90)
    if os.access(root / "d2" / "060-locked.eml", os.R_OK):
        (root / "d2" / "060-locked.eml").unlink()  # running as root: cannot make it unreadable
    monkeypatch.setattr(forked, "cpus", lambda: 3)
    single = _run([*fmt, str(root)], 1, capsys, monkeypatch)
    shared = _run([*fmt, str(root)], 3, capsys, monkeypatch)
    assert shared == single
    assert single[0] == 1 and "050-empty.eml" in single[2]  # failures still reported, in order
    assert len(single[1].splitlines()) > 50


def test_workers_send_back_the_limit_notes_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notes of reports cut at the recipient limit come back from workers, in file order."""
    root = _mailbox(tmp_path, 90)
    (root / "d2" / "060-locked.eml").unlink()
    monkeypatch.setattr("bot.core.scan.MAX_RECIPIENTS", 1)
    monkeypatch.setattr(forked, "cpus", lambda: 3)
    single = _run(["--json", str(root)], 1, capsys, monkeypatch)
    shares = scanfiles._shares(list(scanfiles.iter_files([str(root)])), 3)
    assert len(shares) == 3
    shared = _run(["--json", str(root)], 3, capsys, monkeypatch)
    assert shared == single
    notes = [line for line in single[2].splitlines() if ": note: " in line]
    assert len(notes) >= 3
    last_share = {shown for _, shown in shares[-1]}
    assert any(note.split(": ")[1] in last_share for note in notes), notes


def test_a_dead_worker_share_is_scanned_by_the_parent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _mailbox(tmp_path, 70)
    (root / "d2" / "060-locked.eml").unlink()
    single = _run(["--json", str(root)], 1, capsys, monkeypatch)
    monkeypatch.setattr(forked, "cpus", lambda: 2)

    def crash(chunks: object, tickets: forked.Tickets, fmt: scanfiles.Format) -> bytes:
        tickets.take()  # dies holding a chunk: the parent must notice it was never done
        os._exit(3)

    monkeypatch.setattr(scanfiles, "_work", crash)
    assert _run(["--json", str(root)], 2, capsys, monkeypatch) == single


def test_forked_results_come_back_in_order_and_failures_are_none() -> None:
    def boom() -> bytes:
        raise RuntimeError("worker failed")

    jobs = [lambda: b"first", boom, lambda: b"x" * 300_000, lambda: b""]
    results = list(forked.Forked(jobs).results())
    assert results == [b"first", None, b"x" * 300_000, b""]


def test_small_runs_and_settings_decide_the_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "cpus", lambda: 4)
    monkeypatch.delenv("SMTPBOT_SCAN_JOBS", raising=False)
    assert scanfiles._jobs(scanfiles.PARALLEL_MIN_FILES - 1) == 1
    assert scanfiles._jobs(1000) == 4
    monkeypatch.setenv("SMTPBOT_SCAN_JOBS", "1")
    assert scanfiles._jobs(1000) == 1
    monkeypatch.setenv("SMTPBOT_SCAN_JOBS", "nonsense")
    assert scanfiles._jobs(1000) == 4


def test_shares_are_contiguous_and_cover_every_file(tmp_path: Path) -> None:
    files = []
    for index in range(10):
        path = tmp_path / f"{index}.eml"
        path.write_bytes(b"x" * (100 * (index + 1)))
        files.append((str(path), path.name))
    shares = scanfiles._shares(files, 3)
    assert 1 < len(shares) <= 3
    assert [entry for share in shares for entry in share] == files


def test_tickets_hand_each_number_to_exactly_one_process() -> None:
    tickets = forked.Tickets(200)

    def take_all() -> bytes:
        taken = []
        while (number := tickets.take()) is not None:
            taken.append(number)
        return bytes(taken)

    try:
        workers = forked.Forked([take_all, take_all])
        mine = take_all()
        theirs = [result for result in workers.results()]
    finally:
        tickets.close()
    assert all(result is not None for result in theirs)
    numbers = sorted([*mine, *(n for result in theirs for n in result or b"")])
    assert numbers == list(range(200))
    assert tickets.take() is None
    with pytest.raises(ValueError):
        forked.Tickets(forked.Tickets.MAX + 1)


@pytest.mark.parametrize(("count", "jobs"), [(64, 2), (535, 2), (5_000, 3), (1_000_000, 8)])
def test_chunks_shrink_cover_every_file_and_fit_the_queue(count: int, jobs: int) -> None:
    files = [(f"/m/{index}", str(index)) for index in range(count)]
    chunks = scanfiles._chunks(files, jobs)
    assert [entry for chunk in chunks for entry in chunk] == files
    assert 1 < len(chunks) <= forked.Tickets.MAX
    sizes = [len(chunk) for chunk in chunks]
    if len(set(sizes)) > 2:  # guided: large first, small last (else equal shares)
        assert sizes == sorted(sizes, reverse=True)
        assert sizes[-1] <= scanfiles.MIN_CHUNK_FILES < sizes[0]
