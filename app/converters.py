"""URL converters."""
from werkzeug.routing import IntegerConverter, ValidationError

from models.types import ID_MAX


class IdConverter(IntegerConverter):
    """A database id: 1 to 10 digits and at most ID_MAX, so /people/99999999999 is a 404, not
    an integer overflow in the database driver (PostgreSQL's INTEGER)."""

    regex = r"\d{1,10}"

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > ID_MAX:
            raise ValidationError()
        return number
