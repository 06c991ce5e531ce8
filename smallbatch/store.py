"""Where snapshots live and how one becomes "current".

Layout::

    <stores>/<kb>/
        snapshots/<id>/      immutable once there (units.jsonl, manifest.json, chroma/, bm25s/)
        building/<id>/       work in progress, never read by rag; building/<id>.lock is held
                             (flock) by the process writing it
        current -> snapshots/<id>   symlink, replaced atomically (rename(2))
        history.jsonl        every publish and rollback, for rollback and audit
        .publish.lock        serialises publish, rollback and gc

A build writes into ``building/``, then one ``rename`` moves it under ``snapshots/`` and a second
``rename`` swaps the ``current`` link. A crash at any point leaves the previous ``current`` intact:
``snapshots/`` only ever holds complete snapshots. A build whose process died (its lock is free
again; the kernel drops an flock with the process) is deleted when the next build starts — the
expensive work it had done survives in the caches beside the snapshots (teacher answers,
embeddings), so the re-run reuses it. Files and directory entries are fsynced before each rename,
so a crash of the machine, not just of the process, cannot publish a half-written snapshot.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from smallbatch.faults import crash_point

_BUILD_LOCKS: dict[Path, int] = {}  # build folder -> fd holding its flock, while we write it


class StoreError(RuntimeError):
    pass


def new_snapshot_id() -> str:
    """UTC time to the millisecond, then a random suffix: ids sort in build order."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}"
    return stamp + "-" + secrets.token_hex(3)


@dataclass(frozen=True)
class SnapshotInfo:
    id: str
    created: str | None
    units: int | None
    tokens: int | None
    parent: str | None
    published: bool


@dataclass(frozen=True)
class KnowledgeBase:
    root: Path  # the stores folder
    name: str
    crash_at: str = ""  # fault injection for crash tests (Settings.test_crash_at)

    @property
    def dir(self) -> Path:
        return self.root / self.name

    @property
    def snapshots(self) -> Path:
        return self.dir / "snapshots"

    @property
    def building(self) -> Path:
        return self.dir / "building"

    @property
    def current_link(self) -> Path:
        return self.dir / "current"

    @property
    def history_file(self) -> Path:
        return self.dir / "history.jsonl"

    # -- builds -------------------------------------------------------------------------------

    def new_build(self) -> Path:
        """A fresh, locked ``building/<id>/``; stale builds of dead processes are deleted first."""
        self.clean_stale_builds()
        _mkdirs(self.building)
        sid = new_snapshot_id()
        fd = _try_lock(self.building / f"{sid}.lock")  # lock before the folder exists
        if fd is None:
            raise StoreError(f"{self.name}: build lock {sid} is taken")
        path = self.building / sid
        path.mkdir()
        _BUILD_LOCKS[path] = fd
        return path

    def clean_stale_builds(self) -> list[str]:
        """Delete ``building/<id>/`` folders whose writer is gone; return their ids."""
        removed = []
        if not self.building.is_dir():
            return removed
        for path in sorted(p for p in self.building.iterdir() if p.is_dir()):
            lock = self.building / f"{path.name}.lock"
            fd = _try_lock(lock)
            if fd is None:
                continue  # a live build (this or another process)
            try:
                if path.is_dir():  # not moved into snapshots/ by a build that just finished
                    shutil.rmtree(path)
                    removed.append(path.name)
                lock.unlink(missing_ok=True)
            finally:
                os.close(fd)
        if removed:
            _fsync_dir(self.building)
        return removed

    def finish_build(self, build: Path) -> Path:
        """Move a complete build into snapshots/ (atomic on one filesystem)."""
        _mkdirs(self.snapshots)
        final = self.snapshots / build.name
        _fsync_tree(build)
        os.rename(build, final)
        _fsync_dir(self.snapshots)
        _fsync_dir(build.parent)
        fd = _BUILD_LOCKS.pop(build, None)
        (build.parent / f"{build.name}.lock").unlink(missing_ok=True)
        if fd is not None:
            os.close(fd)
        return final

    # -- snapshots ----------------------------------------------------------------------------

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

    def info(self, snapshot_id: str) -> SnapshotInfo:
        manifest = json.loads((self.snapshots / snapshot_id / "manifest.json").read_text())
        counts = manifest.get("counts", {})
        cur = self.current()
        return SnapshotInfo(snapshot_id, manifest.get("created_at"), counts.get("units"),
                            counts.get("unit_tokens"), manifest.get("parent"),
                            cur is not None and cur.name == snapshot_id)

    def snapshot_path(self, snapshot_id: str) -> Path:
        """The folder of a complete snapshot, or StoreError naming the ones there are."""
        target = self.snapshots / snapshot_id
        if not (target / "manifest.json").exists():
            raise StoreError(f"{self.name}: no complete snapshot {snapshot_id!r}; have {self.list()}")
        return target

    # -- publish, history, rollback -----------------------------------------------------------

    def publish(self, snapshot_id: str) -> Path:
        with self._lock():
            return self._swap(snapshot_id, "publish")

    def rollback(self, to: str | None = None) -> Path:
        """Make ``to`` current again; by default the snapshot published before the current one."""
        with self._lock():
            target = to or self.rollback_target()
            if target is None:
                raise StoreError(f"{self.name}: nothing to roll back to (published so far: "
                                 f"{self.published_stack() or 'none'})")
            return self._swap(target, "rollback")

    def _swap(self, snapshot_id: str, action: str) -> Path:
        target = self.snapshot_path(snapshot_id)
        for stale in self.dir.glob(".current-*"):  # links left by a crash inside a swap
            stale.unlink()
        previous = self.current()
        tmp = self.dir / f".current-{secrets.token_hex(4)}"
        os.symlink(Path("snapshots") / snapshot_id, tmp)
        crash_point(self.crash_at, "publish")
        os.replace(tmp, self.current_link)  # atomic swap of the pointer
        _fsync_dir(self.dir)
        row = {"action": action, "snapshot": snapshot_id,
               "previous": previous.name if previous else None, "at": time.time()}
        with self.history_file.open("a") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return target

    def history(self) -> list[dict]:
        """Every publish and rollback, oldest first (``{"action", "snapshot", "previous", "at"}``)."""
        if not self.history_file.exists():
            return []
        rows = []
        for line in self.history_file.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash: the swap it records may or may not have happened
            if "published" in row:  # the first format: {"published": id, "at": t}
                row = {"action": "publish", "snapshot": row["published"], "previous": None,
                       "at": row.get("at")}
            rows.append(row)
        return rows

    def published_stack(self) -> list[str]:
        """Replay the history as an undo stack: publish pushes, rollback pops back to its target.

        The current link is the truth: if a crash cut the last history line, it is pushed.
        """
        stack: list[str] = []
        for row in self.history():
            sid = row["snapshot"]
            if row["action"] == "rollback" and sid in stack:
                del stack[len(stack) - stack[::-1].index(sid):]
            elif not stack or stack[-1] != sid:
                stack.append(sid)
        cur = self.current()
        if cur is not None and (not stack or stack[-1] != cur.name):
            stack.append(cur.name)
        return stack

    def rollback_target(self) -> str | None:
        """The newest snapshot below the current one on the stack that still exists."""
        stack = self.published_stack()
        complete = set(self.list())
        for sid in reversed(stack[:-1]):
            if sid in complete and sid != stack[-1]:
                return sid
        return None

    # -- garbage ------------------------------------------------------------------------------

    def gc(self, keep: int) -> list[str]:
        """Delete all but the ``keep`` newest snapshots; never the current one or the rollback
        target. Stale builds go too. Returns the deleted snapshot ids."""
        if keep < 1:
            raise StoreError(f"keep must be >= 1 (a build that just finished is the newest), got {keep}")
        self.clean_stale_builds()
        with self._lock():
            ids = self.list()
            cur = self.current()
            kept = set(ids[-keep:]) | {cur.name if cur else None, self.rollback_target()}
            doomed = [sid for sid in ids if sid not in kept]
            trash = self.dir / ".trash"
            _mkdirs(trash)
            for sid in doomed:  # rename first: a snapshot is either listed and whole, or gone
                os.rename(self.snapshots / sid, trash / sid)
            _fsync_dir(self.snapshots)
            shutil.rmtree(trash)  # a crash here leaves only .trash/, emptied by the next gc
        return doomed

    @contextlib.contextmanager
    def _lock(self):
        _mkdirs(self.dir)
        fd = os.open(self.dir / ".publish.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on ``path`` (created if missing), or None if taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _mkdirs(path: Path) -> None:
    """mkdir -p, fsyncing each parent whose entries changed."""
    if path.is_dir():
        return
    _mkdirs(path.parent)
    path.mkdir(exist_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    """fsync every file, then every directory (deepest first), so all entries are on disk."""
    dirs = [path]
    for p in path.rglob("*"):
        if p.is_dir():
            dirs.append(p)
        elif p.is_file():
            with p.open("rb") as f:
                os.fsync(f.fileno())
    for d in sorted(dirs, key=lambda d: len(d.parts), reverse=True):
        _fsync_dir(d)
