"""The issue #15 demo cases through the real served stack (real 0.5B, the bundled sample):
answers are faithful to the source they cite, or withdrawn."""

import pytest
from openai import OpenAI

from rag.claims import numbers, split_claims

pytestmark = pytest.mark.integration


def ask(api_url, messages):
    client = OpenAI(base_url=api_url, api_key="none", timeout=300)
    return client.chat.completions.create(model="sample", messages=messages)


def cited_text(resp, n):
    return next(c["text"] for c in resp.model_extra["citations"] if c["number"] == n)


def assert_faithful(resp):
    """Every number the reply states is in the source its claim cites."""
    text = resp.choices[0].message.content
    meta = resp.model_extra["smallbatch"]
    if meta["abstained"]:
        return
    for claim in split_claims(text):
        for n in claim.cites:
            src = cited_text(resp, n)
            assert all(x in numbers(src) for x in claim.numbers), (claim, src)


def test_when_did_rollo_die_is_not_answered_with_the_duchys_year(api_url):
    resp = ask(api_url, [{"role": "user", "content": "When did Rollo die?"}])
    text = resp.choices[0].message.content
    assert "911" not in text.split("(Withdrawn")[0] or resp.model_extra["smallbatch"]["abstained"]
    assert_faithful(resp)


def test_who_was_rollo_does_not_claim_the_880s(api_url):
    resp = ask(api_url, [{"role": "user", "content": "Who was Rollo?"}])
    text = resp.choices[0].message.content
    assert "880" not in text, (text, resp.model_extra["smallbatch"])
    assert_faithful(resp)


def test_a_follow_up_means_the_user_subject_not_the_assistants_words(api_url):
    resp = ask(api_url, [{"role": "user", "content": "Who was Rollo?"},
                         {"role": "assistant", "content": "A Viking."},
                         {"role": "user", "content": "When did he die?"}])
    rewrite = resp.model_extra["smallbatch"]["rewrite"]
    assert "rollo" in rewrite["query"].lower() and "a viking" not in rewrite["query"].lower()
    assert "911" not in resp.choices[0].message.content or \
        resp.model_extra["smallbatch"]["abstained"]
    assert_faithful(resp)
