"""Run jobs in forked copies of this process; collect their results in order.

Used by ``smtpbot scan`` to spread a large run over the machine's CPUs. A forked child
shares the parent's imported modules and compiled data (copy-on-write), so starting one
costs about a millisecond where a fresh interpreter would import everything again.
Each child writes its job's bytes to an anonymous file and exits without running any
of the parent's clean-up; a child that fails or is killed yields None, and the caller
does that job itself. `Tickets` hands out work numbers to parent and children alike,
whoever is free first. POSIX only (`available()` says whether fork exists).
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Sequence


def available() -> bool:
    return hasattr(os, "fork")


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Forked:
    """`jobs` started at once, each in its own child; `results()` waits for them in order."""

    def __init__(self, jobs: Sequence[Callable[[], bytes]]) -> None:
        self._children: list[tuple[int, int]] = []
        # Objects made so far are never collected again, so neither process's garbage
        # collector walks (and thereby copies) the pages it shares with the other.
        gc.freeze()
        try:
            for job in jobs:
                self._children.append(_start(job))
        except BaseException:
            self.close()
            raise

    def results(self) -> Iterator[bytes | None]:
        """Each job's bytes, in the order given; None for a child that did not finish well."""
        while self._children:
            pid, fd = self._children.pop(0)
            try:
                yield _collect(pid, fd)
            finally:
                os.close(fd)
        gc.unfreeze()  # nothing is shared any more

    def close(self) -> None:
        """Stop and reap children still running (the caller stopped early)."""
        if self._children:
            import signal  # only on this path: half a millisecond of every run's start-up

            self._stop(signal.SIGTERM)
        gc.unfreeze()

    def _stop(self, signum: int) -> None:
        while self._children:
            pid, fd = self._children.pop()
            with contextlib.suppress(OSError):
                os.kill(pid, signum)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            os.close(fd)


class Tickets:
    """The numbers ``0 .. count-1``, each handed to whichever process asks first.

    Made before forking, so parent and children share one queue (a pipe holding one
    byte per number, its writing end already closed): a process that finishes early
    takes more work instead of waiting for a slower one. `take` returns None once
    every number is taken. At most 256 numbers.
    """

    MAX = 256

    def __init__(self, count: int) -> None:
        if not 0 <= count <= self.MAX:
            raise ValueError(f"between 0 and {self.MAX} tickets, not {count}")
        read, write = os.pipe()
        try:
            os.write(write, bytes(range(count)))  # far below any pipe's capacity
        finally:
            os.close(write)
        self._fd: int | None = read

    def take(self) -> int | None:
        if self._fd is None:
            return None
        data = os.read(self._fd, 1)  # one byte, never split between two readers
        return data[0] if data else None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _start(job: Callable[[], bytes]) -> tuple[int, int]:
    fd = _anonymous_file()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        code = 1
        try:
            data = memoryview(job())
            while data:
                data = data[os.write(fd, data) :]
            code = 0
        finally:
            os._exit(code)
    return pid, fd


def _collect(pid: int, fd: int) -> bytes | None:
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _anonymous_file() -> int:
    """A read/write file descriptor with no name (memory-backed where Linux offers it)."""
    if hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            return os.memfd_create("smtpbot-job", os.MFD_CLOEXEC)
    import tempfile

    with tempfile.TemporaryFile() as handle:  # unlinked already; our duplicate keeps it
        return os.dup(handle.fileno())
