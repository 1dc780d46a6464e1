"""Our PP-OCRv4 reader (PLATES_READER=ppocrv4) runs PaddleOCR's own recognizer files through
paddle.inference (to keep the CTC matrix); paddleocr.TextRecognition on the same files must give the same
greedy text."""

import os

import numpy as np
import pytest

from plates import hub
from tests.support.synth import plate_scene

pytestmark = pytest.mark.slow


def test_paddleocr_text_recognition_agrees_with_our_reader():
    from plates.readers.paddle_rec import PaddleRecReader

    os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
    paddleocr = pytest.importorskip("paddleocr")
    model = paddleocr.TextRecognition(
        model_name=hub.REC_MODEL_NAME, model_dir=str(hub.model_path("ppocrv4_rec")), device="cpu"
    )
    crops = []
    for i, text in enumerate(["AB12CDE", "KA123BC", "XY98ZZA"]):
        scene = plate_scene(text, seed=i)
        from plates.images import decode_image

        rgb = decode_image(scene.data).rgb
        xs = [int(x) for x, _ in scene.polygon]
        ys = [int(y) for _, y in scene.polygon]
        crops.append(np.ascontiguousarray(rgb[min(ys) : max(ys), min(xs) : max(xs)]))
    ours = [raw.text.replace("-", "") for raw in PaddleRecReader(hub.model_path("ppocrv4_rec")).read(crops)]
    theirs = [out["rec_text"] for out in model.predict([c[:, :, ::-1] for c in crops], batch_size=len(crops))]
    assert [t.replace(" ", "").replace("-", "").upper() for t in theirs] == ours
