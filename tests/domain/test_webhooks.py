"""Where a campaign's webhook may point (fointracker.domain.webhooks): public HTTP(S) only."""

from __future__ import annotations

import pytest

from fointracker.domain.webhooks import (
    WebhookRefused,
    address_problem,
    allowed_hosts_setting,
    check_addresses,
    host_allowed,
    parse_webhook_url,
)

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # the cloud metadata service
    "100.64.0.1",  # carrier-grade NAT
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "2002:a00:1::",  # 6to4 around 10.0.0.1
    "64:ff9b:1::1",
    "2001:db8::1",  # documentation
    "not an address",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4009:81f::200e", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_are_refused(address):
    assert address_problem(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.org/x",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
        "javascript:alert(1)",
        "hooks.example.org/x",
        "https:///path",
        "https://user:secret@hooks.example.org/x",
        "https://hooks.example.org:99999/x",
    ],
)
def test_only_plain_http_and_https_urls(url):
    with pytest.raises(WebhookRefused):
        parse_webhook_url(url)


def test_the_parts_of_an_address():
    target = parse_webhook_url(" HTTPS://Hooks.Example.org./T0/B0?x=1 ")
    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.example.org", 443, "/T0/B0?x=1")
    assert target.host_header == "hooks.example.org"
    target = parse_webhook_url("http://[::1]:8080")
    assert (target.host, target.port, target.path, target.host_header) == ("::1", 8080, "/", "[::1]:8080")


def test_every_address_must_be_public():
    target = parse_webhook_url("https://hooks.example.org/x")
    check_addresses(target, ["93.184.216.34", "2606:4700:4700::1111"], ())
    with pytest.raises(WebhookRefused, match="127.0.0.1 is a loopback"):
        check_addresses(target, ["93.184.216.34", "127.0.0.1"], ())
    with pytest.raises(WebhookRefused, match="no address"):
        check_addresses(target, [], ())


def test_an_admin_can_allow_a_host_by_name():
    target = parse_webhook_url("http://chat.intranet:8065/hooks/x")
    check_addresses(target, ["10.0.0.5"], ["CHAT.intranet"])
    with pytest.raises(WebhookRefused, match="WEBHOOK_ALLOWED_HOSTS"):
        check_addresses(target, ["10.0.0.5"], ["other.intranet"])
    assert host_allowed("::1", ["[::1]"]) and not host_allowed("127.0.0.2", ["127.0.0.1"])


def test_the_setting_is_a_list_or_a_string():
    assert allowed_hosts_setting(None) == allowed_hosts_setting("") == allowed_hosts_setting([]) == ()
    assert allowed_hosts_setting("a.example, b.example c") == ("a.example", "b.example", "c")
    assert allowed_hosts_setting(["127.0.0.1", " "]) == ("127.0.0.1",)
