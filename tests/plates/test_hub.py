"""The model installer: pinned wheels verified by sha256, atomic, idempotent."""

import json
import zipfile

import pytest

from plates import hub
from plates.errors import ModelIntegrityError, ModelsNotInstalled


def fake_wheel(folder, name="platedet-0.0.2-py3-none-any.whl"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("platedet/artifacts/platedet.onnx", b"not the pinned model")
    return folder


def test_a_wheel_with_the_wrong_hash_is_refused_and_nothing_is_installed(tmp_path):
    wheels = fake_wheel(tmp_path / "wheels")
    with pytest.raises(ModelIntegrityError, match="does not match the pinned"):
        hub.install_model(hub.MODELS["platedet"], tmp_path / "models", wheel_dir=wheels)
    assert not (tmp_path / "models" / "platedet").exists()


def test_missing_models_name_the_install_command(tmp_path):
    with pytest.raises(ModelsNotInstalled, match="python -m plates models install"):
        hub.model_path("platedet", tmp_path)


def test_installed_models_verify_and_reinstall_is_a_no_op():
    root = hub.models_dir()
    assert hub.verify_all(root) == dict.fromkeys([*hub.MODELS, *hub.BUILT], "ok")
    assert hub.install_all(root) == dict.fromkeys([*hub.MODELS, *hub.BUILT], False)


def test_the_int8_detector_records_how_it_was_built():
    manifest = json.loads((hub.model_path("platedet_int8") / hub.MANIFEST).read_text())
    built = manifest["built_from"]
    assert {k: built[k] for k in hub.BUILT["platedet_int8"].recipe} == hub.BUILT["platedet_int8"].recipe
    assert (
        built["source_sha256"] == hub.MODELS["platedet"].source.members["platedet/artifacts/platedet.onnx"][1]
    )


def test_paddle_config_names_the_model_and_dictionary():
    import yaml

    config = yaml.safe_load((hub.model_path("ppocrv4_rec") / "inference.yml").read_text(encoding="utf-8"))
    assert config["Global"]["model_name"] == "PP-OCRv4_mobile_rec"
    assert len(config["PostProcess"]["character_dict"]) == 6623


def test_bundled_weights_with_the_wrong_hash_are_refused(tmp_path, monkeypatch):
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "platelens_rec.onnx").write_bytes(b"not the pinned model")
    monkeypatch.setattr(hub, "BUNDLED_DIR", tmp_path / "weights")
    with pytest.raises(ModelIntegrityError, match="does not match its pinned sha256"):
        hub.install_model(hub.MODELS["platelens_rec"], tmp_path / "models")
    assert not (tmp_path / "models" / "platelens_rec").exists()
