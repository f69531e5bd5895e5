"""Search over the procedure catalog (Vietnamese, typo tolerant, in people's words).

Choice of index: in memory, one per process, rebuilt lazily when catalog_revision()
changes. Measured with bench/search.py (2,000 procedures: the sample, the Lào Cai demo
catalog, real look-alikes and generated variants; 1,000 typed queries; the 582
everyday names of data/search_phrases.json loaded; SQLite 3.40 file and PostgreSQL 15
on the same shared 2-CPU machine, under load from other work; p50 / p95 in ms):

                                   SQLite            PostgreSQL
    SELECT 1 (bare round-trip)     0.004 / 0.004     0.024 / 0.035
    catalog_revision() read        0.25  / 1.09      0.40  / 0.63
    procedure_search(), in memory  1.06  / 2.93      1.34  / 2.57   (revision read included)
    database index, same queries   FTS5 1.72 / 4.56  pg_trgm 49.1 / 61.6
    index rebuild                  218 ms, 8.1 MiB   351 ms, 8.1 MiB (once per change per process)

In CPU time (same bench, thread clock) the plain-first rule below costs about 0.2 ms
a search at the median and the everyday names nothing measurable; the names add about
60 ms and 0.7 MiB to a rebuild.

Top-1 / top-3 / recall@10 on 129 labelled queries (diacritics, none, NFD, kí/ký,
hoà/hòa, one typo, codes, a bare subject among its look-alikes, a look-alike named, and
59 in people's words such as "cắt khẩu", "làm sổ đỏ", "xin giấy hộ nghèo cho mẹ",
"birth registration"): in memory 129 / 129 / 129 (59 / 59 / 59 in people's words), on
both databases with byte-identical results (same digest); without the everyday names
83 / 86 / 88 (13 / 16 / 18); before they and the plain-first rule existed 77 / 83 / 84
(8 / 13 / 14); FTS5 70 / 82 / 86 (no typo tolerance, no code lookup); pg_trgm
53 / 66 / 68. So the in-memory index wins on every count: it is faster than FTS5 and
some 40× faster than pg_trgm, its results cannot differ between SQLite and PostgreSQL
(two database rankers would order differently), fold()'s rules (đ, i/y, tone placement)
apply to documents and queries alike, and it needs no folded column, trigger or
migration in the catalog. Its cost: each process holds a few MiB per 2,000 procedures
and the first search after a catalog change rebuilds (~0.2-0.4 s).

The index is keyed on the revision number and the moment it was set, so an index built
inside a transaction that bumped the number and then rolled back is not mistaken for
the next committed change that reuses the number. Editing an everyday name moves the
revision too (admin, loader).

Ranking, all over motcua.core.text.fold():
- BM25F over the name (weight 1), the field (0.3) and the code: each query word
  scores idf × saturated, length-normalised term frequency, so the shortest name
  holding the words wins ("Đăng ký khai sinh" before "Đăng ký lại khai sinh");
- each query word counts once, through its best variant: the exact word (1.0), a
  completion of the last word while the user is still typing (0.8), or a vocabulary
  word within one edit (two for words of 7+ letters) where i and y count as the same
  letter (0.6 for one edit, 0.4 for two). Fuzzy variants are a fallback: used for words
  missing from the vocabulary, or for every word when nothing matches all of them;
- names holding the matched words as a phrase get ×1.5, an exact name ×1.25 more;
- an exact national code (1.001193, or its digits) puts that procedure first;
- a procedure must match every word of a two-word query, or all but one word of a
  longer one, when any procedure matches them all; else at least half of them;
- everyday names (SearchPhrase: data an administrator keeps, seeded from
  data/search_phrases.json): a phrase inside the query (folded; a typo in a word that
  neither the catalog nor a phrase knows; its last word while still typing) stands for
  its official words, a procedure's name or words given. The procedures whose names
  hold those words in order, a word or two apart, rank above every other hit, a longer
  or exact phrase above a shorter or mistyped one; among them the query ranks with the
  phrase replaced by the official words, so "làm lại giấy khai sinh" still reaches
  a look-alike. A phrase inside a longer one gives way to it; an official name typed
  in full over and beyond it ("gia hạn tạm trú cho sinh viên") overrides it, as does a
  query that is part of a name word for word. A phrase whose procedures the catalog
  lacks gives no hits and names them (SearchResult.unavailable), unless the query's
  other words find something;
- plain first: a look-alike whose name holds every word of a plainer procedure's name
  plus words the query does not name (as typed, or a completion; with the same
  diacritics when some were typed: "bố" is not the "bỏ" of "Huỷ bỏ") is kept just below
  it, and the plain one comes back if the query's other words had left it out
  ("đăng ký tạm trú cho sinh viên"). Checked among the 20 best hits and their plainer
  procedures.

procedure_suggestions() answers a search that found nothing: words run together are
split ("khaisinh"), words too far from the catalog for the fuzzy match are replaced by
the nearest (a swap of letters counts one edit), else the everyday names the query
resembles.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from motcua.catalog.models import Procedure, SearchPhrase
from motcua.catalog.selectors import catalog_revision_key
from motcua.core.text import fold

__all__ = [
    "MAX_QUERY_LENGTH",
    "ProcedureHit",
    "SearchQueryError",
    "SearchResult",
    "clear_index_cache",
    "name_holds",
    "procedure_search",
    "procedure_suggestions",
    "procedures_by_field",
    "validate_query",
]

MAX_QUERY_LENGTH = 200

# The lowest level first: a citizen goes to the commune before the province.
LEVEL_ORDER = ("commune", "province", "central")

# BM25F parameters.
K1 = 1.2
FIELD_WEIGHTS = {"name": 1.0, "field": 0.3, "code": 1.0}
FIELD_B = {"name": 0.75, "field": 0.5, "code": 0.0}

# Variant weights: fuzzy matches always count less than exact ones.
W_EXACT = 1.0
W_PREFIX = 0.8
W_IY = 0.8  # same word once i and y are taken as one letter (tay/tai)
W_FUZZY = {1: 0.6, 2: 0.4}
PHRASE_BOOST = 1.5
EXACT_NAME_BOOST = 1.25
CODE_BONUS = 1000.0

MAX_COMPLETIONS = 40
FUZZY_MIN_LENGTH = 3
FUZZY_TWO_EDITS_LENGTH = 7

# Everyday names (SearchPhrase): the procedures a phrase stands for rank above every
# other hit; a longer phrase (more specific) and an exact one above a shorter or typed one.
PHRASE_BONUS = 100.0
PHRASE_WORD_STEP = 0.25  # bonus × (1 + step × (words - 1))
PHRASE_TARGET_GAP = 2  # other words allowed between two official words in a target's name
EXACT_NAME_MAX_WORDS = 8  # names looked for, word for word, inside a query

# A look-alike whose name holds every word of a plainer procedure's name plus some the
# query does not name ("Đăng ký lại khai sinh" beside "Đăng ký khai sinh") is kept below
# it. Checked among the best VARIANT_WINDOW hits only: it reorders the top of the list.
VARIANT_WINDOW = 20
VARIANT_GAP = 0.9
# Words that name no variant: "cho" in "khai sinh cho con" does not ask for
# "... cho người nước ngoài".
VARIANT_STOPWORDS = frozenset(
    "cho cua va voi doi tai trong cac nhung la o the ve tu do den theo nguoi bo".split()
)

# Words of a spoken request that name no procedure ("xin ... cho mẹ", "làm ... ở đâu"):
# what is left of a query besides an everyday name must hold more than these.
QUERY_FILLER = frozenset(
    "xin lam cho va voi cua toi em minh me bo ba con chau o tai de can muon giup hoi "
    "the nao dau thu tuc giay".split()
)

SUGGESTION_CUTOFF = 80.0  # rapidfuzz ratio of a query to an everyday name, 0-100

_RAW_WORD = re.compile(r"[^\W_]+")


class SearchQueryError(ValueError):
    """The query cannot be searched; the message is meant for the person who typed it."""


@dataclass(frozen=True)
class ProcedureHit:
    code: str
    name: str
    field: str
    levels: list[str]
    level: str  # lowest applicable level: "commune", "province", "central" or ""
    online_level: str
    score: float
    url: str
    phrase: str = ""  # the everyday name that led here ("cắt khẩu"), if any


@dataclass(frozen=True)
class SearchResult:
    items: list[ProcedureHit]
    total: int
    # Official words of everyday names in the query ("giấy hộ nghèo" → "công nhận hộ
    # nghèo, hộ cận nghèo") whose procedures this catalog does not offer.
    unavailable: tuple[str, ...] = ()


def validate_query(raw: str) -> str:
    """Return the query ready to search (NFC, trimmed) or raise SearchQueryError."""
    text = unicodedata.normalize("NFC", raw)
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryError(
            _("The search query is too long (at most %(max)d characters).")
            % {"max": MAX_QUERY_LENGTH}
        )
    for ch in text:
        if ch in "\t\n\r":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            raise SearchQueryError(_("The search query contains characters that are not allowed."))
    return text.strip()


# --- the index ----------------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
    hit: ProcedureHit
    padded_name: str  # " folded name ", to look for phrases on word boundaries
    sort_key: tuple[str, str, str]  # field, name, code: the order of an empty query


@dataclass(frozen=True)
class _Phrase:
    text: str  # as the administrator wrote it, shown beside the hits
    words: tuple[str, ...]  # folded
    # doc numbers: the procedures it stands for and their look-alikes; none when the
    # catalog does not hold them (yet): the phrase then only says what is not offered
    targets: tuple[int, ...]
    rewrite: tuple[str, ...]  # the official words it stands for, folded
    official: str = ""  # the official words as written, for a phrase without targets
    plain: tuple[int, ...] = ()  # the targets no other target is plainer than


@dataclass
class _Index:
    revision: tuple[int, datetime | None]
    docs: list[_Doc]
    # term -> {doc number: precomputed BM25F impact}, doc numbers ascending
    postings: dict[str, dict[int, float]]
    vocabulary: list[str]  # sorted, for completions
    fuzzy_terms: list[str]  # letter-only words, i/y merged, for rapidfuzz
    fuzzy_originals: list[str]
    by_code: dict[str, int] = field(default_factory=dict)
    browse_order: list[int] = field(default_factory=list)  # field, name, code
    name_order: list[int] = field(default_factory=list)  # doc number -> rank by name, code
    name_sizes: list[int] = field(default_factory=list)  # doc number -> words in its name
    # doc number -> the docs whose name words are a proper subset of its own: the plainer
    # procedures it looks like ("Đăng ký khai sinh" for "Đăng ký lại khai sinh")
    plainer: list[tuple[int, ...]] = field(default_factory=list)
    phrases: list[_Phrase] = field(default_factory=list)
    phrase_starts: dict[str, list[int]] = field(default_factory=dict)  # first word -> phrases
    phrase_firsts: list[str] = field(default_factory=list)  # sorted first words, for typing
    phrase_firsts_fuzzy: list[str] = field(default_factory=list)  # the same, i/y merged
    known_words: frozenset[str] = frozenset()  # index terms and phrase words: not typos
    exact_names: dict[str, int] = field(default_factory=dict)  # short folded name -> doc


def _code_terms(code: str) -> list[str]:
    folded = fold(code)
    terms = [folded]
    if "." in folded:
        terms.append(folded.split(".", 1)[1])  # "001193" alone is also typed
    return terms


def _lowest_level(levels: list[str]) -> str:
    return next((level for level in LEVEL_ORDER if level in levels), "")


def _build_index(revision: tuple[int, datetime | None]) -> _Index:
    rows = Procedure.objects.filter(current__isnull=False).values_list(
        "code",
        "current__name",
        "current__sector__name",
        "current__levels",
        "current__online_level",
    )
    # Sorted here, not by the database, so SQLite and PostgreSQL (whose collations
    # differ) give identical indexes and therefore identical results.
    rows = sorted(rows, key=lambda row: row[0])

    docs: list[_Doc] = []
    fields_tokens: list[dict[str, list[str]]] = []
    folded_fields: dict[str, str] = {}  # a few dozen fields for thousands of procedures
    for code, name, field_name, levels, online_level in rows:
        levels = [level for level in (levels or []) if isinstance(level, str)]
        hit = ProcedureHit(
            code=code,
            name=name,
            field=field_name,
            levels=levels,
            level=_lowest_level(levels),
            online_level=online_level,
            score=0.0,
            url=f"/thu-tuc/{code}/",
        )
        folded_name = fold(name)
        folded_field = folded_fields.get(field_name)
        if folded_field is None:
            folded_field = folded_fields[field_name] = fold(field_name)
        docs.append(
            _Doc(
                hit=hit,
                padded_name=f" {folded_name} ",
                sort_key=(folded_field, folded_name, code),
            )
        )
        fields_tokens.append(
            {
                "name": folded_name.split(),
                "field": folded_field.split(),
                "code": _code_terms(code),
            }
        )

    n = len(docs)
    avg_len = {
        f: (sum(len(t[f]) for t in fields_tokens) / n if n else 1.0) or 1.0 for f in FIELD_WEIGHTS
    }
    # BM25F: per-field normalised frequencies are weighted and summed, then
    # saturated once, so a word in both name and field is not counted twice over.
    weighted_tf: dict[str, dict[int, float]] = defaultdict(dict)
    for doc_no, field_tokens in enumerate(fields_tokens):
        for f, words in field_tokens.items():
            if not words:
                continue
            norm = 1 - FIELD_B[f] + FIELD_B[f] * len(words) / avg_len[f]
            for word in words:
                per_doc = weighted_tf[word]
                per_doc[doc_no] = per_doc.get(doc_no, 0.0) + FIELD_WEIGHTS[f] / norm

    postings: dict[str, dict[int, float]] = {}
    for term, per_doc in weighted_tf.items():
        df = len(per_doc)
        term_idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        postings[term] = {
            doc_no: term_idf * tf * (K1 + 1) / (K1 + tf) for doc_no, tf in sorted(per_doc.items())
        }

    vocabulary = sorted(postings)
    fuzzy_originals = [t for t in vocabulary if t.isalpha()]
    by_code: dict[str, int] = {}
    for doc_no, doc in enumerate(docs):
        by_code[fold(doc.hit.code)] = doc_no
        by_code.setdefault("".join(ch for ch in doc.hit.code if ch.isdigit()), doc_no)
    # The index's own copy of each word, so the per-document sets share their strings.
    canonical = {term: term for term in postings}
    name_tokens = [[canonical[word] for word in tokens["name"]] for tokens in fields_tokens]
    name_words = [frozenset(words) for words in name_tokens]
    plainer = _plainer(postings, name_words)
    phrases = _build_phrases(postings, by_code, name_tokens, name_words, plainer)
    phrase_starts: dict[str, list[int]] = defaultdict(list)
    for number, phrase in enumerate(phrases):
        phrase_starts[phrase.words[0]].append(number)
    phrase_firsts = sorted(phrase_starts)
    return _Index(
        revision=revision,
        docs=docs,
        postings=postings,
        vocabulary=vocabulary,
        fuzzy_terms=[t.replace("y", "i") for t in fuzzy_originals],
        fuzzy_originals=fuzzy_originals,
        by_code=by_code,
        browse_order=sorted(range(n), key=lambda i: docs[i].sort_key),
        name_order=_positions(sorted(range(n), key=lambda i: docs[i].sort_key[1:])),
        name_sizes=[len(words) for words in name_words],
        plainer=plainer,
        phrases=phrases,
        phrase_starts=dict(phrase_starts),
        phrase_firsts=phrase_firsts,
        phrase_firsts_fuzzy=[w.replace("y", "i") for w in phrase_firsts],
        known_words=frozenset(postings).union(*(p.words for p in phrases)),
        exact_names={  # the first of equal names wins, as in the ranking
            " ".join(name_tokens[doc_no]): doc_no
            for doc_no in reversed(range(n))
            if 1 < len(name_tokens[doc_no]) <= EXACT_NAME_MAX_WORDS
        },
    )


def _plainer(
    postings: dict[str, dict[int, float]], name_words: list[frozenset[str]]
) -> list[tuple[int, ...]]:
    found: list[list[int]] = [[] for _ in name_words]
    for plain, words in enumerate(name_words):
        for doc_no in _holding(list(words), postings, name_words):
            if doc_no != plain and words < name_words[doc_no]:
                found[doc_no].append(plain)
    return [tuple(plainer) for plainer in found]


def _holding(
    words: list[str], postings: dict[str, dict[int, float]], name_words: list[frozenset[str]]
) -> list[int]:
    """Doc numbers whose name holds every one of `words`."""
    if not words or any(word not in postings for word in words):
        return []
    wanted = frozenset(words)
    rarest = min(words, key=lambda word: len(postings[word]))
    return [doc_no for doc_no in postings[rarest] if wanted <= name_words[doc_no]]


def name_holds(name: str, official_words: str) -> bool:
    """Whether a procedure named `name` is one the official words of an everyday name
    stand for (the rule the search applies; the phrase loader reports those that find
    no procedure)."""
    words = fold(official_words).split()
    return bool(words) and _in_order(words, fold(name).split())


def _in_order(words: list[str], name: list[str], max_gap: int = PHRASE_TARGET_GAP) -> bool:
    """Whether `name` holds `words` in their order, at most `max_gap` other words between
    two of them: "đăng ký [lại] khai tử" holds "đăng ký khai tử"; "... đăng ký khai sinh
    ... điện tử" does not, though it has every word."""
    for start, word in enumerate(name):
        if word != words[0]:
            continue
        position = start
        for wanted in words[1:]:
            window = name[position + 1 : position + 2 + max_gap]
            if wanted not in window:
                break
            position += 1 + window.index(wanted)
        else:
            return True
    return False


def _build_phrases(
    postings: dict[str, dict[int, float]],
    by_code: dict[str, int],
    name_tokens: list[list[str]],
    name_words: list[frozenset[str]],
    plainer: list[tuple[int, ...]],
) -> list[_Phrase]:
    """The active everyday names, one entry per folded phrase.

    A target stands for its official words: the name of the procedure, or the words
    given. Every procedure whose name holds them (in order, a word or two apart) is a
    target, so a phrase reaches the look-alikes too and the rest of the query chooses
    among them ("làm lại giấy khai sinh"), the plain one first. Official words no name
    holds are kept, without targets: the search can then say the procedure is not here.
    """
    rows = SearchPhrase.objects.filter(active=True).values_list(
        "phrase", "procedure__code", "official_words"
    )
    grouped: dict[tuple[str, ...], tuple[str, set[int], list[str], list[str]]] = {}
    # Sorted here, not by the database: identical indexes on SQLite and PostgreSQL.
    for text, code, official_words in sorted(rows, key=lambda r: (fold(r[0]), r[1] or "", r[2])):
        words = tuple(fold(text).split())
        if not words:
            continue
        if code:
            doc_no = by_code.get(fold(code))
            if doc_no is None:
                continue  # not searchable (no version in force)
            rewrite = name_tokens[doc_no]
        else:
            rewrite = fold(official_words).split()
        targets = [
            doc_no
            for doc_no in _holding(rewrite, postings, name_words)
            if _in_order(rewrite, name_tokens[doc_no])
        ]
        _text, all_targets, all_rewrite, missing = grouped.setdefault(
            words, (text, set(), [], [])
        )
        if not targets:
            missing.append(official_words)
            continue
        all_targets.update(targets)
        for word in rewrite:
            if word not in all_rewrite:
                all_rewrite.append(word)
    return [
        _Phrase(
            text=shown,
            words=words,
            targets=tuple(sorted(targets)),
            rewrite=tuple(rewrite),
            official="" if targets else "; ".join(missing),
            plain=tuple(sorted(t for t in targets if targets.isdisjoint(plainer[t]))),
        )
        for words, (shown, targets, rewrite, missing) in grouped.items()
    ]


def _positions(order: list[int]) -> list[int]:
    positions = [0] * len(order)
    for position, doc_no in enumerate(order):
        positions[doc_no] = position
    return positions


_index: _Index | None = None
_index_lock = threading.Lock()


def _current_index() -> _Index:
    """The index for the catalog as it is now, rebuilt at most once per revision.

    The revision is read before the rows, so an index is never labelled newer than
    its data: a write racing with a rebuild only costs one more rebuild.
    """
    global _index
    revision = catalog_revision_key()
    index = _index
    if index is not None and index.revision == revision:
        return index
    with _index_lock:  # one thread rebuilds, the others wait for its result
        index = _index
        if index is None or index.revision != revision:
            index = _build_index(revision)
            _index = index
    return index


def clear_index_cache() -> None:
    """Forget the in-memory index (tests whose transactions roll the revision back)."""
    global _index
    with _index_lock:
        _index = None


# --- querying -------------------------------------------------------------------


def _completions(index: _Index, prefix: str) -> list[str]:
    """Words the half-typed `prefix` may become, the most common first, at most a few dozen."""
    vocabulary = index.vocabulary
    start = bisect_left(vocabulary, prefix)
    end = bisect_left(vocabulary, prefix + "\U0010ffff", lo=start)
    found = [t for t in vocabulary[start:end] if t != prefix]
    if len(found) > MAX_COMPLETIONS:
        # One letter may start hundreds of words; the rare ones cost time and rank low.
        found.sort(key=lambda t: (-len(index.postings[t]), t))
        found = found[:MAX_COMPLETIONS]
    return found


def _fuzzy(index: _Index, word: str) -> dict[str, float]:
    if len(word) < FUZZY_MIN_LENGTH or not word.isalpha():
        return {}
    max_edits = 2 if len(word) >= FUZZY_TWO_EDITS_LENGTH else 1
    found: dict[str, float] = {}
    for _choice, edits, position in process.extract(
        word.replace("y", "i"),
        index.fuzzy_terms,
        scorer=Levenshtein.distance,
        score_cutoff=max_edits,
        limit=None,
    ):
        term = index.fuzzy_originals[position]
        if term != word:
            found[term] = W_IY if edits == 0 else W_FUZZY[int(edits)]
    return found


def _variants(
    index: _Index, words: list[str], *, last_is_prefix: bool, fuzzy_all: bool
) -> list[dict[str, float]]:
    """For each query word, the index terms it may stand for, with their weights."""
    result = []
    for position, word in enumerate(words):
        variants: dict[str, float] = {}
        if word in index.postings:
            variants[word] = W_EXACT
        if last_is_prefix and position == len(words) - 1:
            for term in _completions(index, word):
                variants.setdefault(term, W_PREFIX)
        if fuzzy_all or not variants:
            for term, weight in _fuzzy(index, word).items():
                if weight > variants.get(term, 0.0):
                    variants[term] = weight
        result.append(variants)
    return result


def _best_per_document(
    index: _Index, word_variants: dict[str, float]
) -> tuple[dict[int, float], dict[int, str] | str]:
    """For one query word: each document's best weighted impact and the term giving it.

    The usual case, one exact word, returns its postings as they are and the word.
    """
    if len(word_variants) == 1:
        ((term, weight),) = word_variants.items()
        if weight == W_EXACT:
            return index.postings[term], term
    best: dict[int, float] = {}
    best_term: dict[int, str] = {}
    # Terms in alphabetical order and a strict ">" make ties deterministic.
    for term in sorted(word_variants):
        weight = word_variants[term]
        for doc_no, impact in index.postings[term].items():
            value = weight * impact
            if value > best.get(doc_no, 0.0):
                best[doc_no] = value
                best_term[doc_no] = term
    return best, best_term


@dataclass(frozen=True)
class _PhraseMatch:
    start: int
    end: int  # query words [start, end) are the phrase
    weight: float  # 1.0 exact, less for a typo or a word still being typed
    phrase: _Phrase


def _phrase_word_weight(index: _Index, typed: str, word: str, *, typing: bool) -> float:
    """How well the query word `typed` stands for the phrase word `word` (0: not at all).

    Like the index's own variants: a completion while typing, and fuzzy matches only
    for a word that is neither in the catalog nor in a phrase (a typo, not a real word).
    """
    if typed == word:
        return W_EXACT
    if typing and len(typed) >= 2 and word.startswith(typed):
        return W_PREFIX
    if typed in index.known_words or len(typed) < FUZZY_MIN_LENGTH or not typed.isalpha():
        return 0.0
    merged, target = typed.replace("y", "i"), word.replace("y", "i")
    if merged == target:
        return W_IY
    max_edits = 2 if len(typed) >= FUZZY_TWO_EDITS_LENGTH else 1
    edits = Levenshtein.distance(merged, target, score_cutoff=max_edits)
    return W_FUZZY[edits] if edits <= max_edits else 0.0


def _phrase_candidates(index: _Index, typed: str, *, typing: bool) -> list[int]:
    """Phrases whose first word `typed` may be."""
    found = list(index.phrase_starts.get(typed, ()))
    if typing and len(typed) >= 2:
        start = bisect_left(index.phrase_firsts, typed)
        end = bisect_left(index.phrase_firsts, typed + "\U0010ffff", lo=start)
        for word in index.phrase_firsts[start:end]:
            if word != typed:
                found.extend(index.phrase_starts[word])
    if typed not in index.known_words and len(typed) >= FUZZY_MIN_LENGTH and typed.isalpha():
        max_edits = 2 if len(typed) >= FUZZY_TWO_EDITS_LENGTH else 1
        for _choice, _edits, position in process.extract(
            typed.replace("y", "i"),
            index.phrase_firsts_fuzzy,
            scorer=Levenshtein.distance,
            score_cutoff=max_edits,
            limit=None,
        ):
            found.extend(index.phrase_starts[index.phrase_firsts[position]])
    return found


def _phrase_matches(index: _Index, words: list[str], *, last_is_prefix: bool) -> list[_PhraseMatch]:
    """The everyday names inside the query, the longest where they nest."""
    if not index.phrases:
        return []
    last = len(words) - 1
    found: dict[tuple[int, int, int], _PhraseMatch] = {}
    for start, typed in enumerate(words):
        for number in _phrase_candidates(index, typed, typing=last_is_prefix and start == last):
            phrase = index.phrases[number]
            end = start + len(phrase.words)
            if end > len(words) or (start, end, number) in found:
                continue
            weight = 1.0
            exact = 0
            for position in range(start, end):
                word_weight = _phrase_word_weight(
                    index,
                    words[position],
                    phrase.words[position - start],
                    typing=last_is_prefix and position == last,
                )
                weight *= word_weight
                exact += word_weight == W_EXACT
                if not weight:
                    break
            # In a phrase of two words or more, one word at least must be typed as is.
            if weight and (exact or len(phrase.words) == 1):
                found[(start, end, number)] = _PhraseMatch(start, end, weight, phrase)
    matches = list(found.values())
    # A phrase inside a longer one gives way to it ("giấy phép kinh doanh vận tải" over
    # "giấy phép kinh doanh"), unless only the shorter one has procedures here ("mở
    # quán" still finds something when "mở quán karaoke" does not); a phrase without
    # procedures also gives way to any it overlaps that has some.
    return [
        m for m in matches
        if not any(
            (
                o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                and (bool(o.phrase.targets) or not m.phrase.targets)
            )
            or (not m.phrase.targets and o.phrase.targets and o.start < m.end and m.start < o.end)
            for o in matches
        )
    ]


def _apply_phrases(
    index: _Index, words: list[str], marks: list[str | None], matches: list[_PhraseMatch]
) -> tuple[list[str], list[str | None], dict[int, float], dict[int, str]]:
    """The query with each phrase replaced by its official words, and their diacritics;
    each target's weight; and the phrase that found each target."""
    covered = [False] * len(words)
    rewrites: dict[int, list[str]] = defaultdict(list)  # first covered position -> words
    for match in sorted(matches, key=lambda m: (m.start, m.end, m.phrase.words)):
        for position in range(match.start, match.end):
            covered[position] = True
        # Overlapping phrases ("làm giấy khai sinh" + "khai sinh cho con") share one place.
        rewrites[_region_start(covered, match.start)].extend(match.phrase.rewrite)
    rewritten: list[str] = []
    rewritten_marks: list[str | None] = []
    for position, word in enumerate(words):
        if covered[position]:
            new_words = [(w, None) for w in rewrites.get(position, [])]
        else:
            new_words = [(word, marks[position])]
        for new_word, new_marks in new_words:
            if new_word not in rewritten:  # each official word counts once
                rewritten.append(new_word)
                rewritten_marks.append(new_marks)
    weights: dict[int, float] = {}
    found_by: dict[int, str] = {}
    for match in sorted(matches, key=lambda m: (m.start, m.end, m.phrase.words)):
        weight = match.weight * (1 + PHRASE_WORD_STEP * (len(match.phrase.words) - 1))
        for doc_no in match.phrase.targets:
            if weight > weights.get(doc_no, 0.0):
                weights[doc_no] = weight
        for doc_no in match.phrase.plain:  # "also called ..." fits the plain one only
            found_by.setdefault(doc_no, match.phrase.text)
    return rewritten, rewritten_marks, weights, found_by


def _region_start(covered: list[bool], position: int) -> int:
    while position > 0 and covered[position - 1]:
        position -= 1
    return position


def _named_elsewhere(
    index: _Index, words: list[str], matches: list[_PhraseMatch]
) -> list[_PhraseMatch]:
    """The matches left once official names typed in full have their say: a phrase is
    dropped when a procedure's own name sits in the query over the phrase and beyond it,
    and is not one the phrase stands for ("gia hạn tạm trú cho sinh viên" asks for
    "Gia hạn tạm trú", not for what "tạm trú cho sinh viên" means)."""
    spans = []
    for start in range(len(words)):
        for end in range(start + 2, min(len(words), start + EXACT_NAME_MAX_WORDS) + 1):
            doc_no = index.exact_names.get(" ".join(words[start:end]))
            if doc_no is not None:
                spans.append((start, end, doc_no))
    if not spans:
        return matches
    return [
        m for m in matches
        if not any(
            start < m.end and m.start < end  # overlapping
            and (start < m.start or m.end < end)  # and reaching beyond the phrase
            and doc_no not in m.phrase.targets
            for start, end, doc_no in spans
        )
    ]


def _official_words_asked(index: _Index, words: list[str], matches: list[_PhraseMatch]) -> bool:
    """Whether the query, with words beyond its everyday names, is a procedure's own name
    or part of it ("giấy phép kinh doanh karaoke" holds "giấy phép kinh doanh"): then
    those words say what is wanted and the vocabulary must not override them."""
    covered = {p for m in matches for p in range(m.start, m.end)}
    if len(covered) == len(words) or any(word not in index.postings for word in words):
        return False
    padded = f" {' '.join(words)} "
    rarest = min(words, key=lambda word: len(index.postings[word]))
    return any(padded in index.docs[doc_no].padded_name for doc_no in index.postings[rarest])


def _rank(
    index: _Index, query: str, *, last_is_prefix: bool, text: str = ""
) -> tuple[list[tuple[float, int, int]], dict[int, str], list[str]]:
    """(-score, name order, doc number) of every matching document, unsorted; the
    everyday name that found a document, for those found through one; and the official
    words of everyday names in the query whose procedures the catalog does not hold.
    `query` is folded; `text` is as typed (NFC), for the diacritics fold() drops."""
    words = query.split()
    marks = _query_marks(text, len(words))
    matches = _phrase_matches(index, words, last_is_prefix=last_is_prefix)
    if matches:
        matches = _named_elsewhere(index, words, matches)
    weights: dict[int, float] = {}
    found_by: dict[int, str] = {}
    unavailable: list[str] = []
    if matches and not _official_words_asked(index, words, matches):
        resolved = [m for m in matches if m.phrase.targets]
        if resolved:
            covered_last = any(m.end == len(words) for m in resolved)
            words, marks, weights, found_by = _apply_phrases(index, words, marks, resolved)
            last_is_prefix = last_is_prefix and not covered_last
        else:
            # Only procedures this catalog does not offer: say so rather than list what
            # the other words happen to match ("xin giấy hộ nghèo cho mẹ" is not
            # "Đăng ký nhận cha, mẹ, con"), unless those words name a procedure too.
            unavailable = sorted({m.phrase.official for m in matches})
            covered = {p for m in matches for p in range(m.start, m.end)}
            rest = [p for p in range(len(words)) if p not in covered]
            words = [words[p] for p in rest]
            marks = [marks[p] for p in rest]
            if not _held_by_one(index, [w for w in words if w not in QUERY_FILLER]):
                return [], {}, unavailable
    ranked = _rank_words(
        index, words, marks, last_is_prefix=last_is_prefix, weights=weights
    )
    code_doc = index.by_code.get(query)
    if code_doc is None and query.replace(".", "").replace(" ", "").isdigit():
        code_doc = index.by_code.get("".join(ch for ch in query if ch.isdigit()))
    if code_doc is not None:
        ranked = [item for item in ranked if item[2] != code_doc]
        ranked.append((-CODE_BONUS, index.name_order[code_doc], code_doc))
    return ranked, found_by, unavailable


def _held_by_one(index: _Index, words: list[str]) -> bool:
    """Whether one procedure holds every one of `words` (in its name, field or code)."""
    if not words or any(word not in index.postings for word in words):
        return False
    rarest = min(words, key=lambda word: len(index.postings[word]))
    return any(
        all(doc_no in index.postings[word] for word in words) for doc_no in index.postings[rarest]
    )


def _rank_words(
    index: _Index,
    words: list[str],
    marks: list[str | None],
    *,
    last_is_prefix: bool,
    weights: dict[int, float],
) -> list[tuple[float, int, int]]:
    """BM25F over `words`; the documents in `weights` (an everyday name's targets) are
    kept whatever they match and ranked above all others."""
    needed = math.ceil(len(words) / 2)
    name_order = index.name_order
    ranked: list[tuple[float, int, int]] = []
    kept: list[float | None] = []  # doc number -> its score, None when not matched
    for fuzzy_all in (False, True):
        variants = _variants(index, words, last_is_prefix=last_is_prefix, fuzzy_all=fuzzy_all)
        scores = [0.0] * len(index.docs)
        counts = [0] * len(index.docs)
        terms_by_word: list[dict[int, str] | str] = []
        for word_variants in variants:  # query order: float sums never depend on the backend
            best, best_term = _best_per_document(index, word_variants)
            terms_by_word.append(best_term)
            for doc_no, value in best.items():
                scores[doc_no] += value
                counts[doc_no] += 1
        complete = any(count == len(words) for count in counts)
        # When some procedures hold every word, the ones missing more than one are noise
        # ("khai xinh" must not list "kinh doanh" procedures through "xinh" → "kinh"),
        # but one miss stays allowed in longer queries, where a typo can make another
        # real word ("gia han tam tri" for "tạm trú").
        needed_here = max(needed, len(words) - 1 if len(words) > 2 else 2) if complete else needed
        ranked = []
        kept = [None] * len(index.docs)
        for doc_no, count in enumerate(counts):
            if count < needed_here or not count:
                continue
            score = scores[doc_no]
            if count == len(words):
                if len(words) > 1:
                    phrase = " ".join(
                        terms if isinstance(terms, str) else terms[doc_no]
                        for terms in terms_by_word
                    )
                    padded_name = index.docs[doc_no].padded_name
                    if f" {phrase} " in padded_name:
                        score *= PHRASE_BOOST
                        if len(padded_name) == len(phrase) + 2:
                            score *= EXACT_NAME_BOOST
            kept[doc_no] = score
            ranked.append((-score, name_order[doc_no], doc_no))
        # Fuzzy variants for words that exist are the fallback when no procedure
        # holds every word ("khai tinh" is two real words, one of them a typo).
        if complete or not any(len(w) >= FUZZY_MIN_LENGTH for w in words):
            break
    bonus = 0.0
    if weights:
        for doc_no in weights:
            if kept[doc_no] is None:  # a target holding too few of the query's words
                kept[doc_no] = scores[doc_no]
        # Above the best score of any other document: the targets come first.
        bonus = max(score for score in kept if score is not None) + PHRASE_BONUS
    asked = _Asked(words, marks, terms_by_word, variants)
    lowered, added = _plain_first(index, ranked, kept, scores, weights, asked)
    if weights:
        return [
            (-(score + bonus * weights.get(doc_no, 0.0)), name_order[doc_no], doc_no)
            for doc_no, score in enumerate(kept)
            if score is not None
        ]
    if lowered:
        ranked = [
            (-kept[doc_no], order, doc_no) if doc_no in lowered else (negative, order, doc_no)
            for negative, order, doc_no in ranked
        ]
    ranked.extend((-kept[doc_no], name_order[doc_no], doc_no) for doc_no in added)
    return ranked


def _plain_first(
    index: _Index,
    ranked: list[tuple[float, int, int]],
    kept: list[float | None],
    scores: list[float],
    weights: dict[int, float],
    asked: _Asked,
) -> tuple[set[int], set[int]]:
    """Keep each look-alike below the plain procedure whose name its own extends, unless
    the query names what it adds ("lại", "lưu động", "nước ngoài", ...): lowers their
    `kept` score in place; returns the doc numbers lowered and those brought back.
    `ranked` is the order before the phrases' bonus; an everyday name's targets are all
    looked at.

    BM25 already prefers the shorter name, but not when other words of the query
    happen to sit in the longer one, or when the longer one holds the query as a phrase.
    A plain procedure that missed too many of the query's words is brought back with
    its own score when a look-alike of it is shown for no word of its own: words such
    as "cho sinh viên" in "đăng ký tạm trú cho sinh viên" must not leave only
    "Huỷ bỏ đăng ký tạm trú cho người ..." on the page.
    """
    top = [doc_no for _, _, doc_no in heapq.nsmallest(VARIANT_WINDOW, ranked)]
    top.extend(doc_no for doc_no in weights if kept[doc_no] is not None)  # they come first
    # The plainer procedures of the top hits may rank lower: look at them too, plainest
    # first, so each is settled before the look-alikes measured against it.
    plainer = index.plainer
    todo = {plain for doc_no in top for plain in plainer[doc_no] if scores[plain] > 0}
    if not todo:
        return set(), set()
    todo.update(top)
    lowered: set[int] = set()
    added: set[int] = set()
    words_of: dict[int, frozenset[str]] = {}  # name words, for these few documents only

    def name_words(doc_no: int) -> frozenset[str]:
        if doc_no not in words_of:
            words_of[doc_no] = frozenset(index.docs[doc_no].padded_name.split())
        return words_of[doc_no]

    for doc_no in sorted(todo, key=lambda d: (index.name_sizes[d], index.name_order[d])):
        score = kept[doc_no]
        if score is None:
            continue  # a plain procedure the query's words left out, unless brought back
        weight = weights.get(doc_no, 0.0)
        plains = [
            (plain, kept[plain] if kept[plain] is not None else scores[plain])
            for plain in index.plainer[doc_no]
            if scores[plain] > 0 and weights.get(plain, 0.0) == weight
        ]
        # Most look-alikes already rank well below: nothing to look at.
        if not plains or score < VARIANT_GAP * max(s for _, s in plains):
            continue
        own = name_words(doc_no)
        extras = {plain: own - name_words(plain) for plain, _ in plains}
        named = _named_terms(index, doc_no, asked, among=set().union(*extras.values()))
        plains = [(plain, s) for plain, s in plains if not named & extras[plain]]
        if not plains:
            continue
        for plain, plain_score in plains:
            if kept[plain] is None:
                kept[plain] = plain_score
                added.add(plain)
        ceiling = max(s for _, s in plains)
        if score >= VARIANT_GAP * ceiling:
            kept[doc_no] = _below(score, ceiling)
            lowered.add(doc_no)
    return lowered - added, added


@dataclass(frozen=True)
class _Asked:
    """What the query's words matched, to tell which words of a name it names."""

    words: list[str]
    marks: list[str | None]
    terms_by_word: list[dict[int, str] | str]
    variants: list[dict[str, float]]


def _named_terms(index: _Index, doc_no: int, asked: _Asked, *, among: set[str]) -> set[str]:
    """The index terms of `among` the query's words name in this document: matched as
    typed, as completions or with i/y, and with the same diacritics when the query has
    some. A fuzzy neighbour names nothing ("chồng" is no typo of the "thông" of "liên
    thông"), nor does a word fold() merges with another ("bố" is not "bỏ")."""
    named = set()
    for word, marks, terms, word_variants in zip(
        asked.words, asked.marks, asked.terms_by_word, asked.variants, strict=True
    ):
        term = terms if isinstance(terms, str) else terms.get(doc_no)
        if term is None or term not in among or term in VARIANT_STOPWORDS:
            continue
        if isinstance(terms, str) and doc_no not in index.postings[term]:
            continue
        if word_variants[term] < W_IY:
            continue
        if marks is not None and term == word:
            # A Vietnamese letter folds to one letter: only words of that length can be it.
            if not any(
                _marks(raw) == marks and fold(raw) == term
                for raw in _RAW_WORD.findall(index.docs[doc_no].hit.name)
                if len(raw) == len(term)
            ):
                continue
        named.add(term)
    return named


def _marks(word: str) -> str:
    """The diacritics of a word, in a canonical order: what fold() forgets. Equal for
    "hoà"/"hòa" (tone placement) and "kí"/"ký"; different for "bố"/"bỏ", "thứ"/"thu"."""
    lowered = word.lower()
    decomposed = unicodedata.normalize("NFD", lowered)
    return "".join(sorted(ch for ch in decomposed if unicodedata.combining(ch))) + (
        "đ" if "đ" in lowered else ""
    )


def _query_marks(text: str, count: int) -> list[str | None]:
    """Per query word, its diacritics when it was typed with some, else None (so an
    unaccented query names by folded words alone)."""
    raw = _RAW_WORD.findall(text)
    if len(raw) != count:  # tokens that fold() splits otherwise (codes, odd marks)
        return [None] * count
    return [None if word.isascii() else _marks(word) for word in raw]


def _below(score: float, ceiling: float) -> float:
    """`score` kept under `ceiling`: unchanged well below it, squeezed just under it
    otherwise, so look-alikes keep their order among themselves."""
    ratio = score / ceiling
    if ratio < VARIANT_GAP:
        return score
    excess = ratio - VARIANT_GAP
    return ceiling * (VARIANT_GAP + (1 - VARIANT_GAP) * excess / (excess + 1 - VARIANT_GAP))


def procedure_search(*, query: str, limit: int = 10, offset: int = 0) -> SearchResult:
    """Searchable procedures best first; an empty query lists them all by field then name.

    Raises SearchQueryError for a query validate_query() refuses.
    """
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    text = validate_query(query)
    index = _current_index()
    if not text:
        order = index.browse_order
        return SearchResult(
            items=[_hit(index, doc_no, 0.0) for doc_no in order[offset : offset + limit]],
            total=len(order),
        )
    folded = fold(text)
    if not folded:
        return SearchResult(items=[], total=0)
    # A trailing space means the last word is finished; otherwise it may be half typed.
    ranked, found_by, unavailable = _rank(
        index, folded, last_is_prefix=not query[-1:].isspace(), text=text
    )
    # Only the requested page is sorted out of the whole list.
    page = heapq.nsmallest(offset + limit, ranked)[offset:]
    return SearchResult(
        items=[
            _hit(index, doc_no, -negative, phrase=found_by.get(doc_no, ""))
            for negative, _, doc_no in page
        ],
        total=len(ranked),
        unavailable=tuple(unavailable),
    )


def procedure_suggestions(*, query: str, limit: int = 5) -> list[ProcedureHit]:
    """A few procedures for a search that found nothing: the query again with words run
    together split ("khaisinh" → "khai sinh") and words too far from any word of the
    catalog for the search's own tolerance replaced by the closest one (two edits);
    else the procedures of the everyday names it resembles.

    Raises SearchQueryError for a query validate_query() refuses.
    """
    folded = fold(validate_query(query))
    if not folded or limit <= 0:
        return []
    index = _current_index()
    words = folded.split()
    corrected = _corrected(index, words)
    hits: list[ProcedureHit] = []
    if corrected != words:
        # A trailing space: the words are complete, not still being typed.
        hits = procedure_search(query=" ".join(corrected) + " ", limit=limit).items
    if len(hits) < limit and index.phrases:
        seen = {hit.code for hit in hits}
        texts = [" ".join(phrase.words) for phrase in index.phrases]
        # The whole query against whole phrases: a phrase typed with several typos.
        for _text, similarity, number in process.extract(
            folded, texts, scorer=fuzz.ratio, score_cutoff=SUGGESTION_CUTOFF, limit=limit
        ):
            # The plainest of what the phrase stands for: the shortest names first.
            targets = sorted(
                index.phrases[number].targets,
                key=lambda d: (index.name_sizes[d], index.name_order[d]),
            )
            for doc_no in targets[:2]:
                if index.docs[doc_no].hit.code not in seen:
                    seen.add(index.docs[doc_no].hit.code)
                    hits.append(_hit(index, doc_no, similarity / 100))
    return hits[:limit]


def _corrected(index: _Index, words: list[str]) -> list[str]:
    """`words` with the unknown ones split into known words, or else replaced by the
    nearest known word at most two edits away (a swap of two letters is one); the
    known ones as they are. Letters typed twice are tried once too ("kethonn")."""
    merged = {term.replace("y", "i"): term for term in reversed(index.fuzzy_originals)}
    out: list[str] = []
    for word in words:
        if word in index.known_words or not word.isalpha() or len(word) < FUZZY_MIN_LENGTH:
            out.append(word)
            continue
        single = re.sub(r"(.)\1+", r"\1", word)
        if single.replace("y", "i") in merged:
            out.append(merged[single.replace("y", "i")])
            continue
        for candidate in dict.fromkeys([word, single]):
            pieces = _split(candidate.replace("y", "i"), merged) or _nearest(index, candidate)
            if pieces:
                out.extend(pieces)
                break
        else:
            out.append(word)
    return out


def _nearest(index: _Index, word: str) -> list[str]:
    if word in index.known_words:
        return [word]
    near = process.extract(
        word.replace("y", "i"), index.fuzzy_terms, scorer=OSA.distance, score_cutoff=2,
        limit=None,
    )
    # The fewest edits, then the commonest word: "dagn" is more likely "đăng" than "dân".
    best = min(
        near,
        key=lambda c: (c[1], -len(index.postings[index.fuzzy_originals[c[2]]]), c[2]),
        default=None,
    )
    return [index.fuzzy_originals[best[2]]] if best else []


def _split(word: str, vocabulary: dict[str, str]) -> list[str]:
    """`word` as the fewest known words of two letters or more, or [] (dynamic programming:
    Vietnamese syllables are short, so a few dozen lookups)."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(2, len(word) + 1):
        for start in range(max(0, end - 7), end - 1):
            before = best[start]
            piece = vocabulary.get(word[start:end])
            if before is None or piece is None:
                continue
            if best[end] is None or len(before) + 1 < len(best[end]):
                best[end] = [*before, piece]
    found = best[len(word)]
    return found if found and len(found) > 1 else []


def procedures_by_field() -> list[tuple[str, list[ProcedureHit]]]:
    """All searchable procedures grouped by field, fields and names in Vietnamese order."""
    index = _current_index()
    groups: list[tuple[str, list[ProcedureHit]]] = []
    for doc_no in index.browse_order:
        hit = _hit(index, doc_no, 0.0)
        if not groups or groups[-1][0] != hit.field:
            groups.append((hit.field, []))
        groups[-1][1].append(hit)
    return groups


def _hit(index: _Index, doc_no: int, score: float, *, phrase: str = "") -> ProcedureHit:
    # A copy, so a caller changing `levels` cannot reach into the shared index.
    hit = index.docs[doc_no].hit
    return ProcedureHit(
        code=hit.code,
        name=hit.name,
        field=hit.field,
        levels=list(hit.levels),
        level=hit.level,
        online_level=hit.online_level,
        score=round(score, 4),
        url=hit.url,
        phrase=phrase,
    )
