"""Match registry addresses against an address layer of the catalogue (BAN format), on the server only.

No third-party geocoder is ever called. The layer is the first dataset named ``ban*`` or ``adresses*``
with columns ``numero``, ``nom_voie`` and ``lon``/``lat`` (``code_insee`` when present restricts to the
commune). Without such a dataset, addresses are not checked and the import report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from beffroi.registry.schema import fold
from beffroi.sources.selectors import list_datasets

STREET_WORDS = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "pl": "place",
    "all": "allee",
    "ch": "chemin",
    "imp": "impasse",
    "sq": "square",
    "rte": "route",
    "qu": "quai",
}


def address_key(text: str) -> str | None:
    """'17 bis, Rue des Lilas 92500 Rueil' -> '17bis rue des lilas' (number + street, folded)."""
    folded = fold(text).replace(",", " ")
    folded = re.split(r"\b\d{5}\b", folded)[0]
    match = re.match(r"^\s*(\d+)\s*(bis|ter|quater|[a-d])?\b\s*(.+)$", folded)
    if not match:
        return None
    number, rep, street = match.group(1), match.group(2) or "", match.group(3)
    words = [
        STREET_WORDS.get(w.strip("."), w.strip(".")) for w in re.split(r"[\s'’-]+", street) if w.strip(".")
    ]
    return f"{number}{rep} {' '.join(words)}".strip()


@dataclass
class AddressIndex:
    name: str
    points: dict[str, tuple[float, float]]

    def locate(self, text: str) -> tuple[float, float] | None:
        key = address_key(text)
        return self.points.get(key) if key else None


def load_index(commune: str) -> AddressIndex | None:
    import pyarrow.parquet as pq

    for info in list_datasets():
        if not re.match(r"^(ban|adresses?)([-_].*)?$", info.name):
            continue
        names = (
            {c for c, _t in info.columns} if info.columns else set(pq.read_schema(info.parquet_path).names)
        )
        if not {"numero", "nom_voie", "lon", "lat"} <= names:
            continue
        columns = ["numero", "nom_voie", "lon", "lat"] + [c for c in ("rep", "code_insee") if c in names]
        table = pq.read_table(info.parquet_path, columns=columns).to_pydict()
        points = {}
        for i in range(len(table["numero"])):
            if "code_insee" in table and str(table["code_insee"][i]) != commune:
                continue
            rep = table["rep"][i] if "rep" in table and table["rep"][i] else ""
            key = address_key(f"{table['numero'][i]} {rep} {table['nom_voie'][i]}")
            if key and table["lon"][i] is not None:
                points[key] = (float(table["lon"][i]), float(table["lat"][i]))
        return AddressIndex(info.name, points)
    return None
