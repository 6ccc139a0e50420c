"""Demo data for the crisis cell (filled in below)."""


def load(commune_codes):
    return None
