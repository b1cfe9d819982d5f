"""Column types shared by the models."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import ColumnElement, DateTime, Enum, false
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def str_enum(members: type[enum.StrEnum], length: int) -> Enum:
    """The column type of a `StrEnum`: reads give members, writes take members or their values.

    Stored as before the enums were typed: the members' values (not their names) in a
    VARCHAR(`length`), with no native enum type and no CHECK constraint, so the schema is the
    `String(length)` it replaced and no migration is needed (tests/test_migrations.py checks).
    Writing or comparing with a string that is not a value raises (`validate_strings`)."""
    return Enum(members, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda cls: [m.value for m in cls], validate_strings=True)


def matches_value(column, value) -> ColumnElement[bool]:
    """`column == value` for a value from outside (a query string, an unchecked form): one that
    is none of the column's enum values matches nothing, as it did when the column was a plain
    string, instead of raising."""
    try:
        return column == column.type.enum_class(value)
    except ValueError:
        return false()


# The largest id (or count) a query may carry: INTEGER holds 2**31 - 1 on PostgreSQL (SQLite's
# is wider). A larger number from outside is "not found", never an overflow in the driver.
ID_MAX = 2**31 - 1
