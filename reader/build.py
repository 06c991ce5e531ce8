"""`smallbatch reader build`: generate -> curate -> examples -> train -> adapter manifest ->
publish as the knowledge base's reader (``<stores>/<kb>/reader/current``)."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path

from ingest.steps import Drops
from reader import batch as batching
from reader.encode import counter, encode
from reader.generate import ExampleBuilder, readable
from reader.train import Hyper, loss_plot, train
from smallbatch.models.adapters import MANIFEST, WEIGHTS, file_sha256, weights_sha256
from smallbatch.settings import Settings
from smallbatch.snapshot import write_json
from smallbatch.store import new_snapshot_id


def small_dir(s: Settings) -> Path:
    from smallbatch.models import pull

    return pull.hf_dir(s.home, "small")


def make_batch(s: Settings, snapshot: Path, n: int, exclude: list[Path], folder: Path,
               with_batches: list[Path] = ()):
    """Teacher questions from the snapshot's units, curated, as serving-format examples (plus
    the examples of ``with_batches``, re-guarded)."""
    from transformers import AutoTokenizer

    from ingest.roles import Roles
    from rag.open_snapshot import Snapshot
    from rag.retrieve import Retriever
    from smallbatch.embed import get_embedder

    cfg, drops, t0 = s.reader, Drops(), time.perf_counter()
    snap = Snapshot.open(snapshot, s.chroma_url)
    units = readable(list(snap.units.values()), snap.answer_from)
    train_units, dev_units = batching.split_units(units, n, cfg.dev_n, cfg)
    guard, guard_info = batching.guard_for(cfg, exclude)
    roles = Roles(s, s.stores / s.kb / "cache")
    embedder = get_embedder(snap.manifest.get("embedder", {}).get("name", s.embedder))
    kept, dev_q, counts = batching.curate_questions(roles, embedder, guard, train_units,
                                                    dev_units, n, cfg, drops)
    tok = AutoTokenizer.from_pretrained(small_dir(s))
    retriever = Retriever(snap, embedder, s.retrieval)
    builder = ExampleBuilder(retriever.search, snap.units, s.retrieval.top_k, counter(tok),
                             cfg.max_prompt_tokens, cfg.abstain_share, cfg.sentence_share,
                             cfg.seed, s.retrieval.context_words)
    examples = builder.build(kept, drops)
    own = len(examples)
    examples, taken = batching.joined(examples, list(with_batches), guard, drops)
    dev = batching.dev_examples(builder, dev_q)
    snap.close()
    report = {"kb": s.kb, "snapshot": snapshot.name, "units": len(units),
              "candidate_units": {"train": len(train_units), "dev": len(dev_units)},
              "steps": counts, "types": batching.curation.type_mix(kept),
              "examples": builder.stats, "eval_guard": guard_info,
              "own_examples": own, "with_batches": taken,
              "teacher": roles.manifest(set()).get("usage"),
              "settings": cfg.model_dump(mode="json"),
              "wall_s": round(time.perf_counter() - t0, 1)}
    return batching.write_batch(folder, examples, dev, drops, report)


def train_adapter(s: Settings, batch, out: Path, steps: int | None = None,
                  on_step=None) -> dict:
    """Train on ``batch`` into ``out`` and write its manifest (resumes a crashed run)."""
    from transformers import AutoTokenizer

    base = small_dir(s)
    tok = AutoTokenizer.from_pretrained(base)
    seqs = [encode(tok, e.messages, e.target) for e in batch.examples]
    cfg = s.reader.model_copy(update={"steps": steps}) if steps else s.reader
    hp = Hyper.from_settings(cfg, len(seqs))
    base_sha = weights_sha256(base)
    start = starting_adapter(cfg.start_from, base, base_sha)
    key = {"batch": batch.sha256, **({"start_from": start["weights_sha256"]} if start else {})}
    t0 = time.perf_counter()
    fig = train(seqs, base, out, hp, key, s.reader.device, on_step, cfg.start_from)
    loss_plot(fig["losses"], out / "loss.png")
    manifest = {
        "format": 1, "kind": "lora", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base": {"path": str(base), "sha256": base_sha},
        **({"start_from": start} if start else {}),
        "batch": {"path": str(batch.folder), "sha256": batch.sha256, "size": len(seqs),
                  "target_tokens": sum(q.n_target for q in seqs),
                  "tokens": sum(len(q.ids) for q in seqs)},
        "hyperparameters": asdict(hp), "training": {**fig, "wall_s": round(
            time.perf_counter() - t0, 1)},
        "weights_sha256": file_sha256(out / WEIGHTS),
        "adapter_bytes": (out / WEIGHTS).stat().st_size, "dev": None}
    write_json(out / MANIFEST, manifest)
    return manifest


def starting_adapter(folder: Path | None, base: Path, base_sha: str) -> dict | None:
    """What the manifest records of the adapter training starts from (None: a fresh LoRA).
    It must be servable on this base model (smallbatch/models/adapters.py verify): a delta
    trained on other weights would be a wrong start, so it is refused with the file named."""
    if folder is None:
        return None
    from smallbatch.models.adapters import verify

    m = verify(Path(folder), base, base_sha)
    return {"path": str(folder), "weights_sha256": m.get("weights_sha256") or file_sha256(
        Path(folder) / WEIGHTS), "batch": m.get("batch", {}).get("sha256")}


def publish(reader_dir: Path, adapter: Path) -> Path:
    """Point ``<reader_dir>/current`` at ``adapter`` (atomic symlink swap)."""
    link, tmp = reader_dir / "current", reader_dir / f".current.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(adapter.relative_to(reader_dir))
    os.replace(tmp, link)
    return link


def build(s: Settings, n: int, steps: int | None, exclude: list[Path],
          do_publish: bool = True, with_batches: list[Path] = ()) -> tuple[Path, dict]:
    from rag.assemble import current_snapshot

    snapshot = current_snapshot(s, s.kb)
    rid = new_snapshot_id()
    root = s.reader_dir()
    batch = make_batch(s, snapshot, n, exclude, root / "batches" / rid, with_batches)
    if not batch.examples:
        raise ValueError(f"{batch.folder}: curation kept no example (see report.html)")
    out = root / "adapters" / rid
    manifest = train_adapter(s, batch, out, steps)
    if do_publish:
        publish(root, out)
    return out, manifest
