"""Accounts, sign-in with a second factor, and server-side sessions.

Passwords are stored as argon2id hashes; every role, the administrator included, must also give a
time-based one-time code. Sessions live in the database (only a hash of the cookie's token), so any
number of app processes can serve one user and signing out really ends the session.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from prevent_ig.adapters.records.tables import UserRow, WebSessionRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Role
from prevent_ig.services.errors import InvalidFieldError, RefusedError

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_LOCKOUT_WORDS = f"{LOCKOUT.seconds // 60} minutes"
MIN_PASSWORD_LENGTH = 12
LOCKED_OUT_MESSAGE = f"too many failed attempts: try again in {_LOCKOUT_WORDS}, or ask an administrator"
SIGN_IN_REFUSED_MESSAGE = (
    f"the username or password is not right (after {MAX_FAILED_LOGINS} wrong attempts an account is "
    f"locked for {_LOCKOUT_WORDS})"
)
SIGN_IN_WINDOW = timedelta(minutes=10)
"""The one-time code must follow the password within this time; a half-finished sign-in left on a
shared computer cannot be completed later."""
SEEN_GRANULARITY = timedelta(seconds=30)
"""Activity is noted at most this often, so browsing pages does not write on every request."""
USERNAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,198}[a-z0-9])?")
_hasher = PasswordHasher()
# A real hash to verify against when the username is unknown, so timing does not reveal which exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-but-the-same-cost")


@dataclass(frozen=True, slots=True)
class SignedInUser:
    id: int
    username: str
    display_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class NewAccount:
    user_id: int
    totp_secret: str

    def provisioning_uri(self, username: str) -> str:
        return pyotp.TOTP(self.totp_secret).provisioning_uri(name=username, issuer_name="prevent-ig")


def create_user(
    *, uow: UnitOfWork, actor: str, username: str, display_name: str, role: Role, password: str
) -> NewAccount:
    if not USERNAME.fullmatch(username):
        # ASCII lower case only: "Admin" or a Cyrillic "аdmin" beside "admin" would read as the same
        # person in every audit trail.
        raise InvalidFieldError("username", "use lower-case letters a to z, digits, dots and hyphens")
    if not display_name.strip():
        # The name a SIRO signs agreements with, and the one pages show: never blank.
        raise InvalidFieldError("display_name", "must not be blank")
    hashed = password_hash(password)
    if uow.session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise RefusedError(f"user {username} already exists")
    secret = pyotp.random_base32()
    row = UserRow(
        username=username,
        display_name=display_name,
        role=role.value,
        password_hash=hashed,
        totp_secret=secret,
        active=True,
        failed_logins=0,
        created_at=uow.now().replace(tzinfo=None),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit.record(
        actor=actor,
        event="admin:user:create",
        entity=f"user:{row.id}",
        change={"username": username, "role": role},
    )
    uow.commit()
    return NewAccount(user_id=row.id, totp_secret=secret)


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """Whether a lockout after failed sign-ins still holds at ``now`` (stored times are naive UTC)."""
    return locked_until is not None and locked_until > now.replace(tzinfo=None)


def password_hash(password: str) -> str:
    """The argon2id hash of a new password, once it is long enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidFieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def start_sign_in(*, uow: UnitOfWork, username: str, password: str) -> str:
    """Check the password; return a half-signed-in session token that still needs the code.

    An unknown username, a wrong password and a locked account all get the same answer, after the same
    work (one argon2 check), so that neither the words nor the time taken tell anyone which usernames
    exist or which accounts are locked. The answer says that accounts lock, so a locked-out user is not
    left guessing."""
    now = uow.now().replace(tzinfo=None)
    user = uow.session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        raise RefusedError(SIGN_IN_REFUSED_MESSAGE)
    if is_locked(user.locked_until, now):
        _verify(_DUMMY_HASH, password)  # not the real hash: the lock must not become a password oracle
        uow.audit.record(actor=user.username, event="auth:signin:locked", entity=f"user:{user.id}")
        uow.commit()
        raise RefusedError(SIGN_IN_REFUSED_MESSAGE)
    if not _verify(user.password_hash, password):
        _count_failure(uow, user, now)
        uow.audit.record(actor=user.username, event="auth:signin:fail", entity=f"user:{user.id}")
        uow.commit()
        raise RefusedError(SIGN_IN_REFUSED_MESSAGE)
    token = _new_session(uow, user, now)
    uow.commit()
    return token


def complete_sign_in(*, uow: UnitOfWork, token: str, code: str) -> tuple[SignedInUser, str]:
    """Check the one-time code; only then is the browser signed in, under a new session token (the
    one it had after the password alone is ended, so a token seen before the code is worth nothing).

    The account's lockout holds here too: someone who knows the password cannot open several half
    sign-ins and keep guessing codes on one while the account is locked by the others. Each code
    signs in once (``UserRow.last_code_step``)."""
    now = uow.now().replace(tzinfo=None)
    session = uow.session.get(WebSessionRow, _hash(token))
    if session is not None and (session.second_factor_done or now - session.created_at > SIGN_IN_WINDOW):
        if not session.second_factor_done:
            uow.session.delete(session)
            uow.commit()
        session = None
    if session is None:
        raise RefusedError("your sign-in has expired: start again")
    user = uow.session.get(UserRow, session.user_id, with_for_update=True)
    assert user is not None
    if not user.active or is_locked(user.locked_until, now):
        uow.session.delete(session)
        # Named for what stopped it, so the trail tells a leaver's late attempt from a lockout.
        event = "auth:signin:locked" if user.active else "auth:signin:disabled"
        uow.audit.record(actor=user.username, event=event, entity=f"user:{user.id}")
        uow.commit()
        raise RefusedError(LOCKED_OUT_MESSAGE if user.active else "your sign-in has expired: start again")
    step = _step_of_code(user.totp_secret, code.strip(), uow.now())
    reused = step is not None and user.last_code_step is not None and step <= user.last_code_step
    if step is None or reused:
        _count_failure(uow, user, now)  # the lock it may bring ends this half sign-in with the others
        uow.audit.record(actor=user.username, event="auth:totp:fail", entity=f"user:{user.id}")
        uow.commit()
        if reused:
            raise RefusedError("that security code has already been used: wait for the next one")
        raise RefusedError("the security code is not right")
    uow.session.delete(session)
    signed_in = _new_session(uow, user, now, second_factor_done=True)
    user.failed_logins = 0
    user.last_login_at = now
    user.last_code_step = step
    uow.audit.record(actor=user.username, event="auth:signin:success", entity=f"user:{user.id}")
    uow.commit()
    return _signed_in(user), signed_in


def _step_of_code(secret: str, code: str, moment: datetime) -> int | None:
    """The time step ``code`` belongs to: the step at ``moment`` or one either side (authenticator
    clocks drift, as pyotp's ``valid_window=1`` allows); ``None`` when it is none of them."""
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        at = moment + timedelta(seconds=totp.interval * drift)
        if hmac.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


@dataclass(frozen=True, slots=True)
class SessionState:
    user: SignedInUser
    second_factor_done: bool
    csrf_token: str


def session_for(
    *, uow: UnitOfWork, token: str, idle_timeout: timedelta, lifetime: timedelta
) -> SessionState | None:
    """The session behind a cookie, refreshed; None when unknown, idle too long, or older than
    ``lifetime`` however active (a browser left signed in on a shared computer must not stay so)."""
    now = uow.now().replace(tzinfo=None)
    session = uow.session.get(WebSessionRow, _hash(token))
    if session is None:
        return None
    if now - session.last_seen_at > idle_timeout or now - session.created_at > lifetime:
        uow.session.delete(session)
        uow.commit()
        return None
    user = uow.session.get(UserRow, session.user_id)
    if user is None or not user.active:
        return None
    if now - session.last_seen_at > SEEN_GRANULARITY:
        session.last_seen_at = now
        uow.commit()
    return SessionState(_signed_in(user), session.second_factor_done, session.csrf_token)


def sign_out(*, uow: UnitOfWork, token: str) -> None:
    uow.session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == _hash(token)))
    uow.commit()


class SessionEndedError(RefusedError):
    """The session asking is over: this attempt locked the account and ended every session of it, or
    the session had already ended."""


def change_password(
    *, uow: UnitOfWork, user_id: int, session_token: str, current_password: str, new_password: str
) -> str:
    """Give a signed-in user a new password; the token of the fresh session that replaces theirs.

    The current password is asked for again, so that a session left open on a shared computer cannot
    be used to take the account over; wrong answers count towards the same lockout as sign-in, and the
    attempt that locks the account also ends every session of it (``SessionEndedError``). A change ends
    every session too, since the old password may be known to someone else, and the browser that made
    the change gets a new session in place of its old one, so a token seen before the change is worth
    nothing after it.
    """
    now = uow.now().replace(tzinfo=None)
    user = uow.session.get(UserRow, user_id, with_for_update=True)
    session = uow.session.get(WebSessionRow, _hash(session_token))
    if user is None or not user.active or session is None or session.user_id != user.id:
        raise SessionEndedError("your session has ended: sign in again")
    if is_locked(user.locked_until, now):
        raise RefusedError(LOCKED_OUT_MESSAGE)
    if not _verify(user.password_hash, current_password):
        locked = _count_failure(uow, user, now)
        if locked:
            end_sessions(uow, user.id)
        uow.audit.record(actor=user.username, event="auth:password:fail", entity=f"user:{user.id}")
        uow.commit()
        if locked:
            raise SessionEndedError(
                f"too many failed attempts: you are signed out; try again in {_LOCKOUT_WORDS}"
            )
        raise InvalidFieldError("current_password", "is not right")
    if hmac.compare_digest(new_password.encode(), current_password.encode()):
        raise InvalidFieldError("new_password", "must not be the same as your current password")
    try:
        user.password_hash = password_hash(new_password)
    except InvalidFieldError as error:
        raise InvalidFieldError("new_password", error.message) from None
    user.failed_logins = 0
    ended = end_sessions(uow, user.id)
    # The new session keeps the old one's age: changing the password does not put off the sign-out a
    # session's lifetime brings, nor stand in for the one-time code.
    started = session.created_at
    token = _new_session(uow, user, now, second_factor_done=session.second_factor_done, started=started)
    uow.audit.record(
        actor=user.username,
        event="auth:password:change",
        entity=f"user:{user.id}",
        change={"sessions_ended": ended},
    )
    uow.commit()
    return token


def end_sessions(uow: UnitOfWork, user_id: int) -> int:
    """Sign the account out everywhere; how many sessions it had."""
    sessions = WebSessionRow.user_id == user_id
    ended = uow.session.scalar(select(func.count()).where(sessions)) or 0
    uow.session.execute(delete(WebSessionRow).where(sessions))
    return ended


def current_code(*, uow: UnitOfWork, username: str) -> str:
    """The user's current one-time code: for demo mode only (the CLI refuses otherwise)."""
    user = uow.session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise RefusedError(f"no user {username}")
    return pyotp.TOTP(user.totp_secret).at(uow.now())


def _new_session(
    uow: UnitOfWork,
    user: UserRow,
    now: datetime,
    *,
    second_factor_done: bool = False,
    started: datetime | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    uow.session.add(
        WebSessionRow(
            token_hash=_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            second_factor_done=second_factor_done,
            created_at=started or now,
            last_seen_at=now,
        )
    )
    return token


def _count_failure(uow: UnitOfWork, user: UserRow, now: datetime) -> bool:
    """One more wrong password or code, from sign-in or a password change alike; whether it was the
    one that locks the account (the count then starts again). Locking also ends the account's
    half-finished sign-ins, which could otherwise wait out the lock's start."""
    user.failed_logins += 1
    if user.failed_logins < MAX_FAILED_LOGINS:
        return False
    user.locked_until = now + LOCKOUT
    user.failed_logins = 0
    uow.session.execute(
        delete(WebSessionRow).where(
            WebSessionRow.user_id == user.id, WebSessionRow.second_factor_done.is_(False)
        )
    )
    return True


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signed_in(user: UserRow) -> SignedInUser:
    return SignedInUser(
        id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role)
    )
