"""The baseline for bench/load.py: a bare Starlette JSON endpoint reading one row by primary key from
the same database, served the same way (uvicorn, one process). What prevent-ig adds is the difference.

    uvicorn --factory bench.bare_app:create --port PORT   (PREVENT_IG_DATABASE_URL names the database)
"""

import os

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prevent_ig.adapters.records.database import make_engine


def create() -> Starlette:
    engine = make_engine(os.environ["PREVENT_IG_DATABASE_URL"])

    async def row(request: Request) -> JSONResponse:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT id, stage, owner, opened_on FROM cases WHERE id = :id"),
                {"id": int(request.path_params["case_id"])},
            ).first()
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(
            {"id": found.id, "stage": found.stage, "owner": found.owner, "opened_on": str(found.opened_on)}
        )

    return Starlette(routes=[Route("/row/{case_id:int}", row)])
