"""Commands for the web application: serve it, create accounts, demo helpers."""

import getpass
import secrets
import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated

import typer
from sqlalchemy import func, select

from prevent_ig.adapters.records import migrate
from prevent_ig.adapters.records.tables import MAX_ID, CaseRow, UserRow
from prevent_ig.bootstrap import today_in_england
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.cli.common import fail, open_records
from prevent_ig.services import account_admin
from prevent_ig.services.accounts import NewAccount, create_user, current_code
from prevent_ig.services.api_tokens import create_token, list_tokens, revoke_token
from prevent_ig.services.demo import load_demo_data
from prevent_ig.services.errors import ServiceError
from prevent_ig.settings import WebSettings

users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo-mode helpers (synthetic data only).", no_args_is_help=True)

DEMO_USERS = [
    ("demo.lead", "Dana Lead (demo)", Role.PREVENT_LEAD),
    ("demo.clinician", "Chris Clinician (demo)", Role.PRACTITIONER),
    ("demo.dpo", "Dee Adviser (demo)", Role.IG_ADVISER),
    ("demo.siro", "Sam SIRO (demo)", Role.SIRO),
    ("demo.auditor", "Ari Auditor (demo)", Role.AUDITOR),
    ("demo.admin", "Alex Admin (demo)", Role.ADMINISTRATOR),
]


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Sign-in name, e.g. j.smith")],
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    display_name: Annotated[str, typer.Option(help="Name shown in the app.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create an account and print the secret for its authenticator app (shown once)."""
    password = _password(password_stdin)
    records = open_records()
    migrate.upgrade(records.engine)
    try:
        with records.new_unit_of_work() as uow:
            account = create_user(
                uow=uow,
                actor="cli",
                username=username,
                display_name=display_name,
                role=role,
                password=password,
            )
    except ServiceError as error:
        fail(str(error))
    _print_secret(f"created {username} ({role.value})", account, username)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("Password (12 characters or more): ")


def _print_secret(done: str, account: NewAccount, username: str) -> None:
    typer.echo(f"{done}. Add this to an authenticator app now; it is not shown again:")
    typer.echo(f"  secret: {account.totp_secret}")
    typer.echo(f"  uri:    {account.provisioning_uri(username)}")


@users_app.command("list")
def users_list() -> None:
    """Every account: username, role, state (active, locked, disabled), last sign-in (UTC)."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        accounts = account_admin.list_accounts(uow=uow, actor="cli")
        now = uow.now()
    for a in accounts:
        last = a.last_login_at.strftime("%Y-%m-%d %H:%M") if a.last_login_at else "never"
        typer.echo(f"{a.username:<24} {a.role.value:<14} {a.state(now):<9} last sign-in {last}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Take an account's access away now (a leaver): no sign-in, and its sessions end."""
    _change_account(username, account_admin.disable_account)
    typer.echo(f"{username} is disabled; its sessions have ended")


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Let a disabled or locked-out account sign in again."""
    _change_account(username, account_admin.enable_account)
    typer.echo(f"{username} can sign in again")


@users_app.command("reset")
def users_reset(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
) -> None:
    """A new password and authenticator secret (a lost phone, a forgotten password); sessions end."""
    password = _password(password_stdin)
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            user_id = account_admin.account_id(uow=uow, username=username)
            account = account_admin.reset_credentials(
                uow=uow, actor="cli", user_id=user_id, password=password
            )
    except ServiceError as error:
        fail(str(error))
    _print_secret(f"reset {username}", account, username)


def _change_account(username: str, change: Callable[..., str]) -> None:
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            change(uow=uow, actor="cli", user_id=account_admin.account_id(uow=uow, username=username))
    except ServiceError as error:
        fail(str(error))


@demo_app.command("totp")
def demo_totp(username: str) -> None:
    """Print a demo user's current one-time code (demo mode only)."""
    if not WebSettings().demo_mode:
        fail("only in demo mode (PREVENT_IG_WEB_DEMO_MODE=true); real accounts use an authenticator app")
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            typer.echo(current_code(uow=uow, username=username))
    except ServiceError as error:
        fail(str(error))


@demo_app.command("setup")
def demo_setup(
    today: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
) -> None:
    """Migrate, load synthetic cases and demo users once; print new users' passwords once."""
    if not WebSettings().demo_mode:
        fail("only in demo mode (PREVENT_IG_WEB_DEMO_MODE=true)")
    records = open_records()
    migrate.upgrade(records.engine)
    day = date.fromisoformat(today) if today else today_in_england()
    with records.new_unit_of_work() as uow:
        has_cases = (uow.session.scalar(select(func.count()).select_from(CaseRow)) or 0) > 0
        existing = set(uow.session.scalars(select(UserRow.username)))
    if not has_cases:
        result = load_demo_data(uow_factory=records.new_unit_of_work, config=records.engine_config, today=day)
        typer.echo(f"loaded {len(result.case_ids)} synthetic cases")
    created = []
    for username, name, role in DEMO_USERS:
        if username in existing:
            continue
        password = secrets.token_urlsafe(12)
        with records.new_unit_of_work() as uow:
            create_user(
                uow=uow,
                actor="demo-setup",
                username=username,
                display_name=name,
                role=role,
                password=password,
            )
        created.append((username, role.value, password))
    if created:
        typer.echo("Demo accounts (passwords shown once; one-time codes: `make totp USER=demo.lead`):")
        for username, role_name, password in created:
            typer.echo(f"  {username:<16} {role_name:<14} password: {password}")
    else:
        typer.echo("demo accounts already exist (their passwords were printed when they were created)")


def serve_command() -> None:
    """Serve the web application (PREVENT_IG_WEB_HOST, _PORT and _WORKERS)."""
    from prevent_ig.entrypoints.web.server import serve  # noqa: PLC0415 - only this command serves

    web = WebSettings()
    records = open_records()  # settings checked, and the audit key made, once before any worker starts
    migrate.upgrade(records.engine)
    # The workers build their own pools; this process only supervises them, and would otherwise hold
    # the migration's connection open, idle, for as long as the server runs.
    for engine in {records.engine, records.read_engine or records.engine}:
        engine.dispose()
    serve(host=web.host, port=web.port, workers=web.workers)


tokens_app = typer.Typer(help="API tokens for integrating systems.", no_args_is_help=True)


@tokens_app.command("create")
def tokens_create(
    service: Annotated[str, typer.Option(help="The system that will use it, e.g. 'Trust EHR'.")],
    role: Annotated[Role, typer.Option(help="The role whose permissions it carries.")],
    days: Annotated[int, typer.Option(min=1, max=366, help="Days until it expires.")] = 90,
) -> None:
    """Create a token (printed once; only its hash is kept)."""
    records = open_records()
    migrate.upgrade(records.engine)
    try:
        with records.new_unit_of_work() as uow:
            token_id, token = create_token(uow=uow, actor="cli", service=service, role=role, days=days)
    except ServiceError as error:
        fail(str(error))
    typer.echo(f"token {token_id} for {service} ({role.value}), expires in {days} days. Shown once:")
    typer.echo(token)


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(min=1, max=MAX_ID)]) -> None:
    """Revoke a token at once."""
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            revoke_token(uow=uow, actor="cli", token_id=token_id)
    except ServiceError as error:
        fail(str(error))
    typer.echo(f"token {token_id} revoked")


@tokens_app.command("list")
def tokens_list() -> None:
    """Tokens with their service, role, expiry and state (never the token itself)."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        for t in reversed(list_tokens(uow=uow)):  # oldest first, as a terminal reads best
            state = t.state(uow.now())
            typer.echo(f"{t.id:>4}  {t.service:<30} {t.role:<14} expires {t.expires_at:%Y-%m-%d}  {state}")


def openapi_command() -> None:
    """Print the API's OpenAPI 3.1 description (the committed docs/openapi.json)."""
    import json  # noqa: PLC0415

    from prevent_ig.entrypoints.api.app import create_api  # noqa: PLC0415

    api = create_api(records=None)  # type: ignore[arg-type]
    typer.echo(json.dumps(api.openapi(), indent=2, sort_keys=True))
