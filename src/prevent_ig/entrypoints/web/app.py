"""The app factory: wires settings, records and templates; nothing is built at import time."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from prevent_ig.adapters.records.text_limits import TextTooLongError
from prevent_ig.bootstrap import Records, build_records
from prevent_ig.entrypoints.api.app import API_PREFIX, create_api
from prevent_ig.entrypoints.database_trouble import answer_database_errors
from prevent_ig.entrypoints.web.auth import CsrfError, ForbiddenError, SignInRequiredError, sign_in_location
from prevent_ig.entrypoints.web.memory import built_then_frozen
from prevent_ig.entrypoints.web.routes import (
    admin_tokens,
    admin_users,
    advice,
    assessment,
    audit_trail,
    cases,
    consents,
    dashboard,
    documents,
    oversight,
    own_account,
    registers,
    requests,
    signin,
)
from prevent_ig.entrypoints.web.security import (
    RequestBodyGuard,
    SecurityHeadersMiddleware,
    add_security_headers,
)
from prevent_ig.entrypoints.web.templating import make_environment, render
from prevent_ig.settings import WebSettings

STATIC = Path(__file__).parent / "static"
MAX_REQUEST_BYTES = 21_000_000
"""Room for a 20 MB request email upload; the API allows 1 MB."""


def create_app(*, records: Records, web: WebSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in AnyIO's thread pool (40 threads by default). Past a few threads they only
        # queue for the interpreter lock and the database, and every hand-off costs CPU.
        to_thread.current_default_thread_limiter().total_tokens = web.threads
        yield

    app = FastAPI(title="prevent-ig", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.records = records
    app.state.web = web
    app.state.templates = make_environment()
    # The last added is the outermost: the headers then go on the guard's refusals too.
    app.add_middleware(RequestBodyGuard, max_bytes=MAX_REQUEST_BYTES)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    app.mount(API_PREFIX, create_api(records=records))
    for module in ROUTE_MODULES:
        app.include_router(module.router)
    _add_error_pages(app)
    return app


def app_from_environment() -> FastAPI:
    """The app as ``prevent-ig serve`` runs it, built in each worker process from the environment."""
    return built_then_frozen(lambda: create_app(records=build_records(), web=WebSettings()))


# documents before requests: its /requests/import must match before /requests/{request_id}.
ROUTE_MODULES = [
    signin,
    dashboard,
    cases,
    consents,
    assessment,
    documents,
    requests,
    advice,
    registers,
    oversight,
    audit_trail,
    admin_tokens,
    admin_users,
    own_account,
]


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequiredError)
    async def sign_in_required(_request: Request, error: SignInRequiredError) -> Response:
        return RedirectResponse(sign_in_location(error.next_path, second_factor=error.second_factor), 303)

    @app.exception_handler(ForbiddenError)
    async def forbidden(request: Request, _error: ForbiddenError) -> Response:
        return render(
            request,
            "message.html",
            status_code=403,
            heading="You cannot see this page",
            paragraphs=[
                "Your role does not include this page. If you need it, ask your Prevent lead "
                "or an administrator."
            ],
            link={"href": "/", "text": "Go to your home page"},
        )

    @app.exception_handler(CsrfError)
    async def csrf(request: Request, _error: CsrfError) -> Response:
        return render(
            request,
            "message.html",
            status_code=400,
            heading="Your form has expired",
            paragraphs=[
                "For your security, the form could not be accepted. Go back, reload the page and try again."
            ],
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        heading = "Page not found" if error.status_code == 404 else "Something went wrong"
        return render(
            request,
            "message.html",
            status_code=error.status_code,
            heading=heading,
            paragraphs=["Check the address, or go back to your home page."],
            link={"href": "/", "text": "Go to your home page"},
        )

    def something_went_wrong(request: Request) -> Response:
        return render(
            request,
            "message.html",
            status_code=500,
            heading="Sorry, something went wrong",
            paragraphs=["Your request was not completed. The error is logged; tell your IT service desk."],
            link={"href": "/", "text": "Go to your home page"},
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, _error: Exception) -> Response:
        # Starlette answers an unhandled error from outside every middleware, then re-raises it for
        # the server to log: this page carries the security headers itself.
        page = something_went_wrong(request)
        add_security_headers(page.headers)
        return page

    answer_database_errors(
        app,
        unavailable=lambda request: render(
            request,
            "message.html",
            status_code=503,
            heading="Sorry, the service is busy",
            paragraphs=[
                "The records database could not take your request just now. Wait a minute, then try "
                "again. If this keeps happening, tell your IT service desk.",
            ],
            link={"href": "/", "text": "Go to your home page"},
        ),
        failed=something_went_wrong,
    )

    @app.exception_handler(TextTooLongError)
    async def too_long(request: Request, error: TextTooLongError) -> Response:
        return render(
            request,
            "message.html",
            status_code=400,
            heading="An answer is too long",
            paragraphs=[
                f"{error.field.replace('_', ' ').capitalize()} {error.message}. Nothing was saved: go "
                "back, shorten it and try again."
            ],
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in error.errors())
        return render(
            request,
            "message.html",
            status_code=422,
            heading="Some answers could not be read",
            paragraphs=[f"Check these fields and try again: {fields}."],
        )
