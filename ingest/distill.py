"""Teacher distillation: each kept passage becomes atomic facts, question-answer pairs, a one-line
summary and keywords, every unit tied to its source span.

Which kinds become store units is a setting (``curation.unit_kinds``); the passage itself can be
kept as a unit too. QA questions are kept in ``metadata["qa"]`` of every unit from the passage, so
the augmentation step can attach them to the unit that holds their answer without a second call.

With ``answer_from="source"`` (the curated default) the passage is always kept, under its own
id, as the text the reader is shown, and the teacher's units plus one keywords unit become
retrieval **keys** (``metadata.key``) pointing at it (``metadata.parent``); ingest/key_spans.py
then finds the sentences of the passage each key points at. A paraphrase that drops a detail
then costs a key, never the answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from ingest.steps import Drops, Step
from ingest.role_client import RoleClient
from smallbatch.lang import doc_lang
from smallbatch.prompting import TypedCallError, TypedPrompt
from smallbatch.records import Doc, content_hash


class DistillIn(BaseModel):
    passage: str


class QA(BaseModel):
    question: str
    answer: str


class DistillOut(BaseModel):
    # No length bounds in the schema: vLLM compiles bounded repetition into a large grammar
    # (minutes on a busy CPU); the instruction asks for short lists and units() caps them.
    facts: list[str]
    qa: list[QA]
    summary: str
    keywords: list[str]


DISTILL = TypedPrompt(
    name="distill",
    version="3",
    instruction=(
        "You turn a passage into knowledge units for a reference store. Reply with JSON only.\n"
        "facts: short atomic statements that together keep every piece of information in the "
        "passage, each under 20 words. Each fact stands alone: name the subject instead of "
        "'he', 'it' or 'they'. "
        "Copy names, numbers, dates and terms exactly as the passage writes them. No outside "
        "knowledge, no opinions.\n"
        "qa: up to two different questions the passage answers, each with the shortest "
        "answer copied word for word from the passage.\n"
        "summary: one sentence of at most 20 words.\nkeywords: up to six main names and terms."
    ),
    input_model=DistillIn,
    output_model=DistillOut,
    examples=[(
        DistillIn(passage=(
            "The Rhine Falls near Schaffhausen are the largest plain waterfall in Europe. They "
            "are 150 metres wide and 23 metres high. The falls formed about 15,000 years ago, "
            "during the last ice age, when the Rhine was pushed into a new bed.")),
        DistillOut(
            facts=["The Rhine Falls are near Schaffhausen.",
                   "The Rhine Falls are the largest plain waterfall in Europe.",
                   "The Rhine Falls are 150 metres wide and 23 metres high.",
                   "The Rhine Falls formed about 15,000 years ago, during the last ice age.",
                   "The Rhine Falls formed when the Rhine was pushed into a new bed."],
            qa=[QA(question="How high are the Rhine Falls?", answer="23 metres"),
                QA(question="When did the Rhine Falls form?", answer="about 15,000 years ago")],
            summary="The Rhine Falls near Schaffhausen are Europe's largest plain waterfall.",
            keywords=["Rhine Falls", "Schaffhausen", "waterfall", "ice age"]),
    )],
)

# The same task for a Chinese passage, asked in Chinese, so the teacher writes Chinese units (an
# English instruction makes a small teacher answer in English, and English keys neither match a
# Chinese question in BM25 nor quote the passage's own words).
DISTILL_ZH = TypedPrompt(
    name="distill_zh",
    version="1",
    instruction=(
        "你把一段文字整理成参考资料库的知识单元。只用 JSON 回答，所有内容用中文。\n"
        "facts：简短的原子事实，合起来保留这段文字的全部信息，每条不超过 40 个字。每条事实独立成句："
        "写出主语，不用“它”“他们”。名称、数字、日期和术语按原文照抄。不加外部知识，不加评价。\n"
        "qa：最多两个这段文字能回答的不同问题，答案是从原文逐字照抄的最短片段。\n"
        "summary：一句话概括，不超过 40 个字。\nkeywords：最多六个主要名称和术语。"),
    input_model=DistillIn,
    output_model=DistillOut,
    examples=[(
        DistillIn(passage=("dpkg 是 Debian 的基础软件包工具，负责安装和删除 .deb 软件包。APT 建立在"
                           "dpkg 之上，从 1998 年起随 Debian 2.1 发布，能自动处理依赖关系。")),
        DistillOut(
            facts=["dpkg 是 Debian 的基础软件包工具。", "dpkg 负责安装和删除 .deb 软件包。",
                   "APT 建立在 dpkg 之上。", "APT 从 1998 年起随 Debian 2.1 发布。",
                   "APT 能自动处理依赖关系。"],
            qa=[QA(question="APT 从哪一年起随 Debian 发布？", answer="1998 年"),
                QA(question="哪个工具负责安装和删除 .deb 软件包？", answer="dpkg")],
            summary="dpkg 是 Debian 的基础软件包工具，APT 建立在它之上并处理依赖。",
            keywords=["dpkg", "APT", "Debian", ".deb 软件包", "依赖关系"]),
    )],
)


def prompt_for(passage: Doc) -> TypedPrompt:
    """The Chinese prompt for a Chinese passage, the English one otherwise."""
    return DISTILL_ZH if doc_lang(passage) == "zh" else DISTILL


KINDS = ("passage", "fact", "qa", "summary")
ANSWER_FROM = ("source", "unit")
MAX_FACTS, MAX_QA, MAX_KEYWORDS = 20, 2, 6


class Distill(Step):
    """Passages in, knowledge units out (``kind`` = fact | qa | summary | passage)."""

    name = "distill"

    def __init__(self, teacher: RoleClient, kinds: tuple[str, ...] = ("fact", "qa", "summary"),
                 max_tokens: int = 700, answer_from: str = "unit") -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown or not kinds:
            raise ValueError(f"unit kinds {sorted(unknown) or '(none)'}: choose from {KINDS}")
        if answer_from not in ANSWER_FROM:
            raise ValueError(f"answer_from {answer_from!r}: choose from {ANSWER_FROM}")
        self.teacher, self.kinds, self.max_tokens = teacher, tuple(kinds), max_tokens
        self.answer_from = answer_from
        self.prompt_keys = {DISTILL.key, DISTILL_ZH.key}

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        passages = list(docs)
        outs = self.distil(passages)
        for p, out in zip(passages, outs):
            if isinstance(out, TypedCallError):
                drops.add(self.name, p, "teacher output unusable", detail=out.reason)
                continue
            yield from (self.keys(p, out) if self.answer_from == "source" else self.units(p, out))

    def distil(self, passages: list[Doc]) -> list:
        """The teacher's output per passage, each asked with the prompt of its language."""
        outs: list = [None] * len(passages)
        for prompt in (DISTILL, DISTILL_ZH):
            idx = [i for i, p in enumerate(passages) if prompt_for(p) is prompt]
            if idx:
                got = self.teacher.run(prompt, [DistillIn(passage=passages[i].text) for i in idx],
                                       max_tokens=self.max_tokens, desc=f"{prompt.name}")
                for i, out in zip(idx, got):
                    outs[i] = out
        return outs

    def keys(self, p: Doc, out: DistillOut) -> Iterator[Doc]:
        """The passage as it is (the reader's text), then the units as keys pointing at it."""
        p.metadata.update(kind="passage", parent_text=p.text, key=False)
        p.metadata["qa"] = [{"question": q.question.strip(), "answer": q.answer.strip()}
                            for q in out.qa if q.question.strip() and q.answer.strip()][:MAX_QA]
        yield p
        kinds = tuple(k for k in self.kinds if k != "passage")
        for u in self.units(p, out, kinds):
            u.metadata["key"] = True
            if u.metadata["kind"] == "qa":  # checked by its copied answer (ingest/key_spans.py),
                u.metadata.pop("parent_text")  # not by the grounding step's word overlap
            yield u
        keywords = [k.strip() for k in out.keywords if k.strip()][:MAX_KEYWORDS]
        if keywords:
            text = ", ".join(keywords)
            meta = {k: v for k, v in p.metadata.items()
                    if k not in ("questions", "sentences", "parent_text")}  # no grounding
            meta.update(kind="keywords", key=True, parent=p.id, content_hash=content_hash(text),
                        questions=[])
            yield Doc(id=f"{p.id}#k0", text=text, metadata=meta)

    def units(self, p: Doc, out: DistillOut,
              kinds: tuple[str, ...] | None = None) -> Iterator[Doc]:
        qa = [{"question": q.question.strip(), "answer": q.answer.strip()} for q in out.qa
              if q.question.strip() and q.answer.strip()][:MAX_QA]
        keywords = [k.strip() for k in out.keywords if k.strip()][:MAX_KEYWORDS]

        kinds = self.kinds if kinds is None else kinds

        def unit(kind: str, n: int, text: str, **extra) -> Doc:
            meta = {k: v for k, v in p.metadata.items()
                    if k not in ("questions", "sentences", "key")}
            meta.update(kind=kind, parent=p.id, parent_text=p.text, keywords=keywords,
                        content_hash=content_hash(text), qa=qa, questions=[], **extra)
            return Doc(id=f"{p.id}#{kind[0]}{n}", text=text, metadata=meta)

        if "passage" in kinds:
            yield unit("passage", 0, p.text)
        if "fact" in kinds:
            seen = set()
            for n, fact in enumerate(f.strip() for f in out.facts[:MAX_FACTS]):
                if fact and fact.lower() not in seen:
                    seen.add(fact.lower())
                    yield unit("fact", n, fact)
        if "qa" in kinds:
            for n, item in enumerate(qa):
                yield unit("qa", n, f"{item['question']} {item['answer']}",
                           answer=item["answer"])
        if "summary" in kinds and out.summary.strip():
            yield unit("summary", 0, out.summary.strip())
