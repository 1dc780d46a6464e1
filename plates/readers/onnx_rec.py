"""PaddleOCR-style CTC recognizers exported to ONNX (PP-OCRv6 small, and the fine-tuned platelens reader
derived from it) run with onnxruntime. The dictionary comes from the model's `character` metadata; the
output is reduced to the plate alphabet so beam search and format correction work as for PP-OCRv4."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from ..ctc import Alphabet, CtcReader

INPUT_HEIGHT = 48


def preprocess(
    crops: list[np.ndarray],
    min_width: int,
    max_width: int,
    interpolation: int = cv2.INTER_LINEAR,
    *,
    min_aspect: float = 0.0,
) -> np.ndarray:
    """RGB crops -> PaddleOCR's recognizer input: BGR, height 48, each resized to its aspect ratio, or
    widened to `min_aspect` where narrower (at most max_width wide, squeezed beyond), padded right to a
    shared width of at least min_width, (x/255 - 0.5) / 0.5."""
    ratios = [max(c.shape[1] / max(c.shape[0], 1), min_aspect) for c in crops]
    width = int(min(max_width, max(min_width, math.ceil(INPUT_HEIGHT * max(ratios)))))
    batch = np.zeros((len(crops), 3, INPUT_HEIGHT, width), dtype=np.float32)
    for i, (crop, ratio) in enumerate(zip(crops, ratios, strict=True)):
        w = int(min(width, math.ceil(INPUT_HEIGHT * ratio)))
        resized = cv2.resize(crop[:, :, ::-1], (max(w, 1), INPUT_HEIGHT), interpolation=interpolation)
        batch[i, :, :, : resized.shape[1]] = (resized.astype(np.float32) / 255.0 - 0.5).transpose(
            2, 0, 1
        ) / 0.5
    return batch


# Model metadata: the aspect ratio (width / height) the model was trained to see narrower crops widened to,
# so that a short plate's characters get more CTC steps (absent: every crop at its own aspect ratio).
MIN_ASPECT_KEY = "platelens_min_aspect"


def model_characters(session: ort.InferenceSession) -> list[str]:
    meta = session.get_modelmeta().custom_metadata_map
    if "character" not in meta:
        raise ValueError("the recognizer ONNX carries no `character` dictionary in its metadata")
    return meta["character"].splitlines()


class OnnxRecReader(CtcReader):
    def __init__(
        self,
        model_file: str | Path,
        *,
        name: str,
        threads: int = 1,
        beam_width: int = 8,
        min_width: int = 192,
        max_width: int = 320,
        interpolation: int = cv2.INTER_LINEAR,
        spinning: bool = True,
    ):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if not spinning:  # threads sleep between runs (a reader run seldom, beside a busier one)
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        self.alphabet = Alphabet.from_dictionary(model_characters(self.session))
        self.name = name
        self.beam_width = beam_width
        self.min_width = min_width
        self.max_width = max_width
        self.interpolation = interpolation
        self.min_aspect = float(self.session.get_modelmeta().custom_metadata_map.get(MIN_ASPECT_KEY, 0))

    def probabilities(self, crops: list[np.ndarray]) -> np.ndarray:
        batch = preprocess(
            crops, self.min_width, self.max_width, self.interpolation, min_aspect=self.min_aspect
        )
        return self.session.run(None, {self.input_name: batch})[0]
