"""Where snapshots live and how one becomes "current".

Layout::

    <stores>/<kb>/
        snapshots/<id>/      immutable once there (units.jsonl, manifest.json, chroma/, bm25.pkl)
        building/<id>/       work in progress; never read by rag
        current -> snapshots/<id>   symlink, replaced atomically (rename(2))
        history.jsonl        every publish, for rollback and audit

A build writes into ``building/``, then one ``rename`` moves it under ``snapshots/`` and a second
``rename`` swaps the ``current`` link. A crash at any point leaves the previous ``current`` intact.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path


class StoreError(RuntimeError):
    pass


def new_snapshot_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass(frozen=True)
class KnowledgeBase:
    root: Path  # the stores folder
    name: str

    @property
    def dir(self) -> Path:
        return self.root / self.name

    @property
    def snapshots(self) -> Path:
        return self.dir / "snapshots"

    @property
    def current_link(self) -> Path:
        return self.dir / "current"

    def new_build(self) -> Path:
        path = self.dir / "building" / new_snapshot_id()
        path.mkdir(parents=True)
        return path

    def finish_build(self, build: Path) -> Path:
        """Move a complete build into snapshots/ (atomic on one filesystem)."""
        self.snapshots.mkdir(parents=True, exist_ok=True)
        final = self.snapshots / build.name
        _fsync_tree(build)
        os.rename(build, final)
        _fsync_dir(self.snapshots)
        return final

    def current(self) -> Path | None:
        link = self.current_link
        if not link.is_symlink():
            return None
        target = (self.dir / os.readlink(link)).resolve()
        return target if target.is_dir() else None

    def list(self) -> list[str]:
        if not self.snapshots.is_dir():
            return []
        return sorted(p.name for p in self.snapshots.iterdir() if (p / "manifest.json").exists())

    def publish(self, snapshot_id: str) -> Path:
        target = self.snapshots / snapshot_id
        if not (target / "manifest.json").exists():
            raise StoreError(f"{self.name}: no complete snapshot {snapshot_id!r}; have {self.list()}")
        tmp = self.dir / f".current-{secrets.token_hex(4)}"
        os.symlink(Path("snapshots") / snapshot_id, tmp)
        os.replace(tmp, self.current_link)  # atomic swap of the pointer
        _fsync_dir(self.dir)
        with (self.dir / "history.jsonl").open("a") as f:
            f.write(json.dumps({"published": snapshot_id, "at": time.time()}) + "\n")
        return target


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file():
            with p.open("rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(path)
