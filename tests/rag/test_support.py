from rag.support import is_supported, unsupported_terms

SOURCES = ["Oxygen is a chemical element with symbol O and atomic number 8.",
           "Robert Boyle proved that air is necessary for combustion."]


def test_answer_built_from_source_words_is_supported():
    assert is_supported("Robert Boyle proved it.", "Who proved air is needed?", SOURCES)
    assert is_supported("The atomic number is 8.", "Atomic number of oxygen?", SOURCES)


def test_invented_number_or_name_is_unsupported():
    assert not is_supported("Oxygen boils at 90 kelvin.", "Boiling point of oxygen?", SOURCES)
    assert not is_supported("It was proved by John Doe.", "Who proved it?", SOURCES)
    assert unsupported_terms("It was proved by John Doe.", "Who proved it?", SOURCES) == ["john", "doe"]


def test_question_words_count_as_known():
    assert is_supported("Penicillin is a chemical element.", "What is penicillin?", SOURCES)


def test_mostly_foreign_answer_is_unsupported():
    assert not is_supported("bananas grow quickly everywhere", "what grows?", SOURCES)
