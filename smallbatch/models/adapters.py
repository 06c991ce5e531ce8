"""LoRA adapters the model server may load: what makes one servable, checked before serving.

An adapter folder (written by `smallbatch reader build`, reader/train.py) holds peft's
``adapter_config.json`` and ``adapter_model.safetensors`` and our ``manifest.json``, whose
``base.sha256`` is the sha256 of the base model's weights it was trained on. An adapter is
refused — with the file named — when a file is missing or unreadable, or when that sha256 is
not the served base model's: a LoRA delta applied to other weights answers nonsense silently.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "manifest.json"
CONFIG = "adapter_config.json"
WEIGHTS = "adapter_model.safetensors"


class AdapterError(ValueError):
    """An adapter that must not be served; the message names the file at fault."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def weights_sha256(model_dir: Path) -> str:
    """The sha256 of a model folder's weights: of its one ``*.safetensors`` file, or, for a
    sharded model, of the lines ``name sha256`` of every shard in name order."""
    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        raise AdapterError(f"{model_dir}: no *.safetensors weights")
    if len(files) == 1:
        return file_sha256(files[0])
    lines = "".join(f"{f.name} {file_sha256(f)}\n" for f in files)
    return hashlib.sha256(lines.encode()).hexdigest()


def read_manifest(adapter_dir: Path) -> dict:
    path = Path(adapter_dir) / MANIFEST
    if not path.is_file():
        raise AdapterError(f"{path}: missing (not an adapter folder that `reader build` wrote)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["base"]["sha256"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise AdapterError(f"{path}: unreadable manifest ({type(e).__name__}: {e})") from None
    return manifest


def verify(adapter_dir: Path, base_dir: Path, base_sha256: str | None = None) -> dict:
    """The adapter's manifest when ``adapter_dir`` is servable on the base model in
    ``base_dir``; raises AdapterError naming the file otherwise."""
    adapter_dir = Path(adapter_dir)
    if not adapter_dir.is_dir():
        raise AdapterError(f"{adapter_dir}: no adapter folder")
    manifest = read_manifest(adapter_dir)
    config = adapter_dir / CONFIG
    try:
        rank = json.loads(config.read_text(encoding="utf-8"))["r"]
    except (OSError, json.JSONDecodeError, KeyError) as e:
        raise AdapterError(f"{config}: missing or unreadable ({type(e).__name__})") from None
    weights = adapter_dir / WEIGHTS
    if not weights.is_file() or weights.stat().st_size == 0:
        raise AdapterError(f"{weights}: missing or empty")
    expected = manifest.get("weights_sha256")
    if expected and file_sha256(weights) != expected:
        raise AdapterError(f"{weights}: sha256 differs from {adapter_dir / MANIFEST} (damaged)")
    served = base_sha256 or weights_sha256(base_dir)
    if manifest["base"]["sha256"] != served:
        raise AdapterError(
            f"{adapter_dir / MANIFEST}: made for base weights "
            f"{manifest['base']['sha256'][:12]}…, but the served base model ({base_dir}) is "
            f"{served[:12]}…")
    manifest["rank"] = rank
    return manifest


def verify_merged(merged_dir: Path, base_dir: Path) -> dict:
    """The manifest of a merged-weights folder (`smallbatch reader merge`) when it was made from
    the base model in ``base_dir`` and its weights are the ones the merge wrote; raises
    AdapterError naming the file otherwise."""
    merged_dir = Path(merged_dir)
    if not merged_dir.is_dir():
        raise AdapterError(f"{merged_dir}: no merged-weights folder")
    manifest = read_manifest(merged_dir)
    if manifest.get("kind") != "merged":
        raise AdapterError(f"{merged_dir / MANIFEST}: not merged weights (kind "
                           f"{manifest.get('kind')!r}; run `smallbatch reader merge`)")
    if weights_sha256(merged_dir) != manifest.get("sha256"):
        raise AdapterError(f"{merged_dir}: weights' sha256 differs from {merged_dir / MANIFEST} "
                           f"(damaged)")
    served = weights_sha256(base_dir)
    if manifest["base"]["sha256"] != served:
        raise AdapterError(
            f"{merged_dir / MANIFEST}: merged from base weights "
            f"{manifest['base']['sha256'][:12]}…, but the catalog's model ({base_dir}) is "
            f"{served[:12]}…")
    return manifest


def small_lora_modules(settings) -> dict[str, Path]:
    """The adapters the small model's server loads: ``{small.adapter: folder}`` when the small
    role names one (folder: ``reader.adapter_dir`` or ``<stores>/<kb>/reader/current``)."""
    name = settings.small.adapter
    return {name: settings.adapter_path().resolve()} if name else {}


def without_refused(settings, refused: dict[str, str]):
    """The settings with the small role back on the base model when its adapter was refused."""
    if settings.small.adapter and settings.small.adapter in refused:
        return settings.model_copy(update={"small": settings.small.model_copy(
            update={"adapter": ""})})
    return settings
