from eval.utilisation import markdown, pair, table


def rec(system, qid, f1, **kw):
    return {"system": system, "qid": qid, "f1": f1, "em": float(f1 == 1.0), **kw}


RECORDS = [rec("cb", "q1", 1.0), rec("ctx", "q1", 0.0),   # hurt
           rec("cb", "q2", 0.0), rec("ctx", "q2", 0.6),   # helped
           rec("cb", "q3", 0.5), rec("ctx", "q3", 1.0),   # both right (F1 0.5 counts)
           rec("cb", "q4", 0.2), rec("ctx", "q4", 0.4),   # both wrong
           rec("cb", "q5", 1.0),                          # not answered with context
           rec("cb", "q6", 0.0), {"system": "ctx", "qid": "q6", "error": "boom"},
           {"system": "cb", "qid": "u", "answerable": False, "abstention_correct": 1.0},
           {"system": "ctx", "qid": "u", "answerable": False, "abstention_correct": 0.0}]


def test_four_cells_on_common_answerable_questions():
    assert pair(RECORDS, "cb", "ctx") == {"closed_book": "cb", "system": "ctx", "n": 4,
                                          "helped": 1, "hurt": 1, "both_right": 1,
                                          "both_wrong": 1}


def test_each_context_system_is_paired_with_its_own_models_closed_book():
    systems = {"cb": ("small", True), "ctx": ("small", False), "big": ("large", False)}
    rows = table(RECORDS, systems)
    assert [(r["system"], r["closed_book"]) for r in rows] == [("ctx", "cb")]
    assert "| ctx | cb | 4 | 1 | 1 | 1 | 1 |" in markdown(rows)
    assert markdown([]) == ""
