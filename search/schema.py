"""What the index holds: ids and searchable text only (rows are loaded from the database)."""
from whoosh.fields import ID, KEYWORD, TEXT, Schema

from search.analysis import french_analyzer, raw_analyzer

KINDS = ("profile", "network", "place", "post")


def make_schema() -> Schema:
    fr = french_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),  # "profile:12"
        kind=ID(stored=True),
        title=TEXT(analyzer=fr, field_boost=3.0),
        skills=TEXT(analyzer=fr, field_boost=2.0),  # with every synonym of each skill
        body=TEXT(analyzer=fr),
        place=TEXT(analyzer=fr, field_boost=1.5),  # commune and EPCI names
        raw=TEXT(analyzer=raw_analyzer()),  # unstemmed words, for typos
        commune=ID,
        # Stored (small): the facets are counted over the best results' stored values.
        epci=ID(stored=True),
        profile_kind=ID(stored=True),
        # Who may see it: "public", "members", or "network:<id>" for a private network's content.
        audience=KEYWORD,
        skill_ids=KEYWORD(stored=True),  # facets
    )
