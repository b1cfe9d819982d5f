"""Search: French queries (must show 1) and an index always in step with the database (must
show 2), on each engine (the `search_backend` fixture: the real Whoosh index in the test's temp
directory, and PostgreSQL's tables in a PostgreSQL run). The tests marked `whoosh_only` are
about the Whoosh index's files (processes writing at once, a damaged index, the rebuild beside
the live one)."""
from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import select

from models import Network, Post, Profile, db
from search import current_index
from tests.helpers.apps import base_config, login_as
from tests.helpers.databases import Layer

# Whoosh's files: PostgreSQL has none (its documents are rows, written with the others).
whoosh_only = pytest.mark.parametrize("search_backend", ["whoosh"], indirect=True)
postgres_only = pytest.mark.parametrize("search_backend", ["postgres"], indirect=True)


@pytest.fixture
def app_config(db_path, search_backend) -> dict:
    return {**base_config(db_path), "SEARCH_BACKEND": search_backend}


def titles(client, **params) -> list[str]:
    data = client.get("/api/v1/search", query_string=params).get_json()
    return [r["title"] for r in data["results"]]


@pytest.fixture(scope="module")
def saved_worlds(tmp_path_factory, search_backend) -> dict[str, Layer]:
    """`people` and `joiners`, each made once per process and search engine (Layer:
    the rows, and the index the first test that made them wrote)."""
    return {name: Layer(tmp_path_factory.mktemp(f"{name}-{search_backend}"))
            for name in ("people", "joiners")}


@pytest.fixture
def database_layer(request, saved_worlds):
    return next((layer for name, layer in saved_worlds.items() if name in request.fixturenames),
                None)


@pytest.fixture
def people(app, make_user, saved_worlds, db_path, database_pool):
    if saved_worlds["people"].kept:
        return
    _make_people(make_user)
    saved_worlds["people"].keep(db_path, database_pool)


def _make_people(make_user) -> None:
    make_user(display_name="Léa Bousquet", headline="Développeuse web", skills=("dev web",),
              commune="12202")
    make_user(display_name="Hugo Marty", headline="Menuisière et ébéniste",
              skills=("menuiserie",), commune="12199")
    make_user(display_name="Inès Puech", headline="Graphistes associés", skills=("graphisme",),
              commune="12145")
    make_user(display_name="Paul Vidal", headline="Photographe de mariage",
              skills=("photographie",), commune="12208")  # Saint-Affrique
    make_user(display_name="Anne Caché", headline="Menuisier discret", skills=("menuiserie",),
              commune="48095", visibility="members")


@pytest.mark.parametrize("query, expected", [
    ("développeur web", "Léa Bousquet"),  # gender
    ("developpeuse", "Léa Bousquet"),  # accents
    ("web developer", "Léa Bousquet"),  # a synonym of the canonical skill
    ("menuisier", "Hugo Marty"),  # menuisière
    ("graphiste", "Inès Puech"),  # plural
    ("menuisierr", "Hugo Marty"),  # typo
    ("photografe", "Paul Vidal"),  # typo, the French way
    ("Saint-Affrique", "Paul Vidal"),
    ("St Affrique", "Paul Vidal"),
    ("saint affrique photographe", "Paul Vidal"),
])
def test_french_queries(client, people, query, expected):
    assert titles(client, q=query)[:1] == [expected]


@postgres_only
def test_postgres_documents_commit_with_their_rows_and_rebuild(app, client, people, make_user):
    """No moment where a profile is committed and its document not: both are written by one
    transaction (the same xmin); `flask search rebuild` writes every document again."""
    from sqlalchemy import text

    import search
    user = make_user(display_name="Zoé Tonnel", headline="Tonnelière")
    profile_xmin, document_xmin = db.session.execute(text(
        "SELECT (SELECT xmin::text FROM profile WHERE id = :id), "
        "(SELECT xmin::text FROM search_document WHERE key = :key)"),
        {"id": user.profile.id, "key": f"profile:{user.profile.id}"}).one()
    assert document_xmin == profile_xmin
    db.session.execute(text("DELETE FROM search_posting; DELETE FROM search_word; "
                            "DELETE FROM search_document"))
    db.session.commit()
    assert titles(client, q="tonneliere") == []
    assert search.rebuild(app) == 6
    assert titles(client, q="tonneliere") == ["Zoé Tonnel"]
    assert titles(client, q="menuisierr") == ["Hugo Marty"]  # the words' counts are back


@postgres_only
def test_postgres_finds_what_whoosh_finds(app, tmp_path):
    """The benchmark's documents in both engines: the same totals, corrections and results
    (a page holding them all: equal scores may come in another order)."""
    import json
    from pathlib import Path

    from bench.search import TYPOS, documents
    from search import postgres, postgres_documents, query
    from search.index import SearchIndex
    from search.understanding.thesaurus import Thesaurus

    root = Path(__file__).resolve().parent.parent
    places = json.loads((root / "data" / "communes.json").read_text("utf-8"))["communes"]
    thesaurus = Thesaurus.from_catalog(json.loads((root / "data" / "skills.json").read_text()))
    docs = list(documents(1500, places))
    whoosh = SearchIndex(tmp_path / "ix")
    whoosh.write(docs, [])
    postgres_documents.write(db.session.connection(), docs, [])  # read back in this transaction
    near = sorted({p["insee"] for p in places[:80]})
    cases = [(t, None) for t in ("photographie", "menuiserie ébénisterie", "web independant",
                                 "gestion", *list(TYPOS.values())[:4])]
    cases += [("graphisme", near), ("comptabilite", near), ("", near)]
    for text, communes in cases:
        for member in (True, False):
            a, b = (engine.search(index, text, member=member, communes=communes, per_page=500,
                                  thesaurus=thesaurus)
                    for engine, index in ((query, whoosh), (postgres, postgres.PostgresIndex())))
            assert (b.total, b.corrections, b.correction_mode) == \
                (a.total, a.corrections, a.correction_mode), text
            assert sorted((h.kind, h.id) for h in b.hits) == \
                sorted((h.kind, h.id) for h in a.hits), text


def test_a_bad_search_backend_stops_the_app_at_start(tmp_path):
    from app import create_app
    config = base_config(tmp_path / "maillage.sqlite3")
    with pytest.raises(RuntimeError, match="MAILLAGE_SEARCH_BACKEND='solr': choose one of "
                                           "whoosh, postgres"):
        create_app({**config, "SEARCH_BACKEND": "solr"})
    with pytest.raises(RuntimeError, match="'postgres' needs a PostgreSQL database"):
        create_app({**config, "SEARCH_BACKEND": "postgres",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'maillage.sqlite3'}"})


def test_members_only_profiles_and_distance_filter(client, people, make_user):
    assert "Anne Caché" not in titles(client, q="menuisier")
    login_as(client, make_user("m@example.org"))
    assert "Anne Caché" in titles(client, q="menuisier")
    # Rignac is ~25 km from Rodez, Mende ~90 km.
    near = titles(client, q="menuisier", commune="Rodez", within_km=30)
    assert near == ["Hugo Marty"]
    assert titles(client, q="menuisier", commune="Mende") == ["Anne Caché"]


@pytest.mark.parametrize("query", ["*", '"', "AND OR NOT", "title:", "x" * 2000, "🙂", "   ",
                                   "menuisier)(", "\\", "%", "'; DROP TABLE profile; --"])
def test_odd_queries_never_fail(client, people, query):
    r = client.get("/api/v1/search", query_string={"q": query, "page": "abc", "within_km": "1e9"})
    assert r.status_code == 200 and isinstance(r.get_json()["results"], list)
    assert client.get("/search", query_string={"q": query}).status_code == 200


def test_facets(client, people):
    data = client.get("/api/v1/search", query_string={"q": "menuisier"}).get_json()
    assert data["facets"]["type"] == {"profile": 1}
    assert "Menuiserie" in data["facets"]["skills"]


def test_rollback_leaves_no_ghost_and_changes_show_at_once(client, people, make_user):
    user = make_user(display_name="Zoé Rollback", headline="Tonnelière")
    assert titles(client, q="tonneliere") == ["Zoé Rollback"]
    user.profile.headline = "Vannière"
    db.session.flush()
    db.session.rollback()  # never committed
    assert titles(client, q="vanniere") == [] and titles(client, q="tonneliere") == ["Zoé Rollback"]
    profile = db.session.scalar(select(Profile).where(Profile.user_id == user.id))
    profile.visibility = "members"
    db.session.commit()
    assert titles(client, q="tonneliere") == []  # hidden from visitors at once
    db.session.delete(db.session.get(type(user), user.id))
    db.session.commit()
    login_as(client, make_user("m@example.org"))
    assert titles(client, q="tonneliere") == []  # deleted


def test_a_network_turned_private_disappears_with_its_posts(client, people, make_user,
                                                            make_network):
    owner = make_user("owner@example.org")
    network = make_network(owner, "Cercle des tonneliers", visibility="open")
    db.session.add(Post(network_id=network.id, author_id=owner.id, body="Barriques à vendre"))
    db.session.commit()
    login_as(client, make_user("m@example.org"))
    assert "Cercle des tonneliers" in titles(client, q="tonneliers")
    assert titles(client, q="barriques") == ["Cercle des tonneliers"]  # the post
    db.session.get(Network, network.id).visibility = "private"
    db.session.commit()
    assert titles(client, q="tonneliers") == [] and titles(client, q="barriques") == []
    member = client.application.test_client()
    login_as(member, owner)
    assert titles(member, q="barriques") == ["Cercle des tonneliers"]


def _write_many(directory: str, prefix: str, n: int) -> None:
    from search.index import SearchIndex
    index = SearchIndex(directory)
    for i in range(n):
        index.write([{"key": f"profile:{prefix}{i}", "kind": "profile", "all": f"{prefix} {i}",
                      "audience": "public"}], [])


@whoosh_only
def test_two_processes_writing_at_once_lose_no_update(app):
    directory = str(current_index().root)
    current_index().open()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_write_many, args=(directory, p, 15)) for p in ("1", "2")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    with current_index().open().refresh().searcher() as searcher:
        assert searcher.doc_count() == 30


@whoosh_only
def test_missing_or_corrupt_index_is_rebuilt_at_start(app_config, people, tmp_path):
    import shutil

    from app import create_app
    directory = current_index().directory
    for damage in ("missing", "corrupt"):
        shutil.rmtree(directory, ignore_errors=True)
        if damage == "corrupt":
            directory.mkdir()
            (directory / "MAIN_WRITELOCK").write_text("")
            (directory / "_MAIN_1.toc").write_bytes(b"garbage")
        fresh = create_app(app_config)
        with fresh.app_context():
            with fresh.extensions["maillage_search"].searcher() as searcher:
                assert searcher.doc_count() >= 5, damage


def test_a_place_filter_ranks_exactly_as_whoosh_would(tmp_path):  # Whoosh's own: no app
    """Words within a set of communes are scored by hand (search/scoring.py, _run_restricted):
    the same documents in the same order as Whoosh's own filtered search."""
    import json
    from pathlib import Path

    from whoosh import query as Q

    from bench.search import documents
    from search import query as sq
    from search import scoring
    from search.index import SearchIndex
    from search.understanding.words import query_terms

    places = json.loads((Path(__file__).resolve().parent.parent / "data" / "communes.json")
                        .read_text("utf-8"))["communes"]
    index = SearchIndex(tmp_path / "ix")
    index.write(list(documents(3000, places)), [])
    communes = sorted({p["insee"] for p in places[:150]})
    compared = 0
    for text in ("menuiserie", "graphisme", "photographie", "comptabilite", "web independant"):
        words = query_terms(text, sq.WORDS_MAX)
        mine = sq.search(index, text, member=True, communes=communes, per_page=50,
                         correct=False)
        with index.searcher() as searcher:
            allowed = sq._allowed_docs(searcher, ("public", "members"), None, tuple(communes))
            theirs = scoring.run(searcher, Q.And([Q.Term("all", w) for w in words]), allowed,
                             sq.TOP, narrow=True)
            keys = [searcher.stored_fields(d)["key"] for d in theirs.docnums[:50]]
        assert mine.total == theirs.total
        assert [f"{h.kind}:{h.id}" for h in mine.hits] == keys
        compared += bool(mine.hits)
    assert compared >= 3


def test_an_empty_index_answers_no_result_not_an_error(client):
    """A new site, nobody yet: the search says so (it used to fail reading empty columns)."""
    response = client.get("/api/v1/search?q=menuisier")
    assert response.status_code == 200 and response.get_json()["total"] == 0
    assert client.get("/search?q=menuisier").status_code == 200


def test_snippets_are_plain_text_not_markdown(client, make_user):
    """A bio written in Markdown shows as the text a reader sees, escaped, the words marked
    (issue 21): no "**", no link syntax, no HTML from the member."""
    make_user(display_name="Zoé Rouquette", headline="Vannière",
              bio="Je tresse **l'osier** et le _châtaignier_ : voir [mon atelier](https://ex.fr)."
                  "\n\n- paniers\n- <script>claies</script> & nasses", skills=("vannerie",))
    html = client.get("/search", query_string={"q": "osier"}).get_data(as_text=True)
    snippet = html.split('<p class="snippet">', 1)[1].split("</p>", 1)[0]
    assert "**" not in snippet and "_châtaignier_" not in snippet and "](" not in snippet
    assert "<mark>osier</mark>" in snippet and "châtaignier" in snippet
    assert "mon atelier" in snippet and "https://ex.fr" not in snippet
    assert "&lt;script&gt;claies&lt;/script&gt; &amp; nasses" in snippet  # shown, never run
    api = client.get("/api/v1/search", query_string={"q": "osier"}).get_json()
    assert "**" not in api["results"][0]["snippet"]


def test_a_word_too_long_to_index_never_fails_a_save(client, make_user):
    """PostgreSQL refuses a lexeme over 2,047 bytes: such a "word" is left out, the rest of the
    profile is found."""
    make_user(display_name="Zoé Longue", headline="Vannière", bio="Osier " + "é" * 3000)
    assert titles(client, q="osier") == ["Zoé Longue"]


@pytest.fixture
def joiners(app, make_user, saved_worlds, db_path, database_pool):
    """Joiners (and developers, photographers) and two accounts whose odd words are the typos
    people make: the exact words find them, and nothing else."""
    if saved_worlds["joiners"].kept:
        return
    for i in range(6):
        make_user(display_name=f"Menuisier {i}", headline="Menuisier", skills=("menuiserie",),
                  commune="12202", commit=False)
        make_user(display_name=f"Dev {i}", headline="Développeur web",
                  skills=("développement web",), commune="12145", commit=False)
    make_user(display_name="Photo Mende", headline="Photographe", skills=("photographie",),
              commune="48095", commit=False)
    make_user(display_name="Photo Rodez", headline="Photographe", skills=("photographie",),
              commune="12202", commit=False)
    make_user(display_name="Compte Menusier", headline="Menusier du dimanche", commune="12089",
              commit=False)
    make_user(display_name="Compte Devloppeur", headline="Devloppeur en herbe",
              commune="12089", commit=False)
    db.session.commit()
    saved_worlds["joiners"].keep(db_path, database_pool)


@pytest.mark.parametrize("typed, corrected, clean", [
    ("menusier", "menuisier", "menuisier"),
    ("devloppeur web", "développeur web", "developpeur web"),
    ("photografe mende", "photographe mende", "photographe mende"),
])
def test_typos_corrected_first_with_the_correction_shown(client, joiners, typed, corrected,
                                                          clean):
    """Must show 2: the corrected results first (as the clean words rank them), the
    unrelated accounts that match the typo itself after them, and the correction said with a
    link to the words as typed."""
    data = client.get("/api/v1/search", query_string={"q": typed}).get_json()
    first = [r["title"] for r in data["results"]]
    clean_titles = titles(client, q=clean)
    assert first[:len(clean_titles)] == clean_titles
    assert data["correction"]["corrected"] == corrected
    html = client.get("/search", query_string={"q": typed}).get_data(as_text=True)
    assert f"Résultats pour <strong>{corrected}</strong>" in html  # French first
    if data["correction"]["mode"] == "replaced":
        assert f"exact=1\">{typed}</a>" in html.replace("&amp;", "&")
    else:  # "photografe" is "photographe" for the index ("ph" reads "f"): said, that is all
        assert data["correction"]["mode"] == "respelled" and typed == "photografe mende"
    if typed == "menusier":
        assert first[-1] == "Compte Menusier"  # the typo's own match comes below
        exact = titles(client, q=typed, exact="1")
        assert exact == ["Compte Menusier"]  # "search instead for « menusier »"
    if typed == "photografe mende":
        assert first[0] == "Photo Mende"  # the commune named: the nearest first


def test_a_known_commune_or_skill_is_never_corrected(client, joiners, make_user):
    make_user(display_name="Rodelle", headline="Menuisier à Rodelle", commune="12201")
    data = client.get("/api/v1/search", query_string={"q": "rodelle"}).get_json()
    assert data["correction"] is None  # close to "Rodez", but a commune
    data = client.get("/api/v1/search", query_string={"q": "menuiserie"}).get_json()
    assert data["correction"] is None


def test_an_unknown_commune_is_said_never_silently_widened(client, joiners):
    """Must show 2: "Rodes" in the commune field says "did you mean Rodez" and finds nothing
    rather than the whole territory; the same in the query ("à Rodes")."""
    data = client.get("/api/v1/search", query_string={
        "q": "menuisier", "commune": "Rodes", "within_km": "20"}).get_json()
    assert data["total"] == 0 and data["results"] == []
    said = "Commune inconnue\u00a0: Rodes — vouliez-vous dire Rodez\u00a0?"
    assert data["place_messages"] == [said]
    html = client.get("/search", query_string={"q": "menuisier", "commune": "Rodes",
                                               "within_km": "20"}).get_data(as_text=True)
    assert "Commune inconnue\u00a0: Rodes — vouliez-vous dire" in html
    assert "commune=Rodez" in html  # the suggestion is a link
    data = client.get("/api/v1/search", query_string={"q": "menuisier à Rodes"}).get_json()
    assert data["place_messages"] == [said]
    data = client.get("/api/v1/search", query_string={"q": "menuisier près de Rodez"}).get_json()
    assert data["place"]["label"] == "Rodez · 20 km" and data["place"]["from"] == "query"
    assert {r["title"] for r in data["results"]} == {f"Menuisier {i}" for i in range(6)}


def test_the_place_chip_removes_the_place(client, joiners):
    html = client.get("/search", query_string={"q": "menuisier près de Rodez"}).get_data(
        as_text=True)
    assert 'class="chip"' in html and "Rodez · 20 km" in html
    assert 'href="/search?q=menuisier"' in html  # the ×: the words without the place


@whoosh_only
def test_a_rebuild_keeps_serving_and_loses_nothing_committed_meanwhile(app, client, joiners,
                                                                        make_user):
    """The new index is built beside the live one: a search during the build answers from
    the old one, a profile committed during the build is in the new one."""
    import search
    old = current_index().current_name()
    seen = []

    def progress(done, total):
        if not seen:
            seen.append(titles(client, q="menuisier"))  # answered by the old index
            make_user(display_name="Pendant", headline="Tonnelière")  # committed meanwhile
    search.PROGRESS_EVERY, kept = 1, search.PROGRESS_EVERY
    try:
        search.rebuild(app, progress)
    finally:
        search.PROGRESS_EVERY = kept
    assert len(seen[0]) == 6
    assert current_index().current_name() != old
    assert not (current_index().root / old).exists()
    assert titles(client, q="tonneliere") == ["Pendant"]
    assert len(titles(client, q="menuisier")) == 6
