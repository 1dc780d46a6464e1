"""Accuracy floors: a fixed subset of the OpenALPR EU benchmark end to end, and the held-out US and BR plate
crops the reader was never trained on (read-only, beside the repository).

Measured on the full sets: see README. Each floor sits just under what was measured."""

from dataclasses import replace
from pathlib import Path

import pytest

from plates import bench

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
DATASET = DATASETS / "openalpr-eu"
SUBSET = 40  # the first 40 images in name order
# Measured (engine 0.4.3): strict 0.925 (37 of 40; the misses are three noisy labels), folded 1.000, recall
# 1.000 (`eu4`, `BIMMIAN`, found whole by its faint left half); each floor one image under that.
STRICT_FLOOR = 0.9
FOLDED_FLOOR = 0.975
RECALL_FLOOR = 0.975

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not DATASET.is_dir(), reason=f"evaluation set not present at {DATASET}")
def test_accuracy_on_openalpr_eu_subset(pipeline):
    report = bench.run(DATASET, pipeline=pipeline, limit=SUBSET, progress=False)
    assert report.images == SUBSET
    assert report.recall >= RECALL_FLOOR, report.table()
    assert report.strict >= STRICT_FLOOR, (report.table(), report.misses)
    assert report.folded >= FOLDED_FLOOR, (report.table(), report.misses)


# Held-out crops: measured (engine 0.4.0) US 0.966 (142 of 147), BR 0.930 (475 of 511); two plates of margin.
CROP_FLOORS = {"us": 0.95, "br": 0.925}


@pytest.mark.parametrize("region", sorted(CROP_FLOORS))
def test_accuracy_on_held_out_crops(pipeline, region):
    folder = DATASETS / f"plate-crops-{region}"
    if not folder.is_dir():
        pytest.skip(f"crops not present at {folder}")
    report = bench.run_crops(folder, pipeline=pipeline, progress=False)
    plates, strict, _, _ = report.per_region[region]
    assert strict / plates >= CROP_FLOORS[region], report.misses


# Held-out crops pasted into synthetic car photos, read end to end (detector, crop, state), measured (engine
# 0.4.1): US 0.946 at a fifth of the car's width (139 of 147, a plate read in 146), BR 0.930 at a quarter
# (475 of 511, a plate read in all; 0.983 on the right labels).
SCENES = {"us": (0.2, 0.98, 0.93), "br": (0.25, 0.995, 0.925)}  # share, found floor, strict floor


@pytest.mark.parametrize("region", sorted(SCENES))
def test_accuracy_on_held_out_crops_in_scenes(pipeline, region):
    folder = DATASETS / f"plate-crops-{region}"
    if not folder.is_dir():
        pytest.skip(f"crops not present at {folder}")
    share, found_floor, strict_floor = SCENES[region]
    report = bench.run_scenes(folder, share=share, pipeline=pipeline, progress=False)
    assert report.found >= found_floor * report.plates, report.misses
    assert report.strict / report.plates >= strict_floor, report.misses


# The first 20 held-out US crops at the car's whole width (`bench --scenes 1.0`), measured (engine 0.4.2): 11 found
# without the close-up look (10 read right), 20 with it (18 read right).
CLOSE_UPS, CLOSE_UPS_FOUND_WITHOUT, CLOSE_UPS_FOUND, CLOSE_UPS_STRICT = 20, 12, 19, 17


def test_close_ups_are_found_by_the_small_look(pipeline):
    """US held-out crops filling 72 % of the photo's width (`bench --scenes 1.0`): without the look at 160 the
    detector finds few of them, or only in pieces; with it, nearly all are found and read."""
    from plates.pipeline import Pipeline

    folder = DATASETS / "plate-crops-us"
    if not folder.is_dir():
        pytest.skip(f"crops not present at {folder}")
    looks = tuple(look for look in pipeline.config.detector_looks if look.view != "close_up")
    without = Pipeline(replace(pipeline.config, detector_looks=looks), reader=pipeline.reader)
    before = bench.run_scenes(folder, share=1.0, pipeline=without, limit=CLOSE_UPS, progress=False)
    after = bench.run_scenes(folder, share=1.0, pipeline=pipeline, limit=CLOSE_UPS, progress=False)
    assert before.found <= CLOSE_UPS_FOUND_WITHOUT, before.misses
    assert after.found >= CLOSE_UPS_FOUND and after.strict >= CLOSE_UPS_STRICT, after.misses
    # A phone held near the car (`--scenes 0.2 --close-up 0.7`): the detector, sure of a piece of the plate, is
    # joined by the close-up look's whole plate (measured: 20 found, 17 read right; before, pieces read short).
    near = bench.run_scenes(
        folder, share=0.2, close_up=0.7, pipeline=pipeline, limit=CLOSE_UPS, progress=False
    )
    assert near.found == CLOSE_UPS and near.strict >= 16, near.misses


def test_dark_plates_are_found_by_the_light_on_dark_look(pipeline):
    """Brazilian night/IR crops (light characters on a dark ground) pasted into photos: the looks at the image
    itself find half of them; the looks at its inverted, equalised grey find and read all."""
    import cv2
    import numpy as np

    from plates.pipeline import Pipeline
    from plates.synth import real_plate_photo

    folder = DATASETS / "plate-crops-br"
    if not folder.is_dir():
        pytest.skip(f"crops not present at {folder}")
    looks = tuple(look for look in pipeline.config.detector_looks if look.view == "image")
    plain = Pipeline(replace(pipeline.config, detector_looks=looks), reader=pipeline.reader)
    files = ["AEA4145_0", "AHG2618_5", "BXI7775_0", "AHG2618_7", "MBK3990_1", "ATP4756_2"]
    photos = [
        real_plate_photo(
            np.ascontiguousarray(cv2.imread(str(folder / f"{f}.jpg"))[:, :, ::-1]), share=0.25, seed=i
        )
        for i, f in enumerate(files)
    ]
    assert sum(bool(plain.recognize(photo).results) for photo in photos) <= 3
    readings = [bench.best_reading(pipeline.recognize(photo).results) for photo in photos]
    assert readings == [f.split("_")[0] for f in files]
