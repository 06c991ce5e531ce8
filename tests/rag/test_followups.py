"""The deterministic resolver on the follow-up suite (eval/followups.jsonl): pronouns mean the
subject the user asked about, ellipsis re-asks with the new name, switches and follow-ups with
nothing to refer to bring in no name."""

import json

import pytest

from rag.referent import resolve
from rag.rewrite import Turn
from smallbatch.settings import REPO_ROOT

CASES = [json.loads(l) for l in (REPO_ROOT / "eval" / "followups.jsonl").read_text().splitlines()]


def test_the_suite_covers_every_kind():
    kinds = {c["kind"] for c in CASES}
    assert len(CASES) >= 30 and kinds == {"pronoun-user", "pronoun-answer", "ellipsis",
                                          "switch", "none"}


@pytest.mark.parametrize("case", CASES, ids=[c["follow_up"] for c in CASES])
def test_resolver(case):
    history = [Turn(**t) for t in case["history"]]
    out = resolve(history, case["follow_up"])
    query = (out[0] if out else case["follow_up"]).lower()
    assert all(w in query for w in case["expect"]), query
    assert not any(w in query for w in case["reject"]), query
