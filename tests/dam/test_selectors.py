"""dam.selectors: visibility, effective plates, Scaleflex metadata."""

from __future__ import annotations

import pytest

from dam import selectors, services
from platelens.errors import ServiceError
from tests.support.engine import recognition

from .conftest import png_bytes


@pytest.fixture
def reviewed_asset(alice):
    asset, _ = services.asset_create(owner=alice, data=png_bytes(), enqueue=False)
    services.readings_record(
        asset=asset, result=recognition("ab12cde", "xy99zzz", "ab12cde"), model_version="v1"
    )
    first, second, _third = asset.readings.all()
    services.reading_review(reading=first, reviewer=alice, status="corrected", corrected_plate="ab12cdf")
    services.reading_review(reading=second, reviewer=alice, status="rejected")
    return asset


def test_plate_numbers_apply_corrections_drop_rejections_and_dedupe(reviewed_asset):
    assert selectors.asset_plate_numbers(reviewed_asset) == ["AB12 CDF", "AB12 CDE"]  # as printed


def test_metadata_shape(reviewed_asset):
    metadata = selectors.asset_metadata(reviewed_asset)
    assert metadata["status"] == "success"
    assert metadata["result"]["plate_number"] == ["AB12 CDF", "AB12 CDE"]
    assert metadata["result"]["sha1"] == reviewed_asset.sha1


def test_visibility(alice, bob, staff, reviewed_asset):
    assert list(selectors.asset_list(user=alice)) == [reviewed_asset]
    assert list(selectors.asset_list(user=bob)) == []
    assert list(selectors.asset_list(user=staff)) == [reviewed_asset]
    assert selectors.asset_get(user=staff, request_uuid=reviewed_asset.request_uuid) == reviewed_asset
    for user, key in ((bob, reviewed_asset.request_uuid), (alice, "not-a-uuid")):
        with pytest.raises(ServiceError) as info:
            selectors.asset_get(user=user, request_uuid=key)
        assert info.value.status == 404


def test_list_filters(alice, reviewed_asset):
    assert list(selectors.asset_list(user=alice, filters={"plate": "AB12-CDF"})) == [reviewed_asset]
    assert list(selectors.asset_list(user=alice, filters={"plate": "xy99zzz"})) == []
    assert list(selectors.asset_list(user=alice, filters={"review_status": "rejected"})) == [reviewed_asset]
    with pytest.raises(ServiceError) as info:
        selectors.asset_list(user=alice, filters={"created_after": "soon"})
    assert info.value.code == "invalid_filter"
