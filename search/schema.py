"""What the index holds: ids and searchable text only (rows are loaded from the database)."""
from whoosh.columns import RefBytesColumn
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from search.analysis import SectionAnalyzer

KINDS = ("profile", "network", "place", "post", "event")
VERSION = 5  # search/index.py rebuilds an index made with another version


def _few_values() -> RefBytesColumn:
    """A column of values that repeat (kinds, communes, EPCI): each distinct value stored
    once and a number per document (up to 65,535 values: France has 35,000 communes), four
    times cheaper to write than Whoosh's default of the bytes per document."""
    return RefBytesColumn()


def make_schema() -> Schema:
    words = TEXT(analyzer=SectionAnalyzer(), phrase=False)
    # No field lengths: TF-IDF never reads them (search/understanding/ranking.py wants no
    # length normalisation), and writing them cost a third of a rebuild (a length read back
    # for every posting when the postings are written).
    words.scorable = False
    return Schema(
        key=ID(unique=True, stored=True),  # "profile:12"
        kind=ID(sortable=_few_values()),
        # One field for the words, so that a word is one posting list (Whoosh's top-N
        # optimisation works on it; an Or over four fields cost 30 times more). The sections
        # (name, headline, skills, body, place) weigh differently through each token's boost
        # (search/understanding/ranking.py). No positions: no phrase query is ever made, and
        # frequencies alone make the index a third smaller and faster to write.
        all=words,
        # Columns: read per result for the distance order and the facets.
        commune=ID(sortable=_few_values()),
        epci=ID(sortable=_few_values()),
        profile_kind=ID(sortable=_few_values()),
        # Who may see it: "public", "members", or "network:<id>" for a private network's content.
        audience=KEYWORD,
        skill_ids=STORED,  # the skills facet reads them; never searched (no postings to write)
    )
