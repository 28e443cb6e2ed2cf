"""The README's DNS section shows what the code prints for the test bounce."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.scan import scan
from bot.dns import DnsSettings, TtlCache, diagnose, render
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BOUNCES = Path(__file__).with_name("bounces")


def test_sample_finding_is_what_explain_dns_prints(settings: DnsSettings) -> None:
    section = README[README.index("## DNS checks") :]
    sample = re.findall(r"```text\n(.*?)```", section, flags=re.DOTALL)[0]
    raw = (BOUNCES / "gmail-5.7.26.eml").read_bytes()
    lines = render.text_lines(diagnose(scan(raw), raw, settings, cache=TtlCache()))
    printed = "\n".join(lines)
    assert " ".join(sample.split()) in " ".join(printed.split())


def test_budget_figures_match_the_code() -> None:
    from bot.dns import cli, settings

    section = README[README.index("## DNS checks") :]
    assert f"at most {settings.QUERY_TIMEOUT:g} s" in section
    assert f"at most {settings.ANSWER_BUDGET:g} s and {settings.MAX_QUERIES} queries" in section
    assert f"(`check`: {cli.CHECK_BUDGET:g} s, {cli.CHECK_MAX_QUERIES})" in section
