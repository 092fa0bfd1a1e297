"""The API application, mounted by the web app at /api/v1 and described by OpenAPI 3.1."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prevent_ig import __version__
from prevent_ig.adapters.records.text_limits import TextTooLongError
from prevent_ig.bootstrap import Records
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Decision
from prevent_ig.entrypoints.api.auth import ApiForbiddenError, ApiUnauthorisedError
from prevent_ig.entrypoints.api.problems import Problem, problem, service_problem
from prevent_ig.entrypoints.api.routes import router
from prevent_ig.entrypoints.database_trouble import answer_database_errors
from prevent_ig.services.errors import ServiceError

MAX_BODY_BYTES = 1_000_000
API_PREFIX = "/api/v1"


def create_api(*, records: Records) -> FastAPI:
    api = FastAPI(
        title="prevent-ig API",
        version=__version__,
        description="Integration API for EHRs and partner portals. Authenticate with "
        "`Authorization: Bearer <token>` (tokens: `prevent-ig tokens create`). Errors are RFC 9457 "
        "problem details naming each field.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        servers=[{"url": API_PREFIX}],
    )
    api.state.records = records
    api.include_router(router)
    api.add_middleware(BodySizeLimit)
    _add_problem_handlers(api)
    api.openapi = lambda: openapi_document(api)  # type: ignore[method-assign]
    return api


def openapi_document(api: FastAPI) -> dict[str, Any]:
    if api.openapi_schema:
        return api.openapi_schema
    document = get_openapi(
        title=api.title,
        version=api.version,
        openapi_version="3.1.0",
        description=api.description,
        routes=api.routes,
        servers=api.servers,
    )
    document.setdefault("components", {})["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `prevent-ig tokens create`",
        }
    }
    document["security"] = [{"bearer": []}]
    components = document["components"].setdefault("schemas", {})
    ref = "#/components/schemas/{model}"
    components["Problem"] = Problem.model_json_schema(ref_template=ref)
    components.update(components["Problem"].pop("$defs", {}))
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for model, mode in ((Assessment, "validation"), (Decision, "serialization")):
        schema = model.model_json_schema(ref_template=ref, mode=mode)  # type: ignore[arg-type]
        components.update(schema.pop("$defs", {}))
        components[str(schema["title"])] = schema
    api.openapi_schema = document
    return document


class BodySizeLimit:
    """Refuse bodies over 1 MB before reading them into memory (413)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            response = problem(413, "too-large", "Body too large", f"At most {MAX_BODY_BYTES} bytes")
            await response(scope, receive, send)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise BodyTooLargeError
            return message

        try:
            await self.app(scope, counting, send)
        except BodyTooLargeError:
            response = problem(413, "too-large", "Body too large", f"At most {MAX_BODY_BYTES} bytes")
            await response(scope, receive, send)


class BodyTooLargeError(Exception):
    pass


def _add_problem_handlers(api: FastAPI) -> None:
    @api.exception_handler(ApiUnauthorisedError)
    async def unauthorised(_request: Request, _error: ApiUnauthorisedError) -> Response:
        response = problem(401, "unauthorised", "Unauthorised", "Give a valid, unexpired API token as Bearer")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(ApiForbiddenError)
    async def forbidden(_request: Request, _error: ApiForbiddenError) -> Response:
        return problem(403, "forbidden", "Forbidden", "This token's role does not allow this operation")

    @api.exception_handler(ServiceError)
    async def refused(_request: Request, error: ServiceError) -> Response:
        # Every use case's refusal (not found, stale version, invalid field, rules) maps one way for
        # every endpoint; the unit of work it escaped from has rolled back, so nothing was written.
        return service_problem(error)

    @api.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "(body)", "message": e["msg"]}
            for e in error.errors()
        ]
        return problem(422, "invalid-input", "Invalid input", "The request breaks the schema", errors)

    @api.exception_handler(TextTooLongError)
    async def too_long(_request: Request, error: TextTooLongError) -> Response:
        errors = [{"field": error.field, "message": error.message}]
        return problem(422, "invalid-input", "Invalid input", str(error), errors)

    @api.exception_handler(RecursionError)
    async def too_deep(_request: Request, _error: RecursionError) -> Response:
        return problem(400, "too-deep", "Body nested too deeply", "Send a flatter JSON document")

    @api.exception_handler(UnicodeDecodeError)
    async def bad_encoding(_request: Request, _error: UnicodeDecodeError) -> Response:
        return problem(400, "bad-encoding", "Body is not UTF-8", "Send the body as UTF-8 JSON")

    answer_database_errors(
        api,
        unavailable=lambda _request: problem(
            503,
            "database-unavailable",
            "Service unavailable",
            "The database could not take this call just now (busy, unreachable or refusing connections). "
            "Try again after the seconds in Retry-After.",
        ),
        failed=lambda _request: problem(500, "internal", "Internal error", "The call failed; it is logged."),
    )

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> Response:
        return problem(error.status_code, "http", str(error.detail), str(error.detail))
