"""Reading a case for the signed-in user: practitioners only ever reach the concerns they raised.

Another practitioner's case answers "not found", not "forbidden", so ids cannot be probed. Every read
goes through the audited ``view_case`` use case, which applies the rule (``may_view_case``) before it
reads the case's contents, so a refused attempt is audited as one and never as a view.
"""

from fastapi import HTTPException, Request

from prevent_ig.entrypoints.web.auth import records_of, user_of
from prevent_ig.services.cases import view_case
from prevent_ig.services.errors import NotFoundError
from prevent_ig.services.views import CaseDetail

NOT_FOUND = 404


def load_case_for(request: Request, case_id: int) -> CaseDetail:
    user = user_of(request)
    try:
        with records_of(request).new_unit_of_work().reading() as uow:
            return view_case(uow=uow, actor=user.username, case_id=case_id, role=user.role)
    except NotFoundError:
        raise HTTPException(NOT_FOUND) from None
