"""The audited floor for bench/load.py: the least any prevent-ig API call can do.

One endpoint on the API's own plumbing (``ApiRouter``: the bearer-token check, the permission, the
dispatch) that reads the same one case row by primary key as the bare endpoint and leaves its audit
event, as every call must. It does nothing else: no case history, no access rule beyond the
permission, no response model. Its cost over the bare endpoint is what authentication and the audit
chain alone add, so its rate is a ceiling for any real endpoint on this stack.

    python -m bench.floor_app PORT WORKERS   (PREVENT_IG_DATABASE_URL names the database)
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import bindparam, select

from prevent_ig.adapters.records.tables import CaseRow, table_of
from prevent_ig.bootstrap import build_records
from prevent_ig.domain.access import Permission
from prevent_ig.entrypoints.api.auth import ApiRouter, identity_of, records_of
from prevent_ig.entrypoints.web.memory import built_then_frozen

_cases = table_of(CaseRow)
ROW = select(_cases.c.id, _cases.c.stage, _cases.c.owner, _cases.c.opened_on).where(
    _cases.c.id == bindparam("case_id")
)
router = ApiRouter()


@router.endpoint("/row/{case_id}", permission=Permission.CASE_VIEW_OWN)
def row(request: Request, case_id: int) -> JSONResponse:
    actor = identity_of(request).actor
    with records_of(request).new_unit_of_work().reading() as uow:
        found = uow.session.execute(ROW, {"case_id": case_id}).first()
        uow.audit.record(actor=actor, event="case:record:view", case_id=case_id, entity=f"case:{case_id}")
        uow.commit()
    if found is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse(
        {"id": found.id, "stage": found.stage, "owner": found.owner, "opened_on": str(found.opened_on)}
    )


def create() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.records = build_records()
    app.include_router(router)
    return app


def served() -> FastAPI:
    """As served by bench/load.py: built like ``prevent-ig serve`` builds the app, long-lived objects
    frozen (src/prevent_ig/entrypoints/web/memory.py), so that the collector treats all sides alike."""
    return built_then_frozen(create)


if __name__ == "__main__":
    import sys

    from prevent_ig.entrypoints.web.server import serve

    serve("bench.floor_app:served", host="127.0.0.1", port=int(sys.argv[1]), workers=int(sys.argv[2]))
