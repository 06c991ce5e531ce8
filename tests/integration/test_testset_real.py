"""`eval testset` with the real small model as the teacher: every kept item's quote is in its
document and its answer in the quote; every teacher reply lands in the journal; a rerun replays
the journal, asks the model nothing and keeps the same items."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from eval.testset import generate
from ingest.load import load
from smallbatch.llm import Endpoint, async_client
from tests.integration.conftest import SAMPLE

pytestmark = pytest.mark.integration


class Counting:
    """The real client, counting the chat requests that reach the model."""

    def __init__(self, client):
        self.inner, self.calls = client, 0
        self.chat = type("Chat", (), {"completions": self})()

    async def create(self, **kw):
        self.calls += 1
        return await self.inner.chat.completions.create(**kw)


def test_a_real_teacher_testset_resumes_from_its_journal(model_url, tmp_path):
    docs = list(load(SAMPLE, []))
    served = httpx.get(f"{model_url}/models", timeout=30).json()["data"][0]["id"]
    ep = Endpoint("teacher", model_url, served, "EMPTY", 600.0, 1)
    journal = tmp_path / "t.teacher.jsonl"

    def run():
        client = Counting(async_client(ep))
        items, meta = asyncio.run(generate(docs, client, ep.model, n=3, fraction=0.25, seed=1,
                                           passes=1, journal=journal))
        return client.calls, items, meta

    calls, items, meta = run()
    rows = [json.loads(line) for line in journal.read_text().splitlines()]
    c = meta["counts"]
    # a reply holds up to 3 items (an error row: one reject); a cut-off reply is asked again
    assert calls >= len(rows) > 0
    assert c["accepted"] + c["rejected"] + c["surplus"] == sum(
        len(r.get("items", [])) or 1 for r in rows)
    flat = lambda t: " ".join(t.split()).lower()  # noqa: E731
    texts = {d.id: flat(d.text) for d in docs}
    for item in items:
        assert flat(item["quote"]) in texts[item["source_ids"][0]]
    again, items_again, _ = run()
    assert again == 0 and items_again == items
    assert len(journal.read_text().splitlines()) == len(rows)  # nothing asked, nothing added
