"""The Chinese knowledge base next to its English original (#17): the hand-written questions that
have an English counterpart, asked in each language on that language's handbook, by the same
systems.

    python -m eval.side_by_side questions    # eval/questions-zh/handwritten-en.jsonl
    python -m eval.side_by_side compare eval/results-zh eval/results-zh-en
    python -m eval.side_by_side subsets eval/results-zh

``subsets`` splits one run's F1 by where the questions came from (the id's prefix: the
teacher-made testset, the hand-written ones, the unanswerable ones), because a 1.5B teacher's
items are a noisier yardstick than a person's.

``questions`` writes the English rows (same ids, gold copied from the en-US page, the same page's
source id); ``compare`` pairs the two runs' records by question id and system, and writes
``side-by-side.json``, ``.md`` and ``.png`` into the English results folder. Chinese answers
are scored on characters, English ones on SQuAD tokens (eval/zh.py): the two F1s are each
language's usual measure, not one scale.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.scoring import bootstrap_ci
from smallbatch.settings import REPO_ROOT

HANDWRITTEN = REPO_ROOT / "eval" / "questions-zh" / "handwritten.jsonl"
ENGLISH = REPO_ROOT / "eval" / "questions-zh" / "handwritten-en.jsonl"
METRICS = ("f1", "recall_at_5", "citation_correct")


def english_rows(rows: list[dict]) -> list[dict]:
    """The English counterpart of every hand-written row that has one."""
    return [{"id": r["id"], "question": r["en_question"], "answers": r["en_answers"],
             "source_ids": r["source_ids"], "lang": "en", "source": r["en_source"]}
            for r in rows if r.get("en_question")]


def _records(folder: Path) -> dict[tuple[str, str], dict]:
    rows = (json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()
            if line.strip())
    return {(r["system"], r["qid"]): r for r in rows if "error" not in r}


def compare(zh: dict[tuple[str, str], dict], en: dict[tuple[str, str], dict]) -> list[dict]:
    """Per system: the paired questions' metrics in each language and the F1 difference (zh - en,
    paired bootstrap CI)."""
    out = []
    for system in sorted({s for s, _ in zh} & {s for s, _ in en}):
        ids = sorted(q for s, q in zh if s == system and (s, q) in en)
        if not ids:
            continue
        row = {"system": system, "n": len(ids)}
        for m in METRICS:
            for lang, recs in (("zh", zh), ("en", en)):
                vals = [recs[(system, q)][m] for q in ids if m in recs[(system, q)]]
                row[f"{m}_{lang}"] = round(sum(vals) / len(vals), 4) if vals else None
        mean, lo, hi = bootstrap_ci([zh[(system, q)]["f1"] - en[(system, q)]["f1"] for q in ids])
        row["f1_zh_minus_en"] = round(mean, 4)
        row["f1_zh_minus_en_ci"] = [round(lo, 4), round(hi, 4)]
        out.append(row)
    return out


def subsets(records: dict[tuple[str, str], dict]) -> list[dict]:
    """Per system and question source (id without its number): n, F1 with CI, abstention."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for (system, qid), r in sorted(records.items()):
        groups.setdefault((system, qid.rstrip("0123456789").rstrip("-")), []).append(r)
    out = []
    for (system, source), rows in groups.items():
        f1s = [r["f1"] for r in rows if "f1" in r]
        row = {"system": system, "source": source, "n": len(rows),
               "abstained": round(sum(bool(r.get("abstained")) for r in rows) / len(rows), 3)}
        if f1s and any(r.get("answerable", True) for r in rows):
            mean, lo, hi = bootstrap_ci(f1s)
            row |= {"f1": round(mean, 3), "f1_ci": [round(lo, 3), round(hi, 3)]}
        out.append(row)
    return out


def markdown(rows: list[dict]) -> str:
    head = ["system", "n", "F1 zh (chars)", "F1 en (tokens)", "zh - en (95 % CI)",
            "recall@5 zh", "recall@5 en", "citation zh", "citation en"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lo, hi = r["f1_zh_minus_en_ci"]
        lines.append("| " + " | ".join(str(v) for v in (
            r["system"], r["n"], r["f1_zh"], r["f1_en"],
            f"{r['f1_zh_minus_en']:+.3f} ({lo:+.3f} … {hi:+.3f})", r["recall_at_5_zh"],
            r["recall_at_5_en"], r["citation_correct_zh"], r["citation_correct_en"])) + " |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [r["f1_zh"] for r in rows], 0.4, label="Chinese handbook")
    ax.bar([x + 0.2 for x in xs], [r["f1_en"] for r in rows], 0.4, label="English handbook")
    ax.set_xticks(list(xs), [r["system"] for r in rows])
    ax.set_ylabel("F1 (zh: characters, en: tokens)")
    ax.set_ylim(0, 1)
    ax.set_title(f"The same {rows[0]['n'] if rows else 0} hand-written questions in each language")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("questions")
    sub.add_parser("subsets").add_argument("run", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("zh", type=Path)
    c.add_argument("en", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "questions":
        rows = english_rows([json.loads(line) for line in HANDWRITTEN.read_text().splitlines()
                             if line.strip()])
        ENGLISH.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        print(f"{len(rows)} English counterparts -> {ENGLISH}")
        return
    if args.cmd == "subsets":
        rows = subsets(_records(args.run))
        (args.run / "subsets.json").write_text(json.dumps(rows, indent=1) + "\n")
        for r in rows:
            f1 = f"F1 {r['f1']} ({r['f1_ci'][0]}–{r['f1_ci'][1]})" if "f1" in r else ""
            print(f"{r['system']:<14} {r['source']:<16} n={r['n']:<4} {f1} "
                  f"abstained {r['abstained']}")
        return
    rows = compare(_records(args.zh), _records(args.en))
    (args.en / "side-by-side.json").write_text(json.dumps(rows, indent=1) + "\n")
    (args.en / "side-by-side.md").write_text(markdown(rows))
    plot(rows, args.en / "side-by-side.png")
    print(markdown(rows))


if __name__ == "__main__":
    main()
