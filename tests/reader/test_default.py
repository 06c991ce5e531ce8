"""The shipped general reader: whole as committed, merged once into the small model and reused,
refused (serving falls back to the base model) when it was made for other base weights."""

import json

import pytest

from reader import default
from reader.default import merged_reader, shipped
from smallbatch.models.adapters import AdapterError, file_sha256, verify, weights_sha256
from smallbatch.settings import Role, Settings


def test_the_shipped_general_reader_is_whole():
    folder = shipped("general")
    m = json.loads((folder / "manifest.json").read_text())
    assert m["kind"] == "lora" and m["weights_dtype"] == "bfloat16"
    # the committed weights are the ones the manifest names (verify checks the file's sha256)
    assert verify(folder, folder, base_sha256=m["base"]["sha256"])["rank"] == 16
    assert json.loads((folder / "adapter_config.json").read_text())[
        "base_model_name_or_path"] is None


def test_an_unknown_shipped_reader_names_the_known_ones():
    with pytest.raises(AdapterError, match=r"no shipped reader 'nope' \(shipped: \[.*'general'"):
        shipped("nope")


def fake_base(tmp_path, monkeypatch, base_bytes=b"base weights"):
    base = tmp_path / "base"
    base.mkdir()
    (base / "model.safetensors").write_bytes(base_bytes)
    monkeypatch.setattr("reader.build.small_dir", lambda s: base)
    return base


def fake_shipped(tmp_path, monkeypatch, made_for: str) -> None:
    ad = tmp_path / "weights" / "general"
    ad.mkdir(parents=True)
    (ad / "adapter_config.json").write_text(json.dumps({"r": 4}))
    (ad / "adapter_model.safetensors").write_bytes(b"lora delta")
    (ad / "manifest.json").write_text(json.dumps({
        "base": {"sha256": made_for},
        "weights_sha256": file_sha256(ad / "adapter_model.safetensors")}))
    monkeypatch.setattr(default, "SHIPPED", tmp_path / "weights")


def test_merged_once_then_reused(tmp_path, monkeypatch):
    base = fake_base(tmp_path, monkeypatch)
    fake_shipped(tmp_path, monkeypatch, weights_sha256(base))
    calls = []

    def merge(adapter, base_dir, out):  # the real merge is tests/reader/test_merge.py's
        verify(adapter, base_dir)
        calls.append(out)
        out.mkdir()
        (out / "model.safetensors").write_bytes(b"base + delta")
        (out / "manifest.json").write_text(json.dumps({
            "kind": "merged", "base": {"sha256": weights_sha256(base_dir)},
            "sha256": weights_sha256(out)}))
        return out

    monkeypatch.setattr("reader.merge.merge", merge)
    s = Settings(home=tmp_path / "home")
    first = merged_reader(s, "general")
    assert first.name.startswith("general-") and (first / "model.safetensors").exists()
    assert merged_reader(s, "general") == first and len(calls) == 1
    (first / "model.safetensors").write_bytes(b"cut")  # damaged: made again
    assert merged_reader(s, "general") == first and len(calls) == 2
    assert not list(first.parent.glob("*.partial-*"))


def test_serve_falls_back_to_the_base_model_when_the_reader_is_refused(tmp_path, monkeypatch,
                                                                       capsys):
    from reader.default import default_weights

    fake_base(tmp_path, monkeypatch)
    fake_shipped(tmp_path, monkeypatch, "0" * 64)
    monkeypatch.setattr("smallbatch.models.server.is_up", lambda url: False)
    s = Settings(home=tmp_path / "home")
    assert default_weights(s) is None
    err = capsys.readouterr().err
    assert "answering with the base model" in err and "made for base weights" in err


@pytest.mark.parametrize("update", [
    {"reader": {"default": ""}},
    {"small": Role(model="small", base_url="http://127.0.0.1:1/v1")},
    {"small": Role(model="small", adapter="kb-reader")},
    {"small": Role(model="other-model", base_url="http://127.0.0.1:1/v1")},
])
def test_serve_uses_no_shipped_reader_when_told_or_when_the_kb_has_its_own(tmp_path, update,
                                                                           monkeypatch):
    from reader.default import default_weights

    monkeypatch.setattr(default, "merged_reader", lambda s, name: pytest.fail("merged"))
    s = Settings(home=tmp_path / "home")
    if "reader" in update:
        s = s.model_copy(update={"reader": s.reader.model_copy(update=update["reader"])})
    else:
        s = s.model_copy(update=update)
    assert default_weights(s) is None


def test_serve_keeps_a_small_model_that_is_already_up(tmp_path, monkeypatch):
    from reader.default import default_weights

    monkeypatch.setattr("smallbatch.models.server.is_up", lambda url: url.endswith(":8011/v1"))
    monkeypatch.setattr(default, "merged_reader", lambda s, name: pytest.fail("merged"))
    assert default_weights(Settings(home=tmp_path / "home")) is None
