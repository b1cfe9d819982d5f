"""Worlds (people, networks, posts) that the tests of a module all make the same way: the first
test that takes one makes it, and the later ones start from its database and search index
(`databases.Layer`, laid over their copy by `db_path` before their app starts)."""
from __future__ import annotations

import pytest

from tests.helpers.databases import Layer


def kept_worlds(*names: str):
    """The module's `saved_worlds` (a layer for each world fixture named here) and its
    `database_layer` (the layer of the world a test takes): in the module,
    `saved_worlds, database_layer = kept_worlds("world")`; the fixture `world` then returns
    `saved_worlds["world"].objects()` once that layer is kept, and keeps it after making it."""

    @pytest.fixture(scope="module", name="saved_worlds")
    def saved_worlds(tmp_path_factory) -> dict[str, Layer]:
        return {name: Layer(tmp_path_factory.mktemp(name)) for name in names}

    @pytest.fixture(name="database_layer")
    def database_layer(request, saved_worlds):
        return next((saved_worlds[name] for name in names if name in request.fixturenames),
                    None)

    return saved_worlds, database_layer
