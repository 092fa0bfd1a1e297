"""Closed vocabularies of the sharing assessment (decision rules version 1).

Every value is part of the stable JSON contract that partners script against, so members are never
renamed; new ones come with a new rules version.
"""

from enum import StrEnum


class Kind(StrEnum):
    REFERRAL = "referral"
    REQUEST_RESPONSE = "request_response"
    DISCLOSURE = "disclosure"


class Purpose(StrEnum):
    PREVENT_REFERRAL = "prevent_referral"
    POLICE_SCREENING = "police_screening"
    CHANNEL_INFORMATION_GATHERING = "channel_information_gathering"
    CHANNEL_PANEL = "channel_panel"
    SUPPORT_PLAN = "support_plan"
    CRIME_PREVENTION = "crime_prevention"
    SAFEGUARDING = "safeguarding"


class SubjectRole(StrEnum):
    PATIENT = "patient"
    SERVICE_USER = "service_user"
    STAFF = "staff"


class ConsentStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    NOT_SOUGHT = "not_sought"


class ConsentGiver(StrEnum):
    SUBJECT = "subject"
    PARENT_OR_GUARDIAN = "parent_or_guardian"
    LEGAL_REPRESENTATIVE = "legal_representative"


class ReasonNotSought(StrEnum):
    PREJUDICE_PURPOSE = "prejudice_purpose"
    RISK_OF_HARM = "risk_of_harm"
    URGENT = "urgent"
    LACKS_CAPACITY = "lacks_capacity"


class RecipientType(StrEnum):
    POLICE = "police"
    LOCAL_AUTHORITY = "local_authority"
    CHANNEL_PANEL = "channel_panel"
    VSS = "vss"
    PROBATION = "probation"
    HEALTH = "health"
    OTHER = "other"


class LegalRequirement(StrEnum):
    COURT_ORDER = "court_order"
    STATUTE = "statute"


class ItemCategory(StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    HEALTH = "health"
    RACIAL_ETHNIC_ORIGIN = "racial_ethnic_origin"
    POLITICAL_OPINIONS = "political_opinions"
    RELIGIOUS_BELIEFS = "religious_beliefs"
    TRADE_UNION = "trade_union"
    GENETIC_BIOMETRIC = "genetic_biometric"
    SEX_LIFE_ORIENTATION = "sex_life_orientation"
    CRIMINAL_OFFENCE = "criminal_offence"
    OTHER = "other"

    @property
    def is_special_category(self) -> bool:
        """UK GDPR Art 9(1) data: needs an Art 9(2) condition on top of an Art 6 basis."""
        return self in SPECIAL_CATEGORIES

    @property
    def is_sensitive(self) -> bool:
        """Special category or criminal offence data: both need a further condition (Art 9, Art 10)."""
        return self in SPECIAL_CATEGORIES or self is ItemCategory.CRIMINAL_OFFENCE


SPECIAL_CATEGORIES = frozenset(
    {
        ItemCategory.HEALTH,
        ItemCategory.RACIAL_ETHNIC_ORIGIN,
        ItemCategory.POLITICAL_OPINIONS,
        ItemCategory.RELIGIOUS_BELIEFS,
        ItemCategory.TRADE_UNION,
        ItemCategory.GENETIC_BIOMETRIC,
        ItemCategory.SEX_LIFE_ORIENTATION,
    }
)


class AdviserRole(StrEnum):
    DPO = "dpo"
    CALDICOTT_GUARDIAN = "caldicott_guardian"
    IG_TEAM = "ig_team"


class Outcome(StrEnum):
    SHARE = "share"
    SEEK_CONSENT = "seek_consent"
    CLARIFY = "clarify"
    ESCALATE = "escalate"
    DO_NOT_SHARE = "do_not_share"


class Decisive(StrEnum):
    """The finding that set the outcome; each is also the code of a reason in the output."""

    RECIPIENT_NOT_COMPETENT_AUTHORITY = "recipient_not_competent_authority"
    CHANNEL_CONSENT_MISSING = "channel_consent_missing"
    REQUEST_INCOMPLETE = "request_incomplete"
    UNUSUAL_RECIPIENT = "unusual_recipient"
    CONSENT_NOT_SOUGHT = "consent_not_sought"
    BEST_INTERESTS_NEEDED = "best_interests_needed"
    NO_OVERRIDE = "no_override"
    NOTHING_TO_RELEASE = "nothing_to_release"
    ADVISER_AGAINST = "adviser_against"
    LAWFUL_TO_SHARE = "lawful_to_share"


class ReasonCode(StrEnum):
    """Every reason the engine can give: the decisive findings plus the supporting ones."""

    RECIPIENT_NOT_COMPETENT_AUTHORITY = "recipient_not_competent_authority"
    CHANNEL_CONSENT_MISSING = "channel_consent_missing"
    REQUEST_INCOMPLETE = "request_incomplete"
    UNUSUAL_RECIPIENT = "unusual_recipient"
    CONSENT_NOT_SOUGHT = "consent_not_sought"
    BEST_INTERESTS_NEEDED = "best_interests_needed"
    NO_OVERRIDE = "no_override"
    NOTHING_TO_RELEASE = "nothing_to_release"
    ADVISER_AGAINST = "adviser_against"
    LAWFUL_TO_SHARE = "lawful_to_share"
    ROUTE_LEGAL_REQUIREMENT = "route_legal_requirement"
    ROUTE_CONSENT = "route_consent"
    ROUTE_BEST_INTERESTS = "route_best_interests"
    ROUTE_PUBLIC_INTEREST = "route_public_interest"
    SPECIAL_CATEGORY_CONDITION = "special_category_condition"
    CRIMINAL_OFFENCE_CONDITION = "criminal_offence_condition"
    NO_SENSITIVE_CONDITION = "no_sensitive_condition"
    MINIMUM_NECESSARY = "minimum_necessary"
    CRIME_AND_DISORDER_ACT_POWER = "crime_and_disorder_act_power"
    CHANNEL_DUTY_TO_COOPERATE = "channel_duty_to_cooperate"


class WithheldReason(StrEnum):
    NOT_RELEVANT = "not_relevant"
    NO_JUSTIFICATION = "no_justification"
    NO_CONDITION = "no_condition"


class MissingCode(StrEnum):
    REQUEST_PROFORMA = "request_proforma"
    REQUEST_SECURE_CHANNEL = "request_secure_channel"
    REQUEST_CONSENT_POSITION = "request_consent_position"
    REQUEST_REASON = "request_reason"
    REQUEST_SPECIFIC = "request_specific"
    REQUEST_LEGAL_POWERS = "request_legal_powers"
    COMPETENT_AUTHORITY_RECIPIENT = "competent_authority_recipient"
    CHANNEL_CONSENT = "channel_consent"
    IG_DETERMINATION = "ig_determination"
    CONSENT = "consent"
    BEST_INTERESTS_DECISION = "best_interests_decision"
    PUBLIC_INTEREST_GROUNDS = "public_interest_grounds"
    RELEASABLE_ITEM = "releasable_item"
    SENSITIVE_CONDITION = "sensitive_condition"
    ADVISER_SUPPORT = "adviser_support"


class ObligationCode(StrEnum):
    DOCUMENT_DECISION = "document_decision"
    CALDICOTT_LOG = "caldicott_log"
    DSA_MISSING = "dsa_missing"
    RESPOND_BY = "respond_by"
    MARK_OFFICIAL_SENSITIVE = "mark_official_sensitive"
    SEND_SECURELY = "send_securely"
    ADD_SECURE_TAG = "add_secure_tag"
    USE_NATIONAL_REFERRAL_FORM = "use_national_referral_form"
    CONSIDER_INFORMING_SUBJECT = "consider_informing_subject"
    SEEK_IG_ADVICE = "seek_ig_advice"
    SEEK_CONSENT_AFTERWARDS = "seek_consent_afterwards"
    CHECK_APPROPRIATE_POLICY_DOCUMENT = "check_appropriate_policy_document"
