"""How each vendor's clients send their key. The key is always a DRF auth token of a platelens user.

- Plate Recognizer: `Authorization: Token <key>`.
- Huawei: `X-Auth-Token: <key>` (or `Authorization: Token <key>`). No IAM token exchange: the platelens
  token is used as the IAM token.
- Tencent: `Authorization: Token <key>`, or the SDK's `TC3-HMAC-SHA256 Credential=<key>/...` header with
  the platelens token as SecretId. TC3 signatures are NOT verified: the token is the credential.
- Scaleflex: `X-Filerobot-Key: <key>` (or `Authorization: Token <key>`).
"""

from __future__ import annotations

import re

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


class TencentAuthentication(_KeyAuthentication):
    def key_from(self, request) -> str | None:
        match = _TC3.match(request.headers.get("Authorization", ""))
        if match:
            return match.group(1)
        return super().key_from(request)
