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
    model = catalog.served_name if catalog else cfg.model
    base_url = cfg.base_url
    if not base_url:
        if catalog is None:
            raise ValueError(f"role {role}: model {cfg.model!r} is not in the catalog "
                             f"({', '.join(CATALOG)}), so it needs a base_url")
        port = settings.vllm.port + _PORT_OFFSET[catalog.name]
        base_url = f"http://{settings.vllm.host}:{port}/v1"
    return Endpoint(role, base_url.rstrip("/"), model, cfg.api_key, cfg.timeout_s, cfg.max_retries)


def async_client(ep: Endpoint):
    from openai import AsyncOpenAI

    return AsyncOpenAI(base_url=ep.base_url, api_key=ep.api_key, timeout=ep.timeout_s,
                       max_retries=ep.max_retries)


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
