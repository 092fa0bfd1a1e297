"""Journey 9: the auditor's view — the chain's verification status, its head for anchoring, and the
audit trail of one case (time, actor, event, entity: never personal data). Reading it is audited.
"""

from dataclasses import replace
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response

from prevent_ig.domain.access import Permission
from prevent_ig.domain.records.audit_chain import Anchor, Verification
from prevent_ig.entrypoints.record_ids import case_number
from prevent_ig.entrypoints.web.auth import PermissionRouter, records_of, user_of
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.audit import TRAIL_LIMIT, case_trail, chain_head, verify

router = PermissionRouter()


@router.page("/audit", permission=Permission.AUDIT_VIEW)
async def audit_page(request: Request, anchor: str = "") -> Response:
    errors: dict[str, dict[str, str]] = {}
    parsed: Anchor | None = None
    if anchor.strip():
        try:
            parsed = Anchor.parse(anchor.strip())
        except ValueError as error:
            errors["anchor"] = {"text": as_sentence(str(error)), "href": "#anchor"}
    with records_of(request).new_unit_of_work() as uow:
        uow.audit.record(actor=user_of(request).username, event="audit:chain:verify")
        status = verify(uow=uow)
        count, head = chain_head(uow=uow)
        anchored: Verification | None = verify(uow=uow, anchor=parsed) if parsed is not None else None
        uow.commit()
    return render(
        request,
        "audit/index.html",
        status_code=400 if errors else 200,
        errors=list(errors.values()),
        field_errors=errors,
        status=status,
        count=count,
        head=head,
        anchor=anchor.strip(),
        anchored=anchored,
    )


@router.page("/audit/trail", permission=Permission.AUDIT_VIEW)
async def trail_page(request: Request, case_id: str = "") -> Response:
    text = case_id.strip()
    number = case_number(text, missing="Enter a case number, like 12")
    if isinstance(number, str):
        error = {"text": number, "href": "#case_id"}
        return render(
            request,
            "audit/trail.html",
            status_code=400,
            errors=[error],
            field_errors={"case_id": error},
            case_id=text,
            events=None,
            total=0,
        )
    with records_of(request).new_unit_of_work() as uow:
        trail = case_trail(uow=uow, actor=user_of(request).username, case_id=number)
    return render(
        request,
        "audit/trail.html",
        errors=[],
        field_errors={},
        case_id=text,
        events=[replace(event, at=_readable(event.at)) for event in trail.events],
        total=trail.total,
        limit=TRAIL_LIMIT,
    )


def _readable(at: str) -> str:
    """The stored UTC time for reading; an unreadable value (a tampered row) is shown as stored."""
    try:
        return datetime.fromisoformat(at).strftime("%-d %b %Y, %H:%M:%S")
    except ValueError:
        return at
