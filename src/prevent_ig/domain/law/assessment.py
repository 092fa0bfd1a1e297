"""The input of a sharing assessment, as the decision rules (version 1) define it.

Every field is required (``None`` only where the contract allows null) and unknown keys are refused, so
a typo in a partner's script is an error rather than a silently ignored answer. Scalars are strict: a
JSON ``"true"`` is not a boolean and ``"34"`` is not an age. Checks that span several fields live in
``input_checks`` so that all of them can be reported at once, each against its own field.
"""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from pydantic.types import Strict

from prevent_ig.domain.law.vocabulary import (
    AdviserRole,
    ConsentGiver,
    ConsentStatus,
    ItemCategory,
    Kind,
    LegalRequirement,
    Purpose,
    ReasonNotSought,
    RecipientType,
    SubjectRole,
)

StrictDate = Annotated[date, Strict()]
Age = Annotated[int, Strict(), Field(ge=0, le=130)]


class ContractModel(BaseModel):
    """Base for every part of the input: closed, immutable, no defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Subject(ContractModel):
    """The person the data is about; their role decides which record the decision goes in."""

    role: SubjectRole
    age: Age
    adult_at_risk: StrictBool = Field(
        description="18+ with care and support needs, at risk of harm, unable to protect themselves"
    )
    has_capacity: StrictBool = Field(
        description="Can decide about this sharing (MCA 2005 from 16; Gillick competence under 16)"
    )


class Consent(ContractModel):
    status: ConsentStatus
    given_by: ConsentGiver | None = Field(description="Non-null exactly when status is 'given'")
    reason_not_sought: ReasonNotSought | None = Field(description="Null unless status is 'not_sought'")


class Recipient(ContractModel):
    name: StrictStr = Field(description="The receiving organisation")
    type: RecipientType
    competent_authority: StrictBool = Field(
        description="Under DPA 2018 Sch 7 or with statutory law-enforcement functions"
    )
    email: StrictStr | None = Field(description="Where the data would be sent")
    dsa_in_place: StrictBool = Field(
        description="A data sharing agreement referencing Prevent is signed with this partner"
    )


class Request(ContractModel):
    """A partner's request for information, with the guidance §5 checklist as flags."""

    received: StrictDate
    proforma: StrictBool
    secure_channel: StrictBool
    consent_position_stated: StrictBool
    reason_given: StrictBool = Field(
        description="For the VSS: stated their role and the suspected safeguarding issue (§7)"
    )
    specific: StrictBool
    legal_powers_cited: list[StrictStr] = Field(description="Provision ids from the catalogue")


class Grounds(ContractModel):
    """The professional's own judgements, which the engine never second-guesses."""

    risk_of_harm_to_self: StrictBool
    risk_of_harm_to_others: StrictBool
    substantial_public_interest: StrictBool
    informing_would_prejudice: StrictBool
    best_interests: StrictBool
    legal_requirement: LegalRequirement | None = Field(
        description="Disclosure compelled by law; s115 CDA 1998 and s38 CTSA 2015 are not requirements"
    )
    legal_requirement_detail: StrictStr | None = Field(
        description="The order or enactment; non-empty exactly when legal_requirement is set"
    )
    rationale: StrictStr = Field(description="The reasoning; non-empty unless consent is given")

    @property
    def risk(self) -> bool:
        """The rules read "risk" as harm to the person or to others."""
        return self.risk_of_harm_to_self or self.risk_of_harm_to_others


class Item(ContractModel):
    """One piece of information that might be released, judged on its own."""

    id: StrictStr
    description: StrictStr
    category: ItemCategory
    relevant: StrictBool
    justification: StrictStr


class IgAdvice(ContractModel):
    adviser_role: AdviserRole
    supports_sharing: StrictBool | None = Field(description="Null while the advice is awaited")


class Assessment(ContractModel):
    """One case-by-case sharing question (guidance §6)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="SharingAssessmentInput",
        json_schema_extra={"$comment": "prevent-ig decision rules version 1"},
    )

    kind: Kind
    purpose: Purpose
    subject: Subject
    consent: Consent
    recipient: Recipient
    request: Request | None = Field(description="Non-null exactly when kind is 'request_response'")
    grounds: Grounds
    items: list[Item] = Field(min_length=1)
    ig_advice: IgAdvice | None = Field(description="Null when no advice was sought")
