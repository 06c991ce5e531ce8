"""Request and response shapes of the OpenAI-compatible chat API (the subset we honour)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rag.rewrite import Turn

MAX_MESSAGES = 64
MAX_CHARS = 32_000


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
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(None, ge=1, le=4096)
    n: int = Field(1, ge=1, le=1, description="only n=1 is supported")

    @field_validator("messages")
    @classmethod
    def _size(cls, msgs: list[Message]) -> list[Message]:
        total = sum(len(m.text()) for m in msgs)
        if total > MAX_CHARS:
            raise ValueError(f"messages hold {total} characters; the limit is {MAX_CHARS}")
        return msgs

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


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
