"""Read source files into Docs. A bad file (or line) is reported with its path and reason; the
rest of the run goes on.

Formats: .md .markdown .txt .html .htm .pdf (one doc per page: ingest/pdf.py) .jsonl (one
{"text": ...} object a line) and .json in SQuAD format (every paragraph becomes a source doc).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import FORMATS, IngestError
from smallbatch.lang import detect_lang
from smallbatch.records import Doc, content_hash

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | {".jsonl", ".json", ".pdf"}


@dataclass(slots=True)
class Problem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class BadSource(ValueError):
    pass


def _doc(path: str, text: str, doc_id: str, **meta) -> Doc:
    return Doc(id=doc_id, text=text, metadata={"source_id": doc_id, "source_path": path,
                                               "source_hash": content_hash(text),
                                               "lang": detect_lang(text), **meta})


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise BadSource(f"not UTF-8 text (byte {e.start}: {e.reason})") from None


def html_to_text(html: str) -> str:
    return html_parts(html)[0]


def html_parts(html: str) -> tuple[str, list[list]]:
    """The page's text and its headings as [level, text] in page order, the ``<title>`` first as
    level 0 (the clean profile turns them back into heading lines: ingest/headers.py)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "aside", "noscript", "form"]):
        tag.decompose()
    headings = [[int(h.name[1]), " ".join(h.get_text(" ").split())]
                for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    if soup.title and soup.title.get_text().strip():  # level 0: the <title>, page chrome
        headings.insert(0, [0, " ".join(soup.title.get_text(" ").split())])
    return soup.get_text("\n"), [h for h in headings if h[1]]


def _squad(path: Path, rel: str) -> Iterator[Doc]:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as e:
        raise BadSource(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        raise BadSource('JSON is not SQuAD format: expected {"data": [{"title", "paragraphs"}]}')
    for a, article in enumerate(articles):
        title = str(article.get("title", f"article{a}"))
        for p, para in enumerate(article.get("paragraphs", [])):
            context = para.get("context") if isinstance(para, dict) else None
            if not isinstance(context, str):
                raise BadSource(f"data[{a}].paragraphs[{p}] has no string 'context'")
            yield _doc(f"{rel}#{title}/{p}", context, f"{title}/{p}", title=title)


def _jsonl(path: Path, rel: str, problems: list[Problem]) -> Iterator[Doc]:
    for n, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(Problem(f"{rel}:{n}", f"invalid JSON: {e.msg}"))
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            problems.append(Problem(f"{rel}:{n}", 'expected an object with a string "text"'))
            continue
        doc_id = str(row.get("id") or f"{rel}:{n}")
        meta = {k: v for k, v in row.items() if k not in {"id", "text"}}
        yield _doc(f"{rel}:{n}", row["text"], doc_id, **meta)


def _pdf(path: Path, rel: str, problems: list[Problem]) -> Iterator[Doc]:
    """One doc per page with text (ingest/pdf.py): id and source path ``<rel>#page=<n>``,
    metadata ``page`` and ``page_span`` (the page's span in the whole document's text)."""
    from ingest.pdf import iter_pages

    report = lambda where, reason: problems.append(Problem(where, reason))  # noqa: E731
    for where, page in iter_pages(path, rel, report):
        yield _doc(where, page.text, where, page=page.number, page_span=list(page.span),
                   file=rel, format="pdf")


def load_file(path: Path, rel: str, problems: list[Problem]) -> Iterator[Doc]:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        yield _doc(rel, _read_text(path), rel)
    elif suffix in HTML_SUFFIXES:
        text, headings = html_parts(_read_text(path))
        yield _doc(rel, text, rel, html_headings=headings)
    elif suffix == ".jsonl":
        yield from _jsonl(path, rel, problems)
    elif suffix == ".json":
        yield from _squad(path, rel)
    elif suffix == ".pdf":
        yield from _pdf(path, rel, problems)
    else:
        raise BadSource(f"unsupported file type {suffix or '(none)'}; supported: {sorted(SUPPORTED)}")


def source_files(root: Path) -> list[tuple[Path, str]]:
    """(path, path relative to the corpus) of every file under ``root``, in sorted order."""
    root = Path(root)
    if not root.exists():
        raise IngestError(f"no such file or folder: {root}; give a file or folder of documents "
                          f"({FORMATS})")
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    base = root.parent if root.is_file() else root
    return [(path, path.relative_to(base).as_posix()) for path in files
            if not path.name.startswith(".")]


def load_one(path: Path, rel: str, problems: list[Problem]) -> list[Doc]:
    """The docs of one file; a bad file is a problem, not an exception."""
    try:
        docs = list(load_file(path, rel, problems))
    except (BadSource, OSError) as e:
        problems.append(Problem(rel, str(e)))
        return []
    if not docs and path.suffix.lower() in SUPPORTED:
        problems.append(Problem(rel, "no text found"))
    return docs


def load(root: Path, problems: list[Problem]) -> Iterator[Doc]:
    """All docs under ``root`` (a file or a folder, recursively, in sorted order)."""
    for path, rel in source_files(root):
        yield from load_one(path, rel, problems)
