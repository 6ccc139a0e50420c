"""Local geocoding on the catalogue's address layer (BAN format): no query ever leaves the server.

``geocode(query, commune=None, limit=5) -> list[Match]`` reads free text such as « 14 bd de
Strasbourg Nogent » or « 14 boulevard de strasbourg, 94130 »: case, accents and punctuation are
folded, street-type abbreviations expanded (bd → boulevard, av → avenue, st → saint …), the house
number and its suffix (bis, ter, a …) split off, and a postcode or commune name in the text
restricts the search. Streets are ranked by the share of query words they contain (with a fuzzy
match for typos); a house number found on the street gives a ``housenumber`` match, otherwise the
street's middle address gives a ``street`` match.

The address layer is every dataset named ``addresses*``, ``adresses*`` or ``ban*`` with ``lon``,
``lat`` and a street column (``nom_voie`` or ``voie``); its index is kept in memory per Parquet
file (a new version of the dataset is a new file, so a rebuilt layer is picked up).
"""

from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from beffroi.sources.selectors import list_datasets

ADDRESS_PREFIXES = ("addresses", "adresses", "ban")
ABBREVIATIONS = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "avn": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "ch": "chemin",
    "chem": "chemin",
    "imp": "impasse",
    "all": "allee",
    "fg": "faubourg",
    "fbg": "faubourg",
    "st": "saint",
    "ste": "sainte",
    "sq": "square",
    "rte": "route",
    "qu": "quai",
    "qai": "quai",
    "crs": "cours",
    "pass": "passage",
    "sent": "sentier",
    "res": "residence",
    "lot": "lotissement",
    "ham": "hameau",
    "prom": "promenade",
    "rpt": "rond-point",
    "gal": "general",
    "mal": "marechal",
    "pdt": "president",
    "prof": "professeur",
    "dr": "docteur",
    "cdt": "commandant",
    "lt": "lieutenant",
}
# Words that carry no meaning for matching (« de », « la » …).
STOP = {"de", "du", "des", "la", "le", "les", "l", "d", "a", "au", "aux", "et", "en"}
REPS = {"bis": "bis", "b": "bis", "ter": "ter", "t": "ter", "quater": "quater", "q": "quater"}
NUMBER_RE = re.compile(r"^\s*(\d{1,5})\s*(bis|ter|quater|[a-z](?![a-z]))?\b[\s,]*(.*)$")
POSTCODE_RE = re.compile(r"\b(\d{5})\b")


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", text)).strip()


def street_words(text: str) -> list[str]:
    """Folded words of a street name, abbreviations expanded, stop words dropped."""
    out: list[str] = []
    for w in fold(text).split():
        w = ABBREVIATIONS.get(w, w)
        out.extend(p for p in w.split("-") if p and p not in STOP)
    return out


def normalise_rep(rep: str) -> str:
    r = fold(rep)
    return REPS.get(r, r)


@dataclass(frozen=True)
class Match:
    label: str
    lon: float
    lat: float
    score: float  # 0-1
    kind: str  # "housenumber" or "street"
    numero: int | None
    rep: str
    street: str
    postcode: str
    commune_code: str
    commune_name: str
    id: str
    dataset: str

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class _Street:
    name: str
    words: tuple[str, ...]
    text: str  # words joined, for the fuzzy ratio
    commune_code: str
    commune_name: str
    postcodes: set[str] = field(default_factory=set)
    # (numero, rep) -> (lon, lat, id, postcode)
    numbers: dict[tuple[int, str], tuple[float, float, str, str]] = field(default_factory=dict)


@dataclass
class _Index:
    dataset: str
    streets: list[_Street]
    commune_names: dict[str, str]  # folded commune name -> code


_CACHE: dict[str, _Index] = {}
_LOCK = threading.Lock()


def _column(names: set[str], *candidates: str) -> str | None:
    return next((c for c in candidates if c in names), None)


def _build_index(name: str, path: Path, names: set[str]) -> _Index | None:
    import pyarrow.parquet as pq

    street_col = _column(names, "nom_voie", "voie")
    if street_col is None or not {"lon", "lat"} <= names:
        return None
    commune_col = _column(names, "code_insee", "commune_code")
    wanted = [street_col, "lon", "lat"] + [
        c for c in ("numero", "rep", "code_postal", "nom_commune", "id", commune_col) if c and c in names
    ]
    table = pq.read_table(path, columns=list(dict.fromkeys(wanted))).to_pydict()
    streets: dict[tuple[str, str], _Street] = {}
    communes: dict[str, str] = {}
    n = len(table["lon"])
    for i in range(n):
        voie = table[street_col][i]
        if not voie or table["lon"][i] is None or table["lat"][i] is None:
            continue
        code = str(table[commune_col][i]) if commune_col else ""
        commune_name = str(table["nom_commune"][i] or "") if "nom_commune" in table else ""
        postcode = str(table["code_postal"][i] or "") if "code_postal" in table else ""
        key = (code, " ".join(street_words(voie)))
        street = streets.get(key)
        if street is None:
            words = tuple(street_words(voie))
            street = streets[key] = _Street(str(voie), words, " ".join(words), code, commune_name)
        if postcode:
            street.postcodes.add(postcode)
        if commune_name:
            communes.setdefault(fold(commune_name), code)
        numero = table["numero"][i] if "numero" in table else None
        if numero is not None:
            try:
                num = int(numero)
            except (TypeError, ValueError):
                continue
            rep = normalise_rep(str(table["rep"][i] or "")) if "rep" in table else ""
            ident = str(table["id"][i]) if "id" in table else ""
            street.numbers.setdefault(
                (num, rep), (float(table["lon"][i]), float(table["lat"][i]), ident, postcode)
            )
    return _Index(name, list(streets.values()), communes)


def _indexes() -> list[_Index]:
    out = []
    for info in list_datasets():
        if not info.name.startswith(ADDRESS_PREFIXES) or not Path(info.parquet_path).exists():
            continue
        key = str(info.parquet_path)
        with _LOCK:
            index = _CACHE.get(key)
            if index is None:
                names = {c for c, _t in info.columns} if info.columns else set()
                if not names:
                    import pyarrow.parquet as pq

                    names = set(pq.read_schema(info.parquet_path).names)
                index = _build_index(info.name, Path(info.parquet_path), names)
                if index is None:
                    continue
                if len(_CACHE) > 16:
                    _CACHE.clear()
                _CACHE[key] = index
        out.append(index)
    return out


@dataclass(frozen=True)
class Query:
    numero: int | None
    rep: str
    words: tuple[str, ...]
    postcode: str
    commune_words: tuple[str, ...]


def parse(query: str) -> Query:
    """Split « 14 bis bd de Strasbourg, 94130 Nogent » into its parts (commune words are left in
    ``words``; the index knows the commune names and takes them out)."""
    text = fold(query)
    postcode = ""
    commune_words: tuple[str, ...] = ()
    if m := POSTCODE_RE.search(text):
        # French addresses end with « code postal + commune »: what follows the postcode is the commune.
        postcode = m.group(1)
        commune_words = tuple(street_words(text[m.end() :]))
        text = text[: m.start()].strip()
    numero, rep = None, ""
    if m := NUMBER_RE.match(text):
        numero, rep, text = int(m.group(1)), normalise_rep(m.group(2) or ""), m.group(3)
    words = tuple(street_words(text))
    return Query(numero, rep, words, postcode, commune_words)


def _split_commune(words: tuple[str, ...], index: _Index) -> tuple[tuple[str, ...], set[str]]:
    """Take a trailing commune name (« Nogent », « nogent sur marne ») off the street words."""
    names = {tuple(street_words(n)): code for n, code in index.commune_names.items()}
    for size in range(min(len(words) - 1, 4), 0, -1):
        tail = words[-size:]
        codes = {code for name, code in names.items() if name[: len(tail)] == tail}
        if codes:
            return words[:-size], codes
    return words, set()


def _commune_codes(words: tuple[str, ...], index: _Index) -> set[str]:
    if not words:
        return set()
    return {
        code for name, code in index.commune_names.items() if tuple(street_words(name))[: len(words)] == words
    }


def _score(query_words: tuple[str, ...], street: _Street) -> float:
    if not query_words:
        return 0.0
    have = set(street.words)
    hits = sum(1 for w in query_words if w in have)
    fuzzy = difflib.SequenceMatcher(None, " ".join(query_words), street.text).ratio()
    coverage = hits / len(query_words)
    precision = hits / max(1, len(street.words))
    return round(0.5 * coverage + 0.2 * precision + 0.3 * fuzzy, 4)


def geocode(query: str, commune: str | None = None, limit: int = 5, *, min_score: float = 0.5) -> list[Match]:
    """Best matches of ``query`` in the address layer, best first (empty when nothing fits)."""
    if not (query or "").strip():
        return []
    parsed = parse(query)
    results: list[tuple[float, Match]] = []
    for index in _indexes():
        # A trailing word may be the commune (« … Nogent ») or part of the street (« rue de
        # Garches » in Rueil): both readings are tried, the better score wins.
        after_postcode = _commune_codes(parsed.commune_words, index)
        readings = [(parsed.words, after_postcode)]
        stripped, named = _split_commune(parsed.words, index)
        if named and stripped:
            readings.append((stripped, named))
        for words, named_codes in readings:
            for street in index.streets:
                if commune and street.commune_code and street.commune_code != commune:
                    continue
                if parsed.postcode and street.postcodes and parsed.postcode not in street.postcodes:
                    continue
                if named_codes and street.commune_code not in named_codes:
                    continue
                score = _score(words, street)
                if score < min_score:
                    continue
                match = _locate(street, parsed, score, index.dataset)
                if match is not None:
                    results.append((match.score, match))
    results.sort(key=lambda r: (-r[0], r[1].label))
    seen, out = set(), []
    for _score_value, m in results:
        if (m.label, m.commune_code) in seen:
            continue
        seen.add((m.label, m.commune_code))
        out.append(m)
        if len(out) >= max(1, int(limit)):
            break
    return out


def _label(numero: int | None, rep: str, street: _Street, postcode: str) -> str:
    number = f"{numero}{(' ' + rep) if rep else ''} " if numero is not None else ""
    place = " ".join(p for p in (postcode, street.commune_name) if p)
    return f"{number}{street.name}" + (f" {place}" if place else "")


def _locate(street: _Street, q: Query, score: float, dataset: str) -> Match | None:
    def make(num, rep, lon, lat, ident, postcode, kind, s) -> Match:
        postcode = postcode or q.postcode or next(iter(sorted(street.postcodes)), "")
        return Match(
            label=_label(num, rep, street, postcode),
            lon=lon,
            lat=lat,
            score=round(min(1.0, s), 4),
            kind=kind,
            numero=num,
            rep=rep,
            street=street.name,
            postcode=postcode,
            commune_code=street.commune_code,
            commune_name=street.commune_name,
            id=ident,
            dataset=dataset,
        )

    if q.numero is not None:
        hit = street.numbers.get((q.numero, q.rep))
        if hit is not None:
            return make(q.numero, q.rep, *hit, "housenumber", score)
        if q.rep and (hit := street.numbers.get((q.numero, ""))) is not None:
            # « 14 bis » not in the layer but « 14 » is: the same building, slightly less sure.
            return make(q.numero, "", *hit, "housenumber", score * 0.95)
    if not street.numbers:
        return None
    # The street itself: its middle address stands for it, with a lower score.
    keys = sorted(street.numbers)
    num, rep = keys[len(keys) // 2]
    lon, lat, _ident, postcode = street.numbers[(num, rep)]
    return make(None, "", lon, lat, "", postcode, "street", score * 0.8)


def layer_names() -> list[str]:
    """Names of the datasets the geocoder searches (those with usable address columns)."""
    return [index.dataset for index in _indexes()]


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
