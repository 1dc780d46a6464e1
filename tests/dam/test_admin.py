"""Admin review: pages render with image and crops; in-place review, bulk actions and reprocess go
through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from dam import services
from dam.models import Asset, PlateReading
from tests.support.engine import recognition

from .conftest import png_bytes, recognitions


@pytest.fixture
def admin_client(make_user) -> Client:
    user = make_user("root", staff=True)
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def asset(alice):
    asset, _ = services.asset_create(
        owner=alice, data=png_bytes(size=(200, 100)), filename="car.png", enqueue=False
    )
    services.readings_record(asset=asset, result=recognition("ab12cde", "xy99zzz"), model_version="v1")
    return asset


def test_changelists_and_change_page_render(admin_client, asset):
    assert admin_client.get("/admin/dam/asset/?status__exact=done&review=unreviewed").status_code == 200
    assert admin_client.get("/admin/dam/platereading/?review_status__exact=unreviewed").status_code == 200
    page = admin_client.get(f"/admin/dam/asset/{asset.pk}/change/").content.decode()
    assert "data-readings=" in page and f"/assets/{asset.request_uuid}/readings/" in page


def test_review_in_place_through_the_inline(admin_client, asset):
    first, second = asset.readings.all()
    data = {
        "camera_id": "gate-9",
        "timestamp_0": "",
        "timestamp_1": "",
        "readings-TOTAL_FORMS": "2",
        "readings-INITIAL_FORMS": "2",
        "readings-MIN_NUM_FORMS": "0",
        "readings-MAX_NUM_FORMS": "1000",
        "readings-0-id": str(first.pk),
        "readings-0-asset": str(asset.pk),
        "readings-0-review_status": "unreviewed",
        "readings-0-corrected_plate": "AB12CDF",
        "readings-1-id": str(second.pk),
        "readings-1-asset": str(asset.pk),
        "readings-1-review_status": "rejected",
        "readings-1-corrected_plate": "",
    }
    response = admin_client.post(f"/admin/dam/asset/{asset.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.review_status, first.corrected_plate, first.reviewer.username) == (
        "corrected",
        "ab12cdf",
        "root",
    )
    assert second.review_status == "rejected"
    asset.refresh_from_db()
    assert asset.camera_id == "gate-9"


def test_bulk_actions_and_reprocess(admin_client, asset, django_capture_on_commit_callbacks):
    ids = [str(pk) for pk in asset.readings.values_list("pk", flat=True)]
    response = admin_client.post("/admin/dam/platereading/", {"action": "approve", "_selected_action": ids})
    assert response.status_code == 302
    assert set(PlateReading.objects.values_list("review_status", flat=True)) == {"approved"}
    admin_client.post("/admin/dam/asset/", {"action": "reject_readings", "_selected_action": [str(asset.pk)]})
    assert set(PlateReading.objects.values_list("review_status", flat=True)) == {"rejected"}
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post("/admin/dam/asset/", {"action": "reprocess", "_selected_action": [str(asset.pk)]})
    assert recognitions(callbacks) == 1
    assert Asset.objects.get().status == "pending"


def test_list_editable_correction(admin_client, asset):
    first, second = asset.readings.all()
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(first.pk),
        "form-0-review_status": "corrected",
        "form-0-corrected_plate": "zz99zzz",
        "form-1-id": str(second.pk),
        "form-1-review_status": "unreviewed",
        "form-1-corrected_plate": "",
        "_save": "Save",
    }
    response = admin_client.post("/admin/dam/platereading/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    first.refresh_from_db()
    assert (first.review_status, first.corrected_plate) == ("corrected", "zz99zzz")


def test_delete_goes_through_the_service(admin_client, asset):
    response = admin_client.post(f"/admin/dam/asset/{asset.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Asset.objects.exists()
