"""Where the steps run: in this process (``local``) or on Ray Data (``ray``).

Both engines run the same step objects from ``pipeline.steps()`` in the same order and give the
same records and the same drop ledger; only the place of execution differs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from ingest.load import Problem, load
from ingest.steps import Drops, Step
from smallbatch.records import Doc
from smallbatch.settings import Settings


class Engine(Protocol):
    name: str

    def load(self, root: Path, problems: list[Problem]) -> list[Doc]: ...

    def run(self, docs: list[Doc], steps: list[Step], drops: Drops) -> Iterator[Doc]: ...


class LocalEngine:
    """Steps chained as generators in this process: records stream through every step."""

    name = "local"

    def load(self, root: Path, problems: list[Problem]) -> list[Doc]:
        return list(tqdm(load(root, problems), desc="load", unit="doc", file=sys.stderr))

    def run(self, docs: list[Doc], steps: list[Step], drops: Drops) -> Iterator[Doc]:
        stream: Iterator[Doc] = iter(docs)
        for step in steps:
            stream = step.run(stream, drops)
        return stream


def make_engine(settings: Settings) -> Engine:
    if settings.engine == "ray":
        from ingest.ray_engine import RayEngine  # Ray is imported only when asked for

        return RayEngine(settings.ray)
    return LocalEngine()
