"""A rebuild's documents written into Whoosh segments in bulk (search/index.py: Build).

Whoosh's writer handles every posting (a document's word) through half a dozen Python calls:
a tuple into a pool, sorted, then one by one into the codec's block writer, each checked,
asked for its field length and compared for the block's maximum. At 100,000 profiles that is
2.5 million postings and 30 seconds. Here the postings go straight into a compact list per
term (document numbers and weights in arrays), the terms are sorted once at the end, and each
term's postings reach the codec a block at a time (the codec's own block writer: the files are
the ones Whoosh writes, tests/test_search_build.py compares both).

Per document the rest is Whoosh's own per-document writer (stored fields, columns). The words
of a field are read as Whoosh reads them (`field.index`), kept per (field, value) for fields
whose values repeat (a commune, a kind, an audience); the text of `all` through
search/analysis.py's `weighted_tokens`, summed as Whoosh's Frequency format sums them.

Memory: about 10 bytes per posting (an array's 8 and a shared value); past POSTINGS_MAX the
segment is written and a new one begun (no merge: a query reads several segments).
"""
from __future__ import annotations

from array import array

from whoosh.analysis import IDTokenizer
from whoosh.codec import whoosh3
from whoosh.formats import Existence, Frequency
from whoosh.system import pack_uint, pack_ushort

from search.analysis import SectionAnalyzer, sections

POSTINGS_MAX = 20_000_000  # per segment: about 200 MB
_VALUES_KEPT = 20_000  # (field, value) analyses kept for fields whose values repeat
_FREQUENCIES = [pack_uint(n) for n in range(256)]
# Posting lists shorter than this are kept in the term's entry rather than written as a block
# of the postings file: each document's unique `key`, the rare words (a third of a rebuild was
# writing one-posting blocks, each pickled, compressed and framed). Whoosh reads them as such.
INLINE_BELOW = 4


def _fix_inlining() -> None:
    """Whoosh-Reloaded's block writer calls `set_inline` on a term entry whose method is
    `set_inlined` (inlining was unreachable: the default limit never inlines). A format
    without values (an ID field's) gets an empty value per posting: a merge reads the inlined
    postings back and wants bytes, where an absent value reads as ""."""
    if hasattr(whoosh3.W3TermInfo, "set_inline"):
        return

    def set_inline(self, ids, weights, values):
        self.set_inlined(ids, weights, values if values else [b""] * len(ids))
    whoosh3.W3TermInfo.set_inline = set_inline


_fix_inlining()


def _codec():
    return whoosh3.W3Codec(inlinelimit=INLINE_BELOW)


def _plain_id(field) -> bool:
    """Whether the field's one term is its value (an ID field: IDTokenizer, Existence)."""
    return type(getattr(field, "analyzer", None)) is IDTokenizer \
        and type(field.format) is Existence


def _sectioned_field(field) -> bool:
    """Whether the field's words are search/analysis.py's, summed by a plain Frequency format
    (what `_sectioned` does without Whoosh's tokens)."""
    return isinstance(getattr(field, "analyzer", None), SectionAnalyzer) \
        and type(field.format) is Frequency and field.format.field_boost == 1.0


class SegmentBuilder:
    """Documents added in order into one writer's new segment; `commit` writes it."""

    def __init__(self, ix):
        self.ix = ix
        self.schema = ix.schema
        self._start()

    def _start(self) -> None:
        self.writer = self.ix.writer(codec=_codec())
        self.docnum = 0
        self.size = 0
        # field -> term bytes -> [document numbers, weights, encoded values or None]
        self.postings: dict[str, dict[bytes, list]] = {}
        self._analysed: dict[tuple[str, str], list] = {}
        self._encoded: dict[str, bytes] = {}
        self._plan: dict[tuple, list] = {}

    def _fields(self, names: tuple) -> list:
        """What to do with each field of a document of these fields (as add_document does)."""
        plan = self._plan.get(names)
        if plan is None:
            plan = self._plan[names] = []
            for name in sorted(n for n in names if not n.startswith("_")):
                field = self.schema[name]  # KeyError: an unknown field, as Whoosh refuses it
                how = None
                if field.indexed:
                    how = "sectioned" if _sectioned_field(field) else "id" if _plain_id(
                        field) else "cached" if not getattr(field, "unique", False) else "read"
                plan.append((name, field, how, field.stored, field.column_type))
        return plan

    def add(self, doc: dict) -> None:
        writer = self.writer.perdocwriter
        docnum = self.docnum
        writer.start_doc(docnum)
        for name, field, how, stored, column in self._fields(tuple(doc)):
            value = doc[name]
            if value is None:
                continue
            if how == "sectioned":
                self._post_sectioned(name, docnum, value)
            elif how == "id":
                if not isinstance(value, str):
                    raise ValueError(f"{value!r} is not unicode")
                self._post_id(name, docnum, value)
            elif how == "cached":
                items = self._analysed.get((name, value))
                self._post(name, docnum, items if items is not None
                           else self._analyse(name, field, value))
            elif how == "read":
                self._post(name, docnum, [(t, w, v) for t, _f, w, v in field.index(value)])
            if stored:
                writer.add_field(name, field, value, 0)
            if column:
                writer.add_column_value(name, column, field.to_column_value(value))
        writer.finish_doc()
        self.docnum += 1
        if self.size >= POSTINGS_MAX:
            self.commit()
            self._start()

    def _analyse(self, name: str, field, value: str) -> list:
        items = [(t, w, v) for t, _f, w, v in field.index(value)]
        if len(self._analysed) >= _VALUES_KEPT:
            self._analysed.clear()
        self._analysed[(name, value)] = items
        return items

    def _terms(self, name: str) -> dict:
        terms = self.postings.get(name)
        if terms is None:
            terms = self.postings[name] = {}
        return terms

    def _post_sectioned(self, name: str, docnum: int, value: str) -> None:
        """A text's terms, their weights summed as Frequency.word_values sums the tokens (in
        the same order: the same float), their frequencies (mostly 1) as the values."""
        found: dict[str, list] = {}
        for boost, terms in sections(value):
            for term in terms:
                entry = found.get(term)
                if entry is None:
                    found[term] = [0.0 + boost, 1]
                else:
                    entry[0] += boost
                    entry[1] += 1
        postings = self._terms(name)
        encoded = self._encoded
        for term, (weight, count) in found.items():
            entry = postings.get(term)
            if entry is None:
                tbytes = encoded.get(term)
                if tbytes is None:
                    tbytes = encoded[term] = term.encode("utf-8")
                ids, weights = array("I"), array("f")
                # ids.append, weights.append, the list of values (None: a frequency of 1)
                entry = postings[term] = (ids.append, weights.append, [], tbytes, ids, weights)
            entry[0](docnum)
            entry[1](weight)
            if count != 1:
                entry[2].append((len(entry[4]) - 1, count))
        self.size += len(found)

    def _post_id(self, name: str, docnum: int, value: str) -> None:
        postings = self._terms(name)
        ids = postings.get(value)
        if ids is None:
            ids = postings[value] = array("I")
        ids.append(docnum)
        self.size += 1

    def _post(self, name: str, docnum: int, items) -> None:
        terms = self._terms(name)
        for tbytes, weight, vbytes in items:
            entry = terms.get(tbytes)
            if entry is None:
                entry = terms[tbytes] = [array("I"), array("f"), [] if vbytes else None]
            entry[0].append(docnum)
            entry[1].append(weight)
            if entry[2] is not None:
                entry[2].append(vbytes)
            self.size += 1

    def _lists(self, name: str, field) -> list[tuple[bytes, array, array, list | None]]:
        """A field's posting lists (term, documents, weights, values), by term."""
        terms = self.postings[name]
        how = next(p[2] for plan in self._plan.values() for p in plan if p[0] == name)
        out = []
        if how == "sectioned":
            for _ids_append, _w_append, counts, tbytes, ids, weights in terms.values():
                values = [_FREQUENCIES[1]] * len(ids)
                for at, count in counts:
                    values[at] = _FREQUENCIES[count] if count < 256 else pack_uint(count)
                out.append((tbytes, ids, weights, values))
        elif how == "id":
            one = (field.format.field_boost,)
            out = [(value.encode("utf-8"), ids, one * len(ids) if len(ids) < INLINE_BELOW
                    else array("f", one) * len(ids), None) for value, ids in terms.items()]
        else:
            out = [(tbytes, *entry) for tbytes, entry in terms.items()]
        out.sort(key=lambda t: t[0])
        return out

    def commit(self) -> None:
        """Write the postings, field by field and term by term in order, then the segment."""
        writer = self.writer
        fields = writer.fieldwriter
        for name in sorted(self.postings):
            field = self.schema[name]
            fields.start_field(name, field)
            prefix = pack_ushort(fields._fieldid)
            for tbytes, ids, weights, values in self._lists(name, field):
                if len(ids) < INLINE_BELOW:
                    fields._tindex.add(prefix + tbytes, _inlined(ids, weights, values))
                    continue
                fields.start_term(tbytes)
                _write_postings(fields._postwriter, ids, weights, values)
                fields.finish_term()
            fields.finish_field()
        self.postings = {}
        writer.docnum = self.docnum
        writer._added = self.docnum > 0
        writer.commit(merge=False)

    def cancel(self) -> None:
        self.writer.cancel()


def _inlined(ids: array, weights, values: list | None) -> bytes:
    """The term entry of a short posting list, the postings in it: what the block writer's
    finish_postings makes of it (search/bulk.py: _fix_inlining), without a block writer."""
    info = whoosh3.W3TermInfo(weight=sum(weights), df=len(ids), maxweight=max(0, max(weights)),
                              minid=ids[0], maxid=ids[-1])
    info.set_inline(ids, weights, values or [])
    return info.to_bytes()


def _write_postings(postwriter, ids: array, weights: array, values: list | None) -> None:
    """One term's postings through the codec's block writer, a block at a time (what its
    add_posting gathers one posting at a time); the last block is written by finish_term."""
    limit = postwriter._blocklimit
    for start in range(0, len(ids), limit):
        if start:
            postwriter._write_block()
        block = weights[start:start + limit]
        postwriter._ids = ids[start:start + limit]
        postwriter._weights = block
        postwriter._values = values[start:start + limit] if values is not None else []
        postwriter._maxweight = max(0, max(block))
