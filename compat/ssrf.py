"""Outbound URL policy (webhook targets and image URL inputs), so no request can reach internal services.

Webhook targets: public addresses are allowed; loopback (this machine's own services, platelens included),
private, link-local, multicast, reserved and unspecified addresses are refused unless the host name, the
address or a CIDR containing it is listed in PLATELENS_WEBHOOK_ALLOWED_HOSTS (or, for loopback,
PLATELENS_WEBHOOK_ALLOW_LOOPBACK=true, for a receiver on the same machine as in Plate Recognizer's SDK
examples).

Image URL inputs (Huawei `url`, Tencent `ImageUrl`, Plate Recognizer `upload_url`): refused unless the host
name, the address or a CIDR containing it is listed in PLATELENS_URL_INPUT_ALLOWED_HOSTS.

Every address a name resolves to must pass (a name that resolves to one public and one private address is
refused). Checks run when a webhook is registered and again before each delivery; redirects are not
followed."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
from django.conf import settings

from platelens.errors import ServiceError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServiceError("url_unresolvable", f"The host {host!r} cannot be resolved.") from exc
    addresses = []
    for info in infos:
        raw = info[4][0].split("%", 1)[0]  # drop an IPv6 zone id
        address = ipaddress.ip_address(raw)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses


def _listed(host: str, address: Address, allowed: Iterable[str]) -> bool:
    for entry in allowed:
        entry = entry.strip()
        if not entry:
            continue
        if entry.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _split(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError("url_invalid", "Only absolute http:// or https:// URLs are accepted.")
    if parts.username or parts.password:
        raise ServiceError("url_invalid", "URLs with credentials are not accepted.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ServiceError("url_invalid", "The URL has an invalid port.") from exc
    return parts.hostname, port


def outbound_failure(exc: requests.RequestException, url: str) -> str:
    """What went wrong with an outbound request, in words a user can act on (not urllib3's internals)."""
    host = urlsplit(url).netloc or url
    if isinstance(exc, requests.Timeout):
        return f"{host} did not answer in time."
    if isinstance(exc, requests.exceptions.SSLError):
        return f"The TLS certificate of {host} was not accepted."
    if isinstance(exc, requests.ConnectionError):
        return f"Could not connect to {host} (refused, unreachable or closed the connection)."
    return f"The request to {host} failed."


def check_webhook_target(url: str) -> None:
    """Raise ServiceError("url_refused") unless `url` may receive webhooks."""
    host, port = _split(url)
    allowed = settings.PLATELENS_WEBHOOK_ALLOWED_HOSTS
    allow_loopback = settings.PLATELENS_WEBHOOK_ALLOW_LOOPBACK
    for address in _resolve(host, port):
        if _listed(host, address, allowed):
            continue
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global or address.is_multicast:
            raise ServiceError(
                "url_refused",
                f"Webhook target {host} resolves to the non-public address {address}; "
                "add it to PLATELENS_WEBHOOK_ALLOWED_HOSTS to allow it.",
            )


def check_url_input(url: str) -> None:
    """Raise ServiceError("url_input_refused") unless the server may download an image from `url`."""
    host, port = _split(url)
    allowed = settings.PLATELENS_URL_INPUT_ALLOWED_HOSTS
    if not allowed:
        raise ServiceError(
            "url_input_refused",
            "Image URLs are not accepted by this server: send the image bytes (base64) instead, "
            "or ask the administrator to list the host in PLATELENS_URL_INPUT_ALLOWED_HOSTS.",
        )
    for address in _resolve(host, port):
        if not _listed(host, address, allowed):
            raise ServiceError(
                "url_input_refused",
                f"Image URLs from {host} ({address}) are not accepted: the host is not listed in "
                "PLATELENS_URL_INPUT_ALLOWED_HOSTS.",
            )
