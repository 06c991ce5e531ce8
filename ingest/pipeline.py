"""The ingest pipeline: one literal list of steps, then embed, write the snapshot, and publish.

    load -> clean -> strip boilerplate -> exact dedup -> near dedup -> mask PII -> chunk
         -> heuristic quality -> judge quality -> distill (teacher) -> grounding check
         -> semantic dedup -> coverage sampling to a budget -> augment with questions
         -> embed -> write snapshot + store report -> publish

Each curation step can be switched off in ``settings.curation`` (``--profile raw`` turns them
all off), so raw and curated stores of the same sources can be built and compared; a step that
is off is simply not in the list.

Reading ``steps()`` tells the whole story. Every step reports what it dropped and why to the
``Drops`` ledger, which lands in ``manifest.json`` and ``rejects.jsonl``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ingest.augment import Augment
from ingest.boilerplate import StripBoilerplate
from ingest.chunk import Chunker, SectionChunker
from ingest.clean import Clean
from ingest.coverage import CoverageSample
from ingest.dedup import ExactDedup, NearDedup
from ingest.distill import Distill
from ingest.errors import nothing_left
from ingest.ground import Ground
from ingest.headers import MarkHeadings
from ingest.importance import QueryTarget
from ingest.key_spans import LinkKeys
from ingest.load import Problem, source_files
from ingest.mask_pii import MaskPII
from ingest.quality import HeuristicQuality
from ingest.quality_judge import JudgeQuality
from ingest.roles import Roles
from ingest.runner import make_runner
from ingest.semdedup import SemanticDedup
from ingest.steps import Drops, Step
from ingest.store_report import build_report, write_html
from ingest.vectors import VectorMemo
from smallbatch import snapshot
from smallbatch.embed import Embedder, get_embedder
from smallbatch.faults import crash_during, crash_point
from smallbatch.gitinfo import git_commit
from smallbatch.records import Doc, content_hash
from smallbatch.settings import CurationSettings, Settings
from smallbatch.store import KnowledgeBase


def steps(settings: Settings, embedder: Embedder, roles: Roles | None = None,
          vectors: VectorMemo | None = None) -> list[Step]:
    """The pipeline: cleaning, chunking, curation. ``roles`` gives the judge and teacher
    (needed by the curated profile)."""
    c = settings.curation
    if c.uses_models and roles is None:
        raise ValueError("these curation steps call the teacher/judge: pass roles")
    chunker = SectionChunker if c.headers else Chunker
    chunk = chunker(settings.chunk_tokens, settings.chunk_overlap, embedder.tokenizer.tokenize)
    return [*cleaning(c), chunk, *curation(c, embedder, roles, vectors or VectorMemo(embedder))]


def cleaning(c: CurationSettings) -> list[Step]:
    """Steps over whole source documents, before chunking."""
    out: list[Step] = []
    if c.clean:
        out.append(Clean())
    if c.headers:  # before boilerplate, which judges a repeated heading by what it heads
        out.append(MarkHeadings())
    if c.boilerplate:
        out.append(StripBoilerplate())
    if c.exact_dedup:
        out.append(ExactDedup())
    if c.near_dedup:
        out.append(NearDedup(threshold=c.near_dedup_threshold))
    if c.pii:  # before chunking: masked text never reaches the index
        out.append(MaskPII())
    return out


def curation(c: CurationSettings, embedder: Embedder, roles: Roles | None,
             vectors: VectorMemo) -> list[Step]:
    """Steps over passages and the units distilled from them."""
    out: list[Step] = []
    if c.quality:
        out.append(HeuristicQuality(c.quality_threshold, c.quality_top_n))
    if c.judge_quality:
        out.append(JudgeQuality(roles.judge(), c.scope, c.judge_threshold, c.heuristic_weight,
                                c.judge_weight, vectors, c.scope_neighbours, c.scope_share))
    source = c.distill and c.answer_from == "source"  # keys point at passages the reader sees
    if c.distill:
        out.append(Distill(roles.teacher(), tuple(c.unit_kinds), answer_from=c.answer_from))
    if c.distill and c.ground:
        out.append(Ground(roles.judge() if c.ground_judge else None, c.ground_reject_below,
                          c.ground_accept_at))
    if c.semantic_dedup:
        out.append(SemanticDedup(vectors, c.semantic_dedup_threshold))
    if source:  # after dedup: a merged passage hands its keys to the one kept
        out.append(LinkKeys())
    # ranks every unit by coverage (so smaller budgets are prefixes); cuts to the budget;
    # with a query log, a share of every budget goes to units like the logged questions
    if c.distill or c.budget_tokens is not None or c.query_log is not None:
        target = (QueryTarget(c.query_log, c.query_weight, c.query_seed, c.query_source_share)
                  if c.query_log else None)
        out.append(CoverageSample(vectors, embedder.count_tokens, c.budget_tokens, target=target,
                                  by_passage=source))
    if c.distill and c.augment:
        out.append(Augment(roles.teacher() if c.augment_generate else None, c.augment_generate))
    return out


@dataclass
class IngestResult:
    snapshot: Path
    units: int
    sources: int
    problems: list[Problem] = field(default_factory=list)
    drops: dict = field(default_factory=dict)
    published: bool = False
    roles: Roles | None = None  # the teacher/judge roles used, with usage and inputs seen


@dataclass
class Curated:
    """What the steps made of the sources, with what the manifest and the store report need."""

    engine: str
    sources: list[Doc]
    source_hashes: dict[str, str]  # as loaded (a local run cleans the source records in place)
    problems: list[Problem]
    steps: list[Step]
    units: list[Doc]
    drops: Drops
    roles: Roles
    memo: VectorMemo
    cleaned: list[Doc]  # what the chunk step read
    passages: list[Doc]  # what it wrote


class Clock:
    """Seconds per phase, for the manifest's ``timings``."""

    def __init__(self) -> None:
        self.start = self.lap_start = time.perf_counter()
        self.timings: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self.lap_start, 3)
        self.lap_start = now

    def total(self) -> dict[str, float]:
        return {**self.timings, "total_s": round(time.perf_counter() - self.start, 3)}


def ingest(source: Path, kb_name: str, settings: Settings, publish: bool = True) -> IngestResult:
    """Curate the file or folder ``source`` into a new snapshot of ``kb_name``; publish it."""
    kb = KnowledgeBase(settings.stores, kb_name, crash_at=settings.test_crash_at)
    clock = Clock()
    embedder = get_embedder(settings.embedder)
    clock.lap("load_embedder_s")
    cur = curate(Path(source), settings, embedder, kb, clock)
    vectors = embed(cur.units, embedder, settings, clock)
    snap = write(kb, source, settings, embedder, cur, vectors, clock)
    if publish:
        kb.publish(snap.name)
    return IngestResult(snap, len(cur.units), len(cur.sources), cur.problems, cur.drops.summary(),
                        publish, cur.roles)


def curate(source: Path, settings: Settings, embedder: Embedder, kb: KnowledgeBase,
           clock: Clock) -> Curated:
    """Load the sources and run the steps (locally or on Ray); raise ``IngestError`` when no
    record is left, saying what happened to each file."""
    runner = make_runner(settings)  # local, or Ray Data (ingest/ray_runner.py)
    problems: list[Problem] = []
    sources = runner.load(source, problems)
    clock.lap("load_s")
    source_hashes = {d.id: content_hash(d.text) for d in sources}

    roles, memo, drops = Roles(settings, kb.dir / "cache"), VectorMemo(embedder), Drops()
    pipeline = steps(settings, embedder, roles, memo)
    at = next(i for i, st in enumerate(pipeline) if isinstance(st, Chunker))
    cleaned, passages = [], []
    stream = runner.run(sources, pipeline, drops, watch={at: cleaned, at + 1: passages})
    stream = crash_during(stream, settings.test_crash_at, "steps")
    units: list[Doc] = list(tqdm(stream, desc="steps", unit="unit", file=sys.stderr))
    for u in units:  # build-time only: the passage text and its QA pairs stay out of the store
        u.metadata.pop("parent_text", None)
        u.metadata.pop("qa", None)
    clock.lap("steps_s")
    if not units:
        files = [rel for _, rel in source_files(source)]
        raise nothing_left(source, files, problems, drops.rejects)
    return Curated(runner.name, sources, source_hashes, problems, pipeline, units, drops, roles,
                   memo, cleaned, passages)


def embed(units: list[Doc], embedder: Embedder, settings: Settings, clock: Clock):
    vectors = embedder.encode([snapshot.index_text(u) for u in units], progress=True)
    clock.lap("embed_s")
    crash_point(settings.test_crash_at, "embed")
    return vectors


def write(kb: KnowledgeBase, source: Path, settings: Settings, embedder: Embedder, cur: Curated,
          vectors, clock: Clock) -> Path:
    """Write the store report, then the snapshot (smallbatch/snapshot.py, manifest last) into a
    new build folder, and move it into the knowledge base's snapshots."""
    parent = kb.current()
    build = kb.new_build()
    models = cur.roles.manifest(set().union(*(st.prompt_keys for st in cur.steps)))
    report = build_report(cur.sources, cur.cleaned, cur.passages, cur.units, cur.drops.summary(),
                          cur.memo, embedder.count_tokens, models["usage"], root=Path(source))
    report["budget"] = budget(cur.steps)
    report["store"].update(visible_and_key_tokens(cur.units, embedder.count_tokens))
    snapshot.write_json(build / snapshot.REPORT_FILE, report)
    write_html(report, build / snapshot.REPORT_HTML, f"Store report: {kb.name} {build.name}")
    clock.lap("report_s")  # the snapshot files themselves come after: the manifest is the last
    manifest = assemble_manifest(build.name, kb.name, parent, source, settings, embedder, cur,
                                 models, report, clock.total())
    snapshot.write_snapshot(build, cur.units, vectors, manifest, cur.drops.rejects,
                            chroma_url=settings.chroma_url, kb=kb.name,
                            crash_at=settings.test_crash_at)
    return kb.finish_build(build)


def visible_and_key_tokens(units: list[Doc], count) -> dict:
    """The store's tokens split by use: what the reader can be shown (passages, or the units
    themselves in a paraphrase store) and what only indexes it (keys, ``snapshot.is_key``)."""
    keys = [u for u in units if snapshot.is_key(u)]
    return {"visible_tokens": sum(count(u.text) for u in units if not snapshot.is_key(u)),
            "key_tokens": sum(count(u.text) for u in keys), "keys": len(keys)}


def answer_from(c: CurationSettings) -> str:
    """What the reader is shown: "source" windows only where keys point at passages."""
    return "source" if c.distill and c.answer_from == "source" else "unit"


def budget(pipeline: list[Step]) -> dict | None:
    """The coverage step's cut: units, tokens, whether it was query-aware (None: no budget)."""
    return next((st.report for st in pipeline if isinstance(st, CoverageSample)), None)


def assemble_manifest(snapshot_id: str, kb_name: str, parent: Path | None, source: Path,
                      settings: Settings, embedder: Embedder, cur: Curated, models: dict,
                      report: dict, timings: dict) -> dict:
    """The snapshot's manifest: settings, per-step counts and drops, sources and their hashes,
    models and prompt versions, timings. ``vectors`` is filled in by ``write_snapshot``."""
    return {
        "format": snapshot.FORMAT,
        "id": snapshot_id,
        "kb": kb_name,
        "parent": parent.name if parent else None,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": git_commit(),
        "engine": cur.engine,
        "source": str(source),
        "answer_from": answer_from(settings.curation),
        "sources": cur.source_hashes,
        "steps": [s.name for s in cur.steps],
        "settings": {"chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap,
                     "curation": settings.curation.model_dump()},
        "embedder": {"name": settings.embedder, "dim": embedder.dim},
        "vectors": None,  # written by write_snapshot, here for the key order
        "models": models,
        "report": {k: report[k] for k in ("raw", "store", "compression", "flag")},
        "counts": {"sources": len(cur.sources), "units": len(cur.units),
                   "problems": len(cur.problems),
                   "unit_tokens": sum(embedder.count_tokens(u.text) for u in cur.units)},
        "drops": cur.drops.summary(),
        "budget": budget(cur.steps),
        "problems": [{"path": p.path, "reason": p.reason} for p in cur.problems],
        "timings": timings,
    }
