"""`python -m plates read|bench|models` as a user runs them (real subprocesses, real models)."""

import json
import re
import subprocess
import sys

import pytest

from tests.support.synth import corrupt_bytes, plate_photo, plate_scene

pytestmark = pytest.mark.slow


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "plates", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_read_json_lines_with_bad_files_continuing(tmp_path):
    (tmp_path / "a_car.jpg").write_bytes(plate_photo("AB12CDE"))
    for kind in ("empty", "text", "truncated", "bomb"):
        (tmp_path / f"b_{kind}.png").write_bytes(corrupt_bytes(kind))
    proc = run("read", "--json", "--regions", "gb", str(tmp_path), str(tmp_path / "missing.jpg"))
    assert proc.returncode == 1, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 6
    assert lines[0]["results"][0]["plate"] == "ab12cde"
    assert lines[0]["results"][0]["region"]["code"] == "gb"
    errors = {line["filename"].rsplit("/", 1)[-1]: line["error"]["code"] for line in lines[1:]}
    assert errors == {
        "b_empty.png": "empty_image",
        "b_text.png": "not_an_image",
        "b_truncated.png": "truncated_image",
        "b_bomb.png": "image_too_large",
        "missing.jpg": "unreadable",
    }


def test_read_human_output_and_success_exit(tmp_path):
    image = tmp_path / "car.jpg"
    image.write_bytes(plate_photo("KA123BC"))
    proc = run("read", str(image))
    assert proc.returncode == 0, proc.stderr
    assert "KA123BC" in proc.stdout


def test_bench_prints_a_table_on_an_openalpr_folder(tmp_path):
    for i, text in enumerate(["AB12CDE", "KA123BC", "XY98ZZA"]):
        scene = plate_scene(text, seed=i)
        xs = [x for x, _ in scene.polygon]
        ys = [y for _, y in scene.polygon]
        (tmp_path / f"s{i}.jpg").write_bytes(scene.data)
        (tmp_path / f"s{i}.txt").write_text(
            f"s{i}.jpg\t{int(min(xs))}\t{int(min(ys))}\t{int(max(xs) - min(xs))}\t{int(max(ys) - min(ys))}\t{text}\n"
        )
    proc = run("bench", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\| detection recall \(IoU >= 0\.5\) +\| 1\.000 \|", proc.stdout)
    assert "| exact match, strict" in proc.stdout and "1.000" in proc.stdout
    assert "median ms / image" in proc.stdout and "peak memory" in proc.stdout
    assert "bench" in proc.stderr  # the progress bar


def test_models_verify_reports_ok():
    proc = run("models", "verify")
    assert proc.returncode == 0
    assert "platedet: ok" in proc.stdout and "ppocrv4_rec: ok" in proc.stdout


def test_bench_scenes_reads_held_out_crops_pasted_into_photos(tmp_path):
    from plates.synth import us_plate
    from plates.training.data import validation_files

    folder = tmp_path / "plate-crops-us"  # the split's name says which held-out list applies
    folder.mkdir()
    names = sorted(validation_files("us"))[:3]
    rows = ["file,state,plate"]
    for name, text in zip(names, ["ABC1234", "7KLM302", "HXT419"], strict=True):
        (folder / name).write_bytes(jpeg_bytes(us_plate(text, "Ohio", 240)))
        rows.append(f"{name},oh,{text}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    proc = run("bench", str(folder), "--scenes", "0.25", "--misses")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\| us: a plate read +\| 1\.000 \|", proc.stdout), proc.stdout
    assert "us: exact, strict" in proc.stdout and "median ms / photo" in proc.stdout
    proc = run("bench", str(folder), "--scenes", "0.25", "--hard")  # at dusk, out of focus
    assert proc.returncode == 0, proc.stderr
    assert "us: a plate read" in proc.stdout


def jpeg_bytes(rgb) -> bytes:
    import cv2

    return cv2.imencode(".jpg", rgb[:, :, ::-1])[1].tobytes()


def test_bench_scenes_on_a_folder_without_labels_is_a_clear_error(tmp_path):
    proc = run("bench", str(tmp_path), "--scenes", "0.2")
    assert proc.returncode == 2
    assert "--scenes needs a plate-crops folder" in proc.stderr and "Traceback" not in proc.stderr
    for alone in (["--hard"], ["--close-up", "0.7"]):
        proc = run("bench", str(tmp_path), *alone)
        assert proc.returncode == 2 and "--hard and --close-up go with --scenes" in proc.stderr
