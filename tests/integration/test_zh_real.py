"""A Chinese knowledge base end to end on the real stack: two pages of the Debian handbook in
zh-CN (tests/integration/data/zh-handbook, GPL-2+ or CC-BY-SA-3.0) ingested with the clean
profile and the multilingual embedder, a Chinese question through the real API and the real
chat page (headless Chromium), answered by the real small model in Chinese with a citation that
opens to the source. The page's screenshot goes to test-artifacts/chat-page-zh.png."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from rag.citations import cited_numbers
from smallbatch.settings import REPO_ROOT
from smallbatch.text import han_count
from tests.integration.conftest import free_port
from tests.integration.servers import app_thread

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent / "data" / "zh-handbook"
ARTIFACTS = REPO_ROOT / "test-artifacts"
QUESTION = "APT 是什么的缩写？"
FACT = "Advanced Packaging Tool"  # "APT （“Advanced Packaging Tool”的缩写）" (packaging-system.md)


@pytest.fixture(scope="module")
def zh_settings(settings, tmp_path_factory):
    return settings.model_copy(update={"stores": tmp_path_factory.mktemp("zh-stores"), "kb": "zh",
                                       "embedder": "multilingual-e5-small"})


@pytest.fixture(scope="module")
def zh_api(zh_settings):
    from ingest.pipeline import ingest
    from serve.app import create_app

    result = ingest(DATA, "zh", zh_settings)
    assert result.units > 0 and not result.problems
    with app_thread(create_app(zh_settings), free_port()) as url:
        yield url


def test_chinese_question_gets_a_chinese_answer_with_a_working_citation(zh_api):
    body = httpx.post(zh_api + "/chat/completions", timeout=300, json={
        "model": "zh", "temperature": 0,
        "messages": [{"role": "user", "content": QUESTION}]}).json()
    answer = body["choices"][0]["message"]["content"]
    assert not body["smallbatch"]["abstained"], body
    assert han_count(answer) >= 4, f"not a Chinese answer: {answer!r}"
    assert FACT in answer, answer
    assert cited_numbers(answer), f"no [n] in {answer!r}"
    cited = [c for c in body["citations"] if FACT in c["text"]]
    assert cited, (answer, body["citations"])  # the citation leads to the unit with the fact
    assert cited[0]["source_path"] == "packaging-system.md"
    assert cited[0]["number"] in cited_numbers(answer) or cited[0]["method"] != "marker"


def test_chat_page_shows_the_chinese_answer_and_its_source(zh_api, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.integration.test_page_real import CHROMIUM, FLAGS, ask, base

    if not shutil.which("chromium"):
        pytest.fail("chromium is not installed: run scripts/setup.sh (Debian chromium)")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1100, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(base(zh_api) + "/")
        page.locator("#kb[data-state=ready]").wait_for()
        answer = ask(page, QUESTION, 2)
        assert answer.get_attribute("data-state") == "done"
        text = answer.locator(".text").inner_text()
        assert han_count(text) >= 4 and FACT in text, text
        cite = answer.locator("button.cite").first
        cite.click()
        source = page.locator(f"#{cite.get_attribute('aria-controls')}")
        source.wait_for(state="visible")
        assert FACT in source.inner_text() and "packaging-system.md" in source.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat-page-zh.png"), full_page=True)
        context.close()
