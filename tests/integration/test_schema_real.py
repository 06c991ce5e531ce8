"""schemathesis against the app's OpenAPI schema, on the real stack, with API keys on: whatever
it generates, the app never answers 5xx. Bounded: a fixed number of examples per operation, and
answers capped at a few tokens."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from serve.app import create_app
from serve.auth import KeyStore
from smallbatch.settings import ServeSettings
from tests.integration.conftest import free_port
from tests.integration.servers import app_thread

pytestmark = pytest.mark.integration

AUTH: dict[str, str] = {}
EXAMPLES = 12  # per operation and mode


@pytest.fixture(scope="module")
def api_root(settings, sample_snapshot, tmp_path_factory):
    home = tmp_path_factory.mktemp("schema-home")
    s = settings.model_copy(update={
        "home": home, "answer_max_tokens": 8,
        "serve": ServeSettings(max_completion_tokens=16, rate_per_minute=100_000, burst=1000)})
    secret, _ = KeyStore(s.keys_path()).add("schemathesis")
    AUTH["Authorization"] = f"Bearer {secret}"
    with app_thread(create_app(s), free_port()) as api:
        yield api.removesuffix("/v1")


def answerable(case):
    """Steer a generated chat body past this server's own rules (model name, a user question
    last, the max_tokens cap), keeping the rest random: those requests reach retrieval and
    the model."""
    body = case.body
    msgs = body.get("messages") or [{"role": "user"}]
    last = msgs[-1].get("content") if isinstance(msgs[-1], dict) else None
    text = last if isinstance(last, str) and last.strip() else "Who proved that air is necessary?"
    body.update(model="sample", messages=[*msgs[:-1], {"role": "user", "content": text}])
    for k in ("max_tokens", "max_completion_tokens"):
        if isinstance(body.get(k), int) and body[k] > 16:
            body[k] = 16
    return case


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_no_server_errors(api_root, mode):
    schema = schemathesis.openapi.from_url(f"{api_root}/openapi.json", headers=AUTH)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/chat/completions", "/v1/models"}
    calls = []

    for op in operations:
        if mode == GenerationMode.NEGATIVE and not len(op.body):
            continue  # nothing to make invalid in a route without input

        cases = op.as_strategy(generation_mode=mode)
        if mode == GenerationMode.POSITIVE and op.path == "/v1/chat/completions":
            cases = st.one_of(cases, cases.map(answerable))

        @given(case=cases)
        @hsettings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))
        def no_5xx(case):
            resp = case.call_and_validate(base_url=api_root, headers=AUTH,
                                          checks=[not_a_server_error], timeout=120)
            calls.append((op.path, resp.status_code))

        no_5xx()
    assert calls and all(code < 500 for _, code in calls)
    print(mode, sorted(set(calls)), len(calls))
    if mode == GenerationMode.POSITIVE:  # some generated chats did reach the model
        assert ("/v1/chat/completions", 200) in calls
