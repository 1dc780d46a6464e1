"""Search documents built from the database, the source of truth: one per non-rejected plate reading."""

from collections.abc import Iterable, Iterator

from dam.models import Asset, PlateReading
from plates.text import fold, normalize
from search.backends.base import PlateDocument


def document_for(reading: PlateReading, asset: Asset) -> PlateDocument | None:
    """The document of one reading, or None when review rejected it (rejected readings are not searchable)."""
    plate = reading.effective_plate
    if not normalize(plate):
        return None
    return PlateDocument(
        reading_id=reading.pk,
        asset_id=asset.pk,
        owner_id=asset.owner_id,
        request_uuid=str(asset.request_uuid),
        file=asset.file.name or "",
        camera_id=asset.camera_id,
        taken_at=asset.timestamp or asset.created_on,
        created_on=asset.created_on,
        region=reading.region_code,
        color=reading.color,
        review_status=reading.review_status,
        box=reading.box or {},
        plate=plate,
        norm=normalize(plate),
        folded=fold(plate),
        original_plate=reading.plate,
        original_norm=normalize(reading.plate),
        original_folded=fold(reading.plate),
    )


def documents_for_assets(asset_ids: Iterable[int]) -> list[PlateDocument]:
    """Current documents of these assets; an asset that no longer exists has none."""
    readings = PlateReading.objects.filter(asset_id__in=list(asset_ids)).select_related("asset")
    return [doc for reading in readings if (doc := document_for(reading, reading.asset)) is not None]


def all_documents(chunk_size: int = 2000) -> Iterator[PlateDocument]:
    """Every document, streamed in primary-key order."""
    readings = PlateReading.objects.select_related("asset").order_by("pk")
    for reading in readings.iterator(chunk_size=chunk_size):
        doc = document_for(reading, reading.asset)
        if doc is not None:
            yield doc


def indexable_readings_count() -> int:
    """How many documents the database says the index should hold (same rule as document_for)."""
    rows = PlateReading.objects.values_list("plate", "review_status", "corrected_plate").order_by()
    return sum(
        1
        for plate, review_status, corrected in rows.iterator(chunk_size=5000)
        if normalize(
            PlateReading(plate=plate, review_status=review_status, corrected_plate=corrected).effective_plate
        )
    )
