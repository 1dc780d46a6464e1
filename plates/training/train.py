"""`python -m plates train-reader`: fine-tune PP-OCRv6 small into the platelens plate reader on CPU.

Recipe: the recognizer's 18,710-way output layer is cut to the plate alphabet (blank, A-Z, 0-9, the Chinese
plate characters, space), keeping the original rows, so training starts from PP-OCRv6 restricted to plates.
The convolutional trunk stays frozen up to a cut tensor (by default its output, so only the sequence neck
and the output layer train; `LAST_STAGE` also trains the trunk's last stage): onnxruntime computes the
features at the cut once per (augmented) sample, and the rest of the graph is trained with CTC in torch.
From `IMAGE` the whole graph trains on the preprocessed crops. The trained weights are written back into the original ONNX graph (input 1x3x48x192)."""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..ctc import CHINESE, LATIN
from ..readers.onnx_rec import MIN_ASPECT_KEY, preprocess
from . import data
from .graph import OnnxRecognizer

TRUNK_OUTPUT = "p2o.pd_op.pool2d.1.0"  # last backbone tensor of PP-OCRv6_rec_small (N x 384 x 1 x W/8)
# Input of the trunk's last stage (N x 192 x 6 x W/4): its downsampling block and two 384-channel blocks,
# then the pool, are trained too when the features are cached here (1.5 M more trainable parameters).
LAST_STAGE = "p2o.pd_op.add.51.0"
# The graph's input: from here the whole trunk trains, on the preprocessed crops (about 1 s a 32-crop step).
IMAGE = "x"
WIDTH = 192  # input width the reader runs at (plates are short; 24 CTC steps)
INTERPOLATION = cv2.INTER_AREA  # what the reader resizes crops with, in training and in the engine


@dataclass
class Cached:
    features: torch.Tensor  # (N, ...) float16: the tensor training starts from
    texts: list[str]
    groups: list[str]


def plate_characters(dictionary: list[str]) -> str:
    """The reader's symbols, in output order after the blank: Latin, Chinese plate characters, then space."""
    return "".join(c for c in LATIN + CHINESE if c in dictionary)


def _trunk(model: onnx.ModelProto, output: str, threads: int) -> ort.InferenceSession:
    # Shapes inferred first: an exported reader (a warm start) carries no intermediate shapes to cut at.
    trunk = onnx.utils.Extractor(onnx.shape_inference.infer_shapes(model)).extract_model(
        [model.graph.input[0].name], [output]
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(trunk.SerializeToString(), options, providers=["CPUExecutionProvider"])


def _features(
    session: ort.InferenceSession | None, images: list[np.ndarray], desc: str, min_aspect: float
) -> torch.Tensor:
    """The tensor training starts from, per image: the trunk session's output, or without a session the
    preprocessed crop itself."""
    out = []
    for i in tqdm(range(0, len(images), 32), desc=desc, unit="batch", mininterval=30):
        batch = preprocess(images[i : i + 32], WIDTH, WIDTH, INTERPOLATION, min_aspect=min_aspect)
        features = batch if session is None else session.run(None, {IMAGE: batch})[0]
        out.append(torch.from_numpy(features).half())
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.float16)


def build_cache(
    session: ort.InferenceSession | None,
    samples: list[tuple[np.ndarray, str, str]],
    desc: str,
    min_aspect: float,
) -> Cached:
    return Cached(
        _features(session, [s[0] for s in samples], desc, min_aspect),
        [s[1] for s in samples],
        [s[2] for s in samples],
    )


def training_samples(
    root: Path, rng: random.Random, *, us_views: int, br_views: int, synthetic: int, limit: int | None
) -> list[tuple[np.ndarray, str, str]]:
    us_train, _ = data.split(data.us_samples(root), data.validation_files("us"))
    br_train, _ = data.split(data.br_samples(root), data.validation_files("br"))
    if limit:
        us_train, br_train = us_train[:limit], br_train[:limit]
    out = []
    for samples, views in ((us_train, us_views), (br_train, br_views)):
        for s in samples:
            image = data.load_rgb(s.path)
            out += [(data.augment(image, rng, 0.5 if v == 0 else 1.0), s.text, s.group) for v in range(views)]
    glyphs = data.Glyphs(root)
    for i in range(synthetic):
        if i % 2:
            plate, text = glyphs.compose(rng)
        else:
            text = data.random_text(rng)
            plate = data.render_font_plate(text, rng)
        out.append((data.augment(plate, rng), text, "synthetic"))
    return out


def validation_samples(root: Path, limit: int | None) -> list[tuple[np.ndarray, str, str]]:
    _, us_val = data.split(data.us_samples(root), data.validation_files("us"))
    _, br_val = data.split(data.br_samples(root), data.validation_files("br"))
    if limit:
        us_val, br_val = us_val[:limit], br_val[:limit]
    return [(data.load_rgb(s.path), s.text, s.group.split("-")[0]) for s in us_val + br_val]


def encode(texts: list[str], index: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    labels = [[index[c] for c in t if c in index] for t in texts]
    return torch.tensor([i for lab in labels for i in lab], dtype=torch.long), torch.tensor(
        [len(lab) for lab in labels], dtype=torch.long
    )


def greedy_texts(logits: torch.Tensor, symbols: str) -> list[str]:
    best = logits.argmax(-1).tolist()
    out = []
    for row in best:
        text, previous = [], 0
        for label in row:
            if label != previous and label != 0 and label <= len(symbols):
                text.append(symbols[label - 1])
            previous = label
        out.append("".join(text))
    return out


def evaluate(model: OnnxRecognizer, cache: Cached, symbols: str) -> dict[str, float]:
    model.eval()
    hits: dict[str, list[int]] = {}
    with torch.no_grad():
        for i in range(0, len(cache.texts), 128):
            texts = greedy_texts(model(cache.features[i : i + 128].float()), symbols)
            for got, want, group in zip(
                texts, cache.texts[i : i + 128], cache.groups[i : i + 128], strict=True
            ):
                hits.setdefault(group, []).append(int(got == want))
    model.train()
    return {g: sum(h) / len(h) for g, h in sorted(hits.items())}


def head_rows(dictionary: list[str], symbols: str) -> list[int]:
    """Columns of the base model's output kept for the plate alphabet: blank, the symbols, space."""
    return [0] + [dictionary.index(c) + 1 for c in symbols] + [len(dictionary) + 1]


def metadata(min_aspect: float) -> dict[str, str]:
    return {MIN_ASPECT_KEY: f"{min_aspect:g}"} if min_aspect else {}


def _parameter_groups(model: OnnxRecognizer, template: onnx.ModelProto, trunk_lr: float) -> list[dict]:
    """The trainable trunk weights (between the cut and the trunk output) at `trunk_lr` times the rate."""
    nodes = list(template.graph.node)
    end = next(i for i, n in enumerate(nodes) if TRUNK_OUTPUT in n.output)
    trunk = {i for n in nodes[: end + 1] for i in n.input}
    groups: dict[bool, list[torch.nn.Parameter]] = {True: [], False: []}
    for name, attr in model.names.items():
        value = getattr(model, attr)
        if isinstance(value, torch.nn.Parameter):
            groups[name in trunk].append(value)
    return [
        {"params": params, "scale": trunk_lr if in_trunk else 1.0}
        for in_trunk, params in groups.items()
        if params
    ]


def train(
    data_root: Path,
    out_dir: Path,
    base_model: Path,
    *,
    budget_minutes: float = 60.0,
    steps: int | None = None,
    batch_size: int = 32,
    lr: float = 5e-4,
    weight_decay: float = 1e-4,
    dropout: float = 0.1,
    us_views: int = 5,
    br_views: int = 1,
    synthetic: int = 5000,
    limit: int | None = None,
    threads: int = 2,
    seed: int = data.SEED,
    eval_every: int = 150,
    train_from: str = TRUNK_OUTPUT,
    trunk_lr: float = 0.1,
    min_aspect: float = 0.0,
    refresh_every: int | None = None,
) -> dict:
    """Fine-tune and export. Stops after `steps` steps or when the wall-clock budget is spent, whichever
    comes first, and exports the checkpoint with the best validation accuracy (mean of US and BR).
    `train_from`: the tensor whose features are cached (trunk weights after it train at `trunk_lr` x `lr`).
    `refresh_every`: draw new augmented views of every sample (and new synthetic plates) after that many
    steps, so the trained part does not learn one fixed set of views by heart."""
    started = time.monotonic()
    deadline = started + budget_minutes * 60
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    template = onnx.load(str(base_model))
    dictionary = next(p.value for p in template.metadata_props if p.key == "character").splitlines()
    symbols = plate_characters(dictionary)
    from_image = train_from == template.graph.input[0].name  # nothing frozen: the whole graph trains
    session = None if from_image else _trunk(template, train_from, threads)
    val = build_cache(session, validation_samples(data_root, limit), "validation features", min_aspect)

    def fresh_views() -> Cached:
        samples = training_samples(
            data_root, rng, us_views=us_views, br_views=br_views, synthetic=synthetic, limit=limit
        )
        return build_cache(session, samples, "training features", min_aspect)

    train_cache = fresh_views()
    model = OnnxRecognizer(
        template, head_rows=head_rows(dictionary, symbols), start=None if from_image else train_from
    )
    feature_dropout = 0.0 if from_image else dropout  # dropout is for features, not pixels
    index = {c: i + 1 for i, c in enumerate(symbols)}
    optimizer = torch.optim.AdamW(
        _parameter_groups(model, template, trunk_lr), lr=lr, weight_decay=weight_decay
    )
    history = [
        {"step": 0, "minutes": round((time.monotonic() - started) / 60, 1), **evaluate(model, val, symbols)}
    ]
    print(json.dumps(history[-1]), flush=True)
    best_score, best_state = -1.0, None
    train_start = time.monotonic()
    n, step = len(train_cache.texts), 0
    step_seconds: list[float] = []  # training time of each step since the last validation
    order: list[int] = []
    while True:
        fraction = (
            step / steps if steps else (time.monotonic() - train_start) / max(deadline - train_start, 1e-6)
        )
        if fraction >= 1.0:
            break
        if refresh_every and step and step % refresh_every == 0:
            train_cache, order = fresh_views(), []
        tick = time.monotonic()
        if len(order) < batch_size:
            order += rng.sample(range(n), n)
        batch, order = order[:batch_size], order[batch_size:]
        features = F.dropout(train_cache.features[batch].float(), p=feature_dropout)
        logits = model(features)
        log_probs = logits.log_softmax(-1).permute(1, 0, 2)
        targets, lengths = encode([train_cache.texts[i] for i in batch], index)
        loss = F.ctc_loss(
            log_probs,
            targets,
            torch.full((len(batch),), log_probs.shape[0], dtype=torch.long),
            lengths,
            blank=0,
            zero_infinity=True,
        )
        warm = min(1.0, (step + 1) / 50)
        for group in optimizer.param_groups:
            group["lr"] = (
                lr
                * group["scale"]
                * warm
                * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(fraction, 1.0))))
            )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step += 1
        step_seconds.append(time.monotonic() - tick)
        last = (steps and step >= steps) or time.monotonic() >= deadline
        if step % eval_every == 0 or last:
            scores = evaluate(model, val, symbols)
            history.append(
                {
                    "step": step,
                    "minutes": round((time.monotonic() - started) / 60, 1),
                    "loss": round(loss.item(), 4),
                    "seconds_per_step": round(float(np.mean(step_seconds)), 3),
                    **scores,
                }
            )
            print(json.dumps(history[-1]), flush=True)
            step_seconds = []
            score = float(np.mean([v for k, v in scores.items() if k in ("us", "br")] or [0.0]))
            if score >= best_score:
                best_score = score
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                torch.save(best_state, out_dir / "best.pt")
    if best_state is not None:
        model.load_state_dict(best_state)
    exported = model.eval().export(template, symbols, metadata(min_aspect))
    onnx.save(exported, str(out_dir / "platelens_rec.onnx"))
    summary = {
        "base_model": base_model.name,
        "train_from": train_from,
        "trunk_lr": trunk_lr,
        "steps": step,
        "batch_size": batch_size,
        "training_samples": n,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "best_validation": best_score,
        "min_aspect": min_aspect,
        "history": history,
    }
    (out_dir / "training.json").write_text(json.dumps(summary, indent=2))
    return summary
