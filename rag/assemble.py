"""Assemble an Answerer for a snapshot and a model role — used by serve, eval and the CLI."""

from __future__ import annotations

from pathlib import Path

from rag.answer import Answerer
from rag.entail import Entailer
from rag.open_snapshot import Snapshot
from rag.prompt import PROMPTS
from rag.rerank import make_reranker
from rag.retrieve import Retriever
from rag.rewrite import Rewriter
from smallbatch.embed import get_embedder
from smallbatch.errors import UserError
from smallbatch.llm import Endpoint, async_client, endpoint
from smallbatch.settings import Settings
from smallbatch.store import KnowledgeBase


class NoSnapshot(UserError):
    """The knowledge base has nothing published to answer from."""


def current_snapshot(settings: Settings, kb_name: str) -> Path:
    kb = KnowledgeBase(settings.stores, kb_name)
    current = kb.current()
    if current is None:
        raise NoSnapshot(f"knowledge base {kb_name!r} has no published snapshot under "
                         f"{kb.dir}; run `smallbatch ingest PATH --kb {kb_name}` first")
    return current


def open_answerer(settings: Settings, snapshot_path: Path, ep: Endpoint,
                  style: str = "sentence") -> tuple[Answerer, Snapshot]:
    """``style``: "sentence" (chat) or "short" (extractive phrase, for SQuAD-style evaluation)."""
    if style not in PROMPTS:
        raise ValueError(f"answer style {style!r}; choose one of {sorted(PROMPTS)}")
    snapshot = Snapshot.open(snapshot_path, settings.chroma_url)
    # Questions are embedded by the model that embedded the snapshot's units.
    embedder = get_embedder(snapshot.manifest.get("embedder", {}).get("name", settings.embedder))
    cfg = settings.retrieval.for_style(style)
    retriever = Retriever(snapshot, embedder, cfg, make_reranker(cfg.rerank, cfg.rerank_embedder))
    client = async_client(ep)
    answerer = Answerer(retriever, client, ep.model, settings.retrieval.min_similarity,
                        settings.answer_max_tokens, PROMPTS[style], Rewriter(client, ep.model),
                        cfg.context_words, entailer(settings), settings.support.unsure)
    return answerer, snapshot


def entailer(settings: Settings) -> Entailer | None:
    """The judge role's entailment client when ``support.judge`` is on, else None."""
    if not settings.support.judge:
        return None
    judge = endpoint(settings, "judge")
    return Entailer(async_client(judge), judge.model)
