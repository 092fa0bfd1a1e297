"""The engine configuration for web decisions: the file's settings plus the accredited-domain register."""

from fastapi import Request
from sqlalchemy import select

from prevent_ig.adapters.records.tables import AccreditedDomainRow
from prevent_ig.domain.config import AccreditedDomain, EngineConfig
from prevent_ig.entrypoints.web.auth import records_of


def engine_config_for(request: Request) -> EngineConfig:
    """Built once per request (a page may decide, check an address and date a deadline), read-only."""
    cached: EngineConfig | None = getattr(request.state, "engine_config", None)
    if cached is not None:
        return cached
    records = records_of(request)
    with records.new_unit_of_work().reading() as uow:
        registered = [
            AccreditedDomain(domain=row.domain, expires=row.expires_on)
            for row in uow.session.scalars(select(AccreditedDomainRow))
        ]
    base = records.engine_config
    config = EngineConfig(
        accredited_domains=(*base.accredited_domains, *registered),
        holidays_added=base.holidays_added,
        holidays_removed=base.holidays_removed,
    )
    request.state.engine_config = config
    return config
