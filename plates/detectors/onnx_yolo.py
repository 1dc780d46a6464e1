"""YOLOv8-seg plate detector (platedet ONNX export) run through onnxruntime, with mask -> quadrilateral."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..base import BoundingBox, Detection, Detector
from ..geometry import mask_quadrilateral
from .looks import VIEWS, Look

try:
    import onnxruntime as ort
except ImportError as exc:  # pragma: no cover - onnxruntime is a hard dependency of the engine
    raise ImportError("The ONNX plate detector needs onnxruntime: pip install onnxruntime") from exc


STRIDES = (8, 16, 32)  # of the three detection levels; a dynamic input's sides are multiples of the last
STRIDE = STRIDES[-1]
REG_MAX = 16  # distribution-focal-loss bins per box side
# Below this width : height a box is no plate (motorcycle and square plates are 1.2-1.75:1; a 2:1 plate turned
# 45 degrees is 1:1). openalpr-eu: the 3 detections below it, 0.13-0.47:1, were an EU band alone and strips
# beside plates, one of them (0.42) sure enough to stop the search.
MIN_WIDTH_TO_HEIGHT = 0.7


@dataclass(frozen=True)
class LetterboxInfo:
    scale: float
    pad_x: float
    pad_y: float


def letterbox(
    image: np.ndarray, size: int, *, square: bool = True, shrink: int = 1
) -> tuple[np.ndarray, LetterboxInfo]:
    """Resize keeping the aspect ratio so the long side is `size`, and pad (value 114), centred as ultralytics
    does: to size x size, or (square=False, for a dynamic-size model) only up to the next multiple of 32.
    `shrink`: the image resized to 1/shrink of that, centred on the same canvas (a close-up seen from farther)."""
    height, width = image.shape[:2]
    full = min(size / height, size / width)
    scale = full / shrink
    new_w, new_h = round(width * scale), round(height * scale)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR) if scale != 1 else image
    full_w, full_h = round(width * full), round(height * full)
    out_w, out_h = (size, size) if square else (-(-full_w // STRIDE) * STRIDE, -(-full_h // STRIDE) * STRIDE)
    pad_x, pad_y = (out_w - new_w) / 2, (out_h - new_h) / 2
    top, left = round(pad_y - 0.1), round(pad_x - 0.1)
    canvas = np.full((out_h, out_w, 3), 114, dtype=np.uint8)
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas, LetterboxInfo(scale=scale, pad_x=left, pad_y=top)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + e^-x), without overflow for large |x|


def decode_heads(outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the original graph computed after the cut: boxes (N x 4, cx cy w h in input pixels), scores (N),
    mask coefficients (N x 32) over every anchor of the three levels."""
    boxes, scores, coefs = [], [], []
    bins = np.arange(REG_MAX, dtype=np.float32)
    for level, stride in enumerate(STRIDES):
        head = outputs[level][0]  # 65 x H x W
        _, height, width = head.shape
        dist = head[: 4 * REG_MAX].reshape(4, REG_MAX, -1)
        dist = np.exp(dist - dist.max(axis=1, keepdims=True))
        dist = (dist / dist.sum(axis=1, keepdims=True) * bins[None, :, None]).sum(axis=1)  # 4 x HW
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
        ax, ay = xs.reshape(-1), ys.reshape(-1)
        x1, y1, x2, y2 = ax - dist[0], ay - dist[1], ax + dist[2], ay + dist[3]
        boxes.append(np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1) * stride)
        scores.append(_sigmoid(head[4 * REG_MAX]).reshape(-1))
        coefs.append(outputs[3 + level][0].reshape(32, -1).T)
    return np.concatenate(boxes), np.concatenate(scores), np.concatenate(coefs)


def _merged(detections: list[Detection], iou: float) -> list[Detection]:
    """Detections of several looks, most confident first, without one overlapping a more confident one."""
    kept: list[Detection] = []
    for detection in sorted(detections, key=lambda d: d.confidence, reverse=True):
        if all(detection.box.iou(k.box) < iou for k in kept):
            kept.append(detection)
    return kept


# Two boxes on one line that overlap or touch, of about one height, are one plate found in pieces: in a close-up
# the detector often finds its left and right parts (each would be read short: `9A9990A` as `9A9990` and
# `A9990A`). They share this much of the lower one's rows, and the lower is this much of the taller's height.
PIECES_ROWS = 0.7
PIECES_HEIGHTS = 0.7
# Down to this confidence a look's boxes under the threshold are kept aside, as pieces of a plate as wide as a
# close-up (`close_up` view) found with the threshold: the detector often finds such a plate in pieces, one
# sure and the others faint (openalpr-eu `eu4`: `BIMMIAN`'s right half at 0.30, read `MIAN`, its left half at
# 0.06). Measured: BR `--scenes 0.25 --close-up 0.7` strict 0.898 -> 0.912, US 0.912 -> 0.918; at 0.1 nothing.
FAINT = 0.05


def _pieces(a: BoundingBox, b: BoundingBox) -> bool:
    low, tall = sorted((a.height, b.height))
    rows = min(a.ymax, b.ymax) - max(a.ymin, b.ymin)
    columns = min(a.xmax, b.xmax) - max(a.xmin, b.xmin)
    return low >= PIECES_HEIGHTS * tall and rows >= PIECES_ROWS * low and columns >= 0


def _joined(detections: list[Detection]) -> list[Detection]:
    """Detections with the pieces of one plate joined: their union box, the more confident piece's confidence,
    and the outline from the left piece's left corners to the right piece's right ones."""
    # Most confident first; a union keeps the place of its first piece.
    out = sorted(detections, key=lambda d: d.confidence, reverse=True)
    i = 0
    while i < len(out):
        j = next((j for j in range(i + 1, len(out)) if _pieces(out[i].box, out[j].box)), None)
        if j is None:
            i += 1
            continue
        a, b = out[i], out.pop(j)
        left = a if a.box.xmin <= b.box.xmin else b
        right = a if a.box.xmax >= b.box.xmax else b
        out[i] = Detection(
            box=BoundingBox(
                min(a.box.xmin, b.box.xmin),
                min(a.box.ymin, b.box.ymin),
                max(a.box.xmax, b.box.xmax),
                max(a.box.ymax, b.box.ymax),
            ),
            confidence=max(a.confidence, b.confidence),
            polygon=(left.polygon[0], right.polygon[1], right.polygon[2], left.polygon[3]),
        )  # and again from out[i]: the union may reach a third piece
    return out


class OnnxYoloSegDetector(Detector):
    """The platedet YOLOv8s-seg model: boxes from output0 (or, for the graph `yolo_graph` rebuilt, the raw head
    maps decoded here), plate outlines from the prototype masks."""

    name = "platedet"

    def __init__(
        self,
        model_path: str | Path,
        *,
        threads: int = 2,
        input_size: int | None = None,
        confidence: float = 0.25,
        iou: float = 0.5,
        max_detections: int = 10,
        looks: tuple[Look, ...] = (),
        sure: float = 0.25,
    ):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Threads sleep between runs instead of spinning: on 2 shared cores the spinning stole the CPU from the
        # reader, the web process and the database (measured: end to end 263-379 -> 155-161 ms per image).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        static = isinstance(model_input.shape[2], int)
        # A static export runs at its own size; the rebuilt graph takes any multiple of 32 (long side).
        self.input_size = int(model_input.shape[2]) if static else (input_size or 640)
        self.square = static
        # Where nothing sure is found at input_size, the looks in turn; a static export has one size only.
        self.looks = () if static else looks
        self.sure = sure
        self.raw_heads = len(self.session.get_outputs()) > 2
        self.input_dtype = np.float16 if "float16" in model_input.type else np.float32
        self.confidence = confidence
        self.iou = iou
        self.max_detections = max_detections

    def detect(self, image: np.ndarray, *, confidence: float | None = None) -> list[Detection]:
        """Plates found at input_size; where none is found there with `sure` confidence, also those found by
        each of `looks` in turn, until one is (a weak hit, such as a sign, must not stop the search for a plate
        too small for the first look, too dark, or too close). The looks' detections are merged: of two that
        overlap, the more confident one is kept; the pieces of one plate are joined (`_joined`), faint pieces
        (`FAINT`) only to a plate as wide as a close-up. Most confident first."""
        threshold = self.confidence if confidence is None else confidence
        faint: list[Detection] = []

        def above(detections: list[Detection]) -> list[Detection]:  # those under the threshold go to `faint`
            faint.extend(d for d in detections if d.confidence < threshold)
            return [d for d in detections if d.confidence >= threshold]

        low = min(FAINT, threshold)
        found = above(self._detect_at(image, self.input_size, low))
        seen: dict[str, np.ndarray] = {}
        looked = []
        for look in self.looks:
            if any(d.confidence >= self.sure for d in found):
                break
            found = _merged(found + above(self._look(image, look, low, seen)), self.iou)
            looked.append(look)
        # Something as wide as a close-up look counts, found surely, may be a piece of its plate: the close-up
        # looks, which see such a plate whole, look too, and what they find is joined with what overlaps it.
        for look in self.looks:
            view = VIEWS[look.view]
            if (
                view.min_width
                and look not in looked
                and any(view.counts(d.box.width, image.shape[1]) for d in found)
            ):
                found = found + above(self._look(image, look, low, seen))
        wide = [d for d in found if VIEWS["close_up"].counts(d.box.width, image.shape[1])]
        found = found + [d for d in faint if any(_pieces(d.box, w.box) for w in wide)]
        return _joined(found)[: self.max_detections]

    def _look(
        self, image: np.ndarray, look: Look, threshold: float, seen: dict[str, np.ndarray]
    ) -> list[Detection]:
        """What `look` finds, as wide as its view counts (`seen` keeps each view of the image computed once)."""
        view = VIEWS[look.view]
        if look.view not in seen:
            seen[look.view] = view.see(image)
        found = self._detect_at(seen[look.view], look.size, threshold, view.shrink)
        return [d for d in found if view.counts(d.box.width, image.shape[1])]

    def _detect_at(self, image: np.ndarray, size: int, threshold: float, shrink: int = 1) -> list[Detection]:
        boxed, info = letterbox(image, size, square=self.square, shrink=shrink)
        tensor = (boxed.transpose(2, 0, 1)[None].astype(np.float32) / 255.0).astype(self.input_dtype)
        outputs = self.session.run(None, {self.input_name: tensor})
        if self.raw_heads:
            centers, scores, coefs = decode_heads(outputs[:6])
        else:
            preds = outputs[0][0].astype(np.float32).T  # 8400 x 37
            centers, scores, coefs = preds[:, :4], preds[:, 4], preds[:, 5:]
        protos = outputs[-1]
        keep = scores >= threshold
        if not keep.any():
            return []
        centers, scores, coefs = centers[keep], scores[keep], coefs[keep]
        cx, cy, w, h = centers[:, 0], centers[:, 1], centers[:, 2], centers[:, 3]
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
            quad_lb = self._mask_quad(protos, coefs[index], box_lb, boxed.shape[1])
            box = self._unletterbox(box_lb.reshape(2, 2), info, width, height).reshape(-1)
            quad = self._unletterbox(quad_lb, info, width, height) if quad_lb is not None else None
            xmin, ymin, xmax, ymax = (int(round(v)) for v in box)
            if xmax - xmin < 2 or xmax - xmin < MIN_WIDTH_TO_HEIGHT * (ymax - ymin):
                continue  # a speck, or something taller than wide: no plate is (square ones are 1-1.3:1)
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

    @staticmethod
    def _mask_quad(protos: np.ndarray, coefs: np.ndarray, box: np.ndarray, input_w: int) -> np.ndarray | None:
        """Plate outline (4 corners, letterbox pixels) from the instance mask, computed inside its box only."""
        channels, mask_h, mask_w = protos.shape
        ratio = mask_w / input_w
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
