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


def test_a_large_jpeg_decodes_reduced_but_reports_its_own_size():
    data = blank_photo((4000, 3000))
    image = decode_image(data, min_side=1600)
    assert image.rgb.shape == (1500, 2000, 3) and (image.width, image.height, image.scale) == (
        4000,
        3000,
        0.5,
    )
    assert decode_image(data, min_side=2500).rgb.shape == (3000, 4000, 3)  # half would be under 2500
    assert decode_image(blank_photo((4000, 3000), fmt="PNG"), min_side=1600).scale == 1  # JPEG only


def test_a_truncated_large_jpeg_is_still_refused_when_decoded_reduced():
    data = blank_photo((4000, 3000))
    with pytest.raises(ImageError) as info:
        decode_image(data[: len(data) // 2], min_side=500)
    assert info.value.code == "truncated_image"


def test_exif_rotation_swaps_the_reported_size():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90
    Image.new("RGB", (4000, 3000), (90, 90, 90)).save(buffer, format="JPEG", exif=exif)
    image = decode_image(buffer.getvalue(), min_side=1000)
    assert (image.width, image.height) == (3000, 4000) and image.rgb.shape == (1000, 750, 3)
