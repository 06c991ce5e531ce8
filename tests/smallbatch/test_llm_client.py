"""The model client that smallbatch/llm.py builds, against a stub HTTP server on loopback: a
dropped connection is retried (not a 503), idle connections are dropped before the server's
keep-alive ends, and the retry shows in the JSON logs."""

import asyncio
import io
import json
import logging

from serve import logs
from smallbatch import llm
from smallbatch.settings import Role

COMPLETION = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
              "choices": [{"index": 0, "finish_reason": "stop",
                           "message": {"role": "assistant", "content": "Paris [1]."}}],
              "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}


class Stub:
    """HTTP/1.1 with keep-alive; the first ``drop`` requests get the connection closed without
    a response, as a server closing an idle keep-alive connection does."""

    def __init__(self, drop: int = 0):
        self.drop, self.connections, self.requests = drop, 0, 0

    async def handle(self, reader, writer):
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                self.requests += 1
                if self.requests <= self.drop:
                    return
                body = json.dumps(COMPLETION).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def serve(stub: Stub, calls):
    server = await asyncio.start_server(stub.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    role = Role(model="m", base_url=f"http://127.0.0.1:{port}/v1", timeout_s=10)
    ep = llm.Endpoint("small", role.base_url, role.model, role.api_key, role.timeout_s,
                      role.max_retries)
    client = llm.async_client(ep)
    try:
        return await calls(client)
    finally:
        await client.close()
        server.close()
        await server.wait_closed()


def ask(client):
    return client.chat.completions.create(model="m", max_tokens=4,
                                          messages=[{"role": "user", "content": "Capital?"}])


def test_a_dropped_connection_is_retried_with_the_default_role_settings():
    assert Role(model="m").max_retries >= 1  # the product's default keeps retries on
    stub = Stub(drop=1)
    resp = asyncio.run(serve(stub, ask))
    assert resp.choices[0].message.content == "Paris [1]."
    assert stub.requests == 2 and stub.connections == 2


def test_idle_connections_expire_before_the_model_servers_keep_alive(monkeypatch):
    assert llm.KEEPALIVE_S < 5  # vLLM's VLLM_HTTP_TIMEOUT_KEEP_ALIVE and uvicorn's default

    def twice(pause):
        async def calls(client):
            await ask(client)
            await asyncio.sleep(pause)
            await ask(client)
        return calls

    for pause, connections in ((0.0, 1), (0.4, 2)):
        monkeypatch.setattr(llm, "KEEPALIVE_S", 0.2)
        stub = Stub()
        asyncio.run(serve(stub, twice(pause)))
        assert stub.connections == connections  # reused at once, reopened after idling


def test_the_retry_is_logged_with_the_request_id():
    buf = io.StringIO()
    saved = {name: (lg.handlers[:], lg.level, lg.propagate) for name in ("smallbatch", "openai")
             for lg in [logging.getLogger(name)]}
    logs.configure("INFO", as_json=True)
    for name in saved:
        logging.getLogger(name).handlers[0].setStream(buf)

    async def calls(client):
        token = logs.request_id.set("r-9")
        try:
            return await ask(client)
        finally:
            logs.request_id.reset(token)

    try:
        asyncio.run(serve(Stub(drop=1), calls))
    finally:
        for name, (handlers, level, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:], lg.propagate = handlers, propagate
            lg.setLevel(level)
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    retry = [x for x in lines if "Retrying request" in x["msg"]]
    assert len(retry) == 1 and retry[0]["request_id"] == "r-9"
    assert retry[0]["logger"].startswith("openai") and retry[0]["level"] == "info"
