"""Bearer-token authentication and per-route permissions for the API.

The same ``allows`` check as the web app decides; each route declares its permission, and a test walks
every API route for every role and for an anonymous caller.
"""

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from prevent_ig.adapters.records.read_audit import CollectedReads, append_collected, collecting
from prevent_ig.bootstrap import Records
from prevent_ig.domain.access import Permission, allows
from prevent_ig.entrypoints.refused_routes import refused_route
from prevent_ig.services.api_tokens import TokenIdentity, identify, note_use

PERMISSION_KEY = "x-permission"


class ApiUnauthorisedError(Exception):
    pass


class ApiForbiddenError(Exception):
    pass


def records_of(request: Request) -> Records:
    records: Records = request.app.state.records
    return records


def token_guard(permission: Permission) -> Callable[[Request], Awaitable[None]]:
    async def check(request: Request) -> None:
        # The lookup is one read by unique index, shorter than the two thread hand-offs it would take in
        # the thread pool, so it runs here; the rare writes (a refusal's audit event, noting last use at
        # most once a minute) go to the thread pool so they never hold up other requests.
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiUnauthorisedError
        records = records_of(request)
        with records.lookup() as connection:
            found = identify(connection=connection, token=token.strip(), now=records.now())
        if found is None:
            raise ApiUnauthorisedError
        identity = found.identity
        permitted = allows(identity.role, permission)
        if found.stale_last_use or not permitted:
            # The route with record ids only: a path may hold any text typed into it (refused_routes).
            refused = None if permitted else refused_route(request)[0]
            await run_in_threadpool(_note_call, records, identity, refused, found.stale_last_use)
        request.state.identity = identity
        if not permitted:
            raise ApiForbiddenError
        # A permitted call is audited by its use case, in that use case's own transaction and with the
        # token as the actor: one append to the chain per call rather than two.

    check.__name__ = f"api_requires_{permission.value.replace(':', '_')}"
    return check


def _note_call(records: Records, identity: TokenIdentity, refused_path: str | None, stale: bool) -> None:
    """Audit a refused call and note the token's use when it is due, in one unit of work."""
    with records.new_unit_of_work() as uow:
        if refused_path is not None:
            uow.audit.record(actor=identity.actor, event="api:call:refuse", entity=refused_path)
            uow.commit()
        if stale:
            note_use(uow=uow, token_id=identity.id)


def identity_of(request: Request) -> TokenIdentity:
    identity: TokenIdentity = request.state.identity
    return identity


def _dispatched(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run a plain endpoint on the event loop when the database is embedded, else in the thread pool.

    A SQLite call takes microseconds in this process, and SQLite lets one writer in at a time anyway;
    handing each request to a thread and back then costs more than the work, and threads queueing for
    the interpreter lock after every database call cost more still (measured: bench/load.py). Reads
    made on the loop have their audit events written in groups, one write per turn of the loop. Against
    PostgreSQL the work waits on the network and on other processes' locks, so it runs in the pool
    where the waiting blocks nothing else.
    """
    if "request" not in inspect.signature(function).parameters:
        raise TypeError(f"API endpoint {function.__name__} must take the request")

    @functools.wraps(function)
    async def run(**arguments: Any) -> Any:
        if records_of(arguments["request"]).embedded:
            # The reads' audit events are committed together with those of the other requests this
            # turn of the loop (read_audit), and only then does the answer go out.
            collected = CollectedReads()
            try:
                with collecting(collected):
                    return function(**arguments)
            finally:
                # Also when the endpoint raised: a read it committed first (a refused look at a case,
                # say) is audited as it would be anywhere else.
                await append_collected(collected)
        return await run_in_threadpool(functools.partial(function, **arguments))

    return run


class ApiRouter(APIRouter):
    def endpoint(
        self, path: str, *, permission: Permission, method: str = "GET", status_code: int = 200, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        extra = {**kwargs.pop("openapi_extra", {}), PERMISSION_KEY: permission.value}

        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            self.add_api_route(
                path,
                function if inspect.iscoroutinefunction(function) else _dispatched(function),
                methods=[method],
                status_code=status_code,
                dependencies=[Depends(token_guard(permission))],
                openapi_extra=extra,
                **kwargs,
            )
            return function

        return register
