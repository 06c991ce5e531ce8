"""Where the steps run: in this process (``local``) or on Ray Data (``ray``, ingest/ray_runner.py).

Both runners run the same step objects from ``pipeline.steps()`` in the same order and give the
same records and the same drop ledger; only the place of execution differs. (The setting that
picks one is ``settings.engine``, and the manifest records it as ``"engine"``.)
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


Watch = dict[int, list[Doc]]
"""Where a runner copies the stream for an observer (the store report): ``watch[i]`` receives the
records that reach step ``i`` (``i == len(steps)``: the output). Observers are not steps: they
drop nothing and are not in the manifest's step list."""


class Runner(Protocol):
    name: str

    def load(self, root: Path, problems: list[Problem]) -> list[Doc]: ...

    def run(self, docs: list[Doc], steps: list[Step], drops: Drops,
            watch: Watch | None = None) -> Iterator[Doc]: ...


class LocalRunner:
    """Steps chained as generators in this process: records stream through every step."""

    name = "local"

    def load(self, root: Path, problems: list[Problem]) -> list[Doc]:
        return list(tqdm(load(root, problems), desc="load", unit="doc", file=sys.stderr))

    def run(self, docs: list[Doc], steps: list[Step], drops: Drops,
            watch: Watch | None = None) -> Iterator[Doc]:
        watch = watch or {}
        stream: Iterator[Doc] = iter(docs)
        for i, step in enumerate(steps):
            stream = step.run(_copied(stream, watch[i]) if i in watch else stream, drops)
        return _copied(stream, watch[len(steps)]) if len(steps) in watch else stream


def _copied(stream: Iterator[Doc], into: list[Doc]) -> Iterator[Doc]:
    for doc in stream:
        into.append(doc)
        yield doc


def make_runner(settings: Settings) -> Runner:
    if settings.engine == "ray":
        from ingest.ray_runner import RayRunner  # Ray is imported only when asked for

        return RayRunner(settings.ray)
    return LocalRunner()
