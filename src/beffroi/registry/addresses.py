"""Match registry addresses against an address layer of the catalogue (BAN format), on the server only.

No third-party geocoder is ever called: ``sources.geocoding.geocode`` searches the address layer (datasets
named ``addresses*``, ``adresses*`` or ``ban*`` with ``numero``, ``nom_voie``, ``lon``/``lat``; ``code_insee``
restricts to the commune). Without such a dataset, addresses are not checked and the import report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from beffroi.registry.schema import fold
from beffroi.sources.geocoding import geocode, layer_names

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


# A registry address is placed only on an exact house number of a street matched this well.
MIN_SCORE = 0.8


@dataclass
class AddressIndex:
    name: str
    commune: str = ""

    def locate(self, text: str) -> tuple[float, float] | None:
        for match in geocode(text, self.commune or None, limit=1):
            if match.kind == "housenumber" and match.score >= MIN_SCORE:
                return (match.lon, match.lat)
        return None


def load_index(commune: str) -> AddressIndex | None:
    """The address layer for ``commune``: located with the local geocoder (sources.geocoding)."""

    names = layer_names()
    return AddressIndex(names[0], commune) if names else None
