"""Copy a trained adapter into the repository as a shipped reader (``reader/weights/<name>``):
the LoRA weights in bf16 (half the bytes; they are added to bf16 base weights when merged), the
peft config without this machine's paths, and a manifest that keeps the provenance (base
weights' sha256, batch hash and size, hyperparameters, training figures) and the new weights'
sha256.

    .venv/bin/python -m reader.ship ADAPTER_DIR reader/weights/general
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from smallbatch.models.adapters import CONFIG, MANIFEST, WEIGHTS, file_sha256, read_manifest
from smallbatch.snapshot import write_json


def ship(adapter: Path, out: Path) -> dict:
    import torch
    from safetensors.torch import load_file, save_file

    source = read_manifest(adapter)
    out.mkdir(parents=True, exist_ok=True)
    tensors = load_file(adapter / WEIGHTS)
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in sorted(tensors.items())},
              out / WEIGHTS, metadata={"format": "pt"})
    config = json.loads((adapter / CONFIG).read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = None  # the catalog's small model, wherever it is pulled
    (out / CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    training = {k: v for k, v in source["training"].items() if k != "losses"}
    manifest = {"format": 1, "kind": "lora", "created": source["created"],
                "base": {"catalog": "small", "sha256": source["base"]["sha256"]},
                "batch": {k: v for k, v in source["batch"].items() if k != "path"},
                "hyperparameters": source["hyperparameters"], "training": training,
                "weights_dtype": "bfloat16", "weights_sha256": file_sha256(out / WEIGHTS),
                "adapter_bytes": (out / WEIGHTS).stat().st_size,
                "trained_from": {"adapter": adapter.name,
                                 "weights_sha256": source.get("weights_sha256")},
                "dev": source.get("dev")}
    write_json(out / MANIFEST, manifest)
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("adapter", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    print(json.dumps(ship(args.adapter, args.out), indent=1))


if __name__ == "__main__":
    main()
