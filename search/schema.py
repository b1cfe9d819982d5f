"""What the index holds: ids and searchable text only (rows are loaded from the database)."""
from whoosh.fields import ID, KEYWORD, TEXT, Schema

from search.analysis import french_analyzer, raw_analyzer

KINDS = ("profile", "network", "place", "post", "event")


def make_schema() -> Schema:
    fr = french_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),  # "profile:12"
        kind=ID(stored=True, sortable=True),
        # One field for the words, so that a word is one posting list (Whoosh's top-N
        # optimisation works on it; an Or over four fields cost 30 times more). The title and
        # the skills (with every synonym) are written twice: they weigh more in the ranking.
        all=TEXT(analyzer=fr),
        raw=TEXT(analyzer=raw_analyzer()),  # unstemmed words, for typos
        commune=ID,
        # Stored (small): the facets are counted over the best results' stored values.
        epci=ID(stored=True, sortable=True),
        profile_kind=ID(stored=True, sortable=True),
        # Who may see it: "public", "members", or "network:<id>" for a private network's content.
        audience=KEYWORD,
        skill_ids=KEYWORD(stored=True),  # facets
    )
