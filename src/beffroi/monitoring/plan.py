"""What the PCS proposes for a hazard at a level: the default response plan.

Each entry gives the actions Beffroi *proposes* when an indicator enters a level. Nothing here is
done automatically: a member of the crisis cell accepts or dismisses each proposal. Level 1 is the
first level above normal (veille), 4 the highest (crise).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

OPEN, ESCALATE, REFLEX, LOG, MESSAGE = (
    "open_crisis",
    "escalate_crisis",
    "reflex_sheet",
    "log_entry",
    "citizen_message",
)

# hazard -> level -> [(action, reflex sheet or crisis level)]
PLAN: dict[str, dict[int, list[tuple[str, str]]]] = {
    "inondation": {
        1: [(LOG, "")],
        2: [(LOG, ""), (REFLEX, "inondation-preparation")],
        3: [(OPEN, "alerte"), (REFLEX, "inondation-evacuation"), (MESSAGE, "")],
        4: [(ESCALATE, "crise"), (REFLEX, "inondation-hebergement"), (MESSAGE, "")],
    },
    "canicule": {
        1: [(LOG, "")],
        2: [(LOG, ""), (REFLEX, "canicule-registre")],
        3: [(OPEN, "alerte"), (REFLEX, "canicule-appels"), (MESSAGE, "")],
        4: [(ESCALATE, "crise"), (MESSAGE, "")],
    },
    "pollution": {
        1: [(LOG, "")],
        2: [(LOG, ""), (MESSAGE, "")],
        3: [(LOG, ""), (REFLEX, "pollution-ecoles"), (MESSAGE, "")],
        4: [(OPEN, "alerte"), (MESSAGE, "")],
    },
}
DEFAULT = {
    1: [(LOG, "")],
    2: [(LOG, "")],
    3: [(OPEN, "alerte"), (MESSAGE, "")],
    4: [(ESCALATE, "crise"), (MESSAGE, "")],
}

MESSAGES = {
    "inondation": "Crue de {river} : le niveau atteint {value} {unit} ({level}). Éloignez-vous des berges, "
    "ne descendez pas dans les sous-sols, suivez les consignes de la mairie.",
    "canicule": "Canicule ({level}) : buvez de l'eau régulièrement, restez au frais, prenez des nouvelles "
    "de vos proches isolés. Numéro de la mairie pour les personnes fragiles.",
    "pollution": "Épisode de pollution ({level}) : limitez les efforts physiques intenses en extérieur, "
    "en particulier les enfants et les personnes fragiles.",
}
GENERIC_MESSAGE = "{label} : niveau {level} ({value} {unit}). Suivez les consignes de la mairie."


def actions_for(hazard: str, level: int) -> list[tuple[str, str]]:
    return PLAN.get(hazard, DEFAULT).get(level, DEFAULT.get(level, [(LOG, "")]))


def proposal_texts(
    action: str, arg: str, *, indicator, level_label: str, value: float, rising: bool
) -> tuple[str, str]:
    """(title, text) of a proposal, stored in the territory's language (French by default, that of
    the crisis cell and its main courante) whoever's request or which worker evaluated it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _texts(action, arg, indicator=indicator, level_label=level_label, value=value, rising=rising)


def _texts(
    action: str, arg: str, *, indicator, level_label: str, value: float, rising: bool
) -> tuple[str, str]:
    v = f"{value:g}"
    ctx = {
        "label": indicator.label,
        "level": level_label,
        "value": v,
        "unit": indicator.unit,
        "river": indicator.label.split(" à ")[0]
        .replace("Hauteur de la ", "la ")
        .replace("Hauteur du ", "le "),
    }
    if action == LOG:
        verb = _("passe au niveau") if rising else _("redescend au niveau")
        text = f"{indicator.label} {verb} {level_label} ({v} {indicator.unit}, source {indicator.source})."
        return _("Inscrire à la main courante : %(label)s → %(level)s") % {
            "label": indicator.label,
            "level": level_label,
        }, text
    if action == OPEN:
        return (
            _("Ouvrir une crise « %(hazard)s » (niveau %(level)s)")
            % {"hazard": indicator.get_hazard_display(), "level": arg},
            f"{indicator.label} : {v} {indicator.unit} ({level_label}).",
        )
    if action == ESCALATE:
        return (
            _("Relever la crise « %(hazard)s » au niveau %(level)s")
            % {"hazard": indicator.get_hazard_display(), "level": arg},
            f"{indicator.label} : {v} {indicator.unit} ({level_label}).",
        )
    if action == REFLEX:
        return _("Déclencher la fiche réflexe « %(sheet)s »") % {
            "sheet": arg
        }, f"{indicator.label} : {level_label}."
    template = MESSAGES.get(indicator.hazard, GENERIC_MESSAGE)
    return _("Préparer un message aux habitants (%(level)s)") % {"level": level_label}, template.format(**ctx)


def anticipation_texts(**kwargs) -> tuple[str, str]:
    """(title, text) of the proposal made when the source's forecast reaches a higher level, stored
    in the territory's language like every proposal."""
    with translation.override(settings.LANGUAGE_CODE):
        return _anticipation_texts(**kwargs)


def _anticipation_texts(
    *, indicator, level_label: str, at, peak: float, peak_at, band, issued, daily: bool = False
) -> tuple[str, str]:
    """``daily`` for a forecast given per day (ATMO index, next-day vigilance map): « demain », not
    the midnight its value is dated at."""
    from beffroi.core.timeutil import to_paris

    def when(moment) -> str:
        if not daily:
            return _("vers %(at)s") % {"at": f"{to_paris(moment):%d/%m %H:%M}"}
        ahead = (to_paris(moment).date() - to_paris(timezone.now()).date()).days
        if ahead == 0:
            return _("aujourd'hui")
        if ahead == 1:
            return _("demain")
        return _("le %(day)s") % {"day": f"{to_paris(moment):%d/%m}"}

    low, high = band
    title = _("Anticiper : %(label)s prévu au niveau %(level)s %(when)s") % {
        "label": indicator.label,
        "level": level_label,
        "when": when(at),
    }
    text = _("Prévision (%(source)s) : niveau %(level)s %(when)s, pic %(peak)s %(unit)s %(peak_when)s.") % {
        "source": indicator.source,
        "level": level_label,
        "when": when(at),
        "peak": f"{peak:g}",
        "unit": indicator.unit,
        "peak_when": when(peak_at),
    }
    if low is not None and high is not None:
        text += " " + _("Fourchette au pic : %(low)s à %(high)s %(unit)s.") % {
            "low": f"{low:g}",
            "high": f"{high:g}",
            "unit": indicator.unit,
        }
    if issued is not None:
        text += " " + _("Prévision émise le %(at)s.") % {"at": f"{to_paris(issued):%d/%m %H:%M}"}
    return title, text
