"""Merged reader weights on the real stack: `reader merge` of the session's mini adapter, then
`models serve small --weights` serves the merged folder under its own name.

Its own module, asking for no other reader server: beside the session's vLLM, only this one
runs (with the LoRA server of test_reader_real.py also up, CI ran out of memory)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import free_port
from tests.integration.reader_helpers import chat

pytestmark = pytest.mark.integration


def test_merged_weights_are_served_as_their_own_model(trained_reader, tmp_path):
    """`reader merge` + `models serve small --weights`: vLLM serves the merged folder (its
    /models root is that folder) under "<base>-reader", and it answers a serving prompt."""
    from reader.build import small_dir
    from reader.merge import merge
    from smallbatch.commands import model_server

    s, out, _, examples = trained_reader
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
