"""Read the engine's configuration from a YAML file an administrator maintains.

Example::

    accredited_domains:            # DCB1596 accreditation lasts a year: keep expiry dates current
      - {domain: example-trust.nhs.uk, expires: 2027-03-31}
    holiday_overrides:
      add: [2027-06-07]            # a one-off bank holiday announced after the holidays release
      remove: []
"""

from datetime import date
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.types import Strict

from prevent_ig.domain.config import EngineConfig, make_engine_config
from prevent_ig.domain.transmit.secure_email import MalformedAddressError

StrictDate = Annotated[date, Strict()]


class ConfigFileError(ValueError):
    """The configuration file is missing or wrong; the message names the field."""


class _Domain(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domain: str
    expires: StrictDate


class _Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid")
    add: list[StrictDate] = Field(default_factory=list)
    remove: list[StrictDate] = Field(default_factory=list)


class _ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accredited_domains: list[_Domain] = Field(default_factory=list)
    holiday_overrides: _Overrides = Field(default_factory=_Overrides)


def engine_config_from_mapping(data: object, *, source: str = "configuration") -> EngineConfig:
    try:
        parsed = _ConfigFile.model_validate(data or {})
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise ConfigFileError(f"{source}: {field}: {first['msg']}") from None
    try:
        return make_engine_config(
            accredited_domains=[(d.domain, d.expires) for d in parsed.accredited_domains],
            holidays_added=parsed.holiday_overrides.add,
            holidays_removed=parsed.holiday_overrides.remove,
        )
    except MalformedAddressError as error:
        raise ConfigFileError(f"{source}: accredited_domains: {error}") from None


def load_engine_config(path: Path | None) -> EngineConfig:
    if path is None:
        return EngineConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigFileError(f"{path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise ConfigFileError(f"{path}: is not UTF-8 text (byte {error.start} cannot be read)") from None
    except yaml.YAMLError as error:
        raise ConfigFileError(f"{path}: is not valid YAML ({error})") from None
    return engine_config_from_mapping(data, source=str(path))
