"""Outbound URL policy for webhook targets and image URL inputs."""

from __future__ import annotations

import pytest

from compat import ssrf
from platelens.errors import ServiceError


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://172.16.3.4:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fc00::1]/hook",
        "http://[::ffff:10.1.2.3]/",
        "http://0.0.0.0/",
        "ftp://example.com/file",
        "http://user:pw@example.com/",
    ],
)
def test_private_and_odd_targets_are_refused(url, settings):
    settings.PLATELENS_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ServiceError):
        ssrf.check_webhook_target(url)


def test_loopback_is_allowed_unless_turned_off(settings):
    ssrf.check_webhook_target("http://127.0.0.1:8081/")
    ssrf.check_webhook_target("http://[::1]:8081/")
    settings.PLATELENS_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ServiceError):
        ssrf.check_webhook_target("http://127.0.0.1:8081/")


def test_listed_hosts_and_cidrs_are_allowed(settings):
    settings.PLATELENS_WEBHOOK_ALLOWED_HOSTS = ["10.0.0.0/8", "192.168.1.1"]
    ssrf.check_webhook_target("http://10.20.30.40/hook")
    ssrf.check_webhook_target("http://192.168.1.1/hook")
    with pytest.raises(ServiceError):
        ssrf.check_webhook_target("http://192.168.1.2/hook")


def test_url_input_needs_an_allowed_host(settings):
    settings.PLATELENS_URL_INPUT_ALLOWED_HOSTS = []
    with pytest.raises(ServiceError) as refused:
        ssrf.check_url_input("http://127.0.0.1/car.jpg")
    assert refused.value.code == "url_input_refused"
    settings.PLATELENS_URL_INPUT_ALLOWED_HOSTS = ["127.0.0.0/8"]
    ssrf.check_url_input("http://127.0.0.1/car.jpg")
    with pytest.raises(ServiceError):
        ssrf.check_url_input("http://10.0.0.1/car.jpg")
