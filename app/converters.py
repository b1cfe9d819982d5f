"""URL converters."""
from werkzeug.routing import IntegerConverter


class IdConverter(IntegerConverter):
    """A database id: 1 to 18 digits, so /people/99999999999999999999 is a 404, not an
    integer overflow in the database driver."""

    regex = r"\d{1,18}"
