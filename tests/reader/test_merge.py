"""Merged weights answer as base + adapter do."""

import json

from reader.merge import merge
from reader.train import Hyper, train
from smallbatch.models.adapters import file_sha256, weights_sha256
from tests.reader.test_train import seqs, tiny  # noqa: F401  (the tiny-model fixture)


def test_merged_model_equals_base_plus_adapter(tiny, tmp_path):  # noqa: F811
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base, tok = tiny
    out = tmp_path / "a"
    train(seqs(tok), base, out, Hyper(rank=4, alpha=8, lr=5e-2, steps=2, batch_size=1),
          {"batch": "x"})
    (out / "manifest.json").write_text(json.dumps({
        "base": {"sha256": weights_sha256(base)},
        "weights_sha256": file_sha256(out / "adapter_model.safetensors")}))
    merged = merge(out, base)
    ids = torch.tensor([seqs(tok)[0].ids])
    with torch.no_grad():
        plain = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        ref = PeftModel.from_pretrained(plain, out)(input_ids=ids).logits
        got = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32)(
            input_ids=ids).logits
        raw = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)(input_ids=ids).logits
    assert torch.allclose(got, ref, atol=1e-4)
    assert not torch.allclose(raw, ref, atol=1e-4)  # the adapter does change the model
    m = json.loads((merged / "manifest.json").read_text())
    assert m["kind"] == "merged" and m["base"]["sha256"] == weights_sha256(base)
    assert (merged / "tokenizer.json").exists()
