"""An answer's claims checked against their sources, with the judge deciding the unsure ones.

The outcome keeps the supported claims (an uncited one now cites the source that supports it)
and names every failed claim with the source it failed against, for ``smallbatch.unsupported``.
When the judge is not configured, or fails, the ``unsure`` policy decides ("keep" or "drop");
a judge failure is reported in the notes, never swallowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.claims import split_claims
from rag.entail import Entailer
from rag.support import Checked, Source, Verdict, check_cited
from smallbatch.prompting import TypedCallError

UNSURE_POLICIES = ("keep", "drop")


@dataclass(slots=True)
class Support:
    checked: list[Checked]
    notes: list[str] = field(default_factory=list)

    @property
    def kept(self) -> list[Checked]:
        return [c for c in self.checked if c.verdict.status == "supported"]

    @property
    def failed(self) -> list[Checked]:
        return [c for c in self.checked if c.verdict.status != "supported"]

    def text(self) -> str:
        """The answer made of its supported claims, markers as written (uncited ones get the
        source that supports them)."""
        parts = [c.claim.raw if c.method == "marker" else _cite(c.claim.raw, c.source)
                 for c in self.kept]
        return " ".join(parts).strip()

    def written(self) -> str:
        """The supported claims as the model wrote them (its own markers only)."""
        return " ".join(c.claim.raw for c in self.kept)

    def reasons(self) -> list[str]:
        return [c.note() for c in self.failed] + self.notes


def _cite(raw: str, n: int | None) -> str:
    """``raw`` with `` [n]`` before its closing punctuation."""
    body = raw.rstrip(".!?。！？ ")
    return f"{body} [{n}]{raw[len(body):].strip()}"


async def _judge(unsure: list[Checked], sources: list[Source], judge: Entailer | None,
                 policy: str) -> list[str]:
    """Settle the unsure verdicts in place; returns notes (judge failures)."""
    notes: list[str] = []
    verdicts: list[bool] | None = None
    if judge is not None and unsure:
        try:
            verdicts = await judge.judge([(c.claim.text, sources[c.source - 1].text)
                                          for c in unsure])
        except TypedCallError as exc:
            notes.append(f"judge failed ({exc.reason}); unsure claims: {policy}")
    for i, c in enumerate(unsure):
        ok = verdicts[i] if verdicts is not None else policy == "keep"
        how = "judge" if verdicts is not None else f"unsure, policy {policy}"
        c.verdict = Verdict("supported" if ok else "unsupported", f"{c.verdict.reason} ({how})")
    return notes


async def check_answer(answer: str, question: str, texts: list[str],
                       judge: Entailer | None = None, unsure: str = "keep") -> Support:
    if unsure not in UNSURE_POLICIES:
        raise ValueError(f"unsure={unsure!r}; choose one of {', '.join(UNSURE_POLICIES)}")
    sources = [Source.of(t) for t in texts]
    checked = [check_cited(c, question, sources) for c in split_claims(answer)]
    pending = [c for c in checked if c.verdict.status == "unsure" and c.source]
    notes = await _judge(pending, sources, judge, unsure)
    return Support(checked, notes)
