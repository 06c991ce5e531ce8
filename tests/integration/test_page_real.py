"""The chat page in real headless Chromium (Debian's `chromium`, driven by Playwright) against
the real app: streamed answers with citations that open to their source, follow-ups, the API
key header, abstentions, and errors (an HTTP 4xx body, and a model server that is down).
A screenshot of the answered page goes to test-artifacts/ (CI keeps it)."""

from __future__ import annotations

import shutil

import httpx
import pytest

from serve.app import create_app
from smallbatch.settings import REPO_ROOT, Role
from tests.integration.conftest import free_port
from tests.integration.servers import app_thread

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "test-artifacts"
ANSWER_S = 180_000  # ms: one real answer on a busy 2-core machine

# Records every length the streaming answer's text takes, from the page's first moment.
WATCH_STREAM = """
window.__lengths = [];
new MutationObserver(() => {
  const t = document.querySelector('.msg.assistant[data-state="streaming"] .text');
  if (t) window.__lengths.push(t.textContent.length);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    if not shutil.which("chromium"):
        pytest.fail("chromium is not installed: run scripts/setup.sh (Debian chromium)")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=CHROMIUM,
            headless=True, args=FLAGS, viewport={"width": 1100, "height": 900})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser):
    p = browser.new_page()
    p.add_init_script(WATCH_STREAM)
    p.set_default_timeout(30_000)
    yield p
    p.close()


def base(api_url: str) -> str:
    return api_url.removesuffix("/v1")


def ask(page, question: str, turn: int):
    """Type the question and send it with Enter; returns the answer's article (turn number
    counts user and assistant turns from 1)."""
    page.fill("#question", question)
    page.press("#question", "Enter")
    answer = page.locator(f"#turn-{turn}")
    page.wait_for_selector(f'#turn-{turn}:not([data-state="streaming"])', timeout=ANSWER_S)
    return answer


def test_streamed_answer_cites_and_opens_its_source(api_url, page):
    page.goto(base(api_url) + "/")
    snapshot = httpx.get(api_url + "/models", timeout=30).json()["data"][0]["snapshot"]
    kb = page.locator("#kb")
    kb.filter(has_text=snapshot).wait_for()
    assert "sample" in kb.inner_text()

    answer = ask(page, "Who proved that air is necessary for combustion?", 2)
    assert answer.get_attribute("data-state") == "done"
    text = answer.locator(".text").inner_text()
    assert "boyle" in text.lower()
    lengths = page.evaluate("window.__lengths")
    partial = [n for n in lengths if 0 < n < len(text)]
    assert len(set(partial)) >= 2, f"the answer did not arrive in pieces: {lengths}"

    cite = answer.locator("button.cite").first
    source = page.locator(f"#{cite.get_attribute('aria-controls')}")
    assert source.is_hidden()
    cite.click()
    source.wait_for(state="visible")
    assert cite.get_attribute("aria-expanded") == "true"
    assert "Robert Boyle proved that air is necessary" in source.inner_text()
    assert "squad-sample.json#Oxygen/2" in source.locator(".path").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"), full_page=True)

    # A follow-up: the page sends the conversation; the server says what it searched for.
    follow = ask(page, "Which English chemist refined his work?", 4)
    assert follow.get_attribute("data-state") in ("done", "abstained")
    assert "boyle" in follow.locator(".rewrite").inner_text().lower()
    page.screenshot(path=str(ARTIFACTS / "chat-page-follow-up.png"), full_page=True)


def test_api_key_is_sent_as_bearer(api_url, page):
    page.goto(base(api_url) + "/")
    page.locator("#kb[data-state=ready]").wait_for()
    page.fill("#api-key", "sb-test-key")
    with page.expect_request(lambda r: r.url.endswith("/v1/models")) as req:
        page.click("#key-form button[type=submit]")
    assert req.value.headers.get("authorization") == "Bearer sb-test-key"


def test_abstention_is_shown(api_url, page):
    page.goto(base(api_url) + "/")
    answer = ask(page, "How do I reset the password of my wireless router?", 2)
    assert answer.get_attribute("data-state") == "abstained"
    assert "does not cover" in answer.locator(".notice.abstain").inner_text()
    assert answer.locator(".sources").count() == 0


def test_http_error_body_is_shown(api_url, page):
    question = "Why? " * 8000  # over the server's request limits
    expected = httpx.post(api_url + "/chat/completions", timeout=30, json={
        "model": "sample", "messages": [{"role": "user", "content": question.strip()}]})
    assert 400 <= expected.status_code < 500
    page.goto(base(api_url) + "/")
    page.locator("#kb[data-state=ready]").wait_for()
    answer = ask(page, question, 2)
    alert = answer.locator(".notice.error[role=alert]")
    assert answer.get_attribute("data-state") == "error"
    shown = alert.inner_text()
    assert f"Error {expected.status_code}" in shown
    assert expected.json()["error"]["message"] in shown


def test_model_server_down_is_shown(settings, sample_snapshot, page):
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    down = settings.model_copy(update={"small": Role(model="small", base_url=dead, timeout_s=5,
                                                     max_retries=0)})
    with app_thread(create_app(down), free_port()) as url:
        page.goto(base(url) + "/")
        answer = ask(page, "Who proved that air is necessary for combustion?", 2)
        assert answer.get_attribute("data-state") == "error"
        shown = answer.locator(".notice.error[role=alert]").inner_text()
    assert "Error 503" in shown and "unreachable" in shown
