"""Who may do what: roles and the permissions each route declares (pure data, no I/O).

Special category data sits behind the narrowest door that still lets each person do their job: a
practitioner sees only the concerns they raised (and not the decisions' reasoning or the IG advice on
them), an administrator manages accounts but never sees case content, an auditor reads the audit
trail and the Caldicott log and changes nothing. The SIRO, who answers for information risk and to
whom a disputed decision may go, reads the Caldicott log too.
"""

from enum import StrEnum


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    PREVENT_LEAD = "prevent_lead"
    IG_ADVISER = "ig_adviser"
    SIRO = "siro"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


class Permission(StrEnum):
    PUBLIC = "public"
    """Sign-in pages and static files: no account needed."""
    SIGNED_IN = "signed_in"
    """Any signed-in user (home page, sign out)."""
    CONCERN_RAISE = "concern:raise"
    CASE_VIEW_OWN = "case:view_own"
    CASE_VIEW_ALL = "case:view_all"
    CASE_MANAGE = "case:manage"
    ASSESSMENT_RUN = "assessment:run"
    REQUEST_MANAGE = "request:manage"
    DASHBOARD_VIEW = "dashboard:view"
    ADVICE_GIVE = "advice:give"
    REGISTER_VIEW = "register:view"
    CALDICOTT_LOG_VIEW = "caldicott:view"
    """Read the Caldicott log (guidance §2): the advice there is free text about cases, so only those who
    give it, act on it, answer for information risk or audit it (not administrators)."""
    REGISTER_EDIT = "register:edit"
    DSA_SIGN = "dsa:sign"
    AUDIT_VIEW = "audit:view"
    OVERSIGHT_VIEW = "oversight:view"
    """Reports that prove the service did its job on time (partner requests answered within 5 working
    days): for the lead who reports to the board, the SIRO and auditors. Organisations and ids only."""
    USER_ADMIN = "user:admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PRACTITIONER: frozenset({Permission.CONCERN_RAISE, Permission.CASE_VIEW_OWN}),
    Role.PREVENT_LEAD: frozenset(
        {
            Permission.CONCERN_RAISE,
            Permission.CASE_VIEW_OWN,
            Permission.CASE_VIEW_ALL,
            Permission.CASE_MANAGE,
            Permission.ASSESSMENT_RUN,
            Permission.REQUEST_MANAGE,
            Permission.DASHBOARD_VIEW,
            Permission.REGISTER_VIEW,
            Permission.CALDICOTT_LOG_VIEW,
            Permission.OVERSIGHT_VIEW,
        }
    ),
    Role.IG_ADVISER: frozenset(
        {
            Permission.ADVICE_GIVE,
            Permission.REGISTER_VIEW,
            Permission.REGISTER_EDIT,
            Permission.CALDICOTT_LOG_VIEW,
        }
    ),
    Role.SIRO: frozenset(
        {
            Permission.DSA_SIGN,
            Permission.REGISTER_VIEW,
            Permission.CALDICOTT_LOG_VIEW,
            Permission.OVERSIGHT_VIEW,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            Permission.AUDIT_VIEW,
            Permission.REGISTER_VIEW,
            Permission.CALDICOTT_LOG_VIEW,
            Permission.OVERSIGHT_VIEW,
        }
    ),
    Role.ADMINISTRATOR: frozenset(
        {Permission.USER_ADMIN, Permission.REGISTER_VIEW, Permission.REGISTER_EDIT}
    ),
}


def allows(role: Role, permission: Permission) -> bool:
    if permission in (Permission.PUBLIC, Permission.SIGNED_IN):
        return True
    return permission in ROLE_PERMISSIONS[role]


def may_view_case(role: Role, *, actor: str, raised_by: str) -> bool:
    """Everyone with the all-cases permission, and otherwise only the person who raised the concern.

    The web app and the API both ask this, so the rule is enforced by one piece of code.
    """
    if allows(role, Permission.CASE_VIEW_ALL):
        return True
    return allows(role, Permission.CASE_VIEW_OWN) and raised_by == actor
