"""The model roles ingest uses (teacher, judge), built only when a step needs them, sharing one
answer cache per knowledge base (``<stores>/<kb>/cache/teacher.jsonl``; the file keeps its name
so existing caches still hit)."""

from __future__ import annotations

from pathlib import Path

from ingest.role_client import AnswerCache, RoleClient
from smallbatch.llm import async_client, endpoint
from smallbatch.settings import Settings


class Roles:
    """The roles' clients by name, each made on first use (a raw build asks no model)."""

    def __init__(self, settings: Settings, cache_dir: Path) -> None:
        self.settings = settings
        self.cache = None
        self.cache_path = cache_dir / "teacher.jsonl"
        self.clients: dict[str, RoleClient] = {}

    def role(self, name: str) -> RoleClient:
        if name not in self.clients:
            if self.cache is None:
                self.cache = AnswerCache(self.cache_path)
            ep = endpoint(self.settings, name)
            self.clients[name] = RoleClient(async_client(ep), ep.model, self.cache,
                                            self.settings.curation.teacher_concurrency, role=name)
        return self.clients[name]

    def teacher(self) -> RoleClient:
        return self.role("teacher")

    def judge(self) -> RoleClient:
        return self.role("judge")

    def manifest(self, prompt_keys: set[str]) -> dict:
        """Who was asked what, and what it cost: for the snapshot's manifest."""
        return {
            "roles": {name: {"model": c.model, "base_url": str(c.client.base_url)}
                      for name, c in self.clients.items()},
            "prompts": sorted(prompt_keys),
            "usage": {name: c.usage.as_dict() for name, c in self.clients.items()},
            "cache": str(self.cache_path) if self.clients else None,
        }
