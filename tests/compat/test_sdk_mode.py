"""Plate Recognizer SDK mode: tokenless requests from allowed networks are served as the configured service
user; with a client that sends what their public `plate_recognition.py -s URL` sends, against a live
`manage.py serve` on loopback, and a 403 for the same request from a network that is not allowed."""

from __future__ import annotations

import http.client
import io
import json
import uuid

import pytest
import requests
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from compat.models import ApiCall
from tests.dam.processes import Project

from .conftest import PLATE_TEXT

pytestmark = pytest.mark.slow


def sdk_client_post(
    sdk_url: str, image: bytes, *, regions=("gb",), camera_id="gate-1", mmc=True
) -> requests.Response:
    """What their client sends in `-s URL` mode: a multipart `upload`, `regions`, `config` as JSON,
    `camera_id`, `mmc`, and no Authorization header, to URL + /v1/plate-reader/."""
    data = {"regions": list(regions), "config": json.dumps({}), "camera_id": camera_id, "mmc": mmc}
    return requests.post(
        sdk_url + "/v1/plate-reader/",
        files={"upload": ("car.jpg", io.BytesIO(image))},
        data=data,
        timeout=120,
    )


@pytest.fixture
def sdk_on(settings):
    settings.PLATELENS_SDK_MODE = True
    settings.PLATELENS_SDK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.PLATELENS_SDK_USER = "sdk-gate"
    return settings


def test_off_by_default_tokenless_is_403(db, photo):
    response = APIClient().post("/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart")
    assert response.status_code == 403 and set(response.json()) == {"detail"}


def test_tokenless_from_allowed_network_is_the_service_user(sdk_on, db, photo):
    response = APIClient().post(
        "/v1/plate-reader/", {"upload": io.BytesIO(photo), "mmc": "True", "config": "{}"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert [r["plate"] for r in response.json()["results"]] == [PLATE_TEXT.lower()]
    user = get_user_model().objects.get(username="sdk-gate")
    assert not user.has_usable_password()
    assert ApiCall.objects.get().user == user
    assert APIClient().get("/info/").status_code == 200
    assert APIClient().post("/alpr", {"upload": io.BytesIO(photo)}, format="multipart").status_code == 201
    assert APIClient().get("/v1/statistics/").status_code == 403  # not an SDK endpoint


def test_tokens_still_work_and_a_bad_token_is_not_waved_through(sdk_on, client_pr, alice, photo):
    response = client_pr.post("/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart")
    assert response.status_code == 201 and ApiCall.objects.get().user == alice
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert (
        client.post("/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart").status_code == 403
    )


@pytest.mark.parametrize(
    ("networks", "remote", "status"),
    [
        (["10.0.0.0/8"], "127.0.0.1", 403),
        (["10.0.0.0/8"], "10.20.30.40", 201),
        (["192.168.1.0/24"], "::ffff:192.168.1.7", 201),
        (["127.0.0.0/8"], "203.0.113.9", 403),
    ],
)
def test_allowed_networks(sdk_on, db, photo, networks, remote, status):
    sdk_on.PLATELENS_SDK_ALLOWED_NETWORKS = networks
    response = APIClient().post(
        "/v1/plate-reader/", {"upload": io.BytesIO(photo)}, format="multipart", REMOTE_ADDR=remote
    )
    assert response.status_code == status, response.content
    if status == 403:
        assert set(response.json()) == {"detail"}


@pytest.fixture(scope="module")
def sdk_server(tmp_path_factory):
    """`manage.py serve` with SDK mode on, allowing only 127.0.0.1 (so 127.0.0.2 is another network)."""
    project = Project(
        tmp_path_factory.mktemp("sdk"),
        PLATELENS_SDK_MODE="true",
        PLATELENS_SDK_ALLOWED_NETWORKS="127.0.0.1/32",
        PLATELENS_SDK_USER="sdk-live",
    )
    project.manage("migrate", "--noinput")
    base = project.start_server()
    yield base
    project.close()


@pytest.mark.django_db(transaction=True)
def test_their_client_in_sdk_mode_against_a_live_server(sdk_server, photo):
    response = sdk_client_post(sdk_server, photo)
    assert response.status_code == 201, response.text
    body = response.json()
    assert [r["plate"] for r in body["results"]] == [PLATE_TEXT.lower()]
    assert body["camera_id"] == "gate-1" and body["filename"] == "car.jpg"

    # The same request from 127.0.0.2 (not in 127.0.0.1/32): their 403 with {"detail"}.
    boundary = uuid.uuid4().hex
    payload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="car.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    host, port = sdk_server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60, source_address=("127.0.0.2", 0))
    connection.request(
        "POST",
        "/v1/plate-reader/",
        body=payload,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    answer = connection.getresponse()
    assert answer.status == 403
    assert set(json.loads(answer.read())) == {"detail"}
    connection.close()
