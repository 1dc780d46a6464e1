"""Secure defaults (issue 11, finding 2): DEBUG is off unless PLATELENS_DEBUG turns it on, the secret key is
never a published one, and `check --deploy` is clean with the README's production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code_or_args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PLATELENS_")}
    base.update(DJANGO_SETTINGS_MODULE="platelens.settings", PLATELENS_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def settings_value(tmp_path: Path, name: str, **env: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    result = run(["-c", code], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_debug_is_off_unless_explicitly_enabled(tmp_path):
    assert settings_value(tmp_path, "DEBUG") == "False"
    assert settings_value(tmp_path, "DEBUG", PLATELENS_DEBUG="true") == "True"


def test_the_secret_key_is_made_per_installation_and_kept(tmp_path):
    first = settings_value(tmp_path, "SECRET_KEY")
    assert len(first) >= 50 and "insecure" not in first
    assert settings_value(tmp_path, "SECRET_KEY") == first  # kept in the var folder
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    other = tmp_path / "other"
    other.mkdir()
    assert settings_value(other, "SECRET_KEY") != first
    assert settings_value(tmp_path, "SECRET_KEY", PLATELENS_SECRET_KEY="from-env" * 8) == "from-env" * 8


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    production = {
        "PLATELENS_SECRET_KEY": secrets.token_urlsafe(50),
        "PLATELENS_ALLOWED_HOSTS": "plates.example.com",
        "PLATELENS_HTTPS": "true",
    }
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **production)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # The same check without the HTTPS switch names what is missing (so the test above means something).
    insecure = run(["manage.py", "check", "--deploy"], tmp_path)
    assert "security.W004" in insecure.stderr + insecure.stdout


def test_security_headers_and_static_files_with_debug_off(client, db, settings):
    assert settings.DEBUG is False
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"
    # Static files are served by the app itself (whitenoise) with DEBUG off and no collectstatic run.
    static = client.get("/static/admin/css/base.css")
    assert static.status_code == 200 and b"".join(static.streaming_content)
