"""The reader `smallbatch serve` answers with when the knowledge base has none of its own: a
shipped adapter (``reader/weights/<name>``, written by ``python -m reader.ship``) merged once
into the pulled small model's weights, so it costs what the base model costs to serve.

``general`` is the 271-example adapter of `bench/results/reader-300-a8.json` (teacher questions
from 10 SQuAD articles that no evaluation corpus uses): on articles it never saw it lifted the
0.5B's F1 from 0.414 to 0.554 (95 % CI of the gain +0.094 … +0.187; eval/results-second), and on
the Chinese KB from 0.214 to 0.414 (reader/README.md). A knowledge base's own reader
(`smallbatch reader build`) or ``reader.default = ""`` (the base model) replaces it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import sys

from smallbatch.models.adapters import AdapterError, read_manifest, verify_merged
from smallbatch.settings import Settings

SHIPPED = Path(__file__).with_name("weights")


def shipped(name: str) -> Path:
    folder = SHIPPED / name
    if not folder.is_dir():
        known = sorted(p.name for p in SHIPPED.iterdir() if p.is_dir()) if SHIPPED.is_dir() else []
        raise AdapterError(f"{folder}: no shipped reader {name!r} (shipped: {known})")
    return folder


def merged_reader(s: Settings, name: str) -> Path:
    """``<home>/models/small/readers/<name>-<sha12>``: the shipped adapter merged into the
    pulled small model; made on first use (about a minute on 2 cores, ~3 GB of memory), checked
    against both the adapter's and the merged weights' sha256 every time. Raises AdapterError
    (the file named) when the adapter was made for other base weights or is damaged."""
    from reader.build import small_dir
    from reader.merge import merge
    from smallbatch.models.pull import model_dir

    adapter, base = shipped(name), small_dir(s)
    sha = read_manifest(adapter).get("weights_sha256") or "unversioned"
    out = model_dir(s.home, "small") / "readers" / f"{name}-{sha[:12]}"
    if out.is_dir():
        try:
            verify_merged(out, base)
            return out
        except AdapterError:
            shutil.rmtree(out)  # damaged or made from other base weights: made again below
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        merge(adapter, base, tmp)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    verify_merged(out, base)
    return out


def default_weights(s: Settings) -> Path | None:
    """What `smallbatch serve` starts the small model with: the shipped reader's merged weights
    when the small role is the catalog's small model, names no adapter of the knowledge base and
    no server is configured or up; None (the base model, said why) when ``reader.default`` is
    empty or the shipped reader is refused."""
    from smallbatch.llm import endpoint
    from smallbatch.models.server import is_up

    if s.small.adapter or s.small.model != "small" or not s.reader.default or s.small.base_url:
        return None
    if is_up(endpoint(s, "small").base_url):
        return None  # serve answers with the server already up
    try:
        path = merged_reader(s, s.reader.default)
    except AdapterError as e:
        print(f"shipped reader refused, answering with the base model: {e}", file=sys.stderr)
        return None
    print(f"answering with the shipped {s.reader.default!r} reader ({path}; "
          f"SMALLBATCH_READER__DEFAULT= for the base model)", file=sys.stderr)
    return path
