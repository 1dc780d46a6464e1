"""Settings for the test suite: the embedded defaults, isolated in a temporary folder, fast hashing.

Tests that start real server or worker processes pass DJANGO_SETTINGS_MODULE=platelens.test_settings and
PLATELENS_VAR_DIR / PLATELENS_MEDIA_ROOT to the children so they share one database and media folder."""

import os
import tempfile

os.environ.setdefault("PLATELENS_VAR_DIR", tempfile.mkdtemp(prefix="platelens-test-var-"))

from .settings import *  # noqa: E402,F403
from .settings import REST_FRAMEWORK  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("PLATELENS_RATE_LIMIT", "10000/min"),
        "anon": "1000/min",
    },
}
