"""YOLOv8-seg plate detector (platedet ONNX export) run through onnxruntime, with mask -> quadrilateral."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..base import BoundingBox, Detection, Detector
from ..geometry import mask_quadrilateral

try:
    import onnxruntime as ort
except ImportError as exc:  # pragma: no cover - onnxruntime is a hard dependency of the engine
    raise ImportError("The ONNX plate detector needs onnxruntime: pip install onnxruntime") from exc


@dataclass(frozen=True)
class LetterboxInfo:
    scale: float
    pad_x: float
    pad_y: float


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, LetterboxInfo]:
    """Resize keeping the aspect ratio and pad (value 114) to size x size, centred as ultralytics does."""
    height, width = image.shape[:2]
    scale = min(size / height, size / width)
    new_w, new_h = round(width * scale), round(height * scale)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR) if scale != 1 else image
    pad_x, pad_y = (size - new_w) / 2, (size - new_h) / 2
    top, left = round(pad_y - 0.1), round(pad_x - 0.1)
    canvas = np.full((size, size, 3), 114, dtype=np.uint8)
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas, LetterboxInfo(scale=scale, pad_x=left, pad_y=top)


class OnnxYoloSegDetector(Detector):
    """The platedet YOLOv8s-seg model: boxes from output0, plate outlines from the prototype masks."""

    name = "platedet"

    def __init__(
        self,
        model_path: str | Path,
        *,
        threads: int = 2,
        confidence: float = 0.25,
        iou: float = 0.5,
        max_detections: int = 10,
    ):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        self.input_size = int(model_input.shape[2])
        self.input_dtype = np.float16 if "float16" in model_input.type else np.float32
        self.confidence = confidence
        self.iou = iou
        self.max_detections = max_detections

    def detect(self, image: np.ndarray, *, confidence: float | None = None) -> list[Detection]:
        threshold = self.confidence if confidence is None else confidence
        boxed, info = letterbox(image, self.input_size)
        tensor = (boxed.transpose(2, 0, 1)[None].astype(np.float32) / 255.0).astype(self.input_dtype)
        preds, protos = self.session.run(None, {self.input_name: tensor})
        preds = preds[0].astype(np.float32).T  # 8400 x 37
        scores = preds[:, 4]
        keep = scores >= threshold
        if not keep.any():
            return []
        preds, scores = preds[keep], scores[keep]
        cx, cy, w, h = preds[:, 0], preds[:, 1], preds[:, 2], preds[:, 3]
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        order = cv2.dnn.NMSBoxes(
            [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in xyxy],
            scores.tolist(),
            threshold,
            self.iou,
        )
        order = np.asarray(order, dtype=int).reshape(-1)[: self.max_detections]
        protos = protos[0].astype(np.float32)
        height, width = image.shape[:2]
        detections = []
        for index in order:
            box_lb = xyxy[index]
            quad_lb = self._mask_quad(protos, preds[index, 5:], box_lb)
            box = self._unletterbox(box_lb.reshape(2, 2), info, width, height).reshape(-1)
            quad = self._unletterbox(quad_lb, info, width, height) if quad_lb is not None else None
            xmin, ymin, xmax, ymax = (int(round(v)) for v in box)
            if xmax - xmin < 2 or ymax - ymin < 2:
                continue
            if quad is None:
                quad = np.array([[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax]], dtype=np.float32)
            detections.append(
                Detection(
                    box=BoundingBox(xmin, ymin, xmax, ymax),
                    confidence=float(scores[index]),
                    polygon=tuple((float(x), float(y)) for x, y in quad),
                )
            )
        return detections

    def _mask_quad(self, protos: np.ndarray, coefs: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        """Plate outline (4 corners, letterbox pixels) from the instance mask, computed inside its box only."""
        channels, mask_h, mask_w = protos.shape
        ratio = mask_w / self.input_size
        margin = 2
        x0 = max(int(np.floor(box[0] * ratio)) - margin, 0)
        y0 = max(int(np.floor(box[1] * ratio)) - margin, 0)
        x1 = min(int(np.ceil(box[2] * ratio)) + margin, mask_w)
        y1 = min(int(np.ceil(box[3] * ratio)) + margin, mask_h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return None
        local = protos[:, y0:y1, x0:x1].reshape(channels, -1)
        logits = (coefs @ local).reshape(y1 - y0, x1 - x0)
        # Upsample the logits of the region 4x (back to letterbox pixels) before thresholding.
        scale = 1 / ratio
        up = cv2.resize(logits, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        mask = (up > 0).astype(np.uint8)
        # Keep the mask within the predicted box (as ultralytics crops masks to boxes).
        bx0, by0 = box[0] - x0 * scale, box[1] - y0 * scale
        bx1, by1 = box[2] - x0 * scale, box[3] - y0 * scale
        clip = np.zeros_like(mask)
        clip[max(int(by0), 0) : int(np.ceil(by1)), max(int(bx0), 0) : int(np.ceil(bx1))] = 1
        mask &= clip
        quad = mask_quadrilateral(mask)
        if quad is None:
            return None
        return quad + np.array([x0 * scale, y0 * scale], dtype=np.float32)

    @staticmethod
    def _unletterbox(points: np.ndarray, info: LetterboxInfo, width: int, height: int) -> np.ndarray:
        out = (np.asarray(points, dtype=np.float32) - [info.pad_x, info.pad_y]) / info.scale
        out[:, 0] = out[:, 0].clip(0, width - 1)
        out[:, 1] = out[:, 1].clip(0, height - 1)
        return out
