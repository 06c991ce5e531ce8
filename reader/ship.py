"""Copy a trained adapter into the repository as a shipped reader (``reader/weights/<name>``):
the LoRA weights in bf16 (half the bytes; they are added to bf16 base weights when merged), the
peft config without this machine's paths, the training batch itself (``batch.jsonl``, when
its folder is still there: the reader can be trained again, and `reader build --with-batch
reader/weights/<name>` trains a KB's reader on it too), and a manifest that keeps the provenance
(base weights' sha256, batch hash and size, the adapter it started from, hyperparameters,
training figures) and the new weights' sha256.

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
    batch = {k: v for k, v in source["batch"].items() if k != "path"}
    if copy_batch(Path(source["batch"].get("path", "")), out, source["batch"]["sha256"]):
        batch["file"] = "batch.jsonl"
    manifest = {"format": 1, "kind": "lora", "created": source["created"],
                "base": {"catalog": "small", "sha256": source["base"]["sha256"]},
                "batch": batch,
                **({"start_from": {k: v for k, v in source["start_from"].items() if k != "path"}}
                   if source.get("start_from") else {}),
                "hyperparameters": source["hyperparameters"], "training": training,
                "weights_dtype": "bfloat16", "weights_sha256": file_sha256(out / WEIGHTS),
                "adapter_bytes": (out / WEIGHTS).stat().st_size,
                "trained_from": {"adapter": adapter.name,
                                 "weights_sha256": source.get("weights_sha256")},
                "dev": source.get("dev")}
    write_json(out / MANIFEST, manifest)
    return manifest


def copy_batch(folder: Path, out: Path, sha256: str) -> bool:
    """Copy ``folder/batch.jsonl`` to ``out`` when it is the batch the adapter was trained on
    (same hash); False when it is gone (earlier runs did not keep it)."""
    from reader.batch import batch_sha256, read_examples

    path = folder / "batch.jsonl"
    if not str(folder) or not path.is_file():
        return False
    if batch_sha256(read_examples(path)) != sha256:
        raise ValueError(f"{path}: not the batch the adapter was trained on (sha256 differs)")
    (out / "batch.jsonl").write_bytes(path.read_bytes())
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("adapter", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    print(json.dumps(ship(args.adapter, args.out), indent=1))


if __name__ == "__main__":
    main()
