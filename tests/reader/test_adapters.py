"""An adapter is served only when its folder is whole and it was made for the served base
weights; otherwise it is refused with the file named and the base model serves alone."""

import json
from pathlib import Path

import pytest

from smallbatch.models.adapters import AdapterError, file_sha256, verify, weights_sha256
from smallbatch.models.server import VllmServer
from smallbatch.settings import VllmSettings


def make(tmp_path: Path, base_bytes=b"base weights", made_for=None):
    base = tmp_path / "base"
    base.mkdir(exist_ok=True)
    (base / "model.safetensors").write_bytes(base_bytes)
    ad = tmp_path / "adapter"
    ad.mkdir(exist_ok=True)
    (ad / "adapter_config.json").write_text(json.dumps({"r": 4}))
    (ad / "adapter_model.safetensors").write_bytes(b"lora delta")
    sha = made_for or weights_sha256(base)
    (ad / "manifest.json").write_text(json.dumps({
        "base": {"sha256": sha}, "weights_sha256": file_sha256(ad / "adapter_model.safetensors")}))
    return base, ad


def test_a_whole_adapter_for_this_base_passes(tmp_path):
    base, ad = make(tmp_path)
    assert verify(ad, base)["rank"] == 4


def test_sharded_weights_hash_every_shard(tmp_path):
    (tmp_path / "a.safetensors").write_bytes(b"1")
    one = weights_sha256(tmp_path)
    (tmp_path / "b.safetensors").write_bytes(b"2")
    assert weights_sha256(tmp_path) != one


def test_wrong_base_is_refused_naming_the_manifest(tmp_path):
    base, ad = make(tmp_path, made_for="0" * 64)
    with pytest.raises(AdapterError, match=r"adapter/manifest\.json: made for base weights"):
        verify(ad, base)


@pytest.mark.parametrize("damage,file", [
    (lambda ad: (ad / "manifest.json").write_text("{not json"), "manifest.json"),
    (lambda ad: (ad / "manifest.json").unlink(), "manifest.json"),
    (lambda ad: (ad / "adapter_config.json").unlink(), "adapter_config.json"),
    (lambda ad: (ad / "adapter_model.safetensors").unlink(), "adapter_model.safetensors"),
    (lambda ad: (ad / "adapter_model.safetensors").write_bytes(b"lora delta, cut"),
     "adapter_model.safetensors"),
])
def test_damaged_folder_is_refused_naming_the_file(tmp_path, damage, file):
    base, ad = make(tmp_path)
    damage(ad)
    with pytest.raises(AdapterError, match=file.replace(".", r"\.")):
        verify(ad, base)


def test_server_leaves_a_refused_adapter_out_and_serves_the_base(tmp_path, capsys):
    base, ad = make(tmp_path, made_for="0" * 64)
    server = VllmServer(base, "small", VllmSettings(), tmp_path / "log",
                        lora_modules={"reader": ad})
    server.verify_adapters()
    assert "--lora-modules" not in server.command() and "--enable-lora" not in server.command()
    assert "manifest.json" in server.refused["reader"]
    assert "refused, serving the base model" in capsys.readouterr().err
    (tmp_path / "ok").mkdir()
    good_base, good = make(tmp_path / "ok")
    ok = VllmServer(good_base, "small", VllmSettings(), tmp_path / "log",
                    lora_modules={"reader": good})
    ok.verify_adapters()
    assert ok.command()[-2:] == ["--lora-modules", f"reader={good}"] and not ok.refused


def test_small_role_names_its_adapter_and_falls_back_to_the_base(tmp_path):
    from smallbatch.llm import endpoint
    from smallbatch.models.adapters import small_lora_modules, without_refused
    from smallbatch.settings import Role, Settings

    s = Settings(stores=tmp_path, kb="kb1", small=Role(model="small", adapter="reader"))
    assert small_lora_modules(s) == {"reader": (tmp_path / "kb1" / "reader" / "current").resolve()}
    assert endpoint(s, "small").model == "reader"
    back = without_refused(s, {"reader": "manifest.json: made for base weights …"})
    assert endpoint(back, "small").model == "qwen2.5-coder-0.5b-instruct"
    assert small_lora_modules(Settings(stores=tmp_path)) == {}


def merged_folder(tmp_path: Path, base: Path, made_for: str | None = None) -> Path:
    out = tmp_path / "merged"
    out.mkdir(parents=True)
    (out / "model.safetensors").write_bytes(b"base + delta")
    (out / "manifest.json").write_text(json.dumps({
        "kind": "merged", "base": {"sha256": made_for or weights_sha256(base)},
        "sha256": weights_sha256(out)}))
    return out


def test_merged_weights_from_this_base_pass_and_others_are_refused(tmp_path):
    from smallbatch.models.adapters import verify_merged

    base, _ = make(tmp_path)
    good = merged_folder(tmp_path, base)
    assert verify_merged(good, base)["kind"] == "merged"
    (good / "model.safetensors").write_bytes(b"base + delta, cut")
    with pytest.raises(AdapterError, match=r"merged: weights' sha256 differs .*damaged"):
        verify_merged(good, base)
    other = merged_folder(tmp_path / "o", base, made_for="0" * 64)
    with pytest.raises(AdapterError, match=r"merged/manifest\.json: merged from base weights"):
        verify_merged(other, base)
    (tmp_path / "a").mkdir()
    _, adapter = make(tmp_path / "a")
    with pytest.raises(AdapterError, match=r"manifest\.json: not merged weights"):
        verify_merged(adapter, base)


def test_merged_weights_are_served_beside_the_base_under_their_own_name(tmp_path, monkeypatch):
    from smallbatch import commands
    from smallbatch.errors import UserError
    from smallbatch.models import pull
    from smallbatch.models.catalog import lookup
    from smallbatch.settings import Settings

    base, _ = make(tmp_path)
    monkeypatch.setattr(pull, "is_ready", lambda home, name: True)
    monkeypatch.setattr(pull, "hf_dir", lambda home, name: base)
    s = Settings(home=tmp_path)
    merged = merged_folder(tmp_path, base)
    server = commands.model_server(s, "small", str(merged))
    assert server.model_path == merged.resolve()
    assert server.served_name == lookup("small").served_name + "-reader"
    assert server.cfg.port == s.vllm.port + 2
    assert commands.model_server(s, "small").cfg.port == s.vllm.port
    assert commands.model_server(s, "small", str(merged), port=9001).cfg.port == 9001
    with pytest.raises(UserError, match=r"merged weights refused: .*no merged-weights folder"):
        commands.model_server(s, "small", str(tmp_path / "nope"))


def test_training_starts_only_from_an_adapter_made_for_this_base(tmp_path):
    """`reader build --start-from`: the start is recorded in the manifest, and an adapter made
    for other base weights is refused with its manifest named before any training."""
    from reader.build import starting_adapter

    base, ad = make(tmp_path)
    assert starting_adapter(None, base, weights_sha256(base)) is None
    got = starting_adapter(ad, base, weights_sha256(base))
    assert got["path"] == str(ad)
    assert got["weights_sha256"] == file_sha256(ad / "adapter_model.safetensors")
    with pytest.raises(AdapterError, match=r"adapter/manifest\.json: made for base weights"):
        starting_adapter(ad, base, "0" * 64)
