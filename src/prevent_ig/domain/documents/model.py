"""The content of a document prevent-ig issues, independent of how it is rendered.

Every document is the same small shape (titled sections of labelled values, paragraphs and lists), so
one template renders them all and no rule about what goes in a document lives in a template: the
builders in this package decide the content, and the renderer only lays it out. The protective
marking is part of the content, not of the layout, because what is marked is a decision.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"


class DocumentKind(StrEnum):
    REFERRAL = "referral"
    DISCLOSURE = "disclosure"
    CLARIFICATION = "clarification"
    RECORD_NOTE = "record_note"
    CALDICOTT_ENTRY = "caldicott_entry"


REFERENCE_PREFIXES = {
    DocumentKind.REFERRAL: "REF",
    DocumentKind.DISCLOSURE: "DIS",
    DocumentKind.CLARIFICATION: "CLA",
    DocumentKind.RECORD_NOTE: "NOTE",
    DocumentKind.CALDICOTT_ENTRY: "CLOG",
}


def document_reference(kind: DocumentKind, number: int) -> str:
    """``PIG-REF-000012``: unique (the number is the register's id) and free of personal data."""
    return f"PIG-{REFERENCE_PREFIXES[kind]}-{number:06d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """A labelled value; ``value`` None means the form asks for it and we have nothing to give."""

    label: str
    value: str | None
    note: str | None = None
    """Why a value is absent (e.g. not released by the assessment), shown in its place."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    title: str
    entries: tuple[Entry, ...] = ()
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    kind: DocumentKind
    reference: str
    title: str
    issued_on: date
    template: str
    """Which template (and version) produced the content, e.g. ``national-prevent-referral v1``."""
    sections: tuple[Section, ...]
    marking: str = OFFICIAL_SENSITIVE
    addressee: tuple[str, ...] = field(default=())
    """Lines of the address block, for letters."""

    def plain_text(self) -> str:
        """The same content as plain text, for clinical systems and the terminal."""
        lines = [
            self.marking,
            "",
            self.title,
            f"Reference: {self.reference}",
            f"Date: {self.issued_on:%d %B %Y}",
        ]
        if self.addressee:
            lines += ["", *self.addressee]
        for section in self.sections:
            lines += ["", section.title, "-" * len(section.title)]
            for entry in section.entries:
                if entry.value is None:
                    lines.append(f"{entry.label}: ({entry.note or 'not given'})")
                    continue
                lines.append(f"{entry.label}: {entry.value}")
                if entry.note:
                    lines.append(f"  ({entry.note})")
            lines += list(section.paragraphs)
            lines += [f"- {bullet}" for bullet in section.bullets]
        lines += ["", self.marking]
        return "\n".join(lines) + "\n"
