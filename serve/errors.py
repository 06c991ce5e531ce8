"""OpenAI-shaped errors with the right status code; never a 200 with an error inside."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from serve.protocol import ErrorBody, ErrorResponse

log = logging.getLogger("smallbatch.serve")

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error",
          405: "invalid_request_error", 413: "invalid_request_error", 422: "invalid_request_error",
          429: "rate_limit_error", 502: "upstream_error", 503: "service_unavailable"}


def _transport_errors() -> tuple[type[Exception], ...]:
    """What a model stream raises when the connection dies mid-body (openai wraps transport
    errors only while connecting): httpx's, and httpx2's — the fork openai 3.x is built on."""
    import httpx

    found = [httpx.TransportError]
    try:
        import httpx2
    except ImportError:  # openai 2.x: httpx only
        return tuple(found)
    return (*found, httpx2.TransportError)


TRANSPORT_ERRORS = _transport_errors()


class APIError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def error_body(status: int, message: str, param: str | None = None, code: str | None = None) -> dict:
    err = ErrorBody(message=message, type=_TYPES.get(status, "api_error"), param=param, code=code)
    return ErrorResponse(error=err).model_dump()


def error_response(status: int, message: str, param: str | None = None,
                   code: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, param, code), status_code=status)


def _loc(err: dict) -> str | None:
    parts = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api(_: Request, exc: APIError):
        return error_response(exc.status, exc.message, exc.param, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {}
        where = _loc(first)
        msg = str(first.get("msg", "invalid request"))
        message = f"{where}: {msg}" if where else msg
        return error_response(400, message, where, "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        return error_response(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception):
        log.exception("unhandled error")
        return error_response(500, f"internal error: {type(exc).__name__}")
