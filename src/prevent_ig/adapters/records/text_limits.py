"""Text longer than its column allows is refused before it reaches the database, naming the field.

Names, roles and addresses are stored in columns of a set length (``tables.NAME`` and the like).
PostgreSQL refuses a longer value with an error the app can only answer with a 500, and SQLite keeps
it, so the same input failed on one database and was stored on the other; and a form that forgot to
check one of its fields (there were several) had no way to say which. Checked here, at every flush of
every session, for every bounded text column, the rule is one and the same wherever a value comes
from: ``TextTooLongError`` names the field and its limit, and the entrypoints answer it as bad input
(web 400, API 422, CLI exit 2), the unit of work having rolled back.
"""

from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session, sessionmaker


class TextTooLongError(ValueError):
    def __init__(self, field: str, limit: int) -> None:
        self.field = field
        self.limit = limit
        super().__init__(f"{field}: must be at most {limit} characters")

    @property
    def message(self) -> str:
        return f"must be at most {self.limit} characters"


def refuse_text_too_long(factory: sessionmaker[Session]) -> None:
    """Check every new or changed row of the factory's sessions before each flush."""
    event.listen(factory, "before_flush", _check_pending)


def _check_pending(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        for attribute in inspect(row).mapper.column_attrs:
            column = attribute.columns[0]
            limit = column.type.length if isinstance(column.type, String) else None
            if limit is None:
                continue
            value = getattr(row, attribute.key, None)
            if isinstance(value, str) and len(value) > limit:
                raise TextTooLongError(attribute.key, limit)
