"""The provisions catalogue: complete, well-formed, and the only source of citable ids."""

import re
from pathlib import Path

import pytest

from prevent_ig.domain.law import provision_ids
from prevent_ig.domain.law.catalogue import catalogue_ids, load_catalogue

LEGAL_FACTS_IDS = {
    *(f"UKGDPR.6.1.{c}" for c in "abcdef"),
    *(f"UKGDPR.9.2.{c}" for c in "abcdefghij"),
    "DPA2018.Sch1.Pt2.10",
    "DPA2018.Sch1.Pt2.18",
    "DPA2018.Sch1.Pt2.6",
    "DPA2018.Sch1.Pt2.5",
    "DPA2018.Sch1.Pt3.29",
    "DPA2018.Sch1.Pt3.33",
    "UKGDPR.10",
    "DPA2018.s10",
    "DPA2018.Sch2.Pt1.2",
    "UKGDPR.13",
    "UKGDPR.14",
    "Gillick",
    *(f"DPA2018.Sch8.{n}" for n in range(1, 10)),
    "DPA2018.Sch7",
    "DPA2018.Pt3",
    "CDA1998.s115",
    "CTSA2015.s36.4.b",
    "CTSA2015.s38",
    "MCA2005.s1",
    "HRA1998.Art8",
    "CLDC.consent",
    "CLDC.public_interest",
    "CLDC.best_interests",
    "CLDC.legal_requirement",
    *(f"Caldicott.{n}" for n in range(1, 9)),
}


def test_catalogue_has_exactly_the_canonical_ids() -> None:
    assert catalogue_ids() == LEGAL_FACTS_IDS


def test_every_id_the_engine_can_cite_is_in_the_catalogue() -> None:
    constants = {
        value for name, value in vars(provision_ids).items() if name.isupper() and isinstance(value, str)
    }
    assert constants, "provision_ids defines no constants"
    assert constants <= catalogue_ids()


def test_engine_modules_cite_ids_only_through_the_constants() -> None:
    """A provision id typed as a string literal in an engine module would dodge the check above."""
    law = Path(provision_ids.__file__).parent
    pattern = re.compile(r'"(?:UKGDPR|DPA2018|CDA1998|CTSA2015|MCA2005|HRA1998|CLDC|Caldicott)\.[^"]*"')
    offenders = [
        f"{path.name}: {match}"
        for path in law.glob("*.py")
        if path.name != "provision_ids.py"
        for match in pattern.findall(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_entries_are_complete_and_sections_are_real() -> None:
    sections = {f"§{n}" for n in range(1, 12)}
    for provision in load_catalogue().provisions:
        assert provision.title.strip() and provision.summary.strip() and provision.citation.strip()
        assert set(provision.guidance_sections) <= sections, provision.id
        assert provision.url is None or provision.url.startswith("https://"), provision.id


def test_a_provision_is_found_by_its_own_id_and_an_unknown_id_is_named() -> None:
    # Read fresh, past the process-wide cache, so the lookup itself is what is tested: documents and
    # pages print the title of the provision a reason cites, and the wrong entry would misstate the law.
    catalogue = load_catalogue.__wrapped__()
    ids = {provision.id for provision in catalogue.provisions}
    assert catalogue.ids() == ids
    for provision_id in ids:
        assert catalogue.get(provision_id).id == provision_id
    with pytest.raises(KeyError, match=re.escape("No.Such.Provision")):
        catalogue.get("No.Such.Provision")
