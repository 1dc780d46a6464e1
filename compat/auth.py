"""How each vendor's clients send their key. The key is always a DRF auth token of a platelens user.

- Plate Recognizer: `Authorization: Token <key>`.
- Huawei: `X-Auth-Token: <key>` (or `Authorization: Token <key>`). No IAM token exchange: the platelens
  token is used as the IAM token.
- Tencent: `Authorization: Token <key>`, or the SDK's `TC3-HMAC-SHA256 Credential=<key>/...` header with
  the platelens token as SecretId. TC3 signatures are NOT verified: the token is the credential.
- Scaleflex: `X-Filerobot-Key: <key>` (or `Authorization: Token <key>`).
- Plate Recognizer SDK mode (PLATELENS_SDK_MODE): no credentials at all, from PLATELENS_SDK_ALLOWED_NETWORKS.
- Vlens: `ApiKey: <key>`, or `Authorization: Bearer <key>` (their tenant key plus access token collapse into
  the one platelens token).
"""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication

_TC3 = re.compile(r"^TC3-HMAC-SHA256\s+Credential=([^/,\s]+)/", re.IGNORECASE)


class _KeyAuthentication(BaseAuthentication):
    """Reads the key from the vendor's header(s), then checks it like DRF's TokenAuthentication."""

    extra_headers: tuple[str, ...] = ()

    def key_from(self, request) -> str | None:
        authorization = request.headers.get("Authorization", "")
        parts = authorization.split()
        if len(parts) == 2 and parts[0].lower() == "token":
            return parts[1]
        if authorization and len(parts) != 2 and parts and parts[0].lower() == "token":
            raise exceptions.AuthenticationFailed("Invalid token header.")
        for name in self.extra_headers:
            value = request.headers.get(name, "").strip()
            if value:
                return value
        return None

    def authenticate(self, request):
        key = self.key_from(request)
        if key is None:
            return None
        return TokenAuthentication().authenticate_credentials(key)


class PlateRecognizerAuthentication(_KeyAuthentication):
    pass


class HuaweiAuthentication(_KeyAuthentication):
    extra_headers = ("X-Auth-Token",)


class ScaleflexAuthentication(_KeyAuthentication):
    extra_headers = ("X-Filerobot-Key",)


class VlensAuthentication(_KeyAuthentication):
    """`ApiKey` first (their clients send it on every call), then `Authorization: Bearer` or `Token`."""

    def key_from(self, request) -> str | None:
        api_key = request.headers.get("ApiKey", "").strip()
        if api_key:
            return api_key
        parts = request.headers.get("Authorization", "").split()
        if len(parts) == 2 and parts[0].lower() == "bearer":
            return parts[1]
        return super().key_from(request)


class TencentAuthentication(_KeyAuthentication):
    def key_from(self, request) -> str | None:
        match = _TC3.match(request.headers.get("Authorization", ""))
        if match:
            return match.group(1)
        return super().key_from(request)


def sdk_network_allows(address: str | None) -> bool:
    """Whether the peer address is in PLATELENS_SDK_ALLOWED_NETWORKS (IPv4-mapped IPv6 counts as IPv4)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # The settings checked every entry at start-up (platelens.settings.env_networks).
    return any(ip in ipaddress.ip_network(n, strict=False) for n in settings.PLATELENS_SDK_ALLOWED_NETWORKS)


class SdkModeAuthentication(BaseAuthentication):
    """Plate Recognizer's on-prem SDK is licensed when it starts and its HTTP API is open to its network, so
    their clients send no token. With PLATELENS_SDK_MODE on, a request without an Authorization header whose
    peer address (REMOTE_ADDR: behind a reverse proxy, the proxy's) is in PLATELENS_SDK_ALLOWED_NETWORKS is
    served as the service user PLATELENS_SDK_USER. Runs after the token authentication."""

    def authenticate(self, request):
        if not settings.PLATELENS_SDK_MODE or request.headers.get("Authorization"):
            return None
        if not sdk_network_allows(request.META.get("REMOTE_ADDR")):
            return None
        from .services import sdk_user

        return sdk_user(), None
