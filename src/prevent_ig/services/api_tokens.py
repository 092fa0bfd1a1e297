"""API tokens: created by an administrator for a named service and role, expiring, revocable.

The token is shown once; only its SHA-256 is stored. A token carries a role, and the API enforces the
same permissions as the web app through the same ``allows`` check.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select

from prevent_ig.adapters.records.api_token_table import ApiTokenRow
from prevent_ig.adapters.records.tables import MAX_ID, NAME, table_of
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Role
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError

PREFIX = "pig_"
MAX_DAYS = 366
SERVICE_LENGTH = NAME - len(f"token:{MAX_ID}:")
"""The longest service name: every call the token makes is audited with ``token:<id>:<service>`` as
its actor, which must fit the audit log's actor column (``NAME``) whatever the id. A longer name
passed at creation, and then every call made with the token failed to write its audit event."""


@dataclass(frozen=True, slots=True)
class TokenIdentity:
    id: int
    service: str
    role: Role

    @property
    def actor(self) -> str:
        return f"token:{self.id}:{self.service}"


def create_token(*, uow: UnitOfWork, actor: str, service: str, role: Role, days: int) -> tuple[int, str]:
    service = service.strip()
    if not service:
        raise InvalidFieldError("service", "name the service that will use the token")
    if len(service) > SERVICE_LENGTH:
        raise InvalidFieldError("service", f"must be at most {SERVICE_LENGTH} characters")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidFieldError("days", f"must be from 1 to {MAX_DAYS}")
    token = PREFIX + secrets.token_urlsafe(32)
    now = uow.now().replace(tzinfo=None)
    row = ApiTokenRow(
        service=service,
        role=role.value,
        token_hash=_hash(token),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit.record(
        actor=actor,
        event="admin:token:create",
        entity=f"token:{row.id}",
        change={"service": service, "role": role, "days": days},
    )
    uow.commit()
    return row.id, token


def revoke_token(*, uow: UnitOfWork, actor: str, token_id: int) -> None:
    row = uow.session.get(ApiTokenRow, token_id)
    if row is None:
        raise NotFoundError(f"token {token_id} does not exist")
    if row.revoked_at is not None:
        raise RefusedError(f"token {token_id} was already revoked")
    row.revoked_at = uow.now().replace(tzinfo=None)
    uow.audit.record(actor=actor, event="admin:token:revoke", entity=f"token:{row.id}")
    uow.commit()


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenSummary:
    """What an administrator sees of a token: never the token, nor its hash."""

    id: int
    service: str
    role: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now.replace(tzinfo=None) else "active"


def list_tokens(*, uow: UnitOfWork) -> list[TokenSummary]:
    """Every token, newest first."""
    return [
        TokenSummary(
            id=row.id,
            service=row.service,
            role=row.role,
            created_by=row.created_by,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )
        for row in uow.session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id.desc()))
    ]


LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Identified:
    identity: TokenIdentity
    stale_last_use: bool
    """True when last use should be noted (at most once a minute; see ``note_use``)."""


# Every API call runs this. Built once, it runs from SQLAlchemy's compiled cache; written against the
# table (Core), it skips the ORM's loading machinery.
_tokens = table_of(ApiTokenRow)
_BY_HASH = select(
    _tokens.c.id,
    _tokens.c.service,
    _tokens.c.role,
    _tokens.c.revoked_at,
    _tokens.c.expires_at,
    _tokens.c.last_used_at,
).where(_tokens.c.token_hash == bindparam("token_hash"))


def identify(*, connection: Connection, token: str, now: datetime) -> Identified | None:
    """The token's identity if it is known, unexpired and not revoked. Only reads, on a plain
    connection: it runs before every API call, where a unit of work (session, audit log) would cost
    more than the lookup itself."""
    if not token.startswith(PREFIX):
        return None
    row = connection.execute(_BY_HASH, {"token_hash": _hash(token)}).first()
    moment = now.replace(tzinfo=None)
    if row is None or row.revoked_at is not None or row.expires_at <= moment:
        return None
    stale = row.last_used_at is None or moment - row.last_used_at > LAST_USED_GRANULARITY
    return Identified(TokenIdentity(id=row.id, service=row.service, role=Role(row.role)), stale)


def note_use(*, uow: UnitOfWork, token_id: int) -> None:
    """Record a token's last use; called at most once a minute per token, so reads stay reads."""
    row = uow.session.get(ApiTokenRow, token_id)
    if row is not None:
        row.last_used_at = uow.now().replace(tzinfo=None)
        uow.commit()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
