"""Per-user request rate of the compatible APIs: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"]
(PLATELENS_RATE_LIMIT), read at request time so a settings change applies without a restart."""

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class CompatUserRateThrottle(UserRateThrottle):
    scope = "user"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
