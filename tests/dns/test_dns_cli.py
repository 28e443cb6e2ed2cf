"""The command line end to end: ``smtpbot check``, ``explain --dns``, ``scan --dns``.

`check` runs as its own process (the installed entry point's module) against the test
DNS server named by SMTPBOT_DNS_SERVER, exactly as a user would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import ROOT
from tests.dns.server import SilentServer, ZoneServer

BOUNCES = Path(__file__).with_name("bounces")


def _smtpbot(*args: str, server: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "SMTPBOT_DNS_SERVER": server, **env}
    environ.pop("SMTPBOT_DNS", None) if "SMTPBOT_DNS" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_check_json_end_to_end(dns_server: ZoneServer) -> None:
    done = _smtpbot(
        "check",
        "pass.example.org",
        "--ip",
        "192.0.2.10",
        "--selector",
        "s1",
        "--json",
        server=dns_server.address,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["domain"], data["ip"], data["complete"]) == (
        "pass.example.org",
        "192.0.2.10",
        True,
    )
    by_check: dict[str, list[dict[str, str]]] = {}
    for finding in data["findings"]:
        by_check.setdefault(finding["check"], []).append(finding)
    assert by_check["spf"][0]["fact"].startswith(
        "SPF of pass.example.org gives pass for 192.0.2.10"
    )
    assert by_check["spf"][0]["record"] == "v=spf1 ip4:192.0.2.0/24 -all"
    assert by_check["dkim"][0]["severity"] == "ok"
    assert by_check["dmarc"][0]["record"].startswith("v=DMARC1; p=reject")
    assert by_check["ptr"][0]["severity"] == "problem"  # 192.0.2.10's PTR does not confirm
    listed = [f["subject"] for f in by_check["dnsbl"] if f["severity"] == "problem"]
    assert listed == ["192.0.2.10 on zen.spamhaus.org", "192.0.2.10 on bl.spamcop.net"]


def test_check_text(dns_server: ZoneServer) -> None:
    done = _smtpbot("check", "nullmx.example.org", server=dns_server.address)
    assert done.returncode == 0, done.stderr
    assert "[PROBLEM] MX: nullmx.example.org publishes a null MX (`0 .`, RFC 7505)." in done.stdout
    assert "Record: 0 ." in done.stdout


def test_check_exits_1_when_dns_fails(
    silent_server: SilentServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.dns import cli

    monkeypatch.setattr(cli, "CHECK_BUDGET", 0.3)  # one query's timeout, then nothing more
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", silent_server.address)
    assert main(["check", "example.org", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert not data["complete"]
    assert data["findings"][0]["severity"] == "unavailable"
    assert "timed out" in data["findings"][0]["fact"]
    assert "Not checked" in data["notes"][0] and "DMARC of example.org" in data["notes"][0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "not a domain"], "is not a domain name"),
        (["check", "example.org", "--ip", "999.1.1.1"], "is not an IPv4 or IPv6 address"),
        (["check", "example.org", "--selector", "a b"], "is not a DKIM selector"),
    ],
)
def test_check_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_check_refuses_bad_settings_and_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", "127.0.0.1:99999")
    assert main(["check", "example.org"]) == 2
    assert "SMTPBOT_DNS_SERVER" in capsys.readouterr().err
    monkeypatch.setenv("SMTPBOT_DNS", "off")
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", "127.0.0.1:5353")
    assert main(["check", "example.org"]) == 2
    assert "SMTPBOT_DNS=off" in capsys.readouterr().err


def test_explain_dns_json(
    dns_server: ZoneServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", dns_server.address)
    monkeypatch.delenv("SMTPBOT_DNS", raising=False)
    line = "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org"
    assert main(["explain", "--dns", "--json", line]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdicts"][0]["reason"] == "blocked"
    assert data["dns"]["findings"][0]["subject"] == "192.0.2.10 on zen.spamhaus.org"


def test_explain_without_dns_makes_no_query(
    dns_server: ZoneServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", dns_server.address)
    before = len(dns_server.resolver.queries)
    assert main(["explain", "--json", "554 5.7.1 blocked using zen.spamhaus.org [192.0.2.77]"]) == 0
    assert "dns" not in json.loads(capsys.readouterr().out)
    assert len(dns_server.resolver.queries) == before


def test_explain_dns_text_keeps_its_exit_status_when_dns_fails(
    silent_server: SilentServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", silent_server.address)
    line = "550 5.7.25 [192.0.2.13] The IP address sending this message does not have a PTR record"
    assert main(["explain", "--dns", line]) == 0
    out = capsys.readouterr().out
    assert "Reason:      requireptr" in out
    assert "[DNS failed] Reverse DNS: The PTR lookup of 13.2.0.192.in-addr.arpa timed out." in out


def test_scan_dns_json(
    dns_server: ZoneServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", dns_server.address)
    assert main(["scan", "--dns", "--json", str(BOUNCES)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in records] == ["gmail-5.7.26.eml"]
    checks = [f["check"] for f in records[0]["dns"]["findings"]]
    assert checks == ["spf", "dkim", "dmarc"]


def test_scan_dns_table(
    dns_server: ZoneServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", dns_server.address)
    assert main(["scan", "--dns", str(BOUNCES)]) == 0
    out = capsys.readouterr().out
    assert "messages scanned: 1" in out
    assert "DNS findings" in out and "gmail-5.7.26.eml:" in out
    assert "[PROBLEM] SPF: SPF of fail.example.org gives fail for 192.0.2.9" in out


def test_scan_dns_csv_has_a_dns_column(
    dns_server: ZoneServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io

    monkeypatch.setenv("SMTPBOT_DNS_SERVER", dns_server.address)
    assert main(["scan", "--dns", "--csv", str(BOUNCES)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["file"] for r in rows] == ["gmail-5.7.26.eml"]
    assert rows[0]["reason"] == "authfailure"
    assert rows[0]["dns"].startswith("PROBLEM spf: SPF of fail.example.org gives fail")
    assert " | PROBLEM dkim: " in rows[0]["dns"]


def test_scan_dns_reports_unreadable_files(
    dns_server: ZoneServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTPBOT_DNS_SERVER", dns_server.address)
    assert main(["scan", "--dns", "--json", str(BOUNCES / "missing.eml")]) == 1
    captured = capsys.readouterr()
    assert "missing.eml" in captured.err
    assert json.loads(captured.out)["error"]
