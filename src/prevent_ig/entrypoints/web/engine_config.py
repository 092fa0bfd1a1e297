"""The engine configuration for web decisions: the file's settings plus the accredited-domain register."""

from fastapi import Request

from prevent_ig.domain.config import EngineConfig
from prevent_ig.entrypoints.web.auth import records_of
from prevent_ig.services.registers import with_registered_domains


def engine_config_for(request: Request) -> EngineConfig:
    """Built once per request (a page may decide, check an address and date a deadline), read-only."""
    cached: EngineConfig | None = getattr(request.state, "engine_config", None)
    if cached is not None:
        return cached
    records = records_of(request)
    with records.new_unit_of_work().reading() as uow:
        config = with_registered_domains(uow, records.engine_config)
    request.state.engine_config = config
    return config
