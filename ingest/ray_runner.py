"""Run the ingest steps on Ray Data, for corpora that outgrow one machine.

The step list from ``pipeline.steps()`` is cut into stages. A run of consecutive ``per_record``
steps (clean, mask PII, chunk, heuristic quality) becomes one ``map_batches`` over the records,
executed by Ray workers wherever the cluster has cores; loading files is one too. A step that
compares records (strip boilerplate, exact and near dedup, Top-N quality, and any step that does
not declare ``per_record``) runs on the driver over the whole corpus, as it does locally. No step
is rewritten for Ray: the workers run the very same step objects.

Records travel as rows ``{"kind": "doc" | "drop" | "problem", "json": ...}``: what a worker drops
comes back as rows and lands in the driver's ledger, and ``preserve_order`` keeps the record order,
so the snapshot is the same as a local run's. Limits: the driver holds the corpus between stages
(corpus-level steps need all of it); embedding and writing the snapshot run on the driver; on a
multi-node cluster the source files must be on storage every node can read at the same path.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from pathlib import Path

from ingest.errors import IngestError
from ingest.load import Problem, load_one, source_files
from ingest.runner import Watch
from ingest.steps import Drops, Step
from smallbatch.records import Doc
from smallbatch.settings import RaySettings


def stages(steps: list[Step], cuts: Collection[int] = ()) -> list[list[Step]]:
    """Consecutive per-record steps grouped into one stage; every other step is a stage alone.
    A stage also ends before each step index in ``cuts`` (where the stream is watched)."""
    out: list[list[Step]] = []
    for i, step in enumerate(steps):
        if step.per_record and out and out[-1][0].per_record and i not in cuts:
            out[-1].append(step)
        else:
            out.append([step])
    return out


def _table(rows: list[tuple[str, str]]):
    import pyarrow as pa

    return pa.table({"kind": pa.array([k for k, _ in rows], pa.string()),
                     "json": pa.array([j for _, j in rows], pa.string())})


def _doc_row(doc: Doc) -> tuple[str, str]:
    return "doc", json.dumps(doc.to_json(), ensure_ascii=False)


def load_batch(batch) -> object:
    """Ray task: read a batch of files (``path``, ``rel`` columns) into doc and problem rows."""
    rows: list[tuple[str, str]] = []
    for path, rel in zip(batch["path"].to_pylist(), batch["rel"].to_pylist()):
        problems: list[Problem] = []
        rows += [_doc_row(d) for d in load_one(Path(path), rel, problems)]
        rows += [("problem", json.dumps({"path": p.path, "reason": p.reason})) for p in problems]
    return _table(rows)


def steps_batch(batch, steps: list[Step]) -> object:
    """Ray task: run a stage of per-record steps over a batch of doc rows."""
    drops = Drops()
    stream: Iterator[Doc] = (Doc.from_json(json.loads(s)) for s in batch["json"].to_pylist())
    for step in steps:
        stream = step.run(stream, drops)
    rows = [_doc_row(d) for d in stream]
    rows += [("drop", json.dumps(r, ensure_ascii=False, default=str)) for r in drops.rejects]
    return _table(rows)


class RayRunner:
    name = "ray"

    def __init__(self, cfg: RaySettings):
        try:
            import ray
            import ray.data
        except ImportError as e:
            raise IngestError("engine 'ray' needs Ray Data: pip install 'ray[data]==2.60.0', "
                              "or ingest with engine 'local'") from e
        if not ray.is_initialized():
            if cfg.address:
                ray.init(address=cfg.address)
            else:
                store = cfg.object_store_mib * 2**20 if cfg.object_store_mib else None
                ray.init(num_cpus=cfg.num_cpus, object_store_memory=store, include_dashboard=False)
        ray.data.DataContext.get_current().execution_options.preserve_order = True
        self.ray = ray
        self.batch_size = cfg.batch_size

    def _map(self, rows: list[dict], fn, **kwargs) -> list[tuple[str, dict]]:
        ds = self.ray.data.from_items(rows).map_batches(
            fn, batch_format="pyarrow", batch_size=self.batch_size, **kwargs)
        return [(r["kind"], json.loads(r["json"])) for r in ds.iter_rows()]

    def load(self, root: Path, problems: list[Problem]) -> list[Doc]:
        files = [{"path": str(p.resolve()), "rel": rel} for p, rel in source_files(root)]
        if not files:
            return []
        docs = []
        for kind, obj in self._map(files, load_batch):
            if kind == "doc":
                docs.append(Doc.from_json(obj))
            else:
                problems.append(Problem(obj["path"], obj["reason"]))
        return docs

    def run(self, docs: list[Doc], steps: list[Step], drops: Drops,
            watch: Watch | None = None) -> Iterator[Doc]:
        watch = watch or {}
        records, at = list(docs), 0
        for stage in stages(steps, cuts=watch):
            watch.get(at, []).extend(records)
            records = self._run_stage(stage, records, drops)
            at += len(stage)
        watch.get(at, []).extend(records)
        return iter(records)

    def _run_stage(self, stage: list[Step], records: list[Doc], drops: Drops) -> list[Doc]:
        if not stage[0].per_record:
            return list(stage[0].run(iter(records), drops))  # on the driver
        if not records:
            return records
        rows = self._map([{"json": json.dumps(d.to_json(), ensure_ascii=False)} for d in records],
                         steps_batch, fn_kwargs={"steps": stage})
        drops.extend([obj for kind, obj in rows if kind == "drop"])
        return [Doc.from_json(obj) for kind, obj in rows if kind == "doc"]
