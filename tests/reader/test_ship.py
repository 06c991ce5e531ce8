"""`python -m reader.ship`: a trained adapter copied into the repository keeps its provenance
and, when its folder is still there, the very batch it was trained on (checked by hash), so a
shipped reader can be trained again and its batch reused with `--with-batch`."""

import json

import pytest

from reader.batch import batch_sha256, read_examples
from reader.generate import Example
from reader.ship import ship
from smallbatch.models.adapters import file_sha256, verify


def trained(tmp_path, batch_sha=None):
    import torch
    from safetensors.torch import save_file

    folder = tmp_path / "batches" / "b1"
    folder.mkdir(parents=True)
    exs = [Example(f"q{i}", "u", f"Who {i}?", "Ann", "short", False, 1, ["u"],
                   [{"role": "user", "content": f"Who {i}?"}], "Ann [1]") for i in range(2)]
    (folder / "batch.jsonl").write_text("".join(json.dumps(e.to_json()) + "\n" for e in exs))
    ad = tmp_path / "adapters" / "n2"
    ad.mkdir(parents=True)
    save_file({"lora_A.weight": torch.ones(2, 3)}, ad / "adapter_model.safetensors")
    (ad / "adapter_config.json").write_text(json.dumps({"r": 2, "base_model_name_or_path": "/x"}))
    (ad / "manifest.json").write_text(json.dumps({
        "created": "now", "base": {"sha256": "b" * 64},
        "batch": {"path": str(folder), "sha256": batch_sha or batch_sha256(exs), "size": 2},
        "start_from": {"path": "/somewhere/general", "weights_sha256": "c" * 64},
        "hyperparameters": {"rank": 2}, "training": {"steps": 1, "losses": [1.0]},
        "weights_sha256": file_sha256(ad / "adapter_model.safetensors")}))
    return ad, exs


def test_a_shipped_reader_carries_its_batch_and_its_start(tmp_path):
    ad, exs = trained(tmp_path)
    m = ship(ad, tmp_path / "weights" / "general-2")
    out = tmp_path / "weights" / "general-2"
    assert m["batch"]["file"] == "batch.jsonl" and "path" not in m["batch"]
    assert batch_sha256(read_examples(out / "batch.jsonl")) == m["batch"]["sha256"]
    assert m["start_from"] == {"weights_sha256": "c" * 64}  # no machine path
    assert "losses" not in m["training"]
    assert verify(out, out, base_sha256="b" * 64)["rank"] == 2
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] is None


def test_a_batch_that_is_not_the_trained_one_is_refused(tmp_path):
    ad, _ = trained(tmp_path, batch_sha="0" * 64)
    with pytest.raises(ValueError, match=r"b1/batch\.jsonl: not the batch"):
        ship(ad, tmp_path / "weights" / "x")
