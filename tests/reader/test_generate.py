
from ingest.steps import Drops
from rag.prompt import ABSTAIN
from reader.generate import ExampleBuilder, candidate_units, cite, write_questions
from reader.prompts import WRITE_QA, ReadingQA, ReadingQAs
from smallbatch.prompting import TypedCallError
from tests.fakes import unit
from tests.reader.fakes import FakeRole
from rag.retrieve import Hit

UNITS = [
    unit("u1", "The Eiffel Tower in Paris was completed in 1889 and is 330 metres tall."),
    unit("u2", "The Louvre in Paris is the most-visited museum in the world."),
    unit("u3", "Big Ben is the nickname of the great bell of the clock at Westminster."),
    unit("u4", "Short."),
]


def teacher():
    def write(inp):
        if "Louvre" in inp.passage:
            raise TypedCallError(WRITE_QA.key, "invalid JSON")
        return ReadingQAs(items=[ReadingQA(question="When was the Eiffel Tower completed?",
                                           answer="1889",
                                           sentence="It was completed in 1889.")])
    return FakeRole({"reader_write_qa": write})


def test_candidates_skip_short_units_and_are_seeded():
    a = candidate_units(UNITS, 10, 4, seed=1)
    assert {u.id for u in a} == {"u1", "u2", "u3"}
    assert [u.id for u in a] == [u.id for u in candidate_units(UNITS, 10, 4, seed=1)]


def test_write_questions_records_teacher_failures():
    drops = Drops()
    qs = write_questions(teacher(), UNITS[:2], drops)
    assert [q.text for q in qs] == ["When was the Eiffel Tower completed?"]
    assert qs[0].metadata["unit_id"] == "u1" and qs[0].metadata["answer"] == "1889"
    assert drops.summary() == {"write_questions": {"teacher failed": 1}}


def test_cite_puts_the_number_before_the_full_stop():
    assert cite("It was completed in 1889.", 2) == "It was completed in 1889 [2]."
    assert cite("1889", 1) == "1889 [1]"


def builder(abstain_share=0.0, sentence_share=0.0, max_tokens=10_000, seed=0):
    by_id = {u.id: u for u in UNITS}

    def search(q, k):  # retrieval that does not return the gold unit first
        return [Hit(by_id[i], 1.0, 1, 1, 0.5) for i in ("u2", "u3", "u1")][:k]

    count = lambda messages: sum(len(m["content"].split()) for m in messages)
    return ExampleBuilder(search, by_id, 2, count, max_tokens, abstain_share, sentence_share, seed)


def question():
    return write_questions(teacher(), UNITS[:1], Drops())[0]


def test_example_is_the_serving_prompt_with_the_gold_among_distractors():
    ex = builder().build([question()], Drops())[0]
    assert not ex.abstain and ex.style == "short" and ex.unit_id == "u1"
    assert "u1" in ex.context_ids and len(ex.context_ids) == 2
    assert ex.target == f"1889 [{ex.gold_position}]"
    last = ex.messages[-1]["content"]
    assert f'<source id="{ex.gold_position}">\nThe Eiffel Tower' in last
    assert ex.messages[0]["content"].startswith("You answer questions")


def test_gold_position_is_shuffled():
    positions = {builder(seed=s).build([question()], Drops())[0].gold_position for s in range(12)}
    assert positions == {1, 2}


def test_abstention_removes_the_gold_unit():
    ex = builder(abstain_share=1.0, sentence_share=1.0).build([question()], Drops())[0]
    assert ex.abstain and "u1" not in ex.context_ids and ex.target == ABSTAIN
    assert ex.gold_position is None


def test_sentence_style_target_cites_the_gold():
    ex = builder(sentence_share=1.0).build([question()], Drops())[0]
    assert ex.style == "sentence"
    assert ex.target == f"It was completed in 1889 [{ex.gold_position}]."


def test_long_prompt_drops_distractors_then_the_example():
    b = builder(max_tokens=215)
    ex = b.build([question()], Drops())[0]
    assert ex.context_ids == ["u1"] and b.stats["trimmed_units"] == 1
    drops = Drops()
    assert builder(max_tokens=200).build([question()], drops) == []
    assert drops.summary() == {"build_examples": {"prompt too long": 1}}


def test_a_source_store_shows_the_gold_as_its_retrieved_window():
    from smallbatch.records import Doc

    by_id = {u.id: u for u in UNITS}
    window = Doc("u1@0-0", "The Eiffel Tower in Paris was completed in 1889.",
                 {"passage": "u1", "keys": ["f7"], "kind": "passage"})

    def search(q, k):
        return [Hit(by_id["u2"], 1.0, 1, 1, 0.5), Hit(window, 0.9, 2, 2, 0.5)][:k]

    count = lambda messages: 0
    b = ExampleBuilder(search, by_id, 2, count, 10_000, 0.0, 0.0, 0)
    ex = b.build([question()], Drops())[0]
    assert sorted(ex.context_ids) == ["u1@0-0", "u2"] and b.stats["gold_retrieved"] == 1
    assert ex.context_ids[ex.gold_position - 1] == "u1@0-0"


def test_a_source_store_reads_passages_not_keys():
    from reader.generate import readable
    from smallbatch.records import Doc

    units = [Doc("p", "passage text", {"kind": "passage"}), Doc("f", "a fact", {"kind": "fact"})]
    assert [u.id for u in readable(units, "source")] == ["p"]
    assert len(readable(units, "unit")) == 2


def test_a_question_without_an_answer_sentence_trains_the_short_style():
    q = question()
    q.metadata["sentence"] = ""
    ex = builder(sentence_share=1.0).build([q], Drops())[0]
    assert ex.style == "short" and ex.target == f"1889 [{ex.gold_position}]"


def test_dev_set_asks_each_question_with_and_without_its_gold_unit():
    from reader.batch import dev_examples

    dev = dev_examples(builder(abstain_share=0.5, sentence_share=1.0), [question()])
    assert [e.id for e in dev] == [dev[0].id, f"{dev[0].id}#none"]
    shown, none = dev
    assert not shown.abstain and shown.style == "short" and "u1" in shown.context_ids
    assert none.abstain and "u1" not in none.context_ids and none.target == ABSTAIN
