"""Snapshot diff: renumbered units are unchanged, edited ones changed, the rest added/removed."""

import json

from smallbatch.diff import diff_snapshots, diff_units
from smallbatch.records import Doc


def unit(uid, text, source="s1", span=(0, 10), kind="passage", questions=()):
    return Doc(uid, text, {"source_id": source, "span": list(span), "kind": kind,
                           "questions": list(questions)})


def test_renumbered_unit_is_unchanged_and_edited_one_changed():
    a = [unit("s1#c0", "Cats purr.", span=(0, 10)), unit("s1#c1", "Dogs bark.", span=(11, 21)),
         unit("s2#c0", "Old fact.", source="s2")]
    b = [unit("s1#c0", "Dogs bark.", span=(0, 10)),  # c0 dropped: c1 moved up
         unit("s2#c0", "New fact.", source="s2"),      # same place, new text
         unit("s3#c0", "Birds sing.", source="s3")]
    d = diff_units(a, b, "A", "B")
    assert d.counts() == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1}
    assert [u.id for u in d.added] == ["s3#c0"]
    assert [u.text for u in d.removed] == ["Cats purr."]
    assert [(x.text, y.text) for x, y in d.changed] == [("Old fact.", "New fact.")]
    text = d.render()
    assert text.splitlines()[0] == "A -> B: 1 added, 1 removed, 1 changed, 1 unchanged"
    assert "+ s3#c0  Birds sing." in text and "- s1#c0  Cats purr." in text


def test_new_questions_make_a_unit_changed_and_identical_snapshots_are_all_unchanged():
    a = [unit("u", "Water boils at 100 C.")]
    b = [unit("u", "Water boils at 100 C.", questions=["At what temperature does water boil?"])]
    assert diff_units(a, b).counts()["changed"] == 1
    assert diff_units(a, a).counts() == {"added": 0, "removed": 0, "changed": 0, "unchanged": 1}


def test_duplicate_texts_are_matched_one_to_one():
    a = [unit("x1", "Same.", source="x"), unit("x2", "Same.", source="y")]
    b = [unit("x1", "Same.", source="x")]
    d = diff_units(a, b)
    assert d.counts() == {"added": 0, "removed": 1, "changed": 0, "unchanged": 1}


def test_diff_reads_snapshot_folders_and_serialises_to_json(tmp_path):
    for name, units in {"A": [unit("u1", "One.")], "B": [unit("u2", "Two.", source="s9")]}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "units.jsonl").write_text(
            "".join(json.dumps(u.to_json()) + "\n" for u in units))
    doc = diff_snapshots(tmp_path / "A", tmp_path / "B").to_json()
    assert doc["counts"] == {"added": 1, "removed": 1, "changed": 0, "unchanged": 0}
    assert doc["added"][0]["id"] == "u2" and doc["removed"][0]["source_id"] == "s1"
    json.dumps(doc)
