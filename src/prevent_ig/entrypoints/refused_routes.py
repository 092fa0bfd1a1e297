"""What an audit event says about a refused page or API call: its route, with record ids only.

Shared by the web's and the API's permission checks, which run before a path's parameters are
validated: a parameter may hold any text someone typed (a name, say), and an audit log holds ids.
"""

import re

from fastapi import Request
from fastapi.routing import APIRoute

from prevent_ig.entrypoints.record_ids import is_record_id

PATH_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
"""A parameter in a route's path, as ``{case_id}`` or ``{case_id:int}``."""


def refused_route(request: Request) -> tuple[str, int | None]:
    """The refused page or call as its route with only record ids filled in, and the case id if it has one.

    The permission is checked before the path's parameters are, so a parameter may hold any text
    someone typed (a name, say); only one that is a record id goes into the audit log, the rest stay
    as the route names them. The query string is left out for the same reason.
    """
    route = request.scope.get("route")
    template = route.path if isinstance(route, APIRoute) else "(no route)"
    ids = {name: str(int(value)) for name, value in request.path_params.items() if is_record_id(value)}
    entity = PATH_PARAMETER.sub(lambda match: ids.get(match[1], match[0]), template)
    return entity, int(ids["case_id"]) if "case_id" in ids else None
