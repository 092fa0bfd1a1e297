"""Bearer-token authentication and per-route permissions for the API.

The same ``allows`` check as the web app decides; each route declares its permission, and a test walks
every API route for every role and for an anonymous caller.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request

from prevent_ig.bootstrap import Records
from prevent_ig.domain.access import Permission, allows
from prevent_ig.services.api_tokens import TokenIdentity, identify, note_use

PERMISSION_KEY = "x-permission"


class ApiUnauthorisedError(Exception):
    pass


class ApiForbiddenError(Exception):
    pass


def records_of(request: Request) -> Records:
    records: Records = request.app.state.records
    return records


def token_guard(permission: Permission) -> Callable[[Request], None]:
    def check(request: Request) -> None:
        # A plain function: FastAPI runs it in the thread pool, so database work never blocks the loop.
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiUnauthorisedError
        with records_of(request).new_unit_of_work().reading() as uow:
            found = identify(uow=uow, token=token.strip())
        identity = found.identity if found else None
        if found is not None and (found.stale_last_use or not allows(found.identity.role, permission)):
            with records_of(request).new_unit_of_work() as uow:
                if not allows(found.identity.role, permission):
                    uow.audit.record(
                        actor=found.identity.actor, event="api:call:refuse", entity=request.url.path
                    )
                    uow.commit()
                if found.stale_last_use:
                    note_use(uow=uow, token_id=found.identity.id)
        if identity is None:
            raise ApiUnauthorisedError
        request.state.identity = identity
        if not allows(identity.role, permission):
            raise ApiForbiddenError
        # A permitted call is audited by its use case, in that use case's own transaction and with the
        # token as the actor: one append to the chain per call rather than two.

    check.__name__ = f"api_requires_{permission.value.replace(':', '_')}"
    return check


def identity_of(request: Request) -> TokenIdentity:
    identity: TokenIdentity = request.state.identity
    return identity


class ApiRouter(APIRouter):
    def endpoint(
        self, path: str, *, permission: Permission, method: str = "GET", status_code: int = 200, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        extra = {**kwargs.pop("openapi_extra", {}), PERMISSION_KEY: permission.value}

        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            self.add_api_route(
                path,
                function,
                methods=[method],
                status_code=status_code,
                dependencies=[Depends(token_guard(permission))],
                openapi_extra=extra,
                **kwargs,
            )
            return function

        return register
