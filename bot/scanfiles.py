"""``smtpbot scan``: classify every message in .eml files, mbox files, Maildirs and directories.

Inputs are streamed: an mbox is split line by line (a byte-level "From " splitter,
not `mailbox.mbox`, which builds an index of the whole file first), so memory stays
bounded by the largest single message. A message larger than `MAX_MESSAGE_BYTES` is
reported as an error and not parsed. A file that cannot be read is reported on
stderr with its path (and, with ``--json``, as an ``{"file", "error"}`` record); the
scan goes on and the exit status is 1. When a limit left something out of a report
(`Report.notices`, e.g. recipients past `MAX_RECIPIENTS`), each notice is printed on
stderr after the file's name; the exit status is unchanged.

Outputs: a summary table (default), one JSON object per verdict (``--json``), or CSV.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import IO, TYPE_CHECKING, Any, Literal

from bot.core import limits
from bot.core.mail.common import domain_of
from bot.core.model import Report, Verdict
from bot.core.payloads import is_json_name, read_json_bytes
from bot.core.scan import scan, warm_up

if TYPE_CHECKING:
    import csv

Format = Literal["table", "json", "csv"]

#: A single message larger than this is reported as an error, not parsed.
MAX_MESSAGE_BYTES = limits.MAX_MESSAGE_BYTES
#: Runs with at least this many files may show a progress bar (on a terminal only).
PROGRESS_DELAY_SECONDS = 1.5

_LOOSE = re.compile(rb"From \S+ [^\n]*\d")
_ENVELOPE = re.compile(rb"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +[A-Z][a-z]{2} +\d")

CSV_FIELDS = (
    "file", "message", "recipient", "replycode", "status", "class", "reason", "retry",
    "hardbounce", "provider", "reporter", "esp_category", "action", "remote_mta",
    "feedback_type", "diagnostic", "title",
    "explanation", "actions", "references", "original_message_id", "original_subject",
    "original_from", "format", "error",
)


@dataclass(frozen=True, slots=True)
class Item:
    """One message to scan (or one failure to report) and where it came from."""

    file: str
    message: int | None = None
    raw: bytes | None = None
    error: str | None = None


# --------------------------------------------------------------------------- inputs

def iter_files(paths: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(real path, displayed name) of every file under the arguments, sorted and stable.

    A directory argument yields its files recursively with names relative to it; a
    file argument is shown as given. Hidden files and Maildir ``tmp/`` are skipped.
    """
    for arg in paths:
        if os.path.isdir(arg):
            prefix = os.path.join(arg, "")
            for root, dirs, files in os.walk(arg):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "tmp")
                base = os.path.join(root, "")  # what os.path.join(root, name) puts first
                # The walk's names under `arg` are its path relative to it (what
                # os.path.relpath computes, at a fraction of the cost).
                shown = base[len(prefix):] if base.startswith(prefix) else None
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    full = base + name
                    yield full, os.path.relpath(full, arg) if shown is None else shown + name
        else:
            yield arg, arg


def iter_messages(path: str, shown: str) -> Iterator[Item]:
    """The messages of one file: one for an .eml, each message of an mbox, or an error.

    Plain `os.read` calls, a whole .eml in one: for the many small files of a Maildir
    a buffered file object costs more than the read itself. JSON Lines files of service
    events (``.jsonl``, ``.ndjson``) are streamed too, one message per line.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        yield Item(shown, error=_describe(exc))
        return
    if shown.lower().endswith(JSON_LINES):
        yield from _json_lines(fd, shown)
        return
    try:
        size = _size(fd)
        asked = min(size + 1, _FIRST_READ) if size else _FIRST_READ
        first = os.read(fd, asked)
        if first.startswith(b"From "):  # an mbox: streamed message by message
            os.lseek(fd, 0, os.SEEK_SET)
            with open(fd, "rb", closefd=False) as handle:
                yield from _mbox_messages(handle, shown)
            return
        data = _read_rest(fd, first, asked, size)
        if len(data) > MAX_MESSAGE_BYTES:
            yield Item(shown, error=_too_large())
        elif not data.strip():
            yield Item(shown, error="empty file")
        else:
            yield Item(shown, raw=data)
    except OSError as exc:
        yield Item(shown, error=_describe(exc))
    finally:
        os.close(fd)


#: The first read of a file: enough to hold most .eml files whole.
_FIRST_READ = 1 << 16


def _size(fd: int) -> int:
    """The file's size, 0 when unknown (a pipe, /proc) or beyond the message limit."""
    try:
        size = os.fstat(fd).st_size
    except OSError:
        return 0
    return size if 0 < size <= MAX_MESSAGE_BYTES else 0


def _read_rest(fd: int, first: bytes, asked: int, size: int) -> bytes:
    """The whole file from its `first` read, at most one byte past the message limit.

    A file of known size was asked for one byte more than it holds: a short read is
    its end (one read for a small .eml, never a buffer of the whole 50 MB limit); a
    file that grew meanwhile, or one of unknown size, is read on to its end.
    """
    if size and len(first) < asked:
        return first
    limit = MAX_MESSAGE_BYTES + 1
    chunks = [first]
    total = len(first)
    while first and total < limit:
        chunk = os.read(fd, min(1 << 20, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def split_mbox(handle: IO[bytes]) -> Iterator[bytes | None]:
    """Messages of an mbox stream, one at a time; None for a message over the size limit.

    A message starts at the first line, at any envelope line that carries a date
    (``From sender Thu Jul  2 12:05:05 2020``; some writers omit the blank line
    before it), or after an empty line at a ``From sender …`` line holding a digit
    (an unquoted "From here on" in a body is not taken for one). ``>From `` quoting
    (mboxrd) is undone.
    """
    lines: list[bytes] = []
    size = 0
    too_big = False
    started = False
    previous_blank = True
    for line in handle:
        if line.startswith(b"From ") and (
            not started or _ENVELOPE.match(line) or (previous_blank and _LOOSE.match(line))
        ):
            if started:
                yield None if too_big else b"".join(lines)
            lines, size, too_big, started = [], 0, False, True
            previous_blank = False
            continue
        previous_blank = line in (b"\n", b"\r\n")
        if too_big:
            continue
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]
        size += len(line)
        if size > MAX_MESSAGE_BYTES:
            too_big, lines = True, []
            continue
        lines.append(line)
    if started:
        yield None if too_big else b"".join(lines)


#: Files read line by line, one service event (or array of events) per line.
JSON_LINES = (".jsonl", ".ndjson")


def _json_lines(fd: int, shown: str) -> Iterator[Item]:
    """Each non-blank line of a JSON Lines file as one message (numbered by its line), so a
    webhook archive of any size streams in bounded memory."""
    try:
        with open(fd, "rb") as handle:
            for number, line in enumerate(handle, 1):
                if len(line) > MAX_MESSAGE_BYTES:
                    yield Item(shown, message=number, error=_too_large())
                elif line.strip():
                    yield Item(shown, message=number, raw=line)
    except OSError as exc:
        yield Item(shown, error=_describe(exc))


def _mbox_messages(handle: IO[bytes], shown: str) -> Iterator[Item]:
    for index, raw in enumerate(split_mbox(handle), 1):
        if raw is None:
            yield Item(shown, message=index, error=_too_large())
        else:
            yield Item(shown, message=index, raw=raw)


def _too_large() -> str:
    return (
        f"message larger than the {limits.human_size(MAX_MESSAGE_BYTES)} limit "
        "(MAX_MESSAGE_BYTES), not parsed"
    )


def _describe(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def _scan_item(item: Item) -> Report:
    """One message's report; a ``.json``/``.jsonl`` file is a sending service's events."""
    raw = item.raw or b""
    if is_json_name(item.file):
        return read_json_bytes(raw, limits.MAX_RECIPIENTS, "MAX_RECIPIENTS")
    return scan(raw)


# --------------------------------------------------------------------------- outputs

def verdict_record(item: Item, report: Report, verdict: Verdict) -> dict[str, Any]:
    """One ``--json`` line: file (and mbox message index) first, then the verdict."""
    record: dict[str, Any] = {"file": item.file}
    if item.message is not None:
        record["message"] = item.message
    record.update(verdict.to_dict())
    record["original"] = report.original.to_dict() if report.original else None
    record["format"] = report.source_format
    return record


def error_record(item: Item) -> dict[str, Any]:
    record: dict[str, Any] = {"file": item.file}
    if item.message is not None:
        record["message"] = item.message
    record["error"] = item.error
    return record


def _csv_writer(out: IO[str]) -> csv.DictWriter[str]:
    import csv  # only --csv needs it

    return csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """Flatten a JSON record for CSV: lists joined with " | ", original split into columns."""
    row = {k: v for k, v in record.items() if k in CSV_FIELDS}
    for key in ("actions", "references"):
        if isinstance(record.get(key), list):
            row[key] = " | ".join(record[key])
    original = record.get("original") or {}
    row["original_message_id"] = original.get("message_id")
    row["original_subject"] = original.get("subject")
    row["original_from"] = original.get("from")
    return row


class Summary:
    """Counts for the default table."""

    def __init__(self) -> None:
        self.messages = 0
        self.bounces = 0
        self.errors = 0
        self.verdicts = 0
        self.reasons: Counter[str] = Counter()
        self.domains: Counter[str] = Counter()
        self.providers: Counter[str] = Counter()
        #: "Reporter: category" of sending-service events (empty for emails).
        self.esp: Counter[str] = Counter()

    def add(self, report: Report) -> None:
        self.messages += 1
        if report.bounce:
            self.bounces += 1
        for verdict in report.verdicts:
            self.verdicts += 1
            self.reasons[verdict.reason or "(undetermined)"] += 1
            self.domains[domain_of(verdict.recipient) or "(no address)"] += 1
            self.providers[verdict.provider or "(unknown)"] += 1
            if verdict.reporter:
                self.esp[f"{verdict.reporter}: {verdict.esp_category or '(none)'}"] += 1

    def merge(self, other: Summary) -> None:
        """Add a worker's counts (its keys come after ours, as if scanned here next)."""
        self.messages += other.messages
        self.bounces += other.bounces
        self.errors += other.errors
        self.verdicts += other.verdicts
        self.reasons.update(other.reasons)
        self.domains.update(other.domains)
        self.providers.update(other.providers)
        self.esp.update(other.esp)

    def render(self, top: int = 20) -> str:
        lines = [
            f"messages scanned: {self.messages}   bounces/reports: {self.bounces}   "
            f"not bounces: {self.messages - self.bounces}   recipients: {self.verdicts}   "
            f"errors: {self.errors}",
        ]
        for title, counts in (
            ("reason", self.reasons),
            ("recipient domain", self.domains),
            ("provider", self.providers),
        ):
            lines += ["", _table(title, counts, self.verdicts, top)]
        if self.esp:
            lines += ["", _table("reporter's own category", self.esp, self.verdicts, top)]
        return "\n".join(lines)


def _table(title: str, counts: Counter[str], total: int, top: int) -> str:
    if not counts:
        return f"By {title}: nothing to count"
    rows = counts.most_common(top)
    rest = sum(counts.values()) - sum(n for _, n in rows)
    width = max(len(title), *(len(name) for name, _ in rows), 7)
    out = [f"{'By ' + title:<{width + 3}}  {'count':>7}  {'share':>6}"]
    out.append("-" * (width + 3 + 17))
    for name, n in rows:
        out.append(f"{name:<{width + 3}}  {n:>7}  {100.0 * n / (total or 1):>5.1f}%")
    if rest:
        others = f"({len(counts) - len(rows)} more)"
        out.append(f"{others:<{width + 3}}  {rest:>7}  {100.0 * rest / (total or 1):>5.1f}%")
    return "\n".join(out)


# --------------------------------------------------------------------------- the command

def run_scan(paths: list[str], fmt: Format, progress: bool | None = None) -> int:
    """Scan every message under `paths` and print in `fmt`; 1 if any file failed, else 0.

    `progress`: True forces a progress bar, False never shows one, None shows one on
    a terminal when the run takes more than a moment.

    A run over many files is shared out to worker processes, one per CPU
    (`SMTPBOT_SCAN_JOBS` caps their number; 1 turns this off); the output is printed in
    file order, exactly as a single process prints it.
    """
    files = list(iter_files(paths))
    out = sys.stdout
    writer: csv.DictWriter[str] | None = None
    if fmt == "csv":
        writer = _csv_writer(out)
        writer.writeheader()
    summary = Summary()
    bar = _progress_bar(len(files), progress)
    jobs = _jobs(len(files))
    try:
        if jobs > 1:
            failed = _scan_parallel(files, fmt, jobs, summary, bar)
        else:
            failed = _scan_files(files, fmt, out, sys.stderr, writer, summary, bar)
    finally:
        if bar is not None:
            bar.close()
    if fmt == "table":
        out.write(summary.render() + "\n")
    out.flush()
    return 1 if failed else 0


def _scan_files(
    files: list[tuple[str, str]],
    fmt: Format,
    out: IO[str],
    err: IO[str],
    writer: csv.DictWriter[str] | None,
    summary: Summary,
    bar: Any = None,
) -> bool:
    """Scan `files` in order, writing records to `out` and failures to `err`; any failure?"""
    failed = False
    for path, shown in files:
        for item in iter_messages(path, shown):
            if item.raw is None:
                failed = True
                summary.errors += 1
                where = shown if item.message is None else f"{shown} (message {item.message})"
                print(f"smtpbot: {where}: {item.error}", file=err)
                record = error_record(item)
                if fmt == "json":
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                elif writer is not None:
                    writer.writerow(record)
                continue
            report = _scan_item(item)
            if report.notices:
                where = shown if item.message is None else f"{shown} (message {item.message})"
                for notice in report.notices:
                    print(f"smtpbot: {where}: note: {notice}", file=err)
            if fmt == "table":
                summary.add(report)
                continue
            for verdict in report.verdicts:
                record = verdict_record(item, report, verdict)
                if writer is not None:
                    writer.writerow(csv_row(record))
                else:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        if bar is not None:
            bar.update(1)
    return failed


# --------------------------------------------------------------------------- sharing out

#: Runs over fewer files than this stay in one process (starting workers is not worth it).
PARALLEL_MIN_FILES = 64
#: Never more workers than this, whatever the CPU count.
MAX_JOBS = 8
#: Files per piece of work handed to a worker; small enough for a smooth progress bar.
CHUNK_FILES = 32


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _jobs(files: int) -> int:
    """How many processes should share a run over `files` files."""
    if files < PARALLEL_MIN_FILES or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = cpus()
    setting = os.environ.get("SMTPBOT_SCAN_JOBS", "").strip()
    if setting.isdigit():
        wanted = min(wanted, int(setting))
    return max(1, min(wanted, MAX_JOBS, files // (PARALLEL_MIN_FILES // 2)))


def _chunks(files: list[tuple[str, str]], jobs: int) -> list[list[tuple[str, str]]]:
    """`files` cut into contiguous chunks, at least a few per worker so none idles long."""
    size = max(1, min(CHUNK_FILES, -(-len(files) // (4 * jobs))))
    return [files[start : start + size] for start in range(0, len(files), size)]


#: What scanning one chunk gives back: stdout text, stderr text, any failure, counts.
ChunkResult = tuple[str, str, bool, Summary]


def _scan_parallel(
    files: list[tuple[str, str]], fmt: Format, jobs: int, summary: Summary, bar: Any = None
) -> bool:
    """`_scan_files` with the work shared among `jobs` forked worker processes.

    Workers are forked, so they start with the detectors already loaded and see the
    parent's settings. Each chunk's output is printed in file order as soon as every
    chunk before it is done; if a worker dies, the chunks not yet done are scanned here.
    """
    warm_up()
    chunks = _chunks(files, jobs)
    sys.stdout.flush()
    sys.stderr.flush()
    failed = False
    done = 0

    def emit(result: ChunkResult) -> None:
        nonlocal failed, done
        text, errors, chunk_failed, counts = result
        sys.stdout.write(text)
        sys.stderr.write(errors)
        summary.merge(counts)
        failed |= chunk_failed
        if bar is not None:
            bar.update(len(chunks[done]))
        done += 1

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        try:
            for result in pool.map(partial(_scan_chunk, fmt=fmt), chunks):
                emit(result)
        except BrokenProcessPool:
            for chunk in chunks[done:]:
                emit(_scan_chunk(chunk, fmt))
    return failed


def _scan_chunk(chunk: list[tuple[str, str]], fmt: Format) -> ChunkResult:
    """Scan `chunk` into memory: its output, its error lines, any failure and its counts."""
    out, err = io.StringIO(), io.StringIO()
    writer = None
    if fmt == "csv":
        writer = _csv_writer(out)
    summary = Summary()
    failed = _scan_files(chunk, fmt, out, err, writer, summary)
    return out.getvalue(), err.getvalue(), failed, summary


def _progress_bar(total: int, progress: bool | None) -> Any:
    """A tqdm bar on stderr, or None (not a terminal, disabled, or nothing to do)."""
    if progress is False or total == 0:
        return None
    if progress is None and not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="file",
        file=sys.stderr,
        delay=0 if progress else PROGRESS_DELAY_SECONDS,
        leave=False,
    )
