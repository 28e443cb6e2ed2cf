"""Format modules are discovered: adding a format is adding a file."""

from __future__ import annotations

from bot.core.mail.formats import detectors


def test_every_format_module_gives_its_detector() -> None:
    names = {detector.name for detector in detectors()}
    assert {"postfix", "exim", "sendmail", "rfc3464", "arf", "rfc3834", "fallback"} <= names
    assert len(names) == len(detectors()) >= 40
