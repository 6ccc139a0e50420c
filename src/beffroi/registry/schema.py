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
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from beffroi.registry.models.people import Category, Source

# The R121-4 identity and situation fields, then the request fields (third party). R121-4 lists "numéro
# de téléphone", "coordonnées du service intervenant à domicile" and "personne à prévenir en cas
# d'urgence": a second number of the person, the service's and the contact's numbers are those
# coordinates. The attending doctor is not in R121-4: it is never kept (docs/registry.md §2).
R121_4_FIELDS = (
    "last_name",
    "first_names",
    "birth_date",
    "category",
    "address",
    "phone",
    "mobile",
    "home_care_service",
    "home_care_service_phone",
    "emergency_contact",
    "emergency_contact_phone",
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
    "mobile": _("Téléphone portable"),
    "home_care_service": _("Service intervenant à domicile"),
    "home_care_service_phone": _("Téléphone du service intervenant à domicile"),
    "emergency_contact": _("Personne à prévenir en cas d'urgence"),
    "emergency_contact_phone": _("Téléphone de la personne à prévenir"),
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
    phone: str  # the main number (fixed line if any): campaigns and routes call this one
    mobile: str = ""
    home_care_service: str = ""
    home_care_service_phone: str = ""
    emergency_contact: str = ""
    emergency_contact_phone: str = ""
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

    @property
    def emergency_contact_line(self) -> str:
        """The contact with her number, as callers and route sheets show it."""
        return " · ".join(x for x in (self.emergency_contact, self.emergency_contact_phone) if x)

    @property
    def birth_date_shown(self) -> str:
        """JJ/MM/AAAA, as French forms and CCAS files write it (the payload keeps ISO)."""
        return date.fromisoformat(self.birth_date).strftime("%d/%m/%Y") if self.birth_date else ""

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


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip().lower()


def words(text: str) -> str:
    """Folded text reduced to words: no accents, no case, punctuation as spaces (« Tél. » = « tel »).

    Apostrophes and hyphens become spaces too, so « l'intéressée » is « l interessee » and
    « lui-même » « lui meme »; a ``+`` stays, as its own word (« 65+ » is « 65 + »)."""
    text = fold(text).replace("’", "'")
    text = re.sub(r"(\d)\s*\+|\+\s*(\d)", lambda m: f"{m.group(1) or ''} + {m.group(2) or ''}", text)
    text = re.sub(r"[^a-z0-9+]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _has(text: str, *phrases: str) -> bool:
    padded = f" {text} "
    return any(f" {phrase} " in padded for phrase in phrases)


def _contains(text: str, *stems: str) -> bool:
    return any(stem in text for stem in stems)


# The wordings CCAS files use for the three R121-3 criteria: the legal text, the app's own labels, the
# benefits that make a disabled adult eligible (AAH, ACTP, PCH, CMI and the former invalidity card,
# RQTH, invalidity pension) and the usual abbreviations. Matching is on words, so « PH » or « AAH »
# never match inside another word.
_DISABLED_WORDS = ("ph", "aah", "actp", "pch", "rqth", "cmi", "mdph", "cdaph", "cotorep", "th", "adh")
_DISABLED_STEMS = ("handicap", "invalidit", "travailleur handi", "mobilite inclusion")
_UNFIT_STEMS = ("inapte", "inaptitude")
_OLD_WORDS = ("65",)
_OLD_STEMS = ("65 ans", "soixante cinq")
_ELDERLY_WORDS = ("pa", "age", "agee", "ages", "agees", "senior", "seniors", "retraite", "retraitee")
_ELDERLY_STEMS = ("personne agee", "personnes agees")


def interpret_category(value) -> tuple[str | None, str]:
    """(category, "") when the wording names one R121-3 criterion; (None, why) when it does not."""
    text = words(value)
    if not text:
        return None, str(_("qualité manquante"))
    with translation.override("fr"):  # the file is French whatever the agent's interface language
        labels = {words(str(c.label)): str(c.value) for c in Category}
    exact = {
        **{str(c.value): str(c.value) for c in Category},
        **labels,
        "age 65": str(Category.AGE_65),
        "age 60 unfit": str(Category.AGE_60_UNFIT),
    }
    if text in exact:
        return exact[text], ""
    found = set()
    if _has(text, *_DISABLED_WORDS) or _contains(text, *_DISABLED_STEMS):
        found.add(str(Category.DISABLED))
    unfit = _contains(text, *_UNFIT_STEMS)
    if unfit:
        found.add(str(Category.AGE_60_UNFIT))
    # « âgée » alone is weak: « personne âgée de plus de 60 ans inapte » is the unfit criterion.
    if (
        _has(text, *_OLD_WORDS)
        or _contains(text, *_OLD_STEMS)
        or (not unfit and (_has(text, *_ELDERLY_WORDS) or _contains(text, *_ELDERLY_STEMS)))
    ):
        found.add(str(Category.AGE_65))
    if len(found) == 1:
        return found.pop(), ""
    if len(found) > 1:
        named = " / ".join(f"« {Category(c).label} »" for c in sorted(found))
        return None, str(_("qualité ambiguë : plusieurs critères possibles (%(labels)s)")) % {"labels": named}
    if _has(text, "60") or _contains(text, "60 ans", "soixante"):
        return None, str(
            _(
                "qualité ambiguë : plus de 60 ans ne suffit pas, précisez « 60+ inapte » (reconnu(e) inapte "
                "au travail) ou « 65+ »"
            )
        )
    return None, str(
        _(
            "qualité non reconnue : attendu 65 ans et plus (65+), plus de 60 ans inapte au travail "
            "(60+ inapte) ou adulte handicapé (handicap, AAH…)"
        )
    )


def parse_category(value) -> str:
    category, why = interpret_category(value)
    if category is None:
        raise ValueError(why)
    return category


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


# --- who asked (R121-6): the person, their legal representative, a third party, or a transmission --

_SELF_PHRASES = (
    "self",
    "interesse",
    "interessee",
    "interesse e",
    "l interesse",
    "l interessee",
    "l interesse e",
    "personne",
    "la personne",
    "personne concernee",
    "personne elle meme",
    "elle meme",
    "lui meme",
    "moi meme",
    "beneficiaire",
    "demande personnelle",
)
_LEGAL_STEMS = (
    "tuteur",
    "tutrice",
    "tutelle",
    "curateur",
    "curatrice",
    "curatelle",
    "mandataire",
    "mjpm",
    "representant legal",
    "representante legale",
    "legal rep",
    "udaf",
    "habilitation familiale",
)
_DEPARTEMENT_STEMS = ("departement", "conseil general", "legal departement")
_DEPARTEMENT_WORDS = ("apa", "pch", "cd", "cd92", "cd78", "cd94")
_CARSAT_WORDS = ("carsat", "cnav", "cramif")
_SERVICE_KINDS = (
    (("ssiad",), _("service de soins infirmiers à domicile")),
    (
        ("spasad", "saad", "aide a domicile", "service d aide", "auxiliaire de vie", "aide menagere"),
        _("service d'aide à domicile"),
    ),
    (("ccas", "cias"), _("centre communal d'action sociale")),
    (("clic",), _("centre local d'information et de coordination")),
    (("assistante sociale", "assistant social", "service social", "travailleur social"), _("service social")),
    (("infirmier", "infirmiere", "idel"), _("infirmier(ère)")),
    (("medecin", "docteur", "dr"), _("médecin")),
    (("hopital", "clinique", "ch "), _("établissement de santé")),
    (("portage de repas", "teleassistance", "association"), _("service ou association")),
)
_THIRD_STEMS = (
    "tiers",
    "third party",
    "famille",
    "familial",
    "fille",
    "fils",
    "enfant",
    "epoux",
    "epouse",
    "conjoint",
    "mari",
    "femme",
    "frere",
    "soeur",
    "neveu",
    "niece",
    "petit fils",
    "petite fille",
    "cousin",
    "voisin",
    "ami",
    "amie",
    "gardien",
    "concierge",
    "parent",
    "proche",
    "belle fille",
    "gendre",
)


@dataclass
class Requester:
    source: str
    name: str = ""
    capacity: str = ""


def _split_requester(text: str) -> tuple[str, str]:
    """« tuteur (UDAF 92) » → (tuteur, UDAF 92); « fille : Mme Durand » → (fille, Mme Durand)."""
    text = text.strip()
    match = re.match(r"^(.*?)\s*\((.+)\)\s*$", text)
    if match:
        return match.group(1).strip(" :-–"), match.group(2).strip()
    for separator in (":", " – ", " - ", ","):
        if separator in text:
            head, tail = text.split(separator, 1)
            return head.strip(), tail.strip()
    return text, ""


def interpret_requester(value) -> tuple[Requester | None, str]:
    """Who made the request, from the wording of a « Demandeur » column; (None, why) if unknown."""
    raw = str(value or "").strip()
    text = words(raw)
    if not text or text in _SELF_PHRASES or text in ("third party", "legal rep"):
        if text == "third party":
            return Requester(Source.THIRD_PARTY), ""
        if text == "legal rep":
            return Requester(Source.LEGAL_REP), ""
        return Requester(Source.SELF), ""
    head, detail = _split_requester(raw)
    if _contains(text, *_LEGAL_STEMS):
        return Requester(Source.LEGAL_REP, name=detail, capacity=head or raw), ""
    if _contains(text, *_CARSAT_WORDS):
        return Requester(Source.CARSAT, capacity=raw), ""
    if _contains(text, *_DEPARTEMENT_STEMS) or _has(text, *_DEPARTEMENT_WORDS):
        return Requester(Source.DEPARTEMENT, capacity=raw), ""
    for stems, kind in _SERVICE_KINDS:
        if _has(text, *(s.strip() for s in stems)) or any(len(s) > 4 and s in text for s in stems):
            if detail:  # « médecin traitant (Dr X) », « SSIAD (Croix-Rouge) »
                return Requester(Source.THIRD_PARTY, name=detail, capacity=head), ""
            return Requester(Source.THIRD_PARTY, name=head, capacity=str(kind)), ""
    if _contains(text, *_THIRD_STEMS):
        return Requester(Source.THIRD_PARTY, name=detail, capacity=head or raw), ""
    return None, str(
        _(
            "demandeur non reconnu : attendu l'intéressé(e), un tiers (famille, voisin…), un tuteur ou "
            "curateur, un service (SAAD, SSIAD, CCAS…), le département (APA, PCH) ou la CARSAT"
        )
    )
