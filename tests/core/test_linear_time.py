"""Linear time: adversarial input ten times larger takes at most ~20 times longer, never more.

Junk that almost matches (runs of digits, dots, dashes, spaces, pipes, angle brackets,
``@``, ``5.5.5.…``, ``550-550-…``, repeated header names, one endless line, nested
brackets) is what makes a backtracking regex explode. Each pattern is fed at 100 kB and
1 MB to `explain`, to `scan` (as an email body and as headers), to provider detection,
to the classifier and to every detector's ``sniff``/``parse`` directly (all detectors,
even those `scan` would not reach). The ratio of the two times, measured in the same
run, must stay within `MAX_RATIO` (10 is linear; the slack absorbs noise and fixed
costs). No absolute time is asserted: machines differ.

Times below `FLOOR` seconds count as `FLOOR`, so that a call too quick to time cannot
make a large ratio out of timer noise; a real quadratic blow-up at 1 MB is orders of
magnitude above that. Each measurement runs in a forked child that is killed after
`HANG` seconds, so a catastrophic regex fails the test instead of hanging the suite.

Every regex is also checked on its own: those in the TOML knowledge files (searched, as
the classifier uses them) and every compiled pattern held by a `bot.core` module
(matched at the start, as line patterns are used; a search over a long run is covered
end to end above), over runs of their own characters at 10× growing sizes.
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
MAX_RATIO = 20.0
RETRY_ABOVE = 0.75 * MAX_RATIO
FLOOR = 0.002
HANG = 60.0

_FORK = multiprocessing.get_context("fork")

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

HEAD = (
    b"From: Mail Delivery System <MAILER-DAEMON@example.com>\n"
    b"To: bob@example.org\n"
    b"Subject: Undelivered Mail Returned to Sender\n"
)

#: (worst ratio, what) per test, printed once at the end of the module.
SUMMARY: list[tuple[float, str]] = []


def fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def as_body(text: str) -> bytes:
    return HEAD + b"\n" + text.encode("utf-8")


def as_headers(text: str) -> bytes:
    """The junk inside the header block: one huge header when it has no newline."""
    junk = text.encode("utf-8")
    if b"\n" not in junk:
        junk = b"X-Junk: " + junk
    return HEAD + junk + b"\n\nThis message could not be delivered.\n"


def every_detector(raw: bytes) -> None:
    """Each detector's sniff and parse on one parsed message, whatever the others found."""
    msg = BounceMessage(raw)
    for detector in detectors():
        try:
            detector.sniff(msg)
            detector.parse(msg)
        except Exception:  # robustness is tested elsewhere; here only time counts
            continue


def _one_detector(name: str) -> Callable[[bytes], object]:
    def run(raw: bytes) -> object:
        msg = BounceMessage(raw)
        detector = next(d for d in detectors() if d.name == name)
        detector.sniff(msg)
        return detector.parse(msg)

    return run


#: (name, function, input builder) for every entry point under test.
TARGETS: list[tuple[str, Callable[[Any], object], Callable[[str], Any]]] = [
    ("explain", explain, lambda s: s),
    ("scan body", scan, as_body),
    ("scan headers", scan, as_headers),
    ("detect_provider", detect_provider, lambda s: s),
    ("classify", lambda s: classify(Evidence(diagnostic=s)), lambda s: s),
    ("every detector", every_detector, as_body),
]


# --------------------------------------------------------------------------- measuring


def _elapsed(run: Callable[[Any], object], arg: Any) -> float:
    start = time.perf_counter()
    run(arg)
    return time.perf_counter() - start


def ratio(
    run: Callable[[Any], object], small: Any, large: Any, floor: float = FLOOR
) -> tuple[float, float]:
    """(large/small time ratio, large time): small is best of 3, large best of up to 5.

    The large input is timed again only while the ratio looks worse than `RETRY_ABOVE`,
    which keeps the suite fast without letting one noisy run fail it (on a loaded
    2-CPU machine one 1 MB run in three can take twice its time; a real quadratic
    pattern stays ~10x over the limit however often it is timed).
    """
    t_small = max(floor, min(_elapsed(run, small) for _ in range(3)))
    t_large = _elapsed(run, large)
    for _ in range(4):
        if max(t_large, floor) / t_small <= RETRY_ABOVE:
            break
        t_large = min(t_large, _elapsed(run, large))
    return max(t_large, floor) / t_small, t_large


def in_child(work: Callable[[], Any], timeout: float = HANG) -> Any:
    """Run ``work()`` in a forked process; fail the test if it has not answered in time."""
    receive, send = _FORK.Pipe(duplex=False)

    def child() -> None:
        gc.freeze()  # objects inherited from the test run are not the code's garbage to scan
        try:
            send.send(("ok", work()))
        except BaseException as exc:  # report any failure to the parent
            send.send(("error", f"{type(exc).__name__}: {exc}"))

    proc = _FORK.Process(target=child, daemon=True)
    proc.start()
    try:
        if not receive.poll(timeout):
            pytest.fail(f"no answer within {timeout:.0f} s: super-linear (or hung)")
        status, value = receive.recv()
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
    if status != "ok":
        pytest.fail(str(value))
    return value


def _measure_unit(unit: str) -> list[tuple[str, float, float]]:
    """(target, 1 MB/100 kB ratio, 1 MB time) for every target; names a slow detector."""
    out = []
    for target, run, build in TARGETS:
        r, t_large = ratio(run, build(fill(unit, SMALL)), build(fill(unit, LARGE)))
        if target == "every detector" and r > MAX_RATIO:
            for detector in detectors():
                one = _one_detector(detector.name)
                r1, t1 = ratio(one, as_body(fill(unit, SMALL)), as_body(fill(unit, LARGE)))
                if r1 > MAX_RATIO:
                    out.append((f"detector {detector.name}", r1, t1))
        out.append((target, r, t_large))
    return out


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
def test_unit_is_linear_everywhere(name: str) -> None:
    unit = UNITS[name]
    results: list[tuple[str, float, float]] = in_child(lambda: _measure_unit(unit))
    target, worst, t_large = max(results, key=lambda row: row[1])
    SUMMARY.append(
        (worst, f"{name!r} ({unit!r} x N) through {target}, 1 MB in {t_large * 1000:.0f} ms")
    )
    over = [
        f"{target}: 1 MB/100 kB = {r:.1f} ({t:.3f} s at 1 MB)"
        for target, r, t in results
        if r > MAX_RATIO
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


def _regex_worst(
    rules: list[tuple[str, re.Pattern[str]]], method: str, small: int, large: int
) -> list[tuple[float, str]]:
    """(ratio, description) for each rule's worst unit, measured with `method`."""
    out = []
    for where, compiled in rules:
        run = getattr(compiled, method)
        worst = (0.0, "")
        for unit in adversarial_units(compiled.pattern):
            r, _ = ratio(run, fill(unit, small), fill(unit, large), floor=FLOOR / 20)
            worst = max(worst, (r, f"{where} {compiled.pattern[:80]!r} on {unit[:20]!r} x N"))
        out.append(worst)
    return out


def test_data_regexes_exist() -> None:
    assert len(list(regex_rules())) >= 1, "no regex found in bot/core/data: the walker is stale"


def test_every_data_regex_compiles_and_is_linear() -> None:
    rules = [(where, re.compile(pattern)) for where, pattern in regex_rules()]
    results: list[tuple[float, str]] = in_child(
        lambda: _regex_worst(rules, "findall", 10_000, 100_000)
    )
    worst = max(results)
    SUMMARY.append((worst[0], f"data regex {worst[1]} (100 kB/10 kB, {len(rules)} regexes)"))
    over = [f"{r:.1f}: {what}" for r, what in results if r > MAX_RATIO]
    assert not over, "super-linear data regexes (100 kB/10 kB):\n" + "\n".join(over)


def test_every_code_regex_is_linear_at_the_start_of_a_line() -> None:
    rules = list(code_regexes())
    assert len(rules) >= 50, "code regex discovery is stale"
    results: list[tuple[float, str]] = in_child(lambda: _regex_worst(rules, "match", 1_000, 10_000))
    worst = max(results)
    SUMMARY.append((worst[0], f"code regex {worst[1]} (10 kB/1 kB, {len(rules)} regexes)"))
    over = [f"{r:.1f}: {what}" for r, what in results if r > MAX_RATIO]
    assert not over, "super-linear code regexes (10 kB/1 kB):\n" + "\n".join(over)
