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


def test_the_judge_role_settles_an_unsure_claim_on_the_real_model(settings, model_url):
    """`support.judge` on, the judge role pointed at the session's real model: a claim the
    lexical check is unsure of ("founded" is not in its source) is decided by one judge call
    whose JSON verdict parses (no "judge failed" note)."""
    import asyncio

    from rag.assemble import entailer
    from rag.faithful import check_answer
    from smallbatch.settings import Role, SupportSettings

    s = settings.model_copy(update={"support": SupportSettings(judge=True), "judge": Role(
        model="qwen2.5-coder-0.5b-instruct", base_url=model_url)})
    judge = entailer(s)
    src = "The Duchy of Normandy began in 911 under Rollo, after the treaty with King Charles."
    support = asyncio.run(check_answer("The duchy was founded in 911 [1].",
                                       "When was the duchy founded?", [src], judge=judge))
    assert not support.notes, support.notes
    (checked,) = support.checked
    assert "(judge)" in checked.verdict.reason and judge.usage
