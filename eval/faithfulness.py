"""The deterministic citation check: are an answer's cited numbers and names in the cited
source? Costs no model call, so it runs on every answer of every system.

An answer passes when every claim's numbers and proper names (rag/claims.py) are in the union of
the sources it cites. Claims with no valid ``[n]`` cannot be checked against a cited source: an
answer with only such claims counts as ``uncited`` (reported apart, not as a pass or a fail).
Abstentions and withdrawn answers say nothing and are not counted.
"""

from __future__ import annotations

from rag.citations import is_abstention
from rag.claims import split_claims
from rag.support import Source, matches

WITHDRAWN_MARK = "\n\n(Withdrawn"  # a streamed answer that was withdrawn ends with this note


def citation_check(answer: str, sources: list[str]) -> bool | None:
    """True: every cited claim's facts are in its cited sources; False: some is not; None: the
    answer cites nothing it can be checked against."""
    checked = None
    for claim in split_claims(answer.split(WITHDRAWN_MARK)[0]):
        valid = [n for n in claim.cites if 1 <= n <= len(sources)]
        if not valid:
            continue
        src = Source.of("\n".join(sources[n - 1] for n in valid))
        ok = all(n in src.numbers for n in claim.numbers) and all(
            matches(n, src.words) for n in claim.names)
        checked = ok if checked is None else (checked and ok)
    return checked


def summarise(records: list[dict]) -> dict:
    """Per system: answers checked, share passing, uncited answers."""
    out: dict[str, dict] = {}
    for r in records:
        if "error" in r or not r.get("context_text") or r.get("abstained") \
                or is_abstention(r.get("answer", "")):
            continue
        e = out.setdefault(r["system"], {"answers": 0, "checked": 0, "passed": 0, "uncited": 0})
        e["answers"] += 1
        verdict = citation_check(r["answer"], r["context_text"])
        if verdict is None:
            e["uncited"] += 1
        else:
            e["checked"] += 1
            e["passed"] += int(verdict)
    for e in out.values():
        e["share"] = round(e["passed"] / e["checked"], 4) if e["checked"] else None
    return out


def markdown(per_system: dict) -> str:
    if not per_system:
        return ""
    rows = [f"| {name} | {e['answers']} | {e['checked']} | "
            f"{'–' if e['share'] is None else format(e['share'], '.3f')} | {e['uncited']} |"
            for name, e in per_system.items()]
    return ("Citation check (no model call: cited numbers and names are in the cited source; "
            "answers that were not abstentions):\n\n| system | answers | checked | passed share "
            "| uncited |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n")


def _measures(ragas_rows: list[dict], records: list[dict]) -> dict[str, dict[tuple, float]]:
    """(system, qid) -> value, per measure: each judge metric's scored verdicts, and the
    citation check as 1/0 on the answers it could check."""
    out: dict[str, dict[tuple, float]] = {}
    for r in ragas_rows:
        if r["status"] == "scored" and r["metric"] in ("faithfulness", "faithfulness_one_call"):
            out.setdefault(r["metric"], {})[(r["system"], r["qid"])] = float(r["value"])
    for r in records:
        if "error" in r or not r.get("context_text") or r.get("abstained"):
            continue
        verdict = citation_check(r["answer"], r["context_text"])
        if verdict is not None:
            out.setdefault("citation check", {})[(r["system"], r["qid"])] = float(verdict)
    return out


def agreement(ragas_rows: list[dict], records: list[dict]) -> list[dict]:
    """How the cheaper measures agree with a costlier one on the answers both scored: ragas'
    faithfulness as the reference for the one-call judge and the citation check, and the
    one-call judge as the reference for the citation check. ``agree`` = both call the answer
    faithful (value >= 0.5) or both do not; ``mae`` = mean absolute difference."""
    m = _measures(ragas_rows, records)
    out = []
    for ref, cand in (("faithfulness", "faithfulness_one_call"),
                      ("faithfulness", "citation check"),
                      ("faithfulness_one_call", "citation check")):
        keys = sorted(set(m.get(ref, {})) & set(m.get(cand, {})))
        if not keys:
            continue
        a, b = [m[ref][k] for k in keys], [m[cand][k] for k in keys]
        out.append({"reference": ref, "measure": cand, "n": len(keys),
                    "agree": round(sum((x >= 0.5) == (y >= 0.5) for x, y in zip(a, b))
                                   / len(keys), 4),
                    "mae": round(sum(abs(x - y) for x, y in zip(a, b)) / len(keys), 4),
                    "reference_mean": round(sum(a) / len(a), 4),
                    "measure_mean": round(sum(b) / len(b), 4)})
    return out


def agreement_markdown(rows: list[dict]) -> str:
    if not rows:
        return ""
    lines = ["Faithfulness measures against each other (answers both scored; agree = both call "
             "it faithful, value >= 0.5, or both do not):", "",
             "| reference | measure | answers | agree | mean abs. difference | reference mean "
             "| measure mean |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['reference']} | {r['measure']} | {r['n']} | {r['agree']:.3f} | "
              f"{r['mae']:.3f} | {r['reference_mean']:.3f} | {r['measure_mean']:.3f} |"
              for r in rows]
    return "\n".join(lines) + "\n"
