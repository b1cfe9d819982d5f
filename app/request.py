"""The request class: query and form values never carry NUL characters, and JSON bodies are
read with limits (app/jsonbody.py) whoever reads them.

A NUL is never meant by a person, and PostgreSQL refuses it in text (a 500 on any query that
compares a column with it): removing it where values are parsed covers every view at once.
"""
from __future__ import annotations

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class CleanMultiDict(ImmutableMultiDict):
    def __init__(self, mapping=None):
        if mapping is not None and not isinstance(mapping, dict):
            mapping = [(_without_nul(key), _without_nul(value)) for key, value in mapping]
        super().__init__(mapping)


class MaillageRequest(Request):
    parameter_storage_class = CleanMultiDict

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        """Werkzeug's parser recurses (a thousand `[`: RecursionError, a 500) and lets lone
        surrogates and NULs through: any JSON read goes through app/jsonbody.py instead. A
        malformed body raises its 400 (`MalformedJSON`), or gives None when `silent`."""
        from app.jsonbody import MalformedJSON, read_json
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        try:
            return read_json(self)
        except MalformedJSON:
            if silent:
                return None
            raise
