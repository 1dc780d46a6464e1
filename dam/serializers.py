"""Output and input shapes of the DAM REST API."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Asset, PlateReading
from .selectors import asset_plate_numbers


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    score = serializers.FloatField()


class ReadingSerializer(serializers.ModelSerializer):
    region = serializers.SerializerMethodField()
    effective_plate = serializers.CharField(
        read_only=True, help_text="The truth: correction, or '' if rejected."
    )
    display_plate = serializers.CharField(
        read_only=True, help_text="effective_plate as its country prints it (AB12 CDE), for people."
    )
    reviewer = serializers.CharField(source="reviewer.username", default=None, read_only=True)

    class Meta:
        model = PlateReading
        fields = [
            "id",
            "index",
            "plate",
            "effective_plate",
            "display_plate",
            "score",
            "dscore",
            "box",
            "polygon",
            "region",
            "color",
            "candidates",
            "model_version",
            "review_status",
            "corrected_plate",
            "reviewer",
            "reviewed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RegionSerializer)
    def get_region(self, reading: PlateReading) -> dict:
        return {"code": reading.region_code, "score": reading.region_score}


class AssetSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    plate_numbers = serializers.SerializerMethodField(
        help_text="Effective plates (corrections applied), as their country prints them."
    )
    readings = ReadingSerializer(many=True, read_only=True)
    file_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = [
            "request_uuid",
            "owner",
            "created_on",
            "original_filename",
            "sha1",
            "content_type",
            "size",
            "width",
            "height",
            "camera_id",
            "timestamp",
            "status",
            "error",
            "model_version",
            "processing_time_ms",
            "file_url",
            "thumbnail_url",
            "plate_numbers",
            "readings",
        ]
        read_only_fields = fields

    def get_plate_numbers(self, asset: Asset) -> list[str]:
        return asset_plate_numbers(asset)

    def get_file_url(self, asset: Asset) -> str:
        return reverse("dam:asset-file", kwargs={"request_uuid": asset.request_uuid})

    def get_thumbnail_url(self, asset: Asset) -> str:
        return reverse("dam:asset-thumbnail", kwargs={"request_uuid": asset.request_uuid})


class AssetCreatedSerializer(AssetSerializer):
    duplicate = serializers.BooleanField(
        read_only=True,
        help_text="True when these bytes were already uploaded: the existing asset is returned.",
    )
    updated_fields = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="On a duplicate: the capture facts (camera_id, timestamp) this upload sent that replaced "
        "the stored ones; facts not sent are kept. Empty for a new asset.",
    )

    class Meta(AssetSerializer.Meta):
        fields = ["duplicate", "updated_fields", *AssetSerializer.Meta.fields]
        read_only_fields = fields


class AssetUploadSerializer(serializers.Serializer):
    """Multipart `file`, or JSON `image` (base64, a data: URL prefix is accepted)."""

    file = serializers.FileField(required=False, allow_empty_file=True)
    image = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)
    camera_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    timestamp = serializers.DateTimeField(required=False, allow_null=True)


class AssetUpdateSerializer(serializers.Serializer):
    camera_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    timestamp = serializers.DateTimeField(required=False, allow_null=True)


class ReadingReviewSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PlateReading.Review.choices)
    corrected_plate = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")


class MetadataResultSerializer(serializers.Serializer):
    request_uuid = serializers.UUIDField()
    created_on = serializers.DateTimeField()
    sha1 = serializers.CharField()
    file_path = serializers.CharField()
    plate_number = serializers.ListField(child=serializers.CharField())


class MetadataSerializer(serializers.Serializer):
    status = serializers.CharField()
    version = serializers.CharField()
    result = MetadataResultSerializer()
