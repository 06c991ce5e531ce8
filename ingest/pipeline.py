"""The ingest pipeline: one literal list of steps, then embed, write, and publish.

    load -> clean -> strip boilerplate -> exact dedup -> near dedup -> mask PII -> chunk
         -> heuristic quality -> embed -> write snapshot -> publish

Each curation step can be switched off in ``settings.curation`` (``--profile raw`` turns them
all off), so raw and curated stores of the same sources can be built and compared.

Reading ``steps()`` tells the whole story. Every step reports what it dropped and why to the
``Drops`` ledger, which lands in ``manifest.json`` and ``rejects.jsonl``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ingest import write
from ingest.chunk import Chunker
from ingest.boilerplate import StripBoilerplate
from ingest.clean import Clean, ExactDedup
from ingest.dedup import NearDedup
from ingest.load import Problem, load
from ingest.pii import MaskPII
from ingest.quality import HeuristicQuality
from ingest.steps import Drops, Step
from smallbatch.embed import Embedder, get_embedder
from smallbatch.gitinfo import git_commit
from smallbatch.records import Doc, content_hash
from smallbatch.settings import Settings
from smallbatch.store import KnowledgeBase

SNAPSHOT_FORMAT = 1


def steps(settings: Settings, embedder: Embedder) -> list[Step]:
    c = settings.curation
    pipeline = [
        (c.clean, lambda: Clean()),
        (c.boilerplate, lambda: StripBoilerplate()),
        (c.exact_dedup, lambda: ExactDedup()),
        (c.near_dedup, lambda: NearDedup(threshold=c.near_dedup_threshold)),
        (c.pii, lambda: MaskPII()),  # before chunking: masked text never reaches the index
        (True, lambda: Chunker(settings.chunk_tokens, settings.chunk_overlap,
                               embedder.tokenizer.tokenize)),
        (c.quality, lambda: HeuristicQuality(c.quality_threshold, c.quality_top_n)),
    ]
    return [make() for on, make in pipeline if on]


@dataclass
class IngestResult:
    snapshot: Path
    units: int
    sources: int
    problems: list[Problem] = field(default_factory=list)
    drops: dict = field(default_factory=dict)
    published: bool = False


def ingest(source: Path, kb_name: str, settings: Settings, publish: bool = True) -> IngestResult:
    kb = KnowledgeBase(settings.stores, kb_name)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    problems: list[Problem] = []
    drops = Drops()

    embedder = get_embedder(settings.embedder)
    timings["load_embedder_s"] = round(time.perf_counter() - t0, 3)

    t = time.perf_counter()
    sources = list(tqdm(load(Path(source), problems), desc="load", unit="doc", file=sys.stderr))
    timings["load_s"] = round(time.perf_counter() - t, 3)
    source_hashes = {d.id: content_hash(d.text) for d in sources}

    t = time.perf_counter()
    stream = iter(sources)
    pipeline = steps(settings, embedder)
    for step in pipeline:
        stream = step.run(stream, drops)
    units: list[Doc] = list(tqdm(stream, desc="clean+chunk", unit="unit", file=sys.stderr))
    timings["steps_s"] = round(time.perf_counter() - t, 3)
    if not units:
        raise ValueError(f"{source}: nothing to ingest ({len(problems)} problems: "
                         + "; ".join(map(str, problems[:5])) + ")")

    t = time.perf_counter()
    vectors = embedder.encode([write.index_text(u) for u in units], progress=True)
    timings["embed_s"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    parent = kb.current()
    build = kb.new_build()
    write.write_units(build, units)
    write.write_bm25(build, units)
    write.write_chroma(build, units, vectors)
    write.write_rejects(build, drops.rejects)
    timings["write_s"] = round(time.perf_counter() - t, 3)
    timings["total_s"] = round(time.perf_counter() - t0, 3)

    manifest = {
        "format": SNAPSHOT_FORMAT,
        "id": build.name,
        "kb": kb_name,
        "parent": parent.name if parent else None,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": git_commit(),
        "source": str(source),
        "sources": source_hashes,
        "steps": [s.name for s in pipeline],
        "settings": {"chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap,
                     "curation": settings.curation.model_dump()},
        "embedder": {"name": settings.embedder, "dim": embedder.dim},
        "counts": {"sources": len(sources), "units": len(units), "problems": len(problems),
                   "unit_tokens": sum(embedder.count_tokens(u.text) for u in units)},
        "drops": drops.summary(),
        "problems": [{"path": p.path, "reason": p.reason} for p in problems],
        "timings": timings,
    }
    write.write_json(build / write.MANIFEST_FILE, manifest)  # last: marks the build complete
    snapshot = kb.finish_build(build)
    if publish:
        kb.publish(snapshot.name)
    return IngestResult(snapshot, len(units), len(sources), problems, drops.summary(), publish)
