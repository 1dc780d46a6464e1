"""The rebuilt detector graph computes what platedet's own export computes, at any input size."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from plates import hub
from plates.base import BoundingBox, Detection
from plates.detectors import yolo_graph
from plates.detectors.looks import VIEWS, Look
from plates.detectors.onnx_yolo import FAINT, OnnxYoloSegDetector, _joined, decode_heads, letterbox
from plates.images import decode_image
from plates.synth import plate_scene

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def original():
    return hub.model_path("platedet") / "platedet.onnx"


@pytest.fixture(scope="module")
def cut_fp32(original, tmp_path_factory):
    path = tmp_path_factory.mktemp("graph") / "cut.onnx"
    onnx.save(yolo_graph.cut_before_decode(yolo_graph.to_float32(onnx.load(str(original)))), str(path))
    return path


def test_cut_graph_decoded_in_numpy_matches_the_original_at_640(original, cut_fp32):
    scene = plate_scene("AB12CDE", angle=5, seed=2)
    boxed, _ = letterbox(decode_image(scene.data).rgb, 640)
    tensor = boxed.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    reference, protos = ort.InferenceSession(str(original)).run(None, {"images": tensor.astype(np.float16)})
    outputs = ort.InferenceSession(str(cut_fp32)).run(None, {"images": tensor})
    boxes, scores, coefs = decode_heads(outputs[:6])
    reference = reference[0].astype(np.float32).T
    assert boxes.shape == (8400, 4)
    # The original computes in fp16: half a pixel of rounding at coordinates up to 640.
    assert np.abs(boxes - reference[:, :4]).max() < 1.0
    assert np.abs(scores - reference[:, 4]).max() < 1e-3
    assert np.abs(coefs - reference[:, 5:]).max() < 0.02
    assert np.abs(outputs[6] - protos.astype(np.float32)).max() < 0.02


def test_cut_graph_takes_other_sizes_and_finds_the_same_plate(original, cut_fp32):
    scene = plate_scene("KA123BC", seed=4)
    rgb = decode_image(scene.data).rgb
    (expected,) = OnnxYoloSegDetector(original).detect(rgb)
    for side in (640, 512, 480):
        (found,) = OnnxYoloSegDetector(cut_fp32, input_size=side).detect(rgb)
        # Same size, same answer; smaller inputs see a smaller plate, less sure but in the same place.
        assert abs(found.confidence - expected.confidence) < 0.01 if side == 640 else found.confidence > 0.25
        for got, want in zip(found.box.as_dict().values(), expected.box.as_dict().values(), strict=True):
            assert abs(got - want) <= 6


def test_letterbox_pads_a_dynamic_input_only_to_a_multiple_of_32():
    canvas, info = letterbox(np.zeros((432, 576, 3), np.uint8), 480, square=False)
    assert canvas.shape == (384, 480, 3) and info.scale == pytest.approx(480 / 576)
    assert letterbox(np.zeros((432, 576, 3), np.uint8), 640)[0].shape == (640, 640, 3)


def test_a_zoomed_out_look_is_the_image_at_half_size_centred_on_the_same_canvas():
    image = np.full((432, 576, 3), 255, np.uint8)
    canvas, info = letterbox(image, 480, square=False, shrink=2)
    assert canvas.shape == (384, 480, 3) and info.scale == pytest.approx(240 / 576)
    assert (canvas[192, 240] == 255).all() and (canvas[5, 5] == 114).all()  # the image in the middle, padded
    centre = OnnxYoloSegDetector._unletterbox(np.array([[240.0, 192.0]]), info, 576, 432)
    assert np.abs(centre - [[288, 216]]).max() <= 1  # boxes come back in the image's own pixels


def test_an_image_where_nothing_is_found_is_looked_at_again_at_the_fallback_sizes(cut_fp32):
    rgb = decode_image(plate_scene("KA123BC", size=(1280, 720), seed=4).data).rgb
    assert OnnxYoloSegDetector(cut_fp32, input_size=96).detect(rgb) == []  # the plate: a few pixels
    (found,) = OnnxYoloSegDetector(cut_fp32, input_size=96, looks=(Look(640),)).detect(rgb)
    assert found.confidence > 0.25
    (found,) = OnnxYoloSegDetector(cut_fp32, input_size=96, looks=(Look(128), Look(640))).detect(rgb)
    assert found.confidence > 0.25
    static = OnnxYoloSegDetector(hub.model_path("platedet") / "platedet.onnx", looks=(Look(320),))
    assert static.looks == ()


def _box(x0: int, y0: int, x1: int, y1: int, confidence: float) -> Detection:
    return Detection(BoundingBox(x0, y0, x1, y1), confidence, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


def test_a_weak_hit_does_not_stop_the_search_and_the_looks_are_merged(cut_fp32):
    def found(x: int, confidence: float) -> Detection:
        return _box(x, 10, x + 60, 30, confidence)

    sign, small_plate, plate = found(0, 0.13), found(200, 0.08), found(202, 0.36)
    looks = {96: [sign], 128: [small_plate], 640: [plate], 800: [found(400, 0.9)]}

    class Scripted(OnnxYoloSegDetector):
        def _detect_at(self, image, size, threshold, shrink=1):
            return looks[size]

    detector = Scripted(cut_fp32, input_size=96, looks=(Look(128), Look(640), Look(800)), confidence=0.1)
    # 96 finds a sign only weakly, so 128 and 640 look too; 640 is sure of the plate, so 800 is not looked at.
    # The box under the threshold is dropped (a faint piece of no close-up: the image is 1000 px wide).
    assert detector.detect(np.zeros((8, 1000, 3), np.uint8)) == [plate, sign]
    looks[96] = [found(0, 0.5)]
    assert detector.detect(np.zeros((8, 1000, 3), np.uint8)) == [looks[96][0]]  # sure at the first look


def test_a_close_up_look_counts_only_boxes_a_quarter_of_the_image_wide(cut_fp32):
    patch, close_up = _box(0, 10, 90, 40, 0.9), _box(150, 10, 260, 40, 0.5)

    class Scripted(OnnxYoloSegDetector):
        def _detect_at(self, image, size, threshold, shrink=1):
            return {96: [], 160: [patch, close_up]}[size]

    detector = Scripted(cut_fp32, input_size=96, looks=(Look(160, "close_up"),))
    # A 400-px-wide image: the 90-px box is what larger looks see better; the 110-px one is a close-up.
    assert detector.detect(np.zeros((200, 400, 3), np.uint8)) == [close_up]
    assert Look.parse("close_up:160").tag == "cu160"


def test_the_pieces_of_one_plate_are_joined():
    left, right = _box(100, 50, 500, 150, 0.5), _box(400, 58, 900, 146, 0.3)
    other_car, row_below = _box(1000, 60, 1200, 140, 0.6), _box(100, 150, 500, 250, 0.4)
    (plate, *rest) = _joined([other_car, left, right, row_below])
    assert plate == other_car and len(rest) == 2  # apart: not pieces; stacked rows: not pieces
    joined = rest[0]
    assert (joined.box.xmin, joined.box.ymin, joined.box.xmax, joined.box.ymax) == (100, 50, 900, 150)
    assert joined.confidence == 0.5 and joined.polygon == ((100, 50), (900, 58), (900, 146), (100, 150))
    assert rest[1] == row_below


def test_a_sure_close_up_is_also_seen_by_the_close_up_look(cut_fp32):
    piece, whole = _box(150, 40, 390, 160, 0.6), _box(20, 30, 385, 170, 0.4)
    asked = []

    class Scripted(OnnxYoloSegDetector):
        def _detect_at(self, image, size, threshold, shrink=1):
            asked.append(size)
            return {96: [piece], 160: [whole], 640: []}[size]

    detector = Scripted(cut_fp32, input_size=96, looks=(Look(640), Look(160, "close_up")))
    # The first look is sure of a box a quarter of the image wide: 640 is not looked at, the close-up look is,
    # and its whole plate is joined with the piece.
    (found,) = detector.detect(np.zeros((200, 400, 3), np.uint8))
    assert asked == [96, 160]
    assert (found.box.xmin, found.box.ymin, found.box.xmax, found.box.ymax, found.confidence) == (
        20,
        30,
        390,
        170,
        0.6,
    )
    assert found.polygon == ((20, 30), (390, 40), (390, 160), (20, 170))
    asked.clear()  # a sure plate narrower than that is no close-up: no other look
    assert detector.detect(np.zeros((200, 1200, 3), np.uint8)) == [piece] and asked == [96]


def test_a_faint_piece_is_joined_to_a_plate_as_wide_as_a_close_up_only(cut_fp32):
    sure_half, faint_half, faint_patch = (
        _box(350, 215, 610, 316, 0.3),
        _box(100, 211, 420, 320, 0.06),
        _box(0, 400, 100, 440, 0.08),
    )
    asked = []

    class Scripted(OnnxYoloSegDetector):
        def _detect_at(self, image, size, threshold, shrink=1):
            asked.append(threshold)
            return {96: [sure_half, faint_half, faint_patch]}[size]

    detector = Scripted(cut_fp32, input_size=96)
    # openalpr-eu `eu4` (711 px wide): the right half of `BIMMIAN` found surely, its left half faintly. The
    # look is asked down to FAINT; the faint half joins the sure one, the faint patch alone is dropped.
    (plate,) = detector.detect(np.zeros((450, 711, 3), np.uint8))
    assert asked == [FAINT] and (plate.box.xmin, plate.box.xmax, plate.confidence) == (100, 610, 0.3)
    # In a photo 4x as wide the sure half is no close-up: nothing is joined to it.
    assert detector.detect(np.zeros((450, 2844, 3), np.uint8)) == [sure_half]


def test_the_inverted_view_turns_light_characters_on_a_dark_ground_dark_on_light():
    dark_plate = np.full((40, 120, 3), 30, np.uint8)
    dark_plate[10:30, 20:30] = 220  # a light stroke
    seen = VIEWS["inverted"].see(dark_plate)
    assert seen.shape == dark_plate.shape and (seen[..., 0] == seen[..., 2]).all()  # grey, 3 channels
    assert seen[20, 25, 0] < 100 < seen[5, 5, 0]  # the stroke dark, the ground light
    assert (
        Look.parse("inverted:640") == Look(640, "inverted") and str(Look(640, "inverted")) == "inverted:640"
    )
    for bad in ("sideways:512", "inverted:600", "4096", "x"):
        with pytest.raises(ValueError):
            Look.parse(bad)
