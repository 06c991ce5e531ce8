"""Follow-up questions rewritten by the real small model, and answered through the real API
over the bundled sample."""

import asyncio

import pytest
from openai import OpenAI

from rag.rewrite import Rewriter, Turn
from smallbatch.llm import async_client, endpoint

pytestmark = pytest.mark.integration

CASES = [  # (question, answer, follow-up, the name the follow-up means)
    ("Who proved that air is necessary for combustion?",
     "Robert Boyle proved that air is necessary for combustion [1].",
     "Which English chemist refined his work?", "boyle"),
    ("Who introduced plague to Europe?", "Genoese traders introduced plague to Europe [1].",
     "At which port city did they arrive?", "genoese"),
    ("Who gave the original Viking settlers a common identity?",
     "Rollo gave them a common identity [1].",
     "Who did he sign the treaty of Saint-Clair-sur-Epte with?", "rollo"),
]


def test_small_model_names_what_follow_ups_refer_to(settings):
    ep = endpoint(settings, "small")
    rewriter = Rewriter(async_client(ep), ep.model)

    async def run():
        return [await rewriter.rewrite([Turn(role="user", content=q),
                                        Turn(role="assistant", content=a)], follow)
                for q, a, follow, _ in CASES]

    outs = asyncio.run(run())
    for (_, _, follow, name), out in zip(CASES, outs):
        assert out.method in ("model", "referent", "resolved"), (follow, out)  # resolved: rag/referent.py
        assert name in out.query.lower(), (follow, out.query)
        assert out.error is None


def test_follow_up_over_the_api_retrieves_the_right_source(api_url):
    client = OpenAI(base_url=api_url, api_key="none", timeout=300)
    question, answer, follow, _ = CASES[1]
    resp = client.chat.completions.create(model="sample", messages=[
        {"role": "user", "content": question}, {"role": "assistant", "content": answer},
        {"role": "user", "content": follow}])
    rewrite = resp.model_extra["smallbatch"]["rewrite"]
    assert rewrite["method"] != "none" and "genoese" in rewrite["query"].lower()
    assert "kaffa" in resp.choices[0].message.content.lower()
    assert resp.model_extra["citations"][0]["source_id"] == "Black_Death/2"
