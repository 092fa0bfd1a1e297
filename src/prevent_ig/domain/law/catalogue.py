"""The provisions catalogue: every law, condition and principle the project may cite.

The catalogue is data (``provisions.yaml``, shipped in the package) so that an IG professional can
review the summaries without reading code. It is read once per process and cached.
"""

from datetime import date
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict


class Provision(BaseModel):
    """One citable provision, summarised in our own words with a link to its public source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    citation: str
    summary: str
    guidance_sections: list[str]
    valid_from: date | None
    url: str | None


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    provisions: list[Provision]

    def ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.provisions)

    def get(self, provision_id: str) -> Provision:
        for provision in self.provisions:
            if provision.id == provision_id:
                return provision
        raise KeyError(provision_id)


@cache
def load_catalogue() -> Catalogue:
    """Parse the packaged catalogue once; a malformed file fails loudly at first use."""
    text = resources.files(__package__).joinpath("provisions.yaml").read_text(encoding="utf-8")
    catalogue = Catalogue.model_validate(yaml.safe_load(text))
    if len(catalogue.ids()) != len(catalogue.provisions):
        raise ValueError("provisions.yaml lists a provision id more than once")
    return catalogue


@cache
def catalogue_ids() -> frozenset[str]:
    return load_catalogue().ids()
