"""A teacher-generated testset for corpora without gold QA.

A seeded fraction of the documents is held apart (the split is written down by source id); the
teacher writes up to three items (question + short answer + supporting quote) per held-apart
passage through a typed, versioned prompt. An item is kept only when the quote occurs in the
document and the answer occurs in the quote; every rejected item is counted with its reason. The
output is JSONL that ``eval.questions.load_questions`` reads (question, answers, source_ids).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sys
import time
from collections import Counter, deque
from pathlib import Path

from pydantic import BaseModel, Field
from tqdm import tqdm

from eval.scoring import normalize_answer
from eval.zh import is_chinese, remove_punctuation
from smallbatch.prompting import TypedCallError, TypedPrompt, call_typed
from smallbatch.lang import doc_lang
from smallbatch.records import Doc
from smallbatch.text import HAN, han_count


class Passage(BaseModel):
    document_id: str
    text: str
    avoid_questions: list[str] = Field(default_factory=list,
                                       description="already asked about this document")


class QAItem(BaseModel):
    question: str = Field(description="a question a reader of the passage can answer")
    answer: str = Field(description="the shortest phrase from the passage that answers it")
    quote: str = Field(description="the sentence of the passage, copied exactly, with the answer")


ITEMS_PER_CALL = 3


class QAItems(BaseModel):
    """Several items per call: the passage (most of a call's cost on a CPU: its prefill) is read
    once for up to ``ITEMS_PER_CALL`` questions."""
    items: list[QAItem] = Field(min_length=1, max_length=ITEMS_PER_CALL)


PROMPT = TypedPrompt(
    name="testset_qa", version="2",
    instruction=("You write reading-comprehension test items. Given a passage, write up to 3 items, "
                 "each about a different sentence: a factual question that the passage answers "
                 "and that makes sense without seeing the passage (name the subject; no "
                 "'according to the passage'). The answer is the shortest exact phrase copied "
                 "from the passage (a name, number, date or short noun phrase, at most 8 words). "
                 "The quote is one sentence copied exactly from the passage that contains the "
                 "answer. Ask about different facts than the questions in avoid_questions. "
                 "Reply with JSON only."),
    input_model=Passage, output_model=QAItems,
    examples=[(Passage(document_id="Amazon/0", text=(
        "The Amazon rainforest covers much of the Amazon basin of South America. The basin "
        "encompasses seven million square kilometres, of which five and a half million are "
        "covered by the rainforest.")),
        QAItems(items=[
            QAItem(question="How many square kilometres does the Amazon basin encompass?",
                   answer="seven million",
                   quote=("The basin encompasses seven million square kilometres, of which five "
                          "and a half million are covered by the rainforest.")),
            QAItem(question="Which continent's basin does the Amazon rainforest cover much of?",
                   answer="South America",
                   quote=("The Amazon rainforest covers much of the Amazon basin of South "
                          "America."))]))],
)
# The same task for Chinese documents, asked in Chinese: a question in the document's language,
# an answer copied from it. Example: Debian handbook zh-CN, chapter 5 (GPL-2+ / CC-BY-SA-3.0).
PROMPT_ZH = TypedPrompt(
    name="testset_qa_zh", version="2",
    instruction=("你为阅读理解测试出题。给定一段中文文字，写最多 3 道题，每道题问不同的句子：一个这段文字能回答的"
                 "事实性问题，问题要用中文，不看原文也能看懂（写明主语，不要说“根据这段文字”）。答案是从原文中"
                 "原样复制的最短片段（名称、数字、日期或短语，不超过 20 个字）。quote 是从原文中原样复制的、"
                 "包含答案的一句话。问的事实要和 avoid_questions 里的问题不同。只回复 JSON。"),
    input_model=Passage, output_model=QAItems,
    examples=[(Passage(document_id="packaging-system", text=(
        "dpkg 是处理 .deb 文件（二进制包）的命令，包括提取、分析和解包。APT （“Advanced Packaging "
        "Tool”的缩写）是一组允许对系统进行高层定制的程序。")),
        QAItems(items=[
            QAItem(question="在 Debian 中，哪个命令用来提取、分析和解包 .deb 文件？", answer="dpkg",
                   quote="dpkg 是处理 .deb 文件（二进制包）的命令，包括提取、分析和解包。"),
            QAItem(question="APT 是哪个英文名称的缩写？", answer="Advanced Packaging Tool",
                   quote="APT （“Advanced Packaging Tool”的缩写）是一组允许对系统进行高层定制的程序。")]))],
)
MAX_ANSWER_WORDS = 12
MAX_ANSWER_HAN = 20  # a Chinese answer is measured in characters
PASSAGE_CHARS = 1500
# a Han character is most of a token, and a Chinese page has few paragraphs: 400 of them keep the
# prompt short (its prefill is most of a call's time on a CPU) and give each page more windows,
# each read first at temperature 0
ZH_PASSAGE_CHARS = 400
# replies of the one-item prompts (version 1) that a journal holds are still the teacher's items
_V1_KEYS = {"testset_qa@1", "testset_qa_zh@1"}
# the questions already asked about a document that a later pass is shown: the latest ones (a
# long list grows every prompt's prefill; older questions were about passages seen long ago)
AVOID_LAST = 12
LOOKAHEAD = 4  # attempts started ahead of the oldest unfinished one, per concurrent call
RETRY_TEMPERATURE = 0.8  # later passes over a document sample, or they repeat the first item


def split(docs: list[Doc], fraction: float, seed: int) -> tuple[list[Doc], list[Doc]]:
    """(held apart, rest): a seeded ``fraction`` of the documents, at least one."""
    if not 0 < fraction <= 1:
        raise ValueError(f"holdout fraction must be in (0, 1], got {fraction}")
    order = sorted(docs, key=lambda d: d.id)
    random.Random(seed).shuffle(order)
    k = max(1, round(len(order) * fraction))
    return order[:k], order[k:]


def windows(text: str, max_chars: int = PASSAGE_CHARS, han_only: bool = False) -> list[str]:
    """The document as windows of whole paragraphs of at most ``max_chars``. ``han_only``: only
    the paragraphs with Chinese characters (a partly translated page's English paragraphs and
    code lines make English or untranslatable items), unless none has any."""
    paras = [p.strip() for p in text.split("\n") if p.strip()]
    if han_only and any(HAN.search(p) for p in paras):
        paras = [p for p in paras if HAN.search(p)]
    out, cur = [], ""
    for para in paras:
        if cur and len(cur) + len(para) + 1 > max_chars:
            out.append(cur)
            cur = ""
        cur = f"{cur}\n{para}" if cur else para[:max_chars]
    if cur:
        out.append(cur)
    return out


def passage(text: str, index: int, max_chars: int = PASSAGE_CHARS, han_only: bool = False) -> str:
    """The ``index``-th window (cycling), or "" for an empty document."""
    wins = windows(text, max_chars, han_only)
    return wins[index % len(wins)] if wins else ""


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def prompt_for(doc: Doc) -> TypedPrompt:
    """The Chinese prompt for a Chinese document, the English one otherwise."""
    return PROMPT_ZH if doc_lang(doc) == "zh" else PROMPT


def check(item: QAItem, document: str) -> str | None:
    """Why the item is rejected, or None to keep it."""
    if not item.question.strip() or not item.answer.strip() or not item.quote.strip():
        return "empty question, answer or quote"
    if is_chinese(item.answer, item.quote):
        return _check_zh(item, document)
    if _flat(item.quote) not in _flat(document):
        return "quote not in document"
    if f" {normalize_answer(item.answer)} " not in f" {normalize_answer(item.quote)} ":
        return "answer not in quote"
    if len(item.answer.split()) > MAX_ANSWER_WORDS:
        return f"answer longer than {MAX_ANSWER_WORDS} words"
    if normalize_answer(item.answer) in normalize_answer(item.question):
        return "answer given away in the question"
    return None


def _check_zh(item: QAItem, document: str) -> str | None:
    """``check`` for Chinese: no word boundaries, so containment is on the text without
    punctuation and white space (the 1.5B swaps full- and half-width punctuation when it
    copies a sentence)."""
    if remove_punctuation(item.quote) not in remove_punctuation(document):
        return "quote not in document"
    answer = remove_punctuation(item.answer)
    if not answer or answer not in remove_punctuation(item.quote):
        return "answer not in quote"
    if han_count(item.answer) > MAX_ANSWER_HAN:
        return f"answer longer than {MAX_ANSWER_HAN} characters"
    if answer in remove_punctuation(item.question):
        return "answer given away in the question"
    return None


class _Attempts:
    """What the concurrent attempts share: the accepted items, the rejects with their reasons,
    the (question, answer) keys already taken and the questions already asked per document."""

    def __init__(self, client, model: str, n: int, sem: asyncio.Semaphore, bar: tqdm,
                 journal: Path | None = None, replay_only: bool = False):
        self.client, self.model, self.n, self.sem, self.bar = client, model, n, sem, bar
        self.journal = journal  # every teacher reply, appended as it comes: a rerun replays it
        self.replay = _read_journal(journal, model)
        self.items: list[dict] = []
        self.rejects: list[dict] = []
        self.seen: set = set()
        self.usage: dict = {}
        self.asked: dict[str, list[str]] = {}  # document id -> questions the teacher wrote
        self.surplus = 0  # good items whose reply came in after n were kept (journaled, unused)
        self.closed = False  # n reached: ask no more
        self.ask_teacher = not replay_only

    async def one(self, doc: Doc, p: int) -> tuple[Doc, list[QAItem]] | None:
        """Pass ``p`` over ``doc``: the teacher's items about its ``p``-th passage (asked, or
        replayed from the journal), or None. ``keep`` checks and keeps them: in the order of the
        attempts, not of the replies, so a resumed run keeps the very same items."""
        wins, text, row = self.replayed(doc, p)
        if not text:
            self.rejects.append({"source_id": doc.id, "reason": "empty document"})
            return None
        if row is None:
            if not self.ask_teacher:
                return None  # replay only: an attempt the journal lacks is not made
            async with self.sem:
                if self.closed:
                    return None
                # a first look at a window is read greedily; only a window seen before is sampled
                # (at 0.8 the 1.5B misquoted 3 times as often: 25 % of items kept vs 62 %)
                row = await self.ask(doc, p, text, 0.0 if p < len(wins) else RETRY_TEMPERATURE)
            self.record(row)
        if "error" in row:
            kind = row["error"].split(" at ")[0].split(" (after")[0]  # countable category
            self.rejects.append({"source_id": doc.id, "reason": f"teacher output: {kind}",
                                 "detail": row["error"]})
            return None
        items = [QAItem(**i) for i in row.get("items") or [row["item"]]]
        self.asked.setdefault(doc.id, []).extend(i.question for i in items)  # later passes: at once
        return doc, items

    def replayed(self, doc: Doc, p: int) -> tuple[list[str], str, dict | None]:
        """Pass ``p`` over ``doc``: the document's windows, this pass's window and the journal's
        row for it (None: the teacher has to be asked)."""
        zh = prompt_for(doc) is PROMPT_ZH
        wins = windows(doc.text, ZH_PASSAGE_CHARS if zh else PASSAGE_CHARS, han_only=zh)
        text = wins[p % len(wins)] if wins else ""
        row = self.replay.get((doc.id, p))
        if row is not None and row.get("window", _sha(text)) != _sha(text):
            row = None  # recorded for another window (the windowing changed): ask again
        return wins, text, row

    def needs_teacher(self, doc: Doc, p: int) -> bool:
        _, text, row = self.replayed(doc, p)
        return bool(text) and row is None and self.ask_teacher

    async def ask(self, doc: Doc, p: int, text: str, temperature: float) -> dict:
        """One teacher call: the journal row of its items, or of its error."""
        base = {"source_id": doc.id, "pass": p, "model": self.model, "prompt": prompt_for(doc).key,
                "window": _sha(text)}
        try:
            inp = Passage(document_id=doc.id, text=text,
                          avoid_questions=self.asked.get(doc.id, [])[-AVOID_LAST:])
            got = await call_typed(self.client, self.model, prompt_for(doc), inp,
                                   max_tokens=150 * ITEMS_PER_CALL, usage=self.usage, retries=1,
                                   temperature=temperature)
        except TypedCallError as e:
            return {**base, "error": e.reason}
        return {**base, "items": [i.model_dump() for i in got.items]}

    def record(self, row: dict) -> None:
        if self.journal is not None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with self.journal.open("a") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")

    def keep(self, doc: Doc, item: QAItem) -> None:
        """Accept the item, or reject it with the reason (failed check, duplicate)."""
        reason = check(item, doc.text)
        if reason is None and prompt_for(doc) is PROMPT_ZH and not HAN.search(item.question):
            reason = "question not in Chinese"  # asked of an untranslated paragraph, in English
        keys = {normalize_answer(item.question), (doc.id, normalize_answer(item.answer))}
        if reason is None and keys & self.seen:  # same question, or same answer, same document
            reason = "duplicate question"
        if reason:
            self.rejects.append({"source_id": doc.id, "reason": reason, **item.model_dump()})
        elif len(self.items) >= self.n:
            self.surplus += 1
        else:
            self.seen.update(keys)
            prompt = prompt_for(doc)
            self.items.append({"id": f"{prompt.name}-{len(self.items) + 1}",
                               "question": item.question, "answers": [item.answer],
                               "source_ids": [doc.id], "quote": item.quote, "answerable": True,
                               "generator": prompt.key, "model": self.model,
                               "lang": "zh" if prompt is PROMPT_ZH else "en"})
            self.bar.update(1)


def _keep_all(run: "_Attempts", got: tuple[Doc, list[QAItem]] | None) -> None:
    if got is not None:
        for item in got[1]:
            run.keep(got[0], item)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_journal(path: Path | None, model: str) -> dict[tuple[str, int], dict]:
    """(source id, pass) -> the teacher's reply recorded by an earlier run with this model and
    the current prompts (a changed prompt version asks again)."""
    if path is None or not path.exists():
        return {}
    keys = {PROMPT.key, PROMPT_ZH.key} | _V1_KEYS
    rows = (json.loads(l) for l in path.read_text().splitlines() if l.strip())
    return {(r["source_id"], r["pass"]): r for r in rows
            if r.get("model") == model and r.get("prompt") in keys}


async def generate(docs: list[Doc], client, model: str, n: int, fraction: float = 0.2,
                   seed: int = 13, concurrency: int = 2, passes: int = 3,
                   journal: Path | None = None, lang: str | None = None,
                   replay_only: bool = False) -> tuple[list[dict], dict]:
    """Up to ``n`` accepted items from the held-apart documents (up to ``passes`` attempts per
    document, each on its next passage and told the questions already asked) and the metadata:
    split, counts, reasons, timings. ``journal``: the teacher's replies are appended there as
    they come, and a rerun replays them instead of asking again (an interrupted run resumes).
    ``lang``: only the held-apart documents in this language are asked (a Chinese testset from a
    partly translated corpus skips its untranslated pages). ``replay_only``: the journal's items
    only, no teacher call (finish a run that was stopped before n)."""
    held, rest = split(docs, fraction, seed)
    if lang:
        held = [d for d in held if doc_lang(d) == lang]
    todo = [(d, p) for p in range(passes) for d in held]  # pass-major: every document once first
    sem = asyncio.Semaphore(concurrency)
    t0 = time.perf_counter()
    bar = tqdm(total=n, desc=f"testset ({model})", unit="item", file=sys.stderr)
    run = _Attempts(client, model, n, sem, bar, journal, replay_only)
    # a sliding window of attempts, kept in attempt order as they finish: a slow reply holds
    # back the keeping, not the asking (waves of 2 x concurrency left the server idle behind one)
    # An attempt the journal lacks starts only once the replayed attempts before it are kept: a
    # rerun of a finished run reaches n on its replays and asks nothing (the first run never
    # asked the attempts that were still waiting for a slot when it reached n).
    pending: deque[tuple[asyncio.Task, bool]] = deque()
    queue = iter(todo)
    nxt = next(queue, None)
    while True:
        while nxt and len(pending) < LOOKAHEAD * concurrency:
            asks = run.needs_teacher(*nxt)
            if asks and any(not a for _, a in pending):
                break
            pending.append((asyncio.create_task(run.one(*nxt)), asks))
            nxt = next(queue, None)
        if not pending or len(run.items) >= n:
            break
        _keep_all(run, await pending.popleft()[0])
    run.closed = True  # the attempts not yet asked are dropped; those in flight are counted
    for got in await asyncio.gather(*(t for t, _ in pending)):
        _keep_all(run, got)
    bar.close()
    took = time.perf_counter() - t0
    return run.items, _meta(run, docs, held, rest, seed, fraction, took)


def _meta(run: _Attempts, docs: list[Doc], held: list[Doc], rest: list[Doc], seed: int,
          fraction: float, took: float) -> dict:
    """The testset's metadata: split, counts, reasons, teacher usage, timings."""
    items, rejects = run.items, run.rejects
    attempts = len(items) + len(rejects) + run.surplus
    return {"prompt": PROMPT.key, "prompt_zh": PROMPT_ZH.key, "model": run.model, "seed": seed,
            "holdout_fraction": fraction,
            "holdout_source_ids": sorted(d.id for d in held),
            "rest_source_ids": sorted(d.id for d in rest),
            "counts": {"documents": len(docs), "held_apart": len(held), "attempts": attempts,
                       "accepted": len(items), "rejected": len(rejects),
                       "surplus": run.surplus},
            "reject_reasons": dict(Counter(r["reason"] for r in rejects)),
            "rejects": rejects, "teacher_usage": run.usage, "seconds": round(took, 1),
            "seconds_per_attempt": round(took / attempts, 2) if attempts else None,
            "seconds_per_accepted_item": round(took / len(items), 2) if items else None}


def write(out: Path, items: list[dict], meta: dict) -> Path:
    """``out`` (JSONL items) and ``<out stem>.meta.json`` (split, counts, rejects)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    meta_path = out.with_suffix(".meta.json")
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return meta_path
