"""REST API: upload (multipart and base64), list/filters, detail, metadata, review, reprocess, delete,
ownership, and the one error shape for every failure."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from dam import services
from dam.models import Asset
from tests.support.engine import recognition
from tests.support.synth import corrupt_bytes

from .conftest import png_bytes, recognitions, token_client


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def upload(client, data: bytes, name="car.jpg", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/assets/", {"file": SimpleUploadedFile(name, data), **fields}, format="multipart")


def done_asset(owner, *plates: str, color=(10, 20, 30), camera_id=""):
    asset, _ = services.asset_create(
        owner=owner, data=png_bytes(color=color), camera_id=camera_id, enqueue=False
    )
    services.readings_record(asset=asset, result=recognition(*plates), model_version="test-v1")
    asset.refresh_from_db()
    return asset


def test_multipart_upload_returns_201_pending_and_queues(alice_api, django_capture_on_commit_callbacks):
    data = png_bytes()
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(alice_api, data, camera_id="gate-1", timestamp="2026-03-04T05:06:07Z")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["duplicate"] is False
    assert body["camera_id"] == "gate-1" and body["timestamp"].startswith("2026-03-04T05:06:07")
    assert body["content_type"] == "image/png" and body["width"] == 64
    assert recognitions(callbacks) == 1
    again = upload(alice_api, data, name="other-name.png")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["request_uuid"] == body["request_uuid"]
    assert again.json()["updated_fields"] == [] and again.json()["camera_id"] == "gate-1"  # nothing sent


def test_duplicate_with_new_capture_facts_updates_them_and_says_so(alice_api):
    data = png_bytes(color=(9, 8, 7))
    first = upload(alice_api, data, camera_id="gate-1").json()
    assert first["updated_fields"] == []
    again = upload(alice_api, data, camera_id="gate-2", timestamp="2026-05-01T10:00:00Z")
    assert again.status_code == 200
    body = again.json()
    assert body["duplicate"] is True and body["request_uuid"] == first["request_uuid"]
    assert body["updated_fields"] == ["camera_id", "timestamp"]
    assert body["camera_id"] == "gate-2" and body["timestamp"].startswith("2026-05-01T10:00:00")
    same = upload(alice_api, data, camera_id="gate-2").json()
    assert same["updated_fields"] == [] and same["timestamp"].startswith("2026-05-01T10:00:00")
    found = alice_api.get("/api/assets/", {"camera_id": "gate-2"}).json()
    assert [a["request_uuid"] for a in found["results"]] == [first["request_uuid"]]


def test_base64_json_upload(alice_api):
    data = png_bytes(color=(1, 2, 3))
    response = alice_api.post("/api/assets/", {"image": base64.b64encode(data).decode()}, format="json")
    assert response.status_code == 201, response.content
    with_prefix = "data:image/png;base64," + base64.b64encode(png_bytes(color=(4, 5, 6))).decode()
    assert alice_api.post("/api/assets/", {"image": with_prefix}, format="json").status_code == 201
    assert_error(
        alice_api.post("/api/assets/", {"image": "@@not base64@@"}, format="json"), 400, "invalid_base64"
    )


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("empty", "empty_image"),
        ("text", "not_an_image"),
        ("truncated", "truncated_image"),
        ("bomb", "image_too_large"),
    ],
)
def test_bad_uploads_give_400_with_code(alice_api, kind, code):
    assert_error(upload(alice_api, corrupt_bytes(kind)), 400, code)
    assert Asset.objects.count() == 0


def test_missing_file(alice_api):
    assert_error(alice_api.post("/api/assets/", {"camera_id": "x"}, format="multipart"), 400, "missing_file")


def test_oversize_upload_gives_413(alice_api, settings):
    settings.PLATELENS_MAX_UPLOAD_BYTES = 2_000
    # Over the limit but within the request allowance: the file's own size decides.
    assert_error(upload(alice_api, png_bytes(size=(60, 60), fmt="BMP")), 413, "file_too_large")
    # Far over the limit: refused from Content-Length before the body is read.
    assert_error(upload(alice_api, png_bytes(size=(400, 400), fmt="BMP")), 413, "file_too_large")
    big = base64.b64encode(png_bytes(size=(400, 400), fmt="BMP")).decode()
    assert_error(alice_api.post("/api/assets/", {"image": big}, format="json"), 413, "file_too_large")


def test_auth_errors_are_401_in_the_error_shape(alice):
    anonymous = APIClient()
    error = assert_error(anonymous.get("/api/assets/"), 401, "not_authenticated")
    assert error["message"]
    assert anonymous.get("/api/assets/")["WWW-Authenticate"].startswith("Token")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_error(bad.get("/api/assets/"), 401, "authentication_failed")


def test_404_405_and_unknown_api_paths(alice_api):
    assert_error(alice_api.get("/api/assets/00000000-0000-4000-8000-000000000000/"), 404, "not_found")
    assert_error(alice_api.put("/api/assets/", {}, format="json"), 405, "method_not_allowed")
    assert_error(alice_api.get("/api/no-such-thing/"), 404, "not_found")


def test_rate_limit_gives_429(alice_api, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/min", "anon": "3/min"},
    }
    for _ in range(3):
        assert alice_api.get("/api/assets/").status_code == 200
    error = assert_error(alice_api.get("/api/assets/"), 429, "rate_limited")
    assert error["details"]["retry_after"] > 0
    cache.clear()


def test_users_see_and_change_only_their_assets(alice, bob, staff, alice_api, bob_api, staff_api):
    mine = done_asset(alice, "ab12cde")
    theirs = done_asset(bob, "xy99zzz", color=(99, 99, 99))
    assert [a["request_uuid"] for a in alice_api.get("/api/assets/").json()["results"]] == [
        str(mine.request_uuid)
    ]
    assert {a["request_uuid"] for a in staff_api.get("/api/assets/").json()["results"]} == {
        str(mine.request_uuid),
        str(theirs.request_uuid),
    }
    url = f"/api/assets/{theirs.request_uuid}/"
    reading = theirs.readings.get()
    assert_error(alice_api.get(url), 404)
    assert_error(alice_api.get(url + "metadata/"), 404)
    assert_error(alice_api.post(url + "reprocess/"), 404)
    assert_error(alice_api.patch(f"{url}readings/{reading.pk}/", {"status": "rejected"}, format="json"), 404)
    assert_error(alice_api.delete(url), 404)
    # A reading id of someone else's asset under my asset's URL is not found either.
    assert_error(
        alice_api.patch(
            f"/api/assets/{mine.request_uuid}/readings/{reading.pk}/", {"status": "approved"}, format="json"
        ),
        404,
    )
    assert Asset.objects.filter(pk=theirs.pk).exists()
    assert bob_api.get(url).status_code == 200
    assert staff_api.get(url).status_code == 200
    assert alice_api.get(f"/assets/{theirs.request_uuid}/file/").status_code == 404


def test_detail_and_metadata_use_corrections(alice, alice_api):
    asset = done_asset(alice, "ab12cde", "xy99zzz")
    first, second = asset.readings.all()
    url = f"/api/assets/{asset.request_uuid}/"
    response = alice_api.patch(
        f"{url}readings/{first.pk}/", {"status": "corrected", "corrected_plate": "AB12 CDF"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["effective_plate"] == "ab12cdf" and response.json()["reviewer"] == "alice"
    assert (
        alice_api.patch(f"{url}readings/{second.pk}/", {"status": "rejected"}, format="json").status_code
        == 200
    )
    assert_error(
        alice_api.patch(f"{url}readings/{second.pk}/", {"status": "corrected"}, format="json"),
        400,
        "corrected_plate_required",
    )
    assert_error(
        alice_api.patch(f"{url}readings/{second.pk}/", {"status": "bogus"}, format="json"), 400, "invalid"
    )
    detail = alice_api.get(url).json()
    assert detail["plate_numbers"] == ["AB12 CDF"]
    assert [r["review_status"] for r in detail["readings"]] == ["corrected", "rejected"]
    metadata = alice_api.get(url + "metadata/").json()
    assert metadata["status"] == "success" and metadata["version"]
    assert metadata["result"]["plate_number"] == ["AB12 CDF"]
    assert metadata["result"]["request_uuid"] == str(asset.request_uuid)
    assert metadata["result"]["sha1"] == asset.sha1
    assert metadata["result"]["file_path"] == f"/assets/{asset.request_uuid}/file/"
    assert set(metadata["result"]) == {"request_uuid", "created_on", "sha1", "file_path", "plate_number"}


def test_list_filters_and_ordering(alice, alice_api):
    a = done_asset(alice, "ab12cde", color=(1, 1, 1), camera_id="north")
    b = done_asset(alice, "ab12cde", color=(2, 2, 2), camera_id="south")
    c = done_asset(alice, "zz11zzz", color=(3, 3, 3), camera_id="south")
    services.reading_review(
        reading=c.readings.get(), reviewer=alice, status="corrected", corrected_plate="ab12cde"
    )
    services.reading_review(reading=a.readings.get(), reviewer=alice, status="rejected")
    Asset.objects.filter(pk=b.pk).update(status="failed")

    def uuids(query):
        response = alice_api.get("/api/assets/" + query)
        assert response.status_code == 200, response.content
        return [x["request_uuid"] for x in response.json()["results"]]

    # The correction is the truth (c), the rejected reading is not (a); reviewed matches come first.
    assert uuids("?plate=AB12CDE") == [str(c.request_uuid), str(b.request_uuid)]
    assert uuids("?plate=zz11zzz") == []
    assert uuids("?status=failed") == [str(b.request_uuid)]
    assert uuids("?camera_id=south&ordering=created_on") == [str(b.request_uuid), str(c.request_uuid)]
    assert len(uuids("?created_after=2000-01-01T00:00:00Z&created_before=2999-01-01T00:00:00Z")) == 3
    assert uuids("?timestamp_after=2000-01-01T00:00:00Z") == []
    assert_error(alice_api.get("/api/assets/?status=nonsense"), 400, "invalid_filter")
    page = alice_api.get("/api/assets/").json()
    assert page["count"] == 3 and "next" in page


def test_reprocess_and_delete(alice, alice_api, django_capture_on_commit_callbacks):
    asset = done_asset(alice, "ab12cde")
    url = f"/api/assets/{asset.request_uuid}/"
    with django_capture_on_commit_callbacks() as callbacks:
        response = alice_api.post(url + "reprocess/")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert recognitions(callbacks) == 1
    assert alice_api.delete(url).status_code == 204
    assert_error(alice_api.get(url), 404)
    assert not Asset.objects.filter(pk=asset.pk).exists()


def test_patch_asset_metadata(alice, alice_api):
    asset = done_asset(alice, "ab12cde")
    response = alice_api.patch(
        f"/api/assets/{asset.request_uuid}/",
        {"camera_id": "east", "timestamp": "2026-01-02T03:04:05Z"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["camera_id"] == "east"


def test_session_auth_needs_csrf(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/assets/").status_code == 200
    assert_error(upload(client, png_bytes()), 403, "permission_denied")


def test_schema_and_docs(alice_api):
    schema = APIClient().get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/assets/",
        "/api/assets/{request_uuid}/metadata/",
        "/api/assets/{request_uuid}/reprocess/",
    ):
        assert path in text
    docs = APIClient().get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_token_header_like_plate_recognizer(alice):
    client = token_client(alice)
    assert client.get("/api/assets/").status_code == 200
