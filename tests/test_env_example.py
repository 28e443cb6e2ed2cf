"""`.env.example` documents every environment variable the code reads, and holds no secret."""

from __future__ import annotations

import re

from tests.conftest import ROOT

#: How the code reads a variable (a WSGI `environ` is a request, not the environment).
_READS = re.compile(
    r"""(?:\benv\.get|os\.environ\.get|getenv|_get\(env,)\s*\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)
_DOCUMENTED = re.compile(r"^#?([A-Z][A-Z0-9_]+)=", re.MULTILINE)


def _variables_read() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        names.update(_READS.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_variable_the_code_reads_is_documented() -> None:
    read = _variables_read()
    assert {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SMTPBOT_DB"} <= read, read
    documented = set(_DOCUMENTED.findall((ROOT / ".env.example").read_text(encoding="utf-8")))
    assert read <= documented, f"not in .env.example: {sorted(read - documented)}"


def test_env_example_holds_placeholders_only() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    for token in re.findall(r"\bxox[a-z]-[\w-]+|\bxapp-[\w-]+", text):
        assert "your" in token, f"{token!r} looks like a real token"
