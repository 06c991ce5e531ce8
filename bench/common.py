"""What the corpus benchmarks share: their command line and the corpus's JSONL files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parser(doc: str, result: str) -> argparse.ArgumentParser:
    """--corpus, --stores and --out (bench/results/<result>) with the script's docstring."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus")
    ap.add_argument("--stores", type=Path, default=ROOT / "bench" / "stores")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / result)
    return ap


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
