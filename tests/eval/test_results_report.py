"""The summary and report: store size and snapshot id per system, abstention on answerable vs
unanswerable questions, the four plots, settings and git commit."""

import json

from eval.plots import params_billions
from eval.results_report import write_report
from eval.systems import System
from smallbatch.llm import Endpoint
from tests.eval.test_questions import snapshot


def _rec(system, qid, answerable=True, abstained=False, **kw):
    return {"system": system, "qid": qid, "answerable": answerable, "abstained": abstained,
            "total_s": 2.0, "ttft_s": 0.5, "usage": {"prompt_tokens": 100, "completion_tokens": 4},
            **kw}


def test_summary_reports_store_abstention_and_plots(tmp_path):
    snap = snapshot(tmp_path / "snap", [("a", {"source_id": "A/0"})] * 3, sid="S1", kb="curated")
    ep = Endpoint("x", "http://127.0.0.1:9/v1", "m", "x", 5, 0)
    systems = [System("small+curated", ep, "small (m)", snap, 1, "0.5B"),
               System("large closed-book", ep, "large (m)", None, None, "1.5B")]
    recs = [_rec("small+curated", "q1", f1=1.0, em=1.0, citation_correct=1.0, recall_at_5=1.0),
            _rec("small+curated", "q2", abstained=True, f1=0.0, em=0.0),
            _rec("small+curated", "u1", answerable=False, abstained=True, abstention_correct=1.0),
            _rec("small+curated", "u2", answerable=False, abstention_correct=0.0),
            _rec("large closed-book", "q1", f1=0.5, em=0.0),
            {"system": "large closed-book", "qid": "q2", "answerable": True, "error": "boom"}]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    doc = write_report(path, systems, {"n": 2, "systems": {"small+curated": {"base_url": "u"}}})
    cur, big = doc["systems"]["small+curated"], doc["systems"]["large closed-book"]
    assert (cur["snapshot"], cur["kb"], cur["store_units"], cur["store_tokens"]) == (
        "S1", "curated", 3, 123)
    assert cur["n"] == 4 and cur["n_unanswerable"] == 2
    assert cur["abstention"] == 0.5  # of the answerable questions
    assert cur["abstention_correct"] == 0.5 and cur["abstention_correct_n"] == 2
    assert cur["f1_ci"][0] <= cur["f1"] <= cur["f1_ci"][1] and cur["citation_accuracy"] == 1.0
    assert big["errors"] == 1 and big["store_tokens"] is None and big["abstention_correct"] is None
    assert doc["git_commit"]
    md = (tmp_path / "summary.md").read_text()
    assert "| small+curated | small (m) | 0.5B | u | curated | S1 | 3 | 123 | 1 |" in md
    assert "0.500 (0.000–1.000) of 2" in md
    html = (tmp_path / "report.html").read_text()
    assert html.count("<img") == 4 and doc["git_commit"] in html and "S1" in html
    for f in ("f1_by_system", "f1_vs_store_size", "f1_vs_model_size", "latency"):
        assert (tmp_path / f"{f}.png").stat().st_size > 1000


def test_params_parse():
    assert params_billions("0.5B") == 0.5 and params_billions("70b") == 70.0
    assert params_billions("350M") == 0.35 and params_billions(None) is None
