# The smallbatch app image: ingest, retrieval and the chat API. The model server is a separate
# container (vllm/vllm-openai on a GPU host; see deploy/compose.gpu.yaml) reached over HTTP.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False \
    SMALLBATCH_STORES=/data/stores \
    SMALLBATCH_HOME=/data/home \
    SMALLBATCH_API_HOST=0.0.0.0

WORKDIR /app
RUN useradd --create-home --uid 10001 smallbatch

# Dependencies first (cached layer), then the code.
COPY pyproject.toml README.md ./
COPY smallbatch/__init__.py smallbatch/__init__.py
# (every package of pyproject's include list must exist for the install to succeed)
RUN for p in cli querylog ingest rag serve eval tune reader; do mkdir -p "$p" && touch "$p/__init__.py"; done \
    && pip install --no-cache-dir . \
    && pip uninstall -y smallbatch
COPY smallbatch smallbatch
COPY cli cli
COPY querylog querylog
COPY ingest ingest
COPY rag rag
COPY serve serve
COPY eval eval
COPY tune tune
COPY reader reader
RUN pip install --no-cache-dir --no-deps . && mkdir -p /data && chown smallbatch /data

USER 10001
EXPOSE 8000
# Liveness only (/healthz); orchestrators should route traffic on /readyz (store + model up).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# The small role must point at a model server: SMALLBATCH_SMALL__BASE_URL and __MODEL.
CMD ["smallbatch", "serve"]
