import pytest

from ingest.quality import HeuristicQuality, language
from ingest.steps import Drops
from smallbatch.records import Doc

# Wikipedia-like prose (written for this test), ~130 words
PROSE = (
    "The Danube is the second-longest river in Europe, after the Volga in Russia. It flows through "
    "much of Central and Southeastern Europe, from the Black Forest in Germany into the Black Sea. "
    "Its drainage basin extends into nine more countries, and the river was once a long-standing "
    "frontier of the Roman Empire. Today it is an important route for trade and travel, and several "
    "capitals, including Vienna, Bratislava, Budapest and Belgrade, were built on its banks. The "
    "river has been canalised in places to make navigation easier, and a series of dams supply "
    "hydroelectric power. Many species of fish live in its waters, and its delta is one of the "
    "largest and best preserved wetlands in the world, where more than three hundred species of "
    "birds have been recorded by scientists.")
PROSE_2 = (
    "Honey bees live in colonies that may hold tens of thousands of workers, a few hundred drones "
    "and a single queen. The workers gather nectar and pollen from flowers, build the wax comb and "
    "tend the young, while the queen lays eggs. In the warm months a strong colony can raise a new "
    "queen and split, and the old queen leaves with a swarm to find a new home in a hollow tree or "
    "a gap in a wall. Beekeepers have kept bees in hives for thousands of years for their honey and "
    "wax, and farmers rely on them to pollinate many crops, from apples to almonds.")
ZH = ("多瑙河是欧洲第二长的河流，仅次于伏尔加河。它发源于德国的黑森林，向东流经中欧和东南欧的多个国家，"
      "最后注入黑海。维也纳、布拉迪斯拉发、布达佩斯和贝尔格莱德等首都都建在多瑙河沿岸。")
NAV = "Home | Products | About | Contact | Login | Sign up | Cart | Help"
CODE = "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; } // dot product"
REPEATED = " ".join(["The best deals on cheap flights are available here today."] * 10)
FRAGMENT = "The history of"


def run(texts, **settings):
    docs = [Doc(f"d{i}", t) for i, t in enumerate(texts)]
    drops = Drops()
    kept = list(HeuristicQuality(**settings).run(iter(docs), drops))
    return kept, drops


def test_prose_is_kept_with_a_high_score():
    kept, drops = run([PROSE, PROSE_2])
    assert [d.id for d in kept] == ["d0", "d1"] and drops.summary() == {}
    for d in kept:
        assert d.metadata["quality"]["score"] > 0.9
        assert d.metadata["lang"] == "en"
        assert set(d.metadata["quality"]["views"]) == {
            "length", "symbols", "repetition", "word_length", "stopwords"}


@pytest.mark.parametrize("text, reason", [
    (NAV, "low quality: symbols"),
    (CODE, "low quality: symbols"),
    (REPEATED, "low quality: repetition"),
    (FRAGMENT, "low quality: length"),
    ("Home About Contact Login Careers Press Blog Shop Sitemap Privacy Terms Support", "low quality: stopwords"),
])
def test_debris_is_dropped_naming_the_worst_view(text, reason):
    kept, drops = run([PROSE, text])
    assert [d.id for d in kept] == ["d0"]
    assert drops.summary() == {"heuristic_quality": {reason: 1}}
    assert drops.rejects[0]["id"] == "d1" and drops.rejects[0]["score"] < 0.5


def test_chinese_prose_is_not_penalised_for_english_word_views():
    kept, _ = run([ZH])
    (doc,) = kept
    assert doc.metadata["lang"] == "zh"
    assert "stopwords" not in doc.metadata["quality"]["views"]
    assert doc.metadata["quality"]["score"] > 0.9


def test_language():
    assert language(PROSE) == "en"
    assert language(ZH) == "zh"
    assert language("Москва — столица России и крупнейший город страны.") == "other"
    assert language("{} [] 123") == "other"


def test_top_n_keeps_the_best_in_input_order_after_the_threshold():
    short = "The river flows north through the valley and joins the sea near the harbour."
    kept, drops = run([short, PROSE, NAV, PROSE_2], top_n=2)
    assert [d.id for d in kept] == ["d1", "d3"]
    assert drops.summary() == {"heuristic_quality": {"low quality: symbols": 1, "below top-n": 1}}
    assert [r["id"] for r in drops.rejects] == ["d2", "d0"]


def test_weights_are_configurable_and_zero_turns_a_view_off():
    kept, _ = run([FRAGMENT], weights={"length": 0})
    assert [d.id for d in kept] == ["d0"]
    assert kept[0].metadata["quality"]["views"]["length"] == 0.0


def test_settings_are_checked_and_name_the_valid_views():
    with pytest.raises(ValueError, match="valid: .*'repetition'"):
        HeuristicQuality(weights={"lenght": 1.0})
    with pytest.raises(ValueError, match="threshold"):
        HeuristicQuality(threshold=1.5)
    with pytest.raises(ValueError, match="top_n"):
        HeuristicQuality(top_n=0)
