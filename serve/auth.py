"""API keys: several named keys, stored as sha256 hashes, revocable without a restart.

The keys file (``settings.keys_path()``, JSON, mode 0600) holds ``{"keys": [{name, sha256,
created, revoked, rate_per_minute}]}``. A key is shown once, when ``smallbatch keys add`` makes
it. Keys are 256 random bits, so a fast hash is enough: a salted slow hash (scrypt) protects
guessable passwords, and would cost tens of milliseconds on every request here.

The server re-reads the file when its modification time or size changes (one ``stat`` per
request), so ``smallbatch keys revoke NAME`` takes effect on the next request. Without a keys
file (or with an empty one) the API is open (development on loopback); once it holds a key,
active or revoked, every request needs an active one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from serve.errors import error_response
from serve.limits import RateLimiter

KEY_PREFIX = "sb-"


class KeyFileError(ValueError):
    """A keys-file operation that cannot be done (duplicate name, unknown key)."""


@dataclass
class ApiKey:
    name: str
    sha256: str
    created: float
    revoked: float | None = None
    rate_per_minute: float | None = None  # None: the server's default


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None  # None: no keys, the API is open
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: list[ApiKey] = []

    def _fresh(self) -> list[ApiKey]:
        try:
            st = self.path.stat() if self.path else None
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size) if st else None
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._keys = self._read() if stamp else []
                self._stamp = stamp
            return self._keys

    def _read(self) -> list[ApiKey]:
        try:
            doc = json.loads(self.path.read_text())
            return [ApiKey(**k) for k in doc.get("keys", [])]
        except (ValueError, TypeError) as e:
            raise KeyFileError(f"{self.path}: not a keys file ({e})") from e

    def _write(self, keys: list[ApiKey]) -> None:
        if self.path is None:
            raise KeyFileError("no keys file configured")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"keys": [asdict(k) for k in keys]}, f, indent=2)
            f.write("\n")
        os.replace(tmp, self.path)  # readers see the old file or the new one, never half

    def list(self) -> list[ApiKey]:
        return list(self._fresh())

    def enabled(self) -> bool:
        """Keys are required once any key was ever added: revoking the last key locks the API
        (it does not open it). Deleting the keys file opens it again."""
        return bool(self._fresh())

    def find(self, secret: str) -> ApiKey | None:
        h = digest(secret)
        for k in self._fresh():
            if hmac.compare_digest(k.sha256, h):
                return k
        return None

    def add(self, name: str, rate_per_minute: float | None = None) -> tuple[str, ApiKey]:
        name = name.strip()
        if not name:
            raise KeyFileError("a key needs a name")
        keys = self.list()
        if any(k.name == name and k.revoked is None for k in keys):
            raise KeyFileError(f"an active key named {name!r} exists; revoke it first")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(name, digest(secret), time.time(), None, rate_per_minute)
        self._write([*keys, key])
        return secret, key

    def revoke(self, name: str) -> ApiKey:
        keys = self.list()
        hit = [k for k in keys if k.name == name and k.revoked is None]
        if not hit:
            raise KeyFileError(f"no active key named {name!r}; active: "
                            f"{[k.name for k in keys if k.revoked is None]}")
        for k in hit:
            k.revoked = time.time()
        self._write(keys)
        return hit[0]


def _bearer(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
        if name == b"x-api-key":
            return value.decode("latin-1").strip() or None
    return None


class Guard:
    """ASGI middleware: key check (401 missing/unknown, 403 revoked), then the key's token
    bucket (429 + Retry-After). Public paths and CORS preflights pass untouched."""

    def __init__(self, app, keys: KeyStore, limiter: RateLimiter, public: list[str]):
        self.app, self.keys, self.limiter, self.public = app, keys, limiter, set(public)

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope["path"] in self.public
                or scope["method"] == "OPTIONS" or not self.keys.enabled()):
            return await self.app(scope, receive, send)
        secret = _bearer(scope)
        key = self.keys.find(secret) if secret else None
        if key is None:
            resp = error_response(401, "missing or invalid API key: send 'Authorization: Bearer "
                                  "<key>'", code="invalid_api_key")
            resp.headers["WWW-Authenticate"] = "Bearer"
            return await resp(scope, receive, send)
        if key.revoked is not None:
            return await error_response(403, f"API key {key.name!r} was revoked",
                                        code="revoked_api_key")(scope, receive, send)
        scope.setdefault("state", {})["api_key"] = key.name
        wait = self.limiter.take(key.name, key.rate_per_minute)
        if wait > 0:
            resp = error_response(429, f"rate limit for key {key.name!r} exceeded; retry in "
                                  f"{wait:.1f}s", code="rate_limit_exceeded")
            resp.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            return await resp(scope, receive, send)
        return await self.app(scope, receive, send)
