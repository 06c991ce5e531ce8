import json

import pytest

from ingest.errors import IngestError
from ingest.load import load
from smallbatch.errors import UserError


def test_loads_every_format_and_reports_bad_files(tmp_path):
    (tmp_path / "a.md").write_text("# Title\n\nMarkdown body.")
    (tmp_path / "b.txt").write_text("Plain text.")
    (tmp_path / "c.html").write_text(
        "<html><nav>Home | About</nav><body><p>Real content.</p><script>x=1</script></body>"
        "<footer>Copyright</footer></html>")
    (tmp_path / "d.jsonl").write_text(
        '{"id": "r1", "text": "Row one.", "date": "2024-01-01"}\nnot json\n{"no_text": 1}\n')
    squad = {"data": [{"title": "T", "paragraphs": [{"context": "Para zero.", "qas": []},
                                                     {"context": "Para one.", "qas": []}]}]}
    (tmp_path / "e.json").write_text(json.dumps(squad))
    (tmp_path / "bad.json").write_text("{broken")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "pic.png").write_bytes(b"\x89PNG")

    problems = []
    docs = list(load(tmp_path, problems))
    by_id = {d.id: d for d in docs}

    assert set(by_id) == {"a.md", "b.txt", "c.html", "r1", "T/0", "T/1"}
    html = by_id["c.html"].text
    assert "Real content." in html and "Home" not in html and "Copyright" not in html
    assert "x=1" not in html
    assert by_id["r1"].metadata["date"] == "2024-01-01"
    assert by_id["T/1"].metadata["source_path"] == "e.json#T/1"

    reasons = {p.path: p.reason for p in problems}
    assert "invalid JSON" in reasons["bad.json"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "unsupported file type .png" in reasons["pic.png"]
    assert "invalid JSON" in reasons["d.jsonl:2"]
    assert "text" in reasons["d.jsonl:3"]


def test_json_that_is_not_squad_is_reported(tmp_path):
    (tmp_path / "x.json").write_text('{"items": [1, 2]}')
    problems = []
    assert list(load(tmp_path, problems)) == []
    assert problems[0].path == "x.json" and "SQuAD" in problems[0].reason


def test_missing_path_is_a_user_error_naming_the_path(tmp_path):
    with pytest.raises(IngestError, match="no such file or folder: .*nope"):
        list(load(tmp_path / "nope", []))
    assert issubclass(IngestError, UserError)  # the CLI prints it as one `error:` line
