"""Rebuild the platedet ONNX export for fast CPU inference (run once, at `models install`): fp16 -> fp32, cut
before the box decode (any input size; `onnx_yolo.decode_heads` decodes in numpy), static int8 QDQ quantization
calibrated on the engine's own synthetic car photos."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# The head's per-level tensors, before the decode that bakes in the 640x640 anchor grid and reshapes.
BOX_CLASS_OUTPUTS = tuple(f"/model.22/Concat_{i}_output_0" for i in (1, 2, 3))  # 1 x (64 + 1) x H x W
MASK_COEF_OUTPUTS = tuple(f"/model.22/cv4.{i}/cv4.{i}.2/Conv_output_0" for i in range(3))  # 1 x 32 x H x W
PROTO_OUTPUT = "output1"  # 1 x 32 x H/4 x W/4
INPUT = "images"


def to_float32(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same graph computing in fp32 (fp16 buys nothing on CPU and the quantizer wants fp32)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    for tensor in graph.initializer:
        if tensor.data_type == TensorProto.FLOAT16:
            tensor.CopyFrom(
                numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float32), tensor.name)
            )
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT16:
                attr.i = TensorProto.FLOAT
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == TensorProto.FLOAT16:
                attr.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(attr.t).astype(np.float32)))
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.type.tensor_type.elem_type == TensorProto.FLOAT16:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    return model


def cut_before_decode(model: onnx.ModelProto) -> onnx.ModelProto:
    """Keep the convolutional part only: outputs are the three levels' box/class maps, their mask coefficient
    maps and the prototypes; the input's height and width become dynamic (multiples of 32)."""
    outputs = [*BOX_CLASS_OUTPUTS, *MASK_COEF_OUTPUTS, PROTO_OUTPUT]
    graph = model.graph
    needed, keep = set(outputs), []
    for node in reversed(graph.node):
        if any(out in needed for out in node.output):
            keep.append(node)
            needed.update(name for name in node.input if name)
    keep.reverse()
    elem_type = graph.input[0].type.tensor_type.elem_type
    new_graph = helper.make_graph(
        keep,
        graph.name,
        [helper.make_tensor_value_info(INPUT, elem_type, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info(name, elem_type, [1, None, None, None]) for name in outputs],
        initializer=[t for t in graph.initializer if t.name in needed],
    )
    cut = helper.make_model(new_graph, opset_imports=model.opset_import, producer_name="platelens")
    cut.ir_version = model.ir_version
    onnx.checker.check_model(cut)
    return cut


class _Calibration:
    """onnxruntime's CalibrationDataReader protocol over preprocessed input tensors."""

    def __init__(self, tensors: Iterable[np.ndarray]):
        self._tensors = iter(tensors)

    def get_next(self) -> dict[str, np.ndarray] | None:
        tensor = next(self._tensors, None)
        return None if tensor is None else {INPUT: tensor}


def quantize_int8(float_model: Path, output: Path, calibration: Iterable[np.ndarray]) -> None:
    """Static int8 QDQ quantization, per-channel weights, activations calibrated (min/max) on the tensors."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    quantize_static(
        str(float_model),
        str(output),
        _Calibration(calibration),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )


def calibration_tensors(count: int, seed: int, side: int) -> Iterator[np.ndarray]:
    """The calibration set: `count` synthetic car photos (plates.synth; sizes, plate colours, tilt and
    perspective drawn from `seed`), letterboxed to `side` as the detector sees them. Deterministic."""
    from ..images import decode_image
    from ..synth import PLATE_COLORS, plate_scene
    from .onnx_yolo import letterbox

    rng = np.random.default_rng(seed)
    colors = sorted(PLATE_COLORS)
    sizes = ((1280, 720), (960, 540), (640, 480), (800, 600))
    alphabet = list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")
    for index in range(count):
        scene = plate_scene(
            "".join(rng.choice(alphabet, 7)),
            size=sizes[index % len(sizes)],
            angle=float(rng.uniform(-8, 8)),
            perspective=float(rng.uniform(0, 0.3)),
            plate_color=colors[index % len(colors)],
            seed=seed + index,
        )
        boxed, _ = letterbox(decode_image(scene.data).rgb, side, square=False)
        yield boxed.transpose(2, 0, 1)[None].astype(np.float32) / 255.0


def build_int8(source: Path, output: Path, *, images: int, seed: int, side: int) -> None:
    """platedet's fp16 export -> the cut, dynamic-size, int8 graph the engine runs (written to `output`)."""
    import tempfile

    float_model = cut_before_decode(to_float32(onnx.load(str(source))))
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        float_path = Path(tmp) / "platedet-fp32.onnx"
        onnx.save(float_model, str(float_path))
        quantize_int8(float_path, output, calibration_tensors(images, seed, side))
