"""What changed between two snapshots: units added, removed and changed.

Units are matched in two passes, so a rebuild that only renumbers units reports nothing:

1. by content — kind, text and generated questions; equal content is *unchanged* whatever the
   unit ids (a chunk that moved because an earlier one was dropped is still the same knowledge);
2. what is left, by place — the same source id, kind and character span, or failing that the
   same unit id; such a pair is *changed* (an edited passage, a re-distilled fact).

Everything else is *removed* (only in A) or *added* (only in B).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from smallbatch.records import Doc, content_hash


def read_units(snapshot: Path) -> list[Doc]:
    from smallbatch.snapshot import UNITS_FILE

    with (Path(snapshot) / UNITS_FILE).open(encoding="utf-8") as f:
        return [Doc.from_json(json.loads(line)) for line in f if line.strip()]


def content_key(u: Doc) -> str:
    m = u.metadata
    return content_hash(json.dumps([m.get("kind", "passage"), u.text, m.get("questions") or []]))


def place_key(u: Doc) -> tuple | None:
    m = u.metadata
    if m.get("source_id") is None or m.get("span") is None:
        return None
    return (str(m["source_id"]), m.get("kind", "passage"), tuple(m["span"]))


@dataclass
class SnapshotDiff:
    a: str
    b: str
    added: list[Doc] = field(default_factory=list)
    removed: list[Doc] = field(default_factory=list)
    changed: list[tuple[Doc, Doc]] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed),
                "changed": len(self.changed), "unchanged": self.unchanged}

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "counts": self.counts(),
                "added": [_brief(u) for u in self.added],
                "removed": [_brief(u) for u in self.removed],
                "changed": [{"a": _brief(x), "b": _brief(y)} for x, y in self.changed]}

    def render(self, width: int = 100) -> str:
        c = self.counts()
        lines = [f"{self.a} -> {self.b}: {c['added']} added, {c['removed']} removed, "
                 f"{c['changed']} changed, {c['unchanged']} unchanged"]
        lines += [f"+ {u.id}  {_clip(u.text, width)}" for u in self.added]
        lines += [f"- {u.id}  {_clip(u.text, width)}" for u in self.removed]
        for x, y in self.changed:
            lines += [f"~ {x.id}  {_clip(x.text, width)}",
                      f"  {y.id if y.id != x.id else '':{len(x.id)}}→ {_clip(y.text, width)}"]
        return "\n".join(lines)


def diff_units(a: list[Doc], b: list[Doc], a_name: str = "A", b_name: str = "B") -> SnapshotDiff:
    out = SnapshotDiff(a_name, b_name)
    by_content: dict[str, list[Doc]] = defaultdict(list)
    for u in a:
        by_content[content_key(u)].append(u)
    left_b = []
    for u in b:
        same = by_content.get(content_key(u))
        if same:
            same.pop(0)
            out.unchanged += 1
        else:
            left_b.append(u)
    left_a = [u for group in by_content.values() for u in group]
    order = {id(u): i for i, u in enumerate(a)}
    left_a.sort(key=lambda u: order[id(u)])

    by_place = {place_key(u): u for u in left_a if place_key(u) is not None}
    by_id = {u.id: u for u in left_a}
    for u in left_b:
        old = by_place.get(place_key(u)) if place_key(u) is not None else None
        old = old if old is not None and by_id.get(old.id) is old else by_id.get(u.id)
        if old is None:
            out.added.append(u)
            continue
        out.changed.append((old, u))
        del by_id[old.id]
    out.removed = [u for u in left_a if by_id.get(u.id) is u]
    return out


def diff_snapshots(a: Path, b: Path) -> SnapshotDiff:
    return diff_units(read_units(a), read_units(b), Path(a).name, Path(b).name)


def _brief(u: Doc) -> dict:
    m = u.metadata
    return {"id": u.id, "kind": m.get("kind"), "source_id": m.get("source_id"),
            "span": m.get("span"), "text": u.text}


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
