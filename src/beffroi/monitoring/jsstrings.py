"""The dashboard script's texts, translated on the server and passed through ``json_script``
(placeholders ``{name}`` are filled in by veille.js)."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from beffroi.monitoring.units import WORD_UNITS


def strings() -> dict[str, str]:
    return {
        "noValue": _("aucune valeur"),
        "agoMinutes": _("il y a {m} min"),
        "agoHours": _("il y a {h} h {m} min"),
        "sourceLate": _("{age} — source en retard"),
        "late": _("en retard"),
        "upToDate": _("à jour"),
        "exercise": _("EXERCICE"),
        "entryPopup": _("{crisis} n° {seq} : {text}"),
        "shelter": _("Hébergement : {name}"),
        "places": _("{n} places"),
        "observed": _("Observé"),
        "forecastSeries": _("Prévision (source)"),
        "trendSeries": _("Tendance"),
        "low": _("Bas"),
        "high": _("Haut"),
        "forecastLow": _("Prévision basse"),
        "forecastHigh": _("Prévision haute"),
        "bandNote": _("Pointillés : prévision de la source (médiane) ; bande : fourchette basse–haute."),
        "forecastNote": _("Pointillés : prévision de la source."),
        "issuedAt": _("Émise le {at}."),
        "trendNote": _("Pointillés violets : projection ({method}), bande : intervalle à 95 %."),
        "method_linear": _("tendance linéaire sur 6 h"),
        "method_theil-sen": _("pente robuste Theil–Sen sur 6 h"),
        "etaEarliest": _("— au plus tôt vers {at} selon la prévision haute"),
        "basisForecast": _("selon la prévision de la source"),
        "basisTrend": _("selon la tendance ({method})"),
        "eta": _("Seuil « {label} » attendu vers {at} (dans {hours} h, {basis})"),
        "etaTomorrow": _("Seuil « {label} » prévu demain ({basis})"),
        "etaToday": _("Seuil « {label} » prévu aujourd'hui ({basis})"),
        "etaDay": _("Seuil « {label} » prévu le {day} ({basis})"),
        "maxLevel": _("Niveau maximal atteint"),
        "noCrossing": _("Pas de franchissement de seuil attendu"),
        "atForecast": _("À la hauteur prévue"),
        "atTrend": _("À la hauteur projetée"),
        "atObserved": _("À la hauteur observée"),
        "noZone": _("aucune zone inondable atteinte"),
        "firstZone": _("première zone à {level}"),
        "zone": _("zone « {label} »"),
        "nothingCounted": _("rien de recensé"),
        "source": _("Source : {source}"),
        "residents": _("habitants"),
        "addresses": _("adresses"),
        "facilities": _("équipements"),
        "registry": _("personnes du registre"),
        "notReleased": _("non communiqué"),
        "over75": _("dont {n} de 75 ans et plus"),
        "live": _("En direct"),
        "reconnecting": _("Connexion perdue, reconnexion…"),
        "noEventSource": _("Direct indisponible sur ce navigateur"),
        "levelAnnounce": _("{label} : niveau {level}"),
        "zonesLayer": _("Zones inondées (niveau actuel / prévu)"),
        "facilitiesLayer": _("Équipements"),
        "zoneCurrent": _("Zone atteinte à {value}"),
        "zoneForecast": _("Zone prévue à {value} vers {at}"),
        "synthetic": _("données synthétiques"),
        # Facility types of the BPE-like datasets (docs/crossing.md); another type is shown as is.
        "facilityType_ecole": _("école"),
        "facilityType_creche": _("crèche"),
        "facilityType_ehpad": _("EHPAD"),
        "facilityType_sante": _("établissement de santé"),
        "facilityType_gymnase": _("gymnase"),
        # Numbers and dates in the reader's locale, and the units that are words said as the
        # server says them (« niveau 2 », "level 2"; monitoring/units.py).
        "numberLocale": "en-GB" if get_language().startswith("en") else "fr-FR",
        **{f"unit_{unit}": str(forms[1]) % {"v": "{v}"} for unit, forms in WORD_UNITS.items()},
    }
