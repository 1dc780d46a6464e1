"""Bad inputs are refused with a stable code before any model runs."""

import pytest

from plates.errors import ImageError
from plates.images import decode_image
from tests.support.synth import blank_photo, corrupt_bytes, plate_photo


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("empty", "empty_image"),
        ("text", "not_an_image"),
        ("garbage", "not_an_image"),
        ("truncated", "truncated_image"),
        ("bomb", "image_too_large"),
    ],
)
def test_bad_input_is_refused_with_its_code(kind, code):
    with pytest.raises(ImageError) as info:
        decode_image(corrupt_bytes(kind))
    assert info.value.code == code
    assert info.value.message


def test_megapixel_limit_is_a_parameter():
    data = blank_photo((1000, 1000))
    with pytest.raises(ImageError) as info:
        decode_image(data, max_megapixels=0.5)
    assert info.value.code == "image_too_large"
    assert decode_image(data, max_megapixels=1.0).width == 1000


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("BMP", "image/bmp")]
)
def test_formats_are_sniffed_from_bytes(fmt, content_type):
    decoded = decode_image(plate_photo("AB12CDE", size=(320, 200), fmt=fmt))
    assert decoded.content_type == content_type
    assert decoded.rgb.shape == (200, 320, 3)
