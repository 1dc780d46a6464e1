"""Contract of the Plate Recognizer Snapshot API / SDK shape: /v1/plate-reader/, /alpr, /v1/statistics/,
/info/ (fields and types as documented, errors, auth, usage and quota, the asset it produces)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from compat.models import ApiCall
from dam.models import Asset

from .conftest import PLATE_TEXT, assert_searchable

pytestmark = pytest.mark.slow

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def assert_plate_reader_shape(body: dict) -> None:
    assert set(body) == {
        "processing_time",
        "results",
        "filename",
        "version",
        "camera_id",
        "timestamp",
        "usage",
    }
    assert isinstance(body["processing_time"], float)
    assert isinstance(body["filename"], str) and body["filename"]
    assert body["version"] == 1
    assert body["camera_id"] is None or isinstance(body["camera_id"], str)
    assert ISO_Z.match(body["timestamp"]), body["timestamp"]
    assert set(body["usage"]) == {"calls", "max_calls"} and isinstance(body["usage"]["calls"], int)
    assert body["usage"]["max_calls"] is None or isinstance(body["usage"]["max_calls"], int)
    assert isinstance(body["results"], list)
    for result in body["results"]:
        assert set(result) == {"box", "plate", "region", "vehicle", "score", "candidates", "dscore"}
        assert set(result["box"]) == {"xmin", "ymin", "xmax", "ymax"}
        assert all(isinstance(v, int) for v in result["box"].values())
        assert result["box"]["xmin"] < result["box"]["xmax"] and result["box"]["ymin"] < result["box"]["ymax"]
        assert isinstance(result["plate"], str) and result["plate"] == result["plate"].lower()
        assert set(result["region"]) == {"code", "score"}
        assert isinstance(result["region"]["code"], str) and isinstance(result["region"]["score"], float)
        assert result["vehicle"] == {"type": "Unknown", "score": 0.0}
        assert isinstance(result["score"], float) and 0.0 <= result["score"] <= 1.0
        assert isinstance(result["dscore"], float) and 0.0 <= result["dscore"] <= 1.0
        assert result["candidates"] and result["candidates"][0]["plate"] == result["plate"]
        for candidate in result["candidates"]:
            assert set(candidate) == {"score", "plate"}
            assert isinstance(candidate["score"], float) and isinstance(candidate["plate"], str)


def test_multipart_upload_answers_their_shape_and_stores_a_searchable_asset(client_pr, alice, photo):
    response = client_pr.post(
        "/v1/plate-reader/",
        {
            "upload": io.BytesIO(photo),
            "regions": ["gb", "fr"],
            "camera_id": "gate-1",
            "timestamp": "2019-08-19T13:11:25",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert_plate_reader_shape(body)
    assert [r["plate"] for r in body["results"]] == [PLATE_TEXT.lower()]
    assert body["camera_id"] == "gate-1"
    assert body["timestamp"].startswith("2019-08-19T13:11:25")
    assert body["usage"] == {"calls": 1, "max_calls": None}
    asset = assert_searchable(alice, PLATE_TEXT)
    assert asset.camera_id == "gate-1" and asset.timestamp == dt.datetime(
        2019, 8, 19, 13, 11, 25, tzinfo=dt.UTC
    )
    assert ApiCall.objects.get().asset == asset


def test_base64_upload_on_the_sdk_path_with_config_and_dedup(client_pr, alice, photo):
    encoded = base64.b64encode(photo).decode()
    first = client_pr.post(
        "/alpr",
        {"upload": encoded, "config": '{"mode": "fast", "threshold_d": 0.2}', "mmc": "true"},
        format="multipart",
    )
    assert first.status_code == 201, first.content
    assert_plate_reader_shape(first.json())
    again = client_pr.post(
        "/v1/plate-reader/", {"upload": "data:image/jpeg;base64," + encoded}, format="json"
    )
    assert again.status_code == 201, again.content
    assert again.json()["usage"]["calls"] == 2
    assert Asset.objects.filter(owner=alice).count() == 1  # same bytes: one asset (sha1)


def test_region_strict_keeps_only_plates_of_the_requested_regions(client_pr, photo):
    response = client_pr.post(
        "/v1/plate-reader/",
        {"upload": io.BytesIO(photo), "regions": "zz", "config": '{"region": "strict"}'},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["results"] == []


def test_store_image_false_and_the_setting_skip_the_asset(client_pr, alice, photo, settings):
    response = client_pr.post(
        "/v1/plate-reader/?store_image=false", {"upload": io.BytesIO(photo)}, format="multipart"
    )
    assert response.status_code == 201
    assert [r["plate"] for r in response.json()["results"]] == [PLATE_TEXT.lower()]
    settings.PLATELENS_STORE_IMAGES = False
    response = client_pr.post("/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart")
    assert response.status_code == 201
    assert not Asset.objects.exists()
    assert ApiCall.objects.filter(user=alice).count() == 2  # still counted


@pytest.mark.parametrize("header", [None, "Token wrong-key", "Bearer abc"])
def test_a_wrong_or_missing_key_is_403(db, header, photo):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post("/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart")
    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)
    assert client.get("/v1/statistics/").status_code == 403


def test_too_large_is_413(client_pr, photo, settings):
    settings.PLATELENS_MAX_UPLOAD_BYTES = len(photo) - 1
    response = client_pr.post("/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart")
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    response = client_pr.post(
        "/v1/plate-reader/", {"upload": base64.b64encode(photo).decode()}, format="json"
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "upload"),
        ({"upload": "not base64 !!"}, "upload"),
        ({"upload": base64.b64encode(b"GIF89a not really").decode()}, "upload"),
        ({"upload_url": "http://169.254.169.254/latest/meta-data/"}, "upload_url"),
        ({"upload": "@photo", "regions": "not a region"}, "regions"),
        ({"upload": "@photo", "timestamp": "yesterday"}, "timestamp"),
        ({"upload": "@photo", "config": "{not json"}, "config"),
        ({"upload": "@photo", "config": '{"mode": "turbo"}'}, "config"),
        ({"upload": "@photo", "config": '{"threshold_d": 2}'}, "config"),
        ({"upload": "@photo", "mmc": "maybe"}, "mmc"),
    ],
)
def test_bad_image_or_parameter_is_400_with_a_message(client_pr, photo, data, field):
    if data.get("upload") == "@photo":
        data = {**data, "upload": base64.b64encode(photo).decode()}
    response = client_pr.post("/v1/plate-reader/", data, format="multipart")
    assert response.status_code == 400, response.content
    body = response.json()
    message = body.get(field) or body.get("upload") or [body.get("detail")]
    assert isinstance(message[0], str) and message[0], body
    assert not ApiCall.objects.exists()


def test_rate_limit_is_429_per_user(client_pr, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "2/min", "anon": "2/min"},
    }
    codes = [client_pr.get("/v1/statistics/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = client_pr.get("/v1/statistics/")
    assert "throttled" in response.json()["detail"] and int(response["Retry-After"]) >= 1


def test_statistics_count_real_calls_against_the_monthly_quota(client_pr, alice, photo, settings):
    settings.PLATELENS_MONTHLY_QUOTA = 2
    previous_month = dt.datetime.now(dt.UTC).replace(day=1) - dt.timedelta(days=2)
    ApiCall.objects.create(user=alice, api="platerecognizer", created_on=previous_month)  # not this month
    for expected_calls in (1, 2):
        response = client_pr.post(
            "/v1/plate-reader/?store_image=0", {"upload": io.BytesIO(photo)}, format="multipart"
        )
        assert response.status_code == 201
        assert response.json()["usage"] == {"calls": expected_calls, "max_calls": 2}
    refused = client_pr.post("/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart")
    assert refused.status_code == 429 and "quota" in refused.json()["detail"]

    body = client_pr.get("/v1/statistics/").json()
    now = dt.datetime.now(dt.UTC)
    assert set(body) == {"usage", "total_calls"} and set(body["usage"]) == {
        "month",
        "calls",
        "year",
        "resets_on",
    }
    assert body["usage"]["month"] == now.month and body["usage"]["year"] == now.year
    assert body["usage"]["calls"] == 2 and body["total_calls"] == 2
    resets_on = dt.datetime.fromisoformat(body["usage"]["resets_on"].replace("Z", "+00:00"))
    assert resets_on > now and resets_on.day == 1 and ISO_Z.match(body["usage"]["resets_on"])


def test_statistics_without_quota_count_every_call(client_pr, alice, photo):
    previous_month = dt.datetime.now(dt.UTC).replace(day=1) - dt.timedelta(days=2)
    ApiCall.objects.create(user=alice, api="platerecognizer", created_on=previous_month)
    client_pr.post("/v1/plate-reader/?store_image=0", {"upload": io.BytesIO(photo)}, format="multipart")
    body = client_pr.get("/v1/statistics/").json()
    assert body["usage"]["calls"] == 1 and body["total_calls"] == 2


def test_info_gives_version_and_webhooks(client_pr, alice):
    from compat.models import Webhook

    hook = Webhook.objects.create(owner=alice, target="http://127.0.0.1:9/hook")
    body = client_pr.get("/info/").json()
    assert isinstance(body["version"], str) and body["version"]
    assert body["webhooks"] == [
        {"id": hook.id, "target": hook.target, "event": "image.done", "is_active": True}
    ]


@override_settings(PLATELENS_URL_INPUT_ALLOWED_HOSTS=["127.0.0.1"])
def test_upload_url_from_an_allowed_host_is_fetched(client_pr, alice, photo):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(photo)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/car.jpg"
        response = client_pr.post("/v1/plate-reader/", {"upload_url": url}, format="multipart")
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 201, response.content
    assert response.json()["filename"] == "car.jpg"
    assert_searchable(alice, PLATE_TEXT)


def test_resending_the_same_image_with_new_capture_facts_updates_the_asset(client_pr, alice, photo):
    client_pr.post(
        "/v1/plate-reader/", {"upload": io.BytesIO(photo), "camera_id": "gate-1"}, format="multipart"
    )
    response = client_pr.post(
        "/v1/plate-reader/",
        {"upload": io.BytesIO(photo), "camera_id": "gate-7", "timestamp": "2024-01-02T03:04:05Z"},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["camera_id"] == "gate-7"
    asset = Asset.objects.get(owner=alice)
    assert asset.camera_id == "gate-7"
    assert asset.timestamp == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_no_worker_answers_503_in_time_and_the_stored_image_stays_queued(
    client_pr, photo, settings, celery_eager
):
    celery_eager.conf.task_always_eager = False  # a real broker message that no worker takes
    settings.PLATELENS_ENGINE_TIMEOUT_SECONDS = 1
    response = client_pr.post("/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart")
    assert response.status_code == 503, response.content
    assert "did not answer within 1 seconds" in response.json()["detail"]
    assert Asset.objects.get().status == Asset.Status.PENDING  # the sweep gives it to a worker later
