"""One settings object for the whole product, read from the environment in one place.

Every field can be set with an environment variable prefixed ``SMALLBATCH_``; nested fields use
``__`` (e.g. ``SMALLBATCH_SMALL__BASE_URL=http://gpu-box:8000/v1``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Role(BaseModel):
    """A model role: which model, and where its OpenAI-compatible server is.

    ``base_url`` empty means "the embedded vLLM server that `smallbatch serve` starts".
    """

    model: str = Field(description="catalog name (small/large) or any served model id")
    base_url: str = ""
    api_key: str = "EMPTY"
    timeout_s: float = 600.0
    max_retries: int = 2


class RetrievalSettings(BaseModel):
    top_k: int = Field(5, ge=1, le=50)
    candidates: int = Field(20, ge=1, le=500)
    bm25_weight: float = Field(1.0, ge=0.0)
    vector_weight: float = Field(1.0, ge=0.0)
    rrf_k: int = Field(60, ge=1)
    # Below this cosine similarity of the best unit, the answer is an abstention without a model
    # call: nothing in the store is about the question.
    min_similarity: float = Field(0.2, ge=-1.0, le=1.0)

    @field_validator("candidates")
    @classmethod
    def _enough_candidates(cls, v: int, info) -> int:
        top_k = info.data.get("top_k", 5)
        if v < top_k:
            raise ValueError(f"candidates ({v}) must be >= top_k ({top_k})")
        return v


class CurationSettings(BaseModel):
    """Which ingest steps run. ``profile=raw`` switches every curation step off (chunks only)."""

    clean: bool = True
    boilerplate: bool = True
    exact_dedup: bool = True
    near_dedup: bool = True
    near_dedup_threshold: float = Field(0.7, gt=0.0, le=1.0)
    pii: bool = True
    quality: bool = True
    quality_threshold: float = Field(0.5, ge=0.0, le=1.0)
    quality_top_n: int | None = Field(None, ge=1)

    def raw(self) -> "CurationSettings":
        return self.model_copy(update={k: False for k in (
            "clean", "boilerplate", "exact_dedup", "near_dedup", "pii", "quality")})


class VllmSettings(BaseModel):
    python: str = ""  # interpreter of the vLLM env; empty = <repo>/.venv-vllm/bin/python
    host: str = "127.0.0.1"
    port: int = 8011
    kv_cache_gib: int = Field(2, ge=1)
    max_model_len: int = Field(4096, ge=512)
    max_num_seqs: int = Field(16, ge=1)
    enforce_eager: bool = True  # halves CPU start-up; decode ~25% slower (DESIGN.md)
    ready_timeout_s: float = 600.0

    def python_path(self) -> Path:
        return Path(self.python) if self.python else REPO_ROOT / ".venv-vllm" / "bin" / "python"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMALLBATCH_", env_nested_delimiter="__")

    home: Path = Field(default_factory=lambda: Path.home() / ".cache" / "smallbatch")
    stores: Path = Path("stores")
    kb: str = "sample"

    small: Role = Role(model="small")
    large: Role = Role(model="large")
    teacher: Role = Role(model="large")
    judge: Role = Role(model="large")

    vllm: VllmSettings = VllmSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    curation: CurationSettings = CurationSettings()

    embedder: str = "all-MiniLM-L6-v2"
    chunk_tokens: int = Field(200, ge=32, le=2048)
    chunk_overlap: int = Field(30, ge=0)

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    answer_max_tokens: int = Field(128, ge=1, le=4096)

    @field_validator("kb")
    @classmethod
    def _kb_name(cls, v: str) -> str:
        if not v.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"kb name {v!r}: use letters, digits, '-' and '_' only")
        return v

    def models_dir(self) -> Path:
        return self.home / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
