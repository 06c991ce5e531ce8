"""Headings, sections and the header every clean passage carries: ``Title › Section › Sub``.

A passage cut out of a page loses its topic: "It was founded in 1885" says nothing without
"Fresno, California › History" above it. So the clean profile keeps each passage's heading
trail as ``metadata["header"]`` (and the list as ``metadata["headings"]``); the snapshot indexes
the header with the text (``smallbatch.snapshot.index_text``) and the prompt shows it at the top
of the source (rag/prompt.py).

Headings are markdown ATX lines (``# Title``). HTML pages arrive as plain text with their
``<h1>``…``<h6>`` listed in ``metadata["html_headings"]`` by the loader; ``MarkHeadings`` turns
those lines back into ATX lines so every later step sees one heading syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.steps import Transform
from smallbatch.records import Doc

_ATX = re.compile(r"^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
SEPARATOR = " › "


def heading(line: str) -> tuple[int, str] | None:
    """(level, text) of a markdown ATX heading line, else None."""
    m = _ATX.match(line.strip())
    return (len(m.group(1)), m.group(2).strip()) if m else None


def push(trail: list[tuple[int, str]], level: int, text: str) -> list[tuple[int, str]]:
    """The trail below a new heading: every heading of a lower or equal rank is closed."""
    return [(lv, t) for lv, t in trail if lv < level] + [(level, text)]


def header_text(title: str | None, trail: list[str]) -> str:
    """``Title › H2 › H3``; the document's own title (SQuAD title, JSONL ``title``) leads unless
    the trail already starts with it."""
    parts = list(trail)
    if title and (not parts or parts[0].casefold() != str(title).casefold()):
        parts.insert(0, str(title))
    return SEPARATOR.join(parts)


@dataclass(slots=True)
class Section:
    """The body of one section: ``text[start:end]`` (its heading lines excluded)."""

    start: int
    end: int
    trail: list[str]


def sections(text: str) -> list[Section]:
    """The text cut at its heading lines; each piece carries the headings above it. Pieces
    with no text (a heading directly followed by another) are left out."""
    out: list[Section] = []
    trail: list[tuple[int, str]] = []
    start = pos = 0
    for line in text.splitlines(keepends=True):
        h = heading(line)
        if h:
            if text[start:pos].strip():
                out.append(Section(start, pos, [t for _, t in trail]))
            trail = push(trail, *h)
            start = pos + len(line)
        pos += len(line)
    if text[start:].strip():
        out.append(Section(start, len(text), [t for _, t in trail]))
    return out


def _squash(text: str) -> str:
    return " ".join(text.split())


class MarkHeadings(Transform):
    """HTML headings (from ``metadata["html_headings"]``, in page order) back into ATX lines.

    The loader's text has each heading on its own line or, when the heading held inline tags,
    on a few consecutive lines; those lines are matched in order and replaced by one
    ``## Heading`` line. A heading not found (cleaning changed it) is skipped, never guessed.
    The ``<title>`` (level 0, "Page (part 1) — Site") is browser chrome that repeats the page's
    own heading: when the page has an ``<h1>``, its line goes, else it becomes the ``#`` title.
    """

    name = "mark_headings"

    def apply(self, doc: Doc) -> Doc:
        wanted = doc.metadata.pop("html_headings", None) or []
        if not wanted:
            return doc
        has_h1 = any(int(level) == 1 for level, _ in wanted)
        lines, out, i, w = doc.text.split("\n"), [], 0, 0
        while i < len(lines):
            n = self._match(lines, i, _squash(wanted[w][1])) if w < len(wanted) else 0
            if n:
                level = int(wanted[w][0])
                if level or not has_h1:
                    out.append("#" * max(level, 1) + " " + _squash(wanted[w][1]))
                i, w = i + n, w + 1
            else:
                out.append(lines[i])
                i += 1
        doc.text = "\n".join(out)
        return doc

    @staticmethod
    def _match(lines: list[str], i: int, target: str, most: int = 8) -> int:
        """How many lines from ``i`` (blank ones skipped) spell ``target``; 0 if none do."""
        if not target or not lines[i].strip():
            return 0
        got = ""
        for n in range(most):
            if i + n >= len(lines):
                return 0
            got = _squash(f"{got} {lines[i + n]}")
            if got == target:
                return n + 1
            if not target.startswith(got):
                return 0
        return 0
