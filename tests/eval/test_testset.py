"""The teacher-generated testset with a fake teacher: split, checks, rejects with reasons, and
output the questions loader reads."""

import asyncio
import json
import time

from openai.types.chat import ChatCompletion

from eval.questions import load_questions
from eval.testset import LOOKAHEAD, QAItem, check, generate, passage, split, write
from smallbatch.records import Doc

DOCS = [Doc(f"doc{i}", f"Intro line {i}.\nThe river Zed{i} is 40{i} km long. It flows north.", {})
        for i in range(10)]


class Teacher:
    """Answers from the passage it is shown; ``mode`` picks a good or a faulty item."""

    def __init__(self, modes):
        self.modes, self.calls, self.avoid, self.temperatures = modes, 0, [], []
        self.chat = type("Chat", (), {"completions": self})()

    async def create(self, *, model, messages, **kw):
        self.calls += 1
        doc = json.loads(messages[-1]["content"])
        self.avoid.append(doc["avoid_questions"])
        self.temperatures.append(kw["temperature"])
        i = int(doc["document_id"][3:])
        item = {"question": f"How long is the river Zed{i}?", "answer": f"40{i} km",
                "quote": f"The river Zed{i} is 40{i} km long."}
        mode = self.modes.get(doc["document_id"], "good")
        if mode == "bad_quote":
            item["quote"] = "A sentence that is nowhere in the document, 401 km."
        elif mode == "bad_answer":
            item["answer"] = "900 km"
        content = "{oops" if mode == "malformed" else json.dumps({"items": [item]})
        return ChatCompletion.model_validate({
            "id": "x", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}})


def test_split_is_seeded_and_disjoint():
    held, rest = split(DOCS, 0.3, 7)
    assert len(held) == 3 and not {d.id for d in held} & {d.id for d in rest}
    assert [d.id for d in held] == [d.id for d in split(list(reversed(DOCS)), 0.3, 7)[0]]
    assert [d.id for d in held] != [d.id for d in split(DOCS, 0.3, 8)[0]]


def test_checks_reject_with_reasons():
    doc = "The river Zed is 400 km long. It flows north."
    ok = QAItem(question="How long is the Zed?", answer="400 km", quote="the river Zed is 400 km long.")
    assert check(ok, doc) is None
    assert check(ok.model_copy(update={"quote": "The Zed is long."}), doc) == "quote not in document"
    assert check(ok.model_copy(update={"answer": "north"}), doc) == "answer not in quote"
    assert check(ok.model_copy(update={"question": "Is the Zed 400 km long?"}), doc) == \
        "answer given away in the question"


def test_a_chinese_passage_leaves_out_untranslated_paragraphs_and_code():
    text = "APT 是高级软件包工具。\nThe untranslated paragraph.\napt-get install foo\n使用 dpkg 安装。"
    assert passage(text, 0, han_only=True) == "APT 是高级软件包工具。\n使用 dpkg 安装。"
    assert "untranslated" in passage(text, 0)
    assert passage("Only English here.", 0, han_only=True) == "Only English here."


def test_passage_windows_cycle_over_paragraphs():
    text = "\n".join(f"Paragraph {i} " + "x" * 50 for i in range(6))
    assert passage(text, 0, max_chars=130).startswith("Paragraph 0")
    assert passage(text, 1, max_chars=130).startswith("Paragraph 2")
    assert passage(text, 3, max_chars=130) == passage(text, 0, max_chars=130)


def test_generate_counts_rejects_and_writes_loadable_jsonl(tmp_path):
    held, _ = split(DOCS, 0.5, 13)
    modes = {held[0].id: "bad_quote", held[1].id: "bad_answer", held[2].id: "malformed"}
    teacher = Teacher(modes)
    items, meta = asyncio.run(generate(DOCS, teacher, "teacher-m", n=10, fraction=0.5, seed=13,
                                       passes=1))
    assert meta["holdout_source_ids"] == sorted(d.id for d in held)
    assert len(items) == 2 and {i["source_ids"][0] for i in items} == {held[3].id, held[4].id}
    assert meta["reject_reasons"] == {"quote not in document": 1, "answer not in quote": 1,
                                      "teacher output: invalid JSON": 1}
    assert meta["counts"]["attempts"] == 5 and meta["teacher_usage"]["calls"] == 6  # 1 retry
    meta_path = write(tmp_path / "testset.jsonl", items, meta)
    qs = load_questions(tmp_path / "testset.jsonl")
    assert [q.answers for q in qs] == [i["answers"] for i in items]
    assert qs[0].source_ids == items[0]["source_ids"] and qs[0].answerable
    assert json.loads(meta_path.read_text())["counts"]["rejected"] == 3


def test_generate_stops_at_n():
    teacher = Teacher({})
    items, meta = asyncio.run(generate(DOCS, teacher, "m", n=2, fraction=1.0, concurrency=1))
    assert len(items) == 2 and teacher.calls <= LOOKAHEAD  # no more started than the window holds
    assert meta["counts"]["attempts"] == teacher.calls


class SlowTeacher(Teacher):
    async def create(self, **kw):
        await asyncio.sleep(0.01)  # the replies overlap, as a real server's do
        return await super().create(**kw)


def test_replies_that_arrive_after_n_are_counted_as_surplus():
    teacher = SlowTeacher({})  # 4 calls in flight at once, every item good: 2 kept, 2 surplus
    items, meta = asyncio.run(generate(DOCS, teacher, "m", n=2, fraction=1.0, concurrency=4))
    c = meta["counts"]
    assert len(items) == 2 and c["surplus"] == teacher.calls - 2 > 0
    assert c["attempts"] == c["accepted"] + c["rejected"] + c["surplus"] == teacher.calls


def test_later_passes_tell_the_teacher_what_was_already_asked():
    teacher = Teacher({})
    items, meta = asyncio.run(generate(DOCS[:1], teacher, "m", n=5, fraction=1.0, passes=2,
                                       concurrency=1))
    assert len(items) == 1 and meta["reject_reasons"] == {"duplicate question": 1}
    assert teacher.avoid == [[], ["How long is the river Zed0?"]]
    assert teacher.temperatures == [0.0, 0.8]


def test_same_answer_from_the_same_document_is_a_duplicate():
    class Rephrasing(Teacher):
        async def create(self, *, model, messages, **kw):
            resp = await super().create(model=model, messages=messages, **kw)
            if self.calls > 1:  # the same fact, asked in other words
                reply = json.loads(resp.choices[0].message.content)
                reply["items"][0]["question"] = "What is the length of the river Zed0?"
                resp.choices[0].message.content = json.dumps(reply)
            return resp

    items, meta = asyncio.run(generate(DOCS[:1], Rephrasing({}), "m", n=5, fraction=1.0,
                                       passes=2, concurrency=1))
    assert len(items) == 1 and meta["reject_reasons"] == {"duplicate question": 1}


def test_an_interrupted_run_resumes_from_its_journal_without_asking_again(tmp_path):
    journal = tmp_path / "t.teacher.jsonl"
    held, _ = split(DOCS, 0.5, 13)
    first = Teacher({held[2].id: "malformed"})
    items, meta = asyncio.run(generate(DOCS, first, "m", n=10, fraction=0.5, seed=13, passes=1,
                                       journal=journal))
    assert len(journal.read_text().splitlines()) == 5 and first.calls == 6
    again = Teacher({})  # would answer held[2] well: the journal's error is replayed instead
    items2, meta2 = asyncio.run(generate(DOCS, again, "m", n=10, fraction=0.5, seed=13,
                                         passes=1, journal=journal))
    assert again.calls == 0 and items2 == items
    assert meta2["reject_reasons"] == meta["reject_reasons"] == {"teacher output: invalid JSON": 1}
    more = Teacher({})  # a second pass is new work: only it is asked
    items3, _ = asyncio.run(generate(DOCS, more, "m", n=10, fraction=0.5, seed=13, passes=2,
                                     journal=journal))
    assert more.calls == 5 and items3[:4] == items
    other = Teacher({})  # another teacher model replays nothing
    asyncio.run(generate(DOCS, other, "other", n=10, fraction=0.5, seed=13, passes=1,
                         journal=journal))
    assert other.calls == 5


class ShuffledTeacher(Teacher):
    """Replies come back in a different order on every run."""

    def __init__(self, modes, seed):
        super().__init__(modes)
        self.rng = __import__("random").Random(seed)

    async def create(self, **kw):
        await asyncio.sleep(self.rng.random() / 100)
        return await super().create(**kw)


def test_items_are_kept_in_attempt_order_so_a_resumed_run_keeps_the_same_ones(tmp_path):
    journal = tmp_path / "t.teacher.jsonl"
    first, _ = asyncio.run(generate(DOCS, ShuffledTeacher({}, 1), "m", n=3, fraction=1.0,
                                    concurrency=4, journal=journal))
    again, _ = asyncio.run(generate(DOCS, ShuffledTeacher({}, 2), "m", n=3, fraction=1.0,
                                    concurrency=4, journal=journal))
    fresh, _ = asyncio.run(generate(DOCS, ShuffledTeacher({}, 3), "m", n=3, fraction=1.0,
                                    concurrency=4))
    assert first == again == fresh


def test_every_item_of_a_reply_is_checked_and_an_old_one_item_journal_row_still_replays(tmp_path):
    class TwoItems(Teacher):
        async def create(self, *, model, messages, **kw):
            resp = await super().create(model=model, messages=messages, **kw)
            reply = json.loads(resp.choices[0].message.content)
            reply["items"].append({"question": "Which way does it flow?", "answer": "north",
                                   "quote": "It flows north."})
            reply["items"].append({"question": "Where?", "answer": "south", "quote": "Nowhere."})
            resp.choices[0].message.content = json.dumps(reply)
            return resp

    journal = tmp_path / "t.teacher.jsonl"  # what a version-1 run wrote for DOCS[0], pass 0
    journal.write_text(json.dumps({"source_id": "doc0", "pass": 0, "model": "m",
                                   "prompt": "testset_qa@1", "item": {
                                       "question": "How long is the river Zed0?",
                                       "answer": "400 km", "quote": "The river Zed0 is 400 km long."}})
                       + "\n")
    teacher = TwoItems({})
    items, meta = asyncio.run(generate(DOCS[:2], teacher, "m", n=10, fraction=1.0, passes=1,
                                       concurrency=1, journal=journal))
    assert teacher.calls == 1  # doc0 replayed from the old row
    assert [i["answers"] for i in items] == [["400 km"], ["401 km"], ["north"]]
    assert meta["reject_reasons"] == {"quote not in document": 1}


def test_an_english_question_about_a_chinese_page_is_rejected():
    class English(Teacher):
        async def create(self, *, model, messages, **kw):
            item = {"question": "What is apt?", "answer": "高级软件包工具",
                    "quote": "apt 是高级软件包工具。"}
            if self.calls:
                item["question"] = "apt 是什么？"
            self.calls += 1
            return ChatCompletion.model_validate({
                "id": "x", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop", "message": {
                    "role": "assistant", "content": json.dumps({"items": [item]})}}]})

    doc = Doc("zh.md", "apt 是高级软件包工具。\n它处理依赖。", {})
    items, meta = asyncio.run(generate([doc], English({}), "m", n=5, fraction=1.0, passes=2,
                                       concurrency=1))
    assert [i["question"] for i in items] == ["apt 是什么？"] and items[0]["lang"] == "zh"
    assert meta["reject_reasons"] == {"question not in Chinese": 1}


def test_first_looks_at_windows_are_greedy_and_lang_skips_other_documents():
    text = "\n".join(f"第 {i} 段。" + "字" * 300 for i in range(3))  # 3 windows of 400 chars
    docs = [Doc("zh.md", text, {}), Doc("en.md", "An English page. " * 20, {})]

    class Zh(Teacher):
        async def create(self, *, model, messages, **kw):
            self.calls += 1
            self.temperatures.append(kw["temperature"])
            item = {"question": f"第几段？{self.calls}", "answer": f"第 {self.calls % 3} 段",
                    "quote": f"第 {self.calls % 3} 段。"}
            return ChatCompletion.model_validate({
                "id": "x", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop", "message": {
                    "role": "assistant", "content": json.dumps({"items": [item]})}}]})

    teacher = Zh({})
    asyncio.run(generate(docs, teacher, "m", n=50, fraction=1.0, passes=4, concurrency=1,
                         lang="zh"))
    assert teacher.calls == 4 and teacher.temperatures == [0.0, 0.0, 0.0, 0.8]


def test_a_journal_row_for_another_window_is_asked_again(tmp_path):
    journal = tmp_path / "t.teacher.jsonl"
    asyncio.run(generate(DOCS[:1], Teacher({}), "m", n=5, fraction=1.0, passes=1,
                         journal=journal))
    row = json.loads(journal.read_text())
    assert len(row["window"]) == 16
    journal.write_text(json.dumps({**row, "window": "0" * 16}) + "\n")  # the windowing changed
    again = Teacher({})
    items, _ = asyncio.run(generate(DOCS[:1], again, "m", n=5, fraction=1.0, passes=1,
                                    journal=journal))
    assert again.calls == 1 and len(items) == 1


def test_a_chinese_quote_may_differ_from_the_page_in_punctuation_only():
    doc = "红帽是一个商业化发行版，常以 RPM 格式提供软件；而非 Debian 格式。"
    item = QAItem(question="红帽常以什么格式提供软件？", answer="RPM 格式",
                  quote="红帽是一个商业化发行版, 常以 RPM 格式提供软件; 而非 Debian 格式.")
    assert check(item, doc) is None
    reworded = item.model_copy(update={"quote": "红帽通常以 RPM 格式提供软件。"})
    assert check(reworded, doc) == "quote not in document"


def test_a_slow_reply_does_not_hold_back_the_asking():
    class OneSlow(Teacher):
        def __init__(self, modes):
            super().__init__(modes)
            self.started = self.finished = 0
            self.behind_first = None

        async def create(self, **kw):
            first = self.started == 0
            self.started += 1
            await asyncio.sleep(0.2 if first else 0.001)  # the first reply straggles
            if first:
                self.behind_first = self.finished
            self.finished += 1
            return await super().create(**kw)

    teacher = OneSlow({})
    items, _ = asyncio.run(generate(DOCS, teacher, "m", n=10, fraction=1.0, concurrency=2))
    # while the straggler ran, the other slot went on through the window (waves of 4 stopped at 3)
    assert len(items) == 10 and teacher.behind_first == LOOKAHEAD * 2 - 1


def test_replay_only_writes_what_the_journal_holds_and_asks_nothing(tmp_path):
    journal = tmp_path / "t.teacher.jsonl"
    first = Teacher({})
    items, _ = asyncio.run(generate(DOCS, first, "m", n=3, fraction=1.0, concurrency=1,
                                    journal=journal))
    again = Teacher({})
    replayed, meta = asyncio.run(generate(DOCS, again, "m", n=50, fraction=1.0, journal=journal,
                                          replay_only=True))
    assert again.calls == 0 and replayed[:3] == items and len(replayed) == first.calls


def test_a_rerun_of_a_finished_run_asks_nothing_even_where_the_first_stopped_early(tmp_path):
    # the first run reached n while later attempts waited for a slot: they were never asked, and
    # the rerun must not ask them either (its replayed attempts reach n first)
    journal = tmp_path / "t.teacher.jsonl"
    first = SlowTeacher({})
    items, _ = asyncio.run(generate(DOCS, first, "m", n=2, fraction=1.0, concurrency=1,
                                    journal=journal))
    assert len(journal.read_text().splitlines()) == first.calls < LOOKAHEAD
    again = SlowTeacher({})
    items2, _ = asyncio.run(generate(DOCS, again, "m", n=2, fraction=1.0, concurrency=1,
                                     journal=journal))
    assert again.calls == 0 and items2 == items
