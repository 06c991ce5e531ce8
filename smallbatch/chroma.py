"""Where a snapshot's vectors live: an embedded Chroma folder inside the snapshot (default), or
one collection per snapshot in a Chroma server (`chroma run`), reached with ``HttpClient``.

The snapshot's manifest records which (``"vectors": {"backend", "collection"}``); the server's
address is configuration (``SMALLBATCH_CHROMA_URL``), so the server can move.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

EMBEDDED, SERVER = "embedded", "server"


def collection_name(kb: str, snapshot_id: str) -> str:
    """One collection per snapshot on a server: a rollback finds the old one still there.
    Chroma names: 3-512 of [A-Za-z0-9._-], alphanumeric at both ends."""
    return f"sb-{kb}-{snapshot_id}"


def server_client(url: str):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"chroma_url {url!r}: expected http(s)://host:port")
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    return chromadb.HttpClient(host=parts.hostname, port=port, ssl=parts.scheme == "https",
                               settings=ChromaSettings(anonymized_telemetry=False))


def open_client(vectors: dict, snapshot_dir: Path, url: str, embedded_dir: str):
    """The client holding a snapshot's collection, per its manifest's ``vectors`` entry."""
    import chromadb

    if vectors.get("backend", EMBEDDED) == EMBEDDED:
        return chromadb.PersistentClient(path=str(snapshot_dir / embedded_dir))
    if not url:
        raise ValueError(f"{snapshot_dir}: its vectors are in a Chroma server (collection "
                         f"{vectors.get('collection')!r}); set SMALLBATCH_CHROMA_URL")
    return server_client(url)
