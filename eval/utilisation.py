"""Context utilisation: does adding retrieved context help or hurt the same model?

Small models are known to lose answers they knew once context is added. For each system with
context, its answers are paired with the same model's closed-book answers on the same
answerable questions and counted in four cells: right closed-book and wrong with context
(hurt), wrong closed-book and right with context (helped), both right, both wrong. "Right" is
F1 >= 0.5 (exact match implies it); unanswerable questions are left out.
"""

from __future__ import annotations

RIGHT_F1 = 0.5
CELLS = ("helped", "hurt", "both_right", "both_wrong")


def is_right(record: dict) -> bool:
    return record.get("f1", 0.0) >= RIGHT_F1 or record.get("em", 0.0) == 1.0


def _scored(records: list[dict], system: str) -> dict[str, dict]:
    return {r["qid"]: r for r in records if r["system"] == system and "error" not in r
            and r.get("answerable", True) and "f1" in r}


def pair(records: list[dict], closed: str, context: str) -> dict:
    """The four cells for one (closed-book, with-context) pair of systems of one model."""
    a, b = _scored(records, closed), _scored(records, context)
    cells = dict.fromkeys(CELLS, 0)
    for qid in set(a) & set(b):
        was, now = is_right(a[qid]), is_right(b[qid])
        key = ("both_right" if now else "hurt") if was else ("helped" if now else "both_wrong")
        cells[key] += 1
    return {"closed_book": closed, "system": context, "n": sum(cells.values()), **cells}


def table(records: list[dict], systems: dict[str, tuple[str, bool]]) -> list[dict]:
    """``systems``: name -> (model label, closed book?). One row per system with context whose
    model also has a closed-book system."""
    closed = {model: name for name, (model, cb) in systems.items() if cb}
    return [pair(records, closed[model], name) for name, (model, cb) in systems.items()
            if not cb and model in closed]


def markdown(rows: list[dict]) -> str:
    if not rows:
        return ""
    head = ("| system | vs closed-book | n | helped (wrong→right) | hurt (right→wrong) "
            "| both right | both wrong |\n|---|---|---|---|---|---|---|")
    lines = [f"| {r['system']} | {r['closed_book']} | {r['n']} | {r['helped']} | {r['hurt']} "
             f"| {r['both_right']} | {r['both_wrong']} |" for r in rows]
    return (f"Context utilisation (right = F1 ≥ {RIGHT_F1}, answerable questions, same model "
            "closed-book vs with context):\n\n" + "\n".join([head, *lines]) + "\n")
