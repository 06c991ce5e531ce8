"""Every model role is reached through the OpenAI-compatible API; this is the one place that
builds the client."""

from __future__ import annotations

from dataclasses import dataclass

from smallbatch.models.catalog import CATALOG
from smallbatch.settings import Settings

# Embedded servers: the small model on vllm.port, the large one (also teacher/judge) on port+1.
_PORT_OFFSET = {"small": 0, "large": 1}


@dataclass(frozen=True)
class Endpoint:
    role: str
    base_url: str
    model: str  # the id the server knows the model by
    api_key: str
    timeout_s: float
    max_retries: int


def endpoint(settings: Settings, role: str) -> Endpoint:
    if role not in ("small", "large", "teacher", "judge"):
        raise ValueError(f"unknown role {role!r}; roles: small, large, teacher, judge")
    cfg = getattr(settings, role)
    catalog = CATALOG.get(cfg.model)
    # a role that names a LoRA adapter asks for it by the adapter's served name (reader/)
    model = cfg.adapter or (catalog.served_name if catalog else cfg.model)
    base_url = cfg.base_url
    if not base_url:
        if catalog is None:
            raise ValueError(f"role {role}: model {cfg.model!r} is not in the catalog "
                             f"({', '.join(CATALOG)}), so it needs a base_url")
        base_url = embedded_url(settings, role, catalog.name)
    return Endpoint(role, base_url.rstrip("/"), model, cfg.api_key, cfg.timeout_s, cfg.max_retries)


def embedded_url(settings: Settings, role: str, name: str) -> str:
    """Where the embedded server of catalog model ``name`` answers ``role``: llama.cpp's for the
    roles ``llamacpp.roles`` names (the teacher and judge on a CPU host), vLLM's for the rest."""
    if role in settings.llamacpp.roles:
        return f"http://{settings.llamacpp.host}:{settings.llamacpp.port_for(name)}/v1"
    return f"http://{settings.vllm.host}:{settings.vllm.port + _PORT_OFFSET[name]}/v1"


# Idle pooled connections are dropped after this many seconds. It must stay under the model
# server's own keep-alive timeout (vLLM's VLLM_HTTP_TIMEOUT_KEEP_ALIVE and uvicorn's default are
# both 5 s): with the client's default of 5 s as well, a connection the server is closing is
# sometimes reused, and the request fails with "Server disconnected without sending a response"
# (a 503 when no retry is left).
KEEPALIVE_S = 2.0


def async_client(ep: Endpoint):
    """The answering client: ``ep.max_retries`` retries (with backoff) on connection errors,
    timeouts, 408/409/429 and 5xx; a pool as large as the openai client's default."""
    import importlib

    from openai import AsyncOpenAI, DefaultAsyncHttpxClient

    # openai 3.x is built on httpx2, 2.x on httpx: take Limits from the one its client is
    base = next(c for c in DefaultAsyncHttpxClient.__mro__
                if c.__name__ == "AsyncClient" and not c.__module__.startswith("openai"))
    http_lib = importlib.import_module(base.__module__.split(".")[0])
    limits = http_lib.Limits(max_connections=1000, max_keepalive_connections=100,
                             keepalive_expiry=KEEPALIVE_S)
    http = DefaultAsyncHttpxClient(limits=limits)
    return AsyncOpenAI(base_url=ep.base_url, api_key=ep.api_key, timeout=ep.timeout_s,
                       max_retries=ep.max_retries, http_client=http)


class ChatStream:
    """Iterate a streamed chat completion as text deltas; afterwards ``text``, ``usage``,
    ``finish_reason`` and ``ttft_s`` (seconds from creation to the first token) are set."""

    def __init__(self, client, **request):
        self.client, self.request = client, request
        self.parts: list[str] = []
        self.usage: dict = {}
        self.finish_reason = "stop"
        self.ttft_s: float | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    async def __aiter__(self):
        import time

        t0 = time.perf_counter()
        stream = await self.client.chat.completions.create(
            **self.request, stream=True, stream_options={"include_usage": True})
        async for chunk in stream:
            if chunk.usage:
                self.usage = chunk.usage.model_dump()
            for choice in chunk.choices:
                if choice.delta and choice.delta.content:
                    self.ttft_s = self.ttft_s or time.perf_counter() - t0
                    self.parts.append(choice.delta.content)
                    yield choice.delta.content
                if choice.finish_reason:
                    self.finish_reason = choice.finish_reason
