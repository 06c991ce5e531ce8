from rag.claims import names, numbers, split_claims


def test_claims_end_at_sentences_semicolons_and_markers():
    claims = split_claims("Rollo was a Viking [1] who ruled Normandy [2]. He died in 931; "
                          "his son ruled. [3]")
    assert [(c.text, c.cites) for c in claims] == [
        ("Rollo was a Viking", [1]), ("who ruled Normandy.", [2]), ("He died in 931", []),
        ("his son ruled.", [3])]


def test_chinese_sentences_split_without_spaces():
    claims = split_claims("诺曼底公国始于911年[1]。罗洛是维京人[2]。")
    assert [c.cites for c in claims] == [[1], [2]]


def test_facts_are_numbers_and_names_not_sentence_openers():
    assert numbers("In 1,000 years and the 880s, 3.5 m") == ["1000", "880", "3.5"]
    assert names("The treaty with Rollo's men. Then King Charles III signed") == [
        "rollo", "king", "charles", "iii"]
