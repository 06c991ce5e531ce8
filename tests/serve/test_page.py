"""The chat page's files: served by the app, self-contained (the machine may be offline), and
listed as public for the key check. Its behaviour is tested in a real browser in
tests/integration/test_page_real.py."""

import re

from serve.routes.page import PUBLIC_PATHS, STATIC
from tests.serve.test_api import make_client


def test_index_and_assets_are_served():
    with make_client()[0] as c:
        index = c.get("/")
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"', index.text):
            r = c.get(ref)
            assert r.status_code == 200 and r.content == (STATIC / ref.rsplit("/", 1)[1]).read_bytes()
        assert c.get("/static/nope.js").status_code == 404
        assert "/" not in [p for p in c.get("/openapi.json").json()["paths"]]


def test_page_has_the_labelled_controls_the_script_uses():
    html = (STATIC / "index.html").read_text()
    script = (STATIC / "app.js").read_text()
    for control in ("question", "api-key"):
        assert f'for="{control}"' in html and f'id="{control}"' in html
    for ident in set(re.findall(r'\$\("([\w-]+)"\)', script)):
        assert f'id="{ident}"' in html, ident
    assert 'role="log"' in html and 'lang="en"' in html


def test_page_loads_nothing_from_elsewhere_and_never_injects_html():
    for f in STATIC.iterdir():
        text = f.read_text()
        assert not re.search(r"https?://", text), f.name
    assert "innerHTML" not in (STATIC / "app.js").read_text()


def test_public_paths_are_exactly_the_page_files():
    assert PUBLIC_PATHS[0] == "/"
    assert sorted(PUBLIC_PATHS[1:]) == sorted(f"/static/{f.name}" for f in STATIC.iterdir())

