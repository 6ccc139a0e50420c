"""The closed schema of a registry record: exactly the fields R121-4 CASF allows, and their validation.

There is deliberately no free-text field about health. The eligibility ``category`` is one of three
objective criteria (R121-3). Coordinates are derived from the address (never from a third-party
geocoder) and kept encrypted with the rest. The PCS extension (living alone, floor) is separate,
switched off by default (``BEFFROI_REGISTRY_PCS_EXTENSION``), and documented in docs/registry.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from beffroi.registry.models.people import Category

# The R121-4 identity and situation fields, then the request fields (third party).
R121_4_FIELDS = (
    "last_name",
    "first_names",
    "birth_date",
    "category",
    "address",
    "phone",
    "home_care_service",
    "emergency_contact",
    "third_party_name",
    "third_party_capacity",
)
FIELD_LABELS = {
    "last_name": _("Nom"),
    "first_names": _("Prénoms"),
    "birth_date": _("Date de naissance"),
    "category": _("Qualité au titre de laquelle la personne est inscrite"),
    "address": _("Adresse"),
    "phone": _("Téléphone"),
    "home_care_service": _("Service intervenant à domicile"),
    "emergency_contact": _("Personne à prévenir en cas d'urgence"),
    "third_party_name": _("Nom du tiers demandeur"),
    "third_party_capacity": _("Qualité du tiers demandeur"),
}
EXTENSION_FIELDS = ("lives_alone", "floor")


def pcs_extension_enabled() -> bool:
    return bool(settings.REGISTRY_PCS_EXTENSION)


@dataclass
class PersonData:
    last_name: str
    first_names: str
    birth_date: str  # ISO date
    category: str
    address: str
    phone: str
    home_care_service: str = ""
    emergency_contact: str = ""
    third_party_name: str = ""
    third_party_capacity: str = ""
    lon: float | None = None
    lat: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PersonData:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def full_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_names}"

    def age(self, today: date | None = None) -> int:
        return age_from(date.fromisoformat(self.birth_date), today)


def age_from(born: date, today: date | None = None) -> int:
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


PHONE_RE = re.compile(r"^(?:\+33|0033|0)([1-9]\d{8})$")


def normalise_phone(value: str | None) -> str:
    """A French number as ``01 23 45 67 89``; raises ValueError otherwise."""
    digits = re.sub(r"[\s.\-()/]", "", str(value or ""))
    match = PHONE_RE.match(digits)
    if not match:
        raise ValueError(_("numéro de téléphone français attendu (10 chiffres, ex. 01 23 45 67 89)"))
    national = "0" + match.group(1)
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("date attendue au format JJ/MM/AAAA"))


CATEGORY_ALIASES = {
    "age_65": Category.AGE_65,
    "65": Category.AGE_65,
    "65+": Category.AGE_65,
    "65 ans et plus": Category.AGE_65,
    "age": Category.AGE_65,
    "agee": Category.AGE_65,
    "personne agee": Category.AGE_65,
    "age_60_unfit": Category.AGE_60_UNFIT,
    "60": Category.AGE_60_UNFIT,
    "60+": Category.AGE_60_UNFIT,
    "60 inapte": Category.AGE_60_UNFIT,
    "60+ inapte": Category.AGE_60_UNFIT,
    "inapte": Category.AGE_60_UNFIT,
    "inapte au travail": Category.AGE_60_UNFIT,
    "disabled": Category.DISABLED,
    "handicap": Category.DISABLED,
    "handicapee": Category.DISABLED,
    "personne handicapee": Category.DISABLED,
    "adulte handicape": Category.DISABLED,
}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip().lower()


def parse_category(value) -> str:
    key = fold(value)
    if key in CATEGORY_ALIASES:
        return str(CATEGORY_ALIASES[key])
    raise ValueError(_("qualité attendue : 65+, 60+ inapte ou handicap"))


def check_eligibility(category: str, born: date, today: date | None = None) -> None:
    """R121-3: 65 or over; over 60 and unfit for work; or a disabled adult."""
    age = age_from(born, today)
    if born > (today or date.today()):
        raise ValueError(_("date de naissance dans le futur"))
    if category == Category.AGE_65 and age < 65:
        raise ValueError(_("moins de 65 ans : qualité « 65 ans et plus » impossible"))
    if category == Category.AGE_60_UNFIT and age <= 60:
        raise ValueError(_("60 ans ou moins : qualité « plus de 60 ans inapte » impossible"))
    if category == Category.DISABLED and age < 18:
        raise ValueError(_("le registre concerne les adultes handicapés"))


def dedup_text(last_name: str, first_names: str, birth_date: str) -> str:
    return f"{fold(last_name)}|{fold(first_names)}|{birth_date}"
