"""bench/load_test.py at a tiny size, so the benchmark keeps working: the app as its own process,
the same prompts straight to vLLM, no lost request, no 5xx, a complete result file."""

import json

import pytest

from bench import load_test

pytestmark = pytest.mark.integration


def test_load_bench_runs_clean_at_a_small_size(settings, sample_snapshot, model_url, tmp_path):
    out = tmp_path / "load.json"
    load_test.main(["--clients", "2", "--requests", "3", "--max-tokens", "4", "--budget-s", "240",
               "--questions", "8",
               "--stores", str(settings.stores), "--kb", "sample", "--model-url", model_url,
               "--out", str(out)])
    result = json.loads(out.read_text())
    app, direct = result["app"], result["direct"]
    assert result["complete"] and app["requests"] == 6
    assert app["lost"] == 0 and app["server_errors"] == 0 and app["ok"] == 6
    assert direct["requests"] == 6 and direct["ok"] == 6
    assert 0 < app["p50_s"] <= app["p95_s"] and 0 < direct["p50_s"]
    assert result["overhead"]["p50_s"] is not None
    assert result["app_internal"]["retrieval_mean_s"] > 0
    assert result["acceptance"]["pass"] and result["app_settings"]["api_keys"] == 2  # keys on
    assert result["app_model_retries"] >= 0 and "app" in result["vllm_prefix_cache_hit_rate"]
