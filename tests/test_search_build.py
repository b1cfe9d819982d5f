"""The rebuild's bulk writer (search/bulk.py) writes the index Whoosh's own writer writes: the
same terms, postings (documents, weights, values), stored fields and columns, for documents
with what real ones have (repeated words across sections, stop words, accents, empty fields,
many skills, a text without sections), in one segment or several."""
from __future__ import annotations

import pytest

from search import bulk
from search.index import create_index
from search.understanding.ranking import SKILL_SEPARATOR, sectioned

SKILL_TEXTS = ["Menuiserie menuisier joinery", "Photographie photographe photography",
               "Graphisme graphiste graphic design", "Développement web dev web developer",
               "Maraîchage maraicher market gardening"]
COMMUNES = [("12202", "Rodez Rodez Agglomération", "241200187"), ("12145", "Millau", ""),
            ("", "", "")]


def documents(n: int) -> list[dict]:
    docs = []
    for i in range(n):
        skills = [SKILL_TEXTS[(i + k) % len(SKILL_TEXTS)] for k in range(i % 4)]
        commune, place, epci = COMMUNES[i % len(COMMUNES)]
        headline = ["Menuisier menuisier à Rodez", "Photographe", "", "Le graphisme et la web",
                    "Œnologue à Sainte-Ste-Geneviève"][i % 5]
        body = f"Je travaille à {place or 'Millau'} en menuiserie, menuiserie et photo n°{i}."
        text = sectioned(f"Léa Émile{i % 7}", headline, SKILL_SEPARATOR.join(skills), body,
                         place) if i % 11 else "un texte sans sections Rodez Rodez"
        docs.append({"key": f"profile:{i + 1}", "kind": "profile" if i % 3 else "network",
                     "all": text, "commune": commune, "epci": epci,
                     "audience": ["public", "members", "network:3"][i % 3],
                     "skill_ids": " ".join(str(k) for k in range(i % 4)),
                     "profile_kind": "" if i % 3 == 0 else "independent"})
    return docs


def contents(ix) -> dict:
    """Everything a query or a facet can read from an index, by global document number."""
    out: dict = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        out["count"] = reader.doc_count_all()
        out["stored"] = [reader.stored_fields(d) for d in range(reader.doc_count_all())]
        for name in ("kind", "commune", "epci", "profile_kind"):
            column = reader.column_reader(name)
            out[f"column {name}"] = [column[d] for d in range(reader.doc_count_all())]
        for name in ix.schema.names():
            if not ix.schema[name].indexed:
                continue
            for term in reader.lexicon(name):
                postings = reader.postings(name, term)
                found = []
                while postings.is_active():
                    # No value reads as None from a block, b"" from a term's own entry.
                    found.append((postings.id(), round(postings.weight(), 5),
                                  postings.value() or None))
                    postings.next()
                info = reader.term_info(name, term)
                out[(name, term)] = (reader.doc_frequency(name, term), found,
                                     info.min_id(), info.max_id(), info.min_length(),
                                     info.max_length(), round(info.max_weight(), 5))
                # A sum of weights: summed per segment, then across segments.
                out[("total weight", name, term)] = reader.frequency(name, term)
    return out


def assert_same(written: dict, expected: dict) -> None:
    assert written.keys() == expected.keys()
    for key in expected:
        if key[0] == "total weight":  # summed per segment, then across segments
            assert written[key] == pytest.approx(expected[key]), key
        else:
            assert written[key] == expected[key], key


def whoosh_writes(path, docs: list[dict]):
    ix = create_index(path)
    writer = ix.writer()
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix


def bulk_writes(path, docs: list[dict]):
    ix = create_index(path)
    builder = bulk.SegmentBuilder(ix)
    for doc in docs:
        builder.add(doc)
    builder.commit()
    return ix


def test_bulk_writes_what_whoosh_writes(tmp_path):
    docs = documents(700)  # postings lists of one, a few (inlined) and several blocks
    expected = contents(whoosh_writes(tmp_path / "whoosh", docs))
    assert_same(contents(bulk_writes(tmp_path / "bulk", docs)), expected)
    frequencies = [expected[k][0] for k in expected if isinstance(k, tuple) and k[0] == "all"]
    assert min(frequencies) == 1 and max(frequencies) > 2 * 128


def test_bulk_writes_several_segments_past_its_memory(tmp_path, monkeypatch):
    docs = documents(300)
    monkeypatch.setattr(bulk, "POSTINGS_MAX", 2000)
    ix = bulk_writes(tmp_path / "bulk", docs)
    assert len(ix._segments()) > 1
    assert_same(contents(ix), contents(whoosh_writes(tmp_path / "whoosh", docs)))


def test_a_bulk_index_takes_updates_and_merges(tmp_path):
    """The live index after a rebuild: documents replaced and added, segments merged (which
    reads every posting back, the inlined ones too)."""
    docs, more = documents(400), documents(460)[400:]
    changed = [dict(d, all=d["all"] + " Tonnelier") for d in docs[:30]]
    indexes = [whoosh_writes(tmp_path / "whoosh", docs), bulk_writes(tmp_path / "bulk", docs)]
    for ix in indexes:
        writer = ix.writer()
        for doc in changed + more:
            writer.update_document(**doc)
        writer.commit()
        ix.optimize()
    assert_same(contents(indexes[1]), contents(indexes[0]))


def test_bulk_refuses_an_unknown_field(tmp_path):
    builder = bulk.SegmentBuilder(create_index(tmp_path / "bulk"))
    with pytest.raises(KeyError):
        builder.add({"key": "profile:1", "colour": "red"})
    builder.cancel()
