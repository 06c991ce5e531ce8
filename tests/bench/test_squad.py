"""bench/squad.py: finding the SQuAD dev set, and taking it out of a bigbench-shaped sdist."""

import hashlib
import io
import tarfile

import pytest

from bench import squad


def sdist(tmp_path, payload: bytes, member: str = squad.MEMBER) -> str:
    path = tmp_path / "bigbench-1.0.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("bigbench-1.0.0/setup.py", b"x"), (member, payload)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path.as_uri()


def test_locate_prefers_the_environment_then_shared_then_the_fetched_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("SMALLBATCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(squad, "SHARED", tmp_path / "shared.json")
    monkeypatch.delenv("SMALLBATCH_SQUAD", raising=False)
    assert squad.locate() is None
    fetched = tmp_path / "home" / "data" / "squad-v1.1-dev.json"
    fetched.parent.mkdir(parents=True)
    fetched.write_text("{}")
    assert squad.locate() == fetched
    (tmp_path / "shared.json").write_text("{}")
    assert squad.locate() == tmp_path / "shared.json"
    (tmp_path / "mine.json").write_text("{}")
    monkeypatch.setenv("SMALLBATCH_SQUAD", str(tmp_path / "mine.json"))
    assert squad.locate() == tmp_path / "mine.json"


def test_fetch_takes_the_member_and_checks_its_hash(tmp_path, monkeypatch):
    payload = b'{"version": "1.1", "data": []}'
    url = sdist(tmp_path, payload)
    dest = tmp_path / "out" / "squad.json"
    with pytest.raises(SystemExit, match="sha256"):
        squad.fetch(url, dest)
    assert not dest.exists()  # a wrong file is never written
    monkeypatch.setattr(squad, "SHA256", hashlib.sha256(payload).hexdigest())
    assert squad.fetch(url, dest) == dest and dest.read_bytes() == payload


def test_fetch_says_when_the_sdist_lacks_the_file(tmp_path):
    with pytest.raises(SystemExit, match="holds no"):
        squad.fetch(sdist(tmp_path, b"{}", member="bigbench-1.0.0/other.json"), tmp_path / "x")
