from eval.faithfulness import citation_check, markdown, summarise

SOURCES = ["The duchy began in 911 under Rollo.", "Viking settlers arrived in the 880s."]


def rec(system, answer, abstained=False, **kw):
    return {"system": system, "qid": "q", "answer": answer, "abstained": abstained,
            "context_text": SOURCES, **kw}


def test_cited_numbers_and_names_must_be_in_the_cited_source():
    assert citation_check("It began in 911 under Rollo [1].", SOURCES) is True
    assert citation_check("It began in 911 [2].", SOURCES) is False  # 911 is in [1] only
    assert citation_check("Settlers came under Rollo [2].", SOURCES) is False
    assert citation_check("It began in 911.", SOURCES) is None  # nothing cited to check
    assert citation_check("It began in 911 [1]. Settlers came in 880 [2].", SOURCES) is True


def test_summary_counts_per_system_and_skips_abstentions_and_errors():
    out = summarise([rec("a", "911 [1]"), rec("a", "911 [2]"), rec("a", "In 911."),
                     rec("a", "x", abstained=True), rec("a", "911 [2]", error="boom"),
                     rec("b", "I don't know based on the provided sources."),
                     {"system": "closed", "qid": "q", "answer": "911", "abstained": False}])
    assert out == {"a": {"answers": 3, "checked": 2, "passed": 1, "uncited": 1, "share": 0.5}}
    assert "| a | 3 | 2 | 0.500 | 1 |" in markdown(out)
