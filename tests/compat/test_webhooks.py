"""image.done webhooks: registration (API, SSRF policy), the documented payload received by a real loopback
HTTP server, retries with backoff, disabling a failing target and telling its owner."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from compat import webhooks
from compat.models import Webhook, WebhookDelivery
from compat.tasks import deliver_webhook

from .conftest import PLATE_TEXT


@pytest.mark.slow
def test_image_done_posts_the_documented_payload(
    client_pr, receiver, celery_eager, photo, django_capture_on_commit_callbacks
):
    created = client_pr.post("/api/compat/webhooks/", {"target": receiver.url}, format="json")
    assert created.status_code == 201, created.content
    hook = created.json()
    assert hook["event"] == "image.done" and hook["is_active"] is True

    with django_capture_on_commit_callbacks(execute=True):
        response = client_pr.post(
            "/v1/plate-reader/", {"upload": io.BytesIO(photo), "camera_id": "cam-9"}, format="multipart"
        )
    assert response.status_code == 201
    assert receiver.event.wait(10)
    assert len(receiver.requests) == 1
    received = receiver.requests[0]
    assert received["headers"]["Content-Type"] == "application/json"
    payload = received["json"]
    assert set(payload) == {"hook", "data"}
    assert payload["hook"] == {"target": receiver.url, "id": hook["id"], "event": "image.done"}
    expected = response.json()
    expected.pop("usage")
    assert payload["data"] == expected
    assert payload["data"]["results"][0]["plate"] == PLATE_TEXT.lower()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1


def multipart_fields(received: dict) -> dict[str, tuple[str | None, str, bytes]]:
    """name -> (filename, content type, bytes) of a multipart/form-data body the receiver recorded."""
    from email import message_from_bytes, policy

    head = f"Content-Type: {received['headers']['Content-Type']}\r\n\r\n".encode()
    message = message_from_bytes(head + received["body"], policy=policy.HTTP)
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


@pytest.mark.slow
@pytest.mark.parametrize("store_image", [True, False])
def test_webhook_with_image_posts_multipart_json_and_upload(
    client_pr, receiver, celery_eager, photo, store_image, django_capture_on_commit_callbacks, settings
):
    settings.PLATELENS_WEBHOOK_ALLOW_LOOPBACK = True  # the receiver runs on this machine
    created = client_pr.post(
        "/api/compat/webhooks/", {"target": receiver.url, "with_image": True}, format="json"
    )
    assert created.status_code == 201 and created.json()["with_image"] is True
    with django_capture_on_commit_callbacks(execute=True):
        response = client_pr.post(
            f"/v1/plate-reader/?store_image={int(store_image)}",
            {"upload": io.BytesIO(photo)},
            format="multipart",
        )
    assert response.status_code == 201
    assert receiver.event.wait(10)
    received = receiver.requests[0]
    assert received["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    fields = multipart_fields(received)
    filename, _, payload = fields["json"]
    assert filename is None
    body = json.loads(payload)
    assert set(body) == {"hook", "data"} and body["data"]["results"][0]["plate"] == PLATE_TEXT.lower()
    if store_image:
        assert fields["upload"][1] == "image/jpeg" and fields["upload"][2] == photo
    else:  # the image was not kept, so there is none to send
        assert set(fields) == {"json"}
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


@pytest.mark.parametrize(
    "target", ["http://10.0.0.5/hook", "http://169.254.169.254/", "http://192.168.0.10:8080/"]
)
def test_registration_refuses_private_targets(client_pr, target, settings):
    settings.PLATELENS_WEBHOOK_ALLOWED_HOSTS = []
    response = client_pr.post("/api/compat/webhooks/", {"target": target}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "url_refused"
    assert not Webhook.objects.exists()


def test_allowed_private_target_is_accepted(client_pr, settings):
    settings.PLATELENS_WEBHOOK_ALLOWED_HOSTS = ["10.0.0.0/8"]
    assert (
        client_pr.post("/api/compat/webhooks/", {"target": "http://10.0.0.5/hook"}, format="json").status_code
        == 201
    )


def test_webhook_api_lists_and_deletes_only_own_hooks(client_pr, alice):
    other = get_user_model().objects.create_user("bob")
    theirs = Webhook.objects.create(owner=other, target="http://127.0.0.1:1/")
    mine = Webhook.objects.create(owner=alice, target="http://127.0.0.1:2/")
    assert [h["id"] for h in client_pr.get("/api/compat/webhooks/").json()] == [mine.id]
    assert client_pr.delete(f"/api/compat/webhooks/{theirs.id}/").status_code == 404
    assert client_pr.delete(f"/api/compat/webhooks/{mine.id}/").status_code == 204
    assert list(Webhook.objects.all()) == [theirs]


def _delivery(hook: Webhook) -> WebhookDelivery:
    data = {
        "processing_time": 1.0,
        "results": [],
        "filename": "a.jpg",
        "version": 1,
        "camera_id": None,
        "timestamp": "x",
    }
    return WebhookDelivery.objects.create(
        webhook=hook,
        payload={"hook": {"target": hook.target, "id": hook.id, "event": hook.event}, "data": data},
    )


def test_a_failing_target_is_retried_then_disabled_and_the_owner_told(
    alice, receiver, celery_eager, settings
):
    settings.PLATELENS_WEBHOOK_MAX_ATTEMPTS = 3
    settings.PLATELENS_WEBHOOK_DISABLE_AFTER = 2
    receiver.status = 500
    hook = Webhook.objects.create(owner=alice, target=receiver.url)

    first = _delivery(hook)
    deliver_webhook.delay(first.id)
    first.refresh_from_db()
    hook.refresh_from_db()
    assert len(receiver.requests) == 3  # the first try and two retries
    assert (
        first.status == WebhookDelivery.Status.FAILED and first.attempts == 3 and first.response_status == 500
    )
    assert hook.is_active and hook.consecutive_failures == 1

    second = _delivery(hook)
    deliver_webhook.delay(second.id)
    hook.refresh_from_db()
    assert not hook.is_active and hook.disabled_at is not None and "HTTP 500" in hook.disabled_reason
    assert len(mail.outbox) == 1 and hook.target in mail.outbox[0].body and mail.outbox[0].to == [alice.email]

    third = _delivery(hook)  # a disabled hook gets nothing
    deliver_webhook.delay(third.id)
    third.refresh_from_db()
    assert third.status == WebhookDelivery.Status.SKIPPED and len(receiver.requests) == 6

    # The owner sees the notice in the admin, once.
    alice.is_staff = alice.is_superuser = True
    alice.save()
    browser = Client()
    browser.force_login(alice)
    page = browser.get("/admin/compat/webhook/").content.decode()
    assert "was disabled" in page and receiver.url in page
    assert "was disabled" not in browser.get("/admin/compat/webhook/").content.decode()


def test_a_success_resets_the_failure_count(alice, receiver, celery_eager, settings):
    settings.PLATELENS_WEBHOOK_MAX_ATTEMPTS = 1
    hook = Webhook.objects.create(owner=alice, target=receiver.url, consecutive_failures=3)
    deliver_webhook.delay(_delivery(hook).id)
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0 and hook.is_active


def test_a_target_that_turned_private_is_not_called(alice, settings, celery_eager):
    settings.PLATELENS_WEBHOOK_MAX_ATTEMPTS = 1
    hook = Webhook.objects.create(owner=alice, target="http://10.1.2.3/hook")  # bypasses registration checks
    delivery = _delivery(hook)
    deliver_webhook.delay(delivery.id)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and "non-public" in delivery.last_error
    assert delivery.response_status is None


def test_backoff_doubles_and_is_capped(settings):
    settings.PLATELENS_WEBHOOK_BACKOFF_SECONDS = 10
    assert [webhooks.backoff_seconds(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert webhooks.backoff_seconds(30) == 3600


def test_a_delivery_whose_task_was_lost_is_requeued(alice, receiver, celery_eager, settings):
    settings.PLATELENS_WEBHOOK_STALE_SECONDS = 60
    hook = Webhook.objects.create(owner=alice, target=receiver.url)
    lost = _delivery(hook)
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=5)
    )
    fresh = _delivery(hook)  # just queued: not touched
    assert webhooks.deliveries_requeue() == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == WebhookDelivery.Status.DELIVERED and len(receiver.requests) == 1
    assert fresh.status == WebhookDelivery.Status.PENDING


@pytest.mark.slow
def test_uploads_recognized_by_the_dam_worker_also_send_image_done(
    alice, receiver, celery_eager, photo, django_capture_on_commit_callbacks
):
    from dam.services import asset_create
    from dam.tasks import recognize_asset

    hook = Webhook.objects.create(owner=alice, target=receiver.url)
    asset, _ = asset_create(owner=alice, data=photo, filename="gate.jpg", camera_id="cam-2", enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        recognize_asset.apply(args=[asset.id])
    assert len(receiver.requests) == 1
    payload = receiver.requests[0]["json"]
    assert payload["hook"] == {"target": hook.target, "id": hook.id, "event": "image.done"}
    assert payload["data"]["filename"] == "gate.jpg" and payload["data"]["camera_id"] == "cam-2"
    assert [r["plate"] for r in payload["data"]["results"]] == [PLATE_TEXT.lower()]


def test_every_recognition_path_sends_image_done_through_the_dam_signal(
    alice, django_capture_on_commit_callbacks
):
    """ingest --now, the worker and the compatible APIs all send dam.signals.asset_recognized."""
    from dam.services import ImageRecognition
    from dam.signals import asset_recognized
    from tests.support.engine import recognition

    hook = Webhook.objects.create(owner=alice, target="http://127.0.0.1:9/hook")
    recognized = ImageRecognition(
        owner=alice,
        asset=None,
        result=recognition("ab12cde"),
        engine_version="v1",
        camera_id="cam-1",
        timestamp=timezone.now(),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        asset_recognized.send(sender=None, recognition=recognized)
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook == hook and len(callbacks) == 1
    assert [r["plate"] for r in delivery.payload["data"]["results"]] == ["ab12cde"]
    assert delivery.payload["data"]["camera_id"] == "cam-1"
