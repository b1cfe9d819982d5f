"""The request class: query and form values never carry NUL characters.

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
