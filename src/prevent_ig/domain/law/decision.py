"""The output of a sharing assessment: the decision, its legal basis and its explanation."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from prevent_ig.domain.law.vocabulary import (
    Decisive,
    MissingCode,
    ObligationCode,
    Outcome,
    ReasonCode,
    WithheldReason,
)

RULES_VERSION = "1"


class DecisionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Basis(DecisionModel):
    """The lawful basis of a share; every field is null unless the outcome is ``share``."""

    article6: str | None = None
    article9: str | None = Field(default=None, description="Only when special category items are released")
    article10_condition: str | None = Field(
        default=None, description="Only when criminal offence items are released"
    )
    dpa_condition: str | None = Field(
        default=None,
        description="Only when sensitive items are released under a DPA 2018 Sch 1 Part 2 condition",
    )
    confidentiality: str | None = None

    def provision_ids(self) -> list[str]:
        """The ids in a fixed order, without nulls or repeats."""
        ids = (
            self.article6,
            self.article9,
            self.article10_condition,
            self.dpa_condition,
            self.confidentiality,
        )
        return list(dict.fromkeys(i for i in ids if i is not None))


class WithheldItem(DecisionModel):
    id: str
    reason: WithheldReason


class Reason(DecisionModel):
    code: ReasonCode
    text: str
    provisions: list[str] = Field(description="Provision ids from the catalogue; may be empty")
    guidance_section: str = Field(description="Sections of the guidance, e.g. '§3, §6'")


class Missing(DecisionModel):
    code: MissingCode
    text: str


class Obligation(DecisionModel):
    code: ObligationCode
    text: str
    due: date | None


class Decision(DecisionModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="SharingAssessmentOutput",
        json_schema_extra={"$comment": "prevent-ig decision rules version 1"},
    )

    outcome: Outcome
    decisive: Decisive
    basis: Basis
    items_to_share: list[str]
    items_withheld: list[WithheldItem]
    reasons: list[Reason]
    missing: list[Missing]
    obligations: list[Obligation]
    rules_version: str = RULES_VERSION
    decided_on: date

    def cited_provisions(self) -> set[str]:
        """Every provision id any reason cites."""
        return {p for reason in self.reasons for p in reason.provisions}
