"""Readable, plain-text renderings of decisions and provisions for the terminal."""

from prevent_ig.domain.law.catalogue import Catalogue
from prevent_ig.domain.law.decision import Decision

OUTCOME_HEADLINES = {
    "share": "SHARE: you may share the items listed",
    "seek_consent": "SEEK CONSENT: ask the person before sharing anything",
    "clarify": "CLARIFY: go back to the requestor before sharing anything",
    "escalate": "ESCALATE: take this to the IG team, DPO or Caldicott guardian",
    "do_not_share": "DO NOT SHARE: there is no lawful route on these facts",
}


def render_decision(decision: Decision) -> str:
    d = decision
    lines = [
        OUTCOME_HEADLINES[d.outcome.value],
        f"  decisive finding: {d.decisive.value}",
        f"  decided on {d.decided_on.isoformat()} under rules version {d.rules_version}",
    ]
    basis = [f"{name}={value}" for name, value in d.basis.model_dump().items() if value]
    if basis:
        lines.append("  basis: " + ", ".join(basis))
    lines.append("")
    lines.append("Why:")
    for r in d.reasons:
        cites = ", ".join(r.provisions) or "no provision"
        lines.append(f"  - [{r.code.value}] {r.text}")
        lines.append(f"      cites {cites}; guidance {r.guidance_section}")
    if d.items_to_share:
        lines.append("Share: " + ", ".join(d.items_to_share))
    if d.items_withheld:
        lines.append("Withhold: " + ", ".join(f"{w.id} ({w.reason.value})" for w in d.items_withheld))
    if d.missing:
        lines.append("Missing:")
        lines.extend(f"  - [{m.code.value}] {m.text}" for m in d.missing)
    lines.append("You must:")
    for o in d.obligations:
        due = f" (due {o.due.isoformat()})" if o.due else ""
        lines.append(f"  - [{o.code.value}] {o.text}{due}")
    return "\n".join(lines) + "\n"


def render_catalogue(catalogue: Catalogue) -> str:
    blocks = []
    for p in catalogue.provisions:
        sections = ", ".join(p.guidance_sections) or "-"
        valid = p.valid_from.isoformat() if p.valid_from else "unknown"
        blocks.append(
            f"{p.id}\n  {p.title}\n  {p.citation}; guidance {sections}; in force from {valid}\n  {p.summary}"
        )
    return "\n\n".join(blocks) + "\n"
