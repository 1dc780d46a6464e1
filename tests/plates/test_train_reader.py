"""A smoke run of `python -m plates train-reader` on a handful of generated images: it trains, validates
and exports an ONNX reader that the engine's reader adapter loads (training itself is measured elsewhere)."""

import csv
import json
import random

import cv2
import pytest

from plates import hub
from plates.cli import main
from plates.training import data
from plates.training.train import IMAGE, LAST_STAGE, TRUNK_OUTPUT, WIDTH

pytest.importorskip("torch")
pytestmark = pytest.mark.slow


def write_crops(folder, header, rows, images):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    for row, image in zip(rows, images, strict=True):
        cv2.imwrite(str(folder / row[0]), image[:, :, ::-1])


def tiny_datasets(root):
    rng = random.Random(0)
    us_val = sorted(data.validation_files("us"))[0]  # one crop lands in the committed held-out split
    br_val = sorted(data.validation_files("br"))[0]
    us = [(us_val, "ak", "ABC123"), ("ak1.jpg", "ak", "XYZ789"), ("ca1.jpg", "ca", "7KLM042")]
    br = [(br_val, br_val.split("_")[0], "x"), ("QQQ1234_0.jpg", "QQQ1234", "x")]
    write_crops(
        root / "plate-crops-us",
        ["file", "state", "plate"],
        us,
        [data.render_font_plate(r[2], rng) for r in us],
    )
    write_crops(
        root / "plate-crops-br",
        ["file", "plate", "source_name"],
        br,
        [data.render_font_plate(r[1], rng) for r in br],
    )
    glyphs = [(f"{c}/{ch}_0.jpg", c, ch) for c in ("gb", "br") for ch in "AB12"]
    for file, _, _ in glyphs:
        (root / "plate-glyphs" / file.split("/")[0]).mkdir(parents=True, exist_ok=True)
    write_crops(
        root / "plate-glyphs",
        ["file", "country", "char"],
        glyphs,
        [cv2.resize(data.render_font_plate(g[2], rng), (30, 60)) for g in glyphs],
    )


@pytest.mark.parametrize(
    "unfreeze",
    [[], ["--unfreeze-last-stage"], ["--unfreeze-trunk"]],
    ids=["frozen-trunk", "last-stage", "whole-trunk"],
)
def test_train_reader_smoke_run_exports_a_loadable_reader(tmp_path, unfreeze):
    if not (hub.models_dir() / "ppocrv6_rec" / hub.MANIFEST).is_file():
        pytest.skip("PP-OCRv6 small not installed (python -m plates models install)")
    tiny_datasets(tmp_path / "datasets")
    out = tmp_path / "run"
    args = ["train-reader", "--data", str(tmp_path / "datasets"), "--out", str(out)]
    options = [
        "--steps",
        "2",
        "--synthetic",
        "4",
        "--us-views",
        "1",
        "--min-aspect",
        "3",
        "--refresh-every",
        "1",
    ]
    assert main(args + options + unfreeze) == 0
    summary = json.loads((out / "training.json").read_text())
    assert summary["steps"] == 2
    trained_from = {(): TRUNK_OUTPUT, ("--unfreeze-last-stage",): LAST_STAGE, ("--unfreeze-trunk",): IMAGE}
    assert summary["train_from"] == trained_from[tuple(unfreeze)]
    assert set(summary["history"][-1]) >= {"us", "br", "loss"}

    from plates.readers.onnx_rec import OnnxRecReader

    reader = OnnxRecReader(out / "platelens_rec.onnx", name="smoke", min_width=WIDTH, max_width=WIDTH)
    assert reader.min_aspect == 3  # how it was trained to see crops travels with the model
    assert "A" in reader.alphabet.symbols and "京" in reader.alphabet.symbols
    raw = reader.read([data.render_font_plate("AB12CDE", random.Random(1))])[0]
    assert raw.emissions.shape == (WIDTH // 8, len(reader.alphabet.symbols))

    # A warm start from the exported reader (which carries no intermediate shapes) trains the same way.
    again = ["train-reader", "--data", str(tmp_path / "datasets"), "--out", str(tmp_path / "again")]
    base = ["--base", str(out / "platelens_rec.onnx")]
    assert main(again + base + ["--steps", "1", "--synthetic", "2", "--us-views", "1"] + unfreeze) == 0
    assert (tmp_path / "again" / "platelens_rec.onnx").is_file()
