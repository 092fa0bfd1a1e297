"""Text longer than its column allows is refused before it reaches the database, naming the field.

Names, roles and addresses are stored in columns of a set length (``tables.NAME`` and the like).
PostgreSQL refuses a longer value with an error the app can only answer with a 500, and SQLite keeps
it, so the same input failed on one database and was stored on the other; and a form that forgot to
check one of its fields (there were several) had no way to say which. Checked here, at every flush of
every session, for every bounded text column, the rule is one and the same wherever a value comes
from: ``TextTooLongError`` names the field and its limit, and the entrypoints answer it as bad input
(web 400, API 422, CLI exit 2), the unit of work having rolled back.
"""

from functools import cache
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Mapper, Session, sessionmaker


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
        for key, limit in _bounded(inspect(row).mapper):
            value = getattr(row, key, None)
            if isinstance(value, str) and len(value) > limit:
                raise TextTooLongError(key, limit)


@cache
def _bounded(mapper: Mapper[Any]) -> tuple[tuple[str, int], ...]:
    """Each bounded text attribute of a mapped table with its length: worked out once per table, as
    every write of it passes here."""
    found = []
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        if isinstance(column.type, String) and column.type.length is not None:
            found.append((attribute.key, column.type.length))
    return tuple(found)
