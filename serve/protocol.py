"""Request and response shapes of the OpenAI-compatible chat API (the subset we honour).

Responses are built from these models, so their JSON is what the models say: field names and
order as declared. Two extra top-level fields ride on every completion (and on the last streamed
chunk): ``citations`` and ``smallbatch``. OpenAI clients ignore unknown fields, so they work
unchanged; read them with ``resp.model_extra["citations"]``.

Size limits (messages, input tokens, ``max_tokens``) are not here: they come from
``ServeSettings`` and are checked per request (serve/limits.py), so configuring them is enough.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from rag.rewrite import Turn

# ---- requests --------------------------------------------------------------------------------


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content)
        return self.content or ""


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatRequest(BaseModel):
    """Unknown OpenAI parameters are accepted and ignored, as most servers do."""

    model_config = ConfigDict(extra="ignore")
    model: str = Field(min_length=1, max_length=200)
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=1, description="only n=1 is supported")

    @model_validator(mode="after")
    def _last_is_question(self) -> "ChatRequest":
        last = self.messages[-1]
        if last.role != "user" or not last.text().strip():
            raise ValueError("the last message must be a non-empty 'user' message (the question)")
        return self

    def question(self) -> str:
        return self.messages[-1].text().strip()

    def history(self) -> list[Turn]:
        """The earlier user and assistant turns (follow-ups are rewritten with them)."""
        return [Turn(role=m.role, content=m.text()) for m in self.messages[:-1]
                if m.role in ("user", "assistant") and m.text().strip()]

    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


# ---- responses -------------------------------------------------------------------------------


class _OmitsAbsent(BaseModel):
    """Fields named in ``omitted_when_none`` are left out of the JSON while they are None:
    OpenAI's chunks carry ``usage`` or a delta's ``role`` only where they mean something."""

    omitted_when_none: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler):
        data = handler(self)
        for key in self.omitted_when_none:
            if data.get(key) is None:
                data.pop(key, None)
        return data


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCitation(BaseModel):
    """One numbered source of the answer: ``[n]`` in the text is ``number`` here. ``method``:
    ``marker`` (the model wrote [n]) or ``support`` (the model cited nothing; the claim is cited to
    the source that supports it, rag/support.py)."""

    number: int
    unit_id: str
    source_id: str
    source_path: str
    span: list[int]
    kind: str
    text: str
    method: str


class RewriteInfo(BaseModel):
    """The query retrieval used and how it was made from the conversation (rag/rewrite.py)."""

    query: str
    method: str
    error: str | None


class SmallbatchInfo(BaseModel):
    """The ``smallbatch`` block: what was served and how the answer came out. ``draft`` is the
    model's text when it was withdrawn because the sources do not support it; ``unsupported``
    says which claim failed against which source; ``dropped`` lists claims removed from an answer
    that kept others; ``echo`` is ``reasked`` or ``withdrawn`` when the model's answer only
    repeated the question (rag/echo.py)."""

    kb: str
    snapshot: str
    abstained: bool
    invalid_citations: list[int]
    unsupported: list[str]
    draft: str | None
    rewrite: RewriteInfo | None
    dropped: list[str] = []
    echo: str | None = None


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: CompletionUsage
    citations: list[ChatCitation]
    smallbatch: SmallbatchInfo


class ChunkDelta(_OmitsAbsent):
    omitted_when_none = ("role", "content")
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: str | None = None


class ChatCompletionChunk(_OmitsAbsent):
    """A streamed piece. The last content chunk carries ``citations`` and ``smallbatch``; with
    ``stream_options.include_usage`` one more chunk, with no choices, carries ``usage``."""

    omitted_when_none = ("usage", "citations", "smallbatch")
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
    citations: list[ChatCitation] | None = None
    smallbatch: SmallbatchInfo | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "smallbatch"
    snapshot: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Ready when a snapshot is loaded (``store``) and the model server answers (``model``)."""

    ready: bool
    store: bool
    model: bool
    snapshot: str | None


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """Every error, with its HTTP status (and in-band in a stream whose headers are sent)."""

    error: ErrorBody
