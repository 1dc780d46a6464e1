"""An ONNX recognizer graph run as a trainable torch module, and its weights written back into the graph.

The PP-OCRv6 recognizer uses a couple of dozen plain ONNX operators; interpreting them with torch keeps the
exported model the original graph with new weights (no torch ONNX exporter, no onnx2torch, whose import
pulls in torchvision). Batch normalisation runs with its stored statistics (fine-tuning, small batches)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HEAD_WEIGHT = "linear_8.w_0"  # the 18,710-way output layer of PP-OCRv6_rec_small (D x classes) and its bias
HEAD_BIAS = "linear_8.b_0"


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _same_upper(x: torch.Tensor, kernel: list[int], strides: list[int], value: float = 0.0) -> torch.Tensor:
    pads = []
    for size, k, s in reversed(list(zip(x.shape[2:], kernel, strides, strict=True))):
        total = max((-(-size // s) - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


def _conv(node, ins, a):
    x, w = ins[0], ins[1]
    bias = ins[2] if len(ins) > 2 else None
    strides, dil, group = a.get("strides", [1, 1]), a.get("dilations", [1, 1]), a.get("group", 1)
    if a.get("auto_pad", b"NOTSET") in (b"SAME_UPPER", "SAME_UPPER"):
        x = _same_upper(x, list(w.shape[2:]), strides)
        padding = 0
    else:
        p = a.get("pads", [0, 0, 0, 0])
        if p[0] != p[2] or p[1] != p[3]:
            x, padding = F.pad(x, [p[1], p[3], p[0], p[2]]), 0
        else:
            padding = (p[0], p[1])
    return F.conv2d(x, w, bias, stride=strides, padding=padding, dilation=dil, groups=group)


def _maxpool(node, ins, a):
    x, k, s = ins[0], a["kernel_shape"], a.get("strides", [1, 1])
    if a.get("auto_pad", b"NOTSET") in (b"SAME_UPPER", "SAME_UPPER"):
        x = _same_upper(x, k, s, value=float("-inf"))
        return F.max_pool2d(x, k, s)
    p = a.get("pads", [0, 0, 0, 0])
    return F.max_pool2d(x, k, s, padding=(p[0], p[1]), ceil_mode=bool(a.get("ceil_mode", 0)))


def _avgpool(node, ins, a):
    p = a.get("pads", [0, 0, 0, 0])
    return F.avg_pool2d(
        ins[0],
        a["kernel_shape"],
        a.get("strides", a["kernel_shape"]),
        padding=(p[0], p[1]),
        ceil_mode=bool(a.get("ceil_mode", 0)),
        count_include_pad=bool(a.get("count_include_pad", 0)),
    )


def _reshape(node, ins, a):
    shape = [int(v) for v in ins[1].tolist()]
    shape = [ins[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return ins[0].reshape(shape)


def _slice(node, ins, a):
    x = ins[0]
    starts, ends = ins[1].tolist(), ins[2].tolist()
    axes = ins[3].tolist() if len(ins) > 3 else list(range(len(starts)))
    steps = ins[4].tolist() if len(ins) > 4 else [1] * len(starts)
    index = [slice(None)] * x.dim()
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        size = x.shape[axis]
        start = max(min(start + size if start < 0 else start, size), 0)
        end = max(min(end + size if end < 0 else end, size), 0)
        index[axis] = slice(start, end, step)
    return x[tuple(index)]


def _squeeze(node, ins, a):
    x = ins[0]
    for axis in sorted((ax % x.dim() for ax in a["axes"]), reverse=True):
        x = x.squeeze(axis)
    return x


def _unsqueeze(node, ins, a):
    x = ins[0]
    for axis in sorted(a["axes"]):
        x = x.unsqueeze(axis)
    return x


def _batchnorm(node, ins, a):
    x, scale, bias, mean, var = ins
    return F.batch_norm(x, mean, var, scale, bias, training=False, eps=a.get("epsilon", 1e-5))


def _pow(node, ins, a):
    return torch.pow(ins[0], ins[1])


OPS: dict[str, Callable] = {
    "Conv": _conv,
    "MaxPool": _maxpool,
    "AveragePool": _avgpool,
    "BatchNormalization": _batchnorm,
    "Reshape": _reshape,
    "Slice": _slice,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Pow": _pow,
    "Identity": lambda n, i, a: i[0],
    "Add": lambda n, i, a: i[0] + i[1],
    "Sub": lambda n, i, a: i[0] - i[1],
    "Mul": lambda n, i, a: i[0] * i[1],
    "Div": lambda n, i, a: i[0] / i[1],
    "MatMul": lambda n, i, a: torch.matmul(i[0], i[1]),
    "Relu": lambda n, i, a: F.relu(i[0]),
    "Sigmoid": lambda n, i, a: torch.sigmoid(i[0]),
    "Erf": lambda n, i, a: torch.erf(i[0]),
    "Sqrt": lambda n, i, a: torch.sqrt(i[0]),
    "HardSigmoid": lambda n, i, a: torch.clamp(a.get("alpha", 0.2) * i[0] + a.get("beta", 0.5), 0, 1),
    "Softmax": lambda n, i, a: torch.softmax(i[0], dim=a.get("axis", -1)),
    "ReduceMean": lambda n, i, a: i[0].mean(dim=a.get("axes"), keepdim=bool(a.get("keepdims", 1))),
    "Transpose": lambda n, i, a: i[0].permute(a["perm"]),
    "Concat": lambda n, i, a: torch.cat(i, dim=a["axis"]),
    "Shape": lambda n, i, a: torch.tensor(i[0].shape, dtype=torch.int64),
}


class OnnxRecognizer(torch.nn.Module):
    """Forward returns (N, T, classes) logits: the graph up to, not including, its final softmax."""

    def __init__(self, model: onnx.ModelProto, head_rows: list[int] | None = None, start: str | None = None):
        """`start`: name of an intermediate tensor to take as input instead of the image (the nodes that
        produce it are left out), so a frozen trunk's features can be computed once by onnxruntime."""
        super().__init__()
        graph = model.graph
        nodes = list(graph.node)
        frozen: set[str] = set()  # weights the left-out nodes also read stay as they are
        if start is not None:
            cut = next((i for i, n in enumerate(nodes) if start in n.output), None)
            if cut is None:
                raise ValueError(f"no node of the graph produces {start!r}")
            earlier = {o for n in nodes[: cut + 1] for o in n.output} - {start}
            if earlier & {i for n in nodes[cut + 1 :] for i in n.input}:
                raise ValueError(f"{start!r} is not a clean cut: later nodes read earlier tensors")
            frozen = {i for n in nodes[: cut + 1] for i in n.input}
            nodes = nodes[cut + 1 :]
        self.nodes = [(n.op_type, list(n.input), list(n.output), _attrs(n)) for n in nodes]
        unknown = {op for op, *_ in self.nodes} - set(OPS)
        if unknown:
            raise ValueError(f"operators not supported: {sorted(unknown)}")
        final = self.nodes[-1]
        if final[0] != "Softmax":
            raise ValueError("expected the graph to end with its softmax")
        self.nodes = self.nodes[:-1]
        self.input_name = start or graph.input[0].name
        used = {i for _, inputs, _, _ in self.nodes for i in inputs}
        self.logits_name = final[1][0]
        self.names: dict[str, str] = {}  # initializer name -> parameter/buffer attribute
        statistics = {n.input[i] for n in graph.node if n.op_type == "BatchNormalization" for i in (3, 4)}
        fixed = statistics | frozen
        for i, init in enumerate(graph.initializer):
            if init.name not in used:
                continue
            array = numpy_helper.to_array(init).copy()
            if head_rows is not None and init.name == HEAD_WEIGHT:
                array = array[:, head_rows]
            elif head_rows is not None and init.name == HEAD_BIAS:
                array = array[head_rows]
            tensor = torch.from_numpy(array)
            attr = f"w{i}"
            self.names[init.name] = attr
            if tensor.is_floating_point() and tensor.numel() > 1 and init.name not in fixed:
                self.register_parameter(attr, torch.nn.Parameter(tensor))
            else:
                self.register_buffer(attr, tensor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values: dict[str, torch.Tensor] = {self.input_name: x}
        for name, attr in self.names.items():
            values[name] = getattr(self, attr)
        for op, inputs, outputs, attrs in self.nodes:
            result = OPS[op](op, [values[i] for i in inputs if i], attrs)
            values[outputs[0]] = result
        return values[self.logits_name]

    def export(
        self, template: onnx.ModelProto, characters: str, metadata: dict[str, str] | None = None
    ) -> onnx.ModelProto:
        """The template graph carrying this module's weights, its output sized to `characters` + blank +
        space, and the dictionary in the `character` metadata (as PaddleOCR's ONNX exports store it), plus
        `metadata`."""
        model = copy.deepcopy(template)
        for init in model.graph.initializer:
            if init.name not in self.names:
                continue
            tensor = getattr(self, self.names[init.name]).detach().cpu().numpy()
            init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(tensor), init.name))
        del model.graph.value_info[:]  # recorded intermediate shapes name the old output size
        output = model.graph.output[0].type.tensor_type.shape.dim[-1]
        output.dim_value = len(characters) + 2
        del model.metadata_props[:]
        model.metadata_props.add(key="character", value="\n".join(characters))
        for key, value in (metadata or {}).items():
            model.metadata_props.add(key=key, value=value)
        return model
