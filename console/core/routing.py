"""Path parameters parsed by the input layer's rules: `{name:id}` matches only an id the
database can hold (ASCII digits, 1 … 2^63−1), so any other value is a plain 404, never an
overflow inside a query."""

from starlette.convertors import Convertor, register_url_convertor

from console.core.forms import record_id


class RecordId(Convertor):
    regex = "[0-9]{1,19}"

    def convert(self, value: str) -> int:
        found = record_id(value)
        # A 19-digit value past 2^63−1 matched the pattern; 0 never names a row either.
        return found if found is not None else 0

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", RecordId())
