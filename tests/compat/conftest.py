"""Fixtures of the compatible-API tests: users with tokens, vendor clients, real synthetic plate photos, a
real loopback HTTP receiver for webhooks, Celery tasks run in-process."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dam.models import Asset, PlateReading
from tests.support.synth import plate_photo

PLATE_TEXT = "AB12CDE"


@pytest.fixture(scope="session")
def photo() -> bytes:
    """A synthetic vehicle photo whose plate the real engine reads as PLATE_TEXT."""
    return plate_photo(PLATE_TEXT, seed=1)


@pytest.fixture(scope="session")
def photo_png() -> bytes:
    return plate_photo(PLATE_TEXT, seed=2, fmt="PNG")


@pytest.fixture(autouse=True)
def engine_in_process(celery_eager):
    """No worker here: the engine request a synchronous API waits for (dam.engine) runs in this process."""
    return celery_eager


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLATELENS_MONTHLY_QUOTA = 0
    settings.PLATELENS_STORE_IMAGES = True
    cache.clear()  # throttle history
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user(
        username="alice", password="pw-alice", email="alice@example.com"
    )


@pytest.fixture
def token(alice) -> str:
    return Token.objects.create(user=alice).key


@pytest.fixture
def client_pr(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def assert_searchable(owner, plate: str) -> Asset:
    """The recognized plate is stored on the owner's asset and found by the search API (GET /api/search/)."""
    from search.indexing import process_outbox

    reading = (
        PlateReading.objects.filter(asset__owner=owner, plate=plate.lower()).select_related("asset").first()
    )
    assert reading is not None, f"no stored reading {plate!r}"
    assert reading.asset.status == Asset.Status.DONE
    process_outbox(due_only=False)  # what the search worker does after the commit
    client = APIClient()
    client.force_authenticate(owner)
    response = client.get("/api/search/", {"q": plate})
    assert response.status_code == 200, response.content
    found = {hit["asset"]["request_uuid"] for hit in response.json()["results"]}
    assert str(reading.asset.request_uuid) in {str(u) for u in found}, response.json()
    return reading.asset


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what is POSTed to it (JSON bodies also decoded)."""

    def __init__(self, status: int = 200):
        self.status = status
        self.requests: list[dict] = []
        self.event = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                is_json = self.headers.get("Content-Type", "").startswith("application/json")
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(body or b"null") if is_json else None,
                        "body": body,
                    }
                )
                self.send_response(receiver.status)
                self.end_headers()
                receiver.event.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    # Loopback targets are refused by default; a local receiver is allow-listed explicitly.
    settings.PLATELENS_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver()
    yield server
    server.close()
