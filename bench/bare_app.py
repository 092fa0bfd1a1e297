"""The baseline for bench/load.py: a bare Starlette JSON endpoint reading one row by primary key from
the same database, served the same way (uvicorn, the same number of processes, access log on). What
prevent-ig adds is the difference.

    uvicorn --factory bench.bare_app:create --port PORT   (PREVENT_IG_DATABASE_URL names the database)
"""

import os

from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prevent_ig.entrypoints.web.memory import built_then_frozen


def create() -> Starlette:
    # A plain engine, not prevent-ig's: its SQLite transactions begin IMMEDIATE (taking the write lock
    # for every read), which would handicap the baseline as soon as it runs more than one process.
    # The same number of pooled connections as prevent-ig's pools when bench/load.py sets one.
    size = os.environ.get("PREVENT_IG_DATABASE_POOL_SIZE")
    engine = create_engine(
        os.environ["PREVENT_IG_DATABASE_URL"], **({"pool_size": int(size), "max_overflow": 0} if size else {})
    )

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


def served() -> Starlette:
    """As served by bench/load.py: built like ``prevent-ig serve`` builds the app, long-lived objects
    frozen (src/prevent_ig/entrypoints/web/memory.py), so that the collector treats all sides alike."""
    return built_then_frozen(create)


if __name__ == "__main__":
    import sys

    from prevent_ig.entrypoints.web.server import serve

    # Served exactly as `prevent-ig serve` serves the app: same server, protocol, log level, processes.
    serve("bench.bare_app:served", host="127.0.0.1", port=int(sys.argv[1]), workers=int(sys.argv[2]))
