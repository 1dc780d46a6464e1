"""The selectable plate readers (PLATES_READER): each installed one reads a plate crop through the same
CTC decoding and correction; two-row plates read top row then bottom row."""

import numpy as np
import pytest

from plates import hub
from plates.errors import PlatesError
from plates.pipeline import READERS, Pipeline, PipelineConfig, engine_version, reader_from_env
from plates.readers.onnx_rec import preprocess
from tests.support.synth import one_row_plate, two_row_plate


def installed(name: str) -> bool:
    return (hub.models_dir() / READERS[name].model / hub.MANIFEST).is_file()


def test_engine_version_names_the_reader():
    assert "+platelens-rec-2+" in engine_version("platelens")
    assert "+ppocrv6-rec+" in engine_version("ppocrv6")


def test_an_unknown_reader_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PLATES_READER", "tesseract")
    with pytest.raises(PlatesError, match="PLATES_READER='tesseract' is not one of platelens, ppocrv6"):
        reader_from_env()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["platelens", "ppocrv6"])
def test_onnx_readers_read_a_plate_crop(pipeline, name):
    if not installed(name):
        pytest.skip(f"{name} not installed (python -m plates models install)")
    engine = Pipeline(PipelineConfig(reader=name), detector=pipeline.detector)
    assert engine.version == engine_version(name)
    decisions = engine.read_crops([one_row_plate("AB12CDE"), one_row_plate("KMBORAK")])
    assert [d.plate for d in decisions] == ["AB12CDE", "KMBORAK"]


@pytest.mark.slow
def test_a_two_row_plate_reads_top_then_bottom(pipeline):
    decisions = pipeline.read_crops([two_row_plate("AB12", "CDE"), two_row_plate("KL3", "B8K")])
    assert [d.plate for d in decisions] == ["AB12CDE", "KL3B8K"]


@pytest.mark.slow
def test_crop_bench_reads_the_held_out_split_only(pipeline, tmp_path):
    import cv2

    from plates import bench
    from plates.training.data import validation_files

    folder = tmp_path / "plate-crops-us"
    folder.mkdir()
    held_out = sorted(validation_files("us"))[:2]
    rows = [
        (held_out[0], "ak", "AB12CDE"),
        (held_out[1], "ak", "KMBORAK"),
        ("trained_on.jpg", "ak", "XY12ZZZ"),
    ]
    (folder / "labels.csv").write_text(
        "file,state,plate\n" + "".join(f"{f},{s},{p}\n" for f, s, p in rows), encoding="utf-8"
    )
    for file, _, plate in rows:
        cv2.imwrite(str(folder / file), one_row_plate(plate)[:, :, ::-1])
    report = bench.run_crops(folder, pipeline=pipeline, progress=False)
    assert report.per_region["us"][0] == 2
    assert "us: exact, strict" in report.table()


def test_a_crop_narrower_than_the_models_min_aspect_is_widened_to_it():
    crop = np.full((40, 80, 3), 255, dtype=np.uint8)  # 2:1, like a US plate
    as_is, widened = (preprocess([crop], 192, 192, min_aspect=a) for a in (0.0, 3.0))
    assert as_is.shape == widened.shape == (1, 3, 48, 192)
    assert (as_is[0, 0] > 0).any(axis=0).sum() == 96
    assert (widened[0, 0] > 0).any(axis=0).sum() == 144  # 48 x 3: more CTC steps for its characters


def test_the_detector_looks_setting_chooses_the_looks_and_is_named_in_the_version(monkeypatch):
    from plates.detectors.looks import Look
    from plates.pipeline import DETECTOR_LOOKS, detector_looks_from_env

    assert detector_looks_from_env() == (512, DETECTOR_LOOKS)
    assert engine_version("platelens").startswith(
        "platedet-0.0.2-int8-512-640-zo640-cu160-800-1024-eq512-inv512-inv640+"
    )
    monkeypatch.setenv("PLATES_DETECTOR_LOOKS", "512")  # one look: a deployment of mostly plateless photos
    config = PipelineConfig.from_env()
    assert (config.detector_size, config.detector_looks) == (512, ())
    assert engine_version("platelens", 512, ()).startswith("platedet-0.0.2-int8-512+")
    many = tuple(
        Look(size, view) for size in (512, 640, 800, 1024, 1280, 2048) for view in ("image", "inverted")
    )
    for reader in READERS:  # stored with each reading in 100 characters, however many looks
        assert len(engine_version(reader, 2048, many)) <= 100
    assert engine_version("platelens", 512, many) != engine_version("platelens", 512, many[:-1])
    monkeypatch.setenv("PLATES_DETECTOR_LOOKS", " 640, 1280, equalised:512 ")
    assert detector_looks_from_env() == (640, (Look(1280), Look(512, "equalised")))
    for bad in ("600", "512,big", "32", "4096", ",", "inverted:512", "512,sideways:512"):
        monkeypatch.setenv("PLATES_DETECTOR_LOOKS", bad)
        with pytest.raises(
            PlatesError,
            match="PLATES_DETECTOR_LOOKS.*e.g. 512,640,zoomed_out:640,close_up:160,800,1024,equalised:512",
        ):
            detector_looks_from_env()
