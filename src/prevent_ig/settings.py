"""Settings read from the environment (prefix ``PREVENT_IG_``), one class per concern.

Only entrypoints read settings; the domain receives plain values, so nothing deep in the code depends
on how the process was started.
"""

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseSettings):
    """Where the sharing engine's configuration lives."""

    model_config = SettingsConfigDict(env_prefix="PREVENT_IG_", extra="ignore", env_ignore_empty=True)

    engine_config: Path | None = Field(
        default=None,
        description="YAML file with accredited secure domains and bank-holiday overrides; "
        "none means no accredited domains and no overrides.",
    )


class DatabaseSettings(BaseSettings):
    """Where case records live."""

    model_config = SettingsConfigDict(env_prefix="PREVENT_IG_", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the embedded SQLite database and the generated audit key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; "
        "default: the SQLite file prevent-ig.sqlite3 in data_dir.",
    )

    database_busy_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="How long a call waits for the database (a lock, a free pooled PostgreSQL "
        "connection, a new connection) before it gives up; its transaction rolls back and the API "
        "answers 503.",
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=100,
        description="PostgreSQL connections each process keeps for writes, and as many again for reads: "
        "a process never opens more than twice this. Keep processes x 2 x this under the server's "
        "max_connections (web threads above this wait for a connection rather than open one).",
    )

    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'prevent-ig.sqlite3').resolve()}"


class AuditSettings(BaseSettings):
    """The secret that keys the audit log's digests of changed personal data."""

    model_config = SettingsConfigDict(env_prefix="PREVENT_IG_", extra="ignore", env_ignore_empty=True)

    audit_key: str | None = Field(
        default=None,
        description="HMAC key for audit digests (at least 32 characters). Default: a random key "
        "generated once into data_dir/audit.key. Keep it secret and back it up with the database.",
    )


class WebSettings(BaseSettings):
    """The web application."""

    model_config = SettingsConfigDict(env_prefix="PREVENT_IG_WEB_", extra="ignore", env_ignore_empty=True)

    host: str = Field(default="127.0.0.1", description="Address to serve on.")
    port: int = Field(default=8000, description="Port to serve on.")
    demo_mode: bool = Field(
        default=False,
        description="Demo mode: synthetic data, `prevent-ig demo totp USER` works. Never in production.",
    )
    secure_cookies: bool = Field(
        default=True, description="Mark cookies Secure (browsers accept them on localhost over http)."
    )
    idle_timeout_minutes: int = Field(
        default=30, ge=1, le=720, description="Sign out after this long without activity."
    )
    session_hours: int = Field(
        default=12,
        ge=1,
        le=24,
        description="Sign out this long after signing in, however busy the session: a shift, not a week.",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes. Python runs one request's code at a time per process, so with "
        "PostgreSQL use about one per core; SQLite lets one process write at a time, and they take turns.",
    )
    threads: int = Field(
        default=8,
        ge=1,
        le=100,
        description="Requests served at once in the thread pool that runs database work. More threads "
        "than this only contend for Python's interpreter lock and the database's write lock.",
    )
    guidance_url: str = Field(
        default="https://www.gov.uk/government/publications/prevent-and-the-channel-process-in-the-nhs-"
        "information-sharing-and-governance/prevent-and-the-channel-process-in-the-nhs-information-"
        "sharing-and-governance",
        description="The public guidance page that decision pages link to, section by section.",
    )


def settings_problem(error: ValidationError) -> str | None:
    """A settings class's refusal of the environment, in the environment's own terms: each variable
    named as the operator set it, with what it must be. None when ``error`` is not about settings."""
    found = _settings_class(error.title)
    if found is None:
        return None
    prefix = str(found.model_config.get("env_prefix", ""))
    return "; ".join(
        f"{(prefix + '_'.join(str(part) for part in problem['loc'])).upper()}: {problem['msg']}"
        for problem in error.errors(include_url=False)
    )


def _settings_class(name: str) -> type[BaseSettings] | None:
    pending: list[type[BaseSettings]] = [BaseSettings]
    while pending:
        cls = pending.pop()
        if cls is not BaseSettings and cls.__name__ == name:
            return cls
        pending.extend(cls.__subclasses__())
    return None
