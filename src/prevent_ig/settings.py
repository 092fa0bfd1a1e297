"""Settings read from the environment (prefix ``PREVENT_IG_``), one class per concern.

Only entrypoints read settings; the domain receives plain values, so nothing deep in the code depends
on how the process was started.
"""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseSettings):
    """Where the sharing engine's configuration lives."""

    model_config = SettingsConfigDict(env_prefix="PREVENT_IG_", extra="ignore")

    engine_config: Path | None = Field(
        default=None,
        description="YAML file with accredited secure domains and bank-holiday overrides; "
        "none means no accredited domains and no overrides.",
    )
