"""Jinja2 set-up: our templates first, then the NHS.UK frontend's macros from nhsuk-frontend-jinja."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)

from prevent_ig.domain.access import Permission, allows
from prevent_ig.domain.calendar.england_date import date_in_england
from prevent_ig.domain.law.catalogue import load_catalogue
from prevent_ig.services.accounts import SignedInUser

TEMPLATES = Path(__file__).parent / "templates"

NAVIGATION: list[tuple[str, str, Permission]] = [
    ("Dashboard", "/dashboard", Permission.DASHBOARD_VIEW),
    ("Cases", "/cases", Permission.CASE_VIEW_OWN),
    ("Raise a concern", "/concerns/new", Permission.CONCERN_RAISE),
    ("Partner requests", "/requests", Permission.REQUEST_MANAGE),
    ("Secure email", "/mail", Permission.DASHBOARD_VIEW),
    ("Advice", "/advice", Permission.ADVICE_GIVE),
    ("Registers", "/registers", Permission.REGISTER_VIEW),
    ("Reports", "/oversight", Permission.OVERSIGHT_VIEW),
    ("Audit", "/audit", Permission.AUDIT_VIEW),
    ("Accounts", "/admin/users", Permission.USER_ADMIN),
    ("API tokens", "/admin/tokens", Permission.USER_ADMIN),
]


def as_sentence(text: str) -> str:
    """A service's message as a page shows it. Messages start in lower case because the CLI and the API
    set them inside a longer line; on a page they start a sentence. Only the first letter changes."""
    return text[:1].upper() + text[1:]


def day_in_england(moment: datetime) -> str:
    """A stored moment (UTC; naive as the database keeps it) as the day it was in England: a token
    made at 00:30 in summer was made that day, not the day before."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return date_in_england(aware).strftime("%-d %b %Y")


def provision_title(provision_id: str) -> str:
    """A cited provision as people know it ("Common law duty of confidentiality: consent"), not by its
    id; an id the catalogue does not know (from an older rules version) shows as itself."""
    try:
        return load_catalogue().get(provision_id).title
    except KeyError:
        return provision_id


def make_environment() -> Environment:
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), PackageLoader("nhsuk_frontend_jinja")]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["day_in_england"] = day_in_england
    environment.filters["provision_title"] = provision_title
    environment.globals["allows"] = allows
    environment.globals["Permission"] = Permission
    return environment


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    environment: Environment = request.app.state.templates
    user: SignedInUser | None = getattr(request.state, "user", None)
    navigation = [
        {"text": text, "href": href, "current": request.url.path.startswith(href)}
        for text, href, permission in NAVIGATION
        if user is not None and allows(user.role, permission)
    ]
    html = environment.get_template(template).render(
        request=request,
        user=user,
        csrf_token=getattr(request.state, "csrf_token", None),
        navigation=navigation,
        guidance_url=request.app.state.web.guidance_url,
        demo_mode=request.app.state.web.demo_mode,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
