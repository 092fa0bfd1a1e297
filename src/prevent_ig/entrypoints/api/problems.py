"""Errors as RFC 9457 problem details, naming the field wherever one is at fault."""

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from prevent_ig.services.assessments import AssessmentInputProblemsError
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, ServiceError, StaleVersionError

PROBLEM_BASE = "https://prevent-ig.example/problems/"


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """application/problem+json (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []


def problem(
    status: int, kind: str, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + kind, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _described(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described("Unreadable body (not UTF-8, or nested too deeply)"),
    401: _described("Missing, unknown, expired or revoked token"),
    403: _described("The token's role does not allow this"),
    404: _described("No such record (or not visible to this token)"),
    413: _described("Body larger than 1 MB"),
    422: _described("Invalid input; each error names its field"),
    503: {
        **_described("The database could not take the call just now; nothing to fix in the request"),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "schema": {"type": "integer"},
            }
        },
    },
}
CONFLICT = {409: _described("The case changed since you read it, or the rules refuse the change")}


def service_problem(error: ServiceError) -> JSONResponse:
    """The problem document for a refused use case: one mapping for every endpoint."""
    if isinstance(error, NotFoundError):
        return problem(404, "not-found", "Not found", str(error))
    if isinstance(error, StaleVersionError):
        return problem(409, "stale-version", "Conflict", str(error))
    if isinstance(error, InvalidFieldError):
        return problem(
            422,
            "invalid-input",
            "Invalid input",
            str(error),
            [{"field": error.field, "message": error.message}],
        )
    if isinstance(error, AssessmentInputProblemsError):
        fields = [{"field": f"assessment.{p.field}", "message": p.message} for p in error.problems]
        return problem(422, "invalid-input", "Invalid input", "The assessment breaks the contract", fields)
    return problem(409, "refused", "Refused", str(error))
