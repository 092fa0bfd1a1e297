"""Lay out a document as PDF: Jinja2 fills one HTML template, WeasyPrint renders it.

Templates only lay out what the domain decided to put in a document. Every value is HTML-escaped,
and the renderer refuses to fetch any URL, so text from a record can never pull in a remote image or
stylesheet (which would leak that the document was opened, and where). WeasyPrint is imported on
first use: it takes most of a second to load and most commands never render a PDF.
"""

from datetime import date
from functools import cache
from importlib import resources
from typing import Any, NoReturn

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from prevent_ig.domain.documents.model import Document

PDF_MEDIA_TYPE = "application/pdf"


class FetchRefusedError(ValueError):
    """A template or value tried to load something from outside the document."""


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("prevent_ig.adapters.documents", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _stylesheet() -> str:
    return resources.files(__package__).joinpath("templates", "document.css").read_text(encoding="utf-8")


def _refuse_fetch(url: str, *_args: Any, **_kwargs: Any) -> NoReturn:
    raise FetchRefusedError(f"documents load nothing from outside: refused {url[:80]!r}")


def render_html(document: Document) -> str:
    from markupsafe import Markup  # noqa: PLC0415 -- Jinja2's own dependency; kept beside its one use

    return (
        _environment()
        .get_template("document.html")
        .render(
            document=document,
            issued_on=_long_date(document.issued_on),
            stylesheet=Markup(_stylesheet()),  # noqa: S704 -- our own packaged stylesheet, not user text
        )
    )


class PdfRenderer:
    """Renders a document to PDF bytes; the service takes any object with this ``render``."""

    media_type = PDF_MEDIA_TYPE

    def render(self, document: Document) -> bytes:
        from weasyprint import HTML  # type: ignore[import-untyped]  # noqa: PLC0415 -- slow import, used only here

        pdf = HTML(string=render_html(document), url_fetcher=_refuse_fetch).write_pdf()
        if pdf is None:  # only when a target file is given, which we never do
            raise RuntimeError("WeasyPrint returned no PDF")
        return bytes(pdf)


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
