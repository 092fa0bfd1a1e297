"""Builders for valid assessment inputs, with keyword-only overrides (tests read as the facts)."""

import copy
import json
from typing import Any

from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.input_checks import parse_assessment

BASE: dict[str, Any] = {
    "kind": "referral",
    "purpose": "prevent_referral",
    "subject": {"role": "patient", "age": 36, "adult_at_risk": False, "has_capacity": True},
    "consent": {"status": "given", "given_by": "subject", "reason_not_sought": None},
    "recipient": {
        "name": "Northshire Police Prevent Team",
        "type": "police",
        "competent_authority": True,
        "email": "prevent@northshire.pnn.police.uk",
        "dsa_in_place": True,
    },
    "request": None,
    "grounds": {
        "risk_of_harm_to_self": False,
        "risk_of_harm_to_others": True,
        "substantial_public_interest": True,
        "informing_would_prejudice": False,
        "best_interests": False,
        "legal_requirement": None,
        "legal_requirement_detail": None,
        "rationale": "Synthetic rationale.",
    },
    "items": [
        {
            "id": "demographics",
            "description": "Name and date of birth",
            "category": "identity",
            "relevant": True,
            "justification": "Needed to identify the person",
        }
    ],
    "ig_advice": None,
}

REQUEST_COMPLETE: dict[str, Any] = {
    "received": "2026-11-23",
    "proforma": True,
    "secure_channel": True,
    "consent_position_stated": True,
    "reason_given": True,
    "specific": True,
    "legal_powers_cited": ["CTSA2015.s38"],
}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists, scalars, null) replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def input_data(**overrides: Any) -> dict[str, Any]:
    return deep_merge(BASE, overrides)


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=str)


def assessment(**overrides: Any) -> Assessment:
    return parse_assessment(to_json(input_data(**overrides)), decided_on=None)


def item(
    item_id: str,
    category: str = "identity",
    *,
    relevant: bool = True,
    justification: str = "Needed for the stated purpose",
) -> dict[str, Any]:
    return {
        "id": item_id,
        "description": f"Synthetic {category} item",
        "category": category,
        "relevant": relevant,
        "justification": justification,
    }
