"""What the migrations and the models must agree on, read the same way by the tests that check it."""
from __future__ import annotations


def inline_sqlite_fks_aside(connection, diffs: list) -> list:
    """On SQLite a column added to an existing table carries its foreign key inline
    (`ADD COLUMN x REFERENCES t (id) ON DELETE SET NULL`: SQLite has no ADD CONSTRAINT), and
    SQLAlchemy's reflection reads neither the name nor the ON DELETE of such a key, so
    compare_metadata sees it removed and added again. Such a pair is set aside when SQLite's own
    account of the key (PRAGMA foreign_key_list) has the model's target and ON DELETE."""
    if connection.dialect.name != "sqlite":
        return diffs
    added = {(d[1].table.name, tuple(d[1].column_keys)): d[1] for d in diffs if d[0] == "add_fk"}
    aside = []
    for diff in diffs:
        if diff[0] != "remove_fk" or diff[1].name is not None:
            continue
        key = (diff[1].table.name, tuple(diff[1].column_keys))
        model = added.get(key)
        pragma = [r for r in connection.exec_driver_sql(f'PRAGMA foreign_key_list("{key[0]}")')
                  if (r[3],) == key[1]]
        if model is not None and len(pragma) == 1 and (pragma[0][2], pragma[0][4]) == (
                model.elements[0].column.table.name, model.elements[0].column.name) \
                and pragma[0][6] == (model.ondelete or "NO ACTION").upper():
            aside += [diff, next(d for d in diffs if d[0] == "add_fk" and d[1] is model)]
    return [d for d in diffs if d not in aside]
