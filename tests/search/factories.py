"""Asset and reading rows for search tests, created directly (as DAM services would) plus a small image."""

from __future__ import annotations

import hashlib
import io
import itertools
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from PIL import Image

from dam.models import Asset, PlateReading

_counter = itertools.count(1)


def user(username: str):
    return get_user_model().objects.create_user(username=username, password="pw-" + username)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 210, 220)).save(buffer, format="PNG")
    return buffer.getvalue()


def asset(owner, *, camera_id: str = "", timestamp: datetime | None = None, with_file: bool = False) -> Asset:
    n = next(_counter)
    sha1 = hashlib.sha1(f"asset-{n}".encode()).hexdigest()
    item = Asset(owner=owner, sha1=sha1, content_type="image/png", camera_id=camera_id, timestamp=timestamp)
    item.status = Asset.Status.DONE
    if with_file:
        item.file.save(f"{sha1}.png", ContentFile(_png()), save=False)
    item.save()
    return item


def reading(asset_: Asset, plate: str, *, index: int = 0, review_status: str = "unreviewed", corrected: str = "",
            region: str = "", color: str = "", box: dict | None = None) -> PlateReading:  # fmt: skip
    return PlateReading.objects.create(
        asset=asset_,
        index=index,
        plate=plate,
        score=0.9,
        dscore=0.9,
        box=box or {"xmin": 10, "ymin": 20, "xmax": 110, "ymax": 50},
        region_code=region,
        color=color,
        review_status=review_status,
        corrected_plate=corrected,
    )
