"""A local OpenAI-compatible model server as a child process: started after the cheap checks,
waited for, reported in one line when it dies starting, stopped with its whole process group.

The engines (vLLM: ``server.py``; llama.cpp: ``llama.py``) say how to start and what to check.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from smallbatch.errors import UserError


class ServerError(UserError):
    """A model server that cannot start, or died starting: one line that says why and what to
    do (the CLI prints it as its one ``error:`` line, exit 2)."""


class ModelProcess:
    """What every engine shares. A subclass gives ``served_name``, ``log_path``, ``host``,
    ``port``, ``command()``, ``env()``, and may add ``check(env)`` (raise ServerError),
    ``start_note(env)`` and ``ready_note()``."""

    served_name: str
    log_path: Path
    proc: subprocess.Popen | None = None
    peak_rss_gib: float = 0.0  # the server's most while starting
    _log_from: int = 0
    ready_timeout_s: float = 600.0

    @property
    def host(self) -> str:
        raise NotImplementedError

    @property
    def port(self) -> int:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def check(self, env: dict[str, str]) -> None:
        """The engine's own checks before start (environment, weights, memory)."""

    def start_note(self, env: dict[str, str]) -> str:
        return "starting"

    def ready_note(self) -> str | None:
        return None

    def start(self):
        """Check what is cheap to check (port, engine, weights, memory), then start the server
        and say how it computes."""
        if is_up(self.base_url):
            raise ServerError(f"something already serves {self.base_url}; stop it or change the port")
        if not port_free(self.host, self.port):
            raise ServerError(f"port {self.port} on {self.host} is already in use; stop what "
                              f"listens there or choose another port")
        env = self.env()
        self.check(env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._log_from = log.tell()
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        print(f"{type(self).__name__} for {self.served_name} on :{self.port}: "
              f"{self.start_note(env)}", file=sys.stderr)
        return self

    def wait_ready(self, timeout_s: float | None = None) -> float:
        """Block until the server answers; returns the seconds it took. A server that dies
        while starting is one line: its cause, its peak memory and where its log is."""
        from smallbatch.models import memory

        limit = timeout_s or self.ready_timeout_s
        t0 = shown = time.monotonic()
        while time.monotonic() - t0 < limit:
            if self.proc is not None:
                self.peak_rss_gib = max(self.peak_rss_gib, memory.tree_rss_gib(self.proc.pid))
                if self.proc.poll() is not None:
                    raise ServerError(self._death())
            if is_up(self.base_url):
                note = self.ready_note()
                if note:
                    print(f"{self.served_name} is up; {note}", file=sys.stderr)
                return time.monotonic() - t0
            if time.monotonic() - shown > 15:
                print(f"  waiting for {self.base_url} ...", file=sys.stderr)
                shown = time.monotonic()
            time.sleep(1.0)
        self.stop()
        raise ServerError(f"{self.served_name} not ready after {limit:.0f}s (log: {self.log_path})")

    def _death(self) -> str:
        from smallbatch.models import memory

        cause = memory.death_cause(self.log_since_start(), self.proc.returncode, self.port)
        return (f"the model server for {self.served_name} died while starting: {cause} (it held "
                f"{self.peak_rss_gib:.1f} GiB at most; log: {self.log_path})")

    def log_since_start(self, lines: int = 60) -> str:
        """The last lines this start wrote to the log (an earlier start's lines are not read)."""
        try:
            with self.log_path.open("rb") as f:
                f.seek(self._log_from)
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace_s: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(10)


def serves(base_url: str, name: str, timeout_s: float = 2.0) -> bool:
    """An OpenAI-compatible server at ``base_url`` serves the model ``name``."""
    try:
        models = httpx.get(f"{base_url}/models", timeout=timeout_s).json().get("data", [])
    except (httpx.HTTPError, ValueError, AttributeError):
        return False
    return any(m.get("id") == name for m in models if isinstance(m, dict))


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the kernel's pick), for a server started next."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_free(host: str, port: int) -> bool:
    """Nothing listens on ``host:port`` (a bind would succeed)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def is_up(base_url: str, timeout_s: float = 2.0) -> bool:
    try:
        return httpx.get(f"{base_url}/models", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False
