"""`smtpbot scan` shared out to worker processes prints exactly what one process prints."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
from pathlib import Path

import pytest

from bot import scanfiles
from bot.cli import main
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs os.fork"
)


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
    monkeypatch.setattr(scanfiles, "cpus", lambda: 3)
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
    monkeypatch.setattr(scanfiles, "cpus", lambda: 3)
    single = _run(["--json", str(root)], 1, capsys, monkeypatch)
    chunks = scanfiles._chunks(list(scanfiles.iter_files([str(root)])), 3)
    shared = _run(["--json", str(root)], 3, capsys, monkeypatch)
    assert shared == single
    notes = [line for line in single[2].splitlines() if ": note: " in line]
    assert len(notes) >= 3
    last_chunk = {shown for _, shown in chunks[-1]}
    assert any(note.split(": ")[1] in last_chunk for note in notes), notes


def test_chunks_left_by_a_dead_worker_are_scanned_by_the_parent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _mailbox(tmp_path, 70)
    (root / "d2" / "060-locked.eml").unlink()
    single = _run(["--json", str(root)], 1, capsys, monkeypatch)
    monkeypatch.setattr(scanfiles, "cpus", lambda: 2)
    parent, scan_files = os.getpid(), scanfiles._scan_files

    def crash_in_workers(*args: object, **kwargs: object) -> bool:
        if os.getpid() != parent:
            os._exit(3)
        return scan_files(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scanfiles, "_scan_files", crash_in_workers)
    assert _run(["--json", str(root)], 2, capsys, monkeypatch) == single


def test_the_progress_bar_counts_every_file_in_a_parallel_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _mailbox(tmp_path, 90)
    (root / "d2" / "060-locked.eml").unlink()
    files = list(scanfiles.iter_files([str(root)]))
    single = _run(["--json", str(root)], 1, capsys, monkeypatch)
    monkeypatch.setattr(scanfiles, "cpus", lambda: 2)
    monkeypatch.setenv("SMTPBOT_SCAN_JOBS", "2")
    steps: list[int] = []
    parallel_runs: list[int] = []
    scan_parallel = scanfiles._scan_parallel

    class Bar:
        def update(self, count: int) -> None:
            steps.append(count)

        def close(self) -> None:
            pass

    def counted(*args: object, **kwargs: object) -> bool:
        parallel_runs.append(1)
        return scan_parallel(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scanfiles, "_progress_bar", lambda total, progress: Bar())
    monkeypatch.setattr(scanfiles, "_scan_parallel", counted)
    code = scanfiles.run_scan([str(root)], "json", progress=True)
    sys.stdout.flush()
    out, err = capsys.readouterr()
    assert (code, out, err) == single
    assert parallel_runs == [1]
    assert sum(steps) == len(files) and len(steps) > 1


def test_small_runs_and_settings_decide_the_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanfiles, "cpus", lambda: 4)
    monkeypatch.delenv("SMTPBOT_SCAN_JOBS", raising=False)
    assert scanfiles._jobs(scanfiles.PARALLEL_MIN_FILES - 1) == 1
    assert scanfiles._jobs(1000) == 4
    monkeypatch.setenv("SMTPBOT_SCAN_JOBS", "1")
    assert scanfiles._jobs(1000) == 1
    monkeypatch.setenv("SMTPBOT_SCAN_JOBS", "nonsense")
    assert scanfiles._jobs(1000) == 4


@pytest.mark.parametrize(("count", "jobs"), [(64, 2), (535, 2), (5_000, 3)])
def test_chunks_are_contiguous_cover_every_file_and_feed_every_worker(
    count: int, jobs: int
) -> None:
    files = [(f"/m/{index}", str(index)) for index in range(count)]
    chunks = scanfiles._chunks(files, jobs)
    assert [entry for chunk in chunks for entry in chunk] == files
    assert len(chunks) >= 2 * jobs
