"""platelens.edge: base64 decoding and the size refusals every API shares."""

import base64

import pytest

from platelens import edge
from platelens.errors import ServiceError


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(b"\x89PNG-bytes").decode(),
        "data:image/png;base64," + base64.b64encode(b"\x89PNG-bytes").decode(),
        base64.b64encode(b"\x89PNG-bytes").decode().rstrip("="),  # padding left off
        "\n".join(base64.b64encode(b"\x89PNG-bytes").decode()),  # line breaks
    ],
)
def test_decode_base64_tolerates_what_clients_send(text):
    assert edge.decode_base64(text, field="image") == b"\x89PNG-bytes"


@pytest.mark.parametrize(
    ("text", "code", "status"),
    [("@@not base64@@", "invalid_base64", 400), ("data:image/png;base64,", "missing_image", 400)],
)
def test_decode_base64_refusals(text, code, status):
    with pytest.raises(ServiceError) as info:
        edge.decode_base64(text, field="image")
    assert (info.value.code, info.value.status, info.value.details) == (code, status, {"field": "image"})


def test_sizes_over_the_limits_are_file_too_large(settings):
    settings.PLATELENS_MAX_UPLOAD_BYTES = 10
    with pytest.raises(ServiceError) as info:
        edge.check_upload_size(11)
    assert (info.value.code, info.value.status) == ("file_too_large", 413)
    with pytest.raises(ServiceError) as info:
        edge.decode_base64("QUFBQUFBQUFB" * 3, field="image")  # 27 bytes decoded
    assert info.value.code == "file_too_large"
    with pytest.raises(ServiceError) as info:
        edge.decode_base64("QUFB", field="image", max_encoded_chars=3)  # a vendor's own limit
    assert info.value.code == "file_too_large"
