"""Real clients against a live test server: Plate Recognizer's documented Python `requests` example and the
curl command of their docs, with only the URL and the token changed."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from .conftest import PLATE_TEXT, assert_searchable

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def car_jpg(tmp_path, photo):
    path = tmp_path / "car.jpg"
    path.write_bytes(photo)
    return path


def test_their_python_requests_example(live_server, alice, token, car_jpg):
    # The example of docs.platerecognizer.com, verbatim except the URL, the token and the file path.
    # pip install requests
    from pprint import pprint

    import requests

    regions = ["gb", "it"]  # Change to your country
    with open(car_jpg, "rb") as fp:
        response = requests.post(
            f"{live_server.url}/v1/plate-reader/",
            data=dict(regions=regions),  # Optional
            files=dict(upload=fp),
            headers={"Authorization": f"Token {token}"},
        )
    pprint(response.json())

    assert response.status_code == 201
    body = response.json()
    assert [r["plate"] for r in body["results"]] == [PLATE_TEXT.lower()]
    assert body["filename"] == "car.jpg" and body["usage"]["calls"] == 1
    assert_searchable(alice, PLATE_TEXT)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_their_curl_example(live_server, alice, token, car_jpg):
    command = [
        "curl", "-sS", "-F", f"upload=@{car_jpg}", "-F", "regions=fr", "-F", "regions=gb",
        "-H", f"Authorization: Token {token}", f"{live_server.url}/v1/plate-reader/",
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, check=True, timeout=120).stdout
    body = json.loads(output)
    assert [r["plate"] for r in body["results"]] == [PLATE_TEXT.lower()]
    statistics = subprocess.run(
        ["curl", "-sS", "-H", f"Authorization: Token {token}", f"{live_server.url}/v1/statistics/"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert json.loads(statistics)["usage"]["calls"] == 1
    assert_searchable(alice, PLATE_TEXT)
