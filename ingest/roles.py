"""The model roles ingest uses (teacher, judge), built only when a step needs them, sharing one
answer cache per knowledge base (``<stores>/<kb>/cache/teacher.jsonl``)."""

from __future__ import annotations

from pathlib import Path

from ingest.teacher import Teacher, TeacherCache
from smallbatch.llm import async_client, endpoint
from smallbatch.settings import Settings


class Models:
    def __init__(self, settings: Settings, cache_dir: Path) -> None:
        self.settings = settings
        self.cache = None
        self.cache_path = cache_dir / "teacher.jsonl"
        self.roles: dict[str, Teacher] = {}

    def role(self, name: str) -> Teacher:
        if name not in self.roles:
            if self.cache is None:
                self.cache = TeacherCache(self.cache_path)
            ep = endpoint(self.settings, name)
            self.roles[name] = Teacher(async_client(ep), ep.model, self.cache,
                                       self.settings.curation.teacher_concurrency, role=name)
        return self.roles[name]

    def teacher(self) -> Teacher:
        return self.role("teacher")

    def judge(self) -> Teacher:
        return self.role("judge")

    def manifest(self, prompt_keys: set[str]) -> dict:
        """Who was asked what, and what it cost: for the snapshot's manifest."""
        return {
            "roles": {name: {"model": t.model, "base_url": str(t.client.base_url)}
                      for name, t in self.roles.items()},
            "prompts": sorted(prompt_keys),
            "usage": {name: t.usage.as_dict() for name, t in self.roles.items()},
            "cache": str(self.cache_path) if self.roles else None,
        }
