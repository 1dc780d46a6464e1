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


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/api/", "http://localhost:8081/", "http://[::1]:8081/", "http://127.7.7.7/"]
)
def test_loopback_is_refused_by_default(url, settings):
    settings.PLATELENS_WEBHOOK_ALLOWED_HOSTS = []
    assert settings.PLATELENS_WEBHOOK_ALLOW_LOOPBACK is False  # the shipped default
    with pytest.raises(ServiceError) as refused:
        ssrf.check_webhook_target(url)
    assert refused.value.code == "url_refused"


def test_loopback_is_allowed_when_turned_on_or_listed(settings):
    settings.PLATELENS_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    ssrf.check_webhook_target("http://127.0.0.1:8081/")
    with pytest.raises(ServiceError):
        ssrf.check_webhook_target("http://[::1]:8081/")
    settings.PLATELENS_WEBHOOK_ALLOW_LOOPBACK = True
    ssrf.check_webhook_target("http://[::1]:8081/")


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


def test_a_failed_download_is_described_not_dumped(settings):
    """Issue 11, finding 8: the user reads what went wrong, not urllib3's HTTPConnectionPool(...) text."""
    from compat import inputs
    from tests.dam.processes import free_port

    settings.PLATELENS_URL_INPUT_ALLOWED_HOSTS = ["127.0.0.1"]
    url = f"http://127.0.0.1:{free_port()}/car.jpg"  # nothing listens there
    with pytest.raises(ServiceError) as failed:
        inputs.fetch_url(url, field_name="upload_url")
    message = failed.value.message
    assert failed.value.code == "url_fetch_failed"
    assert "Could not connect to 127.0.0.1:" in message
    assert "HTTPConnectionPool" not in message and "Errno" not in message and "Max retries" not in message
