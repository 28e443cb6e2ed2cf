"""SMTPBOT_DNS and SMTPBOT_DNS_SERVER: accepted forms and clear refusals."""

from __future__ import annotations

import pytest

from bot.dns.settings import DnsSettings, DnsSettingsError, Server


@pytest.mark.parametrize(
    ("env", "enabled", "server"),
    [
        ({}, True, None),
        ({"SMTPBOT_DNS": "off"}, False, None),
        ({"SMTPBOT_DNS": "OFF "}, False, None),
        ({"SMTPBOT_DNS": "on"}, True, None),
        ({"SMTPBOT_DNS_SERVER": "192.0.2.53"}, True, Server("192.0.2.53", 53)),
        ({"SMTPBOT_DNS_SERVER": "127.0.0.1:5353"}, True, Server("127.0.0.1", 5353)),
        ({"SMTPBOT_DNS_SERVER": "2001:db8::53"}, True, Server("2001:db8::53", 53)),
        ({"SMTPBOT_DNS_SERVER": "[2001:db8::53]:5353"}, True, Server("2001:db8::53", 5353)),
        ({"SMTPBOT_DNS_SERVER": "localhost:5353"}, True, Server("127.0.0.1", 5353)),
    ],
)
def test_accepted(env: dict[str, str], enabled: bool, server: Server | None) -> None:
    settings = DnsSettings.from_env(env)
    assert (settings.enabled, settings.server) == (enabled, server)
    assert (settings.query_timeout, settings.budget) == (2.0, 5.0)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SMTPBOT_DNS": "maybe"}, "SMTPBOT_DNS must be"),
        ({"SMTPBOT_DNS_SERVER": "127.0.0.1:0"}, "SMTPBOT_DNS_SERVER"),
        ({"SMTPBOT_DNS_SERVER": "127.0.0.1:dns"}, "SMTPBOT_DNS_SERVER"),
        ({"SMTPBOT_DNS_SERVER": "[2001:db8::53"}, "SMTPBOT_DNS_SERVER"),
        ({"SMTPBOT_DNS_SERVER": "no-such-host.invalid"}, "cannot resolve"),
    ],
)
def test_refused_with_the_variable_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(DnsSettingsError, match=named):
        DnsSettings.from_env(env)


def test_server_shown_as_configured() -> None:
    assert str(Server("127.0.0.1", 5353)) == "127.0.0.1:5353"
    assert str(Server("2001:db8::53", 53)) == "[2001:db8::53]"
