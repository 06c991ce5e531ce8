"""When nothing is left to ingest, the error says what happened to each file."""

import pytest

from ingest import pipeline
from ingest.errors import IngestError, file_of
from smallbatch.errors import UserError
from smallbatch.settings import Settings
from tests.ingest.test_pipeline import FakeEmbedder

JUNK = "| {} | [] <> == ## ** ~~ | {} | x1 y2 z3 |\n" * 3


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "get_embedder", lambda name: FakeEmbedder())

    def run(src):
        return pipeline.ingest(src, "kb", Settings(stores=tmp_path / "stores"))

    return run


def test_every_file_bad_names_each_file_with_its_load_problem_or_dropping_step(tmp_path, build):
    src = tmp_path / "docs"
    src.mkdir()
    (src / "a.md").write_text("  \n\n")
    (src / "b.pdf").write_text("%PDF")  # a PDF without a body
    (src / "c.txt").write_text(JUNK)
    (src / "d.jsonl").write_text('{bad\n{"text": "## <> {{ }} @@ == 1 | 2 | 3 -> [x] ~~"}\n')
    with pytest.raises(IngestError) as e:
        build(src)
    lines = str(e.value).splitlines()
    assert lines[0] == f"nothing left to ingest from {src} (4 files):"
    assert lines[1] == "  a.md: clean dropped 1 record (empty after cleaning)"
    assert lines[2].startswith("  b.pdf: unreadable PDF")
    assert lines[3] == "  c.txt: heuristic_quality dropped 1 record (low quality: symbols)"
    assert lines[4].startswith("  d.jsonl: line 1: invalid JSON")
    # its one record is a heading line: the heading-aware chunker finds no text under it
    assert lines[4].endswith("; chunk dropped 1 record (no text under its headings)")
    assert "--profile raw" in lines[-1] and len(lines) == 6
    assert isinstance(e.value, UserError)  # the CLI prints it as `error: …`, exit 2
    assert not list((tmp_path / "stores" / "kb").glob("snapshots/*"))


def test_an_empty_folder_and_a_missing_path_are_user_errors(tmp_path, build):
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="no files to ingest"):
        build(tmp_path / "empty")
    with pytest.raises(IngestError, match="no such file or folder: .*nope"):
        build(tmp_path / "nope")


def test_records_belong_to_their_file():
    files = ["a.jsonl", "b.json", "b.json.md"]
    assert file_of("a.jsonl:3", files) == "a.jsonl"
    assert file_of("b.json#Title/0", files) == "b.json"
    assert file_of("b.json.md", files) == "b.json.md"
