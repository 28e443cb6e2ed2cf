"""Linear time: ten times the input costs about ten times the work, never a hundred.

Two kinds of input, each measured in CPU time of a forked child (`process_time`: a
neighbour keeping a core busy does not count) as the ratio of two sizes measured in the
same run, never as an absolute time:

- The worst shape for each place that accumulates or unfolds text (a DSN field folded
  over many short lines, a multi-line reply in a DSN or a Sendmail transcript, header
  unfolding, quoted Content-Type parameters, Messaging Server fields, Postfix's
  transcript, the HTML cut of Exchange and Gmail, a pasted multi-line reply) at 1 MB and
  10 MB through `scan` (or `explain`). Linear code gives a ratio near 10, a quadratic
  one near 100: the limit `MAX_RATIO` sits in between with a wide margin both ways.
- Junk that almost matches (runs of digits, dots, pipes, ``550-550-``, ...), which is
  what makes a backtracking regex explode, at 100 kB and 1 MB through `explain`, `scan`
  (body and headers), provider detection, the classifier and every detector's sniff and
  parse (even those `scan` would not reach).

A child that has not answered long after the smaller size's time (`HANG_FACTOR`) is
killed and the test fails, so quadratic code fails in minutes instead of hanging.

Every regex is also checked on its own: those in the TOML knowledge files (searched, as
the classifier uses them) and every compiled pattern held by a `bot.core` module
(matched at the start, as line patterns are used; a search over a long run is covered
end to end above), over runs of their own characters at 10x growing sizes.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import bot.core
from bot.core import data as knowledge
from bot.core.classify import classify
from bot.core.explain import explain
from bot.core.mail.formats import detectors
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence
from bot.core.providers import detect_provider
from bot.core.scan import scan

SMALL = 100_000
LARGE = 1_000_000
HUGE = 10_000_000
#: 10 is linear, 100 quadratic.
MAX_RATIO = 30.0
#: CPU times below this count as this much, so that timer noise on a very quick call
#: cannot make a large ratio.
FLOOR = 0.005
#: A child gets this many times the smaller size's wall time (plus `HANG_BASE`
#: seconds) to measure the larger one.
HANG_FACTOR = 30
HANG_BASE = 30.0

_FORK = multiprocessing.get_context("fork")

HEAD = (
    b"From: Mail Delivery System <MAILER-DAEMON@example.com>\n"
    b"To: bob@example.org\n"
    b"Subject: Undelivered Mail Returned to Sender\n"
)

#: (worst ratio, what) per test, printed once at the end of the module.
SUMMARY: list[tuple[float, str]] = []


def fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def repeat(unit: bytes, size: int) -> bytes:
    return unit * max(1, size // len(unit))


# --------------------------------------------------------------------------- measuring


def cpu(run: Callable[[Any], object], arg: Any) -> float:
    start = time.process_time()
    run(arg)
    return time.process_time() - start


def in_child(work: Callable[[Any], Any], sizes: tuple[Any, Any]) -> tuple[Any, Any]:
    """``work(sizes[0])`` then ``work(sizes[1])`` in a forked child; their results.

    The second must answer within `HANG_FACTOR` times the first's wall time (plus
    `HANG_BASE` seconds), or the test fails: super-linear, or hung.
    """
    receive, send = _FORK.Pipe(duplex=False)

    def child() -> None:
        gc.freeze()  # objects inherited from the test run are not the code's garbage to scan
        try:
            for size in sizes:
                send.send(("ok", work(size)))
        except BaseException as exc:  # report any failure to the parent
            send.send(("error", f"{type(exc).__name__}: {exc}"))

    proc = _FORK.Process(target=child, daemon=True)
    proc.start()
    results = []
    try:
        timeout = HANG_BASE * 4
        for size in sizes:
            started = time.monotonic()
            if not receive.poll(timeout):
                pytest.fail(f"no answer for {size!r} within {timeout:.0f} s: super-linear or hung")
            status, value = receive.recv()
            if status != "ok":
                pytest.fail(str(value))
            results.append(value)
            timeout = HANG_FACTOR * (time.monotonic() - started) + HANG_BASE
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
    return results[0], results[1]


# --------------------------------------------------------------------------- worst shapes

_DSN_HEAD = (
    HEAD + b"MIME-Version: 1.0\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
    b"--B\nContent-Type: text/plain\n\nDelivery failed.\n\n"
    b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
    b"Final-Recipient: rfc822; bob@example.org\nAction: failed\nStatus: 5.1.1\n"
)


def _dsn(fields: bytes) -> bytes:
    return _DSN_HEAD + fields + b"\n--B--\n"


def _plain(subject: bytes, body: bytes, sender: bytes = b"MAILER-DAEMON@example.com") -> bytes:
    return b"From: " + sender + b"\nTo: bob@example.org\nSubject: " + subject + b"\n\n" + body


#: name -> (entry point, input of about the given size). The shapes are the worst for
#: code that copies a value again for each line it adds: very many very short lines.
SHAPES: dict[str, tuple[Callable[[Any], object], Callable[[int], Any]]] = {
    "DSN Diagnostic-Code folded": (
        scan, lambda n: _dsn(b"Diagnostic-Code: smtp; 550 5.1.1 no\n" + repeat(b" x\n", n))
    ),
    "DSN multi-line reply unfolded": (
        scan, lambda n: _dsn(b"Diagnostic-Code: smtp; 550-5.1.1 no\n" + repeat(b"550-x\n", n))
    ),
    "DSN repeated Diagnostic-Code": (
        scan, lambda n: _dsn(repeat(b"Diagnostic-Code: x\n", n))
    ),
    "DSN fields folded in a plain body": (
        scan,
        lambda n: _plain(
            b"Returned mail",
            b"Final-Recipient: rfc822; bob@example.org\nStatus: 5.1.1\n"
            b"Diagnostic-Code: smtp; 550 no\n" + repeat(b" x\n", n),
        ),
    ),
    "header folded": (
        scan, lambda n: HEAD + b"X-Long: a\n" + repeat(b" x\n", n) + b"\nbody\n"
    ),
    "Content-Type parameter with quoted semicolons": (
        scan,
        lambda n: HEAD + b'Content-Type: text/plain; name="' + repeat(b"a;", n) + b'"\n\nbody\n',
    ),
    "Sendmail transcript multi-line reply": (
        scan,
        lambda n: _plain(
            b"Returned mail: see transcript for details",
            b"   ----- Transcript of session follows -----\n>>> RCPT To:<bob@example.org>\n"
            + repeat(b"<<< 550-x\n", n),
        ),
    ),
    "Messaging Server field folded": (
        scan,
        lambda n: _plain(
            b"Delivery Notification: Delivery has failed",
            b"Your message cannot be delivered to the following recipients:\n\n"
            b"  Recipient address: bob@example.org\n  Reason: x\n  Diagnostic code: smtp;550 x\n"
            + repeat(b"   x\n", n),
        ),
    ),
    "Postfix transcript In: continuation": (
        scan,
        lambda n: _plain(
            b"Postfix SMTP server: errors from x",
            b"Transcript of session follows.\n\n In:  RCPT TO:<bob@example.org>\n"
            + repeat(b" x\n", n) + b" Out: 550 5.1.1 no\n",
        ),
    ),
    "Exchange report with its HTML part": (
        scan,
        lambda n: b"From: postmaster@example.com\nTo: a@example.org\nSubject: Undeliverable: x\n"
        b"\nDelivery has failed to these recipients or groups:\n\nbob@example.org\n"
        b"Remote Server returned '550 5.1.1 no'\n" + repeat(b" <p>x</p>\n", n),
    ),
    "Gmail report with its HTML part": (
        scan,
        lambda n: b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        b"To: a@example.org\nSubject: Delivery Status Notification (Failure)\n\n"
        b"** Address not found **\n\nYour message wasn't delivered to bob@example.org.\n"
        + repeat(b" <div>\n", n),
    ),
    "pasted multi-line reply": (explain, lambda n: fill("550-5.1.1 x\n", n)),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_worst_shape_is_linear(name: str) -> None:
    run, build = SHAPES[name]

    def measure(size: int) -> float:
        data = build(size)
        return min(cpu(run, data) for _ in range(2 if size < HUGE else 1))

    t_large, t_huge = in_child(measure, (LARGE, HUGE))
    ratio = t_huge / max(t_large, FLOOR)
    SUMMARY.append((ratio, f"{name}: 10 MB/1 MB = {ratio:.1f} ({t_huge:.2f} s CPU at 10 MB)"))
    assert ratio <= MAX_RATIO, f"{name}: 10 MB/1 MB = {ratio:.1f} ({t_huge:.2f} s CPU at 10 MB)"


def test_a_ten_megabyte_folded_field_is_read_whole() -> None:
    """Not only quick: the 10 MB folded Diagnostic-Code is one recipient's diagnostic."""
    report = scan(SHAPES["DSN Diagnostic-Code folded"][1](HUGE))
    (verdict,) = report.verdicts
    assert verdict.recipient == "bob@example.org"
    assert verdict.diagnostic is not None and verdict.diagnostic.endswith(" x x x")


# --------------------------------------------------------------------------- junk

#: Units repeated to the wanted size.
UNITS: dict[str, str] = {
    "digits": "7",
    "dots": ".",
    "dashes": "-",
    "spaces": " ",
    "tabs and spaces": " \t",
    "pipes": "|",
    "newlines": "\n",
    "CRLF": "\r\n",
    "open angles": "<",
    "close angles": ">",
    "angle pairs": "<>",
    "at signs": "@",
    "5.5.5.5": "5.",
    "550-550-": "550-",
    "550 550 ": "550 ",
    "reply and status": "550 5.1.1 ",
    "nested parens": "(",
    "brackets": "[",
    "quotes": '"',
    "equals (QP)": "=",
    "encoded words": "=?utf-8?b?",
    "address chars": "a.b-c+d",
    "local@": "a@",
    "@domain.": "@a.",
    "dotted IP": "1.2.3.4.",
    "one long line": "abcdefghij",
    "Received headers": "Received: x\n",
    "header-like": "X-A: b\n",
    "DSN fields": "Final-Recipient: rfc822; a@b.c\nStatus: 5.1.1\n",
    "boundaries": "--b1\n",
    "repeated reply": "550 5.1.1 <a@b.c>: User unknown\n",
    "continuations": "550-5.1.1 x\n",
    "log lines": "to=<a@b.c>, status=bounced (",
    "Slack escapes": "&lt;a@b.c&gt;",
    "Slack links": "<mailto:a@b.c|",
    "From lines": "From a ",
    "non-ASCII": "é用",
    "NUL": "\x00",
}


def as_body(text: str) -> bytes:
    return HEAD + b"\n" + text.encode("utf-8")


def as_headers(text: str) -> bytes:
    """The junk inside the header block: one huge header when it has no newline."""
    junk = text.encode("utf-8")
    if b"\n" not in junk:
        junk = b"X-Junk: " + junk
    return HEAD + junk + b"\n\nThis message could not be delivered.\n"


def every_detector(raw: bytes) -> None:
    """Each detector's sniff and parse on one parsed message, whatever its sniff said."""
    msg = BounceMessage(raw)
    for detector in detectors():
        detector.sniff(msg)
        detector.parse(msg)


#: (name, function, input builder) for every entry point under test.
TARGETS: list[tuple[str, Callable[[Any], object], Callable[[str], Any]]] = [
    ("explain", explain, lambda s: s),
    ("scan body", scan, as_body),
    ("scan headers", scan, as_headers),
    ("detect_provider", detect_provider, lambda s: s),
    ("classify", lambda s: classify(Evidence(diagnostic=s)), lambda s: s),
    ("every detector", every_detector, as_body),
]


def _junk_times(unit: str, size: int) -> list[float]:
    """CPU time of each target on `unit` repeated to `size` characters."""
    tries = 3 if size < LARGE else 1  # the small size is the noisier one
    return [
        min(cpu(run, build(fill(unit, size))) for _ in range(tries)) for _, run, build in TARGETS
    ]


@pytest.fixture(scope="module", autouse=True)
def _summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None or not SUMMARY:
        return
    with capture.global_and_fixture_disabled():
        print()
        for r, what in sorted(SUMMARY, reverse=True)[:5]:
            print(f"linear time: ratio {r:.1f} for {what}")


@pytest.mark.parametrize("name", list(UNITS))
def test_junk_is_linear_everywhere(name: str) -> None:
    unit = UNITS[name]
    small, large = in_child(lambda size: _junk_times(unit, size), (SMALL, LARGE))
    ratios = [
        (t_large / max(t_small, FLOOR), target, t_large)
        for (target, _, _), t_small, t_large in zip(TARGETS, small, large, strict=True)
    ]
    worst, target, t_large = max(ratios)
    SUMMARY.append(
        (worst, f"{name!r} ({unit!r} x N) through {target}, {t_large:.3f} s CPU at 1 MB")
    )
    over = [
        f"{target}: 1 MB/100 kB = {r:.1f} ({t:.3f} s)" for r, target, t in ratios if r > MAX_RATIO
    ]
    assert not over, f"{name!r} ({unit!r} x N) is super-linear:\n" + "\n".join(over)


# --------------------------------------------------------------------------- single regexes

_ESCAPES = {"d": "05", "w": "a_", "s": " \t", "S": "x", "D": "x", "W": "-", "b": "", "B": ""}


def regex_rules() -> Iterator[tuple[str, str]]:
    """(where, pattern) for every regex in bot/core/data/*.toml.

    Regexes live under a ``regex``, ``re`` or ``pattern`` key, or under ``match`` when
    the same table says ``regex = true``.
    """
    root = Path(knowledge.__file__).parent
    for path in sorted(root.glob("*.toml")):
        yield from _walk(knowledge.load(path.stem), path.stem)


def _walk(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}"
            if key in ("regex", "re", "pattern") and isinstance(value, str):
                yield here, value
            elif key == "match" and node.get("regex") is True:
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str):
                        yield here, item
            else:
                yield from _walk(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{where}[{index}]")


def code_regexes() -> Iterator[tuple[str, re.Pattern[str]]]:
    """Every compiled pattern a `bot.core` module holds (directly or in a tuple/list)."""
    for info in pkgutil.walk_packages(bot.core.__path__, "bot.core."):
        module = importlib.import_module(info.name)
        for attr, value in vars(module).items():
            items = value if isinstance(value, tuple | list) else (value,)
            for index, item in enumerate(items):
                if isinstance(item, re.Pattern) and isinstance(item.pattern, str):
                    suffix = f"[{index}]" if items is value else ""
                    yield f"{info.name}.{attr}{suffix}", item


def literal_chars(pattern: str) -> str:
    """The characters a pattern names: every character of it, escapes as a sample each."""
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, nxt))
        else:  # metacharacters too: inside a class, ``|`` or ``-`` is a literal
            out.append(ch)
    return "".join(dict.fromkeys("".join(out))) or "a"


def adversarial_units(pattern: str) -> list[str]:
    """Units made of the pattern's own characters: all of them cycled, and each alone."""
    chars = literal_chars(pattern)
    return [chars, chars.lower(), *chars]


def _regex_times(
    rules: list[tuple[str, re.Pattern[str]]], method: str, size: int
) -> list[float]:
    """CPU time of each (rule, adversarial unit) pair on `size` characters, in order."""
    times = []
    for _, compiled in rules:
        run = getattr(compiled, method)
        for unit in adversarial_units(compiled.pattern):
            text = fill(unit, size)
            times.append(min(cpu(run, text) for _ in range(3)))
    return times


def _regex_worst(
    rules: list[tuple[str, re.Pattern[str]]], method: str, small: int, large: int
) -> list[tuple[float, str]]:
    """(ratio, description) for each rule's worst unit, measured with `method`."""
    t_small, t_large = in_child(lambda size: _regex_times(rules, method, size), (small, large))
    pairs = iter(zip(t_small, t_large, strict=True))
    out = []
    for where, compiled in rules:
        worst = (0.0, "")
        for unit in adversarial_units(compiled.pattern):
            low, high = next(pairs)
            r = high / max(low, FLOOR / 20)
            worst = max(worst, (r, f"{where} {compiled.pattern[:80]!r} on {unit[:20]!r} x N"))
        out.append(worst)
    return out


def test_data_regexes_exist() -> None:
    assert len(list(regex_rules())) >= 1, "no regex found in bot/core/data: the walker is stale"


def test_every_data_regex_compiles_and_is_linear() -> None:
    rules = [(where, re.compile(pattern)) for where, pattern in regex_rules()]
    results = _regex_worst(rules, "findall", 10_000, 100_000)
    worst = max(results)
    SUMMARY.append((worst[0], f"data regex {worst[1]} (100 kB/10 kB, {len(rules)} regexes)"))
    over = [f"{r:.1f}: {what}" for r, what in results if r > MAX_RATIO]
    assert not over, "super-linear data regexes (100 kB/10 kB):\n" + "\n".join(over)


def test_every_code_regex_is_linear_at_the_start_of_a_line() -> None:
    rules = list(code_regexes())
    assert len(rules) >= 50, "code regex discovery is stale"
    results = _regex_worst(rules, "match", 1_000, 10_000)
    worst = max(results)
    SUMMARY.append((worst[0], f"code regex {worst[1]} (10 kB/1 kB, {len(rules)} regexes)"))
    over = [f"{r:.1f}: {what}" for r, what in results if r > MAX_RATIO]
    assert not over, "super-linear code regexes (10 kB/1 kB):\n" + "\n".join(over)
