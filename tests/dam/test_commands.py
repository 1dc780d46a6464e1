"""Management commands: issue_token, ingest (new / duplicate / failed summary)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from dam.models import Asset
from tests.support.synth import corrupt_bytes

from .conftest import png_bytes


def run(*args, fails: bool = False) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    if fails:
        with pytest.raises(CommandError, match="failed"):  # `manage.py ingest` exits non-zero
            call_command(*args, stdout=out, stderr=err)
    else:
        call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_issue_token(db):
    with pytest.raises(CommandError):
        run("issue_token", "carol")
    key, _ = run("issue_token", "carol", "--create", "--staff")
    token = Token.objects.get(key=key.strip())
    assert token.user.username == "carol" and token.user.is_staff
    assert run("issue_token", "carol")[0] == key  # same token again
    assert run("issue_token", "carol", "--regenerate")[0] != key


def test_ingest_summary(alice, tmp_path):
    tmp_path = tmp_path / "incoming"  # media_root lives in tmp_path too
    tmp_path.mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.jpg").write_bytes(png_bytes(color=(1, 1, 1)))
    (tmp_path / "sub" / "b.PNG").write_bytes(png_bytes(color=(2, 2, 2)))
    (tmp_path / "copy-of-a.jpeg").write_bytes(png_bytes(color=(1, 1, 1)))
    (tmp_path / "broken.jpg").write_bytes(corrupt_bytes("truncated"))
    (tmp_path / "huge.png").write_bytes(corrupt_bytes("huge"))
    (tmp_path / "notes.txt").write_text("ignored")
    out, err = run("ingest", str(tmp_path), "--owner", "alice", "--camera-id", "cam-7", fails=True)
    assert "5 files: 2 new, 1 duplicate, 2 failed" in out
    assert "broken.jpg: truncated_image" in err
    # The user's configured limit, not Pillow's internal 178,956,970-pixel one.
    assert "huge.png: image_too_large: The image is larger than the 50 megapixel limit." in err
    assert "178956970" not in err and "DecompressionBomb" not in err
    assert set(Asset.objects.values_list("camera_id", flat=True)) == {"cam-7"}
    out, _ = run("ingest", str(tmp_path), "--owner", "alice", "--no-progress", fails=True)
    assert "0 new, 3 duplicate, 2 failed" in out
    (tmp_path / "broken.jpg").unlink()
    (tmp_path / "huge.png").unlink()
    out, _ = run("ingest", str(tmp_path), "--owner", "alice", "--no-progress")  # all fine: exit status 0
    assert "0 new, 3 duplicate, 0 failed" in out


def test_ingest_needs_an_owner(db, tmp_path):
    with pytest.raises(CommandError):
        run("ingest", str(tmp_path))
    with pytest.raises(CommandError):
        run("ingest", str(tmp_path / "missing"), "--owner", "x")
