"""Keeping the accounts: who has one, and taking access away from a leaver at once.

An organisation must be able to end a leaver's access the day they go, and to see who can sign in. A
disabled account cannot sign in, and its sessions end there and then (``session_for`` also refuses an
inactive account on the very next request). Enabling an account again also lifts a lockout after failed
sign-ins, which is how an administrator lets back in someone who mistyped their password five times.

Two refusals keep the service from locking everyone out: an administrator cannot disable their own
account, nor the last active administrator's. Accounts are made on the server (``prevent-ig users
create``), which prints the one-time-code secret; nothing here shows a secret or a hash.
"""

from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import select

from prevent_ig.adapters.records.tables import UserRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Role
from prevent_ig.services.accounts import NewAccount, end_sessions, is_locked, password_hash
from prevent_ig.services.errors import NotFoundError, RefusedError


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSummary:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    locked_until: datetime | None
    """Set after too many failed sign-ins (UTC, as stored); past times mean no lock."""
    created_at: datetime
    last_login_at: datetime | None

    def state(self, now: datetime) -> str:
        """ "active", "locked" or "disabled", as an administrator reads it."""
        if not self.active:
            return "disabled"
        if is_locked(self.locked_until, now):
            return "locked"
        return "active"


def list_accounts(*, uow: UnitOfWork, actor: str) -> list[AccountSummary]:
    """Every account, by username; the look is audited."""
    rows = uow.session.scalars(select(UserRow).order_by(UserRow.username))
    accounts = [
        AccountSummary(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            role=Role(row.role),
            active=row.active,
            locked_until=row.locked_until,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
        )
        for row in rows
    ]
    uow.audit.record(actor=actor, event="admin:user:list", entity="users")
    uow.commit()
    return accounts


def account_id(*, uow: UnitOfWork, username: str) -> int:
    found = uow.session.scalar(select(UserRow.id).where(UserRow.username == username))
    if found is None:
        raise NotFoundError(f"no account {username}")
    return found


def disable_account(*, uow: UnitOfWork, actor: str, user_id: int) -> str:
    """Take the account's access away now: no sign-in, and every session of it ended. Its username."""
    user = uow.session.get(UserRow, user_id)
    if user is None:
        raise NotFoundError(f"no account {user_id}")
    if user.role == Role.ADMINISTRATOR.value:
        # Every active administrator's row is locked, in id order, before the count: two administrators
        # disabling each other at the same moment cannot both pass the check (PostgreSQL; SQLite lets
        # one writer in at a time anyway), and locking in one order cannot deadlock.
        administrators = _lock_active_administrators(uow)
        uow.session.refresh(user)
        if user.active and len(administrators) <= 1:
            raise RefusedError(
                f"{user.username} is the last active administrator: enable or add another first"
            )
    else:
        uow.session.refresh(user, with_for_update=True)
    if not user.active:
        raise RefusedError(f"the account {user.username} is already disabled")
    if user.username == actor:
        raise RefusedError("you cannot disable your own account: ask another administrator")
    user.active = False
    ended = end_sessions(uow, user.id)
    uow.audit.record(
        actor=actor,
        event="admin:user:disable",
        entity=f"user:{user.id}",
        change={"username": user.username, "sessions_ended": ended},
    )
    uow.commit()
    return user.username


def enable_account(*, uow: UnitOfWork, actor: str, user_id: int) -> str:
    """Let the account sign in again, lifting any lockout after failed sign-ins. Its username."""
    user = uow.session.get(UserRow, user_id, with_for_update=True)
    if user is None:
        raise NotFoundError(f"no account {user_id}")
    if user.active and not is_locked(user.locked_until, uow.now()):
        raise RefusedError(f"the account {user.username} can already sign in")
    was = "disabled" if not user.active else "locked"
    user.active = True
    _lift_lockout(user)
    uow.audit.record(
        actor=actor,
        event="admin:user:enable",
        entity=f"user:{user.id}",
        change={"username": user.username, "was": was},
    )
    uow.commit()
    return user.username


def reset_credentials(*, uow: UnitOfWork, actor: str, user_id: int, password: str) -> NewAccount:
    """A new password and a new one-time-code secret, for someone who has lost their phone or forgotten
    their password: every session of the account ends, any lockout is lifted, and the old password and
    codes stop working. The new secret is returned once, for the person's authenticator app."""
    user = uow.session.get(UserRow, user_id, with_for_update=True)
    if user is None:
        raise NotFoundError(f"no account {user_id}")
    if not user.active:
        raise RefusedError(f"the account {user.username} is disabled: enable it first")
    user.password_hash = password_hash(password)
    user.totp_secret = pyotp.random_base32()
    _lift_lockout(user)
    end_sessions(uow, user.id)
    uow.audit.record(actor=actor, event="admin:user:reset", entity=f"user:{user.id}")
    uow.commit()
    return NewAccount(user_id=user.id, totp_secret=user.totp_secret)


def _lift_lockout(user: UserRow) -> None:
    user.failed_logins = 0
    user.locked_until = None


def _lock_active_administrators(uow: UnitOfWork) -> list[int]:
    query = (
        select(UserRow.id)
        .where(UserRow.role == Role.ADMINISTRATOR.value, UserRow.active)
        .order_by(UserRow.id)
        .with_for_update()
    )
    return list(uow.session.scalars(query))
