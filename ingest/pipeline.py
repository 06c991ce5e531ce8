"""The ingest pipeline: one literal list of steps, then embed, write, and publish.

    load -> clean -> strip boilerplate -> exact dedup -> near dedup -> mask PII -> chunk
         -> heuristic quality -> judge quality -> distill (teacher) -> grounding check
         -> semantic dedup -> coverage sampling to a budget -> augment with questions
         -> embed -> write snapshot + store report -> publish

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
from ingest.bm25 import write_bm25s
from ingest.chunk import Chunker
from ingest.boilerplate import StripBoilerplate
from ingest.clean import Clean, ExactDedup
from ingest.dedup import NearDedup
from ingest.engine import make_engine
from ingest.load import Problem
from ingest.pii import MaskPII
from ingest.quality import HeuristicQuality
from ingest.augment import Augment
from ingest.coverage import CoverageSample
from ingest.distill import Distill
from ingest.importance import QueryTarget
from ingest.ground import Ground
from ingest.judge import JudgeQuality
from ingest.models import Models
from ingest.report import Tap, build_report, write_html
from ingest.semdedup import SemanticDedup
from ingest.steps import Drops, Step
from ingest.vectors import VectorMemo
from smallbatch.embed import Embedder, get_embedder
from smallbatch.faults import crash_during, crash_point
from smallbatch.gitinfo import git_commit
from smallbatch.records import Doc, content_hash
from smallbatch.settings import Settings
from smallbatch.store import KnowledgeBase

SNAPSHOT_FORMAT = 1


def steps(settings: Settings, embedder: Embedder, models: Models | None = None,
          vectors: VectorMemo | None = None, taps: dict[str, Tap] | None = None) -> list[Step]:
    """The pipeline. ``models`` gives the judge and teacher (needed by the curated profile);
    ``taps`` (name -> Tap) lets the store report see the cleaned sources and the passages."""
    c = settings.curation
    vectors = vectors or VectorMemo(embedder)
    taps = taps or {}
    if c.uses_models and models is None:
        raise ValueError("these curation steps call the teacher/judge: pass models")
    pipeline = [
        (c.clean, lambda: Clean()),
        (c.boilerplate, lambda: StripBoilerplate()),
        (c.exact_dedup, lambda: ExactDedup()),
        (c.near_dedup, lambda: NearDedup(threshold=c.near_dedup_threshold)),
        (c.pii, lambda: MaskPII()),  # before chunking: masked text never reaches the index
        ("cleaned" in taps, lambda: taps["cleaned"]),
        (True, lambda: Chunker(settings.chunk_tokens, settings.chunk_overlap,
                               embedder.tokenizer.tokenize)),
        ("passages" in taps, lambda: taps["passages"]),
        (c.quality, lambda: HeuristicQuality(c.quality_threshold, c.quality_top_n)),
        (c.judge_quality, lambda: JudgeQuality(models.judge(), c.scope, c.judge_threshold,
                                               c.heuristic_weight, c.judge_weight)),
        (c.distill, lambda: Distill(models.teacher(), tuple(c.unit_kinds))),
        (c.distill and c.ground, lambda: Ground(models.judge() if c.ground_judge else None,
                                                c.ground_reject_below, c.ground_accept_at)),
        (c.semantic_dedup, lambda: SemanticDedup(vectors, c.semantic_dedup_threshold)),
        # ranks every unit by coverage (so smaller budgets are prefixes); cuts to the budget;
        # with a query log, a share of every budget goes to units like the logged questions
        (c.distill or c.budget_tokens is not None or c.query_log is not None,
         lambda: CoverageSample(vectors, embedder.count_tokens, c.budget_tokens, target=(
             QueryTarget(c.query_log, c.query_weight, c.query_seed, c.query_source_share)
             if c.query_log else None))),
        (c.distill and c.augment, lambda: Augment(models.teacher() if c.augment_generate
                                                  else None, c.augment_generate)),
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
    models: Models | None = None  # the teacher/judge roles used, with usage and inputs seen


def ingest(source: Path, kb_name: str, settings: Settings, publish: bool = True) -> IngestResult:
    kb = KnowledgeBase(settings.stores, kb_name, crash_at=settings.test_crash_at)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    problems: list[Problem] = []
    drops = Drops()

    embedder = get_embedder(settings.embedder)
    timings["load_embedder_s"] = round(time.perf_counter() - t0, 3)

    t = time.perf_counter()
    engine = make_engine(settings)  # local, or Ray Data (ingest/ray_engine.py)
    sources = engine.load(Path(source), problems)
    timings["load_s"] = round(time.perf_counter() - t, 3)
    source_hashes = {d.id: content_hash(d.text) for d in sources}

    t = time.perf_counter()
    models = Models(settings, kb.dir / "cache")
    memo = VectorMemo(embedder)
    taps = {"cleaned": Tap("cleaned"), "passages": Tap("passages")}
    pipeline = steps(settings, embedder, models, memo, taps)
    stream = crash_during(engine.run(sources, pipeline, drops), settings.test_crash_at, "steps")
    units: list[Doc] = list(tqdm(stream, desc="steps", unit="unit", file=sys.stderr))
    for u in units:  # build-time only: the passage text and its QA pairs stay out of the store
        u.metadata.pop("parent_text", None)
        u.metadata.pop("qa", None)
    timings["steps_s"] = round(time.perf_counter() - t, 3)
    if not units:
        raise ValueError(f"{source}: nothing to ingest ({len(problems)} problems: "
                         + "; ".join(map(str, problems[:5])) + ")")

    t = time.perf_counter()
    vectors = embedder.encode([write.index_text(u) for u in units], progress=True)
    timings["embed_s"] = round(time.perf_counter() - t, 3)
    crash_point(settings.test_crash_at, "embed")

    t = time.perf_counter()
    parent = kb.current()
    build = kb.new_build()
    write.write_units(build, units)
    write_bm25s(build, units)  # the fast index (smallbatch/bm25.py); no rank-bm25 pickle
    crash_point(settings.test_crash_at, "write")
    vectors_entry = write.write_chroma(build, units, vectors, settings.chroma_url, kb_name)
    write.write_rejects(build, drops.rejects)
    prompt_keys = set().union(*(getattr(st, "prompt_keys", set()) for st in pipeline))
    model_info = models.manifest(prompt_keys)
    report = build_report(sources, taps["cleaned"].seen, taps["passages"].seen, units,
                          drops.summary(), memo, embedder.count_tokens, model_info["usage"],
                          root=Path(source))
    budget = next((st.report for st in pipeline if isinstance(st, CoverageSample)), None)
    report["budget"] = budget
    write.write_json(build / "report.json", report)
    write_html(report, build / "report.html", f"Store report: {kb_name} {build.name}")
    timings["write_s"] = round(time.perf_counter() - t, 3)
    timings["total_s"] = round(time.perf_counter() - t0, 3)

    manifest = {
        "format": SNAPSHOT_FORMAT,
        "id": build.name,
        "kb": kb_name,
        "parent": parent.name if parent else None,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": git_commit(),
        "engine": engine.name,
        "source": str(source),
        "sources": source_hashes,
        "steps": [s.name for s in pipeline],
        "settings": {"chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap,
                     "curation": settings.curation.model_dump()},
        "embedder": {"name": settings.embedder, "dim": embedder.dim},
        "vectors": vectors_entry,
        "models": model_info,
        "report": {k: report[k] for k in ("raw", "store", "compression", "flag")},
        "counts": {"sources": len(sources), "units": len(units), "problems": len(problems),
                   "unit_tokens": sum(embedder.count_tokens(u.text) for u in units)},
        "drops": drops.summary(),
        "budget": budget,  # the coverage step's cut: units, tokens, whether it was query-aware
        "problems": [{"path": p.path, "reason": p.reason} for p in problems],
        "timings": timings,
    }
    write.write_json(build / write.MANIFEST_FILE, manifest)  # last: marks the build complete
    crash_point(settings.test_crash_at, "manifest")
    snapshot = kb.finish_build(build)
    if publish:
        kb.publish(snapshot.name)
    return IngestResult(snapshot, len(units), len(sources), problems, drops.summary(), publish,
                        models)
